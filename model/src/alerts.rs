//! Alert rules over the derived health (issue 16, item 3).
//!
//! The backend evaluates these once per fleet tick, for every product, from the same
//! [`LiveView`] the pages show (debounced health: a flaky item never alerts) and the fleet row
//! ([`FleetRow`]: reachability, migration). Two pure steps, no clock:
//!
//! 1. [`findings`]: what is wrong in one sample (one [`Finding`] per rule and item);
//! 2. [`step`]: the alerts' lifecycle from the previous alerts, the findings and `now`:
//!    a finding is `pending`, `firing` once it held for the rule's `for`, and `resolved` when it
//!    is gone; resolved alerts are kept a while for the console's "recently resolved".
//!
//! Thresholds and `for` durations are [`Rules`] (defaults here; the backend reads overrides
//! from `--alerts=FILE`). After a restart nothing is remembered: every alert starts again as
//! pending ("re-evaluated"), never as a stale `firing`.

use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};

use crate::fleet::{replica_link_down, FleetRow};
use crate::live::{LiveState, LiveView};

/// Every rule, by the name used in the alerts file, `/metrics` and the API.
pub const RULES: &[&str] = &[
    DASHBOARD_UNREACHABLE,
    DISCOVERY_STALE,
    PROXY_DOWN,
    SERVER_DOWN,
    REPLICA_LINK_DOWN,
    GROUP_OUT_OF_SYNC,
    SENTINEL_DOWN,
    SENTINEL_OUT_OF_SYNC,
    MIGRATION_STUCK,
    SLOT_ACTIONS_DISABLED,
    MEMORY_HIGH,
    ERROR_RATE_HIGH,
    QPS_DROP,
];
pub const DASHBOARD_UNREACHABLE: &str = "dashboard_unreachable";
pub const DISCOVERY_STALE: &str = "discovery_stale";
pub const PROXY_DOWN: &str = "proxy_down";
pub const SERVER_DOWN: &str = "server_down";
pub const REPLICA_LINK_DOWN: &str = "replica_link_down";
pub const GROUP_OUT_OF_SYNC: &str = "group_out_of_sync";
pub const SENTINEL_DOWN: &str = "sentinel_down";
pub const SENTINEL_OUT_OF_SYNC: &str = "sentinel_out_of_sync";
pub const MIGRATION_STUCK: &str = "migration_stuck";
pub const SLOT_ACTIONS_DISABLED: &str = "slot_actions_disabled";
pub const MEMORY_HIGH: &str = "memory_high";
pub const ERROR_RATE_HIGH: &str = "error_rate_high";
pub const QPS_DROP: &str = "qps_drop";

/// One rule's settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    #[serde(default = "yes")]
    pub enabled: bool,
    /// How long the condition must hold before the alert fires, seconds.
    #[serde(rename = "for")]
    pub for_secs: u64,
    /// The rule's threshold, where it has one: a share of maxmemory (0-1) for `memory_high`, a
    /// share of failed commands (0-1) for `error_rate_high`, a drop (0-1) against the 10-minute
    /// baseline for `qps_drop`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
    /// `qps_drop` only: the baseline below which a drop is not alarming (an idle cluster).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_qps: Option<f64>,
    /// `critical` or `warning` (the `severity` label sent to Alertmanager and webhooks).
    #[serde(default = "warning")]
    pub severity: String,
}

fn yes() -> bool {
    true
}

fn warning() -> String {
    "warning".into()
}

impl Rule {
    fn new(for_secs: u64, severity: &str) -> Rule {
        Rule {
            enabled: true,
            for_secs,
            threshold: None,
            min_qps: None,
            severity: severity.into(),
        }
    }

    fn with_threshold(mut self, t: f64) -> Rule {
        self.threshold = Some(t);
        self
    }
}

/// The settings of every rule for one product.
pub type Rules = BTreeMap<String, Rule>;

