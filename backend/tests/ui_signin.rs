//! Sign-in through the console in headless Chromium: the form while there is no session, the
//! backend's error on a wrong password, the live console after the right one, an action that
//! only succeeds with the CSRF header, Sign out back to the form; and `--read-only`, where no
//! action control is shown but reads and INFO dialogs keep working.

use codis_testkit as support;
use support::TestApp;

use serde_json::json;
use support::browser::Browser;

/// Action controls the user can see (they are hidden, not only disabled, when read-only).
async fn visible_actions(b: &Browser) -> Vec<String> {
    let v = b
        .js(
            "return [...document.querySelectorAll('.act')].filter(e => e.offsetParent !== null).map(e => e.id || e.className);",
            vec![],
        )
        .await;
    serde_json::from_value(v).expect("list")
}

/// Texts of the visible buttons in the page's main area.
async fn visible_buttons(b: &Browser) -> Vec<String> {
    let v = b
        .js(
            "return [...document.querySelectorAll('main button')].filter(e => e.offsetParent !== null).map(e => e.textContent.trim());",
            vec![],
        )
        .await;
    serde_json::from_value(v).expect("list")
}

/// The backend on the demo cluster with this file's users, and a browser.
async fn demo_console_with_users() -> (support::UsersFile, std::net::SocketAddr, Browser) {
    let dist = support::dist_dir();
    let users = support::UsersFile::new(
        "ui-signin",
        json!([
            {"user": "otto", "hash": support::password_hash("otto-pw"), "role": "operator"},
            {"user": "vera", "hash": support::password_hash("vera-pw"), "role": "viewer"},
            {"user": "adam", "hash": support::password_hash("adam-pw"), "role": "admin"},
            {"user": "pia", "hash": support::password_hash("pia-pw"),
             "products": {"codis-demo": "viewer", "codis-tiny": "operator"}},
        ]),
    );
    let addr = TestApp::builder()
        .demo()
        .users(&users)
        .assets(&dist)
        .start()
        .await
        .addr;
    (users, addr, Browser::start().await)
}

