//! The OpenAPI document (`GET /api/openapi.json`) against the server that publishes it: every
//! documented operation is served, the input rules it states are the ones the handlers enforce,
//! and the answers the layers give (401, 403, 400, 413) are documented where they can happen.
//! scripts/schemathesis checks the same document with generated requests; these tests pin the
//! rules down one by one.

use codis_testkit as support;

use serde_json::{json, Value};
use support::{call, demo_backend, http};

/// The document as served by a backend in front of one demo dashboard (`codis-demo`).
async fn served_document() -> (
    codis_demo::DemoDashboard,
    support::DashboardList,
    String,
    Value,
) {
    let (dashboard, list, base) = demo_backend(codis_demo::Preset::Small).await;
    let doc: Value = support::get_json(format!("{base}/api/openapi.json")).await;
    (dashboard, list, base, doc)
}

/// Every (path, method, operation) of the document.
fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            if ["get", "post", "put", "delete", "patch"].contains(&method.as_str()) {
                out.push((path.clone(), method.clone(), op.clone()));
            }
        }
    }
    out
}

/// `path` with its parameters filled with valid values for the demo product.
fn fill(path: &str) -> String {
    path.replace("{product}", "codis-demo")
        .replace("{addr}", "127.0.0.1:16379")
        .replace("{token}", "0123456789abcdef0123456789abcdef")
}

#[tokio::test]
async fn every_documented_operation_is_served_by_the_router() {
    let (_d, _l, base, doc) = served_document().await;
    let ops = operations(&doc);
    assert!(ops.len() >= 20, "{} operations", ops.len());
    for (path, method, _) in &ops {
        if path.ends_with("/events") {
            continue; // a stream: checked below with a request that ends
        }
        let url = format!("{base}{}", fill(path));
        let mut req = http().request(method.to_uppercase().parse().expect("method"), &url);
        if method == "post" {
            req = req.json(&json!({}));
        }
        let resp = req.send().await.expect("request");
        let status = resp.status();
        let body = resp.text().await.unwrap_or_default();
        assert_ne!(status, 405, "{method} {path} is documented but not routed");
        assert!(
            !body.contains("no such API route"),
            "{method} {path} is documented but not routed: {body}"
        );
    }
    let resp = http()
        .get(format!("{base}/api/products/codis-demo/events"))
        .send()
        .await
        .expect("events");
    assert_eq!(resp.status(), 200);
    assert!(resp
        .headers()
        .get("content-type")
        .is_some_and(|t| t.as_bytes().starts_with(b"text/event-stream")));
}

#[tokio::test]
async fn the_probes_and_the_document_itself_are_documented() {
    let (_d, _l, _base, doc) = served_document().await;
    for path in [
        "/healthz",
        "/readyz",
        "/api/openapi.json",
        "/list",
        "/metrics",
    ] {
        assert!(doc["paths"][path]["get"].is_object(), "{path} documented");
    }
}

#[tokio::test]
async fn path_parameters_carry_the_rules_the_handlers_enforce() {
    let (_d, _l, _base, doc) = served_document().await;
    let mut seen = std::collections::BTreeSet::new();
    for (path, method, op) in operations(&doc) {
        for p in op["parameters"].as_array().into_iter().flatten() {
            if p["in"] != "path" {
                continue;
            }
            let name = p["name"].as_str().expect("name");
            let expected = match name {
                "product" => codis_model::schema::PRODUCT_NAME,
                "addr" => codis_model::schema::ADDRESS,
                "token" => codis_model::schema::PROXY_TOKEN,
                other => panic!("{method} {path}: path parameter {other} has no rule"),
            };
            assert_eq!(p["schema"]["pattern"], expected, "{method} {path}: {name}");
            seen.insert(name.to_string());
        }
    }
    assert_eq!(seen.len(), 3, "{seen:?}");
}

/// Every field of every action names its rule: a pattern, a range or an enum, never a bare
/// string (today's requests that are valid for the document were refused with 400).
#[tokio::test]
async fn every_action_field_states_its_rule() {
    let (_d, _l, _base, doc) = served_document().await;
    let variants = doc["components"]["schemas"]["Action"]["oneOf"]
        .as_array()
        .expect("Action is a oneOf");
    assert_eq!(variants.len(), 24);
    for variant in variants {
        let props = variant["properties"].as_object().expect("properties");
        for (field, schema) in props {
            if field == "action" {
                assert!(schema["enum"].is_array(), "{variant}");
                continue;
            }
            let alternatives: Vec<&Value> = match schema["oneOf"].as_array() {
                Some(list) => list.iter().collect(),
                None => vec![schema],
            };
            for alt in alternatives {
                let ruled = alt["pattern"].is_string()
                    || alt["enum"].is_array()
                    || alt["type"] == "boolean"
                    || (alt["type"] == "integer" && alt["maximum"].is_number())
                    || (alt["type"] == "integer" && alt["maximum"].is_number());
                assert!(ruled, "{}.{field}: {alt}", variant["properties"]["action"]);
            }
        }
    }
}

