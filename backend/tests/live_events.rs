//! Live stats over Server-Sent Events (issue 5), against the simulated dashboard over real HTTP.
//! Polls every 100 ms and pollers linger 300 ms, so the suite stays fast.

use codis_testkit as support;
use codis_testkit::live as live_support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use codis_demo::Preset;
use codis_fe::dashboard::DashboardClient;
use codis_fe::live::{Hub, LiveConfig};
use codis_fe::registry::Registry;
use codis_model::cause_id::CauseId;
use codis_model::live::{LiveState, LiveStatus, LiveUpdate, LiveView};
use live_support::{Cluster, Sse};

async fn backend(cluster: &Cluster) -> String {
    support::live_backend(&cluster.list_flag()).await
}

/// Upper bound for an expected event: generous, because a loaded 2-core CI machine can starve the
/// 100 ms poller for seconds; a passing run never waits this long.
const WAIT: Duration = Duration::from_secs(15);
const INTERVAL: Duration = Duration::from_millis(100);

fn events_url(base: &str, product: &str) -> String {
    format!("{base}/api/products/{product}/events")
}

#[tokio::test]
async fn first_event_is_a_snapshot_of_the_whole_view() {
    let cluster = Cluster::start("codis-demo", Preset::Small).await;
    let base = backend(&cluster).await;
    let mut sse = Sse::connect(&events_url(&base, cluster.product()), None).await;
    let h = sse.resp.headers();
    assert_eq!(h["content-type"], "text/event-stream");
    assert_eq!(h["cache-control"], "no-cache");
    assert_eq!(h["x-accel-buffering"], "no");

    let first = sse.next(WAIT).await;
    assert_eq!(first.event, "snapshot");
    let view: LiveView = first.json();
    assert_eq!(first.seq(), view.seq);
    assert!(view.seq >= 1, "the first poll is waited for");
    assert_eq!(view.product, "codis-demo");
    assert_eq!(view.status.state, LiveState::Live);
    assert!(view.status.last_ok_ms.is_some());
    assert_eq!(view.view.proxies.len(), 2);
    assert_eq!(view.view.groups.len(), 3);
    assert_eq!(view.slot_owner.len(), 1024);
    assert!(!view.dashboard.version.is_empty(), "{:?}", view.dashboard);
    assert!(view.history.cluster_qps.points().count() >= 1);
    assert_eq!(view.history.proxy_qps.len(), 2);
}

#[tokio::test]
async fn updates_carry_only_changed_rows() {
    let cluster = Cluster::start("codis-demo", Preset::Small).await;
    let base = backend(&cluster).await;
    let mut sse = Sse::connect(&events_url(&base, cluster.product()), None).await;
    let snap = sse.next(WAIT).await;
    let snapshot_len = snap.data.len();
    let mut view: LiveView = snap.json();
    let keep = 3600;
    for _ in 0..12 {
        let e = sse.next_named("update", WAIT).await;
        let u: LiveUpdate = e.json();
        assert_eq!(u.seq, view.seq + 1, "updates follow each other");
        assert_eq!(e.seq(), u.seq);
        for p in &u.proxies {
            assert_ne!(
                view.view.proxies.iter().find(|r| r.token == p.token),
                Some(p),
                "an unchanged proxy row is not sent"
            );
        }
        for g in &u.groups {
            assert_ne!(
                view.view.groups.iter().find(|r| r.id == g.id),
                Some(g),
                "an unchanged group is not sent"
            );
        }
        assert!(
            u.slot_owner.is_empty() && u.slots.is_none(),
            "slots did not move"
        );
        assert!(u.dashboard.is_none() && u.proxy_order.is_none() && u.group_order.is_none());
        assert!(
            e.data.len() * 4 < snapshot_len,
            "an update ({} B) is a fraction of the snapshot ({snapshot_len} B)",
            e.data.len()
        );
        view.apply(&u, INTERVAL.as_millis() as u64, keep);
    }
    // The patched view equals what a new subscriber is sent for the same sequence number.
    let mut other = Sse::connect(&events_url(&base, cluster.product()), None).await;
    let mut fresh: LiveView = other.next(WAIT).await.json();
    while fresh.seq < view.seq {
        let u: LiveUpdate = other.next_named("update", WAIT).await.json();
        fresh.apply(&u, INTERVAL.as_millis() as u64, keep);
    }
    while view.seq < fresh.seq {
        let u: LiveUpdate = sse.next_named("update", WAIT).await.json();
        view.apply(&u, INTERVAL.as_millis() as u64, keep);
    }
    assert_eq!(view.view, fresh.view);
    assert_eq!(view.slot_owner, fresh.slot_owner);
    assert_eq!(view.status, fresh.status);
}

