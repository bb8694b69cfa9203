//! Event streams as `codis-fe` serves them (`server::serve`: the stream on the bare connection,
//! everything else through hyper and the router), gzip-compressed streams, and Chromium's
//! EventSource decoding them.

use codis_testkit as support;
use codis_testkit::live as live_support;

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use codis_demo::Preset;
use codis_fe::{config::Args, server};
use codis_model::live::{LiveUpdate, LiveView};
use live_support::{Cluster, Sse};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const WAIT: Duration = Duration::from_secs(5);

/// A backend served by `server::serve`, as `codis-fe` runs; `stop` shuts it down gracefully.
struct Served {
    addr: SocketAddr,
    state: Arc<codis_fe::state::AppState>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    done: tokio::task::JoinHandle<()>,
}

impl Served {
    async fn start(extra: &[&str]) -> Served {
        let mut argv = vec!["codis-fe".to_string(), "--listen=127.0.0.1:0".to_string()];
        argv.extend(extra.iter().map(|s| s.to_string()));
        let args = Args::try_parse_from(argv).expect("flags parse");
        let server = server::build(&args).await.expect("server builds");
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let state = server.state.clone();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let done = tokio::spawn(async move {
            let live = server.state.live.clone();
            server::serve(listener, &server, async move {
                let _ = stopped.await;
                live.shutdown();
            })
            .await
            .expect("serve");
        });
        Served {
            addr,
            state,
            stop: Some(stop),
            done,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Shuts down as on SIGTERM; returns once every connection is closed.
    async fn stop(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        tokio::time::timeout(WAIT, &mut self.done)
            .await
            .expect("the server drains in time (streams end on shutdown)")
            .expect("serve task");
    }
}

/// One raw HTTP/1.1 request; returns the response head and the first body bytes read.
async fn raw_get(addr: SocketAddr, path: &str, headers: &str) -> (String, Vec<u8>) {
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n{headers}\r\n");
    s.write_all(req.as_bytes()).await.expect("write");
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = tokio::time::timeout(WAIT, s.read(&mut buf))
            .await
            .expect("response in time")
            .expect("read");
        got.extend_from_slice(&buf[..n]);
        if let Some(i) = got.windows(4).position(|w| w == b"\r\n\r\n") {
            if n == 0 || got.len() > i + 4 {
                let head = String::from_utf8_lossy(&got[..i]).to_ascii_lowercase();
                return (head, got[i + 4..].to_vec());
            }
        }
        if n == 0 {
            return (String::from_utf8_lossy(&got).to_ascii_lowercase(), vec![]);
        }
    }
}

#[tokio::test]
async fn the_bare_stream_carries_cors_request_id_and_gzip_and_the_rest_goes_to_the_router() {
    let cluster = Cluster::start("codis-demo", Preset::Small).await;
    let served = Served::start(&[
        &cluster.list_flag(),
        "--poll-interval=0.1",
        "--live-linger=0.3",
        "--log-level=none",
        "--cors-origins=https://console.example",
    ])
    .await;
    let events = format!("/api/products/{}/events", cluster.product());

    // An allowed origin (the console on a CDN) gets Access-Control-Allow-Origin on the stream.
    let (head, _) = raw_get(
        served.addr,
        &events,
        "Origin: https://console.example\r\nAccept-Encoding: gzip, deflate\r\nX-Request-Id: r-1\r\n",
    )
    .await;
    assert!(head.starts_with("http/1.1 200"), "{head}");
    for line in [
        "content-type: text/event-stream",
        "cache-control: no-cache",
        "content-encoding: gzip",
        "access-control-allow-origin: https://console.example",
        "x-request-id: r-1",
        "transfer-encoding: chunked",
    ] {
        assert!(head.contains(&format!("\r\n{line}")), "{line} in\n{head}");
    }
    // Another origin does not; without Accept-Encoding the stream is not compressed; a request
    // id is made up when none is sent.
    let (head, body) = raw_get(served.addr, &events, "Origin: https://evil.example\r\n").await;
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(!head.contains("access-control-allow-origin"), "{head}");
    assert!(!head.contains("content-encoding"), "{head}");
    assert!(head.contains("\r\nx-request-id: "), "{head}");
    assert!(String::from_utf8_lossy(&body).contains("retry: 2000"));

    // Through the router, as before: an unknown product is the API's 404, other routes work on
    // the same listener, and a query string still gets a stream.
    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    let r = client
        .get(served.url("/api/products/nope/events"))
        .send()
        .await
        .expect("404");
    assert_eq!(r.status(), 404);
    assert!(r.text().await.expect("body").contains("nope"));
    let r = client
        .get(served.url("/api/products"))
        .header("origin", "https://console.example")
        .send()
        .await
        .expect("products");
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["access-control-allow-origin"],
        "https://console.example"
    );
    assert!(r.headers().contains_key("x-request-id"));
    let mut q = Sse::connect(&served.url(&format!("{events}?x=1")), None).await;
    assert_eq!(q.next(WAIT).await.event, "snapshot");
    // A CORS preflight is the router's (the bare path only takes GET).
    let r = client
        .request(reqwest::Method::OPTIONS, served.url(&events))
        .header("origin", "https://console.example")
        .header("access-control-request-method", "GET")
        .send()
        .await
        .expect("preflight");
    assert_eq!(
        r.headers()["access-control-allow-origin"],
        "https://console.example"
    );

