//! `GET /api/products/{product}/events`: the product's live view as Server-Sent Events.
//!
//! One stream per tab carries everything: a `snapshot` first (or, for a browser reconnecting with
//! `Last-Event-ID`, only what it missed), then `update` and `status` events. The frames are the
//! feed's shared bytes, written as they are: nothing is encoded per subscriber, also when the
//! stream is gzip-compressed (see [`gzip`](super::gzip)).
//!
//! This handler serves the stream through the router (with its layers). `codis-fe` itself
//! serves it on a bare connection instead (see [`conn`](super::conn)); both send the same bytes.

use std::sync::Arc;

use axum::{
    body::Body,
    extract::{Path, State},
    http::{header, HeaderMap, HeaderValue},
    response::{IntoResponse, Response},
};

use super::Encoding;
use crate::error::ApiError;
use crate::state::AppState;

/// The stream handler. An unknown product is a 404 with the API's JSON error body.
#[utoipa::path(
    get,
    path = "/api/products/{product}/events",
    tag = "live",
    params(
        ("product" = String, Path, description = "Product name"),
        ("Last-Event-ID" = Option<String>, Header, description = "Resume after this event: the missed updates, or a new snapshot"),
    ),
    responses(
        (status = 200, description = "Server-Sent Events (text/event-stream; gzip when accepted): `snapshot` (the whole live view with history), then an `update` per poll interval (only what changed), and `status` when the dashboard's reachability changes. One poll of the dashboard per interval however many subscribers", content_type = "text/event-stream"),
        (status = 404, description = "Unknown product", body = codis_model::console::ApiErrorBody),
    )
)]
pub async fn events(
    State(app): State<Arc<AppState>>,
    Path(product): Path<String>,
    caller: crate::auth::Caller,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    app.dashboard_of(&product)?;
    let last_event_id = last_event_id(&headers);
    let sub = app
        .live
        .subscribe_encoded(&product, last_event_id, encoding(&headers))
        .await;
    let gzip = sub.encoding() == Encoding::Gzip;
    // The stream ends when the session expires or is signed out (as on the bare connection).
    let session_end = {
        let app = app.clone();
        async move { app.security.session_end(caller.session).await }
    };
    let body = Body::from_stream(sub.into_stream(app.live.config.keepalive, session_end));
    let mut resp = body.into_response();
    let h = resp.headers_mut();
    for (name, value) in stream_headers(gzip) {
        h.insert(*name, HeaderValue::from_static(value));
    }
    Ok(resp)
}

/// The response headers of an event stream (besides CORS and framing).
pub fn stream_headers(gzip: bool) -> &'static [(&'static str, &'static str)] {
    const PLAIN: &[(&str, &str)] = &[
        ("content-type", "text/event-stream"),
        ("cache-control", "no-cache"),
        // nginx would otherwise buffer the stream and deliver events in bursts.
        ("x-accel-buffering", "no"),
        ("vary", "accept-encoding"),
        ("x-content-type-options", "nosniff"),
    ];
    const GZIP: &[(&str, &str)] = &[
        ("content-type", "text/event-stream"),
        ("cache-control", "no-cache"),
        ("x-accel-buffering", "no"),
        ("vary", "accept-encoding"),
        ("x-content-type-options", "nosniff"),
        ("content-encoding", "gzip"),
    ];
    if gzip {
        GZIP
    } else {
        PLAIN
    }
}

/// gzip when the browser accepts it (every browser does; see [`gzip`](super::gzip)).
fn encoding(headers: &HeaderMap) -> Encoding {
    let gzip = headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(super::gzip::accepts_gzip);
    if gzip {
        Encoding::Gzip
    } else {
        Encoding::Identity
    }
}

/// The `Last-Event-ID` a reconnecting EventSource sends (our ids are sequence numbers); anything
/// else is ignored and gets a snapshot.
fn last_event_id(headers: &HeaderMap) -> Option<u64> {
    headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(parse_last_event_id)
}

/// A `Last-Event-ID` value as our event id.
pub fn parse_last_event_id(value: &str) -> Option<u64> {
    value.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_event_id_is_a_number_or_ignored() {
        let mut h = HeaderMap::new();
        assert_eq!(last_event_id(&h), None);
        h.insert("last-event-id", HeaderValue::from_static(" 17"));
        assert_eq!(last_event_id(&h), Some(17));
        h.insert("last-event-id", HeaderValue::from_static("abc"));
        assert_eq!(last_event_id(&h), None);
    }
}
