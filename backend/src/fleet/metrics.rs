//! The fleet's part of `GET /metrics`: migration progress (issue 16, item 2) and the alerts
//! firing (item 4b), for every product the fleet poller reads (while it runs: someone watches
//! the fleet, or `--alerts` keeps it on). A scrape never starts the poller (see
//! `crate::live::metrics`).

use std::sync::atomic::Ordering;

use codis_model::alerts::AlertState;

use super::Fleet;
use crate::live::metrics::Family;

/// Appends the fleet's families to `out`.
pub fn render(fleet: &Fleet, out: &mut String) {
    let mut done = Family::new(
        "codis_slot_migration_done",
        "gauge",
        "Slots of the current migration already moved.",
    );
    let mut queued = Family::new(
        "codis_slot_migration_queued",
        "gauge",
        "Slots with a migration action still queued or running.",
    );
    let mut rate = Family::new(
        "codis_slot_migration_rate_per_minute",
        "gauge",
        "Slots migrated per minute over the last minute (absent until measured).",
    );
    let mut eta = Family::new(
        "codis_slot_migration_eta_seconds",
        "gauge",
        "Seconds until the queued slots are migrated at the current rate (absent without a rate).",
    );
    let mut stuck = Family::new(
        "codis_slot_migration_stuck",
        "gauge",
        "1 when slots are queued and none has moved for --stuck-after.",
    );
    let mut firing = Family::new(
        "codis_fe_alert_firing",
        "gauge",
        "1 for every alert firing (see GET /api/alerts), labelled by product, alert, severity and item.",
    );
    let mut reads = Family::new(
        "codis_fe_fleet_reads_total",
        "counter",
        "Dashboard reads made by the fleet poller.",
    );
    let mut reused = Family::new(
        "codis_fe_fleet_reused_total",
        "counter",
        "Fleet rows taken from a product's running live poller instead of a read.",
    );
    let mut watchers = Family::new(
        "codis_fe_fleet_subscribers",
        "gauge",
        "Browsers subscribed to the fleet stream.",
    );
    reads.add(Vec::new(), fleet.reads.load(Ordering::Relaxed) as f64);
    reused.add(Vec::new(), fleet.reused.load(Ordering::Relaxed) as f64);
    watchers.add(Vec::new(), fleet.subscribers() as f64);
    if fleet.is_running() {
        for row in &fleet.view().rows {
            let p = || vec![("product", row.product.clone())];
            let m = &row.migration;
            done.add(p(), f64::from(m.done));
            queued.add(p(), f64::from(m.queued));
            stuck.add(p(), if m.stuck { 1.0 } else { 0.0 });
            if let Some(r) = m.rate_per_min {
                rate.add(p(), r);
            }
            if let Some(s) = m.eta_secs {
                eta.add(p(), s as f64);
            }
        }
        for a in fleet.alerts.all() {
            if a.state != AlertState::Firing {
                continue;
            }
            let mut labels = vec![
                ("product", a.product.clone()),
                ("alert", a.rule.clone()),
                ("severity", a.severity.clone()),
            ];
            for (k, v) in &a.labels {
                if let Some(k) = label_name(k) {
                    labels.push((k, v.clone()));
                }
            }
            firing.add(labels, 1.0);
        }
    }
    for f in [
        &done, &queued, &rate, &eta, &stuck, &firing, &reads, &reused, &watchers,
    ] {
        f.write(out);
    }
}

/// The alert labels `/metrics` carries (the rules' own, a fixed set).
fn label_name(k: &str) -> Option<&'static str> {
    Some(match k {
        "proxy" => "proxy",
        "token" => "token",
        "group" => "group",
        "server" => "server",
        "sentinel" => "sentinel",
        _ => return None,
    })
}
