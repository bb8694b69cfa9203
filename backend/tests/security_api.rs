//! Security of the console API (issue 7, first subset): `--read-only`, the audit log, security
//! headers and the request size limit, over real HTTP through the binary's own accept loop
//! (`server::serve`, which records the peer address) to a simulated dashboard.

mod support;

use std::net::SocketAddr;
use std::time::Duration;

use clap::Parser;
use codis_demo::Preset;
use codis_fe::{config::Args, server};
use reqwest::StatusCode;
use serde_json::{json, Value};
use support::{
    call, demo_backend, demo_dashboard, http, send_json, start_backend, status_of, AuditLog,
    DashboardList,
};

async fn post(base: &str, path: &str, body: Option<Value>) -> (StatusCode, Value) {
    call(base, "POST", path, None, None, body).await
}

async fn get(base: &str, path: &str) -> (StatusCode, Value) {
    call(base, "GET", path, None, None, None).await
}

/// A backend with an audit log in front of one demo dashboard `codis-demo`; the dashboard and
/// list are returned so they live as long as the test.
async fn backend_with_audit(
    name: &str,
    preset: Preset,
    extra: &[&str],
) -> (codis_demo::DemoDashboard, DashboardList, AuditLog, String) {
    let d = demo_dashboard("codis-demo", preset).await;
    let list = DashboardList::new(&[("codis-demo", &d.addr().to_string())]);
    let audit = AuditLog::new(name);
    let mut flags = vec![list.flag(), audit.flag()];
    flags.extend(extra.iter().map(|f| f.to_string()));
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let base = format!("http://{}", start_backend(&flags).await);
    (d, list, audit, base)
}

fn assert_read_only_refusal(status: StatusCode, body: &Value, what: &str) {
    assert_eq!(status, StatusCode::FORBIDDEN, "{what}: {body}");
    assert_eq!(body["error"]["kind"], "forbidden", "{what}: {body}");
    let msg = body["error"]["message"].as_str().unwrap_or("");
    assert!(msg.contains("read-only"), "{what}: {msg}");
}

#[tokio::test]
async fn read_only_refuses_every_action_with_403_and_reads_keep_working() {
    let (_d, _list, audit, base) =
        backend_with_audit("read-only", Preset::Small, &["--read-only"]).await;
    let x = codis_model::xauth::product_xauth("codis-demo");

    let (status, me) = get(&base, "/api/me").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        me,
        json!({"mode": "none", "user": "anonymous", "role": "viewer", "read_only": true, "csrf": null})
    );

    let actions = "/api/products/codis-demo/actions";
    let (status, body) = post(
        &base,
        actions,
        Some(json!({"action": "group-create", "gid": 7})),
    )
    .await;
    assert_read_only_refusal(status, &body, "group-create");
    // Even an action that would not validate is refused as read-only, not as invalid.
    let (status, body) = post(
        &base,
        actions,
        Some(json!({"action": "group-create", "gid": "10000"})),
    )
    .await;
    assert_read_only_refusal(status, &body, "invalid group-create");
    let (status, body) = post(&base, "/api/products/codis-demo/rebalance/preview", None).await;
    assert_read_only_refusal(status, &body, "rebalance preview");
    let (status, body) = post(
        &base,
        "/api/products/codis-demo/rebalance/apply",
        Some(json!({"plan": {}})),
    )
    .await;
    assert_read_only_refusal(status, &body, "rebalance apply");
    let (status, body) = send_json(http().put(format!(
        "{base}/api/topom/group/create/{x}/8?forward=codis-demo"
    )))
    .await;
    assert_read_only_refusal(status, &body, "forwarded group-create");

    // Reads keep working, and nothing reached the dashboard.
    let (status, stats) = get(&base, "/api/products/codis-demo/stats").await;
    assert_eq!(status, StatusCode::OK);
    let gids: Vec<u64> = stats["group"]["models"]
        .as_array()
        .expect("groups")
        .iter()
        .filter_map(|g| g["id"].as_u64())
        .collect();
    assert!(!gids.contains(&7) && !gids.contains(&8), "{gids:?}");
    let (status, _) = get(&base, "/api/products").await;
    assert_eq!(status, StatusCode::OK);
    let (status, overview) = get(&base, "/topom?forward=codis-demo").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(overview["model"]["product_name"], "codis-demo");

    // Every refusal is audited, as read_only.
    let lines = audit.lines();
    let names: Vec<&str> = lines.iter().filter_map(|l| l["action"].as_str()).collect();
    assert_eq!(
        names,
        [
            "group-create",
            "group-create",
            "slots-rebalance-preview",
            "slots-rebalance",
            "group-create"
        ],
        "{lines:?}"
    );
    for l in &lines {
        assert_eq!(l["outcome"], "read_only", "{l}");
        assert_eq!(l["status"], 403, "{l}");
        assert_eq!(l["role"], "viewer", "{l}");
        assert_eq!(l["product"], "codis-demo", "{l}");
    }
    // Parameters are the Action JSON, numbers as the dashboard path carries them.
    assert_eq!(
        lines[0]["params"],
        json!({"action": "group-create", "gid": "7"})
    );
    assert_eq!(lines[4]["params"]["gid"], "8", "{}", lines[4]);
}

