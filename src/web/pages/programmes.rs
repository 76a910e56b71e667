//! `/programmes`: closed betas (内测) as fans see them — why they may or may not apply, the
//! apply form, leaving — and each programme's review queue for staff and the product's team.
//! The same rules as `/api/v1/programmes`; these are its forms.

use super::{redirect, PageCtx, SignedIn};
use crate::programmes::applications::{self, AppStatus, Apply};
use crate::programmes::{self as prog, Programme};
use crate::web::errors::AppError;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use diesel_async::AsyncConnection;
use minijinja::Value;
use serde::Deserialize;
use std::collections::{BTreeMap, HashSet};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/programmes", web::get().to(list))
        .route("/programmes/{slug}/apply", web::post().to(apply))
        .route("/programmes/{slug}/leave", web::post().to(leave))
        .route("/programmes/{slug}/applications", web::get().to(review))
        .route(
            "/programmes/{slug}/applications/{id}",
            web::post().to(decide),
        );
}

#[derive(Deserialize)]
pub struct ListQuery {
    /// A known notice key (applied, left), never text.
    #[serde(default)]
    notice: String,
}

/// What a failed application form shows again: its programme, the values and the errors.
struct Failed {
    slug: String,
    values: Value,
    errors: BTreeMap<String, String>,
}

async fn render_list(
    page: &PageCtx,
    status: StatusCode,
    notice: &str,
    failed: Option<Failed>,
) -> Result<HttpResponse, AppError> {
    let mut conn = crate::db::get(page.read_pool()).await?;
    let user = page.viewer.0.as_ref().map(|a| &a.user);
    let now = page.state.clock.now();
    let items = prog::list(&mut conn, user, now, page.lang).await?;
    let reviews: Vec<i64> = match user {
        Some(u) => applications::reviewable(&mut conn, u).await?,
        None => Vec::new(),
    };
    let review_slugs = prog::slugs_of(&mut conn, &reviews).await?;
    drop(conn);
    let no_users = HashSet::new();
    let rows: Vec<Value> = items
        .iter()
        .map(|v| {
            let mine = failed.as_ref().filter(|f| f.slug == v.slug);
            minijinja::context! {
                slug => &v.slug, name => &v.name, board => &v.board, product => &v.product,
                open => v.open, can_apply => v.can_apply, why_not => &v.why_not, quota => v.quota,
                testers => v.testers, terms_version => v.terms_version,
                terms_html => crate::content::render(&v.terms_md, &no_users).into_string(),
                my_status => v.my_status.map(|s| s.as_str()),
                reviews => review_slugs.contains(&v.slug),
                values => mine.map(|f| f.values.clone()), errors => mine.map(|f| f.errors.clone()),
            }
        })
        .collect();
    page.render_status(
        status,
        "programmes.html",
        minijinja::context! { programmes => rows, notice => notice },
    )
}

async fn list(page: PageCtx, q: web::Query<ListQuery>) -> Result<HttpResponse, AppError> {
    let notice = match q.notice.as_str() {
        n @ ("applied" | "left") => n,
        _ => "",
    };
    render_list(&page, StatusCode::OK, notice, None).await
}

#[derive(Deserialize)]
pub struct ApplyForm {
    #[serde(default)]
    device: String,
    #[serde(default)]
    os_version: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    accept_terms: Option<String>,
    #[serde(default)]
    terms_version: Option<i32>,
}

async fn programme(conn: &mut crate::db::Conn, slug: &str) -> Result<Programme, AppError> {
    prog::by_slug(conn, slug).await?.ok_or(AppError::NotFound)
}

