//! The health of one sampled process (proxy, codis-server, sentinel).

use crate::types::{ProxyStats, RedisStats};
use serde::{Deserialize, Serialize};

/// codis-fe's `status` of a row. Checked in this order: no sample, timeout, error, then data.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Health {
    /// The sample has data (and, for a proxy, the proxy is online).
    Healthy,
    /// No sample yet, or a proxy that answered but is not online.
    #[default]
    Pending,
    /// No answer within 1 s.
    Timeout,
    /// The sample is an error (see the row's `error` text).
    Error,
    /// The latest samples failed (error or timeout) but not yet long enough to be confirmed
    /// (see [`debounce`](super::debounce)): the row keeps its last good data and its `error` is
    /// the last failure. Not an alarm.
    Flaky,
}

impl Health {
    /// The label codis-fe shows: `HEALTHY`, `PENDING`, `TIMEOUT`, `ERROR`.
    pub fn label(self) -> &'static str {
        match self {
            Health::Healthy => "HEALTHY",
            Health::Pending => "PENDING",
            Health::Timeout => "TIMEOUT",
            Health::Error => "ERROR",
            Health::Flaky => "FLAKY",
        }
    }

    /// Whether the item needs attention: what the tab counts count and `/metrics` reports as
    /// down. Healthy and flaky items do not.
    pub fn is_alarm(self) -> bool {
        !matches!(self, Health::Healthy | Health::Flaky)
    }
}

/// Health of a codis-server or sentinel sample.
///
/// A sample with neither data, error nor timeout (never sent by Codis) is `Pending`; codis-fe
/// would have thrown on it.
pub fn redis_health(sample: Option<&RedisStats>) -> Health {
    match sample {
        None => Health::Pending,
        Some(s) if s.timeout => Health::Timeout,
        Some(s) if s.error.is_some() => Health::Error,
        Some(s) if s.stats.is_empty() => Health::Pending,
        Some(_) => Health::Healthy,
    }
}

/// Health of a proxy sample (`processProxyStats`): data but not online is `Pending`.
pub fn proxy_health(sample: Option<&ProxyStats>) -> Health {
    match sample {
        None => Health::Pending,
        Some(s) if s.timeout => Health::Timeout,
        Some(s) if s.error.is_some() => Health::Error,
        Some(s) => match &s.stats {
            Some(data) if data.online => Health::Healthy,
            _ => Health::Pending,
        },
    }
}
