//! Discovery scenarios shared by the etcd, ZooKeeper and filesystem tests: every coordinator is
//! fed the nodes a dashboard writes and must give the same product list, so each scenario is
//! written once and run against each coordinator by a named test in that coordinator's file.
//! Needs `mod coordinators` (support/coordinators.rs) and `mod support` (support/mod.rs, for the
//! scenarios that start the backend) beside it in the test crate.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use codis_fe::discovery::{DiscoveryError, Listing, Source};
use codis_model::console::{ProductInfo, ProductsReply};
use zookeeper_client as zk;

use crate::coordinators::{
    free_port, product_nodes, side_nodes, topom_json, zk_delete_all, zk_write, EtcdServer,
    SilentServer, TempDir, ZkServer,
};

/// The operator-facing bound: a coordinator outage must not stall a refresh longer than this.
pub const OUTAGE_BOUND: Duration = Duration::from_secs(10);

fn assert_within_outage_bound(started: Instant) {
    assert!(
        started.elapsed() < OUTAGE_BOUND,
        "took {:?}",
        started.elapsed()
    );
}

pub fn map(entries: &[(&str, &str)]) -> BTreeMap<String, String> {
    entries
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A coordinator holding dashboard nodes, as discovery meets it.
// Test-only trait used generically, never as `dyn`: the Send caveat of async fns does not apply.
#[allow(async_fn_in_trait)]
pub trait Coordinator {
    /// Writes node `path` (e.g. `/codis3/p/topom`) the way the dashboard does.
    async fn write(&self, path: &str, data: &str);

    /// Deletes node `path` and everything under it.
    async fn delete(&self, path: &str);

    /// What an operator's rename of the `codis3` folder looks like to a reader. etcd's v2 API and
    /// ZooKeeper have no rename: there, `/codis3` is simply gone.
    async fn rename_codis3(&self) {
        self.delete("/codis3").await;
    }

    /// Creates an empty `/codis3`.
    async fn make_codis3(&self);

    /// The discovery source the operator's flag gives for this coordinator.
    fn source(&self) -> Source;

    /// The operator's command-line flag for this coordinator, e.g. `--etcd=127.0.0.1:2379`.
    fn flag(&self) -> String;

    async fn write_all(&self, nodes: &[(String, String)]) {
        for (path, data) in nodes {
            self.write(path, data).await;
        }
    }
}

/// A coordinator reached over the network: it can be stopped, hang, or sit behind a dead address.
pub trait Networked: Coordinator {
    /// The source for a comma-separated address list (no auth).
    fn source_for(addresses: &str) -> Source;
    /// This server's address as it goes into the list.
    fn address(&self) -> String;
    /// Kills the server.
    fn stop(self);
}

/// etcd with the v2 API; `flag` is the `--etcd` value the source is built from.
pub struct Etcd {
    pub server: EtcdServer,
    pub flag: String,
}

impl Etcd {
    pub async fn start() -> Etcd {
        let server = EtcdServer::start().await;
        let flag = server.endpoint.clone();
        Etcd { server, flag }
    }
}

impl Coordinator for Etcd {
    async fn write(&self, path: &str, data: &str) {
        self.server.put(path, data).await;
    }

    async fn delete(&self, path: &str) {
        self.server.delete(path).await;
    }

    async fn make_codis3(&self) {
        self.server.put_dir("/codis3").await;
    }

    fn source(&self) -> Source {
        Etcd::source_for(&self.flag)
    }

    fn flag(&self) -> String {
        format!("--etcd={}", self.flag)
    }
}

impl Networked for Etcd {
    fn source_for(addresses: &str) -> Source {
        Source::etcd(addresses, None).expect("valid flags")
    }

    fn address(&self) -> String {
        self.flag.clone()
    }

    fn stop(self) {
        drop(self);
    }
}

/// ZooKeeper with one open-ACL session doing the writes.
pub struct Zk {
    pub server: ZkServer,
    client: zk::Client,
}

impl Zk {
    pub async fn start() -> Zk {
        let server = ZkServer::start().await;
        let client = server.client(None).await;
        Zk { server, client }
    }
}

impl Coordinator for Zk {
    async fn write(&self, path: &str, data: &str) {
        zk_write(&self.client, false, path, data).await;
    }

    async fn delete(&self, path: &str) {
        zk_delete_all(&self.client, path).await;
    }

    async fn make_codis3(&self) {
        zk_write(&self.client, false, "/codis3", "").await;
    }

    fn source(&self) -> Source {
        Zk::source_for(&self.server.servers)
    }

    fn flag(&self) -> String {
        format!("--zookeeper={}", self.server.servers)
    }
}

impl Networked for Zk {
    fn source_for(addresses: &str) -> Source {
        Source::zookeeper(addresses, None).expect("valid flags")
    }

    fn address(&self) -> String {
        self.server.servers.clone()
    }

    fn stop(self) {
        // Session first, so the server goes down with no client attached.
        drop(self.client);
        drop(self.server);
    }
}

/// A filesystem root as the dashboard lays it out (ROOT/data/codis3/..., ROOT/temp).
pub struct Fs {
    pub root: TempDir,
}

impl Fs {
    pub fn fresh() -> Fs {
        Fs {
            root: TempDir::new("fs"),
        }
    }

    pub fn path(&self) -> &Path {
        self.root.path()
    }
}

impl Coordinator for Fs {
    /// Like the dashboard: temp file in ROOT/temp, then rename into place.
    async fn write(&self, path: &str, data: &str) {
        let root = self.path();
        let target = root.join("data").join(path.trim_start_matches('/'));
        fs::create_dir_all(target.parent().expect("parent")).expect("mkdir");
        let temp_dir = root.join("temp");
        fs::create_dir_all(&temp_dir).expect("mkdir temp");
        let temp = temp_dir.join(format!("{}.node", path.replace('/', "_")));
        fs::write(&temp, data).expect("write temp");
        fs::rename(&temp, &target).expect("rename into place");
    }

    async fn delete(&self, path: &str) {
        let target = self.path().join("data").join(path.trim_start_matches('/'));
        if target.is_dir() {
            fs::remove_dir_all(&target).expect("remove dir");
        } else {
            fs::remove_file(&target).expect("remove file");
        }
    }

    /// A real rename, as an operator's `mv` does it.
    async fn rename_codis3(&self) {
        let data = self.path().join("data");
        fs::rename(data.join("codis3"), data.join("codis3.renamed")).expect("rename codis3");
    }

    async fn make_codis3(&self) {
        fs::create_dir_all(self.path().join("data/codis3")).expect("mkdir");
    }

    fn source(&self) -> Source {
        Source::Filesystem(self.path().to_path_buf())
    }

    fn flag(&self) -> String {
        format!("--filesystem={}", self.path().display())
    }
}

// ---------------------------------------------------------------------------------------------
// Scenarios
// ---------------------------------------------------------------------------------------------

pub fn names(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|n| n.to_string()).collect()
}

