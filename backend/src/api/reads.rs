//! Reads the console makes through the backend, so the browser never needs to reach cluster hosts
//! (codis-fe-spec.md §7.8). Server and sentinel reads are limited to addresses of the product itself: the
//! dashboard would otherwise dial any address with the product password (codis-fe-spec.md §7.3).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::{
    extract::{Path, State},
    Json,
};
use codis_model::{validate, InfoMap, MonitoredMap, Overview, Stats};

use crate::error::ApiError;
use crate::state::AppState;
#[allow(unused_imports)] // named in the OpenAPI annotations
use codis_model::console::ApiErrorBody;

/// `GET /api/products/{product}/overview`: the dashboard's `/topom` without credentials or stacks.
#[utoipa::path(
    get,
    path = "/api/products/{product}/overview",
    tag = "reads",
    params(("product" = String, Path, description = "Product name")),
    responses(
        (status = 200, description = "The dashboard's /topom without coordinator credentials or stack traces", body = Object),
        (status = 404, description = "Unknown product", body = ApiErrorBody),
        (status = 502, description = "Dashboard unreachable or its answer unreadable", body = ApiErrorBody),
        (status = 504, description = "Dashboard too slow", body = ApiErrorBody),
    )
)]
pub async fn overview(
    State(app): State<Arc<AppState>>,
    Path(product): Path<String>,
) -> Result<Json<Overview>, ApiError> {
    let dashboard = app.dashboard_of(&product)?;
    Ok(Json(app.overview_from(&dashboard).await?))
}

/// `GET /api/products/{product}/stats`: the dashboard's stats without stacks.
#[utoipa::path(
    get,
    path = "/api/products/{product}/stats",
    tag = "reads",
    params(("product" = String, Path, description = "Product name")),
    responses(
        (status = 200, description = "The dashboard's stats without stack traces", body = Object),
        (status = 404, description = "Unknown product", body = ApiErrorBody),
        (status = 502, description = "Dashboard unreachable or its answer unreadable", body = ApiErrorBody),
        (status = 504, description = "Dashboard too slow", body = ApiErrorBody),
    )
)]
pub async fn stats(
    State(app): State<Arc<AppState>>,
    Path(product): Path<String>,
) -> Result<Json<Stats>, ApiError> {
    Ok(Json(app.fetch_stats(&product).await?))
}

/// `GET /api/products/{product}/servers/{addr}/info`: INFO of one of the product's servers.
#[utoipa::path(
    get,
    path = "/api/products/{product}/servers/{addr}/info",
    tag = "reads",
    params(
        ("product" = String, Path, description = "Product name"),
        ("addr" = String, Path, description = "host:port of one of the product's servers"),
    ),
    responses(
        (status = 200, description = "The server's INFO as a flat map", body = Object),
        (status = 400, description = "addr is not host:port", body = ApiErrorBody),
        (status = 403, description = "Not a server of this product", body = ApiErrorBody),
        (status = 404, description = "Unknown product", body = ApiErrorBody),
        (status = 502, description = "Dashboard unreachable or its answer unreadable", body = ApiErrorBody),
        (status = 504, description = "Dashboard too slow", body = ApiErrorBody),
    )
)]
pub async fn server_info(
    State(app): State<Arc<AppState>>,
    Path((product, addr)): Path<(String, String)>,
) -> Result<Json<InfoMap>, ApiError> {
    validate::address("addr", &addr)?;
    let stats = app.fetch_stats(&product).await?;
    let member = stats
        .group
        .models
        .iter()
        .any(|g| g.servers.iter().any(|s| s.server == addr));
    if !member {
        return Err(ApiError::Forbidden(format!(
            "{addr} is not a server of product {product}"
        )));
    }
    let dashboard = app.dashboard_of(&product)?;
    let info: InfoMap = app
        .client
        .get(&dashboard, &format!("/api/topom/group/info/{addr}"))
        .await?;
    Ok(Json(info))
}

async fn check_sentinel(app: &AppState, product: &str, addr: &str) -> Result<String, ApiError> {
    validate::address("addr", addr)?;
    let stats = app.fetch_stats(product).await?;
    if !stats.sentinels.model.servers.iter().any(|s| s == addr) {
        return Err(ApiError::Forbidden(format!(
            "{addr} is not a sentinel of product {product}"
        )));
    }
    app.dashboard_of(product)
}

