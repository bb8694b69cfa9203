//! Discovery scenarios shared by the etcd, ZooKeeper and filesystem tests: every coordinator is
//! fed the nodes a dashboard writes and must give the same product list, so each scenario is
//! written once and run against each coordinator by a named test in that coordinator's file.
//! Needs `mod coordinators` (support/coordinators.rs) beside it in the test crate.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use codis_fe::discovery::{DiscoveryError, Source};
use zookeeper_client as zk;

use crate::coordinators::{
    free_port, product_nodes, side_nodes, zk_write, EtcdServer, SilentServer, TempDir, ZkServer,
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

    /// The discovery source the operator's flag gives for this coordinator.
    fn source(&self) -> Source;

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

    fn source(&self) -> Source {
        Etcd::source_for(&self.flag)
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

    fn source(&self) -> Source {
        Zk::source_for(&self.server.servers)
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

    fn source(&self) -> Source {
        Source::Filesystem(self.path().to_path_buf())
    }
}

// ---------------------------------------------------------------------------------------------
// Scenarios
// ---------------------------------------------------------------------------------------------

pub async fn lists_every_product_with_a_running_dashboard(c: &impl Coordinator) {
    c.write_all(&product_nodes("codis-demo", "127.0.0.1:18080"))
        .await;
    c.write_all(&product_nodes("codis-test", "10.0.0.5:18081"))
        .await;
    let products = c.source().load().await.expect("load");
    assert_eq!(
        products,
        map(&[
            ("codis-demo", "127.0.0.1:18080"),
            ("codis-test", "10.0.0.5:18081")
        ])
    );
}

pub async fn skips_a_product_without_dashboard(c: &impl Coordinator) {
    c.write_all(&product_nodes("running", "127.0.0.1:18080"))
        .await;
    c.write_all(&side_nodes("stopped")).await;
    let products = c.source().load().await.expect("load");
    assert_eq!(products, map(&[("running", "127.0.0.1:18080")]));
}

pub async fn skips_a_corrupt_topom_and_keeps_the_others(c: &impl Coordinator) {
    c.write_all(&product_nodes("good", "127.0.0.1:18080")).await;
    c.write_all(&side_nodes("broken")).await;
    c.write("/codis3/broken/topom", "{\"admin_addr\": \"127.0.0.1:")
        .await;
    let products = c.source().load().await.expect("load");
    assert_eq!(products, map(&[("good", "127.0.0.1:18080")]));
}

pub async fn gives_an_empty_list(c: &impl Coordinator) {
    assert_eq!(c.source().load().await.expect("load"), BTreeMap::new());
}

pub async fn down_fails_the_load_quickly(c: impl Networked) {
    c.write_all(&product_nodes("codis-demo", "127.0.0.1:18080"))
        .await;
    let source = c.source();
    assert_eq!(
        source.load().await.expect("load while up"),
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
    assert_eq!(products, map(&[("codis-demo", "127.0.0.1:18080")]));
}
