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
//! The stream's head goes through the same response policy as every other answer
//! ([`crate::policy::Policy::wrap`]: request id, CORS, security headers), so the two paths send
//! the same headers; only a debug log line is written here instead of the trace layer's.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue};
use bytes::Buf as _;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;

use super::gzip::accepts_gzip;
use super::sse::{parse_last_event_id, stream_headers};
use super::{Encoding, Subscription};
use crate::policy::Policy;
use crate::state::AppState;

/// Largest request head read here; a longer one (huge cookies) is left to hyper.
const MAX_HEAD: usize = 64 * 1024;

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
    /// The request headers the response policy looks at (`Origin`, `X-Request-Id`).
    policy_headers: HeaderMap,
    /// The signed-in session: the stream ends when it expires or is signed out.
    session: Option<crate::session::Session>,
}

/// Reads the first request of a new connection and decides who serves it; the head must arrive
/// within `head_timeout` (as hyper's `header_read_timeout` for the requests it reads).
pub async fn accept(
    mut stream: TcpStream,
    app: &AppState,
    policy: &Policy,
    head_timeout: Duration,
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
    match tokio::time::timeout(head_timeout, read).await {
        Ok(true) => {}
        // hyper would close this connection too (no request in time, or none at all).
        Ok(false) | Err(_) => return Accepted::Closed,
    }
    let peer = stream.peer_addr().ok();
    match parse(&buf, app, policy, peer) {
        Some(p) => Accepted::Events(Box::new(EventsConn {
            stream,
            product: p.product,
            last_event_id: p.last_event_id,
            gzip: p.gzip,
            policy_headers: p.policy_headers,
            session: p.session,
        })),
        None => Accepted::Other(Rewound {
            prefix: buf,
            ..Rewound::new(stream)
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
    policy_headers: HeaderMap,
    session: Option<crate::session::Session>,
}

/// The event-stream request in `buf`, if that is exactly what it is.
fn parse(
    buf: &[u8],
    app: &AppState,
    policy: &Policy,
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
    // Under `--base-path` (`/codis/`), the stream is `/codis/api/products/{product}/events`.
    let product = req
        .path?
        .strip_prefix(app.base_path.trim_end_matches('/'))?
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
        policy_headers: HeaderMap::new(),
        session: None,
    };
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
            // Only an allowed origin is kept: the policy answers nothing for another one.
            if policy.allows_origin(h.value) {
                if let Ok(v) = HeaderValue::from_bytes(h.value) {
                    p.policy_headers.append(axum::http::header::ORIGIN, v);
                }
            }
        } else if name.eq_ignore_ascii_case("x-request-id") {
            if let Ok(v) = HeaderValue::from_bytes(h.value) {
                p.policy_headers.insert("x-request-id", v);
            }
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
    Some(p)
}

impl EventsConn {
    /// Subscribes and writes the stream until the browser goes away or the server shuts down.
    pub async fn run(self: Box<Self>, app: Arc<AppState>, policy: Policy) {
        let EventsConn {
            mut stream,
            product,
            last_event_id,
            gzip,
            policy_headers,
            session,
        } = *self;
        let encoding = if gzip {
            Encoding::Gzip
        } else {
            Encoding::Identity
        };
        let mut sub = app
            .live
            .subscribe_encoded(&product, last_event_id, encoding)
            .await;
        // Boxed: the policy's layers run once, and must not grow the task every open stream keeps.
        let head = Box::pin(response_head(&policy, gzip, policy_headers)).await;
        drop(policy);
        tracing::debug!(%product, gzip, "event stream opened");
        drop(product);
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
            // Server shutdown or the end of the session: end the body properly (a gzip stream
            // with its trailer), so the browser reconnects at once.
            if let Some(last) = sub.finish() {
                let _ = write_chunk(&mut stream, last).await;
            }
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

/// The stream's response head: the stream headers, then the response policy's (the same layers
/// as the router's), then chunked framing.
async fn response_head(policy: &Policy, gzip: bool, request_headers: HeaderMap) -> Vec<u8> {
    let mut req = axum::http::Request::new(axum::body::Body::empty());
    *req.headers_mut() = request_headers;
    let res = policy
        .answer(req, move |_| {
            let mut res = axum::response::Response::new(axum::body::Body::empty());
            for (name, value) in stream_headers(gzip) {
                res.headers_mut()
                    .append(*name, HeaderValue::from_static(value));
            }
            res
        })
        .await;
    crate::policy::head_bytes(&res, b"transfer-encoding: chunked\r\n")
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
///
/// On the way out it adds the response policy's headers ([`Policy::bare_headers`]) to the answers
/// hyper writes by itself for a request it cannot parse (400, 414, 431): hyper makes those with
/// no service call and no way to add headers.
pub struct Rewound<T = TcpStream> {
    prefix: Vec<u8>,
    pos: usize,
    inner: T,
    bare_headers: Option<std::sync::Arc<[u8]>>,
    /// Bytes accepted from hyper (a rewritten error head) not yet written to the socket.
    pending: Vec<u8>,
    pending_pos: usize,
}

/// The status lines of hyper's own answers to a request it cannot parse.
const HYPER_ERROR_LINES: [&[u8]; 3] = [
    b"HTTP/1.1 400 Bad Request\r\n",
    b"HTTP/1.1 414 URI Too Long\r\n",
    b"HTTP/1.1 431 Request Header Fields Too Large\r\n",
];

impl<T: AsyncRead + AsyncWrite + Unpin> Rewound<T> {
    /// `inner` with nothing to replay (a TLS stream: hyper reads it from the start).
    pub fn new(inner: T) -> Rewound<T> {
        Rewound {
            prefix: Vec::new(),
            pos: 0,
            inner,
            bare_headers: None,
            pending: Vec::new(),
            pending_pos: 0,
        }
    }

    /// Adds `headers` (`name: value\r\n` lines) to hyper's own error answers (HTTP/1.1 only: an
    /// HTTP/2 frame never starts with a status line, so HTTP/2 passes through untouched).
    pub fn with_bare_headers(mut self, headers: std::sync::Arc<[u8]>) -> Rewound<T> {
        self.bare_headers = Some(headers);
        self
    }

    /// Writes what is pending; ready once nothing is.
    fn poll_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.pending_pos < self.pending.len() {
            let n =
                match Pin::new(&mut self.inner).poll_write(cx, &self.pending[self.pending_pos..]) {
                    Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                    Poll::Ready(Ok(n)) => n,
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                    Poll::Pending => return Poll::Pending,
                };
            self.pending_pos += n;
        }
        self.pending = Vec::new();
        self.pending_pos = 0;
        Poll::Ready(Ok(()))
    }

    /// Takes `buf` as a rewritten error head when it is one: `Some(len)` consumed.
    fn poll_write_rewritten(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Option<usize> {
        let out = rewrite(self.bare_headers.as_deref()?, buf)?;
        self.pending = out;
        self.pending_pos = 0;
        // Start writing now; the rest goes out on the next write, flush or shutdown.
        let _ = self.poll_pending(cx);
        Some(buf.len())
    }
}

/// `buf` with `extra` header lines after the status line, when it is the head of one of
/// hyper's own error answers (ours always carry `x-content-type-options`).
fn rewrite(extra: &[u8], buf: &[u8]) -> Option<Vec<u8>> {
    let line = HYPER_ERROR_LINES.iter().find(|l| buf.starts_with(l))?;
    let head_end = buf.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = &buf[..head_end];
    if head
        .windows(b"x-content-type-options".len())
        .any(|w| w.eq_ignore_ascii_case(b"x-content-type-options"))
    {
        return None;
    }
    let mut out = Vec::with_capacity(buf.len() + extra.len());
    out.extend_from_slice(line);
    out.extend_from_slice(extra);
    out.extend_from_slice(&buf[line.len()..]);
    Some(out)
}

impl<T: AsyncRead + AsyncWrite + Unpin> AsyncRead for Rewound<T> {
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

impl<T: AsyncRead + AsyncWrite + Unpin> AsyncWrite for Rewound<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        std::task::ready!(this.poll_pending(cx))?;
        if let Some(n) = this.poll_write_rewritten(cx, buf) {
            return Poll::Ready(Ok(n));
        }
        Pin::new(&mut this.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        std::task::ready!(this.poll_pending(cx))?;
        if let Some(first) = bufs.iter().find(|b| !b.is_empty()) {
            if let Some(n) = this.poll_write_rewritten(cx, first) {
                return Poll::Ready(Ok(n));
            }
        }
        Pin::new(&mut this.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        std::task::ready!(this.poll_pending(cx))?;
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        std::task::ready!(this.poll_pending(cx))?;
        Pin::new(&mut this.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_response_head_has_the_stream_headers_the_policy_and_cors() {
        let policy = Policy::new(&[], &["https://cdn.example".into()]).expect("policy");
        let mut req = HeaderMap::new();
        req.insert("origin", HeaderValue::from_static("https://cdn.example"));
        req.insert("x-request-id", HeaderValue::from_static("abc"));
        let head = response_head(&policy, true, req).await;
        let text = String::from_utf8(head).unwrap();
        assert!(text.starts_with("HTTP/1.1 200 OK\r\n"));
        assert!(text.ends_with("transfer-encoding: chunked\r\n\r\n"));
        for line in [
            "content-type: text/event-stream",
            "content-encoding: gzip",
            "x-content-type-options: nosniff",
            "referrer-policy: no-referrer",
            "content-security-policy: default-src 'none'; frame-ancestors 'none'",
            "access-control-allow-origin: https://cdn.example",
            "access-control-allow-credentials: true",
            "x-request-id: abc",
        ] {
            assert!(text.contains(&format!("{line}\r\n")), "{line} in {text}");
        }
    }

    #[test]
    fn hypers_own_error_answers_get_the_policy_headers_and_ours_are_left_alone() {
        let policy = Policy::new(&[], &[]).expect("policy");
        let extra = policy.bare_headers();
        let rw = |buf: &[u8]| rewrite(&extra, buf).map(|v| String::from_utf8(v).unwrap());
        let out = rw(b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\n\r\n")
            .expect("rewritten");
        assert!(
            out.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"),
            "{out}"
        );
        assert!(out.contains("x-content-type-options: nosniff\r\n"), "{out}");
        assert!(out.ends_with("content-length: 0\r\n\r\n"), "{out}");
        assert_eq!(
            rw(b"HTTP/1.1 400 Bad Request\r\nx-content-type-options: nosniff\r\n\r\n"),
            None
        );
        assert_eq!(rw(b"HTTP/1.1 200 OK\r\n\r\n"), None);
    }

    #[test]
    fn only_a_get_can_become_an_event_stream() {
        assert!(looks_like_a_get(b"GE"));
        assert!(looks_like_a_get(b"GET /api"));
        assert!(!looks_like_a_get(b"POST /api"));
        assert!(!looks_like_a_get(b"PRI * HTTP/2.0"));
    }
}
