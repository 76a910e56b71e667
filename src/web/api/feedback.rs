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
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

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
        .route("/topics/{id}/attachments", web::post().to(upload))
        .route("/topics/{id}/internal-notes", web::get().to(notes))
        .route("/topics/{id}/internal-notes", web::post().to(add_note));
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
    Ok(HttpResponse::Created().json(AttachmentReply {
        id: a.id,
        kind: a.kind,
        mime: a.mime,
        size: a.size_bytes,
        name: a.original_name,
        private: a.private,
        url: format!("/attachments/{}", a.id),
    }))
}

#[derive(Serialize, ToSchema)]
pub struct AttachmentReply {
    pub id: i64,
    pub kind: crate::feedback::attachments::AttachmentKind,
    pub mime: String,
    pub size: i32,
    pub name: String,
    /// Private logs are readable by the reporter and the team only.
    pub private: bool,
    pub url: String,
}

/// The count after a vote or a "me too" (only the one that changed).
#[derive(Serialize, ToSchema)]
pub struct Counted {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vote_count: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub me_too_count: Option<i32>,
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
    let vote = kind == VoteKind::Vote;
    Ok(HttpResponse::Ok().json(Counted {
        vote_count: vote.then_some(n),
        me_too_count: (!vote).then_some(n),
    }))
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

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusBody {
    #[schema(value_type = crate::feedback::status::Status, inline, example = "acknowledged")]
    status: String,
    /// The official response, shown on the topic and mailed.
    #[schema(max_length = 5000)]
    note: Option<String>,
    /// The version with the fix, for `resolved`.
    #[schema(max_length = 80)]
    fixed_in: Option<String>,
    /// For `duplicate`.
    duplicate_of: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct StatusChanged {
    pub change_id: i64,
    pub status: crate::feedback::status::Status,
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
    let req_status = req.status;
    let mut conn = crate::db::get(&state.pool).await?;
    let change_id = changes::change(&mut conn, &me.0.user, *id, req, state.clock.now()).await?;
    Ok(HttpResponse::Ok().json(StatusChanged {
        change_id,
        status: req_status,
    }))
}

async fn status_history(
    state: web::Data<AppState>,
    viewer: Viewer,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let mut conn = crate::db::get(&state.pool).await?;
    let reader = Reader::of(&mut conn, viewer.0.as_ref().map(|a| &a.user)).await?;
    topics::get(&mut conn, *id, &reader).await?;
    let items = changes::history(&mut conn, *id).await?;
    Ok(HttpResponse::Ok().json(super::Items::all(items)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeBody {
    /// The topic this one duplicates.
    into: i64,
    #[schema(max_length = 5000)]
    note: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct MergedReply {
    pub id: i64,
    pub status: crate::feedback::status::Status,
    pub duplicate_of: i64,
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
    Ok(HttpResponse::Ok().json(MergedReply {
        id: *id,
        status: crate::feedback::status::Status::Duplicate,
        duplicate_of: body.into,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerBody {
    satisfied: bool,
    #[schema(max_length = 2000)]
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
    let mut conn = crate::db::get(&state.pool).await?;
    let reader = Reader::of(&mut conn, Some(&me.0.user)).await?;
    topics::get(&mut conn, *id, &reader).await?;
    let items = satisfaction::answers(&mut conn, *id).await?;
    Ok(HttpResponse::Ok().json(super::Items::all(items)))
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
            .map(|p| ProductView {
                slug: p.slug.clone(),
                name: p.name(locale).to_string(),
                name_zh: p.name_zh.clone(),
                name_en: p.name_en.clone(),
                line: p.line.clone(),
                team: p.team_id,
            })
            .collect::<Vec<_>>(),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct ProductView {
    pub slug: String,
    /// In the viewer's language.
    pub name: String,
    pub name_zh: String,
    pub name_en: String,
    pub line: String,
    /// The owning team's id, if one is set.
    pub team: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct ProductSaved {
    pub slug: String,
    pub name: String,
    pub line: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductBody {
    #[schema(
        min_length = 1,
        max_length = 64,
        pattern = "^[a-z0-9][a-z0-9-]*$",
        example = "chorus-15"
    )]
    slug: String,
    #[schema(min_length = 1, max_length = 100, example = "Chorus 15")]
    name_zh: String,
    #[schema(min_length = 1, max_length = 100, example = "Chorus 15")]
    name_en: String,
    /// The product line (`phones`, `wearables`, ...).
    #[schema(min_length = 1, max_length = 64, example = "phones")]
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
    Ok(HttpResponse::Created().json(ProductSaved {
        name: saved.name(Locale::En).to_string(),
        slug: saved.slug,
        line: saved.line,
    }))
}

/// My reports, my ideas and my votes, with their current statuses.
async fn my_feedback(
    state: web::Data<AppState>,
    me: CurrentUser,
) -> Result<HttpResponse, AppError> {
    let mut conn = crate::db::get(&state.pool).await?;
    let reader = Reader::of(&mut conn, Some(&me.0.user)).await?;
    let mine = crate::feedback::lists::mine(&mut conn, &reader, 200).await?;
    Ok(HttpResponse::Ok().json(mine))
}

/// Staff and the routed team; everyone else gets 404.
async fn notes(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let mut conn = crate::db::get(&state.pool).await?;
    let items = crate::feedback::notes::list(&mut conn, *id, &me.0.user).await?;
    Ok(HttpResponse::Ok().json(super::Items::all(items)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteBody {
    /// Markdown.
    #[schema(
        min_length = 1,
        max_length = 50000,
        example = "Reproduced on 2.0.3; camera vendor asked."
    )]
    body: String,
}

async fn add_note(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
    body: web::Json<NoteBody>,
) -> Result<HttpResponse, AppError> {
    let text =
        crate::forum::fields::Body::parse(&body.body).map_err(|e| AppError::invalid(vec![e]))?;
    let mut conn = crate::db::get(&state.pool).await?;
    let note =
        crate::feedback::notes::add(&mut conn, *id, &me.0.user, &text, state.clock.now()).await?;
    Ok(HttpResponse::Created().json(note))
}
