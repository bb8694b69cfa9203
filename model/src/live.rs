//! The live view of one product, streamed from the backend to browsers over Server-Sent Events.
//!
//! The backend polls each watched dashboard once per interval, derives a [`LiveView`] and sends
//! every subscriber a `snapshot` event once, then `update` events ([`LiveUpdate`]) that carry only
//! what changed, keyed by row (proxy token, group id, slot id), and `status` events
//! ([`LiveStatus`]) when the dashboard becomes unreachable, reachable again, or stale.
//!
//! [`LiveUpdate::between`] and [`LiveView::apply`] live here, side by side, so that the server's
//! diff and the browser's patch cannot disagree: `old.apply(&LiveUpdate::between(&old, &new))`
//! equals `new` (tested below).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::derive::{
    dashboard_view, ClusterTotals, DashboardView, GroupView, ProxyNumbers, ProxyRow, SentinelsView,
    ServerCounters, ServerRow, SlotsView,
};
use crate::types::{GroupId, Overview, SlotId, Stats, Variant, SLOT_NUM_LIMIT};

/// SSE event names.
pub const EVENT_SNAPSHOT: &str = "snapshot";
pub const EVENT_UPDATE: &str = "update";
pub const EVENT_STATUS: &str = "status";

/// Facts about the dashboard itself (from `/topom`), shown in the overview.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DashboardInfo {
    /// The dashboard's advertised `host:port`.
    pub admin_addr: String,
    pub version: String,
    /// codis-fe's label, e.g. `[Zookeeper]`.
    pub coordinator_label: String,
    pub coordinator_addr: String,
    pub migration_method: String,
    pub migration_parallel_slots: i64,
    /// Wall-clock start time of the dashboard (Go's monotonic suffix removed).
    pub start_time: String,
    pub pid: i64,
    /// Codis 3.2 or Pika's Codis fork, judged from the overview's fields.
    #[serde(default)]
    pub variant: Variant,
    /// The product's number of slots (1024 on Codis 3.2, `max_slot_num` on Pika's fork).
    #[serde(default)]
    pub slot_count: usize,
    /// Pika's fork: its built-in failover's settings (it has no sentinels).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failover: Option<FailoverSettings>,
}

/// The settings of the failover built into Pika's Codis fork (its `/topom` config), read-only.
/// The interval of the check of healthy servers (`sentinel_check_server_state_interval`) is not
/// among them: the fork's dashboard does not send it (two Go fields share one JSON name).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailoverSettings {
    /// How often suspected and offline masters are checked (a Go duration string, `2s`).
    pub check_master_failover_interval: Option<String>,
    /// Failed checks after which a suspected server is offline (and a master replaced).
    pub master_dead_check_times: Option<i64>,
    /// How often offline servers are checked for recovery.
    pub check_offline_server_interval: Option<String>,
}

impl DashboardInfo {
    pub fn from_overview(o: &Overview) -> DashboardInfo {
        DashboardInfo {
            admin_addr: o.model.admin_addr.clone(),
            version: o.version.clone(),
            coordinator_label: o.config.coordinator_label(),
            coordinator_addr: o.config.coordinator_addr.clone(),
            migration_method: o.config.migration_method.clone(),
            migration_parallel_slots: o.config.migration_parallel_slots,
            start_time: o.model.start_time.wall_clock().to_string(),
            pid: o.model.pid,
            variant: o.variant(),
            slot_count: o.slot_count(),
            failover: (o.variant() == Variant::PikaCodis).then(|| FailoverSettings {
                check_master_failover_interval: o
                    .config
                    .sentinel_check_master_failover_interval
                    .clone(),
                master_dead_check_times: o.config.sentinel_master_dead_check_times,
                check_offline_server_interval: o
                    .config
                    .sentinel_check_offline_server_interval
                    .clone(),
            }),
        }
    }
}

/// Whether the data on screen is current.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LiveState {
    /// No sample yet.
    #[default]
    Connecting,
    /// The latest poll succeeded.
    Live,
    /// The latest poll failed; what is shown is the last good sample.
    Unreachable,
    /// Polls answer but the dashboard's data is old (it reports itself closed, or samples stopped).
    Stale,
    /// No poll has answered for more than two intervals and one is still waiting for the
    /// dashboard (frozen, overloaded, or a network black hole): what is shown is the last good
    /// sample, `last_ok_ms` gives its age. Sent at once, long before the poll times out.
    Waiting,
}

/// The `status` event, also embedded in every snapshot.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveStatus {
    pub state: LiveState,
    /// Why the dashboard is not live, in English: the raw text, for logs, curl users and older
    /// consoles (and shown beside the worded cause when it is the dashboard's own words).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The same reason as data, which the console words in the viewer's language (the error
    /// bodies' `cause`, docs/i18n.md "Cause ids"). Absent from an older backend's status; an id
    /// this console does not know reads as absent, and the banner shows `message`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::cause_id::lenient"
    )]
    pub cause: Option<crate::cause_id::CauseId>,
    /// When the last good sample was taken (Unix ms); the banner shows its age.
    pub last_ok_ms: Option<u64>,
}

