//! The fleet view (issue 16): every product at once over `GET /api/fleet/events`, each
//! dashboard read at most once per `--fleet-interval` and never a second time while its own
//! pages are open. Simulated dashboards behind request-counting proxies, over real HTTP.

use codis_testkit as support;
use codis_testkit::live::{Cluster, Sse};

use std::time::{Duration, Instant};

use codis_demo::Preset;
use codis_model::fleet::{FleetUpdate, FleetView};
use codis_model::live::LiveState;
use support::{AlertsFile, DashboardList, TestApp};

/// Upper bound for an expected event on a loaded 2-core machine; a passing run never waits it.
const WAIT: Duration = Duration::from_secs(20);

/// Two products, `codis-a` (3 groups, sentinels) and `codis-b` (1 group), and a backend reading
/// the fleet every `fleet` and a watched product every `poll`.
async fn two_products(fleet: &str, poll: &str) -> (Cluster, Cluster, DashboardList, TestApp) {
    let a = Cluster::start("codis-a", Preset::Small).await;
    let b = Cluster::start("codis-b", Preset::Tiny).await;
    let list = DashboardList::new(&[
        ("codis-a", &a.proxy.addr.to_string()),
        ("codis-b", &b.proxy.addr.to_string()),
    ]);
    let app = TestApp::builder()
        .dashboards(&list)
        .flag(format!("--fleet-interval={fleet}"))
        .flag(format!("--poll-interval={poll}"))
        .flag("--live-linger=0.3")
        .quiet()
        .start()
        .await;
    (a, b, list, app)
}

/// Applies fleet updates until `cond` holds on the view.
async fn until(sse: &mut Sse, view: &mut FleetView, what: &str, cond: impl Fn(&FleetView) -> bool) {
    let deadline = Instant::now() + WAIT;
    while !cond(view) {
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(!left.is_zero(), "timed out waiting for {what}: {view:?}");
        let e = sse.next_named("update", left).await;
        let u: FleetUpdate = e.json();
        assert_eq!(u.seq, view.seq + 1, "updates follow each other");
        view.apply(&u);
    }
}

#[tokio::test]
async fn the_fleet_stream_shows_every_product_and_follows_a_dashboard_going_down() {
    let (a, _b, _list, app) = two_products("0.2", "1").await;
    let mut sse = Sse::connect(&app.url("/api/fleet/events"), None).await;
    assert_eq!(sse.resp.headers()["content-type"], "text/event-stream");
    let first = sse.next(WAIT).await;
    assert_eq!(first.event, "snapshot");
    let mut view: FleetView = first.json();
    assert_eq!(first.seq(), view.seq);
    until(&mut sse, &mut view, "both products live", |v| {
        v.rows.len() == 2 && v.rows.iter().all(|r| r.state == LiveState::Live)
    })
    .await;
    let names: Vec<&str> = view.rows.iter().map(|r| r.product.as_str()).collect();
    assert_eq!(names, ["codis-a", "codis-b"], "sorted by product");
    let row_a = view.row("codis-a").expect("codis-a").clone();
    assert!(!row_a.version.is_empty(), "{row_a:?}");
    assert_eq!((row_a.proxies_healthy, row_a.proxies_total), (2, 2));
    assert_eq!((row_a.servers_healthy, row_a.servers_total), (6, 6));
    assert_eq!(row_a.sentinels_total, 3);
    assert!(row_a.migration.is_idle());
    let row_b = view.row("codis-b").expect("codis-b");
    assert_eq!((row_b.proxies_total, row_b.servers_total), (1, 2));
    assert_eq!(row_b.sentinels_total, 0, "no HA");

    // codis-a's dashboard goes away: its row says so, with since when; codis-b stays live.
    let before = codis_fe::registry::now_ms();
    a.demo.stop().await;
    until(&mut sse, &mut view, "codis-a unreachable", |v| {
        v.row("codis-a")
            .is_some_and(|r| r.state == LiveState::Unreachable)
    })
    .await;
    let down = view.row("codis-a").expect("codis-a");
    assert!(down.since_ms >= before, "since the failure: {down:?}");
    assert!(down.message.is_some(), "with the reason: {down:?}");
    assert!(
        down.last_ok_ms.is_some_and(|t| t < down.since_ms),
        "with the age of its last good sample: {down:?}"
    );
    assert_eq!(row_a.last_ok_ms, None, "a live row carries no age");
    assert_eq!(view.row("codis-b").map(|r| r.state), Some(LiveState::Live));

    // `GET /api/fleet` answers the same rows as JSON.
    let json: FleetView = support::get_json(app.url("/api/fleet")).await;
    assert_eq!(json.rows.len(), 2);
    assert_eq!(
        json.row("codis-a").map(|r| r.state),
        Some(LiveState::Unreachable)
    );
}

