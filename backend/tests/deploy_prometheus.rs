//! The Prometheus rules and the Grafana dashboard shipped in deploy/ (issue 16, item 5): what an
//! operator who scrapes codis-fe relies on. `promtool` accepts the rules; a real Prometheus
//! (Debian's package, started by the test on loopback) loads them next to a backend in front of
//! the simulated dashboard, has one alert per console rule with the console's default `for` and
//! severity, and fires `CodisProxyDown` when a proxy of a product nobody watches dies; every series the Grafana panels and the
//! rules query is one that a real `/metrics` scrape exports (or a recording rule of the file).

use codis_testkit as support;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

use codis_demo::{DemoDashboard, DemoOptions, Fault, Preset};
use codis_model::alerts::{default_rules, RULES};
use support::prometheus::{check_rules, Prometheus};
use support::{AlertsFile, DashboardList, TestApp};

/// Upper bound for an expected state on a loaded 2-core machine; a passing run never waits it.
const WAIT: Duration = Duration::from_secs(60);

fn deploy(path: &str) -> PathBuf {
    support::workspace_root().join("deploy").join(path)
}

fn rules_text() -> String {
    std::fs::read_to_string(deploy("prometheus/codis-rules.yml")).expect("read codis-rules.yml")
}

/// Every metric name in `text`: the identifiers starting `codis_` (exported series) or `codis:`
/// (recording rules), wherever they are (selectors, `__name__` regexes, label_values).
fn metric_names(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let is_name = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == ':';
    let mut rest = text;
    while let Some(i) = rest.find("codis") {
        let before = rest[..i].chars().next_back();
        let name: String = rest[i..].chars().take_while(|c| is_name(*c)).collect();
        if !before.is_some_and(is_name)
            && (name.starts_with("codis_") || name.starts_with("codis:"))
        {
            out.insert(name.clone());
        }
        rest = &rest[i + name.len().max(5)..];
    }
    out
}

/// The metric families a real `/metrics` of a demo backend exports (its `# TYPE` lines: a
/// family is declared even while it has no sample, e.g. no alert firing).
async fn exported_families() -> BTreeSet<String> {
    let app = TestApp::builder()
        .demo()
        .flag("--fleet-interval=0.2")
        .quiet()
        .start()
        .await;
    let text = support::http()
        .get(app.url("/metrics"))
        .send()
        .await
        .expect("GET /metrics")
        .text()
        .await
        .expect("text");
    let families: BTreeSet<String> = text
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.split(' ').next())
        .map(str::to_string)
        .collect();
    assert!(
        families.contains("codis_proxy_qps") && families.contains("codis_fe_alert_firing"),
        "a real scrape: {families:?}"
    );
    families
}

/// The recording rules of codis-rules.yml (`- record: NAME` lines).
fn recorded() -> BTreeSet<String> {
    rules_text()
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- record:"))
        .map(|n| n.trim().to_string())
        .collect()
}

#[test]
fn promtool_accepts_the_rules_and_refuses_a_broken_copy() {
    let file = deploy("prometheus/codis-rules.yml");
    let (ok, out) = check_rules(&[&file]);
    assert!(ok, "promtool check rules {}:\n{out}", file.display());
    assert!(out.contains("SUCCESS: 15 rules found"), "{out}");

    // The check can fail: a copy with a broken expression is refused, naming the rule.
    let broken =
        std::env::temp_dir().join(format!("codis-fe-broken-rules-{}.yml", std::process::id()));
    let text = rules_text().replace("expr: codis_proxy_up == 0", "expr: codis_proxy_up == (");
    std::fs::write(&broken, text).expect("write");
    let (ok, out) = check_rules(&[&broken]);
    let _ = std::fs::remove_file(&broken);
    assert!(!ok, "a broken expression passed promtool:\n{out}");
    assert!(
        out.contains("\"CodisProxyDown\": could not parse expression"),
        "{out}"
    );
}

/// The Grafana dashboard, as far as the tests rely on it: `serde` refuses a file without these.
#[derive(serde::Deserialize)]
struct Dashboard {
    title: String,
    uid: String,
    templating: Templating,
    panels: Vec<Panel>,
}

#[derive(serde::Deserialize)]
struct Templating {
    list: Vec<Variable>,
}

#[derive(serde::Deserialize)]
struct Variable {
    name: String,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    query: serde_json::Value,
}

