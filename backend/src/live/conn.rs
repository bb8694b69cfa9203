//! The event stream on a bare HTTP/1.1 connection.
//!
//! An event stream stays open for as long as the tab does, so what a connection holds is paid
//! once per open tab: with 10,000 subscribers, 1 KiB per connection is 10 MiB. Served by hyper
//! through the router, a stream held ~54 KiB: hyper's connection buffers (an 8 KiB read buffer
//! and an 8 KiB write buffer, neither below 8 KiB whatever the settings), the connection and
//! service futures, and what the router's layers keep per response (CORS, trace span, request
//! ids). Here the connection's first request is read by [`accept`]; when it is
//! `GET /api/products/{product}/events` for a known product, the stream is written directly to
//! the socket by [`EventsConn::run`]: chunked encoding of the feed's shared frames, no buffer of
//! its own. Anything else (any other request, or anything unusual about this one: a query
//! string, percent-encoding, a body, HTTP/1.0, an upgrade, pipelining, an unknown product) is
//! handed to hyper and the router with the bytes already read, as if nothing had happened.
//!
//! What the layers did for the stream is done here: CORS (`Access-Control-Allow-Origin` for a
//! configured origin, `Vary`), the request id (echoed or generated), a debug log line.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::HeaderValue;
use bytes::Buf as _;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tower_http::request_id::{MakeRequestId, MakeRequestUuid};

use super::gzip::accepts_gzip;
use super::sse::{parse_last_event_id, stream_headers};
use super::{Encoding, Subscription};
use crate::state::AppState;

/// Largest request head read here; a longer one (huge cookies) is left to hyper.
const MAX_HEAD: usize = 64 * 1024;

/// A request head must arrive within this (as hyper's `header_read_timeout`).
const HEAD_TIMEOUT: Duration = Duration::from_secs(30);

/// A browser that does not take one frame within this is disconnected (its EventSource
/// reconnects and resumes with `Last-Event-ID`).
const WRITE_TIMEOUT: Duration = Duration::from_secs(60);

/// What [`accept`] made of a new connection.
pub enum Accepted {
    /// An event stream, ready to run.
    Events(Box<EventsConn>),
    /// Anything else: serve it with hyper; the bytes already read are replayed first.
    Other(Rewound),
    /// The connection closed or sent nothing in time.
    Closed,
}

/// An event-stream request, read and parsed.
pub struct EventsConn {
    stream: TcpStream,
    product: String,
    last_event_id: Option<u64>,
    gzip: bool,
    /// The `Origin`, when it is one of the allowed origins.
    cors_origin: Option<HeaderValue>,
    request_id: HeaderValue,
    /// The signed-in session: the stream ends when it expires or is signed out.
    session: Option<crate::session::Session>,
}

/// Reads the first request of a new connection and decides who serves it.
///
/// `cors_origins` are the origins allowed by `--cors-origins` (the console on a CDN): the stream
/// carries `Access-Control-Allow-Origin` for them, like the rest of the API.
pub async fn accept(
    mut stream: TcpStream,
    app: &AppState,
    cors_origins: &[HeaderValue],
) -> Accepted {
    let mut buf: Vec<u8> = Vec::with_capacity(1024);
    let read = async {
        loop {
            if buf.len() >= MAX_HEAD {
                return true;
            }
            buf.reserve(1024);
            match tokio::io::AsyncReadExt::read_buf(&mut stream, &mut buf).await {
                Ok(0) | Err(_) => return false,
                Ok(_) => {}
            }
            if buf.windows(4).any(|w| w == b"\r\n\r\n") || !looks_like_a_get(&buf) {
                return true;
            }
        }
    };
    match tokio::time::timeout(HEAD_TIMEOUT, read).await {
        Ok(true) => {}
        // hyper would close this connection too (no request in time, or none at all).
        Ok(false) | Err(_) => return Accepted::Closed,
    }
    let peer = stream.peer_addr().ok();
    match parse(&buf, app, cors_origins, peer) {
        Some(p) => Accepted::Events(Box::new(EventsConn {
            stream,
            product: p.product,
            last_event_id: p.last_event_id,
            gzip: p.gzip,
            cors_origin: p.cors_origin,
            request_id: p.request_id,
            session: p.session,
        })),
        None => Accepted::Other(Rewound {
            prefix: buf,
            pos: 0,
            inner: stream,
        }),
    }
}

/// Could this still become an event-stream request? (Lets anything else go to hyper at once.)
fn looks_like_a_get(buf: &[u8]) -> bool {
    let n = buf.len().min(4);
    buf[..n] == b"GET "[..n]
}

struct Parsed {
    product: String,
    last_event_id: Option<u64>,
    gzip: bool,
    cors_origin: Option<HeaderValue>,
    request_id: HeaderValue,
    session: Option<crate::session::Session>,
}

