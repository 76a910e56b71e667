//! Feedback pages: the actions on a bug or idea, the roadmap, "my feedback", admin products.

use super::{redirect, PageCtx, SignedIn};
use crate::accounts::Locale;
use crate::feedback::changes::{self, ChangeRequest};
use crate::feedback::products::{self, NewProduct};
use crate::feedback::votes;
use crate::feedback::{merge, satisfaction, FeedbackError};
use crate::web::errors::AppError;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use minijinja::Value;
use serde::Deserialize;
use std::collections::BTreeMap;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/t/{id}/vote", web::post().to(vote))
        .route("/t/{id}/status", web::post().to(status))
        .route("/t/{id}/merge", web::get().to(merge_confirm))
        .route("/t/{id}/merge", web::post().to(merge_form))
        .route("/t/{id}/satisfaction", web::post().to(satisfied))
        .route("/t/{id}/attachments", web::post().to(upload))
        .route("/t/{id}/internal-notes", web::post().to(add_note))
        .route("/roadmap", web::get().to(roadmap))
        .route("/me/feedback", web::get().to(mine))
        .route("/admin/products", web::get().to(admin_products))
        .route("/admin/products", web::post().to(save_product));
}

/// Errors a form on the topic page can show in place; others become error pages.
fn back_to_topic(id: i64, e: FeedbackError) -> Result<HttpResponse, AppError> {
    match e {
        FeedbackError::Invalid(fields) => {
            let msg = fields
                .first()
                .map(|f| f.message.clone())
                .unwrap_or_default();
            Ok(redirect(&format!(
                "/t/{id}?notice={}#feedback",
                crate::content::percent_encode(&msg)
            )))
        }
        other => Err(other.into()),
    }
}

#[derive(Deserialize)]
pub struct VoteForm {
    on: Option<String>,
}

/// One button for both: a vote on an idea, "me too" on a bug.
async fn vote(
    SignedIn { page, me }: SignedIn,
    id: web::Path<i64>,
    form: web::Form<VoteForm>,
) -> Result<HttpResponse, AppError> {
    if !me.user.is_verified() {
        return Err(AppError::Forbidden {
            code: "email_unverified",
            message: String::new(),
        });
    }
    let mut conn = crate::db::get(&page.state.pool).await?;
    match votes::set(
        &mut conn,
        &page.state.settings,
        &me.user,
        *id,
        None,
        form.on.is_some(),
        page.state.clock.now(),
    )
    .await
    {
        Ok(_) => Ok(redirect(&format!("/t/{id}#feedback"))),
        Err(e) => back_to_topic(*id, e),
    }
}

#[derive(Deserialize)]
pub struct StatusForm {
    #[serde(default)]
    status: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    fixed_in: String,
}

async fn status(
    SignedIn { page, me }: SignedIn,
    id: web::Path<i64>,
    form: web::Form<StatusForm>,
) -> Result<HttpResponse, AppError> {
    let req = match ChangeRequest::parse(&form.status, Some(&form.note), Some(&form.fixed_in), None)
    {
        Ok(r) => r,
        Err(f) => return back_to_topic(*id, FeedbackError::Invalid(f)),
    };
    let mut conn = crate::db::get(&page.state.pool).await?;
    match changes::change(&mut conn, &me.user, *id, req, page.state.clock.now()).await {
        Ok(_) => Ok(redirect(&format!("/t/{id}#feedback"))),
        Err(e) => back_to_topic(*id, e),
    }
}

#[derive(Deserialize)]
pub struct NoteForm {
    #[serde(default)]
    body: String,
}

async fn add_note(
    SignedIn { page, me }: SignedIn,
    id: web::Path<i64>,
    form: web::Form<NoteForm>,
) -> Result<HttpResponse, AppError> {
    let body = match crate::forum::fields::Body::parse(&form.body) {
        Ok(b) => b,
        Err(e) => return back_to_topic(*id, e.into()),
    };
    let mut conn = crate::db::get(&page.state.pool).await?;
    match crate::feedback::notes::add(&mut conn, *id, &me.user, &body, page.state.clock.now()).await
    {
        Ok(_) => Ok(redirect(&format!("/t/{id}#internal-notes"))),
        Err(e) => back_to_topic(*id, e),
    }
}

