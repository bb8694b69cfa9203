//! The route table: which products exist, where their dashboards are, and whether they answer.
//!
//! codis-fe reloaded its table only inside `/list`, emptied it on a failed load and held a lock
//! across coordinator I/O (codis-fe-spec.md §1.3, 7.4). Here a background task reloads on an interval, keeps
//! the last good list when a load fails (marking it stale), probes every dashboard, and readers
//! never wait for I/O.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use codis_model::console::{ProductInfo, ProductsReply};

use crate::dashboard::DashboardClient;
use crate::discovery::Source;

/// How long a probe of one dashboard may take.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

pub struct Registry {
    source: Option<Source>,
    /// Products that are always present (the demo cluster), name -> dashboard.
    fixed: RwLock<BTreeMap<String, String>>,
    state: RwLock<ProductsReply>,
    /// Products the coordinator lists without a usable dashboard address, name -> why. Kept while
    /// a load fails, like the list itself.
    problems: RwLock<BTreeMap<String, String>>,
    client: DashboardClient,
    /// When a poller (live or fleet) last had an answer from a product's dashboard, and at
    /// which address: a dashboard that answered within the last discovery interval is not
    /// probed again (with the fleet poller on, that halves the requests every dashboard sees).
    answered: Mutex<BTreeMap<String, (String, Instant, u64)>>,
    /// The discovery interval ([`Registry::spawn_refresh`]); `None`: every pass probes.
    interval: Mutex<Option<Duration>>,
}

impl Registry {
    pub fn new(source: Option<Source>, client: DashboardClient) -> Arc<Registry> {
        Arc::new(Registry {
            source,
            fixed: RwLock::new(BTreeMap::new()),
            state: RwLock::new(ProductsReply::default()),
            problems: RwLock::new(BTreeMap::new()),
            client,
            answered: Mutex::new(BTreeMap::new()),
            interval: Mutex::new(None),
        })
    }

    /// A poller's read of `product`'s dashboard at `addr` answered: it is reachable.
    pub fn answered(&self, product: &str, addr: &str) {
        let mut a = self.answered.lock().unwrap_or_else(|e| e.into_inner());
        a.insert(
            product.to_string(),
            (addr.to_string(), Instant::now(), now_ms()),
        );
    }

    /// When `product`'s dashboard at `addr` answered a poller within the discovery interval
    /// (Unix ms), so the probe can be skipped.
    fn answered_recently(&self, product: &str, addr: &str) -> Option<u64> {
        let within = (*self.interval.lock().unwrap_or_else(|e| e.into_inner()))?;
        let a = self.answered.lock().unwrap_or_else(|e| e.into_inner());
        a.get(product)
            .filter(|(at, t, _)| at == addr && t.elapsed() < within)
            .map(|(_, _, ms)| *ms)
    }

    /// Adds a product that discovery does not report (the demo cluster).
    pub fn add_fixed(&self, name: &str, dashboard: &str) {
        if let Ok(mut f) = self.fixed.write() {
            f.insert(name.to_string(), dashboard.to_string());
        }
    }

    /// The current table, for `GET /api/products`.
    pub fn snapshot(&self) -> ProductsReply {
        self.state.read().map(|s| s.clone()).unwrap_or_default()
    }

    /// The dashboard address of `product`, if it is known (a product listed with a broken `topom`
    /// and no earlier address has none).
    pub fn dashboard_of(&self, product: &str) -> Option<String> {
        let state = self.state.read().ok()?;
        state
            .products
            .iter()
            .find(|p| p.name == product && !p.dashboard.is_empty())
            .map(|p| p.dashboard.clone())
    }

    /// Whether discovery has completed at least once (`/readyz`).
    pub fn is_loaded(&self) -> bool {
        self.state
            .read()
            .map(|s| s.discovery.loaded)
            .unwrap_or(false)
    }