    // The gzip stream through reqwest (which asks for gzip and decodes it): snapshot, then
    // updates in sequence that apply to it, across a join point (every 30 frames = 3 s).
    // (reqwest removes Content-Encoding once it decodes; the counters below show gzip.)
    let gzip0 = gzip_streams(&served);
    let mut sse = Sse::connect(&served.url(&events), None).await;
    assert_eq!(gzip_streams(&served), gzip0 + 1);
    let first = sse.next(WAIT).await;
    assert_eq!(first.event, "snapshot");
    let mut view: LiveView = first.json();
    let keep = 600;
    let joins0 = joins(&served);
    for _ in 0..45 {
        let e = sse.next_named("update", WAIT).await;
        let u: LiveUpdate = e.json();
        assert_eq!(u.seq, view.seq + 1, "no update missed or repeated");
        view.apply(&u, 100, keep);
    }
    assert!(
        joins(&served) > joins0,
        "the stream switched to the chained frames"
    );

    // Graceful shutdown ends the open streams and returns.
    served.stop().await;
    drop(q);
}

fn gzip_streams(served: &Served) -> u64 {
    served
        .state
        .live
        .gzip_subscriptions_total
        .load(Ordering::Relaxed)
}

fn joins(served: &Served) -> u64 {
    served
        .state
        .live
        .feeds()
        .iter()
        .map(|f| f.gzip_joins.load(Ordering::Relaxed))
        .sum()
}

