//! Safe actions over real HTTP to the simulated dashboard: what an operator relies on when an
//! action does nothing, times out, is clicked twice, or is refused for a classic mistake.

use codis_testkit as support;
use support::TestApp;

use std::time::{Duration, Instant};

use codis_demo::{DemoDashboard, Fault, Preset};
use codis_model::Stats;
use reqwest::StatusCode;
use serde_json::{json, Value};
use support::{demo_dashboard, get_json, http, AuditLog, DashboardList};

async fn post_action(base: &str, body: Value) -> (StatusCode, Value) {
    let resp = http()
        .post(format!("{base}/api/products/codis-demo/actions"))
        .json(&body)
        .send()
        .await
        .expect("request");
    let status = resp.status();
    (status, resp.json().await.expect("json body"))
}

async fn stats(base: &str) -> Stats {
    get_json(format!("{base}/api/products/codis-demo/stats")).await
}

/// A backend in front of a `Small` demo of `codis-demo`, with these extra flags.
async fn backend(extra: &[&str]) -> (DemoDashboard, DashboardList, String) {
    let d = demo_dashboard("codis-demo", Preset::Small).await;
    let list = DashboardList::new(&[("codis-demo", &d.addr().to_string())]);
    let mut flags = vec![list.flag()];
    flags.extend(extra.iter().map(|s| s.to_string()));
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let base = TestApp::builder().flags(&flags).start().await.base();
    (d, list, base)
}

