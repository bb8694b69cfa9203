//! The rebalance preview (codis-fe-spec.md §2.5 "Rebalance flow").

use crate::types::{Group, GroupId, RebalancePlan, SlotId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The slots a plan gives to one group, as inclusive ranges.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RebalanceGroupPlan {
    pub group_id: GroupId,
    /// Maximal runs of consecutive slot ids, ascending.
    pub ranges: Vec<(SlotId, SlotId)>,
    /// Number of slots moved to the group.
    pub slots: u32,
    /// codis-fe's line: `group-[<gid>] <== [b1,e1],[b2,e2]`.
    pub text: String,
}

/// Groups the plan by target group, in the order of `groups` (the group table order); groups
/// that receive nothing are skipped.
///
/// codis-fe silently dropped plan entries for a group not in its table; such entries (a group
/// created meanwhile) are kept here, after the known groups, in id order, so the preview never
/// hides a move.
pub fn rebalance_preview(plan: &RebalancePlan, groups: &[Group]) -> Vec<RebalanceGroupPlan> {
    let mut by_group: BTreeMap<GroupId, Vec<SlotId>> = BTreeMap::new();
    for (&sid, &gid) in &plan.0 {
        by_group.entry(gid).or_default().push(sid);
    }
    let mut out = Vec::new();
    for g in groups {
        if let Some(sids) = by_group.remove(&g.id) {
            out.push(group_plan(g.id, &sids));
        }
    }
    for (gid, sids) in by_group {
        out.push(group_plan(gid, &sids));
    }
    out
}

fn group_plan(group_id: GroupId, sids: &[SlotId]) -> RebalanceGroupPlan {
    // `sids` comes from a BTreeMap iteration, so it is ascending and unique.
    let mut ranges: Vec<(SlotId, SlotId)> = Vec::new();
    for &sid in sids {
        match ranges.last_mut() {
            Some((_, end)) if end.checked_add(1) == Some(sid) => *end = sid,
            _ => ranges.push((sid, sid)),
        }
    }
    let text = format!(
        "group-[{group_id}] <== {}",
        ranges
            .iter()
            .map(|(b, e)| format!("[{b},{e}]"))
            .collect::<Vec<_>>()
            .join(",")
    );
    RebalanceGroupPlan {
        group_id,
        slots: u32::try_from(sids.len()).unwrap_or(u32::MAX),
        ranges,
        text,
    }
}
