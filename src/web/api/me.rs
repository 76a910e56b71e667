//! `/api/v1/me`: the signed-in user's own account.

use super::MeView;
use crate::accounts::{self, Locale};
use crate::notify::notifications::Delivery;
use crate::rights;
use crate::web::errors::AppError;
use crate::web::extract::{self, AdminUser, ClientIp, CurrentUser};
use crate::web::AppState;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

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

/// `GET /me`: the account, and what a client needs to act as it.
#[derive(Serialize, ToSchema)]
pub struct MeReply {
    #[serde(flatten)]
    pub me: MeView,
    /// Cookie clients need it for unsafe calls; bearer clients may ignore it.
    pub csrf_token: String,
    pub privacy_policy_version: String,
    pub consent_required: bool,
}

async fn me(req: HttpRequest, state: web::Data<AppState>, me: CurrentUser) -> HttpResponse {
    let current = &state.settings.privacy_policy_version;
    HttpResponse::Ok().json(MeReply {
        me: MeView::from(&me.0.user),
        csrf_token: extract::csrf_token(&req),
        privacy_policy_version: current.clone(),
        consent_required: rights::consent::needs_renewal(&me.0.user, current),
    })
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateBody {
    /// `zh-CN`, `en`, or null for "follow the browser"; absent: unchanged.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<crate::fields::Locale>, inline)]
    locale: Option<Option<String>>,
    #[schema(value_type = Option<Delivery>, inline)]
    notify_reply: Option<String>,
    #[schema(value_type = Option<Delivery>, inline)]
    notify_mention: Option<String>,
    #[schema(value_type = Option<Delivery>, inline)]
    notify_subscribed: Option<String>,
    #[schema(value_type = Option<Delivery>, inline)]
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

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordBody {
    #[schema(max_length = 128)]
    current_password: String,
    #[schema(min_length = 8, max_length = 128)]
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
        .map(|s| SessionView {
            current: s.id == me.0.session_id,
            session: s,
        })
        .collect();
    Ok(HttpResponse::Ok().json(super::Items::all(items)))
}

#[derive(Serialize, ToSchema)]
pub struct SessionView {
    #[serde(flatten)]
    pub session: accounts::sessions::Session,
    /// The session this request came with.
    pub current: bool,
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
    Ok(HttpResponse::Accepted().json(super::StatusReply { status: "queued" }))
}

/// One pending export per person: asking again while one is being built changes nothing.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EraseBody {
    #[schema(max_length = 128)]
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

#[derive(Deserialize, ToSchema)]
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

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdminEraseBody {
    #[schema(min_length = 1, max_length = 500)]
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
    Ok(HttpResponse::Ok().json(Erased {
        username: name,
        erased: true,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct Erased {
    /// The anonymous name the account has now.
    pub username: String,
    pub erased: bool,
}
