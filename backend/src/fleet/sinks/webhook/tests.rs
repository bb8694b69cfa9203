//! Each webhook format byte for byte against a local HTTP receiver, with a pinned clock. The
//! expected signatures were computed apart from this code, with Python's hmac, hashlib and base64
//! following the vendors' documentation (cited in the module).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{OriginalUri, State};
use axum::http::StatusCode;
use codis_model::alerts::{Alert, AlertState, Transition};

use super::*;

/// 2023-11-14T22:15:00.123Z.
const NOW_MS: u64 = 1_700_000_100_123;
const SECRET: &str = "SECdemo0123456789";

#[derive(Clone, Default)]
struct Received {
    calls: Arc<Mutex<Vec<(String, String)>>>,
    /// Answers 500 this many times first.
    fail_first: Arc<Mutex<u32>>,
}

async fn receive(
    State(r): State<Received>,
    OriginalUri(uri): OriginalUri,
    body: String,
) -> (StatusCode, &'static str) {
    {
        let mut fail = r.fail_first.lock().unwrap();
        if *fail > 0 {
            *fail -= 1;
            return (StatusCode::INTERNAL_SERVER_ERROR, "down");
        }
    }
    r.calls.lock().unwrap().push((uri.to_string(), body));
    (StatusCode::OK, r#"{"errcode":0,"errmsg":"ok"}"#)
}

async fn receiver() -> (String, Received) {
    let r = Received::default();
    let app = axum::Router::new()
        .fallback(axum::routing::post(receive))
        .with_state(r.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), r)
}

fn alert(state: AlertState) -> Alert {
    Alert {
        product: "codis-a".into(),
        rule: "proxy_down".into(),
        item: "p1".into(),
        labels: [("proxy".to_string(), "p1".to_string())]
            .into_iter()
            .collect(),
        severity: "critical".into(),
        summary: "proxy p1 is down".into(),
        args: Default::default(),
        state,
        active_since_ms: 1_700_000_000_000,
        firing_since_ms: Some(1_700_000_060_000),
        resolved_ms: (state == AlertState::Resolved).then_some(1_700_000_090_000),
    }
}

fn sender(format: Format, url: String, secret: Option<&str>) -> Sender {
    let mut s = Sender::new(
        Webhook {
            name: "test".into(),
            format,
            url,
            secret: secret.map(String::from),
        },
        Some("https://codis.example/".into()),
        reqwest::Client::new(),
        Arc::new(|| NOW_MS),
    );
    s.retry_base = Duration::from_millis(10);
    s
}

/// Fires, fires again (deduplicated), resolves: the receiver's calls.
async fn told(format: Format, path: &str, secret: Option<&str>) -> Vec<(String, String)> {
    let (origin, r) = receiver().await;
    let (tx, rx) = mpsc::channel(8);
    let task = tokio::spawn(sender(format, format!("{origin}{path}"), secret).run(rx));
    tx.send(Msg::Change(Box::new(Transition::Fired(alert(
        AlertState::Firing,
    )))))
    .await
    .unwrap();
    tx.send(Msg::Change(Box::new(Transition::Fired(alert(
        AlertState::Firing,
    )))))
    .await
    .unwrap();
    tx.send(Msg::Change(Box::new(Transition::Resolved(alert(
        AlertState::Resolved,
    )))))
    .await
    .unwrap();
    drop(tx);
    task.await.unwrap();
    let calls = r.calls.lock().unwrap().clone();
    calls
}

#[tokio::test]
async fn generic_json() {
    let calls = told(Format::Json, "/hook", None).await;
    assert_eq!(
        calls.len(),
        2,
        "fired once (the repeat is deduplicated), resolved once"
    );
    assert_eq!(calls[0].0, "/hook");
    assert_eq!(
        calls[0].1,
        r#"{"active_since_ms":1700000000000,"firing_since_ms":1700000060000,"item":"p1","labels":{"proxy":"p1"},"product":"codis-a","rule":"proxy_down","severity":"critical","state":"firing","status":"firing","summary":"proxy p1 is down","url":"https://codis.example/p/codis-a"}"#
    );
    assert_eq!(
        calls[1].1,
        r#"{"active_since_ms":1700000000000,"firing_since_ms":1700000060000,"item":"p1","labels":{"proxy":"p1"},"product":"codis-a","resolved_ms":1700000090000,"rule":"proxy_down","severity":"critical","state":"resolved","status":"resolved","summary":"proxy p1 is down","url":"https://codis.example/p/codis-a"}"#
    );
}

