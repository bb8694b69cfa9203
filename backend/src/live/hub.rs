//! The hub: one [`Feed`] per watched product, subscriptions to it, and the lifetime of its poller.
//!
//! A poller starts when the first browser subscribes to a product and stops `linger` after the
//! last one leaves (see [`super::watchers`]). However many browsers watch a product, the dashboard
//! sees one poll per interval.

use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use axum::body::Bytes;
use futures::Stream;
use tokio::sync::{broadcast, watch};

use super::cmds::CmdsCache;
use super::feed::{Feed, Frame, Snap, Start};
use super::{gzip, poller, LiveConfig};
use crate::dashboard::DashboardClient;
use crate::registry::Registry;

/// Sent first on every stream: the browser's EventSource reconnects after 2 s instead of its
/// default (about 3 s in Chromium and Firefox).
const RETRY: &[u8] = b"retry: 2000\n\n";

/// An SSE comment: keeps proxies and load balancers from closing an idle stream.
const KEEPALIVE: &[u8] = b": keep-alive\n\n";

static RETRY_GZ: OnceLock<Bytes> = OnceLock::new();
static KEEPALIVE_GZ: OnceLock<Bytes> = OnceLock::new();

/// The body encoding of a stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Identity,
    /// `Content-Encoding: gzip` (see [`gzip`]).
    Gzip,
}

pub struct Hub {
    pub(crate) registry: Arc<Registry>,
    pub(crate) client: DashboardClient,
    pub config: LiveConfig,
    feeds: Mutex<HashMap<String, Arc<Feed>>>,
    /// Set when the server shuts down: every stream ends, so graceful shutdown is not held up by
    /// streams that never end on their own.
    shutdown: watch::Sender<bool>,
    /// Every subscription ever made (counter for `/metrics`).
    pub subscriptions_total: AtomicU64,
    /// Of which gzip streams.
    pub gzip_subscriptions_total: AtomicU64,
    /// Per-command proxy stats, read on demand.
    pub cmds: CmdsCache,
}

impl Hub {
    pub fn new(registry: Arc<Registry>, client: DashboardClient, config: LiveConfig) -> Arc<Hub> {
        Arc::new(Hub {
            registry,
            client,
            config,
            feeds: Mutex::new(HashMap::new()),
            shutdown: watch::Sender::new(false),
            subscriptions_total: AtomicU64::new(0),
            gzip_subscriptions_total: AtomicU64::new(0),
            cmds: CmdsCache::default(),
        })
    }