    /// One discovery pass: load, merge with the fixed products, probe every dashboard.
    pub async fn refresh(&self) {
        let loaded = match &self.source {
            Some(source) => Some(source.load().await.map_err(|e| e.to_string())),
            None => None,
        };
        let source_name = self
            .source
            .as_ref()
            .map(Source::describe)
            .unwrap_or_default();
        let previous = self.snapshot();
        let now = now_ms();

        let mut discovery = previous.discovery.clone();
        discovery.loaded = true;
        // name -> (dashboard, source label)
        let mut table: BTreeMap<String, (String, String)> = BTreeMap::new();
        // The last address known for a product, so one whose topom broke or vanished stays
        // reachable where it was.
        let known = |name: &str| {
            previous
                .products
                .iter()
                .find(|p| p.name == name && p.source != "demo" && !p.dashboard.is_empty())
                .map(|p| p.dashboard.clone())
        };
        match loaded {
            Some(Ok(found)) => {
                discovery.stale = false;
                discovery.error = None;
                discovery.updated_ms = Some(now);
                let mut problems = BTreeMap::new();
                for (name, addr) in found.dashboards {
                    table.insert(name, (addr, source_name.clone()));
                }
                for (name, reason) in found.broken {
                    let addr = known(&name).unwrap_or_default();
                    table.insert(name.clone(), (addr, source_name.clone()));
                    problems.insert(name, format!("coordinator: {reason}"));
                }
                // A product without topom that was never seen is one whose dashboard never ran
                // (skipped, like the original); one that had an address lost its dashboard.
                for name in found.stopped {
                    if let Some(addr) = known(&name) {
                        table.insert(name.clone(), (addr, source_name.clone()));
                        problems.insert(
                            name,
                            "coordinator: no topom node (the dashboard stopped or its node was deleted)".into(),
                        );
                    }
                }
                if let Ok(mut p) = self.problems.write() {
                    *p = problems;
                }
            }
            Some(Err(e)) => {
                tracing::warn!(source = %source_name, error = %e, "discovery failed; keeping the last good list");
                discovery.stale = true;
                discovery.error = Some(e);
                for p in previous.products.iter().filter(|p| p.source != "demo") {
                    table.insert(p.name.clone(), (p.dashboard.clone(), p.source.clone()));
                }
            }
            None => {
                discovery.updated_ms = Some(now);
            }
        }
        let fixed = self.fixed.read().map(|f| f.clone()).unwrap_or_default();
        let mut problems = self.problems.read().map(|p| p.clone()).unwrap_or_default();
        for (name, addr) in fixed {
            problems.remove(&name);
            table.insert(name, (addr, "demo".to_string()));
        }

        let probes = table.iter().map(|(name, (addr, source))| {
            let before = previous.products.iter().find(|p| &p.name == name).cloned();
            let problem = problems.get(name).cloned();
            async move {
                // Not probed: the coordinator's own data says this address is not current.
                if let Some(problem) = problem {
                    return ProductInfo {
                        name: name.clone(),
                        dashboard: addr.clone(),
                        source: source.clone(),
                        reachable: Some(false),
                        last_seen_ms: before.and_then(|b| b.last_seen_ms),
                        error: Some(problem),
                    };
                }
                if let Some(ms) = self.answered_recently(name, addr) {
                    return ProductInfo {
                        name: name.clone(),
                        dashboard: addr.clone(),
                        source: source.clone(),
                        reachable: Some(true),
                        last_seen_ms: Some(ms),
                        error: None,
                    };
                }
                let probe = self
                    .client
                    .get_within::<serde_json::Value>(addr, "/api/topom/model", PROBE_TIMEOUT)
                    .await;
                let (reachable, last_seen_ms, error) = match probe {
                    Ok(_) => (Some(true), Some(now_ms()), None),
                    Err(e) => (
                        Some(false),
                        before
                            .filter(|b| &b.dashboard == addr)
                            .and_then(|b| b.last_seen_ms),
                        Some(e.to_string()),
                    ),
                };
                ProductInfo {
                    name: name.clone(),
                    dashboard: addr.clone(),
                    source: source.clone(),
                    reachable,
                    last_seen_ms,
                    error,
                }
            }
        });
        // Concurrently: one slow dashboard does not delay the others' status.
        let products = futures::future::join_all(probes).await;
        if let Ok(mut a) = self.answered.lock() {
            a.retain(|name, _| products.iter().any(|p| &p.name == name));
        }
        if let Ok(mut state) = self.state.write() {
            *state = ProductsReply {
                products,
                discovery,
                me: None,
            };
        }
    }

    /// Refreshes now and then every `interval`, for as long as the registry lives.
    pub fn spawn_refresh(self: &Arc<Self>, interval: Duration) -> tokio::task::JoinHandle<()> {
        *self.interval.lock().unwrap_or_else(|e| e.into_inner()) = Some(interval);
        let weak = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(interval);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let Some(reg) = weak.upgrade() else { break };
                reg.refresh().await;
            }
        })
    }
}

pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}
