//! The background loop inside `chorus serve`: runs due jobs and delivers mail, waking on
//! NOTIFY and polling anyway (a notification can be missed across a reconnect).

use super::{enqueue, run_due, Job, JobContext, WAKE_CHANNEL};
use crate::clock::Clock;
use crate::config::Settings;
use crate::db::{self, Pool};
use crate::notify::mail::{self, transport::Transport};
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
}

impl Runner {
    /// Runs until `stop` turns true.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let ctx = JobContext {
            pool: self.pool.clone(),
            mailer: self.mailer.clone(),
            retry_base_secs: self.settings.jobs.retry_base_secs,
        };
        let poll = Duration::from_millis(self.settings.jobs.poll_millis.max(50));
        let mut listener = self.listen().await;
        let mut scheduled = String::new();
        loop {
            let now = self.clock.now();
            let hour = format!("cleanup:{}", now.format("%Y-%m-%dT%H"));
            if hour != scheduled {
                self.schedule(&hour, now).await;
                scheduled = hour;
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
        for ch in [WAKE_CHANNEL, mail::WAKE_CHANNEL] {
            diesel::sql_query(format!("LISTEN {ch}"))
                .execute(&mut conn)
                .await
                .ok()?;
        }
        Some(conn)
    }

    /// Periodic jobs; the hourly dedupe key makes every node agree on one run.
    async fn schedule(&self, key: &str, now: chrono::DateTime<chrono::Utc>) {
        if let Ok(mut conn) = db::get(&self.pool).await {
            if let Err(e) = enqueue(&mut conn, &Job::Cleanup, Some(key), now).await {
                tracing::warn!(error = %e, "scheduling cleanup");
            }
        }
    }
}
