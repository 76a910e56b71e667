//! The privacy policy.

use super::PageCtx;
use crate::web::errors::AppError;
use actix_web::{web, HttpResponse};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/privacy", web::get().to(privacy));
}

async fn privacy(page: PageCtx) -> Result<HttpResponse, AppError> {
    let version = page.state.settings.privacy_policy_version.clone();
    page.render(
        "privacy.html",
        minijinja::context! { policy_version => version },
    )
}
