//! `/api/v1/notifications`: the bell.

use crate::notify::notifications;
use crate::web::errors::AppError;
use crate::web::extract::CurrentUser;
use crate::web::AppState;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/notifications", web::get().to(list))
        .route("/notifications/read", web::post().to(mark_read));
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// `next_cursor` of the page before.
    #[param(max_length = 20, pattern = "^[0-9]*$")]
    cursor: Option<String>,
}

/// The bell: a page of notifications and how many are unread.
#[derive(Serialize, ToSchema)]
pub struct Bell {
    pub items: Vec<notifications::Item>,
    pub next_cursor: Option<String>,
    pub unread_count: i64,
}

#[derive(Serialize, ToSchema)]
pub struct Unread {
    pub unread_count: i64,
}

async fn list(
    state: web::Data<AppState>,
    me: CurrentUser,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let before = match q.cursor.as_deref().filter(|c| !c.is_empty()) {
        Some(c) => Some(
            c.parse::<i64>()
                .map_err(|_| AppError::field("cursor", "is not a cursor from this listing"))?,
        ),
        None => None,
    };
    let mut conn = crate::db::get(&state.pool).await?;
    let reader = crate::access::Reader::of(&mut conn, Some(&me.0.user)).await?;
    let (items, next) = notifications::list(&mut conn, &reader, before, 50).await?;
    let unread = notifications::unread_count(&mut conn, &reader).await?;
    Ok(HttpResponse::Ok().json(Bell {
        items,
        next_cursor: next.map(|n| n.to_string()),
        unread_count: unread,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadBody {
    /// Absent: all.
    #[schema(max_items = 500)]
    ids: Option<Vec<i64>>,
}

async fn mark_read(
    state: web::Data<AppState>,
    me: CurrentUser,
    body: Option<web::Json<ReadBody>>,
) -> Result<HttpResponse, AppError> {
    let ids = body.and_then(|b| b.into_inner().ids);
    if ids.as_ref().is_some_and(|i| i.len() > 500) {
        return Err(AppError::field("ids", "at most 500 at a time"));
    }
    let mut conn = crate::db::get(&state.pool).await?;
    let reader = crate::access::Reader::of(&mut conn, Some(&me.0.user)).await?;
    let unread =
        notifications::mark_read(&mut conn, &reader, ids.as_deref(), state.clock.now()).await?;
    Ok(HttpResponse::Ok().json(Unread {
        unread_count: unread,
    }))
}
