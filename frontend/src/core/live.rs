//! The live view of one product, fed by the backend's Server-Sent Events stream
//! (`GET /api/products/{p}/events`: `snapshot`, `update`, `status`; see `codis_model::live`).
//!
//! The view is held as many small signals instead of one big value, so that a tick re-renders
//! only what changed: one signal per proxy row, per group header, per server row, per sentinel
//! row. Slots are the exception: a product has up to 16,384 of them (Pika's Codis fork), too many
//! for a signal each, so their owners and moves are plain arrays and one signal (`slot_rev`) says
//! that some changed; the slot grid repaints the cells that differ from what it painted. Lists
//! are keyed (proxy token, group id, server address, sentinel address); a list signal itself
//! changes only when rows are added, removed or reordered, and a row signal only when its row
//! differs (`put`).

use std::collections::BTreeMap;
use std::time::Duration;

use codis_model::derive::{
    ClusterTotals, GroupView, ProxyRow, SentinelRow, ServerCounters, ServerRow, SlotsView,
};
use codis_model::live::{
    DashboardInfo, History, HistoryTick, LiveState, LiveStatus, LiveUpdate, LiveView,
    EVENT_SNAPSHOT, EVENT_STATUS, EVENT_UPDATE,
};
use codis_model::ui::list::{patch as patch_keyed, Entry};
use codis_model::ui::stream::{Resync, Sequence, Verdict};
use codis_model::{GroupId, SlotActionState, Variant, MAX_SLOT_NUM, SLOT_NUM_LIMIT};
use leptos::prelude::*;
use wasm_bindgen::{closure::Closure, JsCast};
use web_sys::{EventSource, MessageEvent};

use super::api;
use super::codec;
use super::time::now_ms;

/// History points kept in the browser (one hour at the backend's 1 s step). The snapshot brings
/// the backend's history; updates append one point each.
pub const HISTORY_KEEP: usize = 3600;

/// The state of the connection to the backend (not of the dashboard: that is [`LiveStatus`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Conn {
    /// Opening the stream, no event yet.
    Connecting,
    /// Events arrive.
    Open,
    /// The stream broke; reconnecting.
    Lost,
}

/// A row of a keyed list: the key never changes, the row signal changes when the row does.
#[derive(Clone, Debug)]
pub struct Keyed<K: Send + Sync + 'static, T: Send + Sync + 'static> {
    pub key: K,
    pub row: RwSignal<T>,
}

/// A row split in two signals so that a tick wakes as little as possible: on a busy cluster the
/// counters of every proxy and every server change every second, the rest of the row (addresses,
/// status, buttons) hardly ever. A row signal read by a dozen cells would wake all of them each
/// tick (2,000 effects per second on the Large demo); only one effect per visible row reads `hot`.
#[derive(Clone, Debug)]
pub struct SplitEntry<T: Send + Sync + 'static, H: Send + Sync + 'static> {
    pub key: String,
    /// The row without its counters (see [`Split`]): changes rarely.
    pub head: RwSignal<T>,
    /// The counters (or their display texts): change every tick.
    pub hot: RwSignal<H>,
}

/// How a row splits into its head and its hot part.
pub trait Split: Sized {
    type Hot: PartialEq + Clone + Send + Sync + 'static;
    /// The row with its hot fields cleared, and the hot part.
    fn split(self) -> (Self, Self::Hot);
}

impl<T> Entry<T> for SplitEntry<T, T::Hot>
where
    T: Split + PartialEq + Clone + Send + Sync + 'static,
{
    type Key = String;
    fn key(&self) -> &String {
        &self.key
    }
    fn create(key: String, row: T) -> Self {
        let (head, hot) = row.split();
        SplitEntry {
            key,
            head: RwSignal::new(head),
            hot: RwSignal::new(hot),
        }
    }
    fn put(&self, row: T) {
        let (head, hot) = row.split();
        put(self.head, head);
        put(self.hot, hot);
    }
}

/// One proxy row: the head, and its counters as display texts.
pub type ProxyEntry = SplitEntry<ProxyRow, ProxyCells>;

/// Display texts of a proxy's counters (the proxies page's hot cells).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProxyCells {
    /// The QPS as a number, for the history point the browser records per update.
    pub qps_value: Option<i64>,
    pub qps: String,
    pub sessions: String,
    pub commands: String,
    pub cpu_mem: String,
}

