//! Derived values checked against captured cluster states.
//!
//! Expected numbers were computed by hand from the fixture files with a short Python script
//! (`json.load`, then the sums described in codis-fe-spec.md §2.2: `ops.qps`/`sessions.alive` over registered
//! proxies whose sample has `stats` and no `error`/`timeout`; `used_memory` and the `keys=` of
//! `dbN` over each group's `servers[0]` with a healthy sample) and hard-coded here.

use codis_fixtures as common;

use codis_model::derive::{
    cluster_totals, dashboard_view, group_views, ha_conflicts, proxy_rows, rebalance_preview,
    sentinel_views, slots_view, DashboardView, HaStatus, Health, ResyncHint, SlaveofButton,
    SlotChartRow, SlotRun,
};
use codis_model::{PromotingState, RebalancePlan, ServerActionState, SlotActionState, Stats};
use common::load;

const PRODUCT: &str = "codis-demo";

fn stats(name: &str) -> Stats {
    load(&format!("demo_get_topom_stats__{name}"))
}

#[test]
fn overview_totals_of_a_healthy_cluster() {
    // final_healthy: proxies qps 90 + 100, alive 1 + 1; masters 16379/16381/16383 used_memory
    // 8287096 + 8562608 + 8711464 = 25561168 (24.377 MiB); keys 17076 + 17044 + 17030 = 51150.
    let t = cluster_totals(&stats("final_healthy"));
    assert_eq!(t.qps, 190);
    assert_eq!(t.qps_text, "190");
    assert_eq!(t.sessions, 2);
    assert_eq!(t.sessions_text, "2");
    assert_eq!(t.memory, 25_561_168);
    assert_eq!(t.memory_text, "24.38 MB");
    assert_eq!(t.keys, 51_150);
    assert_eq!(t.keys_text, "51,150");
}

#[test]
fn cluster_qps_sums_only_proxies_with_usable_stats() {
    // proxy19001_killed: proxy 2 (28a6...) has an error sample; only proxy 1 counts (qps 100,
    // alive 1).
    let t = cluster_totals(&stats("proxy19001_killed"));
    assert_eq!((t.qps, t.sessions), (100, 1));
    assert_eq!(t.memory, 24_476_928);
    assert_eq!(t.keys, 51_150);
}

#[test]
fn cluster_memory_counts_only_group_masters() {
    // replica16384_killed: 16384 (a replica) is down, memory is still the three masters:
    // 8350752 + 8461704 + 8675616.
    let t = cluster_totals(&stats("replica16384_killed"));
    assert_eq!(t.memory, 25_488_072);
    assert_eq!(t.memory_text, "24.31 MB");
    // after_promote: group 1's master is now 16380 (7136528) + 8872216 + 8909976.
    assert_eq!(cluster_totals(&stats("after_promote")).memory, 24_918_720);
}

#[test]
fn healthy_proxy_row_shows_sessions_and_commands() {
    let rows = proxy_rows(&stats("final_healthy"));
    assert_eq!(rows.len(), 2);
    let p = &rows[0];
    assert_eq!(
        (p.id, p.token.as_str()),
        (1, "646b55f57361986ddcdefe74dfb0c2da")
    );
    assert_eq!(p.status, Health::Healthy);
    assert_eq!(p.sessions_text, "total=4,alive=1");
    assert_eq!(p.commands_text, "total=90391,fails=1,rsp.errs=988,qps=90");
    assert_eq!(p.resync, ResyncHint::InSync);
    assert!(!p.switched && !p.primary_only);
    assert_eq!(p.error, None);
    assert_eq!(p.start_time, "2026-11-25 12:14:22.336908801 +0000 UTC");
    let n = p.numbers.as_ref().expect("numbers of a healthy proxy");
    assert_eq!(
        (n.qps, n.ops_total, n.ops_fails, n.redis_errors),
        (90, 90391, 1, Some(988))
    );
    assert_eq!(
        (n.sessions_total, n.sessions_alive, n.mem),
        (4, 1, 252_063_744)
    );
    assert!(n.cpu > 0.0 && n.cpu < 0.02);
}

