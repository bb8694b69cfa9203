//! Signed-out sessions: a bounded list of revoked sessions, each kept until it would have
//! expired anyway. With `--session-key-file`, the list is shared by the replicas through a file
//! next to the key (`KEYFILE.revoked`, one JSON line per sign-out, appended under an exclusive
//! lock), which every replica reads again as soon as it grew or was replaced.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{Read as _, Seek as _, SeekFrom, Write as _};
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::session::Session;

/// Revoked sessions kept at most; past it the one expiring first is forgotten (and logged).
pub const MAX_REVOKED: usize = 100_000;

/// One line of the revocation file.
#[derive(Debug, Serialize, Deserialize)]
struct Line {
    /// The session's nonce (random per sign-in).
    nonce: String,
    /// When the session expires anyway (Unix seconds): the line is useless after it.
    expires: u64,
}

/// The revoked sessions.
#[derive(Debug)]
pub struct Revocations {
    inner: Mutex<Inner>,
    /// Bumped by every revocation this process learns of: open event streams re-check then.
    generation: tokio::sync::watch::Sender<u64>,
}

#[derive(Debug, Default)]
struct Inner {
    revoked: HashMap<String, u64>,
    /// The shared file, its inode and how far it was read.
    file: Option<PathBuf>,
    inode: u64,
    offset: u64,
}

impl Revocations {
    /// Revocations kept by this process only.
    pub fn in_memory() -> Revocations {
        Revocations {
            inner: Mutex::new(Inner::default()),
            generation: tokio::sync::watch::channel(0).0,
        }
    }