/// A time series at a fixed step: `values[i]` was sampled at `start_ms + i * step_ms`; `None`
/// where no sample was taken (the dashboard did not answer).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Series {
    pub start_ms: u64,
    pub step_ms: u64,
    pub values: Vec<Option<f64>>,
    /// Older points, before `start_ms`, at a coarser step (its own `coarse` is unused). Only
    /// snapshots carry it: the backend sends long per-proxy and per-group history downsampled
    /// (e.g. 10 s steps beyond the last 5 minutes) so that a snapshot of a large cluster stays
    /// small. [`points`](Self::points) yields these first; [`push`](Self::push) drops them once
    /// they fall out of the kept window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coarse: Option<Box<Series>>,
}

impl Series {
    pub fn new(start_ms: u64, step_ms: u64) -> Series {
        Series {
            start_ms,
            step_ms: step_ms.max(1),
            values: Vec::new(),
            coarse: None,
        }
    }

    /// Records `value` at time `t_ms`, filling skipped steps with `None` and keeping at most
    /// `keep` values (the oldest are dropped).
    pub fn push(&mut self, t_ms: u64, value: Option<f64>, keep: usize) {
        if self.values.is_empty() {
            self.start_ms = t_ms;
            self.values.push(value);
        } else {
            let next = self.start_ms + self.values.len() as u64 * self.step_ms;
            if t_ms + self.step_ms / 2 < next {
                // Same step as the last value: the newer sample wins.
                if let Some(last) = self.values.last_mut() {
                    *last = value;
                }
            } else {
                let gaps = ((t_ms.saturating_sub(next)) + self.step_ms / 2) / self.step_ms;
                for _ in 0..gaps.min(keep as u64) {
                    self.values.push(None);
                }
                self.values.push(value);
            }
        }
        if self.values.len() > keep {
            let drop = self.values.len() - keep;
            self.values.drain(..drop);
            self.start_ms += drop as u64 * self.step_ms;
        }
        if let Some(coarse) = &mut self.coarse {
            // The window kept is `keep` steps back from the newest point.
            let end = self.start_ms + self.values.len() as u64 * self.step_ms;
            let window_start = end.saturating_sub(keep as u64 * self.step_ms);
            let step = coarse.step_ms.max(1);
            let old = window_start.saturating_sub(coarse.start_ms).div_ceil(step) as usize;
            let old = old.min(coarse.values.len());
            if old > 0 {
                coarse.values.drain(..old);
                coarse.start_ms += old as u64 * step;
            }
            if coarse.values.is_empty() {
                self.coarse = None;
            }
        }
    }

    /// `(t_ms, value)` of every sampled point, the coarse older points first.
    pub fn points(&self) -> impl Iterator<Item = (u64, f64)> + '_ {
        self.coarse
            .iter()
            .flat_map(|c| c.own_points())
            .chain(self.own_points())
    }

    fn own_points(&self) -> impl Iterator<Item = (u64, f64)> + '_ {
        self.values
            .iter()
            .enumerate()
            .filter_map(|(i, v)| v.map(|v| (self.start_ms + i as u64 * self.step_ms, v)))
    }
}

/// Charts' history, sent with the snapshot so a new tab draws them at once.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct History {
    pub cluster_qps: Series,
    /// Proxy token -> QPS.
    pub proxy_qps: BTreeMap<String, Series>,
    /// Group id -> used memory of its master, bytes.
    pub group_memory: BTreeMap<GroupId, Series>,
    /// Group id -> keys of its master.
    pub group_keys: BTreeMap<GroupId, Series>,
}

/// The newest history point, sent with every update.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct HistoryTick {
    pub t_ms: u64,
    pub cluster_qps: Option<f64>,
    pub proxy_qps: BTreeMap<String, f64>,
    pub group_memory: BTreeMap<GroupId, f64>,
    pub group_keys: BTreeMap<GroupId, f64>,
}

impl HistoryTick {
    /// The point of history that `view` contributes at `t_ms`.
    pub fn from_view(view: &DashboardView, t_ms: u64) -> HistoryTick {
        HistoryTick::from_rows(
            t_ms,
            view.totals.qps,
            view.proxies
                .iter()
                .map(|p| (p.token.as_str(), p.numbers.as_ref().map(|n| n.qps))),
            view.groups.iter().map(|g| (g.id, g.servers.first())),
        )
    }

