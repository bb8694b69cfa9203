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

use codis_model::{causes, derive::migrate, SlotId};

use super::in_flight::UNKNOWN_LINGER;
use super::JsonBody;
use crate::auth::{Attempt, Caller};
use crate::dashboard::CallError;
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
        (status = 409, description = "The dashboard refused (kind `dashboard_refused`: the message is its Cause, proxies named by id and addresses, with a `hint` for a known mistake), or the same action is already running or its outcome still unknown (kind `in_flight`), or the cluster as it is now refuses a well-formed input such as \"migrate some\" from a group it does not have, or a slot past this product's slot count (kind `conflict`, with `field` and `rule`)", body = ApiErrorBody),
        (status = 404, description = "Unknown product", body = ApiErrorBody),
        (status = 502, description = "Dashboard unreachable or its answer unreadable", body = ApiErrorBody),
        (status = 504, description = "Outcome unknown (kind `unknown`): the dashboard did not answer in time and may still carry the action out; check the cluster's state before retrying", body = ApiErrorBody),
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
    let xauth = xauth::product_xauth(product);
    let path = dashboard_path(app, product, &action, &xauth).await?;
    let dashboard = app.dashboard_of(product)?;
    // The dashboard accepts "migrate some" from a group that does not exist or holds no slots,
    // and queues nothing: check it against the live model first, and remember what could move.
    let movable = match &action {
        Action::SlotsCreateSome { from, .. } => Some(movable_slots(app, product, from).await?),
        _ => None,
    };
    let running = app.running.enter(&dashboard, &path, action.name())?;
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
    let reply = match result {
        Ok(reply) => reply,
        Err(CallError::Timeout(addr)) => {
            // The dashboard may still be working on it: an identical retry stays refused a while.
            running.linger(UNKNOWN_LINGER);
            return Err(outcome_unknown(&addr));
        }
        Err(CallError::Refused(e)) => return Err(explain(app, product, &action, &e.cause).await),
        Err(e) => return Err(e.into()),
    };
    drop(running);
    let queued = match (&action, movable) {
        (Action::SlotsCreateSome { to, .. }, Some(movable)) => {
            queued_from(app, product, &movable, to).await
        }
        (Action::SlotsCreateRange { beg, end, .. }, _) => {
            // All or nothing: the dashboard refuses the whole range or queues every slot of it.
            let (b, e) =
                codis_model::validate::slot_range_of(beg, end, codis_model::SLOT_NUM_LIMIT)?;
            Some(u32::from(e) - u32::from(b) + 1)
        }
        _ => None,
    };
    Ok(Json(ActionOutcome {
        action: action.name().into(),
        ok: true,
        reply: Some(reply),
        queued,
    }))
}

/// The action's dashboard path, checked against the product: Codis 3.2's rules (1024 slots)
/// need no look at the cluster; a slot id or count only a bigger product has, and any sentinel
/// action, are checked against the product's `/topom` (Pika's Codis fork has `max_slot_num`
/// slots and no sentinels). Shared with codis-fe's `?forward=` path (`super::forward`), which
/// brings the xauth in its URL.
pub(super) async fn dashboard_path(
    app: &AppState,
    product: &str,
    action: &Action,
    xauth: &str,
) -> Result<String, ApiError> {
    let plain = action.dashboard_path(xauth);
    let wider = action.validate_of(codis_model::SLOT_NUM_LIMIT).is_ok();
    if plain.is_ok() && !action.needs_sentinels() || !wider {
        return Ok(plain?);
    }
    let dashboard = app.dashboard_of(product)?;
    let overview = app.overview_from(&dashboard).await?;
    if action.needs_sentinels() && !overview.variant().has_sentinels() {
        return Err(ApiError::StateConflict(
            codis_model::validate::ValidationError::of(
                "action",
                codis_model::validate::Rule::NoSentinels,
            ),
        ));
    }
    // Valid within the widest slot count Codis knows (the schema's bound), so a refusal here is
    // this product's shape (fewer slots than the input names): a conflict with the cluster as it
    // is (409, still naming the field and the rule), not malformed input.
    action
        .dashboard_path_of(xauth, overview.slot_count())
        .map_err(ApiError::StateConflict)
}

