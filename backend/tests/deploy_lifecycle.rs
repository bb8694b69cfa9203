//! The life cycle of the real binary on SIGTERM: `/readyz` goes 503 first while everything is
//! still served (`--shutdown-delay`), then accepting stops, open event streams end (the browser
//! reconnects elsewhere; a gzip stream ends with its trailer), an action in flight finishes and
//! is audited, and the process exits 0.

use codis_testkit as support;

use std::process::Command;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;
use support::process::Spawned;

async fn status(url: &str) -> Option<StatusCode> {
    support::http()
        .get(url)
        .send()
        .await
        .ok()
        .map(|r| r.status())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_turns_readyz_off_first_ends_streams_finishes_the_action_and_exits_0() {
    let dir = std::env::temp_dir().join(format!("codis-fe-life-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let audit = dir.join("audit.log");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_codis-fe"));
    cmd.args([
        "--demo",
        "--demo-noise=off",
        // Every dashboard answer takes 1.5 s: an action is in flight for that long.
        "--demo-fault=slow:1500ms",
        "--log-level=ERROR",
        "--shutdown-delay=1",
        "--shutdown-timeout=10",
        &format!("--audit-log={}", audit.display()),
    ]);
    let mut child = Spawned::start(cmd, "127.0.0.1");
    let port = child.port;
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while status(&format!("{base}/readyz")).await != Some(StatusCode::OK) {
        assert!(Instant::now() < deadline, "not ready within 30 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // An open event stream, gzip as browsers ask for it, read raw (its first bytes arrived:
    // subscribed). Decoded at the end, in one go, trailer and checksum included.
    let mut stream = reqwest::Client::builder()
        .no_proxy()
        .no_gzip()
        .build()
        .expect("client")
        .get(format!("{base}/api/products/codis-demo/events"))
        .header("accept", "text/event-stream")
        .header("accept-encoding", "gzip")
        .send()
        .await
        .expect("events");
    assert_eq!(stream.status(), StatusCode::OK);
    assert_eq!(stream.headers()["content-encoding"], "gzip");
    let mut gzipped = tokio::time::timeout(Duration::from_secs(10), stream.chunk())
        .await
        .expect("first bytes")
        .expect("read")
        .expect("a chunk")
        .to_vec();

    let term = Command::new("kill")
        .args(["-TERM", &child.pid().to_string()])
        .status()
        .expect("kill");
    assert!(term.success());
    // First /readyz goes 503, while the rest is still served.
    let deadline = Instant::now() + Duration::from_secs(5);
    while status(&format!("{base}/readyz")).await != Some(StatusCode::SERVICE_UNAVAILABLE) {
        assert!(
            Instant::now() < deadline,
            "/readyz stayed 200 after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        status(&format!("{base}/healthz")).await,
        Some(StatusCode::OK)
    );
    // An action, started within the delay; it takes 1.5 s, so it is in flight when accepting
    // stops at the end of the 1 s delay.
    let started = Instant::now();
    let action = tokio::spawn({
        let base = base.clone();
        async move {
            reqwest::Client::builder()
                .no_proxy()
                .build()
                .expect("client")
                .post(format!("{base}/api/products/codis-demo/actions"))
                .json(&json!({"action": "group-create", "gid": 7}))
                .send()
                .await
        }
    });

    // The stream ends (a clean end of the body, not a reset), after the delay.
    let ended = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match stream.chunk().await {
                Ok(Some(c)) => gzipped.extend_from_slice(&c),
                Ok(None) => return Ok(()),
                Err(e) => return Err(e),
            }
        }
    })
    .await
    .expect("the stream ended within 10 s");
    assert!(ended.is_ok(), "the stream ended cleanly: {ended:?}");
    // A complete gzip body: it decodes to its end with the trailer's CRC-32 and length checked
    // (a body cut short or a wrong checksum is an error here), and holds the events.
    let mut text = String::new();
    let decoded =
        std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&gzipped[..]), &mut text);
    assert!(
        decoded.is_ok(),
        "the gzip stream is complete: {decoded:?} ({} bytes)",
        gzipped.len()
    );
    assert!(text.starts_with("retry: "), "{text}");
    assert!(text.contains("event: snapshot"), "{text}");

    let resp = action
        .await
        .expect("task")
        .expect("the action in flight was answered");
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        started.elapsed() >= Duration::from_millis(1500),
        "the action did wait on the slow dashboard"
    );

    // Exit 0, the audit line written, and nothing listening any more.
    let deadline = Instant::now() + Duration::from_secs(15);
    let code = loop {
        if let Some(s) = child.child.try_wait().expect("wait") {
            break s;
        }
        assert!(
            Instant::now() < deadline,
            "still running 15 s after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(code.code(), Some(0), "{code:?}");
    let log = std::fs::read_to_string(&audit).expect("audit log");
    let entry: serde_json::Value = log
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|e| e.to_string().contains("group-create"))
        .unwrap_or_else(|| panic!("no audit line for the action: {log}"));
    assert_eq!(entry["outcome"], "allowed", "{entry}");
    assert_eq!(entry["status"], 200, "{entry}");
    assert!(status(&format!("{base}/healthz")).await.is_none());
    let _ = std::fs::remove_dir_all(&dir);
}
