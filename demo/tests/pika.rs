//! The `Pika` preset against Pika's Codis fork: its answers match `fixtures/pika-codis` (captured
//! from the fork's dashboard and proxies, three derived from its code, see that README) in
//! status, structure and error Cause, and its own health checks and failover behave as the
//! fork's do.

mod common;

use codis_demo::{DemoDashboard, DemoOptions, Fault, Preset};
use codis_model::{ServerCheckState, Stats};
use common::*;
use std::path::PathBuf;
use std::time::Duration;

fn pika_dir() -> PathBuf {
    codis_fixtures::pika_fixtures_dir()
}

async fn pika(max_slot_num: u16, step_ms: u64) -> DemoDashboard {
    DemoDashboard::start(DemoOptions {
        product: "pika-demo".to_owned(),
        preset: Preset::Pika { max_slot_num },
        seed: 3,
        step: Duration::from_millis(step_ms),
    })
    .await
    .expect("start pika demo")
}

/// The state of `addr` in its group (the fork's `state` field).
fn state_of(s: &Stats, addr: &str) -> Option<ServerCheckState> {
    s.group
        .models
        .iter()
        .flat_map(|g| &g.servers)
        .find(|x| x.server == addr)
        .and_then(|x| x.state)
}

fn master_of(s: &Stats, gid: u32) -> String {
    s.group
        .models
        .iter()
        .find(|g| g.id == gid)
        .and_then(|g| g.master())
        .unwrap_or_default()
        .to_owned()
}

/// The proxy xauth of the demo's first proxy and the fixtures' one, to map paths.
async fn proxy0(demo: &DemoDashboard) -> (String, String) {
    let admin = demo.addresses().proxies[0].clone();
    let model = call(
        "GET",
        &format!("http://{admin}/api/proxy/model"),
        None,
        false,
    )
    .await
    .json();
    let token = model["token"].as_str().expect("token").to_owned();
    (
        admin,
        codis_model::xauth::proxy_xauth("pika-demo", "", &token),
    )
}

/// What each answer needs: a fault, then waiting for a state.
async fn setup(demo: &DemoDashboard, name: &str) {
    let down = |a: &str| Fault::ServerDown(a.to_owned());
    match name {
        "dash_get_api_topom_stats__server_9224_added_not_checked" => {
            put_ok(demo, "/api/topom/group/add/{X}/1/127.0.0.1:9224").await;
        }
        "dash_get_api_topom_stats__replica_9222_suspected" => {
            demo.set_fault(down("127.0.0.1:9222"));
            wait_for(demo, 20, "9222 suspected", |s| {
                state_of(s, "127.0.0.1:9222") == Some(ServerCheckState::Suspected)
            })
            .await;
        }
        "dash_get_api_topom_stats__server_9224_checked_not_replicating" => {
            put_ok(demo, "/api/topom/group/add/{X}/1/127.0.0.1:9224").await;
            wait_for(demo, 20, "9224 checked", |s| {
                s.group.models[0]
                    .servers
                    .iter()
                    .any(|x| x.server == "127.0.0.1:9224" && x.role.as_deref() == Some("master"))
            })
            .await;
        }
        "dash_get_api_topom_stats__master_9231_suspected" => {
            demo.set_fault(down("127.0.0.1:9231"));
            // As captured: four counted failures, past the first sample's EOF (dial refused).
            wait_for(demo, 20, "9231 suspected, 4 failures", |s| {
                let counted = s.group.models[1].servers[0].recall_times >= Some(4);
                let dial = s.group.stats.get("127.0.0.1:9231").is_some_and(|x| {
                    x.error
                        .as_ref()
                        .is_some_and(|e| e.cause.starts_with("dial"))
                });
                state_of(s, "127.0.0.1:9231") == Some(ServerCheckState::Suspected)
                    && counted
                    && dial
            })
            .await;
        }
        // The demo's replicas are Pika's, eligible: it elects where the captured redis-server
        // replicas could not. Its offline state before the election has the same shape.
        "dash_get_api_topom_stats__master_9231_offline_electing"
        | "dash_get_api_topom_stats__master_9231_offline_no_election"
        | "dash_get_api_topom_stats__master_9231_offline_recall_times_wrapped" => {
            demo.set_fault(down("127.0.0.1:9231"));
            wait_for(demo, 20, "9231 offline", |s| {
                state_of(s, "127.0.0.1:9231") == Some(ServerCheckState::Offline)
                    && master_of(s, 2) == "127.0.0.1:9231"
            })
            .await;
        }
        "dash_get_api_topom_stats__master_9231_replaced_by_9233" => {
            demo.set_fault(down("127.0.0.1:9231"));
            wait_for(demo, 20, "9233 elected", |s| {
                master_of(s, 2) == "127.0.0.1:9233"
            })
            .await;
        }
        "dash_get_api_topom_stats__replica_9222_restarted_stays_offline" => {
            // Offline, then answering again (the demo's Pika takes the repair the captured
            // redis-server refused, so it recovers later: the answer's shape is the same).
            demo.set_fault(down("127.0.0.1:9222"));
            wait_for(demo, 20, "9222 offline", |s| {
                state_of(s, "127.0.0.1:9222") == Some(ServerCheckState::Offline)
            })
            .await;
            demo.clear_fault(&down("127.0.0.1:9222"));
            wait_for(demo, 20, "9222 answering", |s| {
                s.group
                    .stats
                    .get("127.0.0.1:9222")
                    .is_some_and(|x| x.error.is_none())
            })
            .await;
        }
        "dash_get_api_topom_stats__replica_9222_offline" => {
            demo.set_fault(down("127.0.0.1:9222"));
            wait_for(demo, 20, "9222 offline", |s| {
                state_of(s, "127.0.0.1:9222") == Some(ServerCheckState::Offline)
            })
            .await;
        }
        _ => {}
    }
}

