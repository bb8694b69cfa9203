//! A real Prometheus (Debian's package, installed by scripts/setup) started by the test as an
//! ordinary process: its configuration, rule files and storage in a fresh directory, listening
//! on a free loopback port, killed when dropped. And `promtool`, from the same package.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::ports::free_port;

pub const PROMETHEUS: &str = "/usr/bin/prometheus";
pub const PROMTOOL: &str = "/usr/bin/promtool";

/// `promtool check rules FILE...`: its status and its whole output.
pub fn check_rules(files: &[&Path]) -> (bool, String) {
    let out = Command::new(PROMTOOL)
        .args(["check", "rules"])
        .args(files)
        .output()
        .expect("promtool runs (scripts/setup installs the prometheus package)");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// A Prometheus process and its directory.
pub struct Prometheus {
    pub port: u16,
    child: Child,
    dir: PathBuf,
}

impl Prometheus {
    /// Prometheus scraping `target` (`host:port`, path `/metrics`) every `interval` and
    /// evaluating the rule files `rules` (name in the directory, text) as often.
    pub async fn start(
        tag: &str,
        target: &str,
        interval: &str,
        rules: &[(&str, String)],
    ) -> Prometheus {
        let dir =
            std::env::temp_dir().join(format!("codis-fe-prometheus-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("data")).expect("prometheus dir");
        let mut files = Vec::new();
        for (name, text) in rules {
            let path = dir.join(name);
            std::fs::write(&path, text).expect("write rule file");
            files.push(format!("{:?}", path.display().to_string()));
        }
        let conf = format!(
            "global:
  scrape_interval: {interval}
  evaluation_interval: {interval}
rule_files: [{files}]
scrape_configs:
  - job_name: codis-fe
    static_configs:
      - targets: [{target:?}]
",
            files = files.join(", ")
        );
        let conf_path = dir.join("prometheus.yml");
        std::fs::write(&conf_path, &conf).expect("write prometheus.yml");
        let port = free_port();
        let log = std::fs::File::create(dir.join("prometheus.log")).expect("log file");
        let child = Command::new(PROMETHEUS)
            .arg(format!("--config.file={}", conf_path.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(log)
            .process_group(0)
            .spawn()
            .expect("prometheus starts (scripts/setup installs the prometheus package)");
        let prom = Prometheus { port, child, dir };
        let ready = format!("{}/-/ready", prom.origin());
        crate::eventually("Prometheus ready", Duration::from_secs(30), || {
            let url = ready.clone();
            async move {
                reqwest::get(url)
                    .await
                    .is_ok_and(|r| r.status().is_success())
            }
        })
        .await;
        prom
    }

    /// `http://127.0.0.1:PORT`.
    pub fn origin(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// `GET /api/v1/<path>`'s `data`, after checking the reply's `status` is `success`.
    pub async fn api(&self, path: &str) -> serde_json::Value {
        let v: serde_json::Value =
            crate::get_json(format!("{}/api/v1/{path}", self.origin())).await;
        assert_eq!(v["status"], "success", "/api/v1/{path}: {v}");
        v["data"].clone()
    }

    /// What Prometheus logged (for failure messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("prometheus.log")).unwrap_or_default()
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
