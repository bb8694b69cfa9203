//! Why a call failed, as data: a stable id and its parameters, which the backend puts in its
//! error body (`error.cause`, [`crate::console::ApiErrorDetail`]) next to the English message, and
//! the console words in the viewer's language (frontend/locales, `cause.*`; docs/i18n.md).
//!
//! One type for both sides, so the server cannot send an id the console does not know of without
//! the console failing to compile. A console older than the server still reads the body: an id it
//! does not know decodes as no cause (`ApiErrorBody::from_json`), and it shows the English
//! `message` instead.
//!
//! On the wire: `{"id": "nothing_listens", "params": {"addr": "10.0.0.5:6379"}}`, `params` left out
//! for an id without parameters.

use serde::{Deserialize, Serialize};

use crate::validate::Rule;

/// A cause id with its parameters.
///
/// - Inputs: `invalid` (`field` broke `rule`, a [`Rule`]).
/// - A dashboard's refusal (kind `dashboard_refused`): the message stays the dashboard's own Cause,
///   verbatim; the id names the known mistake behind it ([`crate::causes`]) and words the hint.
/// - The dashboard: `dashboard_timeout`, `dashboard_unreachable`, `dashboard_busy`, `outcome_unknown`.
/// - The console's own refusals: products, proxies, roles, sign-in, actions already running.
///
/// Read back through [`Wire`] (`try_from`): serde's derived reader of an adjacently tagged enum
/// is about 15 KB of the console's WASM (brotli), a plain struct and a match a fraction of it. The
/// test `every_id_is_distinct_and_reads_back` keeps the two spellings of every id together.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(
    tag = "id",
    content = "params",
    rename_all = "snake_case",
    try_from = "Wire"
)]
pub enum CauseId {
    /// `field` broke `rule` (kinds `invalid_input` and `conflict`).
    Invalid { field: String, rule: Rule },

    /// The address added as a proxy is the data port of registered proxy `addr`, whose admin
    /// port is `admin`.
    ProxyDataPort { addr: String, admin: String },
    /// The address added as a proxy answers like a Redis port, not a proxy's admin port.
    RedisPort {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        addr: Option<String>,
    },
    /// The address added to a group is a plain Redis (or a sentinel), not a codis-server.
    NotCodisServer {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        addr: Option<String>,
    },
    /// The address added as a sentinel is not a Redis Sentinel.
    NotSentinel {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        addr: Option<String>,
    },
    /// The proxy belongs to another product or uses another product_auth.
    OtherProduct {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        addr: Option<String>,
    },
    /// A promotion in the group has not finished.
    GroupPromoting,
    /// The dashboard cannot reach the proxy.
    ProxyUnreachable,
    /// The group's master still holds slots.
    MasterInUse,
    /// Only an empty group can be removed.
    GroupHasServers,
    /// Nothing listens at the address.
    NothingListens {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        addr: Option<String>,
    },
    /// An address without its port.
    AddressWithoutPort,
    /// A transient error of the dashboard's connection.
    ClosedConnection,
    /// The console's product name or product_auth is not the dashboard's.
    WrongXauth,

    /// The dashboard at `addr` did not answer in time.
    DashboardTimeout { addr: String },
    /// The dashboard at `addr` cannot be reached.
    DashboardUnreachable { addr: String },
    /// Too many calls to the dashboard are in flight.
    DashboardBusy,
    /// An action's call to the dashboard at `addr` timed out: it may still be carried out.
    OutcomeUnknown { addr: String },

    /// The live stream's poll: the dashboard at `addr` sent an answer that is not what Codis
    /// sends (the English `message` beside it says what).
    DashboardBadResponse { addr: String },
    /// The live stream's poll: the dashboard at `addr` refused it (its own Cause beside it).
    DashboardRefused { addr: String },
    /// The live stream's poll: the product is no longer discovered.
    NotDiscovered { product: String },
    /// The live stream's poll: no answer for two poll intervals (`ms`); still waiting.
    NoAnswer { ms: u64 },
    /// The live stream: the dashboard reports itself closed (shutting down).
    DashboardClosed,
    /// The live stream: the dashboard's samples have not advanced for `secs` seconds.
    SamplesFrozen { secs: u64 },

