//! The built console (Trunk's `dist/`): precompressed files, long caching for hashed names, SPA fallback.

use std::path::{Path, PathBuf};

use axum::{
    http::{header, HeaderValue, Request},
    middleware::{self, Next},
    response::Response,
    Router,
};
use tower_http::services::{ServeDir, ServeFile};

/// A router that serves `dir`, falling back to `index.html` for client-side routes.
pub fn router(dir: &Path) -> Router {
    let index = dir.join("index.html");
    let serve = ServeDir::new(dir)
        .precompressed_br()
        .precompressed_gzip()
        .fallback(
            ServeFile::new(index)
                .precompressed_br()
                .precompressed_gzip(),
        );
    Router::new()
        .fallback_service(serve)
        .layer(middleware::from_fn(cache_control))
}

/// `index.html` must be revalidated on every load so a new deploy is picked up; Trunk's hashed files never change.
async fn cache_control(req: Request<axum::body::Body>, next: Next) -> Response {
    let hashed = is_hashed_asset(req.uri().path());
    let mut resp = next.run(req).await;
    let value = if hashed && resp.status().is_success() {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    resp
}

/// Trunk names its outputs `name-<16 hex>.ext`, and the wasm `name-<16 hex>_bg.wasm`.
fn is_hashed_asset(path: &str) -> bool {
    let file = path.rsplit('/').next().unwrap_or("");
    let stem = file.split('.').next().unwrap_or("");
    let stem = stem.strip_suffix("_bg").unwrap_or(stem);
    stem.rsplit_once('-')
        .is_some_and(|(_, hash)| hash.len() >= 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Checks that `dir` holds a built console, so a wrong `--assets-dir` fails at start-up with a clear message.
pub fn check_dir(dir: &Path) -> Result<PathBuf, String> {
    let dir =
        std::path::absolute(dir).map_err(|e| format!("--assets-dir {}: {e}", dir.display()))?;
    if !dir.join("index.html").is_file() {
        return Err(format!(
            "--assets-dir {}: no index.html there (build the console with `trunk build --release`)",
            dir.display()
        ));
    }
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::is_hashed_asset;

    #[test]
    fn trunk_hashed_files_are_cached_forever_and_index_is_not() {
        assert!(is_hashed_asset("/codis-console-4f1c2b3a4d5e6f70_bg.wasm"));
        assert!(is_hashed_asset("/codis-console-4f1c2b3a4d5e6f70.js"));
        assert!(is_hashed_asset("/main-0123456789abcdef.css"));
        assert!(!is_hashed_asset("/index.html"));
        assert!(!is_hashed_asset("/"));
    }
}
