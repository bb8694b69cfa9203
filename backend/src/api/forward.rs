//! codis-fe compatibility: `<dashboard path>?forward=<product>`.
//!
//! codis-fe forwarded any method to any path (codis-fe-spec.md §7.3): shutdown, reload, loglevel, slots/assign,
//! /debug/pprof, and group or sentinel info for arbitrary hosts. Here only the reads codis-fe's
//! page makes and the actions of codis-fe-spec.md §2.8 pass, through the same validation as the console's own
//! API; everything else is refused with 403 and a JSON reason.

use std::sync::Arc;

use axum::{
    extract::{Request, State},
    http::Method,
    middleware::Next,
    response::{IntoResponse, Response},
    Json,
};
use codis_model::Action;

use crate::auth::{Attempt, Caller};
use crate::error::ApiError;
use crate::state::AppState;

/// Middleware: requests with a `forward` query parameter are answered here; others go on.
pub async fn forward_layer(State(app): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let Some(product) = forward_param(req.uri().query()) else {
        return next.run(req).await;
    };
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let caller = Caller::from_extensions(req.extensions());
    match forward(&app, &caller, &product, &method, &path).await {
        Ok(resp) => resp,
        Err(e) => e.into_response(),
    }
}

fn forward_param(query: Option<&str>) -> Option<String> {
    query?.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == "forward").then(|| v.to_string())
    })
}

async fn forward(
    app: &AppState,
    caller: &Caller,
    product: &str,
    method: &Method,
    path: &str,
) -> Result<Response, ApiError> {
    let dashboard = app.dashboard_of(product).map_err(|_| {
        ApiError::Forbidden(format!("forward: no product named {product:?} is known"))
    })?;
    let path = path
        .strip_suffix('/')
        .filter(|p| !p.is_empty())
        .unwrap_or(path);
    let is_read = *method == Method::GET || *method == Method::HEAD;
    if is_read && path == "/topom" {
        return Ok(Json(app.overview_from(&dashboard).await?).into_response());
    }
    if is_read && (path == "/api/topom/model" || path == "/topom/model") {
        let model: serde_json::Value = app.client.get(&dashboard, "/api/topom/model").await?;
        return Ok(Json(model).into_response());
    }
    if is_read {
        if let Some(x) = path.strip_prefix("/api/topom/stats/") {
            if !x.contains('/') {
                check_xauth(x)?;
                return Ok(Json(app.stats_from(&dashboard, x).await?).into_response());
            }
        }
    }
    if let Some((action, xauth)) = Action::from_dashboard_path(method.as_str(), path) {
        let mut attempt = Attempt::new(caller, product, action.name());
        attempt.params = serde_json::to_value(&action).unwrap_or_default();
        let result = async {
            app.check_allowed(caller, product, action.admin_only())?;
            check_xauth(&xauth)?;
            // The product's own rules, as for the console's actions: its slot count (1024 on
            // Codis 3.2, `max_slot_num` on Pika's Codis fork) and no sentinel routes on the fork
            // (answered 409 with the reason instead of the dashboard's bare 404).
            let dashboard_path =
                super::actions::dashboard_path(app, product, &action, &xauth).await?;
            app.client
                .put(&dashboard, &format!("/api/topom/{dashboard_path}"))
                .await
                .map_err(ApiError::from)
        }
        .await;
        let reply = app.audit(&attempt, result).await?;
        tracing::info!(product, action = action.name(), "forwarded action");
        return Ok(Json(reply).into_response());
    }
    let refused = ApiError::Forbidden(format!(
        "forward: {method} {} is not an allowed route (only the console's reads and the actions of the codis-fe page pass)",
        crate::dashboard::redact_path(path)
    ));
    if is_read {
        return Err(refused);
    }
    // A refused write is an action attempt too: audited with its method and (redacted) path.
    let mut attempt = Attempt::new(caller, product, "forward");
    attempt.params = serde_json::json!({
        "method": method.as_str(),
        "path": crate::dashboard::redact_path(path),
    });
    app.audit(&attempt, Err(refused)).await
}

/// The xauth segment of a forwarded path goes into the dashboard's URL as it is: it must be what
/// Codis makes (32 lowercase hex characters, an MD5 digest), so nothing else (`..`, `%2F`, another
/// route) can ride in it.
fn check_xauth(xauth: &str) -> Result<(), ApiError> {
    // The same rule as a proxy token's: 32 lowercase hexadecimal characters.
    codis_model::validate::proxy_token("xauth", xauth)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{check_xauth, forward_param};

    #[test]
    fn the_xauth_segment_is_32_lowercase_hex_characters() {
        assert!(check_xauth("0123456789abcdef0123456789abcdef").is_ok());
        for bad in [
            "",
            "0123456789ABCDEF0123456789abcdef",
            "0123456789abcdef0123456789abcde",
            "0123456789abcdef0123456789abcdef0",
            "..%2Fgroup%2Finfo%2F127.0.0.1:1",
        ] {
            assert!(check_xauth(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn forward_parameter_is_found_among_others() {
        assert_eq!(
            forward_param(Some("a=1&forward=codis-demo")),
            Some("codis-demo".into())
        );
        assert_eq!(forward_param(Some("forwarded=x")), None);
        assert_eq!(forward_param(None), None);
    }
}
