//! JSON API v1 (see shared/API.md for the contract).

pub mod access;
pub mod auth;
pub mod feedback;
pub mod forum;
pub mod honor;
pub mod me;
pub mod moderation;
pub mod notifications;
pub mod openapi;
pub mod programmes;
pub mod search;
pub mod triage;

pub use crate::web::errors::ErrorBody;

use crate::accounts::User;
use actix_web::web;
use chrono::{DateTime, Utc};
use serde::Serialize;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            .configure(auth::routes)
            .configure(access::routes)
            .configure(me::routes)
            .configure(forum::routes)
            .configure(feedback::routes)
            .configure(notifications::routes)
            .configure(search::routes)
            .configure(moderation::routes)
            .configure(honor::routes)
            .configure(triage::routes)
            .configure(programmes::routes)
            .configure(openapi::routes)
            .default_service(web::to(|| async {
                Err::<actix_web::HttpResponse, _>(crate::web::errors::AppError::NotFound)
            })),
    );
}

/// Every list answers `{items, next_cursor}`; `next_cursor` is null on the last page.
#[derive(Serialize)]
pub struct Items<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T> Items<T> {
    /// A list that is never paged.
    pub fn all(items: Vec<T>) -> Self {
        Items {
            items,
            next_cursor: None,
        }
    }
}

/// `{status}`: work accepted, or a step done, in words.
#[derive(Serialize, utoipa::ToSchema)]
pub struct StatusReply {
    pub status: &'static str,
}

/// A user as they see themselves (email included).
#[derive(Serialize, utoipa::ToSchema)]
pub struct MeView {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub email_verified: bool,
    pub role: crate::accounts::Role,
    pub locale: Option<String>,
    pub level: i16,
    pub honor: i32,
    pub title: Option<String>,
    /// Until when a sanction is in force, if one is.
    pub silenced_until: Option<DateTime<Utc>>,
    pub joined_at: DateTime<Utc>,
    pub notify_reply: String,
    pub notify_mention: String,
    pub notify_subscribed: String,
    pub notify_status: String,
    pub digest_weekly: bool,
}

impl From<&User> for MeView {
    fn from(u: &User) -> Self {
        MeView {
            id: u.id,
            username: u.username.clone(),
            email: u.email.clone(),
            email_verified: u.is_verified(),
            role: u.role,
            locale: u.locale.clone(),
            level: u.level,
            honor: u.honor,
            title: u.title.clone(),
            silenced_until: u.silenced_until,
            joined_at: u.created_at,
            notify_reply: u.notify_reply.clone(),
            notify_mention: u.notify_mention.clone(),
            notify_subscribed: u.notify_subscribed.clone(),
            notify_status: u.notify_status.clone(),
            digest_weekly: u.digest_weekly,
        }
    }
}
