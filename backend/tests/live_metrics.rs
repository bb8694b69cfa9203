//! `/metrics` and per-command proxy stats (issue 5), against the simulated dashboard.

use codis_testkit as support;
use codis_testkit::live as live_support;

use std::time::Duration;

use codis_demo::Preset;
use codis_model::live::{LiveView, ProxyCmds};
use live_support::{Cluster, Sse};

async fn backend(cluster: &Cluster) -> String {
    support::live_backend(&cluster.list_flag()).await
}

const WAIT: Duration = Duration::from_secs(5);

async fn metrics(base: &str) -> String {
    let resp = reqwest::get(format!("{base}/metrics")).await.expect("GET");
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"]
        .to_str()
        .is_ok_and(|c| c.starts_with("text/plain; version=0.0.4")));
    resp.text().await.expect("text")
}

/// The value of the sample line that starts with `prefix` (metric name and labels).
fn value(text: &str, prefix: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.starts_with(prefix))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

/// Every line is a comment or `name{labels} value` with a valid name.
fn assert_well_formed(text: &str) {
    for line in text.lines() {
        if line.starts_with("# HELP ") || line.starts_with("# TYPE ") {
            continue;
        }
        let (series, v) = line.rsplit_once(' ').expect("name and value");
        let name = series.split('{').next().expect("name");
        assert!(
            !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
                && !name.starts_with(|c: char| c.is_ascii_digit()),
            "metric name {name:?}"
        );
        assert!(v.parse::<f64>().is_ok() || v == "NaN", "value of {line}");
        if let Some(labels) = series.strip_prefix(name) {
            assert!(
                labels.is_empty() || (labels.starts_with('{') && labels.ends_with('}')),
                "{line}"
            );
        }
    }
}

#[tokio::test]
async fn metrics_expose_proxy_ops_and_dashboard_up() {
    let cluster = Cluster::start("codis-demo", Preset::Small).await;
    let base = backend(&cluster).await;

    let idle = metrics(&base).await;
    assert_well_formed(&idle);
    assert!(
        !idle.contains("product=\"codis-demo\""),
        "no series for a product nobody watches"
    );
    assert_eq!(cluster.proxy.polls(), 0, "a scrape starts no poller");

    let mut sse = Sse::connect(&format!("{base}/api/products/codis-demo/events"), None).await;
    let view: LiveView = sse.next(WAIT).await.json();
    sse.next_named("update", WAIT).await;
    let text = metrics(&base).await;
    assert_well_formed(&text);
    assert_eq!(
        value(&text, "codis_dashboard_up{product=\"codis-demo\"}"),
        Some(1.0)
    );
    let token = &view.view.proxies[0].token;
    let ops = value(
        &text,
        &format!("codis_proxy_ops_total{{product=\"codis-demo\",token=\"{token}\""),
    )
    .expect("proxy ops");
    assert!(ops > 0.0);
    for name in [
        "codis_proxy_qps{",
        "codis_proxy_ops_fails_total{",
        "codis_proxy_sessions{",
        "codis_server_memory_bytes{",
        "codis_server_keys{",
        "codis_server_connected_clients{",
        "codis_server_master_link_up{",
        "codis_slot_actions_pending{product=\"codis-demo\"}",
        "codis_fe_live_subscribers{product=\"codis-demo\"} 1",
        "codis_fe_live_polls_total{product=\"codis-demo\"}",
        "codis_fe_live_poll_errors_total{product=\"codis-demo\"} 0",
    ] {
        assert!(text.contains(name), "{name} in\n{text}");
    }
    // A replica's link to its master is up.
    let replica = &view.view.groups[0].servers[1];
    assert_eq!(
        value(
            &text,
            &format!(
                "codis_server_master_link_up{{product=\"codis-demo\",group=\"{}\",server=\"{}\"}}",
                view.view.groups[0].id, replica.server
            )
        ),
        Some(1.0)
    );

    cluster.demo.stop().await;
    sse.next_named("status", WAIT).await;
    let down = metrics(&base).await;
    assert_eq!(
        value(&down, "codis_dashboard_up{product=\"codis-demo\"}"),
        Some(0.0)
    );
    assert!(value(
        &down,
        "codis_fe_live_poll_errors_total{product=\"codis-demo\"}"
    )
    .is_some_and(|n| n >= 1.0));
}

#[tokio::test]
async fn proxy_cmds_are_read_on_demand_with_rates() {
    let cluster = Cluster::start("codis-demo", Preset::Small).await;
    let base = backend(&cluster).await;
    let mut sse = Sse::connect(&format!("{base}/api/products/codis-demo/events"), None).await;
    let view: LiveView = sse.next(WAIT).await.json();
    let proxy = &view.view.proxies[0];
    let url = format!(
        "{base}/api/products/codis-demo/proxies/{}/cmds",
        proxy.token
    );
    let first: ProxyCmds = reqwest::get(&url)
        .await
        .expect("GET")
        .json()
        .await
        .expect("ProxyCmds");
    assert_eq!(first.token, proxy.token);
    assert_eq!(first.admin_addr, proxy.admin_addr);
    assert!(!first.cmds.is_empty(), "ops.cmd of the proxy");
    assert!(first.cmds.windows(2).all(|w| w[0].opstr <= w[1].opstr));
    // The next fresh read (once the cached one has aged) carries rates over the time between
    // the two reads.
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    let second = loop {
        let r: ProxyCmds = reqwest::get(&url)
            .await
            .expect("GET")
            .json()
            .await
            .expect("ProxyCmds");
        if r.sampled_ms != first.sampled_ms {
            break r;
        }
        assert!(std::time::Instant::now() < deadline, "no fresh read");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let between = second.sampled_ms - first.sampled_ms;
    assert!(
        second.window_ms.is_some_and(|w| w > 0 && w <= between + 50),
        "window {:?} between reads {between} ms apart",
        second.window_ms
    );
    assert!(second.cmds.iter().any(|c| c.calls_per_sec.is_some()));
    // Within one interval, concurrent viewers share one read.
    let get = || async {
        reqwest::get(&url)
            .await
            .expect("GET")
            .text()
            .await
            .expect("body")
    };
    let (a, b) = tokio::join!(get(), get());
    let (a, b): (ProxyCmds, ProxyCmds) = (
        serde_json::from_str(&a).expect("json"),
        serde_json::from_str(&b).expect("json"),
    );
    assert_eq!(a.sampled_ms, b.sampled_ms);

    let unknown = reqwest::get(format!(
        "{base}/api/products/codis-demo/proxies/{}/cmds",
        "0".repeat(32)
    ))
    .await
    .expect("GET");
    assert_eq!(unknown.status(), 404);
    let bad = reqwest::get(format!("{base}/api/products/codis-demo/proxies/x/cmds"))
        .await
        .expect("GET");
    assert_eq!(bad.status(), 400);
}
