//! Groups, their servers, server sync actions and group promotion (codis-fe-spec.md §4.3.6, 5.3, 5.4).

use super::common::GroupId;
use super::state::{optional_state, tolerant_enum};
use crate::go::{is_zero, null_as_default};
use serde::{Deserialize, Serialize};

tolerant_enum! {
    /// `servers[i].action.state` (codis-fe-spec.md §5.4).
    pub enum ServerActionState {
        /// Queued; the UI offers to cancel it.
        Pending => "pending",
        Syncing => "syncing",
        Synced => "synced",
        SyncedFailed => "synced_failed",
    }
}

tolerant_enum! {
    /// `promoting.state` (codis-fe-spec.md §5.3).
    pub enum PromotingState {
        Preparing => "preparing",
        /// Proxies hold the group's slots locked.
        Prepared => "prepared",
        Finished => "finished",
    }
}

/// A replication group. `servers[0]` is the logical master.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Group {
    /// 1..9999. Required.
    pub id: GroupId,
    #[serde(default, deserialize_with = "null_as_default")]
    pub servers: Vec<GroupServer>,
    /// `{}` unless a promotion is in progress.
    #[serde(default)]
    pub promoting: Promoting,
    #[serde(default)]
    pub out_of_sync: bool,
}

impl Group {
    /// The logical master's address (`servers[0]`), if the group has servers.
    pub fn master(&self) -> Option<&str> {
        self.servers.first().map(|s| s.server.as_str())
    }

    /// True while a promotion is in progress (any non-empty `promoting.state`).
    pub fn is_promoting(&self) -> bool {
        self.promoting.state.is_some()
    }
}

/// `group.promoting`; both fields omitted when zero, so `{}` when not promoting.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Promoting {
    /// Index in `servers` of the server being promoted.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub index: i64,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "optional_state"
    )]
    pub state: Option<PromotingState>,
}

/// One codis-server of a group.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GroupServer {
    /// `host:port`.
    pub server: String,
    #[serde(default)]
    pub datacenter: String,
    /// `{}` when no sync action exists.
    #[serde(default)]
    pub action: ServerAction,
    /// Pika's Codis fork only (absent in Codis 3.2), from the dashboard's own health checks:
    /// INFO `role` (`master`, `slave`, `master&&slave`; `""` before the first check).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// Pika's Codis fork: binlog file number of `db0` at the last successful check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binlog_file_num: Option<u64>,
    /// Pika's Codis fork: offset in that binlog file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binlog_offset: Option<u64>,
    /// Pika's Codis fork: Pika says it may become master (not in a full sync).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_eligible_for_master_election: Option<bool>,
    /// Pika's Codis fork: the dashboard's verdict on the server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<ServerCheckState>,
    /// Pika's Codis fork: failed checks counted since the server became suspected (a Go int8:
    /// it wraps to negative after 127 while the server stays offline).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recall_times: Option<i64>,
    /// Whether proxies may read from this server.
    #[serde(default)]
    pub replica_group: bool,
}

/// `servers[i].action`; both fields omitted when zero.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ServerAction {
    /// Queue order, only while pending.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub index: i64,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "optional_state"
    )]
    pub state: Option<ServerActionState>,
}

/// `servers[i].state` of Pika's Codis fork (`models.GroupServerState`, an int8): the result of
/// the dashboard's own health checks, which replace redis-sentinel there.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ServerCheckState {
    /// 0: the last check succeeded.
    Normal,
    /// 1: a check failed ("subjective offline"); `recall_times` counts the failures since.
    Suspected,
    /// 2: `sentinel_master_dead_check_times` failures: no service; a master is replaced.
    Offline,
    /// A value this crate does not know, kept verbatim.
    Other(i64),
}

impl ServerCheckState {
    pub fn code(self) -> i64 {
        match self {
            ServerCheckState::Normal => 0,
            ServerCheckState::Suspected => 1,
            ServerCheckState::Offline => 2,
            ServerCheckState::Other(n) => n,
        }
    }
}

impl From<i64> for ServerCheckState {
    fn from(n: i64) -> Self {
        match n {
            0 => ServerCheckState::Normal,
            1 => ServerCheckState::Suspected,
            2 => ServerCheckState::Offline,
            n => ServerCheckState::Other(n),
        }
    }
}

impl Serialize for ServerCheckState {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(self.code())
    }
}

impl<'de> Deserialize<'de> for ServerCheckState {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(ServerCheckState::from(i64::deserialize(d)?))
    }
}
