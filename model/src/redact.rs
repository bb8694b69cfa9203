//! What must not leave the backend: Go stack traces (they leak source paths and are several KB)
//! and the coordinator password that `/topom` serves in clear (codis-fe-spec.md §7.3, 7.5); nor an
//! xauth inside a sample's Cause (a dead proxy's error quotes `/api/proxy/stats/<xauth>`).

use crate::causes::redact_secrets;
use crate::types::{Overview, Stats};

impl Stats {
    /// Drops the stack of every server, sentinel and proxy sample error, keeping the cause with
    /// its xauth-like segments redacted ([`crate::causes::redact_secrets`]).
    pub fn strip_stacks(&mut self) {
        let samples = self
            .group
            .stats
            .values_mut()
            .chain(self.sentinels.stats.values_mut());
        for s in samples {
            if let Some(e) = s.error.as_mut() {
                e.stack = None;
                e.cause = redact_secrets(&e.cause);
            }
        }
        for p in self.proxy.stats.values_mut() {
            if let Some(e) = p.error.as_mut() {
                e.stack = None;
                e.cause = redact_secrets(&e.cause);
            }
        }
    }
}

impl Overview {
    /// The overview as a browser may see it: no coordinator credentials, no stacks.
    pub fn redact(&mut self) {
        self.config.coordinator_auth.clear();
        self.stats.strip_stacks();
    }
}

#[cfg(test)]
mod tests {
    use crate::{DashboardError, RedisStats, StackFrame, Stats};

    #[test]
    fn stack_traces_never_reach_the_browser() {
        let mut stats = Stats::default();
        let err = DashboardError {
            cause: "dial tcp: connection refused".into(),
            stack: Some(vec![StackFrame::default()]),
        };
        stats.group.stats.insert(
            "127.0.0.1:16380".into(),
            RedisStats {
                error: Some(err),
                ..RedisStats::default()
            },
        );
        stats.strip_stacks();
        let json = serde_json::to_string(&stats).expect("serialises");
        assert!(json.contains("connection refused"));
        assert!(json.contains("\"Stack\":null"));
    }

    #[test]
    fn a_dead_proxys_sample_error_does_not_show_the_xauth() {
        let mut stats = Stats::default();
        let cause = "Get \"http://127.0.0.1:11081/api/proxy/stats/f5221fd4c2d0b6a2e0b5c4f5cf4a3b2e\": dial tcp 127.0.0.1:11081: connect: connection refused";
        stats.proxy.stats.insert(
            "t".into(),
            crate::ProxyStats {
                error: Some(DashboardError {
                    cause: cause.into(),
                    stack: None,
                }),
                ..Default::default()
            },
        );
        stats.strip_stacks();
        let json = serde_json::to_string(&stats).expect("serialises");
        assert!(!json.contains("f5221fd4"), "{json}");
        assert!(json.contains("/api/proxy/stats/{xauth}"), "{json}");
    }
}
