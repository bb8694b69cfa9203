//! Debounced health (issue 13): an item turns to error from a short history, not one sample.
//!
//! A real Codis 3.2 dashboard reports transient failures of healthy processes: a sentinel with
//! `use of closed network connection` in about 15 % of samples, a proxy whose 1 s stats fetch was
//! late (codis issue #1446), a codis-server with `ERROR EOF` for about a second after SLAVEOF or
//! a promotion. Shown as they come, these flicker as red alarms with destructive buttons.
//!
//! [`HealthTracker`] keeps, per proxy, codis-server and sentinel, how long it has been failing.
//! A failure is *confirmed* once the item failed in [`HealthRule::samples`] consecutive dashboard
//! samples, or for [`HealthRule::window_ms`]; until then the item is [`Health::Flaky`]: its row
//! keeps its last good sample's data (so nothing else on the page flickers either: counters,
//! run-id checks, totals) and carries the last error as its `error`. A good sample clears the
//! history at once: recoveries are immediate.
//!
//! A dashboard sample is counted once however often it is read: the dashboard refreshes its
//! samples about once a second and stamps each with its `unixtime`; polling it faster than that
//! reads the same sample again, which is not a second failure.
//!
//! The backend's poller owns one tracker per product and applies it before deriving the view,
//! so the tables, the tab counts and `/metrics` all read the same debounced health.
//!
//! On Pika's Codis fork the dashboard debounces server failures itself (state 0 -> 1
//! "suspected" -> 2 "offline", see [`pika`](super::pika)), and its verdict comes first: a
//! failing server the dashboard only suspects stays flaky however many samples failed, one it
//! has marked offline is an error at once. The tracker also remembers each group's last master
//! change (the fork's election), which a single sample cannot show.

use std::collections::BTreeMap;

use super::pika::Election;
use super::status::Health;
use super::DashboardView;
use crate::types::{GroupId, ProxyStats, RedisStats, ServerCheckState, Stats};

/// When a failing item counts as failed for good.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HealthRule {
    /// Consecutive failed dashboard samples that confirm a failure (at least 1; 1 shows every
    /// failure at once, as codis-fe did).
    pub samples: u32,
    /// Or: failing for this long (ms) since the first failed sample confirms it (0 shows every
    /// failure at once).
    pub window_ms: u64,
}

impl Default for HealthRule {
    /// 3 samples or 3 s.
    fn default() -> HealthRule {
        HealthRule {
            samples: 3,
            window_ms: 3_000,
        }
    }
}

impl HealthRule {
    /// No debouncing: every failed sample is an error at once.
    pub fn immediate() -> HealthRule {
        HealthRule {
            samples: 1,
            window_ms: 0,
        }
    }
}

/// The cause shown for a sample that timed out (the dashboard sends no text for it).
pub const TIMEOUT_CAUSE: &str = "timeout: no answer to the dashboard's poll in time";

/// A per-process sample of the dashboard.
trait Sample: Clone {
    /// Why the sample failed, if it did.
    fn failure(&self) -> Option<String>;
    fn unixtime(&self) -> i64;
}

impl Sample for RedisStats {
    fn failure(&self) -> Option<String> {
        if self.timeout {
            Some(TIMEOUT_CAUSE.to_owned())
        } else {
            self.error.as_ref().map(|e| e.cause.clone())
        }
    }
    fn unixtime(&self) -> i64 {
        self.unixtime
    }
}

impl Sample for ProxyStats {
    fn failure(&self) -> Option<String> {
        if self.timeout {
            Some(TIMEOUT_CAUSE.to_owned())
        } else {
            self.error.as_ref().map(|e| e.cause.clone())
        }
    }
    fn unixtime(&self) -> i64 {
        self.unixtime
    }
}

/// The current run of failed samples of one item.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Streak {
    /// Distinct failed samples in a row.
    failures: u32,
    /// When the first of them was seen (the caller's clock, ms).
    since_ms: u64,
    /// `unixtime` of the newest failed sample counted.
    last_unixtime: i64,
}

impl Streak {
    /// Records one observation; returns the failure cause while it is not confirmed yet.
    fn observe(
        &mut self,
        failure: Option<String>,
        unixtime: i64,
        rule: HealthRule,
        now_ms: u64,
    ) -> Option<String> {
        let cause = match failure {
            None => {
                *self = Streak::default();
                return None;
            }
            Some(c) => c,
        };
        if self.failures == 0 {
            self.since_ms = now_ms;
        }
        // The same dashboard sample read again is not a new failure (a sample without a time is
        // counted every time).
        if self.failures == 0 || unixtime <= 0 || unixtime != self.last_unixtime {
            self.failures = self.failures.saturating_add(1);
            self.last_unixtime = unixtime;
        }
        let confirmed = self.failures >= rule.samples.max(1)
            || now_ms.saturating_sub(self.since_ms) >= rule.window_ms;
        (!confirmed).then_some(cause)
    }
}

