//! Sentinels: each sentinel's status, the product's masters it monitors and every run-id
//! mismatch (codis-fe showed only the last); the out-of-sync warning; add, remove, force remove
//! and resync all; INFO and monitored masters through the backend.
//!
//! Pika's Codis fork has no sentinels (its dashboard's sentinel routes are gone, the backend
//! refuses them with 409): for its products the page says that failover is built into the
//! dashboard and shows the dashboard's failover settings, read-only, with no action buttons.

use codis_model::derive::{Health, SentinelRow};
use codis_model::Action;
use leptos::prelude::*;

use super::{ha_conflict_warnings, use_live, InfoHost, InfoKind, InfoRequest};
use crate::components::actions::{use_actions, Request};
use crate::components::input::{checked_inputs, ready, submit_then_clear, Field};
use crate::components::status::{HealthBadge, ShownError};
use crate::core::api;
use crate::tr;

/// The sentinels section's split point (components::lazy): its code is the `sentinels` chunk, fetched the
/// first time the section is opened.
#[leptos::wasm_split::wasm_split(sentinels, wasm_split_path = ::leptos::wasm_split, fallible)]
pub fn sentinels_page() -> crate::components::lazy::Part {
    Ok(|| view! { <SentinelsPage/> }.into_any())
}

#[component]
pub fn SentinelsPage() -> impl IntoView {
    let live = use_live();
    move || {
        if live.is_pika() {
            view! { <BuiltInFailover/> }.into_any()
        } else {
            view! { <Sentinels/> }.into_any()
        }
    }
}

/// Pika's Codis fork: its dashboard checks the servers and elects new masters itself.
#[component]
fn BuiltInFailover() -> impl IntoView {
    let live = use_live();
    let settings = Memo::new(move |_| {
        live.dashboard
            .with(|d| d.failover.clone().unwrap_or_default())
    });
    let unset = || tr!(pika.not_set);
    view! {
        <section class="card" id="builtin-failover">
            <h2>{move || tr!(pika.failover_title)}</h2>
            <p id="failover-explained">{move || tr!(pika.failover_explained)}</p>
            <dl class="facts" id="failover-settings">
                <div><dt>{move || tr!(pika.check_master_interval)}</dt>
                    <dd id="failover-master-interval" class="mono">{move || settings.with(|s| s.check_master_failover_interval.clone()).unwrap_or_else(unset)}</dd></div>
                <div><dt>{move || tr!(pika.dead_check_times)}</dt>
                    <dd id="failover-dead-checks">{move || settings.with(|s| s.master_dead_check_times.map(|n| n.to_string())).unwrap_or_else(unset)}</dd></div>
                <div><dt>{move || tr!(pika.check_offline_interval)}</dt>
                    <dd id="failover-offline-interval" class="mono">{move || settings.with(|s| s.check_offline_server_interval.clone()).unwrap_or_else(unset)}</dd></div>
            </dl>
            <p class="muted small">{move || tr!(pika.settings_read_only)}</p>
        </section>
    }
}

