//! Changing a status: kept with who, when, the note and the fixing version; the latest note is the
//! official response. The people concerned are told by a job, so the request returns at once.

use super::status::{may_change, Status};
use super::{merge, FeedbackError};
use crate::access::Reader;
use crate::accounts::{FieldError, User};
use crate::db::schema::{status_changes, topics, users};
use crate::db::Conn;
use crate::forum::topics::Topic;
use crate::jobs;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use serde::Serialize;

pub struct ChangeRequest {
    pub status: Status,
    pub note: String,
    pub fixed_in: Option<String>,
    pub duplicate_of: Option<i64>,
}

impl ChangeRequest {
    pub fn parse(
        status: &str,
        note: Option<&str>,
        fixed_in: Option<&str>,
        duplicate_of: Option<i64>,
    ) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let status = Status::parse(status).map_err(|e| errors.push(e)).ok();
        let note: String = note
            .unwrap_or("")
            .replace("\r\n", "\n")
            .chars()
            .filter(|c| *c != '\0')
            .collect();
        if note.chars().count() > 5000 {
            errors.push(FieldError::new("note", "must be at most 5000 characters"));
        }
        let fixed_in = fixed_in
            .map(str::trim)
            .filter(|f| !f.is_empty())
            .map(str::to_string);
        if fixed_in
            .as_ref()
            .is_some_and(|f| f.chars().count() > 80 || f.chars().any(char::is_control))
        {
            errors.push(FieldError::new(
                "fixed_in",
                "at most 80 characters on one line",
            ));
        }
        match (status, duplicate_of) {
            (Some(Status::Duplicate), None) => errors.push(FieldError::new(
                "duplicate_of",
                "name the topic this duplicates",
            )),
            // It would be stored beside another status, pointing anywhere (the fuzzer's 500).
            (Some(s), Some(_)) if s != Status::Duplicate => errors.push(FieldError::new(
                "duplicate_of",
                "only with the status duplicate",
            )),
            _ => {}
        }
        match status {
            Some(status) if errors.is_empty() => Ok(ChangeRequest {
                status,
                note: note.trim().to_string(),
                fixed_in,
                duplicate_of,
            }),
            _ => Err(errors),
        }
    }
}

/// Applies a status change by a team member, moderator or admin.
pub async fn change(
    conn: &mut Conn,
    actor: &User,
    topic_id: i64,
    req: ChangeRequest,
    now: DateTime<Utc>,
) -> Result<i64, FeedbackError> {
    if !may_change(actor.role()) {
        return Err(FeedbackError::Forbidden);
    }
    if let (Status::Duplicate, Some(into)) = (req.status, req.duplicate_of) {
        return merge::merge(conn, actor, topic_id, into, &req.note, now).await;
    }
    conn.transaction::<_, FeedbackError, _>(async |conn| {
        let topic = lock_feedback_topic(conn, topic_id, actor).await?;
        record(conn, &topic, actor.id, &req, now).await
    })
    .await
}

/// The topic, locked, if it is a bug or an idea the actor may see.
pub(super) async fn lock_feedback_topic(
    conn: &mut Conn,
    topic_id: i64,
    actor: &User,
) -> Result<Topic, FeedbackError> {
    let reader = Reader::of(conn, Some(actor)).await?;
    let topic = crate::forum::topics::visible_locked(conn, topic_id, &reader)
        .await?
        .ok_or(FeedbackError::NotFound)?;
    if !topic.kind.is_feedback() {
        return Err(FeedbackError::WrongKind);
    }
    // Product teams act on their own teams' items (and unrouted ones); others are read-only.
    if actor.role() == crate::accounts::Role::TeamMember {
        let team: Option<i64> = topics::table
            .find(topic_id)
            .select(topics::team_id)
            .first(conn)
            .await?;
        if let Some(t) = team {
            if !crate::triage::teams::of_user(conn, actor.id)
                .await?
                .contains(&t)
            {
                return Err(FeedbackError::Forbidden);
            }
        }
    }
    Ok(topic)
}

