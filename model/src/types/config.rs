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
    /// Missing in Pika's Codis fork: two of its Go fields carry this JSON name and Go's encoder
    /// then drops both (see `fixtures/pika-codis/README.md`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sentinel_client_timeout: Option<String>,
    pub sentinel_quorum: i64,
    pub sentinel_parallel_syncs: i64,
    pub sentinel_down_after: String,
    pub sentinel_failover_timeout: String,
    pub sentinel_notification_script: String,
    pub sentinel_client_reconfig_script: String,
    /// Pika's Codis fork: slots of the product (absent in Codis 3.2, which has 1024).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_slot_num: Option<u32>,
    /// Pika's Codis fork: how often suspected and offline masters are checked (duration string).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sentinel_check_master_failover_interval: Option<String>,
    /// Pika's Codis fork: failed checks after which a suspected server is offline.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sentinel_master_dead_check_times: Option<i64>,
    /// Pika's Codis fork: how often offline servers are checked for recovery.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sentinel_check_offline_server_interval: Option<String>,
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
