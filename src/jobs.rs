//! A Postgres job table. Jobs are enqueued inside the transaction of the change that needs them;
//! the runner claims them with `FOR UPDATE SKIP LOCKED`, so any number of nodes can work the
//! queue. Handlers must be idempotent: a job may run again after a crash.

use crate::db::schema::jobs;
use crate::db::{self, Conn, Pool};
use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Jsonb, Text, Timestamptz};
use diesel_async::RunQueryDsl;
use futures_util::future::BoxFuture;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::HashMap;

pub const WAKE_CHANNEL: &str = "chorus_jobs";
/// Dedupe keys starting with this are released when the job finishes: they mean "at most one
/// pending", not "once ever" (batched mail uses them).
pub const PENDING_PREFIX: &str = "pending:";
/// A claimed job is someone's for this long; after that another worker may take it.
const LEASE: Duration = Duration::minutes(5);

crate::text_enum! {
    /// Every kind of background work. Its handler lives with its domain (`impl Job`), and
    /// `workers::registry` lists them all. The position is also a scheduled kind's advisory-lock
    /// number, so new kinds are added at the end.
    pub enum JobKind {
        Cleanup = "cleanup",
        RefreshHotRanks = "refresh_hot_ranks",
        WeeklyDigest = "weekly_digest",
        RefreshTrending = "refresh_trending",
        EscalateReviews = "escalate_reviews",
        RefreshPriorities = "refresh_priorities",
        AwardMedals = "award_medals",
        StarOfTheMonth = "star_of_the_month",
        PostCreated = "post_created",
        StatusChanged = "status_changed",
        StatusMail = "status_mail",
        Webhook = "webhook",
        BuildExport = "build_export",
    }
}

impl JobKind {
    fn lock_key(self) -> i32 {
        Self::ALL.iter().position(|k| *k == self).unwrap_or(0) as i32 + 1
    }
}

/// Why a job failed, with its cause chain for the log; the runner retries it with backoff.
pub type JobError = anyhow::Error;

/// One kind of background work: its payload is the value, its handler `run`. Handlers must be
/// idempotent: a job may run again after a crash.
pub trait Job: Serialize + DeserializeOwned + Send + Sync + 'static {
    const KIND: JobKind;
    /// Periodic work runs on one node at a time: each scheduled kind has a Postgres advisory
    /// lock, so two nodes never run, say, two hot-rank refreshes at once even if rows for two
    /// periods are due together. Per-event jobs (a post, a status change) need none.
    const SCHEDULED: bool = false;

    fn run(
        self,
        ctx: &JobContext,
        now: DateTime<Utc>,
    ) -> impl std::future::Future<Output = Result<(), JobError>> + Send;
}

/// A job of some kind with its payload, for lists of mixed kinds (the schedule).
#[derive(Debug, Clone, PartialEq)]
pub struct AnyJob {
    pub kind: JobKind,
    pub payload: serde_json::Value,
}

impl AnyJob {
    pub fn of<J: Job>(job: &J) -> AnyJob {
        AnyJob {
            kind: J::KIND,
            payload: serde_json::to_value(job).unwrap_or(serde_json::Value::Null),
        }
    }
}

type RunFn = for<'a> fn(
    &'a JobContext,
    serde_json::Value,
    DateTime<Utc>,
) -> BoxFuture<'a, Result<(), JobError>>;

fn run_erased<'a, J: Job>(
    ctx: &'a JobContext,
    payload: serde_json::Value,
    now: DateTime<Utc>,
) -> BoxFuture<'a, Result<(), JobError>> {
    Box::pin(async move {
        let job: J = serde_json::from_value(payload)?;
        job.run(ctx, now).await
    })
}

struct Handler {
    run: RunFn,
    scheduled: bool,
}

/// Which handler runs each kind. The runner knows only this, not the domains.
#[derive(Default)]
pub struct Registry {
    handlers: HashMap<JobKind, Handler>,
}

impl Registry {
    pub fn with<J: Job>(mut self) -> Self {
        self.handlers.insert(
            J::KIND,
            Handler {
                run: run_erased::<J>,
                scheduled: J::SCHEDULED,
            },
        );
        self
    }

    /// Kinds nobody registered a handler for (a test keeps this empty).
    pub fn missing(&self) -> Vec<JobKind> {
        JobKind::ALL
            .iter()
            .copied()
            .filter(|k| !self.handlers.contains_key(k))
            .collect()
    }
}

/// A dedupe key that means "at most one pending" rather than "once ever".
pub fn pending_key(name: &str) -> String {
    format!("{PENDING_PREFIX}{name}")
}

