//! Server-rendered pages. Every page works without JavaScript: forms post and redirect.

mod accounts;
mod admin;
mod admin_triage;
mod feedback;
mod forum;
mod home;
mod honor;
mod moderation;
mod people;
mod programmes;
mod search;
mod triage;

use super::errors::AppError;
use super::extract::{self, Viewer};
use super::AppState;
use crate::accounts::Locale;
use actix_web::dev::Payload;
use actix_web::http::{header, StatusCode};
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use minijinja::Value;
use std::future::Future;
use std::pin::Pin;

pub fn routes(cfg: &mut web::ServiceConfig) {
    home::routes(cfg);
    forum::routes(cfg);
    feedback::routes(cfg);
    people::routes(cfg);
    programmes::routes(cfg);
    search::routes(cfg);
    admin::routes(cfg);
    moderation::routes(cfg);
    honor::routes(cfg);
    triage::routes(cfg);
    admin_triage::routes(cfg);
    accounts::routes(cfg);
}

/// What every page template needs: language, the viewer, the CSRF token, the current path.
pub struct PageCtx {
    pub lang: Locale,
    pub viewer: Viewer,
    pub csrf: String,
    pub path: String,
    pub state: web::Data<AppState>,
    /// Unread notifications, for the bell.
    pub unread: i64,
    /// Who is reading, with the boards closed to them: every page asks it.
    pub reader: crate::access::Reader,
    /// Reviews waiting for a moderator, for staff only (the header shows it).
    pub reviews_waiting: i64,
}

impl FromRequest for PageCtx {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;
    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let viewer = Viewer::from_request(&req, payload);
        Box::pin(async move {
            let viewer = viewer.await?;
            let state = req
                .app_data::<web::Data<AppState>>()
                .cloned()
                .ok_or_else(|| AppError::internal(anyhow::anyhow!("app state missing")))?;
            let mut conn = crate::db::get(&state.pool).await?;
            let user = viewer.0.as_ref().map(|a| &a.user);
            let reader = crate::access::Reader::of(&mut conn, user).await?;
            let unread = match user {
                Some(_) => crate::notify::notifications::unread_count(&mut conn, &reader).await?,
                None => 0,
            };
            let reviews_waiting = match user {
                Some(u) if u.role().is_staff() => {
                    crate::moderation::reviews::waiting_count(&mut conn).await?
                }
                _ => 0,
            };
            drop(conn);
            Ok(PageCtx {
                reviews_waiting,
                unread,
                reader,
                lang: extract::locale_for(&req, &viewer),
                csrf: extract::csrf_token(&req),
                path: req
                    .uri()
                    .path_and_query()
                    .map(|p| p.to_string())
                    .unwrap_or_default(),
                viewer,
                state,
            })
        })
    }
}

/// A page for signed-in people: anyone else is sent to the login form, which brings them back
/// (to this page for a GET; to the page the form was on for a POST).
pub struct SignedIn {
    pub page: PageCtx,
    pub me: extract::Authed,
}

impl FromRequest for SignedIn {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;
    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let page = PageCtx::from_request(&req, payload);
        Box::pin(async move {
            let page = page.await?;
            match page.viewer.0.clone() {
                Some(me) => Ok(SignedIn { page, me }),
                None => Err(AppError::SignIn {
                    next: return_path(&req),
                }),
            }
        })
    }
}

/// Where the login form should send someone back to: the page itself for a GET, else the
/// same-host page the form was on.
fn return_path(req: &HttpRequest) -> String {
    if req.method() == actix_web::http::Method::GET {
        return req
            .uri()
            .path_and_query()
            .map(|p| p.to_string())
            .unwrap_or_else(|| "/".into());
    }
    let host = req.connection_info().host().to_string();
    req.headers()
        .get(actix_web::http::header::REFERER)
        .and_then(|r| r.to_str().ok())
        .and_then(|r| r.split_once("://"))
        .and_then(|(_, rest)| rest.strip_prefix(host.as_str()))
        .filter(|p| p.starts_with('/'))
        .map(str::to_string)
        .unwrap_or_else(|| "/".into())
}

impl PageCtx {
    /// The pool this page's reads use (see `AppState::read_pool`).
    pub fn read_pool(&self) -> &crate::db::Pool {
        self.state.read_pool(&self.viewer)
    }

    /// Admin pages are a 404 to everyone else: their existence is not revealed.
    pub fn require_admin(&self) -> Result<(), AppError> {
        match &self.viewer.0 {
            Some(a) if a.user.role() == crate::accounts::Role::Admin => Ok(()),
            _ => Err(AppError::NotFound),
        }
    }

    pub fn render(&self, template: &str, ctx: Value) -> Result<HttpResponse, AppError> {
        self.render_status(StatusCode::OK, template, ctx)
    }

    pub fn render_status(
        &self,
        status: StatusCode,
        template: &str,
        ctx: Value,
    ) -> Result<HttpResponse, AppError> {
        let me = self.viewer.0.as_ref().map(|a| {
            minijinja::context! {
                username => &a.user.username,
                role => a.user.role.as_str(),
                staff => a.user.role().is_staff(),
                level => a.user.level,
                email_verified => a.user.is_verified(),
                needs_consent => crate::rights::consent::needs_renewal(
                    &a.user,
                    &self.state.settings.privacy_policy_version,
                ),
                unread => self.unread,
                reviews_waiting => self.reviews_waiting,
            }
        });
        let user = self.viewer.0.as_ref().map(|a| &a.user);
        let full = minijinja::context! {
            csrf_token => &self.csrf,
            scheme => user.map_or("auto", |u| u.color_scheme.as_str()),
            tz => crate::local_time::zone(user.and_then(|u| u.time_zone.as_deref()), self.lang).name(),
            now => self.state.clock.now().to_rfc3339(),
            me => me,
            path => &self.path,
            other_lang => match self.lang { Locale::ZhCn => "en", Locale::En => "zh-CN" },
            ..ctx
        };
        let html = self.state.theme.render(template, self.lang, full)?;
        Ok(HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body(html))
    }
}

/// 303 See Other: after a form post, the browser fetches the target with GET.
pub fn redirect(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to.to_string()))
        .finish()
}

/// Only same-site paths are followed after login; anything else goes home. The target is
/// parsed the way browsers parse it (WHATWG URL: tabs and newlines dropped, `\` read as `/`),
/// so `/\t/evil.example` is seen for what a browser makes of it: `//evil.example`.
pub fn safe_next(next: Option<&str>) -> String {
    const HERE: &str = "http://chorus.invalid/";
    let Some(raw) = next.filter(|n| n.starts_with('/')) else {
        return "/".to_string();
    };
    let base = url::Url::parse(HERE).expect("a fixed URL");
    match base.join(raw) {
        Ok(u) if u.origin() == base.origin() => {
            let mut out = u.path().to_string();
            if let Some(q) = u.query() {
                out.push('?');
                out.push_str(q);
            }
            if let Some(f) = u.fragment() {
                out.push('#');
                out.push_str(f);
            }
            out
        }
        _ => "/".to_string(),
    }
}
