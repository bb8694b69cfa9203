//! A product run by Pika's Codis fork, through the console API over real HTTP to the simulated
//! fork dashboard (`Preset::Pika`): what an operator of such a product relies on.

use codis_testkit as support;
use support::TestApp;

use codis_demo::Preset;
use codis_model::{CmdInfo, Stats};
use reqwest::StatusCode;
use serde_json::{json, Value};
use support::{demo_dashboard, get_json, http, send_json, DashboardList};

/// The backend in front of a fork product (`pika-demo`, `max_slot_num` slots) and a Codis 3.2
/// one (`codis-demo`).
async fn backend(
    max_slot_num: u16,
) -> (
    codis_demo::DemoDashboard,
    codis_demo::DemoDashboard,
    DashboardList,
    String,
) {
    let pika = demo_dashboard("pika-demo", Preset::Pika { max_slot_num }).await;
    let codis = demo_dashboard("codis-demo", Preset::Tiny).await;
    let list = DashboardList::new(&[
        ("pika-demo", &pika.addr().to_string()),
        ("codis-demo", &codis.addr().to_string()),
    ]);
    let base = TestApp::builder().dashboards(&list).start().await.base();
    (pika, codis, list, base)
}

async fn first_proxy(base: &str, product: &str) -> String {
    let s: Stats = get_json(format!("{base}/api/products/{product}/stats")).await;
    s.proxy.models[0].token.clone()
}

async fn cmdinfo(base: &str, product: &str, token: &str, query: &str) -> (StatusCode, Value) {
    send_json(http().get(format!(
        "{base}/api/products/{product}/proxies/{token}/cmdinfo{query}"
    )))
    .await
}

