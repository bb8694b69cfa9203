//! What the backend's integration tests and the benchmarks share: the backend started through one
//! typed builder ([`TestApp`]), files it reads (dashboard list, users, audit log), HTTP helpers
//! and waits, a headless Chromium driven over WebDriver (`browser`), real coordinators
//! (`coordinators`, `discovery`), the simulated cluster behind a counting proxy and SSE readers
//! (`live`), a real nginx (`nginx`), a real Prometheus and promtool (`prometheus`), a plain static host standing in for a CDN (`cdn`), and free
//! ports (`ports`), and the codis-fe binary as its own process (`process`).

pub mod alertmanager;
pub mod app;
pub mod browser;
pub mod cdn;
pub mod coordinators;
pub mod discovery;
pub mod live;
pub mod nginx;
pub mod ports;
pub mod process;
pub mod prometheus;

use std::path::PathBuf;
use std::time::Duration;

pub use app::{TestApp, TestAppBuilder};

/// The workspace root (tests run with the package directory as the working directory).
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The built console. Browser tests need it and fail (never skip) when it is missing.
pub fn dist_dir() -> PathBuf {
    let dir = std::env::var_os("CODIS_FE_DIST")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("dist"));
    assert!(
        dir.join("index.html").is_file(),
        "no built console at {}: run scripts/build-frontend first (scripts/test does)",
        dir.display()
    );
    dir
}

/// Waits until `cond` holds, checking every 20 ms; fails naming `what` after `limit`. Tests wait
/// on a condition like this instead of sleeping for a time that a loaded machine may exceed.
pub async fn eventually<F, Fut>(what: &str, limit: std::time::Duration, mut cond: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = std::time::Instant::now() + limit;
    while !cond().await {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out after {limit:?} waiting for {what}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// A backend for the live tests on the dashboards of `list_flag`, polling every 100 ms with
/// pollers lingering 300 ms (keeps those suites fast); returns its base URL.
pub async fn live_backend(list_flag: &str) -> String {
    TestApp::builder()
        .flag(list_flag)
        .live_timing(Duration::from_millis(100), Duration::from_millis(300))
        .quiet()
        .start()
        .await
        .base()
}

/// Starts a simulated dashboard for `product` (the one test double: real HTTP on loopback).
pub async fn demo_dashboard(
    product: &str,
    preset: codis_demo::Preset,
) -> codis_demo::DemoDashboard {
    codis_demo::DemoDashboard::start(codis_demo::DemoOptions::new(product, preset))
        .await
        .expect("demo dashboard starts")
}

/// One demo dashboard for `codis-demo` and the `--dashboard-list` file naming it (keep both
/// alive for the test).
pub async fn demo_with_list(
    preset: codis_demo::Preset,
) -> (codis_demo::DemoDashboard, DashboardList) {
    let d = demo_dashboard("codis-demo", preset).await;
    let list = DashboardList::new(&[("codis-demo", &d.addr().to_string())]);
    (d, list)
}

/// A backend in front of one demo dashboard for `codis-demo`: the dashboard, its list file (keep
/// both alive for the test) and the backend's base URL.
pub async fn demo_backend(
    preset: codis_demo::Preset,
) -> (codis_demo::DemoDashboard, DashboardList, String) {
    let (d, list) = demo_with_list(preset).await;
    let base = TestApp::builder().dashboards(&list).start().await.base();
    (d, list, base)
}

/// A `--dashboard-list` file naming these (product, dashboard address) pairs; removed on drop.
pub struct DashboardList(pub PathBuf);

impl DashboardList {
    pub fn new(entries: &[(&str, &str)]) -> DashboardList {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!(
            "codis-fe-test-list-{}-{n}.json",
            std::process::id()
        ));
        let list = DashboardList(path);
        list.write(entries);
        list
    }

    pub fn write(&self, entries: &[(&str, &str)]) {
        let json: Vec<serde_json::Value> = entries
            .iter()
            .map(|(name, addr)| serde_json::json!({"name": name, "dashboard": addr}))
            .collect();
        std::fs::write(&self.0, serde_json::to_vec(&json).expect("json")).expect("write list");
    }

    pub fn flag(&self) -> String {
        format!("--dashboard-list={}", self.0.display())
    }
}

impl Drop for DashboardList {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// An `--alerts` file (TOML rules) with this text; removed on drop.
pub struct AlertsFile(pub PathBuf);

impl AlertsFile {
    pub fn new(text: &str) -> AlertsFile {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!(
            "codis-fe-test-alerts-{}-{n}.toml",
            std::process::id()
        ));
        std::fs::write(&path, text).expect("write alerts file");
        AlertsFile(path)
    }

    pub fn flag(&self) -> String {
        format!("--alerts={}", self.0.display())
    }
}

impl Drop for AlertsFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// A `--users` file with these entries, in a directory of its own (tests of one file run in
/// parallel in one process); removed on drop.
pub struct UsersFile(PathBuf);

impl UsersFile {
    pub fn new(tag: &str, users: serde_json::Value) -> UsersFile {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("codis-fe-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("dir");
        std::fs::write(dir.join("users.json"), users.to_string()).expect("users");
        UsersFile(dir)
    }

    pub fn flag(&self) -> String {
        format!("--users={}", self.0.join("users.json").display())
    }
}

impl Drop for UsersFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Sign-in as the deployment tests set it up: one operator, [`OPERATOR`] with password
/// [`OPERATOR_PASSWORD`], in a users file, and a session key file (32 bytes) beside it. Backends
/// given the same `OperatorSignIn` share the key, and so `KEY.revoked` beside it: replicas honour
/// each other's sessions and sign-outs. Removed on drop.
pub struct OperatorSignIn(UsersFile);

/// The user of [`OperatorSignIn`].
pub const OPERATOR: &str = "otto";
/// The password of [`OPERATOR`].
pub const OPERATOR_PASSWORD: &str = "otto-pw";

impl OperatorSignIn {
    pub fn new(tag: &str) -> OperatorSignIn {
        let users = UsersFile::new(
            tag,
            serde_json::json!([
                {"user": OPERATOR, "hash": password_hash(OPERATOR_PASSWORD), "role": "operator"}
            ]),
        );
        std::fs::write(users.0.join("session.key"), [42u8; 32]).expect("session key");
        OperatorSignIn(users)
    }

    /// `--users` and `--session-key-file`.
    pub fn flags(&self) -> [String; 2] {
        [
            self.0.flag(),
            format!(
                "--session-key-file={}",
                self.0 .0.join("session.key").display()
            ),
        ]
    }
}

/// A fast argon2id hash (small parameters: the tests run unoptimized).
pub fn password_hash(password: &str) -> String {
    use argon2::password_hash::{PasswordHasher as _, SaltString};
    let params = argon2::Params::new(64, 1, 1, None).expect("params");
    let a = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let salt = SaltString::encode_b64(b"0123456789abcdef").expect("salt");
    a.hash_password(password.as_bytes(), &salt)
        .expect("hash")
        .to_string()
}

/// An HTTP client for the API tests (long timeout: debug builds under load are slow).
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(20))
        .build()
        .expect("client")
}

