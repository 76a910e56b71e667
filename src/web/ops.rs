//! Operations endpoints: health and metrics.

use super::AppState;
use crate::db::{self, schema::jobs, schema::mail_outbox};
use actix_web::{web, HttpResponse};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(healthz))
        .route("/metrics", web::get().to(metrics));
}

async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    if db::ping(&state.pool).await {
        HttpResponse::Ok().content_type("text/plain").body("ok\n")
    } else {
        HttpResponse::ServiceUnavailable()
            .content_type("text/plain")
            .body("database unavailable\n")
    }
}

async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let pool = state.pool.status();
    let (mail_queued, jobs_pending) = match db::get(&state.pool).await {
        Ok(mut c) => {
            let m: i64 = mail_outbox::table
                .filter(mail_outbox::status.eq("queued"))
                .count()
                .get_result(&mut c)
                .await
                .unwrap_or(-1);
            let j: i64 = jobs::table
                .filter(jobs::done_at.is_null())
                .filter(jobs::failed_at.is_null())
                .count()
                .get_result(&mut c)
                .await
                .unwrap_or(-1);
            (m, j)
        }
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
    ]);
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(body)
}
