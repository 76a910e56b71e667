//! The background loop inside `chorus serve`: runs due jobs and delivers mail, waking on
//! NOTIFY and polling anyway (a notification can be missed across a reconnect).

use super::{enqueue, run_due, schedule, Job, JobContext, WAKE_CHANNEL};
use crate::clock::Clock;
use crate::config::Settings;
use crate::db::{self, Pool};
use crate::mail::{self, transport::Transport};
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
            if let Err(e) = run_due(&ctx, now, 100).await {
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
    async fn enqueue_scheduled(&self, key: &str, job: &Job, now: chrono::DateTime<chrono::Utc>) {
        if let Ok(mut conn) = db::get(&self.pool).await {
            if let Err(e) = enqueue(&mut conn, job, Some(key), now).await {
                tracing::warn!(error = %e, key, "scheduling a job");
            }
        }
    }
}
