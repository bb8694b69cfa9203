//! INFO maps of the simulated codis-servers and sentinels, and what sentinels report.
//!
//! The field sets follow the captured Redis 3.2 (codis-server) and sentinel INFO (about 90
//! fields), because the console reads some and links to `group/info` showing all of them.
//! Values derive from the cluster state (keys follow slot ownership, roles follow replication)
//! plus seeded noise.

use crate::fault::Fault;
use crate::model::Model;
use crate::noise::{hash_str, jitter, unix_now};
use codis_model::{GroupId, InfoMap, MonitoredMap, SentinelGroupInfo};

/// Every codis-server's `maxmemory`.
const MAXMEMORY: u64 = 1 << 30;

/// Redis's `bytesToHuman`: `7.90M`, `1.00G`, `37.00K`, `512B`.
pub(crate) fn human(bytes: u64) -> String {
    let b = bytes as f64;
    if bytes < 1024 {
        format!("{bytes}B")
    } else if b < 1024.0 * 1024.0 {
        format!("{:.2}K", b / 1024.0)
    } else if b < 1024.0 * 1024.0 * 1024.0 {
        format!("{:.2}M", b / (1024.0 * 1024.0))
    } else {
        format!("{:.2}G", b / (1024.0 * 1024.0 * 1024.0))
    }
}

fn put(map: &mut InfoMap, key: &str, value: impl ToString) {
    map.insert(key.to_owned(), value.to_string());
}

fn port_of(addr: &str) -> &str {
    addr.rsplit_once(':').map_or("", |(_, p)| p)
}

fn host_of(addr: &str) -> &str {
    addr.rsplit_once(':').map_or(addr, |(h, _)| h)
}

/// Fields common to codis-server and sentinel INFO (server, clients, stats sections).
fn common(map: &mut InfoMap, addr: &str, pid: i64, started: i64, mode: &str, h: u64, now: i64) {
    let uptime = (now - started).max(0);
    put(map, "arch_bits", 64);
    put(map, "blocked_clients", 0);
    put(map, "client_biggest_input_buf", 0);
    put(map, "client_longest_output_list", 0);
    put(map, "evicted_keys", 0);
    put(map, "expired_keys", 0);
    put(map, "gcc_version", "12.2.0");
    put(map, "hz", 10);
    put(map, "keyspace_hits", 0);
    put(map, "keyspace_misses", 0);
    put(map, "latest_fork_usec", 0);
    put(map, "lru_clock", (now % 16_777_216) as u64);
    put(map, "migrate_cached_sockets", 0);
    put(map, "multiplexing_api", "epoll");
    put(map, "os", "Linux 6.1.0-13-amd64 x86_64");
    put(map, "process_id", pid);
    put(map, "pubsub_channels", 1);
    put(map, "pubsub_patterns", 0);
    put(map, "redis_build_id", "cd92b7cd9c0f7c8a");
    put(map, "redis_git_dirty", 0);
    put(map, "redis_git_sha1", "de1ad026");
    put(map, "redis_mode", mode);
    put(map, "redis_version", "3.2.11");
    put(map, "rejected_connections", 0);
    put(map, "sync_full", 0);
    put(map, "sync_partial_err", 0);
    put(map, "sync_partial_ok", 0);
    put(map, "tcp_port", port_of(addr));
    put(map, "uptime_in_days", uptime / 86_400);
    put(map, "uptime_in_seconds", uptime);
    put(map, "used_cpu_sys", format!("{:.2}", uptime as f64 * 0.001));
    put(map, "used_cpu_sys_children", "0.00");
    put(
        map,
        "used_cpu_user",
        format!("{:.2}", uptime as f64 * 0.0013),
    );
    put(map, "used_cpu_user_children", "0.00");
    put(
        map,
        "total_connections_received",
        100 + (h % 200) + uptime as u64 / 10,
    );
}

impl Model {
    /// Total qps over all proxies now: servers see their share of it.
    fn cluster_qps(&self) -> f64 {
        let now = unix_now();
        (0..self.world.proxies.len())
            .map(|i| self.proxy_qps(i, now))
            .sum()
    }