    fn feeds_lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Feed>>> {
        self.feeds.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The feed of `product`, if it was ever watched.
    pub fn feed(&self, product: &str) -> Option<Arc<Feed>> {
        self.feeds_lock().get(product).cloned()
    }

    /// Every feed, sorted by product.
    pub fn feeds(&self) -> Vec<Arc<Feed>> {
        let mut v: Vec<Arc<Feed>> = self.feeds_lock().values().cloned().collect();
        v.sort_by(|a, b| a.product.cmp(&b.product));
        v
    }

    /// Current subscribers over every product.
    pub fn subscribers(&self) -> usize {
        self.feeds().iter().map(|f| f.subscribers()).sum()
    }

    /// Subscribes to `product` (the caller has checked it is known), starting its poller if
    /// needed. `last_event_id` is the browser's `Last-Event-ID`, for a resume.
    pub async fn subscribe(
        self: &Arc<Self>,
        product: &str,
        last_event_id: Option<u64>,
    ) -> Subscription {
        self.subscribe_encoded(product, last_event_id, Encoding::Identity)
            .await
    }

    /// [`subscribe`](Self::subscribe), with the frames in `encoding`.
    pub async fn subscribe_encoded(
        self: &Arc<Self>,
        product: &str,
        last_event_id: Option<u64>,
        encoding: Encoding,
    ) -> Subscription {
        let feed = {
            let mut feeds = self.feeds_lock();
            feeds
                .entry(product.to_string())
                .or_insert_with(|| Arc::new(Feed::new(product, &self.config)))
                .clone()
        };
        self.subscriptions_total.fetch_add(1, Ordering::Relaxed);
        let start_poller = feed.join();
        let guard = Guard { feed: feed.clone() };
        if start_poller {
            tokio::spawn(poller::run(self.clone(), feed.clone()));
        }
        // A cold product: give the first poll a moment, so the first event normally has data.
        feed.wait_first(self.config.first_sample_wait).await;
        let (rx, start) = feed.start(last_event_id).await;
        let gz = encoding == Encoding::Gzip;
        if gz {
            self.gzip_subscriptions_total
                .fetch_add(1, Ordering::Relaxed);
        }
        let mut pending = VecDeque::with_capacity(3);
        // A gzip stream's checksum covers what the queued frames decode to.
        let mut crc = gz.then(flate2::Crc::new);
        if let Some(crc) = &mut crc {
            pending.push_back(Bytes::from_static(gzip::HEADER));
            pending.push_back(gzip::solo_static(&RETRY_GZ, RETRY));
            crc.update(RETRY);
        } else {
            pending.push_back(Bytes::from_static(RETRY));
        }
        match start {
            Start::Snapshot(s) => {
                if let Some(crc) = &mut crc {
                    crc.update(&s.plain);
                }
                pending.push_back(pick_snapshot(s, gz));
            }
            Start::Resume(frames) => pending.extend(frames.iter().map(|f| match &mut crc {
                Some(crc) => {
                    crc.update(&f.bytes);
                    f.gz.solo.clone()
                }
                None => f.bytes.clone(),
            })),
        }
        Subscription {
            feed,
            rx,
            pending,
            shutdown: self.shutdown.subscribe(),
            gzip: crc.map(|crc| GzipState {
                joined: false,
                crc: Box::new(crc),
            }),
            resync: false,
            _guard: guard,
        }
    }

    /// Ends every stream (server shutdown). Pollers stop after their linger.
    pub fn shutdown(&self) {
        self.shutdown.send_replace(true);
    }

    /// Forgets a stopped feed whose product is no longer discovered (its history is of no use).
    pub(crate) fn forget_if_gone(&self, feed: &Arc<Feed>) {
        if self.registry.dashboard_of(&feed.product).is_some() {
            return;
        }
        let mut feeds = self.feeds_lock();
        if feed.subscribers() == 0 && !feed.is_running() {
            feeds.remove(&feed.product);
        }
    }
}

/// Counts the subscriber out when its stream is dropped (the browser went away).
struct Guard {
    feed: Arc<Feed>,
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.feed.leave();
    }
}

fn pick_snapshot(s: Snap, gz: bool) -> Bytes {
    if gz {
        s.gz
    } else {
        s.plain
    }
}

/// A gzip subscriber's state: whether it receives the feed's chained frames (`joined`) or
/// frames compressed alone, and the CRC-32 and length of everything its stream decodes to, for
/// the gzip trailer written when the stream ends ([`Subscription::finish`]). Boxed: identity
/// subscribers, the common case behind a proxy that compresses, pay one pointer.
#[derive(Debug)]
struct GzipState {
    joined: bool,
    crc: Box<flate2::Crc>,
}

/// One browser's stream of events. Holds only a broadcast receiver and a few queued frames, so
/// a slow browser costs bounded memory: once it is `buffer` events behind it is sent a fresh
/// snapshot instead of what it missed.
pub struct Subscription {
    feed: Arc<Feed>,
    rx: broadcast::Receiver<Arc<Frame>>,
    pending: VecDeque<Bytes>,
    shutdown: watch::Receiver<bool>,
    /// `Some` for a gzip stream.
    gzip: Option<GzipState>,
    /// Fell behind: the next frame is a fresh snapshot.
    resync: bool,
    _guard: Guard,
}