/// Writes the history row and the topic's new status, and queues the fan-out.
pub(super) async fn record(
    conn: &mut Conn,
    topic: &Topic,
    actor_id: i64,
    req: &ChangeRequest,
    now: DateTime<Utc>,
) -> Result<i64, FeedbackError> {
    let note_html = if req.note.is_empty() {
        String::new()
    } else {
        crate::forum::posts::render_with_mentions(conn, &req.note)
            .await?
            .into_string()
    };
    let id: i64 = diesel::insert_into(status_changes::table)
        .values((
            status_changes::topic_id.eq(topic.id),
            status_changes::actor_id.eq(actor_id),
            status_changes::from_status.eq(&topic.status),
            status_changes::to_status.eq(req.status.as_str()),
            status_changes::note.eq(&req.note),
            status_changes::note_html.eq(note_html),
            status_changes::fixed_in.eq(&req.fixed_in),
            status_changes::duplicate_of.eq(req.duplicate_of),
            status_changes::created_at.eq(now),
        ))
        .returning(status_changes::id)
        .get_result(conn)
        .await?;
    diesel::update(topics::table.find(topic.id))
        .set((
            topics::status.eq(req.status.as_str()),
            topics::status_changed_at.eq(now),
            topics::updated_at.eq(now),
        ))
        .execute(conn)
        .await?;
    crate::search::outbox::push(conn, topic.id, None).await?;
    // The first change by someone other than the reporter is the official response (SLA).
    if actor_id != topic.author_id {
        diesel::update(
            topics::table
                .find(topic.id)
                .filter(topics::first_response_at.is_null()),
        )
        .set(topics::first_response_at.eq(now))
        .execute(conn)
        .await?;
    }
    crate::triage::priority::refresh(conn, Some(topic.id), now).await?;
    crate::triage::webhooks::queue_event(conn, topic.id, "status_changed", now).await?;
    jobs::enqueue(
        conn,
        &super::loop_closure::StatusChanged { change_id: id },
        Some(&format!("status-changed:{id}")),
        now,
    )
    .await?;
    Ok(id)
}

/// The reporter answered a `needs_info` request: the item goes back to `new` for the team.
pub async fn reporter_answered(
    conn: &mut Conn,
    topic: &Topic,
    now: DateTime<Utc>,
) -> Result<(), FeedbackError> {
    if topic.status != Status::NeedsInfo {
        return Ok(());
    }
    let req = ChangeRequest {
        status: Status::New,
        note: String::new(),
        fixed_in: None,
        duplicate_of: None,
    };
    // Recorded like any change so the history shows it, but the reporter is not mailed about
    // their own answer: the fan-out skips the actor.
    record(conn, topic, topic.author_id, &req, now).await?;
    Ok(())
}

#[derive(Debug, Clone, Serialize, Queryable, utoipa::ToSchema)]
pub struct ChangeView {
    pub id: i64,
    #[serde(skip)]
    pub actor_id: i64,
    pub actor: String,
    /// Changes are made by staff and product teams: the official mark's role.
    pub actor_role: crate::fields::Role,
    pub from_status: String,
    pub to_status: String,
    pub note_html: String,
    pub fixed_in: Option<String>,
    pub duplicate_of: Option<i64>,
    pub created_at: DateTime<Utc>,
}

/// The item's status history, newest first.
pub async fn history(conn: &mut Conn, topic_id: i64) -> QueryResult<Vec<ChangeView>> {
    status_changes::table
        .inner_join(users::table)
        .filter(status_changes::topic_id.eq(topic_id))
        .order(status_changes::id.desc())
        .limit(200)
        .select((
            status_changes::id,
            status_changes::actor_id,
            users::username,
            users::role,
            status_changes::from_status,
            status_changes::to_status,
            status_changes::note_html,
            status_changes::fixed_in,
            status_changes::duplicate_of,
            status_changes::created_at,
        ))
        .load(conn)
        .await
}

/// The latest change that carries a note: shown at the top of the item as the official answer.
pub fn official_response(history: &[ChangeView]) -> Option<&ChangeView> {
    history.iter().find(|c| !c.note_html.is_empty())
}
