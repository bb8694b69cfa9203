//! Pika's Codis fork, simulated (`Preset::Pika`): the differences from Codis 3.2 that the
//! console sees, as `fixtures/pika-codis/README.md` describes them (captured from the fork's
//! dashboard and proxies; the group servers simulated here are Pika, as in production).
//!
//! * `max_slot_num` slots, in `/topom`'s config and every proxy model.
//! * No sentinels: their dashboard and proxy routes answer 404.
//! * Group servers carry the fork's fields, kept by the dashboard's own checks: healthy
//!   servers every `normal_every` (10 s on the fork), suspected and offline ones every
//!   `failover_every` (2 s); a failed check makes a normal server suspected (state 1), each
//!   further one counts in `recall_times`, and at `sentinel_master_dead_check_times` it is
//!   offline (state 2). An offline master is replaced by the normal, eligible replica with the
//!   highest binlog position. The election runs at the failover check after the one that found
//!   the master offline, so `out_of_sync` shows for one interval (on the fork it lasts as long
//!   as the promotion and the proxies' resync take).
//! * Server samples are Pika's INFO replication (no `used_memory`, no keyspace) plus
//!   `maxmemory` (Pika answers `CONFIG GET maxmemory` with its write-buffer-size).
//! * Proxies send `slow_cmd_count` and per-command latency (`ops.cmd`) in every sample, and
//!   answer `GET /api/proxy/cmdinfo/{xauth}/{interval}`; as the fork's real proxies do, the list
//!   starts with an `ALL` row that counts every call twice, and `total_calls`/`total_usecs` are
//!   0 (they hold the interval still open, which every read clears).

use crate::model::{default_config, Model};
use crate::noise::{hash_str, jitter, unix_now};
use crate::stats::COMMANDS;
use codis_model::{
    derive::pika::election_candidate, CmdInfo, Config, GroupId, InfoMap, ProxyCmdStats,
    ProxyRedisOps, ServerActionState, ServerCheckState, CMDINFO_INTERVALS, CMD_ALL,
};
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

/// Pika's default `binlog-file-size`: a binlog position is (bytes / this, bytes % this).
const BINLOG_FILE_SIZE: u64 = 104_857_600;
/// Pika's default `write-buffer-size`, what it answers for `CONFIG GET maxmemory`.
const WRITE_BUFFER_SIZE: u64 = 268_435_456;
/// `sentinel_master_dead_check_times` of the fork's default config.
const DEAD_CHECK_TIMES: i64 = 10;
/// How far behind its master the first of several replicas stays (bytes), so an election has
/// a clear winner.
const LAGGING_REPLICA_BYTES: u64 = 2_110;

/// The fork's dashboard state that Codis 3.2 does not have.
#[derive(Clone, Debug)]
pub(crate) struct PikaSim {
    /// Binlog bytes written, per server process.
    pub binlog: BTreeMap<String, u64>,
    last_advance: Instant,
    normal_every: Duration,
    failover_every: Duration,
    next_normal: Instant,
    next_failover: Instant,
    /// Groups whose master was found offline: the election runs at the next failover check.
    electing: BTreeSet<GroupId>,
}

/// The fork's `/topom` config: `max_slot_num` and its failover settings; no
/// `sentinel_client_timeout` (two of its Go fields share that JSON name, Go drops both).
fn config(product: &str, max_slot_num: usize) -> Config {
    Config {
        coordinator_addr: "/opt/pika-codis/data/fs".to_owned(),
        sentinel_client_timeout: None,
        max_slot_num: u32::try_from(max_slot_num).ok(),
        sentinel_check_master_failover_interval: Some("2s".to_owned()),
        sentinel_master_dead_check_times: Some(DEAD_CHECK_TIMES),
        sentinel_check_offline_server_interval: Some("2s".to_owned()),
        ..default_config(product)
    }
}

/// What one check of a server found (see [`Model::pika_tick`]).
enum Found {
    MasterOffline(GroupId),
    SlaveOffline(GroupId),
    Recovered(GroupId, String),
}

