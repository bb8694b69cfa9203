//! Proxies: every column of codis-fe's proxy table plus the error or timeout state; add, reinit
//! (SYNC), remove and force remove; full stats (per-command) through the backend.

use codis_model::derive::{Health, ProxyRow, ResyncHint};
use codis_model::Action;
use leptos::prelude::*;

use super::{ha_conflict_warnings, use_live, InfoHost, InfoKind, InfoRequest};
use crate::components::actions::{use_actions, Request};
use crate::components::input::{ready, Field};
use crate::components::status::HealthBadge;
use crate::core::api;

#[component]
pub fn ProxiesPage() -> impl IntoView {
    let live = use_live();
    let actions = use_actions();
    let addr = RwSignal::new(String::new());
    let check = Signal::derive(move || {
        let a = Action::ProxyCreate {
            addr: addr.get().trim().to_owned(),
        };
        a.validate().map(|_| a)
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if let Ok(a) = check.get_untracked() {
            actions.run(Request::new(a).then(move || addr.set(String::new())));
        }
    };
    let info = RwSignal::new(None::<InfoRequest>);
    view! {
        <section class="card">
            <div class="card-head">
                <h2>"Proxies"</h2>
                <form class="inline-form" on:submit=submit>
                    <Field label="Admin address" field="addr" value=addr check=check placeholder="host:11080" id="proxy-addr" size=22/>
                    <button class="btn btn-warning" type="submit" id="proxy-add" disabled=move || !ready(check, &[addr])>"Add proxy"</button>
                </form>
            </div>
            {move || (live.loaded.get() && live.proxies.with(|p| p.is_empty())).then(|| view! { <p class="muted">"No proxies registered."</p> })}
            <div class="scroll">
                <table class="grid" id="proxy-table">
                    <thead>
                        <tr>
                            <th class="num">"ID"</th><th>"Proxy"</th><th>"Admin"</th><th>"Data center"</th><th>"Status"</th>
                            <th class="num">"QPS"</th><th>"Sessions"</th><th>"Commands"</th><th class="num" title="CPU used and resident memory of the proxy process">"CPU · RSS"</th><th>"Actions"</th>
                        </tr>
                    </thead>
                    <tbody>
                        <For each=move || live.proxies.get() key=|p| p.key.clone() let:p>
                            <ProxyLine row=p.row info=info/>
                        </For>
                    </tbody>
                </table>
            </div>
        </section>
        <InfoHost info=info/>
    }
}

#[component]
fn ProxyLine(row: RwSignal<ProxyRow>, info: RwSignal<Option<InfoRequest>>) -> impl IntoView {
    let live = use_live();
    let actions = use_actions();
    // Memos per cell: a tick changes QPS and counters of every row, and only the cells whose
    // value changed should re-render (static cells and badges are then not touched at all).
    let r = move |f: fn(&ProxyRow) -> String| Memo::new(move |_| row.with(f));
    let token = row.with_untracked(|r| r.token.clone());
    let health = Memo::new(move |_| row.with(|r| r.status));
    let error = Memo::new(move |_| row.with(|r| r.error.clone()));
    let switched_m = Memo::new(move |_| row.with(|r| r.switched));
    let switched = move || switched_m.get();
    let resync = Memo::new(move |_| row.with(|r| r.resync));
    let primary_only = Memo::new(move |_| row.with(|r| r.primary_only));
    let id = Memo::new(move |_| row.with(|r| r.id));
    let t1 = token.clone();
    let reinit = move |_| {
        let addr = row.with_untracked(|r| r.proxy_addr.clone());
        let warnings = ha_conflict_warnings(&live, &format!("resyncing proxy {addr}"));
        actions.run(Request::new(Action::ProxyReinit { token: t1.clone() }).warn(warnings));
    };
    let t2 = token.clone();
    let remove = move |force: bool| {
        let t = t2.clone();
        move |_| {
            actions.run(Request::new(Action::ProxyRemove {
                token: t.clone(),
                force,
            }))
        }
    };
    let t3 = token.clone();
    let product = live.product;
    let stats = move |_| {
        let addr = row.with_untracked(|r| r.admin_addr.clone());
        info.set(Some(InfoRequest {
            title: format!("Proxy {addr}: stats"),
            path: api::product_path(
                &product.get_untracked(),
                &format!("/proxies/{}/stats", api::enc(&t3)),
            ),
            kind: InfoKind::ProxyStats,
        }));
    };
    let numbers = move |f: fn(&codis_model::derive::ProxyNumbers) -> String| {
        Memo::new(move |_| row.with(|r| r.numbers.as_ref().map(f).unwrap_or_else(|| "–".into())))
    };
    view! {
        <tr data-token=token.clone() class:row-bad=move || health.get() != Health::Healthy>
            <td class="num">{id}</td>
            <td class:switched=switched title=move || if switched() { "HA: master switched behind the dashboard; resync this proxy" } else { "" }>{r(|r| r.proxy_addr.clone())}</td>
            <td class:switched=switched>{r(|r| r.admin_addr.clone())}</td>
            <td>{r(|r| r.datacenter.clone())}</td>
            <td>
                <HealthBadge health=health error=error/>
                {move || primary_only.get().then(|| view! { <span class="badge note" title="The proxy reads only from masters">"primary only"</span> })}
                {move || error.get().map(|e| view! { <div class="cell-error">{e}</div> })}
            </td>
            <td class="num big-num">{numbers(|n| n.qps.to_string())}</td>
            // Zero-width spaces after the commas let codis-fe's long texts wrap in narrow columns.
            <td class="mono wrap-commas">{r(|r| r.sessions_text.replace(',', ",\u{200b}"))}</td>
            <td class="mono wrap-commas">{r(|r| r.commands_text.replace(',', ",\u{200b}"))}</td>
            <td class="num">{numbers(|n| format!("{:.0}% · {}", n.cpu * 100.0, codis_model::format::human_size(n.mem.max(0) as u64)))}</td>
            <td class="actions">
                <button class="btn small" on:click=stats disabled=move || health.get() == Health::Timeout || health.get() == Health::Error title="Full stats through the backend">"Stats"</button>
                {move || match resync.get() {
                    ResyncHint::Unavailable => None,
                    hint => Some(view! {
                        <button class="btn small sync" class:btn-danger=hint == ResyncHint::Needed class:btn-ok=hint == ResyncHint::InSync
                            title=move || format!("Resync all slots to {}", row.with(|r| r.proxy_addr.clone()))
                            on:click=reinit.clone()>"Sync"</button>
                    }),
                }}
                <button class="btn small btn-danger-outline remove" title="Shut down and remove this proxy" on:click=remove(false)>"Remove"</button>
                {move || (health.get() == Health::Error).then(|| view! {
                    <button class="btn small btn-danger force-remove" title="Remove even though it cannot be shut down" on:click=remove(true)>"Force remove"</button>
                })}
            </td>
        </tr>
    }
}