/// Whether a job with this dedupe key is waiting or running.
pub async fn is_pending(conn: &mut Conn, dedupe_key: &str) -> QueryResult<bool> {
    let n: i64 = jobs::table
        .filter(jobs::dedupe_key.eq(dedupe_key))
        .filter(jobs::done_at.is_null())
        .filter(jobs::failed_at.is_null())
        .count()
        .get_result(conn)
        .await?;
    Ok(n > 0)
}

/// Jobs not yet done or given up on (for `/metrics`).
pub async fn pending_count(conn: &mut Conn) -> QueryResult<i64> {
    jobs::table
        .filter(jobs::done_at.is_null())
        .filter(jobs::failed_at.is_null())
        .count()
        .get_result(conn)
        .await
}

/// Deletes finished jobs older than `before` (the hourly cleanup).
pub async fn delete_done_before(conn: &mut Conn, before: DateTime<Utc>) -> QueryResult<usize> {
    diesel::delete(jobs::table.filter(jobs::done_at.lt(before)))
        .execute(conn)
        .await
}

/// Adds a job; with a `dedupe_key` already present, does nothing.
pub async fn enqueue<J: Job>(
    conn: &mut Conn,
    job: &J,
    dedupe_key: Option<&str>,
    run_at: DateTime<Utc>,
) -> QueryResult<bool> {
    enqueue_any(conn, &AnyJob::of(job), dedupe_key, run_at).await
}

/// Adds many jobs of one kind in a few statements; keys already present are skipped.
pub async fn enqueue_many<J: Job>(
    conn: &mut Conn,
    jobs_and_keys: &[(J, Option<String>)],
    run_at: DateTime<Utc>,
) -> QueryResult<usize> {
    let mut added = 0;
    // Four parameters a row, under PostgreSQL's 65,535 per statement.
    for chunk in jobs_and_keys.chunks(10_000) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|(job, key)| {
                (
                    jobs::kind.eq(J::KIND.as_str()),
                    jobs::payload.eq(AnyJob::of(job).payload),
                    jobs::dedupe_key.eq(key.as_deref()),
                    jobs::run_at.eq(run_at),
                )
            })
            .collect();
        added += diesel::insert_into(jobs::table)
            .values(rows)
            .on_conflict_do_nothing()
            .execute(conn)
            .await?;
    }
    if added > 0 {
        wake(conn).await?;
    }
    Ok(added)
}

/// Adds a job of any kind (the schedule's entries).
pub async fn enqueue_any(
    conn: &mut Conn,
    job: &AnyJob,
    dedupe_key: Option<&str>,
    run_at: DateTime<Utc>,
) -> QueryResult<bool> {
    let n = diesel::insert_into(jobs::table)
        .values((
            jobs::kind.eq(job.kind.as_str()),
            jobs::payload.eq(&job.payload),
            jobs::dedupe_key.eq(dedupe_key),
            jobs::run_at.eq(run_at),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    if n == 1 {
        wake(conn).await?;
    }
    Ok(n == 1)
}

async fn wake(conn: &mut Conn) -> QueryResult<()> {
    diesel::sql_query(format!("NOTIFY {WAKE_CHANNEL}"))
        .execute(conn)
        .await?;
    Ok(())
}

#[derive(Debug, QueryableByName)]
struct Claimed {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Jsonb)]
    payload: serde_json::Value,
    #[diesel(sql_type = Integer)]
    attempts: i32,
    #[diesel(sql_type = Integer)]
    max_attempts: i32,
}

/// The advisory-lock class of scheduled jobs (the second key is the kind's lock number).
const SCHEDULED_LOCK_CLASS: i32 = 0x0c40;

/// What a handler needs from the outside world.
pub struct JobContext {
    pub settings: std::sync::Arc<crate::config::Settings>,
    pub pool: Pool,
    pub mailer: crate::mail::Mailer,
    pub retry_base_secs: i64,
}

