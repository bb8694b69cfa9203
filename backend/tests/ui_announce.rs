//! Screen readers hear state changes, not a clock (issue 15, accessibility): the live indicator
//! and the banner tick every second and are not live regions; one polite announcer says "Live.",
//! "Waiting for the dashboard." and so on once per change. Needs `dist/`.

use std::time::Duration;

use codis_demo::Fault;
use codis_testkit as support;
use support::browser::Browser;
use support::TestApp;

/// The number of changes made to the announcer's text since the page started watching it.
async fn announcer_changes(b: &Browser) -> u64 {
    b.js("return window.__announced.length;", vec![])
        .await
        .as_u64()
        .expect("a count")
}

#[tokio::test]
async fn the_ticking_banner_is_not_announced_only_its_state_changes_are() {
    let app = TestApp::builder()
        .demo()
        .flag("--demo-noise=off")
        .assets(&support::dist_dir())
        .start()
        .await;
    let dash = app.demo_dashboard("codis-demo");
    let b = Browser::start().await;
    b.open(&app.url("/p/codis-demo")).await;
    b.wait_text("#live-announcer", "the live announcement", |t| t == "Live.")
        .await;
    let roles = b
        .js(
            "return [document.querySelector('#live-indicator').getAttribute('role'), \
                     document.querySelector('#live-indicator').getAttribute('aria-live')];",
            vec![],
        )
        .await;
    assert_eq!(
        roles,
        serde_json::json!([null, null]),
        "the clock is not a live region"
    );
    b.js(
        "window.__announced = []; \
         new MutationObserver(() => window.__announced.push(document.querySelector('#live-announcer').textContent)) \
           .observe(document.querySelector('#live-announcer'), { childList: true, characterData: true, subtree: true });",
        vec![],
    )
    .await;

    // The dashboard freezes: the banner appears and counts the seconds.
    let slow = Fault::DashboardSlow(Duration::from_secs(30));
    dash.set_fault(slow.clone());
    let first = b
        .wait_text_for("#live-banner", 10, "the waiting banner", |t| {
            t.contains("Waiting for the dashboard (")
        })
        .await;
    assert_eq!(
        b.count("#live-banner[role], #live-banner[aria-live]").await,
        0
    );
    b.wait_text("#live-announcer", "the waiting announcement", |t| {
        t == "Waiting for the dashboard."
    })
    .await;
    let said = announcer_changes(&b).await;
    // Two more ticks of the visible banner...
    let second = b
        .wait_text_for("#live-banner", 10, "a tick", |t| t != first)
        .await;
    b.wait_text_for("#live-banner", 10, "another tick", |t| t != second)
        .await;
    // ...and nothing more said.
    assert_eq!(
        announcer_changes(&b).await,
        said,
        "the announcer changed while only the age ticked"
    );
    assert!(said >= 1, "the change to waiting was announced");

    dash.clear_fault(&slow);
    b.wait_text("#live-announcer", "live again", |t| t == "Live.")
        .await;
    b.close().await;
}
