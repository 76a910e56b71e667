//! Database access: the connection pool, migrations, and the embedded cluster.

pub mod boot;
pub mod pg;
pub mod schema;
mod text_enum;

use diesel::Connection;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_async::pooled_connection::deadpool::{Object, Pool as DeadPool};
use diesel_async::pooled_connection::AsyncDieselConnectionManager;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

pub type Conn = AsyncPgConnection;
pub type Pool = DeadPool<AsyncPgConnection>;
pub type PooledConn = Object<AsyncPgConnection>;

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database pool: {0}")]
    Pool(String),
    #[error("database: {0}")]
    Query(#[from] diesel::result::Error),
    #[error("connecting to the database: {0}")]
    Connect(#[from] diesel::ConnectionError),
    #[error("migrations: {0}")]
    Migration(String),
}

pub fn pool(url: &str, size: usize) -> Result<Pool, DbError> {
    let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new(url);
    Pool::builder(manager)
        .max_size(size)
        .build()
        .map_err(|e| DbError::Pool(e.to_string()))
}

pub async fn get(pool: &Pool) -> Result<PooledConn, DbError> {
    pool.get().await.map_err(|e| DbError::Pool(e.to_string()))
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

/// `true` when the database answers a trivial query.
pub async fn ping(pool: &Pool) -> bool {
    match get(pool).await {
        Ok(mut c) => diesel::sql_query("SELECT 1").execute(&mut c).await.is_ok(),
        Err(_) => false,
    }
}
