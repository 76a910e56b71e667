//! The read side of sanctions: whether a person is silenced or suspended now, and their history.
//! Login asks it; `moderation::sanctions` imposes and lifts them.

use crate::db::schema::sanctions;
use crate::db::Conn;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Silence,
    Suspend,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Silence => "silence",
            Kind::Suspend => "suspend",
        }
    }
}

#[derive(Debug, Clone, Serialize, Queryable, Selectable, utoipa::ToSchema)]
#[diesel(table_name = sanctions)]
pub struct Sanction {
    pub kind: String,
    pub reason: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub lifted_at: Option<DateTime<Utc>>,
}

/// The sanction in force of `kind`, if any: what the user is shown.
pub async fn current(
    conn: &mut Conn,
    user_id: i64,
    kind: Kind,
    now: DateTime<Utc>,
) -> QueryResult<Option<Sanction>> {
    sanctions::table
        .filter(sanctions::user_id.eq(user_id))
        .filter(sanctions::kind.eq(kind.as_str()))
        .filter(sanctions::lifted_at.is_null())
        .filter(sanctions::ends_at.gt(now))
        .order(sanctions::ends_at.desc())
        .select(Sanction::as_select())
        .first(conn)
        .await
        .optional()
}

pub async fn history(conn: &mut Conn, user_id: i64) -> QueryResult<Vec<Sanction>> {
    sanctions::table
        .filter(sanctions::user_id.eq(user_id))
        .order(sanctions::starts_at.desc())
        .select(Sanction::as_select())
        .load(conn)
        .await
}
