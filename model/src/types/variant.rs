//! Which Codis a dashboard is: Codis 3.2, or the Codis fork inside Pika (OpenAtomFoundation/pika,
//! folder `codis/`; see `fixtures/pika-codis/README.md`).
//!
//! The fork's `/topom` version string equals Codis 3.2.2-12's, so the variant is told by the
//! fields only the fork sends: `config.max_slot_num`, a proxy's `max_slot_num`, a group server's
//! `state`/`role`, a proxy sample's `slow_cmd_count`.

use super::Stats;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Variant {
    /// CodisLabs Codis 3.2: 1024 slots, redis-sentinel for failover.
    #[default]
    Codis32,
    /// Pika's Codis fork: `max_slot_num` slots, failover done by the dashboard, no sentinels.
    PikaCodis,
}

impl Variant {
    /// From a Stats sample alone. A fork product with no group server, no proxy and no proxy
    /// sample looks like Codis 3.2 here; [`Overview::variant`](crate::Overview::variant) also
    /// reads its config.
    pub fn of_stats(stats: &Stats) -> Variant {
        let servers = stats
            .group
            .models
            .iter()
            .flat_map(|g| &g.servers)
            .any(|s| s.state.is_some() || s.role.is_some());
        let proxies = stats.proxy.models.iter().any(|p| p.max_slot_num.is_some());
        let samples = stats
            .proxy
            .stats
            .values()
            .filter_map(|s| s.stats.as_ref())
            .any(|d| d.slow_cmd_count.is_some());
        if servers || proxies || samples {
            Variant::PikaCodis
        } else {
            Variant::Codis32
        }
    }

    /// Whether the dashboard has the `/api/topom/sentinels/...` routes.
    pub fn has_sentinels(self) -> bool {
        self == Variant::Codis32
    }
}
