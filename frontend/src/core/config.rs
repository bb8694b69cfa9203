//! Deploy-time configuration.
//!
//! One `dist/` serves two deployments: behind the backend (same origin, the default) and on a CDN
//! or static host with the backend elsewhere. Trunk copies `frontend/config.json` next to
//! `index.html`; an operator edits that one file at deploy time (`{"api_base": "https://codis-fe.example"}`)
//! instead of rebuilding. A missing or unreadable file means same-origin, so a plain deployment
//! needs nothing. (A cross-origin backend must allow the console's origin with CORS.)

use std::sync::OnceLock;

/// `config.json`: `{"api_base": "..."}`; other keys are ignored.
#[derive(serde::Deserialize)]
struct DeployConfig {
    #[serde(default)]
    api_base: Option<String>,
}

fn api_base_of(text: &str) -> Option<String> {
    super::codec::decode::<DeployConfig>(text).ok()?.api_base
}

static API_BASE: OnceLock<String> = OnceLock::new();

/// Reads `config.json` (relative to the document's `<base>`, so it works under any public path).
/// Called once before the app mounts.
pub async fn load() {
    let base = match gloo_net::http::Request::get("config.json").send().await {
        Ok(r) if r.ok() => r
            .text()
            .await
            .ok()
            .and_then(|t| api_base_of(&t))
            .unwrap_or_default(),
        _ => String::new(),
    };
    let _ = API_BASE.set(base.trim_end_matches('/').to_owned());
}

/// Where the API is (no trailing slash): `config.json`'s `api_base` (a console on a CDN), else
/// the path the console was loaded under ([`base_path`]: `""`, or `/codis` behind a proxy at
/// `/codis/`), so one build works at any path.
pub fn api_base() -> &'static str {
    match API_BASE.get().map(String::as_str) {
        Some(b) if !b.is_empty() => b,
        _ => base_path(),
    }
}

static BASE_PATH: OnceLock<String> = OnceLock::new();

/// The path the console was loaded under, without its trailing slash: `""` at the root,
/// `/codis` under `/codis/`. Read from the document's base URL, the `<base href>` the backend
/// writes for `--base-path` (`codis_model::ui::route::base_of`).
pub fn base_path() -> &'static str {
    BASE_PATH.get_or_init(|| {
        let base = leptos::prelude::document()
            .base_uri()
            .ok()
            .flatten()
            .unwrap_or_default();
        codis_model::ui::route::base_of(&base)
    })
}
