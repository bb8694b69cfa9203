//! Builds the HTTP application and runs it until SIGTERM or SIGINT.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::{
    body::Body,
    extract::{Request, State},
    http::header,
    middleware::Next,
    response::{IntoResponse, Response},
    Router,
};
use tokio::net::TcpListener;
use tower_http::{compression::CompressionLayer, trace::TraceLayer};

use crate::{
    api, assets, config::Args, dashboard::DashboardClient, demo, error::ApiError, policy::Policy,
    registry::Registry, state::AppState,
};

/// Everything a running server holds; dropping it stops the demo cluster and background tasks.
pub struct Server {
    pub app: Router,
    pub state: Arc<AppState>,
    /// The response policy (headers of every answer), for the answers [`serve`] writes itself.
    pub policy: Policy,
    pub demo: Option<demo::DemoCluster>,
    /// `--max-connections`: connections served at once by [`serve`].
    pub max_connections: usize,
    /// `--max-connections-per-ip`: of those, from one client address.
    pub max_connections_per_ip: usize,
    /// Time allowed for a request head, then for its body.
    pub request_timeout: Duration,
    /// Where the console served comes from (`--assets-dir`, embedded), or `None`: API only.
    pub console: Option<String>,
    /// `--tls-cert`/`--tls-key`: HTTPS (HTTP/2 or HTTP/1.1 by ALPN) on the listener.
    pub tls: Option<Arc<crate::tls::Tls>>,
    /// `--shutdown-timeout`: the longest drain of requests in flight once accepting stopped.
    pub shutdown_timeout: Duration,
    _refresh: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self._refresh.abort();
    }
}

/// Builds the application for these settings: discovery (and the demo cluster when asked),
/// the API, the `?forward=` compatibility layer and the console's assets. Discovery has run once
/// when this returns, so the first page load already lists products.
pub async fn build(args: &Args) -> Result<Server, String> {
    args.check_auth()?;
    let max_connections_per_ip = args.connections_per_ip()?;
    let security = crate::auth::Security::from_args(args)?;
    let audit = match &args.audit_log {
        Some(path) => Some(crate::audit::AuditLog::open(path).await?),
        None => None,
    };
    let source = args.discovery_source()?;
    let client = DashboardClient::with_concurrency(
        args.dashboard_timeout,
        args.dashboard_concurrency as usize,
    );
    let registry = Registry::new(source, client.clone());
    let demo = if args.demo {
        let mut cluster =
            demo::DemoCluster::start(&args.demo_faults, args.demo_noise, args.demo_pika_slots)
                .await?;
        cluster.add_fleet(args.demo_fleet, args.demo_noise).await?;
        for (name, addr) in cluster.products() {
            registry.add_fixed(&name, &addr);
        }
        Some(cluster)
    } else {
        None
    };
    registry.refresh().await;
    let refresh = registry.spawn_refresh(args.discovery_interval);
    let live = crate::live::Hub::new(
        registry.clone(),
        client.clone(),
        crate::live::LiveConfig::from_args(args),
    );
    let alert_rules = match &args.alerts {
        Some(path) => crate::fleet::alerts::AlertRules::load(path)?,
        None => Default::default(),
    };
    let fleet = crate::fleet::Fleet::new(
        live.clone(),
        crate::fleet::FleetConfig::from_args(args),
        alert_rules,
    );
    if args.alerts.is_some() {
        // Alerts are for when nobody watches: every product is read all the time.
        fleet.keep_running();
    }
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(Arc::new(crate::tls::Tls::new(cert, key)?)),
        _ => None,
    };
    // Over TLS the session cookie is `Secure` (`--cookie-secure` says so behind a TLS proxy).
    let cookie = crate::session::CookieAttributes::from_flags(
        &args.cookie_samesite,
        args.cookie_secure || tls.is_some(),
    )?
    .at_path(&args.base_path);
    let state = Arc::new(AppState {
        registry,
        client,
        live,
        fleet,
        security,
        cookie: cookie.clone(),
        base_path: args.base_path.clone(),
        draining: Default::default(),
        audit_log: audit,
        recent: Default::default(),
        running: Default::default(),
    });

    let mut app = api::router();
    let mut script_hashes = Vec::new();
    // `--assets-dir` overrides the console embedded in the binary; with neither, the API only.
    let console = match &args.assets_dir {
        Some(dir) => Some(assets::Console::from_dir(dir)?),
        None => assets::Console::embedded(),
    }
    .map(|c| c.at_base(&args.base_path));
    let console_source = console.as_ref().map(|c| c.source.clone());
    if let Some(console) = console {
        script_hashes = console.script_hashes();
        app = app.fallback_service(Arc::new(console).router());
    }
    let policy = Policy::with_cookie(&script_hashes, &args.cors_origins, cookie)?
        .with_hsts(tls.as_ref().map(|_| args.hsts_max_age));
    let request_timeout = args.request_timeout;
    let app = app
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            api::forward_layer,
        ))
        // Outside `?forward=`, so forwarded requests need a session too.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::auth::require_session::<AppState>,
        ))
        .with_state(state.clone())
        .layer(axum::middleware::from_fn_with_state(
            policy.clone(),
            refuse_cross_site,
        ))
        .layer(axum::middleware::from_fn_with_state(
            request_timeout,
            read_whole_request,
        ))
        // Outside the limit: a 413 it answers, or a 405, is audited (state-changing requests).
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::auth::audit_early_refusals::<AppState>,
        ))
        // JSON answers (a large cluster's overview is ~1 MB) compressed as the browser accepts.
        // Not the event stream (`text/event-stream` is never compressed here: it has its own
        // shared gzip stream), not the console's files (already precompressed).
        .layer(CompressionLayer::new())
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
                let id = req
                    .headers()
                    .get("x-request-id")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("-");
                tracing::info_span!("http", method = %req.method(), path = %crate::dashboard::redact_path(req.uri().path()), request_id = %id)
            }),
        );
    // `--base-path`: the prefix comes off before anything else looks at the path, so every
    // route, `?forward=` and the console's files are the same code at any path.
    let app = if args.base_path == "/" {
        app
    } else {
        Router::new()
            .fallback_service(app)
            .layer(axum::middleware::from_fn_with_state(
                Arc::<str>::from(args.base_path.as_str()),
                strip_base_path,
            ))
    };
    // The response policy around everything (request id, CORS, security headers, Retry-After):
    // the same layers as the event stream served on the bare connection.
    let wrapped = policy.wrap(app);
    let app = Router::new().fallback_service(wrapped);
    Ok(Server {
        app,
        state,
        policy,
        demo,
        max_connections: args.max_connections as usize,
        max_connections_per_ip,
        request_timeout,
        console: console_source,
        tls,
        shutdown_timeout: args.shutdown_timeout,
        _refresh: refresh,
    })
}

