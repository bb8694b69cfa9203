//! `bench-live`: measures codis-fe's live stats (issue 5); results in BENCHMARKS.md.
//!
//! ```text
//! cargo run --release -p codis-bench --bin bench-live -- --scenario all --subscribers 10000
//! ```
//!
//! Everything runs on 127.0.0.1 and stops by itself. The simulated dashboard (`codis-demo`) and a
//! request-counting TCP proxy in front of it run in this process; the codis-fe backend runs in a
//! child process (this binary with `--role backend`), so its memory is measured alone
//! (`VmRSS` of `/proc/<pid>/status`). Subscribers are raw HTTP/1.1 clients on tokio sockets (they
//! decode the chunked body and the SSE framing themselves, to keep the client side cheap).
//!
//! Scenarios:
//! * `requests`: dashboard polls per second with 1, 10, 100 and 1,000 subscribers to one
//!   product, and the polls after the last subscriber left;
//! * `bytes`: bytes per second one subscriber receives (Small and Large clusters), beside what a
//!   codis-fe tab downloads polling `/api/topom/stats` every 3 s (gzip);
//! * `fanout`: N subscribers (default 10,000): every one receives every update, delay from the
//!   end of a poll to receipt, backend memory per subscriber;
//! * `replicas`: dashboard polls per second with 1, 2 and 3 backends (replicas behind a load
//!   balancer), each with one subscriber to the same product;
//! * `fleet` (issue 16, not part of `all`): the products of `--demo --demo-fleet=N` (default
//!   100) in this process, each behind a counting proxy, a backend child reading them every
//!   `--fleet-interval` with one gzip subscriber to `/api/fleet/events`: requests per second
//!   across the fleet, backend CPU, and the stream's bytes per second.

use codis_testkit::live as support;

use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use codis_demo::Preset;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[derive(Parser, Debug, Clone)]
#[command(name = "bench-live")]
struct Opts {
    /// all, requests, bytes, fanout, replicas, or fleet (not part of all).
    #[arg(long, default_value = "all")]
    scenario: String,
    /// Subscribers of the fanout scenario.
    #[arg(long, default_value_t = 10_000)]
    subscribers: usize,
    /// The backend's --poll-interval, seconds.
    #[arg(long, default_value_t = 1.0)]
    interval: f64,
    /// The backend's linger after the last subscriber left, seconds (its default is 20).
    #[arg(long, default_value_t = 20.0)]
    linger: f64,
    /// Seconds measured per step.
    #[arg(long, default_value_t = 10)]
    window: u64,
    /// Subscribers ask for gzip (`Accept-Encoding: gzip`, as browsers do) in the fanout and
    /// requests scenarios; the bytes scenario measures both.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    gzip: bool,
    /// Subscriber counts of the requests scenario.
    #[arg(long, value_delimiter = ',', default_value = "1,10,100,1000")]
    counts: Vec<usize>,
    /// Fleet scenario: the N of `--demo-fleet=N`.
    #[arg(long, default_value_t = 100)]
    products: u16,
    /// Fleet scenario: the backend's --fleet-interval, seconds.
    #[arg(long, default_value_t = 5.0)]
    fleet_interval: f64,
    /// Internal: run the backend (child process).
    #[arg(long, hide = true)]
    role: Option<String>,
    /// Internal: more flags for the backend child.
    #[arg(long = "backend-arg", hide = true, allow_hyphen_values = true)]
    backend_args: Vec<String>,
    #[arg(long, hide = true)]
    dashboard_list: Option<String>,
}

fn main() {
    let opts = Opts::parse();
    raise_fd_limit();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    if opts.role.as_deref() == Some("backend") {
        rt.block_on(run_backend(opts));
        return;
    }
    rt.block_on(async move {
        // Bounded: a bench that hangs is killed after 20 minutes.
        let all = async {
            let s = opts.scenario.as_str();
            println!(
                "# bench-live {:?}",
                std::env::args().skip(1).collect::<Vec<_>>()
            );
            println!("machine: {}", machine());
            if s == "all" || s == "requests" {
                requests(&opts).await;
            }
            if s == "all" || s == "bytes" {
                bytes(&opts).await;
            }
            if s == "all" || s == "fanout" {
                fanout(&opts).await;
            }
            if s == "all" || s == "replicas" {
                replicas(&opts).await;
            }
            if s == "fleet" {
                fleet(&opts).await;
            }
        };
        if tokio::time::timeout(Duration::from_secs(1200), all)
            .await
            .is_err()
        {
            eprintln!("bench-live: gave up after 20 minutes");
            std::process::exit(2);
        }
    });
}

