//! `--filesystem=ROOT` (codis-fe-spec.md §6.2): node `P` is the file `ROOT/data/P`.
//!
//! # Why reads do not take `ROOT/data.lck`
//!
//! The dashboard takes a *non-blocking* exclusive `flock` on `ROOT/data.lck` for every operation.
//! The original codis-fe did the same, so its list failed whenever the dashboard happened to be
//! writing (codis-fe-spec.md §7.4) — and, worse, every dashboard operation failed while codis-fe held the lock.
//! We read without the lock, which is safe because the dashboard never exposes a half-written
//! node: it writes to a temporary file in `ROOT/temp` and `rename(2)`s it into place, and a rename
//! replaces the target atomically, so a reader sees either the old or the new complete file.
//!
//! The remaining races are benign and handled here: a product removed while we read (its files
//! vanish, which reads as "no dashboard") and anything that writes in place rather than by rename
//! (an operator's editor, a copy of the tree), which we cover by retrying a failed read or decode
//! a few times before skipping the product.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::{decode_admin_addr, Coordinator, DiscoveryError, NodeError};

/// Attempts per read before giving up, and the pause between them.
const TRIES: u32 = 3;
const RETRY_PAUSE: Duration = Duration::from_millis(50);

pub(super) struct Filesystem {
    root: PathBuf,
}

impl Filesystem {
    pub(super) fn new(root: &Path) -> Self {
        Filesystem {
            root: root.to_path_buf(),
        }
    }

    fn unavailable(&self, reason: String) -> DiscoveryError {
        DiscoveryError::Unavailable {
            source_desc: format!("filesystem {}", self.root.display()),
            reason,
        }
    }
}

/// Sorted UTF-8 entry names of `dir` (the order `codis-admin` and the original list use).
async fn list_dir(dir: &Path) -> std::io::Result<Vec<String>> {
    let mut entries = tokio::fs::read_dir(dir).await?;
    let mut names = Vec::new();
    while let Some(entry) = entries.next_entry().await? {
        match entry.file_name().into_string() {
            Ok(name) => names.push(name),
            Err(name) => {
                tracing::warn!(dir = %dir.display(), ?name, "non-UTF-8 product directory ignored")
            }
        }
    }
    names.sort();
    Ok(names)
}

/// A node that is absent, or whose parent is not a directory, simply does not exist.
fn is_missing(kind: ErrorKind) -> bool {
    matches!(kind, ErrorKind::NotFound | ErrorKind::NotADirectory)
}

impl Coordinator for Filesystem {
    async fn list_products(&mut self) -> Result<Vec<String>, DiscoveryError> {
        // A missing ROOT is a misconfiguration worth reporting; a missing `ROOT/data/codis3` is a
        // renamed or deleted folder (or a coordinator nobody has written to yet): an error too, so
        // the last good list is kept.
        if let Err(e) = tokio::fs::metadata(&self.root).await {
            return Err(self.unavailable(format!("cannot access the root directory: {e}")));
        }
        let dir = self.root.join("data").join("codis3");
        let mut attempt = 1;
        loop {
            match list_dir(&dir).await {
                Ok(names) => return Ok(names),
                Err(e) if is_missing(e.kind()) => {
                    return Err(DiscoveryError::NoProductRoot {
                        source_desc: format!("filesystem {}", self.root.display()),
                    })
                }
                Err(e) if attempt >= TRIES => {
                    return Err(self.unavailable(format!("cannot list {}: {e}", dir.display())))
                }
                Err(_) => {}
            }
            attempt += 1;
            tokio::time::sleep(RETRY_PAUSE).await;
        }
    }

    async fn read_admin_addr(&mut self, product: &str) -> Result<Option<String>, NodeError> {
        let path = self
            .root
            .join("data")
            .join("codis3")
            .join(product)
            .join("topom");
        let mut attempt = 1;
        loop {
            let reason = match tokio::fs::read(&path).await {
                Ok(data) => match decode_admin_addr(&data) {
                    Ok(addr) => return Ok(Some(addr)),
                    Err(reason) => reason,
                },
                Err(e) if is_missing(e.kind()) => return Ok(None),
                Err(e) => format!("cannot read {}: {e}", path.display()),
            };
            if attempt >= TRIES {
                return Err(NodeError::Skip(format!(
                    "{reason} (after {TRIES} attempts)"
                )));
            }
            attempt += 1;
            tokio::time::sleep(RETRY_PAUSE).await;
        }
    }
}
