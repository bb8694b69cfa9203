//! The dashboard's background loops (codis-fe-spec.md §4.4, 5.1, 5.4): the slot-migration scheduler and the
//! server-sync queue, one tokio task ticking every `step`.
//!
//! The task ends when the last `DemoDashboard` clone is dropped, and idles while the dashboard
//! is stopped (no dashboard process, nothing advances).

use crate::fault::Fault;
use crate::model::{lock, Migration, Model, Shared};
use crate::reply::ApiError;
use crate::stats::progress_ok;
use codis_model::{
    GroupId, PromotingState, ServerAction, ServerActionState, SlotAction, SlotActionState, SlotId,
    SlotMapping,
};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// Keys moved per migration batch (`SLOTSMGRTTAGSLOT-ASYNC` moves a bounded bulk per call).
const BATCH_KEYS: u32 = 32;

/// The sync queue runs every this many ticks (about once a second at the default step, like
/// the real loop).
const SYNC_EVERY: u64 = 5;

pub(crate) async fn run(shared: Shared, mut life: watch::Receiver<()>, step: Duration) {
    let step = step.max(Duration::from_millis(1));
    // Ticks until the next sync-queue pass (a countdown keeps this MSRV-friendly).
    let mut until_sync: u64 = 0;
    loop {
        tokio::select! {
            _ = life.changed() => break,
            _ = tokio::time::sleep(step) => {}
        }
        let mut m = lock(&shared);
        if !m.up {
            continue;
        }
        m.slots_tick(Instant::now());
        m.pika_tick(Instant::now());
        if until_sync == 0 {
            m.sync_tick();
            until_sync = SYNC_EVERY;
        }
        until_sync -= 1;
    }
}

impl Model {
    fn promoting_prepared_any(&self, gids: &[GroupId]) -> bool {
        gids.iter().any(|g| {
            self.groups
                .get(g)
                .is_some_and(|g| g.promoting.state == Some(PromotingState::Prepared))
        })
    }

    /// One scheduler step: advance in-progress slots (lowest index first), then start pending
    /// ones unless disabled, never two running slots sharing a group.
    pub(crate) fn slots_tick(&mut self, now: Instant) {
        let mut running: Vec<(i64, usize)> = self
            .slots
            .iter()
            .filter(|s| !matches!(s.action.state, None | Some(SlotActionState::Pending)))
            .map(|s| (s.action.index, usize::from(s.id)))
            .collect();
        running.sort_unstable();
        let mut executor = 0;
        for (_, i) in &running {
            if self.advance_slot(*i, now) {
                executor += 1;
            }
        }
        self.slot_action.executor = executor;
        if self.slot_action.disabled {
            return;
        }
        let parallel = usize::try_from(self.config.migration_parallel_slots)
            .unwrap_or(1)
            .max(1);
        let mut busy: BTreeSet<GroupId> = BTreeSet::new();
        let mut count = 0;
        for s in &self.slots {
            if !matches!(s.action.state, None | Some(SlotActionState::Pending)) {
                count += 1;
                if s.group_id != 0 {
                    busy.insert(s.group_id);
                }
                busy.insert(s.action.target_id);
            }
        }
        let mut pending: Vec<(i64, usize)> = self
            .slots
            .iter()
            .filter(|s| s.action.state == Some(SlotActionState::Pending))
            .map(|s| (s.action.index, usize::from(s.id)))
            .collect();
        pending.sort_unstable();
        for (_, i) in pending {
            if count >= parallel {
                break;
            }
            let (src, dst) = (self.slots[i].group_id, self.slots[i].action.target_id);
            if busy.contains(&src) || busy.contains(&dst) {
                continue;
            }
            if src != 0 {
                busy.insert(src);
            }
            busy.insert(dst);
            count += 1;
            self.slots[i].action.state = Some(SlotActionState::Preparing);
        }
    }

    /// Moves one in-progress slot a step; true when a migration batch ran.
    fn advance_slot(&mut self, i: usize, now: Instant) -> bool {
        let m = self.slots[i].clone();
        let sid = m.id;
        match m.action.state {
            // Prepare-phase push failures are only logged; the slot retries later.
            Some(SlotActionState::Preparing) => {
                if self.push_to_proxies("resync slots failed").is_ok() {
                    self.slots[i].action.state = Some(SlotActionState::Prepared);
                }
                false
            }
            Some(SlotActionState::Prepared) => {
                if self.push_to_proxies("resync slots failed").is_ok() {
                    self.slots[i].action.state = Some(SlotActionState::Migrating);
                    let keys = if m.group_id == 0 {
                        0
                    } else {
                        self.slot_keys[i]
                    };
                    self.migrations.insert(
                        sid,
                        Migration {
                            remaining: keys,
                            last_batch: None,
                        },
                    );
                }
                false
            }
            Some(SlotActionState::Migrating) => self.migrate_batch(&m, now),
            Some(SlotActionState::Finished) => {
                match self.push_to_proxies("resync slots failed") {
                    Ok(()) => {
                        self.slots[i] = SlotMapping {
                            id: sid,
                            group_id: m.action.target_id,
                            action: SlotAction::default(),
                        };
                        self.migrations.remove(&sid);
                        self.slot_action.progress.status.clear();
                    }
                    Err(e) => self.slot_error(sid, &e),
                }
                false
            }
            _ => false,
        }
    }

