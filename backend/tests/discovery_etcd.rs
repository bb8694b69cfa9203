//! `--etcd=ADDR` discovery (spec 6.4) against a real etcd 3.4 with the v2 API, fed the nodes a
//! dashboard writes.

#[path = "support/coordinators.rs"]
mod coordinators;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use codis_fe::discovery::{DiscoveryError, Source};
use coordinators::{free_port, product_nodes, side_nodes, EtcdServer, SilentServer};

/// The operator-facing bound: a coordinator outage must not stall a refresh longer than this.
const OUTAGE_BOUND: Duration = Duration::from_secs(10);

fn map(entries: &[(&str, &str)]) -> BTreeMap<String, String> {
    entries
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn source(endpoints: &str, auth: Option<&str>) -> Source {
    Source::etcd(endpoints, auth).expect("valid flags")
}

#[tokio::test]
async fn etcd_lists_every_product_with_a_running_dashboard() {
    let etcd = EtcdServer::start().await;
    etcd.put_all(&product_nodes("codis-demo", "127.0.0.1:18080"))
        .await;
    etcd.put_all(&product_nodes("codis-test", "10.0.0.5:18081"))
        .await;
    // The flag value as an operator types it: no scheme.
    let addr = etcd.endpoint.trim_start_matches("http://");
    let products = source(addr, None).load().await.expect("load");
    assert_eq!(
        products,
        map(&[
            ("codis-demo", "127.0.0.1:18080"),
            ("codis-test", "10.0.0.5:18081")
        ])
    );
}

#[tokio::test]
async fn etcd_skips_a_product_without_dashboard() {
    let etcd = EtcdServer::start().await;
    etcd.put_all(&product_nodes("running", "127.0.0.1:18080"))
        .await;
    etcd.put_all(&side_nodes("stopped")).await;
    etcd.put_dir("/codis3/empty").await;
    let products = source(&etcd.endpoint, None).load().await.expect("load");
    assert_eq!(products, map(&[("running", "127.0.0.1:18080")]));
}

#[tokio::test]
async fn etcd_skips_a_corrupt_topom_and_keeps_the_others() {
    let etcd = EtcdServer::start().await;
    etcd.put_all(&product_nodes("good", "127.0.0.1:18080"))
        .await;
    etcd.put_all(&side_nodes("broken")).await;
    etcd.put("/codis3/broken/topom", "{\"admin_addr\": \"127.0.0.1:")
        .await;
    etcd.put_all(&product_nodes("nameless", "")).await;
    let products = source(&etcd.endpoint, None).load().await.expect("load");
    assert_eq!(products, map(&[("good", "127.0.0.1:18080")]));
}

#[tokio::test]
async fn etcd_without_codis3_gives_an_empty_list() {
    let etcd = EtcdServer::start().await;
    assert_eq!(
        source(&etcd.endpoint, None).load().await.expect("load"),
        BTreeMap::new()
    );
    etcd.put_dir("/codis3").await;
    assert_eq!(
        source(&etcd.endpoint, None).load().await.expect("load"),
        BTreeMap::new()
    );
}

#[tokio::test]
async fn etcd_down_fails_the_load_quickly() {
    let etcd = EtcdServer::start().await;
    etcd.put_all(&product_nodes("codis-demo", "127.0.0.1:18080"))
        .await;
    let source = source(&etcd.endpoint, None);
    assert_eq!(
        source.load().await.expect("load while up"),
        map(&[("codis-demo", "127.0.0.1:18080")])
    );
    drop(etcd);
    let started = Instant::now();
    let err = source.load().await.expect_err("load while down");
    eprintln!("{err}");
    assert!(
        started.elapsed() < OUTAGE_BOUND,
        "took {:?}",
        started.elapsed()
    );
    assert!(matches!(err, DiscoveryError::Unavailable { .. }), "{err:?}");
    assert!(
        err.to_string().starts_with(&source.describe()),
        "names the source: {err}"
    );
}

#[tokio::test]
async fn etcd_that_never_answers_fails_the_load_within_the_bound() {
    let silent = SilentServer::start();
    let source = source(&silent.addr.to_string(), None);
    let started = Instant::now();
    let err = source.load().await.expect_err("hanging etcd");
    eprintln!("{err}");
    assert!(
        started.elapsed() < OUTAGE_BOUND,
        "took {:?}",
        started.elapsed()
    );
    assert!(err.to_string().contains(&silent.addr.to_string()), "{err}");
}

#[tokio::test]
async fn etcd_dead_endpoint_is_skipped_for_the_next_one() {
    let etcd = EtcdServer::start().await;
    etcd.put_all(&product_nodes("codis-demo", "127.0.0.1:18080"))
        .await;
    let endpoints = format!("127.0.0.1:{},{}", free_port(), etcd.endpoint);
    let products = source(&endpoints, None)
        .load()
        .await
        .expect("load via the second endpoint");
    assert_eq!(products, map(&[("codis-demo", "127.0.0.1:18080")]));
}

#[tokio::test]
async fn etcd_basic_auth_wrong_password_fails_right_password_loads() {
    let mut etcd = EtcdServer::start().await;
    etcd.put_all(&product_nodes("codis-demo", "127.0.0.1:18080"))
        .await;
    etcd.enable_auth("s3cret").await;

    let err = source(&etcd.endpoint, Some("root:wrong"))
        .load()
        .await
        .expect_err("wrong password");
    eprintln!("{err}");
    assert!(err.to_string().contains("401"), "{err}");
    assert!(
        !err.to_string().contains("wrong"),
        "no password in messages: {err}"
    );
    source(&etcd.endpoint, None)
        .load()
        .await
        .expect_err("no credentials");

    let products = source(&etcd.endpoint, Some("root:s3cret"))
        .load()
        .await
        .expect("right password");
    assert_eq!(products, map(&[("codis-demo", "127.0.0.1:18080")]));
}
