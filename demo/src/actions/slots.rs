//! Slot calls (codis-fe-spec.md §5.1, 5.2, 5.6): queueing migrations, the scheduler controls, rebalance and
//! direct assignment.

use crate::model::Model;
use crate::reply::{ApiError, ApiResult};
use codis_model::{GroupId, RebalancePlan, SlotAction, SlotActionState, SlotId, SlotMapping};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

impl Model {
    /// 1 + the highest index over slots with any action: the queue order restarts at 1 once
    /// the queue drains.
    fn next_slot_index(&self) -> i64 {
        self.slots
            .iter()
            .filter(|s| s.action.state.is_some())
            .map(|s| s.action.index)
            .max()
            .unwrap_or(0)
            + 1
    }

    fn queue(&mut self, sid: usize, target: GroupId) {
        let index = self.next_slot_index();
        self.slots[sid].action = SlotAction {
            index,
            state: Some(SlotActionState::Pending),
            target_id: target,
        };
    }

    /// A destination group must exist and have servers.
    fn target_group(&self, gid: i64) -> ApiResult<GroupId> {
        let g = self.group(gid)?;
        if g.servers.is_empty() {
            return Err(ApiError::traced(format!("group-[{gid}] is empty")));
        }
        Ok(g.id)
    }

    pub(crate) fn slot_create(&mut self, sid: i64, gid: i64) -> ApiResult<()> {
        let target = self.target_group(gid)?;
        let i = self.slot_index(sid)?;
        let m = &self.slots[i];
        if m.action.state.is_some() {
            return Err(ApiError::traced(format!(
                "slot-[{sid}] action already exists"
            )));
        }
        if m.group_id == target {
            return Err(ApiError::traced(format!(
                "slot-[{sid}] already in group-[{gid}]"
            )));
        }
        self.queue(i, target);
        Ok(())
    }

    /// Up to `num` idle slots of `src`, ascending; the source group is not checked.
    pub(crate) fn slot_create_some(&mut self, src: i64, dst: i64, num: i64) -> ApiResult<()> {
        let target = self.target_group(dst)?;
        let picked: Vec<usize> = self
            .slots
            .iter()
            .filter(|m| {
                m.action.state.is_none() && i64::from(m.group_id) == src && m.group_id != target
            })
            .map(|m| usize::from(m.id))
            .take(usize::try_from(num).unwrap_or(0))
            .collect();
        for i in picked {
            self.queue(i, target);
        }
        Ok(())
    }

    /// All or nothing: any refused slot rejects the whole range before a write.
    pub(crate) fn slot_create_range(&mut self, beg: i64, end: i64, gid: i64) -> ApiResult<()> {
        if !(0 <= beg && beg <= end && end < self.slots.len() as i64) {
            return Err(ApiError::traced(format!(
                "invalid slot range [{beg},{end}]"
            )));
        }
        let target = self.target_group(gid)?;
        for sid in beg..=end {
            let m = &self.slots[sid as usize];
            if m.action.state.is_some() {
                return Err(ApiError::traced(format!(
                    "slot-[{sid}] action already exists"
                )));
            }
            if m.group_id == target {
                return Err(ApiError::traced(format!(
                    "slot-[{sid}] already in group-[{gid}]"
                )));
            }
        }
        for sid in beg..=end {
            self.queue(sid as usize, target);
        }
        Ok(())
    }

    /// Only a pending action can be removed.
    pub(crate) fn slot_remove_action(&mut self, sid: i64) -> ApiResult<()> {
        let i = self.slot_index(sid)?;
        match self.slots[i].action.state {
            None => Err(ApiError::traced(format!(
                "slot-[{sid}] action doesn't exist"
            ))),
            Some(SlotActionState::Pending) => {
                self.slots[i].action = SlotAction::default();
                Ok(())
            }
            Some(_) => Err(ApiError::traced(format!(
                "slot-[{sid}] action isn't pending"
            ))),
        }
    }

    /// Clamped to [0, 1000000] µs (a capture shows 5000000 silently becoming 1000000).
    pub(crate) fn slot_set_interval(&mut self, value: i64) {
        self.slot_action.interval = value.clamp(0, 1_000_000);
    }

    pub(crate) fn slot_set_disabled(&mut self, value: i64) {
        self.slot_action.disabled = value != 0;
    }

    /// `slots/assign`: the body is bound leniently (malformed JSON = no entries, codis-fe-spec.md §4.2).
    pub(crate) fn slots_assign(&mut self, body: &[u8], offline: bool) -> ApiResult<()> {
        let entries: Vec<Value> = serde_json::from_slice(body).unwrap_or_default();
        let parsed: Vec<(i64, i64, String)> = entries
            .iter()
            .map(|v| {
                (
                    v.get("id").and_then(Value::as_i64).unwrap_or(0),
                    v.get("group_id").and_then(Value::as_i64).unwrap_or(0),
                    v.pointer("/action/state")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_owned(),
                )
            })
            .collect();
        for (sid, gid, state) in &parsed {
            self.slot_index(*sid)?;
            if offline {
                if *gid != 0 {
                    return Err(ApiError::traced(format!(
                        "group of slot-[{sid}] should be 0"
                    )));
                }
                continue;
            }
            self.target_group(*gid)?;
            if !state.is_empty() {
                return Err(ApiError::traced(format!(
                    "invalid slot-[{sid}] action = {state}"
                )));
            }
        }
        for (sid, gid, _) in &parsed {
            let gid = *gid as GroupId;
            if let Some(g) = self.groups.get_mut(&gid) {
                g.out_of_sync = true;
            }
            let i = *sid as usize;
            self.migrations.remove(&(i as SlotId));
            self.slots[i] = SlotMapping {
                id: i as SlotId,
                group_id: gid,
                action: SlotAction::default(),
            };
        }
        if !parsed.is_empty() {
            self.push_to_proxies("resync slots failed")?;
        }
        Ok(())
    }