    /// The same point from the parts of a view: the cluster's QPS, each proxy's QPS (if it has
    /// counters) and each group's first server (the master). The browser keeps its view as
    /// separate rows and builds its history points with this, so that they equal the backend's.
    pub fn from_rows<'a>(
        t_ms: u64,
        cluster_qps: i64,
        proxies: impl IntoIterator<Item = (&'a str, Option<i64>)>,
        masters: impl IntoIterator<Item = (GroupId, Option<&'a ServerRow>)>,
    ) -> HistoryTick {
        let mut tick = HistoryTick {
            t_ms,
            cluster_qps: Some(cluster_qps as f64),
            ..HistoryTick::default()
        };
        for (token, qps) in proxies {
            if let Some(qps) = qps {
                tick.proxy_qps.insert(token.to_owned(), qps as f64);
            }
        }
        for (gid, master) in masters {
            if let Some(master) = master {
                if let Some(m) = master.memory {
                    tick.group_memory.insert(gid, m as f64);
                }
                if let Some(k) = master.key_count {
                    tick.group_keys.insert(gid, k as f64);
                }
            }
        }
        tick
    }
}

impl History {
    /// Appends a tick to every series, keeping at most `keep` points per series. Series of
    /// proxies or groups absent from the tick get a gap; series of removed rows age out.
    pub fn record(&mut self, tick: &HistoryTick, step_ms: u64, keep: usize) {
        fn put<K: Ord + Clone>(
            map: &mut BTreeMap<K, Series>,
            values: &BTreeMap<K, f64>,
            t: u64,
            step: u64,
            keep: usize,
        ) {
            for (k, v) in values {
                map.entry(k.clone())
                    .or_insert_with(|| Series::new(t, step))
                    .push(t, Some(*v), keep);
            }
            for (k, s) in map.iter_mut() {
                if !values.contains_key(k) {
                    s.push(t, None, keep);
                }
            }
            map.retain(|_, s| s.values.iter().any(Option::is_some));
        }
        if self.cluster_qps.step_ms == 0 {
            self.cluster_qps = Series::new(tick.t_ms, step_ms);
        }
        self.cluster_qps.push(tick.t_ms, tick.cluster_qps, keep);
        put(
            &mut self.proxy_qps,
            &tick.proxy_qps,
            tick.t_ms,
            step_ms,
            keep,
        );
        put(
            &mut self.group_memory,
            &tick.group_memory,
            tick.t_ms,
            step_ms,
            keep,
        );
        put(
            &mut self.group_keys,
            &tick.group_keys,
            tick.t_ms,
            step_ms,
            keep,
        );
    }
}

/// The whole view of one product (the `snapshot` event).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LiveView {
    pub product: String,
    /// Increases by one per sample; SSE event ids are this number.
    pub seq: u64,
    /// When the backend received the sample (Unix ms).
    pub sampled_ms: u64,
    pub dashboard: DashboardInfo,
    pub view: DashboardView,
    /// Group id of every slot, index = slot id (all 1024 visible, not only chart runs).
    pub slot_owner: Vec<GroupId>,
    pub history: History,
    pub status: LiveStatus,
}

impl LiveView {
    /// Derives the view of one stats sample (history and status are the caller's).
    pub fn from_sample(
        product: &str,
        seq: u64,
        sampled_ms: u64,
        dashboard: DashboardInfo,
        stats: &Stats,
    ) -> LiveView {
        LiveView::from_view(
            product,
            seq,
            sampled_ms,
            dashboard,
            dashboard_view(stats, product),
            stats,
        )
    }

    /// Likewise, with the view already derived from `stats` (e.g. with debounced health, see
    /// [`HealthTracker::view`](crate::derive::HealthTracker::view)).
    pub fn from_view(
        product: &str,
        seq: u64,
        sampled_ms: u64,
        dashboard: DashboardInfo,
        view: DashboardView,
        stats: &Stats,
    ) -> LiveView {
        LiveView {
            product: product.to_string(),
            seq,
            sampled_ms,
            dashboard,
            view,
            slot_owner: stats
                .slots
                .iter()
                .take(SLOT_NUM_LIMIT)
                .map(|s| s.group_id)
                .collect(),
            history: History::default(),
            status: LiveStatus::default(),
        }
    }

    /// Applies an update made by [`LiveUpdate::between`]. `keep` bounds the history length.
    pub fn apply(&mut self, u: &LiveUpdate, step_ms: u64, keep: usize) {
        self.seq = u.seq;
        self.sampled_ms = u.sampled_ms;
        if let Some(d) = &u.dashboard {
            self.dashboard = d.clone();
        }
        if let Some(t) = &u.totals {
            self.view.totals = t.clone();
        }
        if let Some(order) = &u.proxy_order {
            let mut by_key: BTreeMap<String, ProxyRow> = std::mem::take(&mut self.view.proxies)
                .into_iter()
                .map(|p| (p.token.clone(), p))
                .collect();
            for p in &u.proxies {
                by_key.insert(p.token.clone(), p.clone());
            }
            self.view.proxies = order.iter().filter_map(|k| by_key.remove(k)).collect();
        } else {
            for p in &u.proxies {
                if let Some(row) = self.view.proxies.iter_mut().find(|r| r.token == p.token) {
                    *row = p.clone();
                }
            }
        }
        if let Some(order) = &u.group_order {
            let mut by_key: BTreeMap<GroupId, GroupView> = std::mem::take(&mut self.view.groups)
                .into_iter()
                .map(|g| (g.id, g))
                .collect();
            for g in &u.groups {
                by_key.insert(g.id, g.clone());
            }
            self.view.groups = order.iter().filter_map(|k| by_key.remove(k)).collect();
        } else {
            for g in &u.groups {
                if let Some(row) = self.view.groups.iter_mut().find(|r| r.id == g.id) {
                    *row = g.clone();
                }
            }
        }
        for (i, n) in u.proxy_numbers.rows() {
            if let Some(row) = self.view.proxies.get_mut(i) {
                row.set_numbers(n);
            }
        }
        for (gid, i, k) in u.server_numbers.rows() {
            let server = self
                .view
                .groups
                .iter_mut()
                .find(|g| g.id == gid)
                .and_then(|g| g.servers.get_mut(i));
            if let Some(row) = server {
                u.server_numbers.apply(k, row);
            }
        }
        if let Some(s) = &u.slots {
            self.view.slots = s.clone();
        }
        if let Some(s) = &u.sentinels {
            self.view.sentinels = s.clone();
        }
        if let Some(c) = u.closed {
            self.view.closed = c;
        }
        if let Some(v) = u.variant {
            self.view.variant = v;
        }
        if let Some(len) = u.slot_count {
            // Codis 3.2 has 1024 slots, Pika's fork up to SLOT_NUM_LIMIT; a corrupt or hostile
            // count must not grow the view without bound (found by the `live_event` fuzz target).
            self.slot_owner.resize(len.min(SLOT_NUM_LIMIT), 0);
        }
        for &(sid, gid) in &u.slot_owner {
            if let Some(o) = self.slot_owner.get_mut(usize::from(sid)) {
                *o = gid;
            }
        }
        self.history.record(
            &HistoryTick::from_view(&self.view, self.sampled_ms),
            step_ms,
            keep,
        );
        if let Some(s) = &u.status {
            self.status = s.clone();
        }
    }
}