pub async fn lists_every_product_with_a_running_dashboard(c: &impl Coordinator) {
    c.write_all(&product_nodes("codis-demo", "127.0.0.1:18080"))
        .await;
    c.write_all(&product_nodes("codis-test", "10.0.0.5:18081"))
        .await;
    let products = c.source().load().await.expect("load");
    assert_eq!(
        products,
        Listing {
            dashboards: map(&[
                ("codis-demo", "127.0.0.1:18080"),
                ("codis-test", "10.0.0.5:18081")
            ]),
            ..Listing::default()
        }
    );
}

/// A product folder without `topom` (its dashboard is not running) has no address, and is named
/// as such rather than silently dropped (the caller keeps it if it knew its address).
pub async fn reports_a_product_without_dashboard_as_stopped(c: &impl Coordinator) {
    c.write_all(&product_nodes("running", "127.0.0.1:18080"))
        .await;
    c.write_all(&side_nodes("stopped")).await;
    let products = c.source().load().await.expect("load");
    assert_eq!(products.dashboards, map(&[("running", "127.0.0.1:18080")]));
    assert!(products.stopped.contains("stopped"), "{products:?}");
    assert!(products.broken.is_empty(), "{products:?}");
}

/// A corrupt `topom` is reported with why, and the other products are still listed.
pub async fn reports_a_corrupt_topom_and_keeps_the_others(c: &impl Coordinator) {
    c.write_all(&product_nodes("good", "127.0.0.1:18080")).await;
    c.write_all(&side_nodes("broken")).await;
    c.write("/codis3/broken/topom", "{\"admin_addr\": \"127.0.0.1:")
        .await;
    let products = c.source().load().await.expect("load");
    assert_eq!(products.dashboards, map(&[("good", "127.0.0.1:18080")]));
    let reason = products.broken.get("broken").expect("broken is reported");
    assert!(reason.contains("not a dashboard model"), "{reason}");
}

/// `admin_addr` comes from the coordinator, not from Codis's own checks: one that is not
/// `host:port` would otherwise become the URL every request of the product goes to.
pub async fn refuses_an_admin_addr_that_is_not_host_port(c: &impl Coordinator) {
    c.write_all(&product_nodes("good", "127.0.0.1:18080")).await;
    c.write_all(&product_nodes("odd", "169.254.1.1:80/x?y#"))
        .await;
    c.write_all(&product_nodes("portless", "10.0.0.1")).await;
    let products = c.source().load().await.expect("load");
    assert_eq!(products.dashboards, map(&[("good", "127.0.0.1:18080")]));
    for name in ["odd", "portless"] {
        let reason = products.broken.get(name).expect("reported as broken");
        assert!(
            reason.starts_with("admin_addr: must be host:port"),
            "names the field and the rule: {reason}"
        );
    }
}

