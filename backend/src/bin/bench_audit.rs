//! Benchmark: actions per second with and without `--audit-log` (every action attempt is one
//! audit line, on disk before the response leaves).
//!
//! `cargo run --release -p codis-fe --bin bench_audit -- [--seconds S] [--concurrency C]`
//!
//! Starts a simulated dashboard (Small preset) and the backend on loopback, each on its own
//! runtime thread, then runs C clients sending `slots-interval` actions for S seconds, once with
//! the audit log in the temporary directory and once without it. Bounded: it stops by itself.

use std::time::{Duration, Instant};

use bench_support::{dashboard_list_flag, demo_dashboard, runtime};
use clap::Parser;
use codis_fe::{config::Args as ServerArgs, server};

mod bench_support;

#[derive(Parser)]
struct Opts {
    /// Duration of each run, seconds.
    #[arg(long, default_value = "5")]
    seconds: u64,
    /// Concurrent clients.
    #[arg(long, default_value = "64")]
    concurrency: usize,
}

fn main() {
    let opts = Opts::parse();
    let dash_rt = runtime();
    let dashboard = demo_dashboard(&dash_rt);
    let dir = std::env::temp_dir().join(format!("bench-audit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let list_flag = dashboard_list_flag(&dir.join("list.json"), &dashboard);
    let log = dir.join("audit.jsonl");
    println!(
        "# bench_audit: {} s x {} clients, slots-interval actions",
        opts.seconds, opts.concurrency
    );
    println!("| audit log | actions/s | audit lines |");
    println!("|---|---|---|");
    for audit in [false, true] {
        let be_rt = runtime();
        let mut flags = vec![
            "codis-fe".to_string(),
            "--listen=127.0.0.1:0".into(),
            "--log-level=ERROR".into(),
            list_flag.clone(),
        ];
        if audit {
            let _ = std::fs::remove_file(&log);
            flags.push(format!("--audit-log={}", log.display()));
        }
        let addr = be_rt.block_on(async {
            let args = <ServerArgs as Parser>::try_parse_from(&flags).expect("args");
            let srv = std::sync::Arc::new(server::build(&args).await.expect("server"));
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            let addr = listener.local_addr().expect("addr");
            tokio::spawn(async move {
                let _ = server::serve(listener, &srv, std::future::pending()).await;
            });
            addr
        });
        let client_rt = runtime();
        let rate = client_rt.block_on(throughput(
            format!("http://{addr}/api/products/codis-demo/actions"),
            opts.concurrency,
            opts.seconds,
        ));
        let lines = if audit {
            std::fs::read_to_string(&log)
                .map(|t| t.lines().count().to_string())
                .unwrap_or_else(|_| "-".into())
        } else {
            "-".into()
        };
        println!(
            "| {} | {rate:.0} | {lines} |",
            if audit { "on" } else { "off" }
        );
        drop(client_rt);
        be_rt.shutdown_background();
    }
    let _ = std::fs::remove_dir_all(&dir);
    drop(dashboard);
}

async fn throughput(url: String, clients: usize, seconds: u64) -> f64 {
    let http = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    let end = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let http = http.clone();
        let url = url.clone();
        tasks.push(tokio::spawn(async move {
            let mut n = 0u64;
            while Instant::now() < end {
                let resp = http
                    .post(&url)
                    .header("content-type", "application/json")
                    .body(r#"{"action":"slots-interval","interval":"0"}"#)
                    .send()
                    .await
                    .expect("request");
                assert!(resp.status().is_success(), "{}", resp.status());
                let _ = resp.bytes().await;
                n += 1;
            }
            n
        }));
    }
    let mut total = 0;
    for t in tasks {
        total += t.await.unwrap_or(0);
    }
    total as f64 / seconds as f64
}
