//! Debounced health and the frozen-dashboard status (issue 13, items 1 and 2), on the live stream
//! of a backend polling the simulated dashboard every 100 ms over real HTTP.
//!
//! A failure counts once per dashboard sample (the dashboard stamps each with its second), so the
//! demo's glitches ("the next N samples") give exact sample counts however fast the backend polls.

use codis_testkit as support;
use codis_testkit::live as live_support;

use std::time::{Duration, Instant};

use codis_demo::{Fault, Preset};
use codis_model::derive::Health;
use codis_model::live::{LiveState, LiveStatus, LiveUpdate, LiveView};
use live_support::{Cluster, Sse};

/// Upper bound for an expected event (a loaded 2-core machine can starve the poller); a passing
/// run never waits this long.
const WAIT: Duration = Duration::from_secs(20);

fn events_url(base: &str, product: &str) -> String {
    format!("{base}/api/products/{product}/events")
}

/// The view as a browser holds it: the snapshot with every update and status applied.
struct Watched {
    sse: Sse,
    view: LiveView,
}

impl Watched {
    async fn start(base: &str, product: &str) -> Watched {
        let mut sse = Sse::connect(&events_url(base, product), None).await;
        let view: LiveView = sse.next(WAIT).await.json();
        assert_eq!(view.status.state, LiveState::Live);
        Watched { sse, view }
    }

    /// Applies events until `done` holds for the view (then returns it), calling `each` on every
    /// view on the way.
    async fn until(
        &mut self,
        what: &str,
        mut each: impl FnMut(&LiveView),
        done: impl Fn(&LiveView) -> bool,
    ) {
        let deadline = Instant::now() + WAIT;
        while !done(&self.view) {
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(!left.is_zero(), "{what}: not seen within {WAIT:?}");
            let e = self.sse.next(left).await;
            match e.event.as_str() {
                "update" => self.view.apply(&e.json::<LiveUpdate>(), 100, 600),
                "status" => self.view.status = e.json::<LiveStatus>(),
                "snapshot" => self.view = e.json(),
                _ => {}
            }
            each(&self.view);
        }
    }
}

fn sentinel(v: &LiveView, addr: &str) -> (Health, Option<String>) {
    let r = v
        .view
        .sentinels
        .rows
        .iter()
        .find(|r| r.server == addr)
        .expect("the sentinel's row");
    (r.status, r.error.clone())
}

fn proxy(v: &LiveView, token: &str) -> Health {
    v.view
        .proxies
        .iter()
        .find(|p| p.token == token)
        .expect("the proxy's row")
        .status
}

fn server(v: &LiveView, addr: &str) -> Health {
    v.view
        .groups
        .iter()
        .flat_map(|g| &g.servers)
        .find(|s| s.server == addr)
        .expect("the server's row")
        .status
}

#[tokio::test]
async fn a_one_sample_failure_shows_flaky_never_error_and_recovers_at_once() {
    let cluster = Cluster::start("codis-demo", Preset::Small).await;
    let base = support::live_backend(&cluster.list_flag()).await;
    let mut w = Watched::start(&base, cluster.product()).await;
    let s_addr = w.view.view.sentinels.rows[0].server.clone();
    let token = w.view.view.proxies[0].token.clone();
    let r_addr = w.view.view.groups[1].servers[1].server.clone();
    assert_eq!(sentinel(&w.view, &s_addr).0, Health::Healthy);

    // Codis 3.2.2's closed-connection error in one sample, a late proxy stats fetch (#1446) and
    // an EOF right after SLAVEOF, each for one dashboard sample.
    cluster
        .demo
        .glitch(Fault::SentinelClosedConn(s_addr.clone()), 1);
    cluster.demo.glitch(Fault::ProxyTimeout(0), 1);
    cluster.demo.glitch(Fault::ServerEof(r_addr.clone()), 1);

    // Every view on the way is recorded: none may show an alarm.
    let mut alarms = Vec::new();
    let states = |v: &LiveView| [sentinel(v, &s_addr).0, proxy(v, &token), server(v, &r_addr)];
    w.until(
        "all three flaky",
        |v| {
            if states(v).iter().any(|h| h.is_alarm()) {
                alarms.push(states(v));
            }
        },
        |v| states(v) == [Health::Flaky; 3],
    )
    .await;
    let (_, error) = sentinel(&w.view, &s_addr);
    let error = error.expect("a flaky sentinel carries its last error");
    assert!(
        error.contains("use of closed network connection"),
        "{error}"
    );
    let row = &w.view.view.sentinels.rows[0];
    assert!(
        row.status_text.starts_with("masters="),
        "a flaky sentinel keeps its last good data: {row:?}"
    );

    w.until(
        "the recovery",
        |v| {
            if states(v).iter().any(|h| h.is_alarm()) {
                alarms.push(states(v));
            }
        },
        |v| states(v) == [Health::Healthy; 3],
    )
    .await;
    assert!(
        alarms.is_empty(),
        "one failed sample is never an error: {alarms:?}"
    );
    assert_eq!(
        sentinel(&w.view, &s_addr).1,
        None,
        "recovered: no error left"
    );
}