/// `GET /api/products/{product}/sentinels/{addr}/info`.
#[utoipa::path(
    get,
    path = "/api/products/{product}/sentinels/{addr}/info",
    tag = "reads",
    params(
        ("product" = String, Path, description = "Product name"),
        ("addr" = String, Path, description = "host:port of one of the product's sentinels"),
    ),
    responses(
        (status = 200, description = "The sentinel's INFO as a flat map", body = Object),
        (status = 403, description = "Not a sentinel of this product", body = ApiErrorBody),
        (status = 404, description = "Unknown product", body = ApiErrorBody),
        (status = 502, description = "Dashboard unreachable or its answer unreadable", body = ApiErrorBody),
        (status = 504, description = "Dashboard too slow", body = ApiErrorBody),
    )
)]
pub async fn sentinel_info(
    State(app): State<Arc<AppState>>,
    Path((product, addr)): Path<(String, String)>,
) -> Result<Json<BTreeMap<String, String>>, ApiError> {
    let dashboard = check_sentinel(&app, &product, &addr).await?;
    let info = app
        .client
        .get(&dashboard, &format!("/api/topom/sentinels/info/{addr}"))
        .await?;
    Ok(Json(info))
}

/// `GET /api/products/{product}/sentinels/{addr}/monitored`.
#[utoipa::path(
    get,
    path = "/api/products/{product}/sentinels/{addr}/monitored",
    tag = "reads",
    params(
        ("product" = String, Path, description = "Product name"),
        ("addr" = String, Path, description = "host:port of one of the product's sentinels"),
    ),
    responses(
        (status = 200, description = "The groups this sentinel monitors for the product", body = Object),
        (status = 403, description = "Not a sentinel of this product", body = ApiErrorBody),
        (status = 404, description = "Unknown product", body = ApiErrorBody),
        (status = 502, description = "Dashboard unreachable or its answer unreadable", body = ApiErrorBody),
        (status = 504, description = "Dashboard too slow", body = ApiErrorBody),
    )
)]
pub async fn sentinel_monitored(
    State(app): State<Arc<AppState>>,
    Path((product, addr)): Path<(String, String)>,
) -> Result<Json<MonitoredMap>, ApiError> {
    let dashboard = check_sentinel(&app, &product, &addr).await?;
    let info = app
        .client
        .get(
            &dashboard,
            &format!("/api/topom/sentinels/info/{addr}/monitored"),
        )
        .await?;
    Ok(Json(info))
}

/// `GET /api/products/{product}/proxies/{token}/stats`: a proxy's full stats (per-command
/// counters and runtime included) from its admin port.
#[utoipa::path(
    get,
    path = "/api/products/{product}/proxies/{token}/stats",
    tag = "reads",
    params(
        ("product" = String, Path, description = "Product name"),
        ("token" = String, Path, description = "Proxy token (32 hex)"),
    ),
    responses(
        (status = 200, description = "The proxy's full stats from its admin port (per-command counters, runtime)", body = Object),
        (status = 404, description = "No such proxy", body = ApiErrorBody),
        (status = 404, description = "Unknown product", body = ApiErrorBody),
        (status = 502, description = "Dashboard unreachable or its answer unreadable", body = ApiErrorBody),
        (status = 504, description = "Dashboard too slow", body = ApiErrorBody),
    )
)]
pub async fn proxy_stats(
    State(app): State<Arc<AppState>>,
    Path((product, token)): Path<(String, String)>,
) -> Result<Json<serde_json::Value>, ApiError> {
    validate::proxy_token("token", &token)?;
    let stats = app.fetch_stats(&product).await?;
    let proxy = stats
        .proxy
        .models
        .iter()
        .find(|p| p.token == token)
        .ok_or_else(|| ApiError::NoSuchProxy {
            product: product.to_string(),
            token: token.to_string(),
        })?;
    let full = app.client.get(&proxy.admin_addr, "/proxy/stats").await?;
    Ok(Json(full))
}

