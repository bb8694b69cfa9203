//! One product's live feed: its current view, chart history, the recent updates kept for
//! `Last-Event-ID` resumes, and the broadcast of events to subscribers.
//!
//! Every event is serialised once, into a complete SSE frame ([`Frame`]), and the same bytes are
//! shared by every subscriber: with 10,000 subscribers the per-poll cost is one diff, one JSON
//! encoding and 10,000 reference-count increments, not 10,000 encodings.
//!
//! The poller is the only writer of a feed; subscribers only read. Publishing (swapping the view
//! and sending on the broadcast channel) and subscribing (taking the view and a receiver) happen
//! under the same lock, so a new subscriber's snapshot and the first event it receives follow each
//! other exactly: nothing is missed and nothing is applied twice.

use std::collections::VecDeque;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use codis_model::derive::DashboardView;
use codis_model::live::{
    DashboardInfo, History, HistoryTick, LiveState, LiveStatus, LiveUpdate, LiveView,
    EVENT_SNAPSHOT, EVENT_STATUS, EVENT_UPDATE,
};
use codis_model::GroupId;
use serde::Serialize;
use tokio::sync::broadcast;

use super::gzip::{self, Chain, GzFrame};
use super::history;
use super::watchers::Watchers;
use super::LiveConfig;

/// One SSE event, ready to write: `id: <seq>\nevent: <name>\ndata: <json>\n\n`.
#[derive(Debug)]
pub struct Frame {
    /// The event id: the view's sequence number when the event was made.
    pub seq: u64,
    pub bytes: Bytes,
    /// The same event compressed for gzip subscribers (see [`gzip`]): only `solo` for frames that
    /// are not broadcast (snapshots, resumes), also `chained` for broadcast ones.
    pub gz: GzFrame,
}

impl Frame {
    /// Formats an event. `json` is one line (serde_json escapes newlines inside strings), so a
    /// single `data:` field carries it.
    pub fn new(event: &str, seq: u64, json: &str) -> Frame {
        let mut s = String::with_capacity(json.len() + event.len() + 40);
        s.push_str("id: ");
        s.push_str(&seq.to_string());
        s.push_str("\nevent: ");
        s.push_str(event);
        s.push_str("\ndata: ");
        s.push_str(json);
        s.push_str("\n\n");
        Frame {
            seq,
            bytes: Bytes::from(s),
            gz: GzFrame::default(),
        }
    }

    /// This frame with its bytes compressed alone (a frame that is not broadcast).
    fn compressed_alone(mut self) -> Frame {
        self.gz.solo = gzip::solo(&self.bytes);
        self
    }
}

/// A snapshot frame and its gzip form (compressed alone).
#[derive(Clone, Debug)]
pub struct Snap {
    pub plain: Bytes,
    pub gz: Bytes,
}

/// Serialises exactly like [`LiveView`] but borrows the view and takes the history separately,
/// so a snapshot never clones the whole view (checked by a test below).
#[derive(Serialize)]
struct SnapshotRef<'a> {
    product: &'a str,
    seq: u64,
    sampled_ms: u64,
    dashboard: &'a DashboardInfo,
    view: &'a DashboardView,
    slot_owner: &'a [GroupId],
    history: &'a History,
    status: &'a LiveStatus,
}

fn snapshot_json(view: &LiveView, history: &History) -> String {
    let r = SnapshotRef {
        product: &view.product,
        seq: view.seq,
        sampled_ms: view.sampled_ms,
        dashboard: &view.dashboard,
        view: &view.view,
        slot_owner: &view.slot_owner,
        history,
        status: &view.status,
    };
    // Serialising plain data structures to a String cannot fail; an empty object keeps the stream
    // well-formed should it ever happen.
    serde_json::to_string(&r).unwrap_or_else(|_| "{}".into())
}

/// What a new subscriber is sent first.
pub enum Start {
    /// The whole view.
    Snapshot(Snap),
    /// Only the updates after its `Last-Event-ID`, then the current status (the last frame,
    /// whose `gz.solo` is set; subscribers send the `solo` form of every frame of a resume).
    Resume(Vec<Arc<Frame>>),
}

struct FeedState {
    /// The current view, without history (kept apart in `history`, which is large).
    view: Arc<LiveView>,
    history: History,
    /// Increases on every change of `view` (samples and status changes).
    version: u64,
    /// The most recent update frames, oldest first.
    replay: VecDeque<Arc<Frame>>,
    /// The snapshot frame of `version`, built on demand and shared until the next change.
    snapshot: Option<(u64, Snap)>,
}

