//! Pieces of the live-stats tests (and of the `bench-live` program, which includes this file):
//! a simulated dashboard behind a request-counting TCP proxy, registered with a backend through a
//! `--dashboard-list` file, and a small Server-Sent Events client over reqwest.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use codis_demo::{DemoDashboard, DemoOptions, Preset};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A TCP proxy in front of a dashboard that counts the HTTP requests passing through it (every
/// request the backend makes is a bodiless `GET`, so a request line starts every request).
pub struct CountingProxy {
    pub addr: SocketAddr,
    count: Arc<AtomicU64>,
    /// (when, request path) of every request, in order.
    log: Arc<Mutex<Vec<(Instant, String)>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for CountingProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl CountingProxy {
    pub async fn start(upstream: SocketAddr) -> CountingProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let addr = listener.local_addr().expect("proxy addr");
        let count = Arc::new(AtomicU64::new(0));
        let log = Arc::new(Mutex::new(Vec::new()));
        let (c, l) = (count.clone(), log.clone());
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let (c, l) = (c.clone(), l.clone());
                tokio::spawn(async move {
                    let Ok(server) = TcpStream::connect(upstream).await else {
                        return; // the dashboard is down: the client sees the connection close
                    };
                    pipe(client, server, c, l).await;
                });
            }
        });
        CountingProxy {
            addr,
            count,
            log,
            task,
        }
    }

    /// Requests seen so far.
    pub fn requests(&self) -> u64 {
        self.count.load(Ordering::SeqCst)
    }

    /// Polls of the live stats seen so far: `/topom` and `/api/topom/stats/..` (discovery's
    /// probe of `/api/topom/model` every few seconds is not one).
    pub fn polls(&self) -> u64 {
        self.log
            .lock()
            .map(|l| l.iter().filter(|(_, p)| is_poll(p)).count() as u64)
            .unwrap_or(0)
    }

    /// Paths of the requests made since `since`.
    pub fn paths_since(&self, since: Instant) -> Vec<String> {
        self.log
            .lock()
            .map(|l| {
                l.iter()
                    .filter(|(t, _)| *t >= since)
                    .map(|(_, p)| p.clone())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// When the last poll was made.
    pub fn last_poll_at(&self) -> Option<Instant> {
        self.log
            .lock()
            .ok()
            .and_then(|l| l.iter().rev().find(|(_, p)| is_poll(p)).map(|(t, _)| *t))
    }
}

/// A live-stats poll (as opposed to a discovery probe).
pub fn is_poll(path: &str) -> bool {
    path == "/topom" || path.starts_with("/api/topom/stats/")
}

async fn pipe(
    client: TcpStream,
    server: TcpStream,
    count: Arc<AtomicU64>,
    log: Arc<Mutex<Vec<(Instant, String)>>>,
) {
    let (mut cr, mut cw) = client.into_split();
    let (mut sr, mut sw) = server.into_split();
    let up = async move {
        let mut buf = vec![0u8; 16 * 1024];
        // The tail of the previous read, so a request line split across reads is still seen.
        let mut carry: Vec<u8> = Vec::new();
        loop {
            let n = match cr.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            carry.extend_from_slice(&buf[..n]);
            let mut from = 0;
            while let Some(i) = find(&carry[from..], b"GET /") {
                let start = from + i;
                let at_line_start = start == 0 || carry[start - 1] == b'\n';
                let Some(end) = find(&carry[start..], b"\r\n") else {
                    break;
                };
                if at_line_start {
                    let line = String::from_utf8_lossy(&carry[start + 4..start + end]);
                    let path = line.split(' ').next().unwrap_or("").to_string();
                    count.fetch_add(1, Ordering::SeqCst);
                    if let Ok(mut l) = log.lock() {
                        l.push((Instant::now(), path));
                    }
                }
                from = start + end;
            }
            let keep = carry.len().saturating_sub(from).min(256);
            carry.drain(..carry.len() - keep);
            if sw.write_all(&buf[..n]).await.is_err() {
                break;
            }
        }
        let _ = sw.shutdown().await;
    };
    let down = async move {
        let _ = tokio::io::copy(&mut sr, &mut cw).await;
        let _ = cw.shutdown().await;
    };
    tokio::join!(up, down);
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// A `--dashboard-list` file, removed on drop.
pub struct ListFile(pub PathBuf);

impl ListFile {
    pub fn new(product: &str, dashboard: SocketAddr) -> ListFile {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let path =
            std::env::temp_dir().join(format!("codis-fe-live-{}-{nanos}.json", std::process::id()));
        let json = serde_json::json!([{ "name": product, "dashboard": dashboard.to_string() }]);
        std::fs::write(&path, json.to_string()).expect("write dashboard list");
        ListFile(path)
    }
}

impl Drop for ListFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// A simulated dashboard behind a counting proxy, and the flag that registers it.
pub struct Cluster {
    pub demo: DemoDashboard,
    pub proxy: CountingProxy,
    pub list: ListFile,
}

impl Cluster {
    pub async fn start(product: &str, preset: Preset) -> Cluster {
        let demo = DemoDashboard::start(DemoOptions {
            product: product.to_string(),
            preset,
            seed: 1,
            step: Duration::from_millis(10),
        })
        .await
        .expect("demo dashboard starts");
        let proxy = CountingProxy::start(demo.addr()).await;
        let list = ListFile::new(product, proxy.addr);
        Cluster { demo, proxy, list }
    }

    pub fn product(&self) -> &str {
        self.demo.product()
    }

    /// `--dashboard-list=<file>`.
    pub fn list_flag(&self) -> String {
        format!("--dashboard-list={}", self.list.0.display())
    }
}

/// One Server-Sent Event.
#[derive(Clone, Debug, Default)]
pub struct Event {
    pub id: Option<String>,
    pub event: String,
    pub data: String,
}

impl Event {
    pub fn seq(&self) -> u64 {
        self.id
            .as_deref()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("event without a numeric id: {self:?}"))
    }

    pub fn json<T: serde::de::DeserializeOwned>(&self) -> T {
        serde_json::from_str(&self.data)
            .unwrap_or_else(|e| panic!("{} event is not the expected JSON: {e}", self.event))
    }
}

/// An event-stream reader over reqwest (response chunks split into events at blank lines).
pub struct Sse {
    pub resp: reqwest::Response,
    buf: Vec<u8>,
    /// Bytes received so far (headers excluded).
    pub bytes: u64,
    /// Why the body failed, if it did: a body cut short, or a gzip body without its trailer or
    /// with a wrong checksum (reqwest decodes gzip and checks both). `None` while it is open or
    /// after a complete end.
    pub error: Option<String>,
}

impl Sse {
    pub async fn connect(url: &str, last_event_id: Option<u64>) -> Sse {
        let client = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("client");
        let mut req = client.get(url).header("accept", "text/event-stream");
        if let Some(id) = last_event_id {
            req = req.header("last-event-id", id.to_string());
        }
        let resp = req.send().await.expect("events request");
        assert_eq!(resp.status(), 200, "GET {url}");
        Sse::new(resp)
    }

    /// Opens the event stream at `url` with `client` (TLS, HTTP/2, through a proxy), sending
    /// `cookie` if given; fails unless it answers 200. Its response is [`resp`](Self::resp).
    pub async fn open(client: &reqwest::Client, url: &str, cookie: Option<&str>) -> Sse {
        let mut req = client.get(url).header("accept", "text/event-stream");
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        let resp = req.send().await.expect("events request");
        assert_eq!(resp.status(), 200, "GET {url}");
        Sse::new(resp)
    }

    /// A reader of the event stream `resp` answered (opened by the test with its own client:
    /// TLS, HTTP/2, a cookie, through a proxy).
    pub fn new(resp: reqwest::Response) -> Sse {
        Sse {
            resp,
            buf: Vec::new(),
            bytes: 0,
            error: None,
        }
    }

    /// The names of the next `n` events other than `status` (the poller's state, which comes
    /// when it comes), each with the time it was read, or fewer if `within` passes or the stream
    /// ends first. Events read past the `n`th (one chunk may carry a snapshot and the next update
    /// together) stay for the next call.
    pub async fn names(&mut self, n: usize, within: Duration) -> Vec<(String, Instant)> {
        let deadline = Instant::now() + within;
        let mut out = Vec::new();
        while out.len() < n {
            let left = deadline.saturating_duration_since(Instant::now());
            let Ok(Some(e)) = tokio::time::timeout(left, self.next_event()).await else {
                break;
            };
            if e.event != "status" {
                out.push((e.event, Instant::now()));
            }
        }
        out
    }

    /// The next event (comments and `retry:`-only blocks skipped); panics after `within`.
    pub async fn next(&mut self, within: Duration) -> Event {
        tokio::time::timeout(within, self.next_event())
            .await
            .unwrap_or_else(|_| panic!("no event within {within:?}"))
            .expect("the stream stays open")
    }

    /// The next event of this name, skipping others; panics after `within`.
    pub async fn next_named(&mut self, name: &str, within: Duration) -> Event {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let e = self.next(left).await;
            if e.event == name {
                return e;
            }
        }
    }

    /// The next event, or `None` when the stream ends (see [`error`](Self::error) for how).
    pub async fn next_event(&mut self) -> Option<Event> {
        loop {
            if let Some(i) = find(&self.buf, b"\n\n") {
                let block: Vec<u8> = self.buf.drain(..i + 2).collect();
                let text = String::from_utf8_lossy(&block);
                let mut e = Event::default();
                let mut has = false;
                for line in text.lines() {
                    if let Some(v) = line.strip_prefix("id: ") {
                        e.id = Some(v.to_string());
                    } else if let Some(v) = line.strip_prefix("event: ") {
                        e.event = v.to_string();
                        has = true;
                    } else if let Some(v) = line.strip_prefix("data: ") {
                        if !e.data.is_empty() {
                            e.data.push('\n');
                        }
                        e.data.push_str(v);
                        has = true;
                    }
                }
                if has {
                    if e.event.is_empty() {
                        e.event = "message".into();
                    }
                    return Some(e);
                }
                continue;
            }
            match self.resp.chunk().await {
                Ok(Some(c)) => {
                    self.bytes += c.len() as u64;
                    self.buf.extend_from_slice(&c);
                }
                Ok(None) => return None,
                Err(e) => {
                    self.error = Some(format!("{e:?}"));
                    return None;
                }
            }
        }
    }
}
