//! The built console (Trunk's `dist/`): held in memory, embedded in the binary (release builds,
//! see `build.rs`) or read from `--assets-dir` at start; precompressed variants, long caching for
//! hashed names, SPA fallback, and `index.html` rewritten for `--base-path`.
//!
//! Both sources go through the same [`Console`], so what is tested with `--assets-dir` is what
//! the embedded console does. Reading `--assets-dir` once at start matches what the CSP already
//! required (the inline script's hash is taken at start: a new `dist/` needs a restart) and costs
//! the size of `dist/` in memory (about 2 MiB with its `.br`/`.gz` copies).

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use axum::{
    body::Body,
    extract::State,
    http::{header, HeaderMap, HeaderValue, Method, Request, StatusCode},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    Router,
};
use bytes::Bytes;

use crate::error::ApiError;

/// What `build.rs` wrote: the commit built and the embedded console, if any.
pub mod build_info {
    include!(concat!(env!("OUT_DIR"), "/build_info.rs"));
}

/// Largest console directory read by `--assets-dir` (Trunk's `dist/` is about 2 MiB): a wrong
/// directory (`/`) fails at start instead of being read into memory.
const MAX_CONSOLE_BYTES: u64 = 64 * 1024 * 1024;

/// One file of the console and its precompressed copies.
struct Asset {
    identity: Bytes,
    br: Option<Bytes>,
    gzip: Option<Bytes>,
    content_type: HeaderValue,
    /// A hash of the identity bytes; each encoding's ETag adds its name (they are different
    /// representations, so a cache must not mix them).
    tag: String,
}

/// The built console, in memory.
pub struct Console {
    files: HashMap<String, Asset>,
    /// Where it came from, for the start-up log line.
    pub source: String,
}

impl Console {
    /// The console embedded in this binary, if it has one (release builds with the `console`
    /// feature).
    pub fn embedded() -> Option<Console> {
        if build_info::CONSOLE_FILES.is_empty() {
            return None;
        }
        let files = build_info::CONSOLE_FILES
            .iter()
            .map(|(name, bytes)| (name.to_string(), Bytes::from_static(bytes)));
        Console::from_files(
            files,
            format!("embedded (hash {})", build_info::CONSOLE_HASH),
        )
        .ok()
    }

    /// The console in `dir` (`--assets-dir`), read now.
    pub fn from_dir(dir: &Path) -> Result<Console, String> {
        let dir =
            std::path::absolute(dir).map_err(|e| format!("--assets-dir {}: {e}", dir.display()))?;
        if !dir.join("index.html").is_file() {
            return Err(format!(
                "--assets-dir {}: no index.html there (build the console with scripts/build-frontend)",
                dir.display()
            ));
        }
        let mut files = Vec::new();
        let mut total = 0u64;
        read_tree(&dir, &dir, &mut files, &mut total)?;
        Console::from_files(files, format!("--assets-dir {}", dir.display()))
    }

    fn from_files(
        files: impl IntoIterator<Item = (String, Bytes)>,
        source: String,
    ) -> Result<Console, String> {
        use sha2::Digest as _;
        let mut all: HashMap<String, Bytes> = files.into_iter().collect();
        let mut out = HashMap::new();
        let names: Vec<String> = all.keys().cloned().collect();
        for name in names {
            if name.ends_with(".br") || name.ends_with(".gz") {
                continue;
            }
            let identity = all.remove(&name).unwrap_or_default();
            let br = all.remove(&format!("{name}.br"));
            let gzip = all.remove(&format!("{name}.gz"));
            let digest = sha2::Sha256::digest(&identity);
            let tag = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
            let content_type = HeaderValue::from_static(content_type(&name));
            out.insert(
                name,
                Asset {
                    identity,
                    br,
                    gzip,
                    content_type,
                    tag,
                },
            );
        }
        // A `.gz`/`.br` without its file is a file of its own (served as it is).
        for (name, bytes) in all {
            let tag = format!("{:016x}", bytes.len());
            out.insert(
                name,
                Asset {
                    identity: bytes,
                    br: None,
                    gzip: None,
                    content_type: HeaderValue::from_static("application/octet-stream"),
                    tag,
                },
            );
        }
        if !out.contains_key("index.html") {
            return Err(format!("{source}: no index.html"));
        }
        Ok(Console { files: out, source })
    }

    /// The console served under `base` (`--base-path`, `/…/`): `index.html`'s `<base href>` and
    /// the script and wasm URLs Trunk wrote as absolute paths (`'/name-hash.js'`) now start
    /// with `base`, so every relative URL the console computes (API, event stream,
    /// `config.json`, links) resolves under it. The console's build is the same at every path.
    pub fn at_base(mut self, base: &str) -> Console {
        if base == "/" {
            return self;
        }
        let names: Vec<String> = self.files.keys().cloned().collect();
        let Some(index) = self.files.get_mut("index.html") else {
            return self;
        };
        let html = String::from_utf8_lossy(&index.identity).into_owned();
        let html = rebase_html(&html, base, names.iter().map(String::as_str));
        index.identity = Bytes::from(html);
        // The precompressed copies are of the unrewritten page: gzip again (16 KiB, once at
        // start); no brotli encoder is linked, so no `.br` for the rewritten page.
        index.br = None;
        index.gzip = gzip(&index.identity).map(Bytes::from);
        self
    }

