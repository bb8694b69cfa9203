//! Overview: the numbers an operator watches (QPS, sessions, memory, keys), the history chart
//! (the cluster's QPS, or one proxy's QPS, or one group's memory or keys: every series the
//! backend keeps), the dashboard's facts and a health summary of every section.

use codis_model::derive::Measure;
use codis_model::live::{History, Series};
use codis_model::GroupId;
use leptos::prelude::*;

use super::use_live;
use crate::app::section_href;
use crate::components::activity::{ActivityPanel, DashboardSettings};
use crate::components::chart::TimeChart;
use crate::core::live::Live;
use crate::core::nav::Nav;
use crate::tr;

/// The series the chart draws; in the URL as `?chart=` (absent for the cluster's QPS).
#[derive(Clone, Debug, PartialEq)]
enum Pick {
    ClusterQps,
    ProxyQps(String),
    GroupMemory(GroupId),
    GroupKeys(GroupId),
}

impl Pick {
    fn parse(s: &str) -> Pick {
        let gid = |g: &str| g.parse::<GroupId>().ok();
        match s.split_once(':') {
            Some(("proxy", t)) => Pick::ProxyQps(t.to_owned()),
            Some(("memory", g)) => gid(g).map_or(Pick::ClusterQps, Pick::GroupMemory),
            Some(("keys", g)) => gid(g).map_or(Pick::ClusterQps, Pick::GroupKeys),
            _ => Pick::ClusterQps,
        }
    }

    fn key(&self) -> String {
        match self {
            Pick::ClusterQps => "qps".into(),
            Pick::ProxyQps(t) => format!("proxy:{t}"),
            Pick::GroupMemory(g) => format!("memory:{g}"),
            Pick::GroupKeys(g) => format!("keys:{g}"),
        }
    }

    fn series(&self, h: &History) -> Series {
        match self {
            Pick::ClusterQps => Some(&h.cluster_qps),
            Pick::ProxyQps(t) => h.proxy_qps.get(t),
            Pick::GroupMemory(g) => h.group_memory.get(g),
            Pick::GroupKeys(g) => h.group_keys.get(g),
        }
        .cloned()
        .unwrap_or_default()
    }
}

/// Every series there is, as (key, name): the cluster, each proxy, each group's memory and keys.
/// Keys rather than [`Pick`]s in the signals: every new signal type adds its own copy of the
/// reactive code to the WASM.
fn picks(live: &Live) -> Vec<(String, String)> {
    let mut out = vec![(Pick::ClusterQps.key(), tr!(overview.cluster_qps))];
    live.proxies.with(|ps| {
        for p in ps {
            let addr = p.head.with(|r| r.proxy_addr.clone());
            out.push((
                Pick::ProxyQps(p.key.clone()).key(),
                tr!(overview.proxy_qps, addr),
            ));
        }
    });
    live.groups.with(|gs| {
        for g in gs {
            out.push((
                Pick::GroupMemory(g.id).key(),
                tr!(overview.group_memory, gid = g.id),
            ));
        }
        for g in gs {
            out.push((
                Pick::GroupKeys(g.id).key(),
                tr!(overview.group_keys, gid = g.id),
            ));
        }
    });
    out
}

/// The chart's windows, in minutes (labelled by `codis_model::ui::locale::window`).
const WINDOWS: [(f64, u32); 4] = [
    (5.0 * 60e3, 5),
    (15.0 * 60e3, 15),
    (30.0 * 60e3, 30),
    (60.0 * 60e3, 60),
];

