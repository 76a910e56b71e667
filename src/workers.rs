//! The background work of `chorus serve`: which handler runs each job kind (`registry`), the
//! periodic jobs (`schedule`), and three independent loops (search indexing, jobs, mail), each
//! waking on its own NOTIFY channel and polling anyway (a notification can be missed across a
//! reconnect), each backing off on its own when it fails.
//! The only module that knows every domain's jobs: `jobs` itself knows none.

use crate::clock::Clock;
use crate::config::Settings;
use crate::db::{self, Pool};
use crate::jobs::{self, run_due, AnyJob, JobContext, Registry, WAKE_CHANNEL};
use crate::mail::{self, transport::Transport};
use chrono::{DateTime, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use futures_util::StreamExt;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

pub struct Runner {
    pub settings: Arc<Settings>,
    pub pool: Pool,
    pub db_url: String,
    pub transport: Transport,
    pub mailer: mail::Mailer,
    pub clock: Clock,
    pub search: Arc<crate::search::Search>,
}

/// One of the three background loops; each has its own task, its own LISTEN connection and its
/// own backoff, so a stalled SMTP server cannot hold up search or jobs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Loop {
    Search,
    Jobs,
    Mail,
}

impl Loop {
    fn name(self) -> &'static str {
        match self {
            Loop::Search => "search indexer",
            Loop::Jobs => "job runner",
            Loop::Mail => "mail worker",
        }
    }
    fn channel(self) -> &'static str {
        match self {
            Loop::Search => crate::search::outbox::WAKE_CHANNEL,
            Loop::Jobs => WAKE_CHANNEL,
            Loop::Mail => mail::WAKE_CHANNEL,
        }
    }
}

/// The longest a failing loop waits between tries.
const MAX_BACKOFF: Duration = Duration::from_secs(10);

impl Runner {
    /// Runs until `stop` turns true, then gives the loops `shutdown_grace_secs` to finish what
    /// they hold; whatever is left (queued mail, due jobs, outbox rows) waits for the next start.
    pub async fn run(self, stop: watch::Receiver<bool>) {
        let grace = Duration::from_secs(self.settings.shutdown_grace_secs);
        let me = Arc::new(self);
        let handles: Vec<_> = [Loop::Search, Loop::Jobs, Loop::Mail]
            .into_iter()
            .map(|l| tokio::spawn(me.clone().run_loop(l, stop.clone())))
            .collect();
        let mut stop = stop;
        while !*stop.borrow() {
            if stop.changed().await.is_err() {
                break;
            }
        }
        let all = futures_util::future::join_all(handles);
        let mut all = std::pin::pin!(all);
        if tokio::time::timeout(grace, &mut all).await.is_err() {
            tracing::warn!(grace_secs = grace.as_secs(), "background work still running at the end of the shutdown grace; stopping it (it resumes at the next start)");
        }
    }

    async fn run_loop(self: Arc<Self>, which: Loop, mut stop: watch::Receiver<bool>) {
        let registry = registry();
        let ctx = JobContext {
            settings: self.settings.clone(),
            pool: self.pool.clone(),
            mailer: self.mailer.clone(),
            retry_base_secs: self.settings.jobs.retry_base_secs,
        };
        let poll = Duration::from_millis(self.settings.jobs.poll_millis.max(50));
        let mut waker = Waker::new(&self.db_url, which.channel(), &self.settings);
        // Keys already enqueued by this node, so the loop asks the database only when one is new.
        let mut scheduled: std::collections::HashSet<String> = Default::default();
        let mut failures: u32 = 0;
        let last_logged = std::sync::atomic::AtomicI64::new(0);
        loop {
            let step = async {
                match which {
                    Loop::Search => self.search_step().await,
                    Loop::Jobs => {
                        let now = self.clock.now();
                        for (key, job) in schedule(now) {
                            if !scheduled.contains(&key) {
                                self.enqueue_scheduled(&key, &job, now).await?;
                                if scheduled.len() > 1000 {
                                    scheduled.clear();
                                }
                                scheduled.insert(key);
                            }
                        }
                        run_due(&registry, &ctx, now, 100)
                            .await
                            .map(|_| ())
                            .map_err(anyhow::Error::from)
                    }
                    Loop::Mail => mail::worker::deliver_due(
                        &self.pool,
                        &self.transport,
                        &self.settings.mail,
                        self.clock.now(),
                    )
                    .await
                    .map(|_| ())
                    .map_err(anyhow::Error::from),
                }
            };
            // A step stopped by shutdown leaves its rows as they were: claimed mail returns
            // to the queue when its lease ends, jobs when theirs does.
            let result = tokio::select! {
                r = step => Some(r),
                _ = stop.changed() => None,
            };
            let wait = match result {
                None => break,
                Some(Ok(())) => {
                    failures = 0;
                    poll
                }
                Some(Err(e)) => {
                    failures = failures.saturating_add(1);
                    // Backoff and one log line a second at most: an outage must neither spin a
                    // core nor flood the log.
                    if crate::clock::log_allowed(&last_logged) {
                        tracing::error!(
                            error = format!("{e:#}"),
                            failures,
                            "{} failed",
                            which.name()
                        );
                    }
                    poll.saturating_mul(2u32.saturating_pow(failures.min(10)))
                        .min(MAX_BACKOFF)
                }
            };
            tokio::select! {
                _ = waker.wait(wait, failures == 0) => {}
                _ = stop.changed() => {}
            }
            if *stop.borrow() {
                break;
            }
        }
    }

