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
    /// The generation in use; `None` while it is damaged and being rebuilt.
    current: RwLock<(String, Option<Arc<SearchIndex>>)>,
    repairs: AtomicU64,
}

impl Search {
    /// Opens the generation `CURRENT` names under `root`, starting an empty one if there is none
    /// (the indexer then fills it from the outbox, or rebuilds if the outbox was pruned). A
    /// generation that cannot be opened does not stop the server: search is unavailable until
    /// the indexer has rebuilt it (`repair`).
    pub fn open(root: &Path) -> Result<Search, SearchError> {
        std::fs::create_dir_all(root)?;
        let (name, index) = match read_current(root) {
            Ok(Some(name)) => {
                let index = open_or_report(&root.join(&name));
                (name, index)
            }
            Ok(None) => {
                let name = new_name();
                write_current(root, &name)?;
                let index = Some(Arc::new(SearchIndex::open(&root.join(&name))?));
                (name, index)
            }
            Err(e) => {
                tracing::error!(error = %e, "search index: CURRENT unreadable; rebuilding");
                (String::new(), None)
            }
        };
        Ok(Search {
            root: root.to_path_buf(),
            current: RwLock::new((name, index)),
            repairs: AtomicU64::new(0),
        })
    }

    /// The generation in use now, or `Unavailable` while it is being rebuilt.
    pub fn index(&self) -> Result<Arc<SearchIndex>, SearchError> {
        self.current
            .read()
            .expect("search lock")
            .1
            .clone()
            .ok_or(SearchError::Unavailable)
    }

    pub fn generation(&self) -> String {
        self.current.read().expect("search lock").0.clone()
    }

    /// Rebuilds finished since start (for `/metrics`).
    pub fn repairs(&self) -> u64 {
        self.repairs.load(Ordering::Relaxed)
    }

    pub fn is_available(&self) -> bool {
        self.current.read().expect("search lock").1.is_some()
    }

    /// A search or an indexer step failed inside the index (not the database): the index is
    /// derived data, so it is taken out of service and rebuilt rather than trusted again.
    pub fn report(&self, e: &SearchError) {
        if e.is_damage() {
            let mut cur = self.current.write().expect("search lock");
            if cur.1.take().is_some() {
                tracing::error!(error = %e, generation = %cur.0, "search index damaged: search is unavailable until it is rebuilt");
            }
        }
    }

    /// Runs a read of the index on a blocking thread (searching is CPU work). A failure or a
    /// panic inside the index takes it out of service for a rebuild (`report`).
    pub async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&SearchIndex) -> Result<T, SearchError> + Send + 'static,
    ) -> Result<T, SearchError> {
        let index = self.index()?;
        let r = match tokio::task::spawn_blocking(move || f(&index)).await {
            Ok(r) => r,
            Err(e) => Err(SearchError::Other(format!("search thread: {e}"))),
        };
        if let Err(e) = &r {
            self.report(e);
        }
        r
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
        *self.current.write().expect("search lock") = (name, Some(index));
        Ok(true)
    }

    /// Rebuilds into a new generation and swaps it in; searches keep working throughout.
    pub async fn reindex(&self, pool: &Pool) -> Result<usize, SearchError> {
        let n = build_generation(&self.root, pool).await?;
        self.refresh()?;
        Ok(n)
    }

    /// If the generation in use is damaged, builds a new one from PostgreSQL and swaps it in.
    /// Returns whether it did. The damaged directory is left for `remove_older_than`.
    pub async fn repair(&self, pool: &Pool) -> Result<bool, SearchError> {
        if self.is_available() {
            return Ok(false);
        }
        let started = std::time::Instant::now();
        let n = build_generation(&self.root, pool).await?;
        self.refresh()?;
        self.repairs.fetch_add(1, Ordering::Relaxed);
        tracing::warn!(documents = n, seconds = started.elapsed().as_secs_f64(), generation = %self.generation(), "search index rebuilt after damage; search is back");
        Ok(true)
    }
}

fn open_or_report(dir: &Path) -> Option<Arc<SearchIndex>> {
    match SearchIndex::open(dir) {
        Ok(i) => Some(Arc::new(i)),
        Err(e) => {
            tracing::error!(error = %e, dir = %dir.display(), "search index cannot be opened: search is unavailable until it is rebuilt");
            None
        }
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
