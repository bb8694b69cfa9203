//! The fleet (issue 16): one row per discovered product, live over one event stream
//! (`GET /api/fleet/events`) and as a JSON snapshot (`GET /api/fleet`).
//!
//! One task ([`poller`]) reads every product once per `--fleet-interval` (5 s) while someone
//! watches the fleet (or alerts need it), and stops `linger` after the last watcher left. A
//! product whose own live poller runs (a browser has its pages open) is not read again: the
//! fleet takes that poller's latest view, so a dashboard is never polled twice. Either way the
//! row is derived from the same [`LiveView`](codis_model::live::LiveView) the product pages show
//! ([`FleetRow::from_live`](codis_model::fleet::FleetRow::from_live)).
//!
//! Events are those of [`codis_model::fleet`]: a `snapshot` ([`FleetView`]), then `update`s
//! ([`FleetUpdate`]) serialised and gzip-compressed once for every subscriber, like the product
//! stream (`crate::live::feed`). A caller whose per-product roles hide some products gets its own
//! filtered stream instead ([`stream`]).

pub mod alerts;
pub mod metrics;
pub mod poller;
pub mod sinks;
pub mod stream;

use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::body::Bytes;
use codis_model::fleet::{FleetUpdate, FleetView};
use codis_model::live::{LiveView, EVENT_SNAPSHOT, EVENT_UPDATE};
use tokio::sync::{broadcast, watch};

use crate::live::feed::Frame;
use crate::live::gzip::{self, Chain};
use crate::live::watchers::Watchers;
use crate::live::Hub;

/// Settings of the fleet poller.
#[derive(Clone, Debug)]
pub struct FleetConfig {
    /// `--fleet-interval`: time between two reads of a product.
    pub interval: Duration,
    /// `--stuck-after`: a migration without progress for this long is stuck.
    pub stuck_after: Duration,
    /// The poller keeps running this long after the last watcher left (a reload finds it warm).
    pub linger: Duration,
    /// Products read at once during a tick (a dead dashboard costs a timeout, not a queue).
    pub concurrency: usize,
    /// Events a subscriber may fall behind before it is sent a fresh snapshot.
    pub buffer: usize,
    /// A new subscriber of a cold fleet waits this long for the first tick.
    pub first_tick_wait: Duration,
    /// During a round with products never read before, what was read is published this often
    /// (`poller::tick`): the first fleet numbers do not wait for the slowest dashboard.
    pub interim_every: Duration,
    /// See [`LiveConfig::gzip_join_every`](crate::live::LiveConfig::gzip_join_every).
    pub gzip_join_every: u32,
}

impl FleetConfig {
    pub fn new(interval: Duration, stuck_after: Duration, linger: Duration) -> FleetConfig {
        FleetConfig {
            interval: interval.max(Duration::from_millis(10)),
            stuck_after,
            linger,
            concurrency: 32,
            buffer: 16,
            first_tick_wait: Duration::from_secs(3),
            interim_every: Duration::from_millis(100),
            gzip_join_every: 30,
        }
    }

    pub fn from_args(args: &crate::config::Args) -> FleetConfig {
        FleetConfig::new(args.fleet_interval, args.stuck_after, args.live_linger)
    }
}

/// A fleet frame and its gzip form compressed alone (for snapshots).
#[derive(Clone, Debug)]
pub struct Snap {
    pub plain: Bytes,
    pub gz: Bytes,
}

struct State {
    /// The snapshot frame of the current view (by seq), built on demand.
    snapshot: Option<(u64, Snap)>,
}

/// The fleet's state shared by the poller, the streams and `/metrics`.
pub struct Fleet {
    pub(crate) hub: Arc<Hub>,
    pub config: FleetConfig,
    state: Mutex<State>,
    /// The current view; also how filtered subscribers and `GET /api/fleet` see it change.
    view: watch::Sender<Arc<FleetView>>,
    tx: broadcast::Sender<Arc<Frame>>,
    chain: Mutex<Chain>,
    /// Fleet subscribers, and when the poller runs (`--alerts` keeps it running).
    pub(crate) watchers: Watchers,
    pub(crate) shutdown: watch::Sender<bool>,
    /// Dashboard reads the fleet made itself.
    pub reads: AtomicU64,
    /// Rows taken from a running product poller instead (no request).
    pub reused: AtomicU64,
    /// Fleet streams opened.
    pub subscriptions_total: AtomicU64,
    /// The alert engine's rules and alerts.
    pub alerts: alerts::AlertBook,
    /// Alertmanager and webhooks: the alerts' transitions are queued to them.
    pub sinks: sinks::Sinks,
    /// The latest view of every product, as of the last tick (own read or a feed's), for the
    /// per-product series of `/metrics` ([`Fleet::unwatched_views`]).
    latest: Mutex<Vec<Arc<LiveView>>>,
}

