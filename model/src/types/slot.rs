//! Slot mappings (dashboard view, codis-fe-spec.md §4.3.5) and slots as pushed to proxies (codis-fe-spec.md §4.3.9).

use super::common::{GroupId, SlotId};
use super::state::{optional_state, tolerant_enum};
use crate::go::{is_false, is_zero, null_as_default};
use serde::{Deserialize, Serialize};

tolerant_enum! {
    /// `slots[i].action.state` (codis-fe-spec.md §5.1): `pending -> preparing -> prepared -> migrating -> finished`.
    pub enum SlotActionState {
        /// Queued; the only state an operator may cancel.
        Pending => "pending",
        Preparing => "preparing",
        /// Proxies hold the slot locked.
        Prepared => "prepared",
        /// Keys are being moved from the source master.
        Migrating => "migrating",
        /// Moved; about to be rewritten as an idle mapping of the target group.
        Finished => "finished",
    }
}

/// One slot of `stats.slots`: which group serves it and the migration queued or running on it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SlotMapping {
    /// 0..1023; required (no default) so a malformed mapping fails to decode.
    pub id: SlotId,
    /// The group serving the slot; 0 = offline. Required.
    pub group_id: GroupId,
    /// Always written by Codis, as `{}` when idle.
    #[serde(default)]
    pub action: SlotAction,
}

/// `slots[i].action`; every field is omitted when zero, so an idle slot has `{}`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SlotAction {
    /// Queue order: 1 + the highest index of the queue when it was queued (codis-fe-spec.md §5.1).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub index: i64,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "optional_state"
    )]
    pub state: Option<SlotActionState>,
    /// Destination group; 0 when idle.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub target_id: GroupId,
}

impl SlotAction {
    /// True when nothing is queued or running on the slot.
    pub fn is_idle(&self) -> bool {
        self.state.is_none()
    }
}

/// A slot as the proxies see it (`/topom/slots`, `/api/topom/slots/{xauth}`, `/proxy/slots`).
/// Every field but `id` is omitted when empty.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Slot {
    pub id: SlotId,
    /// Requests to the slot are held (a promotion or migration step is in progress).
    #[serde(default, skip_serializing_if = "is_false")]
    pub locked: bool,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub backend_addr: String,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub backend_addr_group_id: GroupId,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub migrate_from: String,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub migrate_from_group_id: GroupId,
    /// 0 = sync, 1 = semi-async.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub forward_method: i64,
    /// Replica tiers by locality (codis-fe-spec.md §4.3.9).
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub replica_groups: Vec<Vec<String>>,
}