/// Codis 3.2's sentinels.
#[component]
fn Sentinels() -> impl IntoView {
    let live = use_live();
    let actions = use_actions();
    let info = RwSignal::new(None::<InfoRequest>);
    let ([addr], check) = checked_inputs(|[addr]| Action::SentinelAdd { addr });
    let submit = submit_then_clear(check, vec![addr]);
    let out = live.sentinels_out_of_sync;
    let resync = move |_| {
        let servers: Vec<String> = live
            .sentinels
            .with_untracked(|l| l.iter().map(|s| s.key.clone()).collect());
        let mut w = ha_conflict_warnings(&live, &tr!(ha.what_resync_sentinels));
        if !w.is_empty() {
            w.insert(0, tr!(sentinels.listed, list = servers.join(", ")));
        }
        actions.run(Request::new(Action::SentinelResyncAll).warn(w));
    };
    view! {
        <section class="card">
            <div class="card-head">
                <h2>{move || tr!(sentinels.title)}
                    {move || out.get().then(|| view! { <span class="badge error" id="sentinels-out-of-sync" title=move || tr!(sentinels.out_of_sync_tip)>{move || tr!(sentinels.out_of_sync)}</span> })}
                </h2>
                <form class="inline-form act" on:submit=submit>
                    <Field label=Signal::derive(|| tr!(sentinels.address)) field="addr" value=addr check=check placeholder="host:26379" id="sentinel-addr" size=20/>
                    <button class="btn btn-warning" type="submit" id="sentinel-add" disabled=move || !ready(check, &[addr])>{move || tr!(sentinels.add)}</button>
                </form>
            </div>
            <div class="bulk">
                <button class="btn act" id="sentinels-sync" class:btn-danger=move || out.get() class:btn-primary=move || !out.get()
                    on:click=resync disabled=move || live.sentinels.with(|s| s.is_empty())>{move || tr!(sentinels.sync_all)}</button>
            </div>
            {move || (live.loaded.get() && live.sentinels.with(|s| s.is_empty())).then(|| view! { <p class="muted">{move || tr!(sentinels.none)}</p> })}
            <div class="scroll">
                <table class="grid" id="sentinel-table">
                    <thead><tr><th>{move || tr!(sentinels.sentinel)}</th><th>{move || tr!(sentinels.status)}</th><th>{move || tr!(sentinels.monitored_masters)}</th><th>{move || tr!(sentinels.runid)}</th><th>{move || tr!(sentinels.actions)}</th></tr></thead>
                    <tbody>
                        <For each=move || live.sentinels.get() key=|s| s.key.clone() let:s>
                            <SentinelLine row=s.row info=info/>
                        </For>
                    </tbody>
                </table>
            </div>
        </section>
        <section class="card">
            <h2>{move || tr!(sentinels.elected)}</h2>
            {move || {
                let m = live.sentinel_masters.get();
                if m.is_empty() {
                    view! { <p class="muted">{tr!(sentinels.none_reported)}</p> }.into_any()
                } else {
                    view! {
                        <table class="grid narrow" id="sentinel-masters">
                            <thead><tr><th class="num">{tr!(sentinels.group)}</th><th>{tr!(sentinels.master)}</th></tr></thead>
                            <tbody>{m.into_iter().map(|(g, a)| view! { <tr><td class="num">{g}</td><td class="mono">{a}</td></tr> }).collect_view()}</tbody>
                        </table>
                    }.into_any()
                }
            }}
        </section>
        <InfoHost info=info/>
    }
}

#[component]
fn SentinelLine(row: RwSignal<SentinelRow>, info: RwSignal<Option<InfoRequest>>) -> impl IntoView {
    let live = use_live();
    let actions = use_actions();
    let addr = row.with_untracked(|r| r.server.clone());
    let health = Memo::new(move |_| row.with(|r| r.status));
    let error = Memo::new(move |_| row.with(|r| r.error.clone()));
    let product = live.product;
    let addr1 = addr.clone();
    let open = move |kind: &'static str| {
        let a = addr1.clone();
        move |_| {
            let (title, rest, k) = if kind == "info" {
                (
                    tr!(sentinels.info_title, addr = a.clone()),
                    "info",
                    InfoKind::Map,
                )
            } else {
                (
                    tr!(sentinels.monitored_title, addr = a.clone()),
                    "monitored",
                    InfoKind::Json,
                )
            };
            info.set(Some(InfoRequest {
                title,
                path: api::product_path(
                    &product.get_untracked(),
                    &format!("/sentinels/{}/{rest}", api::enc(&a)),
                ),
                kind: k,
            }));
        }
    };
    let addr2 = addr.clone();
    let remove = move |force: bool| {
        let a = addr2.clone();
        move |_| {
            actions.run(Request::new(Action::SentinelRemove {
                addr: a.clone(),
                force,
            }))
        }
    };
    view! {
        <tr data-sentinel=addr.clone() class:row-bad=move || health.get().is_alarm() class:row-flaky=move || health.get() == Health::Flaky>
            <td class="mono">{addr.clone()}</td>
            <td>
                <HealthBadge health=health error=error/>
                <ShownError health=health error=error/>
            </td>
            <td class="mono">{move || row.with(|r| if r.status_text.is_empty() { "–".to_string() } else { r.status_text.clone() })}</td>
            <td>
                {move || row.with(|r| r.runid_errors.clone()).into_iter().map(|e| view! { <div class="cell-error mono">{e}</div> }).collect_view()}
                {move || (row.with(|r| !r.status_text.is_empty() && r.runid_errors.is_empty())).then(|| view! { <span class="ok-text">{move || tr!(sentinels.consistent)}</span> })}
            </td>
            <td class="actions">
                <button class="btn small" on:click=open("info")>{move || tr!(sentinels.info)}</button>
                <button class="btn small" on:click=open("monitored")>{move || tr!(sentinels.monitored)}</button>
                <button class="btn small btn-danger-outline sentinel-remove act" on:click=remove(false)>{move || tr!(sentinels.remove)}</button>
                // Only for a confirmed error: a flaky sentinel is not offered for removal.
                {move || (health.get() == Health::Error).then(|| view! {
                    <button class="btn small btn-danger sentinel-force-remove act" on:click=remove(true)>{move || tr!(sentinels.force_remove)}</button>
                })}
            </td>
        </tr>
    }
}