/// Product names are checked with Codis's own rule (`models.ValidateProduct`: `^\w[\w.-]*$`).
/// `bad` are names this coordinator can store but Codis refuses.
pub async fn refuses_product_names_codis_does_not_allow(c: &impl Coordinator, bad: &[&str]) {
    c.write_all(&product_nodes("codis_demo-2.b", "127.0.0.1:18080"))
        .await;
    for name in bad {
        c.write_all(&product_nodes(name, "127.0.0.1:18081")).await;
    }
    let products = c.source().load().await.expect("load");
    assert_eq!(
        products.dashboards,
        map(&[("codis_demo-2.b", "127.0.0.1:18080")])
    );
    assert!(
        products.broken.is_empty() && products.stopped.is_empty(),
        "{products:?}"
    );
    assert_eq!(products.refused.len(), bad.len(), "{:?}", products.refused);
    for name in bad {
        let quoted = format!("{name:?}");
        let line = products
            .refused
            .iter()
            .find(|l| l.starts_with(&quoted))
            .unwrap_or_else(|| panic!("{quoted} refused: {:?}", products.refused));
        assert!(
            line.contains("product name: must start with"),
            "names the value and the rule: {line}"
        );
        assert!(!line.contains('\n'), "one line: {line:?}");
    }
}

pub async fn gives_an_empty_list_for_an_empty_codis3(c: &impl Coordinator) {
    c.make_codis3().await;
    assert_eq!(c.source().load().await.expect("load"), Listing::default());
}

