//! Sign-in with local users (`--users`): every route without a session (401, the event stream on
//! the bare connection included), viewer (403 on actions), operator (allowed), missing or wrong
//! CSRF token (403), read-only (403), expired or forged session (401), sign-out, rate limiting,
//! and the audit line of each action attempt.

use codis_testkit as support;
use support::TestApp;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use codis_demo::Preset;
use codis_fe::{config::Args, server, session::SessionKey};
use reqwest::StatusCode;
use serde_json::{json, Value};
use support::{call, call_with, demo_dashboard, demo_with_list, http, AuditLog, DashboardList};

const KEY: [u8; 32] = [7; 32];

/// The users file, key file and audit log of one test; removed on drop.
struct Files {
    dir: PathBuf,
    log: AuditLog,
}

impl Files {
    fn new(name: &str) -> Files {
        let dir = std::env::temp_dir().join(format!("codis-fe-auth-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("dir");
        let users = json!([
            {"user": "vera", "hash": support::password_hash("vera-pw"), "role": "viewer"},
            {"user": "otto", "hash": support::password_hash("otto-pw"), "role": "operator"},
        ]);
        std::fs::write(dir.join("users.json"), users.to_string()).expect("users");
        std::fs::write(dir.join("key"), KEY).expect("key");
        let log = AuditLog(dir.join("audit.jsonl"));
        Files { dir, log }
    }

    fn flags(&self) -> Vec<String> {
        vec![
            format!("--users={}", self.dir.join("users.json").display()),
            format!("--session-key-file={}", self.dir.join("key").display()),
            self.log.flag(),
        ]
    }

    /// Starts a backend with these files' flags and `extra`.
    async fn start_backend(&self, extra: &[String]) -> SocketAddr {
        let mut flags = self.flags();
        flags.extend_from_slice(extra);
        let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
        TestApp::builder().flags(&flags).start().await.addr
    }

    fn audit_text(&self) -> String {
        self.log.text()
    }

    fn audit(&self) -> Vec<Value> {
        self.log.lines()
    }
}

impl Drop for Files {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

struct Signed {
    cookie: String,
    csrf: String,
}

impl Signed {
    /// `GET path` in this session.
    async fn get(&self, base: &str, path: &str) -> (StatusCode, Value) {
        call(base, "GET", path, Some(&self.cookie), None, None).await
    }

    /// `method path` in this session, with its own CSRF token.
    async fn act(
        &self,
        base: &str,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        call(
            base,
            method,
            path,
            Some(&self.cookie),
            Some(&self.csrf),
            body,
        )
        .await
    }
}

/// A sign-in that must be refused: its status and error body.
async fn sign_in_refused(base: &str, user: &str, password: &str) -> (StatusCode, Value) {
    match sign_in(base, user, password).await {
        Ok(_) => panic!("sign-in of {user} must be refused"),
        Err(refusal) => refusal,
    }
}

async fn sign_in(base: &str, user: &str, password: &str) -> Result<Signed, (StatusCode, Value)> {
    let resp = http()
        .post(format!("{base}/api/session"))
        .json(&json!({"user": user, "password": password}))
        .send()
        .await
        .expect("sign-in");
    let status = resp.status();
    let set_cookie = resp
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body: Value = resp.json().await.unwrap_or(Value::Null);
    if status != StatusCode::OK {
        return Err((status, body));
    }
    let set_cookie = set_cookie.expect("Set-Cookie");
    assert!(
        set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Strict"),
        "{set_cookie}"
    );
    assert!(!body.to_string().contains(password), "no secret echoed");
    Ok(Signed {
        cookie: set_cookie.split(';').next().expect("pair").to_string(),
        csrf: body["csrf"].as_str().expect("csrf token").to_string(),
    })
}

/// The first line of the answer to a raw request (the event stream is served on the bare
/// connection, outside the router).
async fn raw_status_line(addr: SocketAddr, request: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    s.write_all(request.as_bytes()).await.expect("write");
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(10), s.read(&mut buf))
        .await
        .expect("an answer")
        .expect("read");
    let text = String::from_utf8_lossy(&buf[..n]).to_string();
    text.lines().next().unwrap_or("").to_string()
}

#[tokio::test]
async fn without_a_session_every_api_route_and_the_event_stream_answer_401() {
    let (_d, list) = demo_with_list(Preset::Small).await;
    let files = Files::new("no-session");
    let addr = files.start_backend(&[list.flag()]).await;
    let base = format!("http://{addr}");
    let x = codis_model::xauth::product_xauth("codis-demo");
    for (method, path) in [
        ("GET", "/api/me".to_string()),
        ("GET", "/api/products".to_string()),
        ("GET", "/api/openapi.json".to_string()),
        ("GET", "/api/products/codis-demo/overview".to_string()),
        ("GET", "/api/products/codis-demo/stats".to_string()),
        ("GET", "/api/products/codis-demo/events?x=1".to_string()),
        ("POST", "/api/products/codis-demo/actions".to_string()),
        (
            "POST",
            "/api/products/codis-demo/rebalance/preview".to_string(),
        ),
        (
            "POST",
            "/api/products/codis-demo/rebalance/apply".to_string(),
        ),
        ("GET", "/list".to_string()),
        ("GET", "/metrics".to_string()),
        ("GET", "/topom?forward=codis-demo".to_string()),
        (
            "PUT",
            format!("/api/topom/group/create/{x}/8?forward=codis-demo"),
        ),
    ] {
        let (status, body) = call(&base, method, &path, None, None, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {path}: {body}");
        assert_eq!(body["error"]["kind"], "unauthenticated", "{method} {path}");
    }
    // A forged or expired cookie is no better.
    let key = SessionKey::from_bytes(KEY.to_vec()).expect("key");
    let now = codis_fe::auth::unix_now();
    let expired = key
        .new_session("otto", "operator", now - 7200, 3600)
        .expect("session");
    let expired = format!("codis_fe_session={}", key.sign(&expired));
    let other = SessionKey::from_bytes(vec![9; 32]).expect("key");
    let forged = other
        .new_session("otto", "admin", now, 3600)
        .expect("session");
    let forged = format!("codis_fe_session={}", other.sign(&forged));
    for cookie in [&expired, &forged] {
        let (status, _) = call(&base, "GET", "/api/products", Some(cookie), None, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{cookie}");
    }
    // The event stream answered on the bare connection checks the same session.
    let events = "GET /api/products/codis-demo/events HTTP/1.1\r\nHost: x\r\n";
    let line = raw_status_line(addr, &format!("{events}\r\n")).await;
    assert!(line.starts_with("HTTP/1.1 401"), "{line}");
    let line = raw_status_line(addr, &format!("{events}Cookie: {expired}\r\n\r\n")).await;
    assert!(line.starts_with("HTTP/1.1 401"), "{line}");
    let signed = sign_in(&base, "vera", "vera-pw")
        .await
        .expect("viewer signs in");
    let line = raw_status_line(addr, &format!("{events}Cookie: {}\r\n\r\n", signed.cookie)).await;
    assert!(line.starts_with("HTTP/1.1 200"), "{line}");
    // Health checks and sign-in need no session; no action was allowed, and every
    // state-changing request without a session was audited as `unauthenticated` before its 401.
    let (status, _) = call(&base, "GET", "/healthz", None, None, None).await;
    assert_eq!(status, StatusCode::OK);
    let lines = files.audit();
    assert!(lines
        .iter()
        .all(|l| l["outcome"] != "allowed" || l["action"] == "sign-in"));
    let unauth: Vec<&Value> = lines
        .iter()
        .filter(|l| l["outcome"] == "unauthenticated")
        .collect();
    let actions: Vec<&str> = unauth
        .iter()
        .map(|l| l["action"].as_str().unwrap_or("?"))
        .collect();
    assert_eq!(
        actions,
        [
            "action",
            "slots-rebalance-preview",
            "slots-rebalance",
            "group-create"
        ],
        "{lines:#?}"
    );
    for l in unauth {
        assert_eq!(l["user"], "-");
        assert_eq!(l["role"], "-");
        assert_eq!(l["status"], 401);
        assert_eq!(l["product"], "codis-demo");
        assert!(l["client"].as_str().unwrap_or("").starts_with("127.0.0.1:"));
    }
    assert!(
        !files.audit_text().contains(&x),
        "no xauth in the audit log"
    );
}

#[tokio::test]
async fn viewers_read_operators_act_and_csrf_and_read_only_are_enforced() {
    let (_d, list) = demo_with_list(Preset::Small).await;
    let files = Files::new("roles");
    let base = format!("http://{}", files.start_backend(&[list.flag()]).await);
    let actions = "/api/products/codis-demo/actions";
    let create = |gid: u32| Some(json!({"action": "group-create", "gid": gid}));

    // Viewer: reads, no actions (even with its CSRF token).
    let vera = sign_in(&base, "vera", "vera-pw").await.expect("viewer");
    let (status, me) = vera.get(&base, "/api/me").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["mode"], "local");
    assert_eq!(me["user"], "vera");
    assert_eq!(me["role"], "viewer");
    assert_eq!(me["csrf"], vera.csrf.as_str());
    let (status, _) = vera.get(&base, "/api/products/codis-demo/stats").await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = vera.act(&base, "POST", actions, create(7)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"]["kind"], "forbidden");

    // Operator: no CSRF token, a wrong one (another session's), then the right one.
    let otto = sign_in(&base, "otto", "otto-pw").await.expect("operator");
    let (status, _) = call(&base, "POST", actions, Some(&otto.cookie), None, create(7)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = call(
        &base,
        "POST",
        actions,
        Some(&otto.cookie),
        Some(&vera.csrf),
        create(7),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = otto.act(&base, "POST", actions, create(7)).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Sign-out (with the session's CSRF token) drops the cookie.
    let resp = http()
        .delete(format!("{base}/api/session"))
        .header("cookie", &otto.cookie)
        .header("x-csrf-token", &otto.csrf)
        .send()
        .await
        .expect("sign-out");
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let cleared = resp.headers()["set-cookie"].to_str().expect("ascii");
    assert!(
        cleared.starts_with("codis_fe_session=;") && cleared.contains("Max-Age=0"),
        "{cleared}"
    );

    let lines = files.audit();
    let seen: Vec<(String, String, String, String)> = lines
        .iter()
        .map(|l| {
            (
                l["user"].as_str().unwrap_or("?").to_string(),
                l["role"].as_str().unwrap_or("?").to_string(),
                l["action"].as_str().unwrap_or("?").to_string(),
                l["outcome"].as_str().unwrap_or("?").to_string(),
            )
        })
        .collect();
    let expected = [
        ("vera", "viewer", "sign-in", "allowed"),
        ("vera", "viewer", "group-create", "role_refused"),
        ("otto", "operator", "sign-in", "allowed"),
        ("otto", "operator", "group-create", "csrf_refused"),
        ("otto", "operator", "group-create", "csrf_refused"),
        ("otto", "operator", "group-create", "allowed"),
        ("otto", "operator", "sign-out", "allowed"),
    ]
    .map(|(u, r, a, o)| (u.to_string(), r.to_string(), a.to_string(), o.to_string()));
    assert_eq!(seen, expected, "{lines:#?}");
    let text = std::fs::read_to_string(files.dir.join("audit.jsonl")).expect("audit");
    assert!(
        !text.contains("otto-pw") && !text.contains(&otto.csrf),
        "no secrets: {text}"
    );

    // Read-only wins over every role.
    let base = format!(
        "http://{}",
        files
            .start_backend(&[list.flag(), "--read-only".into()])
            .await
    );
    let otto = sign_in(&base, "otto", "otto-pw").await.expect("operator");
    let (status, body) = otto.act(&base, "POST", actions, create(9)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("read-only"),
        "{body}"
    );
    files.log.assert_last(&[("outcome", json!("read_only"))]);
}

#[tokio::test]
async fn sign_in_failures_are_rate_limited_per_user_and_per_address() {
    let files = Files::new("rate");
    let base = format!("http://{}", files.start_backend(&["--demo".into()]).await);
    for _ in 0..codis_fe::auth::MAX_FAILURES {
        let (status, body) = sign_in_refused(&base, "otto", "wrong").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
        assert_eq!(body["error"]["kind"], "unauthenticated");
    }
    // Now even the right password waits.
    let (status, body) = sign_in_refused(&base, "otto", "otto-pw").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(body["error"]["kind"], "rate_limited");
    // The same address is limited for other users too.
    let (status, _) = sign_in_refused(&base, "vera", "vera-pw").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    // Every attempt is audited as `sign-in`, with the name tried and never the password.
    let seen: Vec<(String, String, u64)> = files
        .audit()
        .iter()
        .map(|l| {
            assert_eq!(l["action"], "sign-in");
            assert_eq!(l["product"], "-");
            (
                l["user"].as_str().unwrap_or("?").to_string(),
                l["outcome"].as_str().unwrap_or("?").to_string(),
                l["status"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    let mut expected = vec![("otto".to_string(), "wrong_password".to_string(), 401); 5];
    expected.push(("otto".into(), "rate_limited".into(), 429));
    expected.push(("vera".into(), "rate_limited".into(), 429));
    assert_eq!(seen, expected);
    let text = files.audit_text();
    assert!(!text.contains("\"password\""), "{text}");
    assert!(
        !text.contains("otto-pw") && !text.contains("vera-pw"),
        "{text}"
    );
    // An unknown user is refused like a wrong password.
    let files2 = Files::new("rate2");
    let base = format!("http://{}", files2.start_backend(&["--demo".into()]).await);
    let (status, body) = sign_in_refused(&base, "nobody", "x").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["message"], "wrong user name or password");
}

#[tokio::test]
async fn a_bad_users_file_stops_the_start() {
    let dir = std::env::temp_dir().join(format!("codis-fe-auth-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let users = dir.join("users.json");
    for (content, needle) in [
        (
            json!([{"user": "a", "hash": "plain", "role": "admin"}]),
            "PHC",
        ),
        (
            json!([{"user": "a", "hash": support::password_hash("x"), "role": "root"}]),
            "role",
        ),
    ] {
        std::fs::write(&users, content.to_string()).expect("write");
        let args = Args::try_parse_from([
            "codis-fe".to_string(),
            "--demo".to_string(),
            format!("--users={}", users.display()),
        ])
        .expect("parses");
        let err = server::build(&args).await.err().expect("refused");
        assert!(err.contains("--users") && err.contains(needle), "{err}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Writes a users file into `files` (replacing the default one).
fn write_users(files: &Files, users: Value) {
    std::fs::write(files.dir.join("users.json"), users.to_string()).expect("users");
}

#[tokio::test]
async fn refusals_before_a_handler_are_audited_sign_in_sign_out_and_too_large_included() {
    let (_d, list) = demo_with_list(Preset::Tiny).await;
    let files = Files::new("pre-handler");
    let base = format!("http://{}", files.start_backend(&[list.flag()]).await);
    let actions = "/api/products/codis-demo/actions";
    // No session: 401, audited as `unauthenticated` before the answer.
    let (status, _) = call(
        &base,
        "POST",
        actions,
        None,
        None,
        Some(json!({"action": "group-create", "gid": 5})),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    files.log.assert_last(&[
        ("outcome", json!("unauthenticated")),
        ("status", json!(401)),
        ("user", json!("-")),
    ]);
    // Sign-in: wrong password, then right.
    let (status, _) = sign_in_refused(&base, "otto", "not-it").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let otto = sign_in(&base, "otto", "otto-pw").await.expect("operator");
    // A body past the limit: 413, audited as `too_large` for the signed-in user.
    let resp = http()
        .post(format!("{base}{actions}"))
        .header("cookie", &otto.cookie)
        .header("x-csrf-token", &otto.csrf)
        .json(&json!({"action": "group-create", "gid": 7, "pad": "x".repeat(70 * 1024)}))
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // Sign-out.
    let resp = http()
        .delete(format!("{base}/api/session"))
        .header("cookie", &otto.cookie)
        .header("x-csrf-token", &otto.csrf)
        .send()
        .await
        .expect("sign-out");
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let seen: Vec<(String, String, String, String, u64)> = files
        .audit()
        .iter()
        .map(|l| {
            let s = |k: &str| l[k].as_str().unwrap_or("?").to_string();
            (
                s("user"),
                s("role"),
                s("action"),
                s("outcome"),
                l["status"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    let expected = [
        ("-", "-", "action", "unauthenticated", 401),
        ("otto", "-", "sign-in", "wrong_password", 401),
        ("otto", "operator", "sign-in", "allowed", 200),
        ("otto", "operator", "action", "too_large", 413),
        ("otto", "operator", "sign-out", "allowed", 204),
    ]
    .map(|(u, r, a, o, st)| (u.into(), r.into(), a.into(), o.into(), st));
    assert_eq!(seen, expected);
    let text = files.audit_text();
    for secret in [
        "not-it",
        "otto-pw",
        otto.csrf.as_str(),
        otto.cookie.as_str(),
    ] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
}

#[tokio::test]
async fn a_trusted_proxy_names_the_user_and_headers_from_others_are_ignored() {
    let (_d, list) = demo_with_list(Preset::Tiny).await;
    let files = Files::new("proxy");
    // In proxy mode the users file only gives roles: no hashes needed.
    write_users(
        &files,
        json!([{"user": "otto", "role": "operator"}, {"user": "vera", "role": "viewer"}]),
    );
    let proxy_flags = |trusted: &str| {
        vec![
            list.flag(),
            "--auth-proxy-header=X-Remote-User".into(),
            "--auth-proxy-role-header=X-Remote-Role".into(),
            format!("--trusted-proxies={trusted}"),
        ]
    };
    let addr = files
        .start_backend(&proxy_flags("10.9.9.9,127.0.0.0/8"))
        .await;
    let base = format!("http://{addr}");
    let otto = [("x-remote-user", "otto")];
    let (status, me) = call_with(&base, "GET", "/api/me", &otto, None).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["mode"], "proxy");
    assert_eq!(
        (me["user"].as_str(), me["role"].as_str()),
        (Some("otto"), Some("operator"))
    );
    let csrf = me["csrf"].as_str().expect("csrf token").to_string();
    // No header: nobody.
    let (status, body) = call_with(&base, "GET", "/api/me", &[], None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    // Unknown to --users: the default role (viewer); the role header wins when given.
    let (_, me) = call_with(&base, "GET", "/api/me", &[("x-remote-user", "paula")], None).await;
    assert_eq!(me["role"], "viewer");
    let (_, me) = call_with(
        &base,
        "GET",
        "/api/me",
        &[("x-remote-user", "paula"), ("x-remote-role", "admin")],
        None,
    )
    .await;
    assert_eq!(me["role"], "admin");
    // CSRF still applies; X-Forwarded-For from the proxy is the audit's client.
    let actions = "/api/products/codis-demo/actions";
    let create = Some(json!({"action": "group-create", "gid": 7}));
    let xff = ("x-forwarded-for", "198.51.100.1, 203.0.113.9");
    let (status, _) = call_with(&base, "POST", actions, &[otto[0], xff], create.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = call_with(
        &base,
        "POST",
        actions,
        &[otto[0], xff, ("x-csrf-token", &csrf)],
        create.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let lines = files.audit();
    let last = &lines[lines.len() - 1];
    assert_eq!(
        (
            &last["user"],
            &last["role"],
            &last["outcome"],
            &last["client"]
        ),
        (
            &json!("otto"),
            &json!("operator"),
            &json!("allowed"),
            &json!("203.0.113.9")
        )
    );
    assert_eq!(lines[lines.len() - 2]["outcome"], "csrf_refused");
    // Local sign-in is off in proxy mode.
    let (status, _) = sign_in(&base, "otto", "x")
        .await
        .err()
        .expect("no local sign-in");
    assert_eq!(status, StatusCode::NOT_FOUND);
    // The event stream on the bare connection decides the same way.
    let events = "GET /api/products/codis-demo/events HTTP/1.1\r\nHost: x\r\n";
    let line = raw_status_line(addr, &format!("{events}X-Remote-User: vera\r\n\r\n")).await;
    assert!(line.starts_with("HTTP/1.1 200"), "{line}");
    let line = raw_status_line(addr, &format!("{events}\r\n")).await;
    assert!(line.starts_with("HTTP/1.1 401"), "{line}");

    // From an address that is not a trusted proxy, the headers are ignored.
    let addr = files.start_backend(&proxy_flags("10.0.0.0/8")).await;
    let base = format!("http://{addr}");
    let (status, body) = call_with(&base, "GET", "/api/me", &otto, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    let (status, _) = call_with(
        &base,
        "POST",
        actions,
        &[otto[0], ("x-csrf-token", &csrf)],
        create,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let last = files
        .log
        .assert_last(&[("user", json!("-")), ("outcome", json!("unauthenticated"))]);
    assert!(last["client"]
        .as_str()
        .unwrap_or("")
        .starts_with("127.0.0.1:"));
    let line = raw_status_line(addr, &format!("{events}X-Remote-User: otto\r\n\r\n")).await;
    assert!(line.starts_with("HTTP/1.1 401"), "{line}");
}

#[tokio::test]
async fn proxy_mode_flags_come_together_and_errors_name_them() {
    for (argv, needle) in [
        (
            vec!["--auth-proxy-header=X-Remote-User"],
            "--trusted-proxies",
        ),
        (vec!["--trusted-proxies=10.0.0.1"], "--auth-proxy-header"),
        (
            vec![
                "--auth-proxy-header=X-Remote-User",
                "--trusted-proxies=10.0.0.0/33",
            ],
            "--trusted-proxies",
        ),
        (
            vec![
                "--auth-proxy-header=X-Remote-User",
                "--trusted-proxies=proxy.local",
            ],
            "--trusted-proxies",
        ),
    ] {
        let args = Args::try_parse_from(
            ["codis-fe", "--demo"]
                .into_iter()
                .chain(argv.iter().copied()),
        )
        .expect("parses");
        let err = server::build(&args).await.err().expect("refused");
        assert!(
            err.contains(needle) && !err.contains('\n'),
            "{argv:?}: {err}"
        );
    }
    let err = Args::try_parse_from(["codis-fe", "--demo", "--auth-proxy-default-role=root"])
        .expect_err("refused")
        .to_string();
    assert!(err.contains("--auth-proxy-default-role"), "{err}");
}

#[tokio::test]
async fn per_product_roles_decide_actions_and_hide_products_and_activity_is_for_operators() {
    let a = demo_dashboard("codis-a", Preset::Tiny).await;
    let b = demo_dashboard("codis-b", Preset::Tiny).await;
    let list = DashboardList::new(&[
        ("codis-a", &a.addr().to_string()),
        ("codis-b", &b.addr().to_string()),
    ]);
    let files = Files::new("per-product");
    write_users(
        &files,
        json!([
            {"user": "pia", "hash": support::password_hash("pia-pw"), "products": {"codis-a": "operator"}},
            {"user": "stan", "hash": support::password_hash("stan-pw"), "role": "viewer", "products": {"codis-b": "operator"}},
            {"user": "vera", "hash": support::password_hash("vera-pw"), "role": "viewer"},
            {"user": "otto", "hash": support::password_hash("otto-pw"), "role": "operator"},
            {"user": "wes", "hash": support::password_hash("wes-pw"), "products": {"*": "viewer", "codis-b": "admin"}},
        ]),
    );
    let addr = files.start_backend(&[list.flag()]).await;
    let base = format!("http://{addr}");
    let create = |gid: u32| Some(json!({"action": "group-create", "gid": gid}));

    // pia: operator of codis-a, nothing else: codis-b is hidden everywhere.
    let pia = sign_in(&base, "pia", "pia-pw").await.expect("pia");
    let (_, me) = pia.get(&base, "/api/me").await;
    assert_eq!(me["role"], "none");
    assert_eq!(me["product_roles"], json!({"codis-a": "operator"}));
    let (_, products) = pia.get(&base, "/api/products").await;
    let names: Vec<&str> = products["products"]
        .as_array()
        .expect("products")
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert_eq!(names, ["codis-a"]);
    let (_, listed) = pia.get(&base, "/list").await;
    assert_eq!(listed, json!(["codis-a"]));
    for path in [
        "/api/products/codis-b/stats",
        "/api/products/codis-b/overview",
        "/api/products/codis%2Db/stats",
        "/topom?forward=codis-b",
    ] {
        let (status, body) = pia.get(&base, path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {body}");
    }
    let (status, _) = pia.get(&base, "/metrics").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "metrics label every product");
    let events = |p: &str, cookie: &str| {
        format!("GET /api/products/{p}/events HTTP/1.1\r\nHost: x\r\nCookie: {cookie}\r\n\r\n")
    };
    let line = raw_status_line(addr, &events("codis-b", &pia.cookie)).await;
    assert!(line.starts_with("HTTP/1.1 403"), "{line}");
    let line = raw_status_line(addr, &events("codis-a", &pia.cookie)).await;
    assert!(line.starts_with("HTTP/1.1 200"), "{line}");
    let (status, body) = pia
        .act(&base, "POST", "/api/products/codis-a/actions", create(7))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = pia
        .act(&base, "POST", "/api/products/codis-b/actions", create(7))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    files.log.assert_last(&[
        ("user", json!("pia")),
        ("product", json!("codis-b")),
        ("outcome", json!("role_refused")),
    ]);

    // wes: "*" is the role of every product not listed.
    let wes = sign_in(&base, "wes", "wes-pw").await.expect("wes");
    let (_, me) = wes.get(&base, "/api/me").await;
    assert_eq!(
        me["product_roles"],
        json!({"codis-a": "viewer", "codis-b": "admin"})
    );

    // stan: viewer, but operator of codis-b.
    let stan = sign_in(&base, "stan", "stan-pw").await.expect("stan");
    let (_, me) = stan.get(&base, "/api/me").await;
    assert_eq!(me["role"], "viewer");
    assert_eq!(
        me["product_roles"],
        json!({"codis-a": "viewer", "codis-b": "operator"})
    );
    let (status, _) = stan
        .act(&base, "POST", "/api/products/codis-a/actions", create(8))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = stan
        .act(&base, "POST", "/api/products/codis-b/actions", create(8))
        .await;
    assert_eq!(status, StatusCode::OK);
    files
        .log
        .assert_last(&[("role", json!("operator")), ("outcome", json!("allowed"))]);

    // Recent activity: newest first, the audit lines themselves, for operators only.
    let otto = sign_in(&base, "otto", "otto-pw").await.expect("otto");
    let (_, me) = otto.get(&base, "/api/me").await;
    assert!(
        me.get("product_roles").is_none(),
        "no per-product roles: {me}"
    );
    let (status, recent) = otto.get(&base, "/api/activity").await;
    assert_eq!(status, StatusCode::OK, "{recent}");
    let mut lines = files.audit();
    lines.reverse();
    assert_eq!(recent, Value::Array(lines.clone()));
    let (_, one) = otto.get(&base, "/api/activity?limit=1").await;
    assert_eq!(one, json!([lines[0]]));
    let (_, only_b) = otto.get(&base, "/api/activity?product=codis-b").await;
    let only_b = only_b.as_array().expect("array").clone();
    assert_eq!(only_b.len(), 2, "{only_b:#?}");
    assert!(only_b.iter().all(|e| e["product"] == "codis-b"));
    // pia sees only codis-a's entries (not sign-ins: her own role is none).
    let (status, mine) = pia.get(&base, "/api/activity").await;
    assert_eq!(status, StatusCode::OK);
    let mine = mine.as_array().expect("array").clone();
    assert!(
        !mine.is_empty() && mine.iter().all(|e| e["product"] == "codis-a"),
        "{mine:#?}"
    );
    // A viewer everywhere is refused.
    let vera = sign_in(&base, "vera", "vera-pw").await.expect("vera");
    let (status, _) = vera.get(&base, "/api/activity").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn loglevel_and_reload_are_admin_only_and_every_spec_action_stays_operator() {
    let (_d, list) = demo_with_list(Preset::Tiny).await;
    let files = Files::new("admin");
    write_users(
        &files,
        json!([
            {"user": "ada", "hash": support::password_hash("ada-pw"), "role": "admin"},
            {"user": "otto", "hash": support::password_hash("otto-pw"), "role": "operator"},
        ]),
    );
    let base = format!("http://{}", files.start_backend(&[list.flag()]).await);
    let actions = "/api/products/codis-demo/actions";
    let ada = sign_in(&base, "ada", "ada-pw").await.expect("admin");
    let otto = sign_in(&base, "otto", "otto-pw").await.expect("operator");
    let run = |who: &Signed, body: Value| {
        let (cookie, csrf) = (who.cookie.clone(), who.csrf.clone());
        let base = base.clone();
        async move {
            call(
                &base,
                "POST",
                actions,
                Some(&cookie),
                Some(&csrf),
                Some(body),
            )
            .await
        }
    };
    for body in [
        json!({"action": "loglevel", "value": "DEBUG"}),
        json!({"action": "reload"}),
    ] {
        let (status, err) = run(&otto, body.clone()).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}: {err}");
        assert!(
            err["error"]["message"]
                .as_str()
                .unwrap_or("")
                .contains("admin"),
            "{err}"
        );
        files.log.assert_last(&[
            ("user", json!("otto")),
            ("outcome", json!("role_refused")),
            ("params", body.clone()),
        ]);
        let (status, reply) = run(&ada, body.clone()).await;
        assert_eq!(status, StatusCode::OK, "{body}: {reply}");
        assert_eq!(reply["reply"], "OK");
    }
    let (status, err) = run(&ada, json!({"action": "loglevel", "value": "LOUD"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(err["error"]["field"], "value");
    // Operators keep every action of codis-fe-spec.md §2.8; shutdown is no action at all.
    let (status, body) = run(&otto, json!({"action": "group-create", "gid": 9})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = run(&ada, json!({"action": "shutdown"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // Through ?forward= the dashboard's loglevel and reload stay refused for everyone.
    let x = codis_model::xauth::product_xauth("codis-demo");
    let (status, _) = ada
        .act(
            &base,
            "PUT",
            &format!("/api/topom/reload/{x}?forward=codis-demo"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

// ---- Issue 12: what a hostile client broke ----

/// A users file whose `otto` has a hash with argon2's default cost (about 19 MiB and tens of
/// milliseconds per check), as `codis-fe passwd` makes them.
fn write_real_cost_users(files: &Files) {
    let hash = codis_fe::auth::hash_password("otto-pw").expect("hash");
    write_users(
        files,
        json!([{"user": "otto", "hash": hash, "role": "operator"}]),
    );
}

/// The status of a sign-in attempt (and whether a 503 said when to come back).
async fn sign_in_status(client: &reqwest::Client, base: &str, user: &str, pw: &str) -> (u16, bool) {
    let resp = client
        .post(format!("{base}/api/session"))
        .json(&json!({"user": user, "password": pw}))
        .send()
        .await
        .expect("sign-in");
    let retry = resp.headers().contains_key("retry-after");
    (resp.status().as_u16(), retry)
}

#[tokio::test]
async fn fifty_parallel_sign_ins_for_one_user_check_at_most_five_passwords() {
    let files = Files::new("parallel-50");
    write_real_cost_users(&files);
    let base = format!("http://{}", files.start_backend(&["--demo".into()]).await);
    let client = http();
    let attempts = (0..50).map(|_| sign_in_status(&client, &base, "otto", "wrong"));
    let statuses = futures::future::join_all(attempts).await;
    let checked = statuses.iter().filter(|(s, _)| *s == 401).count();
    assert!(checked <= 5, "{checked} passwords checked: {statuses:?}");
    for (s, retry) in &statuses {
        assert!([401, 429, 503].contains(s), "{statuses:?}");
        assert!(*s != 503 || *retry, "a 503 says when to retry");
    }
    // The audit log tells the same: at most 5 `wrong_password`, every refusal recorded.
    let lines = files.audit();
    assert_eq!(lines.len(), 50);
    let wrong = lines
        .iter()
        .filter(|l| l["outcome"] == "wrong_password")
        .count();
    assert_eq!(wrong, checked, "{lines:#?}");
}

#[tokio::test]
async fn the_right_password_as_attempt_25_of_30_parallel_ones_is_refused() {
    let files = Files::new("parallel-30");
    write_real_cost_users(&files);
    let base = format!("http://{}", files.start_backend(&["--demo".into()]).await);
    let client = http();
    let mut first: futures::stream::FuturesUnordered<_> = (0..24)
        .map(|_| sign_in_status(&client, &base, "otto", "wrong"))
        .collect();
    // The other attempts are under way once the first of them is answered.
    use futures::StreamExt as _;
    let mut statuses = vec![first.next().await.expect("an answer")];
    let right = sign_in_status(&client, &base, "otto", "otto-pw");
    let rest =
        futures::future::join_all((0..5).map(|_| sign_in_status(&client, &base, "otto", "wrong")));
    let (right, rest, others) = tokio::join!(right, rest, first.collect::<Vec<_>>());
    assert_ne!(right.0, 200, "the 25th attempt got in: {right:?}");
    statuses.extend(rest);
    statuses.extend(others);
    statuses.push(right);
    let checked = statuses.iter().filter(|(s, _)| *s == 401).count();
    assert!(checked <= 5, "{checked} passwords checked: {statuses:?}");
}

/// The peak and current resident memory of a process, in KiB (`/proc/PID/status`).
fn memory_kib(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or_else(|| panic!("{name} in {status}"))
    };
    (field("VmHWM:"), field("VmRSS:"))
}

/// Starts the codis-fe binary with `args` on a loopback port; waits until it answers.
async fn start_binary(args: &[String]) -> (support::process::Spawned, String) {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_codis-fe"));
    cmd.args(args).arg("--log-level=ERROR");
    let mut child = support::process::Spawned::start(cmd, "127.0.0.1");
    let base = format!("http://127.0.0.1:{}", child.port);
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(r) = http().get(format!("{base}/healthz")).send().await {
            if r.status().is_success() {
                break;
            }
        }
        if let Some(status) = child.child.try_wait().expect("wait") {
            panic!("codis-fe exited with {status}: {}", child.log());
        }
        assert!(std::time::Instant::now() < deadline, "never answered");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    (child, base)
}

#[tokio::test]
async fn a_burst_of_1000_sign_ins_from_many_addresses_keeps_memory_under_200_mib() {
    let files = Files::new("burst");
    write_real_cost_users(&files);
    let mut args = files.flags();
    args.push("--demo".into());
    let (child, base) = start_binary(&args).await;
    // 250 loopback source addresses, so the per-address limit never applies; every user name
    // is new, so the per-user limit never does either.
    let clients: Vec<reqwest::Client> = (0..250u8)
        .map(|i| {
            reqwest::Client::builder()
                .local_address(std::net::IpAddr::from([127, 0, 0, i + 2]))
                .timeout(Duration::from_secs(60))
                .build()
                .expect("client")
        })
        .collect();
    use futures::StreamExt as _;
    let statuses: Vec<(u16, bool)> = futures::stream::iter(0..1000usize)
        .map(|i| {
            let client = clients[i % clients.len()].clone();
            let base = base.clone();
            async move { sign_in_status(&client, &base, &format!("user-{i}"), "wrong").await }
        })
        .buffer_unordered(50)
        .collect()
        .await;
    let busy = statuses.iter().filter(|(s, _)| *s == 503).count();
    for (s, retry) in &statuses {
        assert!([401, 503].contains(s), "{s}");
        assert!(*s != 503 || *retry, "a 503 says when to retry");
    }
    let (peak, now) = memory_kib(child.pid());
    assert!(
        peak < 200 * 1024,
        "peak RSS {peak} KiB (now {now} KiB) after 1000 sign-ins, {busy} answered 503"
    );
    // Each busy refusal is audited too.
    let lines = files.audit();
    assert_eq!(lines.len(), 1000);
    assert_eq!(
        lines.iter().filter(|l| l["outcome"] == "busy").count(),
        busy
    );
}

#[tokio::test]
async fn sign_out_needs_the_csrf_token_and_the_saved_cookie_is_refused_here_and_on_a_replica() {
    let files = Files::new("revoke");
    let a = format!("http://{}", files.start_backend(&["--demo".into()]).await);
    // A replica sharing the key file (and so its revocation file), with its own audit log.
    let b_log = support::AuditLog::new("revoke-b");
    let b = TestApp::builder()
        .demo()
        .flag(format!(
            "--users={}",
            files.dir.join("users.json").display()
        ))
        .flag(format!(
            "--session-key-file={}",
            files.dir.join("key").display()
        ))
        .audit(&b_log)
        .start()
        .await
        .base();
    let otto = sign_in(&a, "otto", "otto-pw").await.expect("signs in");
    for base in [&a, &b] {
        let (status, me) = otto.get(base, "/api/me").await;
        assert_eq!(status, StatusCode::OK, "{base}: {me}");
    }
    // Without the CSRF token sign-out is refused (and audited), and the session still works.
    let (status, body) = call(&a, "DELETE", "/api/session", Some(&otto.cookie), None, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    files.log.assert_last(&[
        ("action", json!("sign-out")),
        ("outcome", json!("csrf_refused")),
    ]);
    assert_eq!(otto.get(&a, "/api/me").await.0, StatusCode::OK);
    let (status, _) = otto.act(&a, "DELETE", "/api/session", None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    // The saved cookie is refused afterwards, for reads and actions, on both replicas.
    for base in [&a, &b] {
        let (status, body) = otto.get(base, "/api/me").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{base}: {body}");
        let (status, _) = otto
            .act(
                base,
                "POST",
                "/api/products/codis-demo/actions",
                Some(json!({"action": "slots-interval", "interval": "0"})),
            )
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{base}");
    }
    // A new sign-in works as before.
    let again = sign_in(&b, "otto", "otto-pw")
        .await
        .expect("signs in again");
    assert_eq!(again.get(&a, "/api/me").await.0, StatusCode::OK);
    let _ = std::fs::remove_file(&b_log.0);
}

/// Opens the event stream of `product` with `cookie`; returns the response once it is 200.
async fn open_stream(base: &str, product: &str, cookie: &str) -> reqwest::Response {
    let client = reqwest::Client::builder()
        .no_gzip()
        .build()
        .expect("client");
    let resp = client
        .get(format!("{base}/api/products/{product}/events"))
        .header("cookie", cookie)
        .send()
        .await
        .expect("stream");
    assert_eq!(resp.status(), StatusCode::OK);
    resp
}

/// Reads the stream until it ends; fails if it is still open after `limit`.
async fn stream_ends_within(mut resp: reqwest::Response, limit: Duration) {
    let ended = tokio::time::timeout(limit, async {
        while let Ok(Some(_)) = resp.chunk().await {}
    })
    .await;
    assert!(ended.is_ok(), "the stream was still open after {limit:?}");
}

#[tokio::test]
async fn an_open_event_stream_ends_at_sign_out_and_at_expiry() {
    let (_d, list) = demo_with_list(Preset::Tiny).await;
    let files = Files::new("stream-end");
    let addr = files.start_backend(&[list.flag()]).await;
    let base = format!("http://{addr}");
    let otto = sign_in(&base, "otto", "otto-pw").await.expect("signs in");
    let mut stream = open_stream(&base, "codis-demo", &otto.cookie).await;
    let first = tokio::time::timeout(Duration::from_secs(20), stream.chunk())
        .await
        .expect("a first event");
    assert!(first.expect("chunk").is_some(), "the stream runs");
    let (status, _) = otto.act(&base, "DELETE", "/api/session", None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    stream_ends_within(stream, Duration::from_secs(10)).await;

    // A session of 3 s: its stream ends when it expires, though nobody signed out.
    let files = Files::new("stream-expiry");
    let addr = files
        .start_backend(&[list.flag(), "--session-ttl=3".into()])
        .await;
    let base = format!("http://{addr}");
    let otto = sign_in(&base, "otto", "otto-pw").await.expect("signs in");
    let stream = open_stream(&base, "codis-demo", &otto.cookie).await;
    stream_ends_within(stream, Duration::from_secs(15)).await;
    // And a reconnect is refused.
    let (status, _) = otto.get(&base, "/api/products/codis-demo/events").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn forward_requests_need_a_session_before_anything_is_said_about_the_product() {
    let (_d, list) = demo_with_list(Preset::Tiny).await;
    let files = Files::new("forward-anon");
    let base = format!("http://{}", files.start_backend(&[list.flag()]).await);
    let mut answers = Vec::new();
    for product in ["codis-demo", "no-such-product"] {
        for method in ["GET", "DELETE", "POST"] {
            let (status, body) = call(
                &base,
                method,
                &format!("/api/session?forward={product}"),
                None,
                None,
                None,
            )
            .await;
            assert_eq!(
                status,
                StatusCode::UNAUTHORIZED,
                "{method} {product}: {body}"
            );
            assert!(!body.to_string().contains(product), "{body}");
            answers.push((method, body));
        }
    }
    assert_eq!(
        answers[..3],
        answers[3..],
        "known and unknown products look alike"
    );
}

#[tokio::test]
async fn duplicate_users_and_too_wide_trusted_proxies_stop_the_start() {
    let files = Files::new("start-checks");
    let h = support::password_hash("x");
    write_users(
        &files,
        json!([
            {"user": "otto", "hash": h, "role": "operator"},
            {"user": "otto", "hash": h, "role": "admin"},
        ]),
    );
    let build = |extra: &[&str]| {
        let mut argv = vec![
            "codis-fe".to_string(),
            "--demo".into(),
            format!("--users={}", files.dir.join("users.json").display()),
        ];
        argv.extend(extra.iter().map(|s| s.to_string()));
        Args::try_parse_from(argv).expect("parses")
    };
    let err = server::build(&build(&[])).await.err().expect("refused");
    assert!(
        err.contains("--users") && err.contains("\"otto\"") && err.contains("more than once"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    write_users(&files, json!([{"user": "otto", "role": "operator"}]));
    for wide in ["0.0.0.0/0", "10.0.0.0/7", "::/0"] {
        let proxy = [
            "--auth-proxy-header=X-Remote-User",
            &format!("--trusted-proxies=127.0.0.1,{wide}"),
        ];
        let err = server::build(&build(&proxy)).await.err().expect("refused");
        assert!(
            err.contains("--trusted-proxies")
                && err.contains(wide)
                && err.contains("--trusted-proxies-i-know"),
            "{err}"
        );
        assert_eq!(err.lines().count(), 1, "{err}");
        let mut ok = proxy.to_vec();
        ok.push("--trusted-proxies-i-know");
        assert!(
            server::build(&build(&ok)).await.is_ok(),
            "{wide} with --trusted-proxies-i-know"
        );
    }
    let ok = [
        "--auth-proxy-header=X-Remote-User",
        "--trusted-proxies=10.0.0.0/8",
    ];
    assert!(server::build(&build(&ok)).await.is_ok(), "a /8 is fine");
}

#[tokio::test]
async fn in_proxy_mode_two_user_headers_are_a_400_and_the_audit_client_is_an_ip() {
    let (_d, list) = demo_with_list(Preset::Tiny).await;
    let files = Files::new("proxy-strict");
    write_users(&files, json!([{"user": "otto", "role": "operator"}]));
    let base = format!(
        "http://{}",
        files
            .start_backend(&[
                list.flag(),
                "--auth-proxy-header=X-Remote-User".into(),
                "--trusted-proxies=127.0.0.1".into(),
            ])
            .await
    );
    let resp = http()
        .get(format!("{base}/api/me"))
        .header("x-remote-user", "vera")
        .header("x-remote-user", "otto")
        .send()
        .await
        .expect("me");
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let body: Value = resp.json().await.expect("json");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("x-remote-user")),
        "{body}"
    );
    // The stream on the bare connection does not pick one either.
    let line = raw_status_line(
        files_addr(&base),
        "GET /api/products/codis-demo/events HTTP/1.1\r\nHost: x\r\nX-Remote-User: vera\r\nX-Remote-User: otto\r\n\r\n",
    )
    .await;
    assert!(line.starts_with("HTTP/1.1 400"), "{line}");
    // X-Forwarded-For that is not an IP address is not believed as the client.
    let (_, me) = call_with(&base, "GET", "/api/me", &[("x-remote-user", "otto")], None).await;
    let csrf = me["csrf"].as_str().expect("csrf").to_string();
    for forwarded in ["evil\", \"admin", "<script>", "198.51.100.7:8080"] {
        call_with(
            &base,
            "POST",
            "/api/products/codis-demo/actions",
            &[
                ("x-remote-user", "otto"),
                ("x-csrf-token", &csrf),
                ("x-forwarded-for", forwarded),
            ],
            Some(json!({"action": "slots-interval", "interval": "0"})),
        )
        .await;
        let last = files.audit().pop().expect("a line");
        let client = last["client"].as_str().expect("client");
        assert!(
            client.starts_with("127.0.0.1:"),
            "{forwarded:?} gave client {client:?}"
        );
    }
    call_with(
        &base,
        "POST",
        "/api/products/codis-demo/actions",
        &[
            ("x-remote-user", "otto"),
            ("x-csrf-token", &csrf),
            ("x-forwarded-for", "198.51.100.7"),
        ],
        Some(json!({"action": "slots-interval", "interval": "0"})),
    )
    .await;
    assert_eq!(
        files.audit().pop().expect("a line")["client"],
        "198.51.100.7"
    );
}

fn files_addr(base: &str) -> SocketAddr {
    base.trim_start_matches("http://").parse().expect("addr")
}

#[tokio::test]
async fn malformed_sign_ins_and_405s_are_audited_and_activity_params_are_objects() {
    let (_d, list) = demo_with_list(Preset::Tiny).await;
    let files = Files::new("audit-more");
    let base = format!("http://{}", files.start_backend(&[list.flag()]).await);
    let resp = http()
        .post(format!("{base}/api/session"))
        .header("content-type", "application/json")
        .body("{\"user\": \"otto\", \"pass")
        .send()
        .await
        .expect("sign-in");
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    files.log.assert_last(&[
        ("action", json!("sign-in")),
        ("outcome", json!("invalid_input")),
        ("status", json!(400)),
        ("user", json!("-")),
    ]);
    let otto = sign_in(&base, "otto", "otto-pw").await.expect("signs in");
    let (status, _) = otto.act(&base, "PUT", "/api/session", None).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    files.log.assert_last(&[
        ("action", json!("request")),
        ("outcome", json!("method_not_allowed")),
        ("status", json!(405)),
        ("user", json!("otto")),
    ]);
    let (status, _) = otto
        .act(&base, "DELETE", "/api/products/codis-demo/actions", None)
        .await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    files
        .log
        .assert_last(&[("status", json!(405)), ("product", json!("codis-demo"))]);
    // Every entry of /api/activity has object params, as the OpenAPI document says.
    let (status, entries) = otto.get(&base, "/api/activity").await;
    assert_eq!(status, StatusCode::OK, "{entries}");
    let entries = entries.as_array().expect("array");
    assert!(entries.len() >= 4, "{entries:?}");
    for e in entries {
        assert!(e["params"].is_object(), "{e}");
    }
    for l in files.audit() {
        assert!(l["params"].is_object(), "{l}");
    }
}

#[tokio::test]
async fn the_audit_log_reopens_after_logrotate_moves_it_and_sends_sighup() {
    let dir = std::env::temp_dir().join(format!("codis-fe-rotate-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let log = dir.join("audit.jsonl");
    let (mut child, base) =
        start_binary(&["--demo".into(), format!("--audit-log={}", log.display())]).await;
    let act = |gid: u32| {
        let base = base.clone();
        async move {
            call(
                &base,
                "POST",
                "/api/products/codis-demo/actions",
                None,
                None,
                Some(json!({"action": "group-create", "gid": gid})),
            )
            .await
        }
    };
    act(901).await;
    let rotated = dir.join("audit.jsonl.1");
    std::fs::rename(&log, &rotated).expect("mv");
    // SAFETY: kill(2) on our own child's pid.
    let sent = unsafe { libc::kill(child.pid() as libc::pid_t, libc::SIGHUP) };
    assert_eq!(sent, 0, "SIGHUP sent");
    act(902).await;
    let old = std::fs::read_to_string(&rotated).expect("rotated file");
    assert_eq!(old.lines().count(), 1, "{old}");
    assert!(old.contains("\"gid\":\"901\""), "{old}");
    let new = std::fs::read_to_string(&log).expect("a new file at the old path");
    assert_eq!(new.lines().count(), 1, "{new}");
    assert!(new.contains("\"gid\":\"902\""), "{new}");
    assert!(
        child.child.try_wait().expect("wait").is_none(),
        "SIGHUP does not stop the server"
    );
    drop(child);
    let _ = std::fs::remove_dir_all(&dir);
}