    /// INFO of a live codis-server, plus the `master_addr` and `maxmemory` the dashboard adds.
    pub(crate) fn server_info(&self, addr: &str) -> InfoMap {
        let mut m = InfoMap::new();
        let Some(sim) = self.world.servers.get(addr) else {
            return m;
        };
        let now = unix_now();
        let h = hash_str(self.seed, addr);
        common(&mut m, addr, sim.pid, sim.started, "standalone", h, now);
        let keys = self.server_keys(addr);
        let groups = self.groups.len().max(1) as f64;
        let is_master = sim.replica_of.is_none();
        let ops = if is_master {
            self.cluster_qps() / groups * jitter(self.seed, h, now, 0.1)
        } else {
            1.0
        };
        // A real codis-server's used_memory moves every second with its buffers and clients, on a
        // master more than on a replica; the live stream must cope with that on every server.
        let churn = if is_master { 262_144.0 } else { 16_384.0 };
        let used =
            1_000_000 + keys * 427 + (h % 50_000) + (churn * jitter(self.seed, h, now, 1.0)) as u64;
        let uptime = (now - sim.started).max(0) as u64;
        let offset = 3_000_000 + uptime * 3_000;
        put(&mut m, "aof_current_rewrite_time_sec", -1);
        put(&mut m, "aof_enabled", 0);
        put(&mut m, "aof_last_bgrewrite_status", "ok");
        put(&mut m, "aof_last_rewrite_time_sec", -1);
        put(&mut m, "aof_last_write_status", "ok");
        put(&mut m, "aof_rewrite_in_progress", 0);
        put(&mut m, "aof_rewrite_scheduled", 0);
        put(&mut m, "cluster_enabled", 0);
        put(
            &mut m,
            "config_file",
            format!("/opt/codis/conf/codis-server-{}.conf", port_of(addr)),
        );
        put(
            &mut m,
            "connected_clients",
            30 + (h % 10) + self.proxies.len() as u64,
        );
        put(&mut m, "executable", "/opt/codis/bin/codis-server");
        put(
            &mut m,
            "instantaneous_input_kbps",
            format!("{:.2}", ops * 0.038),
        );
        put(&mut m, "instantaneous_ops_per_sec", ops.round() as u64);
        put(
            &mut m,
            "instantaneous_output_kbps",
            format!("{:.2}", ops * 0.098),
        );
        put(&mut m, "keyspace_hits", keys / 2);
        put(&mut m, "loading", 0);
        put(&mut m, "maxmemory", MAXMEMORY);
        put(&mut m, "maxmemory_human", human(MAXMEMORY));
        put(&mut m, "maxmemory_policy", "noeviction");
        put(&mut m, "mem_allocator", "jemalloc-4.0.3");
        put(&mut m, "mem_fragmentation_ratio", "1.43");
        put(&mut m, "rdb_bgsave_in_progress", 0);
        put(
            &mut m,
            "rdb_changes_since_last_save",
            (now - sim.started).max(0) * 6,
        );
        put(&mut m, "rdb_current_bgsave_time_sec", -1);
        put(&mut m, "rdb_last_bgsave_status", "ok");
        put(&mut m, "rdb_last_bgsave_time_sec", 0);
        put(&mut m, "rdb_last_save_time", sim.started + 5);
        put(&mut m, "repl_backlog_active", u8::from(is_master));
        put(
            &mut m,
            "repl_backlog_first_byte_offset",
            offset.saturating_sub(1_048_576),
        );
        put(&mut m, "repl_backlog_histlen", 1_048_576);
        put(&mut m, "repl_backlog_size", 1_048_576);
        put(&mut m, "run_id", &sim.run_id);
        put(
            &mut m,
            "total_commands_processed",
            (ops as u64 + 10) * uptime,
        );
        put(
            &mut m,
            "total_net_input_bytes",
            (ops as u64 + 10) * uptime * 107,
        );
        put(
            &mut m,
            "total_net_output_bytes",
            (ops as u64 + 10) * uptime * 154,
        );
        put(&mut m, "total_system_memory", 25_276_502_016u64);
        put(&mut m, "total_system_memory_human", "23.54G");
        put(&mut m, "used_memory", used);
        put(&mut m, "used_memory_human", human(used));
        put(&mut m, "used_memory_lua", 37_888);
        put(&mut m, "used_memory_lua_human", "37.00K");
        put(&mut m, "used_memory_peak", used + used / 5);
        put(&mut m, "used_memory_peak_human", human(used + used / 5));
        put(&mut m, "used_memory_rss", used * 143 / 100);
        put(&mut m, "used_memory_rss_human", human(used * 143 / 100));
        if keys > 0 {
            put(
                &mut m,
                "db0",
                format!(
                    "keys={keys},expires={},avg_ttl={}",
                    keys / 900,
                    21_212_050 + h % 1000
                ),
            );
        }
        match &sim.replica_of {
            None => {
                put(&mut m, "role", "master");
                put(&mut m, "master_repl_offset", offset);
                let mut n = 0;
                for (replica, s) in &self.world.servers {
                    if s.replica_of.as_deref() == Some(addr)
                        && !self.is_down(replica)
                        && !self.link_down(replica)
                    {
                        put(
                            &mut m,
                            &format!("slave{n}"),
                            format!(
                                "ip={},port={},state=online,offset={},lag=1",
                                host_of(replica),
                                port_of(replica),
                                offset - 999
                            ),
                        );
                        n += 1;
                    }
                }
                put(&mut m, "connected_slaves", n);
            }
            Some(master) => {
                let up = self.world.servers.contains_key(master)
                    && !self.is_down(master)
                    && !self.link_down(addr);
                put(&mut m, "role", "slave");
                put(&mut m, "connected_slaves", 0);
                put(&mut m, "master_repl_offset", 0);
                put(&mut m, "master_host", host_of(master));
                put(&mut m, "master_port", port_of(master));
                put(&mut m, "master_addr", master);
                put(&mut m, "master_link_status", if up { "up" } else { "down" });
                put(
                    &mut m,
                    "master_last_io_seconds_ago",
                    if up { 0 } else { -1 },
                );
                put(&mut m, "master_sync_in_progress", 0);
                if !up {
                    put(&mut m, "master_link_down_since_seconds", 5);
                }
                put(&mut m, "slave_priority", 100);
                put(&mut m, "slave_read_only", 1);
                put(&mut m, "slave_repl_offset", if up { offset } else { 0 });
            }
        }
        m
    }

