//! Proxies: every column of codis-fe's proxy table plus the error or timeout state; add, reinit
//! (SYNC), remove and force remove; full stats (per-command) through the backend.

use codis_model::derive::{Health, ResyncHint};
use codis_model::Action;

use leptos::prelude::*;

use super::{ha_conflict_warnings, use_live, InfoHost, InfoKind, InfoRequest};
use crate::components::actions::{use_actions, Request};
use crate::components::input::{checked_inputs, ready, submit_then_clear, Field};
use crate::components::status::{HealthBadge, ShownError};
use crate::components::visibility::RowVisibility;
use crate::core::api;
use crate::core::live::{ProxyCells, ProxyEntry};
use crate::tr;

/// The proxies section's split point (components::lazy): its code is the `proxies` chunk, fetched the
/// first time the section is opened.
#[leptos::wasm_split::wasm_split(proxies, wasm_split_path = ::leptos::wasm_split, fallible)]
pub fn proxies_page() -> crate::components::lazy::Part {
    Ok(|| view! { <ProxiesPage/> }.into_any())
}

#[component]
pub fn ProxiesPage() -> impl IntoView {
    let live = use_live();
    let ([addr], check) = checked_inputs(|[addr]| Action::ProxyCreate { addr });
    let submit = submit_then_clear(check, vec![addr]);
    let info = RwSignal::new(None::<InfoRequest>);
    provide_context(RowVisibility::new("data-token"));
    view! {
        <section class="card">
            <div class="card-head">
                <h2>{move || tr!(proxies.title)}</h2>
                <form class="inline-form act" on:submit=submit>
                    <Field label=Signal::derive(|| tr!(proxies.admin_address)) field="addr" value=addr check=check placeholder="host:11080" id="proxy-addr" size=22/>
                    <button class="btn btn-warning" type="submit" id="proxy-add" disabled=move || !ready(check, &[addr])>{move || tr!(proxies.add)}</button>
                </form>
            </div>
            {move || (live.loaded.get() && live.proxies.with(|p| p.is_empty())).then(|| view! { <p class="muted">{move || tr!(proxies.none)}</p> })}
            <div class="scroll live-table">
                <table class="grid" id="proxy-table">
                    <thead>
                        <tr>
                            <th class="num">{move || tr!(proxies.id)}</th><th>{move || tr!(proxies.proxy)}</th><th>{move || tr!(proxies.admin)}</th><th>{move || tr!(proxies.data_center)}</th><th>{move || tr!(proxies.status)}</th>
                            <th class="num">{move || tr!(proxies.qps)}</th><th>{move || tr!(proxies.sessions)}</th><th>{move || tr!(proxies.commands)}</th>
                            {move || live.is_pika().then(|| view! { <th class="num" title=move || tr!(pika.slow_cmds_tip)>{move || tr!(pika.slow_cmds)}</th> })}
                            <th class="num" title=move || tr!(proxies.cpu_tip)>{move || tr!(proxies.cpu)}</th><th>{move || tr!(proxies.actions)}</th>
                        </tr>
                    </thead>
                    <tbody>
                        <For each=move || live.proxies.get() key=|p| p.key.clone() let:p>
                            <ProxyLine entry=p info=info/>
                        </For>
                    </tbody>
                </table>
            </div>
        </section>
        <InfoHost info=info/>
    }
}

