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
        .route("/me/sessions", web::get().to(sessions))
        .route("/me/export", web::get().to(export));
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
    /// `zh-CN`, `en`, or null for "follow the browser"; absent: unchanged.
    #[serde(default, deserialize_with = "present")]
    locale: Option<Option<String>>,
    notify_reply: Option<String>,
    notify_mention: Option<String>,
    notify_subscribed: Option<String>,
    notify_status: Option<String>,
    digest_weekly: Option<bool>,
}

/// Tells "null" (Some(None)) apart from "absent" (None).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Ok(Some(Option::deserialize(d)?))
}

async fn update(
    state: web::Data<AppState>,
    me: CurrentUser,
    body: web::Json<UpdateBody>,
) -> Result<HttpResponse, AppError> {
    use crate::notify::notifications::Delivery;
    let b = body.into_inner();
    let mut errors = Vec::new();
    let locale = match b.locale {
        None => None,
        Some(None) => Some(None),
        Some(Some(raw)) => match Locale::parse(&raw) {
            Some(l) => Some(Some(l)),
            None => {
                errors.push(accounts::FieldError::new("locale", "must be zh-CN or en"));
                None
            }
        },
    };
    let mut delivery = |raw: Option<String>, field: &'static str| {
        raw.and_then(|r| Delivery::parse(&r, field).map_err(|e| errors.push(e)).ok())
            .map(Delivery::as_str)
    };
    let prefs = accounts::users::Preferences {
        notify_reply: delivery(b.notify_reply, "notify_reply"),
        notify_mention: delivery(b.notify_mention, "notify_mention"),
        notify_subscribed: delivery(b.notify_subscribed, "notify_subscribed"),
        notify_status: delivery(b.notify_status, "notify_status"),
        digest_weekly: b.digest_weekly,
    };
    if !errors.is_empty() {
        return Err(AppError::invalid(errors));
    }
    let now = state.clock.now();
    let mut conn = crate::db::get(&state.pool).await?;
    if let Some(l) = locale {
        accounts::users::set_locale(&mut conn, me.0.user.id, l, now).await?;
    }
    accounts::users::set_preferences(&mut conn, me.0.user.id, &prefs, now).await?;
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

/// Everything Chorus holds about the signed-in person, as a JSON download.
async fn export(state: web::Data<AppState>, me: CurrentUser) -> Result<HttpResponse, AppError> {
    let mut conn = crate::db::get(&state.pool).await?;
    let doc = crate::rights::export::export(&mut conn, me.0.user.id, state.clock.now()).await?;
    Ok(HttpResponse::Ok()
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"chorus-{}.json\"", me.0.user.id),
        ))
        .json(doc))
}
