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
    let result = match hub.registry.dashboard_of(&feed.product) {
        Some(addr) => fetch(hub, config, p, &feed.product, &addr).await,
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
    feed.publish_status(LiveStatus {
        state: LiveState::Waiting,
        message: Some(format!(
            "no answer within {} ms (two poll intervals); still waiting",
            (config.interval * 2).as_millis()
        )),
        last_ok_ms,
    });
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
            Some("the dashboard reports itself closed (shutting down)".to_string())
        } else if newest.is_some() && frozen_for > config.stale_after {
            Some(format!(
                "the dashboard's samples have not advanced for {} s",
                frozen_for.as_secs()
            ))
        } else {
            None
        };
        match stale {
            Some(message) => LiveStatus {
                state: LiveState::Stale,
                message: Some(message),
                last_ok_ms: Some(self.fresh_ms),
            },
            None => LiveStatus {
                state: LiveState::Live,
                message: None,
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
        assert_eq!(
            s.last_ok_ms,
            Some(1_000),
            "age counts from the last fresh sample"
        );
        let s = p.status_of(&stats_at(101), 3_000, &config);
        assert_eq!((s.state, s.last_ok_ms), (LiveState::Live, Some(3_000)));
        let mut closed = stats_at(102);
        closed.closed = true;
        assert_eq!(p.status_of(&closed, 4_000, &config).state, LiveState::Stale);
    }
}
