//! The router's sign-in middlewares: the session check in front of the API, `/list`, `/metrics`
//! and `?forward=`, and the audit of a 413 answered by the body-size limit. They reach the rest
//! of the application through [`AuthApp`], so this module does not depend on `state` or `server`.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::ConnectInfo;
use axum::http::StatusCode;

use super::{
    Attempt, Caller, CsrfFailed, ForwardedClient, NoIdentity, Security, SignedIn,
    NO_ACCESS_MESSAGE, PROXY_SIGN_IN_MESSAGE, SIGN_IN_MESSAGE,
};
use crate::error::ApiError;

/// What the middlewares need from the application.
pub trait AuthApp: Send + Sync + 'static {
    fn security(&self) -> &Security;
    /// The names of every known product (`/metrics` is for callers who may see them all).
    fn product_names(&self) -> Vec<String>;
    /// The largest request body accepted (named in the audited 413).
    fn max_request_body(&self) -> usize;
    /// Records an attempt in the audit (flushed before this returns).
    fn record(
        &self,
        attempt: &Attempt<'_>,
        result: Result<(), &ApiError>,
    ) -> impl Future<Output = ()> + Send;
}

/// Whether a request needs a session when sign-in is on: the API, `/list`, `/metrics` and
/// every `?forward=` (`/api/session?forward=` too); not `/healthz`, `/readyz`, sign-in itself,
/// or the console's files.
fn needs_session(uri: &axum::http::Uri) -> bool {
    let path = uri.path();
    if path == "/api/session" && forward_product(uri).is_none() {
        return false;
    }
    path.starts_with("/api/")
        || path == "/list"
        || path == "/metrics"
        || forward_product(uri).is_some()
}

/// The `?forward=` product of a request.
pub fn forward_product(uri: &axum::http::Uri) -> Option<String> {
    uri.query()?.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == "forward").then(|| v.to_string())
    })
}

/// The product a request is about: `/api/products/{product}/…` (percent-decoded, as the
/// router's `Path` sees it) or `?forward=`.
pub fn product_of(uri: &axum::http::Uri) -> Option<String> {
    if let Some(p) = forward_product(uri) {
        return Some(p);
    }
    let seg = uri
        .path()
        .strip_prefix("/api/products/")?
        .split('/')
        .next()?;
    (!seg.is_empty()).then(|| {
        percent_encoding::percent_decode_str(seg)
            .decode_utf8_lossy()
            .into_owned()
    })
}

pub(crate) fn is_safe(method: &axum::http::Method) -> bool {
    matches!(
        *method,
        axum::http::Method::GET | axum::http::Method::HEAD | axum::http::Method::OPTIONS
    )
}

/// The action name and parameters of a state-changing request refused before its handler ran
/// (the body is not read): `action` for the actions route, the rebalance names, the action a
/// `?forward=` path maps to, else `request` with its method and (xauth-redacted) path.
fn refused_request(
    method: &axum::http::Method,
    uri: &axum::http::Uri,
) -> (String, serde_json::Value) {
    let path = uri.path();
    let plain = || {
        serde_json::json!({
            "method": method.as_str(),
            "path": crate::dashboard::redact_path(path),
        })
    };
    if forward_product(uri).is_some() {
        return match codis_model::Action::from_dashboard_path(method.as_str(), path) {
            Some((a, _)) => (
                a.name().into(),
                serde_json::to_value(&a).unwrap_or_default(),
            ),
            None => ("forward".into(), plain()),
        };
    }
    let none = || serde_json::json!({});
    if path.ends_with("/actions") {
        ("action".into(), none())
    } else if path.ends_with("/rebalance/preview") {
        ("slots-rebalance-preview".into(), none())
    } else if path.ends_with("/rebalance/apply") {
        ("slots-rebalance".into(), none())
    } else {
        ("request".into(), plain())
    }
}

/// Audits a state-changing request refused before its handler (401, 403 for a hidden product,
/// 413), before the refusal is answered.
async fn audit_refused<A: AuthApp>(
    app: &A,
    caller: &Caller,
    method: &axum::http::Method,
    uri: &axum::http::Uri,
    started: Instant,
    err: &ApiError,
) {
    let product = product_of(uri).unwrap_or_else(|| "-".into());
    let (action, params) = refused_request(method, uri);
    let mut attempt = Attempt::new(caller, &product, &action);
    attempt.params = params;
    attempt.started = started;
    app.record(&attempt, Err(err)).await;
}

fn peer_of(req: &axum::extract::Request) -> Option<SocketAddr> {
    req.extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0)
}