impl Model {
    /// Turns a freshly built model into the fork's: config, proxies' slot count, the group
    /// servers' fields as after a first round of checks. `step` paces the checks (10 s and 2 s
    /// at the default 200 ms step).
    pub(crate) fn pika_init(&mut self, step: Duration) {
        let n = self.slots.len();
        self.config = config(&self.product, n);
        let slots = u32::try_from(n).ok();
        for p in &mut self.world.proxies {
            p.model.max_slot_num = slots;
        }
        for p in self.proxies.values_mut() {
            p.max_slot_num = slots;
        }
        let mut binlog = BTreeMap::new();
        for (gi, g) in self.groups.values().enumerate() {
            // Masters at different positions (group 1: file 3, group 2: file 5).
            let master = (3 + 2 * gi as u64) * BINLOG_FILE_SIZE + 18_446 + 71_764 * gi as u64;
            for (i, s) in g.servers.iter().enumerate() {
                let lag = if i == 1 && g.servers.len() > 2 {
                    LAGGING_REPLICA_BYTES
                } else {
                    0
                };
                binlog.insert(s.server.clone(), master - lag);
            }
        }
        let now = Instant::now();
        let step = step.max(Duration::from_millis(1));
        self.pika = Some(PikaSim {
            binlog,
            last_advance: now,
            normal_every: step * 50,
            failover_every: step * 10,
            next_normal: now + step * 50,
            next_failover: now + step * 10,
            electing: BTreeSet::new(),
        });
        let addrs: Vec<(GroupId, usize)> = self
            .groups
            .values()
            .flat_map(|g| (0..g.servers.len()).map(move |i| (g.id, i)))
            .collect();
        for (gid, i) in addrs {
            self.pika_checked_ok(gid, i);
        }
    }

    /// A new group server as the fork stores it (`GroupAddServer`): its fields zero, `role`
    /// empty, until the next check.
    pub(crate) fn pika_new_server(&self, s: &mut codis_model::GroupServer) {
        if self.pika.is_some() {
            s.role = Some(String::new());
            s.binlog_file_num = Some(0);
            s.binlog_offset = Some(0);
            s.is_eligible_for_master_election = Some(false);
            s.state = Some(ServerCheckState::Normal);
            s.recall_times = Some(0);
        }
    }

    /// A successful check of `servers[i]` (`checkAndUpdateGroupServerState`): normal, its
    /// role and binlog position read, `replica_group` on and `action` "synced", masters
    /// included (the fork does that on every check).
    fn pika_checked_ok(&mut self, gid: GroupId, i: usize) {
        let Some(addr) = self.groups.get(&gid).and_then(|g| g.servers.get(i)) else {
            return;
        };
        let addr = addr.server.clone();
        let role = match self.world.servers.get(&addr) {
            Some(sim) if sim.replica_of.is_some() => "slave",
            _ => "master",
        };
        let bytes = self
            .pika
            .as_ref()
            .and_then(|p| p.binlog.get(&addr).copied())
            .unwrap_or(0);
        if let Some(s) = self.groups.get_mut(&gid).and_then(|g| g.servers.get_mut(i)) {
            s.state = Some(ServerCheckState::Normal);
            s.recall_times = Some(0);
            s.replica_group = true;
            s.role = Some(role.to_owned());
            s.binlog_file_num = Some(bytes / BINLOG_FILE_SIZE);
            s.binlog_offset = Some(bytes % BINLOG_FILE_SIZE);
            s.is_eligible_for_master_election = Some(true);
            s.action.index = 0;
            s.action.state = Some(ServerActionState::Synced);
        }
    }

    fn pika_alive(&self, addr: &str) -> bool {
        self.world.servers.contains_key(addr) && !self.is_down(addr)
    }

