//! Topic subscriptions (automatic when you post; manual on and off) and board follows (digests).

use crate::db::schema::{board_follows, subscriptions};
use crate::db::Conn;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

pub async fn subscribe(
    conn: &mut Conn,
    topic_id: i64,
    user_id: i64,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::insert_into(subscriptions::table)
        .values((
            subscriptions::topic_id.eq(topic_id),
            subscriptions::user_id.eq(user_id),
            subscriptions::created_at.eq(now),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    Ok(())
}

/// Follows (`on`) or stops following a topic.
pub async fn set(
    conn: &mut Conn,
    topic_id: i64,
    user_id: i64,
    on: bool,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    if on {
        subscribe(conn, topic_id, user_id, now).await
    } else {
        unsubscribe(conn, topic_id, user_id).await
    }
}

pub async fn unsubscribe(conn: &mut Conn, topic_id: i64, user_id: i64) -> QueryResult<()> {
    diesel::delete(subscriptions::table.find((topic_id, user_id)))
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn is_subscribed(conn: &mut Conn, topic_id: i64, user_id: i64) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        subscriptions::table.find((topic_id, user_id)),
    ))
    .get_result(conn)
    .await
}

/// Who was subscribed to the topic at `as_of`.
pub async fn subscribers(
    conn: &mut Conn,
    topic_id: i64,
    as_of: DateTime<Utc>,
) -> QueryResult<Vec<i64>> {
    subscriptions::table
        .filter(subscriptions::topic_id.eq(topic_id))
        .filter(subscriptions::created_at.le(as_of))
        .select(subscriptions::user_id)
        .load(conn)
        .await
}

pub async fn follow_board(
    conn: &mut Conn,
    board_id: i64,
    user_id: i64,
    on: bool,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    if on {
        diesel::insert_into(board_follows::table)
            .values((
                board_follows::board_id.eq(board_id),
                board_follows::user_id.eq(user_id),
                board_follows::created_at.eq(now),
            ))
            .on_conflict_do_nothing()
            .execute(conn)
            .await?;
    } else {
        diesel::delete(board_follows::table.find((board_id, user_id)))
            .execute(conn)
            .await?;
    }
    Ok(())
}