/// Middleware (outside `?forward=`): with sign-in on, 401 without a valid session cookie (or,
/// in proxy mode, without the user header from a trusted proxy), 403 for a product the caller
/// has no role for; marks state-changing requests whose `X-CSRF-Token` is missing or wrong.
/// Refused state-changing requests are audited here.
pub async fn require_session<A: AuthApp>(
    axum::extract::State(app): axum::extract::State<Arc<A>>,
    mut req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse as _;
    let started = Instant::now();
    let security = app.security();
    let Some(key) = &security.key else {
        return next.run(req).await;
    };
    if !needs_session(req.uri()) {
        return next.run(req).await;
    }
    let safe = is_safe(req.method());
    let peer = peer_of(&req);
    let id = match security.check_identity(peer, req.headers()) {
        Ok(id) => Some(id),
        Err(NoIdentity::Missing) => None,
        Err(NoIdentity::Ambiguous(why)) => {
            let err = ApiError::BadRequest(why);
            if !safe {
                let caller = Caller::unknown(peer);
                audit_refused(&*app, &caller, req.method(), req.uri(), started, &err).await;
            }
            return err.into_response();
        }
    };
    let Some(id) = id else {
        let err = ApiError::Unauthenticated(
            if security.proxy.is_some() {
                PROXY_SIGN_IN_MESSAGE
            } else {
                SIGN_IN_MESSAGE
            }
            .into(),
        );
        if !safe {
            let caller = Caller::unknown(peer);
            audit_refused(&*app, &caller, req.method(), req.uri(), started, &err).await;
        }
        return err.into_response();
    };
    if !safe {
        let token_ok = req
            .headers()
            .get("x-csrf-token")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| key.check_csrf(&id.session, t));
        if !token_ok {
            req.extensions_mut().insert(CsrfFailed);
        }
    }
    req.extensions_mut().insert(SignedIn(id.session));
    if let Some(c) = id.client {
        req.extensions_mut().insert(ForwardedClient(c));
    }
    if req.uri().path() == "/metrics" {
        // Series are labelled by product: only for callers who may see every product.
        let caller = Caller::from_extensions(req.extensions());
        if app
            .product_names()
            .iter()
            .any(|p| security.role_in(&caller, p).is_none())
        {
            return ApiError::Forbidden(
                "the metrics cover every product: only for users with a role on all of them".into(),
            )
            .into_response();
        }
    }
    if let Some(product) = product_of(req.uri()) {
        let caller = Caller::from_extensions(req.extensions());
        if security.role_in(&caller, &product).is_none() {
            let err = ApiError::Forbidden(NO_ACCESS_MESSAGE.into());
            if !safe {
                audit_refused(&*app, &caller, req.method(), req.uri(), started, &err).await;
            }
            return err.into_response();
        }
    }
    next.run(req).await
}

/// Middleware outside the body-size limit: audits a state-changing request that no handler
/// saw, refused with 413 (`too_large`) by the limit layer or with 405 (`method_not_allowed`) by
/// the router.
pub async fn audit_early_refusals<A: AuthApp>(
    axum::extract::State(app): axum::extract::State<Arc<A>>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    if is_safe(req.method()) {
        return next.run(req).await;
    }
    let started = Instant::now();
    let method = req.method().clone();
    let uri = req.uri().clone();
    let peer = peer_of(&req);
    let id = app.security().identify(peer, req.headers());
    let resp = next.run(req).await;
    let status = resp.status();
    if status != StatusCode::PAYLOAD_TOO_LARGE && status != StatusCode::METHOD_NOT_ALLOWED {
        return resp;
    }
    let caller = match id {
        Some(id) => Caller::from_identity(id, peer),
        None if app.security().key.is_some() => Caller::unknown(peer),
        None => Caller::anonymous(peer),
    };
    let err = if status == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::TooLarge(format!(
            "the request body is larger than {} bytes",
            app.max_request_body()
        ))
    } else {
        ApiError::MethodNotAllowed(format!("{method} is not allowed on {}", uri.path()))
    };
    audit_refused(&*app, &caller, &method, &uri, started, &err).await;
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn product_paths_are_decoded_as_the_router_decodes_them() {
        let uri = |s: &str| s.parse::<axum::http::Uri>().expect("uri");
        assert_eq!(
            product_of(&uri("/api/products/codis%2Db/stats")).as_deref(),
            Some("codis-b")
        );
        assert_eq!(
            product_of(&uri("/topom?forward=codis-a")).as_deref(),
            Some("codis-a")
        );
        assert_eq!(product_of(&uri("/api/products")), None);
        assert_eq!(product_of(&uri("/api/me")), None);
    }
}
