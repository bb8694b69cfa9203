//! The moving numbers and the documents built from the model: the dashboard's Stats and
//! Overview, proxy samples, and the proxy view of slots.
//!
//! Proxy counters integrate qps over real time (qps follows a daily sine by wall clock, with
//! seeded noise), so totals only grow and charts look alive; everything is computed when read.

use crate::fault::Fault;
use crate::model::Model;
use crate::noise::{daily_factor, go_time, hash_str, hits, jitter, unix_now};
use crate::reply::ApiError;
use codis_model::{
    GroupId, GroupSection, Overview, PromotingState, ProxyBackend, ProxyCmdStats, ProxyOps,
    ProxyRedisOps, ProxyRuntime, ProxyRuntimeGc, ProxyRuntimeGeneral, ProxyRuntimeHeap,
    ProxyRusage, ProxyRusageRaw, ProxySection, ProxySentinels, ProxySessions, ProxyStats,
    ProxyStatsData, RedisStats, SentinelsSection, Slot, SlotActionState, Stats,
};
use std::collections::BTreeMap;
use std::time::{Instant, SystemTime};

/// Codis's version strings, as captured.
pub(crate) const VERSION: &str =
    "2018-11-04 16:22:35 +0800 @de1ad026e329561c22e2a3035fbfe89dc7fef764 @3.2.2-12-gde1ad026";
pub(crate) const COMPILE: &str = "2026-11-25 12:10:24 +0000 by go version go1.19.8 linux/amd64";

/// Command mix of the simulated load: (opstr, share of calls, µs per call, share of calls
/// answered with a Redis error).
pub(crate) const COMMANDS: &[(&str, f64, i64, f64)] = &[
    ("GET", 0.25, 559, 0.0),
    ("HGET", 0.03, 594, 0.0),
    ("HSET", 0.06, 4445, 0.0),
    ("INCR", 0.03, 582, 0.12),
    ("INFO", 0.0005, 46, 1.0),
    ("KEYS", 0.0005, 518, 1.0),
    ("LRANGE", 0.01, 560, 0.0),
    ("RPUSH", 0.025, 3800, 0.0),
    ("SADD", 0.025, 3799, 0.0),
    ("SET", 0.554, 3260, 0.0),
    ("ZADD", 0.015, 3423, 0.0),
];

/// `[OK] Slot[%04d]@DB[0]=<n>`: the progress text after a migration batch.
pub(crate) fn progress_ok(sid: u16, keys: u32) -> String {
    format!("[OK] Slot[{sid:04}]@DB[0]={keys}")
}

impl Model {
    fn proxy_dead(&self, i: usize) -> bool {
        self.faults.contains(&Fault::ProxyError(i))
    }

    /// Current qps of a proxy process: 0 unless started (online) and alive.
    pub(crate) fn proxy_qps(&self, i: usize, unix: i64) -> f64 {
        let p = &self.world.proxies[i];
        if !p.online || self.proxy_dead(i) {
            return 0.0;
        }
        p.peak_qps * daily_factor(unix as f64) * jitter(self.seed, i as u64, unix, 0.08)
    }

    /// Integrates every proxy's counters up to now.
    pub(crate) fn advance(&mut self) {
        let now = Instant::now();
        let unix = unix_now();
        self.glitches.retain(|g| !g.over(unix));
        self.eof_until.retain(|_, until| *until > now);
        for i in 0..self.world.proxies.len() {
            let qps = self.proxy_qps(i, unix);
            let p = &mut self.world.proxies[i];
            let dt = now.duration_since(p.last_advance).as_secs_f64();
            p.last_advance = now;
            let ops = qps * dt;
            p.ops_total += ops;
            p.ops_fails += ops * 0.0002;
            p.redis_errors += ops * 0.0105;
        }
    }

