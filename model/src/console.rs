//! The console's own API documents (backend <-> browser), as opposed to the dashboard's.

use serde::{Deserialize, Serialize};

/// One discovered product, as `GET /api/products` lists it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProductsReply {
    pub products: Vec<ProductInfo>,
    pub discovery: DiscoveryStatus,
    /// The caller, as `GET /api/me` describes it, so the console's first load needs one request
    /// for both. Always present in the backend's answers; absent only in the registry's own copy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub me: Option<Me>,
}

/// The health of discovery itself.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiErrorBody {
    pub error: ApiErrorDetail,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiErrorDetail {
    /// Machine-readable kind: `invalid_input`, `unknown_product`, `forbidden`, `dashboard_refused`,
    /// `dashboard_unreachable`, `dashboard_timeout`, `dashboard_bad_response`, `not_found`, `internal`,
    /// `unknown` (an action whose dashboard call timed out: it may still be carried out), `in_flight`
    /// (the same action is already running).
    pub kind: String,
    /// One sentence for the operator (for `dashboard_refused`, the dashboard's own `Cause`).
    pub message: String,
    /// The input that broke a rule, for `invalid_input`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// For a known mistake (see [`crate::causes`]), what to do about it, shown beside the
    /// dashboard's own words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// Why, as data: a stable id and its parameters, which the console words in the viewer's
    /// language ([`crate::cause_id::CauseId`]; `message` and `hint` stay English for everyone
    /// else). For `dashboard_refused` it names the known mistake behind the dashboard's Cause
    /// (the `hint`), while `message`, the Cause itself, is shown verbatim. Absent when the
    /// failure has no id; an id the reader does not know reads as absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<crate::cause_id::CauseId>,
}

impl ApiErrorBody {
    /// Reads an error body. A cause id this build does not know (a newer server's) is left out
    /// and the rest is read, so an older console still shows the English message. (A second,
    /// cause-less decode rather than a lenient field: serde's buffering of untagged values
    /// would cost the console's WASM several KB.)
    pub fn from_json(text: &str) -> Option<ApiErrorBody> {
        #[derive(Deserialize)]
        struct Body {
            error: Detail,
        }
        #[derive(Deserialize)]
        struct Detail {
            kind: String,
            message: String,
            #[serde(default)]
            field: Option<String>,
            #[serde(default)]
            rule: Option<String>,
            #[serde(default)]
            hint: Option<String>,
        }
        serde_json::from_str(text).ok().or_else(|| {
            let Body { error: d } = serde_json::from_str(text).ok()?;
            Some(ApiErrorBody {
                error: ApiErrorDetail {
                    kind: d.kind,
                    message: d.message,
                    field: d.field,
                    rule: d.rule,
                    hint: d.hint,
                    cause: None,
                },
            })
        })
    }
}

/// `POST /api/products/{p}/rebalance/preview`: the plan the dashboard computed, grouped for people.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RebalancePreview {
    /// Slot id (as a string) -> target group id, exactly as the dashboard computed it.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::rebalance_plan))]
    pub plan: crate::types::RebalancePlan,
    /// The plan grouped by target group, with codis-fe's `group-[g] <== [b,e],...` text.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub groups: Vec<crate::derive::RebalanceGroupPlan>,
}

/// `GET /api/products/{p}/proxies/{token}/detail`: what codis-fe's "F" link showed (the proxy's
/// `/proxy` overview), read through the backend: version, model, configuration (without its
/// passwords) and the per-slot backend map, as runs of consecutive slots routed alike.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProxyDetail {
    /// The proxy's name as the console shows it: id and addresses.
    pub name: String,
    pub version: String,
    pub compile: String,
    /// The proxy's model (token, addresses, pid, host, start time, ...).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub model: crate::types::Proxy,
    /// `proxy.toml` as the proxy reports it; keys holding `auth` are left out.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub config: std::collections::BTreeMap<String, serde_json::Value>,
    /// Consecutive slots with the same backend, migration source and replicas.
    pub slots: Vec<ProxySlotRun>,
}

/// Slots `begin..=end` of a proxy, all routed alike.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProxySlotRun {
    pub begin: u16,
    pub end: u16,
    /// The master the proxy sends these slots to; empty when the slot is offline.
    pub backend_addr: String,
    pub group_id: crate::types::GroupId,
    /// The group the slots are migrating from, if any.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub migrate_from: String,
    /// Replicas the proxy may read from, by locality tier.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub replica_groups: Vec<Vec<String>>,
    /// Requests are held (a promotion or migration step in progress).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub locked: bool,
}

