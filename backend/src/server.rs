//! Builds the HTTP application and runs it until SIGTERM or SIGINT.

use std::sync::Arc;

use axum::{
    http::{HeaderName, HeaderValue, Method},
    Router,
};
use tokio::net::TcpListener;
use tower_http::{
    cors::{AllowOrigin, CorsLayer},
    limit::RequestBodyLimitLayer,
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    set_header::SetResponseHeaderLayer,
    trace::TraceLayer,
};

use crate::{
    api, assets, config::Args, dashboard::DashboardClient, demo, registry::Registry,
    state::AppState,
};

/// Everything a running server holds; dropping it stops the demo cluster and background tasks.
pub struct Server {
    pub app: Router,
    pub state: Arc<AppState>,
    /// The origins allowed by `--cors-origins`, for the event streams [`serve`] answers itself.
    pub cors_origins: Arc<[HeaderValue]>,
    pub demo: Option<demo::DemoCluster>,
    /// `--max-connections`: connections served at once by [`serve`].
    pub max_connections: usize,
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
    let security = crate::security::Security::from_args(args)?;
    let audit = match &args.audit_log {
        Some(path) => Some(crate::security::AuditLog::open(path).await?),
        None => None,
    };
    let source = args.discovery_source()?;
    let client = DashboardClient::new(args.dashboard_timeout);
    let registry = Registry::new(source, client.clone());
    let demo = if args.demo {
        let cluster = demo::DemoCluster::start(&args.demo_faults, args.demo_noise).await?;
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
    let state = Arc::new(AppState {
        registry,
        client,
        live,
        security,
        audit_log: audit,
        recent: Default::default(),
    });

    let mut app = api::router();
    let mut script_hashes = Vec::new();
    if let Some(dir) = &args.assets_dir {
        let dir = assets::check_dir(dir)?;
        script_hashes = assets::inline_script_hashes(&dir)?;
        app = app.fallback_service(assets::router(&dir));
    }
    let request_id = HeaderName::from_static("x-request-id");
    let cors_origins = cors_origins(&args.cors_origins)?;
    let app = app
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            api::forward_layer,
        ))
        // Outside `?forward=`, so forwarded requests need a session too.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::security::require_session,
        ))
        .with_state(state.clone())
        // Only with --cors-origins: without it, CORS would still add a 90-byte Vary header to
        // every answer (part of a cold load's bytes) and allow nothing.
        .layer(tower::util::option_layer(
            (!cors_origins.is_empty()).then(|| cors(&cors_origins)),
        ))
        .layer(RequestBodyLimitLayer::new(MAX_REQUEST_BODY))
        // Outside the limit: a 413 it answers is audited (state-changing requests).
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::security::audit_too_large,
        ))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
                let id = req
                    .headers()
                    .get("x-request-id")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("-");
                tracing::info_span!("http", method = %req.method(), path = %crate::dashboard::redact_path(req.uri().path()), request_id = %id)
            }),
        )
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid));
    let app = security_headers(app, &content_security_policy(&script_hashes))?;
    Ok(Server {
        app,
        state,
        cors_origins: cors_origins.into(),
        demo,
        max_connections: args.max_connections as usize,
        _refresh: refresh,
    })
}