/// 10,000 sockets need more than the usual 1,024 descriptors: raise the soft limit to the hard one.
fn raise_fd_limit() {
    // SAFETY: getrlimit/setrlimit only read and write the struct passed by pointer.
    unsafe {
        let mut lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 {
            lim.rlim_cur = lim.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        }
    }
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_string())
        })
        .unwrap_or_default();
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .next()
                .map(|l| l.split_whitespace().nth(1).unwrap_or("").to_string())
        })
        .and_then(|kb| kb.parse::<u64>().ok())
        .map(|kb| format!("{:.1} GiB", kb as f64 / 1024.0 / 1024.0))
        .unwrap_or_default();
    format!(
        "{} cores ({cpu}), {mem} RAM",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    )
}

// ----- the backend child -----------------------------------------------------------------------

async fn run_backend(opts: Opts) {
    use clap::Parser as _;
    let list = opts.dashboard_list.clone().unwrap_or_default();
    let args = codis_fe::config::Args::try_parse_from(
        [
            "codis-fe".to_string(),
            "--listen=127.0.0.1:0".into(),
            format!("--dashboard-list={list}"),
            format!("--poll-interval={}", opts.interval),
            format!("--live-linger={}", opts.linger),
            "--log-level=none".into(),
        ]
        .into_iter()
        .chain(opts.backend_args.iter().cloned()),
    )
    .unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(2)
    });
    let server = codis_fe::server::build(&args).await.unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(2)
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    println!("LISTEN {}", listener.local_addr().expect("addr"));
    let _ = std::io::stdout().flush();
    // The parent holds our stdin: when it exits (or is killed) we exit too.
    tokio::spawn(async {
        let mut buf = [0u8; 64];
        let mut stdin = tokio::io::stdin();
        while matches!(stdin.read(&mut buf).await, Ok(n) if n > 0) {}
        std::process::exit(0);
    });
    let mut app = server.app.clone();
    if std::env::var_os("BENCH_IDLE_ROUTE").is_some() {
        // Diagnostics: a stream that sends one small event and then nothing, to measure what
        // the HTTP stack alone costs per connection.
        app = app.route(
            "/bench/idle",
            axum::routing::get(|| async {
                let first = one_event_then_nothing();
                axum::body::Body::from_stream(first)
            }),
        );
    }
    if let Ok(layers) = std::env::var("BENCH_LAYERS") {
        // Diagnostics: the API routes with only some of the server's layers.
        let mut a = codis_fe::api::router().with_state(server.state.clone());
        for l in layers.split(',') {
            a = match l {
                "trace" => a.layer(tower_http::trace::TraceLayer::new_for_http()),
                "cors" => a.layer(tower_http::cors::CorsLayer::new()),
                "reqid" => a
                    .layer(tower_http::request_id::PropagateRequestIdLayer::x_request_id())
                    .layer(tower_http::request_id::SetRequestIdLayer::x_request_id(
                        tower_http::request_id::MakeRequestUuid,
                    )),
                _ => a,
            };
        }
        app = a;
    }
    if std::env::var_os("BENCH_BARE").is_some() {
        app = axum::Router::new().route(
            "/bench/idle",
            axum::routing::get(|| async {
                axum::body::Body::from_stream(one_event_then_nothing())
            }),
        );
    }
    let diagnostics = [
        "BENCH_IDLE_ROUTE",
        "BENCH_LAYERS",
        "BENCH_BARE",
        "BENCH_AXUM",
    ]
    .iter()
    .any(|v| std::env::var_os(v).is_some());
    if diagnostics {
        // axum::serve: the router serves the event streams too (as before server::serve).
        let _ = axum::serve(listener, app).await;
    } else {
        // As codis-fe runs: event streams on the bare connection.
        let _ = codis_fe::server::serve(listener, &server, std::future::pending()).await;
    }
}

fn one_event_then_nothing(
) -> impl futures::Stream<Item = Result<axum::body::Bytes, std::convert::Infallible>> + Send {
    use futures::StreamExt as _;
    futures::stream::once(async {
        Ok(axum::body::Bytes::from_static(
            b"id: 1\nevent: snapshot\ndata: {}\n\n",
        ))
    })
    .chain(futures::stream::pending())
}

/// The backend child process.
struct Backend {
    child: tokio::process::Child,
    addr: SocketAddr,
}

impl Backend {
    async fn start(opts: &Opts, list: &support::ListFile) -> Backend {
        Backend::start_with(opts, list, &[]).await
    }

