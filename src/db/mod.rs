//! Database access: the connection pool, migrations, and the embedded cluster.

pub mod boot;
pub mod fixed_sql;
pub mod pg;
pub mod schema;
pub mod text_enum;

use crate::config::DatabaseTimeouts;
use diesel::Connection;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_async::pooled_connection::deadpool::{Object, Pool as DeadPool};
use diesel_async::pooled_connection::{AsyncDieselConnectionManager, ManagerConfig};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use std::time::Duration;

pub type Conn = AsyncPgConnection;
pub type Pool = DeadPool<AsyncPgConnection>;
pub type PooledConn = Object<AsyncPgConnection>;

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// No connection within the deadline: the database is down, frozen or saturated. Callers
    /// answer 503 and retry later; nothing is lost.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("database pool: {0}")]
    Pool(String),
    #[error("database: {0}")]
    Query(#[from] diesel::result::Error),
    #[error("connecting to the database: {0}")]
    Connect(#[from] diesel::ConnectionError),
    #[error("migrations: {0}")]
    Migration(String),
}

/// A pool whose every step has a deadline: waiting for a free connection, opening one
/// (connect + `SET`s), and each statement on it (`statement_timeout`, set per connection).
pub fn pool(url: &str, size: usize, t: &DatabaseTimeouts) -> Result<Pool, DbError> {
    let (connect, statement, idle) = (
        Duration::from_millis(t.connect_ms.max(1)),
        t.statement_ms,
        t.idle_in_transaction_ms,
    );
    let mut config = ManagerConfig::<AsyncPgConnection>::default();
    // Every checkout is checked with a round trip: after a restart or a freeze the dead
    // connection is noticed there (and dropped), not in the middle of someone's request.
    config.recycling_method = diesel_async::pooled_connection::RecyclingMethod::Verified;
    config.custom_setup = Box::new(move |url| {
        let url = url.to_string();
        Box::pin(async move {
            let mut conn = tokio::time::timeout(connect, AsyncPgConnection::establish(&url))
                .await
                .map_err(|_| {
                    diesel::ConnectionError::BadConnection("connecting timed out".into())
                })??;
            diesel_async::SimpleAsyncConnection::batch_execute(
                &mut conn,
                &format!(
                    "SET statement_timeout = {statement}; \
                     SET idle_in_transaction_session_timeout = {idle}"
                ),
            )
            .await
            .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
            Ok(conn)
        })
    });
    let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new_with_config(url, config);
    Pool::builder(manager)
        .max_size(size)
        .wait_timeout(Some(Duration::from_millis(t.acquire_ms.max(1))))
        .create_timeout(Some(connect))
        .recycle_timeout(Some(connect))
        .runtime(deadpool::Runtime::Tokio1)
        .build()
        .map_err(|e| DbError::Pool(e.to_string()))
}

/// A connection from the pool, checked with a round trip, or `Unavailable` once the acquire
/// deadline passes. The deadline covers the whole checkout: waiting for a slot, checking idle
/// connections (each check on a frozen server would otherwise wait on its own) and opening one.
pub async fn get(pool: &Pool) -> Result<PooledConn, DbError> {
    let deadline = pool.timeouts().wait.unwrap_or(Duration::from_secs(3));
    match tokio::time::timeout(deadline, pool.get()).await {
        Ok(r) => r.map_err(|e| DbError::Unavailable(e.to_string())),
        Err(_) => Err(DbError::Unavailable(
            "no database connection within the acquire deadline".into(),
        )),
    }
}

/// Whether a query failed because the database is unreachable, restarting, read-only (a
/// failover in progress) or too slow, rather than because of what was asked: those answer 503.
pub fn is_unavailable(e: &diesel::result::Error) -> bool {
    use diesel::result::DatabaseErrorKind as K;
    match e {
        diesel::result::Error::DatabaseError(K::UnableToSendCommand | K::ClosedConnection, _)
        | diesel::result::Error::DatabaseError(K::ReadOnlyTransaction, _) => true,
        diesel::result::Error::DatabaseError(_, info) => {
            let m = info.message();
            m.contains("statement timeout")
                || m.contains("terminating connection")
                || m.contains("the database system is")
        }
        _ => false,
    }
}

/// Runs pending migrations on a blocking thread (diesel's migration harness is synchronous).
pub async fn migrate(url: &str) -> Result<Vec<String>, DbError> {
    let url = url.to_string();
    tokio::task::spawn_blocking(move || {
        let mut conn = <AsyncConnectionWrapper<AsyncPgConnection> as Connection>::establish(&url)?;
        // Nodes starting together would race to apply the same migration: one at a time, and
        // the others then find nothing pending.
        diesel::RunQueryDsl::execute(
            diesel::sql_query("SELECT pg_advisory_lock(3136, 0)"),
            &mut conn,
        )?;
        let applied: Result<Vec<String>, DbError> = conn
            .run_pending_migrations(MIGRATIONS)
            .map(|v| v.iter().map(|m| m.to_string()).collect())
            .map_err(|e| DbError::Migration(e.to_string()));
        diesel::RunQueryDsl::execute(
            diesel::sql_query("SELECT pg_advisory_unlock(3136, 0)"),
            &mut conn,
        )?;
        applied
    })
    .await
    .map_err(|e| DbError::Migration(e.to_string()))?
}

/// Reverts every migration; used by the schema tests (up -> down -> up).
pub async fn revert_all(url: &str) -> Result<usize, DbError> {
    let url = url.to_string();
    tokio::task::spawn_blocking(move || {
        let mut conn = <AsyncConnectionWrapper<AsyncPgConnection> as Connection>::establish(&url)?;
        conn.revert_all_migrations(MIGRATIONS)
            .map(|v| v.len())
            .map_err(|e| DbError::Migration(e.to_string()))
    })
    .await
    .map_err(|e| DbError::Migration(e.to_string()))?
}

/// Creates `dbname` in the cluster behind `admin_url` unless it exists.
pub async fn ensure_database(admin_url: &str, dbname: &str) -> Result<(), DbError> {
    use diesel::sql_types::{Bool, Text};
    #[derive(diesel::QueryableByName)]
    struct Exists {
        #[diesel(sql_type = Bool)]
        exists: bool,
    }
    let mut conn = AsyncPgConnection::establish(admin_url).await?;
    let found: Exists =
        diesel::sql_query("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1) AS exists")
            .bind::<Text, _>(dbname)
            .get_result(&mut conn)
            .await?;
    if !found.exists {
        diesel::sql_query(format!("CREATE DATABASE {}", quote_ident(dbname)))
            .execute(&mut conn)
            .await?;
    }
    Ok(())
}

pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `true` when the database answers a trivial query within `within`.
pub async fn ping(pool: &Pool, within: Duration) -> bool {
    let check = async {
        match get(pool).await {
            Ok(mut c) => diesel::sql_query("SELECT 1").execute(&mut c).await.is_ok(),
            Err(_) => false,
        }
    };
    tokio::time::timeout(within, check).await.unwrap_or(false)
}