impl Subscription {
    /// The next SSE frame to write, or `None` when the server shuts down.
    pub async fn next(&mut self) -> Option<Bytes> {
        if let Some(b) = self.pending.pop_front() {
            return Some(b);
        }
        if self.resync {
            return self.resync().await;
        }
        let shutdown = &mut self.shutdown;
        let received = tokio::select! {
            biased;
            _ = async { shutdown.wait_for(|down| *down).await.is_ok() } => return None,
            r = self.rx.recv() => r,
        };
        match received {
            Ok(frame) => Some(match &mut self.gzip {
                None => frame.bytes.clone(),
                Some(GzipState { joined, crc }) => {
                    crc.update(&frame.bytes);
                    // The chained frames are valid from a join point on, provided none is
                    // missed (a lag or a keep-alive in between un-joins).
                    if frame.gz.join && !*joined {
                        *joined = true;
                        self.feed.gzip_joins.fetch_add(1, Ordering::Relaxed);
                    }
                    if *joined {
                        frame.gz.chained.clone()
                    } else {
                        frame.gz.solo.clone()
                    }
                }
            }),
            Err(broadcast::error::RecvError::Lagged(_)) => {
                self.feed.lagged.fetch_add(1, Ordering::Relaxed);
                if let Some(g) = &mut self.gzip {
                    g.joined = false;
                }
                // Recorded first: should this future be dropped while the snapshot is being
                // built (a keep-alive timeout), the next call still resynchronises.
                self.resync = true;
                self.resync().await
            }
            Err(broadcast::error::RecvError::Closed) => None,
        }
    }

    /// A fresh snapshot and a receiver of the events after it, for a subscriber that fell behind.
    async fn resync(&mut self) -> Option<Bytes> {
        let (rx, snapshot) = self.feed.snapshot().await;
        self.rx = rx;
        self.resync = false;
        if let Some(g) = &mut self.gzip {
            g.crc.update(&snapshot.plain);
        }
        Some(pick_snapshot(snapshot, self.gzip.is_some()))
    }

    /// The last bytes of a stream that ends (server shutdown, end of the session): for gzip, an
    /// empty final deflate block and the gzip trailer (CRC-32 and length of everything sent), so
    /// the client sees a complete gzip body rather than a truncated one; `None` for identity. The
    /// stream must not be read after it.
    pub fn finish(&mut self) -> Option<Bytes> {
        let g = self.gzip.take()?;
        let mut end = Vec::with_capacity(10);
        // Every frame ends on a byte boundary (a sync flush), so an empty final block of fixed
        // Huffman codes (BFINAL=1, BTYPE=01, end-of-block: ten bits, `03 00`) can follow it.
        end.extend_from_slice(gzip::FINAL_BLOCK);
        end.extend_from_slice(&g.crc.sum().to_le_bytes());
        end.extend_from_slice(&g.crc.amount().to_le_bytes());
        Some(Bytes::from(end))
    }

    /// The next frame, or a keep-alive comment after `keepalive` of silence; `None` when the
    /// server shuts down.
    pub async fn next_or_keepalive(&mut self, keepalive: Duration) -> Option<Bytes> {
        match tokio::time::timeout(keepalive, self.next()).await {
            Ok(next) => next,
            Err(_) => Some(match &mut self.gzip {
                None => Bytes::from_static(KEEPALIVE),
                Some(g) => {
                    // Not part of the chained stream: wait for the next join point.
                    g.joined = false;
                    g.crc.update(KEEPALIVE);
                    gzip::solo_static(&KEEPALIVE_GZ, KEEPALIVE)
                }
            }),
        }
    }

    /// The body encoding of this stream.
    pub fn encoding(&self) -> Encoding {
        if self.gzip.is_some() {
            Encoding::Gzip
        } else {
            Encoding::Identity
        }
    }

    /// The subscription as an HTTP body stream, with a keep-alive comment after `keepalive` of
    /// silence, until the server shuts down or `end` resolves (the session ended); then the
    /// stream's last bytes ([`finish`](Self::finish)) and the end of the body.
    pub fn into_stream(
        self,
        keepalive: Duration,
        end: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> impl Stream<Item = Result<Bytes, Infallible>> + Send + 'static {
        let end = Box::pin(end);
        futures::stream::unfold(Some((self, end)), move |state| async move {
            let (mut sub, mut end) = state?;
            let next = tokio::select! {
                next = sub.next_or_keepalive(keepalive) => next,
                () = &mut end => None,
            };
            match next {
                Some(b) => Some((Ok(b), Some((sub, end)))),
                None => sub.finish().map(|last| (Ok(last), None)),
            }
        })
    }
}
