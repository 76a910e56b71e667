//! 回访: once an item is resolved or declined, its reporter and me-too users say whether they are
//! satisfied. One answer each, changeable; staff see them, triage counts them.

use super::FeedbackError;
use crate::access::Reader;
use crate::accounts::{FieldError, User};
use crate::db::schema::{satisfaction, topic_votes, users};
use crate::db::Conn;
use crate::forum::topics::Topic;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::upsert::excluded;
use diesel_async::RunQueryDsl;
use serde::Serialize;

/// Whether the person is asked about this item: its reporter or one of its me-too users.
pub async fn is_asked(conn: &mut Conn, topic: &Topic, user_id: i64) -> QueryResult<bool> {
    if !topic.status.is_outcome() {
        return Ok(false);
    }
    if topic.author_id == user_id {
        return Ok(true);
    }
    diesel::select(diesel::dsl::exists(
        topic_votes::table.find((topic.id, user_id, "me_too")),
    ))
    .get_result(conn)
    .await
}

pub async fn answer(
    conn: &mut Conn,
    user: &User,
    topic_id: i64,
    satisfied: bool,
    comment: &str,
    now: DateTime<Utc>,
) -> Result<(), FeedbackError> {
    let reader = Reader::of(conn, Some(user)).await?;
    let topic: Topic = crate::forum::topics::visible(conn, topic_id, &reader)
        .await?
        .ok_or(FeedbackError::NotFound)?;
    if !topic.status.is_outcome() {
        return Err(
            FieldError::new("satisfied", "the item is not resolved or declined yet").into(),
        );
    }
    if !is_asked(conn, &topic, user.id).await? {
        return Err(FeedbackError::Forbidden);
    }
    let comment: String = comment.chars().filter(|c| *c != '\0').collect();
    if comment.chars().count() > 2000 {
        return Err(FieldError::new("comment", "must be at most 2000 characters").into());
    }
    diesel::insert_into(satisfaction::table)
        .values((
            satisfaction::topic_id.eq(topic_id),
            satisfaction::user_id.eq(user.id),
            satisfaction::satisfied.eq(satisfied),
            satisfaction::comment.eq(comment.trim()),
            satisfaction::created_at.eq(now),
            satisfaction::updated_at.eq(now),
        ))
        .on_conflict((satisfaction::topic_id, satisfaction::user_id))
        .do_update()
        .set((
            satisfaction::satisfied.eq(excluded(satisfaction::satisfied)),
            satisfaction::comment.eq(excluded(satisfaction::comment)),
            satisfaction::updated_at.eq(now),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

#[derive(Debug, Clone, Serialize, Queryable, utoipa::ToSchema)]
#[schema(as = SatisfactionAnswer)]
pub struct Answer {
    pub username: String,
    pub satisfied: bool,
    pub comment: String,
    pub updated_at: DateTime<Utc>,
}

pub async fn answers(conn: &mut Conn, topic_id: i64) -> QueryResult<Vec<Answer>> {
    satisfaction::table
        .inner_join(users::table)
        .filter(satisfaction::topic_id.eq(topic_id))
        .order(satisfaction::updated_at.desc())
        .limit(500)
        .select((
            users::username,
            satisfaction::satisfied,
            satisfaction::comment,
            satisfaction::updated_at,
        ))
        .load(conn)
        .await
}

pub async fn mine(
    conn: &mut Conn,
    topic_id: i64,
    user_id: i64,
) -> QueryResult<Option<(bool, String)>> {
    satisfaction::table
        .find((topic_id, user_id))
        .select((satisfaction::satisfied, satisfaction::comment))
        .first(conn)
        .await
        .optional()
}
