//! When a poller runs: from its first watcher until `linger` after the last one left.
//!
//! One lifecycle, two users that follow the same rules: a product's live feed
//! ([`Feed`](super::feed::Feed): one poller per watched product) and the fleet
//! (`crate::fleet::Fleet`: one poller reading every product).
//!
//! * The first watcher starts the poller ([`Watchers::join`] says when the caller must spawn
//!   it); later ones only count in. However many watch, there is one poller.
//! * The last watcher leaving starts a countdown of `linger`, so a page reload finds the poller
//!   warm (data and history continuous) instead of a cold start.
//! * The poller sleeps between ticks in [`Watchers::wait_until`], which stops it once the
//!   countdown ran out with nobody back. That is decided under the lock `join` takes, so a
//!   watcher arriving at that moment either keeps this poller or starts a new one, never neither.
//! * [`Watchers::keep_running`] runs the poller without watchers (the fleet with `--alerts`).
//! * A new watcher of a cold poller can wait a moment for its first outcome
//!   ([`Watchers::wait_first`]), so its first event normally carries data.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::{watch, Notify};

#[derive(Default)]
struct State {
    watchers: usize,
    /// A poller task is running.
    running: bool,
    /// When the watcher count last dropped to zero.
    idle_since: Option<Instant>,
}

/// The watcher count and poller state of one poller (see the module documentation).
pub struct Watchers {
    state: Mutex<State>,
    /// Wakes the poller when the last watcher leaves, so it schedules its stop.
    wake: Notify,
    /// `true` while the current poller run has had no outcome yet.
    awaiting_first: watch::Sender<bool>,
    /// Keep the poller running without watchers.
    always_on: AtomicBool,
}

impl Default for Watchers {
    fn default() -> Watchers {
        Watchers::new()
    }
}

impl Watchers {
    pub fn new() -> Watchers {
        Watchers {
            state: Mutex::new(State::default()),
            wake: Notify::new(),
            awaiting_first: watch::Sender::new(false),
            always_on: AtomicBool::new(false),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Every write under the lock is a whole assignment: a panic leaves consistent data.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Watchers now.
    pub fn count(&self) -> usize {
        self.lock().watchers
    }

    /// A poller is running.
    pub fn is_running(&self) -> bool {
        self.lock().running
    }

    /// Marks the poller running; true when it was not (the caller spawns it).
    fn start_locked(&self, st: &mut State) -> bool {
        if st.running {
            return false;
        }
        st.running = true;
        self.awaiting_first.send_replace(true);
        true
    }

    /// Counts a watcher in. True when the caller must start the poller.
    pub fn join(&self) -> bool {
        let mut st = self.lock();
        st.watchers += 1;
        st.idle_since = None;
        self.start_locked(&mut st)
    }

    /// Keeps the poller running without watchers from now on. True when the caller must start
    /// it.
    pub fn keep_running(&self) -> bool {
        self.always_on.store(true, Ordering::Relaxed);
        let mut st = self.lock();
        self.start_locked(&mut st)
    }

    /// Counts a watcher out; the last one starts the linger countdown.
    pub fn leave(&self) {
        let mut st = self.lock();
        st.watchers = st.watchers.saturating_sub(1);
        if st.watchers == 0 {
            st.idle_since = Some(Instant::now());
            drop(st);
            self.wake.notify_one();
        }
    }

    /// When the poller should stop if nobody comes (`None` while watched or always on).
    fn stop_deadline(&self, linger: Duration) -> Option<Instant> {
        if self.always_on.load(Ordering::Relaxed) {
            return None;
        }
        let st = self.lock();
        match (st.watchers, st.idle_since) {
            (0, Some(t)) => Some(t + linger),
            (0, None) => Some(Instant::now()),
            _ => None,
        }
    }

    /// Stops the poller if nobody watched for `linger`: `on_stop` runs under the lock `join`
    /// takes, then waiters of a first outcome are released.
    fn try_stop(&self, linger: Duration, on_stop: impl FnOnce()) -> bool {
        if self.always_on.load(Ordering::Relaxed) {
            return false;
        }
        let mut st = self.lock();
        let idle = match (st.watchers, st.idle_since) {
            (0, Some(t)) => t.elapsed() >= linger,
            (0, None) => true,
            _ => false,
        };
        if idle {
            st.running = false;
            on_stop();
            self.awaiting_first.send_replace(false);
        }
        idle
    }

    /// The poller's sleep until its next tick at `next`: true when the tick is due, false when
    /// the poller must end (nobody watched for `linger`; `on_stop` has run, see
    /// [`try_stop`](Self::try_stop)).
    pub async fn wait_until(
        &self,
        next: Instant,
        linger: Duration,
        on_stop: impl FnOnce(),
    ) -> bool {
        let mut on_stop = Some(on_stop);
        loop {
            let wake_at = self
                .stop_deadline(linger)
                .map_or(next, |stop| stop.min(next));
            tokio::select! {
                _ = tokio::time::sleep_until(wake_at.into()) => {}
                _ = self.wake.notified() => {}
            }
            let stopped = self.try_stop(linger, || {
                if let Some(f) = on_stop.take() {
                    f();
                }
            });
            if stopped {
                return false;
            }
            if Instant::now() >= next {
                return true;
            }
        }
    }

    /// The poller had its first outcome (a sample or an error): waiting watchers proceed.
    pub fn first_outcome(&self) {
        self.awaiting_first.send_replace(false);
    }

    /// Waits (at most `limit`) until the current poller run has had an outcome.
    pub async fn wait_first(&self, limit: Duration) {
        let mut rx = self.awaiting_first.subscribe();
        let _ = tokio::time::timeout(limit, rx.wait_for(|awaiting| !*awaiting)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_first_watcher_starts_the_poller_and_it_stops_a_linger_after_the_last_left() {
        let w = Watchers::new();
        assert!(w.join(), "the first watcher starts the poller");
        assert!(!w.join(), "the second does not");
        w.leave();
        w.leave();
        let linger = Duration::from_millis(50);
        let t0 = Instant::now();
        let mut stopped = false;
        let far = Instant::now() + Duration::from_secs(60);
        assert!(!w.wait_until(far, linger, || stopped = true).await);
        assert!(stopped && !w.is_running());
        assert!(t0.elapsed() >= linger, "not before the linger");
        assert!(w.join(), "a new watcher starts a new poller");
    }

    #[tokio::test]
    async fn a_watcher_back_within_the_linger_keeps_the_poller_and_always_on_never_stops() {
        let w = Watchers::new();
        assert!(w.join());
        w.leave();
        assert!(!w.join(), "back within the linger: the same poller");
        let next = Instant::now() + Duration::from_millis(20);
        assert!(w.wait_until(next, Duration::ZERO, || {}).await);
        w.leave();
        assert!(!w.keep_running(), "already running");
        let next = Instant::now() + Duration::from_millis(20);
        assert!(w.wait_until(next, Duration::ZERO, || {}).await, "always on");
        assert!(w.is_running());
    }
}
