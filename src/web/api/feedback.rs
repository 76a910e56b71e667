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

/// Reads a multipart upload: the `file` part (at most 10 MB) and an optional `private` flag.
pub async fn read_upload(
    mut payload: actix_multipart::Multipart,
) -> Result<crate::feedback::attachments::Upload, AppError> {
    use futures_util::TryStreamExt;
    let limit = crate::feedback::attachments::MAX_BYTES;
    let (mut name, mut bytes, mut private, mut seen_file) =
        (String::new(), Vec::new(), false, false);
    while let Some(mut field) = payload.try_next().await.map_err(|_| AppError::BadRequest {
        code: "bad_upload",
        message: "The upload could not be read.".into(),
    })? {
        let field_name = field.name().unwrap_or("").to_string();
        let filename = field
            .content_disposition()
            .and_then(|c| c.get_filename())
            .map(str::to_string);
        let mut data = Vec::new();
        while let Some(chunk) = field.try_next().await.map_err(|_| AppError::BadRequest {
            code: "bad_upload",
            message: "The upload could not be read.".into(),
        })? {
            if data.len() + chunk.len() > limit + 1 {
                return Err(AppError::PayloadTooLarge);
            }
            data.extend_from_slice(&chunk);
        }
        match field_name.as_str() {
            "file" if !seen_file => {
                seen_file = true;
                name = filename.unwrap_or_default();
                bytes = data;
            }
            "private" => {
                private = matches!(
                    std::str::from_utf8(&data).unwrap_or(""),
                    "1" | "true" | "on" | "yes"
                )
            }
            _ => {}
        }
    }
    if !seen_file {
        return Err(AppError::field("file", "is required"));
    }
    if bytes.len() > limit {
        return Err(AppError::PayloadTooLarge);
    }
    Ok(crate::feedback::attachments::Upload {
        name,
        bytes,
        private,
    })
}

async fn upload(
    state: web::Data<AppState>,
    me: VerifiedUser,
    id: web::Path<i64>,
    payload: actix_multipart::Multipart,
) -> Result<HttpResponse, AppError> {
    let upload = read_upload(payload).await?;
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

impl From<FeedbackError> for AppError {
    fn from(e: FeedbackError) -> Self {
        match e {
            FeedbackError::Invalid(f) => AppError::invalid(f),
            FeedbackError::NotFound => AppError::NotFound,
            FeedbackError::Forbidden => AppError::Forbidden {
                code: "forbidden",
                message: "Only product teams, moderators and admins may do that.".into(),
            },
            FeedbackError::OwnTopic => AppError::Forbidden {
                code: "own_topic",
                message: "You cannot vote on your own topic.".into(),
            },
            FeedbackError::WrongKind => AppError::Conflict {
                message: "This does not apply to this kind of topic.".into(),
                fields: Default::default(),
            },
            FeedbackError::Db(e) => AppError::internal(e),
            FeedbackError::Storage(e) => AppError::internal(e),
        }
    }
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
        kind,
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
    use crate::db::schema::topics as t;
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    let mut conn = crate::db::get(&state.pool).await?;
    let mine: Vec<(i64, String, String, String)> = t::table
        .filter(t::author_id.eq(me.0.user.id))
        .filter(t::kind.ne("discussion"))
        .filter(crate::access::topic_not_deleted())
        .order(t::created_at.desc())
        .limit(200)
        .select((t::id, t::title, t::kind, t::status))
        .load(&mut conn)
        .await?;
    let voted = votes::mine(&mut conn, me.0.user.id, 200).await?;
    let view = |rows: Vec<(i64, String, String, String)>, kind: Option<&str>| {
        rows.into_iter()
            .filter(|r| kind.is_none_or(|k| r.2 == k))
            .map(|(id, title, kind, status)| json!({ "topic_id": id, "title": title, "kind": kind, "status": status }))
            .collect::<Vec<_>>()
    };
    Ok(HttpResponse::Ok().json(json!({
        "reports": view(mine.clone(), Some("bug")),
        "ideas": view(mine, Some("idea")),
        "votes": view(voted, None),
    })))
}
