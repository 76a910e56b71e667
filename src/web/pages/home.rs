//! The privacy policy, and accepting a new version of it.

use super::{PageCtx, SignedIn};
use crate::web::errors::AppError;
use actix_web::{web, HttpResponse};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/privacy", web::get().to(privacy))
        .route("/consent", web::get().to(consent_form))
        .route("/consent", web::post().to(consent));
}

/// The policy with an accept button, for someone whose accepted version is out of date.
async fn consent_form(SignedIn { page, me }: SignedIn) -> Result<HttpResponse, AppError> {
    let version = page.state.settings.privacy_policy_version.clone();
    let pending = crate::rights::consent::needs_renewal(&me.user, &version);
    page.render(
        "consent.html",
        minijinja::context! { policy_version => version, accepted => me.user.privacy_version.clone(), pending => pending },
    )
}

#[derive(serde::Deserialize)]
pub struct ConsentForm {
    #[serde(default)]
    version: String,
}

async fn consent(
    SignedIn { page, me }: SignedIn,
    form: web::Form<ConsentForm>,
) -> Result<HttpResponse, AppError> {
    let current = &page.state.settings.privacy_policy_version;
    // A form rendered for an older version must be read again, not accepted blindly.
    if form.version != *current {
        return Ok(super::redirect("/consent"));
    }
    let mut conn = crate::db::get(&page.state.pool).await?;
    crate::rights::consent::accept(&mut conn, me.user.id, current, page.state.clock.now()).await?;
    Ok(super::redirect("/"))
}

async fn privacy(page: PageCtx) -> Result<HttpResponse, AppError> {
    let version = page.state.settings.privacy_policy_version.clone();
    page.render(
        "privacy.html",
        minijinja::context! { policy_version => version },
    )
}
