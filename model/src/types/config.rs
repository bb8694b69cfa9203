//! The dashboard configuration (codis-fe-spec.md §4.3.2), as served in `overview.config`.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// `overview.config`. `product_auth` and `host_admin` are never served.
///
/// `coordinator_auth` is served **in clear** by Codis; the backend must not pass it on to
/// browsers (codis-fe-spec.md §7.3).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    /// `zookeeper`, `etcd`, `filesystem` (or `zk`/`fs`).
    pub coordinator_name: String,
    pub coordinator_addr: String,
    pub coordinator_auth: String,
    pub admin_addr: String,
    pub product_name: String,
    /// `semi-async` or `sync`.
    pub migration_method: String,
    pub migration_parallel_slots: i64,
    pub migration_async_maxbulks: i64,
    /// Size string, e.g. `32mb`.
    pub migration_async_maxbytes: String,
    pub migration_async_numkeys: i64,
    /// Duration string, e.g. `30s`.
    pub migration_timeout: String,
    pub sentinel_client_timeout: String,
    pub sentinel_quorum: i64,
    pub sentinel_parallel_syncs: i64,
    pub sentinel_down_after: String,
    pub sentinel_failover_timeout: String,
    pub sentinel_notification_script: String,
    pub sentinel_client_reconfig_script: String,
    /// Fields this crate does not name (another Codis version), kept so re-encoding is lossless.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

impl Config {
    /// The coordinator label codis-fe shows: `[` + first letter upper-cased + `]`, e.g.
    /// `[Filesystem]`, `[Zk]`.
    pub fn coordinator_label(&self) -> String {
        let mut chars = self.coordinator_name.chars();
        match chars.next() {
            Some(first) => format!("[{}{}]", first.to_uppercase(), chars.as_str()),
            None => "[]".to_owned(),
        }
    }
}
