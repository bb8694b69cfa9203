//! `--zookeeper=ADDR` discovery (spec 6.3) against a real ZooKeeper 3.8, fed the nodes a
//! dashboard writes (persistent znodes, parents created with empty data). The scenarios shared
//! with the other coordinators are in support/discovery.rs.

#[path = "support/coordinators.rs"]
mod coordinators;
#[path = "support/discovery.rs"]
mod discovery;

use codis_fe::discovery::Source;
use coordinators::{product_nodes, zk_write_all, ZkServer};
use discovery::{map, Coordinator, Zk};

fn source(servers: &str, auth: Option<&str>) -> Source {
    Source::zookeeper(servers, auth).expect("valid flags")
}

#[tokio::test]
async fn zookeeper_lists_every_product_with_a_running_dashboard() {
    discovery::lists_every_product_with_a_running_dashboard(&Zk::start().await).await;
}

#[tokio::test]
async fn zookeeper_skips_a_product_without_dashboard() {
    discovery::skips_a_product_without_dashboard(&Zk::start().await).await;
}

#[tokio::test]
async fn zookeeper_skips_a_corrupt_topom_and_keeps_the_others() {
    let zk = Zk::start().await;
    // ZooKeeper only: a topom znode with empty data.
    zk.write("/codis3/empty-data/topom", "").await;
    discovery::skips_a_corrupt_topom_and_keeps_the_others(&zk).await;
}

#[tokio::test]
async fn zookeeper_without_codis3_gives_an_empty_list() {
    discovery::gives_an_empty_list(&Zk::start().await).await;
}

#[tokio::test]
async fn zookeeper_down_fails_the_load_quickly() {
    discovery::down_fails_the_load_quickly(Zk::start().await).await;
}

#[tokio::test]
async fn zookeeper_that_never_answers_fails_the_load_within_the_bound() {
    discovery::never_answering_fails_the_load_within_the_bound::<Zk>().await;
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
    discovery::dead_address_is_skipped_for_the_next_one(&Zk::start().await).await;
}
