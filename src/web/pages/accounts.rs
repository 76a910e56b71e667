//! Account pages: register, login, logout, verify, password reset, settings, language.

use super::{redirect, safe_next, PageCtx, SignedIn};
use crate::accounts::{self, AccountError, Locale, Registration};
use crate::web::errors::AppError;
use crate::web::extract::{self, ClientIp, LANG_COOKIE};
use crate::web::extract::{expired_session_cookie, session_cookie};
use actix_web::cookie::{time, Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use minijinja::Value;
use serde::Deserialize;
use std::collections::BTreeMap;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/register", web::get().to(register_form))
        .route("/register", web::post().to(register))
        .route("/login", web::get().to(login_form))
        .route("/login", web::post().to(login))
        .route("/logout", web::post().to(logout))
        .route("/verify", web::get().to(verify_form))
        .route("/verify", web::post().to(verify))
        .route("/reset-password", web::get().to(reset_form))
        .route("/reset-password", web::post().to(reset_request))
        .route("/reset-password/confirm", web::post().to(reset_confirm))
        .route("/settings", web::get().to(settings))
        .route("/settings/password", web::post().to(change_password))
        .route("/settings/logout-all", web::post().to(logout_all))
        .route("/settings/export", web::post().to(export_by_mail))
        .route("/settings/erase", web::post().to(erase))
        .route("/settings/resend", web::post().to(resend))
        .route("/settings/language", web::post().to(language))
        .route(
            "/settings/notifications",
            web::post().to(notification_settings),
        )
        .route("/settings/appearance", web::post().to(appearance));
}

/// Turns a domain failure into messages on the form, or passes it on as an error page.
fn form_errors(e: AccountError) -> Result<(StatusCode, BTreeMap<String, String>), AppError> {
    let app: AppError = e.into();
    let status = actix_web::ResponseError::status_code(&app);
    let fields = match &app {
        AppError::Invalid { fields, .. } | AppError::Conflict { fields, .. }
            if !fields.is_empty() =>
        {
            fields.clone()
        }
        AppError::InvalidCredentials | AppError::BadRequest { .. } | AppError::Conflict { .. } => {
            BTreeMap::from([("form".to_string(), app.code().to_string())])
        }
        // The suspension's reason is for the account holder to read, as written.
        AppError::Forbidden {
            code: "suspended",
            message,
        } => BTreeMap::from([("form_text".to_string(), message.clone())]),
        _ => return Err(app),
    };
    Ok((status, fields))
}

async fn register_form(page: PageCtx) -> Result<HttpResponse, AppError> {
    page.render(
        "register.html",
        minijinja::context! { values => Value::from(()), errors => Value::from(()) },
    )
}

#[derive(Deserialize)]
pub struct RegisterForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    accept_privacy: Option<String>,
}

async fn register(
    page: PageCtx,
    ip: ClientIp,
    form: web::Form<RegisterForm>,
) -> Result<HttpResponse, AppError> {
    let f = form.into_inner();
    let values = minijinja::context! { username => &f.username, email => &f.email, accept_privacy => f.accept_privacy.is_some() };
    let outcome = match Registration::parse(
        &f.username,
        &f.email,
        &f.password,
        f.accept_privacy.is_some(),
    ) {
        Err(errs) => Err(AccountError::Invalid(errs)),
        Ok(mut reg) => {
            reg.locale = Some(page.lang);
            let email = reg.email.as_str().to_string();
            let mut conn = crate::db::get(&page.state.pool).await?;
            accounts::register(&mut conn, &page.state.accounts_ctx(), reg, &ip.0)
                .await
                .map(|_| email)
        }
    };
    match outcome {
        // Not signed in, whichever happened: signing in a new account would tell it apart from a
        // taken address. The mailed link signs the new account in.
        Ok(email) => page.render("register.html", minijinja::context! { sent => email }),
        Err(e) => {
            let (status, errors) = form_errors(e)?;
            page.render_status(
                status,
                "register.html",
                minijinja::context! { values => values, errors => errors },
            )
        }
    }
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
    reset: Option<String>,
}

