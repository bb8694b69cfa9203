//! The slots section (codis-fe-spec.md §2.5): distribution chart, action list, migration status.

use crate::types::{GroupId, SlotActionState, SlotId, SlotMapping, Stats};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Everything the slots section shows.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SlotsView {
    /// Slots served per group id (0 = offline). Groups that only appear as a target are absent.
    pub counts: BTreeMap<GroupId, u32>,
    /// One chart series per group, sorted by group id.
    pub series: Vec<SlotSeries>,
    /// Slots with an action, in slot-id order.
    pub actions: Vec<SlotActionRow>,
    pub action_counts: ActionCounts,
    pub progress: MigrationProgress,
    /// `slot_action.interval` in µs.
    pub interval: i64,
    /// `slot_action.disabled`: pending actions are not started.
    pub disabled: bool,
    /// `slot_action.progress.status` verbatim (`""`, `[OK] ...`, `[ERROR] ...`).
    pub status: String,
    /// `slot_action.executor`: running migration batches.
    pub executor: i64,
    /// The product's number of slots ([`Stats::slot_count`]): 1024 on Codis 3.2,
    /// `max_slot_num` on Pika's fork.
    #[serde(default = "default_slot_count")]
    pub slot_count: usize,
}

fn default_slot_count() -> usize {
    crate::types::MAX_SLOT_NUM
}

/// A row of the distribution chart (`categories: ['Offline','Migrating','Default']`).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum SlotChartRow {
    /// x = 0: runs of group 0.
    Offline,
    /// x = 1: runs of slots whose action targets the group.
    Migrating,
    /// x = 2: runs of slots served by the group.
    #[default]
    Default,
}

impl SlotChartRow {
    /// The chart's x value (0, 1, 2).
    pub fn x(self) -> u8 {
        match self {
            SlotChartRow::Offline => 0,
            SlotChartRow::Migrating => 1,
            SlotChartRow::Default => 2,
        }
    }
}

/// A maximal run of consecutive slots `[begin, end]` (inclusive) on one chart row.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlotRun {
    pub row: SlotChartRow,
    pub begin: SlotId,
    pub end: SlotId,
}

impl SlotRun {
    /// codis-fe's tooltip text (without the bold markup).
    pub fn tooltip(&self, group_id: GroupId) -> String {
        let (b, e) = (self.begin, self.end);
        match self.row {
            SlotChartRow::Offline => format!("Slot-[{b},{e}] are Offline"),
            SlotChartRow::Migrating => {
                format!("Slot-[{b},{e}] will be moved to Group-[{group_id}]")
            }
            SlotChartRow::Default => format!("Slot-[{b},{e}] --> Group-[{group_id}]"),
        }
    }
}

/// One series of the distribution chart.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SlotSeries {
    pub group_id: GroupId,
    /// Slots served by the group.
    pub count: u32,
    /// Legend text `Group-<g>:<count>`.
    pub name: String,
    /// Sorted by row (Offline, Migrating, Default), then by slot.
    pub runs: Vec<SlotRun>,
}

/// One slot with an action (the pending-actions table).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SlotActionRow {
    pub slot: SlotId,
    pub group_id: GroupId,
    pub target_id: GroupId,
    pub index: i64,
    pub state: SlotActionState,
    /// Only pending actions can be removed (and, unlike codis-fe, slot 0's too: codis-fe-spec.md §7.9).
    pub can_cancel: bool,
}

/// Number of slots per action state.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionCounts {
    pub pending: u32,
    pub preparing: u32,
    pub prepared: u32,
    pub migrating: u32,
    pub finished: u32,
    /// States this crate does not know.
    pub other: u32,
}

impl ActionCounts {
    /// All slots with an action.
    pub fn total(&self) -> u32 {
        self.pending + self.preparing + self.prepared + self.migrating + self.finished + self.other
    }

    /// Slots past `pending` (being worked on).
    pub fn running(&self) -> u32 {
        self.total() - self.pending
    }
}

