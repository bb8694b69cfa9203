//! Values the console derives from a [`Stats`] document (spec sections 2, 3 and 5).
//!
//! codis-fe computed these in the browser (`processProxyStats`, `processGroupStats`,
//! `processSentinels`, `renderSlotsCharts`, `updateStats`). Here they are pure functions returning
//! plain serialisable structs, so the backend can compute them once and stream them to browsers,
//! and the frontend can compute the same thing from the same types.
//!
//! Where codis-fe had a defect listed in spec section 7, the function documents what it does
//! instead; otherwise the results match codis-fe.

pub mod debounce;
pub mod group;
mod info;
pub mod migrate;
pub mod pika;
pub mod proxy;
pub mod rebalance;
pub mod sentinel;
pub mod slots;
pub mod status;
pub mod totals;

pub use debounce::{Flaky, HealthRule, HealthTracker};
pub use group::{
    group_views, ha_conflicts, GroupView, HaConflict, HaStatus, ServerCounters, ServerRow,
    SlaveofButton, SyncActionView,
};
pub use pika::{BinlogPosition, Election, Measure, PikaGroup, PikaServer, ServerCheck};
pub use proxy::{proxy_rows, ProxyNumbers, ProxyRow, ResyncHint};
pub use rebalance::{rebalance_preview, RebalanceGroupPlan};
pub use sentinel::{sentinel_views, SentinelRow, SentinelsView};
pub use slots::{
    slots_view, ActionCounts, MigrationProgress, SlotActionRow, SlotChartRow, SlotRun, SlotSeries,
    SlotsView,
};
pub use status::Health;
pub use totals::{cluster_totals, ClusterTotals};

use crate::types::{Stats, Variant};
use serde::{Deserialize, Serialize};

/// Everything the console shows for one Stats sample, computed in one call.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DashboardView {
    pub totals: ClusterTotals,
    pub proxies: Vec<ProxyRow>,
    pub groups: Vec<GroupView>,
    pub slots: SlotsView,
    pub sentinels: SentinelsView,
    /// The dashboard reports itself closed (shutting down).
    pub closed: bool,
    /// Codis 3.2 or Pika's Codis fork, judged from this sample's fields.
    #[serde(default)]
    pub variant: Variant,
}

/// Derives every view of `stats`. `product` is the product name (used for sentinel master names).
pub fn dashboard_view(stats: &Stats, product: &str) -> DashboardView {
    let groups = group_views(stats);
    DashboardView {
        totals: cluster_totals(stats),
        proxies: proxy_rows(stats),
        sentinels: sentinel_views(stats, &groups, product),
        slots: slots_view(stats),
        groups,
        closed: stats.closed,
        variant: stats.variant(),
    }
}
