//! A real nginx (Debian's package, installed by scripts/setup) in front of a backend, started by
//! the test as an ordinary process: its own prefix, configuration, logs and temporary files in a
//! fresh directory, listening on a free loopback port, killed when dropped.
#![allow(dead_code)]

use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::ports::free_port;

/// Debian installs nginx here (not on a normal user's PATH).
pub const NGINX: &str = "/usr/sbin/nginx";

/// An nginx process and its directory.
pub struct Nginx {
    pub port: u16,
    child: Child,
    dir: PathBuf,
}

impl Nginx {
    /// nginx with `server_body` (the directives inside `server { listen ...; }`). `{upstream}`
    /// is not substituted here: the caller writes its own `proxy_pass`.
    pub async fn start(tag: &str, server_body: &str) -> Nginx {
        Nginx::start_with(tag, "", server_body).await
    }

    /// nginx with `http_body` in the `http` block (e.g. an `upstream` of several backends) and
    /// `server_body` inside `server { listen ...; }`.
    pub async fn start_with(tag: &str, http_body: &str, server_body: &str) -> Nginx {
        let dir = std::env::temp_dir().join(format!("codis-fe-nginx-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("logs")).expect("nginx dir");
        let port = free_port();
        let conf = config(&dir, port, http_body, server_body);
        let conf_path = dir.join("nginx.conf");
        std::fs::write(&conf_path, &conf).expect("write nginx.conf");
        let check = Command::new(NGINX)
            .arg("-t")
            .arg("-q")
            .arg("-p")
            .arg(&dir)
            .arg("-e")
            .arg(dir.join("logs/error.log"))
            .arg("-c")
            .arg(&conf_path)
            .output()
            .expect("nginx runs (scripts/setup installs the nginx package)");
        assert!(
            check.status.success(),
            "nginx -t refused the test's configuration:\n{}\n{conf}",
            String::from_utf8_lossy(&check.stderr)
        );
        let child = Command::new(NGINX)
            .arg("-p")
            .arg(&dir)
            .arg("-e")
            .arg(dir.join("logs/error.log"))
            .arg("-c")
            .arg(&conf_path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("nginx starts");
        let nginx = Nginx { port, child, dir };
        let deadline = Instant::now() + Duration::from_secs(10);
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            assert!(
                Instant::now() < deadline,
                "nginx did not listen on {port}: {}",
                nginx.error_log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        nginx
    }

    /// `http://127.0.0.1:PORT`.
    pub fn origin(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn error_log(&self) -> String {
        std::fs::read_to_string(self.dir.join("logs/error.log")).unwrap_or_default()
    }
}

/// The whole configuration: in the foreground, one worker, every path inside `dir`.
fn config(dir: &std::path::Path, port: u16, http_body: &str, server_body: &str) -> String {
    let d = dir.display();
    format!(
        "daemon off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/logs/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {d}/client_body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
{http_body}
    server {{
        listen 127.0.0.1:{port};
{server_body}
    }}
}}
"
    )
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // The master and its worker form one process group.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
