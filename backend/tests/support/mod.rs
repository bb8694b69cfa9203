//! Shared pieces of the integration tests: a running backend and a headless Chromium driven over WebDriver.
#![allow(dead_code)]

pub mod browser;

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;
use codis_fe::{config::Args, server};

/// The workspace root (tests run with the package directory as the working directory).
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The built console. Browser tests need it and fail (never skip) when it is missing.
pub fn dist_dir() -> PathBuf {
    let dir = std::env::var_os("CODIS_FE_DIST")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("dist"));
    assert!(
        dir.join("index.html").is_file(),
        "no built console at {}: run scripts/build-frontend first (scripts/test does)",
        dir.display()
    );
    dir
}

/// Starts the backend in this process on an ephemeral loopback port with the given extra flags,
/// served by `server::serve`, the accept loop the binary runs (event streams written directly,
/// everything else through hyper and the router).
pub async fn start_backend(extra: &[&str]) -> SocketAddr {
    start_backend_on("127.0.0.1:0", extra).await
}

/// [`start_backend`] listening on `listen` (e.g. `0.0.0.0:0` with `--insecure-no-auth`). The
/// address returned is the loopback one, so clients on this machine can reach it.
pub async fn start_backend_on(listen: &str, extra: &[&str]) -> SocketAddr {
    let mut argv = vec!["codis-fe".to_string(), format!("--listen={listen}")];
    argv.extend(extra.iter().map(|s| s.to_string()));
    let args = Args::try_parse_from(argv).expect("test flags parse");
    let server = server::build(&args).await.expect("server builds");
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .expect("bind");
    let mut addr = listener.local_addr().expect("local addr");
    if addr.ip().is_unspecified() {
        addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    tokio::spawn(async move {
        // `server` (demo cluster, refresh task) lives as long as it serves.
        let _ = server::serve(listener, &server, std::future::pending()).await;
    });
    addr
}

/// Starts a simulated dashboard for `product` (the one test double: real HTTP on loopback).
pub async fn demo_dashboard(
    product: &str,
    preset: codis_demo::Preset,
) -> codis_demo::DemoDashboard {
    codis_demo::DemoDashboard::start(codis_demo::DemoOptions::new(product, preset))
        .await
        .expect("demo dashboard starts")
}

/// A `--dashboard-list` file naming these (product, dashboard address) pairs; removed on drop.
pub struct DashboardList(pub PathBuf);

impl DashboardList {
    pub fn new(entries: &[(&str, &str)]) -> DashboardList {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!(
            "codis-fe-test-list-{}-{n}.json",
            std::process::id()
        ));
        let list = DashboardList(path);
        list.write(entries);
        list
    }

    pub fn write(&self, entries: &[(&str, &str)]) {
        let json: Vec<serde_json::Value> = entries
            .iter()
            .map(|(name, addr)| serde_json::json!({"name": name, "dashboard": addr}))
            .collect();
        std::fs::write(&self.0, serde_json::to_vec(&json).expect("json")).expect("write list");
    }

    pub fn flag(&self) -> String {
        format!("--dashboard-list={}", self.0.display())
    }
}

impl Drop for DashboardList {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// A fast argon2id hash (small parameters: the tests run unoptimized).
pub fn password_hash(password: &str) -> String {
    use argon2::password_hash::{PasswordHasher as _, SaltString};
    let params = argon2::Params::new(64, 1, 1, None).expect("params");
    let a = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let salt = SaltString::encode_b64(b"0123456789abcdef").expect("salt");
    a.hash_password(password.as_bytes(), &salt)
        .expect("hash")
        .to_string()
}
