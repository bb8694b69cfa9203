//! Contract tests: the simulator answers every captured dashboard and proxy request like the
//! real Codis 3.2 did: same status, same JSON structure, same error Cause.
//!
//! Each row names a capture (`fixtures/codis-3.2/NAME.{json,meta}`) and the setup that
//! drives a fresh Small demo into the captured situation. The request (method, path, body) comes
//! from the capture's `.meta`; captured proxy admin ports (11080, 11081, 11082) are mapped to the
//! simulated proxies' real ports.

mod common;

use codis_demo::{DemoDashboard, Fault};
use common::*;
use serde_json::Value;

const STUCK_PROMOTION: &[&str] = &[
    "FAULT proxy-error:1",
    "TRY PUT /api/topom/group/promote/{X}/2/127.0.0.1:16382",
];
const NO_SENTINELS: &[&str] = &[
    "PUT /api/topom/sentinels/del/{X}/127.0.0.1:26379/0",
    "PUT /api/topom/sentinels/del/{X}/127.0.0.1:26380/0",
    "PUT /api/topom/sentinels/del/{X}/127.0.0.1:26381/0",
    "PUT /api/topom/sentinels/resync-all/{X}",
];
/// In the slot captures group 2's replica was not yet a read replica.
const NO_READ_REPLICAS: &[&str] = &["PUT /api/topom/group/replica-groups/{X}/2/127.0.0.1:16382/0"];
const GROUP4: &[&str] = &["PUT /api/topom/group/create/{X}/4"];

