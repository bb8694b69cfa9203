//! One sample of a codis-server or a sentinel (codis-fe-spec.md §4.3.8).

use super::common::InfoMap;
use crate::error::DashboardError;
use crate::go::{is_false, null_as_default};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// `group.stats[addr]` and `sentinels.stats[addr]`.
///
/// Exactly one of `stats`, `error` or `timeout` normally carries the outcome; all three are
/// omitted by Codis when empty.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RedisStats {
    /// The INFO map (plus `master_addr` and `maxmemory` added by the dashboard).
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub stats: InfoMap,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<DashboardError>,
    /// Sentinels only: `"<product>-<gid>"` -> what `SENTINEL MASTERS/SLAVES` report.
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub sentinel: MonitoredMap,
    /// Sample time, Unix seconds.
    #[serde(default)]
    pub unixtime: i64,
    /// No answer within 1 s.
    #[serde(default, skip_serializing_if = "is_false")]
    pub timeout: bool,
}

/// `"<product>-<gid>"` -> monitored master and its replicas; also the body of
/// `GET /api/topom/sentinels/info/{addr}/monitored`.
pub type MonitoredMap = BTreeMap<String, SentinelGroupInfo>;

/// What one sentinel reports for one monitored group. Keys are sentinel's hyphenated ones
/// (`runid`, `ip`, `port`, `flags`, `num-slaves`, ...), values strings.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SentinelGroupInfo {
    #[serde(default, deserialize_with = "null_as_default")]
    pub master: InfoMap,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub slaves: Vec<InfoMap>,
}
