//! Serving the built console, and API-only mode for a console hosted on a CDN.

mod support;

use reqwest::{header, StatusCode};
use support::{start_backend, DashboardList};

fn http() -> reqwest::Client {
    // No automatic decompression: the test looks at what is on the wire.
    reqwest::Client::builder()
        .no_gzip()
        .build()
        .expect("client")
}

#[tokio::test]
async fn hashed_files_are_cached_forever_and_index_html_is_revalidated() {
    let dist = support::dist_dir();
    let list = DashboardList::new(&[]);
    let base = format!(
        "http://{}",
        start_backend(&[&list.flag(), &format!("--assets-dir={}", dist.display())]).await
    );
    let index = http().get(format!("{base}/")).send().await.expect("index");
    assert_eq!(index.status(), StatusCode::OK);
    assert_eq!(index.headers()[header::CACHE_CONTROL], "no-cache");
    let html = index.text().await.expect("html");
    // Release builds minify index.html: attribute values may be unquoted.
    let wasm = html
        .split(|c: char| c == '"' || c == '\'' || c == '=' || c == '>' || c.is_whitespace())
        .find(|s| s.ends_with("_bg.wasm"))
        .expect("index.html names the wasm")
        .trim_start_matches('/')
        .to_string();
    let resp = http()
        .get(format!("{base}/{wasm}"))
        .header(header::ACCEPT_ENCODING, "br, gzip")
        .send()
        .await
        .expect("wasm");
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        resp.headers()[header::CACHE_CONTROL],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(
        resp.headers()[header::CONTENT_ENCODING],
        "br",
        "precompressed brotli"
    );
    assert_eq!(resp.headers()[header::CONTENT_TYPE], "application/wasm");
}

#[tokio::test]
async fn api_only_mode_answers_the_api_and_only_configured_origins() {
    let list = DashboardList::new(&[]);
    let base = format!(
        "http://{}",
        start_backend(&[&list.flag(), "--cors-origins=https://console.example.com"]).await
    );
    let root = http().get(format!("{base}/")).send().await.expect("root");
    assert_eq!(
        root.status(),
        StatusCode::NOT_FOUND,
        "no console without --assets-dir"
    );

    let allowed = http()
        .get(format!("{base}/api/products"))
        .header(header::ORIGIN, "https://console.example.com")
        .send()
        .await
        .expect("products");
    assert_eq!(allowed.status(), StatusCode::OK);
    assert_eq!(
        allowed.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN],
        "https://console.example.com"
    );
    let other = http()
        .get(format!("{base}/api/products"))
        .header(header::ORIGIN, "https://evil.example.net")
        .send()
        .await
        .expect("products");
    assert!(other
        .headers()
        .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
        .is_none());
    let preflight = http()
        .request(
            reqwest::Method::OPTIONS,
            format!("{base}/api/products/x/actions"),
        )
        .header(header::ORIGIN, "https://console.example.com")
        .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
        .header(header::ACCESS_CONTROL_REQUEST_HEADERS, "content-type")
        .send()
        .await
        .expect("preflight");
    assert!(preflight.status().is_success());
    assert!(preflight.headers()[header::ACCESS_CONTROL_ALLOW_METHODS]
        .to_str()
        .expect("ascii")
        .contains("POST"));
}

#[tokio::test]
async fn health_and_readiness_answer() {
    let list = DashboardList::new(&[]);
    let base = format!("http://{}", start_backend(&[&list.flag()]).await);
    let h = http()
        .get(format!("{base}/healthz"))
        .send()
        .await
        .expect("healthz");
    assert_eq!(h.status(), StatusCode::OK);
    let r = http()
        .get(format!("{base}/readyz"))
        .send()
        .await
        .expect("readyz");
    assert_eq!(
        r.status(),
        StatusCode::OK,
        "discovery ran before the server started listening"
    );
    assert!(
        h.headers().contains_key("x-request-id"),
        "every response carries a request id"
    );
}
