//! A proxy's stats dialog: the summary of one `/proxy/stats` read, and its commands live.
//!
//! The per-command table polls the backend's `.../proxies/{token}/cmds` while the dialog is
//! open. The backend caches that read for one poll interval and shares it between viewers, so
//! any number of open dialogs cost the proxy one request per interval, and its rates (calls per
//! second, µs per call over the last interval) say which commands are hot now, which the
//! cumulative counters of codis-fe's stats page cannot.
//!
//! A proxy of Pika's Codis fork also keeps latency percentiles per command over fixed intervals
//! (1 s, 10 s, 1 min, 10 min, 1 h): the dialog shows p90, p99, p99.9, the largest delay and the
//! delay histogram for the chosen interval, read through the backend
//! (`.../proxies/{token}/cmdinfo?interval=N`).

use std::time::Duration;

use codis_model::format::{fixed, thousands};
use codis_model::live::{CmdRow, ProxyCmds};
use codis_model::{CmdInfo, ProxyCmdStats, CMDINFO_INTERVALS};
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsValue;

use super::{at, num, pretty};
use crate::core::api;
use crate::core::words;
use crate::tr;

/// How often the open table re-reads the commands (the backend's default poll interval).
const REFRESH: Duration = Duration::from_secs(1);

/// The summary of a `/proxy/stats` document `v`, and the live command table read from
/// `cmds_path`.
pub fn summary(v: &JsValue, cmds_path: String, cmdinfo_path: Option<String>) -> impl IntoView {
    let mem = at(v, &["rusage", "mem"])
        .and_then(|m| m.as_f64())
        .filter(|m| *m >= 0.0 && m.fract() == 0.0)
        .map(|m| codis_model::format::human_size(m as u64))
        .unwrap_or_else(|| "–".into());
    let facts = vec![
        (tr!(stats.online), num(v, &["online"])),
        (tr!(stats.closed), num(v, &["closed"])),
        (tr!(stats.qps), num(v, &["ops", "qps"])),
        (tr!(stats.commands), num(v, &["ops", "total"])),
        (tr!(stats.failures), num(v, &["ops", "fails"])),
        (tr!(stats.redis_errors), num(v, &["ops", "redis", "errors"])),
        (
            tr!(stats.sessions),
            format!(
                "{} / {}",
                num(v, &["sessions", "alive"]),
                num(v, &["sessions", "total"])
            ),
        ),
        (
            tr!(stats.cpu),
            at(v, &["rusage", "cpu"])
                .and_then(|c| c.as_f64())
                .map_or_else(
                    || "–".into(),
                    |c| tr!(stats.cpu_value, pct = fixed(c * 100.0, 1)),
                ),
        ),
        (tr!(stats.memory), mem),
        (
            tr!(stats.primary_only),
            num(v, &["backend", "primary_only"]),
        ),
        (tr!(stats.switched), num(v, &["sentinels", "switched"])),
    ];
    let raw = pretty(v);
    view! {
        <dl class="facts">
            {facts.into_iter().map(|(k, val)| view! { <div><dt>{k}</dt><dd>{val}</dd></div> }).collect_view()}
        </dl>
        {cmdinfo_path.map(|path| view! { <Percentiles path=path/> })}
        <CommandTable path=cmds_path/>
        <details><summary>{tr!(stats.raw)}</summary><pre class="json">{raw}</pre></details>
    }
}

/// Hottest first: by calls per second over the last interval, then by calls since the start.
fn hottest_first(rows: &mut [CmdRow]) {
    rows.sort_by(|a, b| {
        let rate = |r: &CmdRow| r.calls_per_sec.unwrap_or(-1.0);
        rate(b)
            .total_cmp(&rate(a))
            .then(b.calls.cmp(&a.calls))
            .then_with(|| a.opstr.cmp(&b.opstr))
    });
}