/// (capture, setup steps). Steps: `PUT <path>` (must succeed), `TRY PUT <path>` (may fail),
/// `FAULT <fault>`, `CLEAR <fault>`, `ASSIGN <beg>-<end>:<gid>` (slots/assign), `OFFLINE`
/// (every slot offline).
fn cases() -> Vec<(&'static str, Vec<&'static str>)> {
    let none: Vec<&str> = Vec::new();
    let mut v: Vec<(&str, Vec<&str>)> = vec![
        // ---- dashboard reads
        ("demo_get_root_redirect", none.clone()),
        ("demo_get_topom", none.clone()),
        ("demo_get_topom__final_healthy", none.clone()),
        (
            "demo_get_topom__during_migration",
            vec!["PUT /api/topom/slots/action/create-range/{X}/100/299/2"],
        ),
        (
            "demo_get_topom__proxy19001_killed",
            vec!["FAULT proxy-error:1"],
        ),
        ("demo_get_topom_model", none.clone()),
        ("demo_get_api_topom_model", none.clone()),
        ("demo_get_topom_slots", NO_READ_REPLICAS.to_vec()),
        (
            "demo_get_topom_slots__during_migration",
            vec!["PUT /api/topom/slots/action/create-range/{X}/100/299/2"],
        ),
        (
            "demo_get_topom_slots__during_slow_migration",
            vec!["PUT /api/topom/slots/action/create-range/{X}/100/299/2"],
        ),
        ("demo_get_api_topom_slots", NO_READ_REPLICAS.to_vec()),
        (
            "demo_get_api_topom_slots__during_migration",
            vec!["PUT /api/topom/slots/action/create-range/{X}/100/299/2"],
        ),
        ("demo_get_api_topom_slots__err_wrong_xauth", none.clone()),
        ("demo_get_topom_stats", none.clone()),
        ("demo_get_topom_stats__final_healthy", none.clone()),
        (
            "demo_get_topom_stats__proxy19001_killed",
            vec!["FAULT proxy-error:1"],
        ),
        (
            "demo_get_topom_stats__replica16384_killed",
            vec!["FAULT server-down:127.0.0.1:16384"],
        ),
        (
            "demo_get_topom_stats__replica16384_restarted",
            vec![
                "FAULT server-down:127.0.0.1:16384",
                "CLEAR server-down:127.0.0.1:16384",
            ],
        ),
        (
            "demo_get_topom_stats__actions_pending_disabled",
            vec![
                "PUT /api/topom/slots/action/disabled/{X}/1",
                "PUT /api/topom/slots/action/create/{X}/5/2",
                "PUT /api/topom/slots/action/create-some/{X}/2/3/3",
            ],
        ),
        (
            "demo_get_topom_stats__after_promote",
            vec!["PUT /api/topom/group/promote/{X}/1/127.0.0.1:16380"],
        ),
        (
            "demo_get_topom_stats__group2_out_of_sync_replica_group",
            vec!["PUT /api/topom/group/replica-groups/{X}/2/127.0.0.1:16382/1"],
        ),
        (
            "demo_get_topom_stats__group3_replica_removed",
            vec!["PUT /api/topom/group/del/{X}/3/127.0.0.1:16384"],
        ),
        (
            "demo_get_topom_stats__migration_t01",
            vec!["PUT /api/topom/slots/action/create-range/{X}/100/299/2"],
        ),
        (
            "demo_get_topom_stats__slow_migration_t001",
            vec![
                "PUT /api/topom/slots/action/interval/{X}/300000",
                "PUT /api/topom/slots/action/create-range/{X}/100/298/3",
            ],
        ),
        ("demo_get_topom_stats__migration_t05", none.clone()),
        ("demo_get_api_topom_stats", none.clone()),
        ("demo_get_api_topom_stats__gzip", none.clone()),
        ("demo_get_api_topom_stats__final_healthy", none.clone()),
        (
            "demo_get_api_topom_stats__final_healthy__gzip",
            none.clone(),
        ),
        (
            "demo_get_api_topom_stats__proxy19001_killed",
            vec!["FAULT proxy-error:1"],
        ),
        (
            "demo_get_api_topom_stats__replica16384_killed",
            vec!["FAULT server-down:127.0.0.1:16384"],
        ),
        ("demo_get_api_topom_stats__err_wrong_xauth", none.clone()),
        ("demo_get_api_topom_xping", none.clone()),
        ("demo_get_api_topom_xping__err_wrong_xauth", none.clone()),
        (
            "demo_get_api_topom_xping__err_wrong_xauth__gzip",
            none.clone(),
        ),
        ("demo_get_api_topom_group_info__master_16379", none.clone()),
        ("demo_get_api_topom_group_info__replica_16380", none.clone()),
        (
            "demo_get_api_topom_group_info__plain_redis_17379",
            none.clone(),
        ),
        (
            "demo_get_api_topom_group_info__master16383_replica_down",
            vec!["FAULT server-down:127.0.0.1:16384"],
        ),
        (
            "demo_get_api_topom_group_info__err_conn_refused",
            none.clone(),
        ),
        (
            "demo_get_api_topom_group_info__err_replica16384_killed",
            vec!["FAULT server-down:127.0.0.1:16384"],
        ),
        ("demo_get_api_topom_sentinels_info_26379", none.clone()),
        (
            "demo_get_api_topom_sentinels_info_26379_monitored",
            none.clone(),
        ),
        (
            "demo_get_api_topom_sentinels_info_26379_monitored__replica_sdown",
            vec!["FAULT sentinel-sdown:127.0.0.1:16384"],
        ),
        (
            "demo_get_api_topom_sentinels_info__err_conn_refused",
            none.clone(),
        ),
        (
            "demo_get_api_topom_sentinels_info_monitored__err_not_sentinel",
            none.clone(),
        ),
        // ---- proxy admin
        ("proxy19000_get_root_redirect", none.clone()),
        ("proxy19000_get_proxy", NO_READ_REPLICAS.to_vec()),
        ("proxy19000_get_proxy_model", none.clone()),
        ("proxy19000_get_proxy_stats", none.clone()),
        ("proxy19000_get_proxy_slots", NO_READ_REPLICAS.to_vec()),
        ("proxy19000_get_api_proxy_model", none.clone()),
        ("proxy19000_get_api_proxy_xping", none.clone()),
        (
            "proxy19000_get_api_proxy_xping__err_wrong_xauth",
            none.clone(),
        ),
        ("proxy19000_get_api_proxy_slots", NO_READ_REPLICAS.to_vec()),
        (
            "proxy19000_get_api_proxy_slots__err_wrong_xauth",
            none.clone(),
        ),
        ("proxy19000_get_api_proxy_stats__noflags", none.clone()),
        ("proxy19000_get_api_proxy_stats__flags0", none.clone()),
        ("proxy19000_get_api_proxy_stats__flags1_cmds", none.clone()),
        ("proxy19000_get_api_proxy_stats__flags2_slots", none.clone()),
        (
            "proxy19000_get_api_proxy_stats__flags4_runtime",
            none.clone(),
        ),
        ("proxy19000_get_api_proxy_stats__flags7", none.clone()),
        (
            "proxy19000_get_api_proxy_stats__flags4294967295_full",
            none.clone(),
        ),
        ("proxy19000_get_api_proxy_stats__gzip", none.clone()),
        (
            "proxy19000_get_api_proxy_stats__err_wrong_xauth",
            none.clone(),
        ),
        (
            "proxy19000_get_api_proxy_stats__err_flags_not_integer",
            none.clone(),
        ),
        ("proxy19001_get_api_proxy_stats__noflags", none.clone()),
        ("proxy19001_get_proxy_stats", none.clone()),
        (
            "proxy19001_offline__get_proxy",
            vec!["PUT /api/topom/proxy/remove/{X}/28a6da90f4425c690e44d01055334654/0"],
        ),
        (
            "proxy19001_offline__get_proxy_stats",
            vec!["PUT /api/topom/proxy/remove/{X}/28a6da90f4425c690e44d01055334654/0"],
        ),
        // ---- group actions
        (
            "put_group_create__ok",
            vec![
                "ASSIGN 0-341:2",
                "PUT /api/topom/group/del/{X}/1/127.0.0.1:16380",
                "PUT /api/topom/group/del/{X}/1/127.0.0.1:16379",
                "PUT /api/topom/group/remove/{X}/1",
            ],
        ),
        ("put_group_create__err_already_exists", none.clone()),
        ("put_group_create__err_already_exists__gzip", none.clone()),
        ("put_group_create__err_get_method_404", none.clone()),
        ("put_group_create__err_gid_10000_out_of_range", none.clone()),
        ("put_group_create__err_gid_not_integer", none.clone()),
        ("put_group_create__err_gid_zero_out_of_range", none.clone()),
        ("put_group_create__err_missing_gid_404", none.clone()),
        ("put_group_create__err_wrong_xauth", none.clone()),
        ("put_group_remove__ok_empty_group", GROUP4.to_vec()),
        ("put_group_remove__err_group_has_servers", none.clone()),
        ("put_group_remove__err_group_not_exist", none.clone()),
        ("put_group_remove__err_wrong_xauth", none.clone()),
        (
            "put_group_add__ok",
            vec![
                "PUT /api/topom/group/promote/{X}/1/127.0.0.1:16380",
                "PUT /api/topom/group/del/{X}/1/127.0.0.1:16379",
            ],
        ),
        (
            "put_group_add_datacenter__ok",
            vec!["PUT /api/topom/group/del/{X}/3/127.0.0.1:16384"],
        ),
        ("put_group_add__err_bad_addr_no_port", none.clone()),
        ("put_group_add__err_conn_refused", none.clone()),
        ("put_group_add__err_gid_not_integer", none.clone()),
        ("put_group_add__err_group_not_exist", none.clone()),
        (
            "put_group_add__err_group_promoting",
            STUCK_PROMOTION.to_vec(),
        ),
        ("put_group_add__err_plain_redis_not_codis", none.clone()),
        ("put_group_add__err_server_already_exists", none.clone()),
        ("put_group_add__err_wrong_xauth", none.clone()),
        ("put_group_del__ok_replica", none.clone()),
        ("put_group_del__err_group_not_exist", none.clone()),
        (
            "put_group_del__err_group_promoting",
            STUCK_PROMOTION.to_vec(),
        ),
        ("put_group_del__err_master_in_use", none.clone()),
        ("put_group_del__err_server_not_in_group", none.clone()),
        ("put_group_del__err_wrong_xauth", none.clone()),
        ("put_group_promote__ok", none.clone()),
        (
            "put_group_promote__ok_during_migration_between_slots_executor_idle",
            vec!["PUT /api/topom/slots/action/create-range/{X}/100/110/2"],
        ),
        (
            "put_group_promote__ok_during_slow_migration_uninvolved_group3",
            none.clone(),
        ),
        (
            "put_group_promote__ok_restore_original_master",
            vec!["PUT /api/topom/group/promote/{X}/1/127.0.0.1:16380"],
        ),
        (
            "put_group_promote__ok_resume_stuck_promotion",
            [STUCK_PROMOTION, &["CLEAR proxy-error:1"]].concat(),
        ),
        (
            "put_group_promote__err_dead_proxy_leaves_group_promoting",
            vec!["FAULT proxy-error:1"],
        ),
        (
            "put_group_promote__err_not_in_group_empty_group",
            GROUP4.to_vec(),
        ),
        ("put_group_promote__err_promote_master", none.clone()),
        (
            "put_group_promote__err_promoting_other_index",
            STUCK_PROMOTION.to_vec(),
        ),
        ("put_group_promote__err_server_not_in_group", none.clone()),
        ("put_group_promote__err_wrong_xauth", none.clone()),
        ("put_group_replica_groups__ok_enable", none.clone()),
        (
            "put_group_replica_groups__err_group_not_exist",
            none.clone(),
        ),
        (
            "put_group_replica_groups__err_group_promoting",
            STUCK_PROMOTION.to_vec(),
        ),
        (
            "put_group_replica_groups__err_server_not_in_group",
            none.clone(),
        ),
        (
            "put_group_replica_groups__err_value_not_integer",
            none.clone(),
        ),
        ("put_group_replica_groups__err_wrong_xauth", none.clone()),
        ("put_group_replica_groups_all__ok_enable", none.clone()),
        ("put_group_replica_groups_all__ok_disable", none.clone()),
        (
            "put_group_replica_groups_all__err_group_promoting",
            STUCK_PROMOTION.to_vec(),
        ),
        (
            "put_group_replica_groups_all__err_value_not_integer",
            none.clone(),
        ),
        (
            "put_group_replica_groups_all__err_wrong_xauth",
            none.clone(),
        ),
        ("put_group_resync__ok", none.clone()),
        (
            "put_group_resync__err_dead_proxy",
            vec!["FAULT proxy-error:1"],
        ),
        ("put_group_resync__err_gid_not_integer", none.clone()),
        ("put_group_resync__err_group_not_exist", none.clone()),
        ("put_group_resync__err_wrong_xauth", none.clone()),
        ("put_group_resync_all__ok", none.clone()),
        (
            "put_group_resync_all__err_dead_proxy",
            vec!["FAULT proxy-error:1"],
        ),
        ("put_group_resync_all__err_wrong_xauth", none.clone()),
        ("put_group_action_create__ok", none.clone()),
        (
            "put_group_action_create__err_already_pending",
            vec!["PUT /api/topom/group/action/create/{X}/127.0.0.1:16384"],
        ),
        (
            "put_group_action_create__err_group_promoting",
            STUCK_PROMOTION.to_vec(),
        ),
        (
            "put_group_action_create__err_server_not_exist",
            none.clone(),
        ),
        ("put_group_action_create__err_wrong_xauth", none.clone()),
        (
            "put_group_action_remove__ok_cancel_pending",
            vec!["PUT /api/topom/group/action/create/{X}/127.0.0.1:16384"],
        ),
        ("put_group_action_remove__ok_clear_synced", none.clone()),
        (
            "put_group_action_remove__err_no_action",
            vec!["PUT /api/topom/group/action/remove/{X}/127.0.0.1:16380"],
        ),
        (
            "put_group_action_remove__err_server_not_exist",
            none.clone(),
        ),
        ("put_group_action_remove__err_wrong_xauth", none.clone()),
        // ---- proxies
        (
            "put_proxy_create__ok",
            vec!["PUT /api/topom/proxy/remove/{X}/646b55f57361986ddcdefe74dfb0c2da/0"],
        ),
        ("put_proxy_create__err_already_exists", none.clone()),
        ("put_proxy_create__err_conn_refused", none.clone()),
        ("put_proxy_create__err_not_a_proxy_redis_port", none.clone()),
        ("put_proxy_create__err_other_product_proxy", none.clone()),
        ("put_proxy_create__err_wrong_xauth", none.clone()),
        ("put_proxy_online__ok", none.clone()),
        ("put_proxy_online__ok_again_existing", none.clone()),
        ("put_proxy_online__err_conn_refused", none.clone()),
        ("put_proxy_online__err_wrong_xauth", none.clone()),
        ("put_proxy_reinit__ok", none.clone()),
        (
            "put_proxy_reinit__err_dead_proxy",
            vec!["FAULT proxy-error:1"],
        ),
        ("put_proxy_reinit__err_unknown_token", none.clone()),
        ("put_proxy_reinit__err_wrong_xauth", none.clone()),
        ("put_proxy_remove__ok_live_proxy", none.clone()),
        (
            "put_proxy_remove__ok_dead_proxy_force",
            vec!["FAULT proxy-error:1"],
        ),
        (
            "put_proxy_remove__err_dead_proxy_no_force",
            vec!["FAULT proxy-error:1"],
        ),
        ("put_proxy_remove__err_force_not_integer", none.clone()),
        ("put_proxy_remove__err_unknown_token", none.clone()),
        ("put_proxy_remove__err_wrong_xauth", none.clone()),
        // ---- slots
        ("put_slots_action_create__ok", none.clone()),
        (
            "put_slots_action_create__err_action_already_exists",
            vec!["PUT /api/topom/slots/action/create/{X}/5/2"],
        ),
        (
            "put_slots_action_create__err_already_in_group",
            none.clone(),
        ),
        ("put_slots_action_create__err_group_not_exist", none.clone()),
        (
            "put_slots_action_create__err_slot_1024_not_exist",
            none.clone(),
        ),
        ("put_slots_action_create__err_slot_negative", none.clone()),
        (
            "put_slots_action_create__err_target_group_empty",
            GROUP4.to_vec(),
        ),
        ("put_slots_action_create__err_wrong_xauth", none.clone()),
        (
            "put_slots_action_create_range__ok_100_299_to_group2",
            none.clone(),
        ),
        (
            "put_slots_action_create_range__ok_100_298_to_group1",
            vec!["ASSIGN 100-298:2"],
        ),
        (
            "put_slots_action_create_range__err_group_not_exist",
            none.clone(),
        ),
        (
            "put_slots_action_create_range__err_invalid_range_end_1024",
            none.clone(),
        ),
        (
            "put_slots_action_create_range__err_invalid_range_end_lt_beg",
            none.clone(),
        ),
        (
            "put_slots_action_create_range__err_overlaps_running_migration",
            vec!["PUT /api/topom/slots/action/create-range/{X}/250/255/2"],
        ),
        (
            "put_slots_action_create_range__err_slot_action_already_exists",
            vec!["PUT /api/topom/slots/action/create/{X}/342/1"],
        ),
        (
            "put_slots_action_create_range__err_slot_already_in_group",
            none.clone(),
        ),
        (
            "put_slots_action_create_range__err_target_group_empty",
            GROUP4.to_vec(),
        ),
        (
            "put_slots_action_create_range__err_wrong_xauth",
            none.clone(),
        ),
        ("put_slots_action_create_some__ok", none.clone()),
        (
            "put_slots_action_create_some__ok_zero_matching_src_group_9",
            none.clone(),
        ),
        (
            "put_slots_action_create_some__err_dst_group_not_exist",
            none.clone(),
        ),
        (
            "put_slots_action_create_some__err_num_not_integer",
            none.clone(),
        ),
        (
            "put_slots_action_create_some__err_target_group_empty",
            GROUP4.to_vec(),
        ),
        (
            "put_slots_action_create_some__err_wrong_xauth",
            none.clone(),
        ),
        (
            "put_slots_action_remove__ok_cancel_pending",
            vec!["PUT /api/topom/slots/action/create/{X}/5/2"],
        ),
        (
            "put_slots_action_remove__ok_cancel_pending_during_migration",
            vec!["PUT /api/topom/slots/action/create-range/{X}/100/299/2"],
        ),
        // The capture was taken after slot 112 had finished migrating: no action left.
        (
            "put_slots_action_remove__err_action_not_pending",
            none.clone(),
        ),
        ("put_slots_action_remove__err_no_action", none.clone()),
        ("put_slots_action_remove__err_sid_not_integer", none.clone()),
        ("put_slots_action_remove__err_slot_not_exist", none.clone()),
        ("put_slots_action_remove__err_wrong_xauth", none.clone()),
        ("put_slots_action_interval__ok", none.clone()),
        (
            "put_slots_action_interval__ok_300ms_for_slow_migration",
            none.clone(),
        ),
        (
            "put_slots_action_interval__ok_clamped_to_1000000",
            none.clone(),
        ),
        ("put_slots_action_interval__err_not_integer", none.clone()),
        ("put_slots_action_interval__err_wrong_xauth", none.clone()),
        ("put_slots_action_disabled__ok_disable", none.clone()),
        ("put_slots_action_disabled__ok_enable", none.clone()),
        (
            "put_slots_action_disabled__ok_pause_during_migration",
            none.clone(),
        ),
        (
            "put_slots_action_disabled__ok_resume_migration",
            none.clone(),
        ),
        ("put_slots_action_disabled__err_not_integer", none.clone()),
        ("put_slots_action_disabled__err_wrong_xauth", none.clone()),
        ("put_slots_assign__err_target_group_empty", GROUP4.to_vec()),
        ("put_slots_rebalance__ok_preview", vec!["OFFLINE"]),
        ("put_slots_rebalance__ok_confirm", vec!["OFFLINE"]),
        ("put_slots_rebalance__err_confirm_not_integer", none.clone()),
        ("put_slots_rebalance__err_wrong_xauth", none.clone()),
        // ---- sentinels
        (
            "put_sentinels_add__ok",
            vec!["PUT /api/topom/sentinels/del/{X}/127.0.0.1:26379/0"],
        ),
        ("put_sentinels_add__err_already_exists", none.clone()),
        ("put_sentinels_add__err_bad_addr", none.clone()),
        ("put_sentinels_add__err_conn_refused", none.clone()),
        (
            "put_sentinels_add__err_not_a_sentinel_codis_server",
            none.clone(),
        ),
        ("put_sentinels_add__err_wrong_xauth", none.clone()),
        ("put_sentinels_del__ok", none.clone()),
        (
            "put_sentinels_del__ok_dead_sentinel_force",
            vec!["FAULT sentinel-down:127.0.0.1:26381"],
        ),
        (
            "put_sentinels_del__err_dead_sentinel_no_force",
            vec!["FAULT sentinel-down:127.0.0.1:26381"],
        ),
        ("put_sentinels_del__err_force_not_integer", none.clone()),
        (
            "put_sentinels_del__err_not_found",
            vec!["PUT /api/topom/sentinels/del/{X}/127.0.0.1:26381/0"],
        ),
        ("put_sentinels_del__err_wrong_xauth", none.clone()),
        ("put_sentinels_resync_all__ok", none.clone()),
        (
            "put_sentinels_resync_all__err_dead_proxy",
            vec!["FAULT proxy-error:1"],
        ),
        ("put_sentinels_resync_all__err_wrong_xauth", none.clone()),
        // ---- misc
        ("put_reload__ok", none.clone()),
        ("put_reload__err_wrong_xauth", none.clone()),
        ("put_loglevel__ok", none.clone()),
        ("put_loglevel__ok_lowercase", none.clone()),
        ("put_loglevel__err_invalid_level", none.clone()),
        ("put_loglevel__err_wrong_xauth", none.clone()),
        ("put_shutdown__err_wrong_xauth", none.clone()),
    ];
    v.push((
        "demo_get_topom_stats__rebalance_just_started",
        [
            NO_SENTINELS,
            &["OFFLINE", "PUT /api/topom/slots/rebalance/{X}/1"][..],
        ]
        .concat(),
    ));
    v.push((
        "demo_get_topom_stats__sync_actions_synced",
        NO_SENTINELS.to_vec(),
    ));
    v
}

