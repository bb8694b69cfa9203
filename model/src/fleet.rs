//! The fleet: one row per product, for the home page and `GET /api/fleet/events` (issue 16).
//!
//! A [`FleetRow`] is derived from the same [`LiveView`] the product pages show (debounced health
//! included), so the fleet and a product's own pages never disagree. The backend sends a
//! `snapshot` ([`FleetView`]) once, then `update` events ([`FleetUpdate`]) carrying only what
//! changed: whole rows when anything but the counters changed, otherwise the counters alone in
//! columns ([`FleetNumbers`]), as the product stream does for proxies (`live.rs`).
//! [`FleetUpdate::between`] and [`FleetView::apply`] sit side by side so the server's diff and the
//! browser's patch cannot disagree (tested below).
//!
//! Migration progress over time ([`MigrationTracker`]: rate, ETA, stuck) lives here too: it needs
//! successive samples, which the derived view of one sample cannot give. Every function is pure:
//! times are passed in, never read from a clock.

use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};

use crate::derive::{MigrationProgress, ServerRow};
use crate::live::{LiveState, LiveView};

/// One product of the fleet.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FleetRow {
    pub product: String,
    /// Whether the dashboard answers (`live`), and if not why not.
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "live"))]
    pub state: LiveState,
    /// When `state` last changed (Unix ms): "unreachable since …".
    pub since_ms: u64,
    /// Why the dashboard is not live, in English (the live status's `message`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The same reason as data, worded by the console (the live status's `cause`).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::cause_id::lenient"
    )]
    pub cause: Option<crate::cause_id::CauseId>,
    /// When the last good sample was taken (Unix ms), while the data is not live (its age);
    /// absent while live, so a live row does not change with every sample.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_ok_ms: Option<u64>,
    /// The dashboard's version (`/topom`), empty until known.
    pub version: String,
    pub qps: i64,
    pub sessions: i64,
    /// Σ used_memory of the group masters, bytes.
    pub memory: u64,
    /// Proxies that are healthy or only flaky, of all registered proxies.
    pub proxies_healthy: u32,
    pub proxies_total: u32,
    /// Codis-servers that are healthy or only flaky, of all servers of every group.
    pub servers_healthy: u32,
    pub servers_total: u32,
    /// Groups that need a resync, or whose sentinels report another master than index 0.
    pub groups_out_of_sync: u32,
    /// Sentinels that are healthy or only flaky, of the configured ones (0/0: no HA).
    pub sentinels_healthy: u32,
    pub sentinels_total: u32,
    /// The sentinels need a resync.
    pub sentinels_out_of_sync: bool,
    pub migration: MigrationStatus,
    /// Alerts firing for this product (0 without the alert engine).
    pub alerts_firing: u32,
}

/// The slots migrating now, how fast, and whether they are stuck.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MigrationStatus {
    /// Slots of the current batch already moved.
    pub done: u32,
    /// Slots with an action still queued or running (0 when idle).
    pub queued: u32,
    /// Of those, past `pending`.
    pub running: u32,
    /// Slots per minute over the last [`RATE_WINDOW_MS`] (from the last sample before it);
    /// absent until two samples at least 5 s apart, or when idle.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_per_min: Option<f64>,
    /// Seconds until `queued` reaches 0 at `rate_per_min`; absent without a rate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eta_secs: Option<u64>,
    /// When the migration last made progress (a slot finished or started), Unix ms; absent when
    /// idle.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub progress_ms: Option<u64>,
    /// No progress for `--stuck-after` while slots are queued.
    pub stuck: bool,
    /// `slot_action.disabled`: pending actions are not started.
    pub disabled: bool,
}

impl MigrationStatus {
    /// Nothing queued or running.
    pub fn is_idle(&self) -> bool {
        self.queued == 0
    }
}

/// The window over which the migration rate is measured.
pub const RATE_WINDOW_MS: u64 = 60_000;

