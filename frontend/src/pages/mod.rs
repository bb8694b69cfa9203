//! The five sections of a product, and what they share (HA warnings, the read-only info dialogs).

pub mod groups;
pub mod overview;
pub mod proxies;
pub mod sentinels;
pub mod slots;

use std::collections::BTreeMap;

use codis_model::derive::{ha_conflicts, GroupView};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::components::dialog::Modal;
use crate::core::api;
use crate::core::live::Live;

pub fn use_live() -> Live {
    expect_context::<Live>()
}

/// The current groups with their servers (read without tracking: for confirmation texts).
pub fn group_views(live: &Live) -> Vec<GroupView> {
    live.groups.with_untracked(|gs| {
        gs.iter()
            .map(|g| {
                let mut v = g.head.get_untracked();
                v.servers = g
                    .servers
                    .with_untracked(|s| s.iter().map(|x| x.row.get_untracked()).collect());
                v
            })
            .collect()
    })
}

/// codis-fe's alertAction2 text: groups whose sentinel-elected master is not the logical master.
pub fn ha_conflict_warnings(live: &Live, what: &str) -> Vec<String> {
    let conflicts = ha_conflicts(&group_views(live));
    if conflicts.is_empty() {
        return Vec::new();
    }
    let mut out: Vec<String> = conflicts
        .iter()
        .map(|c| {
            format!(
                "Group {}: the sentinels elected {} as master, but the logical master (first server) is {}.",
                c.group, c.ha_real_master, c.logical_master
            )
        })
        .collect();
    out.push(format!("HA and the dashboard disagree about these masters. Fix them (promote the sentinels' master) before {what}."));
    out
}

/// Which read-only document a dialog shows.
#[derive(Clone, Debug, PartialEq)]
pub enum InfoKind {
    /// A flat INFO map (`key -> value`), shown as a filterable table.
    Map,
    /// Any JSON, pretty-printed.
    Json,
    /// A proxy's full stats, summarised with its per-command table.
    ProxyStats,
}

#[derive(Clone, Debug, PartialEq)]
pub struct InfoRequest {
    pub title: String,
    /// API path (under the product).
    pub path: String,
    pub kind: InfoKind,
}

/// A dialog that loads a document through the backend (never from cluster hosts directly).
#[component]
pub fn InfoDialog(req: InfoRequest, on_close: Callback<()>) -> impl IntoView {
    let data = RwSignal::new(None::<Result<serde_json::Value, String>>);
    let path = req.path.clone();
    spawn_local(async move {
        let r = api::get::<serde_json::Value>(&path)
            .await
            .map_err(|e| e.text());
        // The dialog may have been closed meanwhile.
        let _ = data.try_set(Some(r));
    });
    let filter = RwSignal::new(String::new());
    let kind = req.kind.clone();
    view! {
        <Modal title=req.title on_close=on_close wide=true>
            {move || match data.get() {
                None => view! { <p class="muted">"Loading…"</p> }.into_any(),
                Some(Err(e)) => view! { <p class="dialog-error" role="alert">{e}</p> }.into_any(),
                Some(Ok(v)) => match kind {
                    InfoKind::Map => {
                        let map: BTreeMap<String, String> = v.as_object().map(|o| o.iter().map(|(k, v)| (k.clone(), v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string()))).collect()).unwrap_or_default();
                        view! {
                            <input class="filter" type="search" placeholder="Filter keys" aria-label="Filter keys"
                                prop:value=move || filter.get() on:input=move |ev| filter.set(event_target_value(&ev))/>
                            <div class="scroll">
                                <table class="grid kv">
                                    <tbody>
                                        {move || {
                                            let f = filter.get().to_lowercase();
                                            map.iter().filter(|(k, v)| f.is_empty() || k.to_lowercase().contains(&f) || v.to_lowercase().contains(&f))
                                                .map(|(k, v)| view! { <tr><th>{k.clone()}</th><td class="wrap">{v.clone()}</td></tr> })
                                                .collect_view()
                                        }}
                                    </tbody>
                                </table>
                            </div>
                        }.into_any()
                    }
                    InfoKind::Json => view! { <pre class="json">{serde_json::to_string_pretty(&v).unwrap_or_default()}</pre> }.into_any(),
                    InfoKind::ProxyStats => proxy_stats_view(&v).into_any(),
                },
            }}
        </Modal>
    }
}

fn num(v: &serde_json::Value, path: &[&str]) -> String {
    let mut cur = v;
    for p in path {
        match cur.get(p) {
            Some(n) => cur = n,
            None => return "–".into(),
        }
    }
    match cur {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn proxy_stats_view(v: &serde_json::Value) -> impl IntoView {
    let cmds: Vec<serde_json::Value> = v
        .pointer("/ops/cmd")
        .and_then(|c| c.as_array())
        .cloned()
        .unwrap_or_default();
    let mem = v
        .pointer("/rusage/mem")
        .and_then(|m| m.as_u64())
        .map(codis_model::format::human_size)
        .unwrap_or_else(|| "–".into());
    let facts = vec![
        ("Online", num(v, &["online"])),
        ("Closed", num(v, &["closed"])),
        ("QPS", num(v, &["ops", "qps"])),
        ("Commands", num(v, &["ops", "total"])),
        ("Failures", num(v, &["ops", "fails"])),
        ("Redis errors", num(v, &["ops", "redis", "errors"])),
        (
            "Sessions (alive / total)",
            format!(
                "{} / {}",
                num(v, &["sessions", "alive"]),
                num(v, &["sessions", "total"])
            ),
        ),
        ("CPU", num(v, &["rusage", "cpu"])),
        ("Memory (RSS)", mem),
        ("Primary only", num(v, &["backend", "primary_only"])),
        ("Sentinels switched", num(v, &["sentinels", "switched"])),
    ];
    let raw = serde_json::to_string_pretty(v).unwrap_or_default();
    view! {
        <dl class="facts">
            {facts.into_iter().map(|(k, val)| view! { <div><dt>{k}</dt><dd>{val}</dd></div> }).collect_view()}
        </dl>
        <h3>"Commands"</h3>
        <div class="scroll">
            <table class="grid">
                <thead><tr><th>"Command"</th><th class="num">"Calls"</th><th class="num">"µs/call"</th><th class="num">"Fails"</th><th class="num">"Redis errors"</th></tr></thead>
                <tbody>
                    {cmds.iter().map(|c| view! {
                        <tr>
                            <td>{num(c, &["opstr"])}</td>
                            <td class="num">{num(c, &["calls"])}</td>
                            <td class="num">{num(c, &["usecs_percall"])}</td>
                            <td class="num">{num(c, &["fails"])}</td>
                            <td class="num">{num(c, &["redis_errors"])}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
        <details><summary>"Raw JSON"</summary><pre class="json">{raw}</pre></details>
    }
}

/// Holder for the info dialog of a page.
#[component]
pub fn InfoHost(info: RwSignal<Option<InfoRequest>>) -> impl IntoView {
    let close = Callback::new(move |()| info.set(None));
    move || {
        info.get()
            .map(|req| view! { <InfoDialog req=req on_close=close/> })
    }
}
