//! Live stats (issue 5): the backend polls each watched dashboard once per interval and pushes to
//! every browser only what the console shows, instead of every tab downloading the dashboard's
//! full stats every 3 s (codis-fe-spec.md §3 and 7.6).
//!
//! The wire format is [`codis_model::live`]: a `snapshot` event ([`LiveView`](codis_model::live::LiveView)),
//! then `update` events ([`LiveUpdate::between`](codis_model::live::LiveUpdate::between)) and
//! `status` events ([`LiveStatus`](codis_model::live::LiveStatus)), over Server-Sent Events.
//!
//! Modules by concern:
//! * [`hub`]: one [`Feed`](feed::Feed) per product, subscriptions, starting and stopping pollers;
//! * [`watchers`]: when a poller runs (first watcher to `linger` after the last), shared with
//!   the fleet (`crate::fleet`);
//! * [`feed`]: a product's current view, history, replay buffer and the broadcast of
//!   pre-serialised events (each event is serialised once per poll and shared by every subscriber);
//! * [`poller`]: the poll loop (timeouts, backoff, staleness, the `/topom` refresh);
//! * [`history`]: how chart history is downsampled for snapshots;
//! * [`sse`]: `GET /api/products/{product}/events`;
//! * [`gzip`]: the stream's gzip encoding, compressed once per feed;
//! * [`conn`]: the same stream served on a bare HTTP/1.1 connection, without hyper or the
//!   router's layers (a few KiB per subscriber instead of ~50);
//! * [`cmds`]: `GET /api/products/{product}/proxies/{token}/cmds` (per-command stats on demand);
//! * [`metrics`]: `GET /metrics` in the Prometheus text format.

pub mod cmds;
pub mod conn;
pub mod feed;
pub mod gzip;
pub mod history;
pub mod hub;
pub mod metrics;
pub mod poller;
pub mod sse;
pub mod watchers;

use std::time::Duration;

pub use hub::{Encoding, Hub, Subscription};

use crate::config::Args;
use codis_model::derive::HealthRule;

/// Settings of the live feeds. [`LiveConfig::from_args`] derives them from the command line; tests
/// build them directly with short intervals.
#[derive(Clone, Debug)]
pub struct LiveConfig {
    /// Time between two polls of a watched dashboard.
    pub interval: Duration,
    /// How much chart history is kept per product.
    pub history: Duration,
    /// How long a poller keeps polling after its last subscriber left, so that a page reload
    /// finds data and history continuous instead of a cold start.
    pub linger: Duration,
    /// Deadline of one dashboard call made by a poller.
    pub poll_timeout: Duration,
    /// How often the dashboard's `/topom` (version, config) is read again; also after an error.
    pub overview_every: Duration,
    /// Events a subscriber may fall behind before it is resynchronised with a fresh snapshot.
    /// Bounds the memory a slow client can make the server hold.
    pub buffer: usize,
    /// Recent updates kept so that a browser reconnecting with `Last-Event-ID` gets only what it
    /// missed instead of a whole snapshot.
    pub replay: usize,
    /// Idle time after which a comment is sent to keep proxies from closing the stream.
    pub keepalive: Duration,
    /// How long a new subscriber of a cold product waits for the first sample before it gets a
    /// `connecting` snapshot (so the first event normally carries data).
    pub first_sample_wait: Duration,
    /// The dashboard's own samples not advancing for this long marks the data stale.
    pub stale_after: Duration,
    /// Ceiling of the backoff between polls of a failing dashboard.
    pub backoff_cap: Duration,
    /// gzip streams: the feed's chained compressor is reset every this many broadcast frames,
    /// the points where a new subscriber switches from frames compressed alone to the shared,
    /// chained ones (see [`gzip`]). Larger saves bytes in the long run (a reset costs one frame
    /// compressed alone), smaller lets newcomers reach the cheap frames sooner.
    pub gzip_join_every: u32,
    /// When a failing proxy, server or sentinel counts as failed (debounced health).
    pub health: HealthRule,
}