/// The `update` event: what changed since the previous sample. Rows are keyed (proxy token,
/// group id, slot id) so the browser patches only what changed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LiveUpdate {
    pub seq: u64,
    pub sampled_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dashboard: Option<DashboardInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub totals: Option<ClusterTotals>,
    /// Changed or added proxy rows, whole.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub proxies: Vec<ProxyRow>,
    /// Rows in which only the counters changed: just the counters (applied after `proxies` and
    /// `proxy_order`).
    #[serde(default, skip_serializing_if = "ProxyCounterColumns::is_empty")]
    pub proxy_numbers: ProxyCounterColumns,
    /// The new order of proxy tokens, present only when rows were added, removed or reordered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy_order: Option<Vec<String>>,
    /// Changed or added groups, whole.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<GroupView>,
    /// Server rows in which only the counters changed (applied after `groups`).
    #[serde(default, skip_serializing_if = "ServerCounterColumns::is_empty")]
    pub server_numbers: ServerCounterColumns,
    /// The new order of group ids, present only when groups were added, removed or reordered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_order: Option<Vec<GroupId>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slots: Option<SlotsView>,
    /// `(slot, group)` for every slot whose owner changed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub slot_owner: Vec<(SlotId, GroupId)>,
    /// New length of `slot_owner`, only when it changed (never, with a real dashboard).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slot_count: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sentinels: Option<SentinelsView>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed: Option<bool>,
    /// The product's variant, only when it changed (once, when a fork product's first server or
    /// proxy shows the fork's fields).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<Variant>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<LiveStatus>,
}

/// The counters of the proxy rows in which nothing else changed, one array per counter (row
/// `k` is `index[k]`, `qps[k]`, ...; `index` = position in the proxy list). Columns rather than
/// one object per row: a 128-proxy update is then ~6 KB of JSON with like digits side by side,
/// which the stream's shared deflate window compresses to ~1 KB (objects with field names per
/// row were ~75 KB, tuples per row ~2 KB; BENCHMARKS.md).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ProxyCounterColumns {
    pub index: Vec<u32>,
    pub online: Vec<bool>,
    pub qps: Vec<i64>,
    pub ops_total: Vec<i64>,
    pub ops_fails: Vec<i64>,
    pub redis_errors: Vec<Option<i64>>,
    pub sessions_total: Vec<i64>,
    pub sessions_alive: Vec<i64>,
    pub cpu: Vec<f64>,
    pub mem: Vec<i64>,
}

impl ProxyCounterColumns {
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    pub fn push(&mut self, index: usize, n: &ProxyNumbers) {
        self.index.push(u32::try_from(index).unwrap_or(u32::MAX));
        self.online.push(n.online);
        self.qps.push(n.qps);
        self.ops_total.push(n.ops_total);
        self.ops_fails.push(n.ops_fails);
        self.redis_errors.push(n.redis_errors);
        self.sessions_total.push(n.sessions_total);
        self.sessions_alive.push(n.sessions_alive);
        self.cpu.push(n.cpu);
        self.mem.push(n.mem);
    }

    /// `(index in the proxy list, counters)` of every row. Columns of unequal length (a
    /// malformed event) yield only the rows every column has.
    pub fn rows(&self) -> impl Iterator<Item = (usize, ProxyNumbers)> + '_ {
        let len = [
            self.index.len(),
            self.online.len(),
            self.qps.len(),
            self.ops_total.len(),
            self.ops_fails.len(),
            self.redis_errors.len(),
            self.sessions_total.len(),
            self.sessions_alive.len(),
            self.cpu.len(),
            self.mem.len(),
        ]
        .into_iter()
        .min()
        .unwrap_or(0);
        (0..len).map(move |k| {
            let n = ProxyNumbers {
                online: self.online[k],
                qps: self.qps[k],
                ops_total: self.ops_total[k],
                ops_fails: self.ops_fails[k],
                redis_errors: self.redis_errors[k],
                sessions_total: self.sessions_total[k],
                sessions_alive: self.sessions_alive[k],
                cpu: self.cpu[k],
                mem: self.mem[k],
            };
            (self.index[k] as usize, n)
        })
    }
}

