//! HTTP: routes, extractors, middleware, pages and the JSON API. Handlers parse input into domain
//! types, call one domain function, and render a template or JSON.

pub mod api;
pub mod assets;
pub mod attachments;
pub mod errors;
pub mod extract;
pub mod metrics;
pub mod middleware;
pub mod ops;
pub mod pages;
pub mod upload;

use crate::clock::Clock;
use crate::config::Settings;
use crate::db::Pool;
use crate::mail::Mailer;
use crate::theme::Theme;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::{from_fn, DefaultHeaders};
use actix_web::{web, App};
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    pub settings: Arc<Settings>,
    pub pool: Pool,
    pub clock: Clock,
    pub theme: Arc<Theme>,
    pub mailer: Mailer,
    pub metrics: Arc<metrics::Metrics>,
    pub search: Arc<crate::search::Search>,
    /// A streaming replica for anonymous reads (`replica_database_url`), if configured.
    pub replica: Option<Pool>,
}

impl AppState {
    pub fn new(
        settings: Arc<Settings>,
        pool: Pool,
        clock: Clock,
        theme: Arc<Theme>,
        search: Arc<crate::search::Search>,
    ) -> Self {
        let mailer = Mailer::new(theme.clone(), &settings.base_url);
        AppState {
            settings,
            pool,
            clock,
            theme,
            mailer,
            metrics: Arc::default(),
            search,
            replica: None,
        }
    }

    pub fn with_replica(mut self, replica: Pool) -> Self {
        self.replica = Some(replica);
        self
    }

    /// Where a read may go: anonymous visitors read from the replica when there is one (a second
    /// of lag is harmless to them); signed-in people read the primary, so they see their own
    /// writes at once.
    pub fn read_pool(&self, viewer: &extract::Viewer) -> &Pool {
        match (&self.replica, &viewer.0) {
            (Some(replica), None) => replica,
            _ => &self.pool,
        }
    }

    /// The context account operations run in, at this instant.
    pub fn accounts_ctx(&self) -> crate::accounts::Ctx<'_> {
        crate::accounts::Ctx {
            settings: &self.settings,
            mailer: &self.mailer,
            now: self.clock.now(),
        }
    }
}

const CSP: &str =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; \
                   object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The whole application; `serve` and the tests build it the same way.
pub fn app(
    state: AppState,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let s = &state.settings;
    let mut headers = DefaultHeaders::new()
        .add(("Content-Security-Policy", CSP))
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("Referrer-Policy", "same-origin"))
        .add(("X-Frame-Options", "DENY"))
        .add(("Cross-Origin-Opener-Policy", "same-origin"))
        .add((
            "Permissions-Policy",
            "camera=(), microphone=(), geolocation=()",
        ));
    if s.is_https() {
        headers = headers.add(("Strict-Transport-Security", "max-age=31536000"));
    }
    let json = web::JsonConfig::default()
        .limit(s.max_json_bytes)
        .error_handler(|e, _| errors::json_error(e).into());
    let form = web::FormConfig::default()
        .limit(s.max_form_bytes)
        .error_handler(|e, _| errors::form_error(e).into());
    let query = web::QueryConfig::default().error_handler(|e, _| errors::query_error(e).into());
    // `/posts/abc` names nothing that exists: a 404 in the usual shape, not the parser's text.
    let path = web::PathConfig::default().error_handler(|_, _| errors::AppError::NotFound.into());
    let payload = web::PayloadConfig::new(s.max_form_bytes.max(s.max_json_bytes));
    App::new()
        .app_data(web::Data::new(state))
        .app_data(json)
        .app_data(form)
        .app_data(query)
        .app_data(path)
        .app_data(payload)
        .wrap(from_fn(middleware::consent))
        .wrap(from_fn(middleware::csrf))
        .wrap(from_fn(middleware::refuse_nul))
        .wrap(headers)
        .wrap(from_fn(middleware::request_context))
        .configure(ops::routes)
        .configure(assets::routes)
        .configure(attachments::routes)
        .configure(api::routes)
        .configure(pages::routes)
        .default_service(web::to(|| async {
            Err::<actix_web::HttpResponse, _>(errors::AppError::NotFound)
        }))
}
