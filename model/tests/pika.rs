//! Pika's Codis fork: what the console derives from the fork's answers (`fixtures/pika-codis`:
//! captured from the fork's dashboard and proxies with redis-server 7.0 as group servers, and a
//! few derived from its code where only Pika produces the state, see that README), next to
//! Codis 3.2's captures, which must derive exactly what they did before.

use codis_fixtures as common;

use codis_model::derive::{
    dashboard_view, BinlogPosition, Health, HealthRule, HealthTracker, Measure, ServerCheck,
};
use codis_model::live::DashboardInfo;
use codis_model::validate;
use codis_model::{Action, CmdInfo, Overview, Stats, Variant, MAX_SLOT_NUM};

fn pika_stats(name: &str) -> Stats {
    common::load_pika(name)
}

fn row<'a>(
    view: &'a codis_model::derive::DashboardView,
    addr: &str,
) -> &'a codis_model::derive::ServerRow {
    view.groups
        .iter()
        .flat_map(|g| &g.servers)
        .find(|s| s.server == addr)
        .unwrap_or_else(|| panic!("no row for {addr}"))
}

#[test]
fn the_fork_is_told_from_codis_3_2_by_its_fields_not_its_version() {
    let pika: Overview = common::load_pika("dash_get_topom");
    let codis: Overview = common::load("demo_get_topom");
    // Same version string: it cannot tell them apart.
    assert_eq!(pika.version, codis.version);
    assert_eq!(pika.variant(), Variant::PikaCodis);
    assert_eq!(codis.variant(), Variant::Codis32);
    assert_eq!(pika.stats.variant(), Variant::PikaCodis);
    assert!(!Variant::PikaCodis.has_sentinels());
    assert!(Variant::Codis32.has_sentinels());

    let info = DashboardInfo::from_overview(&pika);
    assert_eq!(info.variant, Variant::PikaCodis);
    assert_eq!(info.slot_count, 1024);
    let failover = info.failover.expect("the fork's failover settings");
    assert_eq!(
        failover.check_master_failover_interval.as_deref(),
        Some("2s")
    );
    assert_eq!(failover.master_dead_check_times, Some(10));
    assert_eq!(
        failover.check_offline_server_interval.as_deref(),
        Some("2s")
    );
    // The fork's encoder drops `sentinel_client_timeout` (two fields share the name).
    assert_eq!(pika.config.sentinel_client_timeout, None);

    let info = DashboardInfo::from_overview(&codis);
    assert_eq!(
        (info.variant, info.slot_count, info.failover),
        (Variant::Codis32, MAX_SLOT_NUM, None)
    );
    assert_eq!(codis.config.sentinel_client_timeout.as_deref(), Some("10s"));
}

#[test]
fn a_product_with_4096_slots_counts_and_maps_all_of_them() {
    let o: Overview = common::load_pika("dash_get_topom__max_slot_num_4096");
    assert_eq!(o.slot_count(), 4096);
    assert_eq!(o.stats.slot_count(), 4096);
    assert_eq!(o.stats.slots.len(), 4096);
    let view = dashboard_view(&o.stats, "pika-demo");
    assert_eq!(view.slots.slot_count, 4096);
    assert_eq!(view.slots.counts.get(&1), Some(&2048));
    assert_eq!(view.slots.counts.get(&2), Some(&2048));
    let live = codis_model::live::LiveView::from_sample(
        "pika-demo",
        1,
        1_000,
        DashboardInfo::from_overview(&o),
        &o.stats,
    );
    assert_eq!(live.slot_owner.len(), 4096);
    assert_eq!(live.slot_owner[4095], 2);

    // Codis 3.2 keeps its 1024.
    let codis: Stats = common::load("demo_get_topom_stats");
    assert_eq!(codis.slot_count(), 1024);
    assert_eq!(dashboard_view(&codis, "codis-demo").slots.slot_count, 1024);
}