    /// INFO of a plain redis-server (what `group/info` shows for one): a shorter, newer map.
    pub(crate) fn plain_redis_info(&self, addr: &str) -> InfoMap {
        let mut m = InfoMap::new();
        let now = unix_now();
        let h = hash_str(self.seed, addr);
        common(
            &mut m,
            addr,
            1000 + (h % 5000) as i64,
            now - 3600,
            "standalone",
            h,
            now,
        );
        put(&mut m, "redis_version", "7.0.15");
        put(&mut m, "role", "master");
        put(&mut m, "connected_slaves", 0);
        put(&mut m, "connected_clients", 1);
        put(&mut m, "maxmemory", 0);
        put(&mut m, "maxmemory_human", "0B");
        put(&mut m, "used_memory", 1_021_432);
        put(&mut m, "used_memory_human", human(1_021_432));
        put(&mut m, "master_repl_offset", 0);
        put(&mut m, "run_id", crate::noise::hex_id(self.seed, addr, 40));
        m
    }

    /// The sentinels reporting `addr` (a sentinel or server) subjectively down.
    fn sdown(&self, sentinel: &str, addr: &str) -> bool {
        self.is_down(addr)
            || self.faults.iter().any(|f| match f {
                Fault::SentinelSDown(x) => x == sentinel || x == addr,
                _ => false,
            })
    }

    /// How many listed, live sentinels monitor `gid`.
    fn sentinels_monitoring(&self, gid: GroupId) -> usize {
        self.sentinel
            .servers
            .iter()
            .filter(|a| !self.is_down(a))
            .filter(|a| {
                self.world
                    .sentinels
                    .get(*a)
                    .is_some_and(|s| s.monitored.contains_key(&gid))
            })
            .count()
            .max(1)
    }

    /// Replicas a sentinel discovers for a master: servers replicating from it.
    fn replicas_of(&self, master: &str) -> Vec<&str> {
        self.world
            .servers
            .iter()
            .filter(|(_, s)| s.replica_of.as_deref() == Some(master))
            .map(|(a, _)| a.as_str())
            .collect()
    }

    /// INFO of a live sentinel, with `sentinel_masters` and `master<N>` lines.
    pub(crate) fn sentinel_info(&self, addr: &str) -> InfoMap {
        let mut m = InfoMap::new();
        let Some(sim) = self.world.sentinels.get(addr) else {
            return m;
        };
        let now = unix_now();
        let h = hash_str(self.seed, addr);
        common(&mut m, addr, sim.pid, sim.started, "sentinel", h, now);
        put(
            &mut m,
            "config_file",
            format!("/opt/codis/conf/sentinel-{}.conf", port_of(addr)),
        );
        put(
            &mut m,
            "connected_clients",
            3 + self.proxies.len() + self.sentinel.servers.len(),
        );
        put(&mut m, "executable", "/opt/codis/bin/redis-sentinel");
        put(&mut m, "instantaneous_input_kbps", "0.47");
        put(
            &mut m,
            "instantaneous_ops_per_sec",
            3 * sim.monitored.len() + 1,
        );
        put(&mut m, "instantaneous_output_kbps", "4.63");
        put(&mut m, "run_id", &sim.run_id);
        put(&mut m, "sentinel_masters", sim.monitored.len());
        put(&mut m, "sentinel_running_scripts", 0);
        put(&mut m, "sentinel_scripts_queue_length", 0);
        put(&mut m, "sentinel_simulate_failure_flags", 0);
        put(&mut m, "sentinel_tilt", 0);
        put(
            &mut m,
            "total_commands_processed",
            (now - sim.started).max(0) * 9,
        );
        put(
            &mut m,
            "total_net_input_bytes",
            (now - sim.started).max(0) * 600,
        );
        put(
            &mut m,
            "total_net_output_bytes",
            (now - sim.started).max(0) * 4000,
        );
        // Sentinel lists masters in its own (hash) order; newest first is close enough.
        for (n, (gid, master)) in sim.monitored.iter().rev().enumerate() {
            let status = if self.sdown(addr, master) {
                "sdown"
            } else {
                "ok"
            };
            put(
                &mut m,
                &format!("master{n}"),
                format!(
                    "name={}-{gid},status={status},address={master},slaves={},sentinels={}",
                    self.product,
                    self.replicas_of(master).len(),
                    self.sentinels_monitoring(*gid)
                ),
            );
        }
        m
    }

