//! `/api/v1/me`: the signed-in user's own account.

use super::MeView;
use crate::accounts::{self, Locale};
use crate::rights;
use crate::web::errors::AppError;
use crate::web::extract::{self, AdminUser, ClientIp, CurrentUser};
use crate::web::AppState;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/me", web::get().to(me))
        .route("/me", web::patch().to(update))
        .route("/me/password", web::post().to(change_password))
        .route("/me/sessions", web::get().to(sessions))
        .route("/me", web::delete().to(erase))
        .route("/me/consent", web::post().to(consent))
        .route("/me/export", web::get().to(export))
        .route("/me/export", web::post().to(export_by_mail))
        .route("/admin/users/{username}/erase", web::post().to(admin_erase));
}

async fn me(req: HttpRequest, state: web::Data<AppState>, me: CurrentUser) -> HttpResponse {
    let mut view = serde_json::to_value(MeView::from(&me.0.user)).unwrap_or_default();
    // Cookie clients need it for unsafe calls; bearer clients may ignore it.
    view["csrf_token"] = json!(extract::csrf_token(&req));
    let current = &state.settings.privacy_policy_version;
    view["privacy_policy_version"] = json!(current);
    view["consent_required"] = json!(rights::consent::needs_renewal(&me.0.user, current));
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

/// Everything Chorus holds about the signed-in person, as a JSON download. Large ones are built
/// by a job instead (`POST /api/v1/me/export`): a GET must not queue work.
async fn export(state: web::Data<AppState>, me: CurrentUser) -> Result<HttpResponse, AppError> {
    let mut conn = crate::db::get(&state.pool).await?;
    if rights::mailed_export::rows(&mut conn, me.0.user.id).await?
        > state.settings.rights.export_inline_max_rows
    {
        return Err(AppError::Forbidden {
            code: "export_by_mail",
            message: "Your export is large: ask for it with POST /api/v1/me/export and we will mail you a link.".into(),
        });
    }
    let doc = crate::rights::export::export(&mut conn, me.0.user.id, state.clock.now()).await?;
    Ok(HttpResponse::Ok()
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"chorus-{}.json\"", me.0.user.id),
        ))
        .json(doc))
}

/// Queues a full export; a link to it is mailed when it is ready.
async fn export_by_mail(
    state: web::Data<AppState>,
    me: CurrentUser,
) -> Result<HttpResponse, AppError> {
    let mut conn = crate::db::get(&state.pool).await?;
    crate::rights::mailed_export::request(&mut conn, me.0.user.id, state.clock.now()).await?;
    Ok(HttpResponse::Accepted().json(json!({ "status": "queued" })))
}

/// One pending export per person: asking again while one is being built changes nothing.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EraseBody {
    password: String,
}

/// Erases the signed-in person's account (password required); posts stay, anonymised.
async fn erase(
    state: web::Data<AppState>,
    me: CurrentUser,
    body: web::Json<EraseBody>,
) -> Result<HttpResponse, AppError> {
    let mut conn = crate::db::get(&state.pool).await?;
    accounts::confirm_password(
        &mut conn,
        &state.accounts_ctx(),
        &me.0.user,
        &body.password,
        "password",
    )
    .await?;
    rights::erasure::erase(
        &mut conn,
        &state.settings,
        me.0.user.id,
        rights::erasure::Requester::Own,
        state.clock.now(),
    )
    .await?;
    Ok(HttpResponse::NoContent()
        .cookie(crate::web::extract::expired_session_cookie())
        .finish())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsentBody {
    version: String,
}

/// Accepts the current privacy policy; naming the version makes sure the person saw that one.
async fn consent(
    state: web::Data<AppState>,
    me: CurrentUser,
    body: web::Json<ConsentBody>,
) -> Result<HttpResponse, AppError> {
    let current = &state.settings.privacy_policy_version;
    if body.version != *current {
        return Err(AppError::field(
            "version",
            "is not the current privacy policy",
        ));
    }
    let mut conn = crate::db::get(&state.pool).await?;
    rights::consent::accept(&mut conn, me.0.user.id, current, state.clock.now()).await?;
    let user = accounts::users::by_id(&mut conn, me.0.user.id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(HttpResponse::Ok().json(MeView::from(&user)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdminEraseBody {
    reason: String,
}

/// An admin erases someone's account (a legal request, a person who lost access); audited.
async fn admin_erase(
    state: web::Data<AppState>,
    admin: AdminUser,
    ip: ClientIp,
    username: web::Path<String>,
    body: web::Json<AdminEraseBody>,
) -> Result<HttpResponse, AppError> {
    let mut conn = crate::db::get(&state.pool).await?;
    let name = rights::erasure::erase_by_admin(
        &mut conn,
        &state.settings,
        &admin.0.user,
        &ip.0,
        &username,
        &body.reason,
        state.clock.now(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(json!({ "username": name, "erased": true })))
}
