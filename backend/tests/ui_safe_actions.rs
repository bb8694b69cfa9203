//! Safe actions and names operators recognise, in headless Chromium against the demo cluster:
//! toasts never cover a control, confirmations name their buttons by what they do, stale plans
//! cannot run, dead replicas are not offered for promotion, proxies are named by id and
//! addresses, and actions are disabled while the dashboard is unreachable.

use codis_testkit as support;
use support::TestApp;

use std::time::Duration;

use codis_demo::Fault;
use serde_json::{json, Value};
use support::browser::Browser;

async fn start() -> (String, TestApp, Browser) {
    start_with(&[]).await
}

/// The demo console with these extra flags.
async fn start_with(extra: &[&str]) -> (String, TestApp, Browser) {
    let dist = support::dist_dir();
    let assets = format!("--assets-dir={}", dist.display());
    let mut flags = vec!["--demo", assets.as_str()];
    flags.extend_from_slice(extra);
    let app = TestApp::builder().flags(&flags).start().await;
    (app.base(), app, Browser::start().await)
}

async fn api_action(base: &str, body: Value) -> (reqwest::StatusCode, Value) {
    support::call(
        base,
        "POST",
        "/api/products/codis-demo/actions",
        None,
        None,
        Some(body),
    )
    .await
}

/// Every visible button, link, input or select that a toast covers (their rectangles meet).
const COVERED: &str = r#"
const toasts = [...document.querySelectorAll('.toasts .toast')].map(t => t.getBoundingClientRect());
const controls = [...document.querySelectorAll('button, a[href], input, select')]
  .filter(e => !e.closest('.toasts'));
const out = [];
for (const c of controls) {
  const r = c.getBoundingClientRect();
  if (r.width === 0 || r.height === 0 || getComputedStyle(c).visibility === 'hidden') continue;
  if (r.bottom <= 0 || r.top >= innerHeight || r.right <= 0 || r.left >= innerWidth) continue;
  for (const t of toasts) {
    if (r.left < t.right && t.left < r.right && r.top < t.bottom && t.top < r.bottom) {
      out.push((c.id || c.className || c.tagName) + ' ' + (c.innerText || '').trim());
    }
  }
}
return out;
"#;