/// Items whose failure is not confirmed yet, with their last error (key -> cause).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Flaky {
    /// Proxy token -> cause.
    pub proxies: BTreeMap<String, String>,
    /// codis-server address -> cause.
    pub servers: BTreeMap<String, String>,
    /// Sentinel address -> cause.
    pub sentinels: BTreeMap<String, String>,
}

impl Flaky {
    pub fn is_empty(&self) -> bool {
        self.proxies.is_empty() && self.servers.is_empty() && self.sentinels.is_empty()
    }

    /// Marks the rows of these items [`Health::Flaky`], with the cause as their error.
    pub fn mark(&self, view: &mut DashboardView) {
        for p in &mut view.proxies {
            if let Some(cause) = self.proxies.get(&p.token) {
                p.status = Health::Flaky;
                p.error = Some(cause.clone());
            }
        }
        for s in view.groups.iter_mut().flat_map(|g| g.servers.iter_mut()) {
            if let Some(cause) = self.servers.get(&s.server) {
                s.status = Health::Flaky;
                s.error = Some(cause.clone());
            }
        }
        for s in &mut view.sentinels.rows {
            if let Some(cause) = self.sentinels.get(&s.server) {
                s.status = Health::Flaky;
                s.error = Some(cause.clone());
            }
        }
    }
}

/// The failure history of every proxy, codis-server and sentinel of one product.
#[derive(Clone, Debug, Default)]
pub struct HealthTracker {
    rule: HealthRule,
    proxies: BTreeMap<String, Streak>,
    servers: BTreeMap<String, Streak>,
    sentinels: BTreeMap<String, Streak>,
    /// The previous sample as smoothed: holds each item's last good sample while it is flaky.
    previous: Option<Stats>,
    /// Pika's fork: the last master change seen per group.
    elections: BTreeMap<GroupId, Election>,
}

impl HealthTracker {
    pub fn new(rule: HealthRule) -> HealthTracker {
        HealthTracker {
            rule,
            ..HealthTracker::default()
        }
    }

    pub fn rule(&self) -> HealthRule {
        self.rule
    }

    /// Observes one dashboard sample taken at `now_ms`: every failed sample whose failure is not
    /// confirmed yet is replaced by the item's last good sample (when there is one), and the
    /// items concerned are returned. Call [`remember`](Self::remember) with the smoothed sample
    /// afterwards.
    pub fn smooth(&mut self, stats: &mut Stats, now_ms: u64) -> Flaky {
        let rule = self.rule;
        let previous = self.previous.as_ref();
        // Pika's fork: the dashboard's own verdict per server address.
        let verdicts: BTreeMap<String, ServerCheckState> = stats
            .group
            .models
            .iter()
            .flat_map(|g| &g.servers)
            .filter_map(|s| Some((s.server.clone(), s.state?)))
            .collect();
        let no_verdict = |_: &str| None;
        Flaky {
            proxies: smooth_map(
                &mut self.proxies,
                &mut stats.proxy.stats,
                previous.map(|p| &p.proxy.stats),
                rule,
                now_ms,
                no_verdict,
            ),
            servers: smooth_map(
                &mut self.servers,
                &mut stats.group.stats,
                previous.map(|p| &p.group.stats),
                rule,
                now_ms,
                |addr| verdicts.get(addr).copied(),
            ),
            sentinels: smooth_map(
                &mut self.sentinels,
                &mut stats.sentinels.stats,
                previous.map(|p| &p.sentinels.stats),
                rule,
                now_ms,
                no_verdict,
            ),
        }
    }

    /// Keeps the smoothed sample: it holds the last good sample of every flaky item.
    pub fn remember(&mut self, stats: Stats) {
        self.previous = Some(stats);
    }

    /// Smooths `stats`, derives its view and marks the flaky rows.
    pub fn view(&mut self, mut stats: Stats, product: &str, now_ms: u64) -> (DashboardView, Stats) {
        self.see_elections(&stats, now_ms);
        let flaky = self.smooth(&mut stats, now_ms);
        let mut view = super::dashboard_view(&stats, product);
        flaky.mark(&mut view);
        for g in &mut view.groups {
            if let (Some(p), Some(e)) = (g.pika.as_mut(), self.elections.get(&g.id)) {
                p.last_election = Some(e.clone());
            }
        }
        (view, stats)
    }