    /// The proxy's Stats object. `flags` bit 1 adds `ops.cmd`, bit 4 `runtime` (the proxy's
    /// `/api/proxy/stats/{x}/{flags}`); the dashboard samples with flags 0.
    pub(crate) fn proxy_stats_data(&self, i: usize, flags: u64) -> ProxyStatsData {
        let p = &self.world.proxies[i];
        let unix = unix_now();
        let uptime = p.started_at.elapsed();
        let h = hash_str(self.seed, &p.model.token);
        let total = p.ops_total as i64;
        let online = p.online;
        let qps = self.proxy_qps(i, unix).round() as i64;
        let mem = 80_000_000 + (h % 20_000_000) as i64 + total / 10;
        let sentinels = if online && !p.sentinels.is_empty() {
            ProxySentinels {
                servers: p.sentinels.clone(),
                masters: self.sentinel_masters(),
                switched: false,
            }
        } else {
            ProxySentinels::default()
        };
        let cmd = if flags & 1 != 0 {
            COMMANDS
                .iter()
                .map(|(op, share, usecs, err)| {
                    let calls = (p.ops_total * share) as i64;
                    let usecs_percall = *usecs;
                    ProxyCmdStats {
                        opstr: (*op).to_owned(),
                        calls,
                        usecs: calls * usecs_percall,
                        usecs_percall: if calls == 0 { 0 } else { usecs_percall },
                        fails: 0,
                        redis_errtype: (calls as f64 * err) as i64,
                        ..ProxyCmdStats::default()
                    }
                })
                .filter(|c| c.calls > 0)
                .collect()
        } else {
            Vec::new()
        };
        let runtime = (flags & 4 != 0).then(|| {
            let alloc = 270_000_000 + (total % 130_000_000);
            ProxyRuntime {
                general: ProxyRuntimeGeneral {
                    alloc,
                    sys: alloc + 116_000_000,
                    lookups: 0,
                    mallocs: 44_000 + total * 19,
                    frees: 37_000 + total * 11,
                },
                heap: ProxyRuntimeHeap {
                    alloc,
                    sys: alloc + 88_000_000,
                    idle: 86_171_648,
                    inuse: alloc + 1_400_000,
                    objects: 6_000 + total * 8,
                },
                gc: ProxyRuntimeGc {
                    num: 1 + uptime.as_secs() as i64 / 30,
                    cpu_fraction: 0.000_188_948_335_023_671_33,
                    total_pausems: 1 + uptime.as_secs() as i64 / 600,
                },
                num_procs: 4,
                num_goroutines: 15 + 6 * i64::from(online) * 17,
                num_cgo_call: 14 + total / 70,
                mem_offheap: if online { 13_172_736 } else { 0 },
            }
        });
        let cpu_ns = (uptime.as_secs_f64() * 0.01 * 1e9) as i64;
        let mut data = ProxyStatsData {
            online,
            closed: false,
            sentinels,
            ops: ProxyOps {
                total,
                fails: p.ops_fails as i64,
                redis: Some(ProxyRedisOps {
                    errors: p.redis_errors as i64,
                }),
                qps,
                cmd,
            },
            sessions: ProxySessions {
                total: p.sessions_total + total / 25_000,
                alive: if online { 1 + (h % 3) as i64 } else { 0 },
            },
            rusage: ProxyRusage {
                now: codis_model::GoTime(go_time(SystemTime::now(), Some(uptime))),
                cpu: if online {
                    0.01 * jitter(self.seed, h, unix, 0.2)
                } else {
                    0.0
                },
                mem,
                raw: Some(ProxyRusageRaw {
                    utime: cpu_ns / 10_000_000 * 6_000_000,
                    stime: cpu_ns / 10_000_000 * 4_000_000,
                    cutime: 0,
                    cstime: 0,
                    num_threads: 9 + 2 * i64::from(online),
                    vm_size: 1_624_875_008 + mem * 3,
                    vm_rss: mem,
                }),
            },
            backend: ProxyBackend {
                primary_only: false,
            },
            runtime,
            slow_cmd_count: None,
        };
        if self.pika.is_some() {
            // The fork: no sentinels, 1 s latency figures in every sample, slow commands.
            data.sentinels = ProxySentinels::default();
            if data.ops.cmd.is_empty() || flags & 1 == 0 {
                data.ops.cmd = self.pika_cmd_stats(i, 1);
            }
            data.slow_cmd_count = Some(self.pika_slow_cmd_count(i));
        }
        data
    }