#[test]
fn killed_proxy_is_an_error_row_with_its_cause_and_no_numbers() {
    let rows = proxy_rows(&stats("proxy19001_killed"));
    let dead = &rows[1];
    assert_eq!(dead.token, "28a6da90f4425c690e44d01055334654");
    assert_eq!(dead.status, Health::Error);
    assert_eq!(dead.sessions_text, "NA");
    assert_eq!(dead.commands_text, "NA");
    assert_eq!(dead.numbers, None);
    assert_eq!(dead.resync, ResyncHint::Unavailable);
    let cause = dead.error.as_deref().unwrap_or_default();
    assert!(cause.contains("connect: connection refused"), "{cause}");
    assert_eq!(rows[0].status, Health::Healthy);
}

#[test]
fn proxy_without_sample_is_pending_and_needs_resync() {
    let mut s = stats("final_healthy");
    s.proxy.stats.clear();
    let rows = proxy_rows(&s);
    assert!(rows
        .iter()
        .all(|r| r.status == Health::Pending && r.resync == ResyncHint::Needed));
    assert_eq!(cluster_totals(&s).qps, 0);
}

#[test]
fn switched_proxy_needs_resync_even_when_healthy() {
    let mut s = stats("final_healthy");
    for p in s.proxy.stats.values_mut() {
        if let Some(d) = p.stats.as_mut() {
            d.sentinels.switched = true;
        }
    }
    let rows = proxy_rows(&s);
    assert!(rows
        .iter()
        .all(|r| r.switched && r.resync == ResyncHint::Needed));
}

#[test]
fn group_rows_of_a_healthy_cluster() {
    let groups = group_views(&stats("final_healthy"));
    assert_eq!(groups.iter().map(|g| g.id).collect::<Vec<_>>(), [1, 2, 3]);
    let g1 = &groups[0];
    assert!(!g1.is_promoting && !g1.out_of_sync && !g1.can_remove);
    assert_eq!(g1.ha_warning, None);
    let master = &g1.servers[0];
    assert_eq!(master.status, Health::Healthy);
    assert_eq!(master.memory_text, "7.90 MB"); // 8287096 B
    assert_eq!(master.maxmem_text, "1.00 GB"); // maxmemory 1073741824
    assert_eq!(master.memory_cell(), "7.90 MB / 1.00 GB");
    assert_eq!(master.keys, ["db0:keys=17076,expires=19,avg_ttl=21212050"]);
    assert_eq!(master.key_count, Some(17076));
    assert_eq!(master.master, "NO:ONE");
    assert_eq!(master.master_expect, "NO:ONE");
    assert_eq!(master.master_status, Some(true));
    assert_eq!((master.can_remove, master.can_promote), (false, false));
    assert_eq!(master.role.as_deref(), Some("master"));
    assert_eq!(master.connected_clients, Some(39));
    assert_eq!(master.ha_status, HaStatus::Master);
    assert_eq!(master.server_text, "127.0.0.1:16379 [HA]");

    let replica = &g1.servers[1];
    assert_eq!(replica.master, "127.0.0.1:16379:up");
    assert_eq!(replica.master_expect, "127.0.0.1:16379");
    assert_eq!(replica.master_status, Some(true));
    assert_eq!((replica.can_remove, replica.can_promote), (true, true));
    assert_eq!(replica.ha_status, HaStatus::Slave);
    assert_eq!(replica.server_text, "127.0.0.1:16380");
    // Its sync action is `synced`: the wrench stays, the state is shown.
    assert_eq!(replica.sync.button, SlaveofButton::Create);
    assert_eq!(replica.sync.action_state, "synced");
    assert_eq!(replica.sync.state, Some(ServerActionState::Synced));
    assert_eq!(g1.runids.len(), 2);
    assert!(ha_conflicts(&groups).is_empty());
}

#[test]
fn killed_replica_row_is_an_error_without_figures() {
    let groups = group_views(&stats("replica16384_killed"));
    let row = &groups[2].servers[1];
    assert_eq!(row.server, "127.0.0.1:16384");
    assert_eq!(row.status, Health::Error);
    assert!(row.error.as_deref().is_some_and(|e| !e.is_empty()));
    assert_eq!(
        (row.memory_text.as_str(), row.maxmem_text.as_str()),
        ("NA", "NA")
    );
    assert_eq!(row.master, "NA");
    assert_eq!(row.master_status, None);
    assert!(row.keys.is_empty());
    // A dead replica may be removed but is not offered for promotion (issue 13): it could not
    // take over as master.
    assert!(row.can_remove && !row.can_promote);
    // The group's master is unaffected and not in the runid map of the dead replica.
    assert_eq!(groups[2].servers[0].status, Health::Healthy);
    assert_eq!(groups[2].runids.len(), 1);
}

