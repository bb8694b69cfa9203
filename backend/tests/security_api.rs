//! Security of the console API (issue 7, first subset): `--read-only`, the audit log, security
//! headers and the request size limit, over real HTTP through the binary's own accept loop
//! (`server::serve`, which records the peer address) to a simulated dashboard.

use codis_testkit as support;
use support::TestApp;

use std::net::SocketAddr;
use std::time::Duration;

use clap::Parser;
use codis_demo::Preset;
use codis_fe::{config::Args, server};
use reqwest::StatusCode;
use serde_json::{json, Value};
use support::{
    call, demo_backend, demo_dashboard, http, send_json, status_of, AuditLog, DashboardList,
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
    let base = TestApp::builder().flags(&flags).start().await.base();
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
    let base = TestApp::builder().demo().assets(&dist).start().await.base();
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
    // (The console is held in memory, embedded or read at start: its files carry an ETag, the
    // hash of their bytes, not a modification time.)
    let etag = resp.headers()["etag"].clone();
    let again = http()
        .get(format!("{base}/"))
        .header("if-none-match", etag)
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
    // One address may take every slot here (by default it gets half of them).
    let addr = TestApp::builder()
        .demo()
        .flag("--max-connections=2")
        .flag("--max-connections-per-ip=2")
        .start()
        .await
        .addr;
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

/// A fake dashboard (real HTTP on loopback) that answers every request with a redirect to
/// `location`, and records the paths it was asked for.
async fn redirecting_dashboard(
    location: String,
) -> (SocketAddr, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = seen.clone();
    let app = axum::Router::new().fallback(move |uri: axum::http::Uri| {
        let log = log.clone();
        let location = location.clone();
        async move {
            log.lock().expect("log").push(uri.path().to_string());
            (
                axum::http::StatusCode::MOVED_PERMANENTLY,
                [(axum::http::header::LOCATION, location)],
            )
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (addr, seen)
}

/// A listener that counts the connections made to it (and answers none).
async fn counting_listener() -> (SocketAddr, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let count = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let c = count.clone();
    tokio::spawn(async move {
        while let Ok((s, _)) = listener.accept().await {
            c.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            drop(s);
        }
    });
    (addr, count)
}

#[tokio::test]
async fn forward_never_follows_a_dashboard_redirect_nor_passes_a_path_in_the_xauth_segment() {
    let (elsewhere, dialled) = counting_listener().await;
    let (dashboard, seen) = redirecting_dashboard(format!(
        "http://{elsewhere}/api/topom/group/info/127.0.0.1:1"
    ))
    .await;
    let list = DashboardList::new(&[("codis-demo", &dashboard.to_string())]);
    let base = TestApp::builder()
        .dashboards(&list)
        .flag("--read-only")
        .start()
        .await
        .base();
    // What the backend asked of the dashboard, besides discovery's periodic probe.
    let asked = || -> Vec<String> {
        seen.lock()
            .expect("log")
            .iter()
            .filter(|p| *p != "/api/topom/model")
            .cloned()
            .collect()
    };

    // The path smuggled into the stats segment never reaches the dashboard: 400 naming xauth.
    let (status, body) = get(
        &base,
        "/api/topom/stats/..%2Fgroup%2Finfo%2F127.0.0.1:1?forward=codis-demo",
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["field"], "xauth", "{body}");
    assert!(
        asked().is_empty(),
        "nothing was asked of the dashboard: {:?}",
        asked()
    );

    // A well-formed read the dashboard answers with a redirect: a 502 saying so, and the
    // redirect's target is never dialled.
    let x = codis_model::xauth::product_xauth("codis-demo");
    let (status, body) = get(&base, &format!("/api/topom/stats/{x}?forward=codis-demo")).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{body}");
    let msg = body["error"]["message"].as_str().unwrap_or("");
    assert!(msg.contains("redirect") && msg.contains("301"), "{msg}");
    assert!(!msg.contains(&x), "the xauth is redacted: {msg}");
    assert_eq!(asked(), [format!("/api/topom/stats/{x}")]);
    assert_eq!(
        dialled.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "the redirect target was dialled"
    );

    // Forwarded actions: the xauth segment must be 32 lowercase hex characters.
    let list2 = DashboardList::new(&[("codis-demo", &dashboard.to_string())]);
    let rw = TestApp::builder().flag(list2.flag()).start().await.base();
    seen.lock().expect("log").clear();
    for bad in [
        x.to_uppercase(),
        format!("{x}0"),
        "0123456789abcdef0123456789abcdeg".into(),
        "127.0.0.1:1".into(),
    ] {
        let (status, body) = call(
            &rw,
            "PUT",
            &format!("/api/topom/group/create/{bad}/7?forward=codis-demo"),
            None,
            None,
            None,
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
        assert_eq!(body["error"]["field"], "xauth", "{bad}: {body}");
        assert!(
            body["error"]["rule"]
                .as_str()
                .is_some_and(|r| r.contains("32 lowercase hex")),
            "{body}"
        );
    }
    assert!(asked().is_empty(), "{:?}", asked());
}

/// A raw HTTP/1.1 exchange on `s`: sends `req`, reads until the head is complete; returns the
/// head (lower-cased) and the body bytes read so far.
async fn read_head(s: &mut tokio::net::TcpStream, wait: Duration) -> (String, Vec<u8>) {
    use tokio::io::AsyncReadExt;
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let n = tokio::time::timeout_at(deadline, s.read(&mut buf))
            .await
            .expect("an answer in time")
            .unwrap_or(0);
        got.extend_from_slice(&buf[..n]);
        if let Some(i) = got.windows(4).position(|w| w == b"\r\n\r\n") {
            return (
                String::from_utf8_lossy(&got[..i]).to_ascii_lowercase(),
                got[i + 4..].to_vec(),
            );
        }
        assert!(
            n > 0,
            "closed without an answer: {:?}",
            String::from_utf8_lossy(&got)
        );
    }
}

#[tokio::test]
async fn slow_bodies_from_one_address_cannot_take_every_connection_and_are_cut_at_the_timeout() {
    use tokio::io::AsyncWriteExt;
    let list = DashboardList::new(&[]);
    let addr = TestApp::builder()
        .dashboards(&list)
        .flag("--max-connections=50")
        .flag("--request-timeout=2")
        .quiet()
        .start()
        .await
        .addr;
    // Fifty sign-ins from 127.0.0.1 announcing 1000 bytes and sending one.
    let started = std::time::Instant::now();
    let mut slow = Vec::new();
    for _ in 0..50 {
        let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
        s.write_all(
            b"POST /api/session HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{",
        )
        .await
        .expect("write");
        slow.push(s);
    }
    // Another address is still served, at once.
    let other = reqwest::Client::builder()
        .local_address(Some("127.0.0.2".parse().expect("ip")))
        .timeout(Duration::from_secs(1))
        .build()
        .expect("client");
    let t = std::time::Instant::now();
    let health = other
        .get(format!("http://{addr}/healthz"))
        .send()
        .await
        .expect("/healthz answers within 1 s while 50 slow bodies are open");
    assert_eq!(health.status(), StatusCode::OK);
    assert!(t.elapsed() < Duration::from_secs(1), "{:?}", t.elapsed());

    // Half of the slow connections were refused at once (503, Retry-After, the API's JSON
    // body); the others are cut at the request timeout with a 408.
    let mut refused = 0;
    let mut timed_out = 0;
    for s in &mut slow {
        let (head, body) = read_head(s, Duration::from_secs(10)).await;
        if head.starts_with("http/1.1 503") {
            assert!(head.contains("\r\nretry-after: "), "{head}");
            assert!(
                head.contains("\r\nx-content-type-options: nosniff"),
                "{head}"
            );
            let body: Value = serde_json::from_slice(&body).expect("json body");
            assert_eq!(body["error"]["kind"], "unavailable", "{body}");
            refused += 1;
        } else {
            assert!(head.starts_with("http/1.1 408"), "{head}");
            assert!(head.contains("\r\nconnection: close"), "{head}");
            timed_out += 1;
        }
    }
    assert_eq!((refused, timed_out), (25, 25));
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "the slow bodies were given the request timeout"
    );
}

#[tokio::test]
async fn dashboard_reads_past_the_per_product_cap_get_503_with_retry_after() {
    let d = demo_dashboard("codis-demo", Preset::Tiny).await;
    let list = DashboardList::new(&[("codis-demo", &d.addr().to_string())]);
    let base = TestApp::builder()
        .dashboards(&list)
        .quiet()
        .start()
        .await
        .base();
    // Every answer takes 3 s: four reads hold the product's four slots; the others wait 1 s.
    d.set_fault(codis_demo::Fault::DashboardSlow(Duration::from_secs(3)));
    let reads = (0..12).map(|_| {
        let url = format!("{base}/api/products/codis-demo/overview");
        async move {
            let resp = http().get(url).send().await.expect("request");
            let retry = resp.headers().get("retry-after").cloned();
            let status = resp.status();
            let body: Value = resp.json().await.expect("json");
            (status, retry, body)
        }
    });
    let answers = futures::future::join_all(reads).await;
    let ok = answers
        .iter()
        .filter(|(s, _, _)| *s == StatusCode::OK)
        .count();
    let busy: Vec<_> = answers
        .iter()
        .filter(|(s, _, _)| *s == StatusCode::SERVICE_UNAVAILABLE)
        .collect();
    assert_eq!(ok + busy.len(), answers.len(), "{answers:?}");
    assert_eq!(ok, 4, "the product's four slots: {answers:?}");
    for (_, retry, body) in busy {
        assert_eq!(retry.as_ref().map(|v| v.as_bytes()), Some(&b"1"[..]));
        assert_eq!(body["error"]["kind"], "dashboard_busy", "{body}");
    }
}

/// The headers one response policy decides, as a map (security, CORS, request id).
fn policy_view(headers: &[(String, String)]) -> std::collections::BTreeMap<String, String> {
    const POLICY: [&str; 7] = [
        "content-security-policy",
        "x-frame-options",
        "x-content-type-options",
        "referrer-policy",
        "access-control-allow-origin",
        "access-control-allow-credentials",
        "x-request-id",
    ];
    let mut view = std::collections::BTreeMap::new();
    for (name, value) in headers {
        if POLICY.contains(&name.as_str()) {
            view.entry(name.clone())
                .and_modify(|v: &mut String| {
                    v.push_str(", ");
                    v.push_str(value)
                })
                .or_insert_with(|| value.clone());
        }
    }
    view
}

fn header_list(h: &reqwest::header::HeaderMap) -> Vec<(String, String)> {
    h.iter()
        .map(|(n, v)| {
            (
                n.as_str().to_string(),
                v.to_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// A raw request's answer head: status and headers.
async fn raw_head(addr: SocketAddr, request: &str) -> (u16, Vec<(String, String)>) {
    use tokio::io::AsyncWriteExt;
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    s.write_all(request.as_bytes()).await.expect("write");
    let (head, _) = read_head(&mut s, Duration::from_secs(10)).await;
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|c| c.parse().ok())
        .expect("status line");
    let headers = lines
        .filter_map(|l| l.split_once(": "))
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
    (status, headers)
}

#[tokio::test]
async fn every_kind_of_answer_carries_one_response_policy_on_both_paths() {
    let d = demo_dashboard("codis-demo", Preset::Tiny).await;
    let list = DashboardList::new(&[("codis-demo", &d.addr().to_string())]);
    let dir = std::env::temp_dir().join(format!("codis-fe-policy-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::write(
        dir.join("index.html"),
        "<!doctype html><title>console</title>",
    )
    .expect("html");
    let users =
        json!([{"user": "vera", "hash": support::password_hash("vera-pw"), "role": "viewer"}]);
    std::fs::write(dir.join("users.json"), users.to_string()).expect("users");
    let origin = "https://console.example";
    let addr = TestApp::builder()
        .dashboards(&list)
        .assets(&dir)
        .flag(format!("--users={}", dir.join("users.json").display()))
        .flag(format!("--cors-origins={origin}"))
        .quiet()
        .start()
        .await
        .addr;
    let base = format!("http://{addr}");
    let id = "policy-1";
    let send = |method: &str, path: &str| {
        http()
            .request(method.parse().expect("method"), format!("{base}{path}"))
            .header("origin", origin)
            .header("x-request-id", id)
    };
    let signed = send("POST", "/api/session")
        .json(&json!({"user": "vera", "password": "vera-pw"}))
        .send()
        .await
        .expect("sign-in");
    assert_eq!(signed.status(), StatusCode::OK);
    let cookie = signed.headers()["set-cookie"]
        .to_str()
        .expect("ascii")
        .split(';')
        .next()
        .expect("cookie")
        .to_string();
    let me: Value = signed.json().await.expect("me");
    let csrf = me["csrf"].as_str().expect("csrf").to_string();

    /// (what was asked, status, headers) of each answer.
    type Answers = Vec<(&'static str, u16, Vec<(String, String)>)>;
    let mut answers: Answers = Vec::new();
    fn record(answers: &mut Answers, what: &'static str, resp: &reqwest::Response) {
        answers.push((what, resp.status().as_u16(), header_list(resp.headers())));
    }
    let r = send("GET", "/").send().await.expect("page");
    record(&mut answers, "HTML", &r);
    let r = send("GET", "/api/me")
        .header("cookie", &cookie)
        .send()
        .await
        .expect("me");
    record(&mut answers, "JSON", &r);
    let r = send("GET", "/api/nope")
        .header("cookie", &cookie)
        .send()
        .await
        .expect("404");
    record(&mut answers, "404", &r);
    let r = send("GET", "/api/products").send().await.expect("401");
    record(&mut answers, "401", &r);
    let r = send("POST", "/api/products/codis-demo/actions")
        .header("cookie", &cookie)
        .header("x-csrf-token", &csrf)
        .json(&json!({"action": "group-create", "gid": 7}))
        .send()
        .await
        .expect("403");
    record(&mut answers, "403", &r);
    let r = send("POST", "/api/products/codis-demo/actions")
        .header("cookie", &cookie)
        .header("x-csrf-token", &csrf)
        .json(&json!({"action": "group-create", "gid": 7, "pad": "x".repeat(70 * 1024)}))
        .send()
        .await
        .expect("413");
    record(&mut answers, "413", &r);
    let too_large: Value = r.json().await.expect("413 is the API's JSON error body");
    assert_eq!(too_large["error"]["kind"], "too_large", "{too_large}");
    let r = send("OPTIONS", "/api/products/codis-demo/actions")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "content-type,x-csrf-token",
        )
        .send()
        .await
        .expect("preflight");
    assert!(r.status().is_success(), "{:?}", r.status());
    let allowed = r.headers()["access-control-allow-headers"]
        .to_str()
        .expect("ascii")
        .to_string();
    assert!(allowed.contains("x-csrf-token"), "{allowed}");
    record(&mut answers, "preflight", &r);
    // The event stream through the router (a query string sends it there) and on the bare
    // connection.
    let stream = |path: &str| {
        format!(
            "GET {path} HTTP/1.1\r\nHost: {addr}\r\nOrigin: {origin}\r\nX-Request-Id: {id}\r\nCookie: {cookie}\r\n\r\n"
        )
    };
    let (status, headers) =
        raw_head(addr, &stream("/api/products/codis-demo/events?via=router")).await;
    answers.push(("SSE (router)", status, headers));
    let (status, bare) = raw_head(addr, &stream("/api/products/codis-demo/events")).await;
    assert_eq!(status, 200);
    assert!(
        bare.iter()
            .any(|(n, v)| n == "content-type" && v == "text/event-stream"),
        "{bare:?}"
    );
    // Last: six wrong passwords reach the sign-in limit (429).
    let mut limited = None;
    for _ in 0..6 {
        let r = send("POST", "/api/session")
            .json(&json!({"user": "vera", "password": "wrong"}))
            .send()
            .await
            .expect("sign-in");
        if r.status() == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(r);
            break;
        }
    }
    let r = limited.expect("429 after five failures");
    assert!(r.headers().contains_key("retry-after"), "{:?}", r.headers());
    record(&mut answers, "429", &r);

    let expected = policy_view(&bare);
    assert_eq!(
        expected
            .get("access-control-allow-origin")
            .map(String::as_str),
        Some(origin)
    );
    assert_eq!(
        expected
            .get("access-control-allow-credentials")
            .map(String::as_str),
        Some("true")
    );
    assert_eq!(expected.get("x-request-id").map(String::as_str), Some(id));
    assert_eq!(expected.len(), 6, "all but X-Frame-Options: {expected:?}");
    for (what, status, headers) in &answers {
        let mut view = policy_view(headers);
        if *what == "HTML" {
            // A page: the console's own policy, and no framing.
            assert_eq!(view.remove("x-frame-options").as_deref(), Some("DENY"));
            let csp = view.remove("content-security-policy").unwrap_or_default();
            assert!(csp.contains("script-src 'self'"), "{csp}");
            let mut rest = expected.clone();
            rest.remove("content-security-policy");
            assert_eq!(view, rest, "{what} ({status})");
            continue;
        }
        assert_eq!(
            view, expected,
            "{what} ({status}) differs from the bare event stream"
        );
    }
    let statuses: Vec<u16> = answers.iter().map(|(_, s, _)| *s).collect();
    assert_eq!(statuses, [200, 200, 404, 401, 403, 413, 200, 200, 429]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn the_servers_own_answers_to_unparsable_requests_carry_the_security_headers() {
    let list = DashboardList::new(&[]);
    let addr = TestApp::builder()
        .dashboards(&list)
        .quiet()
        .start()
        .await
        .addr;
    let many_headers: String = (0..120).map(|i| format!("X-H{i}: v\r\n")).collect();
    let long_uri = format!("/api/{}", "a".repeat(70 * 1024));
    for (want, request) in [
        (
            400,
            "POST /api/me HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n".to_string(),
        ),
        (
            431,
            format!("GET /api/me HTTP/1.1\r\nHost: x\r\n{many_headers}\r\n"),
        ),
        (414, format!("POST {long_uri} HTTP/1.1\r\nHost: x\r\n\r\n")),
    ] {
        let (status, headers) = raw_head(addr, &request).await;
        assert_eq!(status, want, "{headers:?}");
        let view = policy_view(&headers);
        assert_eq!(
            view.get("content-security-policy").map(String::as_str),
            Some("default-src 'none'; frame-ancestors 'none'"),
            "{want}: {headers:?}"
        );
        assert_eq!(
            view.get("x-content-type-options").map(String::as_str),
            Some("nosniff")
        );
        assert_eq!(
            view.get("referrer-policy").map(String::as_str),
            Some("no-referrer")
        );
    }
}

#[tokio::test]
async fn a_foreign_origin_cannot_act_when_the_cookie_goes_to_every_site() {
    let d = demo_dashboard("codis-demo", Preset::Tiny).await;
    let list = DashboardList::new(&[("codis-demo", &d.addr().to_string())]);
    let dir = std::env::temp_dir().join(format!("codis-fe-samesite-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let users =
        json!([{"user": "otto", "hash": support::password_hash("otto-pw"), "role": "operator"}]);
    std::fs::write(dir.join("users.json"), users.to_string()).expect("users");
    let addr = TestApp::builder()
        .dashboards(&list)
        .flag(format!("--users={}", dir.join("users.json").display()))
        .flag("--cors-origins=https://console.example")
        .flag("--cookie-samesite=none")
        .quiet()
        .start()
        .await
        .addr;
    let base = format!("http://{addr}");
    let signed = http()
        .post(format!("{base}/api/session"))
        .json(&json!({"user": "otto", "password": "otto-pw"}))
        .send()
        .await
        .expect("sign-in");
    assert_eq!(signed.status(), StatusCode::OK);
    let set_cookie = signed.headers()["set-cookie"]
        .to_str()
        .expect("ascii")
        .to_string();
    assert!(set_cookie.contains("; SameSite=None"), "{set_cookie}");
    assert!(set_cookie.contains("; Secure"), "{set_cookie}");
    assert!(set_cookie.contains("HttpOnly"), "{set_cookie}");
    let cookie = set_cookie.split(';').next().expect("cookie").to_string();
    let me: Value = signed.json().await.expect("me");
    let csrf = me["csrf"].as_str().expect("csrf").to_string();
    let act = |origin: Option<&str>, gid: u32| {
        let mut req = http()
            .post(format!("{base}/api/products/codis-demo/actions"))
            .header("cookie", &cookie)
            .header("x-csrf-token", &csrf)
            .json(&json!({"action": "group-create", "gid": gid}));
        if let Some(o) = origin {
            req = req.header("origin", o);
        }
        send_json(req)
    };
    // Another site, even with the cookie and the right token: refused before anything runs.
    let (status, body) = act(Some("https://evil.example"), 7).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let msg = body["error"]["message"].as_str().unwrap_or("");
    assert!(
        msg.contains("SameSite=None") && msg.contains("evil.example"),
        "{msg}"
    );
    // The allowed console origin, the API's own origin, and no Origin at all (a script).
    let own = format!("http://{addr}");
    for (origin, gid) in [
        (Some("https://console.example"), 4),
        (Some(own.as_str()), 5),
        (None, 6),
    ] {
        let (status, body) = act(origin, gid).await;
        assert_eq!(status, StatusCode::OK, "{origin:?}: {body}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