/// The counters of the server rows in which nothing else changed (and nothing else in their
/// group), by column like [`ProxyCounterColumns`]. `keyspace[k]` is `null` when the server's
/// keyspace texts did not change (they rarely do, and are the longest part).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ServerCounterColumns {
    pub group: Vec<GroupId>,
    /// Position of the server in its group.
    pub index: Vec<u32>,
    pub memory: Vec<Option<u64>>,
    pub key_count: Vec<Option<u64>>,
    pub connected_clients: Vec<Option<u64>>,
    pub keyspace: Vec<Option<Vec<String>>>,
}

impl ServerCounterColumns {
    pub fn is_empty(&self) -> bool {
        self.group.is_empty()
    }

    /// Adds the row that turns `old` into a row with the counters `new`.
    pub fn push(&mut self, group: GroupId, index: usize, old: &ServerRow, new: ServerCounters) {
        self.group.push(group);
        self.index.push(u32::try_from(index).unwrap_or(u32::MAX));
        self.memory.push(new.memory);
        self.key_count.push(new.key_count);
        self.connected_clients.push(new.connected_clients);
        self.keyspace
            .push((new.keys != old.keys).then_some(new.keys));
    }

    /// `(group, position in the group, k)` of every complete row; apply row `k` with
    /// [`apply`](Self::apply).
    pub fn rows(&self) -> impl Iterator<Item = (GroupId, usize, usize)> + '_ {
        let len = [
            self.group.len(),
            self.index.len(),
            self.memory.len(),
            self.key_count.len(),
            self.connected_clients.len(),
            self.keyspace.len(),
        ]
        .into_iter()
        .min()
        .unwrap_or(0);
        (0..len).map(move |k| (self.group[k], self.index[k] as usize, k))
    }

    /// Applies row `k` to the server row it was made for.
    pub fn apply(&self, k: usize, row: &mut ServerRow) {
        let keys = match self.keyspace.get(k) {
            Some(Some(keys)) => keys.clone(),
            _ => row.keys.clone(),
        };
        row.set_counters(ServerCounters {
            memory: self.memory.get(k).copied().flatten(),
            keys,
            key_count: self.key_count.get(k).copied().flatten(),
            connected_clients: self.connected_clients.get(k).copied().flatten(),
        });
    }
}

/// What to send for a proxy row that changed: its counters alone when they rebuild the new row
/// exactly from the old one, otherwise the whole row.
fn proxy_change(old: &ProxyRow, new: &ProxyRow) -> Option<ProxyNumbers> {
    let n = new.numbers.clone()?;
    let mut patched = old.clone();
    patched.set_numbers(n.clone());
    (patched == *new).then_some(n)
}

/// Likewise for a group: when nothing but server counters changed, adds the changed servers'
/// counters to `out` and returns true; otherwise false (send the group whole).
fn group_change(old: &GroupView, new: &GroupView, out: &mut ServerCounterColumns) -> bool {
    if old.servers.len() != new.servers.len() {
        return false;
    }
    let head = |g: &GroupView| GroupView {
        servers: Vec::new(),
        ..g.clone()
    };
    if head(old) != head(new) {
        return false;
    }
    let rebuilt = |(a, b): (&ServerRow, &ServerRow)| {
        let mut patched = a.clone();
        patched.set_counters(b.counters());
        patched == *b
    };
    if !old.servers.iter().zip(&new.servers).all(rebuilt) {
        return false;
    }
    for (i, (a, b)) in old.servers.iter().zip(&new.servers).enumerate() {
        if a != b {
            out.push(new.id, i, a, b.counters());
        }
    }
    true
}

