//! A real Alertmanager (Debian's `prometheus-alertmanager`, installed by scripts/setup) started
//! by the test as an ordinary process: its configuration and storage in a fresh directory,
//! clustering off, the API on a free loopback port, killed when dropped.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::ports::free_port;

/// Where Debian installs it.
pub const ALERTMANAGER: &str = "/usr/bin/prometheus-alertmanager";

/// An Alertmanager process and its directory.
pub struct Alertmanager {
    pub port: u16,
    child: Child,
    dir: PathBuf,
}

/// One route to a receiver that sends nowhere: the test reads the alerts over the API.
const CONFIG: &str = "route:
  receiver: blackhole
  group_wait: 1s
receivers:
  - name: blackhole
";

impl Alertmanager {
    pub async fn start(tag: &str) -> Alertmanager {
        let dir = std::env::temp_dir().join(format!("codis-fe-am-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("data")).expect("alertmanager dir");
        std::fs::write(dir.join("alertmanager.yml"), CONFIG).expect("write alertmanager.yml");
        let port = free_port();
        let log = std::fs::File::create(dir.join("log")).expect("alertmanager log");
        let child = Command::new(ALERTMANAGER)
            .arg(format!(
                "--config.file={}",
                dir.join("alertmanager.yml").display()
            ))
            .arg(format!("--storage.path={}", dir.join("data").display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            // No gossip: a lone instance on loopback.
            .arg("--cluster.listen-address=")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("alertmanager runs (scripts/setup installs prometheus-alertmanager)");
        let am = Alertmanager { port, child, dir };
        let deadline = Instant::now() + Duration::from_secs(20);
        let ready = format!("{}/-/ready", am.origin());
        loop {
            if let Ok(r) = reqwest::get(&ready).await {
                if r.status().is_success() {
                    break;
                }
            }
            assert!(
                Instant::now() < deadline,
                "alertmanager not ready on {port}: {}",
                am.log()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        am
    }

    /// `http://127.0.0.1:PORT`.
    pub fn origin(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// `GET /api/v2/alerts`: the alerts it holds (active, not yet ended).
    pub async fn alerts(&self) -> serde_json::Value {
        reqwest::get(format!("{}/api/v2/alerts", self.origin()))
            .await
            .expect("alertmanager answers")
            .json()
            .await
            .expect("alerts JSON")
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("log")).unwrap_or_default()
    }
}

impl Drop for Alertmanager {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
