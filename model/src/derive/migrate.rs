//! "Migrate some" checked against the live model (issue 13, item 4).
//!
//! Codis 3.2's `slots/action/create-some/<from>/<to>/<num>` picks up to `num` slots of group
//! `from` that have no action and queues them to `to`; it never checks `from`. A group that
//! does not exist, holds no slots, or whose every slot already has an action is accepted with
//! `OK` and nothing is queued, so the console would say "Done" for an action that did nothing.
//! The backend checks the request against the dashboard's current stats first
//! ([`movable_slots`]) and, once the dashboard accepted it, counts what was really queued
//! ([`queued_count`]).

use crate::types::{GroupId, SlotId, Stats};
use crate::validate::{Rule, ValidationError};

/// The slots of group `from` that "migrate some" can pick (those with no action), in slot order;
/// a [`ValidationError`] on `from` naming why nothing would move.
pub fn movable_slots(stats: &Stats, from: GroupId) -> Result<Vec<SlotId>, ValidationError> {
    if !stats.group.models.iter().any(|g| g.id == from) {
        return Err(ValidationError::of(
            "from",
            Rule::GroupMissing { gid: from.into() },
        ));
    }
    let owned: Vec<_> = stats.slots.iter().filter(|s| s.group_id == from).collect();
    if owned.is_empty() {
        return Err(ValidationError::of(
            "from",
            Rule::GroupHoldsNoSlots { gid: from.into() },
        ));
    }
    let movable: Vec<SlotId> = owned
        .iter()
        .filter(|s| s.action.state.is_none())
        .map(|s| s.id)
        .collect();
    if movable.is_empty() {
        return Err(ValidationError::of(
            "from",
            Rule::GroupSlotsBusy { gid: from.into() },
        ));
    }
    Ok(movable)
}

/// How many of `movable` (read before the action) now have a migration to `to`, or already
/// belong to it (a migration that finished between the two reads).
pub fn queued_count(after: &Stats, movable: &[SlotId], to: GroupId) -> u32 {
    let n = movable
        .iter()
        .filter_map(|&sid| after.slots.get(usize::from(sid)))
        .filter(|s| s.group_id == to || (s.action.state.is_some() && s.action.target_id == to))
        .count();
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{Group, SlotActionState, SlotMapping};

    /// Group 1 holds slots 0..4, group 2 exists empty; slot 1 already has a migration.
    fn stats() -> Stats {
        let mut s = Stats::default();
        for id in [1, 2] {
            s.group.models.push(Group {
                id,
                ..Group::default()
            });
        }
        for id in 0..8u16 {
            let mut m = SlotMapping {
                id,
                group_id: if id < 4 { 1 } else { 0 },
                ..SlotMapping::default()
            };
            if id == 1 {
                m.action.state = Some(SlotActionState::Pending);
                m.action.target_id = 2;
            }
            s.slots.push(m);
        }
        s
    }

    #[test]
    fn a_missing_or_empty_source_group_is_refused_by_name() {
        let e = movable_slots(&stats(), 77).unwrap_err();
        assert_eq!(
            (e.field.as_str(), e.rule.as_str()),
            ("from", "group 77 does not exist")
        );
        let e = movable_slots(&stats(), 2).unwrap_err();
        assert_eq!(e.rule, "group 2 holds no slots");
    }

    #[test]
    fn only_slots_without_an_action_can_move() {
        assert_eq!(movable_slots(&stats(), 1), Ok(vec![0, 2, 3]));
        let mut busy = stats();
        for m in busy.slots.iter_mut().filter(|m| m.group_id == 1) {
            m.action.state = Some(SlotActionState::Migrating);
        }
        let e = movable_slots(&busy, 1).unwrap_err();
        assert!(e.rule.contains("nothing would move"), "{}", e.rule);
    }

    #[test]
    fn queued_counts_what_the_dashboard_really_queued() {
        let before = stats();
        let movable = movable_slots(&before, 1).expect("movable");
        assert_eq!(queued_count(&before, &movable, 2), 0, "nothing queued yet");
        let mut after = before.clone();
        after.slots[0].action.state = Some(SlotActionState::Pending);
        after.slots[0].action.target_id = 2;
        after.slots[2].group_id = 2; // queued and already migrated
        after.slots[3].action.state = Some(SlotActionState::Pending);
        after.slots[3].action.target_id = 3; // someone else's migration
        assert_eq!(queued_count(&after, &movable, 2), 2);
    }
}