    /// A backend with more flags (`--fleet-interval=5`, ...).
    async fn start_with(opts: &Opts, list: &support::ListFile, flags: &[String]) -> Backend {
        let exe = std::env::current_exe().expect("current exe");
        let mut child = tokio::process::Command::new(exe)
            .args([
                "--role",
                "backend",
                "--dashboard-list",
                &list.0.display().to_string(),
                "--interval",
                &opts.interval.to_string(),
                "--linger",
                &opts.linger.to_string(),
            ])
            .args(flags.iter().map(|f| format!("--backend-arg={f}")))
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn backend");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = tokio::io::BufReader::new(stdout).lines();
        let addr = loop {
            match lines.next_line().await {
                Ok(Some(l)) => {
                    if let Some(a) = l.strip_prefix("LISTEN ") {
                        break a.parse().expect("backend address");
                    }
                }
                _ => panic!("the backend did not start"),
            }
        };
        Backend { child, addr }
    }

    /// CPU time (user + system) the backend process has used, seconds.
    fn cpu_secs(&self) -> f64 {
        let pid = self.child.id().unwrap_or(0);
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        // Fields after the command name (which is in parentheses): utime and stime are the
        // 12th and 13th of them, in clock ticks.
        let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
        let f: Vec<&str> = rest.split_whitespace().collect();
        let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
        // SAFETY: sysconf reads a constant.
        let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
        (ticks(11) + ticks(12)) / hz.max(1.0)
    }

    /// Resident memory of the backend process, KiB.
    fn rss_kib(&self) -> u64 {
        let pid = self.child.id().unwrap_or(0);
        std::fs::read_to_string(format!("/proc/{pid}/status"))
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("VmRSS:"))
                    .and_then(|l| l.split_whitespace().nth(1).map(str::to_string))
            })
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }
}

// ----- raw SSE subscribers ---------------------------------------------------------------------

/// What one subscriber saw.
#[derive(Default, Debug)]
struct Seen {
    connected: bool,
    snapshot_bytes: usize,
    /// Body bytes on the wire (chunk framing included) up to the end of the first snapshot.
    snapshot_wire: u64,
    /// Body bytes (chunk framing included) received while measuring.
    bytes_measured: u64,
    /// Update sequence numbers received while measuring, and gaps between them.
    first_seq: Option<u64>,
    last_seq: u64,
    updates: u64,
    gaps: u64,
    /// Snapshots after the first (resynchronisation after falling behind).
    resyncs: u64,
    /// ms from `sampled_ms` (end of the poll) to receipt, while measuring.
    delays_ms: Vec<u32>,
}

/// Shared controls of a set of subscribers.
struct Control {
    /// Ask for gzip and decode it.
    gzip: bool,
    measuring: AtomicBool,
    stop: tokio::sync::watch::Sender<bool>,
    ready: AtomicUsize,
    /// Body bytes and updates received while measuring, over every subscriber (read while
    /// they run; `Seen` has them per subscriber once they end).
    measured_bytes: AtomicU64,
    measured_updates: AtomicU64,
}