#[test]
fn slot_inputs_are_checked_against_the_products_slot_count() {
    assert_eq!(validate::slot_range_of("0", "4095", 4096), Ok((0, 4095)));
    let e = validate::slot_range_of("0", "4096", 4096).unwrap_err();
    assert_eq!(e.to_string(), "end: must be an integer from 0 to 4095");
    assert_eq!(
        validate::slot_count_of("num", "4097", 4096)
            .unwrap_err()
            .to_string(),
        "num: must be an integer from 1 to 4096"
    );
    // A 1024-slot product (Codis 3.2 or the fork's default) refuses 1024, as before.
    assert!(validate::slot_range("0", "1024").is_err());
    let range = Action::SlotsCreateRange {
        beg: "3000".into(),
        end: "3100".into(),
        gid: "2".into(),
    };
    assert_eq!(
        range.dashboard_path_of("X", 4096).unwrap(),
        "slots/action/create-range/X/3000/3100/2"
    );
    assert_eq!(range.validate_of(1024).unwrap_err().field, "beg");
    assert!(range.validate().is_err());
    // A hostile slot count is bounded.
    assert_eq!(
        validate::slot_id_of("sid", "20000", usize::MAX)
            .unwrap_err()
            .to_string(),
        "sid: must be an integer from 0 to 16383"
    );
    assert!(Action::SentinelResyncAll.needs_sentinels());
    assert!(!range.needs_sentinels());
}

#[test]
fn pika_servers_show_role_binlog_and_lag_and_no_made_up_memory_or_keys() {
    // Derived: Pika's own INFO (binlog, eligibility), which redis-server cannot produce.
    let stats = pika_stats("dash_get_topom_stats__pika_servers");
    let view = dashboard_view(&stats, "pika-demo");

    let master = row(&view, "127.0.0.1:9231");
    let p = master.pika.as_ref().expect("fork fields");
    assert_eq!(p.check, ServerCheck::Normal);
    assert_eq!(p.role.as_deref(), Some("master"));
    assert_eq!(
        p.binlog,
        Some(BinlogPosition {
            file_num: 5,
            offset: 90_210
        })
    );
    assert_eq!(p.lag_bytes, None);
    assert!(p.eligible);
    assert_eq!(
        row(&view, "127.0.0.1:9232")
            .pika
            .as_ref()
            .unwrap()
            .lag_bytes,
        Some(2_110)
    );
    assert_eq!(
        row(&view, "127.0.0.1:9233")
            .pika
            .as_ref()
            .unwrap()
            .lag_bytes,
        Some(0)
    );

    // No used_memory, no keyspace: "not reported", never 0 B and never the binlog's "3".
    assert_eq!(master.memory_measure(), Some(Measure::NotReported));
    assert_eq!(master.keys_measure(), Some(Measure::NotReported));
    assert_eq!(master.key_count, None);
    assert!(master.keys.is_empty(), "{:?}", master.keys);
    assert_eq!(master.maxmemory, Some(268_435_456));
    assert_eq!(view.totals.memory_measure, Measure::NotReported);
    assert_eq!(view.totals.keys_measure, Measure::NotReported);
    assert_eq!(view.totals.keys, 0);

    let g2 = view.groups.iter().find(|g| g.id == 2).unwrap();
    let pg = g2.pika.as_ref().unwrap();
    assert!(!pg.electing);
    assert_eq!(pg.candidate.as_deref(), Some("127.0.0.1:9233"));

    // Codis 3.2 rows have none of it and keep their figures.
    let codis: Stats = common::load("demo_get_topom_stats__final_healthy");
    let cv = dashboard_view(&codis, "codis-demo");
    let r = row(&cv, "127.0.0.1:16379");
    assert!(r.pika.is_none() && cv.groups[0].pika.is_none());
    assert!(matches!(r.memory_measure(), Some(Measure::Value(m)) if m > 0));
    assert!(matches!(r.keys_measure(), Some(Measure::Value(k)) if k > 0));
    assert!(matches!(cv.totals.memory_measure, Measure::Value(m) if m == cv.totals.memory));
    assert_eq!(cv.totals.keys_measure, Measure::Value(cv.totals.keys));
    assert_eq!(cv.variant, Variant::Codis32);
}

#[test]
fn a_server_added_but_not_yet_checked_has_no_role() {
    let view = dashboard_view(
        &pika_stats("dash_get_api_topom_stats__server_9224_added_not_checked"),
        "pika-demo",
    );
    let p = row(&view, "127.0.0.1:9224").pika.clone().unwrap();
    assert_eq!(
        (p.role, p.check, p.eligible),
        (None, ServerCheck::Normal, false)
    );
}

/// Feeds samples to one tracker, as the backend's poller does, one second apart.
fn track(names: &[&str], rule: HealthRule) -> Vec<(codis_model::derive::DashboardView, Stats)> {
    let mut t = HealthTracker::new(rule);
    names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let mut stats = pika_stats(name);
            // Each sample is a new dashboard sample (a new unixtime), as they would be live.
            for s in stats.group.stats.values_mut() {
                s.unixtime += i as i64;
            }
            let (view, smoothed) = t.view(stats, "pika-demo", 1_000 * i as u64);
            t.remember(smoothed.clone());
            (view, smoothed)
        })
        .collect()
}