/// One proxy. The row reads two signals (see [`ProxyEntry`]): the head, which hardly ever
/// changes, and the counters, which change every tick and are written by a single render effect
/// per row (four text nodes patched in place), so a tick on 128 proxies wakes 128 effects rather
/// than one per cell.
#[component]
fn ProxyLine(entry: ProxyEntry, info: RwSignal<Option<InfoRequest>>) -> impl IntoView {
    let live = use_live();
    let actions = use_actions();
    let ProxyEntry {
        key: token,
        head,
        hot: cells,
    } = entry;
    let health = Memo::new(move |_| head.with(|r| r.status));
    let error = Memo::new(move |_| head.with(|r| r.error.clone()));
    // Named by id and addresses, as the table shows it (never by token).
    let name = move || {
        head.with_untracked(|r| codis_model::causes::proxy_name(r.id, &r.proxy_addr, &r.admin_addr))
    };
    let t1 = token.clone();
    let reinit = move |_| {
        let warnings = ha_conflict_warnings(&live, &tr!(proxies.what_resync, proxy = name()));
        actions.run(
            Request::new(Action::ProxyReinit { token: t1.clone() })
                .named(&name())
                .warn(warnings),
        );
    };
    let t2 = token.clone();
    let remove = move |force: bool| {
        let t = t2.clone();
        move |_| {
            actions.run(
                Request::new(Action::ProxyRemove {
                    token: t.clone(),
                    force,
                })
                .named(&name()),
            )
        }
    };
    let t3 = token.clone();
    let product = live.product;
    let stats = move |_| {
        let addr = head.with_untracked(|r| r.admin_addr.clone());
        info.set(Some(InfoRequest {
            title: tr!(proxies.stats_title, addr),
            path: api::product_path(
                &product.get_untracked(),
                &format!("/proxies/{}/stats", api::enc(&t3)),
            ),
            kind: InfoKind::ProxyStats {
                cmds_path: api::product_path(
                    &product.get_untracked(),
                    &format!("/proxies/{}/cmds", api::enc(&t3)),
                ),
                cmdinfo_path: live.is_pika_untracked().then(|| {
                    api::product_path(
                        &product.get_untracked(),
                        &format!("/proxies/{}/cmdinfo", api::enc(&t3)),
                    )
                }),
            },
        }));
    };
    let t4 = token.clone();
    let detail = move |_| {
        info.set(Some(InfoRequest {
            title: tr!(proxies.details_title, proxy = name()),
            path: api::product_path(
                &product.get_untracked(),
                &format!("/proxies/{}/detail", api::enc(&t4)),
            ),
            // The backend already shaped it for people (name, secrets left out, slots as runs
            // routed alike): shown as indented JSON, as codis-fe's "F" link showed the proxy's
            // own, which keeps the console's cold load within its budget.
            kind: InfoKind::Json,
        }));
    };
    // The head's cells, rebuilt (in place) only when the head changes.
    let head_cells = move || {
        head.with(|r| {
            let switched = r.switched;
            let title = if switched {
                tr!(proxies.switched)
            } else {
                String::new()
            };
            view! {
                <td class="num">{r.id}</td>
                <td class:switched=switched title=title>{r.proxy_addr.clone()}</td>
                <td class:switched=switched>{r.admin_addr.clone()}</td>
                <td>{r.datacenter.clone()}</td>
            }
        })
    };
    // The counters: one effect per row writes the texts that changed. Rows out of view do not
    // listen at all and catch up when they scroll in: laying out the text changes of 128 rows
    // costs ~10 ms a tick, that of the dozen on screen ~1 ms.
    let shown = cells.get_untracked();
    let refs: [NodeRef<leptos::html::Td>; 4] = std::array::from_fn(|_| NodeRef::new());
    let visible = RwSignal::new(true);
    let row_ref = NodeRef::<leptos::html::Tr>::new();
    let rows = use_context::<RowVisibility>();
    if let Some(rows) = rows {
        let key = token.clone();
        row_ref.on_load(move |tr| rows.watch(&tr, key, visible));
        let key = token.clone();
        on_cleanup(move || rows.unwatch(&key, row_ref.get_untracked()));
    }
    let first = shown.clone();
    Effect::new(move |prev: Option<ProxyCells>| {
        let prev = prev.unwrap_or_else(|| first.clone());
        if !visible.get() {
            return prev;
        }
        cells.with(|c| {
            let pairs = [
                (&c.qps, &prev.qps),
                (&c.sessions, &prev.sessions),
                (&c.commands, &prev.commands),
                (&c.cpu_mem, &prev.cpu_mem),
            ];
            for (cell, (new, old)) in refs.iter().zip(pairs) {
                if new != old {
                    if let Some(td) = cell.get_untracked() {
                        td.set_text_content(Some(new));
                    }
                }
            }
            c.clone()
        })
    });
    let resync = Memo::new(move |_| head.with(|r| r.resync));
    let primary_only = Memo::new(move |_| head.with(|r| r.primary_only));
    view! {
        <tr node_ref=row_ref data-token=token class:row-bad=move || health.get().is_alarm() class:row-flaky=move || health.get() == Health::Flaky>
            {head_cells}
            <td>
                <HealthBadge health=health error=error/>
                {move || primary_only.get().then(|| view! { <span class="badge note" title=move || tr!(proxies.primary_only_tip)>{move || tr!(proxies.primary_only)}</span> })}
                <ShownError health=health error=error/>
            </td>
            <td class="num big-num" node_ref=refs[0]>{shown.qps}</td>
            <td class="mono wrap-commas" node_ref=refs[1]>{shown.sessions}</td>
            <td class="mono wrap-commas" node_ref=refs[2]>{shown.commands}</td>
            {move || live.is_pika().then(|| view! {
                <td class="num slow-cmds">{move || head.with(|r| r.slow_cmds.map_or_else(|| "\u{2013}".to_owned(), |n| codis_model::format::thousands(n.into())))}</td>
            })}
            <td class="num" node_ref=refs[3]>{shown.cpu_mem}</td>
            <td class="actions">
                <button class="btn small" on:click=stats disabled=move || health.get() == Health::Timeout || health.get() == Health::Error title=move || tr!(proxies.stats_tip)>{move || tr!(proxies.stats)}</button>
                <button class="btn small detail" on:click=detail disabled=move || health.get() == Health::Timeout || health.get() == Health::Error title=move || tr!(proxies.details_tip)>{move || tr!(proxies.details)}</button>
                {move || match resync.get() {
                    ResyncHint::Unavailable => None,
                    hint => Some(view! {
                        <button class="btn small sync act" class:btn-danger=hint == ResyncHint::Needed class:btn-ok=hint == ResyncHint::InSync
                            title=move || tr!(proxies.sync_tip, addr = head.with(|r| r.proxy_addr.clone()))
                            on:click=reinit.clone()>{move || tr!(proxies.sync)}</button>
                    }),
                }}
                <button class="btn small btn-danger-outline remove act" title=move || tr!(proxies.remove_tip) on:click=remove(false)>{move || tr!(proxies.remove)}</button>
                {move || (health.get() == Health::Error).then(|| view! {
                    <button class="btn small btn-danger force-remove act" title=move || tr!(proxies.force_remove_tip) on:click=remove(true)>{move || tr!(proxies.force_remove)}</button>
                })}
            </td>
        </tr>
    }
}
