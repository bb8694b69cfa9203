//! The console's own API documents (backend <-> browser), as opposed to the dashboard's.

use serde::{Deserialize, Serialize};

/// One discovered product, as `GET /api/products` lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductInfo {
    pub name: String,
    /// The dashboard's `host:port`.
    pub dashboard: String,
    /// Which discovery source reported it (`demo`, `etcd http://…`, …).
    pub source: String,
    /// Whether the last probe reached the dashboard; `None` before the first probe.
    pub reachable: Option<bool>,
    /// When the dashboard last answered, Unix milliseconds.
    pub last_seen_ms: Option<u64>,
    /// Why the last probe failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// `GET /api/products`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductsReply {
    pub products: Vec<ProductInfo>,
    pub discovery: DiscoveryStatus,
}

/// The health of discovery itself.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiscoveryStatus {
    /// `true` once a load has completed (successfully or not).
    pub loaded: bool,
    /// The list is the last good one because the latest load failed.
    pub stale: bool,
    /// Why the latest load failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// When the list was last loaded successfully, Unix milliseconds.
    pub updated_ms: Option<u64>,
}

/// Every error the backend answers with: `{"error": {...}}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiErrorBody {
    pub error: ApiErrorDetail,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiErrorDetail {
    /// Machine-readable kind: `invalid_input`, `unknown_product`, `forbidden`, `dashboard_refused`,
    /// `dashboard_unreachable`, `dashboard_timeout`, `dashboard_bad_response`, `not_found`, `internal`.
    pub kind: String,
    /// One sentence for the operator (for `dashboard_refused`, the dashboard's own `Cause`).
    pub message: String,
    /// The input that broke a rule, for `invalid_input`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
}

/// `POST /api/products/{p}/rebalance/preview`: the plan the dashboard computed, grouped for people.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RebalancePreview {
    pub plan: crate::types::RebalancePlan,
    pub groups: Vec<crate::derive::RebalanceGroupPlan>,
}

/// `POST /api/products/{p}/rebalance/apply`: the plan the operator saw. The backend runs it only if
/// the dashboard still computes the same plan (codis-fe's preview and run could differ, spec 7.11).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RebalanceApply {
    pub plan: crate::types::RebalancePlan,
}
