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
}

impl Health {
    /// The label codis-fe shows: `HEALTHY`, `PENDING`, `TIMEOUT`, `ERROR`.
    pub fn label(self) -> &'static str {
        match self {
            Health::Healthy => "HEALTHY",
            Health::Pending => "PENDING",
            Health::Timeout => "TIMEOUT",
            Health::Error => "ERROR",
        }
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