impl LiveUpdate {
    /// What changed from `old` to `new`. `new.history` is ignored: the receiver derives the
    /// history point from the view it holds after applying ([`HistoryTick::from_view`]), so the
    /// update does not repeat every proxy's QPS.
    pub fn between(old: &LiveView, new: &LiveView) -> LiveUpdate {
        let old_proxies: BTreeMap<&str, &ProxyRow> = old
            .view
            .proxies
            .iter()
            .map(|p| (p.token.as_str(), p))
            .collect();
        let mut proxies = Vec::new();
        let mut proxy_numbers = ProxyCounterColumns::default();
        for (i, p) in new.view.proxies.iter().enumerate() {
            match old_proxies.get(p.token.as_str()) {
                Some(o) if *o == p => {}
                Some(o) => match proxy_change(o, p) {
                    Some(n) => proxy_numbers.push(i, &n),
                    None => proxies.push(p.clone()),
                },
                None => proxies.push(p.clone()),
            }
        }
        let old_tokens: Vec<&str> = old.view.proxies.iter().map(|p| p.token.as_str()).collect();
        let new_tokens: Vec<&str> = new.view.proxies.iter().map(|p| p.token.as_str()).collect();
        let old_groups: BTreeMap<GroupId, &GroupView> =
            old.view.groups.iter().map(|g| (g.id, g)).collect();
        let mut groups = Vec::new();
        let mut server_numbers = ServerCounterColumns::default();
        for g in &new.view.groups {
            match old_groups.get(&g.id) {
                Some(o) if *o == g => {}
                Some(o) => {
                    if !group_change(o, g, &mut server_numbers) {
                        groups.push(g.clone());
                    }
                }
                None => groups.push(g.clone()),
            }
        }
        let old_ids: Vec<GroupId> = old.view.groups.iter().map(|g| g.id).collect();
        let new_ids: Vec<GroupId> = new.view.groups.iter().map(|g| g.id).collect();
        let slot_owner = new
            .slot_owner
            .iter()
            .enumerate()
            .filter(|(i, g)| old.slot_owner.get(*i) != Some(g))
            .filter_map(|(i, g)| SlotId::try_from(i).ok().map(|sid| (sid, *g)))
            .collect();
        LiveUpdate {
            seq: new.seq,
            sampled_ms: new.sampled_ms,
            dashboard: (old.dashboard != new.dashboard).then(|| new.dashboard.clone()),
            totals: (old.view.totals != new.view.totals).then(|| new.view.totals.clone()),
            proxies,
            proxy_numbers,
            proxy_order: (old_tokens != new_tokens)
                .then(|| new_tokens.iter().map(|s| s.to_string()).collect()),
            groups,
            server_numbers,
            group_order: (old_ids != new_ids).then_some(new_ids),
            slots: (old.view.slots != new.view.slots).then(|| new.view.slots.clone()),
            slot_owner,
            slot_count: (old.slot_owner.len() != new.slot_owner.len())
                .then_some(new.slot_owner.len()),
            sentinels: (old.view.sentinels != new.view.sentinels)
                .then(|| new.view.sentinels.clone()),
            closed: (old.view.closed != new.view.closed).then_some(new.view.closed),
            variant: (old.view.variant != new.view.variant).then_some(new.view.variant),
            status: (old.status != new.status).then(|| new.status.clone()),
        }
    }
}

/// A proxy's per-command counters (`GET /api/products/{p}/proxies/{token}/cmds`), read from
/// its admin port (`/proxy/stats`, `ops.cmd`) only while a browser asks for them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProxyCmds {
    pub token: String,
    /// The proxy's admin address the counters came from.
    pub admin_addr: String,
    /// When the backend read them (Unix ms).
    pub sampled_ms: u64,
    /// Length of the window the rates cover (ms); absent on the first read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window_ms: Option<u64>,
    /// Sorted by `opstr`, as the proxy sends them.
    pub cmds: Vec<CmdRow>,
}

