//! The browser reads what the backend writes through the same serde derives (the console decodes
//! with serde_json; `codis_model::wire`'s second list of fields is gone). These tests write every
//! live event built from the captured stats samples as the backend does and read it back as the
//! browser does: a field skipped when empty must come back as its default, so the value is equal.

use codis_fixtures as common;

use codis_model::live::{DashboardInfo, LiveState, LiveStatus, LiveUpdate, LiveView};
use codis_model::Stats;
use serde::de::DeserializeOwned;
use serde::Serialize;

fn read_back<T>(v: &T) -> String
where
    T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let json = serde_json::to_string(v).expect("the backend writes it");
    let back: T = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json}"));
    assert_eq!(&back, v, "{json}");
    json
}

#[test]
fn every_snapshot_and_update_of_the_captured_samples_reads_back_as_written() {
    let samples: Vec<(String, Stats)> = common::all_captures()
        .into_iter()
        .filter(|c| c.name.contains("topom_stats") && c.meta.status == 200 && c.meta.is_json())
        .map(|c| {
            let stats =
                serde_json::from_slice(&c.body).unwrap_or_else(|e| panic!("{}: {e}", c.name));
            (c.name, stats)
        })
        .collect();
    assert!(samples.len() >= 5, "stats captures: {}", samples.len());
    let mut prev: Option<LiveView> = None;
    for (i, (name, stats)) in samples.iter().enumerate() {
        let info = DashboardInfo {
            admin_addr: "127.0.0.1:18080".into(),
            version: "3.2.2 \"quoted\" \\ \u{e9}\u{1F600}\n".into(),
            coordinator_label: "[Zookeeper]".into(),
            migration_parallel_slots: 100,
            pid: 4242,
            ..DashboardInfo::default()
        };
        let seq = i as u64 + 1;
        let mut view = LiveView::from_sample("codis-demo", seq, 1_000 * seq, info, stats);
        view.status = LiveStatus {
            state: LiveState::Unreachable,
            message: Some("the dashboard at 127.0.0.1:18080 cannot be reached".into()),
            cause: Some(codis_model::cause_id::CauseId::DashboardUnreachable {
                addr: "127.0.0.1:18080".into(),
            }),
            last_ok_ms: Some(12),
        };
        if let Some(old) = &prev {
            let mut hist = old.clone();
            hist.apply(&LiveUpdate::between(old, &view), 1000, 600);
            view.history = hist.history.clone();
            read_back(&LiveUpdate::between(old, &view));
            read_back(&LiveUpdate::between(&view, old));
        }
        let json = read_back(&view);
        assert!(json.contains("\"seq\""), "{name}");
        read_back(&view.status);
        prev = Some(view);
    }
}