/// Largest request body accepted (actions are a few hundred bytes; a rebalance plan of all 1024
/// slots is ~20 KiB): 413 past it.
pub const MAX_REQUEST_BODY: usize = 64 * 1024;

/// Middleware: reads the whole request body within `timeout` (a client sending one byte every
/// few seconds is answered 408 and disconnected instead of holding a connection for ever) and
/// within [`MAX_REQUEST_BODY`] (413 with the API's JSON error body), before anything else runs.
async fn read_whole_request(State(timeout): State<Duration>, req: Request, next: Next) -> Response {
    use futures::StreamExt as _;
    let too_large = || {
        ApiError::TooLarge(format!(
            "the request body is larger than {MAX_REQUEST_BODY} bytes"
        ))
        .into_response()
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_REQUEST_BODY as u64) {
        return too_large();
    }
    let (parts, body) = req.into_parts();
    let read = async {
        let mut stream = body.into_data_stream();
        let mut buf = bytes::BytesMut::new();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|_| {
                ApiError::BadRequest("the request body could not be read".into()).into_response()
            })?;
            if buf.len() + chunk.len() > MAX_REQUEST_BODY {
                return Err(too_large());
            }
            buf.extend_from_slice(&chunk);
        }
        Ok(buf.freeze())
    };
    match tokio::time::timeout(timeout, read).await {
        Ok(Ok(bytes)) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Ok(Err(resp)) => resp,
        Err(_) => ApiError::RequestTimeout(format!(
            "the request body did not arrive within {} s",
            timeout.as_secs_f64()
        ))
        .into_response(),
    }
}