/// An action whose dashboard call timed out: not a failure, since the dashboard may still carry
/// it out (a frozen dashboard does, once it runs again).
fn outcome_unknown(addr: &str) -> ApiError {
    ApiError::OutcomeUnknown {
        addr: addr.to_string(),
    }
}

/// The slots "migrate some" from group `from` can pick, read from the dashboard now; refuses a
/// group that does not exist, holds no slots or has none free (`migrate::movable_slots`).
async fn movable_slots(app: &AppState, product: &str, from: &str) -> Result<Vec<SlotId>, ApiError> {
    let gid = codis_model::validate::group_id("from", from)?;
    let stats = app.fetch_stats(product).await?;
    // Well-formed, but refused by the cluster as it is now: a conflict (409), not bad input.
    migrate::movable_slots(&stats, gid).map_err(ApiError::StateConflict)
}

/// How many of `movable` the dashboard really queued to group `to`, read after it accepted the
/// action. The action already succeeded: if this read fails, the count is left out, not the
/// success.
async fn queued_from(app: &AppState, product: &str, movable: &[SlotId], to: &str) -> Option<u32> {
    let to = codis_model::validate::group_id("to", to).ok()?;
    match app.fetch_stats(product).await {
        Ok(after) => Some(migrate::queued_count(&after, movable, to)),
        Err(e) => {
            tracing::warn!(product, "cannot count the queued slots: {e}");
            None
        }
    }
}

/// The dashboard's refusal as the operator should read it: xauths redacted (the client already
/// did), proxies named by id and addresses, and a hint for a known mistake.
async fn explain(app: &AppState, product: &str, action: &Action, cause: &str) -> ApiError {
    // Only to name proxies and hint at their admin port: without them the refusal still reads.
    let proxies = app
        .fetch_stats(product)
        .await
        .map(|s| s.proxy.models)
        .unwrap_or_default();
    let cause = causes::redact_secrets(cause);
    let ctx = causes::HintContext {
        addr: action.address(),
        proxies: &proxies,
    };
    // The mistake is read from the dashboard's own words (`proxy-[<token>] ...`), before naming.
    let mistake = causes::cause_id(&cause, &ctx);
    let cause = causes::name_proxies(&cause, &proxies);
    ApiError::Refused { cause, mistake }
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
        (status = 409, description = "The cluster changed since the preview, nothing was queued (kind `conflict`); or a rebalance is already running or its outcome still unknown (kind `in_flight`)", body = ApiErrorBody),
        (status = 404, description = "Unknown product", body = ApiErrorBody),
        (status = 502, description = "Dashboard unreachable or its answer unreadable", body = ApiErrorBody),
        (status = 504, description = "Dashboard too slow while comparing the plans (kind `dashboard_timeout`, nothing queued), or while queueing it (kind `unknown`: it may still be queued)", body = ApiErrorBody),
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
    // One rebalance at a time: a second click or tab would compare against a plan the first is
    // about to queue.
    let running = app
        .running
        .enter(&dashboard, "slots/rebalance", "slots-rebalance")?;
    let current = plan(app, product, &dashboard, false).await?;
    if current != req.plan {
        return Err(ApiError::PlanChanged {
            now: current.len() as u64,
            before: req.plan.len() as u64,
        });
    }
    if current.is_empty() {
        return Ok(Json(ActionOutcome {
            action: "slots-rebalance".into(),
            ok: true,
            reply: Some(serde_json::json!({})),
            queued: Some(0),
        }));
    }
    let applied = match plan(app, product, &dashboard, true).await {
        Ok(applied) => applied,
        Err(ApiError::Dashboard(CallError::Timeout(addr))) => {
            running.linger(UNKNOWN_LINGER);
            return Err(outcome_unknown(&addr));
        }
        Err(e) => return Err(e),
    };
    Ok(Json(ActionOutcome {
        action: "slots-rebalance".into(),
        ok: true,
        queued: Some(u32::try_from(applied.len()).unwrap_or(u32::MAX)),
        reply: serde_json::to_value(applied).ok(),
    }))
}
