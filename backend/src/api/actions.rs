//! Mutations: every action of codis-fe-spec.md §2.8 through one handler, plus the two-step rebalance.

use std::sync::Arc;

use axum::{
    extract::{FromRequest, Path, Request, State},
    Json,
};
use codis_model::{
    console::{RebalanceApply, RebalancePreview},
    derive::rebalance_preview as group_plan,
    xauth, Action, ActionOutcome, RebalancePlan,
};

use super::JsonBody;
use crate::auth::{Attempt, Caller};
use crate::error::ApiError;
use crate::state::AppState;
#[allow(unused_imports)] // named in the OpenAPI annotations
use codis_model::console::ApiErrorBody;

/// `POST /api/products/{product}/actions` with an [`Action`]: validated, then sent to the
/// dashboard with the product's xauth (the browser never handles it).
#[utoipa::path(
    post,
    path = "/api/products/{product}/actions",
    tag = "actions",
    params(("product" = String, Path, description = "Product name")),
    request_body = Action,
    responses(
        (status = 200, description = "The dashboard carried the action out", body = ActionOutcome),
        (status = 400, description = "A field breaks its rule (the body names the field and the rule)", body = ApiErrorBody),
        (status = 409, description = "The dashboard refused; the message is its Cause", body = ApiErrorBody),
        (status = 404, description = "Unknown product", body = ApiErrorBody),
        (status = 502, description = "Dashboard unreachable or its answer unreadable", body = ApiErrorBody),
        (status = 504, description = "Dashboard too slow", body = ApiErrorBody),
    )
)]
pub async fn run(
    State(app): State<Arc<AppState>>,
    Path(product): Path<String>,
    caller: Caller,
    req: Request,
) -> Result<Json<ActionOutcome>, ApiError> {
    let mut attempt = Attempt::new(&caller, &product, "action");
    let result = run_action(&app, &product, req, &mut attempt).await;
    app.audit(&attempt, result).await
}

async fn run_action(
    app: &AppState,
    product: &str,
    req: Request,
    attempt: &mut Attempt<'_>,
) -> Result<Json<ActionOutcome>, ApiError> {
    let parsed = JsonBody::<Action>::from_request(req, &()).await;
    if let Ok(JsonBody(action)) = &parsed {
        attempt.action = action.name();
        attempt.params = serde_json::to_value(action).unwrap_or_default();
    }
    // Read-only refuses every action, even one that would not parse.
    let admin_only = parsed.as_ref().is_ok_and(|JsonBody(a)| a.admin_only());
    app.check_allowed(attempt.caller, product, admin_only)?;
    let JsonBody(action) = parsed?;
    let path = action.dashboard_path(&xauth::product_xauth(product))?;
    let dashboard = app.dashboard_of(product)?;
    let started = std::time::Instant::now();
    let result = app
        .client
        .put(&dashboard, &format!("/api/topom/{path}"))
        .await;
    tracing::info!(
        product,
        action = action.name(),
        ok = result.is_ok(),
        ms = started.elapsed().as_millis() as u64,
        "action"
    );
    let reply = result?;
    Ok(Json(ActionOutcome {
        action: action.name().into(),
        ok: true,
        reply: Some(reply),
    }))
}

async fn plan(
    app: &AppState,
    product: &str,
    dashboard: &str,
    confirm: bool,
) -> Result<RebalancePlan, ApiError> {
    let path = format!(
        "/api/topom/slots/rebalance/{}/{}",
        xauth::product_xauth(product),
        u8::from(confirm)
    );
    let value = app.client.put(dashboard, &path).await?;
    serde_json::from_value(value).map_err(|e| {
        ApiError::Dashboard(crate::dashboard::CallError::BadResponse(format!(
            "the dashboard's rebalance plan is not a slot -> group map: {e}"
        )))
    })
}