#[tokio::test]
async fn a_failure_that_lasts_three_samples_turns_to_error() {
    let cluster = Cluster::start("codis-demo", Preset::Small).await;
    let base = support::live_backend(&cluster.list_flag()).await;
    let mut w = Watched::start(&base, cluster.product()).await;
    let addr = w.view.view.sentinels.rows[1].server.clone();

    cluster
        .demo
        .set_fault(Fault::SentinelClosedConn(addr.clone()));
    let mut first_failure = None;
    w.until(
        "the first failed sample",
        |v| first_failure = Some(sentinel(v, &addr).0).filter(|h| *h != Health::Healthy),
        |v| sentinel(v, &addr).0 != Health::Healthy,
    )
    .await;
    assert_eq!(
        first_failure,
        Some(Health::Flaky),
        "the first failed sample is flaky, not an error"
    );
    let mut flaky_views = 1;
    w.until(
        "the confirmed error",
        |v| flaky_views += usize::from(sentinel(v, &addr).0 == Health::Flaky),
        |v| sentinel(v, &addr).0 == Health::Error,
    )
    .await;
    assert!(
        flaky_views >= 2,
        "flaky for the first samples, an error only from the third: {flaky_views} flaky views"
    );
    let (_, error) = sentinel(&w.view, &addr);
    assert!(error.is_some_and(|e| e.contains("use of closed network connection")));

    // Recovery is immediate: the next good sample is healthy.
    cluster
        .demo
        .clear_fault(&Fault::SentinelClosedConn(addr.clone()));
    w.until(
        "the recovery",
        |v| {
            let h = sentinel(v, &addr).0;
            assert!(
                h == Health::Error || h == Health::Healthy,
                "straight back: {h:?}"
            );
        },
        |v| sentinel(v, &addr).0 == Health::Healthy,
    )
    .await;
}

#[tokio::test]
async fn a_frozen_dashboard_is_reported_waiting_within_two_intervals() {
    let cluster = Cluster::start("codis-demo", Preset::Tiny).await;
    let base = support::live_backend(&cluster.list_flag()).await;
    let mut sse = Sse::connect(&events_url(&base, cluster.product()), None).await;
    let snap: LiveView = sse.next(WAIT).await.json();
    assert_eq!(snap.status.state, LiveState::Live);
    sse.next_named("update", WAIT).await;

    // Every answer now takes 30 s: the poll in flight outlives its 5 s timeout.
    let frozen_at = Instant::now();
    cluster
        .demo
        .set_fault(Fault::DashboardSlow(Duration::from_secs(30)));
    // A loaded machine can make a poll late before the fault too (a "waiting" then a "live"
    // status, both correct); a "live" status still in the stream is from then, so skip it.
    let first: LiveStatus = loop {
        let status: LiveStatus = sse.next_named("status", WAIT).await.json();
        if status.state != LiveState::Live {
            break status;
        }
    };
    let after = frozen_at.elapsed();
    assert_eq!(
        first.state,
        LiveState::Waiting,
        "said before the poll times out: {first:?}"
    );
    assert!(
        after < Duration::from_secs(4),
        "2 intervals are 200 ms; the poll's own timeout is 5 s: {after:?}"
    );
    assert!(first.message.is_some_and(|m| m.contains("waiting")));
    let last_ok = first.last_ok_ms.expect("the age of the data on screen");
    assert!(last_ok > 0);

    // The poll then times out: unreachable, with the same data age.
    let down: LiveStatus = sse.next_named("status", WAIT).await.json();
    assert_eq!(down.state, LiveState::Unreachable);
    assert_eq!(down.last_ok_ms, Some(last_ok));

    cluster
        .demo
        .clear_fault(&Fault::DashboardSlow(Duration::from_secs(30)));
    // A poll started before the fault was cleared may still time out once more.
    let deadline = Instant::now() + WAIT;
    loop {
        let s: LiveStatus = sse.next_named("status", WAIT).await.json();
        if s.state == LiveState::Live {
            break;
        }
        assert_eq!(s.state, LiveState::Unreachable);
        assert!(Instant::now() < deadline, "live again after the freeze");
    }
}
