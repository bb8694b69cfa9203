//! The fleet's poll loop: every product once per `--fleet-interval`.
//!
//! * A product whose live poller runs (`crate::live::poller`, someone has its pages open) is
//!   not read: its feed's latest view is used, so its dashboard sees one poll per second, not
//!   one more every five.
//! * Otherwise the fleet reads it with the live poller's own code (`PollState::sample`: the same
//!   request, timeouts, debounced health and staleness), at most once per interval.
//! * Products are read concurrently (`FleetConfig::concurrency` at a time), each within the
//!   live poll timeout, so one dead dashboard delays nothing but its own row.
//! * The loop ends `linger` after the last watcher left, unless alerts keep it running.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use codis_model::fleet::{FleetRow, FleetView, MigrationTracker};
use codis_model::live::{LiveState, LiveStatus, LiveView};
use futures::StreamExt as _;

use super::Fleet;
use crate::live::poller::{fetch, poll_cause, PollState};
use crate::registry::now_ms;

/// What the loop remembers about one product between ticks.
pub(crate) struct Product {
    /// The live poller's state, for the reads the fleet makes itself.
    poll: PollState,
    /// The last view (own read or taken from the product's feed).
    last: Option<Arc<LiveView>>,
    /// The state shown and since when.
    state: LiveState,
    since_ms: u64,
    migration: MigrationTracker,
    /// The alert rules' inputs that need history (QPS baseline, error counters).
    inputs: super::alerts::Inputs,
}

impl Product {
    fn new(fleet: &Fleet) -> Product {
        Product {
            poll: PollState::new(&fleet.hub.config),
            last: None,
            state: LiveState::Connecting,
            since_ms: now_ms(),
            migration: MigrationTracker::default(),
            inputs: Default::default(),
        }
    }
}

/// Runs until nobody has watched the fleet for `linger` (and alerts are off).
pub async fn run(fleet: Arc<Fleet>) {
    let mut products: HashMap<String, Product> = HashMap::new();
    let mut next = Instant::now();
    tracing::debug!("fleet poller started");
    loop {
        if !fleet
            .watchers
            .wait_until(next, fleet.config.linger, || {})
            .await
        {
            tracing::debug!("fleet poller stopped: nobody watches");
            return;
        }
        tick(&fleet, &mut products).await;
        // Fixed rate; ticks missed by a slow tick are skipped, not bunched.
        let now = Instant::now();
        next += fleet.config.interval;
        if next <= now {
            next = now + fleet.config.interval;
        }
    }
}

/// Reads every discovered product once and publishes the new fleet view.
///
/// A round with a product never read before (the first one after the poller started, or a
/// newly discovered product) also publishes what it has every [`FleetConfig::interim_every`]
/// while reads are still out: a cold fleet page shows the numbers of the dashboards that
/// answered at once, with the others "connecting", instead of waiting for the slowest one (a
/// dead dashboard costs the whole poll timeout). Warm rounds publish once, at their end.
///
/// [`FleetConfig::interim_every`]: super::FleetConfig::interim_every
pub(crate) async fn tick(fleet: &Arc<Fleet>, products: &mut HashMap<String, Product>) {
    let discovered = fleet.hub.registry.snapshot();
    let discovery_stale = discovered.discovery.stale;
    let names: Vec<String> = discovered.products.into_iter().map(|p| p.name).collect();
    products.retain(|name, _| names.contains(name));
    let work: Vec<(String, Product)> = names
        .iter()
        .map(|n| {
            let p = products.remove(n).unwrap_or_else(|| Product::new(fleet));
            (n.clone(), p)
        })
        .collect();
    let cold = work.iter().any(|(_, p)| p.last.is_none());
    let mut reads = futures::stream::iter(work)
        .map(|(name, mut p)| async move {
            let view = read(fleet, &name, &mut p).await;
            (name, p, view)
        })
        .buffer_unordered(fleet.config.concurrency.max(1));
    let stuck_after = u64::try_from(fleet.config.stuck_after.as_millis()).unwrap_or(u64::MAX);
    let mut rows: BTreeMap<String, FleetRow> = BTreeMap::new();
    let mut views = Vec::with_capacity(names.len());
    // Rows read since the last interim view was published.
    let mut unpublished = false;
    let mut interim_at = tokio::time::Instant::now() + fleet.config.interim_every;
    loop {
        let next = if cold && unpublished {
            tokio::select! {
                next = reads.next() => next,
                () = tokio::time::sleep_until(interim_at) => {
                    publish_interim(fleet, &names, &rows);
                    unpublished = false;
                    interim_at = tokio::time::Instant::now() + fleet.config.interim_every;
                    continue;
                }
            }
        } else {
            reads.next().await
        };
        let Some((name, mut p, view)) = next else {
            break;
        };
        let now = now_ms();
        if view.status.state != p.state {
            p.state = view.status.state;
            p.since_ms = now;
        }
        let slots = &view.view.slots;
        let migration = if view.seq > 0 || p.last.is_some() {
            p.migration.observe(
                &slots.progress,
                slots.disabled,
                view.sampled_ms,
                stuck_after,
            )
        } else {
            Default::default()
        };
        let mut row = FleetRow::from_live(&view, p.since_ms, migration, 0);
        let ctx = p.inputs.context(&view, discovery_stale);
        let rules = fleet.alerts.rules.of(&name);
        let found = codis_model::alerts::findings(&view, &row, &ctx, rules);
        let (firing, changes) = fleet.alerts.evaluate(&name, &found, now);
        fleet.sinks.send(&changes);
        row.alerts_firing = firing;
        rows.insert(name.clone(), row);
        views.push(view.clone());
        p.last = Some(view);
        products.insert(name, p);
        unpublished = true;
    }
    drop(reads);
    fleet.alerts.retain(&names);
    fleet.sinks.retain(&names);
    views.sort_by(|a, b| a.product.cmp(&b.product));
    fleet.set_latest(views);
    fleet.publish(FleetView {
        seq: 0,
        sampled_ms: now_ms(),
        // A BTreeMap: sorted by product.
        rows: rows.into_values().collect(),
    });
}