/// Follows one product's migration from sample to sample: rate, ETA and stuck.
///
/// "Progress" is a slot finishing (fewer queued) or a slot starting (more running): a slot of a
/// big key set can take minutes, during which the rest wait, and that is not stuck as long as the
/// dashboard keeps moving slots.
#[derive(Clone, Debug, Default)]
pub struct MigrationTracker {
    /// (t_ms, slots finished so far in this migration), oldest first, within the rate window.
    points: VecDeque<(u64, u64)>,
    /// Slots finished since the queue was last empty.
    finished: u64,
    last: Option<MigrationProgress>,
    progress_ms: Option<u64>,
}

impl MigrationTracker {
    /// Takes the progress of the sample taken at `now_ms`; `stuck_after_ms` is `--stuck-after`.
    pub fn observe(
        &mut self,
        p: &MigrationProgress,
        disabled: bool,
        now_ms: u64,
        stuck_after_ms: u64,
    ) -> MigrationStatus {
        if p.remaining == 0 {
            *self = MigrationTracker {
                last: Some(p.clone()),
                ..MigrationTracker::default()
            };
            return MigrationStatus {
                disabled,
                ..MigrationStatus::default()
            };
        }
        match &self.last {
            Some(prev) if prev.remaining > 0 => {
                let moved = prev.remaining.saturating_sub(p.remaining);
                if moved > 0 || p.running > prev.running {
                    self.progress_ms = Some(now_ms);
                }
                self.finished += u64::from(moved);
            }
            // A migration starts: that is progress.
            _ => self.progress_ms = Some(now_ms),
        }
        self.last = Some(p.clone());
        self.points.push_back((now_ms, self.finished));
        // Keep the newest point older than the window too, so the rate spans the whole window
        // (or, after a gap in sampling, the time since the sample before it).
        while self
            .points
            .get(1)
            .is_some_and(|(t, _)| now_ms.saturating_sub(*t) >= RATE_WINDOW_MS)
        {
            self.points.pop_front();
        }
        let rate_per_min = match (self.points.front(), self.points.back()) {
            // At least 5 s of data, so a first pair of samples does not claim a rate.
            (Some((t0, f0)), Some((t1, f1))) if t1.saturating_sub(*t0) >= 5_000 => {
                Some((f1 - f0) as f64 * 60_000.0 / (t1 - t0) as f64)
            }
            _ => None,
        };
        let eta_secs = rate_per_min
            .filter(|r| *r > 0.0)
            .map(|r| (f64::from(p.remaining) / r * 60.0).ceil() as u64);
        let stuck = self
            .progress_ms
            .is_some_and(|t| now_ms.saturating_sub(t) >= stuck_after_ms);
        MigrationStatus {
            done: p.done,
            queued: p.remaining,
            running: p.running,
            rate_per_min: rate_per_min.map(|r| (r * 10.0).round() / 10.0),
            eta_secs,
            progress_ms: self.progress_ms,
            stuck,
            disabled,
        }
    }
}

/// A replica whose link to its master is down (`master_link_status:down`).
pub fn replica_link_down(s: &ServerRow) -> bool {
    s.index > 0
        && s.master
            .rsplit_once(':')
            .is_some_and(|(_, st)| st == "down")
}

impl FleetRow {
    /// The row of `view`. `since_ms` is when its state last changed, `migration` comes from the
    /// product's [`MigrationTracker`], `alerts_firing` from the alert engine.
    pub fn from_live(
        view: &LiveView,
        since_ms: u64,
        migration: MigrationStatus,
        alerts_firing: u32,
    ) -> FleetRow {
        let v = &view.view;
        let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        let servers = || v.groups.iter().flat_map(|g| g.servers.iter());
        FleetRow {
            product: view.product.clone(),
            state: view.status.state,
            since_ms,
            message: view.status.message.clone(),
            cause: view.status.cause.clone(),
            last_ok_ms: view
                .status
                .last_ok_ms
                .filter(|_| view.status.state != LiveState::Live),
            version: view.dashboard.version.clone(),
            qps: v.totals.qps,
            sessions: v.totals.sessions,
            memory: v.totals.memory,
            proxies_healthy: count(v.proxies.iter().filter(|p| !p.status.is_alarm()).count()),
            proxies_total: count(v.proxies.len()),
            servers_healthy: count(servers().filter(|s| !s.status.is_alarm()).count()),
            servers_total: count(servers().count()),
            groups_out_of_sync: count(
                v.groups
                    .iter()
                    .filter(|g| g.out_of_sync || g.real_master_index().is_some())
                    .count(),
            ),
            sentinels_healthy: count(
                v.sentinels
                    .rows
                    .iter()
                    .filter(|s| !s.status.is_alarm())
                    .count(),
            ),
            sentinels_total: count(v.sentinels.rows.len()),
            sentinels_out_of_sync: v.sentinels.out_of_sync,
            migration,
            alerts_firing,
        }
    }

