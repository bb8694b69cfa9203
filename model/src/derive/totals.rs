//! Cluster totals of the overview panel (codis-fe-spec.md §2.2).

use super::info::{info_u64, total_keys};
use super::pika::Measure;
use super::status::{redis_health, Health};
use crate::format::{human_size, thousands};
use crate::types::{Stats, Variant};
use serde::{Deserialize, Serialize};

/// Codis QPS, Sessions, Redis Memory and Redis Keys: numbers and codis-fe's display strings.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterTotals {
    /// Σ `ops.qps` over proxies with usable stats.
    pub qps: i64,
    /// Raw integer, as codis-fe shows it.
    pub qps_text: String,
    /// Σ `sessions.alive` over the same proxies.
    pub sessions: i64,
    pub sessions_text: String,
    /// Σ `used_memory` over the index-0 server of each group with usable stats.
    pub memory: u64,
    /// `humanSize(memory)`, e.g. `24.38 MB`.
    pub memory_text: String,
    /// Σ `keys=` of every `dbN` of the same servers.
    pub keys: u64,
    /// With comma thousands separators, e.g. `51,150`.
    pub keys_text: String,
    /// `memory` as a typed figure: `NotReported` when no master's INFO has `used_memory` (Pika's
    /// fork never sends it), instead of a misleading 0.
    #[serde(default = "reported_zero")]
    pub memory_measure: Measure,
    /// `keys` as a typed figure: `NotReported` on Pika's fork (its dashboard reads no keyspace).
    #[serde(default = "reported_zero")]
    pub keys_measure: Measure,
}

fn reported_zero() -> Measure {
    Measure::Value(0)
}

/// Computes the totals.
///
/// "Usable" proxy stats: a registered proxy (in `proxy.models`; samples of removed proxies are
/// ignored) whose sample has data and neither a timeout nor an error, online or not, as codis-fe.
/// Only the logical master (index 0) of a group counts for memory and keys, so replicas do not
/// double the figures; a master without a healthy sample contributes nothing.
pub fn cluster_totals(stats: &Stats) -> ClusterTotals {
    let mut qps = 0i64;
    let mut sessions = 0i64;
    for p in &stats.proxy.models {
        let data = stats
            .proxy_sample(&p.token)
            .filter(|s| !s.timeout && s.error.is_none())
            .and_then(|s| s.stats.as_ref());
        if let Some(d) = data {
            qps = qps.saturating_add(d.ops.qps);
            sessions = sessions.saturating_add(d.sessions.alive);
        }
    }

    let pika = stats.variant() == Variant::PikaCodis;
    let mut memory = 0u64;
    let mut memory_reported = false;
    let mut keys = 0u64;
    for g in &stats.group.models {
        let Some(master) = g.servers.first() else {
            continue;
        };
        let sample = stats.server_sample(&master.server);
        if redis_health(sample) != Health::Healthy {
            continue;
        }
        if let Some(s) = sample {
            let used = info_u64(&s.stats, "used_memory");
            memory_reported |= used.is_some();
            memory = memory.saturating_add(used.unwrap_or(0));
            // Pika's `db0` is a binlog position, not a keyspace line.
            if !pika {
                keys = keys.saturating_add(total_keys(&s.stats));
            }
        }
    }

    ClusterTotals {
        qps,
        qps_text: qps.to_string(),
        sessions,
        sessions_text: sessions.to_string(),
        memory,
        memory_text: human_size(memory),
        keys,
        keys_text: thousands(i128::from(keys)),
        memory_measure: if pika && !memory_reported {
            Measure::NotReported
        } else {
            Measure::Value(memory)
        },
        keys_measure: if pika {
            Measure::NotReported
        } else {
            Measure::Value(keys)
        },
    }
}