impl ProxyDetail {
    /// The detail of registered proxy `proxy` from its `/proxy` overview. Configuration keys that
    /// may hold a secret (`*auth*`, `*password*`: `jodis_auth`, `product_auth`, an InfluxDB
    /// password) are left out: the console shows this to every viewer.
    pub fn new(proxy: &crate::types::Proxy, overview: crate::types::ProxyOverview) -> ProxyDetail {
        let secret = |k: &str| {
            let k = k.to_ascii_lowercase();
            k.contains("auth") || k.contains("password")
        };
        ProxyDetail {
            name: crate::causes::name_of(proxy),
            version: overview.version,
            compile: overview.compile,
            model: overview.model,
            config: overview
                .config
                .into_iter()
                .filter(|(k, _)| !secret(k))
                .collect(),
            slots: ProxySlotRun::runs(&overview.slots),
        }
    }
}

impl ProxySlotRun {
    /// Runs of consecutive slots routed alike, in slot order.
    pub fn runs(slots: &[crate::types::Slot]) -> Vec<ProxySlotRun> {
        let mut sorted: Vec<&crate::types::Slot> = slots.iter().collect();
        sorted.sort_by_key(|s| s.id);
        let mut out: Vec<ProxySlotRun> = Vec::new();
        for s in sorted {
            let run = ProxySlotRun {
                begin: s.id,
                end: s.id,
                backend_addr: s.backend_addr.clone(),
                group_id: s.backend_addr_group_id,
                migrate_from: s.migrate_from.clone(),
                replica_groups: s.replica_groups.clone(),
                locked: s.locked,
            };
            match out.last_mut() {
                Some(last)
                    if u32::from(last.end) + 1 == u32::from(s.id) && last.routes_like(&run) =>
                {
                    last.end = s.id;
                }
                _ => out.push(run),
            }
        }
        out
    }

    /// Same backend, group, migration source, replicas and lock: only the slot ids differ.
    fn routes_like(&self, other: &ProxySlotRun) -> bool {
        (
            &self.backend_addr,
            self.group_id,
            &self.migrate_from,
            &self.replica_groups,
            self.locked,
        ) == (
            &other.backend_addr,
            other.group_id,
            &other.migrate_from,
            &other.replica_groups,
            other.locked,
        )
    }
}

/// `POST /api/products/{p}/rebalance/apply`: the plan the operator saw. The backend runs it only if
/// the dashboard still computes the same plan (codis-fe's preview and run could differ, codis-fe-spec.md §7.11).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RebalanceApply {
    /// The plan from the preview, sent back unchanged.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::rebalance_plan))]
    pub plan: crate::types::RebalancePlan,
}

/// `GET /api/me`: who the console is talking to and what it may do, so the UI can hide controls.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Me {
    /// How callers are identified: `none` (no sign-in: loopback, or `--insecure-no-auth`),
    /// `local` (`--users`, sign-in form) or `proxy` (a trusted reverse proxy's header).
    pub mode: String,
    /// The signed-in user; `anonymous` without sign-in.
    pub user: String,
    /// `viewer`, `operator` or `admin`; `none` for a user who has roles only per product.
    pub role: String,
    /// `--read-only`: every action is refused with 403.
    pub read_only: bool,
    /// The CSRF token to send with state-changing requests; `None` when sign-in is off.
    #[serde(default)]
    pub csrf: Option<String>,
    /// Per-product roles (`--users` entries with `"products"`): product -> `viewer`, `operator`
    /// or `admin`, for every known product the user may see; `role` applies elsewhere. Absent
    /// when the user has no per-product roles.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub product_roles: std::collections::BTreeMap<String, String>,
    /// Sign-in is off on a non-loopback address (`--insecure-no-auth`): anyone who reaches the
    /// server may run every action. The console shows a permanent warning. Absent means `false`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub insecure: bool,
}

/// One audit line: a line of `--audit-log`, and an entry of `GET /api/activity`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEntry {
    /// RFC 3339, UTC, milliseconds.
    pub time: String,
    /// The user (`anonymous` without sign-in, `-` when unknown: no valid session).
    pub user: String,
    /// The user's role for this product (`-` when unknown).
    pub role: String,
    /// The client address: the TCP peer, or `X-Forwarded-For` from a trusted proxy; `-` unknown.
    pub client: String,
    /// The product (`-` for sign-in and sign-out).
    pub product: String,
    /// The action's name (`group-create`, `sign-in`, `forward`, …).
    pub action: String,
    /// The action's parameters (never a password, token or xauth).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub params: serde_json::Value,
    /// `allowed`, or why not: `unauthenticated`, `read_only`, `csrf_refused`, `role_refused`,
    /// `too_large`, `wrong_password`, `rate_limited`, or the API error kind.
    pub outcome: String,
    /// The HTTP status answered.
    pub status: u16,
    /// The dashboard's (or our) message when refused or failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    pub duration_ms: u64,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// `POST /api/session`: sign in with a local user's name and password.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignIn {
    pub user: String,
    pub password: String,
}

impl std::fmt::Debug for SignIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignIn")
            .field("user", &self.user)
            .field("password", &"<redacted>")
            .finish()
    }
}