#[test]
fn after_promote_old_master_shows_a_bad_master_status() {
    // Group 1 was promoted: servers are now [16380, 16379]; 16379 still thinks it is a master
    // and 16380 still replicates from 16379 (the dashboard does not reconfigure the old master).
    let s = stats("after_promote");
    let groups = group_views(&s);
    let g1 = &groups[0];
    assert_eq!(g1.servers[0].server, "127.0.0.1:16380");
    assert_eq!(g1.servers[0].master, "127.0.0.1:16379:up");
    assert_eq!(g1.servers[0].master_status, Some(false));
    assert_eq!(g1.servers[1].master, "NO:ONE");
    assert_eq!(g1.servers[1].master_expect, "127.0.0.1:16380");
    assert_eq!(g1.servers[1].master_status, Some(false));
    // Promotion removed group 1 from the sentinels: its HA state is undefined, with no warning.
    assert_eq!(g1.ha_master, None);
    assert!(g1
        .servers
        .iter()
        .all(|x| x.ha_status == HaStatus::Undefined));
    assert_eq!(g1.ha_warning, None);
    assert_eq!(groups[1].servers[0].ha_status, HaStatus::Master);

    let sentinels = sentinel_views(&s, &groups, PRODUCT);
    assert!(sentinels.out_of_sync);
    let first = &sentinels.rows[0];
    assert_eq!(first.server, "127.0.0.1:26379");
    assert_eq!(first.status, Health::Error);
    assert!(first
        .error
        .as_deref()
        .is_some_and(|e| e.contains("use of closed network connection")));
    assert_eq!(first.status_text, "");
    assert_eq!(sentinels.rows[1].status, Health::Healthy);
}

#[test]
fn group_out_of_sync_flag_is_shown() {
    let groups = group_views(&stats("group2_out_of_sync_replica_group"));
    assert_eq!(
        groups.iter().map(|g| g.out_of_sync).collect::<Vec<_>>(),
        [false, true, false]
    );
}

#[test]
fn a_replica_reported_as_ha_master_is_a_conflict() {
    let mut s = stats("final_healthy");
    s.sentinels
        .masters
        .insert("1".into(), "127.0.0.1:16380".into());
    let groups = group_views(&s);
    let g1 = &groups[0];
    assert_eq!(g1.servers[0].ha_status, HaStatus::NotMaster);
    assert_eq!(g1.servers[1].ha_status, HaStatus::RealMaster);
    assert_eq!(g1.servers[1].server_text, "127.0.0.1:16380 [HA]");
    assert_eq!(g1.ha_warning, None);
    assert_eq!(g1.real_master_index(), Some(1));
    let conflicts = ha_conflicts(&groups);
    assert_eq!(conflicts.len(), 1);
    assert_eq!(conflicts[0].group, 1);
    assert_eq!(conflicts[0].logical_master, "127.0.0.1:16379");
    assert_eq!(conflicts[0].ha_real_master, "127.0.0.1:16380");
}

#[test]
fn an_ha_master_outside_the_group_is_warned_about() {
    let mut s = stats("final_healthy");
    s.sentinels
        .masters
        .insert("2".into(), "10.9.9.9:6379".into());
    let g2 = &group_views(&s)[1];
    assert_eq!(g2.ha_warning.as_deref(), Some("[HA: 10.9.9.9:6379]"));
    assert_eq!(g2.servers[0].ha_status, HaStatus::NotMaster);
    assert_eq!(g2.servers[1].ha_status, HaStatus::Slave);
}

#[test]
fn without_sentinels_there_is_no_ha_decoration_and_no_empty_warning() {
    // rebalance_just_started has no sentinel servers configured.
    let groups = group_views(&stats("rebalance_just_started"));
    for g in &groups {
        assert_eq!(g.ha_warning, None);
        assert_eq!(g.ha_master, None);
        assert!(g.servers.iter().all(|x| x.ha_status == HaStatus::None));
        assert!(g.servers.iter().all(|x| !x.server_text.ends_with("[HA]")));
    }
}

