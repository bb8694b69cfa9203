//! Product discovery as the browser sees it.

use std::sync::Arc;

use axum::{extract::State, http::StatusCode, Json};
use codis_model::console::ProductsReply;

use crate::auth::Caller;
use crate::state::AppState;

/// `GET /list`, codis-fe compatible: product names (those the caller may see) sorted ascending; `[]` (not codis-fe's `null`)
/// when there are none, with a JSON content type.
#[utoipa::path(
    get,
    path = "/list",
    tag = "codis-fe",
    responses(
        (status = 200, description = "Product names, sorted; [] when none (codis-fe compatible)", body = Vec<String>),
    )
)]
pub async fn list(State(app): State<Arc<AppState>>, caller: Caller) -> Json<Vec<String>> {
    let mut names: Vec<String> = app
        .registry
        .snapshot()
        .products
        .into_iter()
        .map(|p| p.name)
        .filter(|p| app.security.role_in(&caller, p).is_some())
        .collect();
    names.sort();
    Json(names)
}

/// `GET /api/products`: every product with its dashboard, reachability and last contact, and
/// the caller as `GET /api/me` describes it (`me`), so the console loads both in one request.
#[utoipa::path(
    get,
    path = "/api/products",
    tag = "products",
    responses(
        (status = 200, description = "Every discovered product with its dashboard, reachability and last contact; `me`: the caller, as GET /api/me describes it", body = ProductsReply),
        (status = 401, description = "Sign-in is on and there is no valid session"),
    )
)]
pub async fn products(
    State(app): State<Arc<AppState>>,
    caller: crate::auth::Caller,
) -> Json<ProductsReply> {
    let mut reply = app.registry.snapshot();
    // Products the caller has no role for (per-product roles) are hidden.
    reply
        .products
        .retain(|p| app.security.role_in(&caller, &p.name).is_some());
    reply.me = Some(super::me_of(&app, &caller));
    Json(reply)
}

/// `GET /healthz`: the process serves HTTP.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "health",
    responses((status = 200, description = "Serving", body = String, content_type = "text/plain"))
)]
pub async fn healthz() -> &'static str {
    "ok"
}

/// `GET /readyz`: 200 once discovery has loaded, 503 before, and 503 again from the start of a
/// shutdown (so a load balancer drains this replica while it still serves).
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "health",
    responses(
        (status = 200, description = "Discovery has loaded"),
        (status = 503, description = "Not yet, or shutting down"),
    )
)]
pub async fn readyz(State(app): State<Arc<AppState>>) -> (StatusCode, &'static str) {
    if app.draining.load(std::sync::atomic::Ordering::Relaxed) {
        (StatusCode::SERVICE_UNAVAILABLE, "shutting down")
    } else if app.registry.is_loaded() {
        (StatusCode::OK, "ready")
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "discovery has not loaded yet",
        )
    }
}
