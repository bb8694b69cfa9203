//! `GET /api/openapi.json`: the console API described from the handlers' own `#[utoipa::path]`
//! annotations, so the document changes with the code.

use axum::Json;
use utoipa::OpenApi;

use codis_model::console::{
    ApiErrorBody, ApiErrorDetail, AuditEntry, DiscoveryStatus, Me, ProductInfo, ProductsReply,
    RebalanceApply, RebalancePreview, SignIn,
};
use codis_model::live::{CmdRow, ProxyCmds};
use codis_model::{Action, ActionOutcome};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "codis-fe console API",
        description = "The Codis web console's backend. Products come from discovery; every action is validated and sent to the product's dashboard with its xauth. codis-fe's `/list` and `?forward=` are kept for old scripts (forward passes only codis-fe's reads and the actions below). Live stats stream from `GET /api/products/{product}/events` (Server-Sent Events: `snapshot`, `update`, `status`); Prometheus metrics at `GET /metrics`."
    ),
    paths(
        super::products::list,
        super::products::products,
        super::products::readyz,
        super::reads::overview,
        super::reads::stats,
        super::reads::server_info,
        super::reads::sentinel_info,
        super::reads::sentinel_monitored,
        super::reads::proxy_stats,
        super::actions::run,
        super::actions::rebalance_preview,
        super::actions::rebalance_apply,
        super::me,
        super::sign_in,
        super::sign_out,
        super::activity,
        crate::live::sse::events,
        crate::live::cmds::cmds,
        crate::live::metrics::metrics,
    ),
    components(schemas(
        Action,
        ActionOutcome,
        ApiErrorBody,
        ApiErrorDetail,
        DiscoveryStatus,
        Me,
        ProductInfo,
        ProductsReply,
        RebalanceApply,
        RebalancePreview,
        SignIn,
        AuditEntry,
        ProxyCmds,
        CmdRow
    ))
)]
pub struct ApiDoc;

/// `GET /api/openapi.json`.
pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
