//! The sign-in rate limit: failures per client address and per user name.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Sign-in failures allowed per client address and per user name within [`FAILURE_WINDOW`].
pub const MAX_FAILURES: u32 = 5;
pub const FAILURE_WINDOW: Duration = Duration::from_secs(60);

/// Attempts per key (`addr:…` or `user:…`) and when the first of them happened.
#[derive(Debug, Default)]
pub struct RateLimit {
    failures: std::sync::Mutex<HashMap<String, (u32, Instant)>>,
}

impl RateLimit {
    /// Reserves one attempt for every key, counted as a failure until [`RateLimit::succeeded`]
    /// clears it; `false` (nothing reserved) when one of them has used up its failures. The
    /// check and the count happen under one lock, so parallel attempts cannot all pass the
    /// check before any of them is counted.
    pub fn reserve(&self, keys: &[String]) -> bool {
        let mut f = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        f.retain(|_, (_, since)| since.elapsed() < FAILURE_WINDOW);
        if keys
            .iter()
            .any(|k| f.get(k).is_some_and(|(n, _)| *n >= MAX_FAILURES))
        {
            return false;
        }
        for k in keys {
            f.entry(k.clone()).or_insert((0, Instant::now())).0 += 1;
        }
        true
    }

    /// A reserved attempt succeeded: its keys start afresh.
    pub fn succeeded(&self, keys: &[String]) {
        let mut f = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        for k in keys {
            f.remove(k);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parallel_reservations_never_pass_the_limit() {
        let limit = std::sync::Arc::new(RateLimit::default());
        let keys = vec!["user:otto".to_string()];
        let granted: usize = std::thread::scope(|s| {
            let handles: Vec<_> = (0..50)
                .map(|_| s.spawn(|| usize::from(limit.reserve(&keys))))
                .collect();
            handles.into_iter().map(|h| h.join().expect("join")).sum()
        });
        assert_eq!(granted, MAX_FAILURES as usize);
        limit.succeeded(&keys);
        assert!(limit.reserve(&keys), "a success starts the count afresh");
    }
}