async fn apply(
    s: SignedIn,
    slug: web::Path<String>,
    form: web::Form<ApplyForm>,
) -> Result<HttpResponse, AppError> {
    let f = form.into_inner();
    let mut conn = crate::db::get(&s.page.state.pool).await?;
    let p = programme(&mut conn, &slug).await?;
    let now = s.page.state.clock.now();
    let a = Apply {
        device: &f.device,
        os_version: &f.os_version,
        reason: &f.reason,
        accept_terms: f.accept_terms.is_some(),
        terms_version: f.terms_version,
    };
    let lang = s.page.lang;
    let done = conn
        .transaction(async |c| applications::apply(c, &p, &s.me.user, &a, now, lang).await)
        .await;
    drop(conn);
    match done {
        Ok(_) => Ok(redirect("/programmes?notice=applied")),
        Err(e) => {
            let errors = match AppError::from(e) {
                AppError::Invalid { fields, .. } => fields,
                AppError::Conflict { message, .. } => BTreeMap::from([("gate".into(), message)]),
                other => return Err(other),
            };
            let failed = Failed {
                slug: p.slug.clone(),
                values: minijinja::context! { device => &f.device, os_version => &f.os_version, reason => &f.reason },
                errors,
            };
            render_list(&s.page, StatusCode::UNPROCESSABLE_ENTITY, "", Some(failed)).await
        }
    }
}

async fn leave(s: SignedIn, slug: web::Path<String>) -> Result<HttpResponse, AppError> {
    let mut conn = crate::db::get(&s.page.state.pool).await?;
    let p = programme(&mut conn, &slug).await?;
    let me = s.me.user.id;
    conn.transaction(async |c| applications::end_membership(c, &p, me, AppStatus::Left).await)
        .await?;
    Ok(redirect("/programmes?notice=left"))
}

/// Staff and the product's team; everyone else gets 404, as in the API.
async fn reviewer(
    s: &SignedIn,
    conn: &mut crate::db::Conn,
    slug: &str,
) -> Result<Programme, AppError> {
    let p = programme(conn, slug).await?;
    if !applications::may_review(conn, &p, &s.me.user).await? {
        return Err(AppError::NotFound);
    }
    Ok(p)
}

#[derive(Deserialize)]
pub struct ReviewQuery {
    #[serde(default)]
    status: String,
    #[serde(default)]
    notice: String,
}

async fn review(
    s: SignedIn,
    slug: web::Path<String>,
    q: web::Query<ReviewQuery>,
) -> Result<HttpResponse, AppError> {
    let status = match q.status.as_str() {
        "" => AppStatus::Pending,
        other => AppStatus::from_text(other).ok_or_else(|| {
            AppError::field("status", "pending, approved, rejected, left or removed")
        })?,
    };
    let mut conn = crate::db::get(&s.page.state.pool).await?;
    let p = reviewer(&s, &mut conn, &slug).await?;
    let items = applications::list(&mut conn, &p, Some(status)).await?;
    let testers = prog::tester_count(&mut conn, p.id).await?;
    drop(conn);
    let notice = match q.notice.as_str() {
        n @ ("approved" | "rejected") => n,
        _ => "",
    };
    s.page.render(
        "programme_review.html",
        minijinja::context! {
            slug => &p.slug, name => p.name(s.page.lang), status => status.as_str(), notice => notice,
            testers => testers, quota => p.quota,
            statuses => AppStatus::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
            items => Value::from(minijinja::value::Serde(&items)),
        },
    )
}

#[derive(Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    decision: String,
    #[serde(default)]
    note: String,
}

async fn decide(
    s: SignedIn,
    path: web::Path<(String, i64)>,
    form: web::Form<DecisionForm>,
) -> Result<HttpResponse, AppError> {
    let (slug, id) = path.into_inner();
    let approve = match form.decision.as_str() {
        "approve" => true,
        "reject" => false,
        _ => return Err(AppError::field("decision", "approve or reject")),
    };
    let mut conn = crate::db::get(&s.page.state.pool).await?;
    let p = reviewer(&s, &mut conn, &slug).await?;
    let now = s.page.state.clock.now();
    let state = s.page.state.clone();
    let me = &s.me.user;
    conn.transaction(async |c| {
        applications::decide(c, &state.mailer, &p, me, id, (approve, &form.note), now).await
    })
    .await?;
    let notice = if approve { "approved" } else { "rejected" };
    Ok(redirect(&format!(
        "/programmes/{}/applications?notice={notice}",
        p.slug
    )))
}