/// No `/codis3` at all fails the load (the caller keeps its last good list) instead of listing
/// nothing.
pub async fn without_codis3_is_an_error_not_an_empty_list(c: &impl Coordinator) {
    let err = c.source().load().await.expect_err("no /codis3");
    assert!(
        matches!(err, DiscoveryError::NoProductRoot { .. }),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(
        text.starts_with(&c.source().describe()) && text.contains("/codis3 does not exist"),
        "{text}"
    );
}

// ---------------------------------------------------------------------------------------------
// Scenarios through the console's API (`GET /api/products`), with a running backend
// ---------------------------------------------------------------------------------------------

/// Waits (up to 20 s) until `/api/products` satisfies `ready`; returns that answer.
pub async fn products_when(
    base: &str,
    what: &str,
    ready: impl Fn(&ProductsReply) -> bool,
) -> ProductsReply {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let reply: ProductsReply = crate::get_json(format!("{base}/api/products")).await;
        if ready(&reply) {
            return reply;
        }
        assert!(Instant::now() < deadline, "never {what}: {reply:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn product<'a>(reply: &'a ProductsReply, name: &str) -> Option<&'a ProductInfo> {
    reply.products.iter().find(|p| p.name == name)
}

/// A backend on this coordinator, re-reading it every 0.2 s; its base URL.
async fn backend_on(c: &impl Coordinator) -> String {
    let flag = c.flag();
    let addr = crate::TestApp::builder()
        .flag(flag)
        .flag("--discovery-interval=0.2")
        .quiet()
        .start()
        .await
        .addr;
    format!("http://{addr}")
}

/// An operator renames `codis3` (or it is deleted): the console keeps the products it knew,
/// marked stale with the reason, instead of showing none.
pub async fn console_keeps_the_last_good_list_when_codis3_is_renamed(c: &impl Coordinator) {
    let dashboard = crate::demo_dashboard("codis-demo", codis_demo::Preset::Tiny).await;
    let addr = dashboard.addr().to_string();
    c.write_all(&product_nodes("codis-demo", &addr)).await;
    let base = backend_on(c).await;
    products_when(&base, "lists codis-demo", |r| {
        product(r, "codis-demo").is_some_and(|p| p.reachable == Some(true))
    })
    .await;

    c.rename_codis3().await;
    let reply = products_when(&base, "marks the list stale", |r| r.discovery.stale).await;
    let error = reply.discovery.error.clone().unwrap_or_default();
    assert!(error.contains("/codis3 does not exist"), "{error}");
    let p = product(&reply, "codis-demo").expect("the last good list is kept");
    assert_eq!(p.dashboard, addr);
    // And still usable: the dashboard itself did not move.
    let (status, _) = crate::call(
        &base,
        "GET",
        "/api/products/codis-demo/overview",
        None,
        None,
        None,
    )
    .await;
    assert_eq!(status, 200);
}

/// The `topom` of a product the console knows turns corrupt, then is deleted: the product stays
/// in the list on its last address, marked with the coordinator's error, never silently dropped.
pub async fn console_keeps_a_product_whose_topom_breaks_or_vanishes(c: &impl Coordinator) {
    let dashboard = crate::demo_dashboard("codis-demo", codis_demo::Preset::Tiny).await;
    let addr = dashboard.addr().to_string();
    c.write_all(&product_nodes("codis-demo", &addr)).await;
    c.write_all(&product_nodes("other", "127.0.0.1:1")).await;
    let base = backend_on(c).await;
    products_when(&base, "lists codis-demo", |r| {
        product(r, "codis-demo").is_some_and(|p| p.reachable == Some(true))
    })
    .await;

    c.write("/codis3/codis-demo/topom", "{\"admin_addr\": ")
        .await;
    let reply = products_when(&base, "marks codis-demo broken", |r| {
        product(r, "codis-demo").is_some_and(|p| {
            p.error
                .as_deref()
                .is_some_and(|e| e.starts_with("coordinator: "))
        })
    })
    .await;
    let p = product(&reply, "codis-demo").expect("kept");
    assert_eq!(
        (p.dashboard.as_str(), p.reachable),
        (addr.as_str(), Some(false))
    );
    assert!(
        p.error
            .as_deref()
            .unwrap_or_default()
            .contains("not a dashboard model"),
        "{p:?}"
    );
    assert!(
        !reply.discovery.stale,
        "the others were read fine: {reply:?}"
    );
    assert!(product(&reply, "other").is_some());

    c.delete("/codis3/codis-demo/topom").await;
    let reply = products_when(&base, "marks codis-demo without topom", |r| {
        product(r, "codis-demo").is_some_and(|p| {
            p.error
                .as_deref()
                .is_some_and(|e| e.contains("no topom node"))
        })
    })
    .await;
    assert_eq!(
        product(&reply, "codis-demo").map(|p| p.dashboard.as_str()),
        Some(addr.as_str())
    );

    // The dashboard writes its topom again: the mark goes.
    c.write("/codis3/codis-demo/topom", &topom_json("codis-demo", &addr))
        .await;
    products_when(&base, "clears the mark", |r| {
        product(r, "codis-demo").is_some_and(|p| p.reachable == Some(true) && p.error.is_none())
    })
    .await;
}

/// A product whose very first `topom` is corrupt has no address to keep: it is listed with the
/// error (and no dashboard), and its reads answer 404 rather than dialling an empty address.
pub async fn console_lists_a_product_first_seen_broken(c: &impl Coordinator) {
    c.write_all(&side_nodes("broken")).await;
    c.write(
        "/codis3/broken/topom",
        "{\"admin_addr\": \"169.254.1.1:80/x?y#\"}",
    )
    .await;
    let base = backend_on(c).await;
    let reply = products_when(&base, "lists broken", |r| product(r, "broken").is_some()).await;
    let p = product(&reply, "broken").expect("listed");
    assert_eq!((p.dashboard.as_str(), p.reachable), ("", Some(false)));
    let error = p.error.clone().unwrap_or_default();
    assert!(
        error.starts_with("coordinator: admin_addr: must be host:port"),
        "{error}"
    );
    let (status, _) = crate::call(
        &base,
        "GET",
        "/api/products/broken/overview",
        None,
        None,
        None,
    )
    .await;
    assert_eq!(status, 404);
}

pub async fn down_fails_the_load_quickly(c: impl Networked) {
    c.write_all(&product_nodes("codis-demo", "127.0.0.1:18080"))
        .await;
    let source = c.source();
    assert_eq!(
        source.load().await.expect("load while up").dashboards,
        map(&[("codis-demo", "127.0.0.1:18080")])
    );
    c.stop();
    let started = Instant::now();
    let err = source.load().await.expect_err("load while down");
    eprintln!("{err}");
    assert_within_outage_bound(started);
    assert!(matches!(err, DiscoveryError::Unavailable { .. }), "{err:?}");
    assert!(
        err.to_string().starts_with(&source.describe()),
        "names the source: {err}"
    );
}

/// A server that accepts connections and never answers.
pub async fn never_answering_fails_the_load_within_the_bound<C: Networked>() {
    let silent = SilentServer::start();
    let source = C::source_for(&silent.addr.to_string());
    let started = Instant::now();
    let err = source.load().await.expect_err("hanging coordinator");
    eprintln!("{err}");
    assert_within_outage_bound(started);
    assert!(err.to_string().contains(&silent.addr.to_string()), "{err}");
}

pub async fn dead_address_is_skipped_for_the_next_one<C: Networked>(c: &C) {
    c.write_all(&product_nodes("codis-demo", "127.0.0.1:18080"))
        .await;
    let addresses = format!("127.0.0.1:{},{}", free_port(), c.address());
    let products = C::source_for(&addresses)
        .load()
        .await
        .expect("load via the second address");
    assert_eq!(
        products.dashboards,
        map(&[("codis-demo", "127.0.0.1:18080")])
    );
}