impl Control {
    /// (bytes, updates) measured since the last call.
    fn take_measured(&self) -> (u64, u64) {
        (
            self.measured_bytes.swap(0, Ordering::Relaxed),
            self.measured_updates.swap(0, Ordering::Relaxed),
        )
    }
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// One subscriber: GET the event stream, decode chunks and events until told to stop.
async fn subscriber(addr: SocketAddr, path: String, ctl: Arc<Control>) -> Seen {
    let mut seen = Seen::default();
    let mut stop = ctl.stop.subscribe();
    let Ok(mut sock) = TcpStream::connect(addr).await else {
        return seen;
    };
    let accept_encoding = if ctl.gzip {
        "Accept-Encoding: gzip, deflate\r\n"
    } else {
        ""
    };
    let req = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\n{accept_encoding}\r\n"
    );
    if sock.write_all(req.as_bytes()).await.is_err() {
        return seen;
    }
    let mut raw: Vec<u8> = Vec::with_capacity(8192);
    let mut body: Vec<u8> = Vec::new();
    // gzip: the chunked body's bytes, inflated into `body` (the 10-byte header skipped).
    let mut gz: Option<(flate2::Decompress, Vec<u8>, bool)> = None;
    let mut wire: u64 = 0;
    let mut headers_done = false;
    let mut chunk_left: usize = 0;
    let mut in_chunk = false;
    let mut snapshots = 0u64;
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = tokio::select! {
            r = sock.read(&mut buf) => match r { Ok(0) | Err(_) => break, Ok(n) => n },
            _ = stop.wait_for(|s| *s) => break,
        };
        let measuring = ctl.measuring.load(Ordering::Relaxed);
        if measuring && headers_done {
            seen.bytes_measured += n as u64;
            ctl.measured_bytes.fetch_add(n as u64, Ordering::Relaxed);
        }
        if headers_done {
            wire += n as u64;
        }
        raw.extend_from_slice(&buf[..n]);
        if !headers_done {
            let Some(i) = find(&raw, b"\r\n\r\n") else {
                continue;
            };
            if !raw.starts_with(b"HTTP/1.1 200") {
                break;
            }
            seen.connected = true;
            let head = String::from_utf8_lossy(&raw[..i]).to_ascii_lowercase();
            if head.contains("\r\ncontent-encoding: gzip") {
                gz = Some((flate2::Decompress::new(false), Vec::new(), false));
            }
            raw.drain(..i + 4);
            wire = raw.len() as u64;
            headers_done = true;
        }
        // Chunk payloads go to `body`, or through the inflater when gzip.
        let sink: &mut Vec<u8> = match &mut gz {
            Some((_, compressed, _)) => compressed,
            None => &mut body,
        };
        // Chunked transfer decoding.
        let mut pos = 0;
        loop {
            if in_chunk {
                let take = chunk_left.min(raw.len() - pos);
                sink.extend_from_slice(&raw[pos..pos + take]);
                pos += take;
                chunk_left -= take;
                if chunk_left > 0 {
                    break;
                }
                in_chunk = false;
                // The CRLF after the chunk data is handled with the next size line.
            }
            let Some(eol) = find(&raw[pos..], b"\r\n") else {
                break;
            };
            let line = &raw[pos..pos + eol];
            if line.is_empty() {
                pos += 2;
                continue;
            }
            let size = std::str::from_utf8(line)
                .ok()
                .and_then(|s| usize::from_str_radix(s.trim(), 16).ok())
                .unwrap_or(0);
            pos += eol + 2;
            if size == 0 {
                return seen;
            }
            chunk_left = size;
            in_chunk = true;
        }
        raw.drain(..pos);
        if let Some((inflater, compressed, header_skipped)) = &mut gz {
            if !inflate(inflater, compressed, header_skipped, &mut body) {
                break;
            }
        }
        // SSE events.
        while let Some(i) = find(&body, b"\n\n") {
            let block = &body[..i];
            let text = std::str::from_utf8(block).unwrap_or("");
            let mut id = None;
            let mut event = "";
            for l in text.lines().take(2) {
                if let Some(v) = l.strip_prefix("id: ") {
                    id = v.parse::<u64>().ok();
                } else if let Some(v) = l.strip_prefix("event: ") {
                    event = v;
                }
            }
            match event {
                "snapshot" => {
                    snapshots += 1;
                    if snapshots == 1 {
                        seen.snapshot_bytes = block.len() + 2;
                        seen.snapshot_wire = wire;
                        ctl.ready.fetch_add(1, Ordering::Relaxed);
                    } else {
                        seen.resyncs += 1;
                    }
                    if let Some(s) = id {
                        seen.last_seq = s;
                    }
                }
                "update" => {
                    let s = id.unwrap_or(0);
                    if measuring {
                        if seen.first_seq.is_none() {
                            seen.first_seq = Some(s);
                        } else if s != seen.last_seq + 1 {
                            seen.gaps += 1;
                        }
                        seen.updates += 1;
                        ctl.measured_updates.fetch_add(1, Ordering::Relaxed);
                        if let Some(k) = find(block, b"\"sampled_ms\":") {
                            let digits: String = text[k + 13..]
                                .chars()
                                .take_while(|c| c.is_ascii_digit())
                                .collect();
                            if let Ok(t) = digits.parse::<u64>() {
                                let d = now_ms().saturating_sub(t);
                                seen.delays_ms.push(u32::try_from(d).unwrap_or(u32::MAX));
                            }
                        }
                    }
                    seen.last_seq = s;
                }
                _ => {}
            }
            body.drain(..i + 2);
        }
        if raw.capacity() > 64 * 1024 && raw.is_empty() {
            raw.shrink_to(8192);
        }
    }
    seen
}