    /// Binlogs grow with the writes on live masters; live replicas of live masters follow.
    fn pika_advance_binlogs(&mut self, now: Instant) {
        let qps = (0..self.world.proxies.len())
            .map(|i| self.proxy_qps(i, unix_now()))
            .sum::<f64>();
        let groups = self.groups.len().max(1) as f64;
        let alive: BTreeSet<String> = self
            .world
            .servers
            .keys()
            .filter(|a| self.pika_alive(a))
            .cloned()
            .collect();
        let replica_of: BTreeMap<String, Option<String>> = self
            .world
            .servers
            .iter()
            .map(|(a, s)| (a.clone(), s.replica_of.clone()))
            .collect();
        let Some(p) = self.pika.as_mut() else {
            return;
        };
        let dt = now.duration_since(p.last_advance).as_secs_f64();
        p.last_advance = now;
        // About 120 bytes of binlog per write; a third of the commands write.
        let grow = (qps / groups * dt * 40.0) as u64;
        for (a, of) in &replica_of {
            if of.is_none() && alive.contains(a) {
                *p.binlog.entry(a.clone()).or_default() += grow;
            }
        }
        for (a, of) in &replica_of {
            let Some(m) = of else { continue };
            if alive.contains(a) && alive.contains(m) {
                let target = p.binlog.get(m).copied().unwrap_or(0);
                let cur = p.binlog.entry(a.clone()).or_default();
                // A replica keeps the distance it had (0 once caught up), never runs ahead.
                let lag = target.saturating_sub(*cur).min(LAGGING_REPLICA_BYTES);
                *cur = target - lag;
            }
        }
    }

    /// One tick of the fork's check loops (`CheckMastersAndSlavesState`,
    /// `CheckPreOfflineMastersState`, `CheckOfflineMastersAndSlavesState`).
    pub(crate) fn pika_tick(&mut self, now: Instant) {
        if self.pika.is_none() {
            return;
        }
        self.pika_advance_binlogs(now);
        let Some(p) = self.pika.as_mut() else { return };
        let normal_due = now >= p.next_normal;
        let failover_due = now >= p.next_failover;
        if normal_due {
            p.next_normal = now + p.normal_every;
        }
        if failover_due {
            p.next_failover = now + p.failover_every;
        }
        if !normal_due && !failover_due {
            return;
        }
        let elect: Vec<GroupId> = if failover_due {
            std::mem::take(&mut p.electing).into_iter().collect()
        } else {
            Vec::new()
        };
        for gid in elect {
            self.pika_elect(gid);
        }

        let mut found = Vec::new();
        let servers: Vec<(GroupId, usize, String, Option<ServerCheckState>)> = self
            .groups
            .values()
            .flat_map(|g| {
                g.servers
                    .iter()
                    .enumerate()
                    .map(move |(i, s)| (g.id, i, s.server.clone(), s.state))
            })
            .collect();
        for (gid, i, addr, state) in servers {
            let due = match state {
                Some(ServerCheckState::Normal) => normal_due,
                Some(ServerCheckState::Suspected | ServerCheckState::Offline) => failover_due,
                _ => false,
            };
            if !due {
                continue;
            }
            let alive = self.pika_alive(&addr);
            if alive && state == Some(ServerCheckState::Offline) {
                found.push(Found::Recovered(gid, addr));
                continue;
            }
            if alive {
                self.pika_checked_ok(gid, i);
                continue;
            }
            let Some(s) = self.groups.get_mut(&gid).and_then(|g| g.servers.get_mut(i)) else {
                continue;
            };
            if state == Some(ServerCheckState::Normal) {
                s.state = Some(ServerCheckState::Suspected);
                continue;
            }
            // An int8 on the fork: it wraps after 127.
            let recall = (s.recall_times.unwrap_or(0) as i8).wrapping_add(1);
            s.recall_times = Some(i64::from(recall));
            if i64::from(recall) >= DEAD_CHECK_TIMES {
                s.state = Some(ServerCheckState::Offline);
                s.action = Default::default();
                s.replica_group = false;
            }
            if s.state == Some(ServerCheckState::Offline) && i == 0 {
                found.push(Found::MasterOffline(gid));
            } else {
                found.push(Found::SlaveOffline(gid));
            }
        }
        let masters_offline = found
            .iter()
            .filter(|f| matches!(f, Found::MasterOffline(_)))
            .count();
        for f in found {
            match f {
                Found::SlaveOffline(gid) => {
                    if let Some(g) = self.groups.get_mut(&gid) {
                        g.out_of_sync = true;
                    }
                }
                Found::MasterOffline(gid) => {
                    if let Some(g) = self.groups.get_mut(&gid) {
                        g.out_of_sync = true;
                    }
                    if let Some(p) = self.pika.as_mut() {
                        p.electing.insert(gid);
                    }
                }
                Found::Recovered(gid, addr) => self.pika_recover(gid, &addr, masters_offline),
            }
        }
    }

