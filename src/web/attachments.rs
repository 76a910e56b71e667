//! `/attachments/{id}`: files served as downloads (images inline), never as HTML or SVG; and
//! `/exports/{token}`: a mailed export, for its owner only, until the link expires.

use super::errors::AppError;
use super::extract::{CurrentUser, Viewer};
use super::AppState;
use crate::access::Reader;
use crate::feedback::attachments;
use crate::forum::topics;
use actix_web::http::header;
use actix_web::{web, HttpResponse};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/attachments/{id}", web::get().to(download))
        .route("/exports/{token}", web::get().to(export_download));
}

async fn export_download(
    state: web::Data<AppState>,
    me: CurrentUser,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let mut conn = crate::db::get(&state.pool).await?;
    let path = crate::rights::mailed_export::find(
        &mut conn,
        &state.settings,
        &token,
        me.0.user.id,
        state.clock.now(),
    )
    .await?
    .ok_or(AppError::NotFound)?;
    let body = tokio::fs::read(path)
        .await
        .map_err(|_| AppError::NotFound)?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"chorus-{}.json\"", me.0.user.id),
        ))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(body))
}

async fn download(
    state: web::Data<AppState>,
    viewer: Viewer,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let user = viewer.0.as_ref().map(|a| &a.user);
    let mut conn = crate::db::get(&state.pool).await?;
    let a = attachments::by_id(&mut conn, *id)
        .await?
        .ok_or(AppError::NotFound)?;
    // The topic must be visible too; a private log is a 404 to those who may not see it.
    let reader = Reader::of(&mut conn, user).await?;
    topics::get(&mut conn, a.topic_id, &reader).await?;
    if !attachments::may_read(&mut conn, &a, user).await? {
        return Err(AppError::NotFound);
    }
    // Someone else's private log is personal data: the look is recorded.
    if let Some(u) = user.filter(|u| a.private && u.id != a.uploader_id) {
        crate::audit::access_log::record(
            &mut conn,
            u.id,
            a.uploader_id,
            &format!("private_attachment:{}", a.id),
            state.clock.now(),
        )
        .await?;
    }
    let body = tokio::fs::read(attachments::path_of(&state.settings.uploads_dir(), &a))
        .await
        .map_err(|_| AppError::NotFound)?;
    let disposition = if a.kind == crate::feedback::attachments::AttachmentKind::Image {
        "inline"
    } else {
        "attachment"
    };
    let ascii: String = a
        .original_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    Ok(HttpResponse::Ok()
        .content_type(a.mime.as_str())
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!(
                "{disposition}; filename=\"{ascii}\"; filename*=UTF-8''{}",
                crate::content::percent_encode(&a.original_name)
            ),
        ))
        .insert_header((
            header::CACHE_CONTROL,
            if a.private {
                "private, no-store"
            } else {
                "private, max-age=3600"
            },
        ))
        // Even if a browser decided to render it, nothing in it may run.
        .insert_header((
            "Content-Security-Policy",
            "sandbox; default-src 'none'; img-src 'self'",
        ))
        .body(body))
}
