//! The console against the demo cluster in headless Chromium: every region shows what the demo
//! dashboard reports, on wide and narrow screens. Screenshots go to target/screenshots/.

use codis_testkit as support;
use support::TestApp;

use std::collections::BTreeSet;

use codis_model::derive::dashboard_view;
use codis_model::Stats;
use support::browser::Browser;

async fn stats(addr: &std::net::SocketAddr, product: &str) -> Stats {
    reqwest::get(format!("http://{addr}/api/products/{product}/stats"))
        .await
        .expect("stats request")
        .json()
        .await
        .expect("stats json")
}

fn number(text: &str) -> f64 {
    text.chars()
        .filter(|c| c.is_ascii_digit() || *c == '.')
        .collect::<String>()
        .parse()
        .unwrap_or(f64::NAN)
}

fn close(a: f64, b: f64, tolerance: f64) -> bool {
    (a - b).abs() <= tolerance * a.abs().max(b.abs()).max(1.0)
}

#[tokio::test]
async fn every_region_shows_what_the_demo_dashboard_reports() {
    let dist = support::dist_dir();
    // Without the demo's transient failures: this test compares the page with the raw stats.
    let addr = TestApp::builder()
        .demo()
        .flag("--demo-noise=off")
        .assets(&dist)
        .start()
        .await
        .addr;
    let browser = Browser::start().await;
    let base = format!("http://{addr}");

    // Product list: the three demo products (two Codis 3.2, one Pika fork), reachable; the deep
    // link selects one.
    browser.open(&format!("{base}/p/codis-demo")).await;
    browser
        .wait_text("a.selected[data-product]", "the selected product", |t| {
            t.contains("codis-demo")
        })
        .await;
    support::eventually(
        "the three demo products reachable",
        std::time::Duration::from_secs(30),
        || async { browser.count("a[data-product] .dot-ok").await == 3 },
    )
    .await;

    // Overview: live numbers equal the backend's derivation of the dashboard's stats.
    let qps = browser
        .wait_text("#stat-qps", "a QPS number", |t| {
            t.chars().any(|c| c.is_ascii_digit())
        })
        .await;
    let s = stats(&addr, "codis-demo").await;
    let view = dashboard_view(&s, "codis-demo");
    let t = &view.totals;
    assert!(
        close(number(&qps), t.qps as f64, 0.6),
        "QPS {qps} vs {}",
        t.qps
    );
    let mem = browser.text_of("#stat-memory").await.unwrap_or_default();
    assert!(
        mem.ends_with(&t.memory_text[t.memory_text.len() - 2..]),
        "memory unit {mem} vs {}",
        t.memory_text
    );
    assert!(
        close(number(&mem), number(&t.memory_text), 0.1),
        "memory {mem} vs {}",
        t.memory_text
    );
    let keys = browser.text_of("#stat-keys").await.unwrap_or_default();
    assert!(
        close(number(&keys), t.keys as f64, 0.1),
        "keys {keys} vs {}",
        t.keys
    );
    let sessions = browser.text_of("#stat-sessions").await.unwrap_or_default();
    assert!(
        close(number(&sessions), t.sessions as f64, 1.0),
        "sessions {sessions} vs {}",
        t.sessions
    );
    assert_eq!(
        browser.text_of("#fact-product").await.as_deref(),
        Some("codis-demo")
    );
    let dash = browser.text_of("#fact-dashboard").await.unwrap_or_default();
    assert_eq!(
        dash,
        s.proxy
            .models
            .first()
            .map(|_| dash.clone())
            .unwrap_or_default()
    );
    let products: serde_json::Value = reqwest::get(format!("{base}/api/products"))
        .await
        .expect("products")
        .json()
        .await
        .expect("json");
    let dashboard_addr = products["products"]
        .as_array()
        .and_then(|a| a.iter().find(|p| p["name"] == "codis-demo"))
        .and_then(|p| p["dashboard"].as_str())
        .unwrap_or_default()
        .to_owned();
    assert_eq!(dash, dashboard_addr, "dashboard address");
    browser
        .wait_text("#fact-coordinator", "the coordinator", |t| !t.is_empty())
        .await;
    // The chart has a line drawn from the backend's history.
    browser.wait_for(".chart path.line[d^='M']").await;
    browser.screenshot("ui-overview").await;

    // The chart draws any series the backend keeps: a group's memory, in bytes; the choice and
    // the window are in the URL, so a reload shows the same chart.
    let gid = view.groups[0].id;
    browser
        .js(
            "const s = document.querySelector('#chart-pick'); s.value = arguments[0]; s.dispatchEvent(new Event('change'));",
            vec![format!("memory:{gid}").into()],
        )
        .await;
    browser
        .click("#chart-pick ~ .seg .seg-btn:nth-child(2)")
        .await; // 15 min
    browser
        .wait_text(".chart .y-labels", "a byte axis", |t| {
            t.contains("MB") || t.contains("GB")
        })
        .await;
    browser.wait_for(".chart path.line[d^='M']").await;
    let url = browser
        .js("return location.pathname + location.search;", vec![])
        .await;
    assert_eq!(
        url,
        format!("/p/codis-demo?window=15&chart=memory:{gid}").as_str()
    );
    browser
        .open(&format!("{base}/p/codis-demo?window=15&chart=memory:{gid}"))
        .await;
    browser
        .wait_text(".chart .y-labels", "the byte axis after a reload", |t| {
            t.contains("MB") || t.contains("GB")
        })
        .await;
    let picked = browser
        .js(
            "return document.querySelector('#chart-pick').value;",
            vec![],
        )
        .await;
    assert_eq!(picked, format!("memory:{gid}").as_str());
    assert_eq!(
        browser
            .js(
                "return document.querySelector('#chart-pick ~ .seg .seg-btn.active').innerText;",
                vec![]
            )
            .await,
        "15 min"
    );
    browser.screenshot("ui-overview-group-memory").await;
    // Another product has other groups: its overview starts from its cluster's QPS.
    browser.click("a[data-product='codis-tiny']").await;
    browser
        .wait_text("#fact-product", "the other product", |t| t == "codis-tiny")
        .await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while browser
        .js(
            "return document.querySelector('#chart-pick').value;",
            vec![],
        )
        .await
        != "qps"
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the chart went back to the cluster's QPS"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    browser.open(&format!("{base}/p/codis-demo")).await;

    // Proxies: one row per proxy model, with its addresses and status.
    browser.click("a[data-section='proxies']").await;
    browser.wait_for("#proxy-table tbody tr").await;
    for p in &s.proxy.models {
        let row = format!("#proxy-table tr[data-token='{}']", p.token);
        let text = browser
            .wait_text(&row, "the proxy row", |t| t.contains(&p.proxy_addr))
            .await;
        assert!(text.contains(&p.admin_addr), "{text}");
        assert!(text.contains("HEALTHY"), "{text}");
    }
    assert_eq!(
        browser.count("#proxy-table tbody tr").await,
        s.proxy.models.len()
    );
    // The counters move on every second (updates carry only the counters of such rows, and the
    // browser rebuilds the texts): the command total grows and stays near the dashboard's.
    let commands = format!(
        "#proxy-table tr[data-token='{}'] td.wrap-commas:nth-of-type(8)",
        s.proxy.models[0].token
    );
    let total_of = |t: &str| -> f64 {
        let t = t.replace('\u{200b}', "");
        t.split(',')
            .find_map(|kv| kv.strip_prefix("total="))
            .map(number)
            .unwrap_or(f64::NAN)
    };
    let first = total_of(
        &browser
            .wait_text(&commands, "a command total", |t| t.contains("total="))
            .await,
    );
    let later = total_of(
        &browser
            .wait_text(&commands, "a larger command total", |t| total_of(t) > first)
            .await,
    );
    let dashboard_total = stats(&addr, "codis-demo")
        .await
        .proxy_sample(&s.proxy.models[0].token)
        .and_then(|p| p.stats.as_ref())
        .map_or(f64::NAN, |d| d.ops.total as f64);
    assert!(
        close(later, dashboard_total, 0.05),
        "shown {later}, dashboard {dashboard_total}"
    );
    browser.screenshot("ui-proxies").await;

    // A proxy's stats dialog: its commands live, with rates, hottest first.
    browser
        .click(&format!(
            "#proxy-table tr[data-token='{}'] td.actions button",
            s.proxy.models[0].token
        ))
        .await;
    browser
        .wait_text("#cmds-note", "rates of the commands", |t| {
            t.starts_with("Rates over the last")
        })
        .await;
    let rows = browser
        .js(
            "return [...document.querySelectorAll('#proxy-cmds tbody tr')].map(r => [...r.cells].map(c => c.innerText));",
            vec![],
        )
        .await;
    let rows: Vec<Vec<String>> = serde_json::from_value(rows).expect("command rows");
    assert!(!rows.is_empty(), "the proxy's commands are listed");
    let number = |t: &str| t.replace(',', "").parse::<f64>().ok();
    let rates: Vec<f64> = rows.iter().map(|r| number(&r[1]).unwrap_or(-1.0)).collect();
    assert!(
        rates.windows(2).all(|w| w[0] >= w[1]),
        "hottest first: {rows:?}"
    );
    assert!(rates[0] > 0.0, "the demo's traffic has a rate: {rows:?}");
    for r in &rows {
        // Calls, µs/call, fails and Redis errors are the proxy's counters (numbers, never blank).
        assert!(r[3..7].iter().all(|c| number(c).is_some()), "{r:?}");
    }
    browser.screenshot("ui-proxy-stats").await;
    browser.press("\u{e00c}").await; // Escape closes the dialog.
    browser.wait_gone("#proxy-cmds").await;

    // Groups: every group and server, with data center and master link.
    browser.click("a[data-section='groups']").await;
    for g in &view.groups {
        browser
            .wait_for(&format!("section.group[data-group='{}']", g.id))
            .await;
        for srv in &g.servers {
            let row = format!(
                "section.group[data-group='{}'] tr[data-server='{}']",
                g.id, srv.server
            );
            let text = browser
                .wait_text(&row, "the server row", |t| t.contains(&srv.master))
                .await;
            if !srv.datacenter.is_empty() {
                assert!(text.contains(&srv.datacenter), "{text}");
            }
        }
    }
    // A master's memory moves every second (updates carry only a server's counters then): the
    // cell follows it.
    let g0 = &view.groups[0];
    let memory_cell = format!(
        "section.group[data-group='{}'] tr[data-server='{}'] td.num",
        g0.id, g0.servers[0].server
    );
    let before = browser
        .wait_text(&memory_cell, "a memory cell", |t| t.contains(" / "))
        .await;
    browser
        .wait_text(&memory_cell, "the memory cell to change", |t| {
            t.contains(" / ") && t != before
        })
        .await;
    browser.screenshot("ui-groups").await;

    // Slots: all 1024 cells, coloured by their group; the legend counts match.
    browser.click("a[data-section='slots']").await;
    browser.wait_for("#slot-grid .slot").await;
    assert_eq!(browser.count("#slot-grid .slot").await, 1024);
    let groups: BTreeSet<codis_model::GroupId> = s.slots.iter().map(|x| x.group_id).collect();
    for g in groups {
        let n = s.slots.iter().filter(|x| x.group_id == g).count();
        browser
            .wait_text(
                &format!("#slot-legend li[data-group='{g}']"),
                "the group's slot count",
                |t| t.ends_with(&format!(": {n}")),
            )
            .await;
    }
    let first = browser
        .js(
            "return document.querySelector('#slot-grid .slot').title;",
            vec![],
        )
        .await;
    assert_eq!(
        first.as_str(),
        Some(format!("Slot 0: group {}", s.slots[0].group_id).as_str())
    );
    browser
        .wait_text("#slots-interval", "the interval", |t| {
            t == format!("{} µs", s.slot_action.interval)
        })
        .await;
    browser.screenshot("ui-slots").await;

    // Sentinels: every sentinel with its monitored masters.
    browser.click("a[data-section='sentinels']").await;
    for addr in &s.sentinels.model.servers {
        browser
            .wait_text(
                &format!("#sentinel-table tr[data-sentinel='{addr}']"),
                "the sentinel row",
                |t| t.contains("masters="),
            )
            .await;
    }
    browser.screenshot("ui-sentinels").await;

    // Switching product without a reload keeps the section.
    browser.click("a[data-product='codis-tiny']").await;
    browser
        .wait_text("#product-name", "the new product", |t| t == "codis-tiny")
        .await;
    let url = browser.client.current_url().await.expect("url");
    assert!(url.path().ends_with("/p/codis-tiny/sentinels"), "{url}");

    // Narrow screen.
    browser.resize(360, 780).await;
    browser.open(&format!("{base}/p/codis-demo/groups")).await;
    browser.wait_for("section.group").await;
    browser.screenshot("ui-narrow-groups").await;
    browser.open(&format!("{base}/p/codis-demo")).await;
    browser
        .wait_text("#stat-qps", "a QPS number", |t| {
            t.chars().any(|c| c.is_ascii_digit())
        })
        .await;
    browser.wait_for(".chart path.line[d^='M']").await;
    browser.screenshot("ui-narrow-overview").await;
    browser.close().await;
}
