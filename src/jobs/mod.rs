//! A Postgres job table. Jobs are enqueued inside the transaction of the change that needs them;
//! the runner claims them with `FOR UPDATE SKIP LOCKED`, so any number of nodes can work the
//! queue. Handlers must be idempotent: a job may run again after a crash.

pub mod runner;

use crate::db::schema::jobs;
use crate::db::{self, Conn, Pool};
use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Jsonb, Text, Timestamptz};
use diesel_async::RunQueryDsl;
use serde::{Deserialize, Serialize};

pub const WAKE_CHANNEL: &str = "chorus_jobs";
/// Dedupe keys starting with this are released when the job finishes: they mean "at most one
/// pending", not "once ever" (batched mail uses them).
pub const PENDING_PREFIX: &str = "pending:";
/// A claimed job is someone's for this long; after that another worker may take it.
const LEASE: Duration = Duration::minutes(5);

/// Every kind of background work, with its payload.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "kind", content = "payload", rename_all = "snake_case")]
pub enum Job {
    /// Deletes expired sessions, used tokens and old rate-limit windows.
    Cleanup,
    /// Tells the people concerned about a new post (replies, mentions, subscriptions).
    PostCreated { post_id: i64 },
    /// Recomputes hot ranks so quiet topics sink.
    RefreshHotRanks,
    /// Mails the weekly digest for the given ISO week (e.g. `2026-W48`).
    WeeklyDigest { week: String },
    /// Tells everyone behind a bug or idea about a status change.
    StatusChanged { change_id: i64 },
    /// One mail with a person's pending status changes (batched; see feedback::loop_closure).
    StatusMail { user_id: i64 },
    /// Recomputes the "votes in the last 7 days" sort key.
    RefreshTrending,
    /// Sends review items left open too long to every moderator.
    EscalateReviews,
    /// Recomputes every open triage item's priority (age against the SLA moves it).
    RefreshPriorities,
    /// Delivers a team webhook event (`routed`, `status_changed`); retried on failure.
    Webhook {
        topic_id: i64,
        event: String,
        at: String,
    },
    /// Awards every medal whose rule now holds.
    AwardMedals,
    /// Builds a person's large export and mails them the link.
    BuildExport { user_id: i64 },
    /// Crowns each board's Star of the Month for the given month (e.g. `2026-10`).
    StarOfTheMonth { month: String },
}

/// Scheduled work due at `now`, each with the dedupe key that makes every node agree on one run.
pub fn schedule(now: DateTime<Utc>) -> Vec<(String, Job)> {
    use chrono::{Datelike, Timelike};
    let mut due = vec![
        (
            format!("cleanup:{}", now.format("%Y-%m-%dT%H")),
            Job::Cleanup,
        ),
        (
            format!(
                "hot-ranks:{}:{}",
                now.format("%Y-%m-%dT%H"),
                now.minute() / 10
            ),
            Job::RefreshHotRanks,
        ),
    ];
    let hour = now.format("%Y-%m-%dT%H");
    due.push((format!("escalate:{hour}"), Job::EscalateReviews));
    due.push((format!("medals:{hour}"), Job::AwardMedals));
    due.push((
        format!("priorities:{hour}:{}", now.minute() / 10),
        Job::RefreshPriorities,
    ));
    // The first of the month (UTC) crowns last month's stars.
    let last_month = (now.date_naive().with_day(1).unwrap_or_default() - chrono::Days::new(1))
        .format("%Y-%m")
        .to_string();
    due.push((
        format!("star:{last_month}"),
        Job::StarOfTheMonth { month: last_month },
    ));
    if now.weekday() == chrono::Weekday::Mon && now.hour() >= 8 {
        let w = now.iso_week();
        let week = format!("{}-W{:02}", w.year(), w.week());
        due.push((format!("digest:{week}"), Job::WeeklyDigest { week }));
    }
    due
}

/// The advisory-lock class of scheduled jobs (the second key is the kind's number).
const SCHEDULED_LOCK_CLASS: i32 = 0x0c40;

