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
///
/// A hashed name (`name-<hash>.ext`) that is not in `dir` is a 404, never `index.html`: after a
/// redeploy an old page may still ask for the previous build's files, and `index.html` cached
/// for a year under such a name would break that name for good.
pub fn router(dir: &Path) -> Router {
    let index = dir.join("index.html");
    let files = ServeDir::new(dir).precompressed_br().precompressed_gzip();
    let spa = files.clone().fallback(
        ServeFile::new(index)
            .precompressed_br()
            .precompressed_gzip(),
    );
    Router::new()
        .fallback_service(spa)
        .layer(middleware::from_fn(
            move |req: Request<axum::body::Body>, next: Next| {
                let files = files.clone();
                async move {
                    if !is_hashed_asset(req.uri().path()) {
                        return next.run(req).await;
                    }
                    use axum::response::IntoResponse as _;
                    use tower::ServiceExt as _;
                    match files.oneshot(req).await {
                        Ok(resp) => resp.into_response(),
                        Err(never) => match never {},
                    }
                }
            },
        ))
        .layer(middleware::from_fn(cache_control))
}

/// The CSP sources (`'sha256-…'`) of the inline scripts of `dir/index.html`: Trunk's module
/// script that loads the WASM is inline, and its text changes with every build.
pub fn inline_script_hashes(dir: &Path) -> Result<Vec<String>, String> {
    use base64::Engine as _;
    use sha2::Digest as _;
    let index = dir.join("index.html");
    let html = std::fs::read_to_string(&index)
        .map_err(|e| format!("--assets-dir: {}: {e}", index.display()))?;
    let mut hashes = Vec::new();
    let mut rest = html.as_str();
    while let Some(start) = rest.find("<script") {
        rest = &rest[start..];
        let Some(open_end) = rest.find('>') else {
            break;
        };
        let tag = &rest[..open_end];
        let body = &rest[open_end + 1..];
        let Some(close) = body.find("</script>") else {
            break;
        };
        if !tag.contains("src=") {
            let digest = sha2::Sha256::digest(&body.as_bytes()[..close]);
            hashes.push(format!(
                "'sha256-{}'",
                base64::engine::general_purpose::STANDARD.encode(digest)
            ));
        }
        rest = &body[close..];
    }
    Ok(hashes)
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
    let h = resp.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    // Every file is served precompressed (brotli, gzip) when the browser accepts it: a cache
    // must key the answer on Accept-Encoding.
    if !h.contains_key(header::VARY) {
        h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    resp
}

/// Trunk names its outputs `name-<hash>.ext`, and the wasm `name-<hash>_bg.wasm`, where the hash
/// is a 64-bit number in hex written without leading zeros (so usually, not always, 16 digits).
fn is_hashed_asset(path: &str) -> bool {
    let file = path.rsplit('/').next().unwrap_or("");
    let stem = file.split('.').next().unwrap_or("");
    let stem = stem.strip_suffix("_bg").unwrap_or(stem);
    stem.rsplit_once('-').is_some_and(|(_, hash)| {
        (8..=16).contains(&hash.len()) && hash.bytes().all(|b| b.is_ascii_hexdigit())
    })
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
    use super::{inline_script_hashes, is_hashed_asset};

    #[test]
    fn inline_scripts_are_hashed_and_external_ones_are_not() {
        let dir = std::env::temp_dir().join(format!("codis-fe-csp-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        std::fs::write(
            dir.join("index.html"),
            "<html><head><script src=\"/a.js\"></script><script type=\"module\">alert(1)</script></head></html>",
        )
        .expect("write");
        let hashes = inline_script_hashes(&dir).expect("read");
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(
            hashes,
            ["'sha256-bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI='"]
        );
    }

    #[test]
    fn trunk_hashed_files_are_cached_forever_and_index_is_not() {
        assert!(is_hashed_asset("/codis-console-4f1c2b3a4d5e6f70_bg.wasm"));
        assert!(is_hashed_asset("/codis-console-4f1c2b3a4d5e6f70.js"));
        assert!(is_hashed_asset("/main-0123456789abcdef.css"));
        assert!(
            is_hashed_asset("/codis-console-b3abc287d3da929_bg.wasm"),
            "a hash with a leading zero dropped"
        );
        assert!(!is_hashed_asset("/index.html"));
        assert!(!is_hashed_asset("/"));
    }
}