/// One command of [`ProxyCmds`]: the proxy's cumulative counters plus recent rates.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CmdRow {
    pub opstr: String,
    pub calls: i64,
    pub usecs: i64,
    /// Cumulative average since the proxy started, as the proxy computes it.
    pub usecs_percall: i64,
    pub fails: i64,
    pub redis_errtype: i64,
    /// Calls per second over the window (absent on the first read or after a counter reset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calls_per_sec: Option<f64>,
    /// Average µs per call over the window (absent when no call completed in it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recent_usecs_percall: Option<f64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(json: &str) -> Stats {
        serde_json::from_str(json).expect("stats parse")
    }

    /// A capture of the repository's `fixtures/codis-3.2`; a missing one fails the test.
    fn fixture(name: &str) -> Option<Stats> {
        let dir = std::env::var("CODIS_FIXTURES").unwrap_or_else(|_| {
            concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/codis-3.2").to_string()
        });
        let text = std::fs::read_to_string(format!("{dir}/{name}"))
            .unwrap_or_else(|e| panic!("fixture {dir}/{name}: {e}"));
        Some(stats(&text))
    }

    #[test]
    fn an_update_applied_to_the_old_view_gives_the_new_view() {
        let pairs = [
            (
                "demo_get_topom_stats__final_healthy.json",
                "demo_get_topom_stats__proxy19001_killed.json",
            ),
            (
                "demo_get_topom_stats__migration_t01.json",
                "demo_get_topom_stats__migration_t03.json",
            ),
            (
                "demo_get_topom_stats__final_healthy.json",
                "demo_get_topom_stats__group3_replica_removed.json",
            ),
        ];
        for (a, b) in pairs {
            let (Some(sa), Some(sb)) = (fixture(a), fixture(b)) else {
                panic!("fixtures {a} and {b} are readable");
            };
            let info = DashboardInfo::default();
            let mut old = LiveView::from_sample("codis-demo", 1, 1_000, info.clone(), &sa);
            let mut new = LiveView::from_sample("codis-demo", 2, 2_000, info, &sb);
            new.status.state = LiveState::Live;
            let update = LiveUpdate::between(&old, &new);
            old.apply(&update, 1000, 3600);
            // History is accumulated by apply; compare the rest.
            new.history = old.history.clone();
            assert_eq!(old, new, "{a} -> {b}");
        }
    }

    #[test]
    fn an_unchanged_sample_sends_only_its_sequence_and_time() {
        let s = fixture("demo_get_topom_stats__final_healthy.json").expect("fixture");
        let a = LiveView::from_sample("codis-demo", 1, 1_000, DashboardInfo::default(), &s);
        let mut b = a.clone();
        b.seq = 2;
        b.sampled_ms = 2_000;
        let u = LiveUpdate::between(&a, &b);
        let json = serde_json::to_string(&u).expect("json");
        assert!(u.proxies.is_empty() && u.groups.is_empty() && u.slots.is_none());
        assert_eq!(json, r#"{"seq":2,"sampled_ms":2000}"#);
    }

    /// The captured healthy sample, and the same sample one second later with every proxy's
    /// counters and every master's memory and keys moved on (nothing else changed).
    fn a_busy_second() -> (LiveView, LiveView) {
        let s = fixture("demo_get_topom_stats__final_healthy.json").expect("fixture");
        let a = LiveView::from_sample("codis-demo", 1, 1_000, DashboardInfo::default(), &s);
        let mut b = a.clone();
        b.seq = 2;
        b.sampled_ms = 2_000;
        for p in &mut b.view.proxies {
            let mut n = p.numbers.clone().expect("healthy proxies have counters");
            n.qps += 17;
            n.ops_total += n.qps;
            n.sessions_total += 1;
            n.cpu = 0.0123;
            n.mem += 4096;
            p.set_numbers(n);
        }
        for g in &mut b.view.groups {
            let master = &mut g.servers[0];
            let mut c = master.counters();
            c.memory = c.memory.map(|m| m + 1_000_000);
            c.key_count = c.key_count.map(|k| k + 5);
            c.connected_clients = c.connected_clients.map(|n| n + 1);
            master.set_counters(c);
        }
        (a, b)
    }

    #[test]
    fn a_second_in_which_only_counters_moved_sends_counters_not_rows() {
        let (mut a, b) = a_busy_second();
        let u = LiveUpdate::between(&a, &b);
        assert!(u.proxies.is_empty() && u.groups.is_empty(), "{u:?}");
        assert_eq!(u.proxy_numbers.rows().count(), b.view.proxies.len());
        assert_eq!(u.server_numbers.rows().count(), b.view.groups.len());
        let json = serde_json::to_string(&u).expect("json");
        assert!(!json.contains("token"), "no row is resent: {json}");
        a.apply(&u, 1000, 3600);
        assert_eq!(
            a.view, b.view,
            "the counters rebuild the rows and their texts"
        );
        let last = |s: &Series| s.points().last().map(|(_, v)| v);
        let p0 = &b.view.proxies[0];
        assert_eq!(
            last(&a.history.proxy_qps[&p0.token]),
            p0.numbers.as_ref().map(|n| n.qps as f64),
            "the history point comes from the applied view"
        );
        let g0 = &b.view.groups[0];
        assert_eq!(
            last(&a.history.group_memory[&g0.id]),
            g0.servers[0].memory.map(|m| m as f64)
        );
    }

    #[test]
    fn a_proxy_whose_status_changed_is_sent_whole() {
        let (a, mut b) = a_busy_second();
        b.view.proxies[1].status = crate::derive::Health::Pending;
        b.view.groups[0].servers[1].master = "NA".to_owned();
        let u = LiveUpdate::between(&a, &b);
        assert_eq!(u.proxies.len(), 1, "the changed proxy goes whole");
        assert_eq!(u.proxies[0].token, b.view.proxies[1].token);
        assert_eq!(u.proxy_numbers.rows().count(), b.view.proxies.len() - 1);
        assert_eq!(u.groups.len(), 1, "so does the group whose server changed");
        assert_eq!(u.groups[0].id, b.view.groups[0].id);
        let mut patched = a.clone();
        patched.apply(&u, 1000, 3600);
        assert_eq!(patched.view, b.view);
    }

    #[test]
    fn history_keeps_a_bounded_window_and_marks_missed_samples() {
        let mut s = Series::new(0, 1000);
        for t in 0..10u64 {
            if t != 5 {
                s.push(t * 1000, Some(t as f64), 8);
            }
        }
        assert_eq!(s.values.len(), 8);
        assert_eq!(s.start_ms, 2000);
        assert_eq!(s.values[3], None, "the missed sample at t=5 s is a gap");
        assert_eq!(s.points().last(), Some((9000, 9.0)));
    }

    #[test]
    fn coarse_points_come_first_and_age_out_of_the_window() {
        let mut coarse = Series::new(0, 10_000);
        coarse.values = vec![Some(1.0), None, Some(3.0)];
        let mut s = Series::new(30_000, 1000);
        s.values = vec![Some(30.0), Some(31.0)];
        s.coarse = Some(Box::new(coarse));
        let pts: Vec<_> = s.points().collect();
        assert_eq!(
            pts,
            vec![(0, 1.0), (20_000, 3.0), (30_000, 30.0), (31_000, 31.0)]
        );
        // Keeping 15 steps of 1 s back from 32 s drops the coarse points before 17 s.
        s.push(32_000, Some(32.0), 15);
        let c = s.coarse.as_ref().expect("one coarse point left");
        assert_eq!((c.start_ms, c.values.clone()), (20_000, vec![Some(3.0)]));
        s.push(40_000, Some(40.0), 15);
        assert!(s.coarse.is_none(), "every coarse point aged out");
        let json = serde_json::to_string(&Series::new(0, 1000)).expect("json");
        assert!(!json.contains("coarse"), "absent unless set: {json}");
    }

    /// The console's sentence for `cause` in `lang`, from the catalogue the console is built
    /// with (frontend/locales, `cause.<id>`), its `{{ name }}` placeholders filled from the
    /// cause's parameters as they go over the wire.
    fn worded(cause: &crate::cause_id::CauseId, lang: &str) -> String {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../frontend/locales/");
        let text = std::fs::read_to_string(format!("{path}{lang}.json")).expect("locale file");
        let catalogue: serde_json::Value = serde_json::from_str(&text).expect("locale JSON");
        let id = cause.id();
        let mut sentence = catalogue["cause"][&id]
            .as_str()
            .unwrap_or_else(|| panic!("no cause.{id} in {lang}.json"))
            .to_string();
        let wire = serde_json::to_value(cause).expect("cause");
        if let Some(params) = wire["params"].as_object() {
            for (name, v) in params {
                let v = v.as_str().map_or_else(|| v.to_string(), str::to_string);
                let slot = format!("{{{{ {name} }}}}");
                assert!(
                    sentence.contains(&slot),
                    "cause.{id} ({lang}) says nothing of {name}"
                );
                sentence = sentence.replace(&slot, &v);
            }
        }
        assert!(
            !sentence.contains("{{"),
            "cause.{id} ({lang}) has a placeholder the cause has not: {sentence}"
        );
        sentence
    }

    #[test]
    fn a_stopped_dashboards_status_carries_a_cause_the_console_words_in_both_languages() {
        use crate::cause_id::CauseId;
        // What the backend sends when nothing answers at the dashboard's address: the English
        // text for logs and older consoles, and the cause id beside it.
        let sent = LiveStatus {
            state: LiveState::Unreachable,
            message: Some("the dashboard at 127.0.0.1:1 cannot be reached".into()),
            cause: Some(CauseId::DashboardUnreachable {
                addr: "127.0.0.1:1".into(),
            }),
            last_ok_ms: Some(5),
        };
        let json = serde_json::to_string(&sent).expect("json");
        let read: LiveStatus = serde_json::from_str(&json).expect("read back");
        assert_eq!(read, sent);
        let cause = read.cause.as_ref().expect("a cause");
        assert_eq!(
            worded(cause, "en"),
            "the dashboard at 127.0.0.1:1 cannot be reached"
        );
        assert_eq!(worded(cause, "zh"), "无法连接 127.0.0.1:1 上的 Dashboard");
        // Every reason the live stream gives is worded in both languages, the Chinese in Chinese.
        let live_causes = [
            CauseId::DashboardTimeout {
                addr: "10.0.0.1:18080".into(),
            },
            CauseId::DashboardBusy,
            CauseId::DashboardBadResponse {
                addr: "10.0.0.1:18080".into(),
            },
            CauseId::DashboardRefused {
                addr: "10.0.0.1:18080".into(),
            },
            CauseId::NotDiscovered {
                product: "codis-demo".into(),
            },
            CauseId::NoAnswer { ms: 2000 },
            CauseId::DashboardClosed,
            CauseId::SamplesFrozen { secs: 12 },
        ];
        for c in &live_causes {
            let (en, zh) = (worded(c, "en"), worded(c, "zh"));
            assert!(en.is_ascii() && en != zh, "{en} / {zh}");
            assert!(
                zh.chars().any(|ch| ('\u{4e00}'..='\u{9fff}').contains(&ch)),
                "not Chinese: {zh}"
            );
        }
        assert_eq!(
            worded(&CauseId::SamplesFrozen { secs: 12 }, "zh"),
            "Dashboard 的采样已经 12 秒没有更新"
        );
    }

    #[test]
    fn a_status_without_a_cause_or_with_an_unknown_one_still_reads() {
        // An older backend's status: no cause; the banner shows the message.
        let old: LiveStatus = serde_json::from_str(
            r#"{"state":"unreachable","message":"dial tcp: refused","last_ok_ms":7}"#,
        )
        .expect("an older status");
        assert_eq!(
            (old.state, old.message.as_deref(), old.cause),
            (LiveState::Unreachable, Some("dial tcp: refused"), None)
        );
        // A newer backend's id: read as none, the rest of the status kept.
        let newer: LiveStatus = serde_json::from_str(
            r#"{"state":"stale","message":"m","cause":{"id":"from_the_future","params":{"x":1}},"last_ok_ms":null}"#,
        )
        .expect("a newer status");
        assert_eq!((newer.state, newer.cause), (LiveState::Stale, None));
        assert_eq!(newer.message.as_deref(), Some("m"));
        // No cause, no key: a live status is as small as before.
        let live = serde_json::to_string(&LiveStatus {
            state: LiveState::Live,
            last_ok_ms: Some(1),
            ..LiveStatus::default()
        })
        .expect("json");
        assert_eq!(live, r#"{"state":"live","last_ok_ms":1}"#);
    }
}
