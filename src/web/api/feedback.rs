//! `/api/v1` feedback: votes, me-too, statuses, merges, satisfaction, products.

use crate::access::Reader;
use crate::accounts::Locale;
use crate::feedback::changes::{self, ChangeRequest};
use crate::feedback::products::{self, NewProduct};
use crate::feedback::votes::{self, VoteKind};
use crate::feedback::{merge, satisfaction, FeedbackError};
use crate::forum::topics;
use crate::web::errors::AppError;
use crate::web::extract::{AdminUser, CurrentUser, VerifiedUser, Viewer};
use crate::web::AppState;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/topics/{id}/vote", web::put().to(vote_on))
        .route("/topics/{id}/vote", web::delete().to(vote_off))
        .route("/topics/{id}/me-too", web::put().to(me_too_on))
        .route("/topics/{id}/me-too", web::delete().to(me_too_off))
        .route("/topics/{id}/status", web::post().to(change_status))
        .route("/topics/{id}/status-history", web::get().to(status_history))
        .route("/topics/{id}/merge", web::post().to(merge_into))
        .route("/topics/{id}/satisfaction", web::put().to(answer))
        .route("/topics/{id}/satisfaction", web::get().to(answers))
        .route("/products", web::get().to(list_products))
        .route("/admin/products", web::post().to(upsert_product))
        .route("/me/feedback", web::get().to(my_feedback))
        .route("/topics/{id}/attachments", web::post().to(upload));
}

async fn upload(
    state: web::Data<AppState>,
    me: VerifiedUser,
    id: web::Path<i64>,
    payload: actix_multipart::Multipart,
) -> Result<HttpResponse, AppError> {
    let upload = crate::web::upload::read(payload).await?;
    let mut conn = crate::db::get(&state.pool).await?;
    let a = crate::feedback::attachments::save(
        &mut conn,
        &state.settings.uploads_dir(),
        &me.0.user,
        *id,
        &upload,
        state.clock.now(),
    )
    .await?;
    Ok(HttpResponse::Created().json(json!({
        "id": a.id, "kind": a.kind, "mime": a.mime, "size": a.size_bytes, "name": a.original_name,
        "private": a.private, "url": format!("/attachments/{}", a.id),
    })))
}

async fn set_vote(
    state: &AppState,
    me: &VerifiedUser,
    id: i64,
    kind: VoteKind,
    on: bool,
) -> Result<HttpResponse, AppError> {
    let mut conn = crate::db::get(&state.pool).await?;
    let n = votes::set(
        &mut conn,
        &state.settings,
        &me.0.user,
        id,
        Some(kind),
        on,
        state.clock.now(),
    )
    .await?;
    let field = if kind == VoteKind::Vote {
        "vote_count"
    } else {
        "me_too_count"
    };
    Ok(HttpResponse::Ok().json(json!({ field: n })))
}

