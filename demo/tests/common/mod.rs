//! Shared helpers of the demo's integration tests: fixtures, HTTP calls, JSON shape comparison.

#![allow(dead_code)] // Each test binary uses a different part of this module.

use codis_demo::{DemoDashboard, DemoOptions, Preset};
use serde_json::Value;
use std::collections::BTreeSet;
use std::time::Duration;

// The model tests' fixture reader: the same folder and `.meta` format, read one way.
pub use codis_fixtures::{fixtures_dir, Meta};

/// What `<name>.meta` says about a capture.
pub fn meta(name: &str) -> Meta {
    let text = std::fs::read_to_string(fixtures_dir().join(format!("{name}.meta")))
        .unwrap_or_else(|e| panic!("{name}.meta: {e}"));
    codis_fixtures::parse_meta(&text)
}

/// A capture's body, gunzipped when needed, parsed as JSON; None only when the capture's
/// content type is not JSON (a 404 text, an empty redirect). A missing or unreadable file, or a
/// JSON capture that does not parse, fails the test: a capture is never skipped silently.
pub fn body(name: &str) -> Option<Value> {
    body_in(&fixtures_dir(), name)
}

/// `meta` of an answer in another folder (`fixtures/pika-codis`).
pub fn meta_in(dir: &std::path::Path, name: &str) -> Meta {
    let text = std::fs::read_to_string(dir.join(format!("{name}.meta")))
        .unwrap_or_else(|e| panic!("{name}.meta: {e}"));
    codis_fixtures::parse_meta(&text)
}

/// `body` of an answer in another folder (`fixtures/pika-codis`).
pub fn body_in(dir: &std::path::Path, name: &str) -> Option<Value> {
    let path = dir.join(format!("{name}.json"));
    let raw = std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let meta = meta_in(dir, name);
    let raw = if meta.content_encoding.as_deref() == Some("gzip") {
        gunzip(&raw)
    } else {
        raw
    };
    let is_json = meta
        .content_type
        .as_deref()
        .is_some_and(|t| t.starts_with("application/json"));
    if !is_json {
        return None;
    }
    Some(serde_json::from_slice(&raw).unwrap_or_else(|e| panic!("{name}: JSON capture: {e}")))
}

pub fn gunzip(raw: &[u8]) -> Vec<u8> {
    use std::io::Read;
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(raw)
        .read_to_end(&mut out)
        .expect("gunzip");
    out
}

/// A Small demo whose workers effectively never tick (contract tests want frozen state).
pub async fn frozen() -> DemoDashboard {
    DemoDashboard::start(DemoOptions {
        step: Duration::from_secs(3600),
        ..DemoOptions::default()
    })
    .await
    .expect("start demo")
}

/// A Small demo with fast workers.
pub async fn fast(step_ms: u64) -> DemoDashboard {
    DemoDashboard::start(DemoOptions {
        product: "codis-demo".to_owned(),
        preset: Preset::Small,
        seed: 7,
        step: Duration::from_millis(step_ms),
    })
    .await
    .expect("start demo")
}

/// A client that neither asks for nor decodes gzip (so headers can be checked).
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_gzip()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client")
}

/// One response: status, headers, body bytes.
pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn cause(&self) -> String {
        self.json()["Cause"].as_str().unwrap_or_default().to_owned()
    }
}

pub async fn call(method: &str, url: &str, body: Option<String>, gzip: bool) -> Reply {
    let mut req = client().request(method.parse().expect("method"), url);
    if gzip {
        req = req.header("accept-encoding", "gzip");
    }
    if let Some(b) = body {
        req = req.header("content-type", "application/json").body(b);
    }
    let resp = req
        .send()
        .await
        .unwrap_or_else(|e| panic!("{method} {url}: {e}"));
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let bytes = resp.bytes().await.expect("body").to_vec();
    let body = if headers.get("content-encoding").is_some_and(|v| v == "gzip") {
        gunzip(&bytes)
    } else {
        bytes
    };
    Reply {
        status,
        headers,
        body,
    }
}

pub async fn get(demo: &DemoDashboard, path: &str) -> Reply {
    call(
        "GET",
        &format!("{}{}", demo.base_url(), path.replace("{X}", &demo.xauth())),
        None,
        false,
    )
    .await
}

pub async fn put(demo: &DemoDashboard, path: &str) -> Reply {
    call(
        "PUT",
        &format!("{}{}", demo.base_url(), path.replace("{X}", &demo.xauth())),
        None,
        false,
    )
    .await
}

/// PUT that must succeed.
pub async fn put_ok(demo: &DemoDashboard, path: &str) -> Value {
    let r = put(demo, path).await;
    assert_eq!(
        r.status,
        200,
        "PUT {path}: {}",
        String::from_utf8_lossy(&r.body)
    );
    r.json()
}

pub async fn stats(demo: &DemoDashboard) -> codis_model::Stats {
    let r = get(demo, "/api/topom/stats/{X}").await;
    assert_eq!(r.status, 200);
    serde_json::from_slice(&r.body).expect("stats decode")
}

