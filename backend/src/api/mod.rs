//! The HTTP surface: the console's own API under `/api/`, codis-fe's `/list` and `?forward=`.

mod actions;
mod forward;
pub mod in_flight;
mod openapi;
mod products;
mod reads;

use std::sync::Arc;

use axum::{
    extract::{rejection::JsonRejection, FromRequest, Request},
    Router,
};
use utoipa::OpenApi as _;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::error::ApiError;
use crate::state::AppState;

pub use forward::forward_layer;
pub use openapi::api_doc;

/// Every API route with its OpenAPI description: each handler is registered through utoipa-axum's
/// `routes!`, which takes the path and method from the handler's `#[utoipa::path]`, so a route
/// cannot exist undocumented or be documented at a path it is not served on. Static assets and
/// the `?forward=` compatibility layer are added by the server.
pub fn documented_routes() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .routes(routes!(products::list))
        .routes(routes!(products::healthz))
        .routes(routes!(products::readyz))
        .routes(routes!(openapi::document))
        .routes(routes!(products::products))
        .routes(routes!(me))
        .routes(routes!(sign_in, sign_out))
        .routes(routes!(activity))
        .routes(routes!(reads::overview))
        .routes(routes!(reads::stats))
        .routes(routes!(crate::live::sse::events))
        .routes(routes!(crate::live::cmds::cmds))
        .routes(routes!(crate::live::metrics::metrics))
        .routes(routes!(crate::fleet::stream::fleet))
        .routes(routes!(crate::fleet::stream::events))
        .routes(routes!(crate::fleet::alerts::alerts))
        .routes(routes!(actions::run))
        .routes(routes!(actions::rebalance_preview))
        .routes(routes!(actions::rebalance_apply))
        .routes(routes!(reads::server_info))
        .routes(routes!(reads::sentinel_info))
        .routes(routes!(reads::sentinel_monitored))
        .routes(routes!(reads::proxy_stats))
        .routes(routes!(reads::proxy_detail))
        .routes(routes!(reads::proxy_cmdinfo))
}

/// The router of [`documented_routes`], plus the one route that is not an API operation: the
/// JSON 404 for unknown `/api/` paths (without it they would fall through to the console's
/// index.html).
pub fn router() -> Router<Arc<AppState>> {
    let (router, _) = documented_routes().split_for_parts();
    router
        .route("/api/{*rest}", axum::routing::any(not_found))
        .route("/api", axum::routing::any(not_found))
        .route("/api/", axum::routing::any(not_found))
}

/// `GET /api/me`: the caller and what it may do (the UI hides controls it cannot use).
#[utoipa::path(
    get,
    path = "/api/me",
    tag = "security",
    responses(
        (status = 200, description = "Who the console is talking to: mode, user, role, read-only, CSRF token", body = codis_model::console::Me),
    )
)]
async fn me(
    axum::extract::State(app): axum::extract::State<Arc<AppState>>,
    caller: crate::auth::Caller,
) -> axum::Json<codis_model::console::Me> {
    axum::Json(me_of(&app, &caller))
}

pub(crate) fn me_of(app: &AppState, caller: &crate::auth::Caller) -> codis_model::console::Me {
    let csrf = match (&app.security.key, &caller.session) {
        (Some(key), Some(session)) => Some(key.csrf(session)),
        _ => None,
    };
    let products = app.registry.snapshot().products;
    codis_model::console::Me {
        mode: app.security.mode.into(),
        user: caller.user.clone(),
        role: caller
            .role
            .clone()
            .unwrap_or_else(|| app.security.anonymous_role().into()),
        read_only: app.security.read_only,
        csrf,
        product_roles: app
            .security
            .product_roles(caller, products.iter().map(|p| p.name.as_str())),
        insecure: app.security.insecure,
    }
}

