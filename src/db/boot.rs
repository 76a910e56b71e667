//! Getting a database for a command: the configured server, or the embedded cluster (started
//! here, and stopped again by `close` if this process started it).

use super::pg::Cluster;
use super::{ensure_database, migrate, DbError};
use crate::config::Settings;

pub struct Database {
    pub url: String,
    cluster: Option<Cluster>,
    started_here: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum BootError {
    #[error(transparent)]
    Pg(#[from] super::pg::PgError),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl Database {
    /// Opens the database and applies pending migrations.
    pub async fn open(settings: &Settings) -> Result<Database, BootError> {
        let db = Self::connect(settings).await?;
        let applied = migrate(&db.url).await?;
        if !applied.is_empty() {
            tracing::info!(count = applied.len(), "applied migrations");
        }
        Ok(db)
    }

    /// Opens the database as it is (for `restore`, which needs it empty).
    pub async fn connect(settings: &Settings) -> Result<Database, BootError> {
        let db = if settings.uses_embedded_db() {
            let dir = settings.pg_dir();
            let (cluster, started_here) = tokio::task::spawn_blocking(move || {
                let cluster = Cluster::new(&dir)?;
                cluster.init_if_needed()?;
                let was_running = cluster.is_running();
                cluster.start()?;
                Ok::<_, super::pg::PgError>((cluster, !was_running))
            })
            .await
            .map_err(|e| DbError::Pool(e.to_string()))??;
            ensure_database(&cluster.url("postgres"), "chorus").await?;
            tracing::info!(dir = %cluster.data_dir().display(), "embedded PostgreSQL is up");
            Database {
                url: cluster.url("chorus"),
                cluster: Some(cluster),
                started_here,
            }
        } else {
            Database {
                url: settings.database_url.0.clone(),
                cluster: None,
                started_here: false,
            }
        };
        Ok(db)
    }

    /// Keeps the embedded cluster this process owns running: checks every `every` and starts
    /// it again if it died, saying so in the log. Nothing to do for a configured server (its
    /// own supervisor, or Patroni, keeps it up). Ends when `stop` turns true.
    pub async fn supervise(
        &self,
        every: std::time::Duration,
        mut stop: tokio::sync::watch::Receiver<bool>,
    ) {
        let Some(dir) = self.cluster.as_ref().map(|c| c.data_dir().to_path_buf()) else {
            return;
        };
        loop {
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = stop.changed() => {}
            }
            if *stop.borrow() {
                return;
            }
            let dir = dir.clone();
            let r = tokio::task::spawn_blocking(move || {
                let cluster = Cluster::new(&dir)?;
                if cluster.is_running() {
                    return Ok(false);
                }
                tracing::error!(dir = %dir.display(), "embedded PostgreSQL is not running: starting it again");
                cluster.start().map(|()| true)
            })
            .await;
            match r {
                Ok(Ok(true)) => tracing::warn!("embedded PostgreSQL restarted"),
                Ok(Ok(false)) => {}
                Ok(Err(e)) => tracing::error!(error = %e, "restarting embedded PostgreSQL"),
                Err(e) => tracing::error!(error = %e, "restarting embedded PostgreSQL"),
            }
        }
    }

    /// Stops the embedded cluster if this process started it.
    pub async fn close(self) {
        if let (Some(cluster), true) = (self.cluster, self.started_here) {
            let r = tokio::task::spawn_blocking(move || cluster.stop()).await;
            match r {
                Ok(Ok(())) => tracing::info!("embedded PostgreSQL stopped"),
                Ok(Err(e)) => tracing::error!(error = %e, "stopping embedded PostgreSQL"),
                Err(e) => tracing::error!(error = %e, "stopping embedded PostgreSQL"),
            }
        }
    }
}