#[test]
fn a_master_the_dashboard_only_suspects_stays_flaky_and_is_an_error_once_offline() {
    let suspected = "dash_get_api_topom_stats__master_9231_suspected";
    let rule = HealthRule {
        samples: 3,
        window_ms: 3_000,
    };
    let views = track(
        &[
            "dash_get_api_topom_stats",
            suspected,
            suspected,
            suspected,
            suspected,
            suspected,
            "dash_get_api_topom_stats__master_9231_offline_no_election",
        ],
        rule,
    );
    for (view, _) in &views[1..6] {
        let r = row(view, "127.0.0.1:9231");
        // Five failed samples: past our own rule (3), but the dashboard has not decided.
        assert_eq!(r.status, Health::Flaky);
        assert_eq!(
            r.error.as_deref(),
            Some("dial tcp 127.0.0.1:9231: connect: connection refused")
        );
        assert_eq!(
            r.pika.as_ref().unwrap().check,
            ServerCheck::Suspected { failed: 4 }
        );
    }
    let (offline, _) = &views[6];
    let r = row(offline, "127.0.0.1:9231");
    assert_eq!(r.status, Health::Error);
    assert_eq!(r.pika.as_ref().unwrap().check, ServerCheck::Offline);
    // Captured with redis-server replicas, which never say they are eligible: nobody can be
    // elected, and the console says so instead of "electing" for ever.
    let g2 = offline.groups.iter().find(|g| g.id == 2).unwrap();
    assert!(g2.out_of_sync);
    let pg = g2.pika.as_ref().unwrap();
    assert!(!pg.electing);
    assert!(pg.election_blocked);
    assert_eq!(pg.candidate, None);
    assert_eq!(pg.last_election, None);

    // With Pika replicas (derived), the same offline master has a candidate: electing.
    let electing = dashboard_view(
        &pika_stats("dash_get_api_topom_stats__master_9231_offline_electing"),
        "pika-demo",
    );
    let pg = electing.groups[1].pika.clone().unwrap();
    assert!(pg.electing && !pg.election_blocked);
    assert_eq!(pg.candidate.as_deref(), Some("127.0.0.1:9233"));

    // Codis 3.2's rule is untouched: a 3.2 server's third failed sample is an error.
    let mut t = HealthTracker::new(rule);
    let mut statuses = Vec::new();
    for (i, name) in [
        "demo_get_topom_stats__final_healthy",
        "demo_get_topom_stats__replica16384_killed",
        "demo_get_topom_stats__replica16384_killed",
        "demo_get_topom_stats__replica16384_killed",
    ]
    .iter()
    .enumerate()
    {
        let mut s: Stats = common::load(name);
        for x in s.group.stats.values_mut() {
            x.unixtime += i as i64;
        }
        let (view, smoothed) = t.view(s, "codis-demo", 1_000 * i as u64);
        t.remember(smoothed);
        statuses.push(row(&view, "127.0.0.1:16384").status);
    }
    assert_eq!(
        statuses,
        [Health::Healthy, Health::Flaky, Health::Flaky, Health::Error]
    );
}

#[test]
fn the_elections_result_is_shown_after_the_master_changed() {
    let views = track(
        &[
            "dash_get_api_topom_stats__master_9231_offline_electing",
            "dash_get_api_topom_stats__master_9231_replaced_by_9233",
        ],
        HealthRule::default(),
    );
    let (after, _) = &views[1];
    let g2 = after.groups.iter().find(|g| g.id == 2).unwrap();
    assert_eq!(g2.servers[0].server, "127.0.0.1:9233");
    let pg = g2.pika.as_ref().unwrap();
    assert!(!pg.electing);
    let e = pg.last_election.as_ref().expect("the election's result");
    assert_eq!(
        (e.new_master.as_str(), e.old_master.as_str(), e.group),
        ("127.0.0.1:9233", "127.0.0.1:9231", 2)
    );
    assert!(e.at_unix > 1_700_000_000, "{}", e.at_unix);
    let new_master = g2.servers[0].pika.as_ref().unwrap();
    assert_eq!(new_master.role.as_deref(), Some("master"));
    let old = row(after, "127.0.0.1:9231").pika.as_ref().unwrap();
    assert_eq!(old.check, ServerCheck::Offline);
    // The replica now follows 9233 and is not behind it.
    assert_eq!(
        row(after, "127.0.0.1:9232")
            .pika
            .as_ref()
            .unwrap()
            .lag_bytes,
        Some(0)
    );
}

