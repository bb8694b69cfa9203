//! `--dashboard-list=FILE` discovery (codis-fe-spec.md §1.2): what an operator's hand-written or
//! `codis-admin --dashboard-list` file turns into.

use codis_testkit as support;
use codis_testkit::coordinators;
use support::TestApp;

use std::collections::BTreeMap;
use std::path::PathBuf;

use codis_fe::discovery::{DiscoveryError, Source};
use coordinators::TempDir;

fn write_list(dir: &TempDir, text: &str) -> PathBuf {
    let path = dir.path().join("dashboards.json");
    std::fs::write(&path, text).expect("write list");
    path
}

fn map(entries: &[(&str, &str)]) -> BTreeMap<String, String> {
    entries
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[tokio::test]
async fn static_list_maps_each_product_to_its_dashboard() {
    let dir = TempDir::new("static");
    let path = write_list(
        &dir,
        r#"[
    {"name": "codis-demo", "dashboard": "10.0.0.3:18080"},
    {"name": "codis-test", "dashboard": "10.0.0.4:18080"}
]"#,
    );
    let products = Source::StaticList(path)
        .load()
        .await
        .expect("load")
        .dashboards;
    assert_eq!(
        products,
        map(&[
            ("codis-demo", "10.0.0.3:18080"),
            ("codis-test", "10.0.0.4:18080")
        ])
    );
}

#[tokio::test]
async fn static_list_duplicate_name_last_entry_wins() {
    let dir = TempDir::new("static");
    let path = write_list(
        &dir,
        r#"[{"name":"a","dashboard":"old:1"},{"name":"b","dashboard":"b:1"},{"name":"a","dashboard":"new:2"}]"#,
    );
    let products = Source::StaticList(path)
        .load()
        .await
        .expect("load")
        .dashboards;
    assert_eq!(products, map(&[("a", "new:2"), ("b", "b:1")]));
}

#[tokio::test]
async fn static_list_ignores_unknown_fields() {
    let dir = TempDir::new("static");
    let path = write_list(
        &dir,
        r#"[{"name":"a","dashboard":"a:1","comment":"rack 4","weight":3,"tags":["x"]}]"#,
    );
    let products = Source::StaticList(path)
        .load()
        .await
        .expect("load")
        .dashboards;
    assert_eq!(products, map(&[("a", "a:1")]));
}

#[tokio::test]
async fn static_list_drops_entries_without_name_or_dashboard() {
    // codis-admin --dashboard-list writes "" for products whose dashboard is not running.
    let dir = TempDir::new("static");
    let path = write_list(
        &dir,
        r#"[
    {"name":"up","dashboard":"up:1"},
    {"name":"stopped","dashboard":""},
    {"name":"","dashboard":"orphan:1"},
    {"dashboard":"nameless:1"},
    {"name":"addressless"},
    {"name":"gone","dashboard":"gone:1"},
    {"name":"gone","dashboard":""},
    null
]"#,
    );
    let products = Source::StaticList(path)
        .load()
        .await
        .expect("load")
        .dashboards;
    assert_eq!(products, map(&[("up", "up:1")]));
}

#[tokio::test]
async fn static_list_from_codis_admin_with_no_products_is_empty() {
    // A nil Go slice marshals as `null`.
    let dir = TempDir::new("static");
    let path = write_list(&dir, "null\n");
    assert_eq!(
        Source::StaticList(path)
            .load()
            .await
            .expect("load")
            .dashboards,
        BTreeMap::new()
    );
    let path = write_list(&dir, "[]");
    assert_eq!(
        Source::StaticList(path)
            .load()
            .await
            .expect("load")
            .dashboards,
        BTreeMap::new()
    );
}

#[tokio::test]
async fn static_list_malformed_file_is_an_error_naming_the_file() {
    let dir = TempDir::new("static");
    for text in [
        r#"[{"name":"a","dashboard":"a:1"},"#,
        r#"{"name":"a","dashboard":"a:1"}"#,
        "",
    ] {
        let path = write_list(&dir, text);
        let err = Source::StaticList(path.clone())
            .load()
            .await
            .expect_err(text);
        assert!(matches!(err, DiscoveryError::StaticList { .. }), "{err:?}");
        let message = err.to_string();
        assert!(message.contains(&path.display().to_string()), "{message}");
        assert!(!message.contains('\n'), "one line: {message}");
    }
}

#[tokio::test]
async fn static_list_missing_file_is_an_error_naming_the_file() {
    let dir = TempDir::new("static");
    let path = dir.path().join("nope.json");
    let err = Source::StaticList(path.clone())
        .load()
        .await
        .expect_err("missing file");
    let message = err.to_string();
    assert!(
        message.contains(&path.display().to_string()) && message.contains("cannot read"),
        "{message}"
    );
}

