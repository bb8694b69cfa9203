//! `--zookeeper=ADDR` discovery (spec 6.3) against a real ZooKeeper 3.8, fed the nodes a
//! dashboard writes (persistent znodes, parents created with empty data).

#[path = "support/coordinators.rs"]
mod coordinators;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use codis_fe::discovery::{DiscoveryError, Source};
use coordinators::{product_nodes, side_nodes, zk_write, zk_write_all, SilentServer, ZkServer};

/// The operator-facing bound: a coordinator outage must not stall a refresh longer than this.
const OUTAGE_BOUND: Duration = Duration::from_secs(10);

fn map(entries: &[(&str, &str)]) -> BTreeMap<String, String> {
    entries
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn source(servers: &str, auth: Option<&str>) -> Source {
    Source::zookeeper(servers, auth).expect("valid flags")
}

#[tokio::test]
async fn zookeeper_lists_every_product_with_a_running_dashboard() {
    let server = ZkServer::start().await;
    let client = server.client(None).await;
    zk_write_all(
        &client,
        false,
        &product_nodes("codis-demo", "127.0.0.1:18080"),
    )
    .await;
    zk_write_all(
        &client,
        false,
        &product_nodes("codis-test", "10.0.0.5:18081"),
    )
    .await;
    let products = source(&server.servers, None).load().await.expect("load");
    assert_eq!(
        products,
        map(&[
            ("codis-demo", "127.0.0.1:18080"),
            ("codis-test", "10.0.0.5:18081")
        ])
    );
}

#[tokio::test]
async fn zookeeper_skips_a_product_without_dashboard() {
    let server = ZkServer::start().await;
    let client = server.client(None).await;
    zk_write_all(&client, false, &product_nodes("running", "127.0.0.1:18080")).await;
    zk_write_all(&client, false, &side_nodes("stopped")).await;
    let products = source(&server.servers, None).load().await.expect("load");
    assert_eq!(products, map(&[("running", "127.0.0.1:18080")]));
}

#[tokio::test]
async fn zookeeper_skips_a_corrupt_topom_and_keeps_the_others() {
    let server = ZkServer::start().await;
    let client = server.client(None).await;
    zk_write_all(&client, false, &product_nodes("good", "127.0.0.1:18080")).await;
    zk_write_all(&client, false, &side_nodes("broken")).await;
    zk_write(
        &client,
        false,
        "/codis3/broken/topom",
        "{\"admin_addr\": \"127.0.0.1:",
    )
    .await;
    zk_write(&client, false, "/codis3/empty-data/topom", "").await;
    let products = source(&server.servers, None).load().await.expect("load");
    assert_eq!(products, map(&[("good", "127.0.0.1:18080")]));
}

#[tokio::test]
async fn zookeeper_without_codis3_gives_an_empty_list() {
    let server = ZkServer::start().await;
    assert_eq!(
        source(&server.servers, None).load().await.expect("load"),
        BTreeMap::new()
    );
}

#[tokio::test]
async fn zookeeper_down_fails_the_load_quickly() {
    let server = ZkServer::start().await;
    let client = server.client(None).await;
    zk_write_all(
        &client,
        false,
        &product_nodes("codis-demo", "127.0.0.1:18080"),
    )
    .await;
    drop(client);
    let source = source(&server.servers, None);
    assert_eq!(
        source.load().await.expect("load while up"),
        map(&[("codis-demo", "127.0.0.1:18080")])
    );
    drop(server);
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
async fn zookeeper_that_never_answers_fails_the_load_within_the_bound() {
    let silent = SilentServer::start();
    let source = source(&silent.addr.to_string(), None);
    let started = Instant::now();
    let err = source.load().await.expect_err("hanging zookeeper");
    eprintln!("{err}");
    assert!(
        started.elapsed() < OUTAGE_BOUND,
        "took {:?}",
        started.elapsed()
    );
    assert!(err.to_string().contains(&silent.addr.to_string()), "{err}");
}

#[tokio::test]
async fn zookeeper_digest_acl_needs_the_right_auth() {
    let server = ZkServer::start().await;
    let writer = server.client(Some("codis:s3cret")).await;
    zk_write_all(
        &writer,
        true,
        &product_nodes("codis-demo", "127.0.0.1:18080"),
    )
    .await;
    drop(writer);

    let err = source(&server.servers, None)
        .load()
        .await
        .expect_err("no auth");
    eprintln!("{err}");
    assert!(err.to_string().contains("not authorized"), "{err}");
    let err = source(&server.servers, Some("codis:wrong"))
        .load()
        .await
        .expect_err("wrong password");
    eprintln!("{err}");
    assert!(
        !err.to_string().contains("wrong"),
        "no password in messages: {err}"
    );

    let products = source(&server.servers, Some("codis:s3cret"))
        .load()
        .await
        .expect("right password");
    assert_eq!(products, map(&[("codis-demo", "127.0.0.1:18080")]));
}

#[tokio::test]
async fn zookeeper_dead_server_is_skipped_for_the_next_one() {
    let server = ZkServer::start().await;
    let client = server.client(None).await;
    zk_write_all(
        &client,
        false,
        &product_nodes("codis-demo", "127.0.0.1:18080"),
    )
    .await;
    let servers = format!("127.0.0.1:{},{}", coordinators::free_port(), server.servers);
    let products = source(&servers, None)
        .load()
        .await
        .expect("load via the second server");
    assert_eq!(products, map(&[("codis-demo", "127.0.0.1:18080")]));
}