    /// No product of this name is known.
    UnknownProduct { product: String },
    /// The product has no proxy with this token.
    NoSuchProxy { product: String, token: String },
    /// The console runs with `--read-only`.
    ReadOnly,
    /// A missing or wrong CSRF token.
    Csrf,
    /// The caller has no role for this product.
    NoAccess,
    /// The viewer role may read but not act.
    Viewer,
    /// Only the admin role may do this.
    AdminOnly,
    /// The same action is already running, or its outcome is unknown.
    InFlight,
    /// The cluster changed since the rebalance preview: the plan now moves `now` slots, not `before`.
    PlanChanged { now: u64, before: u64 },
    /// A wrong user name or password.
    WrongPassword,
    /// Too many failed sign-ins: wait `secs` seconds.
    SignInRateLimited { secs: u64 },
    /// Every password check is busy.
    SignInBusy,
}

impl CauseId {
    /// Every id, for the API description and the tests (one value of each variant).
    pub fn examples() -> Vec<CauseId> {
        let a = || Some("10.0.0.5:6379".to_string());
        vec![
            CauseId::Invalid {
                field: "gid".into(),
                rule: Rule::IntRange {
                    min: 1,
                    max: 9999,
                    micros: false,
                },
            },
            CauseId::ProxyDataPort {
                addr: "10.0.0.5:19000".into(),
                admin: "10.0.0.5:11080".into(),
            },
            CauseId::RedisPort { addr: a() },
            CauseId::NotCodisServer { addr: a() },
            CauseId::NotSentinel { addr: a() },
            CauseId::OtherProduct { addr: a() },
            CauseId::GroupPromoting,
            CauseId::ProxyUnreachable,
            CauseId::MasterInUse,
            CauseId::GroupHasServers,
            CauseId::NothingListens { addr: a() },
            CauseId::AddressWithoutPort,
            CauseId::ClosedConnection,
            CauseId::WrongXauth,
            CauseId::DashboardTimeout {
                addr: "10.0.0.1:18080".into(),
            },
            CauseId::DashboardUnreachable {
                addr: "10.0.0.1:18080".into(),
            },
            CauseId::DashboardBusy,
            CauseId::OutcomeUnknown {
                addr: "10.0.0.1:18080".into(),
            },
            CauseId::DashboardBadResponse {
                addr: "10.0.0.1:18080".into(),
            },
            CauseId::DashboardRefused {
                addr: "10.0.0.1:18080".into(),
            },
            CauseId::NotDiscovered {
                product: "codis-demo".into(),
            },
            CauseId::NoAnswer { ms: 2000 },
            CauseId::DashboardClosed,
            CauseId::SamplesFrozen { secs: 12 },
            CauseId::UnknownProduct {
                product: "codis-demo".into(),
            },
            CauseId::NoSuchProxy {
                product: "codis-demo".into(),
                token: "28a6da90f4425c690e44d01055334654".into(),
            },
            CauseId::ReadOnly,
            CauseId::Csrf,
            CauseId::NoAccess,
            CauseId::Viewer,
            CauseId::AdminOnly,
            CauseId::InFlight,
            CauseId::PlanChanged {
                now: 12,
                before: 10,
            },
            CauseId::WrongPassword,
            CauseId::SignInRateLimited { secs: 60 },
            CauseId::SignInBusy,
        ]
    }

    /// The id alone, as on the wire (`nothing_listens`).
    pub fn id(&self) -> String {
        match serde_json::to_value(self) {
            Ok(serde_json::Value::Object(m)) => m
                .get("id")
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_string(),
            _ => String::new(),
        }
    }

