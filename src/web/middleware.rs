//! Request-wide middleware: request id + logging + metrics + error context, and CSRF.

use super::errors::{AppError, RequestInfo, REQUEST};
use super::extract::{self, CsrfToken, CSRF_COOKIE, SESSION_COOKIE};
use super::AppState;
use actix_web::body::MessageBody;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage};
use std::time::Instant;
use tracing::Instrument;

/// The request id, readable by handlers through request extensions.
#[derive(Clone)]
pub struct RequestId(pub String);

pub async fn request_context(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .map(|d| d.get_ref().clone());
    let mut raw = [0u8; 8];
    getrandom::fill(&mut raw).ok();
    let id = hex::encode(raw);
    let info = RequestInfo {
        id: id.clone(),
        api: req.path().starts_with("/api/"),
        locale: extract::locale_without_user(req.request(), state.as_ref()),
        state: state.clone(),
    };
    req.extensions_mut().insert(RequestId(id.clone()));
    let span = tracing::info_span!("http", id = %id, method = %req.method(), path = %req.path());
    let started = Instant::now();
    let mut res = REQUEST
        .scope(info, next.call(req))
        .instrument(span.clone())
        .await?;
    let status = res.status().as_u16();
    let elapsed = started.elapsed();
    if let Some(s) = &state {
        s.metrics.observe(status, elapsed);
    }
    span.in_scope(|| tracing::info!(status, micros = elapsed.as_micros() as u64, "request"));
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut()
            .insert(HeaderName::from_static("x-request-id"), v);
    }
    Ok(res)
}

/// Every unsafe request that rides on a cookie, and every form post, must carry the visitor's
/// CSRF token (header `X-CSRF-Token`, or form field `csrf_token`) matching the `chorus_csrf`
/// cookie. Bearer-token calls need none: a browser never adds that header itself.
pub async fn csrf(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let existing = req
        .cookie(CSRF_COOKIE)
        .map(|c| c.value().to_string())
        .filter(|t| crate::accounts::tokens::well_formed(t));
    let token = existing
        .clone()
        .unwrap_or_else(|| crate::accounts::tokens::generate().0);
    req.extensions_mut().insert(CsrfToken(token.clone()));
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if unsafe_method {
        let content_type = content_type(&req);
        let urlencoded = content_type.starts_with("application/x-www-form-urlencoded");
        let is_form = urlencoded || content_type.starts_with("multipart/form-data");
        let has_session_cookie = req.cookie(SESSION_COOKIE).is_some();
        // A bearer token carries no ambient authority: a browser never adds the header itself,
        // and when it is there the cookie is not used at all (see `extract::presented_token`).
        let bearer = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.to_ascii_lowercase().starts_with("bearer "));
        if (has_session_cookie || is_form) && !bearer {
            let mut presented = req
                .headers()
                .get("x-csrf-token")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            // Multipart bodies are streamed to the handler; their forms put the token in the URL.
            if presented.is_none() && !urlencoded && is_form {
                presented = form_field(req.query_string().as_bytes(), "csrf_token");
            }
            if presented.is_none() && urlencoded {
                match req.extract::<web::Bytes>().await {
                    Ok(bytes) => {
                        presented = form_field(&bytes, "csrf_token");
                        req.set_payload(Payload::from(bytes));
                    }
                    Err(_) => {
                        return Ok(req
                            .error_response(AppError::PayloadTooLarge)
                            .map_into_right_body())
                    }
                }
            }
            let ok = matches!((&existing, &presented), (Some(a), Some(b)) if constant_time_eq(a.as_bytes(), b.as_bytes()));
            if !ok {
                let err = AppError::Forbidden {
                    code: "csrf_failed",
                    message: "This form has expired or came from another site. Reload the page and try again.".into(),
                };
                // Answered here (not returned as Err) so the error renders inside the request context.
                return Ok(req.error_response(err).map_into_right_body());
            }
        }
    }
    let https = req
        .app_data::<web::Data<AppState>>()
        .map(|s| s.settings.is_https())
        .unwrap_or(false);
    let mut res = next.call(req).await?.map_into_left_body();
    if existing.is_none() {
        let cookie = Cookie::build(CSRF_COOKIE, token)
            .path("/")
            .http_only(true)
            .secure(https)
            .same_site(SameSite::Lax)
            .finish();
        res.response_mut().add_cookie(&cookie).ok();
    }
    Ok(res)
}