#[tokio::test]
async fn every_action_attempt_is_audited_before_the_response() {
    let (_d, _list, audit, base) = backend_with_audit("attempts", Preset::Small, &[]).await;
    let x = codis_model::xauth::product_xauth("codis-demo");
    let actions = "/api/products/codis-demo/actions";

    let (status, me) = get(&base, "/api/me").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["role"], "admin");
    assert_eq!(me["read_only"], false);

    // Allowed: the line is there as soon as the response is.
    let (status, body) = post(
        &base,
        actions,
        Some(json!({"action": "group-create", "gid": 7})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let lines = audit.lines();
    assert_eq!(lines.len(), 1, "{lines:?}");
    let l = &lines[0];
    assert_eq!(l["user"], "anonymous");
    assert_eq!(l["role"], "admin");
    assert_eq!(l["product"], "codis-demo");
    assert_eq!(l["action"], "group-create");
    assert_eq!(l["params"], json!({"action": "group-create", "gid": "7"}));
    assert_eq!(l["outcome"], "allowed");
    assert_eq!(l["status"], 200);
    assert!(l.get("message").is_none(), "{l}");
    assert!(l["duration_ms"].is_u64(), "{l}");
    let client = l["client"].as_str().expect("client");
    assert!(
        client
            .parse::<SocketAddr>()
            .is_ok_and(|a| a.ip().is_loopback()),
        "peer address: {client}"
    );
    let time = l["time"].as_str().expect("time");
    assert_eq!(time.len(), "2026-01-01T00:00:00.000Z".len(), "{time}");
    assert!(time.ends_with('Z') && time.as_bytes()[10] == b'T', "{time}");

    // Refused by validation.
    let (status, _) = post(
        &base,
        actions,
        Some(json!({"action": "group-create", "gid": "10000"})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // Refused by the dashboard: its message is recorded.
    let (status, _) = post(
        &base,
        actions,
        Some(json!({"action": "group-create", "gid": 7})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    // Not an action at all.
    let (status, _) = post(&base, actions, Some(json!({"action": "shutdown"}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // Unknown product.
    let (status, _) = post(
        &base,
        "/api/products/nope/actions",
        Some(json!({"action": "group-create", "gid": 3})),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // The forward path: an allowed action and a refused write.
    assert_eq!(
        status_of(http().put(format!(
            "{base}/api/topom/group/create/{x}/8?forward=codis-demo"
        )))
        .await,
        StatusCode::OK
    );
    assert_eq!(
        status_of(http().put(format!("{base}/api/topom/shutdown/{x}?forward=codis-demo"))).await,
        StatusCode::FORBIDDEN
    );
    // Rebalance preview.
    let (status, _) = post(&base, "/api/products/codis-demo/rebalance/preview", None).await;
    assert_eq!(status, StatusCode::OK);
    // Reads are not audited.
    let (status, _) = get(&base, "/api/products/codis-demo/stats").await;
    assert_eq!(status, StatusCode::OK);

    let lines = audit.lines();
    let summary: Vec<(String, String, u64)> = lines
        .iter()
        .map(|l| {
            (
                l["action"].as_str().unwrap_or("?").to_string(),
                l["outcome"].as_str().unwrap_or("?").to_string(),
                l["status"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    let expected = [
        ("group-create", "allowed", 200),
        ("group-create", "invalid_input", 400),
        ("group-create", "dashboard_refused", 409),
        ("action", "invalid_input", 400),
        ("group-create", "unknown_product", 404),
        ("group-create", "allowed", 200),
        ("forward", "forbidden", 403),
        ("slots-rebalance-preview", "allowed", 200),
    ]
    .map(|(a, o, s)| (a.to_string(), o.to_string(), s));
    assert_eq!(summary, expected, "{lines:#?}");
    assert_eq!(lines[1]["params"]["gid"], "10000");
    assert!(
        lines[1]["message"].as_str().unwrap_or("").contains("gid"),
        "{}",
        lines[1]
    );
    assert_eq!(lines[2]["message"], "group-[7] already exists");
    assert_eq!(lines[4]["product"], "nope");
    assert_eq!(
        lines[5]["params"],
        json!({"action": "group-create", "gid": "8"})
    );
    assert_eq!(
        lines[6]["params"],
        json!({"method": "PUT", "path": "/api/topom/shutdown/{xauth}"})
    );
    // No secret in the audit log: not even the (guessable) xauth.
    assert!(!audit.text().contains(&x), "{}", audit.text());
}

#[tokio::test]
async fn an_audit_log_that_cannot_be_opened_stops_the_start() {
    let args = Args::try_parse_from([
        "codis-fe",
        "--demo",
        "--audit-log=/nonexistent-dir/codis-fe/audit.jsonl",
    ])
    .expect("parses");
    let err = server::build(&args).await.err().expect("refused");
    assert!(err.contains("--audit-log"), "{err}");
}

#[tokio::test]
async fn every_response_carries_the_security_headers_and_answers_that_are_not_pages_allow_nothing()
{
    let (_d, _list, base) = demo_backend(Preset::Tiny).await;
    let x = codis_model::xauth::product_xauth("codis-demo");
    for (method, path) in [
        ("GET", "/healthz".to_string()),
        ("GET", "/api/products".to_string()),
        ("GET", "/api/me".to_string()),
        ("GET", "/api/no-such-route".to_string()),
        ("GET", "/topom?forward=codis-demo".to_string()),
        ("PUT", format!("/api/topom/shutdown/{x}?forward=codis-demo")),
        ("POST", "/api/products/codis-demo/actions".to_string()),
    ] {
        let resp = http()
            .request(method.parse().expect("method"), format!("{base}{path}"))
            .send()
            .await
            .expect("request");
        let h = resp.headers();
        let csp = h
            .get("content-security-policy")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| panic!("{method} {path}: no CSP"));
        // JSON answers, rendered as a document by mistake, may load nor be framed by anything.
        assert_eq!(
            csp, "default-src 'none'; frame-ancestors 'none'",
            "{method} {path}"
        );
        assert_eq!(h["x-content-type-options"], "nosniff", "{method} {path}");
        assert_eq!(h["referrer-policy"], "no-referrer", "{method} {path}");
    }
}

#[tokio::test]
async fn a_request_body_past_64_kib_is_refused_with_413() {
    let (_d, _list, audit, base) = backend_with_audit("too-big", Preset::Tiny, &[]).await;
    let big = json!({"action": "group-create", "gid": 7, "pad": "x".repeat(70 * 1024)});
    let resp = http()
        .post(format!("{base}/api/products/codis-demo/actions"))
        .json(&big)
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // A rebalance plan of all 1024 slots still fits.
    let plan: serde_json::Map<String, Value> =
        (0..1024).map(|s| (s.to_string(), json!(1))).collect();
    let resp = http()
        .post(format!("{base}/api/products/codis-demo/rebalance/apply"))
        .json(&json!({ "plan": plan }))
        .send()
        .await
        .expect("request");
    assert_ne!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // The oversized request is refused by the limit layer before any handler runs, and audited
    // (`too_large`, the body unread); then the plan.
    let lines = audit.lines();
    assert_eq!(lines.len(), 2, "{lines:#?}");
    assert_eq!(lines[0]["action"], "action");
    assert_eq!(lines[0]["outcome"], "too_large");
    assert_eq!(lines[0]["status"], 413);
    assert_eq!(lines[0]["product"], "codis-demo");
    assert_eq!(lines[0]["user"], "anonymous");
    assert_eq!(lines[1]["action"], "slots-rebalance");
    assert_eq!(lines[1]["status"], 409);
}

#[tokio::test]
async fn the_console_page_allows_its_own_inline_loader_script_by_hash_only() {
    let dist = support::dist_dir();
    let base = format!(
        "http://{}",
        start_backend(&["--demo", &format!("--assets-dir={}", dist.display())]).await
    );
    let resp = http().get(format!("{base}/")).send().await.expect("index");
    assert_eq!(resp.status(), StatusCode::OK);
    let csp = resp.headers()["content-security-policy"]
        .to_str()
        .expect("ascii")
        .to_string();
    let script_src = csp
        .split(';')
        .map(str::trim)
        .find(|d| d.starts_with("script-src "))
        .expect("script-src");
    assert!(script_src.contains("'sha256-"), "{csp}");
    assert!(!script_src.contains("'unsafe-inline'"), "{csp}");
    assert!(!script_src.contains("'unsafe-eval'"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(resp.headers()["x-frame-options"], "DENY");
    // Revalidating the page (a reload) gets a 304 that leaves the stored policy alone: a 304's
    // headers replace the cached ones, and a resource's policy there blanked the page.
    let last_modified = resp.headers()["last-modified"].clone();
    let again = http()
        .get(format!("{base}/"))
        .header("if-modified-since", last_modified)
        .send()
        .await
        .expect("revalidation");
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert!(
        again.headers().get("content-security-policy").is_none(),
        "{:?}",
        again.headers()
    );
    // A deep link is the same page with the same policy; the WASM module and the script get the
    // short policy of a resource.
    let deep = http()
        .get(format!("{base}/p/codis-demo/groups"))
        .send()
        .await
        .expect("deep link");
    assert_eq!(
        deep.headers()["content-security-policy"].to_str().ok(),
        Some(csp.as_str())
    );
    let index = resp.text().await.expect("index text");
    let assets: std::collections::BTreeSet<&str> = index
        .split(['\'', '"', ' ', '>'])
        .filter_map(|s| s.strip_prefix("href=").or(Some(s)))
        .filter(|s| s.starts_with('/') && (s.ends_with(".wasm") || s.ends_with(".js")))
        .collect();
    assert_eq!(assets.len(), 2, "the script and the module: {assets:?}");
    for asset in assets {
        let a = http()
            .get(format!("{base}/{}", asset.trim_start_matches('/')))
            .send()
            .await
            .expect("asset");
        assert_eq!(a.status(), StatusCode::OK, "{asset}");
        assert_eq!(
            a.headers()["content-security-policy"],
            "default-src 'none'; frame-ancestors 'none'",
            "{asset}"
        );
    }
}

#[tokio::test]
async fn connections_past_max_connections_wait_until_one_closes() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = start_backend(&["--demo", "--max-connections=2"]).await;
    // Two idle connections take both permits.
    let first = tokio::net::TcpStream::connect(addr).await.expect("first");
    let _second = tokio::net::TcpStream::connect(addr).await.expect("second");
    let mut third = tokio::net::TcpStream::connect(addr).await.expect("backlog");
    third
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .expect("write");
    let mut reply = Vec::new();
    let waited =
        tokio::time::timeout(Duration::from_millis(500), third.read_to_end(&mut reply)).await;
    assert!(
        waited.is_err(),
        "served past the limit: {:?}",
        String::from_utf8_lossy(&reply)
    );
    drop(first);
    tokio::time::timeout(Duration::from_secs(5), third.read_to_end(&mut reply))
        .await
        .expect("served once a connection closed")
        .expect("read");
    assert!(
        reply.starts_with(b"HTTP/1.1 200"),
        "{:?}",
        String::from_utf8_lossy(&reply)
    );
}
