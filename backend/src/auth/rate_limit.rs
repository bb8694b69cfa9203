//! The sign-in rate limit: failures per client address and per user name.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Sign-in failures allowed per client address and per user name within [`FAILURE_WINDOW`].
pub const MAX_FAILURES: u32 = 5;
pub const FAILURE_WINDOW: Duration = Duration::from_secs(60);

/// Failures per key (`addr:…` or `user:…`) and when the first of them happened.
#[derive(Debug, Default)]
pub struct RateLimit {
    failures: std::sync::Mutex<HashMap<String, (u32, Instant)>>,
}

impl RateLimit {
    /// Whether one of `keys` has used up its failures.
    pub fn limited(&self, keys: &[String]) -> bool {
        let mut f = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        f.retain(|_, (_, since)| since.elapsed() < FAILURE_WINDOW);
        keys.iter()
            .any(|k| f.get(k).is_some_and(|(n, _)| *n >= MAX_FAILURES))
    }

    pub fn record(&self, keys: &[String], failed: bool) {
        let mut f = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        for k in keys {
            if failed {
                f.entry(k.clone()).or_insert((0, Instant::now())).0 += 1;
            } else {
                f.remove(k);
            }
        }
    }
}