/// The event-stream request in `buf`, if that is exactly what it is.
fn parse(
    buf: &[u8],
    app: &AppState,
    cors_origins: &[HeaderValue],
    peer: Option<std::net::SocketAddr>,
) -> Option<Parsed> {
    let mut headers = [httparse::EMPTY_HEADER; 48];
    let mut req = httparse::Request::new(&mut headers);
    let httparse::Status::Complete(len) = req.parse(buf).ok()? else {
        return None;
    };
    if len != buf.len() || req.method != Some("GET") || req.version != Some(1) {
        return None; // pipelined requests, other methods, HTTP/1.0: hyper
    }
    let product = req
        .path?
        .strip_prefix("/api/products/")?
        .strip_suffix("/events")?;
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_.~".contains(c);
    if product.is_empty() || !product.chars().all(plain) {
        return None; // empty, '/', '%'-encoded or a query string: the router decides
    }
    app.registry.dashboard_of(product)?; // unknown: the router's 404
    let mut p = Parsed {
        product: product.to_string(),
        last_event_id: None,
        gzip: false,
        cors_origin: None,
        request_id: HeaderValue::from_static("-"),
        session: None,
    };
    let mut request_id = None;
    // With sign-in on, only a caller `Security::identify` recognises (session cookie, or a
    // trusted proxy's user header) and who has a role for the product is served here; anything
    // else goes to hyper and the router, whose `require_session` answers 401 or 403 (one
    // decision, one answer).
    let mut auth_headers = axum::http::HeaderMap::new();
    for h in req.headers.iter() {
        let name = h.name;
        let value = std::str::from_utf8(h.value).ok();
        if name.eq_ignore_ascii_case("content-length") {
            if value.map(str::trim) != Some("0") {
                return None;
            }
        } else if ["transfer-encoding", "expect", "upgrade"]
            .iter()
            .any(|n| name.eq_ignore_ascii_case(n))
        {
            return None;
        } else if name.eq_ignore_ascii_case("accept-encoding") {
            p.gzip |= value.is_some_and(accepts_gzip);
        } else if name.eq_ignore_ascii_case("last-event-id") {
            p.last_event_id = value.and_then(parse_last_event_id);
        } else if name.eq_ignore_ascii_case("origin") {
            p.cors_origin = cors_origins
                .iter()
                .find(|o| o.as_bytes() == h.value)
                .cloned();
        } else if name.eq_ignore_ascii_case("x-request-id") {
            request_id = HeaderValue::from_bytes(h.value).ok();
        }
        if app.security.key.is_some() {
            if let (Ok(n), Ok(v)) = (
                axum::http::HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_bytes(h.value),
            ) {
                auth_headers.append(n, v);
            }
        }
    }
    if app.security.key.is_some() {
        let id = app.security.identify(peer, &auth_headers)?;
        let caller = crate::auth::Caller::from_identity(id, peer);
        app.security.role_in(&caller, product)?;
        p.session = caller.session;
    }
    p.request_id = request_id.or_else(new_request_id).unwrap_or(p.request_id);
    Some(p)
}

/// A fresh request id, as the router's `SetRequestIdLayer` makes them.
fn new_request_id() -> Option<HeaderValue> {
    let req = axum::http::Request::new(());
    MakeRequestUuid
        .make_request_id(&req)
        .map(|id| id.header_value().clone())
}

impl EventsConn {
    /// Subscribes and writes the stream until the browser goes away or the server shuts down.
    pub async fn run(self: Box<Self>, app: Arc<AppState>) {
        let EventsConn {
            mut stream,
            product,
            last_event_id,
            gzip,
            cors_origin,
            request_id,
            session,
        } = *self;
        tracing::debug!(%product, request_id = ?request_id, gzip, "event stream opened");
        let encoding = if gzip {
            Encoding::Gzip
        } else {
            Encoding::Identity
        };
        let mut sub = app
            .live
            .subscribe_encoded(&product, last_event_id, encoding)
            .await;
        drop(product);
        let head = response_head(gzip, cors_origin.as_ref(), &request_id);
        drop((cors_origin, request_id));
        if write(&mut stream, &head).await.is_err() {
            return;
        }
        drop(head);
        let keepalive = app.live.config.keepalive;
        // Ends when the session expires or is signed out: the browser's reconnect is then
        // refused (401), and the console asks to sign in again.
        let session_end = app.security.session_end(session);
        let ended = serve(&mut stream, &mut sub, keepalive, session_end).await;
        if ended {
            // Server shutdown or the end of the session: end the body properly, so the browser
            // reconnects at once.
            let _ = write(&mut stream, b"0\r\n\r\n").await;
            let _ = stream.shutdown().await;
        }
    }
}

