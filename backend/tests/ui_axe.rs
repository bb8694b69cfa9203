//! axe-core (the accessibility rules most audits use) on every page of the console, light and
//! dark: no serious or critical violation (issue 15). Needs `dist/` and `.tools/axe`
//! (scripts/setup).

use codis_testkit as support;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_passes_axe_in_both_themes() {
    let (app, b) = support::browser::demo_console().await;
    let mut found = Vec::new();
    for theme in ["light", "dark"] {
        b.open(&app.url("/")).await;
        b.js(
            "localStorage.setItem('codis-console.theme', arguments[0]);",
            vec![serde_json::json!(theme)],
        )
        .await;
        for page in ["", "/proxies", "/slots", "/groups", "/sentinels"] {
            b.open_live(&app.url(&format!("/p/codis-demo{page}"))).await;
            for v in b.axe_violations().await {
                found.push(format!("{theme} {page:>10}: {v}"));
            }
        }
        // A dialog too: the rebalance plan.
        b.open_live(&app.url("/p/codis-demo/slots")).await;
        b.click("#rebalance").await;
        b.wait_for(".dialog").await;
        for v in b.axe_violations().await {
            found.push(format!("{theme} rebalance dialog: {v}"));
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
