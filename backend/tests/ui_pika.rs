//! One console for Codis 3.2 and Pika's Codis fork (issue 18), in headless Chromium against the
//! demo's `pika-demo` (the simulated fork dashboard, `--demo-pika-slots`): the variant, a slot
//! map of 16,384 slots, the servers' own health checks and the dashboard's election, honest
//! memory and keys, the built-in failover instead of sentinels, and latency percentiles. Codis
//! 3.2's `codis-demo` next to it keeps its sentinels and its 1024 slots. Needs `dist/`
//! (scripts/build-frontend).

use codis_testkit as support;
use support::TestApp;

use std::time::Duration;

use codis_demo::{DemoDashboard, Fault};
use serde_json::json;
use support::browser::Browser;

/// A backend on the demo (without its random noise) with `pika-demo` at `slots` slots.
async fn backend(slots: u16) -> (TestApp, DemoDashboard) {
    let dist = support::dist_dir();
    let app = TestApp::builder()
        .flags(&[
            "--demo",
            "--demo-noise=off",
            &format!("--demo-pika-slots={slots}"),
            &format!("--assets-dir={}", dist.display()),
        ])
        .start()
        .await;
    let dash = app.demo_dashboard("pika-demo");
    (app, dash)
}

/// The page's whole text.
async fn page_text(b: &Browser) -> String {
    b.js("return document.body.innerText;", vec![])
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// A memory figure of zero bytes anywhere in `text` ("0 B", never "10 B").
fn shows_zero_bytes(text: &str) -> bool {
    text.match_indices("0 B").any(|(i, _)| {
        let before = text[..i].chars().last();
        let after = text[i + 3..].chars().next();
        !before.is_some_and(|c| c.is_ascii_digit() || c == '.')
            && !after.is_some_and(char::is_alphanumeric)
    })
}

#[test]
fn zero_bytes_are_found_and_other_sizes_are_not() {
    assert!(shows_zero_bytes("Memory 0 B / 256.00 MB"));
    assert!(shows_zero_bytes("0 B"));
    assert!(!shows_zero_bytes("10 B, 2.50 B, 0 Bytes"));
}

#[tokio::test]
async fn a_16384_slot_fork_product_is_shown_whole_and_honestly() {
    let (app, _dash) = backend(16384).await;
    let base = app.url("/p/pika-demo");
    let b = Browser::start().await;

    // Overview: the variant, no made-up memory or keys, failover built in.
    b.open_live(&base).await;
    b.wait_text("#fact-variant", "the variant", |t| t == "Pika Codis")
        .await;
    b.wait_text("#stat-memory", "memory not reported", |t| {
        t == "not reported"
    })
    .await;
    assert_eq!(
        b.text_of("#stat-keys").await.as_deref(),
        Some("not reported")
    );
    b.wait_text("#summary-sentinels", "no sentinels", |t| {
        t.contains("failover is built into the dashboard")
    })
    .await;
    assert!(!shows_zero_bytes(&page_text(&b).await));
    b.screenshot("ui-pika-overview").await;

    // Slots: every one of the 16,384 cells, drawn in one go. How long the grid takes is
    // printed for BENCHMARKS.md (not asserted: budgets are checked by benchmark programs).
    let rendered_ms = b
        .js(
            "const t0 = performance.now();
             document.querySelector(\"a[data-section='slots']\").click();
             return new Promise(done => {
               const check = () => {
                 const g = document.getElementById('slot-grid');
                 if (g && g.childElementCount === 16384) {
                   // After the layout of the cells, as a person would see them.
                   void g.offsetHeight;
                   done(performance.now() - t0);
                 } else { requestAnimationFrame(check); }
               };
               check();
             });",
            vec![],
        )
        .await
        .as_f64()
        .expect("the grid's render time");
    eprintln!("[ui_pika] slot grid of 16384 cells shown {rendered_ms:.0} ms after the click");
    assert_eq!(b.count("#slot-grid .slot").await, 16384);
    let last = b
        .js(
            "const c = document.querySelectorAll('#slot-grid .slot'); return c[c.length - 1].title;",
            vec![],
        )
        .await;
    assert!(
        last.as_str().is_some_and(|t| t.starts_with("Slot 16383: ")),
        "the last cell is slot 16383: {last}"
    );
    // The legend counts every slot.
    let legend: u64 = b
        .js(
            "return [...document.querySelectorAll('#slot-legend li[data-group]')]
               .map(li => parseInt(li.innerText.split(': ').pop(), 10)).reduce((a, b) => a + b, 0);",
            vec![],
        )
        .await
        .as_u64()
        .unwrap_or(0);
    assert_eq!(legend, 16384);
    // The range inputs follow the product's count: 16383 is a slot, 16384 is not.
    assert_eq!(
        b.js(
            "return document.getElementById('range-end').placeholder;",
            vec![]
        )
        .await,
        json!("16383")
    );
    b.type_into("#range-beg", "16000").await;
    b.type_into("#range-end", "16383").await;
    b.type_into("#range-gid", "1").await;
    b.wait_text("#range-end-err", "no error for slot 16383", str::is_empty)
        .await;
    b.type_into("#range-end", "16384").await;
    b.wait_text("#range-end-err", "the product's limit", |t| {
        t.contains("16383")
    })
    .await;
    b.screenshot("ui-pika-slots-16384").await;

    // Groups: each server's check, role and binlog; memory and keys "not reported", never the
    // binlog line as keys.
    b.click("a[data-section='groups']").await;
    let master = "section.group[data-group='2'] tr[data-server='127.0.0.1:9231']";
    b.wait_text(
        &format!("{master} .pika-check"),
        "the dashboard's check",
        |t| t == "normal",
    )
    .await;
    assert_eq!(
        b.text_of(&format!("{master} .pika-role"))
            .await
            .as_deref()
            .map(str::trim),
        Some("master")
    );
    b.wait_text(
        &format!("{master} .pika-binlog"),
        "a binlog position",
        |t| t.starts_with("binlog 5:"),
    )
    .await;
    let replica = "section.group[data-group='2'] tr[data-server='127.0.0.1:9232']";
    b.wait_text(&format!("{replica} .pika-lag"), "the replica's lag", |t| {
        t.contains("behind the master")
    })
    .await;
    let memory = b
        .wait_text(&format!("{master} td.num"), "memory", |t| t.contains(" / "))
        .await;
    assert!(memory.starts_with("not reported / "), "{memory}");
    assert!(!memory.ends_with("NA"), "maxmemory is shown: {memory}");
    assert_eq!(
        b.text_of(&format!("{master} td.keys")).await.as_deref(),
        Some("not reported")
    );
    let text = page_text(&b).await;
    assert!(!text.contains("binlog_offset"), "{text}");
    assert!(!shows_zero_bytes(&text), "{text}");
    b.screenshot("ui-pika-groups").await;

    // Sentinels: the built-in failover's settings, read-only, no sentinel actions.
    b.click("a[data-section='sentinels']").await;
    b.wait_text("#failover-dead-checks", "the dead-check count", |t| {
        t == "10"
    })
    .await;
    assert_eq!(
        b.text_of("#failover-master-interval").await.as_deref(),
        Some("2s")
    );
    assert_eq!(
        b.text_of("#failover-offline-interval").await.as_deref(),
        Some("2s")
    );
    assert_eq!(
        b.count("#sentinel-add, #sentinels-sync, .sentinel-remove, #builtin-failover button")
            .await,
        0
    );
    b.screenshot("ui-pika-failover").await;

    // Proxies: the slow-command count, and latency percentiles over a chosen interval.
    b.click("a[data-section='proxies']").await;
    b.wait_text("#proxy-table td.slow-cmds", "a slow-command count", |t| {
        t.chars().all(|c| c.is_ascii_digit() || c == ',') && !t.is_empty()
    })
    .await;
    b.click("#proxy-table tbody tr button.btn.small").await;
    b.wait_for("#proxy-latency tbody tr").await;
    let p99 = b
        .wait_text("#proxy-latency tbody tr td.p99", "a p99", |t| {
            t.parse::<u64>().is_ok()
        })
        .await;
    let p90 = b
        .text_of("#proxy-latency tbody tr td.p90")
        .await
        .unwrap_or_default();
    assert!(
        p90.parse::<u64>().expect("p90") <= p99.parse::<u64>().expect("p99"),
        "p90 {p90} <= p99 {p99}"
    );
    b.wait_text("#latency-note", "1 s figures", |t| t.contains("1 s"))
        .await;
    b.click("#latency-interval button[data-interval='600']")
        .await;
    b.wait_text("#latency-note", "10 min figures", |t| t.contains("10 min"))
        .await;
    b.wait_for("#proxy-latency tbody tr td.p999").await;
    b.screenshot("ui-pika-latency").await;
}

#[tokio::test]
async fn a_killed_master_is_suspected_then_offline_and_the_dashboards_election_is_shown() {
    let (app, dash) = backend(4096).await;
    let b = Browser::start().await;
    b.open_live(&app.url("/p/pika-demo/groups")).await;
    let master = "127.0.0.1:9231";
    let row = |addr: &str| format!("section.group[data-group='2'] tr[data-server='{addr}']");
    b.wait_text(&format!("{} .pika-check", row(master)), "normal", |t| {
        t == "normal"
    })
    .await;
    // The election lasts one check interval: the page records whether it was ever shown.
    b.js(
        "window.sawElecting = false;
         new MutationObserver(() => {
           if (document.querySelector('.pika-electing')) { window.sawElecting = true; }
         }).observe(document.body, {subtree: true, childList: true, characterData: true});",
        vec![],
    )
    .await;

    dash.set_fault(Fault::ServerDown(master.into()));
    // Suspected at the next check of healthy servers (every 10 s), with its failed checks
    // counted against the dashboard's dead-check count (10)...
    let suspected = b
        .wait_text_for(
            &format!("{} .pika-check", row(master)),
            30,
            "suspected",
            |t| t.starts_with("suspected offline ("),
        )
        .await;
    assert!(suspected.ends_with(" of 10 checks)"), "{suspected}");
    // ...then offline after ten failed checks two seconds apart, and replaced by the eligible
    // replica with the highest binlog position (which one is the demo's business, tested in
    // demo/tests/pika.rs; here: one of the group's two replicas, and the page agrees with itself).
    let result = b
        .wait_text_for(
            "section.group[data-group='2'] .pika-election",
            60,
            "the election's result",
            |t| t.contains("replaced"),
        )
        .await;
    let winner = result.split(' ').next().unwrap_or_default().to_string();
    assert!(
        ["127.0.0.1:9232", "127.0.0.1:9233"].contains(&winner.as_str())
            && result.starts_with(&format!("{winner} replaced 127.0.0.1:9231 as master at ")),
        "{result}"
    );
    let at = result.rsplit(' ').next().unwrap_or_default();
    assert!(
        at.len() == 8 && at.chars().filter(|c| *c == ':').count() == 2,
        "a time of day: {at}"
    );
    assert_eq!(
        b.js("return window.sawElecting;", vec![]).await,
        json!(true)
    );
    // The old master is now last, and offline.
    b.wait_text(&format!("{} .pika-check", row(master)), "offline", |t| {
        t == "offline"
    })
    .await;
    let first = b
        .js(
            "return document.querySelector(\"section.group[data-group='2'] tbody tr[data-server]\").dataset.server;",
            vec![],
        )
        .await;
    assert_eq!(first, json!(winner), "the new master leads its group");
    b.screenshot("ui-pika-election").await;
}

#[tokio::test]
async fn codis_3_2_products_keep_their_sentinels_and_1024_slots_beside_a_fork_product() {
    let (app, _dash) = backend(4096).await;
    let b = Browser::start().await;
    let base = app.url("/p/codis-demo");
    b.open_live(&base).await;
    b.wait_text("#fact-variant", "the variant", |t| t == "Codis 3.2")
        .await;
    b.wait_text("#stat-memory", "a memory figure", |t| t.ends_with('B'))
        .await;
    b.click("a[data-section='slots']").await;
    b.wait_for("#slot-grid .slot").await;
    assert_eq!(b.count("#slot-grid .slot").await, 1024);
    assert_eq!(
        b.js(
            "return document.getElementById('range-end').placeholder;",
            vec![]
        )
        .await,
        json!("1023")
    );
    b.click("a[data-section='sentinels']").await;
    b.wait_for("#sentinel-add").await;
    assert_eq!(b.count("#builtin-failover").await, 0);
    b.click("a[data-section='proxies']").await;
    b.wait_for("#proxy-table tbody tr").await;
    assert_eq!(b.count("#proxy-table td.slow-cmds").await, 0);

    // The fork product's slot map in the same console: 4096 cells.
    b.open_live(&app.url("/p/pika-demo/slots")).await;
    support::eventually("the 4096-slot grid", Duration::from_secs(15), || async {
        b.count("#slot-grid .slot").await == 4096
    })
    .await;
}
