//! `--dashboard-list=FILE` discovery (spec 1.2): what an operator's hand-written or
//! `codis-admin --dashboard-list` file turns into.

#[path = "support/coordinators.rs"]
mod coordinators;

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
    let products = Source::StaticList(path).load().await.expect("load");
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
    let products = Source::StaticList(path).load().await.expect("load");
    assert_eq!(products, map(&[("a", "new:2"), ("b", "b:1")]));
}

#[tokio::test]
async fn static_list_ignores_unknown_fields() {
    let dir = TempDir::new("static");
    let path = write_list(
        &dir,
        r#"[{"name":"a","dashboard":"a:1","comment":"rack 4","weight":3,"tags":["x"]}]"#,
    );
    let products = Source::StaticList(path).load().await.expect("load");
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
    let products = Source::StaticList(path).load().await.expect("load");
    assert_eq!(products, map(&[("up", "up:1")]));
}

#[tokio::test]
async fn static_list_from_codis_admin_with_no_products_is_empty() {
    // A nil Go slice marshals as `null`.
    let dir = TempDir::new("static");
    let path = write_list(&dir, "null\n");
    assert_eq!(
        Source::StaticList(path).load().await.expect("load"),
        BTreeMap::new()
    );
    let path = write_list(&dir, "[]");
    assert_eq!(
        Source::StaticList(path).load().await.expect("load"),
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
    assert_eq!(source.load().await.expect("load"), map(&[("a", "a:1")]));
    write_list(&dir, r#"[{"name":"a","dashboard":"a:2"}]"#);
    assert_eq!(source.load().await.expect("reload"), map(&[("a", "a:2")]));
}