    /// `trySwitchGroupMaster`: the normal, eligible replica with the highest binlog position
    /// becomes `servers[0]`; the other normal servers follow it; then the proxies are resynced
    /// and `out_of_sync` cleared (it stays when no replica qualifies or a proxy is unreachable).
    fn pika_elect(&mut self, gid: GroupId) {
        let Some(g) = self.groups.get(&gid) else {
            return;
        };
        if g.servers.first().and_then(|s| s.state) != Some(ServerCheckState::Offline) {
            return;
        }
        let Some(new) = election_candidate(g).map(|s| s.server.clone()) else {
            return;
        };
        let Some(idx) = g.servers.iter().position(|s| s.server == new) else {
            return;
        };
        if let Some(sim) = self.world.servers.get_mut(&new) {
            sim.replica_of = None;
        }
        self.reconfigured(&new);
        let mut followers = Vec::new();
        if let Some(g) = self.groups.get_mut(&gid) {
            g.servers[idx].role = Some("master".to_owned());
            g.servers[idx].action.state = Some(ServerActionState::Synced);
            g.servers.swap(0, idx);
            for s in g.servers.iter_mut().skip(1) {
                if s.state == Some(ServerCheckState::Normal) {
                    s.role = Some("slave".to_owned());
                    s.action.state = Some(ServerActionState::Synced);
                    followers.push(s.server.clone());
                }
            }
        }
        for f in followers {
            if let Some(sim) = self.world.servers.get_mut(&f) {
                sim.replica_of = Some(new.clone());
            }
        }
        let resynced = self.push_to_proxies("resync slots failed").is_ok();
        if let Some(g) = self.groups.get_mut(&gid) {
            g.out_of_sync = !resynced;
        }
    }

    /// `tryFixReplicationRelationship`: an offline server answers again; it is made to follow
    /// the group's master (or, as `servers[0]`, to be master) and is normal again.
    fn pika_recover(&mut self, gid: GroupId, addr: &str, masters_offline: usize) {
        let Some(g) = self.groups.get_mut(&gid) else {
            return;
        };
        g.out_of_sync = true;
        let master = g.master().unwrap_or_default().to_owned();
        let Some(i) = g.servers.iter().position(|s| s.server == addr) else {
            return;
        };
        let is_master_role = self
            .world
            .servers
            .get(addr)
            .is_some_and(|s| s.replica_of.is_none());
        if i == 0 {
            if is_master_role && masters_offline > 0 {
                return;
            }
            if let Some(sim) = self.world.servers.get_mut(addr) {
                sim.replica_of = None;
            }
        } else if let Some(sim) = self.world.servers.get_mut(addr) {
            if sim.replica_of.as_deref() != Some(master.as_str()) {
                sim.replica_of = Some(master.clone());
            }
        }
        self.pika_checked_ok(gid, i);
        let resynced = self.push_to_proxies("resync slots failed").is_ok();
        if let Some(g) = self.groups.get_mut(&gid) {
            g.out_of_sync = !resynced;
        }
    }