#[test]
fn a_replica_offline_leaves_its_group_out_of_sync_without_an_election() {
    let view = dashboard_view(
        &pika_stats("dash_get_api_topom_stats__replica_9222_offline"),
        "pika-demo",
    );
    let g1 = view.groups.iter().find(|g| g.id == 1).unwrap();
    assert!(g1.out_of_sync);
    assert!(!g1.pika.as_ref().unwrap().electing);
    assert_eq!(
        row(&view, "127.0.0.1:9222").pika.as_ref().unwrap().check,
        ServerCheck::Offline
    );
}

#[test]
fn cmdinfo_carries_percentiles_per_command_for_the_asked_interval() {
    for interval in [1, 10, 60, 600, 3600] {
        let c: CmdInfo = common::load_pika(&format!("proxy0_get_api_proxy_cmdinfo_{interval}"));
        assert!(!c.cmd.is_empty());
        assert!(c.cmd.iter().all(|x| x.interval == Some(interval)));
        let hset = c.cmd.iter().find(|x| x.opstr == "HSET").unwrap();
        assert!(hset.tp99 >= hset.tp90 && hset.tp90.is_some());
        assert_eq!(hset.max_delay, Some(0), "never filled by the fork");
    }
    let fallback: CmdInfo = common::load_pika("proxy0_get_api_proxy_cmdinfo_7__falls_back_to_1");
    assert!(fallback.cmd.iter().all(|x| x.interval == Some(1)));
    let stats: codis_model::ProxyStatsData = common::load_pika("proxy0_get_api_proxy_stats");
    assert_eq!(stats.slow_cmd_count, Some(92));
    assert!(stats.ops.cmd.iter().all(|x| x.interval == Some(1)));
}

#[test]
fn the_forks_all_row_is_not_a_command_and_counts_every_call_twice() {
    let c: CmdInfo = common::load_pika("proxy0_get_api_proxy_cmdinfo_1");
    let all = c.all_row().expect("the fork sends an ALL row");
    assert_eq!(c.cmd[0].opstr, codis_model::CMD_ALL);
    assert!(c.commands().all(|x| !x.is_all_row()));
    assert_eq!(c.commands().count(), c.cmd.len() - 1);
    let calls: i64 = c.commands().map(|x| x.calls).sum();
    assert_eq!(all.calls, 2 * calls);
    // Codis 3.2 has no such row.
    let codis: Stats = common::load("demo_get_topom_stats");
    assert!(codis
        .proxy
        .stats
        .values()
        .filter_map(|p| p.stats.as_ref())
        .flat_map(|s| &s.ops.cmd)
        .all(|x| !x.is_all_row()));
}

#[test]
fn a_latency_spike_shows_in_one_second_figures_only() {
    let spike: CmdInfo = common::load_pika("proxy0_get_api_proxy_cmdinfo_1__latency_spike");
    let all = spike.all_row().unwrap();
    assert_eq!(all.delay100ms, Some(1));
    assert!(all.tp100 > all.tp99, "{all:?}");
    // The longer intervals were read under the same pauses and show none of them.
    for interval in [60, 600, 3600] {
        let c: CmdInfo = common::load_pika(&format!("proxy0_get_api_proxy_cmdinfo_{interval}"));
        assert!(c.cmd.iter().all(|x| x.delay50ms == Some(0)), "{interval}");
    }
}

#[test]
fn redis_group_servers_report_roles_and_replication_lag_but_no_binlog() {
    let view = dashboard_view(&pika_stats("dash_get_topom_stats"), "pika-demo");
    let master = row(&view, "127.0.0.1:9231").pika.clone().unwrap();
    assert_eq!(master.role.as_deref(), Some("master"));
    // The fork's binlog fields are 0 for a server with no Pika binlog: not a position.
    assert_eq!(master.binlog, None);
    assert!(!master.eligible && !master.not_replicating);
    for replica in ["127.0.0.1:9232", "127.0.0.1:9233"] {
        let p = row(&view, replica).pika.clone().unwrap();
        assert_eq!((p.role.as_deref(), p.binlog), (Some("slave"), None));
        // master_repl_offset of the master against the replica's slave_repl_offset.
        assert!(p.lag_bytes.is_some_and(|l| l < 100_000), "{replica}: {p:?}");
    }
    let g2 = view.groups.iter().find(|g| g.id == 2).unwrap();
    let pg = g2.pika.as_ref().unwrap();
    assert!(!pg.electing && !pg.election_blocked);
    assert_eq!(pg.candidate, None);
}