impl Fleet {
    pub fn new(hub: Arc<Hub>, config: FleetConfig, rules: alerts::AlertRules) -> Arc<Fleet> {
        let (tx, _) = broadcast::channel(config.buffer.max(1));
        Arc::new(Fleet {
            hub,
            chain: Mutex::new(Chain::new(config.gzip_join_every)),
            config,
            state: Mutex::new(State { snapshot: None }),
            view: watch::Sender::new(Arc::new(FleetView::default())),
            tx,
            watchers: Watchers::new(),
            shutdown: watch::Sender::new(false),
            reads: AtomicU64::new(0),
            reused: AtomicU64::new(0),
            subscriptions_total: AtomicU64::new(0),
            sinks: sinks::Sinks::start(&rules.notify, sinks::system_clock()),
            alerts: alerts::AlertBook::new(rules, crate::registry::now_ms()),
            latest: Mutex::new(Vec::new()),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Every write under the lock is a whole assignment: a panic leaves consistent data.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The current view.
    pub fn view(&self) -> Arc<FleetView> {
        self.view.borrow().clone()
    }

    pub fn subscribers(&self) -> usize {
        self.watchers.count()
    }

    pub fn is_running(&self) -> bool {
        self.watchers.is_running()
    }

    /// Keeps the poller running without watchers (alerts need every product read).
    pub fn keep_running(self: &Arc<Self>) {
        if self.watchers.keep_running() {
            tokio::spawn(poller::run(self.clone()));
        }
    }

    /// Counts a watcher in (starting the poller if needed) and waits a moment for the first
    /// tick of a cold fleet.
    pub(crate) async fn join(self: &Arc<Self>) {
        if self.watchers.join() {
            tokio::spawn(poller::run(self.clone()));
        }
        self.watchers.wait_first(self.config.first_tick_wait).await;
    }

    /// Counts a watcher out; the last one starts the linger countdown.
    pub(crate) fn leave(&self) {
        self.watchers.leave();
    }

    /// Publishes a new view: its `seq` is set here; subscribers get the difference.
    pub(crate) fn publish(&self, mut new: FleetView) {
        let old = self.view();
        new.seq = old.seq + 1;
        let update = FleetUpdate::between(&old, &new);
        let json = serde_json::to_string(&update).unwrap_or_else(|_| "{}".into());
        let mut chain = self.chain.lock().unwrap_or_else(|e| e.into_inner());
        let mut frame = Frame::new(EVENT_UPDATE, new.seq, &json);
        frame.gz = chain.frame(&frame.bytes);
        // Sent under the chain lock: the chained frames go out in the order compressed. The
        // view is swapped first, so a subscriber that takes the view and then a receiver (under
        // the same order) never applies an update twice: see [`Fleet::start`].
        let _st = self.lock();
        self.view.send_replace(Arc::new(new));
        let _ = self.tx.send(Arc::new(frame));
        drop(_st);
        drop(chain);
        self.watchers.first_outcome();
    }

    /// The snapshot of the current view and a receiver of the updates after it.
    pub(crate) fn start(&self) -> (broadcast::Receiver<Arc<Frame>>, Snap) {
        let (rx, view) = {
            let st = self.lock();
            let view = self.view();
            if let Some((seq, snap)) = &st.snapshot {
                if *seq == view.seq {
                    return (self.tx.subscribe(), snap.clone());
                }
            }
            (self.tx.subscribe(), view)
        };
        let snap = snapshot_frame(&view);
        let mut st = self.lock();
        if st.snapshot.as_ref().is_none_or(|(s, _)| *s < view.seq) {
            st.snapshot = Some((view.seq, snap.clone()));
        }
        (rx, snap)
    }

    /// Keeps the views of the last tick (see [`Fleet::unwatched_views`]).
    pub(crate) fn set_latest(&self, views: Vec<Arc<LiveView>>) {
        *self.latest.lock().unwrap_or_else(|e| e.into_inner()) = views;
    }

    /// The latest views of the products that no live poller reads, while the fleet poller runs:
    /// `/metrics` exports their per-proxy and per-server series as it does a watched product's,
    /// so the Prometheus rules see a product nobody has open. Empty once the poller stopped
    /// (its views are no longer refreshed).
    pub fn unwatched_views(&self, hub: &Hub) -> Vec<Arc<LiveView>> {
        if !self.is_running() {
            return Vec::new();
        }
        let latest = self.latest.lock().unwrap_or_else(|e| e.into_inner());
        latest
            .iter()
            .filter(|v| hub.feed(&v.product).is_none_or(|f| !f.is_running()))
            .cloned()
            .collect()
    }

    /// A receiver of every new view (filtered subscribers, `GET /api/fleet`).
    pub(crate) fn watch(&self) -> watch::Receiver<Arc<FleetView>> {
        self.view.subscribe()
    }

    /// Ends every fleet stream (server shutdown).
    pub fn shutdown(&self) {
        self.shutdown.send_replace(true);
    }
}

/// The `snapshot` event of `view`, plain and compressed alone.
pub(crate) fn snapshot_frame(view: &FleetView) -> Snap {
    let json = serde_json::to_string(view).unwrap_or_else(|_| "{}".into());
    let frame = Frame::new(EVENT_SNAPSHOT, view.seq, &json);
    Snap {
        gz: gzip::solo(&frame.bytes),
        plain: frame.bytes,
    }
}