    /// A live Pika server's sample: INFO replication (`InfoFullv2`), `master_addr` and
    /// `maxmemory` added by the dashboard; no `used_memory`, no keyspace, no `run_id`.
    pub(crate) fn pika_info(&self, addr: &str) -> InfoMap {
        let mut m = InfoMap::new();
        let Some(sim) = self.world.servers.get(addr) else {
            return m;
        };
        let put = |m: &mut InfoMap, k: &str, v: String| {
            m.insert(k.to_owned(), v);
        };
        let bytes = self
            .pika
            .as_ref()
            .and_then(|p| p.binlog.get(addr).copied())
            .unwrap_or(0);
        let (file, offset) = (bytes / BINLOG_FILE_SIZE, bytes % BINLOG_FILE_SIZE);
        put(
            &mut m,
            "ReplicationID",
            crate::noise::hex_id(self.seed, &format!("replid-{addr}"), 32),
        );
        match &sim.replica_of {
            None => {
                put(&mut m, "role", "master".into());
                let slaves: Vec<&String> = self
                    .world
                    .servers
                    .iter()
                    .filter(|(a, s)| s.replica_of.as_deref() == Some(addr) && self.pika_alive(a))
                    .map(|(a, _)| a)
                    .collect();
                put(&mut m, "connected_slaves", slaves.len().to_string());
                for (i, a) in slaves.iter().enumerate() {
                    let (host, port) = a.rsplit_once(':').unwrap_or((a, ""));
                    let lag = self
                        .pika
                        .as_ref()
                        .and_then(|p| p.binlog.get(*a))
                        .map_or(0, |r| bytes.saturating_sub(*r));
                    put(
                        &mut m,
                        &format!("slave{i}"),
                        format!("ip={host},port={port},conn_fd={},lag=(db0:{lag})", 80 + i),
                    );
                }
            }
            Some(master) => {
                let (host, port) = master.rsplit_once(':').unwrap_or((master, ""));
                let up = self.pika_alive(master);
                put(&mut m, "role", "slave".into());
                put(&mut m, "master_host", host.into());
                put(&mut m, "master_port", port.into());
                put(
                    &mut m,
                    "master_link_status",
                    if up { "up" } else { "down" }.into(),
                );
                put(&mut m, "repl_connect_status", String::new());
                put(&mut m, "slave_priority", "100".into());
                put(&mut m, "slave_read_only", "1".into());
                put(&mut m, "master_addr", master.clone());
            }
        }
        put(&mut m, "is_eligible_for_master_election", "true".into());
        put(
            &mut m,
            "db0",
            format!("binlog_offset={file} {offset},safety_purge=none"),
        );
        put(&mut m, "slave_repl_offset", bytes.to_string());
        put(&mut m, "maxmemory", WRITE_BUFFER_SIZE.to_string());
        m
    }

    /// The fork's per-command figures of proxy `i` over `interval` seconds (`OpStats` of
    /// `GetOpStatsByInterval`), after its `ALL` row (see [`all_row`]): latency percentiles in
    /// ms (5 ms buckets), calls slower than each threshold; `max_delay` is never filled by the
    /// fork, nor in practice `total_calls`/`total_usecs`.
    pub(crate) fn pika_cmd_stats(&self, i: usize, interval: i64) -> Vec<ProxyCmdStats> {
        let cmds = self.pika_commands(i, interval);
        let mut rows = Vec::with_capacity(cmds.len() + 1);
        if !cmds.is_empty() {
            rows.push(all_row(&cmds, interval));
        }
        rows.extend(cmds);
        rows
    }