/// "123" or "#123": the topic to merge into.
fn merge_target(raw: &str) -> Result<i64, FeedbackError> {
    raw.trim().trim_start_matches('#').parse().map_err(|_| {
        crate::accounts::FieldError::new("into", "give the number of the topic to merge into")
            .into()
    })
}

#[derive(Deserialize)]
pub struct MergeQuery {
    #[serde(default)]
    into: String,
}

/// Before a merge: both items side by side and what would move, with the one button that does
/// it. Nothing changes on this GET.
async fn merge_confirm(
    SignedIn { page, me }: SignedIn,
    id: web::Path<i64>,
    q: web::Query<MergeQuery>,
) -> Result<HttpResponse, AppError> {
    if !crate::feedback::status::may_change(me.user.role()) {
        return Err(AppError::NotFound);
    }
    let into = match merge_target(&q.into) {
        Ok(n) => n,
        Err(e) => return back_to_topic(*id, e),
    };
    let mut conn = crate::db::get(&page.state.pool).await?;
    let (source, _, _) = crate::forum::topics::get(&mut conn, *id, &page.reader).await?;
    let (target, _, _) = match crate::forum::topics::get(&mut conn, into, &page.reader).await {
        Ok(t) => t,
        Err(crate::forum::ForumError::NotFound) => {
            return back_to_topic(
                *id,
                crate::accounts::FieldError::new("into", "no such topic").into(),
            )
        }
        Err(e) => return Err(e.into()),
    };
    let preview = match merge::preview(&mut conn, &source, &target).await {
        Ok(p) => p,
        Err(e) => return back_to_topic(*id, e),
    };
    page.render(
        "merge_confirm.html",
        minijinja::context! {
            source => minijinja::context! { id => source.id, title => &source.title, kind => source.kind.as_str(), status => source.status.as_str() },
            target => minijinja::context! { id => target.id, title => &target.title, status => target.status.as_str() },
            preview => Value::from(minijinja::value::Serde(&preview)),
        },
    )
}

#[derive(Deserialize)]
pub struct MergeForm {
    #[serde(default)]
    into: String,
    #[serde(default)]
    note: String,
}

async fn merge_form(
    SignedIn { page, me }: SignedIn,
    id: web::Path<i64>,
    form: web::Form<MergeForm>,
) -> Result<HttpResponse, AppError> {
    let into = match merge_target(&form.into) {
        Ok(n) => n,
        Err(e) => return back_to_topic(*id, e),
    };
    let mut conn = crate::db::get(&page.state.pool).await?;
    match merge::merge(
        &mut conn,
        &me.user,
        *id,
        into,
        &form.note,
        page.state.clock.now(),
    )
    .await
    {
        Ok(_) => Ok(redirect(&format!("/t/{into}#feedback"))),
        Err(e) => back_to_topic(*id, e),
    }
}

#[derive(Deserialize)]
pub struct SatisfiedForm {
    #[serde(default)]
    satisfied: String,
    #[serde(default)]
    comment: String,
}

async fn satisfied(
    SignedIn { page, me }: SignedIn,
    id: web::Path<i64>,
    form: web::Form<SatisfiedForm>,
) -> Result<HttpResponse, AppError> {
    let yes = match form.satisfied.as_str() {
        "yes" => true,
        "no" => false,
        _ => return Err(AppError::field("satisfied", "answer yes or no")),
    };
    let mut conn = crate::db::get(&page.state.pool).await?;
    match satisfaction::answer(
        &mut conn,
        &me.user,
        *id,
        yes,
        &form.comment,
        page.state.clock.now(),
    )
    .await
    {
        Ok(()) => Ok(redirect(&format!("/t/{id}#satisfaction"))),
        Err(e) => back_to_topic(*id, e),
    }
}

/// Planned, in progress and recently resolved items, grouped by product.
async fn roadmap(page: PageCtx) -> Result<HttpResponse, AppError> {
    let mut conn = crate::db::get(&page.state.pool).await?;
    let since = page.state.clock.now() - chrono::Duration::days(30);
    let rows = crate::feedback::lists::roadmap(&mut conn, &page.reader, since).await?;
    let mut groups: Vec<(String, BTreeMap<&str, Vec<Value>>)> = Vec::new();
    for r in rows {
        let product = match page.lang {
            Locale::ZhCn => r.product_zh.clone(),
            Locale::En => r.product_en.clone(),
        }
        .unwrap_or_else(|| "—".into());
        if groups.last().is_none_or(|(name, _)| *name != product) {
            groups.push((product.clone(), BTreeMap::new()));
        }
        let item = minijinja::context! { id => r.id, title => &r.title, kind => r.kind.as_str(), votes => r.vote_count + r.me_too_count };
        groups
            .last_mut()
            .unwrap()
            .1
            .entry(r.status.as_str())
            .or_default()
            .push(item);
    }
    let groups: Vec<Value> = groups
        .into_iter()
        .map(|(name, by)| minijinja::context! { name => name, planned => by.get("planned"), in_progress => by.get("in_progress"), resolved => by.get("resolved") })
        .collect();
    page.render("roadmap.html", minijinja::context! { groups => groups })
}

