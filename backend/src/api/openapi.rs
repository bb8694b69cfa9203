//! `GET /api/openapi.json`: the console API described from the handlers' own `#[utoipa::path]`
//! annotations, registered together with their routes (`super::documented_routes`), so the
//! document changes with the code and cannot list a route that is not served, or miss one.
//!
//! What every route shares is added here once ([`Shared`]) rather than repeated on each handler:
//! the input rules of the path parameters (`codis_model::schema`, the same rules the handlers
//! enforce) and the answers the layers give before a handler runs (401 without a session, 403 by
//! role, read-only mode or CSRF, 400 for a value that breaks its rule, 413 for a large body).

use std::sync::OnceLock;

use axum::{http::header, response::IntoResponse};
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::{ContentBuilder, OpenApi as Document, Ref, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi};

use codis_model::cause_id::CauseId;
use codis_model::console::{
    ApiErrorBody, ApiErrorDetail, AuditEntry, DiscoveryStatus, Me, ProductInfo, ProductsReply,
    ProxyDetail, ProxySlotRun, RebalanceApply, RebalancePreview, SignIn,
};
use codis_model::live::{CmdRow, ProxyCmds};
use codis_model::validate::Rule;
use codis_model::{Action, ActionOutcome};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "codis-fe console API",
        description = "The Codis web console's backend. Products come from discovery; every action is validated and sent to the product's dashboard with its xauth. codis-fe's `/list` and `?forward=` are kept for old scripts (forward passes only codis-fe's reads and the actions below). Live stats stream from `GET /api/products/{product}/events` (Server-Sent Events: `snapshot`, `update`, `status`); Prometheus metrics at `GET /metrics`."
    ),
    components(schemas(
        Action,
        ActionOutcome,
        ApiErrorBody,
        ApiErrorDetail,
        CauseId,
        Rule,
        DiscoveryStatus,
        Me,
        ProductInfo,
        ProductsReply,
        RebalanceApply,
        RebalancePreview,
        SignIn,
        AuditEntry,
        ProxyCmds,
        CmdRow,
        ProxyDetail,
        ProxySlotRun
    ))
)]
pub struct ApiDoc;

/// The whole document: every route of `super::documented_routes` with [`Shared`] applied.
pub fn api_doc() -> Document {
    let (_, mut doc) = super::documented_routes().split_for_parts();
    Shared.modify(&mut doc);
    doc
}

/// `GET /api/openapi.json`.
#[utoipa::path(
    get,
    path = "/api/openapi.json",
    tag = "docs",
    responses((status = 200, description = "This document (OpenAPI 3.1)", body = Object))
)]
pub async fn document() -> impl IntoResponse {
    static JSON: OnceLock<String> = OnceLock::new();
    let json = JSON.get_or_init(|| {
        serde_json::to_string(&api_doc()).unwrap_or_else(|e| {
            tracing::error!("the OpenAPI document does not serialise: {e}");
            "{}".into()
        })
    });
    ([(header::CONTENT_TYPE, "application/json")], json.as_str())
}

/// Adds what the routes share (see the module documentation).
struct Shared;

/// Answered by the layers (or the extractors) before or beside each handler.
const BAD_INPUT: &str =
    "A path, query or body value breaks its rule; the body names the field and the rule";
const NO_SESSION: &str =
    "Sign-in is on (--users or --auth-proxy-header) and the request has no valid session";
const NO_ROLE: &str = "The caller has no role for this product";
const REFUSED_ACTION: &str = "Refused before the dashboard is called: --read-only, a missing or wrong X-CSRF-Token, or a role that may not run it";
const TOO_LARGE: &str = "The request body is larger than 64 KiB";

impl Modify for Shared {
    fn modify(&self, doc: &mut Document) {
        for (path, item) in doc.paths.paths.iter_mut() {
            let operations = [
                (false, item.get.as_mut()),
                (true, item.post.as_mut()),
                (true, item.put.as_mut()),
                (true, item.delete.as_mut()),
                (true, item.patch.as_mut()),
            ];
            for (changes, op) in operations {
                if let Some(op) = op {
                    shared_answers(path, changes, op);
                    parameter_rules(op);
                }
            }
        }
    }
}

/// Whether `path` is behind the session check (`security::require_session`): all of `/api/`
/// but sign-in and sign-out, codis-fe's `/list`, and `/metrics`.
fn needs_session(path: &str) -> bool {
    (path.starts_with("/api/") && path != "/api/session") || path == "/list" || path == "/metrics"
}

fn shared_answers(path: &str, changes: bool, op: &mut Operation) {
    let has_input =
        op.request_body.is_some() || op.parameters.as_ref().is_some_and(|p| !p.is_empty());
    if has_input {
        add_error(op, "400", BAD_INPUT);
    }
    if needs_session(path) {
        add_error(op, "401", NO_SESSION);
    }
    if changes && path != "/api/session" {
        add_error(op, "403", REFUSED_ACTION);
    } else if path.contains("{product}") || path == "/metrics" {
        add_error(op, "403", NO_ROLE);
    }
    if op.request_body.is_some() {
        add_error(op, "413", TOO_LARGE);
    }
}

/// Adds answer `status` with the API's error body, unless the handler documents it itself.
fn add_error(op: &mut Operation, status: &str, description: &str) {
    op.responses
        .responses
        .entry(status.to_string())
        .or_insert_with(|| {
            RefOr::T(
                ResponseBuilder::new()
                    .description(description)
                    .content(
                        "application/json",
                        ContentBuilder::new()
                            .schema(Some(Ref::from_schema_name("ApiErrorBody")))
                            .build(),
                    )
                    .build(),
            )
        });
}

/// Path parameters get the rule their handler checks, by name.
fn parameter_rules(op: &mut Operation) {
    for p in op.parameters.iter_mut().flatten() {
        if p.parameter_in != ParameterIn::Path {
            continue;
        }
        let schema = match p.name.as_str() {
            "product" => product_name(),
            "addr" => codis_model::schema::address(),
            "token" => codis_model::schema::proxy_token(),
            _ => continue,
        };
        p.schema = Some(schema);
    }
}

fn product_name() -> RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
    ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::String))
        .pattern(Some(codis_model::schema::PRODUCT_NAME))
        .max_length(Some(codis_model::validate::MAX_TEXT_LEN))
        .description(Some("A product name as Codis allows it: a letter, digit or '_', then letters, digits, '_', '.', '-'."))
        .into()
}
