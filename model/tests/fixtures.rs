//! Every captured Codis response decodes into this crate's types, and re-encodes to the same JSON.
//!
//! The captures come from a real Codis 3.2.2 cluster (see `fixtures/codis-3.2/README.md`).
//! A capture whose route is not recognised fails the test, so a new capture gets a type.
//! The answers of Pika's Codis fork in `fixtures/pika-codis` (captured from its dashboard and
//! proxies, three derived from its code, see that README) go through the same checks.

use codis_fixtures as common;

use codis_model::{
    CmdInfo, DashboardError, InfoMap, MonitoredMap, Overview, ProductList, Proxy, ProxyOverview,
    ProxyStatsData, RebalancePlan, Slot, Stats, Topom, OK_REPLY,
};
use common::{all_captures, all_captures_in, pika_fixtures_dir, Capture};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// What a captured body is, decided from the request route (and status).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Overview,
    Topom,
    Stats,
    Slots,
    Info,
    Monitored,
    RebalancePlan,
    Ok,
    ProxyModel,
    ProxyStats,
    ProxyOverview,
    CmdInfo,
    ProductList,
    DashboardError,
    NotJson,
}

/// Dashboard routes whose success body is `"OK"` (codis-fe-spec.md §4.2), after `/api/topom/`.
const OK_ROUTES: &[&str] = &[
    "xping/",
    "reload/",
    "shutdown/",
    "loglevel/",
    "proxy/create/",
    "proxy/online/",
    "proxy/reinit/",
    "proxy/remove/",
    "group/create/",
    "group/remove/",
    "group/resync/",
    "group/resync-all/",
    "group/add/",
    "group/del/",
    "group/promote/",
    "group/replica-groups/",
    "group/replica-groups-all/",
    "group/action/create/",
    "group/action/remove/",
    "slots/action/create/",
    "slots/action/create-some/",
    "slots/action/create-range/",
    "slots/action/remove/",
    "slots/action/interval/",
    "slots/action/disabled/",
    "slots/assign/",
    "sentinels/add/",
    "sentinels/del/",
    "sentinels/resync-all/",
];

/// The type of a successful (200) body, from its route; `None` for an unknown route.
fn kind_of_success(route: &str) -> Option<Kind> {
    let segments: Vec<&str> = route.trim_matches('/').split('/').collect();
    let kind = match route {
        "/topom" => Kind::Overview,
        "/topom/model" | "/api/topom/model" => Kind::Topom,
        "/topom/stats" => Kind::Stats,
        "/topom/slots" | "/proxy/slots" => Kind::Slots,
        "/api/proxy/model" | "/proxy/model" => Kind::ProxyModel,
        "/proxy/stats" => Kind::ProxyStats,
        "/proxy" => Kind::ProxyOverview,
        "/list" => Kind::ProductList,
        _ if route.starts_with("/api/topom/stats/") => Kind::Stats,
        _ if route.starts_with("/api/topom/slots/rebalance/") => Kind::RebalancePlan,
        _ if route.starts_with("/api/topom/slots/") && segments.len() == 4 => Kind::Slots,
        _ if route.starts_with("/api/topom/group/info/") => Kind::Info,
        _ if route.starts_with("/api/topom/sentinels/info/") => {
            if route.ends_with("/monitored") {
                Kind::Monitored
            } else {
                Kind::Info
            }
        }
        _ if route.starts_with("/api/proxy/stats/") => Kind::ProxyStats,
        _ if route.starts_with("/api/proxy/cmdinfo/") || route.starts_with("/proxy/cmdinfo/") => {
            Kind::CmdInfo
        }
        _ if route.starts_with("/api/proxy/slots/") => Kind::Slots,
        _ if route.starts_with("/api/proxy/xping/") => Kind::Ok,
        _ => {
            let rest = route.strip_prefix("/api/topom/")?;
            OK_ROUTES.iter().find(|p| rest.starts_with(*p))?;
            Kind::Ok
        }
    };
    Some(kind)
}