#[tokio::test]
async fn many_subscribers_share_one_poll_per_interval() {
    let cluster = Cluster::start("codis-demo", Preset::Small).await;
    let base = backend(&cluster).await;
    let url = events_url(&base, cluster.product());
    let mut subs = Vec::new();
    for _ in 0..25 {
        let mut s = Sse::connect(&url, None).await;
        s.next(WAIT).await; // the snapshot
        subs.push(s);
    }
    // Twenty polls take about 20 intervals whatever the number of subscribers: with one poller
    // per subscriber they would come 25 times as fast. Waiting for the count (not for a time)
    // keeps a loaded machine from failing the test.
    let start = Instant::now();
    let before = cluster.proxy.polls();
    support::eventually("20 dashboard polls", WAIT, || async {
        cluster.proxy.polls() >= before + 20
    })
    .await;
    let took = start.elapsed();
    let polls = cluster.proxy.polls() - before;
    assert!(
        took >= INTERVAL * 17,
        "{polls} dashboard requests in {took:?} for 25 subscribers: more than one per {INTERVAL:?}"
    );
    // Every subscriber receives every update, in order, up to the same newest one.
    let newest = subs.last_mut().expect("subscribers");
    let target = newest.next_named("update", WAIT).await.seq() + 3;
    for s in &mut subs {
        let mut last: Option<u64> = None;
        loop {
            let seq = s.next_named("update", WAIT).await.seq();
            if let Some(l) = last {
                assert_eq!(seq, l + 1, "no update is skipped");
            }
            last = Some(seq);
            if seq >= target {
                break;
            }
        }
    }
}

#[tokio::test]
async fn poller_stops_after_the_last_subscriber_leaves() {
    let cluster = Cluster::start("codis-demo", Preset::Tiny).await;
    let base = backend(&cluster).await;
    let url = events_url(&base, cluster.product());
    assert_eq!(cluster.proxy.polls(), 0, "nobody watches: no polls");
    let mut a = Sse::connect(&url, None).await;
    let mut b = Sse::connect(&url, None).await;
    a.next(WAIT).await;
    b.next(WAIT).await;
    drop(a);
    // Past the linger (300 ms) polling goes on for the one subscriber left.
    let left_a = Instant::now();
    support::eventually(
        "polls after the first subscriber's linger",
        WAIT,
        || async {
            cluster
                .proxy
                .last_poll_at()
                .is_some_and(|t| t > left_a + Duration::from_millis(500))
        },
    )
    .await;
    drop(b);
    let left = Instant::now();
    // The poller stops once the linger is over: the polls go quiet (allowing one in flight).
    support::eventually("the polls to stop", WAIT, || async {
        cluster
            .proxy
            .last_poll_at()
            .is_some_and(|t| t.elapsed() > Duration::from_millis(500))
    })
    .await;
    let stopped = cluster.proxy.polls();
    let last = cluster.proxy.last_poll_at().expect("some polls");
    assert!(
        last.duration_since(left) < Duration::from_millis(600),
        "the last poll came {:?} after the last subscriber left",
        last.duration_since(left)
    );
    // One of the few sleeps left: that nothing happens can only be watched for a while (five
    // intervals past the quiet half second above).
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(cluster.proxy.polls(), stopped, "no poll after the linger");
    // A new subscriber starts it again, with a fresh snapshot.
    let mut c = Sse::connect(&url, None).await;
    let snap = c.next(WAIT).await;
    assert_eq!(snap.event, "snapshot");
    let view: LiveView = snap.json();
    assert_eq!(view.status.state, LiveState::Live);
    c.next_named("update", WAIT).await;
    assert!(cluster.proxy.polls() > stopped);
}

