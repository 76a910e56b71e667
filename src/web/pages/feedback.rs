//! Feedback pages: the actions on a bug or idea, the roadmap, "my feedback", admin products.

use super::{redirect, PageCtx};
use crate::accounts::Locale;
use crate::feedback::changes::{self, ChangeRequest};
use crate::feedback::products::{self, NewProduct};
use crate::feedback::votes::{self, VoteKind};
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
        .route("/t/{id}/merge", web::post().to(merge_form))
        .route("/t/{id}/satisfaction", web::post().to(satisfied))
        .route("/t/{id}/attachments", web::post().to(upload))
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
    page: PageCtx,
    id: web::Path<i64>,
    form: web::Form<VoteForm>,
) -> Result<HttpResponse, AppError> {
    let Some(me) = &page.viewer.0 else {
        return Ok(redirect(&format!("/login?next=/t/{id}")));
    };
    if !me.user.is_verified() {
        return Err(AppError::Forbidden {
            code: "email_unverified",
            message: String::new(),
        });
    }
    let mut conn = crate::db::get(&page.state.pool).await?;
    let kind: String = {
        use crate::db::schema::topics;
        use diesel::prelude::*;
        use diesel_async::RunQueryDsl;
        topics::table
            .find(*id)
            .select(topics::kind)
            .first(&mut conn)
            .await
            .optional()?
            .ok_or(AppError::NotFound)?
    };
    let kind = if kind == "bug" {
        VoteKind::MeToo
    } else {
        VoteKind::Vote
    };
    match votes::set(
        &mut conn,
        &page.state.settings,
        &me.user,
        *id,
        kind,
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
    page: PageCtx,
    id: web::Path<i64>,
    form: web::Form<StatusForm>,
) -> Result<HttpResponse, AppError> {
    let Some(me) = &page.viewer.0 else {
        return Ok(redirect(&format!("/login?next=/t/{id}")));
    };
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
pub struct MergeForm {
    #[serde(default)]
    into: String,
    #[serde(default)]
    note: String,
}

async fn merge_form(
    page: PageCtx,
    id: web::Path<i64>,
    form: web::Form<MergeForm>,
) -> Result<HttpResponse, AppError> {
    let Some(me) = &page.viewer.0 else {
        return Ok(redirect(&format!("/login?next=/t/{id}")));
    };
    let into: i64 = match form.into.trim().trim_start_matches('#').parse() {
        Ok(n) => n,
        Err(_) => {
            return back_to_topic(
                *id,
                crate::accounts::FieldError::new(
                    "into",
                    "give the number of the topic to merge into",
                )
                .into(),
            )
        }
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
    page: PageCtx,
    id: web::Path<i64>,
    form: web::Form<SatisfiedForm>,
) -> Result<HttpResponse, AppError> {
    let Some(me) = &page.viewer.0 else {
        return Ok(redirect(&format!("/login?next=/t/{id}")));
    };
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

#[derive(diesel::Queryable)]
struct RoadItem {
    id: i64,
    title: String,
    kind: String,
    status: String,
    vote_count: i32,
    me_too_count: i32,
    product_zh: Option<String>,
    product_en: Option<String>,
}

/// Planned, in progress and recently resolved items, grouped by product.
async fn roadmap(page: PageCtx) -> Result<HttpResponse, AppError> {
    use crate::db::schema::{products as p, topics as t};
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    let mut conn = crate::db::get(&page.state.pool).await?;
    let since = page.state.clock.now() - chrono::Duration::days(30);
    let rows: Vec<RoadItem> = t::table
        .left_join(p::table.on(p::id.nullable().eq(t::product_id)))
        .filter(crate::access::topic_shown())
        .filter(
            t::status
                .eq_any(["planned", "in_progress"])
                .or(t::status.eq("resolved").and(t::status_changed_at.ge(since))),
        )
        .order((p::slug.asc(), t::vote_count.desc(), t::id.desc()))
        .limit(500)
        .select((
            t::id,
            t::title,
            t::kind,
            t::status,
            t::vote_count,
            t::me_too_count,
            p::name_zh.nullable(),
            p::name_en.nullable(),
        ))
        .load(&mut conn)
        .await?;
    let mut groups: Vec<(String, BTreeMap<String, Vec<Value>>)> = Vec::new();
    for r in rows {
        let product = match page.lang {
            Locale::ZhCn => r.product_zh.clone(),
            Locale::En => r.product_en.clone(),
        }
        .unwrap_or_else(|| "—".into());
        if groups.last().is_none_or(|(name, _)| *name != product) {
            groups.push((product.clone(), BTreeMap::new()));
        }
        let item = minijinja::context! { id => r.id, title => &r.title, kind => &r.kind, votes => r.vote_count + r.me_too_count };
        groups
            .last_mut()
            .unwrap()
            .1
            .entry(r.status.clone())
            .or_default()
            .push(item);
    }
    let groups: Vec<Value> = groups
        .into_iter()
        .map(|(name, by)| minijinja::context! { name => name, planned => by.get("planned"), in_progress => by.get("in_progress"), resolved => by.get("resolved") })
        .collect();
    page.render("roadmap.html", minijinja::context! { groups => groups })
}

async fn mine(page: PageCtx) -> Result<HttpResponse, AppError> {
    use crate::db::schema::topics as t;
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    let Some(me) = &page.viewer.0 else {
        return Ok(redirect("/login?next=/me/feedback"));
    };
    let mut conn = crate::db::get(&page.state.pool).await?;
    let own: Vec<(i64, String, String, String)> = t::table
        .filter(t::author_id.eq(me.user.id))
        .filter(t::kind.ne("discussion"))
        .filter(crate::access::topic_not_deleted())
        .order(t::created_at.desc())
        .limit(200)
        .select((t::id, t::title, t::kind, t::status))
        .load(&mut conn)
        .await?;
    let voted = votes::mine(&mut conn, me.user.id, 200).await?;
    let view = |rows: &[(i64, String, String, String)], kind: Option<&str>| -> Vec<Value> {
        rows.iter()
            .filter(|r| kind.is_none_or(|k| r.2 == k))
            .map(|(id, title, kind, status)| minijinja::context! { id => id, title => title, kind => kind, status => status })
            .collect()
    };
    page.render(
        "my_feedback.html",
        minijinja::context! { reports => view(&own, Some("bug")), ideas => view(&own, Some("idea")), votes => view(&voted, None) },
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
    page: PageCtx,
    id: web::Path<i64>,
    payload: actix_multipart::Multipart,
) -> Result<HttpResponse, AppError> {
    let Some(me) = &page.viewer.0 else {
        return Ok(redirect(&format!("/login?next=/t/{id}")));
    };
    if !me.user.is_verified() {
        return Err(AppError::Forbidden {
            code: "email_unverified",
            message: String::new(),
        });
    }
    let upload = match crate::web::api::feedback::read_upload(payload).await {
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
