//! How the types encode (as Go would) and how tolerant or strict decoding is.

use codis_model::{
    DashboardError, GoTime, Group, GroupServer, Proxy, ProxyRusage, ProxyStats, RebalancePlan,
    RedisStats, Sentinel, ServerActionState, SlotAction, SlotActionState, SlotMapping, Stats,
};
use serde_json::{json, Value};

fn encode<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).expect("encode")
}

#[test]
fn idle_actions_and_promoting_encode_as_empty_objects() {
    let slot = SlotMapping {
        id: 3,
        group_id: 1,
        action: SlotAction::default(),
    };
    assert_eq!(encode(&slot), json!({"id": 3, "group_id": 1, "action": {}}));
    let group = Group {
        id: 1,
        servers: vec![GroupServer {
            server: "127.0.0.1:16379".into(),
            ..Default::default()
        }],
        ..Default::default()
    };
    assert_eq!(
        encode(&group),
        json!({"id": 1, "servers": [{"server": "127.0.0.1:16379", "datacenter": "",
               "action": {}, "replica_group": false}], "promoting": {}, "out_of_sync": false})
    );
}

#[test]
fn queued_slot_action_encodes_all_three_fields() {
    let a = SlotAction {
        index: 4,
        state: Some(SlotActionState::Pending),
        target_id: 2,
    };
    assert_eq!(
        encode(&a),
        json!({"index": 4, "state": "pending", "target_id": 2})
    );
}

#[test]
fn proxy_id_is_omitted_when_zero_like_the_proxys_own_model() {
    let p = Proxy::default();
    let v = encode(&p);
    assert!(v.get("id").is_none());
    assert!(v.get("jodis_path").is_none());
    assert_eq!(v.get("token"), Some(&json!("")));
    let registered = Proxy {
        id: 2,
        ..Proxy::default()
    };
    assert_eq!(encode(&registered).get("id"), Some(&json!(2)));
}

#[test]
fn sample_fields_are_omitted_when_absent() {
    let timeout = RedisStats {
        unixtime: 5,
        timeout: true,
        ..Default::default()
    };
    assert_eq!(encode(&timeout), json!({"unixtime": 5, "timeout": true}));
    let err = ProxyStats {
        error: Some(DashboardError::new("boom")),
        unixtime: 7,
        ..Default::default()
    };
    assert_eq!(
        encode(&err),
        json!({"error": {"Cause": "boom", "Stack": null}, "unixtime": 7})
    );
    assert_eq!(encode(&Sentinel::default()), json!({"out_of_sync": false}));
}

#[test]
fn integral_floats_encode_as_integers_like_go() {
    let idle = ProxyRusage::default();
    assert_eq!(encode(&idle).get("cpu"), Some(&json!(0)));
    let busy = ProxyRusage {
        cpu: 0.25,
        ..Default::default()
    };
    assert_eq!(encode(&busy).get("cpu"), Some(&json!(0.25)));
}

#[test]
fn unknown_states_are_kept_and_empty_states_are_none() {
    let a: SlotAction =
        serde_json::from_value(json!({"index": 1, "state": "paused", "target_id": 2}))
            .expect("decode");
    assert_eq!(a.state, Some(SlotActionState::Other("paused".into())));
    assert_eq!(encode(&a).get("state"), Some(&json!("paused")));
    let empty: SlotAction = serde_json::from_value(json!({"state": ""})).expect("decode");
    assert_eq!(empty.state, None);
    assert!(empty.is_idle());
    let missing: SlotAction = serde_json::from_value(json!({})).expect("decode");
    assert_eq!(missing, empty);
    let s: GroupServer =
        serde_json::from_value(json!({"server": "a:1", "action": {"state": "synced_failed"}}))
            .expect("decode");
    assert_eq!(s.action.state, Some(ServerActionState::SyncedFailed));
    assert_eq!(s.datacenter, "");
}

