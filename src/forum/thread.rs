//! Reading a thread: posts in tree order, a page at a time, keyed by materialized path.

use crate::access::Reader;
use crate::db::fixed_sql::fixed;
use crate::db::schema::{post_likes, posts, users};
use crate::db::Conn;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool};
use diesel_async::RunQueryDsl;
use serde::Serialize;

pub const PAGE_SIZE: i64 = 100;

#[derive(Debug, Clone, Queryable)]
struct Row {
    id: i64,
    author_id: i64,
    author: String,
    author_level: i16,
    author_title: Option<String>,
    author_role: crate::fields::Role,
    parent_id: Option<i64>,
    path: Vec<i64>,
    depth: i32,
    body_html: String,
    like_count: i32,
    hidden_at: Option<DateTime<Utc>>,
    deleted_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    edited_at: Option<DateTime<Utc>>,
}

/// A post as a reader sees it. Hidden or deleted posts keep their place in the tree with no body.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PostView {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub depth: i32,
    pub author: String,
    pub author_id: i64,
    /// Shown beside the name: Lv1–Lv10 and an admin-granted title.
    pub author_level: i16,
    pub author_title: Option<String>,
    pub author_role: crate::fields::Role,
    /// Staff and product-team members' posts carry the official mark, with their team if any.
    pub official: bool,
    pub author_team: Option<super::official::TeamMark>,
    pub body_html: Option<String>,
    pub like_count: i32,
    pub liked: bool,
    pub hidden: bool,
    pub deleted: bool,
    pub created_at: DateTime<Utc>,
    pub edited_at: Option<DateTime<Utc>>,
    #[serde(skip)]
    pub path: Vec<i64>,
}

pub struct Page {
    pub posts: Vec<PostView>,
    /// Path of the last post, when more follow.
    pub next: Option<Vec<i64>>,
}

/// One page of the thread after `after` (in reading order), optionally only below `root`.
/// Four queries whatever the thread's size: posts with authors, official authors' teams, and
/// the reader's likes.
pub async fn page(
    conn: &mut Conn,
    topic_id: i64,
    root: Option<&[i64]>,
    after: Option<&[i64]>,
    limit: i64,
    reader: &Reader,
) -> QueryResult<Page> {
    let mut q = posts::table
        .inner_join(users::table)
        .filter(posts::topic_id.eq(topic_id))
        .select((
            posts::id,
            posts::author_id,
            users::username,
            users::level,
            users::title,
            users::role,
            posts::parent_id,
            posts::path,
            posts::depth,
            posts::body_html,
            posts::like_count,
            posts::hidden_at,
            posts::deleted_at,
            posts::created_at,
            posts::edited_at,
        ))
        .order(posts::path.asc())
        .limit(limit + 1)
        .into_boxed();
    if let Some(a) = after {
        q = q.filter(fixed::<Bool>("posts.path > ").bind::<Array<BigInt>, _>(a.to_vec()));
    }
    if let Some(r) = root {
        // Descendants of r sort between r and r || max(int8).
        q = q
            .filter(fixed::<Bool>("posts.path >= ").bind::<Array<BigInt>, _>(r.to_vec()))
            .filter(
                fixed::<Bool>("posts.path < (")
                    .bind::<Array<BigInt>, _>(r.to_vec())
                    .sql(" || 9223372036854775807::int8)"),
            );
    }
    let mut rows: Vec<Row> = q.load(conn).await?;
    let next = if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|r| r.path.clone())
    } else {
        None
    };
    let liked: Vec<i64> = match reader.user_id {
        Some(uid) if !rows.is_empty() => {
            post_likes::table
                .filter(post_likes::user_id.eq(uid))
                .filter(post_likes::post_id.eq_any(rows.iter().map(|r| r.id).collect::<Vec<_>>()))
                .select(post_likes::post_id)
                .load(conn)
                .await?
        }
        _ => Vec::new(),
    };
    let authors: Vec<(i64, crate::fields::Role)> =
        rows.iter().map(|r| (r.author_id, r.author_role)).collect();
    let teams = super::official::teams_of(conn, topic_id, &authors).await?;
    let posts = rows
        .into_iter()
        .map(|r| {
            let visible = reader.sees(r.author_id, r.hidden_at.is_some(), r.deleted_at.is_some());
            PostView {
                id: r.id,
                parent_id: r.parent_id,
                depth: r.depth,
                author: r.author,
                author_id: r.author_id,
                author_level: r.author_level,
                author_title: r.author_title,
                author_role: r.author_role,
                official: super::official::is_official(r.author_role),
                author_team: teams.get(&r.author_id).cloned(),
                body_html: visible.then_some(r.body_html),
                like_count: r.like_count,
                liked: liked.contains(&r.id),
                hidden: r.hidden_at.is_some(),
                deleted: r.deleted_at.is_some(),
                created_at: r.created_at,
                edited_at: r.edited_at,
                path: r.path,
            }
        })
        .collect();
    Ok(Page { posts, next })
}
