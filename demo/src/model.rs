//! The one state struct of a simulated dashboard: what the coordinator stores (slots, groups,
//! proxies, sentinels), the dashboard's in-memory controls, and the simulated world.
//!
//! Everything lives behind one mutex (see `Shared`) so a handler sees a consistent cluster;
//! handlers and workers hold the lock only for short, non-async sections.

use crate::fault::{Fault, Glitch};
use crate::noise::{go_time, hash_str, hex_id, unix_now, Noise};
use crate::reply::{ApiError, ApiResult};
use crate::world::{World, WorldBuilder};
use crate::{DemoOptions, Preset};
use codis_model::{
    Config, GoTime, Group, GroupId, GroupServer, Proxy, Sentinel, ServerAction, ServerActionState,
    SlotAction, SlotActionStatus, SlotId, SlotMapping, Topom,
};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

/// A migration in progress on one slot (state `migrating`): keys left on the source.
#[derive(Clone, Debug)]
pub(crate) struct Migration {
    pub remaining: u32,
    pub last_batch: Option<Instant>,
}

/// The simulated dashboard's state.
#[derive(Debug)]
pub(crate) struct Model {
    pub product: String,
    pub seed: u64,
    pub topom: Topom,
    pub config: Config,
    /// Set by `PUT /api/topom/shutdown`: every xauth route then answers "use of closed topom".
    pub closed: bool,
    /// The dashboard listener is up; workers pause while it is down (no dashboard process).
    pub up: bool,
    pub slots: Vec<SlotMapping>,
    pub groups: BTreeMap<GroupId, Group>,
    /// Registered proxies by token (`id` assigned max+1).
    pub proxies: BTreeMap<String, Proxy>,
    pub sentinel: Sentinel,
    pub slot_action: SlotActionStatus,
    pub migrations: BTreeMap<SlotId, Migration>,
    /// Keys stored in each slot (moved with the slot).
    pub slot_keys: Vec<u32>,
    pub world: World,
    pub faults: Vec<Fault>,
    /// Faults that last a few dashboard samples (`DemoDashboard::glitch`).
    pub glitches: Vec<Glitch>,
    /// Transient failures of healthy processes, as a real cluster shows them.
    pub noise: Noise,
    /// codis-servers that report `EOF` until then (just reconfigured by SLAVEOF or a promotion).
    pub eof_until: BTreeMap<String, Instant>,
    /// When this dashboard process started (for `m=+...`).
    pub started: Instant,
    pub loglevel: String,
    /// Pika's Codis fork (`Preset::Pika`): its health checks, failover and binlog positions.
    pub pika: Option<crate::pika::PikaSim>,
}

/// The state shared by handlers, proxy admin servers and workers.
pub(crate) type Shared = Arc<Mutex<Model>>;

/// Locks the model, surviving a poisoned lock (a panic elsewhere must not take the demo down).
pub(crate) fn lock(shared: &Shared) -> MutexGuard<'_, Model> {
    shared.lock().unwrap_or_else(|e| e.into_inner())
}

fn server(addr: &str, dc: &str, synced: bool, replica_group: bool) -> GroupServer {
    GroupServer {
        server: addr.to_owned(),
        datacenter: dc.to_owned(),
        action: ServerAction {
            index: 0,
            state: synced.then_some(ServerActionState::Synced),
        },
        replica_group,
        ..GroupServer::default()
    }
}