async fn check(name: &str) -> Result<(), String> {
    let slots = if name.contains("max_slot_num_4096") {
        4096
    } else {
        1024
    };
    // Fast checks; the election waits one failover interval (10 steps): slow enough to see it.
    // The master's fourth failure must come after the first sample's EOF (1 s): slower too.
    let step = if name.contains("electing") || name.contains("master_9231_suspected") {
        50
    } else {
        10
    };
    let demo = pika(slots, step).await;
    setup(&demo, name).await;
    let meta = meta_in(&pika_dir(), name);
    let (admin, xauth) = proxy0(&demo).await;
    // The captured first proxy's xauth (from its random token).
    let fixture_proxy_xauth = "0c3126267d3e94f7ddabed608735c32b";
    let (host, path) = if name.starts_with("proxy0") {
        (
            format!("http://{admin}"),
            meta.path.replace(fixture_proxy_xauth, &xauth),
        )
    } else {
        (demo.base_url(), meta.path.clone())
    };
    let reply = call(&meta.method, &format!("{host}{path}"), None, false).await;
    if reply.status != meta.status {
        return Err(format!(
            "{name}: status {} (expected {}): {}",
            reply.status,
            meta.status,
            String::from_utf8_lossy(&reply.body)
        ));
    }
    if meta.status == 404 {
        return (reply.body == b"404 page not found\n")
            .then_some(())
            .ok_or(format!("{name}: 404 body"));
    }
    let mut expected = body_in(&pika_dir(), name).ok_or(format!("{name}: not JSON"))?;
    let mut actual = reply.json();
    if meta
        .group_servers
        .as_deref()
        .is_some_and(|g| !g.contains("pika"))
    {
        // Captured with redis-server as group servers: their INFO is Redis's, the demo's is
        // Pika's, as in production. Everything else is compared; the INFO of Pika servers
        // is compared by the derived answers (`__pika_servers`, `__offline_electing`,
        // `__replaced_by_9233`).
        drop_server_info(&mut expected);
        drop_server_info(&mut actual);
    }
    same_shape(&expected, &actual, name)?;
    if meta.status == 800 && expected["Cause"] != actual["Cause"] {
        return Err(format!(
            "{name}: Cause {}, expected {}",
            actual["Cause"], expected["Cause"]
        ));
    }
    if name.starts_with("dash_get_topom") && !name.contains("slots") {
        let slots_len = |v: &serde_json::Value| {
            v["stats"]["slots"]
                .as_array()
                .or(v["slots"].as_array())
                .map(Vec::len)
        };
        if slots_len(&expected) != slots_len(&actual) {
            return Err(format!("{name}: slot count differs"));
        }
    }
    Ok(())
}