/// Inflates what `compressed` holds (a gzip stream in progress: the header is skipped once)
/// into `out`. False on a decoding error.
fn inflate(
    d: &mut flate2::Decompress,
    compressed: &mut Vec<u8>,
    header_skipped: &mut bool,
    out: &mut Vec<u8>,
) -> bool {
    if !*header_skipped {
        if compressed.len() < 10 {
            return true;
        }
        if compressed[..3] != [0x1f, 0x8b, 8] {
            return false;
        }
        compressed.drain(..10);
        *header_skipped = true;
    }
    let mut pos = 0;
    loop {
        out.reserve(16 * 1024);
        let before = (d.total_in(), d.total_out());
        if d.decompress_vec(&compressed[pos..], out, flate2::FlushDecompress::Sync)
            .is_err()
        {
            return false;
        }
        pos += (d.total_in() - before.0) as usize;
        // Stop when the input is used up and the output did not fill the space given.
        if pos >= compressed.len() && out.len() < out.capacity() {
            break;
        }
        if d.total_in() == before.0 && d.total_out() == before.1 {
            break;
        }
    }
    compressed.drain(..pos);
    true
}

/// Opens `n` subscribers (at most 256 connecting at once) and waits for every snapshot.
async fn open(
    n: usize,
    addr: SocketAddr,
    product: &str,
    ctl: &Arc<Control>,
) -> Vec<tokio::task::JoinHandle<Seen>> {
    let path =
        std::env::var("BENCH_PATH").unwrap_or_else(|_| format!("/api/products/{product}/events"));
    open_path(n, addr, path, ctl).await
}