    /// The dashboard's sample of a registered proxy (flags 0), or why there is none.
    fn proxy_sample(&self, token: &str, unix: i64) -> ProxyStats {
        let Some(i) = self.proxy_index(token) else {
            return ProxyStats {
                unixtime: unix,
                timeout: true,
                ..ProxyStats::default()
            };
        };
        let late = hits(
            self.seed,
            "proxy-timeout",
            token,
            unix,
            self.noise.proxy_timeout,
        );
        if late || self.sample_shows(&Fault::ProxyTimeout(i), unix) {
            return ProxyStats {
                unixtime: unix,
                timeout: true,
                ..ProxyStats::default()
            };
        }
        if self.proxy_dead(i) {
            let p = &self.world.proxies[i];
            let admin = &p.model.admin_addr;
            let x = codis_model::xauth::proxy_xauth(&self.product, "", token);
            let cause = format!(
                "Get \"http://{admin}/api/proxy/stats/{x}\": dial tcp {admin}: connect: connection refused"
            );
            return ProxyStats {
                error: Some(ApiError::traced(cause).body()),
                unixtime: unix,
                ..ProxyStats::default()
            };
        }
        ProxyStats {
            stats: Some(self.proxy_stats_data(i, 0)),
            unixtime: unix,
            ..ProxyStats::default()
        }
    }

    /// One codis-server or sentinel sample: INFO, or the dial error of a dead one.
    fn redis_sample(&self, addr: &str, sentinel: bool, unix: i64) -> RedisStats {
        let reachable = if sentinel {
            self.world.sentinels.contains_key(addr)
        } else {
            self.world.servers.contains_key(addr)
        };
        let reconfiguring = self
            .eof_until
            .get(addr)
            .is_some_and(|until| *until > Instant::now());
        // Codis 3.2's dial error wins over a reconfiguration's EOF (as before); the fork's
        // first sample of a server that just died is EOF (see `DemoDashboard::set_fault`).
        if !sentinel && reachable && reconfiguring && (self.pika.is_some() || !self.is_down(addr)) {
            return RedisStats {
                error: Some(ApiError::traced("EOF").body()),
                unixtime: unix,
                ..RedisStats::default()
            };
        }
        if !reachable || self.is_down(addr) {
            // The fork's `NewClient` returns the dial error untraced: no stack.
            let e = if self.pika.is_some() {
                ApiError::plain(crate::world::dial_error(addr))
            } else {
                ApiError::traced(crate::world::dial_error(addr))
            };
            return RedisStats {
                error: Some(e.body()),
                unixtime: unix,
                ..RedisStats::default()
            };
        }
        if sentinel
            && (self.sample_shows(&Fault::SentinelClosedConn(addr.to_owned()), unix)
                || hits(
                    self.seed,
                    "sentinel-closed-conn",
                    addr,
                    unix,
                    self.noise.sentinel_closed_conn,
                ))
        {
            // Codis 3.2.2's own flaw: the sentinel is fine, the dashboard's connection was not.
            let port = 32768 + hash_str(unix as u64, addr) % 28000;
            let cause =
                format!("read tcp 127.0.0.1:{port}->{addr}: use of closed network connection");
            return RedisStats {
                error: Some(ApiError::traced(cause).body()),
                unixtime: unix,
                ..RedisStats::default()
            };
        }
        if !sentinel && self.sample_shows(&Fault::ServerEof(addr.to_owned()), unix) {
            return RedisStats {
                error: Some(ApiError::traced("EOF").body()),
                unixtime: unix,
                ..RedisStats::default()
            };
        }
        if sentinel {
            RedisStats {
                stats: self.sentinel_info(addr),
                sentinel: self.sentinel_monitored(addr),
                unixtime: unix,
                ..RedisStats::default()
            }
        } else {
            RedisStats {
                stats: if self.pika.is_some() {
                    self.pika_info(addr)
                } else {
                    self.server_info(addr)
                },
                unixtime: unix,
                ..RedisStats::default()
            }
        }
    }

    /// Group id -> master, as reported by a majority of the listed sentinels.
    pub(crate) fn sentinel_masters(&self) -> BTreeMap<String, String> {
        let servers = &self.sentinel.servers;
        let mut votes: BTreeMap<(GroupId, &str), usize> = BTreeMap::new();
        for a in servers {
            if self.is_down(a) {
                continue;
            }
            if let Some(s) = self.world.sentinels.get(a) {
                for (gid, m) in &s.monitored {
                    *votes.entry((*gid, m.as_str())).or_default() += 1;
                }
            }
        }
        votes
            .into_iter()
            .filter(|(_, n)| *n > servers.len() / 2)
            .map(|((gid, m), _)| (gid.to_string(), m.to_owned()))
            .collect()
    }