/// A cold fleet page shows the numbers of the dashboards that answered without waiting for one
/// that does not: a frozen dashboard costs its own row the poll timeout (5 s), not the page.
#[tokio::test]
async fn a_dashboard_that_does_not_answer_does_not_hold_back_the_first_fleet_numbers() {
    let (a, _b, _list, app) = two_products("0.5", "1").await;
    a.demo
        .set_fault(codis_demo::Fault::DashboardSlow(Duration::from_secs(60)));
    let mut sse = Sse::connect(&app.url("/api/fleet/events"), None).await;
    let first = sse.next(WAIT).await;
    assert_eq!(first.event, "snapshot");
    let view: FleetView = first.json();
    let b = view.row("codis-b").expect("codis-b in the first snapshot");
    assert_eq!(b.state, LiveState::Live, "{b:?}");
    assert_eq!(b.servers_total, 2, "with its numbers: {b:?}");
    let a_row = view.row("codis-a").expect("codis-a in the first snapshot");
    assert_eq!(
        a_row.state,
        LiveState::Connecting,
        "still being read, said so: {a_row:?}"
    );
    assert_eq!(a_row.servers_total, 0, "no invented numbers: {a_row:?}");
    // When its read gives up, the frozen dashboard's row says it is unreachable.
    let mut view = view;
    until(&mut sse, &mut view, "codis-a unreachable", |v| {
        v.row("codis-a")
            .is_some_and(|r| r.state == LiveState::Unreachable)
    })
    .await;
    assert_eq!(view.row("codis-b").map(|r| r.state), Some(LiveState::Live));
}

#[tokio::test]
async fn each_dashboard_is_read_once_per_fleet_interval_and_not_again_while_its_pages_are_open() {
    // The fleet reads every 0.25 s, a product's own live poller every 1 s: a fleet read of a
    // product whose poller runs would show as 4 extra requests per second.
    let (a, b, _list, app) = two_products("0.25", "1").await;
    let mut fleet = Sse::connect(&app.url("/api/fleet/events"), None).await;
    let mut view: FleetView = fleet.next(WAIT).await.json();

    // Only the fleet watches: each dashboard once per fleet interval.
    let t0 = Instant::now();
    let seq0 = view.seq;
    until(&mut fleet, &mut view, "12 fleet updates", |v| {
        v.seq >= seq0 + 12
    })
    .await;
    let secs = t0.elapsed().as_secs_f64();
    for (name, c) in [("codis-a", &a), ("codis-b", &b)] {
        let polls = c
            .proxy
            .paths_since(t0)
            .iter()
            .filter(|p| support::live::is_poll(p))
            .count();
        assert!(
            polls >= 6,
            "{name}: the fleet reads it ({polls} polls in {secs:.1} s)"
        );
        assert!(
            polls as f64 <= secs / 0.25 + 2.0,
            "{name}: at most one read per fleet interval ({polls} in {secs:.1} s)"
        );
    }

    // codis-a's pages open: its own poller runs and the fleet takes its samples instead.
    let mut pages = Sse::connect(&app.url("/api/products/codis-a/events"), None).await;
    let _ = pages.next(WAIT).await;
    let t1 = Instant::now();
    let seq1 = view.seq;
    until(&mut fleet, &mut view, "12 more fleet updates", |v| {
        v.seq >= seq1 + 12
    })
    .await;
    let secs = t1.elapsed().as_secs_f64();
    let polls_a = a
        .proxy
        .paths_since(t1)
        .iter()
        .filter(|p| support::live::is_poll(p))
        .count();
    let polls_b = b
        .proxy
        .paths_since(t1)
        .iter()
        .filter(|p| support::live::is_poll(p))
        .count();
    assert!(
        polls_a as f64 <= secs / 1.0 + 2.0,
        "codis-a is polled by its live poller only ({polls_a} polls in {secs:.1} s; a fleet read too would be ~{:.0})",
        secs / 0.25 + secs
    );
    assert!(
        polls_b >= 6,
        "codis-b is still read by the fleet ({polls_b})"
    );
    assert_eq!(
        view.row("codis-a").map(|r| r.state),
        Some(LiveState::Live),
        "the row stays live from the poller's samples"
    );
    drop(pages);
}

