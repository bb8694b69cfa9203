//! The poll loop of one product: one dashboard request per interval while someone watches.
//!
//! * Each interval: `GET /api/topom/stats/{xauth}`. When the dashboard's own facts are due (at
//!   start, every [`overview_every`](super::LiveConfig::overview_every), and after an error) the
//!   tick reads `GET /topom` instead, whose `stats` is the same document: still one request.
//! * Every call has a deadline ([`poll_timeout`](super::LiveConfig::poll_timeout)).
//! * After a failure the next attempt waits one interval, then twice that, up to the backoff cap
//!   (1, 2, 4, 8, 15 s by default), and every failed attempt publishes a `status` event
//!   (`unreachable`, the error, and `last_ok_ms` for the data's age).
//! * Data is `stale` when the dashboard answers but reports itself closed, or its own samples
//!   (the `unixtime` of proxy and server samples) stop advancing.
//! * When no poll has answered for two intervals while one is still waiting, a `waiting` status
//!   goes out at once (a frozen dashboard is not shown "live" until the poll times out).
//! * Health is debounced ([`HealthTracker`]): a proxy, server or sentinel turns to error only
//!   after [`health`](super::LiveConfig::health) confirms it; until then it is `flaky`.
//! * The loop ends [`linger`](super::LiveConfig::linger) after the last subscriber left.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use codis_model::cause_id::CauseId;
use codis_model::derive::HealthTracker;
use codis_model::live::{DashboardInfo, LiveState, LiveStatus, LiveView};
use codis_model::{Overview, Stats};

use super::feed::Feed;
use super::hub::Hub;
use super::LiveConfig;
use crate::dashboard::CallError;
use crate::registry::now_ms;

/// What the loop remembers between polls. The fleet poller (`crate::fleet`) keeps one per
/// product it reads itself, so both derive a sample the same way ([`PollState::sample`]).
#[derive(Default)]
pub(crate) struct PollState {
    /// Failure history of every proxy, server and sentinel (debounced health).
    health: HealthTracker,
    /// When a poll last answered.
    answered_at: Option<Instant>,
    info: Option<DashboardInfo>,
    info_at: Option<Instant>,
    /// Consecutive failed polls.
    failures: u32,
    /// Newest `unixtime` of the dashboard's own samples seen so far.
    newest_sample: Option<i64>,
    /// When `newest_sample` last advanced (our clock, and Unix ms for the status).
    fresh_at: Option<Instant>,
    fresh_ms: u64,
}

/// Runs until nobody has watched the product for `linger`.
pub async fn run(hub: Arc<Hub>, feed: Arc<Feed>) {
    let config = hub.config.clone();
    let mut p = PollState::new(&config);
    let mut next = Instant::now();
    let mut first = true;
    tracing::debug!(product = %feed.product, "live poller started");
    loop {
        // Sleep until the next poll; stop instead if nobody subscribed for `linger`.
        if !feed.wait_until(next, config.linger).await {
            hub.forget_if_gone(&feed);
            tracing::debug!(product = %feed.product, "live poller stopped: no subscribers");
            return;
        }
        // Two intervals after the last answer, a poll still in flight is reported at once
        // (not after a previous failure: the dashboard is already reported unreachable then).
        let waiting_at = p
            .answered_at
            .filter(|_| p.failures == 0)
            .map(|t| t + config.interval * 2);
        let ok = {
            let poll = poll_once(&hub, &feed, &config, &mut p);
            tokio::pin!(poll);
            match waiting_at {
                Some(at) => tokio::select! {
                    ok = &mut poll => ok,
                    _ = tokio::time::sleep_until(at.into()) => {
                        publish_waiting(&feed, &config);
                        poll.await
                    }
                },
                None => poll.await,
            }
        };
        if first {
            feed.first_outcome();
            first = false;
        }
        let now = Instant::now();
        next = if ok {
            // Fixed rate; ticks missed by a slow poll are skipped, not bunched.
            let n = next + config.interval;
            if n <= now {
                now + config.interval
            } else {
                n
            }
        } else {
            now + config.backoff(p.failures)
        };
    }
}

