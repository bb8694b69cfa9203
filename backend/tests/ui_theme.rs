//! Light and dark (issue 15): the console follows the system's theme until the viewer picks one
//! with the toggle; the choice changes every colour at once, survives a reload and can be undone.

use codis_testkit as support;
use serde_json::json;
use support::browser::Browser;

const LIGHT_PAGE: &str = "rgb(243, 245, 248)";
const DARK_PAGE: &str = "rgb(13, 17, 23)";

async fn page_colours(b: &Browser) -> serde_json::Value {
    b.js(
        "const s = getComputedStyle(document.body); \
         return { bg: s.backgroundColor, fg: s.color, \
                  attr: document.documentElement.getAttribute('data-theme'), \
                  stored: localStorage.getItem('codis-console.theme'), \
                  system_dark: matchMedia('(prefers-color-scheme: dark)').matches };",
        vec![],
    )
    .await
}

async fn toggle_to(b: &Browser, label: &str) {
    b.click("#theme-toggle").await;
    b.wait_text("#theme-toggle", label, |t| t == label).await;
}

#[tokio::test]
async fn the_theme_follows_the_system_until_picked_and_the_pick_is_remembered() {
    let (app, b) = support::browser::demo_console().await;
    b.open(&app.url("/p/codis-demo")).await;
    b.wait_text("#theme-toggle", "the toggle", |t| t == "Theme: auto")
        .await;
    let auto = page_colours(&b).await;
    assert_eq!(auto["attr"], json!(null), "{auto}");
    let system = if auto["system_dark"] == json!(true) {
        DARK_PAGE
    } else {
        LIGHT_PAGE
    };
    assert_eq!(
        auto["bg"], system,
        "automatic is the system's theme: {auto}"
    );

    toggle_to(&b, "Theme: light").await;
    let light = page_colours(&b).await;
    assert_eq!(
        (&light["attr"], &light["bg"], &light["stored"]),
        (&json!("light"), &json!(LIGHT_PAGE), &json!("light")),
        "{light}"
    );

    toggle_to(&b, "Theme: dark").await;
    let dark = page_colours(&b).await;
    assert_eq!(
        (&dark["attr"], &dark["bg"], &dark["fg"]),
        (
            &json!("dark"),
            &json!(DARK_PAGE),
            &json!("rgb(230, 237, 243)")
        ),
        "{dark}"
    );
    b.wait_text("#stat-qps", "live numbers", |t| {
        t.chars().any(|c| c.is_ascii_digit())
    })
    .await;
    b.screenshot("ui-theme-dark-overview").await;

    // A reload (or a deep link) keeps the choice, from the first paint.
    b.open(&app.url("/p/codis-demo/groups")).await;
    b.wait_text("#theme-toggle", "the toggle", |t| t == "Theme: dark")
        .await;
    let again = page_colours(&b).await;
    assert_eq!(
        (&again["attr"], &again["bg"]),
        (&json!("dark"), &json!(DARK_PAGE)),
        "{again}"
    );

    // Back to automatic: the memory is cleared, the system decides again.
    toggle_to(&b, "Theme: auto").await;
    let back = page_colours(&b).await;
    assert_eq!(
        (&back["attr"], &back["stored"]),
        (&json!(null), &json!(null)),
        "{back}"
    );
    assert_eq!(back["bg"], system, "{back}");
    b.close().await;
}
