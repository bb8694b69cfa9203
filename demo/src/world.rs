//! The simulated processes around the dashboard, and what "dialing" an address gives.
//!
//! The real dashboard connects to whatever address an operator types. The simulator keeps a
//! world of known addresses (codis-servers, a plain redis, sentinels, proxy admin ports); any
//! other address fails with the same text Go prints for a refused connection, so the console
//! sees the same errors as against a real cluster.

use crate::fault::Fault;
use crate::noise::{hash_str, hex_id};
use codis_model::{GoTime, GroupId, Proxy};
use std::collections::BTreeMap;
use std::time::Instant;

/// One simulated codis-server process.
#[derive(Clone, Debug)]
pub(crate) struct ServerSim {
    /// `run_id` in INFO; sentinels report it too.
    pub run_id: String,
    /// The Redis replication state: `None` = master, `Some(addr)` = `SLAVEOF addr`. It changes
    /// only through sync actions and promotion, like the real server, so it can disagree with the
    /// group model (the UI shows that in red).
    pub replica_of: Option<String>,
    pub pid: i64,
    /// Unix time the process started (uptime, rdb_last_save_time).
    pub started: i64,
}

/// One simulated redis-sentinel.
#[derive(Clone, Debug)]
pub(crate) struct SentinelSim {
    pub run_id: String,
    pub pid: i64,
    pub started: i64,
    /// Group id -> master address this sentinel monitors as `<product>-<gid>`.
    pub monitored: BTreeMap<GroupId, String>,
}

/// One simulated codis-proxy process (registered with the dashboard or spare).
#[derive(Clone, Debug)]
pub(crate) struct ProxySim {
    /// The proxy's own model (`id` 0, as `/api/proxy/model` serves it); `admin_addr` is the real
    /// loopback listener once it is bound.
    pub model: Proxy,
    /// Started by the dashboard (`online` in its stats).
    pub online: bool,
    /// Sentinel servers last pushed by the dashboard.
    pub sentinels: Vec<String>,
    /// Traffic scale: this proxy's peak qps.
    pub peak_qps: f64,
    /// Integrated counters (see `stats::advance_proxies`).
    pub ops_total: f64,
    pub ops_fails: f64,
    pub redis_errors: f64,
    pub sessions_total: i64,
    /// When the counters were last advanced.
    pub last_advance: Instant,
    /// Process start, for `m=+...` and CPU time.
    pub started_at: Instant,
}

/// Every process the simulated dashboard can reach.
#[derive(Clone, Debug, Default)]
pub(crate) struct World {
    pub servers: BTreeMap<String, ServerSim>,
    /// Plain (non-Codis) redis-servers: `SLOTSINFO` fails on them.
    pub plain_redis: Vec<String>,
    pub sentinels: BTreeMap<String, SentinelSim>,
    /// Index = proxy index of [`Fault::ProxyTimeout`] / [`Fault::ProxyError`].
    pub proxies: Vec<ProxySim>,
}

/// What answers at an address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Peer {
    /// A live codis-server.
    Server,
    /// A plain redis-server (no Codis commands).
    PlainRedis,
    Sentinel,
    /// A proxy admin port (index into `World::proxies`).
    Proxy(usize),
}

/// Go's dial error text for an address that is not a host:port, or does not answer.
pub(crate) fn dial_error(addr: &str) -> String {
    match addr.rsplit_once(':') {
        Some((_, port)) if port.parse::<u16>().is_ok() => {
            format!("dial tcp {addr}: connect: connection refused")
        }
        _ => format!("dial tcp: address {addr}: missing port in address"),
    }
}

impl World {
    /// Dials `addr`: the peer answering there, or Go's error text. Faults make peers dead.
    pub(crate) fn dial(&self, addr: &str, faults: &[Fault]) -> Result<Peer, String> {
        let dead = |a: &str| {
            faults.iter().any(|f| match f {
                Fault::ServerDown(x) | Fault::SentinelDown(x) => x == a,
                _ => false,
            })
        };
        if self.servers.contains_key(addr) && !dead(addr) {
            return Ok(Peer::Server);
        }
        if self.plain_redis.iter().any(|a| a == addr) {
            return Ok(Peer::PlainRedis);
        }
        if self.sentinels.contains_key(addr) && !dead(addr) {
            return Ok(Peer::Sentinel);
        }
        if let Some(i) = self.proxy_by_admin(addr) {
            if !faults.contains(&Fault::ProxyError(i)) {
                return Ok(Peer::Proxy(i));
            }
        }
        Err(dial_error(addr))
    }