/// Polls `f` on fresh stats until it holds or `secs` pass.
pub async fn wait_for(
    demo: &DemoDashboard,
    secs: u64,
    what: &str,
    f: impl Fn(&codis_model::Stats) -> bool,
) -> codis_model::Stats {
    let deadline = std::time::Instant::now() + Duration::from_secs(secs);
    loop {
        let s = stats(demo).await;
        if f(&s) {
            return s;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits until `cond` holds (checked every 20 ms, for at most 20 s), instead of sleeping for a
/// time a loaded machine may exceed.
pub async fn eventually<F, Fut>(what: &str, mut cond: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !cond().await {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

// ---- JSON structure comparison -------------------------------------------------------------

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn is_hex32(k: &str) -> bool {
    k.len() == 32 && k.chars().all(|c| c.is_ascii_hexdigit())
}

fn is_addr(k: &str) -> bool {
    k.rsplit_once(':')
        .is_some_and(|(h, p)| !h.is_empty() && p.parse::<u16>().is_ok())
}

fn is_named_group(k: &str) -> bool {
    k.rsplit_once('-')
        .is_some_and(|(h, n)| !h.is_empty() && n.parse::<u32>().is_ok())
}

/// An object keyed by data (addresses, tokens, slot/group ids, `<product>-<gid>`), or a flat
/// string map (INFO): its keys are not a schema, only its values' shapes are.
fn map_like(o: &serde_json::Map<String, Value>) -> bool {
    !o.is_empty()
        && (o
            .keys()
            .all(|k| is_hex32(k) || is_addr(k) || k.parse::<u32>().is_ok() || is_named_group(k))
            || o.values().all(Value::is_string))
}

/// A canonical description of a value's structure, to dedupe array elements and map values.
fn signature(v: &Value) -> String {
    match v {
        Value::Array(a) => {
            let sigs: BTreeSet<String> = a.iter().map(signature).collect();
            format!("[{}]", sigs.into_iter().collect::<Vec<_>>().join("|"))
        }
        Value::Object(o) if map_like(o) => {
            let sigs: BTreeSet<String> = o.values().map(signature).collect();
            format!("map{{{}}}", sigs.into_iter().collect::<Vec<_>>().join("|"))
        }
        Value::Object(o) => {
            let fields: Vec<String> = o
                .iter()
                .map(|(k, v)| format!("{k}:{}", signature(v)))
                .collect();
            format!("{{{}}}", fields.join(","))
        }
        other => kind(other).to_owned(),
    }
}

/// Distinct-shape representatives of a collection.
fn representatives<'a>(items: impl Iterator<Item = &'a Value>) -> Vec<&'a Value> {
    let mut seen = BTreeSet::new();
    items.filter(|v| seen.insert(signature(v))).collect()
}

/// `item` has the shape of one of `reps` (the distinct shapes of the captured elements); else
/// why it matches none of them.
fn like_one_of(reps: &[&Value], item: &Value, path: &str) -> Result<(), String> {
    let mut errs = Vec::new();
    for r in reps {
        match same_shape(r, item, path) {
            Ok(()) => return Ok(()),
            Err(e) => errs.push(e),
        }
    }
    Err(errs.join(" / "))
}

/// Checks that `actual` has the structure of `expected`: same keys and value types for plain
/// objects; for arrays and data-keyed maps, every actual element/value has the structure of some
/// expected one, and a non-empty expected collection is not empty.
pub fn same_shape(expected: &Value, actual: &Value, path: &str) -> Result<(), String> {
    match (expected, actual) {
        (Value::Array(e), Value::Array(a)) => {
            if !e.is_empty() && a.is_empty() {
                return Err(format!("{path}: expected a non-empty array"));
            }
            let reps = representatives(e.iter());
            if reps.is_empty() {
                return Ok(());
            }
            for (i, item) in a.iter().enumerate() {
                like_one_of(&reps, item, &format!("{path}[{i}]"))?;
            }
            Ok(())
        }
        (Value::Object(e), Value::Object(a))
            if map_like(e)
                || (e.is_empty()
                    && map_like(a)
                    && a.keys()
                        .all(|k| is_addr(k) || is_hex32(k) || k.parse::<u32>().is_ok())) =>
        {
            if !e.is_empty() && a.is_empty() {
                return Err(format!("{path}: expected a non-empty map"));
            }
            if !a.is_empty() && !map_like(a) {
                return Err(format!(
                    "{path}: expected a map keyed by data, got keys {:?}",
                    a.keys().collect::<Vec<_>>()
                ));
            }
            let reps = representatives(e.values());
            if reps.is_empty() {
                return Ok(());
            }
            for (k, item) in a {
                like_one_of(&reps, item, &format!("{path}.{k}"))?;
            }
            Ok(())
        }
        (Value::Object(e), Value::Object(a)) => {
            let ek: BTreeSet<&String> = e.keys().collect();
            let ak: BTreeSet<&String> = a.keys().collect();
            if ek != ak {
                return Err(format!("{path}: keys differ: expected {ek:?}, got {ak:?}"));
            }
            for (k, ev) in e {
                same_shape(ev, &a[k], &format!("{path}.{k}"))?;
            }
            Ok(())
        }
        (e, a) if kind(e) == kind(a) => Ok(()),
        (e, a) => Err(format!("{path}: expected {}, got {}", kind(e), kind(a))),
    }
}