    /// A known mistake behind a dashboard's refusal: the id words the hint, not the message
    /// (the dashboard's own Cause, shown verbatim).
    pub fn is_mistake(&self) -> bool {
        // A match rather than `hint().is_some()`: the console needs no English hint in its WASM.
        matches!(
            self,
            CauseId::ProxyDataPort { .. }
                | CauseId::RedisPort { .. }
                | CauseId::NotCodisServer { .. }
                | CauseId::NotSentinel { .. }
                | CauseId::OtherProduct { .. }
                | CauseId::GroupPromoting
                | CauseId::ProxyUnreachable
                | CauseId::MasterInUse
                | CauseId::GroupHasServers
                | CauseId::NothingListens { .. }
                | CauseId::AddressWithoutPort
                | CauseId::ClosedConnection
                | CauseId::WrongXauth
        )
    }

    /// For a known mistake behind a dashboard's refusal, what to do about it, in English (the
    /// body's `hint`); `None` for the other ids.
    pub fn hint(&self) -> Option<String> {
        let that = |addr: &Option<String>| addr.clone().unwrap_or_else(|| "That address".into());
        Some(match self {
            CauseId::ProxyDataPort { addr, admin } => format!(
                "{addr} answers like a proxy's data port; the admin port of this proxy is {admin}"
            ),
            CauseId::RedisPort { addr } => format!(
                "{} answers like a Redis port (a proxy's data port or a codis-server), not a proxy's admin port: add the proxy by its admin address (admin_addr in proxy.toml, port 11080 by default)",
                that(addr)
            ),
            CauseId::NotCodisServer { addr } => format!(
                "{} is not a codis-server: a plain Redis (or a sentinel) has no slot commands. Start codis-server there, or add another address",
                that(addr)
            ),
            CauseId::NotSentinel { addr } => format!(
                "{} is not a Redis Sentinel (it does not know the SENTINEL command): add the address of a redis-sentinel",
                that(addr)
            ),
            CauseId::OtherProduct { addr } => format!(
                "The proxy at {} belongs to another product or uses another product_auth: check product_name and product_auth in its proxy.toml",
                addr.as_deref().unwrap_or("that address")
            ),
            CauseId::GroupPromoting => "A promotion in this group has not finished (often because a proxy was unreachable): use \"Resume promote…\" on the group's first server, then retry".into(),
            CauseId::ProxyUnreachable => "The dashboard cannot reach this proxy. Restart it and retry; if the proxy is gone for good, remove it with \"Force remove\"".into(),
            CauseId::MasterInUse => "The group still holds slots: migrate them to another group before removing its master (or promote a replica first)".into(),
            CauseId::GroupHasServers => {
                "Only an empty group can be removed: remove its servers first (replicas, then the master)".into()
            }
            CauseId::NothingListens { addr } => format!(
                "Nothing listens at {}: check that the process is running and the address is right",
                addr.as_deref().unwrap_or("that address")
            ),
            CauseId::AddressWithoutPort => "Give the address as host:port, e.g. 10.0.0.5:6379".into(),
            CauseId::ClosedConnection => "A transient error of the dashboard's connection; it usually clears by itself within a few seconds".into(),
            CauseId::WrongXauth => {
                "The product name or product_auth known to the console does not match the dashboard's".into()
            }
            _ => return None,
        })
    }
}

/// Reads an optional cause, an id this build does not know (a newer server's) as none, for the
/// fields beside an English message that stays readable (the live stream's status,
/// `crate::live::LiveStatus`, and the fleet's rows): a status or a row is never lost to a new id.
pub fn lenient<'de, D>(d: D) -> Result<Option<CauseId>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    Ok(Option::<Wire>::deserialize(d)?.and_then(|w| CauseId::try_from(w).ok()))
}

