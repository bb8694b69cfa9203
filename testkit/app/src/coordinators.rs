//! Real coordinator servers for the discovery tests, started from the Debian packages on this
//! machine: etcd 3.4 (`/usr/bin/etcd`, package etcd-server) and ZooKeeper 3.8 (package zookeeper,
//! jars under /usr/share/java). Every server listens on a free 127.0.0.1 port with its data in a
//! fresh temporary directory; dropping the handle kills the process and removes the directory.
//!
//! Also the node layout a real dashboard writes (`/codis3/<product>/topom` plus the slot, group and
//! proxy nodes beside it), so the tests feed discovery exactly what it meets in production.
//! Needs `mod support` (support/mod.rs) beside it in the test crate.
#![allow(dead_code)]

use std::fs;
use std::io::Read;
use std::net::{SocketAddr, TcpListener};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use zookeeper_client as zk;

/// How long a server may take to answer after it was started.
const STARTUP_DEADLINE: Duration = Duration::from_secs(30);
/// Attempts to start a server (a free port can be taken by someone else before the server binds it).
const START_ATTEMPTS: usize = 3;

// ---------------------------------------------------------------------------------------------
// Temporary directories and processes
// ---------------------------------------------------------------------------------------------

/// A fresh directory under the system temp dir, removed (with its contents) on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("codis-fe-{tag}-{}-{n}", std::process::id()));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).expect("create temp dir");
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

pub use crate::ports::free_port;

/// A child process that is killed and reaped on drop.
struct Process {
    child: Child,
    log: PathBuf,
}

impl Process {
    /// Spawns `command` with stdout and stderr going to `log`. The child also gets SIGKILL if the
    /// spawning thread dies, so a test binary that is itself killed leaves no server behind.
    fn spawn(mut command: Command, log: PathBuf) -> Process {
        let out = fs::File::create(&log).expect("create server log");
        let err = out.try_clone().expect("clone log handle");
        command.stdin(Stdio::null()).stdout(out).stderr(err);
        // SAFETY: prctl is async-signal-safe and touches no memory of the parent.
        unsafe {
            command.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {command:?}: {e}"));
        Process { child, log }
    }

    fn exited(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(Some(_)))
    }

