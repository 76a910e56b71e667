//! Posts: the opening post and replies, stored as a tree by materialized path; edits with history.

use super::fields::Body;
use super::topics::Topic;
use super::{ranks, subscriptions, ForumError};
use crate::access::Reader;
use crate::accounts::{FieldError, User};
use crate::db::schema::{post_revisions, posts, topics, users};
use crate::db::Conn;
use crate::jobs;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use serde::Serialize;
use std::collections::HashSet;

/// Replies deeper than this attach to their parent's parent: threads stay readable.
pub const MAX_DEPTH: i32 = 40;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = posts)]
pub struct Post {
    pub id: i64,
    pub topic_id: i64,
    pub author_id: i64,
    pub parent_id: Option<i64>,
    pub path: Vec<i64>,
    pub depth: i32,
    pub body_md: String,
    pub body_html: String,
    pub like_count: i32,
    pub hidden_at: Option<DateTime<Utc>>,
    pub deleted_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub edited_at: Option<DateTime<Utc>>,
}

impl Post {
    pub fn visible_to(&self, reader: &Reader) -> bool {
        reader.sees(
            self.author_id,
            self.hidden_at.is_some(),
            self.deleted_at.is_some(),
        )
    }
}

#[derive(Debug, Clone, Copy, Serialize, utoipa::ToSchema)]
pub struct Placed {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub depth: i32,
}

/// Lowercase keys of mentioned names that belong to real accounts.
pub async fn known_mentions(conn: &mut Conn, body: &str) -> QueryResult<HashSet<String>> {
    let candidates = crate::content::mention_candidates(body);
    if candidates.is_empty() {
        return Ok(HashSet::new());
    }
    let found: Vec<String> = users::table
        .filter(users::username_key.eq_any(&candidates))
        .select(users::username_key)
        .load(conn)
        .await?;
    Ok(found.into_iter().collect())
}

/// Markdown to sanitized HTML, with mentions of real accounts linked.
pub async fn render_with_mentions(
    conn: &mut Conn,
    markdown: &str,
) -> QueryResult<crate::content::SafeHtml> {
    let known = known_mentions(conn, markdown).await?;
    Ok(crate::content::render(markdown, &known))
}

/// Inserts a post under `parent` (None: the opening post), rendering its markdown once.
pub async fn insert(
    conn: &mut Conn,
    topic_id: i64,
    author_id: i64,
    parent: Option<&Post>,
    body: &Body,
    now: DateTime<Utc>,
) -> QueryResult<Placed> {
    let id: i64 = diesel::select(crate::db::fixed_sql::fixed::<diesel::sql_types::BigInt>(
        "nextval('posts_id_seq')",
    ))
    .get_result(conn)
    .await?;
    let (path, depth) = match parent {
        Some(p) => {
            let mut path = p.path.clone();
            path.push(id);
            (path, p.depth + 1)
        }
        None => (vec![id], 0),
    };
    let html = render_with_mentions(conn, body.as_str()).await?;
    diesel::insert_into(posts::table)
        .values((
            posts::id.eq(id),
            posts::topic_id.eq(topic_id),
            posts::author_id.eq(author_id),
            posts::parent_id.eq(parent.map(|p| p.id)),
            posts::path.eq(&path),
            posts::depth.eq(depth),
            posts::body_md.eq(body.as_str()),
            posts::body_html.eq(html.as_str()),
            posts::created_at.eq(now),
        ))
        .execute(conn)
        .await?;
    crate::search::outbox::push(conn, topic_id, Some(id)).await?;
    Ok(Placed {
        id,
        parent_id: parent.map(|p| p.id),
        depth,
    })
}

/// The post if `reader` may see it and its topic's board.
pub async fn visible(conn: &mut Conn, id: i64, reader: &Reader) -> QueryResult<Option<Post>> {
    Ok(posts::table
        .inner_join(topics::table)
        .filter(posts::id.eq(id))
        .select((Post::as_select(), topics::board_id))
        .first::<(Post, i64)>(conn)
        .await
        .optional()?
        .filter(|(p, board)| reader.reads_board(*board) && p.visible_to(reader))
        .map(|(p, _)| p))
}

pub async fn by_id(conn: &mut Conn, id: i64) -> QueryResult<Option<Post>> {
    posts::table
        .find(id)
        .select(Post::as_select())
        .first(conn)
        .await
        .optional()
}

