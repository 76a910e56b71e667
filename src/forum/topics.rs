//! Topics: creating one (with its opening post) and reading one.

use super::boards::{self, Board};
use super::fields::{Body, Kind, Tags, Title};
use super::{posts, ranks, subscriptions, ForumError, Reader};
use crate::accounts::{FieldError, User};
use crate::db::schema::{boards as boards_t, topics, users};
use crate::db::Conn;
use crate::jobs::{self, Job};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use serde::Serialize;

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = topics)]
pub struct Topic {
    pub id: i64,
    pub board_id: i64,
    pub author_id: i64,
    pub kind: String,
    pub title: String,
    pub tags: Vec<String>,
    pub excerpt: String,
    pub status: String,
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
        reader.sees(
            self.author_id,
            self.hidden_at.is_some(),
            self.deleted_at.is_some(),
        )
    }
}

pub struct NewTopic {
    pub board: String,
    pub kind: Kind,
    pub title: Title,
    pub body: Body,
    pub tags: Tags,
    /// Required for bugs, refused for other kinds.
    pub bug: Option<crate::feedback::bugs::BugFields>,
    /// Product slug for ideas (bugs name theirs in `bug`).
    pub product: Option<String>,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct Created {
    pub topic_id: i64,
    pub post_id: i64,
}

/// Creates the topic and its opening post; the author is subscribed; notifications follow by job.
pub async fn create(
    conn: &mut Conn,
    s: &crate::config::Settings,
    author: &User,
    new: NewTopic,
    now: DateTime<Utc>,
) -> Result<Created, ForumError> {
    use crate::moderation::guard::{self, Action, Verdict};
    conn.transaction::<_, ForumError, _>(async |conn| {
        let verdict = guard::check_post(
            conn,
            &s.moderation,
            author,
            new.body.as_str(),
            Action::Topic,
            now,
        )
        .await??;
        let board = boards::by_slug(conn, &new.board)
            .await?
            .ok_or_else(|| FieldError::new("board", "no such board"))?;
        if !board.allows(new.kind) {
            return Err(
                FieldError::new("kind", "this board does not take this kind of topic").into(),
            );
        }
        let product_slug = match (&new.bug, new.kind) {
            (Some(b), Kind::Bug) => Some(b.product.clone()),
            (None, Kind::Bug) => {
                return Err(FieldError::new("bug", "bug reports need the bug fields").into())
            }
            (Some(_), _) => {
                return Err(FieldError::new("bug", "only bug reports carry bug fields").into())
            }
            (None, _) => new.product.clone().filter(|p| !p.is_empty()),
        };
        let product_id = match product_slug {
            Some(slug) => {
                let field = if new.kind == Kind::Bug {
                    "bug.product"
                } else {
                    "product"
                };
                let p = crate::feedback::products::by_slug(conn, &slug)
                    .await?
                    .ok_or_else(|| FieldError::new(field, "no such product"))?;
                Some(p.id)
            }
            None => None,
        };
        let topic_id: i64 = diesel::insert_into(topics::table)
            .values((
                topics::board_id.eq(board.id),
                topics::author_id.eq(author.id),
                topics::kind.eq(new.kind.as_str()),
                topics::title.eq(new.title.as_str()),
                topics::tags.eq(new.tags.clone().into_vec()),
                topics::excerpt.eq(crate::content::excerpt(new.body.as_str(), 200)),
                topics::product_id.eq(product_id),
                topics::last_posted_at.eq(now),
                topics::created_at.eq(now),
                topics::updated_at.eq(now),
            ))
            .returning(topics::id)
            .get_result(conn)
            .await?;
        if let (Some(bug), Some(pid)) = (&new.bug, product_id) {
            crate::feedback::bugs::insert(conn, topic_id, pid, bug).await?;
        }
        let post = posts::insert(conn, topic_id, author.id, None, &new.body, now).await?;
        crate::triage::routing::route(conn, topic_id, now).await?;
        if verdict == Verdict::Hold {
            crate::moderation::reviews::hold(conn, post.id, now).await?;
        }
        subscriptions::subscribe(conn, topic_id, author.id, now).await?;
        ranks::refresh_topic(conn, topic_id, now).await?;
        jobs::enqueue(
            conn,
            &Job::PostCreated { post_id: post.id },
            Some(&format!("post-created:{}", post.id)),
            now,
        )
        .await?;
        Ok(Created {
            topic_id,
            post_id: post.id,
        })
    })
    .await
}

/// A topic with its board and author name, if the reader may see it.
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
