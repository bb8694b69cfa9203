//! Builds the HTTP application and runs it until SIGTERM or SIGINT.

use axum::{routing::get, Json, Router};
use tokio::net::TcpListener;

use crate::{assets, config::Args};

/// The whole HTTP application for these settings.
pub fn app(args: &Args) -> Result<Router, String> {
    let mut app = Router::new()
        .route("/list", get(list))
        .route("/healthz", get(|| async { "ok" }));
    if let Some(dir) = &args.assets_dir {
        let dir = assets::check_dir(dir)?;
        app = app.merge(assets::router(&dir));
    }
    Ok(app)
}

async fn list() -> Json<Vec<String>> {
    Json(Vec::new())
}

pub async fn run(args: Args) -> Result<(), String> {
    let app = app(&args)?;
    let listener = TcpListener::bind(args.listen)
        .await
        .map_err(|e| format!("--listen {}: {e}", args.listen))?;
    eprintln!("codis-fe listening on http://{}", args.listen);
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(|e| e.to_string())
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
}
