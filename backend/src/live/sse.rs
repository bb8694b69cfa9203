//! `GET /api/products/{product}/events`: the product's live view as Server-Sent Events.
//!
//! One stream per tab carries everything: a `snapshot` first (or, for a browser reconnecting with
//! `Last-Event-ID`, only what it missed), then `update` and `status` events. The frames are the
//! feed's shared bytes, written as they are: nothing is encoded per subscriber.

use std::sync::Arc;

use axum::{
    body::Body,
    extract::{Path, State},
    http::{header, HeaderMap, HeaderValue},
    response::{IntoResponse, Response},
};

use crate::error::ApiError;
use crate::state::AppState;

/// The stream handler. An unknown product is a 404 with the API's JSON error body.
pub async fn events(
    State(app): State<Arc<AppState>>,
    Path(product): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    app.dashboard_of(&product)?;
    let last_event_id = last_event_id(&headers);
    let sub = app.live.subscribe(&product, last_event_id).await;
    let body = Body::from_stream(sub.into_stream(app.live.config.keepalive));
    let mut resp = body.into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    // nginx would otherwise buffer the stream and deliver events in bursts.
    h.insert("x-accel-buffering", HeaderValue::from_static("no"));
    Ok(resp)
}

/// The `Last-Event-ID` a reconnecting EventSource sends (our ids are sequence numbers); anything
/// else is ignored and gets a snapshot.
fn last_event_id(headers: &HeaderMap) -> Option<u64> {
    headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|s| s.trim().parse().ok())
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