/// Classifies a capture; `Err` explains why it is not recognised.
fn classify(c: &Capture) -> Result<Kind, String> {
    match c.meta.status {
        200 => kind_of_success(c.meta.route())
            .ok_or_else(|| format!("unrecognised route {:?}: add its type", c.meta.route())),
        800 if c.meta.is_json() => Ok(Kind::DashboardError),
        302 | 403 | 404 | 502 => Ok(Kind::NotJson),
        s => Err(format!("unexpected status {s}")),
    }
}

/// Finds the first place where two JSON values differ, for a readable failure.
fn first_difference(a: &Value, b: &Value, path: &str) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for k in x.keys().chain(y.keys()) {
                match (x.get(k), y.get(k)) {
                    (Some(p), Some(q)) => {
                        if let Some(d) = first_difference(p, q, &format!("{path}.{k}")) {
                            return Some(d);
                        }
                    }
                    (p, q) => {
                        return Some(format!("{path}.{k}: re-encoded {p:?}, captured {q:?}"));
                    }
                }
            }
            None
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (p, q))| first_difference(p, q, &format!("{path}[{i}]"))),
        _ if a == b => None,
        _ => Some(format!("{path}: re-encoded {a}, captured {b}")),
    }
}

/// Decodes the body as `T`, then checks that re-encoding gives exactly the captured JSON.
fn decode_and_reencode<T: DeserializeOwned + Serialize>(c: &Capture) -> Result<T, String> {
    let value: T = serde_json::from_slice(&c.body).map_err(|e| format!("decode: {e}"))?;
    let captured: Value = serde_json::from_slice(&c.body).map_err(|e| format!("json: {e}"))?;
    let reencoded = serde_json::to_value(&value).map_err(|e| format!("encode: {e}"))?;
    if let Some(d) = first_difference(&reencoded, &captured, "$") {
        return Err(format!("re-encoding differs at {d}"));
    }
    Ok(value)
}

fn check(c: &Capture, kind: Kind) -> Result<(), String> {
    match kind {
        Kind::Overview => decode_and_reencode::<Overview>(c).map(drop),
        Kind::Topom => decode_and_reencode::<Topom>(c).map(drop),
        Kind::Stats => decode_and_reencode::<Stats>(c).map(drop),
        Kind::Slots => decode_and_reencode::<Vec<Slot>>(c).map(drop),
        Kind::Info => decode_and_reencode::<InfoMap>(c).map(drop),
        Kind::Monitored => decode_and_reencode::<MonitoredMap>(c).map(drop),
        Kind::RebalancePlan => decode_and_reencode::<RebalancePlan>(c).map(drop),
        Kind::ProxyModel => decode_and_reencode::<Proxy>(c).map(drop),
        Kind::ProxyStats => decode_and_reencode::<ProxyStatsData>(c).map(drop),
        Kind::ProxyOverview => decode_and_reencode::<ProxyOverview>(c).map(drop),
        Kind::CmdInfo => decode_and_reencode::<CmdInfo>(c).map(drop),
        Kind::ProductList => {
            // Served as text/plain by codis-fe, but the text is JSON (`null` when empty).
            decode_and_reencode::<ProductList>(c).map(drop)
        }
        Kind::Ok => {
            let s = decode_and_reencode::<String>(c)?;
            (s == OK_REPLY)
                .then_some(())
                .ok_or(format!("expected \"OK\", got {s:?}"))
        }
        Kind::DashboardError => {
            let e = decode_and_reencode::<DashboardError>(c)?;
            (!e.cause.is_empty())
                .then_some(())
                .ok_or("empty Cause".to_owned())
        }
        Kind::NotJson => check_not_json(c),
    }
}