impl ProxyCells {
    fn of(r: &ProxyRow) -> ProxyCells {
        // Zero-width spaces after the commas let codis-fe's long texts wrap in narrow columns.
        let wrap = |s: &str| s.replace(',', ",\u{200b}");
        let dash = || "\u{2013}".to_owned();
        ProxyCells {
            qps_value: r.numbers.as_ref().map(|n| n.qps),
            qps: r.numbers.as_ref().map_or_else(dash, |n| n.qps.to_string()),
            sessions: wrap(&r.sessions_text),
            commands: wrap(&r.commands_text),
            cpu_mem: r.numbers.as_ref().map_or_else(dash, |n| {
                format!(
                    "{}% \u{b7} {}",
                    codis_model::format::fixed(n.cpu * 100.0, 0),
                    codis_model::format::human_size(n.mem.max(0) as u64)
                )
            }),
        }
    }
}

impl Split for ProxyRow {
    type Hot = ProxyCells;
    fn split(mut self) -> (ProxyRow, ProxyCells) {
        let cells = ProxyCells::of(&self);
        self.numbers = None;
        self.sessions_text = String::new();
        self.commands_text = String::new();
        (self, cells)
    }
}

impl<K, T> Entry<T> for Keyed<K, T>
where
    K: PartialEq + Clone + Send + Sync + 'static,
    T: PartialEq + Clone + Send + Sync + 'static,
{
    type Key = K;
    fn key(&self) -> &K {
        &self.key
    }
    fn create(key: K, row: T) -> Self {
        Keyed {
            key,
            row: RwSignal::new(row),
        }
    }
    fn put(&self, row: T) {
        put(self.row, row);
    }
}

/// One group: its header (the view without servers) and its keyed server rows.
#[derive(Clone, Debug)]
pub struct GroupEntry {
    pub id: GroupId,
    pub head: RwSignal<GroupView>,
    pub servers: RwSignal<Vec<ServerEntry>>,
}

impl Entry<GroupView> for GroupEntry {
    type Key = GroupId;
    fn key(&self) -> &GroupId {
        &self.id
    }
    fn create(id: GroupId, mut g: GroupView) -> Self {
        let servers = std::mem::take(&mut g.servers);
        GroupEntry {
            id,
            head: RwSignal::new(g),
            servers: RwSignal::new(
                servers
                    .into_iter()
                    .map(|s| ServerEntry::create(s.server.clone(), s))
                    .collect(),
            ),
        }
    }
    fn put(&self, mut g: GroupView) {
        let servers = std::mem::take(&mut g.servers);
        put(self.head, g);
        let order = servers.iter().map(|s| s.server.clone()).collect();
        patch_list(self.servers, servers, Some(order), |s| s.server.clone());
    }
}

/// One server row: the head, and its memory, keys and clients.
pub type ServerEntry = SplitEntry<ServerRow, ServerCounters>;

impl ServerEntry {
    /// The whole row (untracked).
    pub fn row_untracked(&self) -> ServerRow {
        let mut r = self.head.get_untracked();
        r.set_counters(self.hot.get_untracked());
        r
    }
}

impl Split for ServerRow {
    type Hot = ServerCounters;
    fn split(mut self) -> (ServerRow, ServerCounters) {
        let c = self.counters();
        self.set_counters(ServerCounters::default());
        self.memory_text = String::new();
        (self, c)
    }
}

/// A slot's queued or running migration: (target group, state).
pub type SlotMove = Option<(GroupId, SlotActionState)>;

/// Sets `s` to `v` only if it differs, so that subscribers of an unchanged value do not re-run.
pub fn put<T: PartialEq + Send + Sync + 'static>(s: RwSignal<T>, v: T) {
    if s.with_untracked(|o| *o != v) {
        s.set(v);
    }
}