async fn covered(b: &Browser) -> Vec<String> {
    b.js(COVERED, vec![])
        .await
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn toasts_never_cover_the_action_queue_or_any_control() {
    let (base, app, b) = start().await;
    let dash = app.demo_dashboard("codis-demo");
    // A long queue of pending migrations, each row with its Cancel button.
    let (s, _) = api_action(&base, json!({"action": "slots-disabled", "disabled": true})).await;
    assert!(s.is_success());
    let (s, body) = api_action(
        &base,
        json!({"action": "slots-create-range", "beg": "0", "end": "39", "gid": "2"}),
    )
    .await;
    assert!(s.is_success(), "{body}");

    // Three refusals: error toasts stay until dismissed.
    b.open(&format!("{base}/p/codis-demo/groups")).await;
    b.wait_for("section.group[data-group='1']").await;
    for _ in 0..3 {
        b.type_into("#group-new-id", "1").await;
        b.click("#group-create").await;
    }
    b.wait_text(".toasts", "three refusals", |t| {
        t.matches("already exists").count() >= 3
    })
    .await;
    // To the slots page without reloading: the toasts stay.
    b.click("a.tab[data-section='slots']").await;
    b.wait_for("#action-table tr[data-slot='39'] button.cancel-action")
        .await;
    assert!(b.count(".toasts .toast-error").await >= 3);
    // Wherever the queue is scrolled, no toast lies over a Cancel button or any other control.
    for (slot, block) in [("0", "end"), ("20", "end"), ("39", "end"), ("39", "center")] {
        b.js(
            "document.querySelector(`#action-table tr[data-slot='${arguments[0]}'] button.cancel-action`).scrollIntoView({block: arguments[1]});",
            vec![json!(slot), json!(block)],
        )
        .await;
        let hidden = covered(&b).await;
        assert!(
            hidden.is_empty(),
            "toasts cover {hidden:?} (slot {slot} at {block})"
        );
    }
    b.screenshot("ui-safe-toasts-clear-of-the-queue").await;

    // Cancelling a migration: the buttons say what they do.
    b.click("#action-table tr[data-slot='39'] button.cancel-action")
        .await;
    b.wait_text(".dialog #confirm-text", "the confirmation", |t| {
        t.contains("slot 39")
    })
    .await;
    assert_eq!(
        b.text_of(".dialog button.cancel").await.as_deref(),
        Some("Keep it")
    );
    assert_eq!(
        b.text_of(".dialog button.confirm").await.as_deref(),
        Some("Cancel the migration")
    );
    b.click(".dialog button.cancel").await;
    b.wait_gone(".dialog").await;
    assert_eq!(b.count("#action-table tr[data-slot='39']").await, 1, "kept");
    drop(dash);
    b.close().await;
}

#[tokio::test]
async fn a_stale_rebalance_plan_cannot_run_and_preview_again_is_offered() {
    let (base, app, b) = start().await;
    let dash = app.demo_dashboard("codis-demo");
    // A new group with a server: the dashboard's plan moves slots to it.
    let spare = dash.addresses().spare_servers[0].clone();
    api_action(&base, json!({"action": "group-create", "gid": "4"})).await;
    let (s, body) = api_action(
        &base,
        json!({"action": "group-add-server", "gid": "4", "addr": spare}),
    )
    .await;
    assert!(s.is_success(), "{body}");
    api_action(&base, json!({"action": "slots-disabled", "disabled": true})).await;

    b.open(&format!("{base}/p/codis-demo/slots")).await;
    b.wait_for("#slot-grid .slot").await;
    b.click("#rebalance").await;
    b.wait_for(".dialog table.plan").await;
    // Meanwhile the cluster changes: the previewed plan is stale.
    let (s, body) = api_action(
        &base,
        json!({"action": "slots-create-range", "beg": "0", "end": "9", "gid": "4"}),
    )
    .await;
    assert!(s.is_success(), "{body}");
    b.click(".dialog button.confirm").await;
    let err = b
        .wait_text(".dialog .dialog-error", "the refusal", |t| {
            t.contains("preview again")
        })
        .await;
    assert!(err.contains("changed"), "{err}");
    let run_enabled = b
        .wait_for(".dialog button.confirm")
        .await
        .is_enabled()
        .await
        .unwrap_or(true);
    assert!(!run_enabled, "the stale plan cannot be run again");
    b.click(".dialog button.preview-again").await;
    b.wait_gone(".dialog button.preview-again").await;
    b.wait_for(".dialog table.plan").await;
    let run_enabled = b
        .wait_for(".dialog button.confirm")
        .await
        .is_enabled()
        .await
        .unwrap_or(false);
    assert!(run_enabled, "the fresh plan can run");
    b.close().await;
}

#[tokio::test]
async fn dialogs_say_what_the_dashboard_will_do_and_offer_only_what_can_work() {
    let (base, app, b) = start().await;
    let dash = app.demo_dashboard("codis-demo");
    // An empty-of-slots group 4 with two servers next to group 1, which holds slots.
    let spares = dash.addresses().spare_servers;
    api_action(&base, json!({"action": "group-create", "gid": "4"})).await;
    for a in &spares[..2] {
        let (s, body) = api_action(
            &base,
            json!({"action": "group-add-server", "gid": "4", "addr": a}),
        )
        .await;
        assert!(s.is_success(), "{body}");
    }
    b.open(&format!("{base}/p/codis-demo/groups")).await;
    let row4 = format!(
        "section.group[data-group='4'] tr[data-server='{}']",
        spares[1]
    );
    b.wait_for(&row4).await;

    // Replica reads: the out-of-sync note only for a group that holds slots (as the dashboard).
    b.click(&format!("{row4} input.replica-toggle")).await;
    let text = b
        .wait_text(".dialog #confirm-text", "the confirmation", |t| {
            t.contains("read from replica")
        })
        .await;
    assert!(
        !text.contains("out of sync"),
        "group 4 holds no slots: {text}"
    );
    b.click(".dialog button.cancel").await;
    b.wait_gone(".dialog").await;
    let row1 = "section.group[data-group='1'] tbody tr:nth-child(2)";
    b.click(&format!("{row1} input.replica-toggle")).await;
    let text = b
        .wait_text(".dialog #confirm-text", "the confirmation", |t| {
            t.contains("read from replica")
        })
        .await;
    assert!(text.contains("out of sync"), "{text}");
    assert_eq!(
        b.text_of(".dialog button.confirm").await.as_deref(),
        Some("Enable replica reads")
    );
    b.click(".dialog button.cancel").await;
    b.wait_gone(".dialog").await;

    // A dead replica is not offered for promotion.
    let replica = b
        .js(
            &format!("return document.querySelector(\"{row1}\").dataset.server;"),
            vec![],
        )
        .await
        .as_str()
        .map(str::to_owned)
        .expect("group 1's replica");
    let row = format!("section.group[data-group='1'] tr[data-server='{replica}']");
    b.wait_for(&format!("{row} button.promote")).await;
    dash.set_fault(Fault::ServerDown(replica.clone()));
    b.wait_gone(&format!("{row} button.promote")).await;
    dash.clear_fault(&Fault::ServerDown(replica.clone()));
    b.wait_for(&format!("{row} button.promote")).await;

    // Proxies are named by id and addresses, never by token, and their details are one click away.
    b.open(&format!("{base}/p/codis-demo/proxies")).await;
    b.wait_for("#proxy-table tbody tr").await;
    let token = b
        .js(
            "return document.querySelector('#proxy-table tbody tr').dataset.token;",
            vec![],
        )
        .await
        .as_str()
        .map(str::to_owned)
        .expect("a token");
    b.click("#proxy-table tbody tr button.remove").await;
    let text = b
        .wait_text(".dialog #confirm-text", "the confirmation", |t| {
            !t.is_empty()
        })
        .await;
    assert!(text.starts_with("Shut down proxy 1 (127.0.0.1:"), "{text}");
    assert!(text.contains(", admin 127.0.0.1:"), "{text}");
    assert!(!text.contains(&token), "{text}");
    assert_eq!(
        b.text_of(".dialog button.confirm").await.as_deref(),
        Some("Shut down and remove")
    );
    b.click(".dialog button.cancel").await;
    b.wait_gone(".dialog").await;
    b.click("#proxy-table tbody tr button.detail").await;
    let detail = b
        .wait_text(".dialog pre.json", "the proxy's detail", |t| {
            t.contains("\"version\"")
        })
        .await;
    assert!(
        detail.contains("\"name\": \"proxy 1 (127.0.0.1:"),
        "{detail}"
    );
    assert!(
        detail.contains(&token),
        "the detail shows the token: {detail}"
    );
    assert!(detail.contains("\"end\": 341"), "slot runs: {detail}");
    assert!(
        detail.contains("\"proxy_addr\""),
        "the configuration: {detail}"
    );
    assert!(!detail.contains("_auth"), "no secret-like key: {detail}");
    b.screenshot("ui-safe-proxy-detail").await;
    b.press("\u{e00c}").await;
    b.wait_gone(".dialog").await;

    // The dashboard goes away: action controls are disabled, and a click is refused.
    dash.stop().await;
    b.wait_text_for("#live-banner", 30, "the unreachable banner", |t| {
        t.contains("unreachable")
    })
    .await;
    let off = b
        .js(
            "return [document.querySelector('#live-banner.actions-off') !== null, getComputedStyle(document.querySelector('#proxy-table tbody tr button.remove')).pointerEvents];",
            vec![],
        )
        .await;
    assert_eq!(off, json!([true, "none"]));
    b.js(
        "document.querySelector('#proxy-table tbody tr button.remove').click();",
        vec![],
    )
    .await;
    let refused = b
        .wait_text(".toast-error", "the refusal", |t| t.contains("disabled"))
        .await;
    assert!(refused.contains("unreachable"), "{refused}");
    assert_eq!(b.count(".dialog").await, 0, "no confirmation opened");
    dash.restart().await.expect("restart");
    b.wait_gone("#live-banner").await;
    let on = b
        .js(
            "return getComputedStyle(document.querySelector('#proxy-table tbody tr button.remove')).pointerEvents;",
            vec![],
        )
        .await;
    assert_eq!(on, json!("auto"), "actions are back");
    b.close().await;
}

#[tokio::test]
async fn a_timed_out_action_is_outcome_unknown_and_reported_when_it_happens() {
    // The dashboard takes 3 s over every action, the backend waits 1 s: each action below times
    // out, and the dashboard carries it out later (Fault::SlowActions), as after `kill -CONT`.
    let (base, app, b) = start_with(&["--dashboard-timeout=1"]).await;
    let dash = app.demo_dashboard("codis-demo");
    b.open(&format!("{base}/p/codis-demo/groups")).await;
    b.wait_for("section.group[data-group='1']").await;
    let slow = Fault::SlowActions(Duration::from_secs(3));
    dash.set_fault(slow.clone());

    // Without a confirmation: the toast says so, then that it happened.
    b.type_into("#group-new-id", "7").await;
    b.click("#group-create").await;
    let toast = b
        .wait_text(".toasts", "the unknown outcome", |t| {
            t.contains("Outcome unknown")
        })
        .await;
    assert!(toast.contains("before retrying"), "{toast}");
    assert!(!toast.contains("Done"), "not reported as done: {toast}");
    let (status, recent) = support::call(
        &base,
        "GET",
        "/api/activity?product=codis-demo&limit=5",
        None,
        None,
        None,
    )
    .await;
    assert!(status.is_success(), "{recent}");
    assert!(
        recent.as_array().is_some_and(|a| a
            .iter()
            .any(|e| e["action"] == "group-create" && e["outcome"] == "unknown")),
        "audited as unknown: {recent}"
    );
    b.wait_text(".toasts", "the late success", |t| {
        t.contains("It happened: Create the empty group 7")
    })
    .await;
    b.wait_for("section.group[data-group='7']").await;

    // From a confirmation: the dialog says to check, offers no retry, and closes once it
    // happened.
    b.click("section.group[data-group='7'] button.group-remove")
        .await;
    b.wait_text(".dialog #confirm-text", "the confirmation", |t| {
        t.contains("group 7")
    })
    .await;
    b.click(".dialog button.confirm").await;
    let err = b
        .wait_text(".dialog .dialog-error", "the unknown outcome", |t| {
            t.contains("Outcome unknown")
        })
        .await;
    assert!(err.contains("before retrying"), "{err}");
    assert_eq!(
        b.text_of(".dialog button.confirm").await.as_deref(),
        Some("Outcome unknown")
    );
    let retry_enabled = b
        .wait_for(".dialog button.confirm")
        .await
        .is_enabled()
        .await
        .unwrap_or(true);
    assert!(!retry_enabled, "no blind retry");
    b.wait_gone(".dialog").await;
    b.wait_gone("section.group[data-group='7']").await;
    b.wait_text(".toasts", "the late removal", |t| {
        t.contains("It happened: Remove the empty group 7")
    })
    .await;
    dash.clear_fault(&slow);
    b.close().await;
}

#[tokio::test]
async fn keys_and_expires_are_in_the_table_and_the_log_level_is_not_guessed() {
    let (base, _app, b) = start().await;
    b.open(&format!("{base}/p/codis-demo/groups")).await;
    let cell = "section.group[data-group='1'] tbody tr:first-child td.keys";
    b.wait_text(cell, "the keys cell", |t| t.contains(" / "))
        .await;
    // The cell and its tooltip in one read: one effect writes both, so they show one sample.
    let both = b
        .js(
            "const c = document.querySelector(arguments[0]); return [c.textContent, c.title];",
            vec![json!(cell)],
        )
        .await;
    let shown_text = both[0].as_str().unwrap_or_default().to_owned();
    let lines = both[1].as_str().unwrap_or_default().to_owned();
    assert!(
        lines.contains("avg_ttl="),
        "the whole line is kept: {lines}"
    );
    let sum = |field: &str| -> u64 {
        lines
            .lines()
            .flat_map(|l| l.split([':', ',']))
            .filter_map(|kv| kv.strip_prefix(field))
            .filter_map(|n| n.parse::<u64>().ok())
            .sum()
    };
    let shown: Vec<u64> = shown_text
        .split(" / ")
        .map(|n| n.replace(',', "").trim().parse().unwrap_or(u64::MAX))
        .collect();
    assert_eq!(
        shown,
        [sum("keys="), sum("expires=")],
        "{shown_text} / {lines}"
    );
    assert!(shown[1] > 0, "the demo's keys expire too: {lines}");
    // The row's detail (its Info) has each database's whole line.
    b.click("section.group[data-group='1'] tbody tr:first-child button.info")
        .await;
    b.wait_text(".dialog table.kv", "the server's INFO", |t| {
        t.contains("db0") && t.contains("avg_ttl=")
    })
    .await;
    b.press("\u{e00c}").await;
    b.wait_gone(".dialog").await;

    // The dashboard does not report its log level: the select says so instead of guessing.
    b.open(&format!("{base}/p/codis-demo")).await;
    b.wait_for("#loglevel").await;
    let level = b
        .js("return document.querySelector('#loglevel').value;", vec![])
        .await;
    assert_eq!(level, json!(""), "no level pretended");
    let shown = b
        .js(
            "const s = document.querySelector('#loglevel'); return s.options[s.selectedIndex].text;",
            vec![],
        )
        .await;
    assert_eq!(shown, json!("Current level not reported by the dashboard"));
    // Setting it without choosing a level is refused, naming the field.
    b.click("#set-loglevel").await;
    let refused = b
        .wait_text(".toast-error", "the refusal", |t| {
            t.contains("Invalid input")
        })
        .await;
    assert!(refused.contains("value"), "{refused}");
    b.close().await;
}
