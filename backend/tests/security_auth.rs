//! Sign-in with local users (`--users`): every route without a session (401, the event stream on
//! the bare connection included), viewer (403 on actions), operator (allowed), missing or wrong
//! CSRF token (403), read-only (403), expired or forged session (401), sign-out, rate limiting,
//! and the audit line of each action attempt.

mod support;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use codis_demo::Preset;
use codis_fe::{config::Args, server, session::SessionKey};
use reqwest::StatusCode;
use serde_json::{json, Value};
use support::{demo_dashboard, start_backend, DashboardList};

const KEY: [u8; 32] = [7; 32];

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client")
}

/// A fast argon2id hash (small parameters: the tests run unoptimized).
fn hash(password: &str) -> String {
    use argon2::password_hash::{PasswordHasher as _, SaltString};
    let params = argon2::Params::new(64, 1, 1, None).expect("params");
    let a = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let salt = SaltString::encode_b64(b"0123456789abcdef").expect("salt");
    a.hash_password(password.as_bytes(), &salt)
        .expect("hash")
        .to_string()
}

/// The users file, key file and audit log of one test; removed on drop.
struct Files {
    dir: PathBuf,
}

impl Files {
    fn new(name: &str) -> Files {
        let dir = std::env::temp_dir().join(format!("codis-fe-auth-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("dir");
        let users = json!([
            {"user": "vera", "hash": hash("vera-pw"), "role": "viewer"},
            {"user": "otto", "hash": hash("otto-pw"), "role": "operator"},
        ]);
        std::fs::write(dir.join("users.json"), users.to_string()).expect("users");
        std::fs::write(dir.join("key"), KEY).expect("key");
        Files { dir }
    }

    fn flags(&self) -> Vec<String> {
        vec![
            format!("--users={}", self.dir.join("users.json").display()),
            format!("--session-key-file={}", self.dir.join("key").display()),
            format!("--audit-log={}", self.dir.join("audit.jsonl").display()),
        ]
    }

    fn audit(&self) -> Vec<Value> {
        std::fs::read_to_string(self.dir.join("audit.jsonl"))
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).expect("JSON line"))
            .collect()
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

async fn call(
    base: &str,
    method: &str,
    path: &str,
    cookie: Option<&str>,
    csrf: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = http().request(method.parse().expect("method"), format!("{base}{path}"));
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    if let Some(t) = csrf {
        req = req.header("x-csrf-token", t);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.expect("request");
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
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
    let d = demo_dashboard("codis-demo", Preset::Small).await;
    let list = DashboardList::new(&[("codis-demo", &d.addr().to_string())]);
    let files = Files::new("no-session");
    let mut flags = files.flags();
    flags.push(list.flag());
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let addr = start_backend(&flags).await;
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
    let now = codis_fe::security::unix_now();
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
    // Health checks and sign-in need no session; nothing was audited as allowed.
    let (status, _) = call(&base, "GET", "/healthz", None, None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(files.audit().iter().all(|l| l["outcome"] != "allowed"));
}

#[tokio::test]
async fn viewers_read_operators_act_and_csrf_and_read_only_are_enforced() {
    let d = demo_dashboard("codis-demo", Preset::Small).await;
    let list = DashboardList::new(&[("codis-demo", &d.addr().to_string())]);
    let files = Files::new("roles");
    let mut flags = files.flags();
    flags.push(list.flag());
    let flag_refs: Vec<&str> = flags.iter().map(String::as_str).collect();
    let base = format!("http://{}", start_backend(&flag_refs).await);
    let actions = "/api/products/codis-demo/actions";
    let create = |gid: u32| Some(json!({"action": "group-create", "gid": gid}));

    // Viewer: reads, no actions (even with its CSRF token).
    let vera = sign_in(&base, "vera", "vera-pw").await.expect("viewer");
    let (status, me) = call(&base, "GET", "/api/me", Some(&vera.cookie), None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["mode"], "local");
    assert_eq!(me["user"], "vera");
    assert_eq!(me["role"], "viewer");
    assert_eq!(me["csrf"], vera.csrf.as_str());
    let (status, _) = call(
        &base,
        "GET",
        "/api/products/codis-demo/stats",
        Some(&vera.cookie),
        None,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = call(
        &base,
        "POST",
        actions,
        Some(&vera.cookie),
        Some(&vera.csrf),
        create(7),
    )
    .await;
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
    let (status, body) = call(
        &base,
        "POST",
        actions,
        Some(&otto.cookie),
        Some(&otto.csrf),
        create(7),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Sign-out drops the cookie.
    let resp = http()
        .delete(format!("{base}/api/session"))
        .header("cookie", &otto.cookie)
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
    let seen: Vec<(String, String, String)> = lines
        .iter()
        .map(|l| {
            (
                l["user"].as_str().unwrap_or("?").to_string(),
                l["role"].as_str().unwrap_or("?").to_string(),
                l["outcome"].as_str().unwrap_or("?").to_string(),
            )
        })
        .collect();
    let expected = [
        ("vera", "viewer", "role_refused"),
        ("otto", "operator", "csrf_refused"),
        ("otto", "operator", "csrf_refused"),
        ("otto", "operator", "allowed"),
    ]
    .map(|(u, r, o)| (u.to_string(), r.to_string(), o.to_string()));
    assert_eq!(seen, expected, "{lines:#?}");
    let text = std::fs::read_to_string(files.dir.join("audit.jsonl")).expect("audit");
    assert!(
        !text.contains("otto-pw") && !text.contains(&otto.csrf),
        "no secrets: {text}"
    );

    // Read-only wins over every role.
    let mut ro = flags.clone();
    ro.push("--read-only".into());
    let ro: Vec<&str> = ro.iter().map(String::as_str).collect();
    let base = format!("http://{}", start_backend(&ro).await);
    let otto = sign_in(&base, "otto", "otto-pw").await.expect("operator");
    let (status, body) = call(
        &base,
        "POST",
        actions,
        Some(&otto.cookie),
        Some(&otto.csrf),
        create(9),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("read-only"),
        "{body}"
    );
    assert_eq!(files.audit().last().expect("line")["outcome"], "read_only");
}

#[tokio::test]
async fn sign_in_failures_are_rate_limited_per_user_and_per_address() {
    let files = Files::new("rate");
    let mut flags = files.flags();
    flags.push("--demo".into());
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let base = format!("http://{}", start_backend(&flags).await);
    for _ in 0..codis_fe::security::MAX_FAILURES {
        let (status, body) = sign_in(&base, "otto", "wrong")
            .await
            .err()
            .expect("refused");
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
        assert_eq!(body["error"]["kind"], "unauthenticated");
    }
    // Now even the right password waits.
    let (status, body) = sign_in(&base, "otto", "otto-pw")
        .await
        .err()
        .expect("limited");
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(body["error"]["kind"], "rate_limited");
    // The same address is limited for other users too.
    let (status, _) = sign_in(&base, "vera", "vera-pw")
        .await
        .err()
        .expect("limited");
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    // An unknown user is refused like a wrong password.
    let files2 = Files::new("rate2");
    let mut flags = files2.flags();
    flags.push("--demo".into());
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let base = format!("http://{}", start_backend(&flags).await);
    let (status, body) = sign_in(&base, "nobody", "x").await.err().expect("refused");
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
            json!([{"user": "a", "hash": hash("x"), "role": "root"}]),
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
