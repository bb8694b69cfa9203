//! serde types for the JSON documents of the Codis dashboard and proxies (codis-fe-spec.md §4.3).
//!
//! Conventions, so the next type added behaves like the others:
//! * Deserialising is tolerant where Codis is loose: missing fields default, `null` collections are
//!   empty, unknown state strings are kept as `Other(..)`, an empty or missing state is `None`.
//! * Deserialising is strict where a wrong value would mislead: slot ids and group ids are unsigned
//!   integers (a negative or fractional id fails), and `Stats::slots` must be indexed by slot id.
//! * Serialising reproduces Go's output: the same keys, and fields Go tags `omitempty` are omitted
//!   exactly when Go omits them. A test re-encodes every captured fixture and compares.
//! * Maps are `BTreeMap<String, _>`, because Go writes map keys sorted as strings.

mod common;
mod config;
mod group;
mod overview;
mod proxy;
mod rebalance;
mod redis;
mod sentinel;
mod slot;
mod state;
mod stats;
mod topom;
mod variant;

pub use common::*;
pub use config::Config;
pub use group::{
    Group, GroupServer, Promoting, PromotingState, ServerAction, ServerActionState,
    ServerCheckState,
};
pub use overview::Overview;
pub use proxy::{
    CmdInfo, Proxy, ProxyBackend, ProxyCmdStats, ProxyOps, ProxyOverview, ProxyRedisOps,
    ProxyRuntime, ProxyRuntimeGc, ProxyRuntimeGeneral, ProxyRuntimeHeap, ProxyRusage,
    ProxyRusageRaw, ProxySentinels, ProxySessions, ProxyStats, ProxyStatsData, CMDINFO_INTERVALS,
    CMD_ALL,
};
pub use rebalance::RebalancePlan;
pub use redis::{MonitoredMap, RedisStats, SentinelGroupInfo};
pub use sentinel::Sentinel;
pub use slot::{Slot, SlotAction, SlotActionState, SlotMapping};
pub use stats::{
    GroupSection, ProxySection, SentinelsSection, SlotActionProgress, SlotActionStatus, Stats,
};
pub use topom::Topom;
pub use variant::Variant;