    /// The counters that change every sample, sent in columns when nothing else changed.
    fn numbers(&self) -> (i64, i64, u64) {
        (self.qps, self.sessions, self.memory)
    }

    fn set_numbers(&mut self, (qps, sessions, memory): (i64, i64, u64)) {
        self.qps = qps;
        self.sessions = sessions;
        self.memory = memory;
    }

    /// The fleet page's health dot: `ok`, `warn` (something needs attention) or `down` (the
    /// dashboard does not answer, or alerts fire).
    pub fn health(&self) -> FleetHealth {
        match self.state {
            LiveState::Unreachable | LiveState::Waiting => return FleetHealth::Down,
            LiveState::Connecting => return FleetHealth::Unknown,
            LiveState::Stale | LiveState::Live => {}
        }
        if self.alerts_firing > 0 {
            FleetHealth::Down
        } else if self.state == LiveState::Stale
            || self.proxies_healthy < self.proxies_total
            || self.servers_healthy < self.servers_total
            || self.sentinels_healthy < self.sentinels_total
            || self.groups_out_of_sync > 0
            || self.sentinels_out_of_sync
            || self.migration.stuck
        {
            FleetHealth::Warn
        } else {
            FleetHealth::Ok
        }
    }
}

/// A product's health dot (see [`FleetRow::health`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FleetHealth {
    Ok,
    Warn,
    Down,
    /// Not read yet.
    Unknown,
}

/// The whole fleet (the `snapshot` event and `GET /api/fleet`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FleetView {
    /// Increases by one per update; SSE event ids are this number.
    pub seq: u64,
    /// When the backend published this view (Unix ms).
    pub sampled_ms: u64,
    /// One row per discovered product, sorted by product name.
    pub rows: Vec<FleetRow>,
}

/// Counters of rows in which nothing else changed, in columns (one entry per row): the fleet's
/// steady traffic is these three numbers per product.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FleetNumbers {
    /// Position of the row in the new view.
    pub index: Vec<u32>,
    pub qps: Vec<i64>,
    pub sessions: Vec<i64>,
    pub memory: Vec<u64>,
}

impl FleetNumbers {
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    fn push(&mut self, index: usize, row: &FleetRow) {
        self.index.push(u32::try_from(index).unwrap_or(u32::MAX));
        self.qps.push(row.qps);
        self.sessions.push(row.sessions);
        self.memory.push(row.memory);
    }

    /// `(row position, numbers)` of every complete entry.
    fn rows(&self) -> impl Iterator<Item = (usize, (i64, i64, u64))> + '_ {
        let n = [
            self.index.len(),
            self.qps.len(),
            self.sessions.len(),
            self.memory.len(),
        ]
        .into_iter()
        .min()
        .unwrap_or(0);
        (0..n).map(move |k| {
            (
                self.index[k] as usize,
                (self.qps[k], self.sessions[k], self.memory[k]),
            )
        })
    }
}

/// The `update` event of the fleet stream.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FleetUpdate {
    pub seq: u64,
    pub sampled_ms: u64,
    /// New rows, and rows in which more than the counters changed, whole.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rows: Vec<FleetRow>,
    #[serde(default, skip_serializing_if = "FleetNumbers::is_empty")]
    pub numbers: FleetNumbers,
    /// Products no longer discovered.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub removed: Vec<String>,
}

