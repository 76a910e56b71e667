//! Extractors: who is asking (session cookie or bearer token), from where, in which language.

use super::errors::AppError;
use super::AppState;
use crate::accounts::{sessions, Locale, Role, User};
use crate::db;
use actix_web::cookie::{time, Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;

pub const SESSION_COOKIE: &str = "chorus_session";
pub const CSRF_COOKIE: &str = "chorus_csrf";
pub const LANG_COOKIE: &str = "chorus_lang";

/// The signed-in user, if any. Resolved once per request and cached in the request extensions.
#[derive(Clone)]
pub struct Viewer(pub Option<Authed>);

#[derive(Clone)]
pub struct Authed {
    pub user: User,
    pub session_id: i64,
    /// How the request authenticated; logout clears the cookie only for cookie sessions.
    pub via_cookie: bool,
}

/// A signed-in user; 401 otherwise.
pub struct CurrentUser(pub Authed);

/// A signed-in user whose email address is verified; 403 `email_unverified` otherwise.
pub struct VerifiedUser(pub Authed);

fn state(req: &HttpRequest) -> Result<web::Data<AppState>, AppError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("app state missing")))
}

/// The credential presented: a bearer token wins over the cookie.
fn presented_token(req: &HttpRequest) -> Option<(String, bool)> {
    if let Some(v) = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        if let Some(t) = v
            .strip_prefix("Bearer ")
            .or_else(|| v.strip_prefix("bearer "))
        {
            return Some((t.trim().to_string(), false));
        }
    }
    req.cookie(SESSION_COOKIE)
        .map(|c| (c.value().to_string(), true))
}

/// The viewer of a request, for middleware (handlers use the extractor).
pub async fn viewer_of(req: &HttpRequest) -> Result<Viewer, AppError> {
    resolve(req.clone()).await
}

async fn resolve(req: HttpRequest) -> Result<Viewer, AppError> {
    if let Some(v) = req.extensions().get::<Viewer>() {
        return Ok(v.clone());
    }
    let viewer = match presented_token(&req) {
        None => Viewer(None),
        Some((token, via_cookie)) => {
            let st = state(&req)?;
            let mut conn = db::get(&st.pool).await?;
            let found = sessions::lookup(&mut conn, &token, st.clock.now()).await?;
            Viewer(found.map(|(s, user)| Authed {
                user,
                session_id: s.id,
                via_cookie,
            }))
        }
    };
    req.extensions_mut().insert(viewer.clone());
    Ok(viewer)
}

type Fut<T> = Pin<Box<dyn Future<Output = Result<T, AppError>>>>;

impl FromRequest for Viewer {
    type Error = AppError;
    type Future = Fut<Self>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        Box::pin(resolve(req.clone()))
    }
}

impl FromRequest for CurrentUser {
    type Error = AppError;
    type Future = Fut<Self>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            resolve(req)
                .await?
                .0
                .map(CurrentUser)
                .ok_or(AppError::Unauthorized)
        })
    }
}

impl FromRequest for VerifiedUser {
    type Error = AppError;
    type Future = Fut<Self>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let a = resolve(req).await?.0.ok_or(AppError::Unauthorized)?;
            if !a.user.is_verified() {
                return Err(AppError::Forbidden {
                    code: "email_unverified",
                    message: "Verify your email address before posting.".into(),
                });
            }
            Ok(VerifiedUser(a))
        })
    }
}

/// A signed-in admin.
pub struct AdminUser(pub Authed);

impl FromRequest for AdminUser {
    type Error = AppError;
    type Future = Fut<Self>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let a = resolve(req).await?.0.ok_or(AppError::Unauthorized)?;
            match a.user.role() {
                Role::Admin => Ok(AdminUser(a)),
                _ => Err(AppError::Forbidden {
                    code: "forbidden",
                    message: "Admins only.".into(),
                }),
            }
        })
    }
}

/// A signed-in moderator or admin; 403 otherwise.
pub struct StaffUser(pub Authed);

impl FromRequest for StaffUser {
    type Error = AppError;
    type Future = Fut<Self>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let a = resolve(req).await?.0.ok_or(AppError::Unauthorized)?;
            if a.user.role().is_staff() {
                Ok(StaffUser(a))
            } else {
                Err(AppError::Forbidden {
                    code: "forbidden",
                    message: "Moderators only.".into(),
                })
            }
        })
    }
}