/// Places a reply in the caller's transaction (under `parent_id`, or the opening post) and
/// returns it with its topic. Locked topics take replies from staff only.
pub async fn insert_reply(
    conn: &mut Conn,
    author: &User,
    topic_id: i64,
    parent_id: Option<i64>,
    body: &Body,
    now: DateTime<Utc>,
) -> Result<(Placed, Topic), ForumError> {
    let reader = Reader::of(conn, Some(author)).await?;
    {
        // The row lock orders concurrent replies to one topic.
        let topic: Topic = super::topics::visible_locked(conn, topic_id, &reader)
            .await?
            .ok_or(ForumError::NotFound)?;
        if topic.locked && !reader.staff {
            return Err(ForumError::Locked);
        }
        if !reader.may_post_in(topic.board_id) {
            return Err(ForumError::NoPosting);
        }
        let not_here =
            || ForumError::from(FieldError::new("parent_id", "is not a post in this topic"));
        let mut parent: Post = match parent_id {
            Some(pid) => by_id(conn, pid)
                .await?
                .filter(|p| p.topic_id == topic_id && p.visible_to(&reader))
                .ok_or_else(not_here)?,
            None => {
                posts::table
                    .filter(posts::topic_id.eq(topic_id))
                    .filter(posts::depth.eq(0))
                    .select(Post::as_select())
                    .first(conn)
                    .await?
            }
        };
        if parent.depth >= MAX_DEPTH {
            if let Some(grand) = parent.parent_id {
                parent = by_id(conn, grand).await?.ok_or_else(not_here)?;
            }
        }
        let placed = insert(conn, topic_id, author.id, Some(&parent), body, now).await?;
        diesel::update(topics::table.find(topic_id))
            .set((
                topics::reply_count.eq(topics::reply_count + 1),
                topics::last_posted_at.eq(now),
                topics::updated_at.eq(now),
            ))
            .execute(conn)
            .await?;
        subscriptions::subscribe(conn, topic_id, author.id, now).await?;
        ranks::refresh_topic(conn, topic_id, now).await?;
        jobs::enqueue(
            conn,
            &super::fanout::PostCreated { post_id: placed.id },
            Some(&format!("post-created:{}", placed.id)),
            now,
        )
        .await?;
        Ok((placed, topic))
    }
}

/// The post, locked for this transaction, if `reader` may see it.
async fn lock_visible(
    conn: &mut Conn,
    post_id: i64,
    reader: &Reader,
) -> Result<Option<Post>, ForumError> {
    if visible(conn, post_id, reader).await?.is_none() {
        return Ok(None);
    }
    Ok(posts::table
        .find(post_id)
        .select(Post::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()?
        .filter(|p| p.visible_to(reader)))
}

/// The author takes a post back (Discourse's "delete"): it shows as deleted, replies keep their
/// place. An opening post goes with its topic, and only while nobody else has replied. A post
/// hidden by moderation stays until they decide: deleting it must not erase the evidence.
pub async fn withdraw(
    conn: &mut Conn,
    author: &User,
    post_id: i64,
    now: DateTime<Utc>,
) -> Result<i64, ForumError> {
    let reader = Reader::of(conn, Some(author)).await?;
    conn.transaction::<_, ForumError, _>(async |conn| {
        let post = lock_visible(conn, post_id, &reader)
            .await?
            .filter(|p| p.deleted_at.is_none())
            .ok_or(ForumError::NotFound)?;
        if post.author_id != author.id {
            return Err(ForumError::Forbidden);
        }
        if post.hidden_at.is_some() {
            return Err(ForumError::Conflict(
                "This post is with the moderators; it can be deleted once they have decided.",
            ));
        }
        if post.depth == 0 {
            let others: i64 = posts::table
                .filter(posts::topic_id.eq(post.topic_id))
                .filter(posts::author_id.ne(author.id))
                .filter(crate::access::post_not_deleted())
                .count()
                .get_result(conn)
                .await?;
            if others > 0 {
                return Err(ForumError::Conflict(
                    "Others have replied, so the topic stays: edit the opening post instead.",
                ));
            }
            diesel::update(topics::table.find(post.topic_id))
                .set((topics::deleted_at.eq(now), topics::updated_at.eq(now)))
                .execute(conn)
                .await?;
        }
        diesel::update(posts::table.find(post.id))
            .set(posts::deleted_at.eq(now))
            .execute(conn)
            .await?;
        // A reply is re-indexed alone; a deleted topic as a whole.
        let reindex = (post.depth != 0).then_some(post.id);
        crate::search::outbox::push(conn, post.topic_id, reindex).await?;
        Ok(post.topic_id)
    })
    .await
}

/// A post before and after an edit (the same when the text did not change).
pub struct Edited {
    pub before: Post,
    pub after: Post,
    pub changed: bool,
}

/// Replaces a post's text in one transaction, keeping the old text as a revision. Authors and
/// staff only. Callers add what follows an edit (`posting::edit`, `moderation::actions`).
/// Who is editing: the author, or a moderator through the moderator edit (reason required and
/// logged by `moderation::actions`). Staff editing someone else's post any other way is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditAs {
    Author,
    Moderator,
}

