//! The console API and codis-fe's `?forward=` over real HTTP to a simulated dashboard: what an
//! operator (or a script written for codis-fe) relies on.

use codis_testkit as support;
use support::TestApp;

use std::time::{Duration, Instant};

use codis_demo::{Fault, Preset};
use codis_model::{console::ProductsReply, Stats};
use reqwest::StatusCode;
use serde_json::{json, Value};
use support::{demo_backend, demo_dashboard, get_json, http, send_json, status_of, DashboardList};

async fn post_action(base: &str, product: &str, body: Value) -> (StatusCode, Value) {
    let resp = http()
        .post(format!("{base}/api/products/{product}/actions"))
        .json(&body)
        .send()
        .await
        .expect("request");
    let status = resp.status();
    (status, resp.json().await.expect("json body"))
}

async fn stats(base: &str, product: &str) -> Stats {
    get_json(format!("{base}/api/products/{product}/stats")).await
}

#[tokio::test]
async fn list_is_a_sorted_json_array_like_codis_fe_but_never_null() {
    let b = demo_dashboard("codis-b", Preset::Tiny).await;
    let a = demo_dashboard("codis-a", Preset::Tiny).await;
    let list = DashboardList::new(&[
        ("codis-b", &b.addr().to_string()),
        ("codis-a", &a.addr().to_string()),
    ]);
    let addr = TestApp::builder().dashboards(&list).start().await.addr;
    let resp = http()
        .get(format!("http://{addr}/list"))
        .send()
        .await
        .expect("list");
    assert!(resp.headers()["content-type"]
        .to_str()
        .expect("ascii")
        .starts_with("application/json"));
    let names: Vec<String> = resp.json().await.expect("array");
    assert_eq!(names, ["codis-a", "codis-b"]);

    let empty = DashboardList::new(&[]);
    let addr = TestApp::builder().dashboards(&empty).start().await.addr;
    let body = http()
        .get(format!("http://{addr}/list"))
        .send()
        .await
        .expect("list")
        .text()
        .await
        .expect("text");
    assert_eq!(body, "[]");
}

#[tokio::test]
async fn products_say_which_dashboards_answer() {
    let live = demo_dashboard("codis-live", Preset::Tiny).await;
    let list = DashboardList::new(&[
        ("codis-live", &live.addr().to_string()),
        ("codis-dead", "127.0.0.1:1"),
    ]);
    let addr = TestApp::builder().dashboards(&list).start().await.addr;
    let reply: ProductsReply = get_json(format!("http://{addr}/api/products")).await;
    let live = reply
        .products
        .iter()
        .find(|p| p.name == "codis-live")
        .expect("live listed");
    let dead = reply
        .products
        .iter()
        .find(|p| p.name == "codis-dead")
        .expect("dead listed");
    assert_eq!(live.reachable, Some(true));
    assert!(live.last_seen_ms.is_some());
    assert_eq!(dead.reachable, Some(false));
    assert!(dead.error.as_deref().unwrap_or("").contains("127.0.0.1:1"));
    assert!(reply.discovery.loaded && !reply.discovery.stale);
    // The caller comes with the list (one request for the console's first load), as /api/me says.
    let me = reply.me.expect("me in the products reply");
    assert_eq!((me.mode.as_str(), me.user.as_str()), ("none", "anonymous"));
    assert_eq!(me.role, "admin");
    assert!(!me.read_only && me.csrf.is_none() && !me.insecure);
    let raw: serde_json::Value = get_json(format!("http://{addr}/api/products")).await;
    assert_eq!(
        raw["me"],
        serde_json::json!({"mode": "none", "user": "anonymous", "role": "admin", "read_only": false, "csrf": null}),
        "on loopback `insecure` is left out"
    );
}

#[tokio::test]
async fn no_sign_in_on_a_non_loopback_address_is_reported_as_insecure() {
    let demo = demo_dashboard("codis-demo", Preset::Tiny).await;
    let list = DashboardList::new(&[("codis-demo", &demo.addr().to_string())]);
    let addr = TestApp::builder()
        .listen("0.0.0.0:0")
        .dashboards(&list)
        .flag("--insecure-no-auth")
        .start()
        .await
        .addr;
    for path in ["/api/me", "/api/products"] {
        let v: serde_json::Value = get_json(format!("http://{addr}{path}")).await;
        let me = if path == "/api/me" { &v } else { &v["me"] };
        assert_eq!(me["insecure"], true, "{path}: {v}");
        assert_eq!(me["mode"], "none", "{path}: {v}");
    }
}