#[derive(serde::Deserialize)]
struct Panel {
    id: u32,
    title: String,
    #[serde(rename = "type")]
    kind: String,
    #[serde(rename = "gridPos")]
    grid_pos: GridPos,
    #[serde(default)]
    targets: Vec<Target>,
}

#[derive(serde::Deserialize)]
struct GridPos {
    x: u32,
    y: u32,
    w: u32,
    h: u32,
}

#[derive(serde::Deserialize)]
struct Target {
    expr: String,
}

#[tokio::test]
async fn the_grafana_dashboard_and_the_rules_query_only_series_that_metrics_exports() {
    let text = std::fs::read_to_string(deploy("grafana/codis-fe.json")).expect("read dashboard");
    let d: Dashboard = serde_json::from_str(&text).expect("a Grafana dashboard");
    assert!(!d.title.is_empty() && !d.uid.is_empty());
    let product = d
        .templating
        .list
        .iter()
        .find(|v| v.name == "product")
        .expect("a `product` variable");
    assert_eq!(product.kind, "query");
    assert!(d.templating.list.iter().any(|v| v.kind == "datasource"));

    let mut ids = BTreeSet::new();
    let mut queried = metric_names(&product.query.to_string());
    for p in &d.panels {
        assert!(ids.insert(p.id), "panel id {} twice", p.id);
        assert!(
            p.grid_pos.w > 0 && p.grid_pos.h > 0 && p.grid_pos.x + p.grid_pos.w <= 24,
            "panel {:?}: gridPos inside the 24 columns ({}, {})",
            p.title,
            p.grid_pos.x,
            p.grid_pos.y
        );
        if p.kind == "row" {
            continue;
        }
        assert!(!p.targets.is_empty(), "panel {:?} has no query", p.title);
        for t in &p.targets {
            assert!(
                t.expr.contains("product=~\"$product\""),
                "panel {:?} follows the product variable: {}",
                p.title,
                t.expr
            );
            let names = metric_names(&t.expr);
            assert!(!names.is_empty(), "panel {:?}: {}", p.title, t.expr);
            queried.extend(names);
        }
    }
    for wanted in [
        "codis_proxy_qps",
        "codis_proxy_sessions",
        "codis_server_memory_bytes",
        "codis_proxy_up",
        "codis_server_up",
        "codis_slot_migration_done",
        "codis_slot_migration_eta_seconds",
        "codis_fe_alert_firing",
    ] {
        assert!(queried.contains(wanted), "the dashboard shows {wanted}");
    }

    let exported = exported_families().await;
    let recorded = recorded();
    assert!(!recorded.is_empty());
    let in_rules = metric_names(&rules_text());
    for name in queried.iter().chain(&in_rules) {
        assert!(
            exported.contains(name) || recorded.contains(name),
            "{name} is neither exported by /metrics nor recorded by codis-rules.yml (exported: {exported:?})"
        );
    }
}