/// What the document allows, the server accepts: `enabled` as 0 or 1 as well as a boolean,
/// group ids as integers or strings up to 9999, and a range's ends as the schema states them.
#[tokio::test]
async fn values_the_document_allows_are_accepted() {
    let (_d, _l, base, _doc) = served_document().await;
    let run = |body: Value| {
        let base = base.clone();
        async move {
            call(
                &base,
                "POST",
                "/api/products/codis-demo/actions",
                None,
                None,
                Some(body),
            )
            .await
        }
    };
    for body in [
        json!({"action": "group-replica-groups-all", "enabled": 0}),
        json!({"action": "group-replica-groups-all", "enabled": "1"}),
        json!({"action": "group-replica-groups-all", "enabled": true}),
        json!({"action": "group-create", "gid": 9999}),
        json!({"action": "group-create", "gid": "9998"}),
        json!({"action": "slots-interval", "interval": 1_000_000}),
        json!({"action": "group-add-server", "gid": 9999, "addr": "127.0.0.1:16385", "datacenter": " dc-b "}),
    ] {
        let (status, reply) = run(body.clone()).await;
        assert_eq!(status, 200, "{body} -> {reply}");
    }
    for body in [
        json!({"action": "group-replica-groups-all", "enabled": 2}),
        json!({"action": "group-create", "gid": 10000}),
        json!({"action": "group-create", "gid": "09"}),
        json!({"action": "group-add-server", "gid": 1, "addr": "169.254.1.1:80/x?y#"}),
    ] {
        let (status, reply) = run(body.clone()).await;
        assert_eq!(status, 400, "{body} -> {reply}");
    }
}

/// The answers the layers give before a handler runs are in the document: 401 wherever a session
/// is needed, 403 on actions (read-only, CSRF, role) and per product, 400 where there is input,
/// 413 where there is a body.
#[tokio::test]
async fn answers_of_the_layers_are_documented() {
    let (_d, _l, _base, doc) = served_document().await;
    for (path, method, op) in operations(&doc) {
        let has = |status: &str| op["responses"][status].is_object();
        let public = ["/healthz", "/readyz", "/api/session"].contains(&path.as_str());
        if !public {
            assert!(has("401"), "{method} {path}: 401");
        }
        if path.contains("{product}") || path == "/metrics" || method == "post" {
            assert!(has("403") || path == "/api/session", "{method} {path}: 403");
        }
        let input = op["requestBody"].is_object()
            || op["parameters"].as_array().is_some_and(|p| !p.is_empty());
        if input {
            assert!(has("400"), "{method} {path}: 400");
        }
        if op["requestBody"].is_object() {
            assert!(has("413"), "{method} {path}: 413");
        }
    }
}

/// A query value that breaks its type gets the API's JSON error, as the document says (axum's
/// own refusal was plain text).
#[tokio::test]
async fn a_bad_query_value_gets_the_json_error_body() {
    let (_d, _l, base, _doc) = served_document().await;
    let resp = http()
        .get(format!("{base}/api/activity?limit=9.2e80"))
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), 400);
    assert!(
        resp.headers()
            .get("content-type")
            .is_some_and(|t| t.as_bytes().starts_with(b"application/json")),
        "{:?}",
        resp.headers()
    );
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["error"]["kind"], "invalid_input", "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("limit")),
        "{body}"
    );
}

/// `limit` of `/api/activity`: the document's range is exactly what the server reads.
#[tokio::test]
async fn the_activity_limit_range_is_the_one_the_server_reads() {
    let (_d, _l, base, doc) = served_document().await;
    let limit = doc["paths"]["/api/activity"]["get"]["parameters"]
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["name"] == "limit"))
        .cloned()
        .expect("limit documented");
    assert_eq!(limit["in"], "query");
    assert_eq!(limit["schema"]["maximum"], 4_294_967_295_u64, "{limit}");
    // An int32 format would tell clients the range stops at 2^31-1.
    assert_ne!(limit["schema"]["format"], "int32", "{limit}");
    let get = |q: &str| http().get(format!("{base}/api/activity?limit={q}")).send();
    assert_eq!(get("4294967295").await.expect("max").status(), 200);
    assert_eq!(get("4294967296").await.expect("past max").status(), 400);
}

#[tokio::test]
async fn the_error_body_documents_every_cause_id() {
    let (_d, _l, _base, doc) = served_document().await;
    let schemas = &doc["components"]["schemas"];
    assert!(
        schemas["ApiErrorDetail"]["properties"]["cause"] != Value::Null,
        "{}",
        schemas["ApiErrorDetail"]
    );
    let cause = schemas["CauseId"].to_string();
    for c in codis_model::cause_id::CauseId::examples() {
        let id = c.id();
        assert!(
            cause.contains(&format!("\"{id}\"")),
            "the CauseId schema does not list {id}: {cause}"
        );
    }
    let rule = schemas["Rule"].to_string();
    for id in ["int_range", "address", "group_missing", "no_sentinels"] {
        assert!(
            rule.contains(&format!("\"{id}\"")),
            "Rule lacks {id}: {rule}"
        );
    }
}
