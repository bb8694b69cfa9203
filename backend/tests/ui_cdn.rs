//! The console hosted on another origin (a CDN) with sign-in, in headless Chromium: the built
//! console served by a plain static server on `http://127.0.0.1:PORT1` whose `config.json`
//! points at the API on `http://127.0.0.1:PORT2` (another origin: CORS with credentials, the
//! `X-CSRF-Token` header allowed, the session cookie `SameSite=None; Secure`).
//!
//! The console on `http://localhost:PORT1` (another *site*) cannot sign in in this Chromium (156):
//! it blocks third-party cookies by default, so the cookie set by the API's answer is dropped
//! (checked: nothing stored for 127.0.0.1). A console on a CDN therefore works when it is on the
//! API's site (`console.example.com` and `codis-fe.example.com`), not on an unrelated domain.

use codis_testkit as support;
use support::TestApp;

use std::path::PathBuf;

use serde_json::json;
use support::browser::Browser;

/// A plain static server of `dist` on `listener` (what a CDN does: files, unknown paths
/// answered with index.html), with `config.json` naming `api_base`.
fn serve_static(listener: tokio::net::TcpListener, dist: PathBuf, api_base: String) {
    use tower_http::services::{ServeDir, ServeFile};
    let config = json!({ "api_base": api_base }).to_string();
    let app = axum::Router::new()
        .route(
            "/config.json",
            axum::routing::get(move || {
                let config = config.clone();
                async move { ([("content-type", "application/json")], config) }
            }),
        )
        .fallback_service(ServeDir::new(&dist).fallback(ServeFile::new(dist.join("index.html"))));
    tokio::spawn(async move { axum::serve(listener, app).await });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_console_on_another_origin_signs_in_sees_live_numbers_and_acts() {
    let dist = support::dist_dir();
    let users = support::UsersFile::new(
        "ui-cdn",
        json!([
            {"user": "otto", "hash": support::password_hash("otto-pw"), "role": "operator"},
        ]),
    );
    let cdn = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the static server");
    let console_origin = format!(
        "http://127.0.0.1:{}",
        cdn.local_addr().expect("addr").port()
    );
    let api = TestApp::builder()
        .demo()
        .users(&users)
        .flag(format!("--cors-origins={console_origin}"))
        .flag("--cookie-samesite=none")
        .start()
        .await
        .addr;
    serve_static(cdn, dist, format!("http://{api}"));

    let b = Browser::start().await;
    b.open(&format!("{console_origin}/p/codis-demo")).await;
    // The sign-in form comes from the API's answer (401 on /api/me, read across origins).
    b.wait_for("#signin-form").await;
    b.type_into("#signin-user", "otto").await;
    b.type_into("#signin-password", "otto-pw").await;
    b.click("#signin-submit").await;
    // Signed in: the live stream (EventSource withCredentials) runs with the cookie.
    b.wait_text("#live-indicator", "the live overview", |t| {
        t.starts_with("Live")
    })
    .await;
    assert_eq!(b.text_of("#user-name").await.as_deref(), Some("otto"));

    // An action: the preflight allows X-CSRF-Token and credentials, the cookie goes along.
    b.click("a[data-section='groups']").await;
    b.wait_for("section.group[data-group='1']").await;
    b.type_into("#group-new-id", "4").await;
    b.wait_text("#group-new-id-err", "no error", |t| t.is_empty())
        .await;
    b.click("#group-create").await;
    b.wait_for("section.group[data-group='4']").await;
    assert_eq!(b.count(".toast-error").await, 0, "no refusal");
    b.screenshot("ui-cdn-signed-in").await;
    b.close().await;
}
