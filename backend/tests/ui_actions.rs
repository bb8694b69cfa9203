//! Every action of codis-fe-spec.md §2.8 through the console in headless Chromium against the demo cluster:
//! the confirmation says what will happen, the request runs, the result shows up live, and
//! refusals show the dashboard's own message. Also the banner when the dashboard stops.

use codis_testkit as support;
use support::TestApp;

use std::time::Duration;

use codis_demo::Fault;
use support::browser::Browser;

/// At the browser's 1280 px every table matched by `tables` fits its card: no column is hidden
/// behind a sideways scrollbar (only narrow screens scroll tables).
async fn assert_tables_fit(b: &Browser, tables: &str) {
    let overflow = b
        .js(
            "return [...document.querySelectorAll(arguments[0])].map(t => { const s = t.closest('.scroll'); return s.scrollWidth - s.clientWidth; });",
            vec![tables.into()],
        )
        .await;
    let overflow: Vec<i64> = overflow
        .as_array()
        .expect("overflow list")
        .iter()
        .map(|v| v.as_i64().unwrap_or(i64::MAX))
        .collect();
    assert!(!overflow.is_empty(), "no table matches {tables}");
    assert!(
        overflow.iter().all(|&o| o <= 0),
        "{tables} scrolls sideways at 1280 px by {overflow:?} px"
    );
}