impl Default for LiveConfig {
    fn default() -> LiveConfig {
        LiveConfig {
            interval: Duration::from_secs(1),
            history: Duration::from_secs(3600),
            linger: Duration::from_secs(20),
            poll_timeout: Duration::from_secs(5),
            overview_every: Duration::from_secs(30),
            buffer: 64,
            replay: 32,
            keepalive: Duration::from_secs(15),
            first_sample_wait: Duration::from_secs(2),
            stale_after: Duration::from_secs(10),
            backoff_cap: Duration::from_secs(15),
            gzip_join_every: 30,
            health: HealthRule::default(),
        }
    }
}

impl LiveConfig {
    /// The settings for this command line.
    pub fn from_args(args: &Args) -> LiveConfig {
        LiveConfig::default()
            .with_interval(args.poll_interval, args.history, args.live_linger)
            .with_poll_timeout(args.dashboard_timeout)
            .with_health(args.health_samples, args.health_seconds)
    }

    /// Debounced health: a failure is confirmed after `samples` consecutive failed samples or
    /// `window` of failing (see [`HealthRule`]).
    pub fn with_health(mut self, samples: u32, window: Duration) -> LiveConfig {
        self.health = HealthRule {
            samples: samples.max(1),
            window_ms: u64::try_from(window.as_millis()).unwrap_or(u64::MAX),
        };
        self
    }

    /// These timings, with the derived ones scaled to `interval`: the backoff ceiling is 15
    /// intervals (at most 15 s) and data is stale after 10 intervals (at least 10 s).
    pub fn with_interval(
        mut self,
        interval: Duration,
        history: Duration,
        linger: Duration,
    ) -> LiveConfig {
        self.interval = interval.max(Duration::from_millis(10));
        self.history = history;
        self.linger = linger;
        self.backoff_cap = (self.interval * 15)
            .min(Duration::from_secs(15))
            .max(self.interval);
        self.stale_after = (self.interval * 10).max(Duration::from_secs(10));
        self
    }

    /// A poll never waits longer than the dashboard timeout, nor more than 5 s: a stuck
    /// dashboard is reported unreachable while its last data is still recent.
    pub fn with_poll_timeout(mut self, dashboard_timeout: Duration) -> LiveConfig {
        self.poll_timeout = dashboard_timeout.min(Duration::from_secs(5));
        self
    }

    /// Points kept per history series: history / interval.
    pub fn keep(&self) -> usize {
        let n = self.history.as_millis() / self.interval.as_millis().max(1);
        usize::try_from(n).unwrap_or(usize::MAX).max(1)
    }

    /// The history step, in ms.
    pub fn step_ms(&self) -> u64 {
        u64::try_from(self.interval.as_millis())
            .unwrap_or(u64::MAX)
            .max(1)
    }

    /// Wait before the next attempt after `failures` consecutive failed polls: one interval,
    /// doubling, up to [`backoff_cap`](Self::backoff_cap) (1 s, 2 s, 4 s, 8 s, 15 s by default).
    pub fn backoff(&self, failures: u32) -> Duration {
        let doublings = failures.saturating_sub(1).min(16);
        self.interval
            .saturating_mul(1u32 << doublings)
            .min(self.backoff_cap)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_one_interval_up_to_the_cap() {
        let c = LiveConfig::default();
        let secs: Vec<u64> = (1..=7).map(|f| c.backoff(f).as_secs()).collect();
        assert_eq!(secs, vec![1, 2, 4, 8, 15, 15, 15]);
        let fast = LiveConfig::default().with_interval(
            Duration::from_millis(100),
            Duration::from_secs(60),
            Duration::from_millis(300),
        );
        assert_eq!(fast.backoff(1), Duration::from_millis(100));
        assert_eq!(fast.backoff(9), Duration::from_millis(1500));
        assert_eq!(fast.keep(), 600);
    }
}