/// `POST /api/products/{product}/rebalance/preview`: the plan, nothing queued.
#[utoipa::path(
    post,
    path = "/api/products/{product}/rebalance/preview",
    tag = "actions",
    params(("product" = String, Path, description = "Product name")),
    responses(
        (status = 200, description = "The plan the dashboard computes now; nothing is queued", body = RebalancePreview),
        (status = 409, description = "The dashboard refused (e.g. no valid group)", body = ApiErrorBody),
        (status = 404, description = "Unknown product", body = ApiErrorBody),
        (status = 502, description = "Dashboard unreachable or its answer unreadable", body = ApiErrorBody),
        (status = 504, description = "Dashboard too slow", body = ApiErrorBody),
    )
)]
pub async fn rebalance_preview(
    State(app): State<Arc<AppState>>,
    Path(product): Path<String>,
    caller: Caller,
) -> Result<Json<RebalancePreview>, ApiError> {
    let attempt = Attempt::new(&caller, &product, "slots-rebalance-preview");
    let result = async {
        app.check_allowed(attempt.caller, &product, false)?;
        let dashboard = app.dashboard_of(&product)?;
        let plan = plan(&app, &product, &dashboard, false).await?;
        let stats = app.fetch_stats(&product).await?;
        let groups = group_plan(&plan, &stats.group.models);
        Ok(Json(RebalancePreview { plan, groups }))
    }
    .await;
    app.audit(&attempt, result).await
}

/// `POST /api/products/{product}/rebalance/apply` with the previewed plan: runs it only if the
/// dashboard still computes exactly that plan; otherwise 409 and nothing is queued.
#[utoipa::path(
    post,
    path = "/api/products/{product}/rebalance/apply",
    tag = "actions",
    params(("product" = String, Path, description = "Product name")),
    request_body = RebalanceApply,
    responses(
        (status = 200, description = "The previewed plan was queued", body = ActionOutcome),
        (status = 409, description = "The cluster changed since the preview; nothing was queued", body = ApiErrorBody),
        (status = 404, description = "Unknown product", body = ApiErrorBody),
        (status = 502, description = "Dashboard unreachable or its answer unreadable", body = ApiErrorBody),
        (status = 504, description = "Dashboard too slow", body = ApiErrorBody),
    )
)]
pub async fn rebalance_apply(
    State(app): State<Arc<AppState>>,
    Path(product): Path<String>,
    caller: Caller,
    req: Request,
) -> Result<Json<ActionOutcome>, ApiError> {
    let mut attempt = Attempt::new(&caller, &product, "slots-rebalance");
    let result = apply(&app, &product, req, &mut attempt).await;
    app.audit(&attempt, result).await
}

async fn apply(
    app: &AppState,
    product: &str,
    req: Request,
    attempt: &mut Attempt<'_>,
) -> Result<Json<ActionOutcome>, ApiError> {
    let parsed = JsonBody::<RebalanceApply>::from_request(req, &()).await;
    if let Ok(JsonBody(req)) = &parsed {
        attempt.params = serde_json::to_value(req).unwrap_or_default();
    }
    app.check_allowed(attempt.caller, product, false)?;
    let JsonBody(req) = parsed?;
    let dashboard = app.dashboard_of(product)?;
    let current = plan(app, product, &dashboard, false).await?;
    if current != req.plan {
        return Err(ApiError::Conflict(format!(
            "the cluster changed since the preview: the plan now moves {} slots instead of {}; preview again",
            current.len(),
            req.plan.len()
        )));
    }
    if current.is_empty() {
        return Ok(Json(ActionOutcome {
            action: "slots-rebalance".into(),
            ok: true,
            reply: Some(serde_json::json!({})),
        }));
    }
    let applied = plan(app, product, &dashboard, true).await?;
    Ok(Json(ActionOutcome {
        action: "slots-rebalance".into(),
        ok: true,
        reply: serde_json::to_value(applied).ok(),
    }))
}