/// Removes the group servers' INFO (`group.stats.<addr>.stats`) from a stats or overview body.
fn drop_server_info(v: &mut serde_json::Value) {
    for at in ["/group/stats", "/stats/group/stats"] {
        if let Some(servers) = v.pointer_mut(at).and_then(|s| s.as_object_mut()) {
            for s in servers.values_mut() {
                if let Some(o) = s.as_object_mut() {
                    o.remove("stats");
                }
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fork_answer_is_matched_by_the_pika_preset() {
    let index = std::fs::read_to_string(pika_dir().join("INDEX.tsv")).expect("INDEX.tsv");
    let names: Vec<&str> = index
        .lines()
        .skip(1)
        .filter_map(|l| l.split('\t').next())
        .collect();
    assert!(names.len() >= 35, "{} answers", names.len());
    let mut failures = Vec::new();
    for name in &names {
        if let Err(e) = check(name).await {
            failures.push(e);
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} answers differ:\n{}",
        failures.len(),
        names.len(),
        failures.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_master_is_suspected_then_offline_then_replaced_by_the_most_advanced_replica() {
    let demo = pika(1024, 10).await;
    let before = stats(&demo).await;
    let pos = |s: &Stats, a: &str| {
        let x = s
            .group
            .models
            .iter()
            .flat_map(|g| &g.servers)
            .find(|x| x.server == a)
            .unwrap();
        (x.binlog_file_num.unwrap(), x.binlog_offset.unwrap())
    };
    assert!(pos(&before, "127.0.0.1:9233") > pos(&before, "127.0.0.1:9232"));

    demo.set_fault(Fault::ServerDown("127.0.0.1:9231".into()));
    wait_for(&demo, 20, "suspected", |s| {
        state_of(s, "127.0.0.1:9231") == Some(ServerCheckState::Suspected)
    })
    .await;
    let after = wait_for(&demo, 20, "the election", |s| {
        master_of(s, 2) == "127.0.0.1:9233"
    })
    .await;
    let g2 = after.group.models.iter().find(|g| g.id == 2).unwrap();
    assert_eq!(g2.servers[0].role.as_deref(), Some("master"));
    let old = g2
        .servers
        .iter()
        .find(|x| x.server == "127.0.0.1:9231")
        .unwrap();
    assert_eq!(old.state, Some(ServerCheckState::Offline));
    assert!(old.recall_times.unwrap() >= 10);
    assert!(!old.replica_group);
    // 9232 now follows 9233 (its INFO says so) and the proxies were pointed at 9233.
    wait_for(&demo, 20, "9232 follows 9233", |s| {
        s.group.stats["127.0.0.1:9232"].stats.get("master_addr")
            == Some(&"127.0.0.1:9233".to_owned())
    })
    .await;
    let slots: serde_json::Value = get(&demo, "/topom/slots").await.json();
    assert_eq!(slots[1023]["backend_addr"], "127.0.0.1:9233");

    // The old master comes back as a replica of the new one.
    demo.clear_fault(&Fault::ServerDown("127.0.0.1:9231".into()));
    let s = wait_for(&demo, 20, "9231 recovered", |s| {
        state_of(s, "127.0.0.1:9231") == Some(ServerCheckState::Normal)
    })
    .await;
    assert_eq!(master_of(&s, 2), "127.0.0.1:9233");
    // Out of sync while the old master was offline (as the fork: every check of an offline
    // replica sets it), in sync again once it is back.
    let s = wait_for(&demo, 20, "group 2 in sync", |s| {
        !s.group
            .models
            .iter()
            .find(|g| g.id == 2)
            .unwrap()
            .out_of_sync
    })
    .await;
    let info = &s.group.stats["127.0.0.1:9231"].stats;
    assert_eq!(info.get("role").map(String::as_str), Some("slave"));
    assert_eq!(
        info.get("master_addr").map(String::as_str),
        Some("127.0.0.1:9233")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_no_replica_left_the_group_is_never_failed_over() {
    let demo = pika(1024, 10).await;
    demo.set_fault(Fault::ServerDown("127.0.0.1:9222".into()));
    wait_for(&demo, 20, "9222 offline", |s| {
        state_of(s, "127.0.0.1:9222") == Some(ServerCheckState::Offline)
    })
    .await;
    demo.set_fault(Fault::ServerDown("127.0.0.1:9221".into()));
    let s = wait_for(&demo, 20, "9221 offline", |s| {
        state_of(s, "127.0.0.1:9221") == Some(ServerCheckState::Offline)
    })
    .await;
    assert_eq!(master_of(&s, 1), "127.0.0.1:9221");
    // Several failover checks later, still no master and still out of sync.
    let later = wait_for(&demo, 20, "more failed checks", |x| {
        x.group.models[0].servers[0].recall_times > s.group.models[0].servers[0].recall_times
    })
    .await;
    let g1 = &later.group.models[0];
    assert_eq!(g1.servers[0].server, "127.0.0.1:9221");
    assert!(g1.out_of_sync);
    // As the captured dashboard with no eligible replica: the console says it is blocked.
    let view = codis_model::derive::dashboard_view(&later, "pika-demo");
    let pg = view.groups[0].pika.clone().expect("fork group");
    assert!(pg.election_blocked && !pg.electing);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_4096_slot_product_serves_and_migrates_slots_past_1023() {
    let demo = pika(4096, 3_600_000).await;
    let s = stats(&demo).await;
    assert_eq!(s.slots.len(), 4096);
    assert_eq!(s.slot_count(), 4096);
    let overview: codis_model::Overview =
        serde_json::from_slice(&get(&demo, "/topom").await.body).unwrap();
    assert_eq!(overview.config.max_slot_num, Some(4096));
    put_ok(
        &demo,
        "/api/topom/slots/action/create-range/{X}/3000/3100/1",
    )
    .await;
    let r = put(
        &demo,
        "/api/topom/slots/action/create-range/{X}/4000/4096/1",
    )
    .await;
    assert_eq!(r.status, 800);
    assert_eq!(r.cause(), "invalid slot range [4000,4096]");
    let s = stats(&demo).await;
    assert_eq!(s.slots[3050].action.target_id, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxies_answer_cmdinfo_for_the_intervals_the_fork_keeps() {
    let demo = pika(1024, 3_600_000).await;
    let (admin, xauth) = proxy0(&demo).await;
    for (asked, got) in [(1, 1), (10, 10), (60, 60), (600, 600), (3600, 3600), (7, 1)] {
        let r = call(
            "GET",
            &format!("http://{admin}/api/proxy/cmdinfo/{xauth}/{asked}"),
            None,
            false,
        )
        .await;
        assert_eq!(r.status, 200);
        let c: codis_model::CmdInfo = serde_json::from_slice(&r.body).unwrap();
        assert!(!c.cmd.is_empty());
        assert!(c.cmd.iter().all(|x| x.interval == Some(got)), "{asked}");
        assert!(c.cmd.iter().all(|x| x.tp99 >= x.tp90));
        // The fork's ALL row first, counting every call twice, as the captured proxies do.
        let all = c.all_row().expect("ALL row");
        assert!(c.cmd[0].is_all_row());
        assert_eq!(all.calls, 2 * c.commands().map(|x| x.calls).sum::<i64>());
        assert!(c.commands().all(|x| x.total_calls == Some(0)));
    }
    let r = call(
        "GET",
        &format!("http://{admin}/api/proxy/cmdinfo/{xauth}/abc"),
        None,
        false,
    )
    .await;
    assert_eq!(r.status, 800);
    assert_eq!(r.cause(), "strconv.Atoi: parsing \"abc\": invalid syntax");
}