    /// Search first swaps in a new generation if there is one, repairs a damaged one, then
    /// applies the outbox.
    async fn search_step(&self) -> anyhow::Result<()> {
        if let Err(e) = self.search.refresh() {
            self.search.report(&e);
        }
        self.search.repair(&self.pool).await?;
        let index = self.search.index()?;
        if let Err(e) = crate::search::indexer::apply_pending(&index, &self.pool).await {
            self.search.report(&e);
            return Err(e.into());
        }
        Ok(())
    }

    /// Periodic jobs; the dedupe key makes every node agree on one run.
    async fn enqueue_scheduled(
        &self,
        key: &str,
        job: &AnyJob,
        now: chrono::DateTime<chrono::Utc>,
    ) -> anyhow::Result<()> {
        let mut conn = db::get(&self.pool).await?;
        jobs::enqueue_any(&mut conn, job, Some(key), now).await?;
        Ok(())
    }
}

/// Waits for a NOTIFY on one channel or for the poll interval. The LISTEN connection is opened
/// lazily, with the pool's connect deadline, and opened again after it dies (a dead stream
/// would otherwise return at once, every time).
struct Waker {
    url: String,
    channel: &'static str,
    connect: Duration,
    conn: Option<AsyncPgConnection>,
}

impl Waker {
    fn new(url: &str, channel: &'static str, settings: &Settings) -> Waker {
        Waker {
            url: url.to_string(),
            channel,
            connect: Duration::from_millis(settings.database_timeouts.connect_ms.max(1)),
            conn: None,
        }
    }

    /// `healthy`: the last step worked, so a LISTEN connection is worth (re)opening now.
    async fn wait(&mut self, at_most: Duration, healthy: bool) {
        if self.conn.is_none() && healthy {
            self.conn = self.listen().await;
        }
        let Some(conn) = self.conn.as_mut() else {
            tokio::time::sleep(at_most).await;
            return;
        };
        let started = tokio::time::Instant::now();
        let dead = {
            let mut stream = std::pin::pin!(conn.notifications_stream());
            matches!(
                tokio::time::timeout(at_most, stream.next()).await,
                Ok(None) | Ok(Some(Err(_)))
            )
        };
        if dead {
            // The connection is gone: forget it, and sleep out the rest of the wait.
            self.conn = None;
            tokio::time::sleep(at_most.saturating_sub(started.elapsed())).await;
        }
    }

    async fn listen(&self) -> Option<AsyncPgConnection> {
        let mut conn = tokio::time::timeout(self.connect, AsyncPgConnection::establish(&self.url))
            .await
            .ok()?
            .ok()?;
        diesel::sql_query(format!("LISTEN {}", self.channel))
            .execute(&mut conn)
            .await
            .ok()?;
        Some(conn)
    }
}

/// Every job kind with its handler; a test checks that none is missing.
pub fn registry() -> Registry {
    use crate::{feedback, forum, honor, moderation, notify, rights, triage};
    Registry::default()
        .with::<rights::retention::Cleanup>()
        .with::<forum::ranks::RefreshHotRanks>()
        .with::<notify::digest::WeeklyDigest>()
        .with::<feedback::votes::RefreshTrending>()
        .with::<moderation::reviews::EscalateReviews>()
        .with::<triage::priority::RefreshPriorities>()
        .with::<honor::medals::AwardMedals>()
        .with::<honor::medals::StarOfTheMonth>()
        .with::<forum::fanout::PostCreated>()
        .with::<feedback::loop_closure::StatusChanged>()
        .with::<feedback::loop_closure::StatusMail>()
        .with::<triage::webhooks::Webhook>()
        .with::<rights::mailed_export::BuildExport>()
}

/// Scheduled work due at `now`, each with the dedupe key that makes every node agree on one run.
pub fn schedule(now: DateTime<Utc>) -> Vec<(String, AnyJob)> {
    use crate::{forum, honor, moderation, notify, rights, triage};
    use chrono::{Datelike, Timelike};
    let hour = now.format("%Y-%m-%dT%H");
    let tenth = now.minute() / 10;
    let mut due = vec![
        (
            format!("cleanup:{hour}"),
            AnyJob::of(&rights::retention::Cleanup),
        ),
        (
            format!("hot-ranks:{hour}:{tenth}"),
            AnyJob::of(&forum::ranks::RefreshHotRanks),
        ),
        (
            format!("escalate:{hour}"),
            AnyJob::of(&moderation::reviews::EscalateReviews),
        ),
        (
            format!("medals:{hour}"),
            AnyJob::of(&honor::medals::AwardMedals),
        ),
        (
            format!("priorities:{hour}:{tenth}"),
            AnyJob::of(&triage::priority::RefreshPriorities),
        ),
    ];
    // The first of the month (UTC) crowns last month's stars.
    let last_month = (now.date_naive().with_day(1).unwrap_or_default() - chrono::Days::new(1))
        .format("%Y-%m")
        .to_string();
    due.push((
        format!("star:{last_month}"),
        AnyJob::of(&honor::medals::StarOfTheMonth { month: last_month }),
    ));
    if now.weekday() == chrono::Weekday::Mon && now.hour() >= 8 {
        let w = now.iso_week();
        let week = format!("{}-W{:02}", w.year(), w.week());
        due.push((
            format!("digest:{week}"),
            AnyJob::of(&notify::digest::WeeklyDigest { week }),
        ));
    }
    due
}
