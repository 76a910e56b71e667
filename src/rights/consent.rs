//! Consent to the privacy policy. The current version lives in config
//! (`privacy_policy_version`); a signed-in person whose accepted version differs may read but not
//! write until they accept it again. Every acceptance is kept (and exported).

use crate::accounts::User;
use crate::db::schema::{consents, users};
use crate::db::Conn;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};

pub fn needs_renewal(user: &User, current_version: &str) -> bool {
    !user.is_erased() && user.privacy_version != current_version
}

/// Records acceptance of `version` (the caller checks it is the current one). Accepting the
/// version already accepted changes nothing, so the history holds one row per real acceptance.
pub async fn accept(
    conn: &mut Conn,
    user_id: i64,
    version: &str,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    conn.transaction::<_, diesel::result::Error, _>(async |conn| {
        let changed = diesel::update(
            users::table
                .find(user_id)
                .filter(users::privacy_version.ne(version)),
        )
        .set((
            users::privacy_version.eq(version),
            users::privacy_accepted_at.eq(now),
            users::updated_at.eq(now),
        ))
        .execute(conn)
        .await?;
        if changed == 0 {
            return Ok(());
        }
        diesel::insert_into(consents::table)
            .values((
                consents::user_id.eq(user_id),
                consents::policy_version.eq(version),
                consents::accepted_at.eq(now),
            ))
            .execute(conn)
            .await?;
        Ok(())
    })
    .await
}

/// Every acceptance, oldest first: (policy version, when).
pub async fn history(conn: &mut Conn, user_id: i64) -> QueryResult<Vec<(String, DateTime<Utc>)>> {
    consents::table
        .filter(consents::user_id.eq(user_id))
        .order(consents::accepted_at)
        .select((consents::policy_version, consents::accepted_at))
        .load(conn)
        .await
}