/// The shape of a preset before it becomes a model.
struct Layout {
    pub groups: Vec<Group>,
    pub spare_servers: Vec<String>,
    pub sentinels: Vec<String>,
    pub spare_sentinels: Vec<String>,
    /// (token override, peak qps) of registered proxies.
    pub proxies: Vec<(Option<&'static str>, f64)>,
    pub spare_proxies: usize,
}

fn addr(port: u32) -> String {
    format!("127.0.0.1:{port}")
}

fn layout(preset: Preset) -> Layout {
    match preset {
        Preset::Small => Layout {
            groups: vec![
                group(
                    1,
                    vec![
                        server(&addr(16379), "", false, false),
                        server(&addr(16380), "", true, false),
                    ],
                ),
                group(
                    2,
                    vec![
                        server(&addr(16381), "", false, false),
                        server(&addr(16382), "", true, true),
                    ],
                ),
                group(
                    3,
                    vec![
                        server(&addr(16383), "", false, false),
                        server(&addr(16384), "dc-b", true, false),
                    ],
                ),
            ],
            spare_servers: (16385..=16388).map(addr).collect(),
            sentinels: (26379..=26381).map(addr).collect(),
            spare_sentinels: (26382..=26383).map(addr).collect(),
            // The captured proxies' tokens, so captures and demo line up.
            proxies: vec![
                (Some("646b55f57361986ddcdefe74dfb0c2da"), 100.0),
                (Some("28a6da90f4425c690e44d01055334654"), 100.0),
            ],
            spare_proxies: 2,
        },
        Preset::Tiny => Layout {
            groups: vec![group(
                1,
                vec![
                    server(&addr(16389), "", false, false),
                    server(&addr(16390), "", true, false),
                ],
            )],
            spare_servers: vec![addr(16391)],
            sentinels: Vec::new(),
            spare_sentinels: vec![addr(26389)],
            proxies: vec![(None, 40.0)],
            spare_proxies: 1,
        },
        // Pika's Codis fork (`fixtures/pika-codis`): 9233 is the replica an election picks.
        Preset::Pika { .. } => Layout {
            groups: vec![
                group(
                    1,
                    vec![
                        server(&addr(9221), "", true, true),
                        server(&addr(9222), "", true, true),
                    ],
                ),
                group(
                    2,
                    vec![
                        server(&addr(9231), "", true, true),
                        server(&addr(9232), "", true, true),
                        server(&addr(9233), "", true, true),
                    ],
                ),
            ],
            spare_servers: vec![addr(9224), addr(9225)],
            sentinels: Vec::new(),
            spare_sentinels: Vec::new(),
            proxies: vec![(None, 200.0), (None, 180.0)],
            spare_proxies: 1,
        },
        Preset::Large => Layout {
            groups: (1..=64u32)
                .map(|g| {
                    let m = 16379 + 2 * (g - 1);
                    group(
                        g,
                        vec![
                            server(&addr(m), "", false, false),
                            server(&addr(m + 1), "", true, false),
                        ],
                    )
                })
                .collect(),
            spare_servers: (16507..=16510).map(addr).collect(),
            sentinels: (26379..=26383).map(addr).collect(),
            spare_sentinels: (26384..=26385).map(addr).collect(),
            proxies: (0..128)
                .map(|i| (None, 400.0 + f64::from(i % 7) * 150.0))
                .collect(),
            spare_proxies: 2,
        },
    }
}

fn group(id: GroupId, servers: Vec<GroupServer>) -> Group {
    Group {
        id,
        servers,
        ..Group::default()
    }
}

/// The product whose proxy sits among the spares to exercise "check xauth failed".
pub(crate) const FOREIGN_PRODUCT: &str = "codis-foreign";

impl Model {
    /// A fresh cluster for the preset. Proxy admin addresses are filled in by the caller once
    /// their listeners are bound.
    pub(crate) fn new(opts: &DemoOptions) -> Model {
        let now = unix_now();
        let lay = layout(opts.preset);
        let mut b = WorldBuilder::new(opts.seed, now);
        for g in &lay.groups {
            let master = g.servers[0].server.clone();
            b.server(&master, None);
            for s in &g.servers[1..] {
                b.server(&s.server, Some(&master));
            }
        }
        for s in &lay.spare_servers {
            b.server(s, None);
        }
        b.world.plain_redis.push(addr(17379));
        let monitored: BTreeMap<GroupId, String> = lay
            .groups
            .iter()
            .map(|g| (g.id, g.servers[0].server.clone()))
            .collect();
        for s in &lay.sentinels {
            b.sentinel(s, &monitored);
        }
        for s in &lay.spare_sentinels {
            b.sentinel(s, &BTreeMap::new());
        }
        for (token, qps) in &lay.proxies {
            b.proxy(&opts.product, *token, *qps);
        }
        for _ in 0..lay.spare_proxies {
            b.proxy(&opts.product, None, 80.0);
        }
        b.proxy(FOREIGN_PRODUCT, None, 50.0);
        let mut world = b.world;

        // Registered proxies: online, with the sentinels pushed.
        let mut proxies = BTreeMap::new();
        for (i, p) in world.proxies.iter_mut().enumerate().take(lay.proxies.len()) {
            p.online = true;
            p.sentinels = lay.sentinels.clone();
            // Some history so totals are not zero at start.
            p.ops_total = p.peak_qps * 600.0;
            p.ops_fails = (p.peak_qps * 0.01).floor();
            p.redis_errors = p.ops_total * 0.01;
            p.sessions_total = 4 + i as i64 % 3;
            let mut m = p.model.clone();
            m.id = i as u64 + 1;
            proxies.insert(m.token.clone(), m);
        }

        // Slots split into contiguous runs, the first groups taking the remainder (as the
        // captured cluster: 0-341, 342-682, 683-1023).
        let n = lay.groups.len();
        let slot_num = opts.preset.slot_num();
        let mut slots = Vec::with_capacity(slot_num);
        let (base, extra) = (slot_num / n, slot_num % n);
        for (gi, g) in lay.groups.iter().enumerate() {
            let count = base + usize::from(gi < extra);
            for _ in 0..count {
                slots.push(SlotMapping {
                    id: slots.len() as SlotId,
                    group_id: g.id,
                    action: SlotAction::default(),
                });
            }
        }
        let slot_keys = (0..slot_num)
            .map(|i| 40 + (hash_str(opts.seed, &format!("slot{i}")) % 21) as u32)
            .collect();

        let started_at = SystemTime::now();
        let admin_port = 18080;
        let mut model = Model {
            product: opts.product.clone(),
            seed: opts.seed,
            topom: Topom {
                token: hex_id(opts.seed, &format!("topom-{}", opts.product), 32),
                start_time: GoTime(go_time(started_at, Some(Duration::from_nanos(4_448_857)))),
                admin_addr: addr(admin_port),
                product_name: opts.product.clone(),
                pid: 23_041,
                pwd: "/opt/codis".to_owned(),
                sys: "Linux codis-host 6.1.0-13-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.55-1 x86_64 GNU/Linux"
                    .to_owned(),
            },
            config: default_config(&opts.product),
            closed: false,
            up: false,
            slots,
            groups: lay.groups.into_iter().map(|g| (g.id, g)).collect(),
            proxies,
            sentinel: Sentinel {
                servers: lay.sentinels,
                out_of_sync: false,
            },
            slot_action: SlotActionStatus::default(),
            migrations: BTreeMap::new(),
            slot_keys,
            world,
            faults: Vec::new(),
            glitches: Vec::new(),
            noise: Noise::default(),
            eof_until: BTreeMap::new(),
            started: Instant::now(),
            loglevel: "INFO".to_owned(),
            pika: None,
        };
        if let Preset::Pika { .. } = opts.preset {
            model.pika_init(opts.step);
        }
        model
    }