/// Polls `stats` until `done` holds, for up to 15 s.
async fn wait_stats(base: &str, what: &str, done: impl Fn(&Stats) -> bool) -> Stats {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let s = stats(base).await;
        if done(&s) {
            return s;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn queued(s: &Stats) -> usize {
    s.slots.iter().filter(|x| x.action.state.is_some()).count()
}

#[tokio::test]
async fn migrate_some_from_a_missing_or_empty_group_is_refused_before_it_reaches_the_dashboard() {
    let (_d, _l, base) = backend(&[]).await;
    let (status, body) = post_action(
        &base,
        json!({"action": "slots-create-some", "from": "77", "to": "1", "num": "10"}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["field"], "from", "{body}");
    assert_eq!(body["error"]["rule"], "group 77 does not exist", "{body}");

    // An empty group exists but holds no slots.
    let (status, _) = post_action(&base, json!({"action": "group-create", "gid": "5"})).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = post_action(
        &base,
        json!({"action": "slots-create-some", "from": "5", "to": "1", "num": "10"}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["rule"], "group 5 holds no slots", "{body}");
    assert_eq!(queued(&stats(&base).await), 0, "nothing was queued");

    // A real migration says how many slots were actually queued.
    let (status, body) = post_action(
        &base,
        json!({"action": "slots-create-some", "from": "1", "to": "2", "num": "3"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["queued"], 3, "{body}");
    let (status, body) = post_action(
        &base,
        json!({"action": "slots-create-range", "beg": "700", "end": "709", "gid": "1"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["queued"], 10, "{body}");
}

#[tokio::test]
async fn a_timed_out_action_is_outcome_unknown_audited_as_unknown_and_still_happens() {
    let audit = AuditLog::new("timed-out-action");
    let (d, _l, base) = backend(&["--dashboard-timeout=1", &audit.flag()]).await;
    d.set_fault(Fault::DashboardSlow(Duration::from_millis(2500)));
    let (status, body) = post_action(&base, json!({"action": "group-create", "gid": "7"})).await;
    assert_eq!(status, StatusCode::GATEWAY_TIMEOUT, "{body}");
    assert_eq!(body["error"]["kind"], "unknown", "{body}");
    let msg = body["error"]["message"].as_str().unwrap_or_default();
    assert!(msg.contains("may still carry the action out"), "{msg}");
    assert!(msg.contains("before retrying"), "{msg}");
    // The same, as data the console words in its language.
    assert_eq!(
        body["error"]["cause"],
        json!({"id": "outcome_unknown", "params": {"addr": d.addr().to_string()}}),
        "{body}"
    );
    audit.assert_last(&[
        ("action", json!("group-create")),
        ("outcome", json!("unknown")),
    ]);
    // Retrying at once could apply it twice: refused while its outcome is unknown.
    let (status, body) = post_action(&base, json!({"action": "group-create", "gid": "7"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["kind"], "in_flight", "{body}");
    assert_eq!(body["error"]["cause"], json!({"id": "in_flight"}), "{body}");
    // The dashboard carries it out late, as a frozen dashboard does after `kill -CONT`.
    d.clear_fault(&Fault::DashboardSlow(Duration::from_millis(2500)));
    wait_stats(&base, "group 7 to appear", |s| {
        s.group.models.iter().any(|g| g.id == 7)
    })
    .await;
}

#[tokio::test]
async fn a_second_identical_action_while_the_first_runs_is_refused() {
    let (d, _l, base) = backend(&[]).await;
    d.set_fault(Fault::DashboardSlow(Duration::from_millis(3000)));
    let body = json!({"action": "group-create", "gid": "8"});
    let (a, b) = tokio::join!(post_action(&base, body.clone()), post_action(&base, body));
    let mut outcomes = [
        (a.0, a.1["error"]["kind"].clone()),
        (b.0, b.1["error"]["kind"].clone()),
    ];
    outcomes.sort_by_key(|o| o.0);
    assert_eq!(
        outcomes,
        [
            (StatusCode::OK, Value::Null),
            (StatusCode::CONFLICT, json!("in_flight"))
        ],
        "one ran, the other was refused: {a:?} {b:?}"
    );
    // Once it ended, the same action may be sent again (the dashboard then says it exists).
    d.clear_faults();
    let (status, body) = post_action(&base, json!({"action": "group-create", "gid": "8"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["kind"], "dashboard_refused", "{body}");
}

#[tokio::test]
async fn refusals_name_proxies_by_id_and_addresses_and_hint_at_classic_mistakes() {
    let (d, _l, base) = backend(&[]).await;
    let s = stats(&base).await;
    let first = s.proxy.models[0].clone();
    let second = s.proxy.models[1].clone();

    // A proxy added by its data port: the hint names its admin port.
    let (status, body) = post_action(
        &base,
        json!({"action": "proxy-create", "addr": first.proxy_addr}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("malformed HTTP status code \"wrong\""),
        "the dashboard's own words stay: {body}"
    );
    assert_eq!(
        body["error"]["hint"],
        format!(
            "{} answers like a proxy's data port; the admin port of this proxy is {}",
            first.proxy_addr, first.admin_addr
        ),
        "{body}"
    );
    // The mistake as data (its id and parameters), for the console to word in its language.
    assert_eq!(
        body["error"]["cause"],
        json!({"id": "proxy_data_port",
               "params": {"addr": first.proxy_addr, "admin": first.admin_addr}}),
        "{body}"
    );

    // A plain Redis added to a group.
    let plain = d.addresses().plain_redis;
    let (status, body) = post_action(
        &base,
        json!({"action": "group-add-server", "gid": "1", "addr": plain}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let hint = body["error"]["hint"].as_str().unwrap_or_default();
    assert!(
        hint.starts_with(&format!("{plain} is not a codis-server")),
        "{body}"
    );
    assert_eq!(
        body["error"]["cause"],
        json!({"id": "not_codis_server", "params": {"addr": plain}}),
        "{body}"
    );

    // A dead proxy: named by id and addresses, never by token.
    d.set_fault(Fault::ProxyError(1));
    let (status, body) = post_action(
        &base,
        json!({"action": "proxy-reinit", "token": second.token}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let msg = body["error"]["message"].as_str().unwrap_or_default();
    assert_eq!(
        msg,
        format!(
            "proxy {} ({}, admin {}) fillslots failed",
            second.id, second.proxy_addr, second.admin_addr
        )
    );
    assert!(
        body["error"]["hint"]
            .as_str()
            .unwrap_or_default()
            .contains("Force remove"),
        "{body}"
    );
    assert_eq!(body["error"]["cause"], json!({"id": "proxy_unreachable"}));
}

#[tokio::test]
async fn a_refused_input_and_an_unknown_product_carry_their_cause_as_data() {
    let (_d, _l, base) = backend(&[]).await;
    let (status, body) = post_action(&base, json!({"action": "group-create", "gid": "0"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(
        body["error"]["message"], "gid: must be an integer from 1 to 9999",
        "the English stays for curl: {body}"
    );
    assert_eq!(
        body["error"]["cause"],
        json!({"id": "invalid", "params": {"field": "gid",
               "rule": {"id": "int_range", "min": 1, "max": 9999, "micros": false}}}),
        "{body}"
    );
    let resp = http()
        .get(format!("{base}/api/products/no-such/stats"))
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let body: Value = resp.json().await.expect("json body");
    assert_eq!(
        body["error"]["cause"],
        json!({"id": "unknown_product", "params": {"product": "no-such"}}),
        "{body}"
    );
    // A failure only the English describes has no cause.
    let resp = http()
        .get(format!("{base}/api/no-such-route"))
        .send()
        .await
        .expect("request");
    let body: Value = resp.json().await.expect("json body");
    assert_eq!(body["error"]["cause"], Value::Null, "{body}");
}

#[tokio::test]
async fn a_dead_proxys_error_never_shows_an_xauth() {
    let (d, _l, base) = backend(&[]).await;
    d.set_fault(Fault::ProxyError(1));
    let s = wait_stats(&base, "the dead proxy's sample error", |s| {
        s.proxy.stats.values().any(|p| p.error.is_some())
    })
    .await;
    let cause = s
        .proxy
        .stats
        .values()
        .find_map(|p| p.error.as_ref())
        .map(|e| e.cause.clone())
        .expect("an error");
    assert!(cause.contains("/api/proxy/stats/{xauth}"), "{cause}");
    let text = http()
        .get(format!("{base}/api/products/codis-demo/stats"))
        .send()
        .await
        .expect("stats")
        .text()
        .await
        .expect("text");
    let leaked = hex_after(&text, "/api/proxy/stats/");
    assert!(leaked.is_empty(), "an xauth leaked: {leaked:?}");
}

/// Every 32-hex segment that follows `prefix` in `text`.
fn hex_after(text: &str, prefix: &str) -> Vec<String> {
    text.match_indices(prefix)
        .filter_map(|(i, _)| text.get(i + prefix.len()..i + prefix.len() + 32))
        .filter(|s| s.bytes().all(|b| b.is_ascii_hexdigit()))
        .map(str::to_string)
        .collect()
}

#[tokio::test]
async fn a_proxy_detail_shows_its_version_config_and_slot_map_without_passwords() {
    let (_d, _l, base) = backend(&[]).await;
    let s = stats(&base).await;
    let p = &s.proxy.models[0];
    let (status, body) = support::call(
        &base,
        "GET",
        &format!("/api/products/codis-demo/proxies/{}/detail", p.token),
        None,
        None,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["name"],
        format!("proxy {} ({}, admin {})", p.id, p.proxy_addr, p.admin_addr)
    );
    assert!(
        body["version"].as_str().is_some_and(|v| !v.is_empty()),
        "{body}"
    );
    assert_eq!(body["config"]["proxy_addr"], p.proxy_addr.as_str());
    let config = body["config"].as_object().expect("config");
    assert!(
        config.keys().all(|k| !k.contains("auth")),
        "no password-like key: {:?}",
        config.keys().collect::<Vec<_>>()
    );
    // Small preset: slots 0-341 group 1, 342-682 group 2, 683-1023 group 3.
    let runs = body["slots"].as_array().expect("slot runs");
    let spans: Vec<(u64, u64, u64)> = runs
        .iter()
        .map(|r| {
            (
                r["begin"].as_u64().unwrap_or(9999),
                r["end"].as_u64().unwrap_or(9999),
                r["group_id"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(spans, [(0, 341, 1), (342, 682, 2), (683, 1023, 3)]);
    assert!(
        runs.iter()
            .all(|r| r["backend_addr"].as_str().is_some_and(|a| !a.is_empty())),
        "{body}"
    );
    // Not a proxy of the product.
    let (status, _) = support::call(
        &base,
        "GET",
        "/api/products/codis-demo/proxies/ffffffffffffffffffffffffffffffff/detail",
        None,
        None,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Documented.
    let doc: Value = get_json(format!("{base}/api/openapi.json")).await;
    assert!(
        doc["paths"]["/api/products/{product}/proxies/{token}/detail"]["get"].is_object(),
        "the route is in the OpenAPI document"
    );
}