#[test]
fn a_promoting_group_locks_its_buttons_except_the_promoted_server() {
    let mut s = stats("final_healthy");
    s.group.models[1].promoting.index = 1;
    s.group.models[1].promoting.state = Some(PromotingState::Prepared);
    let g2 = &group_views(&s)[1];
    assert!(g2.is_promoting);
    assert_eq!(g2.promoting_index, Some(1));
    assert_eq!(g2.promoting_state, Some(PromotingState::Prepared));
    assert!(!g2.can_remove);
    assert!(g2.servers.iter().all(|x| !x.can_remove && !x.can_promote));
    assert_eq!(
        g2.servers
            .iter()
            .map(|x| x.is_promoting)
            .collect::<Vec<_>>(),
        [false, true]
    );
}

#[test]
fn a_pending_sync_action_can_be_cancelled() {
    let mut s = stats("final_healthy");
    let server = &mut s.group.models[0].servers[1];
    server.action.state = Some(ServerActionState::Pending);
    server.action.index = 3;
    let row = &group_views(&s)[0].servers[1];
    assert_eq!(row.sync.button, SlaveofButton::Remove);
    assert_eq!(row.sync.action_state, "pending:3");
}

#[test]
fn an_empty_group_can_be_removed() {
    let mut s = stats("final_healthy");
    s.group.models.push(codis_model::Group {
        id: 4,
        ..Default::default()
    });
    let groups = group_views(&s);
    assert!(groups[3].can_remove && groups[3].servers.is_empty());
    // A one-server group may remove its master.
    s.group.models[0].servers.truncate(1);
    assert!(group_views(&s)[0].servers[0].can_remove);
}

#[test]
fn sentinel_rows_of_a_healthy_cluster() {
    let s = stats("final_healthy");
    let groups = group_views(&s);
    let view = sentinel_views(&s, &groups, PRODUCT);
    assert!(!view.out_of_sync);
    assert_eq!(view.rows.len(), 3);
    for row in &view.rows {
        assert_eq!(row.status, Health::Healthy);
        assert_eq!(
            row.status_text,
            "masters=3,down=0,slaves=1.00,sentinels=3.00"
        );
        assert!(row.runid_errors.is_empty(), "{:?}", row.runid_errors);
    }
    assert_eq!(
        view.masters.get("2").map(String::as_str),
        Some("127.0.0.1:16381")
    );
}

#[test]
fn sentinel_runid_mismatches_are_all_kept() {
    let mut s = stats("final_healthy");
    // Pretend 16380 was replaced by another process: new run_id in its INFO.
    if let Some(sample) = s.group.stats.get_mut("127.0.0.1:16380") {
        sample.stats.insert("run_id".into(), "ffff".into());
    }
    let groups = group_views(&s);
    let view = sentinel_views(&s, &groups, PRODUCT);
    let errors = &view.rows[0].runid_errors;
    assert_eq!(
        errors,
        &[
            "[+]group=1,server=127.0.0.1:16380,runid=2a1c436eb5efb0d966f87a118bb7ff7e881415dd",
            "[-]group=1,server=127.0.0.1:16380,runid=ffff",
        ]
    );
}

#[test]
fn sentinels_just_added_are_pending_and_out_of_sync() {
    let s = stats("sentinels_added_out_of_sync");
    let view = sentinel_views(&s, &group_views(&s), PRODUCT);
    assert!(view.out_of_sync);
    assert_eq!(view.rows.len(), 3);
    assert!(view
        .rows
        .iter()
        .all(|r| r.status == Health::Pending && r.status_text.is_empty()));
    assert!(view.masters.is_empty());
    // Sentinels exist but report no masters: every server is "undefined", without warning.
    for g in group_views(&s) {
        assert!(g.servers.iter().all(|x| x.ha_status == HaStatus::Undefined));
        assert_eq!(g.ha_warning, None);
    }
}

#[test]
fn sentinel_status_counts_only_this_products_masters() {
    let mut s = stats("final_healthy");
    if let Some(sample) = s.sentinels.stats.get_mut("127.0.0.1:26379") {
        sample.stats.insert("sentinel_masters".into(), "5".into());
        sample.stats.insert(
            "master3".into(),
            "name=codis-beta-1,status=ok,address=127.0.0.1:1,slaves=4,sentinels=9".into(),
        );
        sample.stats.insert(
            "master4".into(),
            "name=codis-demo-7,status=sdown,address=127.0.0.1:2,slaves=0,sentinels=2".into(),
        );
    }
    let view = sentinel_views(&s, &group_views(&s), PRODUCT);
    // 3 healthy masters (1 slave, 3 sentinels each) + codis-demo-7 down (0, 2): 3/4, 11/4.
    assert_eq!(
        view.rows[0].status_text,
        "masters=4,down=1,slaves=0.75,sentinels=2.75"
    );
}