/// One poll; publishes a sample or a status. Returns whether the dashboard answered.
async fn poll_once(hub: &Hub, feed: &Feed, config: &LiveConfig, p: &mut PollState) -> bool {
    let addr = hub.registry.dashboard_of(&feed.product);
    let result = match &addr {
        Some(addr) => fetch(hub, config, p, &feed.product, addr).await,
        None => Err(CallError::BadResponse(format!(
            "product {} is no longer discovered",
            feed.product
        ))),
    };
    match result {
        Ok(stats) => {
            feed.polls.fetch_add(1, Ordering::Relaxed);
            let view = p.sample(stats, &feed.product, config);
            feed.publish_sample(config, view);
            true
        }
        Err(e) => {
            feed.poll_errors.fetch_add(1, Ordering::Relaxed);
            p.failures = p.failures.saturating_add(1);
            if p.failures == 1 {
                tracing::warn!(product = %feed.product, error = %e, "live poll failed");
            }
            let last_ok_ms = feed.view().status.last_ok_ms;
            feed.publish_status(LiveStatus {
                state: LiveState::Unreachable,
                message: Some(e.to_string()),
                cause: Some(poll_cause(&e, addr.as_deref(), &feed.product)),
                last_ok_ms,
            });
            false
        }
    }
}

/// A poll has been waiting for more than two intervals since the last answer: says so at once,
/// with the age of the data on screen.
fn publish_waiting(feed: &Feed, config: &LiveConfig) {
    let last_ok_ms = feed.view().status.last_ok_ms;
    tracing::debug!(product = %feed.product, "live poll waiting for the dashboard");
    let ms = u64::try_from((config.interval * 2).as_millis()).unwrap_or(u64::MAX);
    feed.publish_status(LiveStatus {
        state: LiveState::Waiting,
        message: Some(format!(
            "no answer within {ms} ms (two poll intervals); still waiting"
        )),
        cause: Some(CauseId::NoAnswer { ms }),
        last_ok_ms,
    });
}

/// Why a poll of `product`'s dashboard (at `addr`, `None` when no longer discovered) failed, as
/// the id the console words in the viewer's language (the error bodies' `cause`); the English
/// text of `e` goes beside it.
pub(crate) fn poll_cause(e: &CallError, addr: Option<&str>, product: &str) -> CauseId {
    let Some(addr) = addr else {
        return CauseId::NotDiscovered {
            product: product.to_string(),
        };
    };
    match e {
        CallError::Timeout(a) => CauseId::DashboardTimeout { addr: a.clone() },
        CallError::Unreachable(a) => CauseId::DashboardUnreachable { addr: a.clone() },
        CallError::Busy(_) => CauseId::DashboardBusy,
        CallError::Refused(_) => CauseId::DashboardRefused {
            addr: addr.to_string(),
        },
        CallError::BadResponse(_) => CauseId::DashboardBadResponse {
            addr: addr.to_string(),
        },
    }
}

/// The tick's one request: `/topom` when the dashboard's facts are due, else the stats.
pub(crate) async fn fetch(
    hub: &Hub,
    config: &LiveConfig,
    p: &mut PollState,
    product: &str,
    addr: &str,
) -> Result<Stats, CallError> {
    let overview_due = p.info.is_none()
        || p.failures > 0
        || p.info_at
            .is_none_or(|t| t.elapsed() >= config.overview_every);
    let stats = if overview_due {
        let o: Overview = hub
            .client
            .get_within(addr, "/topom", config.poll_timeout)
            .await?;
        p.info = Some(DashboardInfo::from_overview(&o));
        p.info_at = Some(Instant::now());
        o.stats
    } else {
        let xauth = codis_model::xauth::product_xauth(product);
        hub.client
            .get_within(
                addr,
                &format!("/api/topom/stats/{xauth}"),
                config.poll_timeout,
            )
            .await?
    };
    // Discovery need not probe a dashboard that just answered.
    hub.registry.answered(product, addr);
    Ok(stats)
}

impl PollState {
    pub(crate) fn new(config: &LiveConfig) -> PollState {
        PollState {
            health: HealthTracker::new(config.health),
            ..PollState::default()
        }
    }

    /// The view of a sample that answered (debounced health, status; `seq` 0, no history).
    pub(crate) fn sample(
        &mut self,
        mut stats: Stats,
        product: &str,
        config: &LiveConfig,
    ) -> LiveView {
        stats.strip_stacks();
        self.failures = 0;
        self.answered_at = Some(Instant::now());
        let sampled_ms = now_ms();
        let status = self.status_of(&stats, sampled_ms, config);
        let info = self.info.clone().unwrap_or_default();
        let (derived, smoothed) = self.health.view(stats, product, sampled_ms);
        let mut view = LiveView::from_view(product, 0, sampled_ms, info, derived, &smoothed);
        self.health.remember(smoothed);
        view.status = status;
        view
    }

    /// Counts a failed poll.
    pub(crate) fn failed(&mut self) {
        self.failures = self.failures.saturating_add(1);
    }