/// Middleware (with `--base-path=/codis/`): `/codis/rest` goes on as `/rest`; `/codis` is
/// redirected to `/codis/` (the console's relative URLs resolve from the slash); any other path
/// is a JSON 404 that names the base path (a proxy forwarding the wrong prefix shows it).
async fn strip_base_path(State(base): State<Arc<str>>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let query = req
        .uri()
        .query()
        .map(|q| format!("?{q}"))
        .unwrap_or_default();
    let bare = base.trim_end_matches('/');
    if path == bare {
        return (
            axum::http::StatusCode::PERMANENT_REDIRECT,
            [(header::LOCATION, format!("{base}{query}"))],
        )
            .into_response();
    }
    let Some(rest) = path.strip_prefix(bare).filter(|r| r.starts_with('/')) else {
        return ApiError::NotFound(format!(
            "{path}: not found; this console is served under --base-path {base}"
        ))
        .into_response();
    };
    let uri = match format!("{rest}{query}").parse::<axum::http::Uri>() {
        Ok(u) => u,
        Err(_) => {
            return ApiError::BadRequest("the request's path is not valid".into()).into_response()
        }
    };
    let (mut parts, body) = req.into_parts();
    parts.uri = uri;
    next.run(Request::from_parts(parts, body)).await
}

/// Middleware: with `--cookie-samesite=none`, a state-changing request from a foreign origin is
/// refused with 403 before anything else sees it (see [`Policy::cross_site_refusal`]).
async fn refuse_cross_site(State(policy): State<Policy>, req: Request, next: Next) -> Response {
    match policy.cross_site_refusal(&req) {
        Some(why) => ApiError::Forbidden(why).into_response(),
        None => next.run(req).await,
    }
}

/// Connections open per client address, for `--max-connections-per-ip`.
#[derive(Clone)]
struct PerAddress {
    max: usize,
    open: Arc<std::sync::Mutex<std::collections::HashMap<IpAddr, usize>>>,
}

/// One connection counted for its address; uncounted when dropped.
struct AddressSlot {
    ip: IpAddr,
    of: PerAddress,
}

impl PerAddress {
    fn take(&self, ip: IpAddr) -> Option<AddressSlot> {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let n = open.entry(ip).or_insert(0);
        if *n >= self.max {
            return None;
        }
        *n += 1;
        Some(AddressSlot {
            ip,
            of: self.clone(),
        })
    }
}

