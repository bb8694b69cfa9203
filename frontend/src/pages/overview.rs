//! Overview: the numbers an operator watches (QPS, sessions, memory, keys), the OPS chart from
//! the backend's history, the dashboard's facts and a health summary of every section.

use codis_model::derive::Health;
use leptos::prelude::*;

use super::use_live;
use crate::app::section_href;
use crate::components::activity::{ActivityPanel, DashboardSettings};
use crate::components::chart::TimeChart;

const WINDOWS: [(f64, &str); 4] = [
    (5.0 * 60e3, "5 min"),
    (15.0 * 60e3, "15 min"),
    (30.0 * 60e3, "30 min"),
    (60.0 * 60e3, "1 h"),
];

#[component]
pub fn OverviewPage() -> impl IntoView {
    let live = use_live();
    let totals = live.totals;
    let window = RwSignal::new(WINDOWS[0].0);
    let series = Signal::derive(move || live.history.with(|h| h.cluster_qps.clone()));
    let loaded = live.loaded;
    let na = move |f: fn(&codis_model::derive::ClusterTotals) -> String| {
        move || {
            if loaded.get() {
                totals.with(f)
            } else {
                "–".into()
            }
        }
    };
    let d = live.dashboard;
    let product = live.product;

    let proxies = Memo::new(move |_| {
        live.proxies.with(|l| {
            let ok = l
                .iter()
                .filter(|p| p.head.with(|r| r.status == Health::Healthy))
                .count();
            (ok, l.len())
        })
    });
    let servers = Memo::new(move |_| {
        live.groups.with(|gs| {
            let mut ok = 0;
            let mut all = 0;
            let mut out = 0;
            for g in gs {
                if g.head.with(|h| h.out_of_sync) {
                    out += 1;
                }
                g.servers.with(|s| {
                    all += s.len();
                    ok += s
                        .iter()
                        .filter(|x| x.head.with(|r| r.status == Health::Healthy))
                        .count();
                });
            }
            (gs.len(), ok, all, out)
        })
    });
    let slots = Memo::new(move |_| {
        live.slots.with(|s| {
            (
                s.counts.get(&0).copied().unwrap_or(0),
                s.action_counts.total(),
                s.progress.fraction(),
            )
        })
    });
    let sentinels = Memo::new(move |_| {
        live.sentinels.with(|l| {
            let ok = l
                .iter()
                .filter(|p| p.row.with(|r| r.status == Health::Healthy))
                .count();
            (ok, l.len())
        })
    });

    view! {
        <section class="stats" aria-label="Totals">
            <div class="stat"><span class="stat-label">"QPS"</span><span class="stat-value" id="stat-qps">{na(|t| t.qps_text.clone())}</span></div>
            <div class="stat"><span class="stat-label">"Sessions"</span><span class="stat-value" id="stat-sessions">{na(|t| t.sessions_text.clone())}</span></div>
            <div class="stat"><span class="stat-label">"Redis memory"</span><span class="stat-value" id="stat-memory">{na(|t| t.memory_text.clone())}</span></div>
            <div class="stat"><span class="stat-label">"Redis keys"</span><span class="stat-value" id="stat-keys">{na(|t| t.keys_text.clone())}</span></div>
        </section>

        <section class="card">
            <div class="card-head">
                <h2>"Operations per second"</h2>
                <div class="seg" role="group" aria-label="Chart window">
                    {WINDOWS.iter().map(|&(ms, label)| view! {
                        <button class="seg-btn" class:active=move || window.get() == ms
                            aria-pressed=move || (window.get() == ms).to_string()
                            on:click=move |_| window.set(ms)>{label}</button>
                    }).collect_view()}
                </div>
            </div>
            <TimeChart series=series window_ms=window.into() label="Cluster operations per second"/>
        </section>

        <div class="two-col">
            <section class="card">
                <h2>"Dashboard"</h2>
                <dl class="facts" id="dashboard-facts">
                    <div><dt>"Product"</dt><dd id="fact-product">{move || product.get()}</dd></div>
                    <div><dt>"Dashboard"</dt><dd id="fact-dashboard">{move || d.with(|d| d.admin_addr.clone())}</dd></div>
                    <div><dt>{move || d.with(|d| if d.coordinator_label.is_empty() { "Coordinator".to_string() } else { format!("Coordinator {}", d.coordinator_label) })}</dt>
                        <dd id="fact-coordinator">{move || d.with(|d| d.coordinator_addr.clone())}</dd></div>
                    <div><dt>"Version"</dt><dd>{move || d.with(|d| d.version.clone())}</dd></div>
                    <div><dt>"Started"</dt><dd>{move || d.with(|d| d.start_time.clone())}</dd></div>
                    <div><dt>"PID"</dt><dd>{move || d.with(|d| d.pid.to_string())}</dd></div>
                    <div><dt>"Migration"</dt><dd>{move || d.with(|d| format!("{}, {} slots in parallel", d.migration_method, d.migration_parallel_slots))}</dd></div>
                </dl>
            </section>
            <section class="card">
                <h2>"Health"</h2>
                <ul class="summary">
                    <li>
                        <a href=move || section_href(&product.get(), "proxies")>"Proxies"</a>
                        <span class=move || { let (ok, n) = proxies.get(); if ok == n { "ok-text" } else { "bad-text" } }>
                            {move || { let (ok, n) = proxies.get(); format!("{ok} of {n} healthy") }}
                        </span>
                    </li>
                    <li>
                        <a href=move || section_href(&product.get(), "groups")>"Groups"</a>
                        <span class=move || { let (_, ok, n, out) = servers.get(); if ok == n && out == 0 { "ok-text" } else { "bad-text" } }>
                            {move || { let (g, ok, n, out) = servers.get();
                                let mut s = format!("{g} groups, {ok} of {n} servers healthy");
                                if out > 0 { s.push_str(&format!(", {out} out of sync")); }
                                s }}
                        </span>
                    </li>
                    <li>
                        <a href=move || section_href(&product.get(), "slots")>"Slots"</a>
                        <span class=move || { if slots.get().0 > 0 { "bad-text" } else { "ok-text" } }>
                            {move || { let (off, act, frac) = slots.get();
                                let mut s = if off > 0 { format!("{off} offline") } else { "all 1024 served".to_string() };
                                if act > 0 { s.push_str(&format!(", {act} migrations queued ({}% done)", codis_model::format::fixed(frac * 100.0, 0))); }
                                s }}
                        </span>
                    </li>
                    <li>
                        <a href=move || section_href(&product.get(), "sentinels")>"Sentinels"</a>
                        <span class=move || { let (ok, n) = sentinels.get(); if ok == n && !live.sentinels_out_of_sync.get() { "ok-text" } else { "bad-text" } }>
                            {move || { let (ok, n) = sentinels.get();
                                let mut s = if n == 0 { "none configured".to_string() } else { format!("{ok} of {n} healthy") };
                                if live.sentinels_out_of_sync.get() { s.push_str(", out of sync"); }
                                s }}
                        </span>
                    </li>
                </ul>
            </section>
        </div>
        <DashboardSettings/>
        <ActivityPanel product=product/>
    }
}