/// The defaults: `for` long enough that a restart or a promotion in progress does not page
/// anyone, thresholds an operator would pick first.
pub fn default_rules() -> Rules {
    let mut r = Rules::new();
    let mut put = |name: &str, rule: Rule| {
        r.insert(name.to_string(), rule);
    };
    put(DASHBOARD_UNREACHABLE, Rule::new(60, "critical"));
    put(DISCOVERY_STALE, Rule::new(120, "warning"));
    put(PROXY_DOWN, Rule::new(60, "critical"));
    put(SERVER_DOWN, Rule::new(60, "critical"));
    put(REPLICA_LINK_DOWN, Rule::new(60, "warning"));
    put(GROUP_OUT_OF_SYNC, Rule::new(120, "warning"));
    put(SENTINEL_DOWN, Rule::new(120, "warning"));
    put(SENTINEL_OUT_OF_SYNC, Rule::new(120, "warning"));
    put(MIGRATION_STUCK, Rule::new(0, "warning"));
    put(SLOT_ACTIONS_DISABLED, Rule::new(600, "warning"));
    put(MEMORY_HIGH, Rule::new(300, "warning").with_threshold(0.9));
    put(
        ERROR_RATE_HIGH,
        Rule::new(120, "warning").with_threshold(0.01),
    );
    let mut qps = Rule::new(300, "warning").with_threshold(0.5);
    qps.min_qps = Some(100.0);
    put(QPS_DROP, qps);
    r
}

/// Checks a rule's values: the error names the field and the rule.
pub fn check_rule(name: &str, rule: &Rule) -> Result<(), String> {
    if !RULES.contains(&name) {
        return Err(format!(
            "rules.{name}: unknown rule (known: {})",
            RULES.join(", ")
        ));
    }
    if rule.for_secs > 86_400 {
        return Err(format!(
            "rules.{name}.for: must be between 0 and 86400 seconds"
        ));
    }
    if !["critical", "warning", "info"].contains(&rule.severity.as_str()) {
        return Err(format!(
            "rules.{name}.severity: must be critical, warning or info"
        ));
    }
    let needs = [MEMORY_HIGH, ERROR_RATE_HIGH, QPS_DROP].contains(&name);
    match rule.threshold {
        Some(t) if !needs => {
            let _ = t;
            return Err(format!(
                "rules.{name}.threshold: this rule has no threshold"
            ));
        }
        Some(t) if !(t > 0.0 && t <= 1.0) => {
            return Err(format!(
                "rules.{name}.threshold: must be a share greater than 0 and at most 1 (0.9 = 90 %)"
            ));
        }
        None if needs => return Err(format!("rules.{name}.threshold: required")),
        _ => {}
    }
    if let Some(m) = rule.min_qps {
        if name != QPS_DROP {
            return Err(format!("rules.{name}.min_qps: only qps_drop has it"));
        }
        if !(m.is_finite() && m >= 0.0) {
            return Err(format!("rules.{name}.min_qps: must be 0 or more"));
        }
    }
    Ok(())
}

/// Something wrong in one sample.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    pub rule: &'static str,
    /// The item (proxy token, server address, group id), or empty for the product itself.
    pub item: String,
    /// Labels besides `product` and `alert` (`proxy`, `server`, `group`, ...).
    pub labels: BTreeMap<String, String>,
    /// One line for a person, in English (Alertmanager, webhooks, the log).
    pub summary: String,
    /// What the summary says besides the labels (a state, a count, a percentage), by name, for
    /// the console to word the summary in the viewer's language ([`Alert::args`]).
    pub args: BTreeMap<String, String>,
}

impl Finding {
    fn with(mut self, args: &[(&str, String)]) -> Finding {
        self.args = named(args);
        self
    }
}