impl Drop for AddressSlot {
    fn drop(&mut self) {
        let mut open = self.of.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = open.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

/// The answer to a request on a connection past `--max-connections-per-ip` (before the policy's
/// headers): 503 with the API's JSON error body.
fn too_many_connections(max: usize) -> Response {
    ApiError::Unavailable(format!(
        "this address already has {max} connections open (--max-connections-per-ip): close some, or try again in a moment"
    ))
    .into_unlogged_response()
}

/// Logs a connection refused by `--max-connections-per-ip`, at most once per 10 s however many
/// come (a client past the cap is usually retrying in a loop; the log must not flood).
fn log_refusal(ip: IpAddr, max: usize) {
    use std::sync::atomic::{AtomicU64, Ordering};
    static LAST_S: AtomicU64 = AtomicU64::new(0);
    static SINCE: AtomicU64 = AtomicU64::new(0);
    let now = crate::registry::now_ms() / 1000;
    let refused = SINCE.fetch_add(1, Ordering::Relaxed) + 1;
    let last = LAST_S.load(Ordering::Relaxed);
    if now >= last + 10
        && LAST_S
            .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
    {
        SINCE.fetch_sub(refused, Ordering::Relaxed);
        tracing::warn!(
            client = %ip,
            max,
            refused,
            "connections refused: the client address has --max-connections-per-ip open (counted since the last such line)"
        );
    }
}

/// The whole answer to a connection past `--max-connections-per-ip`: 503 with `Retry-After`,
/// the API's JSON error body and the policy's headers, then the connection closes.
async fn too_many_connections_answer(policy: &Policy, max: usize) -> Vec<u8> {
    let res = policy
        .answer(Request::new(Body::empty()), move |_| {
            too_many_connections(max)
        })
        .await;
    let (parts, body) = res.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let res = Response::from_parts(parts, ());
    let extra = format!("content-length: {}\r\nconnection: close\r\n", body.len());
    let mut out = crate::policy::head_bytes(&res.map(|_| Body::empty()), extra.as_bytes());
    out.extend_from_slice(&body);
    out
}

/// Connections past `--max-connections-per-ip` being answered at once (each for up to 5 s).
const MAX_REFUSING: usize = 256;

/// Answers a connection refused by the per-address cap and closes it, reading (and dropping)
/// what the client sends meanwhile so that it sees the answer rather than a reset.
async fn refuse_connection(mut stream: tokio::net::TcpStream, answer: Arc<[u8]>) {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let _ = tokio::time::timeout(Duration::from_secs(5), async {
        stream.write_all(&answer).await?;
        stream.shutdown().await?;
        let mut scratch = [0u8; 1024];
        let mut left = 64 * 1024usize;
        while left > 0 {
            let n = stream.read(&mut scratch).await?;
            if n == 0 {
                break;
            }
            left = left.saturating_sub(n);
        }
        Ok::<_, std::io::Error>(())
    })
    .await;
}

/// Over TLS, a connection refused by the per-address cap: the handshake, then the same 503 (with
/// the policy's headers, HSTS included) to each request, in HTTP/2 or HTTP/1.1 as ALPN chose (the
/// plain-text answer would be garbage to a TLS client); closed after 5 s at most.
async fn refuse_tls_connection(
    stream: tokio::net::TcpStream,
    tls: Arc<crate::tls::Tls>,
    policy: Policy,
    bare_headers: Arc<[u8]>,
    max: usize,
) {
    let _ = tokio::time::timeout(Duration::from_secs(5), async move {
        let Ok(stream) = tls.acceptor.accept(stream).await else {
            return;
        };
        // A request hyper cannot parse gets its own 400, with the policy's headers too.
        let stream = crate::live::conn::Rewound::new(stream).with_bare_headers(bare_headers);
        let service = tower::service_fn(move |req: Request<hyper::body::Incoming>| {
            let policy = policy.clone();
            async move {
                let req = req.map(|_| Body::empty());
                Ok::<_, std::convert::Infallible>(
                    policy.answer(req, move |_| too_many_connections(max)).await,
                )
            }
        });
        let mut builder =
            hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new());
        builder.http1().keep_alive(false);
        let _ = builder
            .serve_connection(
                hyper_util::rt::TokioIo::new(stream),
                hyper_util::service::TowerToHyperService::new(service),
            )
            .await;
    })
    .await;
}

/// Serves `server` on `listener` until `shutdown` completes, then drains: what `axum::serve`
/// does, except that live event streams (`GET /api/products/{product}/events`) are answered on
/// the bare connection (see [`crate::live::conn`]): an open stream then holds a few KiB instead
/// of hyper's buffers and the layers' state (~54 KiB), which matters with thousands of tabs.
/// Every other request goes to hyper and the router as with `axum::serve`.
pub async fn serve<F>(listener: TcpListener, server: &Server, shutdown: F) -> std::io::Result<()>
where
    F: std::future::Future<Output = ()> + Send + 'static,
{
    use crate::live::conn::{accept, Accepted};

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    // Every connection task holds a clone; the drain is over when all are dropped.
    let (alive_tx, mut alive_rx) = tokio::sync::mpsc::channel::<()>(1);
    let mut shutdown = std::pin::pin!(shutdown);
    // `--max-connections`: a permit per connection, released when its task ends; while none is
    // free, new connections wait in the kernel's backlog.
    let permits = Arc::new(tokio::sync::Semaphore::new(server.max_connections));
    // `--max-connections-per-ip`: past it, a connection is answered 503 and closed, so that one
    // address cannot take every permit.
    let per_address = PerAddress {
        max: server.max_connections_per_ip,
        open: Default::default(),
    };
    let refusal: Arc<[u8]> =
        too_many_connections_answer(&server.policy, server.max_connections_per_ip)
            .await
            .into();
    let refusing = Arc::new(tokio::sync::Semaphore::new(MAX_REFUSING));
    let bare_headers: Arc<[u8]> = server.policy.bare_headers().into();
    let timeout = server.request_timeout;
    loop {
        let permit = tokio::select! {
            p = permits.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
            _ = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(c) => c,
                Err(e) => {
                    accept_error(e).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let Some(slot) = per_address.take(peer.ip()) else {
            drop(permit);
            log_refusal(peer.ip(), server.max_connections_per_ip);
            // Answered by a task of its own, a bounded number at a time (beyond: closed), so
            // refusals cost at most `MAX_REFUSING` handshakes or writes at once.
            if let Ok(r) = refusing.clone().try_acquire_owned() {
                if let Some(tls) = server.tls.clone() {
                    let (policy, max) = (server.policy.clone(), server.max_connections_per_ip);
                    let bare = bare_headers.clone();
                    tokio::spawn(async move {
                        refuse_tls_connection(stream, tls, policy, bare, max).await;
                        drop(r);
                    });
                } else {
                    let answer = refusal.clone();
                    tokio::spawn(async move {
                        refuse_connection(stream, answer).await;
                        drop(r);
                    });
                }
            }
            continue;
        };
        // Events are small writes that must leave at once.
        let _ = stream.set_nodelay(true);
        let app = server.app.clone();
        let state = server.state.clone();
        let policy = server.policy.clone();
        let bare = bare_headers.clone();
        let mut stop = stop_rx.clone();
        let alive = alive_tx.clone();
        let tls = server.tls.clone();
        tokio::spawn(async move {
            let _alive = alive;
            let _permit = permit;
            let _slot = slot;
            if let Some(tls) = tls {
                drop((state, policy));
                // The handshake within the request timeout, as a request head would be.
                let Ok(Ok(stream)) =
                    tokio::time::timeout(timeout, tls.acceptor.accept(stream)).await
                else {
                    return;
                };
                // hyper's own HTTP/1.1 error answers get the policy's headers here too.
                let io = crate::live::conn::Rewound::new(stream).with_bare_headers(bare);
                return Box::pin(serve_tls(io, app, peer, timeout, stop)).await;
            }
            let io = match accept(stream, &state, &policy, timeout).await {
                Accepted::Events(events) => return events.run(state, policy).await,
                Accepted::Other(io) => io,
                Accepted::Closed => return,
            };
            drop((state, policy));
            let io = io.with_bare_headers(bare);
            // Boxed so that event-stream tasks do not carry the size of hyper's future.
            Box::pin(async move {
                // The peer address, for the audit log (as `into_make_service_with_connect_info`).
                let app = tower::ServiceExt::map_request(
                    app,
                    move |mut req: axum::http::Request<hyper::body::Incoming>| {
                        req.extensions_mut()
                            .insert(axum::extract::ConnectInfo(peer));
                        req
                    },
                );
                let service = hyper_util::service::TowerToHyperService::new(app);
                // Every request head (keep-alive follow-ups too) within the request timeout, as
                // the first one; the body then has as long again (`read_whole_request`).
                // Slow clients cannot hold connections.
                let conn = hyper::server::conn::http1::Builder::new()
                    .timer(hyper_util::rt::TokioTimer::new())
                    .header_read_timeout(timeout)
                    .serve_connection(hyper_util::rt::TokioIo::new(io), service)
                    .with_upgrades();
                let mut conn = std::pin::pin!(conn);
                tokio::select! {
                    _ = conn.as_mut() => return,
                    _ = stop.wait_for(|s| *s) => {}
                }
                conn.as_mut().graceful_shutdown();
                let _ = conn.await;
            })
            .await;
        });
    }
    drop(listener);
    stop_tx.send_replace(true);
    drop(alive_tx);
    // Requests in flight (an action waiting on its dashboard) finish, within the bound; event
    // streams were ended by the shutdown future (a `0` chunk: the browser reconnects, after the
    // `retry:` it was given, to another replica).
    if tokio::time::timeout(server.shutdown_timeout, alive_rx.recv())
        .await
        .is_err()
    {
        tracing::warn!(
            "shutdown: connections still busy after --shutdown-timeout {:?}: closed",
            server.shutdown_timeout
        );
    }
    Ok(())
}

/// A TLS connection: hyper with HTTP/2 or HTTP/1.1 as ALPN chose, every request (event streams
/// included, through the router's handler) through the router. The bare-connection fast path of
/// event streams ([`crate::live::conn`]) is for plain HTTP/1.1 only: an event stream over TLS
/// holds hyper's and rustls's buffers.
async fn serve_tls(
    stream: crate::live::conn::Rewound<tokio_rustls::server::TlsStream<tokio::net::TcpStream>>,
    app: Router,
    peer: std::net::SocketAddr,
    timeout: Duration,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let app = tower::ServiceExt::map_request(
        app,
        move |mut req: axum::http::Request<hyper::body::Incoming>| {
            req.extensions_mut()
                .insert(axum::extract::ConnectInfo(peer));
            req
        },
    );
    let service = hyper_util::service::TowerToHyperService::new(app);
    let mut builder =
        hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new());
    builder
        .http1()
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(timeout);
    // Pings find a vanished browser whose HTTP/2 connection carries only a quiet event stream.
    builder
        .http2()
        .timer(hyper_util::rt::TokioTimer::new())
        .keep_alive_interval(Some(Duration::from_secs(30)));
    let conn =
        builder.serve_connection_with_upgrades(hyper_util::rt::TokioIo::new(stream), service);
    let mut conn = std::pin::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => return,
        _ = stop.wait_for(|s| *s) => {}
    }
    conn.as_mut().graceful_shutdown();
    let _ = conn.await;
}

/// As `axum::serve`: connection errors are the peer's business; others (out of file
/// descriptors) pause accepting for a second rather than spin.
async fn accept_error(e: std::io::Error) {
    use std::io::ErrorKind::*;
    if matches!(
        e.kind(),
        ConnectionRefused | ConnectionAborted | ConnectionReset
    ) {
        return;
    }
    tracing::error!("accept error: {e}");
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
}

pub async fn run(args: Args) -> Result<(), String> {
    crate::logging::init(&args)?;
    let server = build(&args).await?;
    let listener = TcpListener::bind(args.listen)
        .await
        .map_err(|e| format!("--listen {}: {e}", args.listen))?;
    let pidfile = args
        .pidfile
        .as_ref()
        .map(|p| PidFile::write(p.clone()))
        .transpose()?;
    let _reload = server.tls.as_ref().and_then(|t| t.reload_on_sighup());
    let scheme = if server.tls.is_some() {
        "https"
    } else {
        "http"
    };
    let console = server.console.as_deref().unwrap_or("none (API only)");
    // The address actually bound: with `--listen=HOST:0` the kernel picks the port, and this line
    // is how a script (or a test) learns it without racing another process for a "free" port.
    let listen = listener.local_addr().unwrap_or(args.listen);
    tracing::warn!(%listen, console, demo = args.demo, "codis-fe started");
    match &server.console {
        Some(_) => eprintln!(
            "codis-fe: console at {scheme}://{listen}{} ({console})",
            args.base_path
        ),
        None => eprintln!(
            "codis-fe: API at {scheme}://{listen}{} (no console: this binary embeds none and --assets-dir is not given)",
            args.base_path
        ),
    }
    let result = serve(listener, &server, {
        // Live event streams never end by themselves: end them so the drain can finish.
        let live = server.state.live.clone();
        let state = server.state.clone();
        let delay = args.shutdown_delay;
        async move {
            shutdown_signal().await;
            // /readyz first, while everything is still served, so a load balancer drains us.
            state
                .draining
                .store(true, std::sync::atomic::Ordering::Relaxed);
            if !delay.is_zero() {
                tracing::warn!(
                    "shutting down: /readyz answers 503; serving {delay:?} more (--shutdown-delay)"
                );
                tokio::time::sleep(delay).await;
            }
            live.shutdown();
            state.fleet.shutdown();
        }
    })
    .await
    .map_err(|e| e.to_string());
    drop(pidfile);
    drop(server);
    result
}

/// The pidfile is removed when this is dropped, so also after SIGTERM/SIGINT (graceful shutdown
/// returns normally), unlike codis-fe which left it behind (codis-fe-spec.md §7.14).
struct PidFile(std::path::PathBuf);

impl PidFile {
    fn write(path: std::path::PathBuf) -> Result<PidFile, String> {
        std::fs::write(&path, format!("{}\n", std::process::id()))
            .map_err(|e| format!("--pidfile {}: {e}", path.display()))?;
        Ok(PidFile(path))
    }
}

impl Drop for PidFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::warn!("shutting down: draining requests");
}
