//! Hot rank, stored on `topics.hot_rank` so listings sort on an index.
//!
//! `rank = 10000 * log10(max(1, 3 + likes + replies)) / (age_hours + 2)^1.8` (Lemmy's shape):
//! activity raises a topic, age pulls it down; a new topic with no activity starts near 1370.

use crate::db::Conn;
use crate::jobs::{Job, JobContext, JobError, JobKind};
use chrono::{DateTime, Utc};
use diesel::sql_types::{BigInt, Timestamptz};
use diesel_async::RunQueryDsl;

const HOT_SQL: &str = "(10000.0 * log(greatest(1, 3 + like_count + reply_count)) \
    / power(greatest(0, extract(epoch from ($1 - created_at)) / 3600.0) + 2, 1.8))::float8";

/// The same formula in Rust, for documentation and tests.
pub fn hot_rank(likes: i64, replies: i64, age_hours: f64) -> f64 {
    10000.0 * ((3 + likes + replies).max(1) as f64).log10() / (age_hours.max(0.0) + 2.0).powf(1.8)
}

pub async fn refresh_topic(
    conn: &mut Conn,
    topic_id: i64,
    now: DateTime<Utc>,
) -> diesel::QueryResult<()> {
    diesel::sql_query(format!(
        "UPDATE topics SET hot_rank = {HOT_SQL} WHERE id = $2"
    ))
    .bind::<Timestamptz, _>(now)
    .bind::<BigInt, _>(topic_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// The scheduled refresh: topics active in the last 14 days, plus any still ranked above the
/// floor (so a topic that went quiet decays to the floor once, then stays put).
pub async fn refresh_recent(conn: &mut Conn, now: DateTime<Utc>) -> diesel::QueryResult<usize> {
    diesel::sql_query(format!(
        "UPDATE topics SET hot_rank = {HOT_SQL} \
         WHERE last_posted_at > $1 - interval '14 days' OR hot_rank > 0.01"
    ))
    .bind::<Timestamptz, _>(now)
    .execute(conn)
    .await
}

/// Recomputes hot ranks so quiet topics sink (every 10 minutes).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RefreshHotRanks;

impl Job for RefreshHotRanks {
    const KIND: JobKind = JobKind::RefreshHotRanks;
    const SCHEDULED: bool = true;

    async fn run(self, ctx: &JobContext, now: DateTime<Utc>) -> Result<(), JobError> {
        let mut conn = crate::db::get(&ctx.pool).await?;
        refresh_recent(&mut conn, now).await?;
        Ok(())
    }
}
