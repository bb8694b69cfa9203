//! `GET /api/fleet/events` (Server-Sent Events) and `GET /api/fleet` (JSON).
//!
//! Served through the router, so the response policy, sign-in and the session's end apply as
//! to every route (and to the product stream; the fleet has one stream per tab, so it does not
//! need the product stream's bare-connection path, `crate::live::conn`).
//!
//! Rows are those of the products the caller may see. A caller who may see every discovered
//! product gets the shared frames (serialised and compressed once for everyone); a caller with
//! per-product roles that hide some gets its own stream, filtered and diffed per subscriber.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::{
    body::{Body, Bytes},
    extract::State,
    http::{HeaderMap, HeaderValue},
    response::{IntoResponse, Response},
    Json,
};
use codis_model::fleet::{FleetUpdate, FleetView};
use codis_model::live::EVENT_UPDATE;
use futures::Stream;
use tokio::sync::{broadcast, watch};

use super::{snapshot_frame, Fleet};
use crate::auth::Caller;
use crate::live::feed::Frame;
use crate::live::gzip;
use crate::live::sse::stream_headers;
use crate::state::AppState;

const RETRY: &[u8] = b"retry: 2000\n\n";
const KEEPALIVE: &[u8] = b": keep-alive\n\n";

/// Which products a caller may see.
type Visible = Arc<dyn Fn(&str) -> bool + Send + Sync>;

fn visibility(app: &Arc<AppState>, caller: &Caller) -> Option<Visible> {
    let sees_all = app
        .registry
        .snapshot()
        .products
        .iter()
        .all(|p| app.security.role_in(caller, &p.name).is_some());
    // Without per-product roles for this caller, it sees every product, now and later.
    let has_map = !app
        .security
        .product_roles(caller, std::iter::once("*"))
        .is_empty();
    if sees_all && !has_map {
        return None;
    }
    let (app, caller) = (app.clone(), caller.clone());
    Some(Arc::new(move |p: &str| {
        app.security.role_in(&caller, p).is_some()
    }))
}

fn filtered(view: &FleetView, visible: &Visible) -> FleetView {
    FleetView {
        seq: view.seq,
        sampled_ms: view.sampled_ms,
        rows: view
            .rows
            .iter()
            .filter(|r| visible(&r.product))
            .cloned()
            .collect(),
    }
}

/// The fleet stream.
#[utoipa::path(
    get,
    path = "/api/fleet/events",
    tag = "live",
    responses(
        (status = 200, description = "Server-Sent Events (text/event-stream; gzip when accepted): `snapshot` (a FleetView: one row per product the caller may see), then an `update` per --fleet-interval (rows that changed whole, counters of the others in columns, products removed). Each dashboard is read at most once per --fleet-interval, and not at all while its own live poller runs", content_type = "text/event-stream"),
    )
)]
pub async fn events(
    State(app): State<Arc<AppState>>,
    caller: Caller,
    headers: HeaderMap,
) -> Response {
    let fleet = app.fleet.clone();
    let gzip = accepts_gzip(&headers);
    let visible = visibility(&app, &caller);
    // Filtered streams are encoded per subscriber: plain (they are few, and small).
    let gzip = gzip && visible.is_none();
    let sub = FleetSubscription::start(&fleet, gzip, visible).await;
    let session_end = {
        let app = app.clone();
        async move { app.security.session_end(caller.session).await }
    };
    let keepalive = app.live.config.keepalive;
    let body = Body::from_stream(futures::StreamExt::take_until(
        sub.into_stream(keepalive),
        session_end,
    ));
    let mut resp = body.into_response();
    for (name, value) in stream_headers(gzip) {
        resp.headers_mut()
            .insert(*name, HeaderValue::from_static(value));
    }
    resp
}

/// The fleet now, as JSON.
#[utoipa::path(
    get,
    path = "/api/fleet",
    tag = "live",
    responses(
        (status = 200, description = "One row per product the caller may see (the fleet stream's snapshot). Starts the fleet poller if it is not running (it stops again a while after)", body = codis_model::fleet::FleetView),
    )
)]
pub async fn fleet(State(app): State<Arc<AppState>>, caller: Caller) -> Json<FleetView> {
    let fleet = app.fleet.clone();
    fleet.join().await;
    let view = fleet.view();
    fleet.leave();
    Json(match visibility(&app, &caller) {
        None => (*view).clone(),
        Some(v) => filtered(&view, &v),
    })
}

fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(axum::http::header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(gzip::accepts_gzip)
}

