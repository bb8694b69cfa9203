//! codis-fe behind a real nginx at a sub-path (`location /codis/`, `--base-path=/codis/`), as
//! README's "Deploying" section configures it: the console's page and files, the API, `/list`,
//! the original codis-fe page's `?forward=` calls, the unbuffered event stream, and in headless
//! Chromium deep links, navigation, reloads and sign-in with the cookie scoped to `/codis/`.

use codis_testkit as support;
use support::TestApp;

use std::time::{Duration, Instant};

use reqwest::{header, StatusCode};
use serde_json::{json, Value};
use support::browser::Browser;
use support::http;
use support::live::Sse;
use support::nginx::Nginx;

/// README's location block, proxying to `backend`. (Measured with nginx 1.22: with
/// `proxy_buffering on` the events flowed as promptly, with or without the backend's
/// `X-Accel-Buffering: no`; `off` is documented because it is what an event stream needs
/// whatever the version, so no test claims the difference.)
fn location(backend: std::net::SocketAddr, buffering: &str) -> String {
    format!(
        "        location /codis/ {{
            proxy_pass http://{backend};
            proxy_http_version 1.1;
            proxy_set_header Connection \"\";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_buffering {buffering};
            proxy_read_timeout 1h;
        }}"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_api_forward_and_event_stream_work_under_a_sub_path_through_nginx() {
    let dist = support::dist_dir();
    let backend = TestApp::builder()
        .demo()
        .flag("--demo-noise=off")
        .flag("--poll-interval=0.2")
        .flag("--base-path=/codis/")
        .assets(&dist)
        .start()
        .await
        .addr;
    let nginx = Nginx::start("subpath", &location(backend, "off")).await;
    let base = format!("{}/codis", nginx.origin());

    // The page: its <base> and the script and wasm URLs are under /codis/, and they load.
    let page = http().get(format!("{base}/")).send().await.expect("page");
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.expect("html");
    assert!(html.contains("<base href=\"/codis/\">"), "{html}");
    let wasm = html
        .split(['\'', '"', '=', '>', ' '])
        .find(|s| s.ends_with("_bg.wasm"))
        .expect("index.html names the wasm")
        .to_string();
    assert!(wasm.starts_with("/codis/codis-console-"), "{wasm}");
    let resp = http()
        .get(format!("{}{wasm}", nginx.origin()))
        .header(header::ACCEPT_ENCODING, "br")
        .send()
        .await
        .expect("wasm");
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()[header::CONTENT_TYPE], "application/wasm");
    assert_eq!(resp.headers()[header::CONTENT_ENCODING], "br");
    // A deep link is the page too; `/codis` goes to `/codis/`.
    let deep = http()
        .get(format!("{base}/p/codis-demo/slots"))
        .send()
        .await
        .expect("deep link");
    assert_eq!(deep.status(), StatusCode::OK);
    assert!(deep
        .text()
        .await
        .expect("html")
        .contains("<base href=\"/codis/\">"));
    let bare = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .expect("client")
        .get(format!("{}/codis", nginx.origin()))
        .send()
        .await
        .expect("bare prefix");
    // nginx itself answers `/codis` (no slash) with a 301 to `/codis/` for a `location /codis/`
    // that proxies; either way the browser ends up at `/codis/`.
    assert!(bare.status().is_redirection(), "{}", bare.status());
    assert!(bare.headers()[header::LOCATION]
        .to_str()
        .expect("ascii")
        .ends_with("/codis/"));

    // The API and codis-fe's /list.
    let products: Value = http()
        .get(format!("{base}/api/products"))
        .send()
        .await
        .expect("products")
        .json()
        .await
        .expect("json");
    assert!(products["products"]
        .as_array()
        .expect("list")
        .iter()
        .any(|p| p["name"] == "codis-demo"));
    let list: Value = http()
        .get(format!("{base}/list"))
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    assert!(list.as_array().is_some_and(|l| !l.is_empty()), "{list}");
    // An unknown API path is the API's JSON 404, not the page.
    let missing = http()
        .get(format!("{base}/api/nothing"))
        .send()
        .await
        .expect("404");
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        missing.json::<Value>().await.expect("json")["error"]["kind"],
        "not_found"
    );

    // The original codis-fe page's calls, now under the prefix.
    let x = codis_model::xauth::product_xauth("codis-demo");
    let overview: Value = http()
        .get(format!("{base}/topom?forward=codis-demo"))
        .send()
        .await
        .expect("forward overview")
        .json()
        .await
        .expect("json");
    assert_eq!(overview["model"]["product_name"], "codis-demo");
    let stats = http()
        .get(format!("{base}/api/topom/stats/{x}?forward=codis-demo"))
        .send()
        .await
        .expect("forward stats");
    assert_eq!(stats.status(), StatusCode::OK);
    let create = http()
        .put(format!(
            "{base}/api/topom/group/create/{x}/9?forward=codis-demo"
        ))
        .send()
        .await
        .expect("forward action");
    assert_eq!(create.status(), StatusCode::OK);
    assert_eq!(create.json::<Value>().await.expect("json"), json!("OK"));
    let refused = http()
        .put(format!("{base}/api/topom/shutdown/{x}?forward=codis-demo"))
        .send()
        .await
        .expect("forward shutdown");
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);

    // The event stream, through nginx as the browser opens it: the snapshot, then updates every
    // 0.2 s poll. A buffering proxy would hold these small events back.
    let mut stream = Sse::open(
        &http(),
        &format!("{base}/api/products/codis-demo/events"),
        None,
    )
    .await;
    assert!(stream.resp.headers()[header::CONTENT_TYPE]
        .to_str()
        .expect("ascii")
        .starts_with("text/event-stream"));
    let opened = Instant::now();
    let got = stream.names(4, Duration::from_secs(5)).await;
    let names: Vec<&str> = got.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names.first().copied(), Some("snapshot"), "{names:?}");
    assert!(
        names.iter().filter(|n| **n == "update").count() >= 2,
        "updates through nginx within 5 s: {names:?} ({})",
        nginx.error_log()
    );
    let first = got[0].1.duration_since(opened);
    eprintln!(
        "event stream through nginx (proxy_buffering off): snapshot after {:?}, {} events in {:?}",
        first,
        got.len(),
        got.last().map(|(_, t)| t.duration_since(opened))
    );

    // Outside the prefix, the backend answers nothing of its own (nginx does not forward it
    // here; straight to the backend it is a JSON 404 naming the base path).
    let outside = http()
        .get(format!("http://{backend}/api/products"))
        .send()
        .await
        .expect("outside");
    assert_eq!(outside.status(), StatusCode::NOT_FOUND);
    let body: Value = outside.json().await.expect("json");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("--base-path /codis/")),
        "{body}"
    );
    // Straight to the backend, `/codis` is redirected to `/codis/` (query kept).
    let direct = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .expect("client")
        .get(format!("http://{backend}/codis?x=1"))
        .send()
        .await
        .expect("bare prefix, direct");
    assert_eq!(direct.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(direct.headers()[header::LOCATION], "/codis/?x=1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_under_a_sub_path_signs_in_follows_deep_links_and_survives_reloads() {
    let dist = support::dist_dir();
    let users = support::UsersFile::new(
        "deploy-nginx",
        json!([{"user": "otto", "hash": support::password_hash("otto-pw"), "role": "operator"}]),
    );
    let backend = TestApp::builder()
        .demo()
        .flag("--demo-noise=off")
        .flag("--base-path=/codis/")
        .users(&users)
        .assets(&dist)
        .start()
        .await
        .addr;
    let nginx = Nginx::start("ui", &location(backend, "off")).await;
    let base = format!("{}/codis", nginx.origin());

    let b = Browser::start().await;
    // A deep link, cold: the sign-in form, then the page it named.
    b.open(&format!("{base}/p/codis-demo/groups")).await;
    b.wait_for("#signin-form").await;
    b.type_into("#signin-user", "otto").await;
    b.type_into("#signin-password", "otto-pw").await;
    b.click("#signin-submit").await;
    b.wait_text("#live-indicator", "the live stream", |t| {
        t.starts_with("Live")
    })
    .await;
    b.wait_for("section.group[data-group='1']").await;

    // The session cookie belongs to /codis/ only.
    let cookies = b.client.get_all_cookies().await.expect("cookies");
    let session = cookies
        .iter()
        .find(|c| c.name() == "codis_fe_session")
        .expect("signed in: a session cookie");
    assert_eq!(session.path(), Some("/codis/"));
    assert_eq!(session.http_only(), Some(true));

    // Links carry the prefix, and following one stays in the page (no reload).
    let brand = b
        .js(
            "return document.querySelector('a.brand').getAttribute('href');",
            vec![],
        )
        .await;
    assert_eq!(brand, json!("/codis/"));
    let slots = b
        .js(
            "return document.querySelector(\"a[data-section='slots']\").getAttribute('href');",
            vec![],
        )
        .await;
    assert_eq!(slots, json!("/codis/p/codis-demo/slots"));
    b.js("window.__same_page = true;", vec![]).await;
    b.click("a[data-section='slots']").await;
    b.wait_for("#slots-status").await;
    let state = b
        .js(
            "return [location.pathname, window.__same_page === true];",
            vec![],
        )
        .await;
    assert_eq!(state, json!(["/codis/p/codis-demo/slots", true]));

    // A reload at the deep link: the page, the session and the live stream come back.
    b.reload_live().await;
    b.wait_for("#slots-status").await;
    let after = b
        .js(
            "return [location.pathname, window.__same_page === true];",
            vec![],
        )
        .await;
    assert_eq!(after, json!(["/codis/p/codis-demo/slots", false]));
    assert_eq!(b.text_of("#user-name").await.as_deref(), Some("otto"));
    // Back to the overview with the browser's Back button, still under the prefix.
    b.client.back().await.expect("back");
    b.wait_for("section.group[data-group='1']").await;
    let path = b.js("return location.pathname;", vec![]).await;
    assert_eq!(path, json!("/codis/p/codis-demo/groups"));
    b.screenshot("deploy-nginx-subpath").await;
    b.close().await;
}