    /// The CSP sources (`'sha256-…'`) of the inline scripts of `index.html` as served.
    pub fn script_hashes(&self) -> Vec<String> {
        self.files
            .get("index.html")
            .map(|i| inline_script_hashes_of(&String::from_utf8_lossy(&i.identity)))
            .unwrap_or_default()
    }

    /// The router serving this console, `index.html` for client-side routes.
    ///
    /// A hashed name (`name-<hash>.ext`) that is not here is a 404, never `index.html`: after a
    /// redeploy an old page may still ask for the previous build's files, and `index.html`
    /// cached for a year under such a name would break that name for good.
    pub fn router(self: Arc<Self>) -> Router {
        Router::new()
            .fallback(serve_file)
            .with_state(self)
            .layer(middleware::from_fn(cache_control))
    }
}

fn read_tree(
    root: &Path,
    dir: &Path,
    out: &mut Vec<(String, Bytes)>,
    total: &mut u64,
) -> Result<(), String> {
    let err = |p: &Path, e: std::io::Error| format!("--assets-dir: {}: {e}", p.display());
    for entry in std::fs::read_dir(dir).map_err(|e| err(dir, e))? {
        let path = entry.map_err(|e| err(dir, e))?.path();
        if path.is_dir() {
            read_tree(root, &path, out, total)?;
            continue;
        }
        let bytes = std::fs::read(&path).map_err(|e| err(&path, e))?;
        *total += bytes.len() as u64;
        if *total > MAX_CONSOLE_BYTES {
            return Err(format!(
                "--assets-dir {}: more than {} MiB of files; is it the console's dist/?",
                root.display(),
                MAX_CONSOLE_BYTES >> 20
            ));
        }
        let name = path
            .strip_prefix(root)
            .map_err(|_| format!("--assets-dir: {} is outside it", path.display()))?
            .to_string_lossy()
            .replace('\\', "/");
        out.push((name, Bytes::from(bytes)));
    }
    Ok(())
}

fn gzip(bytes: &[u8]) -> Option<Vec<u8>> {
    use std::io::Write as _;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(bytes).ok()?;
    enc.finish().ok()
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "wasm" => "application/wasm",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// `html` with its `<base>` element pointing at `base` and every absolute reference Trunk wrote
/// to one of `names` (`'/x.js'`, `"/x.js"`, `=/x.js`) moved under `base`.
fn rebase_html<'a>(html: &str, base: &str, names: impl Iterator<Item = &'a str>) -> String {
    let mut html = match html.find("<base") {
        Some(start) => match html[start..].find('>') {
            Some(len) => format!(
                "{}<base href=\"{base}\">{}",
                &html[..start],
                &html[start + len + 1..]
            ),
            None => html.to_string(),
        },
        None => html.to_string(),
    };
    for name in names {
        for quote in ["'", "\"", "="] {
            html = html.replace(&format!("{quote}/{name}"), &format!("{quote}{base}{name}"));
        }
    }
    html
}

/// Whether the request accepts the content coding `name` (`q=0` refuses it).
fn accepted(headers: &HeaderMap, name: &str) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|item| {
            let mut parts = item.split(';');
            let coding = parts.next().unwrap_or("").trim();
            let refused = parts.any(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            (coding.eq_ignore_ascii_case(name) || coding == "*") && !refused
        })
}

