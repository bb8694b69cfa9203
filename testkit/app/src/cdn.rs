//! A plain static file server standing in for a CDN: the built console's files under a path,
//! any other path under it answered with its `index.html` (the SPA fallback), and `config.json`
//! naming the API. No codis-fe code: what an operator's CDN does.

use std::path::PathBuf;

/// A static host on a free loopback port: its origin is known before it serves (the API's
/// `--cors-origins` names it).
pub struct StaticHost {
    listener: tokio::net::TcpListener,
    /// `http://127.0.0.1:PORT`.
    pub origin: String,
}

impl StaticHost {
    pub async fn bind() -> StaticHost {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the static host");
        let port = listener.local_addr().expect("addr").port();
        StaticHost {
            listener,
            origin: format!("http://127.0.0.1:{port}"),
        }
    }

    /// Serves `dist` at `at` (`/`, or a sub-path such as `/codis/`), with `{at}config.json`
    /// naming `api_base`, until the test's runtime ends.
    pub fn serve(self, dist: PathBuf, at: &str, api_base: String) {
        use tower_http::services::{ServeDir, ServeFile};
        let prefix = at.trim_end_matches('/');
        let config = serde_json::json!({ "api_base": api_base }).to_string();
        let files = ServeDir::new(&dist).fallback(ServeFile::new(dist.join("index.html")));
        let app = axum::Router::new().route(
            &format!("{prefix}/config.json"),
            axum::routing::get(move || {
                let config = config.clone();
                async move { ([("content-type", "application/json")], config) }
            }),
        );
        let app = if prefix.is_empty() {
            app.fallback_service(files)
        } else {
            app.nest_service(prefix, files)
        };
        let listener = self.listener;
        tokio::spawn(async move { axum::serve(listener, app).await });
    }
}
