//! A simulated Codis 3.2 dashboard (`codis-dashboard`) on loopback.
//!
//! It is the demo cluster a newcomer sees and the only test double of the workspace: backend and
//! browser tests talk to it over real HTTP, so it speaks the real API (spec section 4) with the
//! real state machines and refusals (section 5), byte-compatible JSON shapes (the `codis-model`
//! types) and the exact error texts of the captures in `fixtures/codis-3.2`.
//!
//! * [`DemoDashboard::start`] binds `127.0.0.1:0` and serves the dashboard API; every simulated
//!   proxy gets its own real admin listener (see [`DemoDashboard::addresses`]).
//! * Slot migrations, server syncs and promotions advance like Codis's, paced by
//!   [`DemoOptions::step`]; counters move with a daily traffic curve and seeded noise.
//! * [`Fault`]s make proxies, servers, sentinels or the dashboard itself fail like the captures.
//!
//! Module map: `model` (state), `actions` (mutations and refusals), `workers` (state machines),
//! `world` (known addresses and dial errors), `info`/`stats` (generated samples), `routes`
//! (dashboard HTTP), `proxy_admin` (proxy HTTP), `server`/`control` (listeners), `fault`.

mod actions;
mod control;
mod fault;
mod info;
mod model;
mod noise;
mod pika;
mod proxy_admin;
mod reply;
mod routes;
mod server;
mod stats;
mod workers;
mod world;

pub use fault::{Fault, ParseFaultError, FAULT_FORMS};
pub use noise::Noise;

use control::Control;
use model::{lock, Model};
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;

/// How to build a simulated dashboard.
#[derive(Clone, Debug)]
pub struct DemoOptions {
    /// The product name (`product_name`); the xauth derives from it.
    pub product: String,
    pub preset: Preset,
    /// Seed of all noise (tokens, run ids, key counts, qps jitter): same seed, same cluster.
    pub seed: u64,
    /// Base pace of the state machines: one slot-migration step per `step`, the sync queue every
    /// five. Default 200 ms; tests use 10 ms.
    pub step: Duration,
}

impl Default for DemoOptions {
    fn default() -> Self {
        Self {
            product: "codis-demo".to_owned(),
            preset: Preset::Small,
            seed: 1,
            step: Duration::from_millis(200),
        }
    }
}

impl DemoOptions {
    /// The defaults with another product and preset.
    pub fn new(product: impl Into<String>, preset: Preset) -> Self {
        Self {
            product: product.into(),
            preset,
            ..Self::default()
        }
    }
}

/// Cluster layouts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Preset {
    /// The captured cluster: 2 proxies, 3 groups x 2 servers (group 2's replica has
    /// `replica_group` on, group 3's replica is in data center `dc-b`), 3 sentinels, slots
    /// 0-341 in group 1, 342-682 in group 2, 683-1023 in group 3. Spare codis-servers
    /// 127.0.0.1:16385-16388, spare sentinels 26382-26383, two spare proxies, a plain redis on
    /// 17379 and another product's proxy.
    #[default]
    Small,
    /// A second, minimal product: 1 proxy, 1 group of 2 servers (16389, 16390; spare 16391),
    /// no sentinels (spare 26389), all slots in group 1.
    Tiny,
    /// A big product for load: 128 proxies, 64 groups of 2 servers (16379-16506, spares
    /// 16507-16510), 5 sentinels (26379-26383, spares 26384-26385), 16 slots per group.
    Large,
    /// Pika's Codis fork (`fixtures/pika-codis`): `max_slot_num` slots (1 to 16,384; 1024 is
    /// the fork's default), 2 proxies, group 1 = 9221 master / 9222, group 2 = 9231 master /
    /// 9232 / 9233 (9233 has the highest binlog position), spare servers 9224-9225, no
    /// sentinels (their routes answer 404), the dashboard's own health checks and failover
    /// (kill a master with `server-down:127.0.0.1:9231` and the election runs), and cmdinfo on
    /// the proxies.
    Pika { max_slot_num: u16 },
}

impl Preset {
    /// The fork's preset with its default 1024 slots.
    pub fn pika() -> Preset {
        Preset::Pika { max_slot_num: 1024 }
    }