#[test]
fn a_replica_that_is_a_master_is_flagged_even_when_the_dashboard_says_synced() {
    let view = dashboard_view(
        &pika_stats("dash_get_api_topom_stats__server_9224_checked_not_replicating"),
        "pika-demo",
    );
    let s = row(&view, "127.0.0.1:9224");
    let p = s.pika.clone().unwrap();
    assert_eq!(
        (p.check, p.role.as_deref()),
        (ServerCheck::Normal, Some("master"))
    );
    assert!(p.not_replicating);
    assert!(
        !row(&view, "127.0.0.1:9222")
            .pika
            .as_ref()
            .unwrap()
            .not_replicating
    );

    // A replica restarted as a master while offline: the fork's repair (`SLAVEOF h p -f`) is
    // refused by redis-server, so the dashboard keeps it offline with its old role "slave";
    // the live sample says master.
    let view = dashboard_view(
        &pika_stats("dash_get_api_topom_stats__replica_9222_restarted_stays_offline"),
        "pika-demo",
    );
    let p = row(&view, "127.0.0.1:9222").pika.clone().unwrap();
    assert_eq!(p.check, ServerCheck::Recovering);
    assert_eq!(p.role.as_deref(), Some("slave"));
    assert!(p.not_replicating);
}

#[test]
fn recall_times_wraps_negative_and_the_server_stays_offline() {
    let view = dashboard_view(
        &pika_stats("dash_get_api_topom_stats__master_9231_offline_recall_times_wrapped"),
        "pika-demo",
    );
    let stats = pika_stats("dash_get_api_topom_stats__master_9231_offline_recall_times_wrapped");
    assert_eq!(stats.group.models[1].servers[0].recall_times, Some(-128));
    let r = row(&view, "127.0.0.1:9231");
    assert_eq!(r.pika.as_ref().unwrap().check, ServerCheck::Offline);
    assert!(view.groups[1].pika.as_ref().unwrap().election_blocked);

    // Restarted (empty): normal again at the next check, no election happened.
    let back = dashboard_view(
        &pika_stats("dash_get_api_topom_stats__master_9231_restarted"),
        "pika-demo",
    );
    let g2 = &back.groups[1];
    assert_eq!(g2.servers[0].server, "127.0.0.1:9231");
    assert_eq!(
        g2.servers[0].pika.as_ref().unwrap().check,
        ServerCheck::Normal
    );
    assert!(!g2.out_of_sync);
    let pg = g2.pika.as_ref().unwrap();
    assert!(!pg.electing && !pg.election_blocked);
}

#[test]
fn the_first_failed_check_suspects_without_counting_and_the_next_ones_desync_the_group() {
    let first = pika_stats("dash_get_api_topom_stats__replica_9222_suspected");
    let view = dashboard_view(&first, "pika-demo");
    let r = row(&view, "127.0.0.1:9222");
    assert_eq!(
        r.pika.as_ref().unwrap().check,
        ServerCheck::Suspected { failed: 0 }
    );
    // The first failure is the pooled connection's EOF (with a stack), not a refused dial.
    assert_eq!(r.error.as_deref(), Some("EOF"));
    assert!(!view.groups[0].out_of_sync);
    // From the first counted failure on, the group is out of sync (here: 4 counted).
    let later = dashboard_view(
        &pika_stats("dash_get_api_topom_stats__master_9231_suspected"),
        "pika-demo",
    );
    assert!(later.groups[1].out_of_sync);
    assert!(!later.groups[1].pika.as_ref().unwrap().electing);
}

#[test]
fn fork_proxies_carry_their_slow_command_count_and_codis_3_2_proxies_none() {
    let stats = pika_stats("dash_get_api_topom_stats");
    let view = dashboard_view(&stats, "pika-demo");
    for p in &view.proxies {
        let sent = stats
            .proxy_sample(&p.token)
            .and_then(|s| s.stats.as_ref())
            .and_then(|d| d.slow_cmd_count);
        assert!(sent.is_some(), "the fixture sends it for {}", p.token);
        assert_eq!(p.slow_cmds, sent, "{}", p.token);
    }
    let codis: Stats = common::load("demo_get_topom_stats__final_healthy");
    let cv = dashboard_view(&codis, "codis-demo");
    assert!(cv.proxies.iter().all(|p| p.slow_cmds.is_none()));
}