#[tokio::test]
async fn slack() {
    let calls = told(Format::Slack, "/services/T0/B0/x", None).await;
    assert_eq!(
        calls,
        [
            ("/services/T0/B0/x".to_string(), r#"{"text":"[FIRING] codis-a proxy_down (critical)\nproxy p1 is down\nhttps://codis.example/p/codis-a"}"#.to_string()),
            ("/services/T0/B0/x".to_string(), r#"{"text":"[RESOLVED] codis-a proxy_down (critical)\nproxy p1 is down\nhttps://codis.example/p/codis-a"}"#.to_string()),
        ]
    );
}

#[tokio::test]
async fn dingtalk_signed_url() {
    let calls = told(
        Format::DingTalk,
        "/robot/send?access_token=t0k",
        Some(SECRET),
    )
    .await;
    assert_eq!(calls.len(), 2);
    assert_eq!(
        calls[0].0,
        "/robot/send?access_token=t0k&timestamp=1700000100123&sign=DYVIqbqdwghrwUf7uRICNWjFl0Z2k%2BaO2YblWN5K%2FuQ%3D"
    );
    assert_eq!(
        calls[0].1,
        r####"{"markdown":{"text":"### [FIRING] codis-a proxy_down (critical)\nproxy p1 is down\n\n[codis-a](https://codis.example/p/codis-a)","title":"[FIRING] codis-a proxy_down (critical)"},"msgtype":"markdown"}"####
    );
}

#[tokio::test]
async fn wecom_markdown() {
    let calls = told(Format::WeCom, "/cgi-bin/webhook/send?key=k3y", None).await;
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0].0, "/cgi-bin/webhook/send?key=k3y");
    assert_eq!(
        calls[1].1,
        r####"{"markdown":{"content":"### [RESOLVED] codis-a proxy_down (critical)\nproxy p1 is down\n\n[codis-a](https://codis.example/p/codis-a)"},"msgtype":"markdown"}"####
    );
}

#[tokio::test]
async fn feishu_signed_body() {
    let calls = told(Format::Feishu, "/open-apis/bot/v2/hook/h00k", Some(SECRET)).await;
    assert_eq!(calls.len(), 2);
    assert_eq!(
        calls[0].1,
        r#"{"content":{"text":"[FIRING] codis-a proxy_down (critical)\nproxy p1 is down\nhttps://codis.example/p/codis-a"},"msg_type":"text","sign":"gqWyMqNbAYGxJbKdgIhrb/TVc+5KUoK6X9CkTBhnpH8=","timestamp":"1700000100"}"#
    );
}

#[tokio::test]
async fn a_failing_receiver_is_retried_with_backoff_and_told_once() {
    let (origin, r) = receiver().await;
    *r.fail_first.lock().unwrap() = 2;
    let (tx, rx) = mpsc::channel(8);
    let task = tokio::spawn(sender(Format::Slack, format!("{origin}/x"), None).run(rx));
    tx.send(Msg::Change(Box::new(Transition::Fired(alert(
        AlertState::Firing,
    )))))
    .await
    .unwrap();
    drop(tx);
    task.await.unwrap();
    assert_eq!(
        r.calls.lock().unwrap().len(),
        1,
        "delivered on the third try"
    );
    assert_eq!(*r.fail_first.lock().unwrap(), 0);
}

#[tokio::test]
async fn a_bot_error_code_is_a_failure_and_a_dead_receiver_is_given_up() {
    assert!(bot_error(r#"{"errcode":310000,"errmsg":"sign not match"}"#).is_some());
    assert!(bot_error(r#"{"code":19021,"msg":"sign match fail"}"#).is_some());
    assert!(bot_error(r#"{"errcode":0,"errmsg":"ok"}"#).is_none());
    // Nothing listens: five tries, then the sender goes on to the next message.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let (tx, rx) = mpsc::channel(8);
    let task =
        tokio::spawn(sender(Format::Json, format!("http://127.0.0.1:{port}/x"), None).run(rx));
    tx.send(Msg::Change(Box::new(Transition::Fired(alert(
        AlertState::Firing,
    )))))
    .await
    .unwrap();
    drop(tx);
    tokio::time::timeout(Duration::from_secs(30), task)
        .await
        .expect("gives up")
        .unwrap();
}
