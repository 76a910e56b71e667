//! Every time staff look at someone's email, IP addresses or private logs, a row says who looked
//! at whose what, and when. Append-only; admins read it.

use crate::db::schema::{personal_data_access, users};
use crate::db::Conn;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Serialize;

pub async fn record(
    conn: &mut Conn,
    staff_id: i64,
    subject_id: i64,
    what: &str,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::insert_into(personal_data_access::table)
        .values((
            personal_data_access::staff_id.eq(staff_id),
            personal_data_access::subject_id.eq(subject_id),
            personal_data_access::what.eq(what),
            personal_data_access::created_at.eq(now),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

#[derive(Debug, Clone, Serialize, Queryable, utoipa::ToSchema)]
#[schema(as = AccessLogEntry)]
pub struct Item {
    pub id: i64,
    pub staff: String,
    pub subject: String,
    pub what: String,
    pub created_at: DateTime<Utc>,
}

pub async fn list(conn: &mut Conn, before: Option<i64>, limit: i64) -> QueryResult<Vec<Item>> {
    let (staff, subjects) = diesel::alias!(users as staff, users as subjects);
    let mut q = personal_data_access::table
        .inner_join(staff.on(personal_data_access::staff_id.eq(staff.field(users::id))))
        .inner_join(subjects.on(personal_data_access::subject_id.eq(subjects.field(users::id))))
        .select((
            personal_data_access::id,
            staff.field(users::username),
            subjects.field(users::username),
            personal_data_access::what,
            personal_data_access::created_at,
        ))
        .order(personal_data_access::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(b) = before {
        q = q.filter(personal_data_access::id.lt(b));
    }
    q.load(conn).await
}
