//! Titles an admin grants (头衔): shown beside the name, recorded in the audit log.

use crate::accounts::{FieldError, User};
use crate::audit::{self, Entry};
use crate::db::schema::users;
use crate::db::Conn;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use serde_json::json;

pub const MAX_CHARS: usize = 30;

/// One line, control characters removed, at most 30 characters; empty removes the title.
pub fn parse(raw: &str) -> Result<Option<String>, FieldError> {
    let title: String = raw.trim().chars().filter(|c| !c.is_control()).collect();
    if title.chars().count() > MAX_CHARS {
        return Err(FieldError::new("title", "at most 30 characters"));
    }
    Ok((!title.is_empty()).then_some(title))
}

/// Sets the title and writes its audit row in one transaction.
pub async fn grant(
    conn: &mut Conn,
    admin_id: i64,
    actor_ip: &str,
    target: &User,
    title: Option<String>,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    conn.transaction::<_, diesel::result::Error, _>(async |conn| {
        diesel::update(users::table.find(target.id))
            .set(users::title.eq(&title))
            .execute(conn)
            .await?;
        audit::record(
            conn,
            Entry {
                actor_id: Some(admin_id),
                action: "grant_title",
                target_user_id: Some(target.id),
                before: Some(json!({ "title": target.title })),
                after: Some(json!({ "title": title })),
                actor_ip: Some(actor_ip),
                ..Default::default()
            },
            now,
        )
        .await
    })
    .await
}