/// Writes frames until the browser goes away (false) or the stream ends (true): the server
/// shuts down, or `session_end` resolves.
async fn serve(
    stream: &mut TcpStream,
    sub: &mut Subscription,
    keepalive: Duration,
    session_end: impl std::future::Future<Output = ()>,
) -> bool {
    let mut session_end = std::pin::pin!(session_end);
    loop {
        let next = tokio::select! {
            next = sub.next_or_keepalive(keepalive) => next,
            () = &mut session_end => return true,
            gone = closed(stream) => {
                if gone {
                    return false;
                }
                continue;
            }
        };
        let Some(frame) = next else {
            return true;
        };
        if write_chunk(stream, frame).await.is_err() {
            return false;
        }
    }
}

/// Waits for the browser to send something: true when it closed the connection (or it failed),
/// false when it sent bytes (ignored: nothing is expected while the stream runs).
async fn closed(stream: &TcpStream) -> bool {
    if stream.readable().await.is_err() {
        return true;
    }
    let mut scratch = [0u8; 64];
    match stream.try_read(&mut scratch) {
        Ok(0) => true,
        Ok(_) => false,
        Err(e) => e.kind() != io::ErrorKind::WouldBlock,
    }
}

fn response_head(gzip: bool, origin: Option<&HeaderValue>, request_id: &HeaderValue) -> Vec<u8> {
    let mut h = Vec::with_capacity(384);
    h.extend_from_slice(b"HTTP/1.1 200 OK\r\n");
    for (name, value) in stream_headers(gzip) {
        if *name == "vary" {
            continue;
        }
        header(&mut h, name.as_bytes(), value.as_bytes());
    }
    // The router's CorsLayer varies on these whatever the origin.
    header(
        &mut h,
        b"vary",
        b"accept-encoding, origin, access-control-request-method, access-control-request-headers",
    );
    if let Some(origin) = origin {
        header(&mut h, b"access-control-allow-origin", origin.as_bytes());
    }
    header(&mut h, b"x-request-id", request_id.as_bytes());
    header(&mut h, b"transfer-encoding", b"chunked");
    h.extend_from_slice(b"\r\n");
    h
}

fn header(h: &mut Vec<u8>, name: &[u8], value: &[u8]) {
    h.extend_from_slice(name);
    h.extend_from_slice(b": ");
    h.extend_from_slice(value);
    h.extend_from_slice(b"\r\n");
}

async fn write(stream: &mut TcpStream, bytes: &[u8]) -> io::Result<()> {
    tokio::time::timeout(WRITE_TIMEOUT, stream.write_all(bytes))
        .await
        .map_err(|_| io::ErrorKind::TimedOut)?
}

/// One chunk of the chunked body: size line, the shared frame bytes (not copied), CRLF.
async fn write_chunk(stream: &mut TcpStream, frame: Bytes) -> io::Result<()> {
    if frame.is_empty() {
        return Ok(()); // an empty chunk would end the body
    }
    let size = format!("{:x}\r\n", frame.len());
    let mut buf = size.as_bytes().chain(frame).chain(&b"\r\n"[..]);
    tokio::time::timeout(WRITE_TIMEOUT, stream.write_all_buf(&mut buf))
        .await
        .map_err(|_| io::ErrorKind::TimedOut)?
}

/// A connection whose first bytes were already read: replays them, then reads the socket.
pub struct Rewound {
    prefix: Vec<u8>,
    pos: usize,
    inner: TcpStream,
}

impl AsyncRead for Rewound {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if this.pos < this.prefix.len() {
            let n = (this.prefix.len() - this.pos).min(buf.remaining());
            buf.put_slice(&this.prefix[this.pos..this.pos + n]);
            this.pos += n;
            if this.pos == this.prefix.len() {
                this.prefix = Vec::new();
                this.pos = 0;
            }
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for Rewound {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_response_head_has_the_stream_headers_cors_and_request_id() {
        let head = response_head(
            true,
            Some(&HeaderValue::from_static("https://cdn.example")),
            &HeaderValue::from_static("abc"),
        );
        let text = String::from_utf8(head).unwrap();
        assert!(text.starts_with("HTTP/1.1 200 OK\r\n"));
        assert!(text.ends_with("transfer-encoding: chunked\r\n\r\n"));
        for line in [
            "content-type: text/event-stream",
            "content-encoding: gzip",
            "x-content-type-options: nosniff",
            "access-control-allow-origin: https://cdn.example",
            "x-request-id: abc",
        ] {
            assert!(text.contains(&format!("{line}\r\n")), "{line} in {text}");
        }
        assert_eq!(text.matches("vary:").count(), 1);
    }

    #[test]
    fn only_a_get_can_become_an_event_stream() {
        assert!(looks_like_a_get(b"GE"));
        assert!(looks_like_a_get(b"GET /api"));
        assert!(!looks_like_a_get(b"POST /api"));
        assert!(!looks_like_a_get(b"PRI * HTTP/2.0"));
    }
}
