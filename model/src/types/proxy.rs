//! Proxy model, proxy samples and the proxy's own admin documents (codis-fe-spec.md §4.3.7, 4.3.10, 4.5).

use super::common::GoTime;
use super::Slot;
use crate::error::DashboardError;
use crate::go::{go_float, is_false, is_zero, null_as_default};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// A registered proxy (`stats.proxy.models[i]`, `/api/proxy/model`, `/proxy/model`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Proxy {
    /// Assigned by the dashboard (max + 1); omitted when 0, i.e. in the proxy's own model.
    #[serde(skip_serializing_if = "is_zero")]
    pub id: u64,
    /// 32 hex characters; the key of `stats.proxy.stats`.
    pub token: String,
    pub start_time: GoTime,
    pub admin_addr: String,
    /// `tcp4` by default; also `tcp`, `tcp6`, `unix`.
    pub proto_type: String,
    pub proxy_addr: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub jodis_path: String,
    pub product_name: String,
    pub pid: i64,
    pub pwd: String,
    pub sys: String,
    pub hostname: String,
    pub datacenter: String,
    /// Pika's Codis fork: the proxy's slot count (absent in Codis 3.2).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_slot_num: Option<u32>,
}

/// `stats.proxy.stats[token]`: one sample of a proxy taken by the dashboard.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ProxyStats {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stats: Option<ProxyStatsData>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<DashboardError>,
    /// Sample time, Unix seconds.
    #[serde(default)]
    pub unixtime: i64,
    /// No answer within 1 s.
    #[serde(default, skip_serializing_if = "is_false")]
    pub timeout: bool,
}

/// The proxy Stats object (`/api/proxy/stats/{x}[/flags]`, `/proxy/stats`, `ProxyStats::stats`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProxyStatsData {
    pub online: bool,
    pub closed: bool,
    pub sentinels: ProxySentinels,
    pub ops: ProxyOps,
    pub sessions: ProxySessions,
    pub rusage: ProxyRusage,
    pub backend: ProxyBackend,
    /// Only with stats flag bit 4 (never in the dashboard's samples).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runtime: Option<ProxyRuntime>,
    /// Pika's Codis fork: commands slower than `slowlog_log_slower_than` since start.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slow_cmd_count: Option<i64>,
}

/// `stats.sentinels` of a proxy: every field omitted when empty.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProxySentinels {
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub servers: Vec<String>,
    /// Group id (string) -> `ip:port` the sentinels report as master.
    #[serde(
        skip_serializing_if = "BTreeMap::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub masters: BTreeMap<String, String>,
    /// A backend was replaced by a sentinel-reported master (HA switched behind the dashboard).
    #[serde(skip_serializing_if = "is_false")]
    pub switched: bool,
}

/// `stats.ops`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProxyOps {
    pub total: i64,
    pub fails: i64,
    /// Redis error replies; the UI shows `rsp.errs` only when present.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redis: Option<ProxyRedisOps>,
    /// Commands completed in the last ~1 s.
    pub qps: i64,
    /// Per command, only with stats flag bit 1.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub cmd: Vec<ProxyCmdStats>,
}

/// `stats.ops.redis`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProxyRedisOps {
    pub errors: i64,
}

/// One entry of `stats.ops.cmd` (and of the fork's cmdinfo).
///
/// Pika's Codis fork adds per-interval latency figures (its `OpStats`), absent in Codis 3.2:
/// `interval` (s), `total_calls`/`total_usecs`/`qps` over that interval, `avg` and the
/// percentiles `tp*` in milliseconds (5 ms buckets), and the number of calls slower than each
/// `delay*` threshold. `max_delay` is sent but never filled by the fork (always 0): the largest
/// delay is `tp100`.
///
/// What the fork's real proxies send (`fixtures/pika-codis`): a row `ALL` (see
/// [`ProxyCmdStats::is_all_row`]) before the commands; `total_calls`/`total_usecs` are the
/// calls of the interval still open, so 0 in almost every answer; the interval figures are
/// recomputed and cleared every second and by every read (the dashboard reads each proxy every
/// second), so a spike shows in the 1 s figures of one read at most, and the longer intervals
/// rarely show it (`slow_cmd_count` counted 99 slow calls while no 60 s or 3600 s answer showed
/// one); `tp100` can be below `tp90`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProxyCmdStats {
    pub opstr: String,
    pub calls: i64,
    pub usecs: i64,
    pub usecs_percall: i64,
    pub fails: i64,
    pub redis_errtype: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_calls: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_usecs: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_delay: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qps: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub avg: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tp90: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tp99: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tp999: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tp9999: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tp100: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delay50ms: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delay100ms: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delay200ms: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delay300ms: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delay500ms: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delay1s: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delay2s: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delay3s: Option<i64>,
}