/// Claims and runs due jobs until none is left or `max` ran; returns how many ran.
pub async fn run_due(
    registry: &Registry,
    ctx: &JobContext,
    now: DateTime<Utc>,
    max: usize,
) -> Result<usize, db::DbError> {
    let mut ran = 0;
    while ran < max {
        let mut conn = db::get(&ctx.pool).await?;
        let claimed: Option<Claimed> = diesel::sql_query(
            "UPDATE jobs SET locked_until = $1, attempts = attempts + 1 \
             WHERE id = (SELECT id FROM jobs WHERE done_at IS NULL AND failed_at IS NULL \
                         AND run_at <= $2 AND (locked_until IS NULL OR locked_until < $2) \
                         ORDER BY run_at LIMIT 1 FOR UPDATE SKIP LOCKED) \
             RETURNING id, kind, payload, attempts, max_attempts",
        )
        .bind::<Timestamptz, _>(now + LEASE)
        .bind::<Timestamptz, _>(now)
        .get_result(&mut conn)
        .await
        .optional()?;
        let Some(job) = claimed else { break };
        let handler =
            JobKind::from_text(&job.kind).and_then(|k| registry.handlers.get(&k).map(|h| (k, h)));
        let lock = handler
            .filter(|(_, h)| h.scheduled)
            .map(|(k, _)| k.lock_key());
        let held = match lock {
            Some(key) if try_lock(&mut conn, key).await? => Some((key, conn)),
            Some(_) => {
                // Another node is running this kind of work: look again shortly, no attempt spent.
                diesel::update(jobs::table.find(job.id))
                    .set((
                        jobs::run_at.eq(now + LOCK_RETRY),
                        jobs::attempts.eq(jobs::attempts - 1),
                        jobs::locked_until.eq(None::<DateTime<Utc>>),
                    ))
                    .execute(&mut conn)
                    .await?;
                continue;
            }
            None => {
                drop(conn);
                None
            }
        };
        ran += 1;
        let result = match handler {
            // A panicking handler fails its job like an error does: the runner goes on, and a
            // lock held for it is released below rather than left on a pooled connection.
            Some((_, h)) => {
                use futures_util::FutureExt;
                std::panic::AssertUnwindSafe((h.run)(ctx, job.payload, now))
                    .catch_unwind()
                    .await
                    .unwrap_or_else(|_| Err(anyhow::anyhow!("the job handler panicked")))
            }
            None => Err(anyhow::anyhow!("unknown job kind {:?}", job.kind)),
        };
        // The whole cause chain, for the log and the row.
        let result = result.map_err(|e| format!("{e:#}"));
        let mut conn = match held {
            // The lock belongs to this connection's session: release it on the same one.
            Some((key, mut conn)) => {
                unlock(&mut conn, key).await?;
                conn
            }
            None => db::get(&ctx.pool).await?,
        };
        let row = jobs::table.find(job.id);
        match result {
            Ok(()) => {
                diesel::update(row)
                    .set((
                        jobs::done_at.eq(now),
                        jobs::locked_until.eq(None::<DateTime<Utc>>),
                    ))
                    .execute(&mut conn)
                    .await?;
                release_pending_key(&mut conn, job.id).await?;
            }
            Err(why) if job.attempts < job.max_attempts => {
                tracing::warn!(job_id = job.id, kind = %job.kind, %why, "job failed; will retry");
                let delay = crate::clock::backoff(ctx.retry_base_secs, job.attempts);
                diesel::update(row)
                    .set((
                        jobs::run_at.eq(now + delay),
                        jobs::locked_until.eq(None::<DateTime<Utc>>),
                        jobs::last_error.eq(why),
                    ))
                    .execute(&mut conn)
                    .await?;
            }
            Err(why) => {
                tracing::error!(job_id = job.id, kind = %job.kind, %why, "job failed for good");
                diesel::update(row)
                    .set((jobs::failed_at.eq(now), jobs::last_error.eq(why)))
                    .execute(&mut conn)
                    .await?;
            }
        }
    }
    Ok(ran)
}

/// How long a scheduled job waits when another node holds its lock.
const LOCK_RETRY: Duration = Duration::seconds(30);

#[derive(QueryableByName)]
struct Locked {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    locked: bool,
}

async fn try_lock(conn: &mut Conn, key: i32) -> QueryResult<bool> {
    let r: Locked = diesel::sql_query("SELECT pg_try_advisory_lock($1, $2) AS locked")
        .bind::<Integer, _>(SCHEDULED_LOCK_CLASS)
        .bind::<Integer, _>(key)
        .get_result(conn)
        .await?;
    Ok(r.locked)
}

async fn unlock(conn: &mut Conn, key: i32) -> QueryResult<()> {
    diesel::sql_query("SELECT pg_advisory_unlock($1, $2)")
        .bind::<Integer, _>(SCHEDULED_LOCK_CLASS)
        .bind::<Integer, _>(key)
        .execute(conn)
        .await?;
    Ok(())
}

/// Frees a `pending:` dedupe key once its job is over, so the next batch can be queued.
async fn release_pending_key(conn: &mut Conn, job_id: i64) -> QueryResult<()> {
    diesel::update(
        jobs::table
            .find(job_id)
            .filter(jobs::dedupe_key.like(format!("{PENDING_PREFIX}%"))),
    )
    .set(jobs::dedupe_key.eq(None::<String>))
    .execute(conn)
    .await?;
    Ok(())
}