    /// What `SENTINEL MASTERS` / `SENTINEL SLAVES` report for this product's groups.
    pub(crate) fn sentinel_monitored(&self, addr: &str) -> MonitoredMap {
        let mut out = MonitoredMap::new();
        let Some(sim) = self.world.sentinels.get(addr) else {
            return out;
        };
        let flags = |role: &str, a: &str| {
            if self.is_down(a) {
                format!("s_down,{role},disconnected")
            } else if self.sdown(addr, a) {
                format!("s_down,{role}")
            } else {
                role.to_owned()
            }
        };
        let run_id = |a: &str| {
            self.world
                .servers
                .get(a)
                .map(|s| s.run_id.clone())
                .unwrap_or_default()
        };
        for (gid, master) in &sim.monitored {
            let name = format!("{}-{gid}", self.product);
            let replicas = self.replicas_of(master);
            let mut mm = InfoMap::new();
            put(&mut mm, "config-epoch", 0);
            put(&mut mm, "down-after-milliseconds", 30_000);
            put(&mut mm, "failover-timeout", 300_000);
            put(&mut mm, "flags", flags("master", master));
            put(&mut mm, "info-refresh", 6685);
            put(&mut mm, "ip", host_of(master));
            put(&mut mm, "last-ok-ping-reply", 239);
            put(&mut mm, "last-ping-reply", 239);
            put(&mut mm, "last-ping-sent", 0);
            put(&mut mm, "link-pending-commands", 0);
            put(&mut mm, "link-refcount", 1);
            put(&mut mm, "name", &name);
            put(
                &mut mm,
                "num-other-sentinels",
                self.sentinels_monitoring(*gid) - 1,
            );
            put(&mut mm, "num-slaves", replicas.len());
            put(&mut mm, "parallel-syncs", 1);
            put(&mut mm, "port", port_of(master));
            put(&mut mm, "quorum", 2);
            put(&mut mm, "role-reported", "master");
            put(&mut mm, "role-reported-time", 77_000);
            put(&mut mm, "runid", run_id(master));
            let slaves = replicas
                .iter()
                .map(|r| {
                    let mut s = InfoMap::new();
                    put(&mut s, "down-after-milliseconds", 30_000);
                    put(&mut s, "flags", flags("slave", r));
                    put(&mut s, "info-refresh", 6601);
                    put(&mut s, "ip", host_of(r));
                    put(&mut s, "last-ok-ping-reply", 239);
                    put(&mut s, "last-ping-reply", 239);
                    put(&mut s, "last-ping-sent", 0);
                    put(&mut s, "link-pending-commands", 0);
                    put(&mut s, "link-refcount", 1);
                    put(&mut s, "master-host", host_of(master));
                    put(&mut s, "master-link-down-time", 0);
                    put(&mut s, "master-link-status", "ok");
                    put(&mut s, "master-port", port_of(master));
                    put(&mut s, "name", r);
                    put(&mut s, "port", port_of(r));
                    put(&mut s, "role-reported", "slave");
                    put(&mut s, "role-reported-time", 76_947);
                    put(&mut s, "runid", run_id(r));
                    put(&mut s, "slave-priority", 100);
                    put(&mut s, "slave-repl-offset", 4_818_454);
                    s
                })
                .collect();
            out.insert(name, SentinelGroupInfo { master: mm, slaves });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::human;

    #[test]
    fn human_matches_redis() {
        assert_eq!(human(8_287_096), "7.90M");
        assert_eq!(human(1 << 30), "1.00G");
        assert_eq!(human(37_888), "37.00K");
        assert_eq!(human(12), "12B");
    }
}