    /// The last lines of the server's output, for failure messages.
    fn log_tail(&self) -> String {
        let mut text = String::new();
        if let Ok(mut f) = fs::File::open(&self.log) {
            let _ = f.read_to_string(&mut text);
        }
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback TCP listener that accepts connections (the kernel completes the handshake) but never
/// answers: a coordinator that hangs instead of refusing.
pub struct SilentServer {
    _listener: TcpListener,
    pub addr: SocketAddr,
}

impl SilentServer {
    pub fn start() -> SilentServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind silent server");
        let addr = listener.local_addr().expect("local addr");
        SilentServer {
            _listener: listener,
            addr,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// What a dashboard writes
// ---------------------------------------------------------------------------------------------

/// The dashboard model as a real dashboard stores it at `/codis3/<product>/topom`
/// (4-space indented, like `demo_get_api_topom_model.json`).
pub fn topom_json(product: &str, admin_addr: &str) -> String {
    format!(
        r#"{{
    "token": "3b53437c82894f6068aa4c20e02a090f",
    "start_time": "2026-11-25 12:13:25.882773389 +0000 UTC m=+0.004448857",
    "admin_addr": "{admin_addr}",
    "product_name": "{product}",
    "pid": 23041,
    "pwd": "/opt/codis",
    "sys": "Linux codis-host 6.1.0-13-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.55-1 x86_64 GNU/Linux"
}}"#
    )
}

/// The nodes a dashboard keeps beside `topom` (slots, a group, a proxy), which discovery must ignore.
pub fn side_nodes(product: &str) -> Vec<(String, String)> {
    vec![
        (
            format!("/codis3/{product}/slots/slot-0000"),
            "{\n    \"id\": 0,\n    \"group_id\": 1,\n    \"action\": {}\n}".to_string(),
        ),
        (
            format!("/codis3/{product}/group/group-0001"),
            "{\n    \"id\": 1,\n    \"servers\": [\n        {\n            \"server\": \"127.0.0.1:6379\",\n            \"datacenter\": \"\",\n            \"action\": {},\n            \"replica_group\": false\n        }\n    ],\n    \"promoting\": {},\n    \"out_of_sync\": false\n}".to_string(),
        ),
        (
            format!("/codis3/{product}/proxy/proxy-0123456789abcdef0123456789abcdef"),
            "{\n    \"id\": 1,\n    \"token\": \"0123456789abcdef0123456789abcdef\",\n    \"admin_addr\": \"127.0.0.1:11080\",\n    \"proxy_addr\": \"127.0.0.1:19000\"\n}".to_string(),
        ),
    ]
}

/// Every node of a product with a running dashboard at `admin_addr`.
pub fn product_nodes(product: &str, admin_addr: &str) -> Vec<(String, String)> {
    let mut nodes = side_nodes(product);
    nodes.push((
        format!("/codis3/{product}/topom"),
        topom_json(product, admin_addr),
    ));
    nodes
}

// ---------------------------------------------------------------------------------------------
// etcd
// ---------------------------------------------------------------------------------------------

/// A single-member etcd 3.4 with the v2 API enabled.
pub struct EtcdServer {
    process: Process,
    /// `http://127.0.0.1:<port>`
    pub endpoint: String,
    http: reqwest::Client,
    auth: Option<(String, String)>,
    _dir: TempDir,
}

impl EtcdServer {
    pub async fn start() -> EtcdServer {
        let mut last_log = String::new();
        for _ in 0..START_ATTEMPTS {
            let dir = TempDir::new("etcd");
            let (client, peer) = (free_port(), free_port());
            let endpoint = format!("http://127.0.0.1:{client}");
            let peer_url = format!("http://127.0.0.1:{peer}");
            let mut command = Command::new("/usr/bin/etcd");
            command
                .arg("--name=default")
                .arg("--enable-v2=true")
                .arg(format!("--data-dir={}", dir.path().join("data").display()))
                .arg(format!("--listen-client-urls={endpoint}"))
                .arg(format!("--advertise-client-urls={endpoint}"))
                .arg(format!("--listen-peer-urls={peer_url}"))
                .arg(format!("--initial-advertise-peer-urls={peer_url}"))
                .arg(format!("--initial-cluster=default={peer_url}"))
                .arg("--initial-cluster-state=new")
                .env_remove("ETCDCTL_API");
            let process = Process::spawn(command, dir.path().join("etcd.log"));
            let http = reqwest::Client::builder()
                .no_proxy()
                .timeout(Duration::from_secs(5))
                .build()
                .expect("client");
            let mut server = EtcdServer {
                process,
                endpoint,
                http,
                auth: None,
                _dir: dir,
            };
            if server.wait_ready().await {
                return server;
            }
            last_log = server.process.log_tail();
        }
        panic!("etcd did not start within {STARTUP_DEADLINE:?}:\n{last_log}");
    }

    /// Polls a quorum read (it needs an elected leader) until it answers.
    async fn wait_ready(&mut self) -> bool {
        let deadline = Instant::now() + STARTUP_DEADLINE;
        let url = format!("{}/v2/keys/?quorum=true", self.endpoint);
        while Instant::now() < deadline && !self.process.exited() {
            if let Ok(response) = self.http.get(&url).send().await {
                if response.status().is_success() {
                    return true;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        false
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let request = self
            .http
            .request(method, format!("{}{path}", self.endpoint));
        match &self.auth {
            Some((user, password)) => request.basic_auth(user, Some(password)),
            None => request,
        }
    }

    async fn send_ok(&self, what: &str, request: reqwest::RequestBuilder) {
        let response = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        let status = response.status();
        let body = response.text().await.unwrap_or_default();
        assert!(status.is_success(), "{what}: HTTP {status}: {body}");
    }

    /// `/v2/keys<key>`, each segment percent-encoded (so a key may hold `?`, `#` or a newline).
    fn key_path(&self, key: &str) -> String {
        let mut url = reqwest::Url::parse(&self.endpoint).expect("endpoint URL");
        url.path_segments_mut()
            .expect("base URL")
            .pop_if_empty()
            .extend(["v2", "keys"])
            .extend(key.trim_start_matches('/').split('/'));
        url.path().to_string()
    }

    /// `PUT /v2/keys<key>` with form `value=...`, the way the dashboard's v2 client sets a key.
    pub async fn put(&self, key: &str, value: &str) {
        let request = self
            .request(reqwest::Method::PUT, &self.key_path(key))
            .form(&[("value", value)]);
        self.send_ok(&format!("put {key:?}"), request).await;
    }

    /// `DELETE /v2/keys<key>?recursive=true`: the key or the whole directory.
    pub async fn delete(&self, key: &str) {
        let request = self.request(
            reqwest::Method::DELETE,
            &format!("{}?recursive=true", self.key_path(key)),
        );
        self.send_ok(&format!("delete {key:?}"), request).await;
    }

    /// Creates an empty v2 directory node.
    pub async fn put_dir(&self, key: &str) {
        let request = self
            .request(reqwest::Method::PUT, &format!("/v2/keys{key}"))
            .form(&[("dir", "true")]);
        self.send_ok(&format!("mkdir {key}"), request).await;
    }

    /// Writes every node of `nodes`.
    pub async fn put_all(&self, nodes: &[(String, String)]) {
        for (key, value) in nodes {
            self.put(key, value).await;
        }
    }

    /// Turns on v2 auth with user `root` and `password`, and takes all rights from the `guest`
    /// role so that anonymous requests fail too. Later helper writes authenticate as root.
    pub async fn enable_auth(&mut self, password: &str) {
        let user = serde_json::json!({ "user": "root", "password": password });
        self.send_ok(
            "create root",
            self.request(reqwest::Method::PUT, "/v2/auth/users/root")
                .json(&user),
        )
        .await;
        self.send_ok(
            "enable auth",
            self.request(reqwest::Method::PUT, "/v2/auth/enable"),
        )
        .await;
        self.auth = Some(("root".to_string(), password.to_string()));
        let revoke = serde_json::json!({
            "role": "guest",
            "revoke": { "kv": { "read": ["/*"], "write": ["/*"] } }
        });
        self.send_ok(
            "revoke guest",
            self.request(reqwest::Method::PUT, "/v2/auth/roles/guest")
                .json(&revoke),
        )
        .await;
    }
}

// ---------------------------------------------------------------------------------------------
// ZooKeeper
// ---------------------------------------------------------------------------------------------

/// The Debian package's server jar; its manifest Class-Path names the dependencies in /usr/share/java.
const ZOOKEEPER_CLASSPATH: &str = "/etc/zookeeper/conf:/usr/share/java/zookeeper.jar";

/// A standalone ZooKeeper 3.8 server (`ZooKeeperServerMain`) bound to 127.0.0.1.
pub struct ZkServer {
    process: Process,
    /// `127.0.0.1:<port>`, a connect string.
    pub servers: String,
    _dir: TempDir,
}

impl ZkServer {
    pub async fn start() -> ZkServer {
        let mut last_log = String::new();
        for _ in 0..START_ATTEMPTS {
            let dir = TempDir::new("zk");
            let port = free_port();
            let config = dir.path().join("zoo.cfg");
            fs::write(
                &config,
                format!(
                    "tickTime=2000\ndataDir={}\nclientPort={port}\nclientPortAddress=127.0.0.1\n\
                     maxSessionTimeout=60000\nadmin.enableServer=false\n",
                    dir.path().join("data").display()
                ),
            )
            .expect("write zoo.cfg");
            let mut command = Command::new("java");
            command
                .arg("-Xmx128m")
                .arg("-XX:+UseSerialGC")
                .arg("-XX:TieredStopAtLevel=1")
                .arg("-Dzookeeper.admin.enableServer=false")
                .arg("-Dzookeeper.jmx.log4j.disable=true")
                .arg("-cp")
                .arg(ZOOKEEPER_CLASSPATH)
                .arg("org.apache.zookeeper.server.ZooKeeperServerMain")
                .arg(&config);
            let process = Process::spawn(command, dir.path().join("zookeeper.log"));
            let mut server = ZkServer {
                process,
                servers: format!("127.0.0.1:{port}"),
                _dir: dir,
            };
            if server.wait_ready().await {
                return server;
            }
            last_log = server.process.log_tail();
        }
        panic!("zookeeper did not start within {STARTUP_DEADLINE:?}:\n{last_log}");
    }

    async fn wait_ready(&mut self) -> bool {
        let deadline = Instant::now() + STARTUP_DEADLINE;
        while Instant::now() < deadline && !self.process.exited() {
            let connect = zk::Client::connector()
                .with_fail_eagerly()
                .connect(&self.servers);
            if let Ok(Ok(client)) = tokio::time::timeout(Duration::from_secs(2), connect).await {
                if client.list_children("/").await.is_ok() {
                    return true;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        false
    }

    /// A session, with digest auth `user:password` when given.
    pub async fn client(&self, digest: Option<&str>) -> zk::Client {
        let mut connector = zk::Client::connector().with_fail_eagerly();
        if let Some(auth) = digest {
            connector = connector.with_auth("digest", auth.as_bytes());
        }
        connector
            .connect(&self.servers)
            .await
            .expect("zookeeper session")
    }
}

/// Writes a node the way the dashboard's ZooKeeper client does (codis-fe-spec.md §6.3): missing parents are
/// created with empty data and all permissions, the node with admin, read and write. With
/// `digest` the ACLs are for the session's own digest identity (`auth` scheme, which the server
/// stores as `digest:user:hash`), otherwise for `world:anyone`.
pub async fn zk_write(client: &zk::Client, digest: bool, path: &str, data: &str) {
    let who = if digest {
        zk::AuthId::authed()
    } else {
        zk::AuthId::anyone()
    };
    let parent_acl = [zk::Acl::new(zk::Permission::ALL, who.clone())];
    let node_acl = [zk::Acl::new(
        zk::Permission::ADMIN | zk::Permission::READ | zk::Permission::WRITE,
        who,
    )];
    if let Some((parent, _)) = path
        .rsplit_once('/')
        .filter(|(parent, _)| !parent.is_empty())
    {
        let options = zk::CreateMode::Persistent.with_acls(zk::Acls::new(&parent_acl));
        client
            .mkdir(parent, &options)
            .await
            .unwrap_or_else(|e| panic!("mkdir {parent}: {e}"));
    }
    let options = zk::CreateMode::Persistent.with_acls(zk::Acls::new(&node_acl));
    match client.create(path, data.as_bytes(), &options).await {
        Ok(_) => {}
        // Written again (a dashboard rewrites its topom): replace the data.
        Err(zk::Error::NodeExists) => {
            client
                .set_data(path, data.as_bytes(), None)
                .await
                .unwrap_or_else(|e| panic!("set {path}: {e}"));
        }
        Err(e) => panic!("create {path}: {e}"),
    }
}

/// Deletes `path` and everything under it.
pub async fn zk_delete_all(client: &zk::Client, path: &str) {
    let mut stack = vec![path.to_string()];
    let mut order = Vec::new();
    while let Some(node) = stack.pop() {
        let children = client
            .list_children(&node)
            .await
            .unwrap_or_else(|e| panic!("list {node}: {e}"));
        stack.extend(children.into_iter().map(|c| format!("{node}/{c}")));
        order.push(node);
    }
    for node in order.into_iter().rev() {
        client
            .delete(&node, None)
            .await
            .unwrap_or_else(|e| panic!("delete {node}: {e}"));
    }
}

/// Writes every node of `nodes`.
pub async fn zk_write_all(client: &zk::Client, digest: bool, nodes: &[(String, String)]) {
    for (path, data) in nodes {
        zk_write(client, digest, path, data).await;
    }
}