/// Progress of the current migration batch.
///
/// The dashboard does not report a batch size, and a finished slot simply loses its action, so
/// it is inferred from one snapshot: an action's `index` is 1 + the highest index in the queue
/// when it was queued, and the queue numbering restarts at 1 once it drains (codis-fe-spec.md §5.1). The
/// highest index present is therefore the number of actions queued since the queue was last
/// empty, as long as the last-queued action has not completed (actions run in index order, so it
/// is normally the last to go). `total = max(highest index, remaining)`, `done = total -
/// remaining`. Cancelling the last-queued pending action shrinks `total` by one; with parallel
/// migration the last action may occasionally finish a moment before others, which makes the
/// bar step back slightly at the very end. Both are cosmetic.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MigrationProgress {
    /// Actions queued since the queue was last empty (0 when idle).
    pub total: u32,
    /// Of those, completed.
    pub done: u32,
    /// Actions still present (pending or running).
    pub remaining: u32,
    /// Actions past `pending`.
    pub running: u32,
}

impl MigrationProgress {
    /// `done / total` in 0..=1; 1 when there is nothing to do.
    pub fn fraction(&self) -> f64 {
        if self.total == 0 {
            1.0
        } else {
            f64::from(self.done) / f64::from(self.total)
        }
    }

    /// True when no action is queued or running.
    pub fn is_idle(&self) -> bool {
        self.remaining == 0
    }
}

/// Builds the slots section from `stats.slots` and `stats.slot_action`.
pub fn slots_view(stats: &Stats) -> SlotsView {
    let slots = &stats.slots;
    let mut counts: BTreeMap<GroupId, u32> = BTreeMap::new();
    let mut groups: BTreeSet<GroupId> = BTreeSet::new();
    let mut actions = Vec::new();
    let mut action_counts = ActionCounts::default();
    let mut max_index = 0i64;

    for s in slots {
        *counts.entry(s.group_id).or_insert(0) += 1;
        groups.insert(s.group_id);
        if s.action.target_id != 0 {
            groups.insert(s.action.target_id);
        }
        if let Some(state) = &s.action.state {
            let bucket = match state {
                SlotActionState::Pending => &mut action_counts.pending,
                SlotActionState::Preparing => &mut action_counts.preparing,
                SlotActionState::Prepared => &mut action_counts.prepared,
                SlotActionState::Migrating => &mut action_counts.migrating,
                SlotActionState::Finished => &mut action_counts.finished,
                SlotActionState::Other(_) => &mut action_counts.other,
            };
            *bucket += 1;
            max_index = max_index.max(s.action.index);
            actions.push(SlotActionRow {
                slot: s.id,
                group_id: s.group_id,
                target_id: s.action.target_id,
                index: s.action.index,
                state: state.clone(),
                can_cancel: *state == SlotActionState::Pending,
            });
        }
    }

    let series = groups
        .iter()
        .map(|&g| {
            let count = counts.get(&g).copied().unwrap_or(0);
            let served_row = if g == 0 {
                SlotChartRow::Offline
            } else {
                SlotChartRow::Default
            };
            let mut runs = runs_where(slots, served_row, |s| s.group_id == g);
            runs.extend(runs_where(slots, SlotChartRow::Migrating, |s| {
                s.action.target_id != 0 && s.action.target_id == g
            }));
            runs.sort_by_key(|r| (r.row.x(), r.begin));
            SlotSeries {
                group_id: g,
                count,
                name: format!("Group-{g}:{count}"),
                runs,
            }
        })
        .collect();

    let remaining = action_counts.total();
    let total = u32::try_from(max_index).unwrap_or(u32::MAX).max(remaining);
    let progress = MigrationProgress {
        total: if remaining == 0 { 0 } else { total },
        done: if remaining == 0 { 0 } else { total - remaining },
        remaining,
        running: action_counts.running(),
    };

    let sa = &stats.slot_action;
    SlotsView {
        counts,
        series,
        actions,
        action_counts,
        progress,
        interval: sa.interval,
        disabled: sa.disabled,
        status: sa.progress.status.clone(),
        executor: sa.executor,
        slot_count: stats.slot_count(),
    }
}

/// Maximal runs of consecutive slots (by position, which is the slot id) matching `pred`.
fn runs_where(
    slots: &[SlotMapping],
    row: SlotChartRow,
    pred: impl Fn(&SlotMapping) -> bool,
) -> Vec<SlotRun> {
    let mut runs = Vec::new();
    let mut start: Option<SlotId> = None;
    let mut last: SlotId = 0;
    for s in slots {
        if pred(s) {
            if start.is_none() {
                start = Some(s.id);
            }
            last = s.id;
        } else if let Some(b) = start.take() {
            runs.push(SlotRun {
                row,
                begin: b,
                end: last,
            });
        }
    }
    if let Some(b) = start {
        runs.push(SlotRun {
            row,
            begin: b,
            end: last,
        });
    }
    runs
}