pub async fn edit(
    conn: &mut Conn,
    editor: &User,
    as_: EditAs,
    post_id: i64,
    body: &Body,
    now: DateTime<Utc>,
) -> Result<Edited, ForumError> {
    let reader = Reader::of(conn, Some(editor)).await?;
    conn.transaction::<_, ForumError, _>(async |conn| {
        let post = lock_visible(conn, post_id, &reader)
            .await?
            .ok_or(ForumError::NotFound)?;
        let moderating = as_ == EditAs::Moderator && reader.staff;
        if post.author_id != editor.id && !moderating {
            return Err(ForumError::Forbidden);
        }
        if let Some(until) = editor.silenced_until.filter(|t| *t > now) {
            return Err(ForumError::Silenced { until });
        }
        let locked: bool = topics::table
            .find(post.topic_id)
            .select(topics::locked)
            .first(conn)
            .await?;
        if locked && !reader.staff {
            return Err(ForumError::Locked);
        }
        if post.body_md == body.as_str() {
            return Ok(Edited {
                after: post.clone(),
                before: post,
                changed: false,
            });
        }
        diesel::insert_into(post_revisions::table)
            .values((
                post_revisions::post_id.eq(post.id),
                post_revisions::editor_id.eq(editor.id),
                post_revisions::body_md.eq(&post.body_md),
                post_revisions::created_at.eq(now),
            ))
            .execute(conn)
            .await?;
        let html = render_with_mentions(conn, body.as_str()).await?;
        let updated = diesel::update(posts::table.find(post.id))
            .set((
                posts::body_md.eq(body.as_str()),
                posts::body_html.eq(html.as_str()),
                posts::edited_at.eq(now),
            ))
            .returning(Post::as_returning())
            .get_result(conn)
            .await?;
        crate::search::outbox::push(conn, post.topic_id, Some(post.id)).await?;
        if post.depth == 0 {
            diesel::update(topics::table.find(post.topic_id))
                .set((
                    topics::excerpt.eq(crate::content::excerpt(body.as_str(), 200)),
                    topics::updated_at.eq(now),
                ))
                .execute(conn)
                .await?;
        }
        Ok(Edited {
            before: post,
            after: updated,
            changed: true,
        })
    })
    .await
}

#[derive(Debug, Clone, Serialize, Queryable, utoipa::ToSchema)]
pub struct Revision {
    pub id: i64,
    pub editor: String,
    pub body_md: String,
    pub created_at: DateTime<Utc>,
}

/// Earlier versions of a post, newest first: for its author and for staff.
pub async fn revisions(
    conn: &mut Conn,
    reader: &Reader,
    post_id: i64,
) -> Result<Vec<Revision>, ForumError> {
    let post = visible(conn, post_id, reader)
        .await?
        .ok_or(ForumError::NotFound)?;
    if !(reader.staff || reader.user_id == Some(post.author_id)) {
        return Err(ForumError::NotFound);
    }
    Ok(post_revisions::table
        .inner_join(users::table)
        .filter(post_revisions::post_id.eq(post_id))
        .order(post_revisions::id.desc())
        .select((
            post_revisions::id,
            users::username,
            post_revisions::body_md,
            post_revisions::created_at,
        ))
        .load(conn)
        .await?)
}
