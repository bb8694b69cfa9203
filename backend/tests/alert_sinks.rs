//! Where alerts go (issue 16, item 4c): a real Alertmanager (Debian's package, started by the
//! test on loopback) receives an alert the demo fires, holds it while it fires, and lets it go
//! when it resolves. The webhook formats are checked byte for byte in
//! `backend/src/fleet/sinks/webhook/tests.rs` (a local receiver and a pinned clock).

use codis_testkit as support;

use std::time::Duration;

use codis_demo::{DemoDashboard, DemoOptions, Preset};
use support::alertmanager::Alertmanager;
use support::{AlertsFile, DashboardList, TestApp};

/// Upper bound for an expected change on a loaded 2-core machine; a passing run never waits it.
const WAIT: Duration = Duration::from_secs(30);

/// The alerts Alertmanager holds for `alertname`.
fn held<'a>(alerts: &'a serde_json::Value, alertname: &str) -> Vec<&'a serde_json::Value> {
    alerts
        .as_array()
        .map(|v| {
            v.iter()
                .filter(|a| a["labels"]["alertname"] == alertname)
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn alertmanager_receives_a_firing_alert_and_lets_it_go_when_it_resolves() {
    let am = Alertmanager::start("sinks").await;
    let demo = DemoDashboard::start(DemoOptions {
        product: "codis-a".to_string(),
        preset: Preset::Small,
        seed: 1,
        step: Duration::from_millis(10),
    })
    .await
    .expect("demo dashboard starts");
    let list = DashboardList::new(&[("codis-a", &demo.addr().to_string())]);
    let rules = AlertsFile::new(&format!(
        "[rules.proxy_down]\nfor = 0\n\n\
         [notify]\nconsole_url = \"https://codis.example/console\"\n\
         [notify.alertmanager]\nurls = [\"{}\"]\nresend = 3\n",
        am.origin()
    ));
    let _app = TestApp::builder()
        .dashboards(&list)
        .flag(rules.flag())
        .flag("--fleet-interval=0.2")
        .flag("--health-samples=1")
        .quiet()
        .start()
        .await;

    demo.set_fault(codis_demo::Fault::ProxyError(1));
    support::eventually("alertmanager holds proxy_down", WAIT, || async {
        !held(&am.alerts().await, "proxy_down").is_empty()
    })
    .await;
    let alerts = am.alerts().await;
    let alert = held(&alerts, "proxy_down")[0].clone();
    assert_eq!(alert["labels"]["product"], "codis-a", "{alert}");
    assert_eq!(alert["labels"]["severity"], "critical", "{alert}");
    assert!(alert["labels"]["proxy"].as_str().is_some(), "{alert}");
    assert_eq!(alert["status"]["state"], "active", "{alert}");
    assert_eq!(
        alert["generatorURL"], "https://codis.example/console/p/codis-a",
        "{alert}"
    );
    assert!(
        alert["annotations"]["summary"]
            .as_str()
            .is_some_and(|s| !s.is_empty()),
        "{alert}"
    );

    // Re-sent while firing: its end keeps moving ahead, so Alertmanager never times it out.
    let first_end = alert["endsAt"].as_str().expect("endsAt").to_string();
    support::eventually("endsAt moves ahead with each re-send", WAIT, || async {
        held(&am.alerts().await, "proxy_down")
            .first()
            .and_then(|a| a["endsAt"].as_str())
            .is_some_and(|e| e > first_end.as_str())
    })
    .await;
    // That send said: ends 4 resends (12 s) from now unless sent again.
    let resent_at = std::time::Instant::now();

    demo.clear_fault(&codis_demo::Fault::ProxyError(1));
    support::eventually("alertmanager lets proxy_down go", WAIT, || async {
        held(&am.alerts().await, "proxy_down").is_empty()
    })
    .await;
    assert!(
        resent_at.elapsed() < Duration::from_secs(10),
        "gone only after {:?}: timed out in Alertmanager rather than resolved by codis-fe",
        resent_at.elapsed()
    );
}

#[tokio::test]
async fn a_dead_alertmanager_and_a_dead_webhook_never_hold_up_the_alerts() {
    let demo = DemoDashboard::start(DemoOptions {
        product: "codis-a".to_string(),
        preset: Preset::Small,
        seed: 1,
        step: Duration::from_millis(10),
    })
    .await
    .expect("demo dashboard starts");
    let list = DashboardList::new(&[("codis-a", &demo.addr().to_string())]);
    // A hung receiver: the kernel accepts connections into the backlog, nobody ever answers, so
    // every send waits out its 10 s timeout. Sent from the poller, that would stall each tick.
    let hung = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let dead = hung.local_addr().expect("addr").port();
    let rules = AlertsFile::new(&format!(
        "[rules.proxy_down]\nfor = 0\n\n\
         [notify.alertmanager]\nurls = [\"http://127.0.0.1:{dead}\"]\nresend = 0.2\n\
         [[notify.webhook]]\nname = \"dead\"\nformat = \"json\"\nurl = \"http://127.0.0.1:{dead}/hook\"\n"
    ));
    let app = TestApp::builder()
        .dashboards(&list)
        .flag(rules.flag())
        .flag("--fleet-interval=0.2")
        .flag("--health-samples=1")
        .quiet()
        .start()
        .await;
    let alerts_url = app.url("/api/alerts");
    let state = |r: &serde_json::Value, s: &str| {
        r["alerts"].as_array().is_some_and(|v| {
            v.iter()
                .any(|a| a["rule"] == "proxy_down" && a["state"] == s)
        })
    };
    demo.set_fault(codis_demo::Fault::ProxyError(1));
    // Well under the senders' 10 s timeout: the poller never waits for them.
    let quick = Duration::from_secs(8);
    support::eventually("proxy_down firing in the console", quick, || async {
        state(&support::get_json(alerts_url.clone()).await, "firing")
    })
    .await;
    demo.clear_fault(&codis_demo::Fault::ProxyError(1));
    support::eventually("proxy_down resolved in the console", quick, || async {
        state(&support::get_json(alerts_url.clone()).await, "resolved")
    })
    .await;
    drop(hung);
}