impl Job {
    /// Periodic work runs on one node at a time: each kind has a Postgres advisory lock, so
    /// two nodes never run, say, two hot-rank refreshes at once even if rows for two periods
    /// are due together. Per-event jobs (a post, a status change) need none.
    fn scheduled_lock(&self) -> Option<i32> {
        Some(match self {
            Job::Cleanup => 1,
            Job::RefreshHotRanks => 2,
            Job::WeeklyDigest { .. } => 3,
            Job::RefreshTrending => 4,
            Job::EscalateReviews => 5,
            Job::RefreshPriorities => 6,
            Job::AwardMedals => 7,
            Job::StarOfTheMonth { .. } => 8,
            _ => return None,
        })
    }

    fn kind(&self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.get("kind").and_then(|k| k.as_str()).map(str::to_string))
            .unwrap_or_default()
    }
}

/// Adds a job; with a `dedupe_key` already present, does nothing.
pub async fn enqueue(
    conn: &mut Conn,
    job: &Job,
    dedupe_key: Option<&str>,
    run_at: DateTime<Utc>,
) -> QueryResult<bool> {
    let payload = serde_json::to_value(job)
        .ok()
        .and_then(|v| v.get("payload").cloned())
        .unwrap_or(serde_json::Value::Null);
    let n = diesel::insert_into(jobs::table)
        .values((
            jobs::kind.eq(job.kind()),
            jobs::payload.eq(payload),
            jobs::dedupe_key.eq(dedupe_key),
            jobs::run_at.eq(run_at),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    if n == 1 {
        diesel::sql_query(format!("NOTIFY {WAKE_CHANNEL}"))
            .execute(conn)
            .await?;
    }
    Ok(n == 1)
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

/// What a handler needs from the outside world.
pub struct JobContext {
    pub settings: std::sync::Arc<crate::config::Settings>,
    pub pool: Pool,
    pub mailer: crate::mail::Mailer,
    pub retry_base_secs: i64,
}

/// Claims and runs due jobs until none is left or `max` ran; returns how many ran.
pub async fn run_due(
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
        let parsed = serde_json::from_value::<Job>(
            serde_json::json!({"kind": job.kind, "payload": job.payload}),
        );
        let held = match parsed.as_ref().ok().and_then(Job::scheduled_lock) {
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
        let result = match parsed {
            // A panicking handler fails its job like an error does: the runner goes on, and a
            // lock held for it is released below rather than left on a pooled connection.
            Ok(parsed) => {
                use futures_util::FutureExt;
                std::panic::AssertUnwindSafe(handle(ctx, parsed, now))
                    .catch_unwind()
                    .await
                    .unwrap_or_else(|_| Err("the job handler panicked".into()))
            }
            Err(e) => Err(format!("unknown job: {e}")),
        };
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
                let delay = crate::mail::worker::backoff(ctx.retry_base_secs, job.attempts);
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

async fn handle(ctx: &JobContext, job: Job, now: DateTime<Utc>) -> Result<(), String> {
    let mut conn = db::get(&ctx.pool).await.map_err(|e| e.to_string())?;
    match job {
        Job::PostCreated { post_id } => {
            crate::forum::fanout::post_created(&ctx.pool, &ctx.mailer, post_id, now)
                .await
                .map_err(|e| e.to_string())
        }
        Job::StatusChanged { change_id } => {
            status_honor(&mut conn, &ctx.settings, change_id, now)
                .await
                .map_err(|e| e.to_string())?;
            crate::feedback::loop_closure::status_changed(&ctx.pool, change_id, now)
                .await
                .map_err(|e| e.to_string())?;
            Ok(())
        }
        Job::StatusMail { user_id } => {
            crate::feedback::loop_closure::send_status_mail(&ctx.pool, &ctx.mailer, user_id, now)
                .await
                .map_err(|e| e.to_string())
        }
        Job::EscalateReviews => {
            crate::moderation::reviews::escalate(&mut conn, &ctx.settings, now)
                .await
                .map_err(|e| e.to_string())?;
            Ok(())
        }
        Job::Webhook {
            topic_id,
            event,
            at,
        } => {
            crate::triage::webhooks::deliver(
                &mut conn,
                &ctx.settings.base_url,
                topic_id,
                &event,
                &at,
            )
            .await
        }
        Job::RefreshPriorities => {
            crate::triage::priority::refresh(&mut conn, None, now)
                .await
                .map_err(|e| e.to_string())?;
            crate::triage::priority::notify_overdue(&mut conn, now)
                .await
                .map_err(|e| e.to_string())?;
            Ok(())
        }
        Job::AwardMedals => {
            crate::honor::medals::award_all(&mut conn, &ctx.settings.honor, now)
                .await
                .map_err(|e| e.to_string())?;
            Ok(())
        }
        Job::StarOfTheMonth { month } => {
            crate::honor::medals::star_of_the_month(&mut conn, &month, now)
                .await
                .map_err(|e| e.to_string())?;
            Ok(())
        }
        Job::RefreshTrending => {
            crate::feedback::votes::refresh_trending(&mut conn, None, now)
                .await
                .map_err(|e| e.to_string())?;
            Ok(())
        }
        Job::WeeklyDigest { week } => {
            crate::notify::digest::send_weekly(&ctx.pool, &ctx.mailer, &week, now)
                .await
                .map_err(|e| e.to_string())?;
            Ok(())
        }
        Job::RefreshHotRanks => {
            crate::forum::ranks::refresh_recent(&mut conn, now)
                .await
                .map_err(|e| e.to_string())?;
            Ok(())
        }
        Job::BuildExport { user_id } => {
            crate::rights::mailed_export::build_and_mail(
                &mut conn,
                &ctx.settings,
                &ctx.mailer,
                user_id,
                now,
            )
            .await
        }
        Job::Cleanup => {
            use crate::db::schema::account_tokens;
            let c = &mut *conn;
            let dir = ctx.settings.exports_dir();
            for name in crate::rights::mailed_export::expire(c, now)
                .await
                .map_err(|e| e.to_string())?
            {
                tokio::fs::remove_file(dir.join(name)).await.ok();
            }
            crate::accounts::sessions::delete_expired(c, now)
                .await
                .map_err(|e| e.to_string())?;
            crate::rate_limits::delete_old(c, now)
                .await
                .map_err(|e| e.to_string())?;
            diesel::delete(
                account_tokens::table
                    .filter(account_tokens::expires_at.lt(now - Duration::days(7))),
            )
            .execute(c)
            .await
            .map_err(|e| e.to_string())?;
            crate::search::indexer::prune_outbox(c, now - Duration::days(7))
                .await
                .map_err(|e| e.to_string())?;
            crate::rights::retention::prune(c, &ctx.settings.rights, now)
                .await
                .map_err(|e| e.to_string())?;
            diesel::delete(jobs::table.filter(jobs::done_at.lt(now - Duration::days(7))))
                .execute(c)
                .await
                .map_err(|e| e.to_string())?;
            Ok(())
        }
    }
}

/// The reporter's honor for a milestone status (acknowledged, planned, resolved). Replays are
/// harmless: the ledger counts each (reason, topic) once.
async fn status_honor(
    conn: &mut Conn,
    settings: &crate::config::Settings,
    change_id: i64,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    use crate::db::schema::{status_changes, topics};
    use diesel_async::AsyncConnection;
    let (topic_id, actor_id, to_status, kind): (i64, i64, String, String) = status_changes::table
        .inner_join(topics::table.on(topics::id.eq(status_changes::topic_id)))
        .filter(status_changes::id.eq(change_id))
        .select((
            status_changes::topic_id,
            status_changes::actor_id,
            status_changes::to_status,
            topics::kind,
        ))
        .first(conn)
        .await?;
    conn.transaction::<_, diesel::result::Error, _>(async |conn| {
        crate::honor::on_status(
            conn,
            &settings.honor,
            actor_id,
            topic_id,
            &kind,
            &to_status,
            now,
        )
        .await
    })
    .await
}