/// One product, `codis-a` (3 groups, sentinels), and a backend with `rules` as its alerts file
/// (so the fleet reads it although nobody watches), reading it every 0.2 s, plus `flags`.
struct OneProduct {
    a: Cluster,
    app: TestApp,
    _list: DashboardList,
    _rules: AlertsFile,
}

async fn one_product_with_alerts(rules: &str, flags: &[&str]) -> OneProduct {
    let a = Cluster::start("codis-a", Preset::Small).await;
    let list = DashboardList::new(&[("codis-a", &a.proxy.addr.to_string())]);
    let rules = AlertsFile::new(rules);
    let app = TestApp::builder()
        .dashboards(&list)
        .flag(rules.flag())
        .flag("--fleet-interval=0.2")
        .flags(flags)
        .quiet()
        .start()
        .await;
    OneProduct {
        a,
        app,
        _list: list,
        _rules: rules,
    }
}

/// The `/api/alerts` alerts of `rule` in `state`.
async fn alerts_of(app: &TestApp, rule: &str, state: &str) -> Vec<serde_json::Value> {
    let r: serde_json::Value = support::get_json(app.url("/api/alerts")).await;
    r["alerts"]
        .as_array()
        .map(|v| {
            v.iter()
                .filter(|a| a["rule"] == rule && a["state"] == state)
                .cloned()
                .collect()
        })
        .unwrap_or_default()
}