/// `(name, value)` pairs as the map labels and args are kept in.
fn named(pairs: &[(&str, String)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

fn finding(rule: &'static str, item: &str, labels: &[(&str, String)], summary: String) -> Finding {
    Finding {
        rule,
        item: item.to_string(),
        labels: named(labels),
        summary,
        args: BTreeMap::new(),
    }
}

/// What the rules need besides the sample.
#[derive(Clone, Debug, Default)]
pub struct Context {
    /// Discovery's latest load failed and the product list is the last good one.
    pub discovery_stale: bool,
    /// Share of failed commands since the previous sample, when known.
    pub error_rate: Option<f64>,
    /// The product's mean QPS over the last 10 minutes, when 10 minutes are known.
    pub qps_baseline: Option<f64>,
}

/// What is wrong in `view` (with its fleet `row`) under `rules`.
///
/// A dashboard that does not answer alerts as that alone: the rest of its last sample is old,
/// and re-alerting on it would be a false alarm (issue 16: "a failing dashboard degrades to a
/// visible status, never a false alarm").
pub fn findings(view: &LiveView, row: &FleetRow, ctx: &Context, rules: &Rules) -> Vec<Finding> {
    let on = |name: &str| rules.get(name).filter(|r| r.enabled);
    let mut out = Vec::new();
    if on(DISCOVERY_STALE).is_some() && ctx.discovery_stale {
        out.push(finding(
            DISCOVERY_STALE,
            "",
            &[],
            "discovery's latest load failed: the product list is the last good one".into(),
        ));
    }
    match view.status.state {
        LiveState::Unreachable | LiveState::Waiting => {
            if on(DASHBOARD_UNREACHABLE).is_some() {
                let why = view.status.message.clone().unwrap_or_default();
                // The live status's cause, which the console words (`cause.*`).
                let cause = view
                    .status
                    .cause
                    .as_ref()
                    .and_then(|c| serde_json::to_string(c).ok());
                out.push(
                    finding(
                        DASHBOARD_UNREACHABLE,
                        "",
                        &[],
                        format!("the dashboard does not answer: {why}"),
                    )
                    .with(&cause.map(|c| [("cause", c)]).unwrap_or_default()),
                );
            }
            return out;
        }
        LiveState::Connecting => return out,
        LiveState::Live | LiveState::Stale => {}
    }
    let v = &view.view;
    if on(PROXY_DOWN).is_some() {
        for p in v.proxies.iter().filter(|p| p.status.is_alarm()) {
            let mut args = vec![("status", p.status.label().to_string())];
            args.extend(p.error.clone().map(|e| ("error", e)));
            out.push(
                finding(
                    PROXY_DOWN,
                    &p.token,
                    &[("proxy", p.proxy_addr.clone()), ("token", p.token.clone())],
                    format!(
                        "proxy {} is {}{}",
                        p.proxy_addr,
                        p.status.label(),
                        p.error
                            .as_deref()
                            .map(|e| format!(": {e}"))
                            .unwrap_or_default()
                    ),
                )
                .with(&args),
            );
        }
    }
    for g in &v.groups {
        for s in &g.servers {
            let labels = [("group", g.id.to_string()), ("server", s.server.clone())];
            if on(SERVER_DOWN).is_some() && s.status.is_alarm() {
                out.push(
                    finding(
                        SERVER_DOWN,
                        &s.server,
                        &labels,
                        format!(
                            "codis-server {} (group {}) is {}",
                            s.server,
                            g.id,
                            s.status.label()
                        ),
                    )
                    .with(&[("status", s.status.label().to_string())]),
                );
            }
            if on(REPLICA_LINK_DOWN).is_some() && replica_link_down(s) {
                out.push(
                    finding(
                        REPLICA_LINK_DOWN,
                        &s.server,
                        &labels,
                        format!(
                            "replica {} (group {}) has lost its master link ({})",
                            s.server, g.id, s.master
                        ),
                    )
                    .with(&[("master", s.master.clone())]),
                );
            }
            if let (Some(rule), Some(mem), Some(max)) = (on(MEMORY_HIGH), s.memory, s.maxmemory) {
                let share = rule.threshold.unwrap_or(1.0);
                if max > 0 && mem as f64 > share * max as f64 {
                    let percent = format!("{:.0}", mem as f64 * 100.0 / max as f64);
                    out.push(
                        finding(
                            MEMORY_HIGH,
                            &s.server,
                            &labels,
                            format!(
                                "codis-server {} uses {percent} % of its maxmemory",
                                s.server
                            ),
                        )
                        .with(&[("percent", percent)]),
                    );
                }
            }
        }
        if on(GROUP_OUT_OF_SYNC).is_some() && (g.out_of_sync || g.real_master_index().is_some()) {
            let (why, id) = if g.out_of_sync {
                ("needs a resync", "resync")
            } else {
                (
                    "its sentinels report another master than the group's first server",
                    "other_master",
                )
            };
            out.push(
                finding(
                    GROUP_OUT_OF_SYNC,
                    &g.id.to_string(),
                    &[("group", g.id.to_string())],
                    format!("group {} {why}", g.id),
                )
                .with(&[("why", id.to_string())]),
            );
        }
    }
    if on(SENTINEL_DOWN).is_some() {
        for s in v.sentinels.rows.iter().filter(|s| s.status.is_alarm()) {
            out.push(
                finding(
                    SENTINEL_DOWN,
                    &s.server,
                    &[("sentinel", s.server.clone())],
                    format!("sentinel {} is {}", s.server, s.status.label()),
                )
                .with(&[("status", s.status.label().to_string())]),
            );
        }
    }
    if on(SENTINEL_OUT_OF_SYNC).is_some() && v.sentinels.out_of_sync {
        out.push(finding(
            SENTINEL_OUT_OF_SYNC,
            "",
            &[],
            "the sentinels need a resync".into(),
        ));
    }
    if on(MIGRATION_STUCK).is_some() && row.migration.stuck {
        out.push(
            finding(
                MIGRATION_STUCK,
                "",
                &[],
                format!(
                    "slot migration has made no progress ({} slots queued)",
                    row.migration.queued
                ),
            )
            .with(&[("queued", row.migration.queued.to_string())]),
        );
    }
    let pending = v.slots.action_counts.pending;
    if on(SLOT_ACTIONS_DISABLED).is_some() && v.slots.disabled && pending > 0 {
        out.push(
            finding(
                SLOT_ACTIONS_DISABLED,
                "",
                &[],
                format!("slot actions are disabled with {pending} pending"),
            )
            .with(&[("pending", pending.to_string())]),
        );
    }
    if let (Some(rule), Some(rate)) = (on(ERROR_RATE_HIGH), ctx.error_rate) {
        if rate > rule.threshold.unwrap_or(1.0) {
            let percent = format!("{:.2}", rate * 100.0);
            out.push(
                finding(
                    ERROR_RATE_HIGH,
                    "",
                    &[],
                    format!("{percent} % of commands fail at the proxies"),
                )
                .with(&[("percent", percent)]),
            );
        }
    }
    if let (Some(rule), Some(base)) = (on(QPS_DROP), ctx.qps_baseline) {
        let drop = rule.threshold.unwrap_or(1.0);
        let now = v.totals.qps as f64;
        if base >= rule.min_qps.unwrap_or(0.0) && base > 0.0 && now < base * (1.0 - drop) {
            let (qps, percent, mean) = (
                format!("{now:.0}"),
                format!("{:.0}", (1.0 - now / base) * 100.0),
                format!("{base:.0}"),
            );
            out.push(
                finding(
                    QPS_DROP,
                    "",
                    &[],
                    format!("QPS {qps} is {percent} % below its 10-minute mean {mean}"),
                )
                .with(&[("qps", qps), ("percent", percent), ("mean", mean)]),
            );
        }
    }
    out
}

/// Where an alert is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AlertState {
    /// The condition holds, not yet for the rule's `for`.
    Pending,
    Firing,
    /// The condition no longer holds (kept a while as "recently resolved").
    Resolved,
}

/// One alert: a rule on one item of one product.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Alert {
    pub product: String,
    pub rule: String,
    pub item: String,
    pub labels: BTreeMap<String, String>,
    pub severity: String,
    /// One line for a person, in English (Alertmanager, webhooks, the log, older consoles).
    pub summary: String,
    /// What the summary says besides the labels, by name (`status`: a health label such as
    /// `ERROR`; `queued`, `pending`: counts; `percent`; `master`: a replica's master and link;
    /// `why`: `resync` or `other_master`; `cause`: the live status's cause id as JSON), for the
    /// console to word the summary in the viewer's language. Absent from older backends.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub args: BTreeMap<String, String>,
    pub state: AlertState,
    /// When the condition was first seen (Unix ms).
    pub active_since_ms: u64,
    /// When it started firing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub firing_since_ms: Option<u64>,
    /// When it resolved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_ms: Option<u64>,
}

