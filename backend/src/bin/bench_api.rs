//! Benchmark: latency the backend adds to dashboard reads and actions, and requests per second.
//!
//! `cargo run --release -p codis-fe --bin bench_api -- [--requests N] [--seconds S] [--concurrency C]`
//!
//! Starts a simulated dashboard (Small preset, like the captured cluster) and the backend on
//! loopback, each on its own runtime thread, then times the same work done directly against the
//! dashboard and through the backend with one keep-alive client. Bounded: it stops by itself.

use std::time::{Duration, Instant};

use bench_support::{dashboard_list_flag, demo_dashboard, runtime};
use clap::Parser;
use codis_fe::{config::Args as ServerArgs, server};

mod bench_support;

#[derive(Parser)]
struct Opts {
    /// Sequential requests per latency measurement.
    #[arg(long, default_value = "2000")]
    requests: usize,
    /// Duration of each throughput run, seconds.
    #[arg(long, default_value = "5")]
    seconds: u64,
    /// Concurrent clients in the throughput runs.
    #[arg(long, default_value = "16")]
    concurrency: usize,
}

fn main() {
    let opts = Opts::parse();
    // Dashboard on its own runtime thread.
    let dash_rt = runtime();
    let dashboard = demo_dashboard(&dash_rt);
    let dash_addr = dashboard.addr();
    let list = std::env::temp_dir().join(format!("bench-api-{}.json", std::process::id()));
    let list_flag = dashboard_list_flag(&list, &dashboard);

    // Backend on its own runtime thread.
    let be_rt = runtime();
    let backend_addr = be_rt.block_on(async {
        let args = <ServerArgs as Parser>::try_parse_from([
            "codis-fe",
            "--listen=127.0.0.1:0",
            "--log-level=ERROR",
            &list_flag,
        ])
        .expect("args");
        let srv = server::build(&args).await.expect("server");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let app = srv.app.clone();
        tokio::spawn(async move {
            let _srv = srv;
            let _ = axum::serve(listener, app).await;
        });
        addr
    });

    let client_rt = runtime();
    client_rt.block_on(async {
        let http = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("client");
        let x = codis_model::xauth::product_xauth("codis-demo");
        let direct = format!("http://{dash_addr}");
        let via = format!("http://{backend_addr}");
        println!(
            "# bench_api: {} sequential requests per row, then {} s x {} clients",
            opts.requests, opts.seconds, opts.concurrency
        );
        println!(
            "| request | direct p50 | via backend p50 | added p50 | direct p99 | via backend p99 |"
        );
        println!("|---|---|---|---|---|---|");
        let rows: Vec<(&str, Req, Req)> = vec![
            (
                "read: model (small)",
                Req::get(format!("{direct}/api/topom/model")),
                Req::get(format!("{via}/api/topom/model?forward=codis-demo")),
            ),
            (
                "read: stats (165 KB)",
                Req::get(format!("{direct}/api/topom/stats/{x}")),
                Req::get(format!("{via}/api/products/codis-demo/stats")),
            ),
            (
                "action: slots interval",
                Req::put(format!("{direct}/api/topom/slots/action/interval/{x}/0")),
                Req::post_json(
                    format!("{via}/api/products/codis-demo/actions"),
                    r#"{"action":"slots-interval","interval":"0"}"#,
                ),
            ),
        ];
        for (name, d, v) in &rows {
            let a = latencies(&http, d, opts.requests).await;
            let b = latencies(&http, v, opts.requests).await;
            println!(
                "| {name} | {} | {} | {} | {} | {} |",
                ms(pct(&a, 0.5)),
                ms(pct(&b, 0.5)),
                ms(pct(&b, 0.5).saturating_sub(pct(&a, 0.5))),
                ms(pct(&a, 0.99)),
                ms(pct(&b, 0.99)),
            );
        }
        println!();
        println!("| request | direct req/s | via backend req/s |");
        println!("|---|---|---|");
        for (name, d, v) in &rows {
            let a = throughput(&http, d, opts.concurrency, opts.seconds).await;
            let b = throughput(&http, v, opts.concurrency, opts.seconds).await;
            println!("| {name} | {a:.0} | {b:.0} |");
        }
    });
    let _ = std::fs::remove_file(&list);
    drop(dashboard);
}

#[derive(Clone)]
struct Req {
    method: reqwest::Method,
    url: String,
    body: Option<&'static str>,
}

impl Req {
    fn get(url: String) -> Req {
        Req {
            method: reqwest::Method::GET,
            url,
            body: None,
        }
    }
    fn put(url: String) -> Req {
        Req {
            method: reqwest::Method::PUT,
            url,
            body: None,
        }
    }
    fn post_json(url: String, body: &'static str) -> Req {
        Req {
            method: reqwest::Method::POST,
            url,
            body: Some(body),
        }
    }
    async fn send(&self, http: &reqwest::Client) {
        let mut r = http.request(self.method.clone(), &self.url);
        if let Some(b) = self.body {
            r = r.header("content-type", "application/json").body(b);
        }
        let resp = r.send().await.expect("request");
        assert!(
            resp.status().is_success(),
            "{} {}: {}",
            self.method,
            self.url,
            resp.status()
        );
        let _ = resp.bytes().await.expect("body");
    }
}

async fn latencies(http: &reqwest::Client, req: &Req, n: usize) -> Vec<Duration> {
    for _ in 0..50 {
        req.send(http).await; // warm-up: connections, caches
    }
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        req.send(http).await;
        out.push(t.elapsed());
    }
    out.sort();
    out
}

async fn throughput(http: &reqwest::Client, req: &Req, clients: usize, seconds: u64) -> f64 {
    let end = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let http = http.clone();
        let req = req.clone();
        tasks.push(tokio::spawn(async move {
            let mut n = 0u64;
            while Instant::now() < end {
                req.send(&http).await;
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

fn pct(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}