    /// The dashboard's xauth.
    pub(crate) fn xauth(&self) -> String {
        codis_model::xauth::product_xauth(&self.product)
    }

    /// "group-[<gid>] doesn't exist".
    pub(crate) fn group(&self, gid: i64) -> ApiResult<&Group> {
        GroupId::try_from(gid)
            .ok()
            .and_then(|g| self.groups.get(&g))
            .ok_or_else(|| ApiError::traced(format!("group-[{gid}] doesn't exist")))
    }

    pub(crate) fn group_mut(&mut self, gid: i64) -> ApiResult<&mut Group> {
        GroupId::try_from(gid)
            .ok()
            .and_then(|g| self.groups.get_mut(&g))
            .ok_or_else(|| ApiError::traced(format!("group-[{gid}] doesn't exist")))
    }

    /// "slot-[<sid>] doesn't exist" outside 0..1023.
    pub(crate) fn slot_index(&self, sid: i64) -> ApiResult<usize> {
        usize::try_from(sid)
            .ok()
            .filter(|s| *s < self.slots.len())
            .ok_or_else(|| ApiError::traced(format!("slot-[{sid}] doesn't exist")))
    }

    /// The group (and index) holding a server.
    pub(crate) fn find_server(&self, addr: &str) -> Option<(GroupId, usize)> {
        self.groups.values().find_map(|g| {
            g.servers
                .iter()
                .position(|s| s.server == addr)
                .map(|i| (g.id, i))
        })
    }

    /// A group serves or is the target of some slot.
    pub(crate) fn group_in_use(&self, gid: GroupId) -> bool {
        self.slots
            .iter()
            .any(|s| s.group_id == gid || s.action.target_id == gid)
    }

    /// `servers[0]` of a group, or "" (offline / unknown).
    pub(crate) fn master_of(&self, gid: GroupId) -> String {
        self.groups
            .get(&gid)
            .and_then(|g| g.master())
            .unwrap_or("")
            .to_owned()
    }

    /// The index of a proxy process (world) by its token.
    pub(crate) fn proxy_index(&self, token: &str) -> Option<usize> {
        self.world.proxy_by_token(token)
    }

    /// A proxy that cannot be reached: dead (`ProxyError`) or not answering (`ProxyTimeout`).
    pub(crate) fn proxy_unreachable(&self, token: &str) -> bool {
        match self.proxy_index(token) {
            Some(i) => self
                .faults
                .iter()
                .any(|f| *f == Fault::ProxyError(i) || *f == Fault::ProxyTimeout(i)),
            None => true,
        }
    }