impl Alert {
    /// The alert's identity: product, rule, item.
    pub fn key(&self) -> (String, String, String) {
        (self.product.clone(), self.rule.clone(), self.item.clone())
    }
}

/// A change worth telling someone about.
#[derive(Clone, Debug, PartialEq)]
pub enum Transition {
    Fired(Alert),
    Resolved(Alert),
}

/// Alerts of one product, keyed by (rule, item).
pub type ProductAlerts = BTreeMap<(String, String), Alert>;

/// How long resolved alerts are kept for "recently resolved".
pub const KEEP_RESOLVED_MS: u64 = 3_600_000;

/// The next state of `product`'s alerts given this sample's `findings` at `now_ms`.
///
/// A pending alert whose finding goes away is dropped (it never fired: nobody was told); a
/// firing one becomes resolved. Resolved alerts are forgotten after [`KEEP_RESOLVED_MS`]; one
/// whose finding comes back starts again as pending.
pub fn step(
    product: &str,
    prev: &ProductAlerts,
    findings: &[Finding],
    rules: &Rules,
    now_ms: u64,
) -> (ProductAlerts, Vec<Transition>) {
    let mut next = ProductAlerts::new();
    let mut changes = Vec::new();
    for f in findings {
        let key = (f.rule.to_string(), f.item.clone());
        if next.contains_key(&key) {
            continue;
        }
        let rule = rules.get(f.rule);
        let for_ms = rule.map_or(0, |r| r.for_secs.saturating_mul(1000));
        let mut a = match prev.get(&key) {
            Some(a) if a.state != AlertState::Resolved => a.clone(),
            _ => Alert {
                product: product.to_string(),
                rule: f.rule.to_string(),
                item: f.item.clone(),
                labels: BTreeMap::new(),
                severity: String::new(),
                summary: String::new(),
                args: BTreeMap::new(),
                state: AlertState::Pending,
                active_since_ms: now_ms,
                firing_since_ms: None,
                resolved_ms: None,
            },
        };
        a.labels = f.labels.clone();
        a.summary = f.summary.clone();
        a.args = f.args.clone();
        a.severity = rule.map_or_else(warning, |r| r.severity.clone());
        if a.state == AlertState::Pending && now_ms.saturating_sub(a.active_since_ms) >= for_ms {
            a.state = AlertState::Firing;
            a.firing_since_ms = Some(now_ms);
            changes.push(Transition::Fired(a.clone()));
        }
        next.insert(key, a);
    }
    for (key, a) in prev {
        if next.contains_key(key) {
            continue;
        }
        match a.state {
            AlertState::Firing => {
                let mut r = a.clone();
                r.state = AlertState::Resolved;
                r.resolved_ms = Some(now_ms);
                changes.push(Transition::Resolved(r.clone()));
                next.insert(key.clone(), r);
            }
            AlertState::Resolved
                if now_ms.saturating_sub(a.resolved_ms.unwrap_or(0)) < KEEP_RESOLVED_MS =>
            {
                next.insert(key.clone(), a.clone());
            }
            _ => {}
        }
    }
    (next, changes)
}

