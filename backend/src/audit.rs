//! The audit trail: `--audit-log` (one JSON line per action attempt, on disk before the response
//! leaves; written by one thread that commits the lines waiting together, and reopened for
//! logrotate) and the recent entries kept in memory for `GET /api/activity`.

use std::collections::VecDeque;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::SystemTime;

pub use codis_model::console::AuditEntry;

/// Audit entries kept in memory for `GET /api/activity`.
pub const RECENT_ENTRIES: usize = 200;

/// `--audit-log`: a file opened in append mode, written by one thread. Lines waiting while a
/// write is under way go out together with one `fdatasync` (group commit); every caller is
/// answered only once its line is on disk, so each line is still flushed before its response
/// leaves. The file is opened again on SIGHUP, or when it was moved or deleted (logrotate).
pub struct AuditLog {
    lines: std::sync::mpsc::Sender<(Vec<u8>, tokio::sync::oneshot::Sender<()>)>,
    reopen: Arc<AtomicBool>,
    /// `fdatasync`s done since the start.
    syncs: Arc<AtomicU64>,
    _hangup: Option<tokio::task::JoinHandle<()>>,
}

/// Lines written in one go at most.
const MAX_BATCH: usize = 1024;

impl AuditLog {
    pub async fn open(path: &Path) -> Result<AuditLog, String> {
        let file = open_log(path).map_err(|e| format!("--audit-log {}: {e}", path.display()))?;
        let (lines, rx) = std::sync::mpsc::channel();
        let reopen = Arc::new(AtomicBool::new(false));
        let syncs = Arc::new(AtomicU64::new(0));
        let writer = Writer {
            path: path.to_path_buf(),
            file,
            reopen: reopen.clone(),
            syncs: syncs.clone(),
        };
        std::thread::Builder::new()
            .name("audit-log".into())
            .spawn(move || writer.run(rx))
            .map_err(|e| format!("--audit-log {}: no writer thread: {e}", path.display()))?;
        let hangup = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) {
            Ok(mut sig) => {
                let reopen = reopen.clone();
                Some(tokio::spawn(async move {
                    while sig.recv().await.is_some() {
                        reopen.store(true, Ordering::Relaxed);
                    }
                }))
            }
            Err(e) => {
                tracing::warn!("audit: no SIGHUP handler ({e}): the log reopens only when moved");
                None
            }
        };
        Ok(AuditLog {
            lines,
            reopen,
            syncs,
            _hangup: hangup,
        })
    }

    /// Opens the file again before the next write (what SIGHUP does).
    pub fn reopen(&self) {
        self.reopen.store(true, Ordering::Relaxed);
    }

    /// `fdatasync`s done since the start (each covers one or more lines).
    pub fn syncs(&self) -> u64 {
        self.syncs.load(Ordering::Relaxed)
    }

    /// Writes one entry; returns once it is on disk (or its write failed, which is logged).
    pub async fn write(&self, entry: &AuditEntry) {
        let mut line = match serde_json::to_vec(entry) {
            Ok(l) => l,
            Err(e) => {
                tracing::error!("audit: cannot encode an entry: {e}");
                return;
            }
        };
        line.push(b'\n');
        let (done, written) = tokio::sync::oneshot::channel();
        if self.lines.send((line, done)).is_err() {
            tracing::error!(
                action = entry.action,
                product = entry.product,
                "audit: the writer thread is gone"
            );
            return;
        }
        let _ = written.await;
    }
}

impl Drop for AuditLog {
    fn drop(&mut self) {
        if let Some(h) = &self._hangup {
            h.abort();
        }
    }
}

struct Writer {
    path: PathBuf,
    file: std::fs::File,
    reopen: Arc<AtomicBool>,
    syncs: Arc<AtomicU64>,
}

type Pending = (Vec<u8>, tokio::sync::oneshot::Sender<()>);

impl Writer {
    fn run(mut self, rx: std::sync::mpsc::Receiver<Pending>) {
        let mut batch: Vec<Pending> = Vec::new();
        let mut buf = Vec::new();
        while let Ok(first) = rx.recv() {
            batch.push(first);
            while batch.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(p) => batch.push(p),
                    Err(_) => break,
                }
            }
            self.reopen_if_needed();
            buf.clear();
            for (line, _) in &batch {
                buf.extend_from_slice(line);
            }
            let written = self
                .file
                .write_all(&buf)
                .and_then(|()| self.file.sync_data());
            self.syncs.fetch_add(1, Ordering::Relaxed);
            if let Err(e) = written {
                tracing::error!(
                    lines = batch.len(),
                    "audit: cannot write the audit log {}: {e}",
                    self.path.display()
                );
            }
            for (_, done) in batch.drain(..) {
                let _ = done.send(());
            }
        }
    }

    /// After SIGHUP, or when the path no longer names the open file (moved or deleted).
    fn reopen_if_needed(&mut self) {
        use std::os::unix::fs::MetadataExt as _;
        let asked = self.reopen.swap(false, Ordering::Relaxed);
        let moved = match (std::fs::metadata(&self.path), self.file.metadata()) {
            (Ok(p), Ok(f)) => p.ino() != f.ino() || p.dev() != f.dev(),
            _ => true,
        };
        if !asked && !moved {
            return;
        }
        match open_log(&self.path) {
            Ok(f) => {
                self.file = f;
                tracing::info!("audit: reopened {}", self.path.display());
            }
            Err(e) => tracing::error!(
                "audit: cannot reopen {}: {e} (still writing to the old file)",
                self.path.display()
            ),
        }
    }
}

