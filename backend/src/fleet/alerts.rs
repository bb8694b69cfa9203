//! The alert engine (issue 16, item 3): the rules of `codis_model::alerts` evaluated on every
//! fleet tick, their settings from `--alerts=FILE`, and `GET /api/alerts`.
//!
//! The alerts file is TOML: settings for every product under `[rules.<rule>]`, overrides for one
//! product under `[products.<product>.rules.<rule>]`; a rule not named keeps its default
//! (`codis_model::alerts::default_rules`). See `deploy/alerts.example.toml`.
//!
//! ```toml
//! [rules.proxy_down]
//! for = 30            # seconds the condition must hold before it fires
//! [rules.memory_high]
//! threshold = 0.85    # share of maxmemory
//! [products.codis-batch.rules.qps_drop]
//! enabled = false
//! ```
//!
//! With `--alerts` the fleet poller runs all the time (alerts are for when nobody watches);
//! without it alerts are evaluated with the defaults while someone watches the fleet. Nothing is
//! persisted: after a restart every alert is evaluated again from pending ("re-evaluated"), so a
//! restart never shows an old alert as firing.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use axum::{extract::State, Json};
use codis_model::alerts::{
    check_rule, default_rules, step, Alert, AlertState, Context, Finding, ProductAlerts, Rule,
    Rules, Transition,
};
use serde::{Deserialize, Serialize};

use crate::auth::Caller;
use crate::state::AppState;

/// The largest alerts file read (a rules file is a few KiB).
const MAX_FILE: u64 = 1024 * 1024;

/// One rule's settings in the file: every field optional (what is not given keeps the default).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RulePatch {
    enabled: Option<bool>,
    #[serde(rename = "for")]
    for_secs: Option<u64>,
    threshold: Option<f64>,
    min_qps: Option<f64>,
    severity: Option<String>,
}