    fn slot_error(&mut self, sid: SlotId, e: &ApiError) {
        self.slot_action.progress.status = format!("[ERROR] Slot[{sid:04}]: {}", e.cause);
    }

    /// One `SLOTSMGRTTAGSLOT-ASYNC` batch, respecting `disabled`, promotions and `interval`.
    fn migrate_batch(&mut self, m: &SlotMapping, now: Instant) -> bool {
        let (src, dst) = (m.group_id, m.action.target_id);
        if self.slot_action.disabled || self.promoting_prepared_any(&[src, dst]) {
            return false;
        }
        let interval = Duration::from_micros(self.slot_action.interval.max(0) as u64);
        let Some(mig) = self.migrations.get(&m.id).cloned() else {
            // Resumed after a restart without progress: start over from the slot's keys.
            let remaining = if src == 0 {
                0
            } else {
                self.slot_keys[usize::from(m.id)]
            };
            self.migrations.insert(
                m.id,
                Migration {
                    remaining,
                    last_batch: None,
                },
            );
            return false;
        };
        if mig
            .last_batch
            .is_some_and(|t| now.duration_since(t) < interval)
        {
            return false;
        }
        let source = self.master_of(src);
        if self.faults.contains(&Fault::MigrationStuck) {
            // The batch command never completes: Go's read deadline on the dashboard's
            // connection to the source server (`migration_timeout`).
            self.slot_error(
                m.id,
                &ApiError::traced(format!("read tcp 127.0.0.1:52314->{source}: i/o timeout")),
            );
            return false;
        }
        if mig.remaining == 0 {
            self.slots[usize::from(m.id)].action.state = Some(SlotActionState::Finished);
            return false;
        }
        if self.is_down(&source) {
            self.slot_error(m.id, &ApiError::traced(crate::world::dial_error(&source)));
            return false;
        }
        let n = mig.remaining.min(BATCH_KEYS);
        self.migrations.insert(
            m.id,
            Migration {
                remaining: mig.remaining - n,
                last_batch: Some(now),
            },
        );
        self.slot_action.progress.status = progress_ok(m.id, n);
        true
    }

    /// One pass of the sync queue (codis-fe-spec.md §5.4): finish the server being synced, then take the
    /// lowest pending one unless its group is promoting (head-of-line blocking).
    pub(crate) fn sync_tick(&mut self) {
        let syncing: Vec<(GroupId, usize)> = self
            .groups
            .values()
            .flat_map(|g| {
                g.servers
                    .iter()
                    .enumerate()
                    .filter(|(_, s)| s.action.state == Some(ServerActionState::Syncing))
                    .map(move |(i, _)| (g.id, i))
            })
            .collect();
        for (gid, i) in syncing {
            let Some(g) = self.groups.get(&gid) else {
                continue;
            };
            let addr = g.servers[i].server.clone();
            let master = g.servers[0].server.clone();
            let ok = self.world.servers.contains_key(&addr) && !self.is_down(&addr);
            if ok {
                if let Some(s) = self.world.servers.get_mut(&addr) {
                    s.replica_of = (i != 0).then_some(master);
                }
                self.reconfigured(&addr);
            }
            if let Some(g) = self.groups.get_mut(&gid) {
                g.servers[i].action = ServerAction {
                    index: 0,
                    state: Some(if ok {
                        ServerActionState::Synced
                    } else {
                        ServerActionState::SyncedFailed
                    }),
                };
            }
        }
        let next = self
            .groups
            .values()
            .flat_map(|g| {
                g.servers
                    .iter()
                    .enumerate()
                    .filter(|(_, s)| s.action.state == Some(ServerActionState::Pending))
                    .map(move |(i, s)| (s.action.index, g.id, i))
            })
            .min();
        if let Some((_, gid, i)) = next {
            if let Some(g) = self.groups.get_mut(&gid) {
                if !g.is_promoting() {
                    g.servers[i].action = ServerAction {
                        index: 0,
                        state: Some(ServerActionState::Syncing),
                    };
                }
            }
        }
    }
}
