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

use serde_json::json;
use support::browser::Browser;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_console_on_another_origin_signs_in_sees_live_numbers_and_acts() {
    let dist = support::dist_dir();
    let users = support::UsersFile::new(
        "ui-cdn",
        json!([
            {"user": "otto", "hash": support::password_hash("otto-pw"), "role": "operator"},
        ]),
    );
    let cdn = support::cdn::StaticHost::bind().await;
    let console_origin = cdn.origin.clone();
    let api = TestApp::builder()
        .demo()
        .users(&users)
        .flag(format!("--cors-origins={console_origin}"))
        .flag("--cookie-samesite=none")
        .start()
        .await
        .addr;
    cdn.serve(dist, "/", format!("http://{api}"));

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
