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