    /// `SlotsRebalance` (codis-fe-spec.md §5.2), step for step; with `confirm` the plan is queued in
    /// ascending slot order.
    pub(crate) fn slots_rebalance(&mut self, confirm: bool) -> ApiResult<RebalancePlan> {
        let group_ids: Vec<GroupId> = self
            .groups
            .values()
            .filter(|g| !g.servers.is_empty())
            .map(|g| g.id)
            .collect();
        if group_ids.is_empty() {
            return Err(ApiError::traced("no valid group could be found"));
        }
        let n = group_ids.len() as i64;
        let mut assigned: BTreeMap<GroupId, i64> = BTreeMap::new();
        let mut pendings: BTreeMap<GroupId, Vec<usize>> = BTreeMap::new();
        let mut moveout: BTreeMap<GroupId, i64> = BTreeMap::new();
        let mut docking: Vec<usize> = Vec::new();
        let size = |a: &BTreeMap<GroupId, i64>,
                    p: &BTreeMap<GroupId, Vec<usize>>,
                    m: &BTreeMap<GroupId, i64>,
                    g: GroupId| {
            a.get(&g).copied().unwrap_or(0) + p.get(&g).map_or(0, |v| v.len() as i64)
                - m.get(&g).copied().unwrap_or(0)
        };
        for m in &self.slots {
            if m.action.state.is_some() {
                *assigned.entry(m.action.target_id).or_default() += 1;
            }
        }
        let lower = self.slots.len() as i64 / n;
        for m in &self.slots {
            if m.action.state.is_some() || m.group_id == 0 {
                continue;
            }
            if size(&assigned, &pendings, &moveout, m.group_id) < lower {
                *assigned.entry(m.group_id).or_default() += 1;
            } else {
                pendings
                    .entry(m.group_id)
                    .or_default()
                    .push(usize::from(m.id));
            }
        }
        // The ordered set of the Go code: (size, gid), smallest first.
        let mut tree: BTreeSet<(i64, GroupId)> = group_ids
            .iter()
            .map(|g| (size(&assigned, &pendings, &moveout, *g), *g))
            .collect();
        for m in &self.slots {
            if m.action.state.is_some() || m.group_id != 0 {
                continue;
            }
            let Some(first) = tree.pop_first() else { break };
            let dest = first.1;
            docking.push(usize::from(m.id));
            *moveout.entry(dest).or_default() -= 1;
            tree.insert((size(&assigned, &pendings, &moveout, dest), dest));
        }
        let upper = (self.slots.len() as i64 + n - 1) / n;
        while tree.len() >= 2 {
            let Some((_, from)) = tree.pop_last() else {
                break;
            };
            if pendings.get(&from).map_or(0, |v| v.len() as i64)
                == moveout.get(&from).copied().unwrap_or(0)
            {
                continue;
            }
            let Some((_, dest)) = tree.pop_first() else {
                break;
            };
            let from_size = size(&assigned, &pendings, &moveout, from);
            let dest_size = size(&assigned, &pendings, &moveout, dest);
            if from_size <= lower || dest_size >= upper || from_size - dest_size <= 1 {
                break;
            }
            *moveout.entry(from).or_default() += 1;
            *moveout.entry(dest).or_default() -= 1;
            tree.insert((size(&assigned, &pendings, &moveout, from), from));
            tree.insert((size(&assigned, &pendings, &moveout, dest), dest));
        }
        for (gid, n) in moveout.iter_mut() {
            if *n > 0 {
                let sids = pendings.entry(*gid).or_default();
                sids.sort_unstable_by(|a, b| b.cmp(a));
                let take = (*n as usize).min(sids.len());
                docking.extend(sids.drain(..take));
                *n = 0;
            }
        }
        docking.sort_unstable();
        let mut plan = BTreeMap::new();
        let mut docking = docking.into_iter();
        for gid in &group_ids {
            let incoming = -moveout.get(gid).copied().unwrap_or(0);
            for _ in 0..incoming.max(0) {
                match docking.next() {
                    Some(sid) => {
                        plan.insert(sid as SlotId, *gid);
                    }
                    None => break,
                }
            }
        }
        if confirm {
            for (sid, gid) in &plan {
                self.queue(usize::from(*sid), *gid);
            }
        }
        Ok(RebalancePlan(plan))
    }
}