/// `POST /api/session` with a user name and password: a signed HttpOnly SameSite=Strict cookie
/// and the caller as `GET /api/me` describes it. 401 on a wrong password, 429 past the rate
/// limit, 404 when local sign-in is off (no `--users`, or proxy mode). Every attempt is audited
/// (`sign-in`; the password never is).
#[utoipa::path(
    post,
    path = "/api/session",
    tag = "security",
    request_body = codis_model::console::SignIn,
    responses(
        (status = 200, description = "Signed in: Set-Cookie codis_fe_session (HttpOnly, SameSite=Strict) and the caller with its CSRF token", body = codis_model::console::Me),
        (status = 401, description = "Wrong user name or password", body = codis_model::console::ApiErrorBody),
        (status = 429, description = "Too many failed sign-ins from this address or for this user within 60 s", body = codis_model::console::ApiErrorBody),
        (status = 404, description = "Local sign-in is off", body = codis_model::console::ApiErrorBody),
        (status = 400, description = "The body is not a JSON {user, password} (audited)", body = codis_model::console::ApiErrorBody),
        (status = 503, description = "Every password check is busy: Retry-After says when to try again", body = codis_model::console::ApiErrorBody),
    )
)]
async fn sign_in(
    axum::extract::State(app): axum::extract::State<Arc<AppState>>,
    caller: crate::auth::Caller,
    body: Result<JsonBody<codis_model::console::SignIn>, ApiError>,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse as _;
    let (Some(_), Some(key)) = (&app.security.local, &app.security.key) else {
        return Err(ApiError::NotFound(
            "sign-in is off: codis-fe runs without --users (or signs in through a reverse proxy)"
                .into(),
        ));
    };
    let started = std::time::Instant::now();
    let req = match body {
        Ok(JsonBody(req)) => req,
        Err(err) => {
            // A malformed body is an attempt too (audited as user `-`).
            let nobody = crate::auth::Caller::unknown(caller.addr);
            let mut attempt = crate::auth::Attempt::new(&nobody, "-", "sign-in");
            attempt.started = started;
            return app.audit(&attempt, Err(err)).await;
        }
    };
    let result = app
        .security
        .sign_in(&req.user, &req.password, caller.addr)
        .await;
    tracing::info!(user = %req.user, ok = result.is_ok(), "sign-in");
    let attempt_caller = match &result {
        Ok(session) => crate::auth::Caller {
            user: session.user.clone(),
            role: Some(session.role.clone()),
            session: Some(session.clone()),
            ..caller.clone()
        },
        Err(_) => crate::auth::Caller {
            user: req.user.chars().take(255).collect(),
            ..crate::auth::Caller::unknown(caller.addr)
        },
    };
    let mut attempt = crate::auth::Attempt::new(&attempt_caller, "-", "sign-in");
    attempt.started = started;
    let session = app.audit(&attempt, result).await?;
    let cookie = crate::session::set_cookie(&key.sign(&session), app.local_ttl(), &app.cookie);
    Ok((
        [(axum::http::header::SET_COOKIE, cookie)],
        axum::Json(me_of(&app, &attempt_caller)),
    )
        .into_response())
}

/// `DELETE /api/session`: signs out. The session needs its CSRF token (`X-CSRF-Token`, 403
/// without it); it is then revoked server-side (refused from now on, by every replica sharing
/// the revocation file, until it would have expired) and the browser drops the cookie. Audited
/// as `sign-out` for the session's user (`-` without one, which is answered 204 as well).
#[utoipa::path(
    delete,
    path = "/api/session",
    tag = "security",
    responses(
        (status = 204, description = "Signed out: the session is revoked and Set-Cookie codis_fe_session with Max-Age=0"),
        (status = 403, description = "Missing or wrong X-CSRF-Token", body = codis_model::console::ApiErrorBody),
    )
)]
async fn sign_out(
    axum::extract::State(app): axum::extract::State<Arc<AppState>>,
    peer: crate::auth::Caller,
    headers: axum::http::HeaderMap,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse as _;
    let caller = match app.security.identify(peer.addr, &headers) {
        Some(id) => crate::auth::Caller::from_identity(id, peer.addr),
        None if app.security.key.is_some() => crate::auth::Caller::unknown(peer.addr),
        None => peer,
    };
    let mut attempt = crate::auth::Attempt::new(&caller, "-", "sign-out");
    attempt.ok_status = 204;
    if let (Some(key), Some(session)) = (&app.security.key, &caller.session) {
        let token_ok = headers
            .get("x-csrf-token")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| key.check_csrf(session, t));
        if !token_ok {
            let err = ApiError::Forbidden(crate::auth::CSRF_MESSAGE.into());
            return app.audit(&attempt, Err(err)).await;
        }
        app.security.revoke(session);
    }
    app.record(&attempt, Ok(())).await;
    Ok((
        axum::http::StatusCode::NO_CONTENT,
        [(
            axum::http::header::SET_COOKIE,
            crate::session::clear_cookie(&app.cookie),
        )],
    )
        .into_response())
}