/// The live view of the selected product. `Copy`: every field is a signal handle.
#[derive(Clone, Copy)]
pub struct Live {
    pub product: RwSignal<String>,
    pub conn: RwSignal<Conn>,
    /// Reconnection attempts since the stream was last open.
    pub attempts: RwSignal<u32>,
    /// A snapshot has been received for the current product.
    pub loaded: RwSignal<bool>,
    pub status: RwSignal<LiveStatus>,
    /// Backend time of the newest sample, Unix ms.
    pub sampled_ms: RwSignal<u64>,
    /// Browser clock minus backend clock, measured when events arrive, so ages are computed on
    /// one clock even if the browser's is off.
    pub skew_ms: RwSignal<f64>,
    pub dashboard: RwSignal<DashboardInfo>,
    pub totals: RwSignal<ClusterTotals>,
    pub proxies: RwSignal<Vec<ProxyEntry>>,
    pub groups: RwSignal<Vec<GroupEntry>>,
    pub slots: RwSignal<SlotsView>,
    /// Codis 3.2 or Pika's Codis fork (from the stream's view; `dashboard.variant` says the same
    /// from `/topom`).
    pub variant: RwSignal<Variant>,
    /// The product's number of slots: 1024 on Codis 3.2, `max_slot_num` on Pika's fork.
    pub slot_count: RwSignal<usize>,
    /// Owner group per slot (`slot_count` entries); changes are announced by `slot_rev`.
    pub slot_owner: StoredValue<Vec<GroupId>>,
    /// Queued or running move per slot (`slot_count` entries); announced by `slot_rev`.
    pub slot_move: StoredValue<Vec<SlotMove>>,
    /// Bumped whenever `slot_owner` or `slot_move` changed.
    pub slot_rev: RwSignal<u64>,
    pub sentinels: RwSignal<Vec<Keyed<String, SentinelRow>>>,
    pub sentinels_out_of_sync: RwSignal<bool>,
    pub sentinel_masters: RwSignal<BTreeMap<String, String>>,
    pub history: RwSignal<History>,
    pub closed: RwSignal<bool>,
    /// Why the view was (or is being) reloaded from a fresh snapshot, for the banner.
    pub resync: RwSignal<Option<ResyncNotice>>,
    /// The sequence number of the view on screen (see `codis_model::ui::stream`).
    seq: StoredValue<Sequence>,
    step_ms: StoredValue<u64>,
    /// History points kept per series: the backend's window (at least [`HISTORY_KEEP`]).
    keep: StoredValue<usize>,
    /// Last time an event arrived (browser clock), for the watchdog.
    last_event: StoredValue<f64>,
    /// Incremented per connection; events of an older connection are ignored.
    generation: StoredValue<u64>,
    stream: StoredValue<Option<Stream>, LocalStorage>,
    owner: StoredValue<Option<Owner>, LocalStorage>,
}

/// A reload of the whole view after a lost or unreadable event.
#[derive(Clone, Debug, PartialEq)]
pub struct ResyncNotice {
    pub why: Resync,
    /// When the fresh snapshot arrived (browser clock); `None` while it is awaited.
    pub done_ms: Option<f64>,
}

impl ResyncNotice {
    /// How long the banner says that the view was reloaded, once it was.
    pub const SHOWN_MS: f64 = 10_000.0;

    /// The banner's text at `now` (browser clock), if it still has one.
    pub fn text(&self, now: f64) -> Option<String> {
        match self.done_ms {
            None => Some(super::words::resync_pending(&self.why)),
            Some(t) if now - t < Self::SHOWN_MS => Some(super::words::resync_done(&self.why)),
            Some(_) => None,
        }
    }
}

/// An open EventSource and the callbacks registered on it; closed on drop.
struct Stream {
    es: EventSource,
    _callbacks: Vec<Closure<dyn FnMut(MessageEvent)>>,
}

impl Drop for Stream {
    fn drop(&mut self) {
        self.es.close();
    }
}

