//! Operations endpoints: health and metrics.

use super::AppState;
use crate::db;
use actix_web::{web, HttpResponse};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(healthz))
        .route("/metrics", web::get().to(metrics));
}

async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    // Answers within a second whatever the database does.
    if db::ping(&state.pool, std::time::Duration::from_millis(800)).await {
        HttpResponse::Ok().content_type("text/plain").body("ok\n")
    } else {
        HttpResponse::ServiceUnavailable()
            .content_type("text/plain")
            .body("database unavailable\n")
    }
}

/// Whether this request may read `/metrics` (see `Settings::metrics_token`).
fn may_read_metrics(state: &AppState, req: &actix_web::HttpRequest) -> bool {
    let token = state.settings.metrics_token.0.trim();
    if token.is_empty() {
        return req.peer_addr().is_some_and(|a| a.ip().is_loopback())
            && req.headers().get("x-forwarded-for").is_none();
    }
    req.headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|t| super::middleware::constant_time_eq(t.trim().as_bytes(), token.as_bytes()))
}

async fn metrics(state: web::Data<AppState>, req: actix_web::HttpRequest) -> HttpResponse {
    if !may_read_metrics(&state, &req) {
        // As if there were nothing here.
        return HttpResponse::NotFound()
            .content_type("text/plain")
            .body("not found\n");
    }
    let pool = state.pool.status();
    let (mail_queued, jobs_pending) = match db::get(&state.pool).await {
        Ok(mut c) => (
            crate::mail::worker::queued_count(&mut c)
                .await
                .unwrap_or(-1),
            crate::jobs::pending_count(&mut c).await.unwrap_or(-1),
        ),
        Err(_) => (-1, -1),
    };
    let body = state.metrics.render(&[
        (
            "chorus_db_pool_size",
            "Open database connections.",
            pool.size as f64,
        ),
        (
            "chorus_db_pool_available",
            "Idle database connections.",
            pool.available as f64,
        ),
        (
            "chorus_mail_queued",
            "Mail waiting in the outbox.",
            mail_queued as f64,
        ),
        (
            "chorus_jobs_pending",
            "Jobs not yet done.",
            jobs_pending as f64,
        ),
        (
            "chorus_search_available",
            "1 while the search index serves; 0 while a damaged one is rebuilt.",
            f64::from(u8::from(state.search.is_available())),
        ),
        (
            "chorus_search_repairs_total",
            "Damaged search indexes rebuilt from PostgreSQL since start.",
            state.search.repairs() as f64,
        ),
    ]);
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(body)
}
