//! Proxy table rows (codis-fe-spec.md §2.4, `processProxyStats`).

use super::status::{proxy_health, Health};
use crate::types::{ProxyStatsData, Stats};
use serde::{Deserialize, Serialize};

/// One row of the proxy table, in `stats.proxy.models` order (ascending id).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ProxyRow {
    pub id: u64,
    pub token: String,
    pub proxy_addr: String,
    pub admin_addr: String,
    pub datacenter: String,
    /// Wall-clock start time (monotonic suffix removed).
    pub start_time: String,
    pub status: Health,
    /// The sample's error cause when `status` is `Error` (never the stack).
    pub error: Option<String>,
    /// `total=<n>,alive=<n>` when healthy, otherwise `NA`.
    pub sessions_text: String,
    /// `total=<n>,fails=<n>[,rsp.errs=<n>],qps=<n>` when healthy, otherwise `NA`.
    pub commands_text: String,
    /// The numbers, whenever the sample has data (also for a proxy that is not online yet).
    pub numbers: Option<ProxyNumbers>,
    /// A sentinel switched a backend behind the dashboard's back (red address, red SYNC).
    pub switched: bool,
    /// The proxy never reads from replicas ("S" link shown dark red in codis-fe).
    pub primary_only: bool,
    /// Which SYNC (reinit) button codis-fe showed.
    pub resync: ResyncHint,
    /// Pika's Codis fork: commands slower than the proxy's slow-log threshold since it started
    /// (`slow_cmd_count`); `None` on Codis 3.2. Outside [`ProxyNumbers`]: it changes rarely, so
    /// a change sends the row whole rather than a new column in every update.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slow_cmds: Option<i64>,
}

/// Counters of a proxy sample.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ProxyNumbers {
    pub online: bool,
    pub qps: i64,
    pub ops_total: i64,
    pub ops_fails: i64,
    /// Absent when the proxy does not report `ops.redis`.
    pub redis_errors: Option<i64>,
    pub sessions_total: i64,
    pub sessions_alive: i64,
    /// Cores used over the last second.
    pub cpu: f64,
    /// RSS bytes.
    pub mem: i64,
}

/// codis-fe's SYNC (reinit proxy) button in the proxy row.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResyncHint {
    /// Green: healthy and not switched.
    InSync,
    /// Red: pending or switched; a reinit is advised.
    Needed,
    /// No button: timeout or error (unreachable proxy).
    #[default]
    Unavailable,
}

/// Builds the proxy rows from `stats.proxy.models` and their samples.
pub fn proxy_rows(stats: &Stats) -> Vec<ProxyRow> {
    stats
        .proxy
        .models
        .iter()
        .map(|p| {
            let sample = stats.proxy_sample(&p.token);
            let status = proxy_health(sample);
            let data = sample
                .filter(|s| !s.timeout && s.error.is_none())
                .and_then(|s| s.stats.as_ref());
            let switched = data.is_some_and(|d| d.sentinels.switched);
            let healthy = status == Health::Healthy;
            let numbers = data.map(numbers);
            let (sessions_text, commands_text) = match &numbers {
                Some(n) if healthy => (n.sessions_text(), n.commands_text()),
                _ => ("NA".to_owned(), "NA".to_owned()),
            };
            let resync = if status == Health::Pending || switched {
                ResyncHint::Needed
            } else if healthy {
                ResyncHint::InSync
            } else {
                ResyncHint::Unavailable
            };
            ProxyRow {
                id: p.id,
                token: p.token.clone(),
                proxy_addr: p.proxy_addr.clone(),
                admin_addr: p.admin_addr.clone(),
                datacenter: p.datacenter.clone(),
                start_time: p.start_time.wall_clock().to_owned(),
                status,
                error: sample
                    .filter(|s| !s.timeout)
                    .and_then(|s| s.error.as_ref())
                    .map(|e| e.cause.clone()),
                sessions_text,
                commands_text,
                numbers,
                switched,
                primary_only: data.is_some_and(|d| d.backend.primary_only),
                resync,
                slow_cmds: data.and_then(|d| d.slow_cmd_count),
            }
        })
        .collect()
}

impl ProxyNumbers {
    /// `total=<n>,alive=<n>`, codis-fe's Sessions cell.
    pub fn sessions_text(&self) -> String {
        format!(
            "total={},alive={}",
            self.sessions_total, self.sessions_alive
        )
    }

    /// `total=<n>,fails=<n>[,rsp.errs=<n>],qps=<n>`, codis-fe's Commands cell.
    pub fn commands_text(&self) -> String {
        let mut s = format!("total={},fails={}", self.ops_total, self.ops_fails);
        if let Some(errors) = self.redis_errors {
            s.push_str(&format!(",rsp.errs={errors}"));
        }
        s.push_str(&format!(",qps={}", self.qps));
        s
    }
}

impl ProxyRow {
    /// Replaces the counters and the texts made from them, exactly as [`proxy_rows`] makes them
    /// (texts only for a healthy proxy). The live stream sends only the counters of a row in which
    /// nothing else changed; the browser rebuilds the row with this.
    pub fn set_numbers(&mut self, n: ProxyNumbers) {
        if self.status == Health::Healthy {
            self.sessions_text = n.sessions_text();
            self.commands_text = n.commands_text();
        }
        self.numbers = Some(n);
    }
}

fn numbers(d: &ProxyStatsData) -> ProxyNumbers {
    ProxyNumbers {
        online: d.online,
        qps: d.ops.qps,
        ops_total: d.ops.total,
        ops_fails: d.ops.fails,
        redis_errors: d.ops.redis.as_ref().map(|r| r.errors),
        sessions_total: d.sessions.total,
        sessions_alive: d.sessions.alive,
        // 0.01 % of a core is finer than anything shown; the proxy's full-precision float would
        // be ~16 fresh digits per proxy per second on the live stream.
        cpu: (d.rusage.cpu * 1e4).round() / 1e4,
        mem: d.rusage.mem,
    }
}
