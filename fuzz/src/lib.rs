//! The checks the fuzz targets run, one function per target, so that `cargo fuzz` (nightly,
//! libFuzzer) and the corpus replay test (`tests/corpus.rs`, stable, part of `scripts/test`) run
//! the same code. Each function takes arbitrary bytes and panics only when a property an operator
//! relies on is broken; a panic in the model itself (slicing, arithmetic, allocation) is a
//! finding too.

use codis_model::derive::dashboard_view;
use codis_model::live::{DashboardInfo, LiveUpdate, LiveView};
use codis_model::validate;
use codis_model::{Action, DashboardError, MonitoredMap, Overview, Stats, Topom};

const XAUTH: &str = "0123456789abcdef0123456789abcdef";

/// Action input, as the console API and `?forward=` receive it.
///
/// * Any JSON: if it is an [`Action`] that validates, the dashboard path built from it has no
///   character that changes the URL's meaning, and reading that path back (`?forward=` does)
///   gives an action that builds the very same path: a value can never smuggle in another
///   route or another segment; an admin-only setting is never reachable that way. A refusal
///   names a field and a rule.
/// * Any text as a `PUT` path: an action recognised from it that validates builds a path that
///   is recognised as the same action again.
/// * Any text through every field rule: what a rule accepts stays inside the rule.
pub fn action_input(data: &[u8]) {
    if let Ok(action) = serde_json::from_slice::<Action>(data) {
        check_action(&action);
    }
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Some((action, xauth)) = Action::from_dashboard_path("PUT", text) {
        assert!(!xauth.contains('/'), "xauth is one segment: {xauth:?}");
        if let Ok(path) = action.dashboard_path(&xauth) {
            let again = Action::from_dashboard_path("PUT", &format!("/api/topom/{path}"));
            assert_eq!(
                again.map(|(a, x)| (a.dashboard_path(&x), x)),
                Some((Ok(path.clone()), xauth)),
                "{text:?} -> {path:?}"
            );
        }
    }
    check_rules(text);
}

fn check_action(action: &Action) {
    let _ = action.describe();
    let _ = action.needs_confirmation();
    match action.dashboard_path(XAUTH) {
        Ok(path) => {
            assert!(
                !path.chars().any(|c| matches!(c, '?' | '#' | '%' | '&')
                    || c.is_whitespace()
                    || c.is_control()),
                "a validated path has no URL metacharacter: {path:?}"
            );
            assert!(
                !path
                    .split('/')
                    .any(|s| s.is_empty() || s == "." || s == ".."),
                "no empty or dot segment: {path:?}"
            );
            let full = format!("/api/topom/{path}");
            if action.admin_only() {
                // Dashboard settings are for admins through the console API only; codis-fe's
                // `?forward=` never reaches them.
                assert!(
                    Action::from_dashboard_path("PUT", &full).is_none(),
                    "{full}"
                );
                return;
            }
            let (again, x) = Action::from_dashboard_path("PUT", &full)
                .unwrap_or_else(|| panic!("the path of {action:?} is an allowed route: {full}"));
            assert_eq!(x, XAUTH, "the xauth stays in its segment: {full}");
            assert_eq!(again.dashboard_path(XAUTH).as_deref(), Ok(path.as_str()));
        }
        Err(e) => {
            assert!(!e.field.is_empty() && !e.rule.is_empty(), "{e:?}");
        }
    }
}

fn check_rules(text: &str) {
    let number = |v: u64| v.to_string() == text;
    if let Ok(g) = validate::group_id("gid", text) {
        assert!((1..=9999).contains(&g) && number(u64::from(g)), "{text:?}");
    }
    if let Ok(s) = validate::slot_id("sid", text) {
        assert!(s < 1024 && number(u64::from(s)), "{text:?}");
    }
    if let Ok(n) = validate::slot_count("num", text) {
        assert!((1..=1024).contains(&n) && number(u64::from(n)), "{text:?}");
    }
    if let Ok(n) = validate::interval_us("interval", text) {
        assert!(n <= 1_000_000 && number(u64::from(n)), "{text:?}");
    }
    let safe = |s: &str| {
        !s.is_empty()
            && s.chars().all(|c| {
                c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':' | '[' | ']')
            })
    };
    if let Ok(a) = validate::address("addr", text) {
        assert!(safe(a) && a.len() <= validate::MAX_TEXT_LEN, "{text:?}");
        let port = a.rsplit_once(':').map(|(_, p)| p.parse::<u16>());
        assert!(matches!(port, Some(Ok(p)) if p > 0), "{text:?}");
    }
    if let Ok(Some(dc)) = validate::datacenter("datacenter", text) {
        assert!(safe(dc) && !dc.contains(':') && dc.len() <= validate::MAX_DATACENTER_LEN);
    }
    if let Ok(p) = validate::product_name("product", text) {
        assert!(
            safe(p) && !p.contains(':') && !p.starts_with(['.', '-']),
            "{text:?}"
        );
    }
    if let Ok(t) = validate::proxy_token("token", text) {
        assert!(t.len() == 32 && t.bytes().all(|b| b.is_ascii_hexdigit()));
    }
    if let Ok((b, e)) = text
        .split_once(' ')
        .map_or(Err(()), |(b, e)| validate::slot_range(b, e).map_err(|_| ()))
    {
        assert!(b <= e && e < 1024);
    }
}