/// The live state of one product.
pub struct Feed {
    pub product: String,
    tx: broadcast::Sender<Arc<Frame>>,
    state: Mutex<FeedState>,
    /// The chained gzip compressor of the broadcast frames. Held from compressing a frame until
    /// it is sent, so frames are compressed in the order they are broadcast (locked before
    /// `state` when both are held).
    chain: Mutex<Chain>,
    /// Subscribers, and when the poller runs (locked before `state` when both are held).
    pub(crate) watchers: Watchers,
    /// Only one task builds a snapshot at a time; the others wait and share it.
    builder: tokio::sync::Mutex<()>,
    /// Successful polls (counter for `/metrics`).
    pub polls: AtomicU64,
    /// Failed polls.
    pub poll_errors: AtomicU64,
    /// Subscribers resynchronised with a snapshot because they fell behind.
    pub lagged: AtomicU64,
    /// gzip subscribers switched to the shared, chained frames (see [`gzip`]).
    pub gzip_joins: AtomicU64,
}

impl Feed {
    pub fn new(product: &str, config: &LiveConfig) -> Feed {
        let (tx, _) = broadcast::channel(config.buffer.max(1));
        let view = LiveView {
            product: product.to_string(),
            ..LiveView::default()
        };
        Feed {
            product: product.to_string(),
            tx,
            state: Mutex::new(FeedState {
                view: Arc::new(view),
                history: History::default(),
                version: 0,
                replay: VecDeque::new(),
                snapshot: None,
            }),
            chain: Mutex::new(Chain::new(config.gzip_join_every)),
            watchers: Watchers::new(),
            builder: tokio::sync::Mutex::new(()),
            polls: AtomicU64::new(0),
            poll_errors: AtomicU64::new(0),
            lagged: AtomicU64::new(0),
            gzip_joins: AtomicU64::new(0),
        }
    }

    fn lock(&self) -> MutexGuard<'_, FeedState> {
        // A panic while holding the lock leaves consistent data (every write is a whole swap).
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn chain_lock(&self) -> MutexGuard<'_, Chain> {
        // Compression does not panic; the compressor holds no invariant a panic could break
        // that the broadcast order depends on.
        self.chain.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The current view (history not included).
    pub fn view(&self) -> Arc<LiveView> {
        self.lock().view.clone()
    }

    pub fn subscribers(&self) -> usize {
        self.watchers.count()
    }

    /// A poller is running (the product is "currently polled").
    pub fn is_running(&self) -> bool {
        self.watchers.is_running()
    }

    /// Counts a subscriber in. Returns true when the caller must start a poller.
    pub(crate) fn join(&self) -> bool {
        self.watchers.join()
    }

    /// Counts a subscriber out; the last one starts the linger countdown.
    pub(crate) fn leave(&self) {
        self.watchers.leave();
    }

    /// The poller's sleep until its next poll at `next`: false when it must stop instead
    /// (nobody subscribed for `linger`; see [`Watchers::wait_until`]). A stopped feed's view
    /// turns `connecting` (its data is no longer refreshed), under the lock a new subscriber
    /// takes, so it never overwrites the first sample of the poller that subscriber starts.
    pub(crate) async fn wait_until(&self, next: Instant, linger: Duration) -> bool {
        self.watchers
            .wait_until(next, linger, || {
                let mut st = self.lock();
                if st.view.status.state != LiveState::Connecting {
                    let mut v = (*st.view).clone();
                    v.status = LiveStatus {
                        state: LiveState::Connecting,
                        message: None,
                        cause: None,
                        last_ok_ms: v.status.last_ok_ms,
                    };
                    st.view = Arc::new(v);
                    st.version += 1;
                }
            })
            .await
    }

    /// The poller had its first outcome (a sample or an error): waiting subscribers proceed.
    pub(crate) fn first_outcome(&self) {
        self.watchers.first_outcome();
    }

    /// Waits (at most `limit`) until the current poller run has had an outcome.
    pub(crate) async fn wait_first(&self, limit: Duration) {
        self.watchers.wait_first(limit).await;
    }

    /// Publishes a new sample: `new` carries the view and status; its `seq` is assigned here and
    /// its `history` ignored. Sends an `update` (and a `status` event when the state changed).
    pub(crate) fn publish_sample(&self, config: &LiveConfig, mut new: LiveView) {
        // Only the poller writes, so the diff and its encoding happen outside the lock.
        let old = self.view();
        new.seq = old.seq + 1;
        new.history = History::default();
        let update = LiveUpdate::between(&old, &new);
        let json = serde_json::to_string(&update).unwrap_or_else(|_| "{}".into());
        let mut chain = self.chain_lock();
        let mut frame = Frame::new(EVENT_UPDATE, new.seq, &json);
        frame.gz = chain.frame(&frame.bytes);
        let frame = Arc::new(frame);
        let status = (old.status.state != new.status.state).then(|| {
            let mut f = status_frame(new.seq, &new.status);
            f.gz = chain.frame(&f.bytes);
            Arc::new(f)
        });
        let mut st = self.lock();
        st.history.record(
            &HistoryTick::from_view(&new.view, new.sampled_ms),
            config.step_ms(),
            config.keep(),
        );
        st.view = Arc::new(new);
        st.version += 1;
        st.replay.push_back(frame.clone());
        while st.replay.len() > config.replay.max(1) {
            st.replay.pop_front();
        }
        // No receiver is not an error: the feed lingers without subscribers.
        let _ = self.tx.send(frame);
        if let Some(s) = status {
            let _ = self.tx.send(s);
        }
    }

