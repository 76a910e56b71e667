//! Server-side sessions. The client holds a random token; the table holds its SHA-256, so a
//! leaked database does not leak live sessions. Logout deletes the row: the token is dead at once.

use super::tokens;
use super::users::User;
use crate::db::schema::{sessions, users};
use crate::db::Conn;
use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Serialize;

#[derive(Debug, Clone, Queryable, Selectable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = sessions)]
pub struct Session {
    pub id: i64,
    pub user_agent: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// Creates a session and returns the raw token to hand to the client (never stored).
pub async fn create(
    conn: &mut Conn,
    user_id: i64,
    user_agent: &str,
    lifetime: Duration,
    now: DateTime<Utc>,
) -> QueryResult<String> {
    create_from(conn, user_id, user_agent, None, lifetime, now).await
}

/// A session remembering the address it signed in from (staff may see it; each look is logged).
pub async fn create_from(
    conn: &mut Conn,
    user_id: i64,
    user_agent: &str,
    ip: Option<&str>,
    lifetime: Duration,
    now: DateTime<Utc>,
) -> QueryResult<String> {
    let (raw, hash) = tokens::generate();
    let agent: String = user_agent
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect();
    diesel::insert_into(sessions::table)
        .values((
            sessions::user_id.eq(user_id),
            sessions::token_hash.eq(hash),
            sessions::user_agent.eq(agent),
            sessions::created_at.eq(now),
            sessions::last_seen_at.eq(now),
            sessions::expires_at.eq(now + lifetime),
            sessions::ip.eq(ip.map(|i| i.chars().take(64).collect::<String>())),
        ))
        .execute(conn)
        .await?;
    Ok(raw)
}

/// The live session for a token and its user, in one query.
pub async fn lookup(
    conn: &mut Conn,
    raw: &str,
    now: DateTime<Utc>,
) -> QueryResult<Option<(Session, User)>> {
    if raw.len() != 64 {
        return Ok(None);
    }
    let found: Option<(Session, User)> = sessions::table
        .inner_join(users::table)
        .filter(sessions::token_hash.eq(tokens::digest(raw)))
        .filter(sessions::expires_at.gt(now))
        // A suspension kills sessions when imposed; this holds even for one created since.
        .filter(
            users::suspended_until
                .is_null()
                .or(users::suspended_until.le(now)),
        )
        .select((Session::as_select(), User::as_select()))
        .first(conn)
        .await
        .optional()?;
    if let Some((s, _)) = &found {
        // Touch at most once a minute so reads stay reads.
        if now - s.last_seen_at > Duration::minutes(1) {
            diesel::update(sessions::table.find(s.id))
                .set(sessions::last_seen_at.eq(now))
                .execute(conn)
                .await?;
        }
    }
    Ok(found)
}

pub async fn delete(conn: &mut Conn, session_id: i64) -> QueryResult<()> {
    diesel::delete(sessions::table.find(session_id))
        .execute(conn)
        .await?;
    Ok(())
}

/// Ends every session of the user, except `keep` if given.
pub async fn delete_all_for_user(
    conn: &mut Conn,
    user_id: i64,
    keep: Option<i64>,
) -> QueryResult<usize> {
    let q = sessions::table.filter(sessions::user_id.eq(user_id));
    match keep {
        Some(k) => {
            diesel::delete(q.filter(sessions::id.ne(k)))
                .execute(conn)
                .await
        }
        None => diesel::delete(q).execute(conn).await,
    }
}

pub async fn list_for_user(
    conn: &mut Conn,
    user_id: i64,
    now: DateTime<Utc>,
) -> QueryResult<Vec<Session>> {
    sessions::table
        .filter(sessions::user_id.eq(user_id))
        .filter(sessions::expires_at.gt(now))
        .order(sessions::last_seen_at.desc())
        .limit(100)
        .select(Session::as_select())
        .load(conn)
        .await
}

pub async fn delete_expired(conn: &mut Conn, now: DateTime<Utc>) -> QueryResult<usize> {
    diesel::delete(sessions::table.filter(sessions::expires_at.le(now)))
        .execute(conn)
        .await
}