#[tokio::test]
async fn dashboard_outage_sends_unreachable_status_then_live_again() {
    let cluster = Cluster::start("codis-demo", Preset::Tiny).await;
    let base = backend(&cluster).await;
    let mut sse = Sse::connect(&events_url(&base, cluster.product()), None).await;
    let snap: LiveView = sse.next(WAIT).await.json();
    assert_eq!(snap.status.state, LiveState::Live);
    let last = sse.next_named("update", WAIT).await.seq();

    cluster.demo.stop().await;
    let down = sse.next_named("status", WAIT).await;
    let status: LiveStatus = down.json();
    assert_eq!(status.state, LiveState::Unreachable);
    assert!(status.message.as_ref().is_some_and(|m| !m.is_empty()));
    let last_ok = status.last_ok_ms.expect("the age of the data");
    assert!(down.seq() >= last);
    // While down, status keeps coming (backing off) with the same data age.
    let again: LiveStatus = sse.next_named("status", WAIT).await.json();
    assert_eq!(again.state, LiveState::Unreachable);
    assert_eq!(again.last_ok_ms, Some(last_ok));
    // Beside the English text, the reason as data, which the console words in the viewer's
    // language (docs/i18n.md, "The live banner and the alert centre").
    assert!(status.cause.is_some(), "{status:?}");
    assert_eq!(
        again.cause,
        // The address the backend polls: the counting proxy in front of the dashboard, which
        // closes each connection it cannot pass on.
        Some(CauseId::DashboardUnreachable {
            addr: cluster.proxy.addr.to_string()
        }),
        "{:?}",
        again.message
    );

    cluster.demo.restart().await.expect("restart");
    let up: LiveStatus = sse.next_named("status", WAIT).await.json();
    assert_eq!(up.state, LiveState::Live);
    assert!(up.last_ok_ms.is_some_and(|t| t > last_ok));
    let u: LiveUpdate = sse.next_named("update", WAIT).await.json();
    assert!(u.seq > last);
}

#[tokio::test]
async fn reconnect_with_last_event_id_resumes_without_snapshot() {
    let cluster = Cluster::start("codis-demo", Preset::Tiny).await;
    let base = backend(&cluster).await;
    let url = events_url(&base, cluster.product());
    // Someone else keeps the product watched while our tab reconnects.
    let mut other = Sse::connect(&url, None).await;
    other.next(WAIT).await;
    let mut sse = Sse::connect(&url, None).await;
    sse.next(WAIT).await;
    let last = sse.next_named("update", WAIT).await.seq();
    drop(sse);
    // The stream moves on while our tab is away (the other subscriber sees two more updates).
    while other.next_named("update", WAIT).await.seq() < last + 2 {}

    let mut resumed = Sse::connect(&url, Some(last)).await;
    let first = resumed.next(WAIT).await;
    assert_eq!(first.event, "update", "missed updates, not a snapshot");
    assert_eq!(first.seq(), last + 1);
    let mut seq = first.seq();
    loop {
        let e = resumed.next(WAIT).await;
        assert_ne!(e.event, "snapshot");
        if e.event == "status" {
            assert_eq!(e.json::<LiveStatus>().state, LiveState::Live);
            break;
        }
        assert_eq!(e.seq(), seq + 1, "no update is skipped");
        seq = e.seq();
    }
    assert!(seq >= last + 2, "about 3 updates were missed");
    let next = resumed.next_named("update", WAIT).await;
    assert_eq!(next.seq(), seq + 1);

    // An id from the future (a restarted backend) gets a snapshot.
    let mut fresh = Sse::connect(&url, Some(seq + 1000)).await;
    assert_eq!(fresh.next(WAIT).await.event, "snapshot");
}