    /// Pika's fork: records a group whose `servers[0]` changed since the previous sample.
    fn see_elections(&mut self, stats: &Stats, now_ms: u64) {
        let Some(previous) = &self.previous else {
            return;
        };
        for g in &stats.group.models {
            let Some(new) = g.servers.first().filter(|s| s.state.is_some()) else {
                continue;
            };
            let old = previous
                .group
                .models
                .iter()
                .find(|p| p.id == g.id)
                .and_then(|p| p.master());
            if let Some(old) = old.filter(|o| *o != new.server) {
                let at_unix = stats
                    .server_sample(&new.server)
                    .map(|s| s.unixtime)
                    .filter(|t| *t > 0)
                    .unwrap_or((now_ms / 1000) as i64);
                self.elections.insert(
                    g.id,
                    Election {
                        group: g.id,
                        new_master: new.server.clone(),
                        old_master: old.to_owned(),
                        at_unix,
                    },
                );
            }
        }
        self.elections
            .retain(|gid, _| stats.group.models.iter().any(|g| g.id == *gid));
    }
}

/// `verdict` is the dashboard's own view of an item (Pika's fork, servers only): `Suspected`
/// keeps a failing item flaky, `Offline` confirms its failure at once.
fn smooth_map<S: Sample>(
    streaks: &mut BTreeMap<String, Streak>,
    samples: &mut BTreeMap<String, S>,
    previous: Option<&BTreeMap<String, S>>,
    rule: HealthRule,
    now_ms: u64,
    verdict: impl Fn(&str) -> Option<ServerCheckState>,
) -> BTreeMap<String, String> {
    // Items gone from the sample are forgotten.
    streaks.retain(|k, _| samples.contains_key(k));
    let mut flaky = BTreeMap::new();
    for (key, sample) in samples.iter_mut() {
        let streak = streaks.entry(key.clone()).or_default();
        let failure = sample.failure();
        let pending = streak.observe(failure.clone(), sample.unixtime(), rule, now_ms);
        let cause = match verdict(key) {
            Some(ServerCheckState::Offline) => None,
            Some(ServerCheckState::Suspected) => pending.or(failure),
            _ => pending,
        };
        let Some(cause) = cause else {
            continue;
        };
        if let Some(good) = previous
            .and_then(|p| p.get(key))
            .filter(|g| g.failure().is_none())
        {
            *sample = good.clone();
        }
        flaky.insert(key.clone(), cause);
    }
    flaky
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::InfoMap;
    use crate::DashboardError;

    fn good(unixtime: i64) -> RedisStats {
        let mut info = InfoMap::default();
        info.insert("sentinel_masters".into(), "0".into());
        RedisStats {
            stats: info,
            unixtime,
            ..RedisStats::default()
        }
    }

    fn closed_conn(unixtime: i64) -> RedisStats {
        RedisStats {
            error: Some(DashboardError {
                cause: "use of closed network connection".into(),
                ..DashboardError::default()
            }),
            unixtime,
            ..RedisStats::default()
        }
    }

    fn with_sentinel(s: RedisStats) -> Stats {
        let mut stats = Stats::default();
        stats.sentinels.model.servers = vec!["127.0.0.1:26379".into()];
        stats.sentinels.stats.insert("127.0.0.1:26379".into(), s);
        stats
    }

    /// Feeds samples `(unixtime, ok)` taken at `ms` and returns the sentinel's health after each.
    fn run(rule: HealthRule, samples: &[(u64, i64, bool)]) -> Vec<Health> {
        let mut t = HealthTracker::new(rule);
        samples
            .iter()
            .map(|&(ms, unix, ok)| {
                let s = with_sentinel(if ok { good(unix) } else { closed_conn(unix) });
                let (view, smoothed) = t.view(s, "codis-demo", ms);
                t.remember(smoothed);
                view.sentinels.rows[0].status
            })
            .collect()
    }

    #[test]
    fn an_error_is_confirmed_by_the_third_consecutive_failed_sample() {
        let h = run(
            HealthRule {
                samples: 3,
                window_ms: 60_000,
            },
            &[
                (0, 100, true),
                (1000, 101, false),
                (2000, 102, false),
                (3000, 103, false),
            ],
        );
        assert_eq!(
            h,
            vec![Health::Healthy, Health::Flaky, Health::Flaky, Health::Error]
        );
    }

    #[test]
    fn an_error_is_confirmed_after_the_window_even_with_few_samples() {
        // Slow polls: two failed samples 5 s apart exceed the 3 s window.
        let h = run(
            HealthRule::default(),
            &[(0, 100, false), (2_999, 103, false), (8_000, 108, false)],
        );
        assert_eq!(h, vec![Health::Flaky, Health::Flaky, Health::Error]);
    }

    #[test]
    fn a_recovery_is_immediate_and_starts_the_count_again() {
        let h = run(
            HealthRule::default(),
            &[
                (0, 100, false),
                (1000, 101, false),
                (2000, 102, true),
                (3000, 103, false),
                (4000, 104, false),
            ],
        );
        assert_eq!(
            h,
            vec![
                Health::Flaky,
                Health::Flaky,
                Health::Healthy,
                Health::Flaky,
                Health::Flaky
            ]
        );
    }

    #[test]
    fn the_same_dashboard_sample_read_again_is_one_failure() {
        // Polled every 200 ms, the dashboard's sample of second 101 is read five times.
        let samples: Vec<(u64, i64, bool)> = (0..5).map(|i| (i * 200, 101, false)).collect();
        let h = run(
            HealthRule {
                samples: 3,
                window_ms: 60_000,
            },
            &samples,
        );
        assert!(h.iter().all(|s| *s == Health::Flaky), "{h:?}");
    }

    #[test]
    fn a_flaky_item_keeps_its_last_good_data_and_shows_the_error() {
        let mut t = HealthTracker::new(HealthRule::default());
        let mut ok = with_sentinel(good(100));
        ok.sentinels
            .stats
            .get_mut("127.0.0.1:26379")
            .expect("sentinel")
            .stats
            .insert("sentinel_masters".into(), "1".into());
        let (v1, s1) = t.view(ok, "codis-demo", 0);
        t.remember(s1);
        let (v2, s2) = t.view(with_sentinel(closed_conn(101)), "codis-demo", 1000);
        t.remember(s2);
        let (a, b) = (&v1.sentinels.rows[0], &v2.sentinels.rows[0]);
        assert_eq!(b.status, Health::Flaky);
        assert_eq!(b.error.as_deref(), Some("use of closed network connection"));
        assert_eq!(b.status_text, a.status_text, "the last good data stays");
        assert!(!b.status_text.is_empty());
    }

    #[test]
    fn one_sample_or_no_window_shows_every_failure_at_once() {
        for rule in [
            HealthRule::immediate(),
            HealthRule {
                samples: 1,
                window_ms: 60_000,
            },
            HealthRule {
                samples: 9,
                window_ms: 0,
            },
        ] {
            let h = run(rule, &[(0, 100, true), (1000, 101, false)]);
            assert_eq!(h, vec![Health::Healthy, Health::Error], "{rule:?}");
        }
    }

    fn fixture(name: &str) -> Stats {
        let dir = std::env::var("CODIS_FIXTURES").unwrap_or_else(|_| {
            // The captures live in the repository, as for model/tests (common::fixtures_dir).
            concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/codis-3.2").to_string()
        });
        let text = std::fs::read_to_string(format!("{dir}/{name}"))
            .unwrap_or_else(|e| panic!("fixture {dir}/{name}: {e}; set CODIS_FIXTURES"));
        serde_json::from_str(&text).expect("stats parse")
    }

    #[test]
    fn the_captured_closed_connection_sample_is_flaky_after_a_healthy_one() {
        let healthy = fixture("demo_get_topom_stats__final_healthy.json");
        let transient = fixture("demo_get_topom_stats__sentinel_transient_closed_conn.json");
        let failing: Vec<String> = transient
            .sentinels
            .stats
            .iter()
            .filter(|(_, s)| s.error.is_some())
            .map(|(a, _)| a.clone())
            .collect();
        assert!(!failing.is_empty(), "the capture has the transient error");
        let mut t = HealthTracker::new(HealthRule::default());
        let (before, s) = t.view(healthy, "codis-demo", 0);
        t.remember(s);
        let (after, _) = t.view(transient, "codis-demo", 1000);
        for row in &after.sentinels.rows {
            if failing.contains(&row.server) {
                assert_eq!(row.status, Health::Flaky, "{}", row.server);
                assert!(row
                    .error
                    .as_deref()
                    .is_some_and(|e| e.ends_with("use of closed network connection")));
                let old = before
                    .sentinels
                    .rows
                    .iter()
                    .find(|r| r.server == row.server)
                    .expect("same sentinel");
                assert_eq!(row.status_text, old.status_text, "the last good data stays");
            } else {
                assert_eq!(row.status, Health::Healthy, "{}", row.server);
            }
        }
        // Without debouncing the same sample is an alarm (what issue 13 saw).
        let raw = super::super::dashboard_view(
            &fixture("demo_get_topom_stats__sentinel_transient_closed_conn.json"),
            "codis-demo",
        );
        assert!(raw.sentinels.rows.iter().any(|r| r.status.is_alarm()));
    }

    #[test]
    fn timeouts_are_debounced_too() {
        let mut t = HealthTracker::new(HealthRule::default());
        let mut s = Stats::default();
        s.proxy.stats.insert(
            "tok".into(),
            ProxyStats {
                timeout: true,
                unixtime: 5,
                ..ProxyStats::default()
            },
        );
        let flaky = t.smooth(&mut s, 0);
        assert_eq!(
            flaky.proxies.get("tok").map(String::as_str),
            Some(TIMEOUT_CAUSE)
        );
    }
}
