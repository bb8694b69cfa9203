//! axe-core (the accessibility rules most audits use) on every page of the console, in English
//! and 中文, light and dark: no serious or critical violation (issue 15). Each page is also saved
//! as a screenshot, `target/screenshots/{en,zh}-{light,dark}-{page}.png`, for people to look at.
//! Needs `dist/` and `.tools/axe` (scripts/setup).

use codis_testkit as support;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_passes_axe_in_both_languages_and_both_themes() {
    let (app, b) = support::browser::demo_console().await;
    let mut found = Vec::new();
    for (lang, live) in [("en", "Live"), ("zh", "实时")] {
        for theme in ["light", "dark"] {
            b.open(&app.url("/")).await;
            b.remember_choice(lang, Some(theme)).await;
            for page in ["", "/proxies", "/slots", "/groups", "/sentinels"] {
                b.open(&app.url(&format!("/p/codis-demo{page}"))).await;
                b.wait_text("#live-indicator", "live", |t| t.starts_with(live))
                    .await;
                // Live numbers on screen before the picture.
                b.wait_text("#product-name", "the product", |t| t == "codis-demo")
                    .await;
                for v in b.axe_violations().await {
                    found.push(format!("{lang} {theme} {page:>10}: {v}"));
                }
                let name = if page.is_empty() {
                    "overview"
                } else {
                    &page[1..]
                };
                b.screenshot(&format!("{lang}-{theme}-{name}")).await;
            }
            // A dialog too: the rebalance plan.
            b.open(&app.url("/p/codis-demo/slots")).await;
            b.wait_text("#live-indicator", "live", |t| t.starts_with(live))
                .await;
            b.click("#rebalance").await;
            b.wait_for(".dialog").await;
            for v in b.axe_violations().await {
                found.push(format!("{lang} {theme} rebalance dialog: {v}"));
            }
            b.screenshot(&format!("{lang}-{theme}-rebalance")).await;
        }
    }
    // The check is not blind: an image without a text alternative is a critical violation.
    b.js(
        "document.querySelector('main').insertAdjacentHTML('beforeend', '<img src=\"data:,\">');",
        vec![],
    )
    .await;
    let planted = b.axe_violations().await;
    assert!(
        planted.iter().any(|v| v["id"] == "image-alt"),
        "axe did not see a planted violation: {planted:?}"
    );
    b.close().await;
    assert!(found.is_empty(), "{}", found.join("\n"));
}

/// The same on the pages the walk above does not see: the fleet page with alerts firing and its
/// notification centre, a stuck migration, a replica cut off from its master, and every page and
/// dialog of Pika's Codis fork (`support::browser::TROUBLED_STOPS`), saved as
/// `target/screenshots/{en,zh}-{light,dark}-{stop}.png`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fleet_alerts_and_fork_pages_pass_axe_in_both_languages_and_both_themes() {
    let (app, _rules, b) = support::browser::troubled_demo_console().await;
    let mut found = Vec::new();
    for (lang, live) in [("en", "Live"), ("zh", "实时")] {
        for theme in ["light", "dark"] {
            b.open(&app.url("/")).await;
            b.remember_choice(lang, Some(theme)).await;
            for stop in support::browser::TROUBLED_STOPS {
                b.troubled_stop(&app, stop, live).await;
                for v in b.axe_violations().await {
                    found.push(format!("{lang} {theme} {stop:>14}: {v}"));
                }
                b.screenshot(&format!("{lang}-{theme}-{stop}")).await;
            }
        }
    }
    b.close().await;
    assert!(found.is_empty(), "{}", found.join("\n"));
}
