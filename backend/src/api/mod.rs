//! The HTTP surface: the console's own API under `/api/`, codis-fe's `/list` and `?forward=`.

mod actions;
mod forward;
mod openapi;
mod products;
mod reads;

use std::sync::Arc;

use axum::{
    extract::{rejection::JsonRejection, FromRequest, Request},
    routing::{get, post},
    Router,
};

use crate::error::ApiError;
use crate::state::AppState;

pub use forward::forward_layer;

/// Every API route. Static assets and the `?forward=` compatibility layer are added by the server.
pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/list", get(products::list))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(products::readyz))
        .route("/api/openapi.json", get(openapi::document))
        .route("/api/products", get(products::products))
        .route("/api/products/{product}/overview", get(reads::overview))
        .route("/api/products/{product}/stats", get(reads::stats))
        .route(
            "/api/products/{product}/events",
            get(crate::live::sse::events),
        )
        .route(
            "/api/products/{product}/proxies/{token}/cmds",
            get(crate::live::cmds::cmds),
        )
        .route("/metrics", get(crate::live::metrics::metrics))
        .route("/api/products/{product}/actions", post(actions::run))
        .route(
            "/api/products/{product}/rebalance/preview",
            post(actions::rebalance_preview),
        )
        .route(
            "/api/products/{product}/rebalance/apply",
            post(actions::rebalance_apply),
        )
        .route(
            "/api/products/{product}/servers/{addr}/info",
            get(reads::server_info),
        )
        .route(
            "/api/products/{product}/sentinels/{addr}/info",
            get(reads::sentinel_info),
        )
        .route(
            "/api/products/{product}/sentinels/{addr}/monitored",
            get(reads::sentinel_monitored),
        )
        .route(
            "/api/products/{product}/proxies/{token}/stats",
            get(reads::proxy_stats),
        )
        // Without this, an unknown /api/ path would fall through to the console's index.html.
        .route("/api/{*rest}", axum::routing::any(not_found))
}

async fn not_found() -> ApiError {
    ApiError::NotFound("no such API route".into())
}

/// JSON body extractor whose refusals use the API's error body.
pub struct JsonBody<T>(pub T);

impl<S, T> FromRequest<S> for JsonBody<T>
where
    axum::Json<T>: FromRequest<S, Rejection = JsonRejection>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(JsonBody(v)),
            Err(e) => Err(ApiError::BadRequest(e.body_text())),
        }
    }
}
