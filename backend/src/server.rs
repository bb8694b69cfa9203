//! Builds the HTTP application and runs it until SIGTERM or SIGINT.

use std::sync::Arc;

use axum::{
    http::{HeaderName, HeaderValue, Method},
    Router,
};
use tokio::net::TcpListener;
use tower_http::{
    cors::{AllowOrigin, CorsLayer},
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
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
    pub demo: Option<demo::DemoCluster>,
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
    let source = args.discovery_source()?;
    let client = DashboardClient::new(args.dashboard_timeout);
    let registry = Registry::new(source, client.clone());
    let demo = if args.demo {
        let cluster = demo::DemoCluster::start(&args.demo_faults).await?;
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
    });

    let mut app = api::router();
    if let Some(dir) = &args.assets_dir {
        let dir = assets::check_dir(dir)?;
        app = app.fallback_service(assets::router(&dir));
    }
    let request_id = HeaderName::from_static("x-request-id");
    let app = app
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            api::forward_layer,
        ))
        .with_state(state.clone())
        .layer(cors(&args.cors_origins)?)
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
    Ok(Server {
        app,
        state,
        demo,
        _refresh: refresh,
    })
}

/// CORS for a console hosted on another origin (CDN): only the configured origins.
fn cors(origins: &[String]) -> Result<CorsLayer, String> {
    let list = origins
        .iter()
        .filter(|o| !o.is_empty())
        .map(|o| {
            HeaderValue::from_str(o)
                .map_err(|_| format!("--cors-origins: {o:?} is not a valid origin"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(CorsLayer::new()
        .allow_origin(AllowOrigin::list(list))
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([axum::http::header::CONTENT_TYPE, axum::http::header::ACCEPT]))
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
    let result = axum::serve(listener, server.app.clone())
        .with_graceful_shutdown({
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