impl RulePatch {
    fn apply(&self, r: &mut Rule) {
        if let Some(v) = self.enabled {
            r.enabled = v;
        }
        if let Some(v) = self.for_secs {
            r.for_secs = v;
        }
        if let Some(v) = self.threshold {
            r.threshold = Some(v);
        }
        if let Some(v) = self.min_qps {
            r.min_qps = Some(v);
        }
        if let Some(v) = &self.severity {
            r.severity = v.clone();
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProductSection {
    #[serde(default)]
    rules: BTreeMap<String, RulePatch>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    rules: BTreeMap<String, RulePatch>,
    #[serde(default)]
    products: BTreeMap<String, ProductSection>,
    /// Where alerts go (Alertmanager, webhooks): `super::sinks`.
    #[serde(default)]
    notify: super::sinks::NotifySection,
}

/// The rules in force: for every product, and per product where the file overrides them.
#[derive(Clone, Debug, PartialEq)]
pub struct AlertRules {
    pub all: Rules,
    pub products: BTreeMap<String, Rules>,
    /// `[notify]`: where alerts go besides the console and `/metrics`.
    pub notify: super::sinks::NotifyConfig,
}

impl Default for AlertRules {
    fn default() -> AlertRules {
        AlertRules {
            all: default_rules(),
            products: BTreeMap::new(),
            notify: Default::default(),
        }
    }
}

impl AlertRules {
    /// The rules of `product`.
    pub fn of(&self, product: &str) -> &Rules {
        self.products.get(product).unwrap_or(&self.all)
    }

    /// Parses an alerts file's text. Errors name the field and the rule broken
    /// (`rules.memory_high.threshold: must be ...`, or TOML's own message with line and column).
    pub fn parse(text: &str) -> Result<AlertRules, String> {
        let file: File = toml::from_str(text).map_err(|e| e.to_string().trim().to_string())?;
        let mut all = default_rules();
        patch(&mut all, &file.rules, "")?;
        let mut products = BTreeMap::new();
        for (name, section) in &file.products {
            codis_model::validate::product_name("product", name)
                .map_err(|e| format!("products.{name}: {}", e.rule))?;
            let mut rules = all.clone();
            patch(&mut rules, &section.rules, &format!("products.{name}."))?;
            products.insert(name.clone(), rules);
        }
        let notify = super::sinks::NotifyConfig::from_section(file.notify)?;
        Ok(AlertRules {
            all,
            products,
            notify,
        })
    }

    /// Reads `--alerts=FILE`; errors name the file.
    pub fn load(path: &Path) -> Result<AlertRules, String> {
        let meta =
            std::fs::metadata(path).map_err(|e| format!("--alerts {}: {e}", path.display()))?;
        if meta.len() > MAX_FILE {
            return Err(format!(
                "--alerts {}: larger than {MAX_FILE} bytes",
                path.display()
            ));
        }
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("--alerts {}: {e}", path.display()))?;
        AlertRules::parse(&text).map_err(|e| format!("--alerts {}: {e}", path.display()))
    }
}

fn patch(rules: &mut Rules, patches: &BTreeMap<String, RulePatch>, at: &str) -> Result<(), String> {
    for (name, p) in patches {
        let Some(rule) = rules.get_mut(name) else {
            return Err(format!(
                "{at}rules.{name}: unknown rule (known: {})",
                codis_model::alerts::RULES.join(", ")
            ));
        };
        p.apply(rule);
        check_rule(name, rule).map_err(|e| format!("{at}{e}"))?;
    }
    Ok(())
}

/// Every product's alerts, and what the engine tells about them.
pub struct AlertBook {
    pub rules: AlertRules,
    /// When this process started evaluating (alerts before it are not known: "re-evaluated").
    pub since_ms: u64,
    by_product: Mutex<BTreeMap<String, ProductAlerts>>,
}

impl AlertBook {
    pub fn new(rules: AlertRules, since_ms: u64) -> AlertBook {
        AlertBook {
            rules,
            since_ms,
            by_product: Mutex::new(BTreeMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, ProductAlerts>> {
        self.by_product.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes this tick's findings for `product`: returns the alerts firing for it and the
    /// transitions (logged here; sent on by the sinks).
    pub fn evaluate(
        &self,
        product: &str,
        findings: &[Finding],
        now_ms: u64,
    ) -> (u32, Vec<Transition>) {
        let rules = self.rules.of(product);
        let mut book = self.lock();
        let prev = book.remove(product).unwrap_or_default();
        let (next, changes) = step(product, &prev, findings, rules, now_ms);
        let firing = next
            .values()
            .filter(|a| a.state == AlertState::Firing)
            .count();
        if !next.is_empty() {
            book.insert(product.to_string(), next);
        }
        for c in &changes {
            match c {
                Transition::Fired(a) => tracing::warn!(
                    product = %a.product, alert = %a.rule, item = %a.item, severity = %a.severity,
                    summary = %a.summary, "alert firing"
                ),
                Transition::Resolved(a) => tracing::info!(
                    product = %a.product, alert = %a.rule, item = %a.item, "alert resolved"
                ),
            }
        }
        (u32::try_from(firing).unwrap_or(u32::MAX), changes)
    }

    /// Forgets the products no longer discovered.
    pub fn retain(&self, products: &[String]) {
        self.lock().retain(|p, _| products.contains(p));
    }

    /// Every alert (pending, firing, recently resolved), by product, rule and item.
    pub fn all(&self) -> Vec<Alert> {
        self.lock()
            .values()
            .flat_map(|m| m.values().cloned())
            .collect()
    }
}

/// Per product between ticks: the rules' inputs that need history.
#[derive(Default)]
pub(crate) struct Inputs {
    pub baseline: codis_model::alerts::QpsBaseline,
    pub ops: Option<(i64, i64)>,
}

impl Inputs {
    /// The context of this sample (`live` only: an old sample says nothing new).
    pub fn context(
        &mut self,
        view: &codis_model::live::LiveView,
        discovery_stale: bool,
    ) -> Context {
        let mut ctx = Context {
            discovery_stale,
            ..Context::default()
        };
        if view.status.state == codis_model::live::LiveState::Live {
            let ops = codis_model::alerts::ops_counters(view);
            ctx.error_rate = self
                .ops
                .and_then(|prev| codis_model::alerts::error_rate(prev, ops));
            self.ops = Some(ops);
            ctx.qps_baseline = self
                .baseline
                .observe(view.view.totals.qps as f64, view.sampled_ms);
        }
        ctx
    }
}

/// `GET /api/alerts`.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AlertsReply {
    /// When this process started evaluating (Unix ms): alerts are re-evaluated after a restart,
    /// never carried over.
    pub evaluated_since_ms: u64,
    /// Firing first, then pending, then recently resolved (the last hour); newest first within.
    pub alerts: Vec<Alert>,
}

/// Firing, pending and recently resolved alerts of the products the caller may see.
#[utoipa::path(
    get,
    path = "/api/alerts",
    tag = "live",
    responses(
        (status = 200, description = "Alerts of the products the caller may see: firing, pending (not yet for the rule's `for`), and resolved within the last hour. Evaluated by the fleet poller (all the time with --alerts, else while someone watches the fleet)", body = AlertsReply),
    )
)]
pub async fn alerts(State(app): State<Arc<AppState>>, caller: Caller) -> Json<AlertsReply> {
    let book = &app.fleet.alerts;
    let mut alerts: Vec<Alert> = book
        .all()
        .into_iter()
        .filter(|a| app.security.role_in(&caller, &a.product).is_some())
        .collect();
    let order = |s: AlertState| match s {
        AlertState::Firing => 0,
        AlertState::Pending => 1,
        AlertState::Resolved => 2,
    };
    alerts.sort_by(|a, b| {
        let t = |a: &Alert| {
            a.resolved_ms
                .or(a.firing_since_ms)
                .unwrap_or(a.active_since_ms)
        };
        order(a.state).cmp(&order(b.state)).then(t(b).cmp(&t(a)))
    });
    Json(AlertsReply {
        evaluated_since_ms: book.since_ms,
        alerts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_overrides_defaults_and_per_product() {
        let r = AlertRules::parse(
            r#"
            [rules.proxy_down]
            for = 30
            [rules.memory_high]
            threshold = 0.8
            [products.codis-a.rules.memory_high]
            threshold = 0.95
            enabled = false
            "#,
        )
        .expect("valid");
        assert_eq!(r.all["proxy_down"].for_secs, 30);
        assert_eq!(r.all["memory_high"].threshold, Some(0.8));
        assert_eq!(r.of("codis-a")["memory_high"].threshold, Some(0.95));
        assert!(!r.of("codis-a")["memory_high"].enabled);
        assert_eq!(r.of("codis-a")["proxy_down"].for_secs, 30, "inherits");
        assert_eq!(r.of("codis-b")["memory_high"].threshold, Some(0.8));
    }

    #[test]
    fn the_example_file_in_deploy_loads_and_spells_out_the_defaults() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy/alerts.example.toml");
        let r = AlertRules::load(std::path::Path::new(path)).expect("the example loads");
        assert_eq!(r.all, default_rules(), "the example shows the defaults");
        let batch = r.of("codis-batch");
        assert!(!batch["qps_drop"].enabled);
        assert_eq!(batch["memory_high"].threshold, Some(0.95));
    }

    #[test]
    fn a_bad_file_names_the_field_and_the_rule() {
        let cases = [
            (
                "[rules.memory_high]\nthreshold = 85\n",
                "rules.memory_high.threshold: must be a share greater than 0 and at most 1",
            ),
            (
                "[products.codis-a.rules.proxy_dwn]\nfor = 1\n",
                "products.codis-a.rules.proxy_dwn: unknown rule",
            ),
            ("[rules.proxy_down]\nfor = -1\n", "for"),
            ("[rules.proxy_down]\nfour = 1\n", "unknown field `four`"),
            (
                "[rules.server_down]\nthreshold = 0.5\n",
                "rules.server_down.threshold: this rule has no threshold",
            ),
            (
                "[products.\"a/b\".rules.proxy_down]\nfor = 1\n",
                "products.a/b:",
            ),
            ("rules = 3", "invalid type"),
        ];
        for (text, expect) in cases {
            let e = AlertRules::parse(text).expect_err(text);
            assert!(e.contains(expect), "{text:?}: {e}");
        }
    }
}
