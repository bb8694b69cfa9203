//! The audit trail: `--audit-log` (one JSON line per action attempt, flushed before the response
//! leaves) and the recent entries kept in memory for `GET /api/activity`.

use std::collections::VecDeque;
use std::path::Path;
use std::time::SystemTime;

use tokio::io::AsyncWriteExt;

pub use codis_model::console::AuditEntry;

/// Audit entries kept in memory for `GET /api/activity`.
pub const RECENT_ENTRIES: usize = 200;

/// `--audit-log`: a file opened in append mode; each line is written and flushed under a lock
/// before the response leaves.
pub struct AuditLog {
    file: tokio::sync::Mutex<tokio::fs::File>,
}

impl AuditLog {
    pub async fn open(path: &Path) -> Result<AuditLog, String> {
        let file = tokio::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .await
            .map_err(|e| format!("--audit-log {}: {e}", path.display()))?;
        Ok(AuditLog {
            file: tokio::sync::Mutex::new(file),
        })
    }

    pub async fn write(&self, entry: &AuditEntry) {
        let mut line = match serde_json::to_vec(entry) {
            Ok(l) => l,
            Err(e) => {
                tracing::error!("audit: cannot encode an entry: {e}");
                return;
            }
        };
        line.push(b'\n');
        let mut file = self.file.lock().await;
        let written = async {
            file.write_all(&line).await?;
            file.flush().await?;
            file.sync_data().await
        }
        .await;
        if let Err(e) = written {
            tracing::error!(
                action = entry.action,
                product = entry.product,
                "audit: cannot write the audit log: {e}"
            );
        }
    }
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

    #[test]
    fn times_are_rfc3339_utc() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        let t = UNIX_EPOCH + Duration::from_millis(1_709_210_096_789); // leap day 2024
        assert_eq!(rfc3339(t), "2024-02-29T12:34:56.789Z");
        let t = UNIX_EPOCH + Duration::from_secs(951_868_800); // 2000-03-01
        assert_eq!(rfc3339(t), "2000-03-01T00:00:00.000Z");
    }
}