/// `GET /api/products/{product}/proxies/{token}/detail`: codis-fe's "F" link through the backend:
/// the proxy's version, model, configuration (secrets left out) and per-slot backend map, read
/// from its admin port (`/proxy`).
#[utoipa::path(
    get,
    path = "/api/products/{product}/proxies/{token}/detail",
    tag = "reads",
    params(
        ("product" = String, Path, description = "Product name"),
        ("token" = String, Path, description = "Proxy token (32 hex)"),
    ),
    responses(
        (status = 200, description = "The proxy's name, version, model, configuration without secrets, and its slots as runs routed alike", body = codis_model::console::ProxyDetail),
        (status = 404, description = "Unknown product, or no such proxy", body = ApiErrorBody),
        (status = 502, description = "Dashboard or proxy unreachable, or its answer unreadable", body = ApiErrorBody),
        (status = 504, description = "Dashboard or proxy too slow", body = ApiErrorBody),
    )
)]
pub async fn proxy_detail(
    State(app): State<Arc<AppState>>,
    Path((product, token)): Path<(String, String)>,
) -> Result<Json<codis_model::console::ProxyDetail>, ApiError> {
    validate::proxy_token("token", &token)?;
    let stats = app.fetch_stats(&product).await?;
    let proxy = stats
        .proxy
        .models
        .iter()
        .find(|p| p.token == token)
        .ok_or_else(|| ApiError::NoSuchProxy {
            product: product.to_string(),
            token: token.to_string(),
        })?;
    let overview: codis_model::ProxyOverview = app.client.get(&proxy.admin_addr, "/proxy").await?;
    Ok(Json(codis_model::console::ProxyDetail::new(
        proxy, overview,
    )))
}

/// `GET /api/products/{product}/proxies/{token}/cmdinfo` parameters.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CmdInfoQuery {
    /// Seconds the figures cover: 1, 10, 60, 600 or 3600 (default 1).
    #[param(schema_with = cmdinfo_interval_schema)]
    pub interval: Option<String>,
}

/// The document lists the proxy's five intervals as an enum, so a client (and schemathesis)
/// knows that 662 is refused, as `validate::cmdinfo_interval` does.
fn cmdinfo_interval_schema() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::Integer)
        .enum_values(Some(codis_model::CMDINFO_INTERVALS.iter().copied()))
        .build()
}

/// `GET /api/products/{product}/proxies/{token}/cmdinfo?interval=N`: per-command latency
/// percentiles and delay counts of a proxy of Pika's Codis fork over the last N seconds, from
/// its admin port (`/api/proxy/cmdinfo/{xauth}/{N}`; the unauthenticated `/proxy/cmdinfo/N`
/// ignores N). Codis 3.2's proxies keep no such figures (409).
#[utoipa::path(
    get,
    path = "/api/products/{product}/proxies/{token}/cmdinfo",
    tag = "reads",
    params(
        ("product" = String, Path, description = "Product name"),
        ("token" = String, Path, description = "Proxy token (32 hex)"),
        CmdInfoQuery,
    ),
    responses(
        (status = 200, description = "The proxy's totals and, per command, calls, qps, average and percentile latencies (ms) and delay counts over the interval", body = Object),
        (status = 400, description = "An interval other than 1, 10, 60, 600 or 3600", body = ApiErrorBody),
        (status = 404, description = "Unknown product, or no such proxy", body = ApiErrorBody),
        (status = 409, description = "The proxy is a Codis 3.2 proxy (no latency figures), or it refused the request (a product password the console does not know)", body = ApiErrorBody),
        (status = 502, description = "Dashboard or proxy unreachable, or its answer unreadable", body = ApiErrorBody),
        (status = 504, description = "Dashboard or proxy too slow", body = ApiErrorBody),
    )
)]
pub async fn proxy_cmdinfo(
    State(app): State<Arc<AppState>>,
    Path((product, token)): Path<(String, String)>,
    super::QueryParams(q): super::QueryParams<CmdInfoQuery>,
) -> Result<Json<codis_model::CmdInfo>, ApiError> {
    validate::proxy_token("token", &token)?;
    let interval = validate::cmdinfo_interval("interval", q.interval.as_deref().unwrap_or("1"))?;
    let stats = app.fetch_stats(&product).await?;
    let proxy = stats
        .proxy
        .models
        .iter()
        .find(|p| p.token == token)
        .ok_or_else(|| ApiError::NoSuchProxy {
            product: product.to_string(),
            token: token.to_string(),
        })?;
    if proxy.max_slot_num.is_none() {
        return Err(ApiError::StateConflict(validate::ValidationError::of(
            "token",
            validate::Rule::NoCmdinfo,
        )));
    }
    // The proxy's xauth with an empty product password, the dashboard's default; a product
    // with a password makes the proxy refuse, which is said plainly below.
    let xauth = codis_model::xauth::proxy_xauth(&product, "", &token);
    let path = format!("/api/proxy/cmdinfo/{xauth}/{interval}");
    match app.client.get(&proxy.admin_addr, &path).await {
        Ok(info) => Ok(Json(info)),
        Err(crate::dashboard::CallError::Refused(e)) if e.cause.contains("xauth") => {
            Err(ApiError::StateConflict(validate::ValidationError::of(
                "token",
                validate::Rule::ProxyHasAuth,
            )))
        }
        Err(e) => Err(e.into()),
    }
}