/// A copy of codis-rules.yml for a test that cannot wait a minute: group names suffixed
/// `-fast` and every `for` 0 s, so an alert fires at the first evaluation that sees the fault.
/// Everything else (expressions, labels) is the shipped file's.
fn fast_copy(text: &str) -> String {
    text.lines()
        .map(|l| {
            if let Some(name) = l.trim().strip_prefix("- name: ") {
                l.replace(name, &format!("{name}-fast"))
            } else if l.trim_start().starts_with("for: ") {
                let indent = &l[..l.len() - l.trim_start().len()];
                format!("{indent}for: 0s")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The firing alerts named `alertname` for product `codis-a`.
async fn firing(prom: &Prometheus, alertname: &str) -> Vec<serde_json::Value> {
    let data = prom.api("alerts").await;
    data["alerts"]
        .as_array()
        .expect("alerts")
        .iter()
        .filter(|a| {
            a["labels"]["alertname"] == alertname
                && a["labels"]["product"] == "codis-a"
                && a["state"] == "firing"
        })
        .cloned()
        .collect()
}

#[tokio::test]
async fn prometheus_loads_the_rules_and_fires_proxy_down_for_a_product_nobody_watches() {
    let demo = DemoDashboard::start(DemoOptions {
        product: "codis-a".into(),
        preset: Preset::Small,
        seed: 1,
        step: Duration::from_millis(10),
    })
    .await
    .expect("demo dashboard starts");
    let list = DashboardList::new(&[("codis-a", &demo.addr().to_string())]);
    // --alerts (the default rules: an empty file) keeps the fleet poller reading every product,
    // as the rules file's header asks. Nobody opens codis-a: its per-proxy series come from
    // the fleet's reads, and Prometheus alerts on it all the same.
    let alerts = AlertsFile::new("");
    let app = TestApp::builder()
        .dashboards(&list)
        .flag(alerts.flag())
        .flag("--fleet-interval=0.2")
        .flag("--health-samples=1")
        .quiet()
        .start()
        .await;

    let target = app.base().trim_start_matches("http://").to_string();
    let text = rules_text();
    let prom = Prometheus::start(
        "rules",
        &target,
        "1s",
        &[
            ("codis-rules.yml", text.clone()),
            ("codis-rules-fast.yml", fast_copy(&text)),
        ],
    )
    .await;

    // Both files load, every rule evaluates without error once the target is scraped.
    support::eventually("every rule evaluated without error", WAIT, || async {
        let data = prom.api("rules").await;
        let groups = data["groups"].as_array().cloned().unwrap_or_default();
        groups.len() == 4
            && groups.iter().all(|g| {
                g["rules"].as_array().is_some_and(|rules| {
                    rules.iter().all(|r| {
                        r["health"] == "ok" && r["lastEvaluation"] != "0001-01-01T00:00:00Z"
                    })
                })
            })
    })
    .await;
    let data = prom.api("rules").await;
    let groups = data["groups"].as_array().expect("groups");
    let shipped = groups
        .iter()
        .find(|g| g["name"] == "codis-fe")
        .unwrap_or_else(|| panic!("the codis-fe group: {data}\n{}", prom.log()));
    let alerting: Vec<&serde_json::Value> = shipped["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .filter(|r| r["type"] == "alerting")
        .collect();
    assert_eq!(alerting.len(), RULES.len(), "one alert per console rule");
    let defaults = default_rules();
    for name in RULES {
        let rule = alerting
            .iter()
            .find(|r| r["labels"]["rule"] == *name)
            .unwrap_or_else(|| panic!("an alert with rule={name}"));
        let console = &defaults[*name];
        assert_eq!(
            rule["labels"]["severity"], console.severity,
            "{name}: the console's severity"
        );
        // A relay of codis_fe_alert_firing fires at once: the console held its own `for`.
        let relayed = rule["query"]
            .as_str()
            .is_some_and(|q| q.contains("codis_fe_alert_firing"));
        let expected = if relayed { 0 } else { console.for_secs };
        assert_eq!(
            rule["duration"].as_f64(),
            Some(expected as f64),
            "{name}: `for` (relayed: {relayed})"
        );
    }

    // Healthy: the proxy alert is quiet. A proxy dies: Prometheus fires it, labelled like the
    // console's alert; it comes back: the alert goes.
    assert!(firing(&prom, "CodisProxyDown").await.is_empty());
    demo.set_fault(Fault::ProxyError(1));
    support::eventually("CodisProxyDown firing in Prometheus", WAIT, || async {
        !firing(&prom, "CodisProxyDown").await.is_empty()
    })
    .await;
    let alerts = firing(&prom, "CodisProxyDown").await;
    let labels = &alerts[0]["labels"];
    assert_eq!(labels["rule"], "proxy_down");
    assert_eq!(labels["severity"], "critical");
    assert!(
        labels["addr"].as_str().is_some_and(|a| !a.is_empty()),
        "{labels}"
    );
    assert!(
        alerts[0]["annotations"]["summary"]
            .as_str()
            .is_some_and(|s| s.contains("codis-a") && s.contains("is down")),
        "{}",
        alerts[0]
    );
    demo.clear_fault(&Fault::ProxyError(1));
    support::eventually("CodisProxyDown resolved in Prometheus", WAIT, || async {
        firing(&prom, "CodisProxyDown").await.is_empty()
    })
    .await;
    let subscribers: serde_json::Value = prom
        .api("query?query=sum(codis_fe_live_subscribers)%20or%20vector(0)")
        .await;
    assert_eq!(
        subscribers["result"][0]["value"][1], "0",
        "no browser watched codis-a: {subscribers}"
    );
}