/// A product's mean QPS over the last 10 minutes, for `qps_drop`.
#[derive(Clone, Debug, Default)]
pub struct QpsBaseline {
    points: VecDeque<(u64, f64)>,
}

/// The baseline's window.
pub const BASELINE_MS: u64 = 600_000;

impl QpsBaseline {
    /// The mean over the 10 minutes before `now_ms` (the current sample excluded, so a sudden
    /// drop is compared with what came before), once at least 9 of those minutes are known (a
    /// restart gives no baseline for a while: no false alarm); then records `qps`.
    pub fn observe(&mut self, qps: f64, now_ms: u64) -> Option<f64> {
        while self
            .points
            .front()
            .is_some_and(|(t, _)| now_ms.saturating_sub(*t) > BASELINE_MS)
        {
            self.points.pop_front();
        }
        let full = self
            .points
            .front()
            .is_some_and(|(t, _)| now_ms.saturating_sub(*t) >= BASELINE_MS * 9 / 10);
        let mean = (full && !self.points.is_empty())
            .then(|| self.points.iter().map(|(_, q)| q).sum::<f64>() / self.points.len() as f64);
        self.points.push_back((now_ms, qps));
        mean
    }
}

/// Share of failed commands between two samples' proxy counters `(ops_total, ops_fails)`
/// summed over proxies; `None` without traffic or after a counter reset.
pub fn error_rate(prev: (i64, i64), now: (i64, i64)) -> Option<f64> {
    let ops = now.0.checked_sub(prev.0).filter(|d| *d > 0)?;
    let fails = now.1.checked_sub(prev.1).filter(|d| *d >= 0)?;
    Some(fails as f64 / ops as f64)
}

