//! Keyboard and screen-reader basics (issue 15, accessibility), in headless Chromium on the demo:
//! every control of a page is reached with Tab and shows a focus ring when it is, and a dialog is
//! labelled by its own title through an id no other element has. Needs `dist/`.

use codis_testkit as support;
use serde_json::json;
use std::time::Duration;
use support::browser::Browser;

const TAB: &str = "\u{e004}";

/// Marks the focused element as reached and returns what the check needs to know about it.
const FOCUSED: &str = r#"
    const e = document.activeElement;
    if (!e || e === document.body) return null;
    const first = e.dataset.reached === undefined;
    e.dataset.reached = '1';
    const s = getComputedStyle(e);
    return { first, what: e.outerHTML.slice(0, 120), outline: s.outlineStyle, width: parseFloat(s.outlineWidth) };
"#;

/// The controls a keyboard user must be able to reach: visible and enabled.
const CONTROLS: &str = r#"
    const all = document.querySelectorAll('a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea, summary, [tabindex]:not([tabindex="-1"])');
    return [...all].filter(e => e.offsetParent !== null && getComputedStyle(e).visibility !== 'hidden')
                   .filter(e => e.dataset.reached === undefined)
                   .map(e => e.outerHTML.slice(0, 120));
"#;

/// Tabs through the whole page once: every control is reached, each with a visible focus ring.
async fn tab_through(b: &Browser, page: &str) {
    b.js(
        "document.activeElement && document.activeElement.blur();",
        vec![],
    )
    .await;
    let mut reached = 0;
    for _ in 0..400 {
        b.press(TAB).await;
        let f = b.js(FOCUSED, vec![]).await;
        if f.is_null() {
            continue;
        }
        if f["first"] == json!(false) {
            break; // Around the page once.
        }
        reached += 1;
        assert!(
            f["outline"] != json!("none") && f["width"].as_f64().unwrap_or(0.0) >= 2.0,
            "{page}: no visible focus ring on {}",
            f["what"]
        );
    }
    println!("{page}: {reached} controls reached with Tab");
    let missed = b.js(CONTROLS, vec![]).await;
    assert_eq!(missed, json!([]), "{page}: controls Tab never reached");
    assert!(reached >= 5, "{page}: only {reached} controls reached");
}

#[tokio::test]
async fn every_control_is_reached_by_keyboard_with_a_focus_ring() {
    let (app, b) = support::browser::demo_console().await;
    for page in ["", "/proxies", "/slots", "/groups", "/sentinels"] {
        b.open_live(&app.url(&format!("/p/codis-demo{page}"))).await;
        // A product's sidebar link is made anew when its probe first answers (its key holds
        // the reachability), which would drop the mark left on it by an earlier Tab: on a
        // loaded machine the first probe can land mid-walk. Walk once every product is probed.
        support::eventually("every product probed", Duration::from_secs(30), || async {
            b.count(".products a").await >= 2 && b.count(".products .dot-unknown").await == 0
        })
        .await;
        tab_through(&b, if page.is_empty() { "/" } else { page }).await;
    }
    b.close().await;
}

#[tokio::test]
async fn a_dialog_is_labelled_by_its_own_title() {
    let (app, b) = support::browser::demo_console().await;
    b.open_live(&app.url("/p/codis-demo/slots")).await;
    let mut ids = Vec::new();
    for _ in 0..2 {
        b.click("#rebalance").await;
        b.wait_for(".dialog").await;
        let label = b
            .js(
                "const d = document.querySelector('.dialog'); \
                 const id = d.getAttribute('aria-labelledby'); \
                 return { id, count: document.querySelectorAll('[id=\"' + id + '\"]').length, \
                          title: document.getElementById(id)?.textContent, \
                          in_dialog: d.contains(document.getElementById(id)) };",
                vec![],
            )
            .await;
        assert_eq!(label["count"], 1, "{label}");
        assert_eq!(label["in_dialog"], true, "{label}");
        assert!(
            label["title"].as_str().is_some_and(|t| !t.is_empty()),
            "{label}"
        );
        ids.push(label["id"].clone());
        b.press("\u{e00c}").await; // Escape
        b.wait_gone(".dialog").await;
    }
    assert_ne!(ids[0], ids[1], "each dialog gets its own id");
    b.close().await;
}