#[test]
fn migration_progress_follows_the_fast_migration_series() {
    // 200 slots (100..299) queued to group 2; slot 299 cancelled between t02 and t03.
    let expect = [
        ("migration_t01", 200, 0, 200, 0),
        ("migration_t02", 200, 12, 188, 1),
        ("migration_t03", 199, 93, 106, 1),
        ("migration_t04", 199, 159, 40, 0),
        ("migration_t05", 0, 0, 0, 0),
    ];
    for (name, total, done, remaining, running) in expect {
        let p = slots_view(&stats(name)).progress;
        assert_eq!(
            (p.total, p.done, p.remaining, p.running),
            (total, done, remaining, running),
            "{name}"
        );
    }
    let idle = slots_view(&stats("migration_t05")).progress;
    assert!(idle.is_idle());
    assert_eq!(idle.fraction(), 1.0);
}

#[test]
fn slot_chart_runs_during_a_migration() {
    // migration_t02: group 1 serves 0..99 and 112..341 (330 slots), group 2 serves 100..111 and
    // 342..682 (353) and is the target of 112..299, group 3 serves 683..1023 (341).
    let v = slots_view(&stats("migration_t02"));
    assert_eq!(v.counts.get(&1), Some(&330));
    assert_eq!(v.counts.get(&2), Some(&353));
    assert_eq!(v.counts.get(&3), Some(&341));
    let names: Vec<&str> = v.series.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["Group-1:330", "Group-2:353", "Group-3:341"]);
    let run = |row, begin, end| SlotRun { row, begin, end };
    assert_eq!(
        v.series[0].runs,
        [
            run(SlotChartRow::Default, 0, 99),
            run(SlotChartRow::Default, 112, 341)
        ]
    );
    assert_eq!(
        v.series[1].runs,
        [
            run(SlotChartRow::Migrating, 112, 299),
            run(SlotChartRow::Default, 100, 111),
            run(SlotChartRow::Default, 342, 682),
        ]
    );
    assert_eq!(
        v.series[1].runs[0].tooltip(2),
        "Slot-[112,299] will be moved to Group-[2]"
    );
    assert_eq!(v.action_counts.migrating, 1);
    assert_eq!(v.action_counts.pending, 187);
    let migrating: Vec<_> = v
        .actions
        .iter()
        .filter(|a| a.state == SlotActionState::Migrating)
        .collect();
    assert_eq!(migrating.len(), 1);
    assert_eq!(
        (
            migrating[0].slot,
            migrating[0].index,
            migrating[0].can_cancel
        ),
        (112, 13, false)
    );
}

#[test]
fn offline_slots_are_charted_on_the_offline_row() {
    let mut s = stats("final_healthy");
    for slot in s.slots.iter_mut().take(10) {
        slot.group_id = 0;
    }
    let v = slots_view(&s);
    assert_eq!(v.series[0].group_id, 0);
    assert_eq!(v.series[0].name, "Group-0:10");
    assert_eq!(
        v.series[0].runs,
        [SlotRun {
            row: SlotChartRow::Offline,
            begin: 0,
            end: 9
        }]
    );
    assert_eq!(v.series[0].runs[0].tooltip(0), "Slot-[0,9] are Offline");
}

#[test]
fn pending_actions_while_disabled_are_listed_in_slot_order_and_cancellable() {
    let v = slots_view(&stats("actions_pending_disabled"));
    assert!(v.disabled);
    assert_eq!(v.interval, 0);
    assert_eq!(v.status, "");
    assert_eq!(v.executor, 0);
    let listed: Vec<_> = v
        .actions
        .iter()
        .map(|a| (a.slot, a.group_id, a.target_id, a.index, a.can_cancel))
        .collect();
    assert_eq!(
        listed,
        [
            (5, 1, 2, 1, true),
            (342, 2, 3, 2, true),
            (343, 2, 3, 3, true),
            (344, 2, 3, 4, true)
        ]
    );
    assert_eq!(v.action_counts.pending, 4);
    assert_eq!(v.action_counts.running(), 0);
    assert_eq!((v.progress.total, v.progress.done), (4, 0));
}