impl Live {
    /// Creates the store and its watchdog; call inside the component that owns it.
    pub fn new() -> Live {
        let live = Live {
            product: RwSignal::new(String::new()),
            conn: RwSignal::new(Conn::Connecting),
            attempts: RwSignal::new(0),
            loaded: RwSignal::new(false),
            status: RwSignal::new(LiveStatus::default()),
            sampled_ms: RwSignal::new(0),
            skew_ms: RwSignal::new(0.0),
            dashboard: RwSignal::new(DashboardInfo::default()),
            totals: RwSignal::new(ClusterTotals::default()),
            proxies: RwSignal::new(Vec::new()),
            groups: RwSignal::new(Vec::new()),
            slots: RwSignal::new(SlotsView::default()),
            variant: RwSignal::new(Variant::default()),
            slot_count: RwSignal::new(MAX_SLOT_NUM),
            slot_owner: StoredValue::new(vec![0; MAX_SLOT_NUM]),
            slot_move: StoredValue::new(vec![None; MAX_SLOT_NUM]),
            slot_rev: RwSignal::new(0),
            sentinels: RwSignal::new(Vec::new()),
            sentinels_out_of_sync: RwSignal::new(false),
            sentinel_masters: RwSignal::new(BTreeMap::new()),
            history: RwSignal::new(History::default()),
            closed: RwSignal::new(false),
            resync: RwSignal::new(None),
            seq: StoredValue::new(Sequence::default()),
            step_ms: StoredValue::new(1000),
            keep: StoredValue::new(HISTORY_KEEP),
            last_event: StoredValue::new(0.0),
            generation: StoredValue::new(0),
            stream: StoredValue::new_local(None),
            owner: StoredValue::new_local(Owner::current()),
        };
        // Watchdog: the backend sends an event per sample (about one per second). A stream that
        // is silent for much longer is dead even if the browser has not noticed (a proxy that
        // holds the connection open), so it is reopened.
        let handle = set_interval_with_handle(
            move || {
                let product = live.product.get_untracked();
                if product.is_empty() {
                    return;
                }
                let silent_for = now_ms() - live.last_event.get_value();
                let limit = (live.step_ms.get_value() as f64 * 5.0).max(15_000.0);
                if live.conn.get_untracked() == Conn::Open && silent_for > limit {
                    live.conn.set(Conn::Lost);
                    live.open(&product);
                }
            },
            Duration::from_secs(5),
        )
        .ok();
        // A page left for another keeps its stream open while the browser holds it in the
        // back/forward cache, and Chromium allows six HTTP/1.1 connections per host: after six
        // such navigations the next page's requests waited forever. The stream is closed when
        // the page is hidden and reopened if the cached page is shown again.
        let hide = window_event_listener_untyped("pagehide", move |_| {
            live.generation.update_value(|g| *g += 1);
            live.stream.set_value(None);
        });
        let show = window_event_listener_untyped("pageshow", move |ev| {
            let persisted = js_sys::Reflect::get(&ev, &"persisted".into())
                .ok()
                .and_then(|v| v.as_bool())
                .unwrap_or(false);
            let product = live.product.get_untracked();
            if persisted && !product.is_empty() {
                live.conn.set(Conn::Connecting);
                live.open(&product);
            }
        });
        on_cleanup(move || {
            if let Some(h) = handle {
                h.clear();
            }
            hide.remove();
            show.remove();
            live.generation.update_value(|g| *g += 1);
            live.stream.set_value(None);
        });
        live
    }

    /// Shows `product`: clears the previous product's view and opens its stream.
    pub fn select(&self, product: &str) {
        if self.product.get_untracked() == product {
            return;
        }
        self.product.set(product.to_owned());
        self.reset();
        if !product.is_empty() {
            self.open(product);
        } else {
            self.stream.set_value(None);
        }
    }

    fn reset(&self) {
        self.loaded.set(false);
        self.conn.set(Conn::Connecting);
        self.attempts.set(0);
        self.status.set(LiveStatus::default());
        self.dashboard.set(DashboardInfo::default());
        self.totals.set(ClusterTotals::default());
        self.proxies.set(Vec::new());
        self.groups.set(Vec::new());
        self.slots.set(SlotsView::default());
        self.variant.set(Variant::default());
        self.resize_slots(MAX_SLOT_NUM);
        self.slot_owner
            .update_value(|v| v.iter_mut().for_each(|s| *s = 0));
        self.slot_move
            .update_value(|v| v.iter_mut().for_each(|s| *s = None));
        self.slot_rev.update(|r| *r += 1);
        self.sentinels.set(Vec::new());
        self.sentinels_out_of_sync.set(false);
        self.sentinel_masters.set(BTreeMap::new());
        self.history.set(History::default());
        self.closed.set(false);
        self.resync.set(None);
        self.seq.update_value(Sequence::clear);
    }