fn open_log(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
}

/// The last [`RECENT_ENTRIES`] audit entries, newest last (`GET /api/activity`).
#[derive(Default)]
pub struct Recent(std::sync::Mutex<VecDeque<AuditEntry>>);

impl Recent {
    pub fn push(&self, entry: AuditEntry) {
        let mut q = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if q.len() >= RECENT_ENTRIES {
            q.pop_front();
        }
        q.push_back(entry);
    }

    /// Newest first, those `keep` accepts, at most `limit`.
    pub fn newest(&self, limit: usize, keep: impl Fn(&AuditEntry) -> bool) -> Vec<AuditEntry> {
        let q = self.0.lock().unwrap_or_else(|e| e.into_inner());
        q.iter()
            .rev()
            .filter(|e| keep(e))
            .take(limit)
            .cloned()
            .collect()
    }
}

/// `2026-11-25T15:07:47.123Z`.
pub fn rfc3339(t: SystemTime) -> String {
    const FORMAT: &[time::format_description::BorrowedFormatItem<'static>] = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    time::OffsetDateTime::from(t)
        .format(FORMAT)
        .unwrap_or_else(|_| "-".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    fn entry(i: usize) -> AuditEntry {
        AuditEntry {
            time: rfc3339(SystemTime::now()),
            user: "otto".into(),
            role: "operator".into(),
            client: "127.0.0.1:1".into(),
            product: "codis-demo".into(),
            action: "slots-interval".into(),
            params: serde_json::json!({ "n": i }),
            outcome: "allowed".into(),
            status: 200,
            message: None,
            duration_ms: 0,
        }
    }

    #[tokio::test]
    async fn parallel_writers_share_fsyncs_and_each_returns_once_its_line_is_written() {
        let path =
            std::env::temp_dir().join(format!("codis-fe-group-{}.jsonl", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let log = AuditLog::open(&path).await.expect("open");
        let n = 200;
        let path_ref = &path;
        let lines_seen = futures::future::join_all((0..n).map(|i| {
            let log = &log;
            async move {
                log.write(&entry(i)).await;
                let text = std::fs::read_to_string(path_ref).expect("read");
                text.contains(&format!("{{\"n\":{i}}}"))
            }
        }))
        .await;
        assert!(
            lines_seen.iter().all(|seen| *seen),
            "each line is in the file when write returns"
        );
        let text = std::fs::read_to_string(&path).expect("read");
        assert_eq!(text.lines().count(), n);
        let syncs = log.syncs();
        assert!(
            syncs >= 1 && syncs < n as u64 / 2,
            "{syncs} fsyncs for {n} lines"
        );
        let _ = std::fs::remove_file(&path);
    }

    #[tokio::test]
    async fn the_log_is_reopened_when_moved_and_when_asked() {
        let dir = std::env::temp_dir().join(format!("codis-fe-reopen-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("audit.jsonl");
        let log = AuditLog::open(&path).await.expect("open");
        log.write(&entry(1)).await;
        std::fs::rename(&path, dir.join("audit.jsonl.1")).expect("mv");
        log.write(&entry(2)).await;
        let count = |p: &Path| std::fs::read_to_string(p).map_or(0, |t| t.lines().count());
        assert_eq!(count(&dir.join("audit.jsonl.1")), 1);
        assert_eq!(count(&path), 1, "a new file where the old one was");
        log.reopen();
        log.write(&entry(3)).await;
        assert_eq!(count(&path), 2);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn times_are_rfc3339_utc() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        let t = UNIX_EPOCH + Duration::from_millis(1_709_210_096_789); // leap day 2024
        assert_eq!(rfc3339(t), "2024-02-29T12:34:56.789Z");
        let t = UNIX_EPOCH + Duration::from_secs(951_868_800); // 2000-03-01
        assert_eq!(rfc3339(t), "2000-03-01T00:00:00.000Z");
    }
}