#[test]
fn slot_action_status_text_is_passed_through() {
    let v = slots_view(&stats("slow_migration_t002"));
    assert_eq!(v.status, "[OK] Slot[0104]@DB[0]=48");
    assert_eq!(v.interval, 300_000);
}

#[test]
fn rebalance_preview_compresses_slots_into_ranges_per_group() {
    // put_slots_rebalance__ok_preview: group 1 gets 0..341, group 2 342..682, group 3 683..1023.
    let plan: RebalancePlan = load("put_slots_rebalance__ok_preview");
    let groups = stats("final_healthy").group.models;
    let preview = rebalance_preview(&plan, &groups);
    let texts: Vec<&str> = preview.iter().map(|p| p.text.as_str()).collect();
    assert_eq!(
        texts,
        [
            "group-[1] <== [0,341]",
            "group-[2] <== [342,682]",
            "group-[3] <== [683,1023]"
        ]
    );
    assert_eq!(preview.iter().map(|p| p.slots).sum::<u32>(), 1024);
}

#[test]
fn rebalance_preview_keeps_several_ranges_and_unknown_groups() {
    let mut plan = RebalancePlan::default();
    for (sid, gid) in [(1, 2), (2, 2), (3, 2), (7, 2), (9, 5), (10, 1)] {
        plan.0.insert(sid, gid);
    }
    let groups = stats("final_healthy").group.models;
    let texts: Vec<String> = rebalance_preview(&plan, &groups)
        .into_iter()
        .map(|p| p.text)
        .collect();
    assert_eq!(
        texts,
        [
            "group-[1] <== [10,10]",
            "group-[2] <== [1,3],[7,7]",
            "group-[5] <== [9,9]"
        ]
    );
    assert!(rebalance_preview(&RebalancePlan::default(), &groups).is_empty());
}

#[test]
fn the_whole_view_survives_a_json_round_trip_for_streaming() {
    for name in [
        "final_healthy",
        "migration_t02",
        "proxy19001_killed",
        "after_promote",
    ] {
        let view = dashboard_view(&stats(name), PRODUCT);
        let json = serde_json::to_string(&view).expect("encode view");
        let back: DashboardView = serde_json::from_str(&json).expect("decode view");
        assert_eq!(back, view, "{name}");
    }
}

#[test]
fn derived_views_never_panic_on_an_empty_document() {
    let empty: Stats = serde_json::from_str(r#"{"slots": []}"#).expect("minimal stats");
    let view = dashboard_view(&empty, PRODUCT);
    assert_eq!(view.totals.memory_text, "0 B");
    assert_eq!(view.totals.keys_text, "0");
    assert!(view.proxies.is_empty() && view.groups.is_empty() && view.sentinels.rows.is_empty());
    assert!(view.slots.series.is_empty());
    // The empty product of the captures too.
    let captured: Stats = load("demo_empty__get_api_topom_stats");
    let v = dashboard_view(&captured, PRODUCT);
    assert_eq!(v.slots.series.len(), 1);
    assert_eq!(v.slots.series[0].name, "Group-0:1024");
}

#[test]
fn a_proxy_detail_from_the_captured_overview_maps_slots_and_hides_secrets() {
    // proxy19000_get_proxy: slots 0-341 -> 16379 (group 1), 342-682 -> 16381 (2), 683-1023 ->
    // 16383 (3); the only secret-like config key is jodis_auth.
    let overview: codis_model::ProxyOverview = load("proxy19000_get_proxy");
    let proxy = codis_model::Proxy {
        id: 1,
        ..overview.model.clone()
    };
    let d = codis_model::console::ProxyDetail::new(&proxy, overview.clone());
    assert_eq!(d.name, "proxy 1 (127.0.0.1:19000, admin 127.0.0.1:11080)");
    assert_eq!(d.version, overview.version);
    let runs: Vec<(u16, u16, &str, u32)> = d
        .slots
        .iter()
        .map(|r| (r.begin, r.end, r.backend_addr.as_str(), r.group_id))
        .collect();
    assert_eq!(
        runs,
        [
            (0, 341, "127.0.0.1:16379", 1),
            (342, 682, "127.0.0.1:16381", 2),
            (683, 1023, "127.0.0.1:16383", 3)
        ]
    );
    assert!(overview.config.contains_key("jodis_auth"));
    assert!(!d.config.contains_key("jodis_auth"));
    assert_eq!(d.config.len(), overview.config.len() - 1);
}
