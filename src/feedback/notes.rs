//! Internal notes on a bug or idea: what staff and the routed team tell each other ("reproduced
//! on 2.0.3", "waiting for the camera vendor"). Markdown, audited, and absent for everyone else:
//! not in the public topic, search, mail, or anyone's export but the author's.

use super::FeedbackError;
use crate::access::Reader;
use crate::accounts::User;
use crate::db::schema::{internal_notes, users};
use crate::db::Conn;
use crate::forum::fields::Body;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use serde::Serialize;

#[derive(Debug, Clone, Serialize, Queryable, utoipa::ToSchema)]
#[schema(as = InternalNote)]
pub struct Note {
    pub id: i64,
    pub author: String,
    /// Sanitized HTML from the note's markdown.
    pub body_html: String,
    pub created_at: DateTime<Utc>,
}

/// Ok if `user` may work with the topic's notes; otherwise the topic is absent for them (404).
async fn notes_topic(conn: &mut Conn, topic_id: i64, user: &User) -> Result<(), FeedbackError> {
    let reader = Reader::of(conn, Some(user)).await?;
    let topic = crate::forum::topics::visible(conn, topic_id, &reader)
        .await?
        .ok_or(FeedbackError::NotFound)?;
    let (team, mine) = super::route_teams(conn, topic.id, Some(user)).await?;
    // A discussion has no notes, and saying so would tell an outsider nothing a 404 does not.
    if !topic.kind.is_feedback() || !reader.may_read_internal_notes(team, &mine) {
        return Err(FeedbackError::NotFound);
    }
    Ok(())
}

/// The notes on a topic, oldest first.
pub async fn list(conn: &mut Conn, topic_id: i64, user: &User) -> Result<Vec<Note>, FeedbackError> {
    notes_topic(conn, topic_id, user).await?;
    Ok(internal_notes::table
        .inner_join(users::table)
        .filter(internal_notes::topic_id.eq(topic_id))
        .order(internal_notes::id)
        .select((
            internal_notes::id,
            users::username,
            internal_notes::body_html,
            internal_notes::created_at,
        ))
        .load(conn)
        .await?)
}

/// Adds a note and its audit-log row, in one transaction.
pub async fn add(
    conn: &mut Conn,
    topic_id: i64,
    user: &User,
    body: &Body,
    now: DateTime<Utc>,
) -> Result<Note, FeedbackError> {
    notes_topic(conn, topic_id, user).await?;
    let known = crate::forum::posts::known_mentions(conn, body.as_str()).await?;
    let html = crate::content::render(body.as_str(), &known).into_string();
    conn.transaction::<_, FeedbackError, _>(async |conn| {
        let id: i64 = diesel::insert_into(internal_notes::table)
            .values((
                internal_notes::topic_id.eq(topic_id),
                internal_notes::author_id.eq(user.id),
                internal_notes::body_md.eq(body.as_str()),
                internal_notes::body_html.eq(&html),
                internal_notes::created_at.eq(now),
            ))
            .returning(internal_notes::id)
            .get_result(conn)
            .await?;
        crate::audit::record(
            conn,
            crate::audit::Entry {
                actor_id: Some(user.id),
                action: "internal_note",
                topic_id: Some(topic_id),
                after: Some(serde_json::json!({ "note_id": id })),
                ..Default::default()
            },
            now,
        )
        .await?;
        Ok(Note {
            id,
            author: user.username.clone(),
            body_html: html.clone(),
            created_at: now,
        })
    })
    .await
}
