//! Index generations. `search-index/CURRENT` names the directory in use (`gen-<millis>-<n>`).
//! A reindex builds a new generation beside the live one (tantivy allows one writer per
//! directory, so the two never contend), catches it up with the outbox, then flips `CURRENT`.
//! Every process sharing the root notices the flip at its next indexer step and swaps the
//! `Arc`: searches in flight finish on the old generation, the next ones use the new.

use super::index::{SearchError, SearchIndex};
use super::indexer;
use crate::db::Pool;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

const CURRENT: &str = "CURRENT";

pub struct Search {
    root: PathBuf,
    current: RwLock<(String, Arc<SearchIndex>)>,
}

impl Search {
    /// Opens the generation `CURRENT` names under `root`, starting an empty one if there is none
    /// (the indexer then fills it from the outbox, or rebuilds if the outbox was pruned).
    pub fn open(root: &Path) -> Result<Search, SearchError> {
        std::fs::create_dir_all(root)?;
        let name = match read_current(root)? {
            Some(name) => name,
            None => {
                let name = new_name();
                write_current(root, &name)?;
                name
            }
        };
        let index = Arc::new(SearchIndex::open(&root.join(&name))?);
        Ok(Search {
            root: root.to_path_buf(),
            current: RwLock::new((name, index)),
        })
    }

    /// The generation in use now.
    pub fn index(&self) -> Arc<SearchIndex> {
        self.current.read().expect("search lock").1.clone()
    }

    pub fn generation(&self) -> String {
        self.current.read().expect("search lock").0.clone()
    }

    /// Swaps in the generation `CURRENT` names if a reindex flipped it; true if it did.
    pub fn refresh(&self) -> Result<bool, SearchError> {
        let Some(name) = read_current(&self.root)? else {
            return Ok(false);
        };
        if name == self.current.read().expect("search lock").0 {
            return Ok(false);
        }
        let index = Arc::new(SearchIndex::open(&self.root.join(&name))?);
        *self.current.write().expect("search lock") = (name, index);
        Ok(true)
    }

    /// Rebuilds into a new generation and swaps it in; searches keep working throughout.
    pub async fn reindex(&self, pool: &Pool) -> Result<usize, SearchError> {
        let n = build_generation(&self.root, pool).await?;
        self.refresh()?;
        Ok(n)
    }
}

/// Builds a new generation from PostgreSQL, brings it up to the outbox's end, and makes it
/// current. Used in-process by the admin API and by `chorus reindex` from outside.
pub async fn build_generation(root: &Path, pool: &Pool) -> Result<usize, SearchError> {
    std::fs::create_dir_all(root)?;
    let previous = read_current(root)?;
    let name = new_name();
    let added = {
        let index = SearchIndex::open(&root.join(&name))?;
        let added = indexer::rebuild(&index, pool).await?;
        indexer::apply_pending(&index, pool).await?;
        added
        // Dropped here: the writer's lock is released before anyone may open it.
    };
    write_current(root, &name)?;
    // The generation just replaced may still be open for a moment; older ones are unused.
    if let Some(previous) = previous {
        remove_older_than(root, &previous);
    }
    Ok(added)
}

fn new_name() -> String {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or_default();
    // Fixed width, so names sort in creation order.
    format!(
        "gen-{millis:015}-{:04}",
        SEQ.fetch_add(1, Ordering::Relaxed) % 10_000
    )
}

fn read_current(root: &Path) -> Result<Option<String>, SearchError> {
    match std::fs::read_to_string(root.join(CURRENT)) {
        Ok(s) => {
            let name = s.trim();
            // Only names this module writes: never a path that leaves the root.
            if name.starts_with("gen-")
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            {
                Ok(Some(name.to_string()))
            } else {
                Err(SearchError::Other(format!("{CURRENT} names {name:?}")))
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Write-then-rename, so a reader sees the old name or the new one, never half of it.
fn write_current(root: &Path, name: &str) -> Result<(), SearchError> {
    use std::io::Write;
    let tmp = root.join(format!("{CURRENT}.tmp"));
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(name.as_bytes())?;
    f.sync_all()?;
    std::fs::rename(&tmp, root.join(CURRENT))?;
    Ok(())
}

fn remove_older_than(root: &Path, name: &str) {
    let Ok(entries) = std::fs::read_dir(root) else {
        return;
    };
    for e in entries.flatten() {
        let n = e.file_name().to_string_lossy().to_string();
        if n.starts_with("gen-") && n.as_str() < name {
            if let Err(err) = std::fs::remove_dir_all(e.path()) {
                tracing::warn!(error = %err, dir = %n, "removing an old search generation");
            }
        }
    }
}
