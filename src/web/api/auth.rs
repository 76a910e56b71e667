//! `/api/v1/auth/*`: register, verify, login, logout, password reset.

use super::MeView;
use crate::accounts::{self, Registration};
use crate::web::errors::AppError;
use crate::web::extract::{self, expired_session_cookie, session_cookie, ClientIp, CurrentUser};
use crate::web::AppState;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/auth/register", web::post().to(register))
        .route("/auth/verify", web::post().to(verify))
        .route("/auth/resend-verification", web::post().to(resend))
        .route("/auth/login", web::post().to(login))
        .route("/auth/logout", web::post().to(logout))
        .route("/auth/logout-all", web::post().to(logout_all))
        .route("/auth/password-reset", web::post().to(password_reset));
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterBody {
    username: String,
    email: String,
    password: String,
    accept_privacy: bool,
    locale: Option<String>,
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
    let pending = json!({ "user": {
        "username": reg.username.as_str(),
        "email": reg.email.as_str(),
        "email_verified": false,
    }, "status": "check_your_mail" });
    accounts::register(&mut conn, &state.accounts_ctx(), reg, &ip.0).await?;
    Ok(HttpResponse::Created().json(pending))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenBody {
    token: String,
}

async fn verify(
    state: web::Data<AppState>,
    body: web::Json<TokenBody>,
) -> Result<HttpResponse, AppError> {
    let mut conn = crate::db::get(&state.pool).await?;
    let user = accounts::verify_email(&mut conn, &state.accounts_ctx(), &body.token).await?;
    Ok(HttpResponse::Ok().json(json!({ "user": MeView::from(&user) })))
}

async fn resend(state: web::Data<AppState>, me: CurrentUser) -> Result<HttpResponse, AppError> {
    let mut conn = crate::db::get(&state.pool).await?;
    accounts::resend_verification(&mut conn, &state.accounts_ctx(), &me.0.user).await?;
    Ok(HttpResponse::Accepted().finish())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginBody {
    login: String,
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
        .json(json!({ "token": token, "user": MeView::from(&user), "csrf_token": csrf })))
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
#[derive(Deserialize)]
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
            Ok(HttpResponse::Accepted()
                .json(json!({ "status": "if the address has an account, a link is on its way" })))
        }
        ResetBody {
            email: None,
            token: Some(token),
            password: Some(password),
        } => {
            accounts::reset_password(&mut conn, &ctx, &token, &password).await?;
            Ok(HttpResponse::Ok().json(json!({ "status": "password changed" })))
        }
        _ => Err(AppError::field(
            "email",
            "send either {email} or {token, password}",
        )),
    }
}