    fn pika_commands(&self, i: usize, interval: i64) -> Vec<ProxyCmdStats> {
        let p = &self.world.proxies[i];
        let unix = unix_now();
        let qps = self.proxy_qps(i, unix);
        let bucket = |ms: f64| ((ms / 5.0).ceil().max(1.0) * 5.0) as i64;
        COMMANDS
            .iter()
            .enumerate()
            .map(|(k, (op, share, usecs, err))| {
                let calls = (p.ops_total * share) as i64;
                let in_interval = (qps * share * interval as f64).round() as i64;
                let h = hash_str(self.seed, op);
                let ms = *usecs as f64 / 1000.0 * jitter(self.seed, h, unix, 0.2);
                let slow = *usecs > 3_000;
                let slow_calls = if slow {
                    (in_interval as f64 * 0.002).round() as i64
                } else {
                    0
                };
                ProxyCmdStats {
                    opstr: (*op).to_owned(),
                    calls,
                    usecs: calls * usecs,
                    usecs_percall: if calls == 0 { 0 } else { *usecs },
                    fails: 0,
                    redis_errtype: (calls as f64 * err) as i64,
                    interval: Some(interval),
                    total_calls: Some(0),
                    total_usecs: Some(0),
                    max_delay: Some(0),
                    qps: Some(in_interval / interval.max(1)),
                    avg: Some(ms as i64),
                    tp90: Some(bucket(ms)),
                    tp99: Some(bucket(ms * if slow { 2.0 } else { 1.2 })),
                    tp999: Some(if slow { 60 } else { bucket(ms * 1.5) }),
                    tp9999: Some(if slow && interval >= 60 { 225 } else { 60 }),
                    tp100: Some(if slow { 61 + (k as i64 * 37) % 250 } else { 4 }),
                    delay50ms: Some(slow_calls),
                    delay100ms: Some(slow_calls / 3),
                    delay200ms: Some(slow_calls / 6),
                    delay300ms: Some(slow_calls / 12),
                    delay500ms: Some(0),
                    delay1s: Some(0),
                    delay2s: Some(0),
                    delay3s: Some(0),
                }
            })
            .filter(|c| c.calls > 0)
            .collect()
    }

    /// Commands slower than the proxy's `slowlog_log_slower_than` since start.
    pub(crate) fn pika_slow_cmd_count(&self, i: usize) -> i64 {
        (self.world.proxies[i].ops_total * 0.0004) as i64
    }

    /// `GET /api/proxy/cmdinfo/{xauth}/{interval}`: an interval the fork does not keep is
    /// answered with 1 s figures.
    pub(crate) fn pika_cmdinfo(&self, i: usize, interval: i64) -> CmdInfo {
        let interval = if CMDINFO_INTERVALS.iter().any(|v| i64::from(*v) == interval) {
            interval
        } else {
            1
        };
        let p = &self.world.proxies[i];
        CmdInfo {
            total: p.ops_total as i64,
            fails: p.ops_fails as i64,
            redis: ProxyRedisOps {
                errors: p.redis_errors as i64,
            },
            qps: self.proxy_qps(i, unix_now()).round() as i64,
            cmd: self.pika_cmd_stats(i, interval),
        }
    }
}

/// The fork's `ALL` row over `cmds` (`Session.incrOpStats` adds each call to it twice: its
/// calls and µs are double the commands' sums, its µs per call right); the interval figures of
/// the busiest command stand for its percentiles.
fn all_row(cmds: &[ProxyCmdStats], interval: i64) -> ProxyCmdStats {
    let calls: i64 = cmds.iter().map(|c| c.calls).sum();
    let usecs: i64 = cmds.iter().map(|c| c.usecs).sum();
    let busiest = cmds
        .iter()
        .max_by_key(|c| c.calls)
        .cloned()
        .unwrap_or_default();
    let sum = |f: fn(&ProxyCmdStats) -> Option<i64>| Some(cmds.iter().filter_map(f).sum());
    ProxyCmdStats {
        opstr: CMD_ALL.to_owned(),
        calls: 2 * calls,
        usecs: 2 * usecs,
        usecs_percall: if calls == 0 { 0 } else { usecs / calls },
        fails: cmds.iter().map(|c| c.fails).sum(),
        redis_errtype: cmds.iter().map(|c| c.redis_errtype).sum(),
        interval: Some(interval),
        qps: sum(|c| c.qps),
        tp100: cmds.iter().filter_map(|c| c.tp100).max(),
        delay50ms: sum(|c| c.delay50ms),
        delay100ms: sum(|c| c.delay100ms),
        delay200ms: sum(|c| c.delay200ms),
        delay300ms: sum(|c| c.delay300ms),
        delay500ms: sum(|c| c.delay500ms),
        delay1s: sum(|c| c.delay1s),
        delay2s: sum(|c| c.delay2s),
        delay3s: sum(|c| c.delay3s),
        ..busiest
    }
}
