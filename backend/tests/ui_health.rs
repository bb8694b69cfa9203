//! Health people can trust (issue 13, items 1 and 2), in headless Chromium against the demo:
//! a flaky sentinel is amber with its error in the tooltip and no "Force remove", a confirmed
//! error is red with the button and a tab count, and a frozen dashboard says so within two poll
//! intervals. Needs `dist/` (scripts/build-frontend).

use codis_testkit as support;
use support::TestApp;

use std::time::{Duration, Instant};

use codis_demo::{DemoDashboard, Fault};
use support::browser::Browser;

/// A backend on the demo without its random noise (this test injects exactly what it wants).
async fn backend(extra: &[&str]) -> (String, DemoDashboard) {
    let dist = support::dist_dir();
    let assets = format!("--assets-dir={}", dist.display());
    let mut args = vec!["--demo", "--demo-noise=off", assets.as_str()];
    args.extend_from_slice(extra);
    let app = TestApp::builder().flags(&args).start().await;
    (app.url("/p/codis-demo"), app.demo_dashboard("codis-demo"))
}

/// The first sentinel's address, from its row.
async fn first_sentinel(b: &Browser) -> String {
    b.wait_for("#sentinel-table tr[data-sentinel]").await;
    b.js(
        "return document.querySelector('#sentinel-table tr[data-sentinel]').dataset.sentinel;",
        vec![],
    )
    .await
    .as_str()
    .expect("a sentinel address")
    .to_owned()
}

async fn title_of(b: &Browser, css: &str) -> String {
    b.js(
        "const e = document.querySelector(arguments[0]); return e ? e.title : null;",
        vec![serde_json::json!(css)],
    )
    .await
    .as_str()
    .unwrap_or_default()
    .to_owned()
}

#[tokio::test]
async fn a_flaky_sentinel_is_amber_and_only_a_confirmed_error_is_red_with_force_remove() {
    let b = Browser::start().await;

    // A backend that never confirms a failure (1000 samples / 1 h): the flaky state holds while
    // the test looks at it.
    let (base, dash) = backend(&["--health-samples=1000", "--health-seconds=3600"]).await;
    b.open(&format!("{base}/sentinels")).await;
    let addr = first_sentinel(&b).await;
    let row = format!("#sentinel-table tr[data-sentinel='{addr}']");
    b.wait_for(&format!("{row} .badge.ok")).await;
    dash.set_fault(Fault::SentinelClosedConn(addr.clone()));
    let badge = format!("{row} .badge.flaky");
    b.wait_for(&badge).await;
    assert_eq!(b.text_of(&badge).await.as_deref(), Some("FLAKY"));
    let title = title_of(&b, &badge).await;
    assert!(
        title.contains("use of closed network connection"),
        "the last error is in the tooltip: {title:?}"
    );
    assert_eq!(
        b.count(&format!("{row} .sentinel-force-remove")).await,
        0,
        "no Force remove for a flaky sentinel"
    );
    assert_eq!(
        b.count("a[data-section='sentinels'] .tab-count").await,
        0,
        "no red count on the Sentinels tab"
    );
    assert_eq!(b.count(&format!("{row}.row-bad")).await, 0);
    b.screenshot("ui-health-flaky-sentinel").await;

    // The default rule (3 samples / 3 s): the same failure, lasting, turns red with the button.
    let (base, dash) = backend(&[]).await;
    b.open(&format!("{base}/sentinels")).await;
    let addr = first_sentinel(&b).await;
    let row = format!("#sentinel-table tr[data-sentinel='{addr}']");
    b.wait_for(&format!("{row} .badge.ok")).await;
    dash.set_fault(Fault::SentinelClosedConn(addr.clone()));
    b.wait_for(&format!("{row} .badge.error")).await;
    b.wait_for(&format!("{row} .sentinel-force-remove")).await;
    let count = b
        .wait_text(
            "a[data-section='sentinels'] .tab-count.bad",
            "a red count",
            |t| t == "1",
        )
        .await;
    assert_eq!(count, "1");
    let cell = b
        .wait_text(&format!("{row} .cell-error"), "the error", |t| {
            !t.is_empty()
        })
        .await;
    assert!(cell.contains("use of closed network connection"), "{cell}");
    b.screenshot("ui-health-confirmed-error").await;
    b.close().await;
}

#[tokio::test]
async fn a_frozen_dashboard_says_waiting_within_two_intervals() {
    let (base, dash) = backend(&[]).await;
    let b = Browser::start().await;
    b.open(&base).await;
    b.wait_text("#live-indicator", "live", |t| t.starts_with("Live"))
        .await;

    // The dashboard stops answering (as after `kill -STOP`): every answer takes 30 s, and the
    // backend's poll gives up only after 5 s.
    let slow = Fault::DashboardSlow(Duration::from_secs(30));
    let frozen_at = Instant::now();
    dash.set_fault(slow.clone());
    let banner = b
        .wait_text_for("#live-banner", 5, "the waiting banner", |t| {
            t.contains("Waiting for the dashboard (")
        })
        .await;
    let after = frozen_at.elapsed();
    assert!(
        after < Duration::from_millis(4500),
        "within 2-3 poll intervals of 1 s, not after the 5 s poll timeout: {after:?}"
    );
    assert!(banner.contains(" s)"), "{banner}");
    let indicator = b.text_of("#live-indicator").await.unwrap_or_default();
    assert!(
        !indicator.starts_with("Live"),
        "no longer green Live: {indicator}"
    );
    assert_eq!(b.count("#live-indicator.conn.live").await, 0);
    b.screenshot("ui-health-waiting").await;

    dash.clear_fault(&slow);
    b.wait_text("#live-indicator", "live again", |t| t.starts_with("Live"))
        .await;
    b.close().await;
}