/// NUL cannot be stored by PostgreSQL, and no field of ours means it: refused once, here, in
/// the path, the query, and JSON or form bodies, with a 400 (multipart uploads carry binary
/// files and are left alone).
pub async fn refuse_nul(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let refused = || AppError::BadRequest {
        code: "nul_byte",
        message: "The request contains a NUL character, which no field accepts.".into(),
    };
    let uri = req.uri().to_string();
    if has_nul_escape(uri.as_bytes(), b"%00") {
        return Ok(req.error_response(refused()).map_into_right_body());
    }
    let content_type = content_type(&req);
    let escape: Option<&[u8]> = if content_type.starts_with("application/json") {
        Some(b"\\u0000")
    } else if content_type.starts_with("application/x-www-form-urlencoded") {
        Some(b"%00")
    } else {
        None
    };
    if let Some(escape) = escape {
        match req.extract::<web::Bytes>().await {
            Ok(bytes) => {
                let nul = bytes.contains(&0) || has_nul_escape(&bytes, escape);
                req.set_payload(Payload::from(bytes));
                if nul {
                    return Ok(req.error_response(refused()).map_into_right_body());
                }
            }
            Err(_) => {
                return Ok(req
                    .error_response(AppError::PayloadTooLarge)
                    .map_into_right_body())
            }
        }
    }
    Ok(next.call(req).await?.map_into_left_body())
}

/// The request's media type, lowercased ("" when absent).
fn content_type(req: &ServiceRequest) -> String {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase()
}

/// Whether `bytes` holds `escape` (ASCII, case-insensitive: `%00`, `\u0000`). In JSON an escaped
/// backslash before it (`\\u0000`) is text, not a NUL; that rare case is refused too.
fn has_nul_escape(bytes: &[u8], escape: &[u8]) -> bool {
    bytes
        .windows(escape.len())
        .any(|w| w.eq_ignore_ascii_case(escape))
}

/// Where a person who has not accepted the current privacy policy may still post: the ways in
/// and out, their account settings, and their data rights (accept, export, erase).
const CONSENT_FREE_PREFIXES: &[&str] = &[
    "/api/v1/auth/",
    "/consent",
    "/login",
    "/logout",
    "/register",
    "/verify",
    "/reset-password",
    "/settings/",
];
const CONSENT_FREE_PATHS: &[&str] = &[
    "/api/v1/me",
    "/api/v1/me/consent",
    "/api/v1/me/export",
    "/api/v1/me/password",
];

fn consent_free(path: &str) -> bool {
    CONSENT_FREE_PATHS.contains(&path) || CONSENT_FREE_PREFIXES.iter().any(|p| path.starts_with(p))
}

/// Writing needs consent to the current privacy policy: reading goes on, but an unsafe request by
/// someone who accepted an older version is refused (API: 403 `consent_required`; pages: sent to
/// `/consent`) until they accept it.
pub async fn consent(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let path = req.path();
    if unsafe_method && !consent_free(path) {
        let current = req
            .app_data::<web::Data<AppState>>()
            .map(|s| s.settings.privacy_policy_version.clone());
        if let (Some(current), Ok(extract::Viewer(Some(a)))) =
            (current, extract::viewer_of(req.request()).await)
        {
            if crate::rights::consent::needs_renewal(&a.user, &current) {
                if path.starts_with("/api/") {
                    let err = AppError::Forbidden {
                        code: "consent_required",
                        message: format!("Accept the privacy policy (version {current}) before writing: POST /api/v1/me/consent."),
                    };
                    return Ok(req.error_response(err).map_into_right_body());
                }
                let to = super::pages::redirect("/consent");
                return Ok(req.into_response(to).map_into_right_body());
            }
        }
    }
    Ok(next.call(req).await?.map_into_left_body())
}

fn form_field(body: &[u8], name: &str) -> Option<String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
