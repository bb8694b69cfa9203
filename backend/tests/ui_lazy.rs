//! The lazily loaded parts of the console (issue 14: the cold load's budget), in headless
//! Chromium: a section's code comes only when the section is opened, and a section whose code is
//! gone from the server (the console was redeployed since the tab was opened: the old chunk's
//! hashed name no longer exists) says so and offers a reload instead of breaking the app.
//! Needs `dist/` (scripts/build-frontend); frontend/src/components/lazy.rs is the code.

use codis_testkit as support;
use support::TestApp;

use std::path::{Path, PathBuf};
use std::time::Duration;

use support::browser::Browser;

const WAIT: Duration = Duration::from_secs(30);

/// The wasm files the page has fetched so far (resource-timing names, without the origin).
async fn wasm_fetched(b: &Browser) -> Vec<String> {
    let v = b
        .js(
            "return performance.getEntriesByType('resource').map(e => new URL(e.name).pathname).filter(n => n.endsWith('.wasm'));",
            vec![],
        )
        .await;
    serde_json::from_value(v).expect("resource names")
}

/// The chunk files of one split point in a built console: `<split>-<hash>.wasm`.
fn chunk_of(dist: &Path, split: &str) -> Vec<PathBuf> {
    std::fs::read_dir(dist)
        .expect("read dist")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(&format!("split_{split}-")) && n.contains(".wasm"))
        })
        .collect()
}

#[tokio::test]
async fn a_section_s_code_is_fetched_only_when_the_section_is_opened() {
    let dist = support::dist_dir();
    assert!(
        !chunk_of(&dist, "sentinels").is_empty(),
        "the build has a sentinels chunk (scripts/split-wasm)"
    );
    let (app, b) = support::browser::demo_console().await;
    b.open(&app.url("/p/codis-demo")).await;
    b.wait_text("#stat-qps", "live numbers", |t| {
        t.chars().any(|c| c.is_ascii_digit())
    })
    .await;
    let cold = wasm_fetched(&b).await;
    assert_eq!(
        cold.len(),
        1,
        "the overview's cold load fetches the main wasm only: {cold:?}"
    );

    b.click("a[data-section='sentinels']").await;
    b.wait_for("#builtin-failover, #sentinel-table").await;
    let after = wasm_fetched(&b).await;
    assert!(
        after
            .iter()
            .any(|n| n.trim_start_matches('/').starts_with("split_sentinels-")),
        "opening the sentinels section fetched its chunk: {after:?}"
    );
    b.close().await;
}

#[tokio::test]
async fn a_section_whose_code_is_gone_from_the_server_says_so_and_offers_a_reload() {
    // A console whose sentinels chunk is not on the server, as after a redeploy: the tab still
    // runs the old build, whose chunk names the new build does not have.
    let dist = support::dist_dir();
    let old = std::env::temp_dir().join(format!("codis-lazy-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&old);
    std::fs::create_dir_all(&old).expect("temp dist");
    for e in std::fs::read_dir(&dist).expect("read dist") {
        let p = e.expect("entry").path();
        if p.is_file() {
            std::fs::copy(&p, old.join(p.file_name().expect("name"))).expect("copy");
        }
    }
    let gone = chunk_of(&old, "sentinels");
    assert!(!gone.is_empty(), "the build has a sentinels chunk");
    for p in &gone {
        std::fs::remove_file(p).expect("remove chunk");
    }

    let app = TestApp::builder().demo().assets(&old).start().await;
    let b = Browser::start().await;
    b.open(&app.url("/p/codis-demo")).await;
    b.wait_text("#stat-qps", "live numbers", |t| {
        t.chars().any(|c| c.is_ascii_digit())
    })
    .await;
    b.click("a[data-section='sentinels']").await;
    let said = b
        .wait_text(
            ".lazy-failed[role=alert]",
            "the failed page's notice",
            |t| t.contains("could not be loaded"),
        )
        .await;
    assert!(said.contains("Reload"), "a reload button: {said}");

    // The app is still alive: the other sections work, and opening this one again tries again
    // (and says so again) rather than showing nothing.
    b.click("a[data-section='overview']").await;
    b.wait_text("#stat-qps", "live numbers again", |t| {
        t.chars().any(|c| c.is_ascii_digit())
    })
    .await;
    b.click("a[data-section='sentinels']").await;
    b.wait_for(".lazy-failed[role=alert]").await;

    // The button reloads the console (here the same old build; after a real redeploy, the new one).
    b.js("window.__before_reload = true; return null;", vec![])
        .await;
    b.click(".lazy-failed button").await;
    support::eventually("the page reloaded", WAIT, || async {
        b.js(
            "return window.__before_reload === undefined && document.readyState === 'complete';",
            vec![],
        )
        .await
            == serde_json::json!(true)
    })
    .await;
    b.close().await;
    let _ = std::fs::remove_dir_all(&old);
}