/// A real scrape of `/metrics`.
async fn scrape(app: &TestApp) -> String {
    support::http()
        .get(app.url("/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text")
}

#[tokio::test]
async fn a_dead_proxy_fires_an_alert_that_nobody_watches_and_it_resolves_when_it_is_back() {
    // Every part is bound (a `..` would drop the dashboard and the files at once).
    let OneProduct {
        a,
        app,
        _list,
        _rules,
    } = one_product_with_alerts("[rules.proxy_down]\nfor = 0\n", &["--health-samples=1"]).await;
    // Nobody opens a stream: with --alerts the fleet reads the product anyway.
    support::eventually("the fleet reads codis-a", WAIT, || async {
        a.proxy.polls() >= 2
    })
    .await;
    let alerts_url = app.url("/api/alerts");
    let reply: serde_json::Value = support::get_json(alerts_url.clone()).await;
    assert_eq!(reply["alerts"], serde_json::json!([]), "healthy: no alert");
    assert!(reply["evaluated_since_ms"].as_u64().is_some());

    a.demo.set_fault(codis_demo::Fault::ProxyError(1));
    let firing = |r: &serde_json::Value| {
        r["alerts"].as_array().is_some_and(|v| {
            v.iter()
                .any(|a| a["rule"] == "proxy_down" && a["state"] == "firing")
        })
    };
    support::eventually("proxy_down firing", WAIT, || async {
        firing(&support::get_json::<serde_json::Value>(alerts_url.clone()).await)
    })
    .await;
    let reply: serde_json::Value = support::get_json(alerts_url.clone()).await;
    let alert = &reply["alerts"][0];
    assert_eq!(alert["product"], "codis-a");
    assert_eq!(alert["severity"], "critical");
    assert!(alert["labels"]["proxy"].as_str().is_some(), "{alert}");
    assert!(alert["firing_since_ms"].as_u64().is_some());

    let metrics = scrape(&app).await;
    let line = metrics
        .lines()
        .find(|l| l.starts_with("codis_fe_alert_firing{"))
        .unwrap_or_else(|| panic!("an alert series in /metrics:\n{metrics}"));
    assert!(
        line.contains(r#"product="codis-a",alert="proxy_down",severity="critical""#)
            && line.ends_with(" 1"),
        "{line}"
    );

    // Nobody watches codis-a, yet its per-proxy series are there, from the fleet's reads: the
    // Prometheus rules (deploy/prometheus/codis-rules.yml, CodisProxyDown) see the dead proxy.
    let dead = alert["labels"]["proxy"].as_str().expect("proxy label");
    let proxy_up = |metrics: &str, value: &str| {
        metrics.lines().any(|l| {
            l.starts_with(r#"codis_proxy_up{product="codis-a","#)
                && l.contains(&format!(r#"addr="{dead}""#))
                && l.ends_with(value)
        })
    };
    assert!(
        proxy_up(&metrics, " 0"),
        "the dead proxy is down:\n{metrics}"
    );
    assert!(
        metrics
            .lines()
            .any(|l| l == r#"codis_dashboard_up{product="codis-a"} 1"#),
        "{metrics}"
    );
    assert!(
        !metrics.contains("codis_fe_live_subscribers{"),
        "no live poller runs: the series come from the fleet's reads\n{metrics}"
    );

    a.demo.clear_fault(&codis_demo::Fault::ProxyError(1));
    support::eventually("the proxy up again in /metrics", WAIT, || async {
        proxy_up(&scrape(&app).await, " 1")
    })
    .await;
    support::eventually("proxy_down resolved", WAIT, || async {
        let r: serde_json::Value = support::get_json(alerts_url.clone()).await;
        r["alerts"].as_array().is_some_and(|v| {
            v.iter()
                .any(|a| a["rule"] == "proxy_down" && a["state"] == "resolved")
        }) && !firing(&r)
    })
    .await;
}

#[tokio::test]
async fn a_bad_alerts_file_stops_the_start_naming_the_field_and_the_rule() {
    let rules = AlertsFile::new("[rules.memory_high]\nthreshold = 90\n");
    let args = <codis_fe::config::Args as clap::Parser>::try_parse_from([
        "codis-fe".to_string(),
        "--listen=127.0.0.1:0".to_string(),
        "--demo".to_string(),
        rules.flag(),
    ])
    .expect("flags parse");
    let err = codis_fe::server::build(&args)
        .await
        .err()
        .expect("the start is refused");
    assert!(
        err.contains("rules.memory_high.threshold: must be a share greater than 0 and at most 1"),
        "{err}"
    );
}

/// Reads `url` with `cookie` until the first complete SSE event, and returns its data.
async fn first_event_data(url: &str, cookie: &str) -> String {
    let mut resp = support::http()
        .get(url)
        .header("cookie", cookie)
        .send()
        .await
        .expect("events request");
    assert_eq!(resp.status(), 200, "GET {url}");
    let mut buf = String::new();
    let read = async {
        loop {
            let chunk = resp.chunk().await.expect("chunk").expect("stream open");
            buf.push_str(&String::from_utf8_lossy(&chunk));
            if let Some(block) = buf
                .split("\n\n")
                .find(|b| b.contains("event: snapshot") && buf.contains(&format!("{b}\n\n")))
            {
                let data = block
                    .lines()
                    .find_map(|l| l.strip_prefix("data: "))
                    .expect("data line");
                return data.to_string();
            }
        }
    };
    tokio::time::timeout(WAIT, read).await.expect("a snapshot")
}

#[tokio::test]
async fn a_user_sees_only_the_products_it_has_a_role_for() {
    let a = Cluster::start("codis-a", Preset::Small).await;
    let b = Cluster::start("codis-b", Preset::Tiny).await;
    let list = DashboardList::new(&[
        ("codis-a", &a.proxy.addr.to_string()),
        ("codis-b", &b.proxy.addr.to_string()),
    ]);
    let users = support::UsersFile::new(
        "fleet",
        serde_json::json!([
            {"user": "pia", "hash": support::password_hash("pia-pw"), "products": {"codis-a": "operator"}},
            {"user": "otto", "hash": support::password_hash("otto-pw"), "role": "viewer"},
        ]),
    );
    let app = TestApp::builder()
        .dashboards(&list)
        .users(&users)
        .flag("--fleet-interval=0.2")
        .quiet()
        .start()
        .await;
    for path in ["/api/fleet", "/api/fleet/events", "/api/alerts"] {
        let status = support::http()
            .get(app.url(path))
            .send()
            .await
            .expect("request")
            .status();
        assert_eq!(status, 401, "{path} needs a session");
    }
    let cookie_of = |user: &'static str, pw: &'static str| {
        let url = app.url("/api/session");
        async move {
            let resp = support::http()
                .post(url)
                .json(&serde_json::json!({"user": user, "password": pw}))
                .send()
                .await
                .expect("sign-in");
            assert_eq!(resp.status(), 200, "{user} signs in");
            let set = resp.headers()["set-cookie"]
                .to_str()
                .expect("ascii")
                .to_string();
            set.split(';').next().expect("cookie").to_string()
        }
    };
    let products =
        |v: &FleetView| -> Vec<String> { v.rows.iter().map(|r| r.product.clone()).collect() };
    let pia = cookie_of("pia", "pia-pw").await;
    let otto = cookie_of("otto", "otto-pw").await;
    for (cookie, expect) in [(&pia, vec!["codis-a"]), (&otto, vec!["codis-a", "codis-b"])] {
        let json: FleetView = support::http()
            .get(app.url("/api/fleet"))
            .header("cookie", cookie.as_str())
            .send()
            .await
            .expect("fleet")
            .json()
            .await
            .expect("a FleetView");
        assert_eq!(products(&json), expect);
        let snapshot: FleetView =
            serde_json::from_str(&first_event_data(&app.url("/api/fleet/events"), cookie).await)
                .expect("a FleetView snapshot");
        assert_eq!(
            products(&snapshot),
            expect,
            "the stream shows the same products"
        );
    }
}

#[tokio::test]
async fn a_migration_that_makes_no_progress_is_stuck_in_the_fleet_in_metrics_and_in_alerts() {
    let one =
        one_product_with_alerts("[rules.migration_stuck]\nfor = 0\n", &["--stuck-after=1"]).await;
    let app = &one.app;
    let act = |body: serde_json::Value| {
        let url = app.url("/api/products/codis-a/actions");
        async move {
            let resp = support::http()
                .post(url)
                .json(&body)
                .send()
                .await
                .expect("action");
            assert_eq!(resp.status(), 200, "{body}");
        }
    };
    // Migrations paused, then 10 slots queued: nothing can move.
    act(serde_json::json!({"action": "slots-disabled", "disabled": true})).await;
    act(
        serde_json::json!({"action": "slots-create-range", "beg": "700", "end": "709", "gid": "1"}),
    )
    .await;
    let mut sse = Sse::connect(&app.url("/api/fleet/events"), None).await;
    let mut view: FleetView = sse.next(WAIT).await.json();
    until(&mut sse, &mut view, "codis-a's migration stuck", |v| {
        v.row("codis-a").is_some_and(|r| r.migration.stuck)
    })
    .await;
    let row = view.row("codis-a").expect("codis-a");
    assert_eq!(row.migration.queued, 10, "{row:?}");
    assert!(row.migration.disabled);
    assert!(row.migration.eta_secs.is_none(), "no ETA without progress");
    until(
        &mut sse,
        &mut view,
        "the stuck alert counted on the row",
        |v| v.row("codis-a").is_some_and(|r| r.alerts_firing >= 1),
    )
    .await;
    let metrics = scrape(app).await;
    for line in [
        r#"codis_slot_migration_queued{product="codis-a"} 10"#,
        r#"codis_slot_migration_stuck{product="codis-a"} 1"#,
        r#"codis_fe_alert_firing{product="codis-a",alert="migration_stuck",severity="warning"} 1"#,
    ] {
        assert!(metrics.lines().any(|l| l == line), "{line} in:\n{metrics}");
    }

    // Resumed: slots move again, the migration is no longer stuck and the alert resolves.
    act(serde_json::json!({"action": "slots-disabled", "disabled": false})).await;
    until(&mut sse, &mut view, "codis-a's migration moving", |v| {
        v.row("codis-a").is_some_and(|r| !r.migration.stuck)
    })
    .await;
    support::eventually("migration_stuck resolved", WAIT, || async {
        let r: serde_json::Value = support::get_json(app.url("/api/alerts")).await;
        r["alerts"].as_array().is_some_and(|v| {
            v.iter()
                .any(|a| a["rule"] == "migration_stuck" && a["state"] == "resolved")
        })
    })
    .await;
}

#[tokio::test]
async fn the_demo_fleet_adds_small_products_that_the_fleet_shows_live() {
    let app = TestApp::builder()
        .flags(&[
            "--demo",
            "--demo-fleet=3",
            "--demo-noise=off",
            "--fleet-interval=0.2",
        ])
        .quiet()
        .start()
        .await;
    let mut sse = Sse::connect(&app.url("/api/fleet/events"), None).await;
    let mut view: FleetView = sse.next(WAIT).await.json();
    until(&mut sse, &mut view, "six live products", |v| {
        v.rows.len() == 6 && v.rows.iter().all(|r| r.state == LiveState::Live)
    })
    .await;
    let names: Vec<&str> = view.rows.iter().map(|r| r.product.as_str()).collect();
    assert_eq!(
        names,
        [
            "codis-demo",
            "codis-fleet-001",
            "codis-fleet-002",
            "codis-fleet-003",
            "codis-tiny",
            "pika-demo"
        ]
    );
    let small = view.row("codis-fleet-002").expect("a fleet product");
    assert_eq!((small.proxies_total, small.servers_total), (1, 2));
    let refused =
        <codis_fe::config::Args as clap::Parser>::try_parse_from(["codis-fe", "--demo-fleet=3"]);
    let err = refused.expect_err("--demo-fleet needs --demo").to_string();
    assert!(err.contains("--demo"), "{err}");
}

/// A backend running the demo with `--demo-fault=<fault>` and `rules` as its alerts file; the
/// fleet reads every 0.2 s and nobody watches.
async fn demo_with_fault(fault: &str, rules: &str, flags: &[&str]) -> (AlertsFile, TestApp) {
    let rules = AlertsFile::new(rules);
    let app = TestApp::builder()
        .flags(&["--demo", "--demo-noise=off", "--fleet-interval=0.2"])
        .flag(format!("--demo-fault={fault}"))
        .flag(rules.flag())
        .flags(flags)
        .quiet()
        .start()
        .await;
    (rules, app)
}

#[tokio::test]
async fn the_demo_replica_link_down_fault_fires_replica_link_down_and_nothing_else() {
    // server_down would fire at once too: the replica must be seen alive, only cut off.
    let (_rules, app) = demo_with_fault(
        "replica-link-down:127.0.0.1:16380",
        "[rules.replica_link_down]\nfor = 0\n[rules.server_down]\nfor = 0\n",
        &["--health-samples=1"],
    )
    .await;
    support::eventually("replica_link_down firing", WAIT, || async {
        !alerts_of(&app, "replica_link_down", "firing")
            .await
            .is_empty()
    })
    .await;
    let alerts = alerts_of(&app, "replica_link_down", "firing").await;
    assert_eq!(alerts.len(), 1, "one replica: {alerts:?}");
    let alert = &alerts[0];
    assert_eq!(alert["product"], "codis-demo");
    assert_eq!(alert["labels"]["server"], "127.0.0.1:16380");
    assert_eq!(alert["labels"]["group"], "1");
    let r: serde_json::Value = support::get_json(app.url("/api/alerts")).await;
    let others: Vec<&serde_json::Value> = r["alerts"]
        .as_array()
        .expect("alerts")
        .iter()
        .filter(|a| a["rule"] != "replica_link_down")
        .collect();
    assert!(others.is_empty(), "only the link is down: {others:?}");
    // The Prometheus side: the replica's link series is 0 although nobody watches the product.
    let metrics = scrape(&app).await;
    assert!(
        metrics.lines().any(|l| l
            == r#"codis_server_master_link_up{product="codis-demo",group="1",server="127.0.0.1:16380"} 0"#),
        "{metrics}"
    );
}

#[tokio::test]
async fn the_demo_migration_stuck_fault_queues_a_migration_that_never_moves_and_fires() {
    let (_rules, app) = demo_with_fault(
        "migration-stuck",
        "[rules.migration_stuck]\nfor = 0\n",
        &["--stuck-after=1"],
    )
    .await;
    support::eventually("migration_stuck firing", WAIT, || async {
        !alerts_of(&app, "migration_stuck", "firing")
            .await
            .is_empty()
    })
    .await;
    let alert = &alerts_of(&app, "migration_stuck", "firing").await[0];
    assert_eq!(alert["product"], "codis-demo");
    assert!(
        alert["summary"]
            .as_str()
            .is_some_and(|s| s.contains("8 slots queued")),
        "{alert}"
    );
    let fleet: FleetView = support::get_json(app.url("/api/fleet")).await;
    let row = fleet.row("codis-demo").expect("codis-demo");
    assert!(row.migration.stuck && !row.migration.disabled, "{row:?}");
    assert_eq!(
        (row.migration.queued, row.migration.done),
        (8, 0),
        "{row:?}"
    );
    // The dashboard says why, as Codis does: the batch's error in the progress status.
    let demo = app.demo_dashboard("codis-demo");
    let stats: serde_json::Value = support::get_json(format!(
        "{}/api/topom/stats/{}",
        demo.base_url(),
        demo.xauth()
    ))
    .await;
    let status = stats["slot_action"]["progress"]["status"]
        .as_str()
        .unwrap_or_default();
    assert!(
        status.starts_with("[ERROR] Slot[") && status.ends_with("i/o timeout"),
        "{status}"
    );
    // Cleared: the slots move and the alert resolves.
    demo.clear_fault(&codis_demo::Fault::MigrationStuck);
    support::eventually("migration_stuck resolved", WAIT, || async {
        !alerts_of(&app, "migration_stuck", "resolved")
            .await
            .is_empty()
    })
    .await;
}

#[tokio::test]
async fn a_demo_fault_that_does_not_fit_the_demo_stops_the_start_naming_the_flag() {
    for (fault, why) in [
        (
            "replica-link-down:127.0.0.1:16379",
            "--demo-fault \"replica-link-down:127.0.0.1:16379\": 127.0.0.1:16379 is not a replica of codis-demo (its replicas: 127.0.0.1:16380, 127.0.0.1:16382, 127.0.0.1:16384)",
        ),
        (
            "server-down:127.0.0.1:9",
            "--demo-fault \"server-down:127.0.0.1:9\": 127.0.0.1:9 is not a codis-server of codis-demo",
        ),
        ("proxy-error:7", "codis-demo has 4 proxies: the index must be 0 to 3"),
        ("migration-stuck:3", "invalid fault \"migration-stuck:3\": unknown fault; accepted forms:"),
    ] {
        let args = <codis_fe::config::Args as clap::Parser>::try_parse_from([
            "codis-fe".to_string(),
            "--listen=127.0.0.1:0".to_string(),
            "--demo".to_string(),
            format!("--demo-fault={fault}"),
        ])
        .expect("flags parse");
        let err = codis_fe::server::build(&args)
            .await
            .err()
            .unwrap_or_else(|| panic!("{fault}: the start is refused"));
        assert!(err.contains(why), "{fault}: {err}");
        assert!(err.starts_with("--demo-fault"), "{fault}: {err}");
    }
}
