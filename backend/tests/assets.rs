//! Serving the built console, and API-only mode for a console hosted on a CDN.

use codis_testkit as support;
use support::TestApp;

use reqwest::{header, StatusCode};
use support::DashboardList;

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
    let base = TestApp::builder()
        .dashboards(&list)
        .assets(&dist)
        .start()
        .await
        .base();
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
    let base = TestApp::builder()
        .dashboards(&list)
        .flag("--cors-origins=https://console.example.com")
        .start()
        .await
        .base();
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
    let base = TestApp::builder().dashboards(&list).start().await.base();
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

/// A built console in a temp dir: index.html, one hashed script and its brotli and gzip
/// variants (their bytes are not checked by the server). Removed on drop.
struct Dist(std::path::PathBuf);

impl Dist {
    fn new(name: &str) -> Dist {
        let dir = std::env::temp_dir().join(format!("codis-fe-dist-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        std::fs::write(
            dir.join("index.html"),
            "<!doctype html><title>console</title>",
        )
        .expect("index");
        let js = "codis-console-0123456789abcdef.js";
        std::fs::write(dir.join(js), "console.log(1)").expect("js");
        std::fs::write(dir.join(format!("{js}.br")), "br-bytes").expect("br");
        std::fs::write(dir.join(format!("{js}.gz")), "gz-bytes").expect("gz");
        Dist(dir)
    }

    fn flag(&self) -> String {
        format!("--assets-dir={}", self.0.display())
    }
}

impl Drop for Dist {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[tokio::test]
async fn an_unknown_hashed_name_is_an_uncached_404_and_the_api_roots_are_json_404s() {
    let dist = Dist::new("hashed");
    let list = DashboardList::new(&[]);
    let base = TestApp::builder()
        .dashboards(&list)
        .flag(dist.flag())
        .start()
        .await
        .base();
    // A previous build's file, asked for by a page loaded before a redeploy.
    for old in [
        "/codis-console-deadbeef.js",
        "/codis-console-deadbeefdeadbeef_bg.wasm",
        "/main-0123456789abcdef.css",
    ] {
        let resp = http()
            .get(format!("{base}{old}"))
            .header(header::ACCEPT_ENCODING, "br, gzip")
            .send()
            .await
            .expect("old asset");
        assert_eq!(resp.status(), StatusCode::NOT_FOUND, "{old}");
        assert_eq!(resp.headers()[header::CACHE_CONTROL], "no-cache", "{old}");
        let html = resp
            .headers()
            .get(header::CONTENT_TYPE)
            .is_some_and(|t| t.as_bytes().starts_with(b"text/html"));
        assert!(!html, "{old}: index.html under a hashed name");
    }
    // The file that exists is cached for good, and the cache keys it on Accept-Encoding; so is
    // the page (also served precompressed when it is).
    for (path, accept, encoding) in [
        ("/codis-console-0123456789abcdef.js", "br, gzip", Some("br")),
        ("/codis-console-0123456789abcdef.js", "gzip", Some("gzip")),
        ("/codis-console-0123456789abcdef.js", "identity", None),
    ] {
        let resp = http()
            .get(format!("{base}{path}"))
            .header(header::ACCEPT_ENCODING, accept)
            .send()
            .await
            .expect("asset");
        assert_eq!(resp.status(), StatusCode::OK);
        assert_eq!(
            resp.headers()[header::CACHE_CONTROL],
            "public, max-age=31536000, immutable"
        );
        assert_eq!(
            resp.headers()
                .get(header::CONTENT_ENCODING)
                .map(|v| v.to_str().expect("ascii")),
            encoding
        );
        let vary = resp.headers()[header::VARY].to_str().expect("ascii");
        assert!(
            vary.to_ascii_lowercase().contains("accept-encoding"),
            "{vary}"
        );
    }
    let page = http()
        .get(format!("{base}/p/codis-demo"))
        .send()
        .await
        .expect("page");
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.headers()[header::VARY]
        .to_str()
        .expect("ascii")
        .contains("accept-encoding"));
    // `/api` and `/api/` are the API's, not the console's.
    for path in ["/api", "/api/"] {
        let resp = http()
            .get(format!("{base}{path}"))
            .send()
            .await
            .expect("api root");
        assert_eq!(resp.status(), StatusCode::NOT_FOUND, "{path}");
        let body: serde_json::Value = resp.json().await.expect("a JSON 404");
        assert_eq!(body["error"]["kind"], "not_found", "{path}: {body}");
    }
}

#[tokio::test]
async fn a_large_clusters_overview_goes_out_compressed() {
    use std::io::Read as _;
    let d = support::demo_dashboard("codis-demo", codis_demo::Preset::Large).await;
    let list = DashboardList::new(&[("codis-demo", &d.addr().to_string())]);
    let base = TestApp::builder().dashboards(&list).start().await.base();
    let url = format!("{base}/api/products/codis-demo/overview");
    let plain = http().get(&url).send().await.expect("plain");
    assert_eq!(plain.status(), StatusCode::OK);
    assert!(plain.headers().get(header::CONTENT_ENCODING).is_none());
    let plain = plain.bytes().await.expect("body");
    let resp = http()
        .get(&url)
        .header(header::ACCEPT_ENCODING, "gzip")
        .send()
        .await
        .expect("gzip");
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()[header::CONTENT_ENCODING], "gzip");
    assert!(resp.headers()[header::VARY]
        .to_str()
        .expect("ascii")
        .contains("accept-encoding"));
    let wire = resp.bytes().await.expect("body");
    let mut json = Vec::new();
    flate2::read::GzDecoder::new(&wire[..])
        .read_to_end(&mut json)
        .expect("gzip");
    let overview: serde_json::Value = serde_json::from_slice(&json).expect("json");
    assert!(overview.is_object());
    assert!(
        wire.len() * 4 < plain.len(),
        "{} bytes on the wire for {} of JSON",
        wire.len(),
        plain.len()
    );
    let br = http()
        .get(&url)
        .header(header::ACCEPT_ENCODING, "br")
        .send()
        .await
        .expect("br");
    assert_eq!(br.headers()[header::CONTENT_ENCODING], "br");
}