/// [`open`] on any event stream.
async fn open_path(
    n: usize,
    addr: SocketAddr,
    path: String,
    ctl: &Arc<Control>,
) -> Vec<tokio::task::JoinHandle<Seen>> {
    let base = ctl.ready.load(Ordering::Relaxed);
    let mut handles = Vec::with_capacity(n);
    for i in 0..n {
        handles.push(tokio::spawn(subscriber(addr, path.clone(), ctl.clone())));
        if i % 256 == 255 {
            let target = base + i + 1;
            let deadline = Instant::now() + Duration::from_secs(30);
            while ctl.ready.load(Ordering::Relaxed) < target && Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while ctl.ready.load(Ordering::Relaxed) < base + n && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    handles
}

fn control(gzip: bool) -> Arc<Control> {
    Arc::new(Control {
        gzip,
        measuring: AtomicBool::new(false),
        stop: tokio::sync::watch::Sender::new(false),
        ready: AtomicUsize::new(0),
        measured_bytes: AtomicU64::new(0),
        measured_updates: AtomicU64::new(0),
    })
}

async fn close(ctl: &Arc<Control>, handles: Vec<tokio::task::JoinHandle<Seen>>) -> Vec<Seen> {
    ctl.stop.send_replace(true);
    let mut out = Vec::with_capacity(handles.len());
    for h in handles {
        if let Ok(s) = h.await {
            out.push(s);
        }
    }
    out
}

// ----- scenarios -------------------------------------------------------------------------------

async fn requests(opts: &Opts) {
    println!("\n## Dashboard requests per second (Small cluster, poll interval {} s, linger {} s, window {} s)", opts.interval, opts.linger, opts.window);
    println!("| subscribers | polls/s at the dashboard | other requests/s (discovery probe) | last poll after the last left | polls 30-40 s after the last left |");
    println!("|---|---|---|---|---|");
    let cluster = support::Cluster::start("codis-demo", Preset::Small).await;
    let backend = Backend::start(opts, &cluster.list).await;
    for &n in &opts.counts {
        let ctl = control(opts.gzip);
        let handles = open(n, backend.addr, cluster.product(), &ctl).await;
        let ready = ctl.ready.load(Ordering::Relaxed);
        let (polls, other) = request_rates(&cluster, opts.window).await;
        let _ = close(&ctl, handles).await;
        let left = Instant::now();
        tokio::time::sleep(Duration::from_secs(40)).await;
        let last = cluster
            .proxy
            .last_poll_at()
            .map(|t| t.saturating_duration_since(left).as_secs_f64())
            .unwrap_or(0.0);
        let late = cluster
            .proxy
            .paths_since(left + Duration::from_secs(30))
            .iter()
            .filter(|p| support::is_poll(p))
            .count();
        println!(
            "| {n} ({ready} got a snapshot) | {polls:.2} | {other:.2} | {last:.1} s | {late} |"
        );
    }
}

/// After 2 s of settling, the requests per second reaching `cluster`'s dashboard over `window`
/// seconds: (live-stats polls, other requests).
async fn request_rates(cluster: &support::Cluster, window: u64) -> (f64, f64) {
    tokio::time::sleep(Duration::from_secs(2)).await;
    let t0 = Instant::now();
    let (p0, r0) = (cluster.proxy.polls(), cluster.proxy.requests());
    tokio::time::sleep(Duration::from_secs(window)).await;
    let secs = t0.elapsed().as_secs_f64();
    let polls = (cluster.proxy.polls() - p0) as f64 / secs;
    let other = ((cluster.proxy.requests() - r0) as f64 / secs) - polls;
    (polls, other)
}

/// Replicas do not share pollers: each polls each product it has subscribers for, once per
/// interval. Measured rather than assumed: the polls reaching the dashboard with 1, 2 and 3
/// backends, each with one subscriber.
async fn replicas(opts: &Opts) {
    println!(
        "\n## Dashboard requests per second with several replicas (Small cluster, poll interval {} s, window {} s)",
        opts.interval, opts.window
    );
    println!("| replicas (one subscriber each) | polls/s at the dashboard | per replica | other requests/s (discovery probes) |");
    println!("|---|---|---|---|");
    let cluster = support::Cluster::start("codis-demo", Preset::Small).await;
    for n in [1usize, 2, 3] {
        let mut backends = Vec::new();
        let mut subscribers = Vec::new();
        for _ in 0..n {
            let backend = Backend::start(opts, &cluster.list).await;
            let ctl = control(opts.gzip);
            let handles = open(1, backend.addr, cluster.product(), &ctl).await;
            subscribers.push((ctl, handles));
            backends.push(backend);
        }
        let (polls, other) = request_rates(&cluster, opts.window).await;
        for (ctl, handles) in subscribers {
            let _ = close(&ctl, handles).await;
        }
        // Killed (kill_on_drop) before the next step's window opens.
        drop(backends);
        println!(
            "| {n} | {polls:.2} | {:.2} | {other:.2} |",
            polls / n as f64
        );
    }
}

async fn bytes(opts: &Opts) {
    println!(
        "\n## Bytes per subscriber per second (poll interval {} s, window {} s)",
        opts.interval,
        opts.window * 3
    );
    println!("| cluster | stream encoding | codis-fe tab: stats raw | gzip | per s (every 3 s) | codis-fe backend: snapshot once (wire) | updates per s (wire) | ratio | backend CPU |");
    println!("|---|---|---|---|---|---|---|---|---|");
    for (name, preset) in [("Small", Preset::Small), ("Large", Preset::Large)] {
        let cluster = support::Cluster::start("codis-demo", preset).await;
        // What one codis-fe tab downloads per poll.
        let url = format!(
            "http://{}/api/topom/stats/{}",
            cluster.demo.addr(),
            codis_model::xauth::product_xauth("codis-demo")
        );
        let client = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("client");
        let mut raw_len = 0usize;
        let mut gz_len = 0usize;
        for _ in 0..3 {
            let body = client
                .get(&url)
                .send()
                .await
                .expect("stats")
                .bytes()
                .await
                .expect("stats body");
            let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            enc.write_all(&body).expect("gzip");
            raw_len = raw_len.max(body.len());
            gz_len = gz_len.max(enc.finish().expect("gzip").len());
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        let fe_per_s = gz_len as f64 / 3.0;
        let backend = Backend::start(opts, &cluster.list).await;
        for gzip in [false, true] {
            let ctl = control(gzip);
            let handles = open(1, backend.addr, cluster.product(), &ctl).await;
            // gzip: a newcomer receives frames compressed alone until the feed's next join point
            // (every 30 frames, `LiveConfig::gzip_join_every`), then the shared chained frames;
            // measure once it has joined.
            let settle = if gzip { 33 } else { 3 };
            tokio::time::sleep(Duration::from_secs(settle)).await;
            ctl.measuring.store(true, Ordering::Relaxed);
            let cpu0 = backend.cpu_secs();
            let t0 = Instant::now();
            tokio::time::sleep(Duration::from_secs(opts.window * 3)).await;
            let secs = t0.elapsed().as_secs_f64();
            let cpu = (backend.cpu_secs() - cpu0) / secs * 1000.0;
            ctl.measuring.store(false, Ordering::Relaxed);
            let seen = close(&ctl, handles).await;
            let s = seen.first().expect("one subscriber");
            let ours = s.bytes_measured as f64 / secs;
            println!(
                "| {name} | {} | {raw_len} B | {gz_len} B | {fe_per_s:.0} B/s | {} B ({} B decoded) | {ours:.0} B/s ({} updates, {:.0} B each) | {:.1}x less | {cpu:.1} ms/s |",
                if gzip { "gzip" } else { "identity" },
                s.snapshot_wire,
                s.snapshot_bytes,
                s.updates,
                s.bytes_measured as f64 / (s.updates.max(1)) as f64,
                fe_per_s / ours.max(1.0)
            );
        }
    }
}

async fn fanout(opts: &Opts) {
    let n = opts.subscribers;
    println!(
        "\n## {n} subscribers to one product (Small cluster, poll interval {} s, gzip {})",
        opts.interval, opts.gzip
    );
    let cluster = support::Cluster::start("codis-demo", Preset::Small).await;
    let backend = Backend::start(opts, &cluster.list).await;
    // Warm: one subscriber, so the poller runs and the history exists.
    let warm = control(opts.gzip);
    let warm_handles = open(1, backend.addr, cluster.product(), &warm).await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    let rss0 = backend.rss_kib();
    let ctl = control(opts.gzip);
    let t_open = Instant::now();
    let handles = open(n, backend.addr, cluster.product(), &ctl).await;
    let ready = ctl.ready.load(Ordering::Relaxed);
    let open_secs = t_open.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let polls0 = cluster.proxy.polls();
    ctl.measuring.store(true, Ordering::Relaxed);
    let cpu0 = backend.cpu_secs();
    let t0 = Instant::now();
    let mut rss_max = 0;
    let rss_samples = AtomicU64::new(0);
    while t0.elapsed() < Duration::from_secs(opts.window * 2) {
        tokio::time::sleep(Duration::from_secs(1)).await;
        rss_max = rss_max.max(backend.rss_kib());
        rss_samples.fetch_add(1, Ordering::Relaxed);
    }
    ctl.measuring.store(false, Ordering::Relaxed);
    let polls = cluster.proxy.polls() - polls0;
    let rss1 = backend.rss_kib();
    let cpu = (backend.cpu_secs() - cpu0) / t0.elapsed().as_secs_f64();
    let seen = close(&ctl, handles).await;
    let _ = close(&warm, warm_handles).await;

    let connected = seen.iter().filter(|s| s.connected).count();
    let max_seq = seen.iter().map(|s| s.last_seq).max().unwrap_or(0);
    let min_first = seen.iter().filter_map(|s| s.first_seq).min().unwrap_or(0);
    let max_first = seen.iter().filter_map(|s| s.first_seq).max().unwrap_or(0);
    let gaps: u64 = seen.iter().map(|s| s.gaps).sum();
    let resyncs: u64 = seen.iter().map(|s| s.resyncs).sum();
    let behind = seen.iter().filter(|s| s.last_seq + 1 < max_seq).count();
    let updates: u64 = seen.iter().map(|s| s.updates).sum();
    let mut delays: Vec<u32> = seen
        .iter()
        .flat_map(|s| s.delays_ms.iter().copied())
        .collect();
    delays.sort_unstable();
    let pct = |p: f64| {
        delays
            .get(((delays.len() as f64 * p) as usize).min(delays.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0)
    };
    let per_sub = (rss1.saturating_sub(rss0)) as f64 * 1024.0 / n as f64;
    println!("| measure | value |");
    println!("|---|---|");
    println!("| subscribers connected / got a snapshot | {connected} / {ready} (opened in {open_secs:.1} s) |");
    println!(
        "| dashboard polls in {:.0} s | {polls} |",
        t0.elapsed().as_secs_f64()
    );
    println!(
        "| updates received | {updates} (first seq {min_first}..{max_first}, last {max_seq}) |"
    );
    println!("| gaps in sequence / resync snapshots / subscribers behind at the end | {gaps} / {resyncs} / {behind} |");
    println!(
        "| delay end of poll -> receipt: p50 / p90 / p99 / max | {} / {} / {} / {} ms |",
        pct(0.5),
        pct(0.9),
        pct(0.99),
        delays.last().copied().unwrap_or(0)
    );
    println!(
        "| backend RSS: 1 subscriber / {n} subscribers (end) / max | {} / {} / {} MiB |",
        rss0 / 1024,
        rss1 / 1024,
        rss_max / 1024
    );
    println!(
        "| backend memory per subscriber | {:.1} KiB ({:.0} B) |",
        per_sub / 1024.0,
        per_sub
    );
    println!(
        "| backend CPU while measuring | {:.0} % of one core |",
        cpu * 100.0
    );
    let wire: u64 = seen.iter().map(|s| s.bytes_measured).sum();
    println!(
        "| bytes received per subscriber per s | {:.0} B/s (gzip: {}) |",
        wire as f64 / n.max(1) as f64 / t0.elapsed().as_secs_f64(),
        opts.gzip
    );
}

/// The fleet (issue 16): the products of `codis-fe --demo --demo-fleet=N`, run in this process
/// (each behind a request-counting proxy) so that the backend child's CPU is its own; one
/// browser on the fleet stream, with gzip as browsers ask.
async fn fleet(opts: &Opts) {
    let interval = opts.fleet_interval;
    let mut demo = codis_fe::demo::DemoCluster::start(&[], true, 1024)
        .await
        .expect("the demo starts");
    demo.add_fleet(opts.products, true)
        .await
        .expect("the demo fleet starts");
    let mut proxies = Vec::new();
    let mut list = Vec::new();
    for (name, addr) in demo.products() {
        let proxy = support::CountingProxy::start(addr.parse().expect("demo address")).await;
        list.push(serde_json::json!({"name": name, "dashboard": proxy.addr.to_string()}));
        proxies.push(proxy);
    }
    let n = proxies.len();
    let file = support::ListFile(
        std::env::temp_dir().join(format!("codis-fe-bench-fleet-{}.json", std::process::id())),
    );
    std::fs::write(&file.0, serde_json::Value::Array(list).to_string()).expect("write list");
    let backend = Backend::start_with(opts, &file, &[format!("--fleet-interval={interval}")]).await;
    println!(
        "\n## The fleet: --demo --demo-fleet={} ({n} products), --fleet-interval={interval} s, one gzip subscriber to /api/fleet/events",
        opts.products
    );
    println!("load average at the start: {}", load_average());
    let ctl = control(true);
    let t_open = Instant::now();
    let handles = open_path(1, backend.addr, "/api/fleet/events".into(), &ctl).await;
    println!(
        "snapshot received {} ms after the stream opened",
        t_open.elapsed().as_millis()
    );
    println!("| phase | seconds | fleet reads/s at the dashboards (per product per interval) | other requests/s (discovery probes) | backend CPU (% of one core) | stream bytes/s (gzip, wire) | updates |");
    println!("|---|---|---|---|---|---|---|");
    let window = Duration::from_secs(opts.window * 6);
    // The first window: a newcomer gets frames compressed alone until the fleet's next gzip
    // join point (every 30 frames); the second: after that point, on the shared chained frames.
    let join_after = Duration::from_secs_f64(interval * 31.0);
    tokio::time::sleep(Duration::from_secs_f64(interval * 2.0)).await;
    let a = fleet_window(&proxies, &backend, &ctl, window, interval, n).await;
    println!("| newcomer (solo gzip frames) | {a} |");
    let wait = join_after.saturating_sub(t_open.elapsed());
    tokio::time::sleep(wait).await;
    let b = fleet_window(&proxies, &backend, &ctl, window, interval, n).await;
    println!("| after the join point (chained gzip frames) | {b} |");
    let seen = close(&ctl, handles).await;
    let s = seen.first().expect("one subscriber");
    println!(
        "snapshot: {} B on the wire ({} B decoded); gaps {} resyncs {}; load average at the end: {}",
        s.snapshot_wire,
        s.snapshot_bytes,
        s.gaps,
        s.resyncs,
        load_average()
    );
}

/// One measured window of the fleet scenario, as the cells of a table row.
async fn fleet_window(
    proxies: &[support::CountingProxy],
    backend: &Backend,
    ctl: &Arc<Control>,
    window: Duration,
    interval: f64,
    n: usize,
) -> String {
    let count = || {
        proxies
            .iter()
            .map(|p| (p.polls(), p.requests()))
            .fold((0, 0), |(a, b), (p, r)| (a + p, b + r))
    };
    let (p0, r0) = count();
    let cpu0 = backend.cpu_secs();
    ctl.take_measured();
    ctl.measuring.store(true, Ordering::Relaxed);
    let t0 = Instant::now();
    tokio::time::sleep(window).await;
    ctl.measuring.store(false, Ordering::Relaxed);
    let secs = t0.elapsed().as_secs_f64();
    let cpu = (backend.cpu_secs() - cpu0) / secs;
    let (p1, r1) = count();
    let polls = (p1 - p0) as f64 / secs;
    let other = (r1 - r0) as f64 / secs - polls;
    let (bytes, updates) = ctl.take_measured();
    format!(
        "{secs:.0} | {polls:.2} ({:.2}) | {other:.2} | {:.2} % | {:.0} B/s | {updates} |",
        polls * interval / n as f64,
        cpu * 100.0,
        bytes as f64 / secs
    )
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}