    /// `live`, or `stale` when the dashboard is closed or its samples stopped advancing.
    fn status_of(&mut self, stats: &Stats, sampled_ms: u64, config: &LiveConfig) -> LiveStatus {
        let newest = newest_sample(stats);
        if self.fresh_at.is_none() || newest > self.newest_sample {
            self.newest_sample = newest;
            self.fresh_at = Some(Instant::now());
            self.fresh_ms = sampled_ms;
        }
        let frozen_for = self.fresh_at.map(|t| t.elapsed()).unwrap_or_default();
        let stale = if stats.closed {
            Some((
                "the dashboard reports itself closed (shutting down)".to_string(),
                CauseId::DashboardClosed,
            ))
        } else if newest.is_some() && frozen_for > config.stale_after {
            let secs = frozen_for.as_secs();
            Some((
                format!("the dashboard's samples have not advanced for {secs} s"),
                CauseId::SamplesFrozen { secs },
            ))
        } else {
            None
        };
        match stale {
            Some((message, cause)) => LiveStatus {
                state: LiveState::Stale,
                message: Some(message),
                cause: Some(cause),
                last_ok_ms: Some(self.fresh_ms),
            },
            None => LiveStatus {
                state: LiveState::Live,
                message: None,
                cause: None,
                last_ok_ms: Some(sampled_ms),
            },
        }
    }
}

/// The newest `unixtime` of the dashboard's proxy, server and sentinel samples.
fn newest_sample(stats: &Stats) -> Option<i64> {
    let proxies = stats.proxy.stats.values().map(|s| s.unixtime);
    let servers = stats.group.stats.values().map(|s| s.unixtime);
    let sentinels = stats.sentinels.stats.values().map(|s| s.unixtime);
    proxies
        .chain(servers)
        .chain(sentinels)
        .filter(|t| *t > 0)
        .max()
}

#[cfg(test)]
mod tests {
    use super::*;
    use codis_model::ProxyStats;
    use std::time::Duration;

    fn stats_at(unixtime: i64) -> Stats {
        let mut s = Stats::default();
        s.proxy.stats.insert(
            "t".into(),
            ProxyStats {
                unixtime,
                ..ProxyStats::default()
            },
        );
        s
    }

    #[test]
    fn frozen_samples_make_the_data_stale_and_closed_is_stale_at_once() {
        let config = LiveConfig {
            stale_after: Duration::from_millis(30),
            ..LiveConfig::default()
        };
        let mut p = PollState {
            health: HealthTracker::new(config.health),
            ..PollState::default()
        };
        assert_eq!(
            p.status_of(&stats_at(100), 1_000, &config).state,
            LiveState::Live
        );
        std::thread::sleep(Duration::from_millis(50));
        let s = p.status_of(&stats_at(100), 2_000, &config);
        assert_eq!(s.state, LiveState::Stale);
        assert!(
            matches!(s.cause, Some(CauseId::SamplesFrozen { .. })),
            "{s:?}"
        );
        assert_eq!(
            s.last_ok_ms,
            Some(1_000),
            "age counts from the last fresh sample"
        );
        let s = p.status_of(&stats_at(101), 3_000, &config);
        assert_eq!((s.state, s.last_ok_ms), (LiveState::Live, Some(3_000)));
        let mut closed = stats_at(102);
        closed.closed = true;
        let s = p.status_of(&closed, 4_000, &config);
        assert_eq!(
            (s.state, s.cause),
            (LiveState::Stale, Some(CauseId::DashboardClosed))
        );
    }

    #[test]
    fn each_failed_poll_has_the_cause_the_console_words() {
        let a = "10.0.0.1:18080";
        let cases = [
            (
                CallError::Unreachable(a.into()),
                CauseId::DashboardUnreachable { addr: a.into() },
            ),
            (
                CallError::Timeout(a.into()),
                CauseId::DashboardTimeout { addr: a.into() },
            ),
            (CallError::Busy("busy".into()), CauseId::DashboardBusy),
            (
                CallError::BadResponse("HTTP 502".into()),
                CauseId::DashboardBadResponse { addr: a.into() },
            ),
            (
                CallError::Refused(codis_model::error::DashboardError {
                    cause: "topom is not online".into(),
                    ..Default::default()
                }),
                CauseId::DashboardRefused { addr: a.into() },
            ),
        ];
        for (e, want) in cases {
            assert_eq!(poll_cause(&e, Some(a), "p"), want, "{e}");
        }
        assert_eq!(
            poll_cause(&CallError::BadResponse("gone".into()), None, "p"),
            CauseId::NotDiscovered {
                product: "p".into()
            }
        );
    }
}
