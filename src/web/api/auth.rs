//! `/api/v1/auth/*`: register, verify, login, logout, password reset.

use super::MeView;
use crate::accounts::{self, Registration};
use crate::web::errors::AppError;
use crate::web::extract::{self, expired_session_cookie, session_cookie, ClientIp, CurrentUser};
use crate::web::AppState;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/auth/register", web::post().to(register))
        .route("/auth/verify", web::post().to(verify))
        .route("/auth/resend-verification", web::post().to(resend))
        .route("/auth/login", web::post().to(login))
        .route("/auth/logout", web::post().to(logout))
        .route("/auth/logout-all", web::post().to(logout_all))
        .route("/auth/password-reset", web::post().to(password_reset));
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterBody {
    /// 3–32 letters (any script), digits, `_` or `-`.
    #[schema(min_length = 3, max_length = 32, example = "米粉_Alice")]
    username: String,
    #[schema(max_length = 254, example = "alice@example.com")]
    email: String,
    #[schema(min_length = 8, max_length = 128, example = "a-long-passphrase")]
    password: String,
    /// Must be true.
    accept_privacy: bool,
    #[schema(value_type = Option<crate::fields::Locale>, inline)]
    locale: Option<String>,
}

/// What registering answers, whether the address was new or taken.
#[derive(Serialize, ToSchema)]
pub struct Pending {
    pub user: PendingUser,
    pub status: &'static str,
}

#[derive(Serialize, ToSchema)]
pub struct PendingUser {
    pub username: String,
    pub email: String,
    pub email_verified: bool,
}

#[derive(Serialize, ToSchema)]
pub struct UserReply {
    pub user: MeView,
}

#[derive(Serialize, ToSchema)]
pub struct LoginReply {
    /// Bearer token for `Authorization: Bearer …`.
    pub token: String,
    pub user: MeView,
    /// For cookie clients' unsafe calls (`X-CSRF-Token`).
    pub csrf_token: String,
}

async fn register(
    state: web::Data<AppState>,
    ip: ClientIp,
    body: web::Json<RegisterBody>,
) -> Result<HttpResponse, AppError> {
    let b = body.into_inner();
    let mut reg = Registration::parse(&b.username, &b.email, &b.password, b.accept_privacy)
        .map_err(AppError::invalid)?;
    reg.locale = b.locale.as_deref().and_then(accounts::Locale::parse);
    let mut conn = crate::db::get(&state.pool).await?;
    // A new account and a taken address answer byte for byte alike (see `Registered`).
    let pending = Pending {
        user: PendingUser {
            username: reg.username.as_str().to_string(),
            email: reg.email.as_str().to_string(),
            email_verified: false,
        },
        status: "check_your_mail",
    };
    accounts::register(&mut conn, &state.accounts_ctx(), reg, &ip.0).await?;
    Ok(HttpResponse::Created().json(pending))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenBody {
    #[schema(max_length = 200)]
    token: String,
}

async fn verify(
    state: web::Data<AppState>,
    body: web::Json<TokenBody>,
) -> Result<HttpResponse, AppError> {
    let mut conn = crate::db::get(&state.pool).await?;
    let user = accounts::verify_email(&mut conn, &state.accounts_ctx(), &body.token).await?;
    Ok(HttpResponse::Ok().json(UserReply {
        user: MeView::from(&user),
    }))
}

async fn resend(state: web::Data<AppState>, me: CurrentUser) -> Result<HttpResponse, AppError> {
    let mut conn = crate::db::get(&state.pool).await?;
    accounts::resend_verification(&mut conn, &state.accounts_ctx(), &me.0.user).await?;
    Ok(HttpResponse::Accepted().json(super::StatusReply { status: "sent" }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginBody {
    /// Username or email.
    #[schema(max_length = 254)]
    login: String,
    #[schema(max_length = 128)]
    password: String,
}

async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    ip: ClientIp,
    body: web::Json<LoginBody>,
) -> Result<HttpResponse, AppError> {
    if body.password.chars().count() > 128 {
        return Err(AppError::InvalidCredentials);
    }
    let mut conn = crate::db::get(&state.pool).await?;
    let (user, token) = accounts::login(
        &mut conn,
        &state.accounts_ctx(),
        &body.login,
        &body.password,
        &ip.0,
        &extract::user_agent(&req),
    )
    .await?;
    let csrf = extract::csrf_token(&req);
    Ok(HttpResponse::Ok()
        .cookie(session_cookie(&state, token.clone()))
        .json(LoginReply {
            user: MeView::from(&user),
            token,
            csrf_token: csrf,
        }))
}

async fn logout(state: web::Data<AppState>, me: CurrentUser) -> Result<HttpResponse, AppError> {
    let mut conn = crate::db::get(&state.pool).await?;
    accounts::sessions::delete(&mut conn, me.0.session_id).await?;
    Ok(HttpResponse::NoContent()
        .cookie(expired_session_cookie())
        .finish())
}

async fn logout_all(state: web::Data<AppState>, me: CurrentUser) -> Result<HttpResponse, AppError> {
    let mut conn = crate::db::get(&state.pool).await?;
    accounts::sessions::delete_all_for_user(&mut conn, me.0.user.id, None).await?;
    Ok(HttpResponse::NoContent()
        .cookie(expired_session_cookie())
        .finish())
}

/// `{email}` asks for a link (always 202); `{token, password}` sets the new password (200).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetBody {
    email: Option<String>,
    token: Option<String>,
    password: Option<String>,
}

async fn password_reset(
    state: web::Data<AppState>,
    ip: ClientIp,
    body: web::Json<ResetBody>,
) -> Result<HttpResponse, AppError> {
    let mut conn = crate::db::get(&state.pool).await?;
    let ctx = state.accounts_ctx();
    match body.into_inner() {
        ResetBody {
            email: Some(email),
            token: None,
            password: None,
        } => {
            accounts::request_password_reset(&mut conn, &ctx, &email, &ip.0).await?;
            Ok(HttpResponse::Accepted().json(super::StatusReply {
                status: "if the address has an account, a link is on its way",
            }))
        }
        ResetBody {
            email: None,
            token: Some(token),
            password: Some(password),
        } => {
            accounts::reset_password(&mut conn, &ctx, &token, &password).await?;
            Ok(HttpResponse::Ok().json(super::StatusReply {
                status: "password changed",
            }))
        }
        _ => Err(AppError::field(
            "email",
            "send either {email} or {token, password}",
        )),
    }
}
