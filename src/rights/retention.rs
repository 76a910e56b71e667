//! Keeping things only as long as they are useful: notifications after
//! `rights.notification_retention_days`, delivered mail after `rights.mail_retention_days`.
//! Run by the hourly cleanup, in batches, so a first run on a large table never holds long locks.

use crate::config::RightsSettings;
use crate::db::Conn;
use crate::jobs::{Job, JobContext, JobError, JobKind};
use chrono::{DateTime, Duration, Utc};
use diesel::sql_types::{BigInt, Timestamptz};
use diesel_async::RunQueryDsl;

const BATCH: i64 = 5000;

/// Deletes what has outlived its retention; returns (notifications, mails) deleted.
pub async fn prune(
    conn: &mut Conn,
    rights: &RightsSettings,
    now: DateTime<Utc>,
) -> diesel::QueryResult<(usize, usize)> {
    let notifications = in_batches(
        conn,
        "DELETE FROM notifications WHERE id IN \
         (SELECT id FROM notifications WHERE created_at < $1 LIMIT $2)",
        now - Duration::days(rights.notification_retention_days),
    )
    .await?;
    let mails = in_batches(
        conn,
        "DELETE FROM mail_outbox WHERE id IN \
         (SELECT id FROM mail_outbox WHERE status IN ('sent', 'failed') AND created_at < $1 LIMIT $2)",
        now - Duration::days(rights.mail_retention_days),
    )
    .await?;
    Ok((notifications, mails))
}

async fn in_batches(
    conn: &mut Conn,
    sql: &str,
    before: DateTime<Utc>,
) -> diesel::QueryResult<usize> {
    let mut total = 0;
    loop {
        let n = diesel::sql_query(sql)
            .bind::<Timestamptz, _>(before)
            .bind::<BigInt, _>(BATCH)
            .execute(conn)
            .await?;
        total += n;
        if (n as i64) < BATCH {
            return Ok(total);
        }
    }
}

/// The hourly cleanup: expired sessions, tokens, rate-limit windows, export files, old search
/// outbox rows, finished jobs, and whatever has outlived its retention.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Cleanup;

impl Job for Cleanup {
    const KIND: JobKind = JobKind::Cleanup;
    const SCHEDULED: bool = true;

    async fn run(self, ctx: &JobContext, now: DateTime<Utc>) -> Result<(), JobError> {
        let mut conn = crate::db::get(&ctx.pool).await?;
        let c = &mut *conn;
        let dir = ctx.settings.exports_dir();
        for name in super::mailed_export::expire(c, now).await? {
            tokio::fs::remove_file(dir.join(name)).await.ok();
        }
        crate::accounts::sessions::delete_expired(c, now).await?;
        crate::accounts::tokens::delete_expired(c, now - Duration::days(7)).await?;
        crate::rate_limits::delete_old(c, now).await?;
        crate::search::indexer::prune_outbox(c, now - Duration::days(7)).await?;
        prune(c, &ctx.settings.rights, now).await?;
        crate::jobs::delete_done_before(c, now - Duration::days(7)).await?;
        Ok(())
    }
}