impl FleetUpdate {
    /// What changed from `old` to `new` (both sorted by product).
    pub fn between(old: &FleetView, new: &FleetView) -> FleetUpdate {
        let before: BTreeMap<&str, &FleetRow> =
            old.rows.iter().map(|r| (r.product.as_str(), r)).collect();
        let mut u = FleetUpdate {
            seq: new.seq,
            sampled_ms: new.sampled_ms,
            ..FleetUpdate::default()
        };
        for (i, row) in new.rows.iter().enumerate() {
            match before.get(row.product.as_str()) {
                Some(o) if *o == row => {}
                Some(o) => {
                    let mut patched = (*o).clone();
                    patched.set_numbers(row.numbers());
                    if patched == *row {
                        u.numbers.push(i, row);
                    } else {
                        u.rows.push(row.clone());
                    }
                }
                None => u.rows.push(row.clone()),
            }
        }
        let now: BTreeMap<&str, ()> = new.rows.iter().map(|r| (r.product.as_str(), ())).collect();
        u.removed = old
            .rows
            .iter()
            .filter(|r| !now.contains_key(r.product.as_str()))
            .map(|r| r.product.clone())
            .collect();
        u
    }

    /// Nothing but the sequence and time.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty() && self.numbers.is_empty() && self.removed.is_empty()
    }
}

impl FleetView {
    /// Applies an update made by [`FleetUpdate::between`].
    pub fn apply(&mut self, u: &FleetUpdate) {
        self.seq = u.seq;
        self.sampled_ms = u.sampled_ms;
        self.rows.retain(|r| !u.removed.contains(&r.product));
        for row in &u.rows {
            match self
                .rows
                .binary_search_by(|r| r.product.as_str().cmp(&row.product))
            {
                Ok(i) => self.rows[i] = row.clone(),
                Err(i) => self.rows.insert(i, row.clone()),
            }
        }
        for (i, n) in u.numbers.rows() {
            if let Some(r) = self.rows.get_mut(i) {
                r.set_numbers(n);
            }
        }
    }

