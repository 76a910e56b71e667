//! Rate limits counted in Postgres, so every `chorus serve` node sees the same counts. A sliding
//! window: the hits of the current fixed window plus the previous window's, weighted by how much
//! of it still lies inside the last `secs` seconds. So no burst at a window boundary gets twice
//! the limit through, as plain clock-aligned windows allow.

use crate::config::Limit;
use crate::db::schema::rate_limits;
use crate::db::Conn;
use chrono::{DateTime, TimeZone, Utc};
use diesel::prelude::*;
use diesel::upsert::excluded;
use diesel_async::RunQueryDsl;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimited {
    pub retry_after_secs: i64,
}

/// What is stored for a key like `login:account:alice`: its kind and a digest of the rest
/// (`login:account#3f1c…`), so the table never holds a name, an address or an IP.
pub fn stored_key(key: &str) -> String {
    use sha2::{Digest, Sha256};
    let kind = key.rsplit_once(':').map(|(k, _)| k).unwrap_or("");
    let digest = Sha256::digest(key.as_bytes());
    format!("{kind}#{}", hex::encode(&digest[..16]))
}

/// Counts one hit against `key`; refuses once the window already holds `limit.max` hits.
pub async fn hit(
    conn: &mut Conn,
    key: &str,
    limit: Limit,
    now: DateTime<Utc>,
) -> QueryResult<Result<(), RateLimited>> {
    let secs = limit.secs.max(1);
    let start_ts = now.timestamp().div_euclid(secs) * secs;
    let window_start = Utc.timestamp_opt(start_ts, 0).single().unwrap_or(now);
    let hits: i32 = diesel::insert_into(rate_limits::table)
        .values((
            rate_limits::key.eq(stored_key(key)),
            rate_limits::window_start.eq(window_start),
            rate_limits::hits.eq(1),
        ))
        .on_conflict((rate_limits::key, rate_limits::window_start))
        .do_update()
        .set(rate_limits::hits.eq(rate_limits::hits + excluded(rate_limits::hits)))
        .returning(rate_limits::hits)
        .get_result(conn)
        .await?;
    let previous: i32 = rate_limits::table
        .filter(rate_limits::key.eq(stored_key(key)))
        .filter(rate_limits::window_start.eq(window_start - chrono::Duration::seconds(secs)))
        .select(rate_limits::hits)
        .first(conn)
        .await
        .optional()?
        .unwrap_or(0);
    let into_window = (now - window_start).num_milliseconds() as f64 / (secs as f64 * 1000.0);
    let weighted = f64::from(hits) + f64::from(previous) * (1.0 - into_window.clamp(0.0, 1.0));
    if weighted > f64::from(limit.max) {
        let retry = (start_ts + secs - now.timestamp()).max(1);
        return Ok(Err(RateLimited {
            retry_after_secs: retry,
        }));
    }
    Ok(Ok(()))
}

/// Drops windows that ended more than a day ago.
pub async fn delete_old(conn: &mut Conn, now: DateTime<Utc>) -> QueryResult<usize> {
    diesel::delete(
        rate_limits::table.filter(rate_limits::window_start.lt(now - chrono::Duration::days(1))),
    )
    .execute(conn)
    .await
}