/// `(Σ ops_total, Σ ops_fails)` over the proxies with counters.
pub fn ops_counters(view: &LiveView) -> (i64, i64) {
    view.view
        .proxies
        .iter()
        .filter_map(|p| p.numbers.as_ref())
        .fold((0, 0), |(t, f), n| {
            (t.saturating_add(n.ops_total), f.saturating_add(n.ops_fails))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::derive::Health;
    use crate::fleet::MigrationStatus;
    use crate::live::{DashboardInfo, LiveStatus};
    use crate::types::Stats;

    fn live(name: &str) -> LiveView {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/codis-3.2");
        let text = std::fs::read_to_string(format!("{dir}/{name}"))
            .unwrap_or_else(|e| panic!("fixture {dir}/{name}: {e}"));
        let stats: Stats = serde_json::from_str(&text).expect("stats");
        let mut v = LiveView::from_sample("p", 1, 0, DashboardInfo::default(), &stats);
        v.status = LiveStatus {
            state: LiveState::Live,
            message: None,
            cause: None,
            last_ok_ms: Some(0),
        };
        v
    }

    fn rules_of(view: &LiveView, ctx: &Context) -> Vec<(&'static str, String)> {
        let row = FleetRow::from_live(view, 0, MigrationStatus::default(), 0);
        findings(view, &row, ctx, &default_rules())
            .into_iter()
            .map(|f| (f.rule, f.item))
            .collect()
    }

    #[test]
    fn a_healthy_cluster_has_no_findings_and_each_fault_its_own() {
        let healthy = live("demo_get_topom_stats__final_healthy.json");
        assert_eq!(rules_of(&healthy, &Context::default()), vec![]);

        let killed = live("demo_get_topom_stats__proxy19001_killed.json");
        let found = rules_of(&killed, &Context::default());
        assert!(
            found.iter().any(|(r, _)| *r == PROXY_DOWN),
            "the killed proxy: {found:?}"
        );

        let mut dead_replica = healthy.clone();
        let s = &mut dead_replica.view.groups[0].servers[1];
        s.status = Health::Error;
        s.master = "127.0.0.1:16379:down".into();
        let addr = s.server.clone();
        assert_eq!(
            rules_of(&dead_replica, &Context::default()),
            vec![(SERVER_DOWN, addr.clone()), (REPLICA_LINK_DOWN, addr)]
        );

        let mut flaky = healthy.clone();
        flaky.view.proxies[0].status = Health::Flaky;
        assert_eq!(
            rules_of(&flaky, &Context::default()),
            vec![],
            "a failure not confirmed yet alerts nobody"
        );
    }

    #[test]
    fn a_finding_carries_what_its_summary_says_for_the_console_to_word_it() {
        let healthy = live("demo_get_topom_stats__final_healthy.json");
        let mut dead_replica = healthy.clone();
        let s = &mut dead_replica.view.groups[0].servers[1];
        s.status = Health::Error;
        s.master = "127.0.0.1:16379:down".into();
        let row = FleetRow::from_live(&dead_replica, 0, MigrationStatus::default(), 0);
        let found = findings(&dead_replica, &row, &Context::default(), &default_rules());
        let args = |rule: &str| -> Vec<(String, String)> {
            let f = found.iter().find(|f| f.rule == rule).expect(rule);
            f.args.clone().into_iter().collect()
        };
        assert_eq!(
            args(SERVER_DOWN),
            vec![("status".to_string(), "ERROR".to_string())]
        );
        assert_eq!(
            args(REPLICA_LINK_DOWN),
            vec![("master".to_string(), "127.0.0.1:16379:down".to_string())]
        );
        // And the alert made of it keeps them, beside the English summary.
        let (alerts, _) = step("p", &ProductAlerts::new(), &found, &default_rules(), 1);
        let a = alerts
            .values()
            .find(|a| a.rule == SERVER_DOWN)
            .expect("alert");
        assert_eq!(a.args.get("status").map(String::as_str), Some("ERROR"));
        assert!(a.summary.ends_with("is ERROR"), "{}", a.summary);
        // The stuck migration's count.
        let stuck = FleetRow {
            migration: MigrationStatus {
                stuck: true,
                queued: 8,
                ..MigrationStatus::default()
            },
            ..FleetRow::from_live(&healthy, 0, MigrationStatus::default(), 0)
        };
        let found = findings(&healthy, &stuck, &Context::default(), &default_rules());
        let f = found
            .iter()
            .find(|f| f.rule == MIGRATION_STUCK)
            .expect("stuck");
        assert_eq!(f.args.get("queued").map(String::as_str), Some("8"));
    }

    #[test]
    fn an_unreachable_dashboard_alerts_once_not_for_its_old_sample() {
        let mut v = live("demo_get_topom_stats__proxy19001_killed.json");
        v.status.state = LiveState::Unreachable;
        v.status.message = Some("connection refused".into());
        assert_eq!(
            rules_of(&v, &Context::default()),
            vec![(DASHBOARD_UNREACHABLE, String::new())]
        );
    }

    #[test]
    fn thresholds_decide_memory_errors_and_qps_drop() {
        let mut v = live("demo_get_topom_stats__final_healthy.json");
        let s = &mut v.view.groups[1].servers[0];
        s.maxmemory = Some(1000);
        s.memory = Some(950);
        let ctx = Context {
            error_rate: Some(0.02),
            qps_baseline: Some(1000.0),
            ..Context::default()
        };
        v.view.totals.qps = 400;
        let found: Vec<&str> = rules_of(&v, &ctx).into_iter().map(|(r, _)| r).collect();
        assert_eq!(found, vec![MEMORY_HIGH, ERROR_RATE_HIGH, QPS_DROP]);
        v.view.totals.qps = 600;
        let idle = Context {
            qps_baseline: Some(50.0),
            ..Context::default()
        };
        v.view.groups[1].servers[0].memory = Some(900);
        assert_eq!(rules_of(&v, &idle), vec![], "under min_qps, at 90 %: quiet");
    }

    fn f(rule: &'static str, item: &str) -> Finding {
        finding(rule, item, &[], format!("{rule} {item}"))
    }

    #[test]
    fn an_alert_is_pending_then_firing_after_for_then_resolved() {
        let rules = default_rules(); // proxy_down: for 60 s
        let down = [f(PROXY_DOWN, "t1")];
        let (a, c) = step("p", &ProductAlerts::new(), &down, &rules, 1_000);
        let k = (PROXY_DOWN.to_string(), "t1".to_string());
        assert_eq!(a[&k].state, AlertState::Pending);
        assert!(c.is_empty());
        let (a, c) = step("p", &a, &down, &rules, 60_999);
        assert_eq!(a[&k].state, AlertState::Pending);
        assert!(c.is_empty());
        let (a, c) = step("p", &a, &down, &rules, 61_000);
        assert_eq!(a[&k].state, AlertState::Firing);
        assert_eq!(a[&k].firing_since_ms, Some(61_000));
        assert_eq!(a[&k].active_since_ms, 1_000);
        assert!(matches!(&c[..], [Transition::Fired(x)] if x.severity == "critical"));
        let (a, c) = step("p", &a, &[], &rules, 70_000);
        assert_eq!(a[&k].state, AlertState::Resolved);
        assert_eq!(a[&k].resolved_ms, Some(70_000));
        assert!(matches!(&c[..], [Transition::Resolved(_)]));
        // Comes back: pending again, from now.
        let (a, _) = step("p", &a, &down, &rules, 80_000);
        assert_eq!(
            (a[&k].state, a[&k].active_since_ms),
            (AlertState::Pending, 80_000)
        );
        // Goes away while pending: dropped, nobody is told.
        let (a, c) = step("p", &a, &[], &rules, 81_000);
        assert!(a.is_empty() && c.is_empty());
    }

    #[test]
    fn resolved_alerts_are_kept_an_hour() {
        let rules = default_rules();
        let x = [f(MIGRATION_STUCK, "")]; // for 0: fires at once
        let (a, c) = step("p", &ProductAlerts::new(), &x, &rules, 0);
        assert!(matches!(&c[..], [Transition::Fired(_)]));
        let (a, _) = step("p", &a, &[], &rules, 1_000);
        let (a, _) = step("p", &a, &[], &rules, 1_000 + KEEP_RESOLVED_MS - 1);
        assert_eq!(a.len(), 1);
        let (a, _) = step("p", &a, &[], &rules, 1_000 + KEEP_RESOLVED_MS);
        assert!(a.is_empty());
    }

    #[test]
    fn rule_settings_are_checked_by_field_and_rule() {
        for (name, rule) in default_rules() {
            assert_eq!(check_rule(&name, &rule), Ok(()), "{name}");
        }
        let mut r = default_rules()[MEMORY_HIGH].clone();
        r.threshold = Some(90.0);
        assert_eq!(
            check_rule(MEMORY_HIGH, &r),
            Err("rules.memory_high.threshold: must be a share greater than 0 and at most 1 (0.9 = 90 %)".into())
        );
        let e = check_rule("proxy_dwn", &default_rules()[PROXY_DOWN]).unwrap_err();
        assert!(e.starts_with("rules.proxy_dwn: unknown rule"), "{e}");
        let mut r = default_rules()[PROXY_DOWN].clone();
        r.severity = "page".into();
        assert!(check_rule(PROXY_DOWN, &r)
            .unwrap_err()
            .starts_with("rules.proxy_down.severity"));
    }

    #[test]
    fn the_qps_baseline_needs_ten_minutes_and_excludes_the_current_sample() {
        let mut b = QpsBaseline::default();
        for t in 0..108u64 {
            assert_eq!(b.observe(1000.0, t * 5_000), None, "t={t}");
        }
        // 9 minutes known: the mean of what came before, not of the dropped sample.
        assert_eq!(b.observe(10.0, 108 * 5_000), Some(1000.0));
        assert_eq!(error_rate((100, 0), (1100, 10)), Some(0.01));
        assert_eq!(error_rate((100, 0), (50, 0)), None, "counter reset");
    }
}
