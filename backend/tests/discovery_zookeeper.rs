//! `--zookeeper=ADDR` discovery (codis-fe-spec.md §6.3) against a real ZooKeeper 3.8, fed the nodes a
//! dashboard writes (persistent znodes, parents created with empty data). The scenarios shared
//! with the other coordinators are in support/discovery.rs.

use codis_testkit::coordinators;
use codis_testkit::discovery;

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
async fn zookeeper_reports_a_product_without_dashboard_as_stopped() {
    discovery::reports_a_product_without_dashboard_as_stopped(&Zk::start().await).await;
}

#[tokio::test]
async fn zookeeper_reports_a_corrupt_topom_and_keeps_the_others() {
    let zk = Zk::start().await;
    // ZooKeeper only: a topom znode with empty data.
    zk.write("/codis3/empty-data/topom", "").await;
    discovery::reports_a_corrupt_topom_and_keeps_the_others(&zk).await;
}

#[tokio::test]
async fn zookeeper_refuses_an_admin_addr_that_is_not_host_port() {
    discovery::refuses_an_admin_addr_that_is_not_host_port(&Zk::start().await).await;
}

#[tokio::test]
async fn zookeeper_refuses_product_names_codis_does_not_allow() {
    // ZooKeeper itself refuses control characters such as a newline in a znode name.
    discovery::refuses_product_names_codis_does_not_allow(
        &Zk::start().await,
        &["x?y#", ".hidden", "-dash", "sp ace"],
    )
    .await;
}

#[tokio::test]
async fn zookeeper_without_codis3_is_an_error_and_an_empty_one_an_empty_list() {
    let zk = Zk::start().await;
    discovery::without_codis3_is_an_error_not_an_empty_list(&zk).await;
    discovery::gives_an_empty_list_for_an_empty_codis3(&zk).await;
}

#[tokio::test]
async fn zookeeper_console_keeps_the_last_good_list_when_codis3_is_deleted() {
    discovery::console_keeps_the_last_good_list_when_codis3_is_renamed(&Zk::start().await).await;
}

#[tokio::test]
async fn zookeeper_console_keeps_a_product_whose_topom_breaks_or_vanishes() {
    discovery::console_keeps_a_product_whose_topom_breaks_or_vanishes(&Zk::start().await).await;
}

#[tokio::test]
async fn zookeeper_console_lists_a_product_first_seen_broken() {
    discovery::console_lists_a_product_first_seen_broken(&Zk::start().await).await;
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
    assert_eq!(
        products.dashboards,
        map(&[("codis-demo", "127.0.0.1:18080")])
    );
}

#[tokio::test]
async fn zookeeper_dead_server_is_skipped_for_the_next_one() {
    discovery::dead_address_is_skipped_for_the_next_one(&Zk::start().await).await;
}