#[tokio::test]
async fn an_action_changes_the_cluster_and_a_refusal_shows_the_dashboards_cause() {
    let (_d, _list, base) = demo_backend(Preset::Small).await;

    let (status, body) = post_action(
        &base,
        "codis-demo",
        json!({"action": "group-create", "gid": 7}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["ok"], true);
    assert!(stats(&base, "codis-demo")
        .await
        .group
        .models
        .iter()
        .any(|g| g.id == 7));

    let (status, body) = post_action(
        &base,
        "codis-demo",
        json!({"action": "group-create", "gid": "7"}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["error"]["kind"], "dashboard_refused");
    assert_eq!(body["error"]["message"], "group-[7] already exists");
    assert!(
        !body.to_string().contains("Stack"),
        "no stack trace reaches the browser: {body}"
    );
}

#[tokio::test]
async fn bad_input_is_refused_naming_the_field_before_the_dashboard_is_called() {
    let (_d, _list, base) = demo_backend(Preset::Small).await;
    let cases = [
        (json!({"action": "group-create", "gid": "10000"}), "gid"),
        (
            json!({"action": "group-add-server", "gid": "1", "addr": "10.0.0.1:6379/x"}),
            "addr",
        ),
        (
            json!({"action": "slots-create-range", "beg": "10", "end": "5", "gid": "1"}),
            "end",
        ),
        (
            json!({"action": "slots-interval", "interval": "-1"}),
            "interval",
        ),
        (
            json!({"action": "sentinel-add", "addr": "host:70000"}),
            "addr",
        ),
    ];
    for (body, field) in cases {
        let (status, reply) = post_action(&base, "codis-demo", body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(reply["error"]["field"], field, "{body} -> {reply}");
        assert!(reply["error"]["rule"]
            .as_str()
            .is_some_and(|r| !r.is_empty()));
    }
    // Not an action at all: a JSON error, not a panic or an HTML page.
    let (status, reply) = post_action(&base, "codis-demo", json!({"action": "shutdown"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(reply["error"]["kind"], "invalid_input");
    // Nothing above reached the dashboard: group 1 and the slots are as they were.
    let s = stats(&base, "codis-demo").await;
    assert_eq!(s.group.models.len(), 3);
    assert_eq!(s.slot_action.interval, 0);
}

#[tokio::test]
async fn codis_fe_forward_passes_its_reads_and_actions_without_secrets() {
    let (_d, _list, base) = demo_backend(Preset::Small).await;
    let x = codis_model::xauth::product_xauth("codis-demo");

    let overview: Value = get_json(format!("{base}/topom?forward=codis-demo")).await;
    assert_eq!(overview["config"]["coordinator_auth"], "");
    assert_eq!(overview["model"]["product_name"], "codis-demo");

    assert_eq!(
        status_of(http().get(format!("{base}/api/topom/stats/{x}?forward=codis-demo"))).await,
        StatusCode::OK
    );

    let resp = http()
        .put(format!(
            "{base}/api/topom/group/create/{x}/8?forward=codis-demo"
        ))
        .send()
        .await
        .expect("create");
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.json::<Value>().await.expect("json"), json!("OK"));
}

#[tokio::test]
async fn codis_fe_forward_refuses_everything_outside_the_allow_list() {
    let (_d, _list, base) = demo_backend(Preset::Small).await;
    let x = codis_model::xauth::product_xauth("codis-demo");
    let refused = [
        ("PUT", format!("/api/topom/shutdown/{x}")),
        ("PUT", format!("/api/topom/reload/{x}")),
        ("PUT", format!("/api/topom/loglevel/{x}/DEBUG")),
        ("PUT", format!("/api/topom/slots/assign/{x}")),
        ("GET", "/debug/pprof/cmdline".to_string()),
        ("GET", "/api/topom/group/info/10.9.9.9:6379".to_string()),
        (
            "GET",
            "/api/topom/sentinels/info/10.9.9.9:26379".to_string(),
        ),
        ("DELETE", format!("/api/topom/group/create/{x}/9")),
    ];
    for (method, path) in &refused {
        let resp = http()
            .request(
                method.parse().expect("method"),
                format!("{base}{path}?forward=codis-demo"),
            )
            .send()
            .await
            .expect("request");
        assert_eq!(resp.status(), StatusCode::FORBIDDEN, "{method} {path}");
        let body: Value = resp.json().await.expect("JSON reason");
        assert_eq!(body["error"]["kind"], "forbidden", "{method} {path}");
    }
    assert_eq!(
        status_of(http().get(format!("{base}/topom?forward=no-such-product"))).await,
        StatusCode::FORBIDDEN
    );
    // The dashboard is still up: shutdown never reached it.
    let (status, _) = post_action(
        &base,
        "codis-demo",
        json!({"action": "group-create", "gid": 9}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn an_unknown_api_route_is_a_json_404_not_the_console_page() {
    let list = DashboardList::new(&[]);
    let dist = support::dist_dir();
    let base = TestApp::builder()
        .dashboards(&list)
        .assets(&dist)
        .start()
        .await
        .base();
    let (status, body) = send_json(http().get(format!("{base}/api/nope"))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["kind"], "not_found");
    let (status, body) = send_json(http().get(format!("{base}/api/products/nope/stats"))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["kind"], "unknown_product");
    // A client-side route still gets the console.
    let page = http()
        .get(format!("{base}/p/codis-demo/slots"))
        .send()
        .await
        .expect("page");
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.expect("html").contains("<title>Codis"));
}

#[tokio::test]
async fn a_slow_dashboard_times_out_quickly_while_other_products_keep_working() {
    let slow = demo_dashboard("codis-slow", Preset::Tiny).await;
    let fine = demo_dashboard("codis-fine", Preset::Tiny).await;
    let list = DashboardList::new(&[
        ("codis-slow", &slow.addr().to_string()),
        ("codis-fine", &fine.addr().to_string()),
    ]);
    let base = TestApp::builder()
        .dashboards(&list)
        .flag("--dashboard-timeout=0.5")
        .start()
        .await
        .base();
    slow.set_fault(Fault::DashboardSlow(Duration::from_secs(5)));
    let started = Instant::now();
    let (slow_resp, fine_resp) = tokio::join!(
        http()
            .get(format!("{base}/api/products/codis-slow/stats"))
            .send(),
        http()
            .get(format!("{base}/api/products/codis-fine/stats"))
            .send(),
    );
    let slow_resp = slow_resp.expect("slow answered");
    assert_eq!(slow_resp.status(), StatusCode::GATEWAY_TIMEOUT);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );
    let body: Value = slow_resp.json().await.expect("json");
    assert_eq!(body["error"]["kind"], "dashboard_timeout");
    assert_eq!(fine_resp.expect("fine answered").status(), StatusCode::OK);
}

#[tokio::test]
async fn a_dead_or_broken_dashboard_is_a_clear_502() {
    let (d, _list, base) = demo_backend(Preset::Tiny).await;

    d.set_fault(Fault::DashboardGarbage);
    let (status, body) =
        send_json(http().get(format!("{base}/api/products/codis-demo/stats"))).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY);
    assert_eq!(body["error"]["kind"], "dashboard_bad_response");
    d.clear_faults();

    d.stop().await;
    let (status, body) =
        send_json(http().get(format!("{base}/api/products/codis-demo/stats"))).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY);
    assert_eq!(body["error"]["kind"], "dashboard_unreachable");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap_or("")
        .contains(&d.addr().to_string()));

    d.restart().await.expect("restart");
    assert_eq!(
        status_of(http().get(format!("{base}/api/products/codis-demo/stats"))).await,
        StatusCode::OK
    );
}

#[tokio::test]
async fn server_and_sentinel_info_are_only_read_for_the_products_own_hosts() {
    let (d, _list, base) = demo_backend(Preset::Small).await;
    let s = stats(&base, "codis-demo").await;
    let server = &s.group.models[0].servers[0].server;
    let (status, info) = send_json(http().get(format!(
        "{base}/api/products/codis-demo/servers/{server}/info"
    )))
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(info.get("used_memory").is_some());

    let plain = d.addresses().plain_redis;
    assert_eq!(
        status_of(http().get(format!(
            "{base}/api/products/codis-demo/servers/{plain}/info"
        )))
        .await,
        StatusCode::FORBIDDEN
    );

    let sentinel = &s.sentinels.model.servers[0];
    assert_eq!(
        status_of(http().get(format!(
            "{base}/api/products/codis-demo/sentinels/{sentinel}/monitored"
        )))
        .await,
        StatusCode::OK
    );
}

#[tokio::test]
async fn rebalance_runs_only_the_plan_the_operator_saw() {
    let (d, _list, base) = demo_backend(Preset::Small).await;
    // An empty group 4 with a server makes the cluster unbalanced.
    let spare = d.addresses().spare_servers[0].clone();
    post_action(
        &base,
        "codis-demo",
        json!({"action": "group-create", "gid": 4}),
    )
    .await;
    let (status, body) = post_action(
        &base,
        "codis-demo",
        json!({"action": "group-add-server", "gid": 4, "addr": spare}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let preview: Value = http()
        .post(format!("{base}/api/products/codis-demo/rebalance/preview"))
        .send()
        .await
        .expect("preview")
        .json()
        .await
        .expect("json");
    let plan = preview["plan"].as_object().expect("plan object");
    assert!(
        plan.len() > 200,
        "group 4 receives about a quarter of the slots"
    );
    assert!(plan.values().all(|g| g == 4));
    assert_eq!(preview["groups"][0]["group_id"], 4);

    // A plan that is not the dashboard's current one is refused and nothing is queued.
    let resp = http()
        .post(format!("{base}/api/products/codis-demo/rebalance/apply"))
        .json(&json!({"plan": {"0": 4}}))
        .send()
        .await
        .expect("apply");
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    assert!(stats(&base, "codis-demo")
        .await
        .slots
        .iter()
        .all(|s| s.action.state.is_none()));

    let resp = http()
        .post(format!("{base}/api/products/codis-demo/rebalance/apply"))
        .json(&json!({"plan": preview["plan"]}))
        .send()
        .await
        .expect("apply");
    assert_eq!(resp.status(), StatusCode::OK);
    let queued = stats(&base, "codis-demo")
        .await
        .slots
        .iter()
        .filter(|s| s.action.target_id == 4 || s.group_id == 4)
        .count();
    assert_eq!(queued, plan.len());
}

#[tokio::test]
async fn a_broken_dashboard_list_keeps_the_last_good_list_and_marks_it_stale() {
    let d = demo_dashboard("codis-demo", Preset::Tiny).await;
    let list = DashboardList::new(&[("codis-demo", &d.addr().to_string())]);
    let base = TestApp::builder()
        .dashboards(&list)
        .flag("--discovery-interval=0.1")
        .start()
        .await
        .base();
    std::fs::write(&list.0, "[{\"name\": ").expect("corrupt the list");
    let deadline = Instant::now() + Duration::from_secs(5);
    let reply = loop {
        let reply: ProductsReply = get_json(format!("{base}/api/products")).await;
        if reply.discovery.stale || Instant::now() > deadline {
            break reply;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(reply.discovery.stale, "a failed load marks the list stale");
    assert!(reply
        .discovery
        .error
        .as_deref()
        .unwrap_or("")
        .contains("codis-fe-test-list"));
    assert_eq!(reply.products.len(), 1, "the last good list is kept");
    assert_eq!(stats(&base, "codis-demo").await.group.models.len(), 1);
}

#[tokio::test]
async fn the_api_describes_itself_as_openapi_generated_from_the_handlers() {
    let list = DashboardList::new(&[]);
    let base = TestApp::builder().dashboards(&list).start().await.base();
    let doc: Value = get_json(format!("{base}/api/openapi.json")).await;
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")));
    let paths = doc["paths"].as_object().expect("paths");
    for p in [
        "/api/products",
        "/api/products/{product}/actions",
        "/api/products/{product}/rebalance/apply",
        "/api/products/{product}/servers/{addr}/info",
        "/list",
        "/api/me",
        "/api/session",
        "/api/activity",
        "/api/products/{product}/events",
        "/api/products/{product}/proxies/{token}/cmds",
        "/metrics",
    ] {
        assert!(paths.contains_key(p), "{p} documented");
    }
    assert!(
        paths["/api/session"]["post"].is_object() && paths["/api/session"]["delete"].is_object()
    );
    for schema in ["SignIn", "AuditEntry", "Me", "ProxyCmds", "CmdRow"] {
        assert!(
            doc["components"]["schemas"][schema].is_object(),
            "{schema} documented"
        );
    }
    let action = &doc["components"]["schemas"]["Action"];
    let text = action.to_string();
    for variant in [
        "group-create",
        "proxy-remove",
        "slots-create-range",
        "sentinel-resync-all",
        "loglevel",
        "reload",
    ] {
        assert!(text.contains(variant), "Action schema lists {variant}");
    }
    assert!(!text.contains("\"shutdown\""), "shutdown is not an action");
}
