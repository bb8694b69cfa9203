//! Several codis-fe replicas behind one load balancer, as README's "Deploying several replicas"
//! configures them: two backends sharing `--session-key-file` (and so `KEYFILE.revoked`) and the
//! users file, behind a real nginx with a round-robin `upstream`. A sign-in on one replica is
//! honoured by the other (reads, and actions with its CSRF token), a sign-out on one is honoured
//! by the other, and an open event stream on either replica ends at the sign-out.

use codis_testkit as support;
use support::TestApp;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use codis_demo::Preset;
use reqwest::{header, StatusCode};
use serde_json::json;
use support::http;
use support::live::Sse;
use support::nginx::Nginx;

/// README's upstream of several replicas, round-robin (nginx's default).
fn upstream(replicas: &[SocketAddr]) -> String {
    let servers: String = replicas
        .iter()
        .map(|a| format!("        server {a};\n"))
        .collect();
    format!("    upstream codis_fe {{\n{servers}        keepalive 16;\n    }}")
}

/// README's location block, with a header naming the replica that answered (the test's own: it
/// tells which replica served each request).
const LOCATION: &str = "        location / {
            proxy_pass http://codis_fe;
            proxy_http_version 1.1;
            proxy_set_header Connection \"\";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_buffering off;
            proxy_read_timeout 1h;
            add_header X-Replica $upstream_addr always;
        }";

/// The replica that answered `resp` (its address, as nginx's `$upstream_addr`).
fn replica(resp: &reqwest::Response) -> String {
    resp.headers()
        .get("x-replica")
        .and_then(|v| v.to_str().ok())
        .expect("nginx names the replica")
        .to_string()
}

/// Sends `req` until each replica has answered it once (round-robin alternates, so two or
/// three tries); returns each replica's status. Fails if they do not both answer in 8 tries.
async fn on_each_replica(
    make: impl Fn() -> reqwest::RequestBuilder,
) -> HashMap<String, StatusCode> {
    let mut seen = HashMap::new();
    for _ in 0..8 {
        let resp = make().send().await.expect("request through nginx");
        seen.insert(replica(&resp), resp.status());
        if seen.len() == 2 {
            return seen;
        }
    }
    panic!("round-robin did not reach both replicas in 8 requests: {seen:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_sharing_the_session_key_honour_each_others_sign_in_and_sign_out() {
    // One cluster, watched by both replicas.
    let (_dashboard, list) = support::demo_with_list(Preset::Tiny).await;
    // One users file and one session key (and so one `key.revoked`) for both replicas.
    let sign_in = support::OperatorSignIn::new("replicas");
    let start = || {
        TestApp::builder()
            .dashboards(&list)
            .operator_sign_in(&sign_in)
            .flag("--poll-interval=0.2")
            .quiet()
            .start()
    };
    let a = start().await.addr;
    let b = start().await.addr;
    let nginx = Nginx::start_with("replicas", &upstream(&[a, b]), LOCATION).await;
    let base = nginx.origin();

    // Sign in through nginx: one replica makes the session.
    let support::SignedIn { cookie, csrf, .. } = support::sign_in(
        &http(),
        &base,
        support::OPERATOR,
        support::OPERATOR_PASSWORD,
    )
    .await;

    // Both replicas honour it: reads, and actions with its CSRF token.
    let me = on_each_replica(|| {
        http()
            .get(format!("{base}/api/me"))
            .header(header::COOKIE, &cookie)
    })
    .await;
    assert!(me.values().all(|s| *s == StatusCode::OK), "{me:?}");
    let gid = std::sync::atomic::AtomicU32::new(7);
    let acted = on_each_replica(|| {
        let g = gid.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        http()
            .post(format!("{base}/api/products/codis-demo/actions"))
            .header(header::COOKIE, &cookie)
            .header("x-csrf-token", &csrf)
            .json(&json!({"action": "group-create", "gid": g}))
    })
    .await;
    assert!(acted.values().all(|s| *s == StatusCode::OK), "{acted:?}");

    // An event stream open on each replica (a client without a total timeout: streams last).
    let streaming = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    let mut streams: HashMap<String, Sse> = HashMap::new();
    for _ in 0..8 {
        let url = format!("{base}/api/products/codis-demo/events");
        let mut sse = Sse::open(&streaming, &url, Some(&cookie)).await;
        let on = replica(&sse.resp);
        let first = sse.names(1, Duration::from_secs(10)).await;
        assert_eq!(first.first().map(|(n, _)| n.as_str()), Some("snapshot"));
        streams.entry(on).or_insert(sse);
        if streams.len() == 2 {
            break;
        }
    }
    assert_eq!(streams.len(), 2, "an event stream on each replica");

    // Sign out through nginx, on whichever replica it lands.
    let signout = http()
        .delete(format!("{base}/api/session"))
        .header(header::COOKIE, &cookie)
        .header("x-csrf-token", &csrf)
        .send()
        .await
        .expect("sign out");
    assert_eq!(signout.status(), StatusCode::NO_CONTENT);
    let signed_out_on = replica(&signout);

    // Both open streams end: on that replica at once, on the other once it has read the shared
    // revocation file (every second). Each ends with a complete body: reqwest asks for gzip and
    // checks the gzip trailer, so a stream cut short or without its trailer is an error here.
    for (on, mut sse) in streams {
        let ended = tokio::time::timeout(Duration::from_secs(10), async {
            while sse.next_event().await.is_some() {}
        })
        .await;
        assert!(
            ended.is_ok(),
            "the stream on {on} (sign-out on {signed_out_on}) still open 10 s after the sign-out"
        );
        assert_eq!(sse.error, None, "the stream on {on} ended cleanly");
    }
    // And both replicas refuse the saved cookie.
    let after = on_each_replica(|| {
        http()
            .get(format!("{base}/api/me"))
            .header(header::COOKIE, &cookie)
    })
    .await;
    assert!(
        after.values().all(|s| *s == StatusCode::UNAUTHORIZED),
        "{after:?}"
    );
}