/// The client's address: the socket peer, or the `X-Forwarded-For` hop a trusted proxy reports.
/// A client cannot choose its own rate-limit key by sending the header itself.
#[derive(Debug, Clone)]
pub struct ClientIp(pub String);

impl ClientIp {
    pub fn of(req: &HttpRequest, trusted: &[IpAddr]) -> ClientIp {
        let peer = req.peer_addr().map(|a| a.ip());
        let Some(peer) = peer else {
            return ClientIp("unknown".into());
        };
        if !trusted.contains(&peer) {
            return ClientIp(peer.to_string());
        }
        // Walk the chain from the right, skipping our own proxies; the first other hop is the client.
        let chain: Vec<IpAddr> = req
            .headers()
            .get_all("x-forwarded-for")
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|s| s.trim().parse().ok())
            .collect();
        let client = chain
            .iter()
            .rev()
            .find(|ip| !trusted.contains(ip))
            .copied()
            .unwrap_or(peer);
        ClientIp(client.to_string())
    }
}

impl FromRequest for ClientIp {
    type Error = AppError;
    type Future = std::future::Ready<Result<Self, AppError>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let trusted = state(req)
            .map(|s| s.settings.trusted_proxies.clone())
            .unwrap_or_default();
        std::future::ready(Ok(ClientIp::of(req, &trusted)))
    }
}

/// One search counted against the caller's address (`rate_limits.search_per_ip`); a handler
/// that takes it answers 429 past the limit. Searching is the costliest read we serve.
pub struct SearchQuota;

impl FromRequest for SearchQuota {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = state(&req)?;
            let ip = ClientIp::of(&req, &state.settings.trusted_proxies);
            let mut conn = db::get(&state.pool).await?;
            match crate::rate_limits::hit(
                &mut conn,
                &format!("search:ip:{}", ip.0),
                state.settings.rate_limits.search_per_ip,
                state.clock.now(),
            )
            .await?
            {
                Ok(()) => Ok(SearchQuota),
                Err(r) => Err(AppError::RateLimited {
                    retry_after_secs: r.retry_after_secs,
                }),
            }
        })
    }
}

/// The language chosen by cookie, then `Accept-Language`, then the configured default.
pub fn locale_without_user(req: &HttpRequest, state: Option<&AppState>) -> Locale {
    req.cookie(LANG_COOKIE)
        .and_then(|c| Locale::parse(c.value()))
        .or_else(|| {
            req.headers()
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(Locale::negotiate)
        })
        .or_else(|| state.and_then(|s| Locale::parse(&s.settings.default_locale)))
        .unwrap_or(Locale::ZhCn)
}

/// A signed-in user's own setting wins over everything else.
pub fn locale_for(req: &HttpRequest, viewer: &Viewer) -> Locale {
    viewer
        .0
        .as_ref()
        .and_then(|a| a.user.locale())
        .unwrap_or_else(|| {
            locale_without_user(
                req,
                req.app_data::<web::Data<AppState>>().map(|d| d.get_ref()),
            )
        })
}

/// The CSRF token of this visitor (from the cookie, or freshly made by the middleware), for
/// forms to embed.
#[derive(Clone)]
pub struct CsrfToken(pub String);

pub fn csrf_token(req: &HttpRequest) -> String {
    req.extensions()
        .get::<CsrfToken>()
        .map(|t| t.0.clone())
        .unwrap_or_default()
}

pub fn user_agent(req: &HttpRequest) -> String {
    req.headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

/// The session cookie: HttpOnly, SameSite=Lax, Secure behind HTTPS.
pub fn session_cookie(state: &AppState, token: String) -> Cookie<'static> {
    Cookie::build(SESSION_COOKIE, token)
        .path("/")
        .http_only(true)
        .secure(state.settings.is_https())
        .same_site(SameSite::Lax)
        .max_age(time::Duration::days(state.settings.session_days))
        .finish()
}

pub fn expired_session_cookie() -> Cookie<'static> {
    let mut c = Cookie::build(SESSION_COOKIE, "")
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .finish();
    c.make_removal();
    c
}
