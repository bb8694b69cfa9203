//! The table of known Causes against what a real Codis 3.2.2 dashboard said: every entry's
//! captured example carries a Cause the entry recognises, every captured dashboard refusal with
//! a proxy's xauth in it is redacted, and the classic mistakes of issue 13 get their hint.

use codis_fixtures as common;

use codis_model::causes::{self, HintContext, KNOWN_CAUSES};
use codis_model::Proxy;
use common::{all_captures, capture};
use serde_json::Value;

/// Every string under a `Cause` key, at any depth (a refusal's own body, or sample errors
/// inside a stats document).
fn causes_in(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                match (k.as_str(), x) {
                    ("Cause", Value::String(s)) => out.push(s.clone()),
                    _ => causes_in(x, out),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| causes_in(x, out)),
        _ => {}
    }
}

fn causes_of(name: &str) -> Vec<String> {
    let c = capture(name);
    let v: Value =
        serde_json::from_slice(&c.body).unwrap_or_else(|e| panic!("{name} is JSON: {e}"));
    let mut out = Vec::new();
    causes_in(&v, &mut out);
    out
}

#[test]
fn every_known_cause_matches_its_captured_example() {
    for k in KNOWN_CAUSES {
        let found = causes_of(k.example);
        assert!(
            found.iter().any(|c| k.matches(c)),
            "{}: no Cause of {} matches {:?}; found {found:?}",
            k.name,
            k.example,
            k.contains
        );
        // The first entry that matches is this one: no earlier entry shadows it.
        let c = found.iter().find(|c| k.matches(c)).expect("matched");
        assert_eq!(
            causes::known(c).map(|x| x.name),
            Some(k.name),
            "{c:?} is taken by an earlier entry"
        );
    }
}

#[test]
fn a_proxy_added_by_its_data_port_is_told_the_admin_port() {
    let cause = &causes_of("put_proxy_create__err_not_a_proxy_redis_port")[0];
    // The capture added 127.0.0.1:16379; pretend a registered proxy listens for clients there.
    let proxies = [Proxy {
        id: 1,
        token: "646b55f57361986ddcdefe74dfb0c2da".into(),
        proxy_addr: "127.0.0.1:16379".into(),
        admin_addr: "127.0.0.1:11080".into(),
        ..Proxy::default()
    }];
    let ctx = HintContext {
        addr: Some("127.0.0.1:16379"),
        proxies: &proxies,
    };
    assert_eq!(
        causes::hint(cause, &ctx).as_deref(),
        Some("127.0.0.1:16379 answers like a proxy's data port; the admin port of this proxy is 127.0.0.1:11080")
    );
    let general = causes::hint(cause, &HintContext::default()).expect("a general hint");
    assert!(general.contains("not a proxy's admin port"), "{general}");
}

#[test]
fn a_plain_redis_added_to_a_group_is_called_not_a_codis_server() {
    let cause = &causes_of("put_group_add__err_plain_redis_not_codis")[0];
    let ctx = HintContext {
        addr: Some("127.0.0.1:17379"),
        proxies: &[],
    };
    let hint = causes::hint(cause, &ctx).expect("known");
    assert!(
        hint.starts_with("127.0.0.1:17379 is not a codis-server"),
        "{hint}"
    );
}

#[test]
fn no_captured_cause_keeps_an_xauth_after_redaction() {
    let mut seen = 0;
    for c in all_captures() {
        let Ok(v) = serde_json::from_slice::<Value>(&c.body) else {
            continue;
        };
        let mut found = Vec::new();
        causes_in(&v, &mut found);
        for cause in found {
            let r = causes::redact_secrets(&cause);
            let leaked = r.split(|ch: char| !ch.is_ascii_alphanumeric()).any(|w| {
                w.len() == 32
                    && w.bytes().all(|b| b.is_ascii_hexdigit())
                    && r.contains(&format!("/{w}"))
            });
            assert!(!leaked, "{}: {r}", c.name);
            if r != cause {
                seen += 1;
            }
        }
    }
    // The dead proxy's sample errors carry `/api/proxy/stats/<xauth>`.
    assert!(seen > 0, "no capture had an xauth to redact");
}
