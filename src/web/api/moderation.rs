//! `/api/v1/posts/{id}/flags` and `/api/v1/mod/...`: flags, the review queue, actions,
//! sanctions, the audit log; `/api/v1/admin/access-log`.

use crate::accounts::users;
use crate::audit::{self, access_log};
use crate::moderation::actions::{self, TopicAction};
use crate::moderation::reviews::{self, Decision};
use crate::moderation::sanctions;
use crate::moderation::{flags, Act};
use crate::web::errors::AppError;
use crate::web::extract::{AdminUser, ClientIp, StaffUser, VerifiedUser};
use crate::web::AppState;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/posts/{id}/flags", web::post().to(flag))
        .route("/mod/queue", web::get().to(queue))
        .route("/mod/queue/{id}", web::post().to(decide))
        .route("/mod/posts/{id}/{action}", web::post().to(post_action))
        .route("/mod/topics/{id}/{action}", web::post().to(topic_action))
        .route("/mod/users/{username}", web::get().to(user_view))
        .route(
            "/mod/users/{username}/{action}",
            web::post().to(user_action),
        )
        .route("/mod/log", web::get().to(log))
        .route("/admin/access-log", web::get().to(access));
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlagBody {
    #[serde(default)]
    reason: String,
    #[serde(default)]
    note: String,
}

async fn flag(
    state: web::Data<AppState>,
    me: VerifiedUser,
    id: web::Path<i64>,
    body: web::Json<FlagBody>,
) -> Result<HttpResponse, AppError> {
    let mut conn = crate::db::get(&state.pool).await?;
    let f = flags::create(
        &mut conn,
        &state.settings,
        &me.0.user,
        *id,
        &body.reason,
        &body.note,
        state.clock.now(),
    )
    .await?;
    Ok(HttpResponse::Created().json(f))
}

