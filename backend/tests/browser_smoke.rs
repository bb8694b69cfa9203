//! The built console, served by the backend, loads in headless Chromium.

mod support;

use support::browser::Browser;

#[tokio::test]
async fn console_loads_in_chromium_and_says_when_no_product_is_found() {
    let dist = support::dist_dir();
    let list =
        std::env::temp_dir().join(format!("codis-fe-empty-list-{}.json", std::process::id()));
    std::fs::write(&list, "[]").expect("write list");
    let addr = support::start_backend(&[
        &format!("--assets-dir={}", dist.display()),
        &format!("--dashboard-list={}", list.display()),
    ])
    .await;
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