#[component]
pub fn OverviewPage() -> impl IntoView {
    let live = use_live();
    let totals = live.totals;
    // The window and the series are in the URL, so a reload or a shared link shows the same chart.
    let window = RwSignal::new(
        Nav::query("window")
            // An integer: parsing an f64 would link core's float parser (~13 KB of WASM).
            .and_then(|m| m.parse::<u32>().ok())
            .map(|m| f64::from(m) * 60e3)
            .filter(|ms| WINDOWS.iter().any(|w| w.0 == *ms))
            .unwrap_or(WINDOWS[0].0),
    );
    // The chosen series, by its key (see `Pick::key`).
    let pick = RwSignal::new(
        Nav::query("chart").map_or_else(|| Pick::ClusterQps.key(), |s| Pick::parse(&s).key()),
    );
    Effect::new(move |_| {
        let minutes = (window.get() / 60e3) as u32;
        Nav::set_query(
            "window",
            (window.get() != WINDOWS[0].0)
                .then(|| minutes.to_string())
                .as_deref(),
        );
        let key = pick.with(|p| (Pick::parse(p) != Pick::ClusterQps).then(|| p.clone()));
        Nav::set_query("chart", key.as_deref());
    });
    // The page stays when another product is chosen, whose proxies and groups are others: back
    // to the cluster's QPS then.
    Effect::new(move |before: Option<String>| {
        let product = live.product.get();
        if before.is_some_and(|b| b != product) {
            pick.set(Pick::ClusterQps.key());
        }
        product
    });
    let choices = Memo::new(move |_| picks(&live));
    let series =
        Signal::derive(move || pick.with(|p| live.history.with(|h| Pick::parse(p).series(h))));
    let chart_label = Signal::derive(move || {
        pick.with(|p| choices.with(|c| c.iter().find(|(k, _)| k == p).map(|(_, l)| l.clone())))
            .unwrap_or_else(|| tr!(overview.no_series))
    });
    let bytes =
        Signal::derive(move || pick.with(|p| matches!(Pick::parse(p), Pick::GroupMemory(_))));
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
    // Pika's fork reports no used_memory and no keyspace: "not reported", never "0 B" or "0".
    let memory = move || {
        if !loaded.get() {
            return "–".into();
        }
        totals.with(|t| match t.memory_measure {
            Measure::NotReported => tr!(pika.not_reported),
            Measure::Value(_) => t.memory_text.clone(),
        })
    };
    let keys = move || {
        if !loaded.get() {
            return "–".into();
        }
        totals.with(|t| match t.keys_measure {
            Measure::NotReported => tr!(pika.not_reported),
            Measure::Value(_) => t.keys_text.clone(),
        })
    };
    let variant = move || match live.is_pika() {
        true => tr!(pika.variant_pika),
        false => tr!(pika.variant_codis),
    };

    let proxies = Memo::new(move |_| {
        live.proxies.with(|l| {
            let ok = l
                .iter()
                .filter(|p| p.head.with(|r| !r.status.is_alarm()))
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
                        .filter(|x| x.head.with(|r| !r.status.is_alarm()))
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
                .filter(|p| p.row.with(|r| !r.status.is_alarm()))
                .count();
            (ok, l.len())
        })
    });

    view! {
        <section class="stats" aria-label=move || tr!(overview.totals)>
            <div class="stat"><span class="stat-label">{move || tr!(overview.qps)}</span><span class="stat-value" id="stat-qps">{na(|t| t.qps_text.clone())}</span></div>
            <div class="stat"><span class="stat-label">{move || tr!(overview.sessions)}</span><span class="stat-value" id="stat-sessions">{na(|t| t.sessions_text.clone())}</span></div>
            <div class="stat"><span class="stat-label">{move || tr!(overview.memory)}</span><span class="stat-value" id="stat-memory">{memory}</span></div>
            <div class="stat"><span class="stat-label">{move || tr!(overview.keys)}</span><span class="stat-value" id="stat-keys">{keys}</span></div>
        </section>

        <section class="card">
            <div class="card-head">
                <h2>{move || tr!(overview.history)}</h2>
                <select class="chart-pick" id="chart-pick" aria-label=move || tr!(overview.series)
                    prop:value=move || pick.get()
                    on:change=move |ev| pick.set(Pick::parse(&event_target_value(&ev)).key())>
                    // `selected` too: options re-rendered when proxies come and go keep the choice.
                    {move || { let cur = pick.get(); choices.with(|c| c.iter().map(|(p, l)| view! { <option value=p.clone() selected=*p == cur>{l.clone()}</option> }).collect_view()) }}
                </select>
                <div class="seg" role="group" aria-label=move || tr!(overview.window)>
                    {WINDOWS.iter().map(|&(ms, minutes)| view! {
                        <button class="seg-btn" class:active=move || window.get() == ms
                            aria-pressed=move || (window.get() == ms).to_string()
                            on:click=move |_| window.set(ms)>{move || codis_model::ui::locale::window(minutes, crate::core::lang::current())}</button>
                    }).collect_view()}
                </div>
            </div>
            <TimeChart series=series window_ms=window.into() label=chart_label bytes=bytes/>
        </section>

        <div class="two-col">
            <section class="card">
                <h2>{move || tr!(overview.dashboard)}</h2>
                <dl class="facts" id="dashboard-facts">
                    <div><dt>{move || tr!(overview.product)}</dt><dd id="fact-product">{move || product.get()}</dd></div>
                    <div><dt>{move || tr!(overview.dashboard)}</dt><dd id="fact-dashboard">{move || d.with(|d| d.admin_addr.clone())}</dd></div>
                    <div><dt>{move || d.with(|d| if d.coordinator_label.is_empty() { tr!(overview.coordinator) } else { tr!(overview.coordinator_named, name = d.coordinator_label.clone()) })}</dt>
                        <dd id="fact-coordinator">{move || d.with(|d| d.coordinator_addr.clone())}</dd></div>
                    <div><dt>{move || tr!(pika.variant)}</dt><dd id="fact-variant">{variant}</dd></div>
                    <div><dt>{move || tr!(overview.version)}</dt><dd>{move || d.with(|d| d.version.clone())}</dd></div>
                    <div><dt>{move || tr!(overview.started)}</dt><dd>{move || d.with(|d| d.start_time.clone())}</dd></div>
                    <div><dt>{move || tr!(overview.pid)}</dt><dd>{move || d.with(|d| d.pid.to_string())}</dd></div>
                    <div><dt>{move || tr!(overview.migration)}</dt><dd>{move || d.with(|d| tr!(overview.migration_value, method = d.migration_method.clone(), n = d.migration_parallel_slots))}</dd></div>
                </dl>
            </section>
            <section class="card">
                <h2>{move || tr!(overview.health)}</h2>
                <ul class="summary">
                    <li>
                        <a href=move || section_href(&product.get(), "proxies")>{move || tr!(section.proxies)}</a>
                        <span class=move || { let (ok, n) = proxies.get(); if ok == n { "ok-text" } else { "bad-text" } }>
                            {move || { let (ok, n) = proxies.get(); tr!(overview.ok_of, ok, n) }}
                        </span>
                    </li>
                    <li>
                        <a href=move || section_href(&product.get(), "groups")>{move || tr!(section.groups)}</a>
                        <span class=move || { let (_, ok, n, out) = servers.get(); if ok == n && out == 0 { "ok-text" } else { "bad-text" } }>
                            {move || { let (g, ok, n, out) = servers.get();
                                let mut s = tr!(overview.groups_line, g, ok, n);
                                if out > 0 { s.push_str(&tr!(overview.out_of_sync_n, n = out)); }
                                s }}
                        </span>
                    </li>
                    <li>
                        <a href=move || section_href(&product.get(), "slots")>{move || tr!(section.slots)}</a>
                        <span class=move || { if slots.get().0 > 0 { "bad-text" } else { "ok-text" } }>
                            {move || { let (off, act, frac) = slots.get();
                                let mut s = if off > 0 { tr!(overview.offline, n = off) } else { tr!(pika.all_served, n = live.slot_count.get()) };
                                if act > 0 { s.push_str(&tr!(overview.queued, n = act, pct = codis_model::format::fixed(frac * 100.0, 0))); }
                                s }}
                        </span>
                    </li>
                    <li>
                        <a href=move || section_href(&product.get(), "sentinels")>{move || tr!(section.sentinels)}</a>
                        <span id="summary-sentinels" class=move || { let (ok, n) = sentinels.get(); if ok == n && !live.sentinels_out_of_sync.get() { "ok-text" } else { "bad-text" } }>
                            {move || { let (ok, n) = sentinels.get();
                                let mut s = if n == 0 && live.is_pika() { tr!(pika.failover_built_in) } else if n == 0 { tr!(overview.none_configured) } else { tr!(overview.ok_of, ok, n) };
                                if live.sentinels_out_of_sync.get() { s.push_str(&tr!(overview.out_of_sync)); }
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
