//! What staff may know about a person, personal data included. Every look at personal data is
//! written to the access log here, in the same call that reads it.

use super::ModError;
use crate::access::Reader;
use crate::accounts::sanctions::{self, Sanction};
use crate::accounts::{users, User};
use crate::audit::access_log;
use crate::db::schema::sessions;
use crate::db::Conn;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use serde::Serialize;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PersonView {
    pub username: String,
    pub email: String,
    pub role: String,
    pub level: i16,
    pub honor: i32,
    pub joined_at: DateTime<Utc>,
    pub ips: Vec<String>,
    pub silenced_until: Option<DateTime<Utc>>,
    pub suspended_until: Option<DateTime<Utc>>,
    pub flags_agreed: i32,
    pub flags_disagreed: i32,
    pub sanctions: Vec<Sanction>,
}

/// The person by username, for a reader allowed their private data; the look is logged.
pub async fn view(
    conn: &mut Conn,
    viewer: &User,
    username: &str,
    now: DateTime<Utc>,
) -> Result<PersonView, ModError> {
    let user = users::by_username(conn, username)
        .await?
        .ok_or(ModError::NotFound)?;
    if !Reader::of(conn, Some(viewer))
        .await?
        .may_see_private_data_of(user.id)
    {
        return Err(ModError::NotFound);
    }
    let ips: Vec<String> = sessions::table
        .filter(sessions::user_id.eq(user.id))
        .filter(sessions::ip.is_not_null())
        .select(sessions::ip.assume_not_null())
        .distinct()
        .load(conn)
        .await?;
    conn.transaction::<_, diesel::result::Error, _>(async |conn| {
        access_log::record(conn, viewer.id, user.id, "email", now).await?;
        access_log::record(conn, viewer.id, user.id, "ips", now).await
    })
    .await?;
    let history = sanctions::history(conn, user.id).await?;
    Ok(PersonView {
        username: user.username,
        email: user.email,
        role: user.role.as_str().to_string(),
        level: user.level,
        honor: user.honor,
        joined_at: user.created_at,
        ips,
        silenced_until: user.silenced_until,
        suspended_until: user.suspended_until,
        flags_agreed: user.flags_agreed,
        flags_disagreed: user.flags_disagreed,
        sanctions: history,
    })
}