async fn queue(state: web::Data<AppState>, _staff: StaffUser) -> Result<HttpResponse, AppError> {
    let mut conn = crate::db::get(&state.pool).await?;
    let items = reviews::queue(&mut conn, 100).await?;
    Ok(HttpResponse::Ok().json(json!({ "items": items, "next_cursor": null })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionBody {
    #[serde(default)]
    decision: String,
    #[serde(default)]
    note: String,
}

async fn decide(
    state: web::Data<AppState>,
    staff: StaffUser,
    ip: ClientIp,
    id: web::Path<i64>,
    body: web::Json<DecisionBody>,
) -> Result<HttpResponse, AppError> {
    let decision = Decision::parse(&body.decision)
        .ok_or_else(|| AppError::field("decision", "must be agree, disagree or defer"))?;
    let mut conn = crate::db::get(&state.pool).await?;
    let act = Act {
        moderator: &staff.0.user,
        reason: &body.note,
        ip: Some(&ip.0),
        now: state.clock.now(),
    };
    reviews::decide(&mut conn, &state.settings, &act, *id, decision).await?;
    Ok(HttpResponse::Ok().json(json!({ "id": *id, "decision": body.decision })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionBody {
    #[serde(default)]
    reason: String,
    /// For `move`.
    board: Option<String>,
    /// For `edit`.
    body: Option<String>,
}

async fn post_action(
    state: web::Data<AppState>,
    staff: StaffUser,
    ip: ClientIp,
    path: web::Path<(i64, String)>,
    body: web::Json<ActionBody>,
) -> Result<HttpResponse, AppError> {
    let (id, action) = path.into_inner();
    let reason = crate::moderation::reason(&body.reason).map_err(|e| AppError::invalid(vec![e]))?;
    let mut conn = crate::db::get(&state.pool).await?;
    let act = Act {
        moderator: &staff.0.user,
        reason: &reason,
        ip: Some(&ip.0),
        now: state.clock.now(),
    };
    match action.as_str() {
        "hide" | "unhide" => {
            actions::set_post_visibility(&mut conn, &state.settings, &act, id, action == "hide")
                .await?
        }
        "delete" => actions::delete_post(&mut conn, &act, id).await?,
        "edit" => {
            let text = crate::forum::fields::Body::parse(body.body.as_deref().unwrap_or(""))
                .map_err(|e| AppError::invalid(vec![e]))?;
            actions::edit_post(&mut conn, &act, id, &text).await?
        }
        _ => return Err(AppError::NotFound),
    }
    Ok(HttpResponse::Ok().json(json!({ "post_id": id, "action": action })))
}

async fn topic_action(
    state: web::Data<AppState>,
    staff: StaffUser,
    ip: ClientIp,
    path: web::Path<(i64, String)>,
    body: web::Json<ActionBody>,
) -> Result<HttpResponse, AppError> {
    let (id, action) = path.into_inner();
    let Some(which) = TopicAction::parse(&action) else {
        return Err(AppError::NotFound);
    };
    let reason =
        crate::moderation::optional_reason(&body.reason).map_err(|e| AppError::invalid(vec![e]))?;
    let mut conn = crate::db::get(&state.pool).await?;
    let act = Act {
        moderator: &staff.0.user,
        reason: &reason,
        ip: Some(&ip.0),
        now: state.clock.now(),
    };
    actions::on_topic(
        &mut conn,
        &state.settings,
        &act,
        id,
        which,
        body.board.as_deref(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(json!({ "topic_id": id, "action": action })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SanctionBody {
    days: Option<i64>,
    #[serde(default)]
    reason: String,
}

async fn user_action(
    state: web::Data<AppState>,
    staff: StaffUser,
    ip: ClientIp,
    path: web::Path<(String, String)>,
    body: web::Json<SanctionBody>,
) -> Result<HttpResponse, AppError> {
    let (username, action) = path.into_inner();
    let mut conn = crate::db::get(&state.pool).await?;
    let target = users::by_username(&mut conn, &username)
        .await?
        .ok_or(AppError::NotFound)?;
    let act = Act {
        moderator: &staff.0.user,
        reason: &body.reason,
        ip: Some(&ip.0),
        now: state.clock.now(),
    };
    let kind = match sanctions::Action::parse(&action).ok_or(AppError::NotFound)? {
        sanctions::Action::Impose(kind) => kind,
        sanctions::Action::Restore => {
            sanctions::restore(&mut conn, &act, &target).await?;
            return Ok(
                HttpResponse::Ok().json(json!({ "username": target.username, "restored": true }))
            );
        }
    };
    let days = body
        .days
        .ok_or_else(|| AppError::field("days", "say for how many days"))?;
    let until = sanctions::impose(&mut conn, &state.mailer, &act, &target, kind, days).await?;
    Ok(HttpResponse::Ok()
        .json(json!({ "username": target.username, "kind": kind.as_str(), "until": until })))
}

/// What staff may know about a person, including personal data; every look is logged.
async fn user_view(
    state: web::Data<AppState>,
    staff: StaffUser,
    username: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let mut conn = crate::db::get(&state.pool).await?;
    let person =
        crate::moderation::people::view(&mut conn, &staff.0.user, &username, state.clock.now())
            .await?;
    Ok(HttpResponse::Ok().json(person))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogQuery {
    cursor: Option<i64>,
    user: Option<String>,
}

async fn log(
    state: web::Data<AppState>,
    staff: StaffUser,
    q: web::Query<LogQuery>,
) -> Result<HttpResponse, AppError> {
    let mut conn = crate::db::get(&state.pool).await?;
    let target = match &q.user {
        Some(name) => Some(
            users::by_username(&mut conn, name)
                .await?
                .ok_or(AppError::NotFound)?
                .id,
        ),
        None => None,
    };
    let admin = staff.0.user.role() == crate::accounts::Role::Admin;
    let (items, next) = audit::list(&mut conn, admin, target, q.cursor, 50).await?;
    Ok(HttpResponse::Ok()
        .json(json!({ "items": items, "next_cursor": next.map(|n| n.to_string()) })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CursorQuery {
    cursor: Option<i64>,
}

async fn access(
    state: web::Data<AppState>,
    _admin: AdminUser,
    q: web::Query<CursorQuery>,
) -> Result<HttpResponse, AppError> {
    let mut conn = crate::db::get(&state.pool).await?;
    let items = access_log::list(&mut conn, q.cursor, 50).await?;
    let next = (items.len() == 50).then(|| items.last().map(|i| i.id.to_string()));
    Ok(HttpResponse::Ok().json(json!({ "items": items, "next_cursor": next.flatten() })))
}