    /// Revocations shared through `path` (created if missing; expired lines are dropped when
    /// most of the file is expired).
    pub fn shared(path: &Path, now: u64) -> Result<Revocations, String> {
        let what = |e: std::io::Error| format!("{}: {e}", path.display());
        let file = open_append(path).map_err(what)?;
        file.lock().map_err(what)?;
        let mut text = String::new();
        File::open(path)
            .and_then(|mut f| f.read_to_string(&mut text))
            .map_err(what)?;
        let lines: Vec<Line> = text
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect();
        let live: Vec<&Line> = lines.iter().filter(|l| l.expires > now).collect();
        if live.len() * 2 < lines.len() {
            // Compact: write the live lines to a new file and move it over the old one, still
            // holding the old one's lock (other replicas append under it, and re-read a
            // replaced file from its start).
            let tmp = path.with_extension("revoked.tmp");
            let mut out = String::new();
            for l in &live {
                out.push_str(&serde_json::to_string(l).unwrap_or_default());
                out.push('\n');
            }
            std::fs::write(&tmp, out)
                .and_then(|()| std::fs::rename(&tmp, path))
                .map_err(what)?;
        }
        drop(file);
        let r = Revocations {
            inner: Mutex::new(Inner {
                file: Some(path.to_path_buf()),
                ..Inner::default()
            }),
            generation: tokio::sync::watch::channel(0).0,
        };
        r.refresh(&mut r.lock(), now);
        Ok(r)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Signs `session` out, here and (with the shared file) on every replica.
    pub fn revoke(&self, session: &Session, now: u64) {
        let mut inner = self.lock();
        if let Some(path) = inner.file.clone() {
            let line = Line {
                nonce: session.nonce.clone(),
                expires: session.expires,
            };
            let mut text = serde_json::to_string(&line).unwrap_or_default();
            text.push('\n');
            let written = open_append(&path).and_then(|mut f| {
                f.lock()?;
                f.write_all(text.as_bytes())
            });
            if let Err(e) = written {
                tracing::error!(
                    "sign-out: cannot write {}: {e} (the session is revoked on this replica only)",
                    path.display()
                );
            }
        }
        inner.insert(session.nonce.clone(), session.expires, now);
        drop(inner);
        self.generation.send_modify(|g| *g += 1);
    }

    /// Whether `session` was signed out (here, or by a replica sharing the file).
    pub fn is_revoked(&self, session: &Session, now: u64) -> bool {
        let mut inner = self.lock();
        self.refresh(&mut inner, now);
        inner.revoked.contains_key(&session.nonce)
    }

    /// Changes whenever a revocation is learnt here.
    pub fn subscribe(&self) -> tokio::sync::watch::Receiver<u64> {
        self.generation.subscribe()
    }

    /// Reads the shared file every second while `this` lives, so that open event streams learn
    /// of a replica's sign-out without each of them looking.
    pub async fn watch(this: std::sync::Weak<Revocations>) {
        loop {
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            let Some(r) = this.upgrade() else {
                return;
            };
            let now = crate::auth::unix_now();
            r.refresh(&mut r.lock(), now);
        }
    }

    /// Reads what other replicas appended (or the whole file, if it was replaced).
    fn refresh(&self, inner: &mut Inner, now: u64) {
        let Some(path) = inner.file.clone() else {
            return;
        };
        let Ok(meta) = std::fs::metadata(&path) else {
            return;
        };
        if meta.ino() != inner.inode || meta.len() < inner.offset {
            inner.inode = meta.ino();
            inner.offset = 0;
        }
        if meta.len() == inner.offset {
            return;
        }
        let mut added = String::new();
        let read = File::open(&path).and_then(|mut f| {
            f.seek(SeekFrom::Start(inner.offset))?;
            f.read_to_string(&mut added)
        });
        if read.is_err() {
            return;
        }
        // Only whole lines: a line being appended is read next time.
        let whole = added.rfind('\n').map_or(0, |i| i + 1);
        inner.offset += whole as u64;
        let mut learnt = false;
        for l in added[..whole].lines() {
            if let Ok(l) = serde_json::from_str::<Line>(l) {
                learnt |= inner.insert(l.nonce, l.expires, now);
            }
        }
        if learnt {
            self.generation.send_modify(|g| *g += 1);
        }
    }
}

impl Inner {
    /// Adds a revocation (true if new and not expired), keeping at most [`MAX_REVOKED`].
    fn insert(&mut self, nonce: String, expires: u64, now: u64) -> bool {
        if expires <= now || self.revoked.contains_key(&nonce) {
            return false;
        }
        if self.revoked.len() >= MAX_REVOKED {
            self.revoked.retain(|_, e| *e > now);
        }
        if self.revoked.len() >= MAX_REVOKED {
            if let Some(first) = self
                .revoked
                .iter()
                .min_by_key(|(_, e)| **e)
                .map(|(n, _)| n.clone())
            {
                tracing::warn!("more than {MAX_REVOKED} signed-out sessions: the one expiring first is forgotten");
                self.revoked.remove(&first);
            }
        }
        self.revoked.insert(nonce, expires);
        true
    }
}

fn open_append(path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt as _;
    OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(nonce: &str, expires: u64) -> Session {
        Session {
            user: "otto".into(),
            role: "operator".into(),
            expires,
            nonce: nonce.into(),
        }
    }

    #[test]
    fn a_revocation_reaches_the_replicas_sharing_the_file_and_expires() {
        let dir = std::env::temp_dir().join(format!("codis-fe-revoked-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("key.revoked");
        let a = Revocations::shared(&path, 100).expect("a");
        let b = Revocations::shared(&path, 100).expect("b");
        let s = session("n1", 200);
        assert!(!b.is_revoked(&s, 100));
        a.revoke(&s, 100);
        assert!(a.is_revoked(&s, 100));
        assert!(b.is_revoked(&s, 100), "the other replica reads the file");
        assert!(!b.is_revoked(&session("n2", 200), 100));
        // A replica started after it expired drops it and compacts the file.
        let c = Revocations::shared(&path, 300).expect("c");
        assert!(std::fs::read_to_string(&path).expect("file").is_empty());
        a.revoke(&session("n3", 400), 300);
        assert!(
            c.is_revoked(&session("n3", 400), 300),
            "replaced file re-read"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_list_is_bounded() {
        let r = Revocations::in_memory();
        for i in 0..MAX_REVOKED + 10 {
            r.revoke(&session(&i.to_string(), 1000 + i as u64), 0);
        }
        assert_eq!(r.lock().revoked.len(), MAX_REVOKED);
        assert!(
            !r.is_revoked(&session("0", 1000), 0),
            "the one expiring first went"
        );
        assert!(r.is_revoked(&session(&(MAX_REVOKED + 9).to_string(), 0), 0));
    }
}