/// Redirects, 404s, and codis-fe's 403/502 are not JSON: check they are what the meta says.
fn check_not_json(c: &Capture) -> Result<(), String> {
    let text = c.text();
    match (c.meta.status, c.meta.content_type.as_deref()) {
        (302, _) | (403, None) | (502, None) if c.body.is_empty() => Ok(()),
        (404, Some(t)) if t.starts_with("text/plain") && text == "404 page not found\n" => Ok(()),
        (s, t) => Err(format!(
            "status {s} with content type {t:?} and body {text:?}"
        )),
    }
}

#[test]
fn every_captured_response_decodes_and_reencodes_to_the_same_json() {
    let captures = all_captures();
    let mut counts: BTreeMap<Kind, usize> = BTreeMap::new();
    let mut failures = Vec::new();
    for c in &captures {
        match classify(c).and_then(|kind| check(c, kind).map(|()| kind)) {
            Ok(kind) => *counts.entry(kind).or_default() += 1,
            Err(e) => failures.push(format!("{}: {e}", c.name)),
        }
    }
    for (kind, n) in &counts {
        println!("{kind:?}: {n} captures checked");
    }
    let checked: usize = counts.values().sum();
    println!("total: {checked} of {} captures", captures.len());
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // 262 captures at the time of writing (INDEX.tsv); a much smaller number means the folder
    // was not found completely.
    assert!(checked >= 250, "only {checked} captures found");
    for kind in [
        Kind::Stats,
        Kind::Overview,
        Kind::DashboardError,
        Kind::Ok,
        Kind::ProxyStats,
    ] {
        assert!(
            counts.get(&kind).is_some_and(|n| *n > 0),
            "no {kind:?} capture checked"
        );
    }
}

#[test]
fn gzip_captures_decode_to_the_same_document_as_their_plain_twins() {
    let plain: Stats = common::load("demo_get_topom_stats__final_healthy");
    let gzip: Stats = common::load("demo_get_api_topom_stats__final_healthy__gzip");
    // Same state, captured moments apart from the two routes: the structure must agree.
    assert_eq!(plain.slots, gzip.slots);
    assert_eq!(plain.group.models, gzip.group.models);
    assert_eq!(plain.proxy.models, gzip.proxy.models);
}

#[test]
fn unknown_routes_are_not_silently_accepted() {
    assert_eq!(kind_of_success("/api/topom/something-new/x"), None);
    assert_eq!(kind_of_success("/debug/pprof/"), None);
    assert_eq!(kind_of_success("/api/topom/stats/abc"), Some(Kind::Stats));
    assert_eq!(kind_of_success("/api/topom/slots/abc"), Some(Kind::Slots));
    assert_eq!(
        kind_of_success("/api/topom/slots/action/remove/abc/5"),
        Some(Kind::Ok)
    );
}

#[test]
fn every_answer_of_the_pika_fork_decodes_and_reencodes_to_the_same_json() {
    let answers = all_captures_in(&pika_fixtures_dir());
    let mut counts: BTreeMap<Kind, usize> = BTreeMap::new();
    let mut failures = Vec::new();
    for c in &answers {
        match classify(c).and_then(|kind| check(c, kind).map(|()| kind)) {
            Ok(kind) => *counts.entry(kind).or_default() += 1,
            Err(e) => failures.push(format!("pika-codis/{}: {e}", c.name)),
        }
    }
    // Most are real: a folder reverted to the derived answers fails here.
    let captured = answers.iter().filter(|c| c.meta.captured).count();
    assert!(captured >= 32, "only {captured} captured answers");
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // 35 answers at the time of writing; fewer means the folder was not found completely.
    assert!(answers.len() >= 35, "only {} answers found", answers.len());
    for kind in [
        Kind::Overview,
        Kind::Stats,
        Kind::Slots,
        Kind::ProxyModel,
        Kind::ProxyStats,
        Kind::CmdInfo,
        Kind::DashboardError,
        Kind::NotJson,
    ] {
        assert!(
            counts.get(&kind).is_some_and(|n| *n > 0),
            "no {kind:?} answer checked"
        );
    }
}
