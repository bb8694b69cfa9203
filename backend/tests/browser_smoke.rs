//! The built console, served by the backend, loads in headless Chromium.

use codis_testkit as support;
use support::TestApp;

use support::browser::Browser;

#[tokio::test]
async fn console_loads_in_chromium_and_says_when_no_product_is_found() {
    let dist = support::dist_dir();
    let list =
        std::env::temp_dir().join(format!("codis-fe-empty-list-{}.json", std::process::id()));
    std::fs::write(&list, "[]").expect("write list");
    let addr = TestApp::builder()
        .assets(&dist)
        .flag(format!("--dashboard-list={}", list.display()))
        .start()
        .await
        .addr;
    let browser = Browser::start().await;
    browser
        .client
        .goto(&format!("http://{addr}/"))
        .await
        .expect("open console");
    let message = browser.wait_for("#no-products").await;
    let text = message.text().await.expect("text");
    assert!(
        text.contains("No products found"),
        "unexpected message: {text}"
    );
    let title = browser.client.title().await.expect("title");
    assert_eq!(title, "Codis • Dashboard");
    let shot = browser.screenshot("smoke-empty-product-list").await;
    assert!(std::fs::metadata(&shot)
        .map(|m| m.len() > 1000)
        .unwrap_or(false));
    browser.close().await;
}

/// Pages live in the path (`/p/{product}/{section}`): links and tabs navigate without reloading
/// the page, Back and Forward walk the history, a deep link or a reload opens the same page, and
/// switching products keeps the section and does not reload.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn links_back_forward_and_deep_links_keep_the_page_in_the_path() {
    use codis_demo::Preset;
    let dist = support::dist_dir();
    let a = support::demo_dashboard("codis-a", Preset::Tiny).await;
    let b2 = support::demo_dashboard("codis-b", Preset::Tiny).await;
    let list = support::DashboardList::new(&[
        ("codis-a", &a.addr().to_string()),
        ("codis-b", &b2.addr().to_string()),
    ]);
    let addr = TestApp::builder()
        .assets(&dist)
        .dashboards(&list)
        .start()
        .await
        .addr;
    let b = Browser::start().await;
    let path = || async { b.js("return location.pathname;", vec![]).await };
    let page_of = |s: &'static str| format!("a[data-section='{s}'].active");

    // A deep link, then a marker that a reload would wipe.
    b.open(&format!("http://{addr}/p/codis-a/groups")).await;
    b.wait_for(&page_of("groups")).await;
    assert_eq!(b.text_of("#product-name").await.as_deref(), Some("codis-a"));
    b.js("window.__kept = 1;", vec![]).await;

    b.click("a[data-section='proxies']").await;
    b.wait_for(&page_of("proxies")).await;
    assert_eq!(path().await, "/p/codis-a/proxies");
    // Another product: same section, no reload.
    b.click("a[data-product='codis-b']").await;
    b.wait_text("#product-name", "codis-b", |t| t == "codis-b")
        .await;
    assert_eq!(path().await, "/p/codis-b/proxies");
    b.wait_for(&page_of("proxies")).await;

    b.client.back().await.expect("back");
    b.wait_text("#product-name", "codis-a", |t| t == "codis-a")
        .await;
    b.wait_for(&page_of("proxies")).await;
    b.client.back().await.expect("back");
    b.wait_for(&page_of("groups")).await;
    assert_eq!(path().await, "/p/codis-a/groups");
    b.client.forward().await.expect("forward");
    b.wait_for(&page_of("proxies")).await;
    assert_eq!(
        b.js("return window.__kept;", vec![]).await,
        serde_json::json!(1),
        "no page load while navigating"
    );

    // A reload keeps product and section; an unknown section says so.
    b.client.refresh().await.expect("reload");
    b.wait_for(&page_of("proxies")).await;
    assert_eq!(b.text_of("#product-name").await.as_deref(), Some("codis-a"));
    b.open(&format!("http://{addr}/p/codis-a/nope")).await;
    b.wait_text("main", "the not-found note", |t| t.contains("No such page"))
        .await;
    b.close().await;
}

/// Pages opened one after another by URL (bookmarks, the address bar): each page's event stream
/// closes when it is left, so the browser's six connections to the backend never run out (they
/// did: pages kept in the back/forward cache held theirs, and the seventh page's requests waited
/// forever), and a page shown again from that cache goes live again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_page_loads_do_not_use_up_the_connections_and_back_goes_live_again() {
    let (app, b) = support::browser::demo_console().await;
    for section in [
        "",
        "/proxies",
        "/slots",
        "/groups",
        "/sentinels",
        "",
        "/slots",
        "/groups",
    ] {
        b.open_live(&app.url(&format!("/p/codis-demo{section}")))
            .await;
    }
    let answered = b
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             const t = setTimeout(() => done('no answer in 5 s'), 5000);
             fetch('/healthz').then(r => { clearTimeout(t); done(r.status); }, e => done(String(e)));",
            vec![],
        )
        .await
        .expect("script");
    assert_eq!(answered, serde_json::json!(200));
    b.client.back().await.expect("back");
    b.wait_text("#live-indicator", "live after Back", |t| {
        t.starts_with("Live")
    })
    .await;
    let before = b.text_of("#live-indicator").await.unwrap_or_default();
    b.wait_text("#live-indicator", "the clock moving", |t| {
        t.starts_with("Live") && t != before
    })
    .await;
    b.close().await;
}