/// A dashboard answer, as the backend reads it (the dashboard is another process on the network;
/// a broken or hostile one must cost a 502, never the backend). Every shape the backend decodes
/// is tried; a decoded stats document is derived into the console's view and the live
/// snapshot, as the poller does, and a decoded error loses its stack.
pub fn dashboard_answer(data: &[u8]) {
    if let Ok(stats) = serde_json::from_slice::<Stats>(data) {
        let view = dashboard_view(&stats, "fuzz");
        let _ = serde_json::to_string(&view);
        let a = LiveView {
            product: "fuzz".to_owned(),
            ..LiveView::default()
        };
        let mut b = LiveView::from_sample("fuzz", 1, 1_000, DashboardInfo::default(), &stats);
        b.status = Default::default();
        let mut patched = a.clone();
        patched.apply(&LiveUpdate::between(&a, &b), 1_000, 60);
        patched.history = b.history.clone();
        assert_eq!(patched, b, "an update from empty rebuilds the first view");
    }
    if let Ok(mut overview) = serde_json::from_slice::<Overview>(data) {
        overview.redact();
        let _ = DashboardInfo::from_overview(&overview);
        let text = serde_json::to_string(&overview).unwrap_or_default();
        assert!(!text.contains("\"stack\":[{"), "redacted: no stack frames");
    }
    if let Ok(topom) = serde_json::from_slice::<Topom>(data) {
        let _ = serde_json::to_string(&topom);
    }
    if let Ok(m) = serde_json::from_slice::<MonitoredMap>(data) {
        let _ = serde_json::to_string(&m);
    }
    if let Ok(e) = serde_json::from_slice::<DashboardError>(data) {
        let bare = e.without_stack();
        assert_eq!(bare.cause, e.cause);
        let _ = bare.to_string();
        // What an operator is shown of a refusal: redacted once and for all, and any hint.
        let shown = codis_model::causes::redact_secrets(&e.cause);
        assert_eq!(codis_model::causes::redact_secrets(&shown), shown);
        let _ = codis_model::causes::hint(&shown, &Default::default());
    }
}

/// A live event as the browser decodes it from the backend's stream (serde, with the model's
/// derives, as the console does): a snapshot, or an update applied to a real view. Neither may
/// panic or allocate without bound (the view's 1024 slots, counters addressed by index). Whatever
/// is read, written back as the backend writes it, reads back as the same value: the server's
/// and the browser's shapes are one definition (a field skipped when empty defaults when absent).
pub fn live_event(data: &[u8]) {
    if let Ok(mut view) = serde_json::from_slice::<LiveView>(data) {
        assert_round_trip(&view);
        view.apply(&LiveUpdate::default(), 1_000, 60);
    }
    if let Ok(update) = serde_json::from_slice::<LiveUpdate>(data) {
        assert_round_trip(&update);
        apply_to_base(&update);
    }
}

fn assert_round_trip<T>(v: &T)
where
    T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let json = serde_json::to_string(v).expect("a decoded event encodes");
    let again: T = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json}"));
    assert_eq!(&again, v, "written and read back differs: {json}");
}

fn apply_to_base(update: &LiveUpdate) {
    let mut view = base_view();
    view.apply(update, 1_000, 60);
    // Bounded by the largest slot count a product may have (Pika's fork: up to 16,384), however
    // many an event claims.
    assert!(
        view.slot_owner.len() <= codis_model::SLOT_NUM_LIMIT,
        "{}",
        view.slot_owner.len()
    );
}

fn base_view() -> LiveView {
    let stats: Stats = serde_json::from_str(include_str!(
        "../../fixtures/codis-3.2/demo_get_topom_stats__final_healthy.json"
    ))
    .unwrap_or_default();
    LiveView::from_sample("fuzz", 1, 1_000, DashboardInfo::default(), &stats)
}
