//! `--etcd=ADDR` discovery (codis-fe-spec.md §6.4) against a real etcd 3.4 with the v2 API, fed the nodes a
//! dashboard writes. The scenarios shared with the other coordinators are in support/discovery.rs.

use codis_testkit::coordinators;
use codis_testkit::discovery;

use codis_fe::discovery::Source;
use coordinators::product_nodes;
use discovery::{map, Coordinator, Etcd};

fn source(endpoints: &str, auth: Option<&str>) -> Source {
    Source::etcd(endpoints, auth).expect("valid flags")
}

#[tokio::test]
async fn etcd_lists_every_product_with_a_running_dashboard() {
    let mut etcd = Etcd::start().await;
    // The flag value as an operator types it: no scheme.
    etcd.flag = etcd
        .server
        .endpoint
        .trim_start_matches("http://")
        .to_string();
    discovery::lists_every_product_with_a_running_dashboard(&etcd).await;
}

#[tokio::test]
async fn etcd_reports_a_product_without_dashboard_as_stopped() {
    let etcd = Etcd::start().await;
    // etcd only: a product directory with no nodes at all.
    etcd.server.put_dir("/codis3/empty").await;
    discovery::reports_a_product_without_dashboard_as_stopped(&etcd).await;
}

#[tokio::test]
async fn etcd_reports_a_corrupt_topom_and_keeps_the_others() {
    let etcd = Etcd::start().await;
    // etcd only: a topom naming no admin address.
    etcd.write_all(&product_nodes("nameless", "")).await;
    discovery::reports_a_corrupt_topom_and_keeps_the_others(&etcd).await;
}

#[tokio::test]
async fn etcd_refuses_an_admin_addr_that_is_not_host_port() {
    discovery::refuses_an_admin_addr_that_is_not_host_port(&Etcd::start().await).await;
}

#[tokio::test]
async fn etcd_refuses_product_names_codis_does_not_allow() {
    // etcd's v2 API drops control characters such as a newline from a key.
    discovery::refuses_product_names_codis_does_not_allow(
        &Etcd::start().await,
        &["x?y#", ".hidden", "-dash", "sp ace"],
    )
    .await;
}

#[tokio::test]
async fn etcd_without_codis3_is_an_error_and_an_empty_one_an_empty_list() {
    let etcd = Etcd::start().await;
    discovery::without_codis3_is_an_error_not_an_empty_list(&etcd).await;
    discovery::gives_an_empty_list_for_an_empty_codis3(&etcd).await;
}

#[tokio::test]
async fn etcd_console_keeps_the_last_good_list_when_codis3_is_deleted() {
    discovery::console_keeps_the_last_good_list_when_codis3_is_renamed(&Etcd::start().await).await;
}

#[tokio::test]
async fn etcd_console_keeps_a_product_whose_topom_breaks_or_vanishes() {
    discovery::console_keeps_a_product_whose_topom_breaks_or_vanishes(&Etcd::start().await).await;
}

#[tokio::test]
async fn etcd_console_lists_a_product_first_seen_broken() {
    discovery::console_lists_a_product_first_seen_broken(&Etcd::start().await).await;
}

#[tokio::test]
async fn etcd_down_fails_the_load_quickly() {
    discovery::down_fails_the_load_quickly(Etcd::start().await).await;
}

#[tokio::test]
async fn etcd_that_never_answers_fails_the_load_within_the_bound() {
    discovery::never_answering_fails_the_load_within_the_bound::<Etcd>().await;
}

#[tokio::test]
async fn etcd_dead_endpoint_is_skipped_for_the_next_one() {
    discovery::dead_address_is_skipped_for_the_next_one(&Etcd::start().await).await;
}

#[tokio::test]
async fn etcd_basic_auth_wrong_password_fails_right_password_loads() {
    let mut etcd = Etcd::start().await;
    etcd.write_all(&product_nodes("codis-demo", "127.0.0.1:18080"))
        .await;
    etcd.server.enable_auth("s3cret").await;
    let endpoint = &etcd.server.endpoint;

    let err = source(endpoint, Some("root:wrong"))
        .load()
        .await
        .expect_err("wrong password");
    eprintln!("{err}");
    assert!(err.to_string().contains("401"), "{err}");
    assert!(
        !err.to_string().contains("wrong"),
        "no password in messages: {err}"
    );
    source(endpoint, None)
        .load()
        .await
        .expect_err("no credentials");

    let products = source(endpoint, Some("root:s3cret"))
        .load()
        .await
        .expect("right password");
    assert_eq!(
        products.dashboards,
        map(&[("codis-demo", "127.0.0.1:18080")])
    );
}