/// `opstr` of the row the fork's proxies add to `ops.cmd` and cmdinfo for all commands together.
pub const CMD_ALL: &str = "ALL";

impl ProxyCmdStats {
    /// The fork's `ALL` row: not a command. Its `calls` and `usecs` count every command
    /// twice (the fork's `Session.incrOpStats` adds to it twice), so it must not be summed
    /// with the commands; `usecs_percall` is right.
    pub fn is_all_row(&self) -> bool {
        self.opstr == CMD_ALL
    }
}

/// The intervals the fork's proxies keep latency figures for, in seconds
/// (`IntervalMark` in its `proxy/stats.go`); any other interval is answered with 1 s.
pub const CMDINFO_INTERVALS: [u32; 5] = [1, 10, 60, 600, 3600];

/// Pika's Codis fork: `GET /api/proxy/cmdinfo/{xauth}/{interval}` of a proxy.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CmdInfo {
    pub total: i64,
    pub fails: i64,
    pub redis: ProxyRedisOps,
    pub qps: i64,
    /// Sorted by command name (`ALL` first); omitted when the proxy has served no command.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub cmd: Vec<ProxyCmdStats>,
}

impl CmdInfo {
    /// The commands, without the fork's `ALL` row.
    pub fn commands(&self) -> impl Iterator<Item = &ProxyCmdStats> {
        self.cmd.iter().filter(|c| !c.is_all_row())
    }

    /// The fork's `ALL` row, if sent.
    pub fn all_row(&self) -> Option<&ProxyCmdStats> {
        self.cmd.iter().find(|c| c.is_all_row())
    }
}

/// `stats.sessions`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProxySessions {
    /// Accepted since start or reset.
    pub total: i64,
    pub alive: i64,
}

/// `stats.rusage`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProxyRusage {
    pub now: GoTime,
    /// Cores used over the last second.
    #[serde(with = "go_float")]
    pub cpu: f64,
    /// RSS bytes.
    pub mem: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub raw: Option<ProxyRusageRaw>,
}

/// `stats.rusage.raw` (times in nanoseconds).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProxyRusageRaw {
    pub utime: i64,
    pub stime: i64,
    pub cutime: i64,
    pub cstime: i64,
    pub num_threads: i64,
    pub vm_size: i64,
    pub vm_rss: i64,
}

/// `stats.backend`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProxyBackend {
    /// The proxy never reads from replicas.
    pub primary_only: bool,
}

/// `stats.runtime` (Go runtime numbers).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProxyRuntime {
    pub general: ProxyRuntimeGeneral,
    pub heap: ProxyRuntimeHeap,
    pub gc: ProxyRuntimeGc,
    pub num_procs: i64,
    pub num_goroutines: i64,
    pub num_cgo_call: i64,
    pub mem_offheap: i64,
}

/// `stats.runtime.general`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProxyRuntimeGeneral {
    pub alloc: i64,
    pub sys: i64,
    pub lookups: i64,
    pub mallocs: i64,
    pub frees: i64,
}

/// `stats.runtime.heap`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProxyRuntimeHeap {
    pub alloc: i64,
    pub sys: i64,
    pub idle: i64,
    pub inuse: i64,
    pub objects: i64,
}

/// `stats.runtime.gc`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProxyRuntimeGc {
    pub num: i64,
    #[serde(with = "go_float")]
    pub cpu_fraction: f64,
    pub total_pausems: i64,
}

/// The proxy's own overview, `GET <proxy admin>/proxy`.
///
/// `config` is the proxy's wide configuration (about 40 fields, not used by the console), kept as
/// a JSON map so no field is lost.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProxyOverview {
    pub version: String,
    pub compile: String,
    pub config: BTreeMap<String, Value>,
    pub model: Proxy,
    pub stats: ProxyStatsData,
    #[serde(deserialize_with = "null_as_default")]
    pub slots: Vec<Slot>,
}