    /// Publishes a status change without a new sample (the dashboard failed): a `status` event.
    pub(crate) fn publish_status(&self, status: LiveStatus) {
        let old = self.view();
        let mut v = (*old).clone();
        v.status = status;
        let mut chain = self.chain_lock();
        let mut frame = status_frame(v.seq, &v.status);
        frame.gz = chain.frame(&frame.bytes);
        let frame = Arc::new(frame);
        let mut st = self.lock();
        st.view = Arc::new(v);
        st.version += 1;
        let _ = self.tx.send(frame);
    }

    /// What a new subscriber gets first, and its receiver of the events that follow.
    ///
    /// With `last_event_id` equal to the current sequence, or within the replay buffer, only the
    /// missed updates are sent (plus the current status, which may have changed since without a
    /// new sample); otherwise a snapshot.
    pub async fn start(
        &self,
        last_event_id: Option<u64>,
    ) -> (broadcast::Receiver<Arc<Frame>>, Start) {
        if let Some(last) = last_event_id {
            let st = self.lock();
            let seq = st.view.seq;
            let resumable = seq > 0
                && last <= seq
                && (last == seq || st.replay.front().is_some_and(|f| f.seq <= last + 1));
            if resumable {
                let mut frames: Vec<Arc<Frame>> =
                    st.replay.iter().filter(|f| f.seq > last).cloned().collect();
                let status = status_frame(seq, &st.view.status);
                let rx = self.tx.subscribe();
                drop(st);
                frames.push(Arc::new(status.compressed_alone()));
                return (rx, Start::Resume(frames));
            }
        }
        let (rx, bytes) = self.snapshot().await;
        (rx, Start::Snapshot(bytes))
    }

    /// The snapshot frame of the current view and a receiver of the events after it.
    ///
    /// The frame is built once per view version, by one task, and shared: 10,000 browsers
    /// connecting at once cost one encoding.
    pub async fn snapshot(&self) -> (broadcast::Receiver<Arc<Frame>>, Snap) {
        {
            let st = self.lock();
            if let Some((v, bytes)) = &st.snapshot {
                if *v == st.version {
                    return (self.tx.subscribe(), bytes.clone());
                }
            }
        }
        let _building = self.builder.lock().await;
        let (rx, view, history, version) = {
            let st = self.lock();
            if let Some((v, bytes)) = &st.snapshot {
                if *v == st.version {
                    return (self.tx.subscribe(), bytes.clone());
                }
            }
            // Downsampling copies the history, so the lock is not held while encoding.
            (
                self.tx.subscribe(),
                st.view.clone(),
                history::for_snapshot(&st.history, history::FINE_WINDOW_MS),
                st.version,
            )
        };
        let json = snapshot_json(&view, &history);
        let frame = Frame::new(EVENT_SNAPSHOT, view.seq, &json).compressed_alone();
        let snap = Snap {
            plain: frame.bytes,
            gz: frame.gz.solo,
        };
        let mut st = self.lock();
        if st.snapshot.as_ref().is_none_or(|(v, _)| *v < version) {
            st.snapshot = Some((version, snap.clone()));
        }
        (rx, snap)
    }

    /// The whole history (tests and diagnostics).
    pub fn history(&self) -> History {
        self.lock().history.clone()
    }
}

fn status_frame(seq: u64, status: &LiveStatus) -> Frame {
    let json = serde_json::to_string(status).unwrap_or_else(|_| "{}".into());
    Frame::new(EVENT_STATUS, seq, &json)
}

#[cfg(test)]
mod tests {
    use super::*;
    use codis_model::live::Series;

    #[test]
    fn the_borrowed_snapshot_encodes_exactly_a_live_view() {
        let mut view = LiveView {
            product: "p".into(),
            seq: 7,
            sampled_ms: 1_000,
            slot_owner: vec![1, 2, 0],
            ..LiveView::default()
        };
        view.status.state = LiveState::Live;
        view.status.last_ok_ms = Some(1_000);
        let mut h = History::default();
        h.record(
            &HistoryTick {
                t_ms: 1_000,
                cluster_qps: Some(5.0),
                ..HistoryTick::default()
            },
            1000,
            10,
        );
        let json = snapshot_json(&view, &h);
        let back: LiveView = serde_json::from_str(&json).expect("a LiveView");
        view.history = h;
        assert_eq!(back, view);
        assert_eq!(back.history.cluster_qps, {
            let mut s = Series::new(1_000, 1000);
            s.values = vec![Some(5.0)];
            s
        });
    }

    #[test]
    fn frames_are_one_sse_event_each() {
        let f = Frame::new("update", 42, r#"{"a":"x\ny"}"#);
        let text = std::str::from_utf8(&f.bytes).expect("utf8");
        assert_eq!(text, "id: 42\nevent: update\ndata: {\"a\":\"x\\ny\"}\n\n");
        assert_eq!(text.matches("\n\n").count(), 1);
    }
}