/// Confirms the open dialog; returns its text. Fails if the dialog does not close (error).
async fn confirm(b: &Browser, expect: &str) -> String {
    let text = b
        .wait_text(".dialog #confirm-text", "a confirmation", |t| !t.is_empty())
        .await;
    assert!(
        text.contains(expect),
        "confirmation {text:?} should mention {expect:?}"
    );
    // Destructive dialogs start on Cancel, so Enter never confirms by accident.
    let focused = b
        .js(
            "return document.activeElement && document.activeElement.className;",
            vec![],
        )
        .await;
    assert!(
        focused.as_str().is_some_and(|c| c.contains("cancel")),
        "focus starts on Cancel, not {focused:?}"
    );
    b.click(".dialog button.confirm").await;
    for _ in 0..150 {
        if b.count(".dialog").await == 0 {
            return text;
        }
        if let Some(e) = b.text_of(".dialog .dialog-error").await {
            b.screenshot("ui-actions-failed").await;
            panic!("{text:?} failed: {e}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the dialog of {text:?} did not close");
}

async fn toast_ok(b: &Browser, contains: &str) {
    b.wait_text(".toast:not(.toast-error)", "a success toast", |t| {
        t.contains(contains)
    })
    .await;
    dismiss_toasts(b).await;
}

async fn dismiss_toasts(b: &Browser) {
    b.js(
        "document.querySelectorAll('.toast button').forEach(x => x.click());",
        vec![],
    )
    .await;
}

#[tokio::test]
async fn every_action_round_trips_through_the_console() {
    let dist = support::dist_dir();
    let app = TestApp::builder().demo().assets(&dist).start().await;
    let (addr, dash) = (app.addr, app.demo_dashboard("codis-demo"));
    let world = dash.addresses();
    let b = Browser::start().await;
    let base = format!("http://{addr}/p/codis-demo");

    // ---- Groups ----
    b.open(&format!("{base}/groups")).await;
    b.wait_for("section.group[data-group='1']").await;
    // Validation as you type, with the backend's rule.
    b.type_into("#group-new-id", "0").await;
    b.wait_text("#group-new-id-err", "the group-id rule", |t| !t.is_empty())
        .await;
    assert!(!b
        .wait_for("#group-create")
        .await
        .is_enabled()
        .await
        .unwrap_or(true));
    b.type_into("#group-new-id", "4").await;
    b.wait_text("#group-new-id-err", "no error", |t| t.is_empty())
        .await;
    b.click("#group-create").await;
    b.wait_for("section.group[data-group='4']").await;
    toast_ok(&b, "group 4").await;
    // The input is cleared after success; creating it again shows the dashboard's refusal.
    assert_eq!(
        b.js(
            "return document.querySelector('#group-new-id').value;",
            vec![]
        )
        .await,
        ""
    );
    b.type_into("#group-new-id", "4").await;
    b.click("#group-create").await;
    let err = b
        .wait_text(".toast-error", "the dashboard's refusal", |t| !t.is_empty())
        .await;
    assert!(err.contains("refused") || err.contains("exist"), "{err}");
    dismiss_toasts(&b).await;
    b.type_into("#group-new-id", "").await;

    // Add a server with a data center.
    let spare = world.spare_servers[0].clone();
    b.type_into("#server-dc", "dc-x").await;
    b.type_into("#server-addr", &spare).await;
    b.type_into("#server-gid", "4").await;
    b.click("#server-add").await;
    let row = format!("section.group[data-group='4'] tr[data-server='{spare}']");
    b.wait_text(&row, "the new server with its data center", |t| {
        t.contains("dc-x")
    })
    .await;
    toast_ok(&b, &spare).await;

    // SLAVEOF (sync action) on it.
    b.click(&format!("{row} button.slaveof")).await;
    confirm(&b, "SLAVEOF").await;
    toast_ok(&b, "SLAVEOF").await;

    // Replica reads on/off for one server.
    b.click(&format!("{row} input.replica-toggle")).await;
    confirm(&b, "read from replica").await;
    let checked = async {
        for _ in 0..100 {
            let v = b
                .js(
                    &format!(
                        "return document.querySelector(\"{row} input.replica-toggle\").checked;"
                    ),
                    vec![],
                )
                .await;
            if v == serde_json::json!(true) {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        false
    };
    assert!(checked.await, "replica reads shown on after the toggle");
    dismiss_toasts(&b).await;

    // Remove the server, then the empty group.
    b.click(&format!("{row} button.server-remove")).await;
    confirm(&b, &format!("Remove server {spare}")).await;
    b.wait_gone(&row).await;
    b.click("section.group[data-group='4'] button.group-remove")
        .await;
    confirm(&b, "Remove the empty group 4").await;
    b.wait_gone("section.group[data-group='4']").await;
    dismiss_toasts(&b).await;

    // Resync one group, all groups; replica reads for all.
    b.click("section.group[data-group='1'] button.group-sync")
        .await;
    confirm(&b, "group 1").await;
    toast_ok(&b, "group 1").await;
    b.click("#groups-sync-all").await;
    confirm(&b, "every group").await;
    toast_ok(&b, "every group").await;
    b.click("#replicas-enable-all").await;
    confirm(&b, "every replica").await;
    toast_ok(&b, "every replica").await;
    b.click("#replicas-disable-all").await;
    confirm(&b, "replicas in every group").await;
    toast_ok(&b, "replicas in every group").await;

    // Promote group 3's replica: it becomes the first server.
    let replica = b
        .js("return document.querySelectorAll(\"section.group[data-group='3'] tbody tr\")[1].dataset.server;", vec![])
        .await
        .as_str()
        .map(str::to_owned)
        .expect("group 3 has a replica");
    b.click(&format!(
        "section.group[data-group='3'] tr[data-server='{replica}'] button.promote"
    ))
    .await;
    confirm(&b, &format!("Promote {replica}")).await;
    b.wait_text_for(
        "section.group[data-group='3'] tbody tr",
        30,
        "the promoted server first",
        |t| t.contains(&replica),
    )
    .await;
    dismiss_toasts(&b).await;
    b.screenshot("ui-actions-groups").await;
    assert_tables_fit(&b, "section.group table").await;

    // ---- Proxies ----
    b.open(&format!("{base}/proxies")).await;
    b.wait_for("#proxy-table tbody tr").await;
    b.click("#proxy-table tbody tr button.sync").await;
    confirm(&b, "Push all 1024 slots").await;
    toast_ok(&b, "Push all 1024 slots").await;
    // Add a proxy, then remove it.
    let spare_proxy = world.spare_proxies[0].clone();
    b.type_into("#proxy-addr", &spare_proxy).await;
    b.click("#proxy-add").await;
    b.wait_text("#proxy-table", "the new proxy", |t| {
        t.contains(&spare_proxy)
    })
    .await;
    dismiss_toasts(&b).await;
    let token = b
        .js(&format!("return [...document.querySelectorAll('#proxy-table tbody tr')].find(r => r.innerText.includes('{spare_proxy}')).dataset.token;"), vec![])
        .await
        .as_str()
        .map(str::to_owned)
        .expect("token of the new proxy");
    b.click(&format!(
        "#proxy-table tr[data-token='{token}'] button.remove"
    ))
    .await;
    // Named by id and addresses (the table shows no token).
    let text = confirm(&b, &format!("admin {spare_proxy})")).await;
    assert!(!text.contains(&token), "{text}");
    b.wait_gone(&format!("#proxy-table tr[data-token='{token}']"))
        .await;
    dismiss_toasts(&b).await;
    // A dead proxy can be force-removed (the button appears only in ERROR).
    let spare_proxy = world.spare_proxies[1].clone();
    let index = world
        .proxies
        .iter()
        .position(|p| *p == spare_proxy)
        .expect("spare proxy index");
    b.type_into("#proxy-addr", &spare_proxy).await;
    b.click("#proxy-add").await;
    b.wait_text("#proxy-table", "the second new proxy", |t| {
        t.contains(&spare_proxy)
    })
    .await;
    dismiss_toasts(&b).await;
    dash.set_fault(Fault::ProxyError(index));
    b.wait_for("#proxy-table button.force-remove").await;
    b.screenshot("ui-actions-proxy-error").await;
    // A long proxy error and four buttons do not push the table sideways.
    assert_tables_fit(&b, "#proxy-table").await;
    b.click("#proxy-table button.force-remove").await;
    confirm(&b, "even if it cannot be shut down").await;
    b.wait_text("#proxy-table", "the dead proxy gone", |t| {
        !t.contains(&spare_proxy)
    })
    .await;
    dismiss_toasts(&b).await;
    // Adding an address that is not a proxy shows the dashboard's error.
    b.type_into("#proxy-addr", &world.foreign_proxy).await;
    b.click("#proxy-add").await;
    let err = b
        .wait_text(".toast-error", "the refusal", |t| !t.is_empty())
        .await;
    assert!(
        err.to_lowercase().contains("xauth") || err.contains("refused"),
        "{err}"
    );
    dismiss_toasts(&b).await;

    // ---- Slots ----
    b.open(&format!("{base}/slots")).await;
    b.wait_for("#slot-grid .slot").await;
    b.click("#slots-disable").await;
    confirm(&b, "Pause slot migrations").await;
    b.wait_text("#slots-enabled", "disabled", |t| t == "Disabled")
        .await;
    dismiss_toasts(&b).await;
    b.type_into("#range-beg", "0").await;
    b.type_into("#range-end", "3").await;
    b.type_into("#range-gid", "2").await;
    b.click("#range-go").await;
    confirm(&b, "Migrate slots 0 to 3 to group 2").await;
    b.wait_for("#action-table tr[data-slot='0']").await;
    assert_eq!(b.count("#action-table tbody tr").await, 4);
    b.screenshot("ui-actions-slots-queue").await;
    // Slot 0's pending action can be cancelled (codis-fe could not).
    b.click("#action-table tr[data-slot='0'] button.cancel-action")
        .await;
    confirm(&b, "slot 0").await;
    b.wait_gone("#action-table tr[data-slot='0']").await;
    dismiss_toasts(&b).await;
    b.type_into("#some-num", "2").await;
    b.type_into("#some-from", "1").await;
    b.type_into("#some-to", "3").await;
    b.click("#some-go").await;
    confirm(&b, "Migrate up to 2 slots from group 1 to group 3").await;
    b.wait_text("#queue-count", "5 queued", |t| t.starts_with("5 queued"))
        .await;
    dismiss_toasts(&b).await;
    // Interval and enable (no confirmation needed for these two).
    b.type_into("#interval-input", "1000").await;
    b.click("#interval-set").await;
    b.wait_text("#slots-interval", "the new interval", |t| t == "1000 µs")
        .await;
    b.click("#slots-enable").await;
    b.wait_text("#slots-enabled", "enabled", |t| t == "Enabled")
        .await;
    b.wait_text_for("#queue-count", 60, "the queue drained", |t| t == "empty")
        .await;
    dismiss_toasts(&b).await;
    // A refused migration keeps the dialog open with the dashboard's message.
    b.type_into("#range-beg", "10").await;
    b.type_into("#range-end", "11").await;
    b.type_into("#range-gid", "99").await;
    b.click("#range-go").await;
    b.wait_text(".dialog #confirm-text", "confirmation", |t| {
        t.contains("group 99")
    })
    .await;
    b.click(".dialog button.confirm").await;
    let err = b
        .wait_text(".dialog .dialog-error", "the dashboard's message", |t| {
            !t.is_empty()
        })
        .await;
    assert!(err.contains("99"), "{err}");
    b.screenshot("ui-actions-refused").await;
    b.press("\u{e00c}").await; // Escape closes the dialog.
    b.wait_gone(".dialog").await;
    // Rebalance shows the exact plan, then runs it.
    b.click("#rebalance").await;
    b.wait_for(".dialog").await;
    if b.count(".dialog table.plan").await > 0 {
        b.screenshot("ui-actions-rebalance-plan").await;
        b.click(".dialog button.confirm").await;
        b.wait_gone(".dialog").await;
        toast_ok(&b, "Rebalance queued").await;
    } else {
        b.click(".dialog button.cancel").await;
        b.wait_gone(".dialog").await;
    }

    // ---- Sentinels ----
    b.open(&format!("{base}/sentinels")).await;
    b.wait_for("#sentinel-table tbody tr").await;
    let spare_sentinel = world.spare_sentinels[0].clone();
    b.type_into("#sentinel-addr", &spare_sentinel).await;
    b.click("#sentinel-add").await;
    let srow = format!("#sentinel-table tr[data-sentinel='{spare_sentinel}']");
    b.wait_for(&srow).await;
    dismiss_toasts(&b).await;
    b.click("#sentinels-sync").await;
    confirm(&b, "every sentinel").await;
    toast_ok(&b, "every sentinel").await;
    b.click(&format!("{srow} button.sentinel-remove")).await;
    confirm(&b, &format!("sentinel {spare_sentinel}")).await;
    b.wait_gone(&srow).await;
    dismiss_toasts(&b).await;
    let dead = world.spare_sentinels[1].clone();
    b.type_into("#sentinel-addr", &dead).await;
    b.click("#sentinel-add").await;
    let drow = format!("#sentinel-table tr[data-sentinel='{dead}']");
    b.wait_for(&drow).await;
    dismiss_toasts(&b).await;
    dash.set_fault(Fault::SentinelDown(dead.clone()));
    b.click(&format!("{drow} button.sentinel-force-remove"))
        .await;
    confirm(&b, "even if it cannot be reached").await;
    b.wait_gone(&drow).await;
    b.screenshot("ui-actions-sentinels").await;
    b.close().await;
}

#[tokio::test]
async fn the_banner_says_when_the_dashboard_is_down_and_clears_when_it_returns() {
    let dist = support::dist_dir();
    let app = TestApp::builder().demo().assets(&dist).start().await;
    let (addr, dash) = (app.addr, app.demo_dashboard("codis-demo"));
    let b = Browser::start().await;
    b.open(&format!("http://{addr}/p/codis-demo")).await;
    b.wait_text("#live-indicator", "live", |t| t.starts_with("Live"))
        .await;
    assert_eq!(b.count("#live-banner").await, 0, "no banner while live");
    dash.stop().await;
    let text = b
        .wait_text_for("#live-banner", 30, "the unreachable banner", |t| {
            t.contains("unreachable")
        })
        .await;
    assert!(
        text.contains("ago"),
        "the banner gives the age of the data: {text}"
    );
    b.screenshot("ui-banner-dashboard-down").await;
    // Info dialogs and actions say why they fail rather than hang.
    dash.restart().await.expect("restart");
    b.wait_gone("#live-banner").await;
    b.wait_text("#live-indicator", "live again", |t| t.starts_with("Live"))
        .await;
    b.close().await;
}