#[component]
fn CommandTable(path: String) -> impl IntoView {
    let data = RwSignal::new(None::<Result<ProxyCmds, String>>);
    let load = move || {
        let path = path.clone();
        spawn_local(async move {
            let r = api::get::<ProxyCmds>(&path)
                .await
                .map_err(|e| words::failure(&e));
            // The dialog may have been closed meanwhile.
            let _ = data.try_set(Some(r));
        });
    };
    load();
    let timer = set_interval_with_handle(load, REFRESH).ok();
    on_cleanup(move || {
        if let Some(t) = timer {
            t.clear();
        }
    });
    let dash = || "\u{2013}".to_string();
    view! {
        <h3>{move || tr!(stats.cmds)}</h3>
        {move || data.with(|d| match d {
            None => view! { <p class="muted">{tr!(common.loading)}</p> }.into_any(),
            Some(Err(e)) => view! { <p class="dialog-error" role="alert">{e.clone()}</p> }.into_any(),
            Some(Ok(c)) => {
                let mut rows = c.cmds.clone();
                hottest_first(&mut rows);
                let note = match c.window_ms {
                    Some(w) => tr!(stats.rates_over, secs = fixed(w as f64 / 1e3, 1)),
                    None => tr!(stats.rates_next),
                };
                view! {
                    <p class="muted small" id="cmds-note">{note}</p>
                    <div class="scroll">
                        <table class="grid" id="proxy-cmds">
                            <thead><tr>
                                <th>{tr!(stats.command)}</th><th class="num">{tr!(stats.calls_s)}</th><th class="num" title=tr!(stats.avg_now_tip)><span class="unit">"µs"</span>{tr!(stats.per_call_now)}</th>
                                <th class="num">{tr!(stats.calls)}</th><th class="num" title=tr!(stats.avg_tip)><span class="unit">"µs"</span>{tr!(stats.per_call)}</th><th class="num">{tr!(stats.fails)}</th><th class="num">{tr!(stats.redis_errors)}</th>
                            </tr></thead>
                            <tbody>
                                {rows.into_iter().map(|r| {
                                    let op = r.opstr.clone();
                                    view! {
                                    <tr data-op=op>
                                        <td class="mono">{r.opstr}</td>
                                        <td class="num">{r.calls_per_sec.map_or_else(dash, |x| fixed(x, 1))}</td>
                                        <td class="num">{r.recent_usecs_percall.map_or_else(dash, |x| thousands(x.round() as i128))}</td>
                                        <td class="num">{thousands(i128::from(r.calls))}</td>
                                        <td class="num">{thousands(i128::from(r.usecs_percall))}</td>
                                        <td class="num">{thousands(i128::from(r.fails))}</td>
                                        <td class="num">{thousands(i128::from(r.redis_errtype))}</td>
                                    </tr>
                                }}).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any()
            }
        })}
    }
}

/// An interval of the fork's latency figures in words (`1 s` … `1 h`).
fn interval_label(secs: u32) -> String {
    match secs {
        s if s < 60 => tr!(pika.interval_s, n = s),
        s if s < 3600 => tr!(pika.interval_min, n = s / 60),
        s => tr!(pika.interval_h, n = s / 3600),
    }
}

/// The fork's delay thresholds in ms (`delay50ms` … `delay3s` of its `OpStats`).
const DELAY_MS: [u32; 8] = [50, 100, 200, 300, 500, 1000, 2000, 3000];

fn delay_label(ms: u32) -> String {
    if ms < 1000 {
        tr!(pika.ms_value, n = ms)
    } else {
        tr!(pika.interval_s, n = ms / 1000)
    }
}

/// A command's calls slower than each of [`DELAY_MS`], in that order.
fn delays(r: &ProxyCmdStats) -> [Option<i64>; 8] {
    [
        r.delay50ms,
        r.delay100ms,
        r.delay200ms,
        r.delay300ms,
        r.delay500ms,
        r.delay1s,
        r.delay2s,
        r.delay3s,
    ]
}

/// Slowest first: by p99 over the interval, then by the number of calls.
fn slowest_first(rows: &mut [ProxyCmdStats]) {
    rows.sort_by(|a, b| {
        b.tp99
            .cmp(&a.tp99)
            .then(b.total_calls.cmp(&a.total_calls))
            .then_with(|| a.opstr.cmp(&b.opstr))
    });
}

/// Pika's fork: per-command latency percentiles and delay histogram over a chosen interval.
#[component]
fn Percentiles(path: String) -> impl IntoView {
    let interval = RwSignal::new(CMDINFO_INTERVALS[0]);
    let data = RwSignal::new(None::<Result<CmdInfo, String>>);
    let load = move || {
        let n = interval.get_untracked();
        let url = format!("{path}?interval={n}");
        spawn_local(async move {
            let r = api::get::<CmdInfo>(&url)
                .await
                .map_err(|e| words::failure(&e));
            // Only if it is still the interval asked for, and the dialog still open.
            if interval.try_get_untracked() == Some(n) {
                let _ = data.try_set(Some(r));
            }
        });
    };
    let l = load.clone();
    Effect::new(move |_| {
        interval.track();
        l();
    });
    // The 1 s figures change every second; the longer windows are re-read every 5 s.
    let tick = StoredValue::new(0u32);
    let timer = set_interval_with_handle(
        move || {
            tick.update_value(|t| *t = t.wrapping_add(1));
            if interval.get_untracked() == 1 || tick.get_value().is_multiple_of(5) {
                load();
            }
        },
        REFRESH,
    )
    .ok();
    on_cleanup(move || {
        if let Some(t) = timer {
            t.clear();
        }
    });
    let ms = |v: Option<i64>| v.map_or_else(|| "\u{2013}".to_string(), |x| thousands(x.into()));
    view! {
        <div class="card-head">
            <h3>{move || tr!(pika.latency)}</h3>
            <div class="seg" role="group" id="latency-interval" aria-label=move || tr!(pika.latency_interval)>
                {CMDINFO_INTERVALS.iter().map(|&secs| view! {
                    <button class="seg-btn" class:active=move || interval.get() == secs data-interval=secs
                        aria-pressed=move || (interval.get() == secs).to_string()
                        on:click=move |_| interval.set(secs)>{move || interval_label(secs)}</button>
                }).collect_view()}
            </div>
        </div>
        {move || data.with(|d| match d {
            None => view! { <p class="muted">{tr!(common.loading)}</p> }.into_any(),
            Some(Err(e)) => view! { <p class="dialog-error" role="alert">{e.clone()}</p> }.into_any(),
            Some(Ok(info)) => {
                // Without the fork's `ALL` row (not a command; its counts are doubled).
                let mut rows: Vec<_> = info.commands().cloned().collect();
                slowest_first(&mut rows);
                view! {
                    <p class="muted small" id="latency-note">{tr!(pika.latency_note, over = interval_label(interval.get_untracked()))}</p>
                    <div class="scroll">
                        <table class="grid" id="proxy-latency">
                            <thead><tr>
                                <th>{tr!(stats.command)}</th><th class="num">{tr!(stats.calls)}</th><th class="num">{tr!(stats.qps)}</th>
                                <th class="num"><span class="unit">{tr!(pika.ms)}</span>{tr!(pika.avg)}</th>
                                <th class="num"><span class="unit">{tr!(pika.ms)}</span>{tr!(pika.p90)}</th><th class="num"><span class="unit">{tr!(pika.ms)}</span>{tr!(pika.p99)}</th>
                                <th class="num"><span class="unit">{tr!(pika.ms)}</span>{tr!(pika.p999)}</th><th class="num" title=tr!(pika.max_tip)><span class="unit">{tr!(pika.ms)}</span>{tr!(pika.max)}</th>
                                {DELAY_MS.iter().map(|&t| view! { <th class="num" title=tr!(pika.histogram_tip)>{tr!(pika.slower_than, t = delay_label(t))}</th> }).collect_view()}
                            </tr></thead>
                            <tbody>
                                {rows.into_iter().map(|r| view! {
                                    <tr data-op=r.opstr.clone()>
                                        <td class="mono">{r.opstr.clone()}</td>
                                        <td class="num">{ms(r.total_calls)}</td>
                                        <td class="num">{ms(r.qps)}</td>
                                        <td class="num">{ms(r.avg)}</td>
                                        <td class="num p90">{ms(r.tp90)}</td>
                                        <td class="num p99">{ms(r.tp99)}</td>
                                        <td class="num p999">{ms(r.tp999)}</td>
                                        // The fork never fills `max_delay`; its largest delay is `tp100`.
                                        <td class="num max">{ms(r.tp100.or(r.max_delay))}</td>
                                        {delays(&r).into_iter().map(|n| view! { <td class="num">{ms(n)}</td> }).collect_view()}
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any()
            }
        })}
    }
}