#[test]
fn missing_optional_fields_and_nulls_decode_to_defaults() {
    let g: Group = serde_json::from_value(json!({"id": 1, "servers": null})).expect("decode");
    assert!(g.servers.is_empty());
    assert!(!g.is_promoting());
    let s: Stats =
        serde_json::from_value(json!({"slots": [], "group": {"models": null}})).expect("decode");
    assert!(s.group.models.is_empty());
}

#[test]
fn slot_and_group_ids_are_strict() {
    assert!(serde_json::from_value::<SlotMapping>(json!({"id": -1, "group_id": 1})).is_err());
    assert!(serde_json::from_value::<SlotMapping>(json!({"id": 1.5, "group_id": 1})).is_err());
    assert!(serde_json::from_value::<SlotMapping>(json!({"id": 1})).is_err());
    assert!(serde_json::from_value::<Group>(json!({"id": "1"})).is_err());
}

#[test]
fn stats_slots_must_be_indexed_by_slot_id() {
    let ok = json!({"slots": [{"id": 0, "group_id": 1, "action": {}}, {"id": 1, "group_id": 1, "action": {}}]});
    assert!(serde_json::from_value::<Stats>(ok).is_ok());
    let swapped = json!({"slots": [{"id": 1, "group_id": 1, "action": {}}, {"id": 0, "group_id": 1, "action": {}}]});
    let err = serde_json::from_value::<Stats>(swapped)
        .unwrap_err()
        .to_string();
    assert!(err.contains("slots[0] has id 1"), "{err}");
    // Pika's Codis fork sends `max_slot_num` slots (more than Codis 3.2's 1024); past the
    // console's limit (16,384) the document is refused rather than grown into a huge view.
    let fork: Vec<Value> = (0..4096).map(|i| json!({"id": i, "group_id": 0})).collect();
    assert!(serde_json::from_value::<Stats>(json!({ "slots": fork })).is_ok());
    let too_many: Vec<Value> = (0..16_385)
        .map(|i| json!({"id": i, "group_id": 0}))
        .collect();
    assert!(serde_json::from_value::<Stats>(json!({ "slots": too_many })).is_err());
}

#[test]
fn rebalance_plan_keys_are_slot_ids_written_in_go_order() {
    let plan: RebalancePlan =
        serde_json::from_str(r#"{"10": 2, "2": 1, "100": 3}"#).expect("decode");
    assert_eq!(plan.len(), 3);
    assert_eq!(
        serde_json::to_string(&plan).expect("encode"),
        r#"{"10":2,"100":3,"2":1}"#
    );
    // Slot 1024 exists on a bigger product of Pika's Codis fork; 16384 on none.
    assert!(serde_json::from_str::<RebalancePlan>(r#"{"1024": 1}"#).is_ok());
    assert!(serde_json::from_str::<RebalancePlan>(r#"{"16384": 1}"#).is_err());
    assert!(serde_json::from_str::<RebalancePlan>(r#"{"x": 1}"#).is_err());
    assert!(serde_json::from_str::<RebalancePlan>("{}")
        .expect("empty")
        .is_empty());
}

#[test]
fn dashboard_error_without_stack_is_safe_to_forward() {
    let e: DashboardError = serde_json::from_value(json!({
        "Cause": "group-[1] already exists",
        "Stack": [{"Name": "f", "File": "/home/codis/go/src/x.go", "Line": 3}]
    }))
    .expect("decode");
    assert_eq!(e.to_string(), "group-[1] already exists");
    assert_eq!(e.stack.as_ref().map(Vec::len), Some(1));
    assert_eq!(
        encode(&e.without_stack()),
        json!({"Cause": "group-[1] already exists", "Stack": null})
    );
}

#[test]
fn go_time_keeps_the_raw_string() {
    let t: GoTime = serde_json::from_value(json!(
        "2026-11-25 12:13:25.882773389 +0000 UTC m=+0.004448857"
    ))
    .expect("decode");
    assert_eq!(t.wall_clock(), "2026-11-25 12:13:25.882773389 +0000 UTC");
    assert_eq!(
        encode(&t),
        json!("2026-11-25 12:13:25.882773389 +0000 UTC m=+0.004448857")
    );
}