async fn login_form(page: PageCtx, q: web::Query<NextQuery>) -> Result<HttpResponse, AppError> {
    page.render(
        "login.html",
        minijinja::context! { next => safe_next(q.next.as_deref()), reset_done => q.reset.is_some(), values => Value::from(()), errors => Value::from(()) },
    )
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

async fn login(
    page: PageCtx,
    req: HttpRequest,
    ip: ClientIp,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, AppError> {
    let f = form.into_inner();
    let next = safe_next(f.next.as_deref());
    let mut conn = crate::db::get(&page.state.pool).await?;
    let result = if f.password.chars().count() > 128 {
        Err(AccountError::BadCredentials)
    } else {
        accounts::login(
            &mut conn,
            &page.state.accounts_ctx(),
            &f.login,
            &f.password,
            &ip.0,
            &extract::user_agent(&req),
        )
        .await
    };
    match result {
        Ok((_, token)) => Ok(HttpResponse::SeeOther()
            .cookie(session_cookie(&page.state, token))
            .insert_header(("Location", next))
            .finish()),
        Err(e) => {
            let (status, errors) = form_errors(e)?;
            page.render_status(
                status,
                "login.html",
                minijinja::context! { next => next, values => minijinja::context! { login => &f.login }, errors => errors },
            )
        }
    }
}

async fn logout(page: PageCtx) -> Result<HttpResponse, AppError> {
    if let Some(a) = &page.viewer.0 {
        let mut conn = crate::db::get(&page.state.pool).await?;
        accounts::sessions::delete(&mut conn, a.session_id).await?;
    }
    Ok(HttpResponse::SeeOther()
        .cookie(expired_session_cookie())
        .insert_header(("Location", "/"))
        .finish())
}

#[derive(Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

/// Showing the link changes nothing (mail scanners fetch links); only the button's POST does.
async fn verify_form(page: PageCtx, q: web::Query<TokenQuery>) -> Result<HttpResponse, AppError> {
    page.render(
        "verify.html",
        minijinja::context! { token => &q.token, done => false },
    )
}

async fn verify(
    page: PageCtx,
    req: HttpRequest,
    form: web::Form<TokenQuery>,
) -> Result<HttpResponse, AppError> {
    let mut conn = crate::db::get(&page.state.pool).await?;
    let ctx = page.state.accounts_ctx();
    match accounts::verify_email(&mut conn, &ctx, &form.token).await {
        // The link proves the mailbox, as a reset link does: it signs in whoever is not yet.
        Ok(user) if page.viewer.0.is_none() => {
            let days = chrono::Duration::days(page.state.settings.session_days);
            let token = accounts::sessions::create(
                &mut conn,
                user.id,
                &extract::user_agent(&req),
                days,
                ctx.now,
            )
            .await?;
            Ok(HttpResponse::SeeOther()
                .cookie(session_cookie(&page.state, token))
                .insert_header(("Location", "/settings?welcome=1"))
                .finish())
        }
        Ok(_) => page.render("verify.html", minijinja::context! { done => true }),
        Err(e) => {
            let (status, errors) = form_errors(e)?;
            page.render_status(
                status,
                "verify.html",
                minijinja::context! { done => false, errors => errors },
            )
        }
    }
}

async fn reset_form(page: PageCtx, q: web::Query<TokenQuery>) -> Result<HttpResponse, AppError> {
    page.render(
        "reset.html",
        minijinja::context! { token => &q.token, sent => false },
    )
}

#[derive(Deserialize)]
pub struct ResetRequestForm {
    #[serde(default)]
    email: String,
}

async fn reset_request(
    page: PageCtx,
    ip: ClientIp,
    form: web::Form<ResetRequestForm>,
) -> Result<HttpResponse, AppError> {
    let mut conn = crate::db::get(&page.state.pool).await?;
    match accounts::request_password_reset(
        &mut conn,
        &page.state.accounts_ctx(),
        &form.email,
        &ip.0,
    )
    .await
    {
        Ok(()) => page.render("reset.html", minijinja::context! { sent => true }),
        Err(e) => {
            let (status, errors) = form_errors(e)?;
            page.render_status(
                status,
                "reset.html",
                minijinja::context! { sent => false, email => &form.email, errors => errors },
            )
        }
    }
}

#[derive(Deserialize)]
pub struct ResetConfirmForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    password: String,
}

async fn reset_confirm(
    page: PageCtx,
    form: web::Form<ResetConfirmForm>,
) -> Result<HttpResponse, AppError> {
    let mut conn = crate::db::get(&page.state.pool).await?;
    match accounts::reset_password(
        &mut conn,
        &page.state.accounts_ctx(),
        &form.token,
        &form.password,
    )
    .await
    {
        Ok(_) => Ok(HttpResponse::SeeOther()
            .cookie(expired_session_cookie())
            .insert_header(("Location", "/login?reset=1"))
            .finish()),
        Err(e) => {
            let (status, errors) = form_errors(e)?;
            page.render_status(
                status,
                "reset.html",
                minijinja::context! { token => &form.token, sent => false, errors => errors },
            )
        }
    }
}

#[derive(Deserialize)]
pub struct SettingsQuery {
    welcome: Option<String>,
    done: Option<String>,
}

async fn settings(
    SignedIn { page, me }: SignedIn,
    q: web::Query<SettingsQuery>,
) -> Result<HttpResponse, AppError> {
    settings_page(
        &page,
        &me,
        StatusCode::OK,
        q.welcome.is_some(),
        q.done.as_deref(),
        BTreeMap::new(),
    )
    .await
}

async fn settings_page(
    page: &PageCtx,
    me: &crate::web::extract::Authed,
    status: StatusCode,
    welcome: bool,
    done: Option<&str>,
    errors: BTreeMap<String, String>,
) -> Result<HttpResponse, AppError> {
    let mut conn = crate::db::get(&page.state.pool).await?;
    let now = page.state.clock.now();
    let sessions = accounts::sessions::list_for_user(&mut conn, me.user.id, now).await?;
    let export = crate::rights::mailed_export::status(&mut conn, me.user.id, now).await?;
    let consents: Vec<Value> = crate::rights::consent::history(&mut conn, me.user.id)
        .await?
        .into_iter()
        .map(|(version, at)| minijinja::context! { version => version, at => at.format("%Y-%m-%d").to_string() })
        .collect();
    let sessions: Vec<Value> = sessions
        .iter()
        .map(|s| {
            minijinja::context! {
                user_agent => &s.user_agent,
                last_seen_at => s.last_seen_at.to_rfc3339(),
                current => s.id == me.session_id,
            }
        })
        .collect();
    page.render_status(
        status,
        "settings.html",
        minijinja::context! {
            account => minijinja::context! {
                username => &me.user.username,
                email => &me.user.email,
                verified => me.user.is_verified(),
                locale => me.user.locale.as_deref().unwrap_or(""),
                notify_reply => &me.user.notify_reply,
                notify_mention => &me.user.notify_mention,
                notify_subscribed => &me.user.notify_subscribed,
                notify_status => &me.user.notify_status,
                digest_weekly => me.user.digest_weekly,
                color_scheme => me.user.color_scheme.as_str(),
                time_zone => me.user.time_zone.as_deref().unwrap_or(""),
            },
            schemes => crate::fields::ColorScheme::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
            zones => crate::local_time::COMMON_ZONES.to_vec(),
            default_zone => crate::local_time::default_zone(page.lang).name(),
            sessions => sessions,
            consents => consents,
            export_pending => export.pending,
            export_until => export.link_until.map(|t| t.to_rfc3339()),
            welcome => welcome,
            done => done,
            errors => errors,
        },
    )
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
}

async fn change_password(
    SignedIn { page, me }: SignedIn,
    form: web::Form<PasswordForm>,
) -> Result<HttpResponse, AppError> {
    let mut conn = crate::db::get(&page.state.pool).await?;
    let r = accounts::change_password(
        &mut conn,
        &page.state.accounts_ctx(),
        &me.user,
        me.session_id,
        &form.current_password,
        &form.new_password,
    )
    .await;
    match r {
        Ok(()) => Ok(redirect("/settings?done=password")),
        Err(e) => {
            let (status, errors) = form_errors(e)?;
            settings_page(&page, &me, status, false, None, errors).await
        }
    }
}

async fn logout_all(page: PageCtx) -> Result<HttpResponse, AppError> {
    if let Some(me) = &page.viewer.0 {
        let mut conn = crate::db::get(&page.state.pool).await?;
        accounts::sessions::delete_all_for_user(&mut conn, me.user.id, None).await?;
    }
    Ok(HttpResponse::SeeOther()
        .cookie(expired_session_cookie())
        .insert_header(("Location", "/login"))
        .finish())
}

async fn resend(SignedIn { page, me }: SignedIn) -> Result<HttpResponse, AppError> {
    let mut conn = crate::db::get(&page.state.pool).await?;
    match accounts::resend_verification(&mut conn, &page.state.accounts_ctx(), &me.user).await {
        Ok(()) => Ok(redirect("/settings?done=resent")),
        Err(AccountError::AlreadyVerified) => Ok(redirect("/settings")),
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct LanguageForm {
    #[serde(default)]
    lang: String,
    back: Option<String>,
}

/// Anyone may switch language (a cookie); a signed-in user's choice is also saved to the account.
async fn language(page: PageCtx, form: web::Form<LanguageForm>) -> Result<HttpResponse, AppError> {
    let locale =
        Locale::parse(&form.lang).ok_or_else(|| AppError::field("lang", "must be zh-CN or en"))?;
    if let Some(me) = &page.viewer.0 {
        let mut conn = crate::db::get(&page.state.pool).await?;
        accounts::users::set_locale(&mut conn, me.user.id, Some(locale), page.state.clock.now())
            .await?;
    }
    let cookie = Cookie::build(LANG_COOKIE, locale.as_str())
        .path("/")
        .same_site(SameSite::Lax)
        .http_only(true)
        .max_age(time::Duration::days(365))
        .finish();
    Ok(HttpResponse::SeeOther()
        .cookie(cookie)
        .insert_header(("Location", safe_next(form.back.as_deref())))
        .finish())
}

#[derive(Deserialize)]
pub struct NotificationForm {
    #[serde(default)]
    notify_reply: String,
    #[serde(default)]
    notify_mention: String,
    #[serde(default)]
    notify_subscribed: String,
    #[serde(default)]
    notify_status: String,
    digest_weekly: Option<String>,
}

async fn notification_settings(
    SignedIn { page, me }: SignedIn,
    form: web::Form<NotificationForm>,
) -> Result<HttpResponse, AppError> {
    use crate::notify::notifications::Delivery;
    let parse = |raw: &str, field: &'static str| {
        Delivery::parse(raw, field)
            .map(Delivery::as_str)
            .map_err(|e| AppError::invalid(vec![e]))
    };
    let prefs = accounts::users::Preferences {
        notify_reply: Some(parse(&form.notify_reply, "notify_reply")?),
        notify_mention: Some(parse(&form.notify_mention, "notify_mention")?),
        notify_subscribed: Some(parse(&form.notify_subscribed, "notify_subscribed")?),
        notify_status: Some(parse(&form.notify_status, "notify_status")?),
        digest_weekly: Some(form.digest_weekly.is_some()),
    };
    let mut conn = crate::db::get(&page.state.pool).await?;
    accounts::users::set_preferences(&mut conn, me.user.id, &prefs, page.state.clock.now()).await?;
    Ok(redirect("/settings?done=notifications"))
}

#[derive(Deserialize)]
pub struct AppearanceForm {
    #[serde(default)]
    color_scheme: String,
    /// An IANA zone name; empty for the language's default.
    #[serde(default)]
    time_zone: String,
}

async fn appearance(
    SignedIn { page, me }: SignedIn,
    form: web::Form<AppearanceForm>,
) -> Result<HttpResponse, AppError> {
    let scheme = crate::fields::ColorScheme::from_text(&form.color_scheme)
        .ok_or_else(|| AppError::field("color_scheme", "auto, light or dark"))?;
    let zone = match form.time_zone.trim() {
        "" => None,
        name => Some(
            crate::local_time::parse_zone(name)
                .ok_or_else(|| {
                    AppError::field("time_zone", "an IANA time zone such as Asia/Shanghai")
                })?
                .name(),
        ),
    };
    let mut conn = crate::db::get(&page.state.pool).await?;
    accounts::users::set_appearance(&mut conn, me.user.id, scheme, zone, page.state.clock.now())
        .await?;
    Ok(redirect("/settings?done=appearance"))
}

/// Asks for the full export by mail (for large accounts, or to read it later).
async fn export_by_mail(SignedIn { page, me }: SignedIn) -> Result<HttpResponse, AppError> {
    let mut conn = crate::db::get(&page.state.pool).await?;
    crate::rights::mailed_export::request(&mut conn, me.user.id, page.state.clock.now()).await?;
    Ok(redirect("/settings?done=export"))
}

#[derive(Deserialize)]
pub struct EraseForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: Option<String>,
}

/// Erases the account after the password and an explicit tick; the session ends with it.
async fn erase(
    SignedIn { page, me }: SignedIn,
    form: web::Form<EraseForm>,
) -> Result<HttpResponse, AppError> {
    if form.confirm.is_none() {
        let errors =
            BTreeMap::from([("confirm".to_string(), "tick the box to confirm".to_string())]);
        return settings_page(
            &page,
            &me,
            StatusCode::UNPROCESSABLE_ENTITY,
            false,
            None,
            errors,
        )
        .await;
    }
    let mut conn = crate::db::get(&page.state.pool).await?;
    let checked = accounts::confirm_password(
        &mut conn,
        &page.state.accounts_ctx(),
        &me.user,
        &form.password,
        "password",
    )
    .await;
    if let Err(e) = checked {
        let (status, errors) = form_errors(e)?;
        return settings_page(&page, &me, status, false, None, errors).await;
    }
    crate::rights::erasure::erase(
        &mut conn,
        &page.state.settings,
        me.user.id,
        crate::rights::erasure::Requester::Own,
        page.state.clock.now(),
    )
    .await?;
    Ok(HttpResponse::SeeOther()
        .cookie(expired_session_cookie())
        .insert_header(("Location", "/?erased=1"))
        .finish())
}