/// Time allowed for a request head on a connection served by hyper.
pub const HEADER_READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Largest request body accepted (actions are a few hundred bytes; a rebalance plan of all 1024
/// slots is ~20 KiB): 413 past it.
pub const MAX_REQUEST_BODY: usize = 64 * 1024;

/// The console's Content-Security-Policy: its own scripts (and Trunk's inline module script, by
/// hash: `script_hashes`) and the WASM module only, inline styles (Trunk inlines the CSS into
/// index.html and the components set `style` attributes), API calls and event streams to the same
/// origin, no plugins, no framing (clickjacking), no `<base>` tricks.
pub fn content_security_policy(script_hashes: &[String]) -> String {
    let mut script_src = String::from("'self' 'wasm-unsafe-eval'");
    for h in script_hashes {
        script_src.push(' ');
        script_src.push_str(h);
    }
    format!(
        "default-src 'self'; script-src {script_src}; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
    )
}

/// The policy of every answer that is not a page (JSON, the WASM module, scripts, CSS): it may
/// load nothing and be framed by nothing, should a browser ever render it as a document.
pub const RESOURCE_CSP: &str = "default-src 'none'; frame-ancestors 'none'";

/// Security headers on every response of the router (set only when a handler did not).
///
/// A Content-Security-Policy and X-Frame-Options govern documents only, so pages (HTML) get the
/// console's policy and `DENY`, every other answer the short [`RESOURCE_CSP`]: the full policy
/// on each of them only added ~330 bytes of headers per answer (1.3 KB of a cold load).
fn security_headers(app: Router, csp: &str) -> Result<Router, String> {
    use axum::http::header;
    let page_csp =
        HeaderValue::from_str(csp).map_err(|e| format!("Content-Security-Policy: {e}"))?;
    let app = app.layer(axum::middleware::map_response(
        move |mut res: axum::response::Response| {
            let page_csp = page_csp.clone();
            async move {
                // A 304 has no content type, and its headers replace the cached answer's: the
                // short policy there would turn a revalidated page into a blank one. It keeps
                // the policy it was stored with.
                if res.status() == axum::http::StatusCode::NOT_MODIFIED {
                    return res;
                }
                let h = res.headers_mut();
                if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
                    let page = h
                        .get(header::CONTENT_TYPE)
                        .is_some_and(|t| t.as_bytes().starts_with(b"text/html"));
                    if page {
                        h.insert(header::CONTENT_SECURITY_POLICY, page_csp);
                        h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
                    } else {
                        h.insert(
                            header::CONTENT_SECURITY_POLICY,
                            HeaderValue::from_static(RESOURCE_CSP),
                        );
                    }
                }
                res
            }
        },
    ));
    Ok([
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        (
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ),
    ]
    .into_iter()
    .fold(app, |app, (name, value)| {
        app.layer(SetResponseHeaderLayer::if_not_present(name, value))
    }))
}

/// The origins of `--cors-origins`, checked.
fn cors_origins(origins: &[String]) -> Result<Vec<HeaderValue>, String> {
    origins
        .iter()
        .filter(|o| !o.is_empty())
        .map(|o| {
            HeaderValue::from_str(o)
                .map_err(|_| format!("--cors-origins: {o:?} is not a valid origin"))
        })
        .collect()
}

/// CORS for a console hosted on another origin (CDN): only the configured origins.
fn cors(origins: &[HeaderValue]) -> CorsLayer {
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins.iter().cloned()))
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([axum::http::header::CONTENT_TYPE, axum::http::header::ACCEPT])
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
        // Events are small writes that must leave at once.
        let _ = stream.set_nodelay(true);
        let app = server.app.clone();
        let state = server.state.clone();
        let cors = server.cors_origins.clone();
        let mut stop = stop_rx.clone();
        let alive = alive_tx.clone();
        tokio::spawn(async move {
            let _alive = alive;
            let _permit = permit;
            let io = match accept(stream, &state, &cors).await {
                Accepted::Events(events) => return events.run(state).await,
                Accepted::Other(io) => io,
                Accepted::Closed => return,
            };
            drop((state, cors));
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
                // Every request head (keep-alive follow-ups too) within 30 s, as the first one
                // (`live::conn::HEAD_TIMEOUT`); slow-header clients cannot hold connections.
                let conn = hyper::server::conn::http1::Builder::new()
                    .timer(hyper_util::rt::TokioTimer::new())
                    .header_read_timeout(HEADER_READ_TIMEOUT)
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
    let _ = alive_rx.recv().await;
    Ok(())
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
    tracing::warn!(listen = %args.listen, assets = ?args.assets_dir, demo = args.demo, "codis-fe started");
    eprintln!("codis-fe: console at http://{}", args.listen);
    let result = serve(listener, &server, {
        // Live event streams never end by themselves: end them so the drain can finish.
        let live = server.state.live.clone();
        async move {
            shutdown_signal().await;
            live.shutdown();
        }
    })
    .await
    .map_err(|e| e.to_string());
    drop(pidfile);
    drop(server);
    result
}

/// The pidfile is removed when this is dropped, so also after SIGTERM/SIGINT (graceful shutdown
/// returns normally), unlike codis-fe which left it behind (spec 7.14).
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