async fn vote_on(
    state: web::Data<AppState>,
    me: VerifiedUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    set_vote(&state, &me, *id, VoteKind::Vote, true).await
}
async fn vote_off(
    state: web::Data<AppState>,
    me: VerifiedUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    set_vote(&state, &me, *id, VoteKind::Vote, false).await
}
async fn me_too_on(
    state: web::Data<AppState>,
    me: VerifiedUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    set_vote(&state, &me, *id, VoteKind::MeToo, true).await
}
async fn me_too_off(
    state: web::Data<AppState>,
    me: VerifiedUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    set_vote(&state, &me, *id, VoteKind::MeToo, false).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusBody {
    status: String,
    note: Option<String>,
    fixed_in: Option<String>,
    duplicate_of: Option<i64>,
}

async fn change_status(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
    body: web::Json<StatusBody>,
) -> Result<HttpResponse, AppError> {
    if !crate::feedback::status::may_change(me.0.user.role()) {
        return Err(FeedbackError::Forbidden.into());
    }
    let req = ChangeRequest::parse(
        &body.status,
        body.note.as_deref(),
        body.fixed_in.as_deref(),
        body.duplicate_of,
    )
    .map_err(AppError::invalid)?;
    let mut conn = crate::db::get(&state.pool).await?;
    let change_id = changes::change(&mut conn, &me.0.user, *id, req, state.clock.now()).await?;
    Ok(HttpResponse::Ok().json(json!({ "change_id": change_id, "status": body.status })))
}

async fn status_history(
    state: web::Data<AppState>,
    viewer: Viewer,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let reader = Reader::of(viewer.0.as_ref().map(|a| &a.user));
    let mut conn = crate::db::get(&state.pool).await?;
    topics::get(&mut conn, *id, &reader).await?;
    let items = changes::history(&mut conn, *id).await?;
    Ok(HttpResponse::Ok().json(json!({ "items": items, "next_cursor": null })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MergeBody {
    into: i64,
    note: Option<String>,
}

async fn merge_into(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
    body: web::Json<MergeBody>,
) -> Result<HttpResponse, AppError> {
    let note = body.note.clone().unwrap_or_default();
    if note.chars().count() > 5000 {
        return Err(AppError::field("note", "must be at most 5000 characters"));
    }
    let mut conn = crate::db::get(&state.pool).await?;
    merge::merge(
        &mut conn,
        &me.0.user,
        *id,
        body.into,
        &note,
        state.clock.now(),
    )
    .await?;
    Ok(HttpResponse::Ok()
        .json(json!({ "id": *id, "status": "duplicate", "duplicate_of": body.into })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnswerBody {
    satisfied: bool,
    comment: Option<String>,
}

async fn answer(
    state: web::Data<AppState>,
    me: VerifiedUser,
    id: web::Path<i64>,
    body: web::Json<AnswerBody>,
) -> Result<HttpResponse, AppError> {
    let mut conn = crate::db::get(&state.pool).await?;
    satisfaction::answer(
        &mut conn,
        &me.0.user,
        *id,
        body.satisfied,
        body.comment.as_deref().unwrap_or(""),
        state.clock.now(),
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The answers, for staff and product teams.
async fn answers(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    if !crate::feedback::status::may_change(me.0.user.role()) {
        return Err(AppError::NotFound);
    }
    let reader = Reader::of(Some(&me.0.user));
    let mut conn = crate::db::get(&state.pool).await?;
    topics::get(&mut conn, *id, &reader).await?;
    let items = satisfaction::answers(&mut conn, *id).await?;
    Ok(HttpResponse::Ok().json(json!({ "items": items, "next_cursor": null })))
}

async fn list_products(
    state: web::Data<AppState>,
    req: actix_web::HttpRequest,
    viewer: Viewer,
) -> Result<HttpResponse, AppError> {
    let locale = crate::web::extract::locale_for(&req, &viewer);
    let mut conn = crate::db::get(&state.pool).await?;
    let all = products::all(&mut conn).await?;
    Ok(HttpResponse::Ok().json(
        all.iter()
            .map(|p| json!({ "slug": p.slug, "name": p.name(locale), "name_zh": p.name_zh, "name_en": p.name_en, "line": p.line, "team": p.team_id }))
            .collect::<Vec<_>>(),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductBody {
    slug: String,
    name_zh: String,
    name_en: String,
    line: String,
}

async fn upsert_product(
    state: web::Data<AppState>,
    _admin: AdminUser,
    body: web::Json<ProductBody>,
) -> Result<HttpResponse, AppError> {
    let p = NewProduct::parse(&body.slug, &body.name_zh, &body.name_en, &body.line)
        .map_err(AppError::invalid)?;
    let mut conn = crate::db::get(&state.pool).await?;
    let saved = products::upsert(&mut conn, &p, state.clock.now()).await?;
    Ok(HttpResponse::Created()
        .json(json!({ "slug": saved.slug, "name": saved.name(Locale::En), "line": saved.line })))
}

/// My reports, my ideas and my votes, with their current statuses.
async fn my_feedback(
    state: web::Data<AppState>,
    me: CurrentUser,
) -> Result<HttpResponse, AppError> {
    let mut conn = crate::db::get(&state.pool).await?;
    let mine = crate::feedback::lists::mine(&mut conn, me.0.user.id, 200).await?;
    Ok(HttpResponse::Ok().json(mine))
}
