//! The simulator's state machines and faults behave like Codis's (codis-fe-spec.md §5.1-5.6).

mod common;

use codis_demo::{DemoDashboard, DemoOptions, Fault, Preset};
use codis_model::{PromotingState, SlotActionState};
use common::*;
use std::collections::BTreeSet;
use std::time::Duration;

const DEAD_PROXY_TOKEN: &str = "28a6da90f4425c690e44d01055334654";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn range_migration_advances_pending_to_finished_and_moves_ownership() {
    let demo = fast(10).await;
    put_ok(&demo, "/api/topom/slots/action/create-range/{X}/0/3/2").await;
    let mut seen = BTreeSet::new();
    let mut progress = BTreeSet::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let s = stats(&demo).await;
        for m in &s.slots[0..4] {
            if let Some(st) = &m.action.state {
                seen.insert(st.as_str().to_owned());
                assert_eq!(m.action.target_id, 2);
            }
        }
        if !s.slot_action.progress.status.is_empty() {
            progress.insert(s.slot_action.progress.status.clone());
        }
        if s.slots[0..4]
            .iter()
            .all(|m| m.group_id == 2 && m.action.state.is_none())
        {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "migration did not finish; seen {seen:?}"
        );
        tokio::time::sleep(Duration::from_millis(3)).await;
    }
    assert!(
        seen.contains("pending") || seen.contains("preparing"),
        "{seen:?}"
    );
    assert!(seen.contains("migrating"), "{seen:?}");
    assert!(
        progress
            .iter()
            .any(|p| p.starts_with("[OK] Slot[000") && p.contains("]@DB[0]=")),
        "{progress:?}"
    );
    let s = stats(&demo).await;
    assert_eq!(s.slot_action.executor, 0);
    assert_eq!(s.slot_action.progress.status, "");
    // Keys followed the slots: group 1's master lost four slots' worth.
    let slots = get(&demo, "/topom/slots").await.json();
    assert_eq!(slots[0]["backend_addr"], "127.0.0.1:16381");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disabled_pauses_new_actions_until_enabled() {
    let demo = fast(10).await;
    put_ok(&demo, "/api/topom/slots/action/disabled/{X}/1").await;
    put_ok(&demo, "/api/topom/slots/action/create/{X}/5/2").await;
    // One of the few sleeps left: that the action does not start can only be watched for a
    // while (30 steps of the fast demo's 10 ms).
    tokio::time::sleep(Duration::from_millis(300)).await;
    let s = stats(&demo).await;
    assert!(s.slot_action.disabled);
    assert_eq!(s.slots[5].action.state, Some(SlotActionState::Pending));
    assert_eq!(s.slots[5].action.index, 1);
    put_ok(&demo, "/api/topom/slots/action/disabled/{X}/0").await;
    wait_for(&demo, 20, "slot 5 moved", |s| {
        s.slots[5].group_id == 2 && s.slots[5].action.state.is_none()
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interval_is_clamped_and_only_pending_actions_can_be_removed() {
    let demo = fast(10).await;
    put_ok(&demo, "/api/topom/slots/action/interval/{X}/5000000").await;
    assert_eq!(stats(&demo).await.slot_action.interval, 1_000_000);
    put_ok(&demo, "/api/topom/slots/action/interval/{X}/-5").await;
    assert_eq!(stats(&demo).await.slot_action.interval, 0);
    put_ok(&demo, "/api/topom/slots/action/create-range/{X}/0/40/3").await;
    let s = wait_for(&demo, 20, "a slot in progress", |s| {
        s.slots
            .iter()
            .any(|m| matches!(m.action.state, Some(ref st) if *st != SlotActionState::Pending))
    })
    .await;
    let busy = s
        .slots
        .iter()
        .find(|m| matches!(m.action.state, Some(ref st) if *st != SlotActionState::Pending))
        .unwrap()
        .id;
    let last_pending = s.slots[40].action.state.clone();
    if last_pending == Some(SlotActionState::Pending) {
        // A worker may take slot 40 between the read and the remove (a loaded machine); then
        // Codis refuses the remove, which is the rule this test checks below.
        let r = put(&demo, "/api/topom/slots/action/remove/{X}/40").await;
        assert!(
            r.status == 200 || r.cause() == "slot-[40] action isn't pending",
            "{}",
            r.cause()
        );
    }
    let r = put(
        &demo,
        &format!("/api/topom/slots/action/remove/{{X}}/{busy}"),
    )
    .await;
    // The slot may have finished in between; both refusals are Codis's.
    assert_eq!(r.status, 800);
    let cause = r.cause();
    assert!(
        cause == format!("slot-[{busy}] action isn't pending")
            || cause == format!("slot-[{busy}] action doesn't exist"),
        "{cause}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn promote_passes_through_promoting_then_swaps_the_master() {
    let demo = frozen().await;
    demo.set_fault(Fault::ProxyError(1));
    let r = put(&demo, "/api/topom/group/promote/{X}/1/127.0.0.1:16380").await;
    assert_eq!(r.status, 800);
    assert_eq!(
        r.cause(),
        format!("proxy-[{DEAD_PROXY_TOKEN}] resync slots failed")
    );
    let s = stats(&demo).await;
    let g1 = &s.group.models[0];
    assert_eq!(g1.promoting.state, Some(PromotingState::Preparing));
    assert_eq!(g1.promoting.index, 1);
    let r = put(&demo, "/api/topom/group/promote/{X}/1/127.0.0.1:16379").await;
    assert_eq!(r.cause(), "group-[1] is promoting index = 1");
    let r = put(&demo, "/api/topom/group/action/create/{X}/127.0.0.1:16380").await;
    assert_eq!(r.cause(), "group-[1] is promoting");

    demo.clear_fault(&Fault::ProxyError(1));
    put_ok(&demo, "/api/topom/group/promote/{X}/1/127.0.0.1:16380").await;
    let s = stats(&demo).await;
    let g1 = &s.group.models[0];
    let servers: Vec<&str> = g1.servers.iter().map(|x| x.server.as_str()).collect();
    assert_eq!(servers, ["127.0.0.1:16380", "127.0.0.1:16379"]);
    assert!(g1.promoting.state.is_none());
    assert!(g1.servers.iter().all(|x| x.action.state.is_none()));
    assert!(s.sentinels.model.out_of_sync);
    assert!(!s.sentinels.masters.contains_key("1"));
    // The new master answered SLAVEOF NO ONE; the old master was not reconfigured.
    let info = get(&demo, "/api/topom/group/info/127.0.0.1:16380")
        .await
        .json();
    assert_eq!(info["role"], "master");
    let slots = get(&demo, "/topom/slots").await.json();
    assert_eq!(slots[0]["backend_addr"], "127.0.0.1:16380");
    // Resync-all of sentinels monitors the new master again.
    put_ok(&demo, "/api/topom/sentinels/resync-all/{X}").await;
    let s = stats(&demo).await;
    assert!(!s.sentinels.model.out_of_sync);
    assert_eq!(
        s.sentinels.masters.get("1").map(String::as_str),
        Some("127.0.0.1:16380")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_sync_action_waits_as_pending_until_a_worker_takes_it() {
    // Frozen workers: nothing advances, so what the create left is what a stats read sees
    // (with running workers a loaded machine may already have moved it on to syncing).
    let demo = frozen().await;
    put_ok(&demo, "/api/topom/group/add/{X}/1/127.0.0.1:16385").await;
    let info = get(&demo, "/api/topom/group/info/127.0.0.1:16385")
        .await
        .json();
    assert_eq!(info["role"], "master");
    put_ok(&demo, "/api/topom/group/action/create/{X}/127.0.0.1:16385").await;
    let s = stats(&demo).await;
    let srv = &s.group.models[0].servers[2];
    assert_eq!(
        srv.action.state.as_ref().map(|x| x.as_str()),
        Some("pending")
    );
    assert_eq!(srv.action.index, 1);
    assert!(
        s.sentinels.model.out_of_sync,
        "group/add with sentinels sets out_of_sync"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_action_runs_pending_syncing_synced_and_slaveof_follows() {
    let demo = fast(10).await;
    put_ok(&demo, "/api/topom/group/add/{X}/1/127.0.0.1:16385").await;
    put_ok(&demo, "/api/topom/group/action/create/{X}/127.0.0.1:16385").await;
    // Every state a read sees is at or after the previous one: pending, syncing, synced.
    const ORDER: [&str; 3] = ["pending", "syncing", "synced"];
    let seen = std::sync::Mutex::new(Vec::<String>::new());
    wait_for(&demo, 20, "synced", |s| {
        let state = s.group.models[0].servers[2].action.state.as_ref();
        let state = state.map(|x| x.as_str().to_owned()).unwrap_or_default();
        let mut seen = seen.lock().unwrap();
        if seen.last() != Some(&state) {
            seen.push(state.clone());
        }
        state == "synced"
    })
    .await;
    let seen = seen.into_inner().unwrap();
    let ranks: Vec<usize> = seen
        .iter()
        .map(|st| {
            ORDER
                .iter()
                .position(|o| o == st)
                .unwrap_or_else(|| panic!("unexpected sync state {st:?} in {seen:?}"))
        })
        .collect();
    assert!(ranks.windows(2).all(|w| w[0] < w[1]), "{seen:?}");
    let info = get(&demo, "/api/topom/group/info/127.0.0.1:16385")
        .await
        .json();
    assert_eq!(info["role"], "slave");
    assert_eq!(info["master_addr"], "127.0.0.1:16379");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn out_of_sync_flags_follow_spec_5_5() {
    let demo = frozen().await;
    put_ok(
        &demo,
        "/api/topom/group/replica-groups/{X}/1/127.0.0.1:16380/1",
    )
    .await;
    assert!(stats(&demo).await.group.models[0].out_of_sync);
    put_ok(&demo, "/api/topom/group/resync/{X}/1").await;
    assert!(!stats(&demo).await.group.models[0].out_of_sync);
    // Removing a read replica marks the group out of sync.
    put_ok(&demo, "/api/topom/group/del/{X}/2/127.0.0.1:16382").await;
    assert!(stats(&demo).await.group.models[1].out_of_sync);
    put_ok(&demo, "/api/topom/group/resync-all/{X}").await;
    assert!(stats(&demo)
        .await
        .group
        .models
        .iter()
        .all(|g| !g.out_of_sync));
    // Sentinel add sets out_of_sync; a full resync clears it.
    put_ok(&demo, "/api/topom/sentinels/add/{X}/127.0.0.1:26382").await;
    assert!(stats(&demo).await.sentinels.model.out_of_sync);
    put_ok(&demo, "/api/topom/sentinels/resync-all/{X}").await;
    let s = stats(&demo).await;
    assert!(!s.sentinels.model.out_of_sync);
    assert_eq!(s.sentinels.model.servers.len(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_not_in_the_captures_use_codis_texts() {
    let demo = frozen().await;
    let cases = [
        (
            "/api/topom/slots/action/create-range/{X}/-1/3/2",
            "invalid slot range [-1,3]",
        ),
        ("/api/topom/group/remove/{X}/1", "group-[1] isn't empty"),
        (
            "/api/topom/group/del/{X}/1/127.0.0.1:16379",
            "group-[1] can't remove master, still in use",
        ),
        (
            "/api/topom/sentinels/del/{X}/127.0.0.1:26999/0",
            "sentinel-[127.0.0.1:26999] not found",
        ),
        (
            "/api/topom/proxy/reinit/{X}/abc",
            "proxy-[abc] doesn't exist",
        ),
        ("/api/topom/loglevel/{X}/LOUD", "invalid loglevel"),
        ("/api/topom/loglevel/{X}/", "missing loglevel"),
        ("/api/topom/loglevel/{X}/%20", "missing loglevel"),
        ("/api/topom/group/create/{X}/x1", "invalid gid"),
        (
            "/api/topom/slots/action/create-some/{X}/a/2/3",
            "invalid src",
        ),
        (
            "/api/topom/slots/action/create-range/{X}/1/b/2",
            "invalid end",
        ),
        ("/api/topom/slots/rebalance/{X}/x", "invalid confirm"),
    ];
    for (path, cause) in cases {
        let r = put(&demo, path).await;
        assert_eq!((r.status, r.cause().as_str()), (800, cause), "{path}");
    }
    let url = format!(
        "{}/api/topom/slots/assign/{}",
        demo.base_url(),
        demo.xauth()
    );
    let r = call(
        "PUT",
        &url,
        Some(r#"[{"id":3,"group_id":2,"action":{"state":"pending"}}]"#.into()),
        false,
    )
    .await;
    assert_eq!(r.cause(), "invalid slot-[3] action = pending");
    let r = call(
        "PUT",
        &format!("{url}/offline"),
        Some(r#"[{"id":3,"group_id":2}]"#.into()),
        false,
    )
    .await;
    assert_eq!(r.cause(), "group of slot-[3] should be 0");
    // Malformed JSON is bound leniently: "OK" and nothing happens.
    let r = call("PUT", &url, Some("{not json".into()), false).await;
    assert_eq!((r.status, r.json()), (200, serde_json::json!("OK")));
    // Wrong method and trailing-slash handling.
    assert_eq!(
        get(&demo, "/api/topom/group/create/{X}/6").await.status,
        404
    );
    assert_eq!(get(&demo, "/topom/").await.status, 200);
    assert_eq!(get(&demo, "/topom//").await.status, 404);
    // Shutdown closes the dashboard.
    put_ok(&demo, "/api/topom/shutdown/{X}").await;
    let topom = format!("{}/topom", demo.base_url());
    eventually("the dashboard to close", || async {
        reqwest::get(&topom).await.is_err()
    })
    .await;
    demo.restart().await.unwrap();
    put_ok(&demo, "/api/topom/reload/{X}").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_valid_group_refuses_rebalance() {
    let demo = DemoDashboard::start(DemoOptions {
        preset: Preset::Tiny,
        step: Duration::from_secs(3600),
        ..DemoOptions::new("codis-beta", Preset::Tiny)
    })
    .await
    .unwrap();
    let url = format!(
        "{}/api/topom/slots/assign/{}/offline",
        demo.base_url(),
        demo.xauth()
    );
    let body: Vec<serde_json::Value> = (0..1024)
        .map(|id| serde_json::json!({"id": id, "group_id": 0}))
        .collect();
    assert_eq!(
        call(
            "PUT",
            &url,
            Some(serde_json::Value::Array(body).to_string()),
            false
        )
        .await
        .status,
        200
    );
    put_ok(&demo, "/api/topom/group/del/{X}/1/127.0.0.1:16390").await;
    put_ok(&demo, "/api/topom/group/del/{X}/1/127.0.0.1:16389").await;
    let r = put(&demo, "/api/topom/slots/rebalance/{X}/0").await;
    assert_eq!(r.cause(), "no valid group could be found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rebalance_plan_balances_and_confirm_queues_it() {
    let demo = frozen().await;
    // Balanced already: empty plan.
    assert_eq!(
        put_ok(&demo, "/api/topom/slots/rebalance/{X}/0").await,
        serde_json::json!({})
    );
    // A fourth group takes 256 slots, donated from the top of each group's slots.
    put_ok(&demo, "/api/topom/group/create/{X}/4").await;
    put_ok(&demo, "/api/topom/group/add/{X}/4/127.0.0.1:16385").await;
    let plan = put_ok(&demo, "/api/topom/slots/rebalance/{X}/0").await;
    let plan = plan.as_object().unwrap();
    assert_eq!(plan.len(), 256);
    assert!(plan.values().all(|g| g == 4));
    assert!(plan.contains_key("341") && plan.contains_key("1023") && !plan.contains_key("0"));
    let s = stats(&demo).await;
    assert!(
        s.slots.iter().all(|m| m.action.state.is_none()),
        "preview queues nothing"
    );
    let confirmed = put_ok(&demo, "/api/topom/slots/rebalance/{X}/1").await;
    assert_eq!(confirmed.as_object().unwrap().len(), 256);
    let s = stats(&demo).await;
    let mut queued: Vec<(i64, u16)> = s
        .slots
        .iter()
        .filter(|m| m.action.state == Some(SlotActionState::Pending))
        .map(|m| (m.action.index, m.id))
        .collect();
    queued.sort();
    assert_eq!(queued.len(), 256);
    assert_eq!(queued[0].0, 1);
    assert!(
        queued.windows(2).all(|w| w[0].1 < w[1].1),
        "indexes follow ascending slot ids"
    );
    // Counts per group after the plan: 256 each.
    for g in 1..=4u32 {
        let n = s
            .slots
            .iter()
            .filter(|m| {
                (if m.action.state.is_some() {
                    m.action.target_id
                } else {
                    m.group_id
                }) == g
            })
            .count();
        assert_eq!(n, 256, "group {g}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_show_up_in_stats_and_clear() {
    let demo = frozen().await;
    let proxies = demo.addresses().proxies;
    demo.set_fault("proxy-error:1".parse().unwrap());
    demo.set_fault(Fault::ProxyTimeout(0));
    demo.set_fault(Fault::ServerDown("127.0.0.1:16384".into()));
    demo.set_fault(Fault::SentinelSDown("127.0.0.1:26379".into()));
    let s = stats(&demo).await;
    let dead = &s.proxy.stats[DEAD_PROXY_TOKEN];
    assert!(dead
        .error
        .as_ref()
        .unwrap()
        .cause
        .contains("connect: connection refused"));
    assert!(s.proxy.stats["646b55f57361986ddcdefe74dfb0c2da"].timeout);
    assert!(s.group.stats["127.0.0.1:16384"].error.is_some());
    assert_eq!(
        s.group.stats["127.0.0.1:16383"].stats["connected_slaves"],
        "0"
    );
    let sentinel = &s.sentinels.stats["127.0.0.1:26379"];
    assert!(sentinel.stats["master0"].contains("status=sdown"));
    let g3 = &s.sentinels.stats["127.0.0.1:26380"].sentinel["codis-demo-3"];
    assert!(g3.slaves[0]["flags"].contains("s_down"));
    // The dead proxy's admin port refuses connections.
    assert!(reqwest::get(format!("http://{}/proxy", proxies[1]))
        .await
        .is_err());
    demo.clear_faults();
    let s = stats(&demo).await;
    assert!(s.proxy.stats.values().all(|p| p.stats.is_some()));
    assert!(s.group.stats.values().all(|r| r.error.is_none()));
    assert_eq!(
        call("GET", &format!("http://{}/proxy", proxies[1]), None, false)
            .await
            .status,
        200
    );

    demo.set_fault(Fault::DashboardGarbage);
    let r = get(&demo, "/topom").await;
    assert_eq!(r.status, 200);
    assert!(serde_json::from_slice::<serde_json::Value>(&r.body).is_err());
    demo.set_fault(Fault::DashboardError500);
    assert_eq!(get(&demo, "/topom").await.status, 500);
    demo.clear_faults();
    demo.set_fault("slow:300ms".parse().unwrap());
    let t = std::time::Instant::now();
    assert_eq!(get(&demo, "/api/topom/xping/{X}").await.status, 200);
    assert!(t.elapsed() >= Duration::from_millis(300));
    demo.clear_faults();
    assert!(demo.faults().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stats_move_with_time() {
    let demo = fast(50).await;
    let a = stats(&demo).await;
    let token = "646b55f57361986ddcdefe74dfb0c2da";
    // The proxy's next second of traffic (its counters move once a second).
    let total = |s: &codis_model::Stats| {
        s.proxy.stats[token]
            .stats
            .as_ref()
            .map_or(0, |p| p.ops.total)
    };
    let b = wait_for(&demo, 20, "the proxy's counters to move", |b| {
        total(b) > total(&a)
    })
    .await;
    let (pa, pb) = (
        a.proxy.stats[token].stats.as_ref().unwrap(),
        b.proxy.stats[token].stats.as_ref().unwrap(),
    );
    assert!(pb.ops.total > pa.ops.total);
    assert!(pb.ops.qps > 0);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!((b.proxy.stats[token].unixtime - now).abs() <= 2);
    let info = &b.group.stats["127.0.0.1:16379"].stats;
    assert!(info.len() >= 80, "INFO has {} fields", info.len());
    assert!(info["db0"].starts_with("keys="));
    assert_eq!(info["maxmemory"], "1073741824");
    // Per-command stats from the proxy's own admin port.
    let x = codis_model::xauth::proxy_xauth("codis-demo", "", token);
    let url = format!(
        "http://{}/api/proxy/stats/{x}/1",
        demo.addresses().proxies[0]
    );
    let cmds = call("GET", &url, None, false).await.json();
    assert!(cmds["ops"]["cmd"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["opstr"] == "SET"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_refuses_connections_and_restart_brings_the_same_state_back() {
    let demo = frozen().await;
    put_ok(&demo, "/api/topom/group/create/{X}/4").await;
    put_ok(&demo, "/api/topom/slots/action/create/{X}/7/3").await;
    put_ok(&demo, "/api/topom/slots/action/interval/{X}/1000").await;
    let before = stats(&demo).await;
    demo.stop().await;
    assert!(reqwest::get(format!("{}/topom", demo.base_url()))
        .await
        .is_err());
    // Proxies keep running while the dashboard is gone.
    assert_eq!(
        call(
            "GET",
            &format!("http://{}/proxy/model", demo.addresses().proxies[0]),
            None,
            false
        )
        .await
        .status,
        200
    );
    demo.restart().await.unwrap();
    let after = stats(&demo).await;
    assert_eq!(after.slots, before.slots);
    assert_eq!(after.group.models, before.group.models);
    assert_eq!(after.proxy.models, before.proxy.models);
    assert_eq!(
        after.slot_action.interval, 0,
        "in-memory controls reset like a restarted dashboard"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_last_clone_stops_everything() {
    let demo = frozen().await;
    let url = format!("{}/topom/model", demo.base_url());
    let proxy = format!("http://{}/proxy/model", demo.addresses().proxies[0]);
    let clone = demo.clone();
    drop(demo);
    assert_eq!(call("GET", &url, None, false).await.status, 200);
    drop(clone);
    eventually("the dashboard and its proxies to close", || async {
        reqwest::get(&url).await.is_err() && reqwest::get(&proxy).await.is_err()
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presets_have_their_documented_layout() {
    let tiny = DemoDashboard::start(DemoOptions {
        step: Duration::from_secs(3600),
        ..DemoOptions::new("codis-beta", Preset::Tiny)
    })
    .await
    .unwrap();
    let s = stats(&tiny).await;
    assert_eq!(
        (
            s.proxy.models.len(),
            s.group.models.len(),
            s.sentinels.model.servers.len()
        ),
        (1, 1, 0)
    );
    assert_eq!(s.group.models[0].servers.len(), 2);
    assert!(s.slots.iter().all(|m| m.group_id == 1));
    assert_eq!(tiny.product(), "codis-beta");

    let large = DemoDashboard::start(DemoOptions {
        step: Duration::from_secs(3600),
        ..DemoOptions::new("codis-large", Preset::Large)
    })
    .await
    .unwrap();
    let s = stats(&large).await;
    assert_eq!(
        (
            s.proxy.models.len(),
            s.group.models.len(),
            s.sentinels.model.servers.len()
        ),
        (128, 64, 5)
    );
    assert!(s.group.models.iter().all(|g| g.servers.len() == 2));
    assert!(s.proxy.stats.values().all(|p| p.stats.is_some()));
    assert_eq!(s.sentinels.masters.len(), 64);
    assert!(s
        .slots
        .iter()
        .all(|m| m.group_id == u32::from(m.id / 16) + 1));

    let small = frozen().await;
    let s = stats(&small).await;
    let runs: Vec<(u16, u32)> = s
        .slots
        .iter()
        .filter(|m| m.id == 0 || s.slots[usize::from(m.id) - 1].group_id != m.group_id)
        .map(|m| (m.id, m.group_id))
        .collect();
    assert_eq!(runs, [(0, 1), (342, 2), (683, 3)]);
    let a = small.addresses();
    assert_eq!(
        a.spare_servers,
        [
            "127.0.0.1:16385",
            "127.0.0.1:16386",
            "127.0.0.1:16387",
            "127.0.0.1:16388"
        ]
    );
    assert_eq!(a.spare_sentinels, ["127.0.0.1:26382", "127.0.0.1:26383"]);
    assert_eq!(a.spare_proxies.len(), 2);
    // A spare proxy can be registered: id max+1, online after reinit.
    put_ok(
        &small,
        &format!("/api/topom/proxy/create/{{X}}/{}", a.spare_proxies[0]),
    )
    .await;
    let s = stats(&small).await;
    assert_eq!(s.proxy.models.last().unwrap().id, 3);
    assert!(s
        .proxy
        .stats
        .values()
        .all(|p| p.stats.as_ref().is_some_and(|d| d.online)));
}

/// Issue 13: an action whose caller gave up (a timeout) is still carried out, as by a dashboard
/// that was frozen and runs again; reads are not delayed by a slow action.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_action_is_carried_out_after_its_caller_gave_up() {
    let demo = fast(10).await;
    let slow = Fault::SlowActions(Duration::from_secs(3));
    demo.set_fault(slow.clone());
    let quick = client()
        .put(format!(
            "{}/api/topom/group/create/{}/7",
            demo.base_url(),
            demo.xauth()
        ))
        .timeout(Duration::from_millis(200))
        .send()
        .await;
    assert!(
        quick.as_ref().is_err_and(reqwest::Error::is_timeout),
        "the caller gives up first: {quick:?}"
    );
    // Reads are not held behind the action: this one answers before the group exists.
    let s = stats(&demo).await;
    assert!(s.group.models.iter().all(|g| g.id != 7));
    wait_for(&demo, 20, "group 7 created late", |s| {
        s.group.models.iter().any(|g| g.id == 7)
    })
    .await;
    demo.clear_fault(&slow);
}