/// A cause as it comes over the wire: its id and every parameter any id has.
#[derive(Deserialize)]
pub struct Wire {
    id: String,
    #[serde(default)]
    params: Params,
}

#[derive(Default, Deserialize)]
struct Params {
    field: Option<String>,
    rule: Option<Rule>,
    addr: Option<String>,
    admin: Option<String>,
    product: Option<String>,
    token: Option<String>,
    now: Option<u64>,
    before: Option<u64>,
    secs: Option<u64>,
    ms: Option<u64>,
}

impl TryFrom<Wire> for CauseId {
    type Error = String;

    fn try_from(w: Wire) -> Result<CauseId, String> {
        let p = w.params;
        let missing = || format!("cause {}: a parameter is missing", w.id);
        let s = |v: Option<String>| v.ok_or_else(missing);
        let n = |v: Option<u64>| v.ok_or_else(missing);
        Ok(match w.id.as_str() {
            "invalid" => CauseId::Invalid {
                field: s(p.field)?,
                rule: p.rule.ok_or_else(missing)?,
            },
            "proxy_data_port" => CauseId::ProxyDataPort {
                addr: s(p.addr)?,
                admin: s(p.admin)?,
            },
            "redis_port" => CauseId::RedisPort { addr: p.addr },
            "not_codis_server" => CauseId::NotCodisServer { addr: p.addr },
            "not_sentinel" => CauseId::NotSentinel { addr: p.addr },
            "other_product" => CauseId::OtherProduct { addr: p.addr },
            "group_promoting" => CauseId::GroupPromoting,
            "proxy_unreachable" => CauseId::ProxyUnreachable,
            "master_in_use" => CauseId::MasterInUse,
            "group_has_servers" => CauseId::GroupHasServers,
            "nothing_listens" => CauseId::NothingListens { addr: p.addr },
            "address_without_port" => CauseId::AddressWithoutPort,
            "closed_connection" => CauseId::ClosedConnection,
            "wrong_xauth" => CauseId::WrongXauth,
            "dashboard_timeout" => CauseId::DashboardTimeout { addr: s(p.addr)? },
            "dashboard_unreachable" => CauseId::DashboardUnreachable { addr: s(p.addr)? },
            "dashboard_busy" => CauseId::DashboardBusy,
            "outcome_unknown" => CauseId::OutcomeUnknown { addr: s(p.addr)? },
            "dashboard_bad_response" => CauseId::DashboardBadResponse { addr: s(p.addr)? },
            "dashboard_refused" => CauseId::DashboardRefused { addr: s(p.addr)? },
            "not_discovered" => CauseId::NotDiscovered {
                product: s(p.product)?,
            },
            "no_answer" => CauseId::NoAnswer { ms: n(p.ms)? },
            "dashboard_closed" => CauseId::DashboardClosed,
            "samples_frozen" => CauseId::SamplesFrozen { secs: n(p.secs)? },
            "unknown_product" => CauseId::UnknownProduct {
                product: s(p.product)?,
            },
            "no_such_proxy" => CauseId::NoSuchProxy {
                product: s(p.product)?,
                token: s(p.token)?,
            },
            "read_only" => CauseId::ReadOnly,
            "csrf" => CauseId::Csrf,
            "no_access" => CauseId::NoAccess,
            "viewer" => CauseId::Viewer,
            "admin_only" => CauseId::AdminOnly,
            "in_flight" => CauseId::InFlight,
            "plan_changed" => CauseId::PlanChanged {
                now: n(p.now)?,
                before: n(p.before)?,
            },
            "wrong_password" => CauseId::WrongPassword,
            "sign_in_rate_limited" => CauseId::SignInRateLimited { secs: n(p.secs)? },
            "sign_in_busy" => CauseId::SignInBusy,
            other => return Err(format!("unknown cause id {other:?}")),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ids_and_parameters_on_the_wire() {
        assert_eq!(
            serde_json::to_value(CauseId::NothingListens {
                addr: Some("10.0.0.5:6379".into())
            })
            .unwrap(),
            json!({"id": "nothing_listens", "params": {"addr": "10.0.0.5:6379"}})
        );
        assert_eq!(
            serde_json::to_value(CauseId::NothingListens { addr: None }).unwrap(),
            json!({"id": "nothing_listens", "params": {}})
        );
        assert_eq!(
            serde_json::to_value(CauseId::ReadOnly).unwrap(),
            json!({"id": "read_only"})
        );
        assert_eq!(
            serde_json::to_value(CauseId::Invalid {
                field: "gid".into(),
                rule: Rule::IntRange {
                    min: 1,
                    max: 9999,
                    micros: false
                }
            })
            .unwrap(),
            json!({"id": "invalid", "params": {"field": "gid",
                "rule": {"id": "int_range", "min": 1, "max": 9999, "micros": false}}})
        );
        assert_eq!(
            serde_json::to_value(CauseId::Invalid {
                field: "action".into(),
                rule: Rule::NoSentinels
            })
            .unwrap()["params"]["rule"],
            json!({"id": "no_sentinels"})
        );
    }

    #[test]
    fn every_id_is_distinct_and_reads_back() {
        let all = CauseId::examples();
        let mut ids: Vec<String> = all.iter().map(CauseId::id).collect();
        assert!(ids.iter().all(|i| !i.is_empty()));
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), all.len(), "{ids:?}");
        for c in all {
            let text = serde_json::to_string(&c).unwrap();
            assert_eq!(serde_json::from_str::<CauseId>(&text).unwrap(), c, "{text}");
        }
        // Every rule too, inside `invalid`.
        for rule in Rule::examples() {
            let c = CauseId::Invalid {
                field: "f".into(),
                rule,
            };
            let text = serde_json::to_string(&c).unwrap();
            assert_eq!(serde_json::from_str::<CauseId>(&text).unwrap(), c, "{text}");
        }
        assert!(serde_json::from_str::<CauseId>(r#"{"id": "dashboard_timeout"}"#).is_err());
    }

    #[test]
    fn only_known_mistakes_have_a_hint() {
        assert_eq!(
            CauseId::NothingListens { addr: None }.hint().unwrap(),
            "Nothing listens at that address: check that the process is running and the address is right"
        );
        assert!(CauseId::NotCodisServer { addr: None }
            .hint()
            .unwrap()
            .starts_with("That address is not a codis-server"));
        assert_eq!(CauseId::ReadOnly.hint(), None);
        assert_eq!(
            CauseId::DashboardTimeout { addr: "a:1".into() }.hint(),
            None
        );
    }

    #[test]
    fn a_mistake_is_exactly_an_id_with_a_hint() {
        for c in CauseId::examples() {
            assert_eq!(c.is_mistake(), c.hint().is_some(), "{c:?}");
        }
    }

    #[test]
    fn an_unknown_id_is_no_cause_and_the_rest_of_the_body_reads() {
        use crate::console::ApiErrorBody;
        let read = |v: serde_json::Value| ApiErrorBody::from_json(&v.to_string()).expect("body");
        let body = read(json!({"error": {
            "kind": "conflict", "message": "something new", "hint": "h",
            "cause": {"id": "from_a_newer_server", "params": {"x": [1, 2]}}}}));
        assert_eq!(body.error.cause, None);
        assert_eq!(body.error.message, "something new");
        assert_eq!(body.error.hint.as_deref(), Some("h"));
        let body = read(json!({"error": {
            "kind": "forbidden", "message": "read-only", "cause": {"id": "read_only"}}}));
        assert_eq!(body.error.cause, Some(CauseId::ReadOnly));
        let old = read(json!({"error": {"kind": "forbidden", "message": "m"}}));
        assert_eq!(old.error.cause, None);
        assert_eq!(ApiErrorBody::from_json("<html>502</html>"), None);
    }
}