    /// (Re)opens the stream. The browser's EventSource retries by itself after a network error
    /// (sending Last-Event-ID); when it gives up (HTTP error, readyState CLOSED) we reopen it with
    /// a backoff of 1, 2, 4 … 15 s.
    fn open(&self, product: &str) {
        let live = *self;
        live.generation.update_value(|g| *g += 1);
        let generation = live.generation.get_value();
        live.stream.set_value(None);
        let url = api::url(&api::product_path(product, "/events"));
        // With the session cookie also when the API is on another origin (a console on a CDN).
        let init = web_sys::EventSourceInit::new();
        init.set_with_credentials(true);
        let Ok(es) = EventSource::new_with_event_source_init_dict(&url, &init) else {
            live.retry_later(product.to_owned(), generation);
            return;
        };
        live.last_event.set_value(now_ms());
        let current = move || live.generation.get_value() == generation;
        let on = |name: &str, f: Box<dyn Fn(String)>| {
            let cb = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
                if let Some(text) = e.data().as_string() {
                    f(text);
                }
            });
            let _ = es.add_event_listener_with_callback(name, cb.as_ref().unchecked_ref());
            cb
        };
        let product_owned = product.to_owned();
        let snapshot_product = product_owned.clone();
        let mut callbacks = Vec::new();
        callbacks.push(on(
            EVENT_SNAPSHOT,
            Box::new(move |text| {
                if !current() {
                    return;
                }
                match codec::decode::<LiveView>(&text) {
                    Ok(v) => {
                        live.in_owner(|| live.apply_snapshot(v));
                        perf::mark_once("codis:first-snapshot");
                    }
                    Err(error) => {
                        // The same snapshot would come again at once: ask again after a backoff.
                        live.notice(Resync::Unreadable {
                            event: EVENT_SNAPSHOT.into(),
                            error,
                        });
                        live.retry_later(snapshot_product.clone(), generation);
                    }
                }
            }),
        ));
        callbacks.push(on(
            EVENT_UPDATE,
            Box::new(move |text| {
                if !current() {
                    return;
                }
                let started = perf::now();
                let decoded = codec::decode::<LiveUpdate>(&text);
                let parsed = perf::now();
                match decoded.map_err(|error| Resync::Unreadable {
                    event: EVENT_UPDATE.into(),
                    error,
                }) {
                    Ok(u) => live.in_owner(|| live.apply_update(u)),
                    Err(why) => live.resync_now(why),
                }
                perf::record_after_render([started, parsed, perf::now()]);
            }),
        ));
        callbacks.push(on(
            EVENT_STATUS,
            Box::new(move |text| {
                if !current() {
                    return;
                }
                match codec::decode::<LiveStatus>(&text) {
                    Ok(s) => {
                        live.mark_event();
                        put(live.status, s);
                    }
                    Err(error) => live.resync_now(Resync::Unreadable {
                        event: EVENT_STATUS.into(),
                        error,
                    }),
                }
            }),
        ));
        let on_error = Closure::<dyn FnMut(MessageEvent)>::new(move |_e: MessageEvent| {
            if !current() {
                return;
            }
            live.conn.set(Conn::Lost);
            // readyState 2 = CLOSED: the browser will not retry by itself.
            let closed = live
                .stream
                .with_value(|s| s.as_ref().map(|s| s.es.ready_state() == 2))
                .unwrap_or(true);
            if closed {
                live.retry_later(product_owned.clone(), generation);
            } else {
                live.attempts.update(|a| *a += 1);
            }
        });
        es.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        callbacks.push(on_error);
        live.stream.set_value(Some(Stream {
            es,
            _callbacks: callbacks,
        }));
    }

    /// Shows why the view is being reloaded (and logs it).
    fn notice(&self, why: Resync) {
        leptos::logging::warn!("{}", why.pending_text());
        self.resync.set(Some(ResyncNotice { why, done_ms: None }));
    }

    /// The view on screen is no longer the backend's (a lost or unreadable event): says so and
    /// asks for a fresh snapshot at once (a new stream, without `Last-Event-ID`).
    fn resync_now(&self, why: Resync) {
        self.notice(why);
        // Not from inside the stream's own callback (which the new stream drops): right after.
        let live = *self;
        let generation = live.generation.get_value();
        let product = live.product.get_untracked();
        set_timeout(
            move || {
                if live.generation.get_value() == generation
                    && live.product.get_untracked() == product
                    && !product.is_empty()
                {
                    live.open(&product);
                }
            },
            Duration::ZERO,
        );
    }

    fn retry_later(&self, product: String, generation: u64) {
        let live = *self;
        let attempt = live.attempts.get_untracked();
        live.attempts.set(attempt + 1);
        let delay = (1000u64 << attempt.min(4)).min(15_000);
        set_timeout(
            move || {
                if live.generation.get_value() == generation
                    && live.product.get_untracked() == product
                {
                    live.open(&product);
                }
            },
            Duration::from_millis(delay),
        );
    }

    /// Runs `f` under the store's owner, so that signals created for new rows belong to the
    /// page (and are freed with it) rather than to no one.
    fn in_owner(&self, f: impl FnOnce()) {
        match self.owner.with_value(|o| o.clone()) {
            Some(o) => o.with(f),
            None => f(),
        }
    }

    fn mark_event(&self) {
        self.last_event.set_value(now_ms());
        if self.conn.get_untracked() != Conn::Open {
            self.conn.set(Conn::Open);
            self.attempts.set(0);
        }
    }

    fn mark_sample(&self, sampled_ms: u64) {
        self.mark_event();
        put(self.skew_ms, now_ms() - sampled_ms as f64);
        put(self.sampled_ms, sampled_ms);
    }

    /// Replaces the whole view, keeping the signals of rows that still exist (a reconnection
    /// then only touches what changed while the stream was down).
    pub fn apply_snapshot(&self, v: LiveView) {
        self.seq.update_value(|s| s.snapshot(v.seq));
        if self
            .resync
            .with_untracked(|r| r.as_ref().is_some_and(|r| r.done_ms.is_none()))
        {
            self.resync.update(|r| {
                if let Some(r) = r {
                    r.done_ms = Some(now_ms());
                }
            });
        }
        self.step_ms.set_value(v.history.cluster_qps.step_ms.max(1));
        self.keep
            .set_value(HISTORY_KEEP.max(v.history.cluster_qps.values.len()));
        self.mark_sample(v.sampled_ms);
        put(self.totals, v.view.totals);
        put(self.variant, v.view.variant);
        // The stream's slot map, else (no slots sampled yet) what `/topom` says.
        self.resize_slots(if v.slot_owner.is_empty() {
            v.dashboard.slot_count
        } else {
            v.slot_owner.len()
        });
        put(self.dashboard, v.dashboard);
        let order = v.view.proxies.iter().map(|p| p.token.clone()).collect();
        patch_list(self.proxies, v.view.proxies, Some(order), |p| {
            p.token.clone()
        });
        let order = v.view.groups.iter().map(|g| g.id).collect();
        self.patch_groups(v.view.groups, Some(order));
        self.set_slots(v.view.slots);
        self.slot_owner.update_value(|cells| {
            for (cell, gid) in cells.iter_mut().zip(v.slot_owner.iter()) {
                *cell = *gid;
            }
        });
        self.slot_rev.update(|r| *r += 1);
        self.set_sentinels(v.view.sentinels);
        self.history.set(v.history);
        put(self.closed, v.view.closed);
        put(self.status, v.status);
        self.loaded.set(true);
    }

    /// Applies one keyed update (see [`LiveUpdate`]): only the rows it names are touched.
    pub fn apply_update(&self, u: LiveUpdate) {
        // Only on top of the sample just before it (see `codis_model::ui::stream`).
        let mut seq = self.seq.get_value();
        let verdict = seq.update(u.seq);
        self.seq.set_value(seq);
        match verdict {
            Ok(Verdict::Apply) => {}
            Ok(Verdict::Old) => return self.mark_event(),
            Err(why) => return self.resync_now(why),
        }
        self.mark_sample(u.sampled_ms);
        if let Some(d) = u.dashboard {
            put(self.dashboard, d);
        }
        if let Some(t) = u.totals {
            put(self.totals, t);
        }
        if !u.proxies.is_empty() || u.proxy_order.is_some() {
            patch_list(self.proxies, u.proxies, u.proxy_order, |p| p.token.clone());
        }
        if !u.proxy_numbers.is_empty() {
            self.proxies.with_untracked(|list| {
                for (i, n) in u.proxy_numbers.rows() {
                    if let Some(e) = list.get(i) {
                        // The head holds everything but the counters; `put` splits the rebuilt
                        // row again and wakes only the cells.
                        let mut row = e.head.get_untracked();
                        row.set_numbers(n);
                        e.put(row);
                    }
                }
            });
        }
        if !u.groups.is_empty() || u.group_order.is_some() {
            self.patch_groups(u.groups, u.group_order);
        }
        if !u.server_numbers.is_empty() {
            self.groups.with_untracked(|groups| {
                for (gid, i, k) in u.server_numbers.rows() {
                    let Some(g) = groups.iter().find(|g| g.id == gid) else {
                        continue;
                    };
                    g.servers.with_untracked(|servers| {
                        if let Some(s) = servers.get(i) {
                            let mut row = s.row_untracked();
                            u.server_numbers.apply(k, &mut row);
                            s.put(row);
                        }
                    });
                }
            });
        }
        if let Some(v) = u.variant {
            put(self.variant, v);
        }
        if let Some(n) = u.slot_count {
            self.resize_slots(n);
        }
        if let Some(s) = u.slots {
            self.set_slots(s);
        }
        if !u.slot_owner.is_empty() {
            self.slot_owner.update_value(|cells| {
                for (sid, gid) in &u.slot_owner {
                    if let Some(cell) = cells.get_mut(usize::from(*sid)) {
                        *cell = *gid;
                    }
                }
            });
            self.slot_rev.update(|r| *r += 1);
        }
        if let Some(s) = u.sentinels {
            self.set_sentinels(s);
        }
        if let Some(c) = u.closed {
            put(self.closed, c);
        }
        if let Some(s) = u.status {
            put(self.status, s);
        }
        let tick = self.history_tick(u.sampled_ms);
        let (step, keep) = (self.step_ms.get_value(), self.keep.get_value());
        self.history.update(|h| h.record(&tick, step, keep));
    }

    /// The history point of the view now held (updates do not carry it; the backend records
    /// the same point from the same view).
    fn history_tick(&self, t_ms: u64) -> HistoryTick {
        let qps = self.totals.with_untracked(|t| t.qps);
        let proxies: Vec<(String, Option<i64>)> = self.proxies.with_untracked(|l| {
            l.iter()
                .map(|e| (e.key.clone(), e.hot.with_untracked(|c| c.qps_value)))
                .collect()
        });
        let masters: Vec<(GroupId, Option<ServerRow>)> = self.groups.with_untracked(|l| {
            l.iter()
                .map(|g| {
                    let master = g
                        .servers
                        .with_untracked(|s| s.first().map(ServerEntry::row_untracked));
                    (g.id, master)
                })
                .collect()
        });
        HistoryTick::from_rows(
            t_ms,
            qps,
            proxies.iter().map(|(k, q)| (k.as_str(), *q)),
            masters.iter().map(|(id, m)| (*id, m.as_ref())),
        )
    }

    fn set_slots(&self, s: SlotsView) {
        let mut moves: Vec<SlotMove> = vec![None; self.slot_count.get_untracked()];
        for a in &s.actions {
            if let Some(m) = moves.get_mut(usize::from(a.slot)) {
                *m = Some((a.target_id, a.state.clone()));
            }
        }
        if self.slot_move.with_value(|old| *old != moves) {
            self.slot_move.set_value(moves);
            self.slot_rev.update(|r| *r += 1);
        }
        put(self.slots, s);
    }

    /// Makes room for `n` slots (the stream's `slot_owner` length: 1024 on Codis 3.2, the fork's
    /// `max_slot_num`), at most [`SLOT_NUM_LIMIT`] whatever an event says; 0 (not known yet)
    /// is Codis 3.2's 1024.
    fn resize_slots(&self, n: usize) {
        let n = if n == 0 {
            MAX_SLOT_NUM
        } else {
            n.min(SLOT_NUM_LIMIT)
        };
        if self.slot_count.get_untracked() == n {
            return;
        }
        self.slot_owner.update_value(|v| v.resize(n, 0));
        self.slot_move.update_value(|v| v.resize(n, None));
        self.slot_count.set(n);
        super::words::set_slot_count(n);
        self.slot_rev.update(|r| *r += 1);
    }

    fn set_sentinels(&self, s: codis_model::derive::SentinelsView) {
        let order = s.rows.iter().map(|r| r.server.clone()).collect();
        patch_list(self.sentinels, s.rows, Some(order), |r| r.server.clone());
        put(self.sentinels_out_of_sync, s.out_of_sync);
        put(self.sentinel_masters, s.masters);
    }

    fn patch_groups(&self, changed: Vec<GroupView>, order: Option<Vec<GroupId>>) {
        patch_list(self.groups, changed, order, |g| g.id);
    }

    /// Age of the data on screen in ms (on the browser clock), using the dashboard's last good
    /// sample when the backend reports one.
    pub fn data_age_ms(&self, now: f64) -> Option<f64> {
        let skew = self.skew_ms.get();
        let last_ok = self
            .status
            .with(|s| s.last_ok_ms)
            .or_else(|| Some(self.sampled_ms.get()).filter(|&t| t > 0))?;
        Some(now - skew - last_ok as f64)
    }

    /// Whether the product runs Pika's Codis fork (judged from its stats or its `/topom`).
    pub fn is_pika(&self) -> bool {
        self.variant.get() == Variant::PikaCodis
            || self.dashboard.with(|d| d.variant == Variant::PikaCodis)
    }

    /// [`is_pika`](Self::is_pika), untracked (for event handlers).
    pub fn is_pika_untracked(&self) -> bool {
        self.variant.get_untracked() == Variant::PikaCodis
            || self
                .dashboard
                .with_untracked(|d| d.variant == Variant::PikaCodis)
    }

    /// Whether what is shown may be out of date (for the banner).
    pub fn degraded(&self) -> bool {
        self.conn.get() != Conn::Open
            || self.status.with(|s| s.state != LiveState::Live)
            || self.closed.get()
    }
}