/// Captured proxy admin ports -> the simulated proxies' ports.
fn port_map(demo: &DemoDashboard) -> Vec<(String, String)> {
    let a = demo.addresses();
    vec![
        ("127.0.0.1:11080".to_owned(), a.proxies[0].clone()),
        ("127.0.0.1:11081".to_owned(), a.proxies[1].clone()),
        ("127.0.0.1:11082".to_owned(), a.foreign_proxy.clone()),
    ]
}

fn subst(text: &str, map: &[(String, String)]) -> String {
    map.iter()
        .fold(text.to_owned(), |t, (from, to)| t.replace(from, to))
}

async fn setup(demo: &DemoDashboard, steps: &[&str]) {
    for step in steps {
        let (verb, arg) = step.split_once(' ').unwrap_or((step, ""));
        match verb {
            "PUT" => {
                put_ok(demo, arg).await;
            }
            "TRY" => {
                put(demo, arg.trim_start_matches("PUT ")).await;
            }
            "FAULT" => demo.set_fault(arg.parse::<Fault>().unwrap()),
            "CLEAR" => demo.clear_fault(&arg.parse::<Fault>().unwrap()),
            "ASSIGN" => {
                let (range, gid) = arg.split_once(':').unwrap();
                let (beg, end) = range.split_once('-').unwrap();
                let (beg, end): (u32, u32) = (beg.parse().unwrap(), end.parse().unwrap());
                let body: Vec<Value> = (beg..=end)
                    .map(
                        |id| serde_json::json!({"id": id, "group_id": gid.parse::<u32>().unwrap()}),
                    )
                    .collect();
                let url = format!(
                    "{}/api/topom/slots/assign/{}",
                    demo.base_url(),
                    demo.xauth()
                );
                let r = call("PUT", &url, Some(Value::Array(body).to_string()), false).await;
                assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
            }
            "OFFLINE" => {
                let body: Vec<Value> = (0..1024)
                    .map(|id| serde_json::json!({"id": id, "group_id": 0}))
                    .collect();
                let url = format!(
                    "{}/api/topom/slots/assign/{}/offline",
                    demo.base_url(),
                    demo.xauth()
                );
                let r = call("PUT", &url, Some(Value::Array(body).to_string()), false).await;
                assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
            }
            other => panic!("unknown setup step {other}"),
        }
    }
}