async fn sign_in(b: &Browser, user: &str, password: &str) {
    b.type_into("#signin-user", user).await;
    b.type_into("#signin-password", password).await;
    b.click("#signin-submit").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_act_and_sign_out_through_the_console() {
    let (_users, addr, b) = demo_console_with_users().await;
    let base = format!("http://{addr}/p/codis-demo");

    // No session: the form instead of the console, with labelled inputs.
    b.open(&base).await;
    b.wait_for("#signin-form").await;
    assert_eq!(
        b.count("#live-indicator").await,
        0,
        "no console before sign-in"
    );
    assert_eq!(b.count("label[for='signin-user']").await, 1);
    assert_eq!(b.count("label[for='signin-password']").await, 1);
    b.screenshot("ui-signin-form").await;

    // A wrong password: the backend's refusal is shown, the form stays.
    sign_in(&b, "otto", "wrong").await;
    let err = b
        .wait_text("#signin-error", "the sign-in error", |t| !t.is_empty())
        .await;
    assert!(err.contains("Sign-in failed"), "{err}");
    assert_eq!(b.count("#live-indicator").await, 0);

    // The right one (submitted with Enter): the live overview, with the user and role.
    b.type_into("#signin-user", "otto").await;
    b.type_into("#signin-password", "otto-pw\u{e007}").await;
    b.wait_text("#live-indicator", "the live overview", |t| {
        t.starts_with("Live")
    })
    .await;
    assert_eq!(b.text_of("#user-name").await.as_deref(), Some("otto"));
    assert_eq!(b.text_of("#user-role").await.as_deref(), Some("operator"));
    assert_eq!(b.count("#read-only-note").await, 0);

    // An action: only succeeds when the console sends X-CSRF-Token.
    b.click("a[data-section='groups']").await;
    b.wait_for("section.group[data-group='1']").await;
    b.type_into("#group-new-id", "4").await;
    b.wait_text("#group-new-id-err", "no error", |t| t.is_empty())
        .await;
    b.click("#group-create").await;
    b.wait_for("section.group[data-group='4']").await;
    assert_eq!(b.count(".toast-error").await, 0, "no refusal");

    // Sign out: back to the form, and a reload keeps it (the cookie is gone).
    b.click("#sign-out").await;
    b.wait_for("#signin-form").await;
    b.open(&base).await;
    b.wait_for("#signin-form").await;

    // A viewer: the console without action controls.
    sign_in(&b, "vera", "vera-pw").await;
    b.wait_text("#read-only-note", "the read-only note", |t| {
        t.contains("Read-only")
    })
    .await;
    b.click("a[data-section='groups']").await;
    b.wait_for("section.group[data-group='1']").await;
    assert_eq!(visible_actions(&b).await, Vec::<String>::new());
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_shows_no_action_controls() {
    let dist = support::dist_dir();
    let addr = TestApp::builder()
        .demo()
        .flag("--read-only")
        .assets(&dist)
        .start()
        .await
        .addr;
    let b = Browser::start().await;
    let base = format!("http://{addr}/p/codis-demo");

    b.open(&format!("{base}/proxies")).await;
    b.wait_for("#proxy-table tbody tr").await;
    b.wait_text("#read-only-note", "the read-only note", |t| {
        t == "Read-only: actions are disabled"
    })
    .await;
    assert_eq!(b.count("#sign-out").await, 0, "no sign-in, no Sign out");
    assert_eq!(b.count("#insecure-banner").await, 0, "loopback: no warning");
    assert_eq!(visible_actions(&b).await, Vec::<String>::new());
    for t in visible_buttons(&b).await {
        // Reads only: the full stats and the proxy's detail (codis-fe's "F" link).
        assert!(
            t == "Stats" || t == "Details",
            "proxies: unexpected button {t:?}"
        );
    }

    b.click("a[data-section='groups']").await;
    b.wait_for("section.group[data-group='1'] button.info")
        .await;
    assert_eq!(visible_actions(&b).await, Vec::<String>::new());
    for t in visible_buttons(&b).await {
        assert!(t == "Info", "groups: unexpected button {t:?}");
    }
    let toggles_enabled = b
        .js(
            "return [...document.querySelectorAll('.replica-toggle')].filter(e => !e.disabled).length;",
            vec![],
        )
        .await;
    assert_eq!(toggles_enabled, json!(0), "replica toggles are disabled");
    b.screenshot("ui-read-only").await;

    // Reads keep working: the INFO dialog opens and shows the server's INFO as a table.
    b.click("section.group[data-group='1'] button.info").await;
    b.wait_for(".dialog table.kv tbody tr").await;
    let info = b.text_of(".dialog table.kv").await.unwrap_or_default();
    assert!(info.contains("redis_version"), "{info}");
    b.press("\u{e00c}").await;
    b.wait_gone(".dialog").await;

    // A proxy's stats: the summary, the command table and the raw JSON, indented.
    b.click("a[data-section='proxies']").await;
    b.wait_for("#proxy-table tbody tr").await;
    b.js(
        "[...document.querySelectorAll('#proxy-table button')].find(e => e.textContent.trim() == 'Stats').click();",
        vec![],
    )
    .await;
    b.wait_for(".dialog dl.facts").await;
    let facts = b.text_of(".dialog dl.facts").await.unwrap_or_default();
    assert!(
        facts.contains("QPS") && facts.contains("Memory (RSS)"),
        "{facts}"
    );
    let raw = b
        .js(
            "return document.querySelector('.dialog pre.json').textContent;",
            vec![],
        )
        .await;
    let raw = raw.as_str().unwrap_or_default();
    assert!(raw.starts_with("{\n  \""), "indented JSON: {raw:.80}");
    let v: serde_json::Value = serde_json::from_str(raw).expect("the raw JSON parses");
    assert!(v["ops"]["total"].is_number(), "{raw:.200}");
    b.close().await;
}

/// `--insecure-no-auth` on a non-loopback address: a warning in the header of every page, with no
/// way to dismiss it; actions stay available (that is what the flag asks for).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_sign_in_on_a_non_loopback_address_shows_a_permanent_warning() {
    let dist = support::dist_dir();
    // A dashboard on an ephemeral port (--demo's fixed ports would collide with the other tests).
    let demo = support::demo_dashboard("codis-demo", codis_demo::Preset::Tiny).await;
    let list = support::DashboardList::new(&[("codis-demo", &demo.addr().to_string())]);
    let addr = TestApp::builder()
        .listen("0.0.0.0:0")
        .dashboards(&list)
        .flag("--insecure-no-auth")
        .assets(&dist)
        .start()
        .await
        .addr;
    let b = Browser::start().await;
    b.open(&format!("http://{addr}/p/codis-demo")).await;
    b.wait_text("#live-indicator", "the live overview", |t| {
        t.starts_with("Live")
    })
    .await;
    let text = b
        .wait_text("header #insecure-banner", "the warning", |t| {
            t.contains("--insecure-no-auth")
        })
        .await;
    assert!(text.contains("anyone"), "{text}");
    assert_eq!(
        b.count("#insecure-banner button").await,
        0,
        "nothing dismisses it"
    );
    // It stays on every page.
    for section in ["proxies", "slots", "groups", "sentinels"] {
        b.click(&format!("a[data-section='{section}']")).await;
        b.wait_for(&format!("a[data-section='{section}'].active"))
            .await;
        assert_eq!(b.count("#insecure-banner").await, 1, "{section}");
    }
    b.screenshot("ui-insecure-banner").await;
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_change_dashboard_settings_operators_see_activity_and_roles_follow_the_product() {
    let (_users, addr, b) = demo_console_with_users().await;
    let base = format!("http://{addr}/p");

    // An admin: the dashboard settings, behind a confirmation; the change is in the activity.
    b.open(&format!("{base}/codis-demo")).await;
    sign_in(&b, "adam", "adam-pw").await;
    b.wait_for("#dashboard-settings").await;
    b.js(
        "const s = document.querySelector('#loglevel'); s.value = 'DEBUG'; s.dispatchEvent(new Event('change'));",
        vec![],
    )
    .await;
    b.click("#activity summary").await;
    b.wait_text("#activity", "the opened activity", |t| {
        t.contains("No action")
    })
    .await;
    b.click("#set-loglevel").await;
    let text = b
        .wait_text(".dialog #confirm-text", "a confirmation", |t| !t.is_empty())
        .await;
    assert!(text.contains("log level to DEBUG"), "{text}");
    b.click(".dialog button.confirm").await;
    b.wait_gone(".dialog").await;
    let row = b
        .wait_text(
            "#activity tr[data-action='loglevel']",
            "the admin's change in the activity",
            |t| t.contains("allowed"),
        )
        .await;
    assert!(row.contains("adam") && row.contains("DEBUG"), "{row}");
    b.screenshot("ui-activity-admin").await;
    b.click("#sign-out").await;
    b.wait_for("#signin-form").await;

    // An operator: no settings, but the activity, with the admin's change.
    sign_in(&b, "otto", "otto-pw").await;
    b.click("#activity summary").await;
    b.wait_text(
        "#activity tr[data-action='loglevel']",
        "the activity for an operator",
        |t| t.contains("adam"),
    )
    .await;
    assert_eq!(
        b.count("#dashboard-settings").await,
        0,
        "settings are admin-only"
    );
    b.click("#sign-out").await;
    b.wait_for("#signin-form").await;

    // A viewer on codis-demo who operates codis-tiny: read-only on one, controls on the other.
    sign_in(&b, "pia", "pia-pw").await;
    b.wait_text("#user-role", "the role on codis-demo", |t| t == "viewer")
        .await;
    b.wait_for("#read-only-note").await;
    assert_eq!(b.count("#activity").await, 0, "no activity for a viewer");
    b.click("a[data-section='groups']").await;
    b.wait_for("section.group[data-group='1']").await;
    assert_eq!(visible_actions(&b).await, Vec::<String>::new());
    b.click("a[data-product='codis-tiny']").await;
    b.wait_text("#user-role", "the role on codis-tiny", |t| t == "operator")
        .await;
    b.wait_gone("#read-only-note").await;
    b.click("a[data-section='groups']").await;
    b.wait_for("#group-create").await;
    assert!(
        !visible_actions(&b).await.is_empty(),
        "controls on codis-tiny"
    );
    b.close().await;
}
