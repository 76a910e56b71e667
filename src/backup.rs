//! `chorus backup` / `chorus restore`: one archive (a plain tar) holding a consistent logical dump
//! of the database (`pg_dump -Fc`, one snapshot) and the uploaded files, plus a small manifest.
//! The dump comes first: uploads are write-once, so every file a dumped row names is already on
//! disk when the files are copied. Restore goes into an empty database only, then migrations run
//! (a backup from an older release comes up to date) and the caller rebuilds the search index,
//! which is derived data and never part of the archive.

use crate::db::pg;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::process::Command;

const FORMAT: &str = "chorus-backup-1";
const MANIFEST: &str = "manifest.json";
const DUMP: &str = "database.dump";
const UPLOADS: &str = "uploads";

#[derive(Debug, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub chorus_version: String,
    pub created_at: DateTime<Utc>,
    pub database_bytes: u64,
    pub upload_files: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(transparent)]
    Pg(#[from] pg::PgError),
    #[error("{what} failed: {detail}")]
    Tool { what: String, detail: String },
    #[error("{0}: {1}")]
    Io(String, std::io::Error),
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Db(#[from] crate::db::DbError),
}

fn io(what: impl std::fmt::Display) -> impl FnOnce(std::io::Error) -> BackupError {
    let what = what.to_string();
    move |e| BackupError::Io(what, e)
}

fn run(what: &str, cmd: &mut Command) -> Result<(), BackupError> {
    let out = cmd.output().map_err(io(what))?;
    if out.status.success() {
        return Ok(());
    }
    Err(BackupError::Tool {
        what: what.into(),
        detail: String::from_utf8_lossy(&out.stderr).trim().to_string(),
    })
}

/// A scratch folder beside `near` (same filesystem, so the final rename is atomic).
fn staging(near: &Path) -> Result<PathBuf, BackupError> {
    let parent = near
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let dir = parent.join(format!(
        ".chorus-backup-{}-{}",
        std::process::id(),
        Utc::now().timestamp_millis()
    ));
    std::fs::create_dir_all(&dir).map_err(io(dir.display()))?;
    Ok(dir)
}

fn count_files(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .map(|d| d.flatten().filter(|e| e.path().is_file()).count())
        .unwrap_or(0)
}

/// Writes the archive to `out` (atomically: a half-written backup never has the final name).
pub fn backup(db_url: &str, uploads: &Path, out: &Path) -> Result<Manifest, BackupError> {
    let stage = staging(out)?;
    let result = (|| {
        let dump = stage.join(DUMP);
        run(
            "pg_dump",
            Command::new(pg::tool("pg_dump")?)
                .arg("--format=custom")
                .arg("--no-owner")
                .arg("--no-privileges")
                .arg("--file")
                .arg(&dump)
                .arg("--dbname")
                .arg(db_url),
        )?;
        let manifest = Manifest {
            format: FORMAT.into(),
            chorus_version: env!("CARGO_PKG_VERSION").into(),
            created_at: Utc::now(),
            database_bytes: std::fs::metadata(&dump).map_err(io("dump"))?.len(),
            upload_files: count_files(uploads),
        };
        let text = serde_json::to_vec_pretty(&manifest).unwrap_or_default();
        std::fs::write(stage.join(MANIFEST), text).map_err(io("manifest"))?;
        // The uploads go in as `uploads/` whatever the folder is called: a link in the stage
        // (tar follows it), or an empty folder when there are none yet.
        let staged_uploads = stage.join(UPLOADS);
        if uploads.is_dir() {
            let target = std::fs::canonicalize(uploads).map_err(io(uploads.display()))?;
            std::os::unix::fs::symlink(target, &staged_uploads).map_err(io("staging"))?;
        } else {
            std::fs::create_dir_all(&staged_uploads).map_err(io("staging"))?;
        }
        let partial = out.with_extension("partial");
        let _ = std::fs::remove_file(&partial);
        run(
            "tar",
            Command::new("tar")
                .arg("--dereference")
                .arg("-cf")
                .arg(&partial)
                .arg("-C")
                .arg(&stage)
                .args([MANIFEST, DUMP, UPLOADS]),
        )
        .inspect_err(|_| {
            let _ = std::fs::remove_file(&partial);
        })?;
        std::fs::rename(&partial, out).map_err(io(out.display()))?;
        Ok(manifest)
    })();
    let _ = std::fs::remove_dir_all(&stage);
    result
}

/// Restores `archive` into the empty database at `db_url` and the empty `uploads` folder.
pub async fn restore(
    db_url: &str,
    uploads: &Path,
    archive: &Path,
) -> Result<Manifest, BackupError> {
    ensure_empty(db_url, uploads).await?;
    let stage = staging(archive)?;
    let result = restore_from(db_url, uploads, archive, &stage).await;
    let _ = std::fs::remove_dir_all(&stage);
    result
}

async fn restore_from(
    db_url: &str,
    uploads: &Path,
    archive: &Path,
    stage: &Path,
) -> Result<Manifest, BackupError> {
    run(
        "tar",
        Command::new("tar")
            .arg("-xf")
            .arg(archive)
            .arg("-C")
            .arg(stage)
            .arg("--no-same-owner"),
    )?;
    let text = std::fs::read(stage.join(MANIFEST)).map_err(io("manifest in the archive"))?;
    let manifest: Manifest = serde_json::from_slice(&text)
        .map_err(|e| BackupError::Refused(format!("not a Chorus backup: {e}")))?;
    if manifest.format != FORMAT {
        return Err(BackupError::Refused(format!(
            "unknown backup format {}",
            manifest.format
        )));
    }
    run(
        "pg_restore",
        Command::new(pg::tool("pg_restore")?)
            .arg("--no-owner")
            .arg("--no-privileges")
            .arg("--exit-on-error")
            .arg("--single-transaction")
            .arg("--dbname")
            .arg(db_url)
            .arg(stage.join(DUMP)),
    )?;
    std::fs::create_dir_all(uploads).map_err(io(uploads.display()))?;
    let from = stage.join(UPLOADS);
    for e in std::fs::read_dir(&from).map_err(io("uploads in the archive"))? {
        let e = e.map_err(io("uploads in the archive"))?;
        if e.path().is_file() {
            std::fs::copy(e.path(), uploads.join(e.file_name())).map_err(io(e.path().display()))?;
        }
    }
    crate::db::migrate(db_url).await?;
    Ok(manifest)
}

/// Restoring over live data would mix two histories: both targets must be empty.
async fn ensure_empty(db_url: &str, uploads: &Path) -> Result<(), BackupError> {
    use diesel::sql_types::BigInt;
    use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let mut conn = AsyncPgConnection::establish(db_url)
        .await
        .map_err(|e| BackupError::Refused(format!("cannot connect to the database: {e}")))?;
    let n: N = diesel::sql_query(
        "SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = 'public'",
    )
    .get_result(&mut conn)
    .await
    .map_err(|e| BackupError::Refused(e.to_string()))?;
    if n.n > 0 {
        return Err(BackupError::Refused(format!(
            "the database already holds {} tables: restore into an empty database",
            n.n
        )));
    }
    if count_files(uploads) > 0 {
        return Err(BackupError::Refused(format!(
            "{} is not empty: restore into an empty data folder",
            uploads.display()
        )));
    }
    Ok(())
}