/// Chromium's EventSource decodes the gzip stream: every event arrives, in order, as valid JSON,
/// before and after the switch to the shared chained frames.
#[tokio::test]
async fn chromium_eventsource_decodes_the_gzip_stream() {
    let assets = format!("--assets-dir={}", support::dist_dir().display());
    let served =
        Served::start(&["--demo", "--poll-interval=0.1", "--log-level=none", &assets]).await;
    // The reference: the same events, uncompressed, from an in-process subscriber.
    let mut plain = served.state.live.subscribe("codis-demo", None).await;
    let (stop_ref, mut stopped) = tokio::sync::oneshot::channel::<()>();
    let reference = tokio::spawn(async move {
        let mut frames = std::collections::HashMap::new();
        loop {
            let b = tokio::select! {
                b = plain.next() => b,
                _ = &mut stopped => break,
            };
            let Some(b) = b else { break };
            let text = String::from_utf8(b.to_vec()).expect("utf8");
            let field = |name: &str| {
                text.lines()
                    .find_map(|l| l.strip_prefix(name))
                    .map(str::to_string)
            };
            if let (Some(id), Some(event), Some(data)) =
                (field("id: "), field("event: "), field("data: "))
            {
                // Several status events can carry one id (the sequence they follow: "waiting"
                // then "live" after the same update), so a key holds every frame sent with it.
                frames
                    .entry((event, id))
                    .or_insert_with(Vec::new)
                    .push(data);
            }
        }
        frames
    });
    let browser = support::browser::Browser::start().await;
    // A page of the backend's origin (the console's home page: it opens no stream until a
    // product is chosen), whose policy lets it connect to its own origin: other answers, such as
    // /healthz, carry `default-src 'none'` and may not open a stream.
    browser
        .client
        .goto(&served.url("/"))
        .await
        .expect("navigate");
    browser
        .js(
            r#"
            const rec = { events: [], errors: 0, opens: 0 };
            window.__live = rec;
            const es = new EventSource('/api/products/codis-demo/events');
            window.__es = es;
            es.onopen = () => rec.opens++;
            es.onerror = () => rec.errors++;
            for (const type of ['snapshot', 'update', 'status']) {
                es.addEventListener(type, (e) => {
                    let seq = null, ok = false;
                    try { seq = JSON.parse(e.data).seq; ok = true; } catch (_) {}
                    rec.events.push({ type, id: e.lastEventId, seq, ok, data: e.data });
                });
            }
            return true;
            "#,
            vec![],
        )
        .await;
    // 50 updates at 10 polls a second: across at least one join point (every 3 s).
    support::eventually(
        "50 updates in the browser",
        Duration::from_secs(30),
        || async {
            browser
                .js(
                    "return window.__live.events.filter(e => e.type === 'update').length >= 50;",
                    vec![],
                )
                .await
                == json!(true)
        },
    )
    .await;
    let rec = browser
        .js(
            "window.__es.close(); return window.__live;",
            vec![json!(null)],
        )
        .await;
    browser.close().await;
    let events = rec["events"].as_array().expect("events");
    assert_eq!(
        rec["errors"], 0,
        "no error (a decoding error would be one): {rec}"
    );
    assert_eq!(rec["opens"], 1, "one connection: {rec}");
    assert_eq!(events[0]["type"], "snapshot", "{rec}");
    let updates: Vec<&serde_json::Value> =
        events.iter().filter(|e| e["type"] == "update").collect();
    assert!(updates.len() >= 40, "{} updates: {rec}", updates.len());
    assert!(events.iter().all(|e| e["ok"] == true), "valid JSON: {rec}");
    // Byte for byte what was sent (a wrong back-reference can still decode to valid JSON).
    let _ = stop_ref.send(());
    let frames = reference.await.expect("reference");
    for e in events {
        let key = (
            e["type"].as_str().expect("type").to_string(),
            e["id"].as_str().expect("id").to_string(),
        );
        if let Some(sent) = frames.get(&key) {
            let data = e["data"].as_str().expect("data");
            assert!(
                sent.iter().any(|s| s == data),
                "{key:?}: {data} is none of the frames sent with it: {sent:?}"
            );
        } else {
            assert_eq!(key.0, "snapshot", "{key:?} was sent to the reference too");
        }
    }
    let mut seq = events[0]["seq"].as_u64().expect("snapshot seq");
    for u in &updates {
        let s = u["seq"].as_u64().expect("seq");
        assert_eq!(s, seq + 1, "updates in sequence: {rec}");
        assert_eq!(u["id"], s.to_string());
        seq = s;
    }
    assert_eq!(gzip_streams(&served), 1, "Chromium asked for gzip");
    assert!(
        joins(&served) >= 1,
        "Chromium's stream used the chained frames"
    );
    served.stop().await;
}