async fn mine(SignedIn { page, .. }: SignedIn) -> Result<HttpResponse, AppError> {
    let mut conn = crate::db::get(&page.state.pool).await?;
    let mine = crate::feedback::lists::mine(&mut conn, &page.reader, 200).await?;
    let view = |items: &[crate::feedback::lists::Item]| -> Vec<Value> {
        items
            .iter()
            .map(|i| minijinja::context! { id => i.topic_id, title => &i.title, kind => i.kind.as_str(), status => i.status.as_str() })
            .collect()
    };
    page.render(
        "my_feedback.html",
        minijinja::context! { reports => view(&mine.reports), ideas => view(&mine.ideas), votes => view(&mine.votes) },
    )
}

async fn products_page(
    page: &PageCtx,
    status: StatusCode,
    values: Value,
    errors: BTreeMap<String, String>,
) -> Result<HttpResponse, AppError> {
    let mut conn = crate::db::get(&page.state.pool).await?;
    let all = products::all(&mut conn).await?;
    page.render_status(
        status,
        "admin_products.html",
        minijinja::context! { products => Value::from(minijinja::value::Serde(&all)), values => values, errors => errors, lines => products::LINES.to_vec() },
    )
}

async fn admin_products(page: PageCtx) -> Result<HttpResponse, AppError> {
    page.require_admin()?;
    products_page(&page, StatusCode::OK, Value::from(()), BTreeMap::new()).await
}

#[derive(Deserialize)]
pub struct ProductForm {
    #[serde(default)]
    slug: String,
    #[serde(default)]
    name_zh: String,
    #[serde(default)]
    name_en: String,
    #[serde(default)]
    line: String,
}

async fn save_product(
    page: PageCtx,
    form: web::Form<ProductForm>,
) -> Result<HttpResponse, AppError> {
    page.require_admin()?;
    match NewProduct::parse(&form.slug, &form.name_zh, &form.name_en, &form.line) {
        Ok(p) => {
            let mut conn = crate::db::get(&page.state.pool).await?;
            products::upsert(&mut conn, &p, page.state.clock.now()).await?;
            Ok(redirect("/admin/products"))
        }
        Err(errs) => {
            let values = minijinja::context! { slug => &form.slug, name_zh => &form.name_zh, name_en => &form.name_en, line => &form.line };
            let errors = errs
                .into_iter()
                .map(|e| (e.field.to_string(), e.message))
                .collect();
            products_page(&page, StatusCode::UNPROCESSABLE_ENTITY, values, errors).await
        }
    }
}

async fn upload(
    SignedIn { page, me }: SignedIn,
    id: web::Path<i64>,
    payload: actix_multipart::Multipart,
) -> Result<HttpResponse, AppError> {
    if !me.user.is_verified() {
        return Err(AppError::Forbidden {
            code: "email_unverified",
            message: String::new(),
        });
    }
    let upload = match crate::web::upload::read(payload).await {
        Ok(u) => u,
        Err(AppError::Invalid { fields, .. }) => {
            let msg = fields.values().next().cloned().unwrap_or_default();
            return Ok(redirect(&format!(
                "/t/{id}?notice={}#feedback",
                crate::content::percent_encode(&msg)
            )));
        }
        Err(e) => return Err(e),
    };
    let mut conn = crate::db::get(&page.state.pool).await?;
    let saved = crate::feedback::attachments::save(
        &mut conn,
        &page.state.settings.uploads_dir(),
        &me.user,
        *id,
        &upload,
        page.state.clock.now(),
    )
    .await;
    match saved {
        Ok(_) => Ok(redirect(&format!("/t/{id}#feedback"))),
        Err(e) => back_to_topic(*id, e),
    }
}