    /// The number of slots of the preset's product.
    pub fn slot_num(self) -> usize {
        match self {
            Preset::Pika { max_slot_num } => {
                usize::from(max_slot_num).clamp(1, codis_model::SLOT_NUM_LIMIT)
            }
            _ => codis_model::MAX_SLOT_NUM,
        }
    }
}

/// Addresses of the simulated world, for tests and for the demo's help text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DemoAddresses {
    /// Admin address of every proxy process of this product, by proxy index (registered first,
    /// then spares); the index is the one of [`Fault::ProxyError`] and [`Fault::ProxyTimeout`].
    pub proxies: Vec<String>,
    /// Proxy admin addresses `proxy/create` accepts now (not registered).
    pub spare_proxies: Vec<String>,
    /// A proxy of another product (`proxy/create` fails "check xauth failed").
    pub foreign_proxy: String,
    /// Live codis-servers in no group (`group/add` accepts them).
    pub spare_servers: Vec<String>,
    /// Live sentinels not in the sentinel list (`sentinels/add` accepts them).
    pub spare_sentinels: Vec<String>,
    /// A plain redis-server (`group/add` fails: not a codis-server).
    pub plain_redis: String,
}

/// A running simulated dashboard. Cheap to clone; everything stops when the last clone is
/// dropped.
#[derive(Clone)]
pub struct DemoDashboard {
    inner: Arc<Inner>,
}

struct Inner {
    ctl: Arc<Control>,
    product: String,
    /// Dropping it ends every task (listeners, connections, workers).
    _life: watch::Sender<()>,
}