async fn check(name: &str, steps: &[&str]) -> Result<(), String> {
    let demo = frozen().await;
    setup(&demo, steps).await;
    let meta = meta(name);
    let map = port_map(&demo);
    let host = if meta.path.contains("/api/proxy")
        || meta.path.starts_with("/proxy")
        || name.starts_with("proxy")
    {
        let idx = if name.starts_with("proxy19001") { 1 } else { 0 };
        format!("http://{}", demo.addresses().proxies[idx])
    } else {
        demo.base_url()
    };
    let url = format!("{host}{}", subst(&meta.path, &map));
    let gzip = meta.content_encoding.as_deref() == Some("gzip");
    let reply = call(&meta.method, &url, meta.request_body.clone(), gzip).await;
    if reply.status != meta.status {
        return Err(format!(
            "{name}: status {} (expected {}): {}",
            reply.status,
            meta.status,
            String::from_utf8_lossy(&reply.body)
        ));
    }
    if gzip
        && reply
            .headers
            .get("content-encoding")
            .is_none_or(|v| v != "gzip")
    {
        return Err(format!("{name}: response not gzip-encoded"));
    }
    if let Some(loc) = &meta.location {
        if reply
            .headers
            .get("location")
            .is_none_or(|v| v != loc.as_str())
        {
            return Err(format!(
                "{name}: Location {:?}, expected {loc}",
                reply.headers.get("location")
            ));
        }
        return Ok(());
    }
    if meta.status == 404 {
        return (reply.body == b"404 page not found\n")
            .then_some(())
            .ok_or(format!("{name}: 404 body"));
    }
    let Some(expected) = body(name) else {
        return Ok(());
    };
    let ct = reply
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if ct != "application/json; charset=utf-8" {
        return Err(format!("{name}: content-type {ct}"));
    }
    let actual = reply.json();
    same_shape(&expected, &actual, name)?;
    if meta.status == 800 {
        let want = subst(expected["Cause"].as_str().unwrap_or(""), &map);
        let got = subst(&reply.cause(), &map);
        if want != got {
            return Err(format!("{name}: Cause {got:?}, expected {want:?}"));
        }
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_captured_route_answers_with_the_captured_status_structure_and_cause() {
    let mut failures = Vec::new();
    let cases = cases();
    for (name, steps) in &cases {
        if let Err(e) = check(name, steps).await {
            failures.push(e);
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_err_capture_of_the_action_matrix_is_covered() {
    // Every `put_*` capture (the 2.8 action matrix and its refusals) has a row above.
    let covered: Vec<&str> = cases().iter().map(|(n, _)| *n).collect();
    let index = std::fs::read_to_string(fixtures_dir().join("INDEX.tsv")).unwrap();
    let missing: Vec<&str> = index
        .lines()
        .skip(1)
        .filter_map(|l| l.split('\t').next())
        .filter(|n| n.starts_with("put_") && !covered.contains(n))
        .collect();
    assert!(
        missing.is_empty(),
        "captures without a contract row: {missing:?}"
    );
}
