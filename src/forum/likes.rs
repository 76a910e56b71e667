//! Likes: one per person per post, never on one's own post; counts kept exact under concurrency.

use super::posts::{self, Post};
use super::{ranks, ForumError};
use crate::access::Reader;
use crate::accounts::User;
use crate::db::schema::{post_likes, posts as posts_t, topics};
use crate::db::Conn;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};

async fn likeable(conn: &mut Conn, user: &User, post_id: i64) -> Result<Post, ForumError> {
    let reader = Reader::of(conn, Some(user)).await?;
    let post = posts::visible(conn, post_id, &reader)
        .await?
        .filter(|p| p.hidden_at.is_none())
        .ok_or(ForumError::NotFound)?;
    if post.author_id == user.id {
        return Err(ForumError::OwnPost);
    }
    Ok(post)
}

/// Likes the post (`on`) or takes the like back; repeating either changes nothing. Returns the
/// like count.
pub async fn set(
    conn: &mut Conn,
    s: &crate::config::Settings,
    user: &User,
    post_id: i64,
    on: bool,
    now: DateTime<Utc>,
) -> Result<i32, ForumError> {
    conn.transaction::<_, ForumError, _>(async |conn| {
        let post = likeable(conn, user, post_id).await?;
        if on {
            use crate::forum::guard::{self, Action};
            if let Err(r) = guard::count(conn, &s.moderation, user, Action::Like, now).await? {
                return Err(ForumError::RateLimited(r));
            }
        }
        let delta = if on {
            diesel::insert_into(post_likes::table)
                .values((
                    post_likes::post_id.eq(post_id),
                    post_likes::user_id.eq(user.id),
                    post_likes::created_at.eq(now),
                ))
                .on_conflict_do_nothing()
                .execute(conn)
                .await? as i32
        } else {
            -(diesel::delete(post_likes::table.find((post_id, user.id)))
                .execute(conn)
                .await? as i32)
        };
        if delta != 0 {
            crate::honor::on_like(conn, &s.honor, user, post_id, on, now).await?;
        }
        change(conn, &post, delta, now).await
    })
    .await
}

/// Applies the delta with `count = count + delta`, so concurrent likes add up exactly.
async fn change(
    conn: &mut Conn,
    post: &Post,
    delta: i32,
    now: DateTime<Utc>,
) -> Result<i32, ForumError> {
    if delta == 0 {
        return Ok(posts_t::table
            .find(post.id)
            .select(posts_t::like_count)
            .first(conn)
            .await?);
    }
    let count: i32 = diesel::update(posts_t::table.find(post.id))
        .set(posts_t::like_count.eq(posts_t::like_count + delta))
        .returning(posts_t::like_count)
        .get_result(conn)
        .await?;
    diesel::update(topics::table.find(post.topic_id))
        .set(topics::like_count.eq(topics::like_count + delta))
        .execute(conn)
        .await?;
    ranks::refresh_topic(conn, post.topic_id, now).await?;
    Ok(count)
}
