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
        .route("/api/me", get(me))
        .route("/api/session", post(sign_in).delete(sign_out))
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

/// `GET /api/me`: the caller and what it may do (the UI hides controls it cannot use).
#[utoipa::path(get, path = "/api/me", tag = "security", responses((status = 200, description = "Who the console is talking to: mode, user, role, read-only, CSRF token", body = codis_model::console::Me)))]
async fn me(
    axum::extract::State(app): axum::extract::State<Arc<AppState>>,
    caller: crate::security::Caller,
) -> axum::Json<codis_model::console::Me> {
    axum::Json(me_of(&app, &caller))
}

pub(crate) fn me_of(app: &AppState, caller: &crate::security::Caller) -> codis_model::console::Me {
    let csrf = match (&app.security.local, &caller.session) {
        (Some(local), Some(session)) => Some(local.key.csrf(session)),
        _ => None,
    };
    codis_model::console::Me {
        mode: app.security.mode.into(),
        user: caller.user.clone(),
        role: caller
            .role
            .clone()
            .unwrap_or_else(|| app.security.anonymous_role().into()),
        read_only: app.security.read_only,
        csrf,
        insecure: app.security.insecure,
    }
}

/// `POST /api/session` with a user name and password: a signed HttpOnly SameSite=Strict cookie
/// and the caller as `GET /api/me` describes it. 401 on a wrong password, 429 past the rate limit.
async fn sign_in(
    axum::extract::State(app): axum::extract::State<Arc<AppState>>,
    caller: crate::security::Caller,
    JsonBody(req): JsonBody<codis_model::console::SignIn>,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse as _;
    let Some(local) = &app.security.local else {
        return Err(ApiError::NotFound(
            "sign-in is off: codis-fe runs without --users".into(),
        ));
    };
    let result = local.sign_in(&req.user, &req.password, caller.addr).await;
    tracing::info!(user = %req.user, ok = result.is_ok(), "sign-in");
    let session = result?;
    let cookie = crate::session::set_cookie(&local.key.sign(&session), local.ttl_secs, false);
    let caller = crate::security::Caller {
        user: session.user.clone(),
        role: Some(session.role.clone()),
        session: Some(session),
        ..caller
    };
    Ok((
        [(axum::http::header::SET_COOKIE, cookie)],
        axum::Json(me_of(&app, &caller)),
    )
        .into_response())
}

/// `DELETE /api/session`: signs out (the browser drops the cookie).
async fn sign_out() -> impl axum::response::IntoResponse {
    (
        axum::http::StatusCode::NO_CONTENT,
        [(
            axum::http::header::SET_COOKIE,
            crate::session::clear_cookie(),
        )],
    )
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