enum Source {
    /// The shared frames.
    Shared {
        rx: broadcast::Receiver<Arc<Frame>>,
        /// gzip: joined the chained frames (see `crate::live::gzip`).
        gzip: Option<bool>,
    },
    /// Filtered per subscriber: the last view it was sent.
    Filtered {
        rx: watch::Receiver<Arc<FleetView>>,
        visible: Visible,
        last: FleetView,
    },
}

/// One browser's fleet stream; counts the watcher out when dropped.
pub struct FleetSubscription {
    fleet: Arc<Fleet>,
    pending: VecDeque<Bytes>,
    source: Source,
    shutdown: watch::Receiver<bool>,
}

impl Drop for FleetSubscription {
    fn drop(&mut self) {
        self.fleet.leave();
    }
}

impl FleetSubscription {
    pub async fn start(fleet: &Arc<Fleet>, gzip: bool, visible: Option<Visible>) -> Self {
        fleet.join().await;
        fleet
            .subscriptions_total
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut pending = VecDeque::new();
        let source = match visible {
            None => {
                let (rx, snap) = fleet.start();
                if gzip {
                    pending.push_back(Bytes::from_static(gzip::HEADER));
                    pending.push_back(gzip::solo(RETRY));
                    pending.push_back(snap.gz);
                } else {
                    pending.push_back(Bytes::from_static(RETRY));
                    pending.push_back(snap.plain);
                }
                Source::Shared {
                    rx,
                    gzip: gzip.then_some(false),
                }
            }
            Some(visible) => {
                let mut rx = fleet.watch();
                let last = filtered(&rx.borrow_and_update(), &visible);
                pending.push_back(Bytes::from_static(RETRY));
                pending.push_back(snapshot_frame(&last).plain);
                Source::Filtered { rx, visible, last }
            }
        };
        FleetSubscription {
            fleet: fleet.clone(),
            pending,
            source,
            shutdown: fleet.shutdown.subscribe(),
        }
    }

    /// The next frame, or `None` when the server shuts down.
    async fn next(&mut self) -> Option<Bytes> {
        if let Some(b) = self.pending.pop_front() {
            return Some(b);
        }
        let shutdown = &mut self.shutdown;
        let down = async { shutdown.wait_for(|d| *d).await.is_ok() };
        match &mut self.source {
            Source::Shared { rx, gzip } => {
                let got = tokio::select! {
                    biased;
                    _ = down => return None,
                    r = rx.recv() => r,
                };
                match got {
                    Ok(frame) => Some(match gzip {
                        None => frame.bytes.clone(),
                        Some(joined) => {
                            if frame.gz.join {
                                *joined = true;
                            }
                            if *joined {
                                frame.gz.chained.clone()
                            } else {
                                frame.gz.solo.clone()
                            }
                        }
                    }),
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        // Fell behind: a fresh snapshot, then the updates after it.
                        let (new_rx, snap) = self.fleet.start();
                        *rx = new_rx;
                        Some(match gzip {
                            None => snap.plain,
                            Some(joined) => {
                                *joined = false;
                                snap.gz
                            }
                        })
                    }
                    Err(broadcast::error::RecvError::Closed) => None,
                }
            }
            Source::Filtered { rx, visible, last } => {
                tokio::select! {
                    biased;
                    _ = down => return None,
                    r = rx.changed() => r.ok()?,
                };
                let new = filtered(&rx.borrow_and_update(), visible);
                let update = FleetUpdate::between(last, &new);
                *last = new;
                let json = serde_json::to_string(&update).unwrap_or_else(|_| "{}".into());
                Some(Frame::new(EVENT_UPDATE, update.seq, &json).bytes)
            }
        }
    }

    /// The frames as an HTTP body, with a keep-alive comment after `keepalive` of silence.
    pub fn into_stream(
        self,
        keepalive: Duration,
    ) -> impl Stream<Item = Result<Bytes, Infallible>> + Send + 'static {
        futures::stream::unfold(self, move |mut sub| async move {
            let next = match tokio::time::timeout(keepalive, sub.next()).await {
                Ok(next) => next,
                Err(_) => Some(match &mut sub.source {
                    Source::Shared {
                        gzip: Some(joined), ..
                    } => {
                        // Not part of the chained stream: wait for the next join point.
                        *joined = false;
                        gzip::solo(KEEPALIVE)
                    }
                    _ => Bytes::from_static(KEEPALIVE),
                }),
            };
            next.map(|b| (Ok(b), sub))
        })
    }
}
