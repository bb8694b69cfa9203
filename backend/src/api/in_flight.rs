//! Actions whose dashboard call is running (issue 13, item 3): a second identical action (another
//! tab, a double click, a retry after a timeout) is refused with `409 in_flight` until the first
//! one has an outcome, so a promote or a migration cannot be applied twice.
//!
//! "Identical" is the same dashboard and the same dashboard path (the path holds every input of
//! the action). After a timeout the outcome is unknown, since the dashboard may still carry the
//! action out, so the mark is kept a while longer ([`Guard::linger`]).

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::error::ApiError;

/// How long an identical action stays refused after a timeout left its outcome unknown: long
/// enough for a dashboard that was frozen for a few seconds to carry it out and for the next
/// samples to show it.
pub const UNKNOWN_LINGER: Duration = Duration::from_secs(30);

/// The running actions of this backend (one per `AppState`).
#[derive(Clone, Default)]
pub struct Running(Arc<Mutex<BTreeSet<String>>>);

/// One running action; dropping it ends the mark.
pub struct Guard {
    running: Running,
    key: String,
}

impl Running {
    /// Marks `dashboard path` as running, or refuses it when it already is. `name` is the
    /// action's name, for the message.
    pub fn enter(&self, dashboard: &str, path: &str, name: &str) -> Result<Guard, ApiError> {
        let key = format!("{dashboard} {path}");
        let mut set = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if !set.insert(key.clone()) {
            return Err(ApiError::InFlight(format!(
                "the same action ({name}) is already running or its outcome is still unknown: wait for it, and check the cluster's state before trying again"
            )));
        }
        Ok(Guard {
            running: self.clone(),
            key,
        })
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

impl Guard {
    /// Keeps the action marked as running for `d` more (its outcome is unknown).
    pub fn linger(self, d: Duration) {
        tokio::spawn(async move {
            tokio::time::sleep(d).await;
            drop(self);
        });
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.running
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_identical_action_is_refused_until_the_first_ends() {
        let r = Running::default();
        let first = r
            .enter("d:1", "group/create/x/7", "group-create")
            .expect("first");
        let again = r.enter("d:1", "group/create/x/7", "group-create");
        assert!(matches!(again, Err(ApiError::InFlight(_))));
        // Another action, or the same one on another dashboard, runs.
        let other = r
            .enter("d:1", "group/create/x/8", "group-create")
            .expect("other");
        let elsewhere = r
            .enter("d:2", "group/create/x/7", "group-create")
            .expect("elsewhere");
        drop((other, elsewhere));
        drop(first);
        assert_eq!(r.len(), 0);
        assert!(r.enter("d:1", "group/create/x/7", "group-create").is_ok());
    }

    #[tokio::test]
    async fn after_a_timeout_the_mark_lingers() {
        let r = Running::default();
        let linger = Duration::from_millis(200);
        let started = std::time::Instant::now();
        r.enter("d", "p", "a").expect("first").linger(linger);
        assert!(r.enter("d", "p", "a").is_err(), "refused while unknown");
        // Freed by the linger task, not before it ends.
        let deadline = started + Duration::from_secs(10);
        let guard = loop {
            if let Ok(g) = r.enter("d", "p", "a") {
                break g;
            }
            assert!(std::time::Instant::now() < deadline, "never freed");
            tokio::time::sleep(Duration::from_millis(10)).await;
        };
        assert!(started.elapsed() >= linger, "freed early");
        drop(guard);
    }
}
