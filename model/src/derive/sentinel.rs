//! The sentinels section (codis-fe-spec.md §2.7, `processSentinels`).

use super::group::GroupView;
use super::info::{js_parse_int, kv_pairs};
use super::status::{redis_health, Health};
use crate::format::js_to_fixed2;
use crate::types::{InfoMap, RedisStats, Stats};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The sentinels table and the flags around it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SentinelsView {
    /// One row per configured sentinel (`sentinels.model.servers` order).
    pub rows: Vec<SentinelRow>,
    /// Sentinels need a resync (red SYNC button, "(OUT OF SYNC)").
    pub out_of_sync: bool,
    /// Group id (string) -> master `ip:port` as reported by a sentinel majority.
    pub masters: BTreeMap<String, String>,
}

/// One sentinel.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SentinelRow {
    pub server: String,
    pub status: Health,
    /// Error cause when `status` is `Error`.
    pub error: Option<String>,
    /// This product's masters the sentinel monitors.
    pub masters: u32,
    /// Of those, not `status=ok`.
    pub masters_down: u32,
    /// Σ replicas over those masters.
    pub slaves: u32,
    /// Σ sentinels over those masters.
    pub sentinels: u32,
    /// `masters=<n>,down=<n>,slaves=<avg>,sentinels=<avg>` (averages with 2 decimals) when
    /// healthy, otherwise `""`.
    pub status_text: String,
    /// Every run-id mismatch between this sentinel's view and the servers' INFO, e.g.
    /// `[+]group=1,server=10.0.0.2:6379,runid=ab12` (sentinel knows a server the group does not)
    /// or `[-]group=1,server=10.0.0.1:6379,runid=cd34` (the group has a server the sentinel does
    /// not know). codis-fe kept only the last one (codis-fe-spec.md §7.12); all are kept here.
    pub runid_errors: Vec<String>,
}

/// Builds the sentinel rows. `groups` are the group views of the same `stats` (their `runids`
/// are compared with what each sentinel reports); `product` is the product name.
pub fn sentinel_views(stats: &Stats, groups: &[GroupView], product: &str) -> SentinelsView {
    let ha = &stats.sentinels;
    let rows = ha
        .model
        .servers
        .iter()
        .map(|addr| sentinel_row(addr, ha.stats.get(addr), groups, product))
        .collect();
    SentinelsView {
        rows,
        out_of_sync: ha.model.out_of_sync,
        masters: ha.masters.clone(),
    }
}

/// Whether a sentinel master name is one of this product's groups: `<product>-<gid>` with a
/// decimal gid, the same filter the dashboard applies to its `sentinel` maps.
///
/// codis-fe tested `name.lastIndexOf(product) == 0 && name.lastIndexOf("-") == product.length`,
/// which wrongly rejects a name whose gid repeats the product (product `1`, name `1-1`) and
/// accepts `<product>-<anything without '-'>`. The explicit form has neither problem and agrees
/// with codis-fe on every name Codis itself creates.
pub fn is_product_master_name(name: &str, product: &str) -> bool {
    name.strip_prefix(product)
        .and_then(|rest| rest.strip_prefix('-'))
        .is_some_and(|gid| !gid.is_empty() && gid.bytes().all(|b| b.is_ascii_digit()))
}

fn sentinel_row(
    addr: &str,
    sample: Option<&RedisStats>,
    groups: &[GroupView],
    product: &str,
) -> SentinelRow {
    let status = redis_health(sample);
    let mut row = SentinelRow {
        server: addr.to_owned(),
        status,
        error: sample
            .filter(|s| !s.timeout)
            .and_then(|s| s.error.as_ref())
            .map(|e| e.cause.clone()),
        ..SentinelRow::default()
    };
    let Some(s) = sample.filter(|_| status == Health::Healthy) else {
        return row;
    };
    count_masters(&mut row, &s.stats, product);
    row.status_text = format!(
        "masters={},down={},slaves={},sentinels={}",
        row.masters,
        row.masters_down,
        average(row.slaves, row.masters),
        average(row.sentinels, row.masters)
    );
    if !s.sentinel.is_empty() {
        row.runid_errors = runid_errors(s, groups, product);
    }
    row
}

/// Reads `sentinel_masters` and `master0..master<n-1>` of the sentinel INFO.
fn count_masters(row: &mut SentinelRow, info: &InfoMap, product: &str) {
    let n = info
        .get("sentinel_masters")
        .and_then(|v| js_parse_int(v))
        .unwrap_or(0)
        .clamp(0, 100_000);
    for k in 0..n {
        let Some(record) = info.get(&format!("master{k}")) else {
            continue;
        };
        let fields: BTreeMap<&str, &str> = kv_pairs(record).collect();
        let Some(name) = fields.get("name") else {
            continue;
        };
        if !is_product_master_name(name, product) {
            continue;
        }
        row.masters += 1;
        if fields.get("status").copied() != Some("ok") {
            row.masters_down += 1;
        }
        let count = |key: &str| {
            fields
                .get(key)
                .and_then(|v| js_parse_int(v))
                .and_then(|v| u32::try_from(v).ok())
                .unwrap_or(0)
        };
        row.slaves = row.slaves.saturating_add(count("slaves"));
        row.sentinels = row.sentinels.saturating_add(count("sentinels"));
    }
}

/// `sum / masters` with `toFixed(2)`; `0.00` when the sum is 0.
fn average(sum: u32, masters: u32) -> String {
    if sum == 0 || masters == 0 {
        js_to_fixed2(0.0)
    } else {
        js_to_fixed2(f64::from(sum) / f64::from(masters))
    }
}

/// Compares, per group, the run ids the sentinel reports (master and replicas) with the run ids
/// of the group's servers.
fn runid_errors(s: &RedisStats, groups: &[GroupView], product: &str) -> Vec<String> {
    let mut errors = Vec::new();
    for g in groups {
        let mut reported: BTreeMap<&str, String> = BTreeMap::new();
        if let Some(d) = s.sentinel.get(&format!("{product}-{}", g.id)) {
            for o in std::iter::once(&d.master).chain(d.slaves.iter()) {
                let runid = o.get("runid").map(String::as_str).unwrap_or("");
                let ip = o.get("ip").map(String::as_str).unwrap_or("");
                let port = o.get("port").map(String::as_str).unwrap_or("");
                reported.insert(runid, format!("{ip}:{port}"));
            }
        }
        for (runid, server) in &reported {
            if !g.runids.contains_key(*runid) {
                let shown = if runid.is_empty() { "NA" } else { runid };
                errors.push(format!("[+]group={},server={server},runid={shown}", g.id));
            }
        }
        for (runid, server) in &g.runids {
            if !reported.contains_key(runid.as_str()) {
                errors.push(format!("[-]group={},server={server},runid={runid}", g.id));
            }
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn product_master_names_are_product_dash_gid() {
        assert!(is_product_master_name("codis-demo-1", "codis-demo"));
        assert!(is_product_master_name("codis-demo-9999", "codis-demo"));
        assert!(!is_product_master_name("codis-demo-", "codis-demo"));
        assert!(!is_product_master_name("codis-demo-x", "codis-demo"));
        assert!(!is_product_master_name("codis-demo-beta-1", "codis-demo"));
        assert!(!is_product_master_name("codis-beta-1", "codis-demo"));
        assert!(!is_product_master_name("codis-demo-1", "codis"));
        // codis-fe's lastIndexOf test rejected this one.
        assert!(is_product_master_name("1-1", "1"));
    }
}