    /// Registered proxies sorted by id.
    pub(crate) fn proxies_by_id(&self) -> Vec<&Proxy> {
        let mut v: Vec<&Proxy> = self.proxies.values().collect();
        v.sort_by_key(|p| p.id);
        v
    }

    /// Pushes something to every registered proxy, in id order; the first unreachable one fails
    /// the call with "proxy-[<token>] <what>" (e.g. `resync slots failed`).
    pub(crate) fn push_to_proxies(&self, what: &str) -> ApiResult<()> {
        for p in self.proxies_by_id() {
            if self.proxy_unreachable(&p.token) {
                return Err(ApiError::traced(format!("proxy-[{}] {what}", p.token)));
            }
        }
        Ok(())
    }

    /// Whether the dashboard sample of second `unix` shows `fault`: set, or glitched for a few
    /// samples that include this one.
    pub(crate) fn sample_shows(&self, fault: &Fault, unix: i64) -> bool {
        self.faults.contains(fault) || self.glitches.iter().any(|g| g.shows(fault, unix))
    }

    /// A codis-server just reconfigured (SLAVEOF, promotion) reports `EOF` for a moment when the
    /// noise asks for it.
    pub(crate) fn reconfigured(&mut self, addr: &str) {
        if !self.noise.eof_after_sync.is_zero() {
            self.eof_until
                .insert(addr.to_owned(), Instant::now() + self.noise.eof_after_sync);
        }
    }

    /// A server or sentinel address is down by fault.
    pub(crate) fn is_down(&self, addr: &str) -> bool {
        self.faults.iter().any(|f| match f {
            Fault::ServerDown(a) | Fault::SentinelDown(a) => a == addr,
            _ => false,
        })
    }

    /// A replica cut off from its master by fault (`replica-link-down`).
    pub(crate) fn link_down(&self, addr: &str) -> bool {
        self.faults
            .iter()
            .any(|f| matches!(f, Fault::ReplicaLinkDown(a) if a == addr))
    }

    /// Keys a server holds: the keys of its group's slots (a replica mirrors its master),
    /// following migrations in flight.
    pub(crate) fn server_keys(&self, addr: &str) -> u64 {
        let Some((gid, _)) = self.find_server(addr) else {
            return 0;
        };
        let mut keys = 0u64;
        for s in &self.slots {
            let k = u64::from(self.slot_keys[usize::from(s.id)]);
            let moved = self
                .migrations
                .get(&s.id)
                .map(|m| k - u64::from(m.remaining.min(k as u32)))
                .unwrap_or(0);
            if s.group_id == gid {
                keys += k - moved;
            }
            if s.action.target_id == gid && s.group_id != gid {
                keys += moved;
            }
        }
        keys
    }

    /// Sets the sentinel `out_of_sync` flag when sentinels exist (group add/del, codis-fe-spec.md §5.5).
    pub(crate) fn touch_sentinels(&mut self) {
        if !self.sentinel.servers.is_empty() {
            self.sentinel.out_of_sync = true;
        }
    }

    /// Resets what a real dashboard keeps only in memory (codis-fe-spec.md §4.2: interval and disabled reset
    /// on restart), as a restarted process would.
    pub(crate) fn restart_process(&mut self) {
        self.closed = false;
        self.slot_action.interval = 0;
        self.slot_action.disabled = false;
        self.slot_action.executor = 0;
        self.slot_action.progress.status.clear();
        self.started = Instant::now();
        self.topom.start_time = GoTime(go_time(
            SystemTime::now(),
            Some(Duration::from_nanos(4_448_857)),
        ));
        self.topom.pid += 1;
    }
}

/// The dashboard configuration of the captured cluster, with this product's name.
pub(crate) fn default_config(product: &str) -> Config {
    Config {
        coordinator_name: "filesystem".to_owned(),
        coordinator_addr: "/opt/codis/data/fs".to_owned(),
        coordinator_auth: String::new(),
        admin_addr: "127.0.0.1:18080".to_owned(),
        product_name: product.to_owned(),
        migration_method: "semi-async".to_owned(),
        migration_parallel_slots: 100,
        migration_async_maxbulks: 200,
        migration_async_maxbytes: "32mb".to_owned(),
        migration_async_numkeys: 500,
        migration_timeout: "30s".to_owned(),
        sentinel_client_timeout: Some("10s".to_owned()),
        sentinel_quorum: 2,
        sentinel_parallel_syncs: 1,
        sentinel_down_after: "30s".to_owned(),
        sentinel_failover_timeout: "5m".to_owned(),
        sentinel_notification_script: String::new(),
        sentinel_client_reconfig_script: String::new(),
        extra: BTreeMap::new(),
        ..Config::default()
    }
}
