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
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// What `{action}` takes in each path.
pub const POST_ACTIONS: &[&str] = &["hide", "unhide", "delete", "edit"];
pub const TOPIC_ACTIONS: &[&str] = TopicAction::NAMES;
pub const USER_ACTIONS: &[&str] = sanctions::Action::NAMES;

/// Stand-ins that give the API document the texts the handlers accept.
pub struct FlagReason;
pub struct DecisionText;

impl utoipa::PartialSchema for FlagReason {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        crate::db::text_enum::choice_schema(&flags::REASONS)
    }
}
impl ToSchema for FlagReason {}

impl utoipa::PartialSchema for DecisionText {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        crate::db::text_enum::choice_schema(Decision::NAMES)
    }
}
impl ToSchema for DecisionText {}

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

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FlagBody {
    #[serde(default)]
    #[schema(value_type = FlagReason, inline, example = "spam")]
    reason: String,
    #[serde(default)]
    #[schema(max_length = 1000)]
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
    Ok(HttpResponse::Ok().json(super::Items::all(items)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecideBody {
    #[serde(default)]
    #[schema(value_type = DecisionText, inline, example = "agree")]
    decision: String,
    #[serde(default)]
    #[schema(max_length = 1000)]
    note: String,
}

#[derive(Serialize, ToSchema)]
pub struct Decided {
    pub id: i64,
    pub decision: String,
}

#[derive(Serialize, ToSchema)]
pub struct PostActed {
    pub post_id: i64,
    pub action: String,
}

#[derive(Serialize, ToSchema)]
pub struct TopicActed {
    pub topic_id: i64,
    pub action: String,
}

/// A sanction imposed (`kind`, `until`) or lifted (`restored`).
#[derive(Serialize, ToSchema)]
pub struct Sanctioned {
    pub username: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restored: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until: Option<chrono::DateTime<chrono::Utc>>,
}

async fn decide(
    state: web::Data<AppState>,
    staff: StaffUser,
    ip: ClientIp,
    id: web::Path<i64>,
    body: web::Json<DecideBody>,
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
    Ok(HttpResponse::Ok().json(Decided {
        id: *id,
        decision: body.into_inner().decision,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionBody {
    /// Required for posts; shown to the author and logged.
    #[serde(default)]
    #[schema(max_length = 500, example = "Off topic here")]
    reason: String,
    /// For `move`: the board slug.
    #[schema(max_length = 64)]
    board: Option<String>,
    /// For `edit`: the new Markdown.
    #[schema(max_length = 50000)]
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
        // Keep POST_ACTIONS in step.
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
    Ok(HttpResponse::Ok().json(PostActed {
        post_id: id,
        action,
    }))
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
    Ok(HttpResponse::Ok().json(TopicActed {
        topic_id: id,
        action,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SanctionBody {
    /// Required for `silence` and `suspend`.
    #[schema(minimum = 1, maximum = 3650, example = 1)]
    days: Option<i64>,
    #[serde(default)]
    #[schema(max_length = 500, example = "Repeated spam")]
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
            return Ok(HttpResponse::Ok().json(Sanctioned {
                username: target.username,
                restored: Some(true),
                kind: None,
                until: None,
            }));
        }
    };
    let days = body
        .days
        .ok_or_else(|| AppError::field("days", "say for how many days"))?;
    let until = sanctions::impose(&mut conn, &state.mailer, &act, &target, kind, days).await?;
    Ok(HttpResponse::Ok().json(Sanctioned {
        username: target.username,
        restored: None,
        kind: Some(kind.as_str().to_string()),
        until: Some(until),
    }))
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

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LogQuery {
    /// `next_cursor` of the page before.
    cursor: Option<i64>,
    /// Only actions on this username.
    #[param(max_length = 64)]
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
    Ok(HttpResponse::Ok().json(super::Items {
        items,
        next_cursor: next.map(|n| n.to_string()),
    }))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CursorQuery {
    /// `next_cursor` of the page before.
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
    Ok(HttpResponse::Ok().json(super::Items {
        items,
        next_cursor: next.flatten(),
    }))
}