/// Patches a keyed list signal ([`patch_keyed`]): rows update their entries' signals; the list
/// signal changes only when its keys did.
fn patch_list<T, E>(
    list: RwSignal<Vec<E>>,
    rows: Vec<T>,
    order: Option<Vec<E::Key>>,
    key: impl Fn(&T) -> E::Key,
) where
    E: Entry<T> + Send + Sync + 'static,
{
    if let Some(new) = list.with_untracked(|old| patch_keyed(old, rows, order, key)) {
        list.set(new);
    }
}

/// Measurement hooks for BENCHMARKS.md, inert unless a test asks for them.
mod perf {
    use wasm_bindgen::{closure::Closure, JsCast, JsValue};

    pub fn now() -> f64 {
        web_sys::window()
            .and_then(|w| w.performance())
            .map(|p| p.now())
            .unwrap_or(0.0)
    }

    /// A User Timing mark (once per page load): time from navigation to the first live numbers.
    pub fn mark_once(name: &str) {
        if let Some(p) = web_sys::window().and_then(|w| w.performance()) {
            if p.get_entries_by_name(name).length() == 0 {
                let _ = p.mark(name);
            }
        }
    }

    /// When the page defines `window.codisPerf = []`, pushes the main-thread time of one update:
    /// from the event's arrival to the end of the rendering it caused, style and layout included
    /// (Leptos runs effects in microtasks; a MessageChannel message runs right after they drain;
    /// there the layout is forced, which the browser would otherwise do before the next frame).
    /// With `window.codisPerfDetail = []` too, also pushes `[decode, apply, effects, layout]` ms.
    /// `marks` are the arrival, the end of decoding and the end of the synchronous apply.
    pub fn record_after_render(marks: [f64; 3]) {
        let Some(window) = web_sys::window() else {
            return;
        };
        let sink = |name: &str| {
            js_sys::Reflect::get(&window, &JsValue::from_str(name))
                .ok()
                .and_then(|s| s.dyn_into::<js_sys::Array>().ok())
        };
        let Some(total) = sink("codisPerf") else {
            return;
        };
        let detail = sink("codisPerfDetail");
        let Ok(channel) = web_sys::MessageChannel::new() else {
            return;
        };
        let body = window.document().and_then(|d| d.body());
        let done = Closure::once_into_js(move || {
            let rendered = now();
            if let Some(b) = body {
                let _ = b.offset_height();
            }
            let end = now();
            total.push(&JsValue::from_f64(end - marks[0]));
            if let Some(d) = detail {
                let parts = [
                    marks[1] - marks[0],
                    marks[2] - marks[1],
                    rendered - marks[2],
                    end - rendered,
                ];
                d.push(
                    &parts
                        .iter()
                        .map(|&x| JsValue::from_f64(x))
                        .collect::<js_sys::Array>(),
                );
            }
        });
        channel.port1().set_onmessage(Some(done.unchecked_ref()));
        let _ = channel.port2().post_message(&JsValue::NULL);
    }
}
