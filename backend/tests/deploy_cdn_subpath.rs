//! The console on a CDN at a sub-path (`https://cdn.example.com/codis/`), as README's CDN section
//! says to build it (`scripts/build-frontend --public-url /codis/`), in headless Chromium: a plain
//! static server holds the files under `/codis/` with the SPA fallback there, `config.json`
//! names the API on another origin, and a deep link, a section link and a reload stay under
//! `/codis/` with live numbers.
//!
//! The build under test is `dist/` (built for `/`) with the two things Trunk's `--public-url
//! /codis/` changes in `index.html`: the `<base href>` and the script and wasm URLs (Trunk
//! writes `{public_url}{file}`); a release build per test would cost minutes.

use codis_testkit as support;
use support::TestApp;

use std::path::{Path, PathBuf};

use serde_json::json;
use support::browser::Browser;

/// A copy of `dist` as `trunk build --public-url {base}` writes it; removed on drop.
struct BuiltFor(PathBuf);

impl BuiltFor {
    fn new(dist: &Path, base: &str) -> BuiltFor {
        let dir = std::env::temp_dir().join(format!("codis-fe-cdn-subpath-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("dir");
        for entry in std::fs::read_dir(dist).expect("dist") {
            let path = entry.expect("entry").path();
            let name = path
                .file_name()
                .expect("name")
                .to_string_lossy()
                .into_owned();
            // The precompressed copies of the page are of the page built for `/`.
            if path.is_file() && !name.starts_with("index.html.") {
                std::fs::copy(&path, dir.join(&name)).expect("copy");
            }
        }
        let html = std::fs::read_to_string(dist.join("index.html")).expect("index.html");
        assert!(
            html.contains("<base href=/>"),
            "Trunk's minified <base>: {html}"
        );
        let html = html
            .replace("<base href=/>", &format!("<base href={base}>"))
            .replace("'/codis-console-", &format!("'{base}codis-console-"))
            .replace("=/codis-console-", &format!("={base}codis-console-"));
        assert!(!html.contains("'/codis-console-") && !html.contains("=/codis-console-"));
        std::fs::write(dir.join("index.html"), html).expect("write");
        BuiltFor(dir)
    }
}

impl Drop for BuiltFor {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_console_built_for_a_sub_path_runs_from_a_static_host_at_that_path() {
    let built = BuiltFor::new(&support::dist_dir(), "/codis/");
    let cdn = support::cdn::StaticHost::bind().await;
    let console_origin = cdn.origin.clone();
    let api = TestApp::builder()
        .demo()
        .flag("--demo-noise=off")
        .flag(format!("--cors-origins={console_origin}"))
        .start()
        .await
        .addr;
    // The CDN: files under /codis/, unknown paths there answered with /codis/index.html.
    cdn.serve(built.0.clone(), "/codis/", format!("http://{api}"));

    let b = Browser::start().await;
    b.open_live(&format!("{console_origin}/codis/p/codis-demo/groups"))
        .await;
    b.wait_for("section.group[data-group='1']").await;
    // Links carry the path the console was loaded from.
    let links = b
        .js(
            "return ['a.brand', \"a[data-section='slots']\"]
                 .map(css => document.querySelector(css).getAttribute('href'));",
            vec![],
        )
        .await;
    assert_eq!(links, json!(["/codis/", "/codis/p/codis-demo/slots"]));
    b.click("a[data-section='slots']").await;
    b.wait_for("#slots-status").await;
    // A reload at the deep link: the static host's fallback under /codis/, then live again.
    b.reload_live().await;
    b.wait_for("#slots-status").await;
    let path = b.js("return location.pathname;", vec![]).await;
    assert_eq!(path, json!("/codis/p/codis-demo/slots"));
    b.close().await;
}