    pub(crate) fn proxy_by_admin(&self, addr: &str) -> Option<usize> {
        self.proxies.iter().position(|p| p.model.admin_addr == addr)
    }

    pub(crate) fn proxy_by_token(&self, token: &str) -> Option<usize> {
        self.proxies.iter().position(|p| p.model.token == token)
    }
}

/// Builds the simulated processes of a preset; addresses follow the captured cluster's ports.
pub(crate) struct WorldBuilder {
    pub seed: u64,
    pub now_unix: i64,
    pub world: World,
}

impl WorldBuilder {
    pub(crate) fn new(seed: u64, now_unix: i64) -> Self {
        Self {
            seed,
            now_unix,
            world: World::default(),
        }
    }

    /// A codis-server process, replicating from `replica_of` when given.
    pub(crate) fn server(&mut self, addr: &str, replica_of: Option<&str>) {
        let h = hash_str(self.seed, addr);
        self.world.servers.insert(
            addr.to_owned(),
            ServerSim {
                run_id: hex_id(self.seed, &format!("run-{addr}"), 40),
                replica_of: replica_of.map(str::to_owned),
                pid: 20_000 + (h % 9_000) as i64,
                started: self.now_unix - 500 - (h % 300) as i64,
            },
        );
    }

    pub(crate) fn sentinel(&mut self, addr: &str, monitored: &BTreeMap<GroupId, String>) {
        let h = hash_str(self.seed, addr);
        self.world.sentinels.insert(
            addr.to_owned(),
            SentinelSim {
                run_id: hex_id(self.seed, &format!("sentinel-{addr}"), 40),
                pid: 20_000 + (h % 9_000) as i64,
                started: self.now_unix - 500 - (h % 300) as i64,
                monitored: monitored.clone(),
            },
        );
    }

    /// A proxy process of `product` (normally this one; another product's proxy is what
    /// `proxy/create` refuses with "check xauth failed"). Its admin address is filled in when its
    /// listener is bound. `token` overrides the derived token (the captured proxies' tokens).
    pub(crate) fn proxy(&mut self, product: &str, token: Option<&str>, peak_qps: f64) {
        let i = self.world.proxies.len();
        let token = token
            .map(str::to_owned)
            .unwrap_or_else(|| hex_id(self.seed, &format!("{product}-proxy-{i}"), 32));
        let started = std::time::SystemTime::now() - std::time::Duration::from_secs(60 + i as u64);
        let model = Proxy {
            id: 0,
            token,
            start_time: GoTime(crate::noise::go_time(
                started,
                Some(std::time::Duration::from_nanos(8_480_026 + i as u64 * 1_000)),
            )),
            admin_addr: String::new(),
            proto_type: "tcp4".to_owned(),
            proxy_addr: format!("127.0.0.1:{}", 19_000 + i),
            jodis_path: String::new(),
            product_name: product.to_owned(),
            pid: 24_000 + (hash_str(self.seed, &format!("pid{i}")) % 8_000) as i64,
            pwd: "/opt/codis".to_owned(),
            sys: "Linux codis-host 6.1.0-13-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.55-1 x86_64 GNU/Linux"
                .to_owned(),
            hostname: "codis-host".to_owned(),
            datacenter: String::new(),
            max_slot_num: None,
        };
        let now = Instant::now();
        self.world.proxies.push(ProxySim {
            model,
            online: false,
            sentinels: Vec::new(),
            peak_qps,
            ops_total: 0.0,
            ops_fails: 0.0,
            redis_errors: 0.0,
            sessions_total: 0,
            last_advance: now,
            started_at: now,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dial_errors_read_like_go() {
        assert_eq!(
            dial_error("127.0.0.1:16999"),
            "dial tcp 127.0.0.1:16999: connect: connection refused"
        );
        assert_eq!(
            dial_error("notanaddress"),
            "dial tcp: address notanaddress: missing port in address"
        );
    }
}
