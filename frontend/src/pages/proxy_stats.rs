//! A proxy's stats dialog: the summary of one `/proxy/stats` read, and its commands live.
//!
//! The per-command table polls the backend's `.../proxies/{token}/cmds` while the dialog is
//! open. The backend caches that read for one poll interval and shares it between viewers, so
//! any number of open dialogs cost the proxy one request per interval, and its rates (calls per
//! second, µs per call over the last interval) say which commands are hot now, which the
//! cumulative counters of codis-fe's stats page cannot.

use std::time::Duration;

use codis_model::format::{fixed, thousands};
use codis_model::live::{CmdRow, ProxyCmds};
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
pub fn summary(v: &JsValue, cmds_path: String) -> impl IntoView {
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