#[tokio::test]
async fn static_list_edits_take_effect_on_the_next_load() {
    let dir = TempDir::new("static");
    let path = write_list(&dir, r#"[{"name":"a","dashboard":"a:1"}]"#);
    let source = Source::StaticList(path.clone());
    assert_eq!(
        source.load().await.expect("load").dashboards,
        map(&[("a", "a:1")])
    );
    write_list(&dir, r#"[{"name":"a","dashboard":"a:2"}]"#);
    assert_eq!(
        source.load().await.expect("reload").dashboards,
        map(&[("a", "a:2")])
    );
}

/// Log lines written while `f` runs (this thread's subscriber only).
async fn logged<T>(f: impl std::future::Future<Output = T>) -> (T, String) {
    #[derive(Clone, Default)]
    struct Lines(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
    impl std::io::Write for Lines {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().expect("lock").extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let lines = Lines::default();
    let writer = lines.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let guard = tracing::subscriber::set_default(subscriber);
    let out = f.await;
    drop(guard);
    let text = String::from_utf8_lossy(&lines.0.lock().expect("lock")).into_owned();
    (out, text)
}

#[tokio::test(flavor = "current_thread")]
async fn static_list_refuses_and_logs_names_codis_does_not_allow() {
    let dir = TempDir::new("static");
    let path = write_list(
        &dir,
        r#"[
    {"name":"codis_demo-2.b","dashboard":"10.0.0.3:18080"},
    {"name":"bad\nname","dashboard":"10.0.0.4:18080"},
    {"name":"x?y#","dashboard":"10.0.0.5:18080"},
    {"name":".hidden","dashboard":"10.0.0.6:18080"}
]"#,
    );
    let (listing, log) = logged(Source::StaticList(path).load()).await;
    let listing = listing.expect("load");
    assert_eq!(
        listing.dashboards,
        map(&[("codis_demo-2.b", "10.0.0.3:18080")])
    );
    assert!(listing.broken.is_empty(), "{listing:?}");
    assert_eq!(listing.refused.len(), 3, "{:?}", listing.refused);
    assert!(
        listing.refused[0].starts_with(r#""bad\nname": product name: must start with"#),
        "{:?}",
        listing.refused
    );
    for name in [r#""bad\nname""#, r#""x?y#""#, r#"".hidden""#] {
        assert!(
            log.lines()
                .any(|l| l.contains("refused") && l.contains(name)),
            "{name} logged: {log}"
        );
    }
    assert_eq!(
        log.lines().count(),
        3,
        "one line each, the newline escaped: {log}"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn static_list_refuses_and_logs_a_dashboard_that_is_not_host_port() {
    let dir = TempDir::new("static");
    let path = write_list(
        &dir,
        r#"[
    {"name":"good","dashboard":"10.0.0.3:18080"},
    {"name":"odd","dashboard":"169.254.1.1:80/x?y#"},
    {"name":"portless","dashboard":"10.0.0.4"}
]"#,
    );
    let (listing, log) = logged(Source::StaticList(path).load()).await;
    let listing = listing.expect("load");
    assert_eq!(listing.dashboards, map(&[("good", "10.0.0.3:18080")]));
    let odd = listing.broken.get("odd").expect("odd is reported");
    assert!(
        odd.starts_with("admin_addr: must be host:port") && odd.contains("169.254.1.1:80/x?y#"),
        "{odd}"
    );
    assert!(listing.broken.contains_key("portless"), "{listing:?}");
    assert!(
        log.lines()
            .any(|l| l.contains("odd") && l.contains("169.254.1.1:80/x?y#")),
        "logged: {log}"
    );
}

/// Through the console: the refused entry is absent, the broken one is listed with its error and
/// never dialled, the good one is served.
#[tokio::test]
async fn static_list_console_shows_a_bad_dashboard_address_as_an_error() {
    let dashboard = support::demo_dashboard("codis-demo", codis_demo::Preset::Tiny).await;
    let list = support::DashboardList::new(&[
        ("codis-demo", &dashboard.addr().to_string()),
        ("odd", "169.254.1.1:80/x?y#"),
        ("bad\nname", "10.0.0.4:18080"),
    ]);
    let addr = TestApp::builder()
        .dashboards(&list)
        .quiet()
        .start()
        .await
        .addr;
    let reply: codis_model::console::ProductsReply =
        support::get_json(format!("http://{addr}/api/products")).await;
    let names: Vec<&str> = reply.products.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["codis-demo", "odd"], "{reply:?}");
    let odd = &reply.products[1];
    assert_eq!((odd.dashboard.as_str(), odd.reachable), ("", Some(false)));
    assert!(
        odd.error
            .as_deref()
            .is_some_and(|e| e.starts_with("coordinator: admin_addr: must be host:port")),
        "{odd:?}"
    );
    assert_eq!(reply.products[0].reachable, Some(true));
}
