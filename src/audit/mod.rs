//! The audit log of staff actions: append-only (a trigger refuses updates and deletes), one row per
//! action with who, what, when, why and before/after for edits.

pub mod access_log;

use crate::db::schema::{mod_log, users};
use crate::db::Conn;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Serialize;

#[derive(Debug, Default)]
pub struct Entry<'a> {
    /// None: the system (a flag threshold, an escalation).
    pub actor_id: Option<i64>,
    pub action: &'a str,
    pub topic_id: Option<i64>,
    pub post_id: Option<i64>,
    pub target_user_id: Option<i64>,
    pub reason: &'a str,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub actor_ip: Option<&'a str>,
}

pub async fn record(conn: &mut Conn, e: Entry<'_>, now: DateTime<Utc>) -> QueryResult<()> {
    diesel::insert_into(mod_log::table)
        .values((
            mod_log::actor_id.eq(e.actor_id),
            mod_log::action.eq(e.action),
            mod_log::topic_id.eq(e.topic_id),
            mod_log::post_id.eq(e.post_id),
            mod_log::target_user_id.eq(e.target_user_id),
            mod_log::reason.eq(e.reason),
            mod_log::before.eq(e.before),
            mod_log::after.eq(e.after),
            mod_log::actor_ip.eq(e.actor_ip),
            mod_log::created_at.eq(now),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = AuditEntry)]
pub struct Item {
    pub id: i64,
    pub actor: Option<String>,
    pub action: String,
    pub topic_id: Option<i64>,
    pub post_id: Option<i64>,
    pub target_user: Option<String>,
    pub reason: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    /// Admins only: staff personal data.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor_ip: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// Newest first, keyed by id. Moderators see everything but the staff's IP addresses.
pub async fn list(
    conn: &mut Conn,
    admin: bool,
    target_user_id: Option<i64>,
    before: Option<i64>,
    limit: i64,
) -> QueryResult<(Vec<Item>, Option<i64>)> {
    let (actors, targets) = diesel::alias!(users as actors, users as targets);
    let mut q = mod_log::table
        .left_join(actors.on(mod_log::actor_id.eq(actors.field(users::id).nullable())))
        .left_join(targets.on(mod_log::target_user_id.eq(targets.field(users::id).nullable())))
        .select((
            mod_log::id,
            actors.field(users::username).nullable(),
            mod_log::action,
            mod_log::topic_id,
            mod_log::post_id,
            targets.field(users::username).nullable(),
            mod_log::reason,
            mod_log::before,
            mod_log::after,
            mod_log::actor_ip,
            mod_log::created_at,
        ))
        .order(mod_log::id.desc())
        .limit(limit + 1)
        .into_boxed();
    if let Some(b) = before {
        q = q.filter(mod_log::id.lt(b));
    }
    if let Some(t) = target_user_id {
        q = q.filter(mod_log::target_user_id.eq(t));
    }
    type Row = (
        i64,
        Option<String>,
        String,
        Option<i64>,
        Option<i64>,
        Option<String>,
        String,
        Option<serde_json::Value>,
        Option<serde_json::Value>,
        Option<String>,
        DateTime<Utc>,
    );
    let rows: Vec<Row> = q.load(conn).await?;
    let more = rows.len() as i64 > limit;
    let items: Vec<Item> = rows
        .into_iter()
        .take(limit as usize)
        .map(|r| Item {
            id: r.0,
            actor: r.1,
            action: r.2,
            topic_id: r.3,
            post_id: r.4,
            target_user: r.5,
            reason: r.6,
            before: r.7,
            after: r.8,
            actor_ip: if admin { r.9 } else { None },
            created_at: r.10,
        })
        .collect();
    let next = if more {
        items.last().map(|i| i.id)
    } else {
        None
    };
    Ok((items, next))
}
