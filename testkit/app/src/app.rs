//! `TestApp`: the backend started in the test's own process through one typed builder, served by
//! `server::serve` (the accept loop the binary runs: event streams written on the bare
//! connection, everything else through hyper and the router), on an ephemeral loopback port.
//!
//! The options tests share are typed methods; the flag a test is about (a bad value, a security
//! setting) goes through [`TestAppBuilder::flag`], parsed by the binary's own `Args`, so what a
//! test starts is what an operator's command line starts.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use codis_fe::{config::Args, server};

use crate::{AuditLog, DashboardList, UsersFile};

/// A running backend; it serves until the test's runtime ends.
pub struct TestApp {
    /// Where it listens (the loopback address when it listens on all interfaces).
    pub addr: SocketAddr,
    /// The server, to reach its demo dashboards (stop one, inject a fault) or its state.
    pub server: Arc<server::Server>,
}

impl TestApp {
    pub fn builder() -> TestAppBuilder {
        TestAppBuilder::default()
    }

    /// `http://ADDR`.
    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `http://ADDR{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The simulated dashboard of `product` in the built-in demo cluster (`--demo`), to stop it,
    /// inject a fault or read its state.
    pub fn demo_dashboard(&self, product: &str) -> codis_demo::DemoDashboard {
        self.server
            .demo
            .as_ref()
            .and_then(|d| d.dashboard(product))
            .cloned()
            .unwrap_or_else(|| panic!("no demo dashboard for {product}: start with .demo()"))
    }
}

/// The options of a [`TestApp`]; [`TestAppBuilder::start`] starts it.
#[derive(Default, Clone)]
pub struct TestAppBuilder {
    listen: Option<String>,
    flags: Vec<String>,
}

impl TestAppBuilder {
    /// The built-in demo cluster (`--demo`).
    pub fn demo(self) -> Self {
        self.flag("--demo")
    }

    /// The dashboards of a `--dashboard-list` file.
    pub fn dashboards(self, list: &DashboardList) -> Self {
        self.flag(list.flag())
    }

    /// Sign-in with the users of a `--users` file.
    pub fn users(self, users: &UsersFile) -> Self {
        self.flag(users.flag())
    }

    /// Sign-in for one operator with a session key shared by every backend given `sign_in`.
    pub fn operator_sign_in(self, sign_in: &crate::OperatorSignIn) -> Self {
        let [users, key] = sign_in.flags();
        self.flag(users).flag(key)
    }

    /// The audit log written to `log` (`--audit-log`).
    pub fn audit(self, log: &AuditLog) -> Self {
        self.flag(log.flag())
    }

    /// The console's files served from `dir` (`--assets-dir`), e.g. [`crate::dist_dir`].
    pub fn assets(self, dir: &Path) -> Self {
        self.flag(format!("--assets-dir={}", dir.display()))
    }

    /// Live stats polled every `poll`, pollers lingering `linger` after the last subscriber
    /// (short values keep the live suites fast).
    pub fn live_timing(self, poll: Duration, linger: Duration) -> Self {
        self.flag(format!("--poll-interval={}", poll.as_secs_f64()))
            .flag(format!("--live-linger={}", linger.as_secs_f64()))
    }

    /// No log output.
    pub fn quiet(self) -> Self {
        self.flag("--log-level=none")
    }

    /// Listen on `addr` instead of `127.0.0.1:0` (e.g. `0.0.0.0:0`).
    pub fn listen(mut self, addr: &str) -> Self {
        self.listen = Some(addr.to_string());
        self
    }

    /// One command-line flag as an operator writes it: the setting under test.
    pub fn flag(mut self, flag: impl Into<String>) -> Self {
        self.flags.push(flag.into());
        self
    }

    /// Several command-line flags.
    pub fn flags(self, flags: &[&str]) -> Self {
        flags.iter().fold(self, |b, f| b.flag(*f))
    }

    /// Parses the flags as the binary does, builds the server and serves it.
    pub async fn start(self) -> TestApp {
        let listen = self.listen.unwrap_or_else(|| "127.0.0.1:0".into());
        let mut argv = vec!["codis-fe".to_string(), format!("--listen={listen}")];
        argv.extend(self.flags);
        let args = Args::try_parse_from(&argv)
            .unwrap_or_else(|e| panic!("test flags {argv:?} do not parse: {e}"));
        let server = Arc::new(server::build(&args).await.expect("server builds"));
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .expect("bind");
        let mut addr = listener.local_addr().expect("local addr");
        if addr.ip().is_unspecified() {
            addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
        }
        let serving = server.clone();
        tokio::spawn(async move {
            // The server (demo cluster, refresh task) lives as long as it serves.
            let _ = server::serve(listener, &serving, std::future::pending()).await;
        });
        TestApp { addr, server }
    }
}