    /// `/topom/stats` and `/api/topom/stats/{xauth}`.
    pub(crate) fn stats(&self) -> Stats {
        let unix = unix_now();
        let group_stats = self
            .groups
            .values()
            .flat_map(|g| g.servers.iter())
            .map(|s| (s.server.clone(), self.redis_sample(&s.server, false, unix)))
            .collect();
        let proxy_stats = self
            .proxies
            .keys()
            .map(|t| (t.clone(), self.proxy_sample(t, unix)))
            .collect();
        let sentinel_stats = self
            .sentinel
            .servers
            .iter()
            .map(|a| (a.clone(), self.redis_sample(a, true, unix)))
            .collect();
        Stats {
            closed: self.closed,
            slots: self.slots.clone(),
            group: GroupSection {
                models: self.groups.values().cloned().collect(),
                stats: group_stats,
            },
            proxy: ProxySection {
                models: self.proxies_by_id().into_iter().cloned().collect(),
                stats: proxy_stats,
            },
            slot_action: self.slot_action.clone(),
            sentinels: SentinelsSection {
                model: self.sentinel.clone(),
                stats: sentinel_stats,
                masters: self.sentinel_masters(),
            },
        }
    }

    /// `GET /topom`.
    pub(crate) fn overview(&self) -> Overview {
        Overview {
            version: VERSION.to_owned(),
            compile: COMPILE.to_owned(),
            config: self.config.clone(),
            model: self.topom.clone(),
            stats: self.stats(),
        }
    }

    fn promoting_prepared(&self, gid: GroupId) -> bool {
        self.groups
            .get(&gid)
            .is_some_and(|g| g.promoting.state == Some(PromotingState::Prepared))
    }

    /// Servers proxies may read from for a group (one tier: no proxy locality here).
    fn replica_groups(&self, gid: GroupId) -> Vec<Vec<String>> {
        let Some(g) = self.groups.get(&gid) else {
            return Vec::new();
        };
        if g.is_promoting() || g.servers.len() <= 1 {
            return Vec::new();
        }
        let tier: Vec<String> = g
            .servers
            .iter()
            .filter(|s| s.replica_group)
            .map(|s| s.server.clone())
            .collect();
        if tier.is_empty() {
            Vec::new()
        } else {
            vec![tier]
        }
    }

    /// The proxy view of every slot (codis-fe-spec.md §4.3.9).
    pub(crate) fn proxy_slots(&self) -> Vec<Slot> {
        self.slots
            .iter()
            .map(|m| {
                let mut s = Slot {
                    id: m.id,
                    forward_method: 1,
                    ..Slot::default()
                };
                let (src, dst) = (m.group_id, m.action.target_id);
                let set_backend = |s: &mut Slot, g: GroupId| {
                    s.backend_addr = self.master_of(g);
                    if !s.backend_addr.is_empty() {
                        s.backend_addr_group_id = g;
                    }
                };
                let set_from = |s: &mut Slot, g: GroupId| {
                    s.migrate_from = self.master_of(g);
                    if !s.migrate_from.is_empty() {
                        s.migrate_from_group_id = g;
                    }
                };
                match &m.action.state {
                    None | Some(SlotActionState::Pending) => {
                        set_backend(&mut s, src);
                        s.replica_groups = self.replica_groups(src);
                        s.locked = self.promoting_prepared(src);
                    }
                    Some(SlotActionState::Preparing) => {
                        set_backend(&mut s, src);
                        s.locked = self.promoting_prepared(src);
                    }
                    Some(SlotActionState::Prepared) => {
                        set_backend(&mut s, dst);
                        set_from(&mut s, src);
                        s.locked = true;
                    }
                    Some(SlotActionState::Migrating) => {
                        set_backend(&mut s, dst);
                        set_from(&mut s, src);
                        s.locked = self.promoting_prepared(src) || self.promoting_prepared(dst);
                    }
                    Some(_) => {
                        set_backend(&mut s, dst);
                        s.locked = self.promoting_prepared(dst);
                    }
                }
                s
            })
            .collect()
    }
}