#[tokio::test]
async fn latency_percentiles_of_a_fork_proxy_come_through_the_backend_for_a_kept_interval() {
    let (_pika, _codis, _list, base) = backend(1024).await;
    let token = first_proxy(&base, "pika-demo").await;
    for (query, interval) in [("?interval=60", 60), ("?interval=3600", 3600), ("", 1)] {
        let (status, body) = cmdinfo(&base, "pika-demo", &token, query).await;
        assert_eq!(status, StatusCode::OK, "{query}: {body}");
        let info: CmdInfo = serde_json::from_value(body).expect("cmdinfo");
        assert!(!info.cmd.is_empty(), "{query}");
        assert!(info.cmd.iter().all(|c| c.interval == Some(interval)));
        assert!(info
            .cmd
            .iter()
            .all(|c| c.tp99 >= c.tp90 && c.tp90.is_some()));
    }
    // An interval the proxy does not keep (it would silently answer 1 s figures) is refused.
    for bad in ["7", "abc", "-1", "60000000000", "1%2C10"] {
        let (status, body) = cmdinfo(&base, "pika-demo", &token, &format!("?interval={bad}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
        assert_eq!(body["error"]["field"], "interval", "{bad}");
        assert_eq!(
            body["error"]["rule"], "must be one of 1, 10, 60, 600, 3600 (seconds)",
            "{bad}"
        );
    }
    let (status, _) = cmdinfo(
        &base,
        "pika-demo",
        "0123456789abcdef0123456789abcdef",
        "?interval=1",
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = cmdinfo(&base, "pika-demo", "../../x", "?interval=1").await;
    assert!(
        status == StatusCode::BAD_REQUEST || status == StatusCode::NOT_FOUND,
        "{body}"
    );

    // A Codis 3.2 proxy keeps no percentiles: said plainly, not a proxy error.
    let token = first_proxy(&base, "codis-demo").await;
    let (status, body) = cmdinfo(&base, "codis-demo", &token, "?interval=1").await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["field"], "token");
}

#[tokio::test]
async fn sentinel_actions_are_refused_for_a_dashboard_without_sentinels() {
    let (pika, _codis, _list, base) = backend(1024).await;
    for action in [
        json!({"action": "sentinel-resync-all"}),
        json!({"action": "sentinel-add", "addr": "127.0.0.1:26379"}),
        json!({"action": "sentinel-remove", "addr": "127.0.0.1:26379", "force": "0"}),
    ] {
        let (status, body) = send_json(
            http()
                .post(format!("{base}/api/products/pika-demo/actions"))
                .json(&action),
        )
        .await;
        assert_eq!(status, StatusCode::CONFLICT, "{action}: {body}");
        assert_eq!(body["error"]["field"], "action");
        let rule = body["error"]["rule"].as_str().unwrap_or_default();
        assert!(rule.contains("has no sentinels"), "{rule}");
    }
    // The fork's dashboard indeed has no such route.
    let r = http()
        .put(format!(
            "{}/api/topom/sentinels/resync-all/{}",
            pika.base_url(),
            pika.xauth()
        ))
        .send()
        .await
        .expect("put");
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // Codis 3.2 keeps its sentinel actions.
    let (status, body) = send_json(
        http()
            .post(format!("{base}/api/products/codis-demo/actions"))
            .json(&json!({"action": "sentinel-resync-all"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn slot_actions_of_a_4096_slot_product_reach_slots_past_1023() {
    let (_pika, _codis, _list, base) = backend(4096).await;
    let post = |product: &'static str, body: Value| {
        let base = base.clone();
        async move {
            send_json(
                http()
                    .post(format!("{base}/api/products/{product}/actions"))
                    .json(&body),
            )
            .await
        }
    };
    let (status, body) = post(
        "pika-demo",
        json!({"action": "slots-create-range", "beg": "3000", "end": "3100", "gid": "1"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["queued"], 101);
    let (status, body) = post(
        "pika-demo",
        json!({"action": "slots-create-range", "beg": "4000", "end": "4096", "gid": "1"}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["field"], "end");
    assert_eq!(body["error"]["rule"], "must be an integer from 0 to 4095");
    // Codis 3.2's 1024 slots are unchanged.
    let (status, body) = post(
        "codis-demo",
        json!({"action": "slots-create-range", "beg": "0", "end": "1024", "gid": "1"}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["rule"], "must be an integer from 0 to 1023");
    // Beyond any Codis's slots (the schema's bound) it is bad input, whatever the product.
    let (status, body) = post(
        "pika-demo",
        json!({"action": "slots-action-remove", "sid": "16384"}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["field"], "sid");
}

/// codis-fe's own page (`?forward=<product>`) gets the same rules as the console: the fork's
/// slot count, and a clear refusal of the sentinel routes its dashboard no longer has.
#[tokio::test]
async fn codis_fe_forward_follows_the_fork_slot_count_and_refuses_its_removed_sentinel_routes() {
    let (_pika, _codis, _list, base) = backend(4096).await;
    let put = |product: &'static str, path: String| {
        let base = base.clone();
        async move { send_json(http().put(format!("{base}/api/topom/{path}?forward={product}"))).await }
    };
    let x = codis_model::xauth::product_xauth("pika-demo");
    let (status, body) = put(
        "pika-demo",
        format!("slots/action/create-range/{x}/3000/3009/1"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = put(
        "pika-demo",
        format!("slots/action/create-range/{x}/4000/4096/1"),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["field"], "end");
    assert_eq!(body["error"]["rule"], "must be an integer from 0 to 4095");
    for path in [
        format!("sentinels/resync-all/{x}"),
        format!("sentinels/add/{x}/127.0.0.1:26379"),
        format!("sentinels/del/{x}/127.0.0.1:26379/0"),
    ] {
        let (status, body) = put("pika-demo", path.clone()).await;
        assert_eq!(status, StatusCode::CONFLICT, "{path}: {body}");
        assert_eq!(body["error"]["field"], "action", "{path}");
        let rule = body["error"]["rule"].as_str().unwrap_or_default();
        assert!(rule.contains("has no sentinels"), "{path}: {rule}");
    }
    // Codis 3.2 through the same path: 1024 slots, and its sentinel routes pass.
    let x = codis_model::xauth::product_xauth("codis-demo");
    let (status, body) = put(
        "codis-demo",
        format!("slots/action/create-range/{x}/1000/1024/1"),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["rule"], "must be an integer from 0 to 1023");
    let (status, body) = put("codis-demo", format!("sentinels/resync-all/{x}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}
