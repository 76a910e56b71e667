//! `/api/v1/me`: the signed-in user's own account.

use super::MeView;
use crate::accounts::{self, Locale};
use crate::web::errors::AppError;
use crate::web::extract::{self, CurrentUser};
use crate::web::AppState;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/me", web::get().to(me))
        .route("/me", web::patch().to(update))
        .route("/me/password", web::post().to(change_password))
        .route("/me/sessions", web::get().to(sessions));
}

async fn me(req: HttpRequest, me: CurrentUser) -> HttpResponse {
    let mut view = serde_json::to_value(MeView::from(&me.0.user)).unwrap_or_default();
    // Cookie clients need it for unsafe calls; bearer clients may ignore it.
    view["csrf_token"] = json!(extract::csrf_token(&req));
    HttpResponse::Ok().json(view)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateBody {
    /// `zh-CN`, `en`, or null for "follow the browser".
    locale: Option<String>,
}

async fn update(
    state: web::Data<AppState>,
    me: CurrentUser,
    body: web::Json<UpdateBody>,
) -> Result<HttpResponse, AppError> {
    let locale = match body.locale.as_deref() {
        None => None,
        Some(raw) => Some(
            Locale::parse(raw).ok_or_else(|| AppError::field("locale", "must be zh-CN or en"))?,
        ),
    };
    let mut conn = crate::db::get(&state.pool).await?;
    accounts::users::set_locale(&mut conn, me.0.user.id, locale, state.clock.now()).await?;
    let user = accounts::users::by_id(&mut conn, me.0.user.id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(HttpResponse::Ok().json(MeView::from(&user)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordBody {
    current_password: String,
    new_password: String,
}

async fn change_password(
    state: web::Data<AppState>,
    me: CurrentUser,
    body: web::Json<PasswordBody>,
) -> Result<HttpResponse, AppError> {
    let mut conn = crate::db::get(&state.pool).await?;
    accounts::change_password(
        &mut conn,
        &state.accounts_ctx(),
        &me.0.user,
        me.0.session_id,
        &body.current_password,
        &body.new_password,
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn sessions(state: web::Data<AppState>, me: CurrentUser) -> Result<HttpResponse, AppError> {
    let mut conn = crate::db::get(&state.pool).await?;
    let list =
        accounts::sessions::list_for_user(&mut conn, me.0.user.id, state.clock.now()).await?;
    let items: Vec<_> = list
        .into_iter()
        .map(|s| {
            json!({ "id": s.id, "user_agent": s.user_agent, "created_at": s.created_at,
                         "last_seen_at": s.last_seen_at, "current": s.id == me.0.session_id })
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "items": items, "next_cursor": null })))
}