/// Publishes a round's rows so far; a product not read yet keeps its last published row, or
/// is "connecting" if it never had one.
fn publish_interim(fleet: &Fleet, names: &[String], done: &BTreeMap<String, FleetRow>) {
    let before = fleet.view();
    let mut rows: Vec<FleetRow> = names
        .iter()
        .map(|name| match done.get(name) {
            Some(row) => row.clone(),
            None => before.row(name).cloned().unwrap_or_else(|| {
                let unread = LiveView {
                    product: name.clone(),
                    ..LiveView::default()
                };
                FleetRow::from_live(&unread, now_ms(), Default::default(), 0)
            }),
        })
        .collect();
    rows.sort_by(|a, b| a.product.cmp(&b.product));
    fleet.publish(FleetView {
        seq: 0,
        sampled_ms: now_ms(),
        rows,
    });
}

/// The current view of one product: its running feed's, or one read of its dashboard.
async fn read(fleet: &Fleet, name: &str, p: &mut Product) -> Arc<LiveView> {
    let hub = &fleet.hub;
    if let Some(feed) = hub.feed(name).filter(|f| f.is_running()) {
        fleet.reused.fetch_add(1, Ordering::Relaxed);
        return feed.view();
    }
    let config = &hub.config;
    let addr = hub.registry.dashboard_of(name);
    let result = match &addr {
        Some(addr) => {
            fleet.reads.fetch_add(1, Ordering::Relaxed);
            fetch(hub, config, &mut p.poll, name, addr).await
        }
        None => Err(crate::dashboard::CallError::BadResponse(format!(
            "product {name} is no longer discovered"
        ))),
    };
    match result {
        Ok(stats) => {
            let mut view = p.poll.sample(stats, name, config);
            // The fleet's own sequence of this product's samples: > 0 once it has data.
            view.seq = p.last.as_ref().map_or(0, |l| l.seq) + 1;
            Arc::new(view)
        }
        Err(e) => {
            p.poll.failed();
            if p.state != LiveState::Unreachable {
                tracing::warn!(product = %name, error = %e, "fleet read failed");
            }
            let mut view = match &p.last {
                Some(last) => (**last).clone(),
                None => LiveView {
                    product: name.to_string(),
                    ..LiveView::default()
                },
            };
            view.status = LiveStatus {
                state: LiveState::Unreachable,
                message: Some(e.to_string()),
                cause: Some(poll_cause(&e, addr.as_deref(), name)),
                last_ok_ms: view.status.last_ok_ms,
            };
            Arc::new(view)
        }
    }
}