/// One file (GET or HEAD): brotli, then gzip, as accepted; `304` for a matching `If-None-Match`;
/// `index.html` for a path that is not a file (a client-side route), except a hashed name.
async fn serve_file(State(console): State<Arc<Console>>, req: Request<Body>) -> Response {
    if !matches!(*req.method(), Method::GET | Method::HEAD) {
        return ApiError::MethodNotAllowed(format!(
            "{} is not allowed on the console's files: GET or HEAD",
            req.method()
        ))
        .into_response();
    }
    let path = req.uri().path();
    let decoded = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
    let name = decoded.trim_start_matches('/');
    let asset = match console.files.get(name) {
        Some(a) if !name.is_empty() => a,
        _ if is_hashed_asset(path) => {
            return ApiError::NotFound(format!(
                "{path}: no such file in this build of the console (reload the page)"
            ))
            .into_response()
        }
        _ => match console.files.get("index.html") {
            Some(index) => index,
            None => return ApiError::NotFound(format!("{path}: no console")).into_response(),
        },
    };
    let headers = req.headers();
    let (body, encoding) = match (&asset.br, &asset.gzip) {
        (Some(br), _) if accepted(headers, "br") => (br, Some("br")),
        (_, Some(gz)) if accepted(headers, "gzip") => (gz, Some("gzip")),
        _ => (&asset.identity, None),
    };
    let etag = match encoding {
        Some(e) => format!("\"{}-{e}\"", asset.tag),
        None => format!("\"{}\"", asset.tag),
    };
    let etag = HeaderValue::from_str(&etag).unwrap_or(HeaderValue::from_static("\"\""));
    let matches = headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| {
            let t = t.trim();
            t == "*" || t.trim_start_matches("W/").as_bytes() == etag.as_bytes()
        });
    let mut res = if matches {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut res = if req.method() == Method::HEAD {
            Response::new(Body::empty())
        } else {
            Response::new(Body::from(body.clone()))
        };
        let h = res.headers_mut();
        h.insert(header::CONTENT_TYPE, asset.content_type.clone());
        h.insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
        if let Some(e) = encoding {
            h.insert(header::CONTENT_ENCODING, HeaderValue::from_static(e));
        }
        res
    };
    res.headers_mut().insert(header::ETAG, etag);
    res
}

/// The CSP sources (`'sha256-…'`) of the inline scripts of `html`: Trunk's module script that
/// loads the WASM is inline, and its text changes with every build (and with `--base-path`).
fn inline_script_hashes_of(html: &str) -> Vec<String> {
    use base64::Engine as _;
    use sha2::Digest as _;
    let mut hashes = Vec::new();
    let mut rest = html;
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
    hashes
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_scripts_are_hashed_and_external_ones_are_not() {
        let hashes = inline_script_hashes_of(
            "<html><head><script src=\"/a.js\"></script><script type=\"module\">alert(1)</script></head></html>",
        );
        assert_eq!(
            hashes,
            ["'sha256-bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI='"]
        );
    }

    /// What Trunk 0.21 writes (minified) with the default public URL `/`.
    const TRUNK_INDEX: &str = "<!doctype html><html lang=en><title>Codis</title><base href=/><link href=data:, rel=icon><script type=module>import init, * as bindings from '/app-0123456789abcdef.js';\nconst wasm = await init({ module_or_path: '/app-0123456789abcdef_bg.wasm' });</script><link rel=modulepreload href=/app-0123456789abcdef.js><a href=\"/app-0123456789abcdef.js\">x</a><p>/app-0123456789abcdef.js stays in text</p>";

    #[test]
    fn a_base_path_moves_the_base_element_and_every_asset_url_under_it() {
        let files = [
            ("index.html", TRUNK_INDEX),
            ("app-0123456789abcdef.js", "js"),
            ("app-0123456789abcdef_bg.wasm", "wasm"),
        ]
        .map(|(n, b)| (n.to_string(), Bytes::from_static(b.as_bytes())));
        let console = Console::from_files(files, "test".into())
            .expect("console")
            .at_base("/codis/");
        let html = String::from_utf8(console.files["index.html"].identity.to_vec()).expect("utf8");
        assert!(html.contains("<base href=\"/codis/\">"), "{html}");
        assert!(
            html.contains("from '/codis/app-0123456789abcdef.js'"),
            "{html}"
        );
        assert!(
            html.contains("module_or_path: '/codis/app-0123456789abcdef_bg.wasm'"),
            "{html}"
        );
        assert!(
            html.contains("href=/codis/app-0123456789abcdef.js>"),
            "{html}"
        );
        assert!(
            html.contains("href=\"/codis/app-0123456789abcdef.js\""),
            "{html}"
        );
        assert!(html.contains("<p>/app-0123456789abcdef.js stays"), "{html}");
        assert_eq!(
            html.matches("/app-").count(),
            html.matches("/codis/app-").count() + 1,
            "every reference but the text moved: {html}"
        );
        // The CSP hash is of the script as served, and the gzip copy is of the new page.
        assert_ne!(
            console.script_hashes(),
            inline_script_hashes_of(TRUNK_INDEX)
        );
        let gz = console.files["index.html"]
            .gzip
            .clone()
            .expect("gzip again");
        let mut back = String::new();
        std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&gz[..]), &mut back)
            .expect("gunzip");
        assert_eq!(back, html);
    }

    #[test]
    fn accept_encoding_is_read_with_its_q_values() {
        let h = |v: &str| {
            let mut m = HeaderMap::new();
            m.insert(header::ACCEPT_ENCODING, v.parse().expect("value"));
            m
        };
        assert!(accepted(&h("gzip, deflate, br, zstd"), "br"));
        assert!(accepted(&h("GZIP;q=0.5"), "gzip"));
        assert!(!accepted(&h("br;q=0, gzip"), "br"));
        assert!(accepted(&h("*"), "br"));
        assert!(!accepted(&h("identity"), "gzip"));
        assert!(!accepted(&HeaderMap::new(), "gzip"));
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