    /// The row of `product`.
    pub fn row(&self, product: &str) -> Option<&FleetRow> {
        self.rows.iter().find(|r| r.product == product)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::derive::Health;
    use crate::live::{DashboardInfo, LiveStatus};
    use crate::types::Stats;

    fn fixture(name: &str) -> Stats {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/codis-3.2");
        let text = std::fs::read_to_string(format!("{dir}/{name}"))
            .unwrap_or_else(|e| panic!("fixture {dir}/{name}: {e}"));
        serde_json::from_str(&text).expect("stats parse")
    }

    fn live(name: &str) -> LiveView {
        let mut v = LiveView::from_sample(
            "codis-demo",
            1,
            1_000,
            DashboardInfo {
                version: "3.2.2".into(),
                ..DashboardInfo::default()
            },
            &fixture(name),
        );
        v.status = LiveStatus {
            state: LiveState::Live,
            message: None,
            cause: None,
            last_ok_ms: Some(1_000),
        };
        v
    }

    #[test]
    fn a_row_counts_what_the_product_pages_show() {
        let healthy = FleetRow::from_live(
            &live("demo_get_topom_stats__final_healthy.json"),
            500,
            MigrationStatus::default(),
            0,
        );
        assert_eq!(healthy.version, "3.2.2");
        assert_eq!(healthy.proxies_healthy, healthy.proxies_total);
        assert!(healthy.proxies_total > 0 && healthy.servers_total > 0);
        assert_eq!(healthy.servers_healthy, healthy.servers_total);
        assert_eq!(healthy.health(), FleetHealth::Ok);
        assert_eq!(
            healthy.last_ok_ms, None,
            "live: no age that changes every sample"
        );

        let killed = live("demo_get_topom_stats__proxy19001_killed.json");
        let alarms = killed
            .view
            .proxies
            .iter()
            .filter(|p| p.status != Health::Healthy)
            .count() as u32;
        let row = FleetRow::from_live(&killed, 500, MigrationStatus::default(), 0);
        assert!(alarms > 0);
        assert_eq!(row.proxies_healthy, row.proxies_total - alarms);
        assert_eq!(row.health(), FleetHealth::Warn);
        let firing = FleetRow {
            alerts_firing: 1,
            ..row
        };
        assert_eq!(firing.health(), FleetHealth::Down);
    }

    fn fleet(rows: &[(&str, i64, u32)]) -> FleetView {
        FleetView {
            seq: 1,
            sampled_ms: 1_000,
            rows: rows
                .iter()
                .map(|(p, qps, up)| FleetRow {
                    product: p.to_string(),
                    qps: *qps,
                    proxies_healthy: *up,
                    proxies_total: 2,
                    ..FleetRow::default()
                })
                .collect(),
        }
    }

    #[test]
    fn an_update_applied_to_the_old_fleet_gives_the_new_fleet() {
        let mut old = fleet(&[("a", 1, 2), ("b", 2, 2), ("c", 3, 2)]);
        let mut new = fleet(&[("a", 10, 2), ("b", 2, 1), ("d", 4, 2)]);
        new.seq = 2;
        new.sampled_ms = 6_000;
        let u = FleetUpdate::between(&old, &new);
        assert_eq!(u.numbers.index, vec![0], "a: only its counters moved");
        assert_eq!(
            u.rows
                .iter()
                .map(|r| r.product.as_str())
                .collect::<Vec<_>>(),
            ["b", "d"],
            "b changed health, d is new: whole rows"
        );
        assert_eq!(u.removed, ["c"]);
        old.apply(&u);
        assert_eq!(old, new);
    }

    #[test]
    fn an_unchanged_fleet_sends_only_its_sequence_and_time() {
        let a = fleet(&[("a", 1, 2)]);
        let mut b = a.clone();
        b.seq = 2;
        b.sampled_ms = 2_000;
        let u = FleetUpdate::between(&a, &b);
        assert!(u.is_empty());
        assert_eq!(
            serde_json::to_string(&u).expect("json"),
            r#"{"seq":2,"sampled_ms":2000}"#
        );
    }

    fn progress(remaining: u32, running: u32, total: u32) -> MigrationProgress {
        MigrationProgress {
            total,
            done: total - remaining,
            remaining,
            running,
        }
    }

    #[test]
    fn migration_rate_eta_and_stuck_follow_the_samples() {
        let stuck_after = 300_000;
        let mut t = MigrationTracker::default();
        let idle = t.observe(&progress(0, 0, 0), false, 0, stuck_after);
        assert!(idle.is_idle() && idle.rate_per_min.is_none() && !idle.stuck);
        // 100 slots queued at t=10 s, one slot finishing every 5 s.
        let first = t.observe(&progress(100, 1, 100), false, 10_000, stuck_after);
        assert_eq!((first.queued, first.done), (100, 0));
        assert_eq!(first.rate_per_min, None, "one sample gives no rate");
        assert_eq!(first.progress_ms, Some(10_000));
        let mut s = first;
        for k in 1..=12u32 {
            s = t.observe(
                &progress(100 - k, 1, 100),
                false,
                10_000 + u64::from(k) * 5_000,
                stuck_after,
            );
        }
        assert_eq!(s.rate_per_min, Some(12.0), "12 slots per minute");
        assert_eq!(s.eta_secs, Some(440), "88 slots at 12/min");
        assert!(!s.stuck);
        // Then nothing moves: stuck once --stuck-after has passed since the last progress.
        let last = 70_000;
        let before = t.observe(&progress(88, 1, 100), false, last + 299_000, stuck_after);
        assert!(!before.stuck);
        assert_eq!(before.progress_ms, Some(last));
        let after = t.observe(&progress(88, 1, 100), false, last + 300_000, stuck_after);
        assert!(after.stuck);
        assert_eq!(after.rate_per_min, Some(0.0));
        assert_eq!(after.eta_secs, None, "no ETA at rate 0");
        // A slot starting is progress again.
        let moving = t.observe(&progress(88, 2, 100), false, last + 305_000, stuck_after);
        assert!(!moving.stuck);
        // The queue drains: idle, everything forgotten.
        let done = t.observe(&progress(0, 0, 0), true, last + 310_000, stuck_after);
        assert_eq!(
            done,
            MigrationStatus {
                disabled: true,
                ..MigrationStatus::default()
            }
        );
    }
}