impl DemoDashboard {
    /// Builds the preset's cluster and serves it on `127.0.0.1:0` on the current tokio runtime.
    pub async fn start(opts: DemoOptions) -> std::io::Result<DemoDashboard> {
        let runtime = tokio::runtime::Handle::current();
        let (life_tx, life_rx) = watch::channel(());
        let model = Model::new(&opts);
        // Kept bound until the dashboard serves on it: released early, the port could go to one
        // of the proxy listeners bound below (128 of them for Large), and the dashboard's own
        // bind would then fail with AddrInUse (seen as a flaky test).
        let listener = std::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))?;
        let addr = listener.local_addr()?;
        let n = model.world.proxies.len();
        let shared = Arc::new(Mutex::new(model));
        let ctl = Arc::new(Control {
            shared: shared.clone(),
            life: life_rx.clone(),
            runtime,
            addr,
            dashboard: Mutex::new(None),
            proxies: Mutex::new(Vec::new()),
            proxy_addrs: Mutex::new(Vec::new()),
        });
        for i in 0..n {
            let bound = ctl.listen_proxy(i, SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))?;
            let mut m = lock(&shared);
            let admin = bound.to_string();
            let token = m.world.proxies[i].model.token.clone();
            m.world.proxies[i].model.admin_addr = admin.clone();
            if let Some(p) = m.proxies.get_mut(&token) {
                p.admin_addr = admin;
            }
        }
        {
            let mut m = lock(&shared);
            m.topom.admin_addr = addr.to_string();
            m.config.admin_addr = addr.to_string();
        }
        ctl.listen_with(Some(listener))?;
        tokio::spawn(workers::run(shared, life_rx, opts.step));
        Ok(DemoDashboard {
            inner: Arc::new(Inner {
                ctl,
                product: opts.product,
                _life: life_tx,
            }),
        })
    }

    /// The dashboard's address (`127.0.0.1:<port>`), stable across [`stop`](Self::stop) and
    /// [`restart`](Self::restart).
    pub fn addr(&self) -> SocketAddr {
        self.inner.ctl.addr
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr())
    }

    pub fn product(&self) -> &str {
        &self.inner.product
    }

    /// The dashboard's xauth path token.
    pub fn xauth(&self) -> String {
        codis_model::xauth::product_xauth(&self.inner.product)
    }

    /// Addresses of the simulated processes.
    pub fn addresses(&self) -> DemoAddresses {
        let m = lock(&self.inner.ctl.shared);
        let registered: Vec<&str> = m.sentinel.servers.iter().map(String::as_str).collect();
        DemoAddresses {
            proxies: m
                .world
                .proxies
                .iter()
                .filter(|p| p.model.product_name == m.product)
                .map(|p| p.model.admin_addr.clone())
                .collect(),
            spare_proxies: m.spare_proxy_addrs(),
            foreign_proxy: m.foreign_proxy_addr(),
            spare_servers: m
                .world
                .servers
                .keys()
                .filter(|a| m.find_server(a).is_none())
                .cloned()
                .collect(),
            spare_sentinels: m
                .world
                .sentinels
                .keys()
                .filter(|a| !registered.contains(&a.as_str()))
                .cloned()
                .collect(),
            plain_redis: m.world.plain_redis.first().cloned().unwrap_or_default(),
        }
    }

    /// Injects a fault (idempotent). A `ProxyError` also closes that proxy's admin port.
    pub fn set_fault(&self, fault: Fault) {
        if let Fault::ProxyError(i) = fault {
            self.inner.ctl.kill_proxy(i);
        }
        let mut m = lock(&self.inner.ctl.shared);
        m.advance();
        if fault == Fault::MigrationStuck {
            m.queue_stuck_migration();
        }
        if !m.faults.contains(&fault) {
            // The fork's dashboard keeps a pooled connection to each server: its first sample
            // after the server dies reads EOF on it, the next ones fail to dial (captured in
            // `fixtures/pika-codis`, `..._replica_9222_suspected`).
            if let (Fault::ServerDown(a), Some(_)) = (&fault, &m.pika) {
                let until = std::time::Instant::now() + Duration::from_secs(1);
                m.eof_until.insert(a.clone(), until);
            }
            m.faults.push(fault);
        }
    }

    /// Why `fault` does not fit this cluster (`--demo-fault` names a proxy index it does not
    /// have, an address that is not one of its servers or sentinels, or a master for
    /// `replica-link-down`), with what would; `Ok` when it fits.
    pub fn check_fault(&self, fault: &Fault) -> Result<(), String> {
        let m = lock(&self.inner.ctl.shared);
        m.check_fault(fault)
    }

    /// Removes one fault; a revived proxy listens on its old port again.
    pub fn clear_fault(&self, fault: &Fault) {
        {
            let mut m = lock(&self.inner.ctl.shared);
            m.advance();
            m.faults.retain(|f| f != fault);
        }
        if let Fault::ProxyError(i) = fault {
            self.inner.ctl.revive_proxy(*i);
        }
    }

    /// Injects `fault` into the dashboard's next `samples` samples only: the samples of that many
    /// consecutive seconds, from the first sample taken after this call (a poller reading the
    /// dashboard several times a second sees the same sample again, as with Codis). For the
    /// sample-level faults: `proxy-timeout`, `sentinel-closed-conn`, `server-eof`.
    pub fn glitch(&self, fault: Fault, samples: u32) {
        let mut m = lock(&self.inner.ctl.shared);
        m.advance();
        m.glitches.push(fault::Glitch {
            fault,
            samples,
            first: std::cell::Cell::new(None),
        });
    }

    /// Turns the transient failures of a real cluster on or off (see [`Noise`]).
    pub fn set_noise(&self, noise: Noise) {
        lock(&self.inner.ctl.shared).noise = noise;
    }

    /// Removes every fault.
    pub fn clear_faults(&self) {
        let faults = lock(&self.inner.ctl.shared).faults.clone();
        for f in &faults {
            self.clear_fault(f);
        }
    }

    /// The faults in effect.
    pub fn faults(&self) -> Vec<Fault> {
        lock(&self.inner.ctl.shared).faults.clone()
    }

    /// Closes the dashboard listener and drops its connections (the dashboard is gone:
    /// connections are refused). Proxies keep running; migrations pause.
    pub async fn stop(&self) {
        self.inner.ctl.stop().await;
    }

    /// Listens again on the same port with the same cluster, as a restarted dashboard process:
    /// the in-memory controls (slot action interval and disabled) reset, as in Codis.
    pub async fn restart(&self) -> std::io::Result<()> {
        self.inner.ctl.stop().await;
        lock(&self.inner.ctl.shared).restart_process();
        self.inner.ctl.listen()
    }
}

impl std::fmt::Debug for DemoDashboard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DemoDashboard")
            .field("product", &self.inner.product)
            .field("addr", &self.addr())
            .finish()
    }
}