/// Sends `method path` with the session `cookie`, the `csrf` token and a JSON `body` when given;
/// returns the status and the JSON body (`Null` when the body is not JSON).
pub async fn call(
    base: &str,
    method: &str,
    path: &str,
    cookie: Option<&str>,
    csrf: Option<&str>,
    body: Option<serde_json::Value>,
) -> (reqwest::StatusCode, serde_json::Value) {
    let mut headers = Vec::new();
    if let Some(c) = cookie {
        headers.push(("cookie", c));
    }
    if let Some(t) = csrf {
        headers.push(("x-csrf-token", t));
    }
    call_with(base, method, path, &headers, body).await
}

/// [`call`] with any request headers.
pub async fn call_with(
    base: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<serde_json::Value>,
) -> (reqwest::StatusCode, serde_json::Value) {
    let mut req = http().request(method.parse().expect("method"), format!("{base}{path}"));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.expect("request");
    let status = resp.status();
    (status, resp.json().await.unwrap_or(serde_json::Value::Null))
}

/// A session made by a sign-in ([`sign_in`]).
pub struct SignedIn {
    /// `name=value`, to send back in a `Cookie` header.
    pub cookie: String,
    /// The CSRF token, for the `X-CSRF-Token` header of actions and sign-out.
    pub csrf: String,
    /// The whole `Set-Cookie` header (its attributes: `Secure`, `Path`, `SameSite`).
    pub set_cookie: String,
}

/// Signs `user` in with `client` at `base` (`POST /api/session`); fails unless it is 200 with a
/// cookie and a CSRF token.
pub async fn sign_in(client: &reqwest::Client, base: &str, user: &str, password: &str) -> SignedIn {
    let resp = client
        .post(format!("{base}/api/session"))
        .json(&serde_json::json!({"user": user, "password": password}))
        .send()
        .await
        .expect("sign-in request");
    assert_eq!(resp.status(), reqwest::StatusCode::OK, "sign-in of {user}");
    let set_cookie = resp
        .headers()
        .get(reqwest::header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .expect("a Set-Cookie header")
        .to_string();
    let body: serde_json::Value = resp.json().await.expect("JSON body");
    SignedIn {
        cookie: set_cookie.split(';').next().unwrap_or_default().to_string(),
        csrf: body["csrf"].as_str().expect("a CSRF token").to_string(),
        set_cookie,
    }
}

/// Sends `req`; returns the status and the body, which must be JSON.
pub async fn send_json(req: reqwest::RequestBuilder) -> (reqwest::StatusCode, serde_json::Value) {
    let resp = req.send().await.expect("request");
    let status = resp.status();
    (status, resp.json().await.expect("json"))
}

/// `GET url`; the body, which must be JSON of type `T`.
pub async fn get_json<T: serde::de::DeserializeOwned>(url: String) -> T {
    http()
        .get(url)
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json")
}

/// Sends `req`; returns the status only.
pub async fn status_of(req: reqwest::RequestBuilder) -> reqwest::StatusCode {
    req.send().await.expect("request").status()
}

/// An `--audit-log` file; removed on drop.
pub struct AuditLog(pub PathBuf);

impl AuditLog {
    /// A fresh log in the temp dir, named after the test.
    pub fn new(name: &str) -> AuditLog {
        let path = std::env::temp_dir().join(format!(
            "codis-fe-audit-{name}-{}.jsonl",
            std::process::id()
        ));
        let _ = std::fs::remove_file(&path);
        AuditLog(path)
    }

    pub fn flag(&self) -> String {
        format!("--audit-log={}", self.0.display())
    }

    pub fn text(&self) -> String {
        std::fs::read_to_string(&self.0).unwrap_or_default()
    }

    /// Every line, parsed: each must be one JSON object.
    pub fn lines(&self) -> Vec<serde_json::Value> {
        self.text()
            .lines()
            .map(|l| serde_json::from_str(l).expect("each audit line is JSON"))
            .collect()
    }

    /// The last line, after asserting each of `fields` (name, value) in it.
    pub fn assert_last(&self, fields: &[(&str, serde_json::Value)]) -> serde_json::Value {
        let last = self.lines().last().cloned().expect("an audit line");
        for (name, value) in fields {
            assert_eq!(&last[*name], value, "audit field {name}: {last}");
        }
        last
    }
}

impl Drop for AuditLog {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}
