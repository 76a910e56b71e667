//! The background work of `chorus serve`: which handler runs each job kind (`registry`), the
//! periodic jobs (`schedule`), and the loop that indexes search, runs due jobs and delivers mail,
//! waking on NOTIFY and polling anyway (a notification can be missed across a reconnect).
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

impl Runner {
    /// Runs until `stop` turns true.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let registry = registry();
        let ctx = JobContext {
            settings: self.settings.clone(),
            pool: self.pool.clone(),
            mailer: self.mailer.clone(),
            retry_base_secs: self.settings.jobs.retry_base_secs,
        };
        let poll = Duration::from_millis(self.settings.jobs.poll_millis.max(50));
        let mut listener = self.listen().await;
        // Keys already enqueued by this node, so the loop asks the database only when one is new.
        let mut scheduled: std::collections::HashSet<String> = Default::default();
        loop {
            let now = self.clock.now();
            for (key, job) in schedule(now) {
                if !scheduled.contains(&key) {
                    self.enqueue_scheduled(&key, &job, now).await;
                    if scheduled.len() > 1000 {
                        scheduled.clear();
                    }
                    scheduled.insert(key);
                }
            }
            // Search first: a new post should be findable within a second.
            if let Err(e) = self.search.refresh() {
                tracing::error!(error = %e, "switching search generation");
            }
            if let Err(e) =
                crate::search::indexer::apply_pending(&self.search.index(), &self.pool).await
            {
                tracing::error!(error = %e, "search indexer");
            }
            if let Err(e) = run_due(&registry, &ctx, now, 100).await {
                tracing::error!(error = %e, "job runner");
            }
            if let Err(e) =
                mail::worker::deliver_due(&self.pool, &self.transport, &self.settings.mail, now)
                    .await
            {
                tracing::error!(error = %e, "mail worker");
            }
            let woken = async {
                match listener.as_mut() {
                    Some(conn) => {
                        let mut stream = std::pin::pin!(conn.notifications_stream());
                        let _ = tokio::time::timeout(poll, stream.next()).await;
                    }
                    None => tokio::time::sleep(poll).await,
                }
            };
            tokio::select! {
                _ = woken => {}
                _ = stop.changed() => {}
            }
            if *stop.borrow() {
                break;
            }
        }
    }

    async fn listen(&self) -> Option<AsyncPgConnection> {
        let mut conn = AsyncPgConnection::establish(&self.db_url).await.ok()?;
        for ch in [
            WAKE_CHANNEL,
            mail::WAKE_CHANNEL,
            crate::search::outbox::WAKE_CHANNEL,
        ] {
            diesel::sql_query(format!("LISTEN {ch}"))
                .execute(&mut conn)
                .await
                .ok()?;
        }
        Some(conn)
    }

    /// Periodic jobs; the dedupe key makes every node agree on one run.
    async fn enqueue_scheduled(&self, key: &str, job: &AnyJob, now: chrono::DateTime<chrono::Utc>) {
        if let Ok(mut conn) = db::get(&self.pool).await {
            if let Err(e) = jobs::enqueue_any(&mut conn, job, Some(key), now).await {
                tracing::warn!(error = %e, key, "scheduling a job");
            }
        }
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
