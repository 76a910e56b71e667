//! Topics: writing one (with its opening post) and reading one.

use super::boards::Board;
use super::fields::{Body, Kind, Tags, Title};
use super::{posts, ranks, subscriptions, ForumError};
use crate::access::Reader;
use crate::db::schema::{boards as boards_t, topics, users};
use crate::db::Conn;
use crate::fields::Status;
use crate::jobs;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Serialize;

#[derive(Debug, Clone, Queryable, Selectable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = topics)]
pub struct Topic {
    pub id: i64,
    pub board_id: i64,
    pub author_id: i64,
    pub kind: Kind,
    pub title: String,
    pub tags: Vec<String>,
    pub excerpt: String,
    pub status: Status,
    pub featured: bool,
    pub pinned: bool,
    pub locked: bool,
    pub hidden_at: Option<DateTime<Utc>>,
    pub deleted_at: Option<DateTime<Utc>>,
    pub reply_count: i32,
    pub like_count: i32,
    pub hot_rank: f64,
    pub last_posted_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub product_id: Option<i64>,
    pub vote_count: i32,
    pub me_too_count: i32,
    pub duplicate_of: Option<i64>,
}

impl Topic {
    pub fn visible_to(&self, reader: &Reader) -> bool {
        reader.sees_topic(
            self.board_id,
            self.author_id,
            self.hidden_at.is_some(),
            self.deleted_at.is_some(),
        )
    }
}

#[derive(Debug, Clone, Copy, Serialize, utoipa::ToSchema)]
pub struct Created {
    pub topic_id: i64,
    pub post_id: i64,
}

/// What a new topic row holds; `posting::create_topic` has checked every part.
pub struct TopicRow<'a> {
    pub board_id: i64,
    pub author_id: i64,
    pub kind: Kind,
    pub title: &'a Title,
    pub tags: &'a Tags,
    pub body: &'a Body,
    pub product_id: Option<i64>,
}

/// Writes the topic and its opening post in the caller's transaction; the author is subscribed
/// and the notifications follow by job.
pub async fn insert(
    conn: &mut Conn,
    row: &TopicRow<'_>,
    now: DateTime<Utc>,
) -> QueryResult<Created> {
    let topic_id: i64 = diesel::insert_into(topics::table)
        .values((
            topics::board_id.eq(row.board_id),
            topics::author_id.eq(row.author_id),
            topics::kind.eq(row.kind.as_str()),
            topics::title.eq(row.title.as_str()),
            topics::tags.eq(row.tags.clone().into_vec()),
            topics::excerpt.eq(crate::content::excerpt(row.body.as_str(), 200)),
            topics::product_id.eq(row.product_id),
            topics::last_posted_at.eq(now),
            topics::created_at.eq(now),
            topics::updated_at.eq(now),
        ))
        .returning(topics::id)
        .get_result(conn)
        .await?;
    let post = posts::insert(conn, topic_id, row.author_id, None, row.body, now).await?;
    subscriptions::subscribe(conn, topic_id, row.author_id, now).await?;
    ranks::refresh_topic(conn, topic_id, now).await?;
    jobs::enqueue(
        conn,
        &super::fanout::PostCreated { post_id: post.id },
        Some(&format!("post-created:{}", post.id)),
        now,
    )
    .await?;
    Ok(Created {
        topic_id,
        post_id: post.id,
    })
}

/// A topic with its board and author name, if the reader may see it.
/// The topic if this reader may see it; None when it is missing or not theirs to see (callers
/// answer 404 either way).
pub async fn visible(conn: &mut Conn, id: i64, reader: &Reader) -> QueryResult<Option<Topic>> {
    Ok(topics::table
        .find(id)
        .select(Topic::as_select())
        .first(conn)
        .await
        .optional()?
        .filter(|t| t.visible_to(reader)))
}

/// The team a topic is routed to, if any (absent topics have none).
pub async fn routed_team(conn: &mut Conn, id: i64) -> QueryResult<Option<i64>> {
    Ok(topics::table
        .find(id)
        .select(topics::team_id)
        .first::<Option<i64>>(conn)
        .await
        .optional()?
        .flatten())
}

/// As `visible`, with the row locked for the rest of the caller's transaction (writes that
/// change the topic's counters or state are ordered by it).
pub async fn visible_locked(
    conn: &mut Conn,
    id: i64,
    reader: &Reader,
) -> QueryResult<Option<Topic>> {
    Ok(topics::table
        .find(id)
        .select(Topic::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()?
        .filter(|t| t.visible_to(reader)))
}

pub async fn get(
    conn: &mut Conn,
    id: i64,
    reader: &Reader,
) -> Result<(Topic, Board, String), ForumError> {
    let row: Option<(Topic, Board, String)> = topics::table
        .inner_join(boards_t::table)
        .inner_join(users::table)
        .filter(topics::id.eq(id))
        .select((Topic::as_select(), Board::as_select(), users::username))
        .first(conn)
        .await
        .optional()?;
    match row {
        Some(r) if r.0.visible_to(reader) => Ok(r),
        _ => Err(ForumError::NotFound),
    }
}
