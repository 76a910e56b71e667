//! Profiles and the notification list.

use super::{redirect, PageCtx, SignedIn};
use crate::forum::listing;
use crate::notify::notifications;
use crate::web::errors::AppError;
use actix_web::{web, HttpResponse};
use minijinja::Value;
use serde::Deserialize;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/u/{username}", web::get().to(profile))
        .route("/u/{username}/erase", web::post().to(erase))
        .route("/notifications", web::get().to(list))
        .route("/notifications/read", web::post().to(read_all))
        .route("/notifications/{id}/open", web::post().to(open));
}

async fn profile(page: PageCtx, name: web::Path<String>) -> Result<HttpResponse, AppError> {
    let mut conn = crate::db::get(page.read_pool()).await?;
    let p = crate::honor::profile::by_username(&mut conn, &page.reader, &name)
        .await?
        .ok_or(AppError::NotFound)?;
    let recent = listing::by_author(&mut conn, &page.reader, p.id, 20).await?;
    let topics: Vec<Value> = recent
        .iter()
        .map(|(id, title, at)| minijinja::context! { id => id, title => title, at => at.to_rfc3339() })
        .collect();
    let now = page.state.clock.now();
    let staff = page
        .viewer
        .0
        .as_ref()
        .is_some_and(|a| a.user.role().is_staff());
    // Staff see sanctions in force (not personal data: that is behind the logged API view).
    let sanctions = if staff {
        crate::moderation::sanctions::history(&mut conn, p.id)
            .await?
            .into_iter()
            .filter(|s| s.lifted_at.is_none() && s.ends_at > now)
            .map(|s| minijinja::context! { kind => s.kind, reason => s.reason, until => s.ends_at.to_rfc3339() })
            .collect::<Vec<_>>()
    } else {
        Vec::new()
    };
    let en = page.lang == crate::accounts::Locale::En;
    page.render(
        "user.html",
        minijinja::context! {
            user => minijinja::context! {
                username => &p.username, role => &p.role, level => p.level, honor => p.honor, title => &p.title,
                joined_at => p.joined_at.format("%Y-%m-%d").to_string(),
                counts => Value::from(minijinja::value::Serde(&p.counts)),
                medals => p.medals.iter().map(|m| minijinja::context! {
                    slug => &m.slug, name => if en { &m.name_en } else { &m.name_zh }, scope => &m.scope,
                }).collect::<Vec<_>>(),
            },
            topics => topics, staff => staff, sanctions => sanctions,
            admin => page.require_admin().is_ok(),
            erased => crate::fields::erased_number(&p.username).is_some(),
        },
    )
}

#[derive(Deserialize)]
pub struct EraseForm {
    #[serde(default)]
    reason: String,
}

/// An admin erases an account from its profile page.
async fn erase(
    page: PageCtx,
    ip: crate::web::extract::ClientIp,
    name: web::Path<String>,
    form: web::Form<EraseForm>,
) -> Result<HttpResponse, AppError> {
    page.require_admin()?;
    let Some(admin) = &page.viewer.0 else {
        return Err(AppError::NotFound);
    };
    let mut conn = crate::db::get(&page.state.pool).await?;
    let anonymous = crate::rights::erasure::erase_by_admin(
        &mut conn,
        &page.state.settings,
        &admin.user,
        &ip.0,
        &name,
        &form.reason,
        page.state.clock.now(),
    )
    .await?;
    Ok(super::redirect(&format!(
        "/u/{}",
        crate::content::percent_encode(&anonymous)
    )))
}

#[derive(Deserialize)]
pub struct ListQuery {
    cursor: Option<i64>,
}

async fn list(
    SignedIn { page, .. }: SignedIn,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let mut conn = crate::db::get(&page.state.pool).await?;
    let (items, next) = notifications::list(&mut conn, &page.reader, q.cursor, 50).await?;
    let items: Vec<Value> = items
        .iter()
        .map(|n| {
            minijinja::context! {
                id => n.id, kind => &n.kind, topic_id => n.topic_id, topic_title => &n.topic_title, post_id => n.post_id,
                actor => &n.actor, unread => n.read_at.is_none(), at => n.created_at.to_rfc3339(),
                detail => &n.detail, status => n.status.map(|s| s.as_str()), excerpt => &n.excerpt,
                medal => crate::honor::medals::by_slug(&n.detail).map(|m| if page.lang == crate::accounts::Locale::En { m.name_en } else { m.name_zh }),
            }
        })
        .collect();
    page.render(
        "notifications.html",
        minijinja::context! { items => items, next => next },
    )
}

#[derive(Deserialize)]
pub struct OpenForm {
    #[serde(default)]
    to: String,
}

/// Opening a notification marks it read, then goes where it points (a same-site path only).
async fn open(
    SignedIn { page, .. }: SignedIn,
    id: web::Path<i64>,
    form: web::Form<OpenForm>,
) -> Result<HttpResponse, AppError> {
    let mut conn = crate::db::get(&page.state.pool).await?;
    let ids = [id.into_inner()];
    notifications::mark_read(&mut conn, &page.reader, Some(&ids), page.state.clock.now()).await?;
    Ok(redirect(&super::safe_next(Some(&form.to))))
}

async fn read_all(SignedIn { page, .. }: SignedIn) -> Result<HttpResponse, AppError> {
    let mut conn = crate::db::get(&page.state.pool).await?;
    notifications::mark_read(&mut conn, &page.reader, None, page.state.clock.now()).await?;
    Ok(redirect("/notifications"))
}