#[tokio::test]
async fn lagging_subscriber_gets_a_fresh_snapshot() {
    let cluster = Cluster::start("codis-demo", Preset::Tiny).await;
    let client = DashboardClient::new(Duration::from_secs(2));
    let registry = Registry::new(None, client.clone());
    registry.add_fixed(cluster.product(), &cluster.proxy.addr.to_string());
    registry.refresh().await;
    let config = LiveConfig {
        buffer: 4,
        replay: 4,
        ..LiveConfig::default().with_interval(
            INTERVAL,
            Duration::from_secs(60),
            Duration::from_millis(300),
        )
    };
    let hub = Hub::new(registry, client, config);
    let mut sub = hub.subscribe(cluster.product(), None).await;
    let mut kinds = Vec::new();
    let mut last = axum::body::Bytes::new();
    for _ in 0..3 {
        let b = tokio::time::timeout(WAIT, sub.next())
            .await
            .expect("an event")
            .expect("open");
        kinds.push(event_name(&b));
        last = b;
    }
    assert_eq!(kinds[..2], ["", "snapshot"], "retry prelude, snapshot");
    assert_eq!(kinds[2], "update", "{:?}", String::from_utf8_lossy(&last));
    // Read nothing for 10 polls: more than the 4 events the subscriber may fall behind.
    let polls = cluster.proxy.polls();
    support::eventually("10 more polls", WAIT, || async {
        cluster.proxy.polls() >= polls + 10
    })
    .await;
    let b = tokio::time::timeout(WAIT, sub.next())
        .await
        .expect("an event")
        .expect("open");
    assert_eq!(
        event_name(&b),
        "snapshot",
        "a fresh snapshot, not stale updates"
    );
    let text = String::from_utf8_lossy(&b);
    let data = text
        .lines()
        .find_map(|l| l.strip_prefix("data: "))
        .expect("data");
    let view: LiveView = serde_json::from_str(data).expect("a LiveView");
    assert!(view.seq >= 9);
    let b = tokio::time::timeout(WAIT, sub.next())
        .await
        .expect("an event")
        .expect("open");
    assert_eq!(event_name(&b), "update");
    let feed = hub.feed(cluster.product()).expect("feed");
    assert_eq!(feed.lagged.load(std::sync::atomic::Ordering::Relaxed), 1);
    // Beyond the replay buffer (4 updates here), a resume is a snapshot too.
    let (_rx, start) = feed.start(Some(view.seq - 8)).await;
    assert!(matches!(start, codis_fe::live::feed::Start::Snapshot(_)));
    let (_rx, start) = feed.start(Some(feed.view().seq - 2)).await;
    assert!(matches!(start, codis_fe::live::feed::Start::Resume(f) if f.len() == 3));
    drop(sub);
    assert_eq!(hub.subscribers(), 0);
    let _ = Arc::clone(&hub);
}

fn event_name(frame: &[u8]) -> String {
    String::from_utf8_lossy(frame)
        .lines()
        .find_map(|l| l.strip_prefix("event: ").map(str::to_string))
        .unwrap_or_default()
}

#[tokio::test]
async fn unknown_product_is_a_404_with_the_api_error_body() {
    let cluster = Cluster::start("codis-demo", Preset::Tiny).await;
    let base = backend(&cluster).await;
    let resp = reqwest::get(events_url(&base, "nope"))
        .await
        .expect("request");
    assert_eq!(resp.status(), 404);
    let body: serde_json::Value = resp.json().await.expect("json");
    assert_eq!(body["error"]["kind"], "unknown_product");
    assert_eq!(cluster.proxy.polls(), 0);
}