/// `GET /api/activity` parameters.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActivityQuery {
    /// Only this product's entries.
    pub product: Option<String>,
    /// At most this many entries (default 50, at most 200 are kept).
    // Documented as int64 with the u32 range: utoipa's default for u32 is `format: int32`,
    // which clients (schemathesis among them) read as a maximum of 2^31-1, not 2^32-1.
    #[param(value_type = Option<u64>, minimum = 0, maximum = 4294967295_u64)]
    pub limit: Option<u32>,
}

/// `GET /api/activity`: the most recent audit entries (the last 200 are kept in memory, with or
/// without `--audit-log`), newest first, as the audit log's lines. Operators and admins only
/// (viewers 403); only entries of products the caller may see (sign-in and sign-out entries,
/// product `-`, for a caller whose own role is operator or admin).
#[utoipa::path(
    get,
    path = "/api/activity",
    tag = "security",
    params(ActivityQuery),
    responses(
        (status = 200, description = "Recent audit entries, newest first", body = Vec<codis_model::console::AuditEntry>),
        (status = 403, description = "The caller is a viewer everywhere", body = codis_model::console::ApiErrorBody),
    )
)]
async fn activity(
    axum::extract::State(app): axum::extract::State<Arc<AppState>>,
    caller: crate::auth::Caller,
    QueryParams(q): QueryParams<ActivityQuery>,
) -> Result<axum::Json<Vec<codis_model::console::AuditEntry>>, ApiError> {
    let acts = |r: &str| r == "operator" || r == "admin";
    let global = caller
        .role
        .clone()
        .unwrap_or_else(|| app.security.anonymous_role().into());
    let products = app.registry.snapshot().products;
    let any = acts(&global)
        || products.iter().any(|p| {
            app.security
                .role_in(&caller, &p.name)
                .is_some_and(|r| acts(&r))
        });
    if !any {
        return Err(ApiError::Forbidden(
            "recent activity is for operators and admins".into(),
        ));
    }
    let limit = (q.limit.unwrap_or(50) as usize).min(crate::audit::RECENT_ENTRIES);
    let entries = app.recent.newest(limit, |e| {
        if q.product.as_deref().is_some_and(|p| p != e.product) {
            return false;
        }
        if e.product == "-" {
            return acts(&global);
        }
        app.security.role_in(&caller, &e.product).is_some()
    });
    Ok(axum::Json(entries))
}

async fn not_found() -> ApiError {
    ApiError::NotFound("no such API route".into())
}

/// Query string extractor whose refusals use the API's error body (axum's own answer is plain text).
pub struct QueryParams<T>(pub T);

impl<S, T> axum::extract::FromRequestParts<S> for QueryParams<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(QueryParams(v)),
            Err(e) => Err(ApiError::BadRequest(e.body_text())),
        }
    }
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

#[cfg(test)]
mod tests {
    /// The route table cannot drift from the document: every route is registered through
    /// `routes!` in [`super::documented_routes`], which takes path and method from the handler's
    /// `#[utoipa::path]`. A plain `.route(` (or a nested or merged router) would serve a path the
    /// document does not know; the ones allowed are the JSON 404s for `/api`, `/api/` and unknown
    /// `/api/` paths.
    #[test]
    fn every_route_is_registered_together_with_its_documentation() {
        let this = include_str!("mod.rs");
        let code = this.split("#[cfg(test)]").next().unwrap_or(this);
        let plain: Vec<&str> = code
            .lines()
            .map(str::trim)
            .filter(|l| {
                [".route(", ".route_service(", ".nest(", ".merge("]
                    .iter()
                    .any(|r| l.contains(r))
            })
            .collect();
        assert_eq!(
            plain,
            [
                r#".route("/api/{*rest}", axum::routing::any(not_found))"#,
                r#".route("/api", axum::routing::any(not_found))"#,
                r#".route("/api/", axum::routing::any(not_found))"#,
            ]
        );
        for (name, source) in [
            ("server.rs", include_str!("../server.rs")),
            ("api/actions.rs", include_str!("actions.rs")),
            ("api/reads.rs", include_str!("reads.rs")),
            ("api/products.rs", include_str!("products.rs")),
            ("api/forward.rs", include_str!("forward.rs")),
            ("api/openapi.rs", include_str!("openapi.rs")),
        ] {
            for r in [".route(", ".route_service(", ".nest(", ".merge("] {
                assert!(!source.contains(r), "{name} adds a route with {r}");
            }
        }
    }
}
