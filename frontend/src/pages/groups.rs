//! Groups: one table per group with every server's data center, role, master link, sync action,
//! memory / max memory, keys, HA status and replica-read toggle; create and remove groups, add
//! servers (with data center), remove, promote, resync one or all, SLAVEOF actions, and
//! replica reads for all. HA conflicts turn the confirmation red, as codis-fe's alertAction2 did.
//!
//! On Pika's Codis fork each row also shows the dashboard's own check of the server (normal,
//! suspected offline with n of N failed checks, offline), its role and binlog position with the
//! lag behind the master, and the group shows the election its dashboard runs when a master goes
//! offline, then its result (`codis_model::derive::pika`). Memory and keys the fork does not
//! report say so, never "0 B".

use codis_model::derive::{
    HaStatus, Health, PikaGroup, PikaServer, ServerCheck, ServerCounters, ServerRow, SlaveofButton,
};
use codis_model::{Action, GroupId};
use leptos::prelude::*;

use super::{ha_conflict_warnings, use_live, InfoHost, InfoKind, InfoRequest};
use crate::components::actions::{use_actions, Request};
use crate::components::input::{checked_inputs, ready, submit_then_clear, Field};
use crate::components::status::{HealthBadge, ShownError};
use crate::components::visibility::RowVisibility;
use crate::core::api;
use crate::core::auth::use_auth;
use crate::core::live::GroupEntry;
use crate::pages::slots::group_class;
use crate::tr;

/// The groups section's split point (components::lazy): its code is the `groups` chunk, fetched the
/// first time the section is opened.
#[leptos::wasm_split::wasm_split(groups, wasm_split_path = ::leptos::wasm_split, fallible)]
pub fn groups_page() -> crate::components::lazy::Part {
    Ok(|| view! { <GroupsPage/> }.into_any())
}

#[component]
pub fn GroupsPage() -> impl IntoView {
    provide_context(RowVisibility::new("data-server"));
    let live = use_live();
    let actions = use_actions();
    let info = RwSignal::new(None::<InfoRequest>);

    let ([new_gid], create) = checked_inputs(|[gid]| Action::GroupCreate { gid });
    let ([gid, addr, dc], add) = checked_inputs(|[gid, addr, datacenter]| Action::GroupAddServer {
        gid,
        addr,
        datacenter,
    });
    let go_create = submit_then_clear(create, vec![new_gid]);
    // The group and data center are kept: servers are usually added several at a time.
    let go_add = submit_then_clear(add, vec![addr]);
    let resync_all = move |_| {
        let gids: Vec<String> = live
            .groups
            .with_untracked(|g| g.iter().map(|g| g.id.to_string()).collect());
        let mut w = ha_conflict_warnings(&live, &tr!(ha.what_resync_groups));
        if !w.is_empty() {
            w.insert(0, tr!(groups.affected, list = gids.join(", ")));
        }
        actions.run(Request::new(Action::GroupResyncAll).warn(w));
    };
    view! {
        <section class="card act">
            <div class="forms">
                <form class="inline-form act" on:submit=go_create aria-label=move || tr!(groups.new_group_form)>
                    <Field label=Signal::derive(|| tr!(groups.group_id)) field="gid" value=new_gid check=create placeholder="1 – 9999" id="group-new-id" size=6/>
                    <button class="btn btn-ok" type="submit" id="group-create" disabled=move || !ready(create, &[new_gid])>{move || tr!(groups.new_group)}</button>
                </form>
                <form class="inline-form act" on:submit=go_add aria-label=move || tr!(groups.add_server_form)>
                    <Field label=Signal::derive(|| tr!(groups.data_center)) field="datacenter" value=dc check=add placeholder=Signal::derive(|| tr!(groups.optional)) id="server-dc" size=8/>
                    <Field label=Signal::derive(|| tr!(groups.server_address)) field="addr" value=addr check=add placeholder="host:6379" id="server-addr" size=20/>
                    <Field label=Signal::derive(|| tr!(groups.to_group)) field="gid" value=gid check=add placeholder="1 – 9999" id="server-gid" size=6/>
                    <button class="btn btn-warning" type="submit" id="server-add" disabled=move || !ready(add, &[addr, gid])>{move || tr!(groups.add_server)}</button>
                </form>
            </div>
            <div class="bulk">
                <button class="btn btn-primary act" id="groups-sync-all" on:click=resync_all disabled=move || live.groups.with(|g| g.is_empty())>{move || tr!(groups.sync_all)}</button>
                <button class="btn btn-ok act" id="replicas-enable-all" on:click=move |_| actions.run(Request::new(Action::GroupReplicaGroupsAll { enabled: true }))>{move || tr!(groups.replicas_on)}</button>
                <button class="btn btn-danger act" id="replicas-disable-all" on:click=move |_| actions.run(Request::new(Action::GroupReplicaGroupsAll { enabled: false }))>{move || tr!(groups.replicas_off)}</button>
            </div>
        </section>
        {move || (live.loaded.get() && live.groups.with(|g| g.is_empty())).then(|| view! { <p class="muted">{move || tr!(groups.none)}</p> })}
        <For each=move || live.groups.get() key=|g| g.id let:g>
            <GroupCard group=g info=info/>
        </For>
        <InfoHost info=info/>
    }
}

#[component]
fn GroupCard(group: GroupEntry, info: RwSignal<Option<InfoRequest>>) -> impl IntoView {
    let live = use_live();
    let actions = use_actions();
    let head = group.head;
    let gid = group.id;
    let slot_count = Memo::new(move |_| {
        live.slots
            .with(|s| s.counts.get(&gid).copied().unwrap_or(0))
    });
    let resync = move |_| {
        let w = group_warnings(&live, gid, None, &tr!(ha.what_resync));
        actions.run(
            Request::new(Action::GroupResync {
                gid: gid.to_string(),
            })
            .warn(w),
        );
    };
    view! {
        <section class="card group" data-group=gid id=format!("group-{gid}")>
            <div class="card-head">
                <h2>
                    <span class=format!("swatch {}", group_class(gid))></span>
                    {move || tr!(groups.group, gid)}
                    <span class="muted small">{move || tr!(groups.slot_count, n = slot_count.get())}</span>
                </h2>
                <div class="badges">
                    {move || head.with(|h| h.out_of_sync).then(|| view! { <span class="badge error" title=move || tr!(groups.out_of_sync_tip)>{move || tr!(groups.out_of_sync)}</span> })}
                    {move || head.with(|h| h.promoting_state.as_ref().map(|s| tr!(groups.promoting, state = s.as_str()))).map(|t| view! { <span class="badge pending">{t}</span> })}
                    {move || head.with(|h| h.ha_warning.clone()).map(|w| view! { <span class="badge error" title=move || tr!(groups.ha_warning_tip)>{w}</span> })}
                    {move || head.with(|h| h.pika.clone()).map(|p| view! { <Election pika=p/> })}
                </div>
                <div class="head-actions">
                    <button class="btn small group-sync act" class:btn-danger=move || head.with(|h| h.out_of_sync) class:btn-primary=move || !head.with(|h| h.out_of_sync)
                        disabled=move || head.with(|h| h.is_promoting) on:click=resync title=move || tr!(groups.sync_tip, gid)>{move || tr!(groups.sync)}</button>
                    {move || head.with(|h| h.can_remove).then(|| view! {
                        <button class="btn small btn-danger-outline group-remove act" on:click=move |_| actions.run(Request::new(Action::GroupRemove { gid: gid.to_string() }))>{move || tr!(groups.remove_group)}</button>
                    })}
                </div>
            </div>
            <div class="scroll">
                <table class="grid servers">
                    <thead>
                        <tr>
                            <th>{move || tr!(groups.server)}</th><th>{move || tr!(groups.data_center)}</th><th>{move || tr!(groups.status)}</th><th>{move || tr!(groups.master_link)}</th><th>{move || tr!(groups.sync_action)}</th>
                            <th title=move || tr!(groups.replica_tip)>{move || tr!(groups.replica)}</th><th class="num">{move || tr!(groups.memory)}</th><th class="num" title=move || tr!(groups.keys_tip)>{move || tr!(groups.keys)}</th><th>{move || tr!(groups.actions)}</th>
                        </tr>
                    </thead>
                    <tbody>
                        {move || group.servers.with(|s| s.is_empty()).then(|| view! { <tr><td colspan="9" class="muted">{move || tr!(groups.no_servers)}</td></tr> })}
                        <For each=move || group.servers.get() key=|s| s.key.clone() let:s>
                            <ServerLine gid=gid row=s.head counters=s.hot head=head info=info/>
                        </For>
                    </tbody>
                </table>
            </div>
        </section>
    }
}

/// Warnings for an action on group `gid` when the sentinels elected another master than the
/// logical one (codis-fe's alertAction2 rules for resync, remove and promote).
fn group_warnings(
    live: &crate::core::live::Live,
    gid: GroupId,
    addr: Option<(&str, &str)>,
    what: &str,
) -> Vec<String> {
    let views = super::group_views(live);
    let Some(g) = views.iter().find(|g| g.id == gid) else {
        return Vec::new();
    };
    let Some(r) = g.real_master_index() else {
        return Vec::new();
    };
    let real = g.servers[r].server.clone();
    let conflict = match addr {
        None => true,
        // Removing the sentinels' master, or promoting a server other than it.
        Some((a, "remove")) => a == real,
        Some((a, _)) => a != real,
    };
    if !conflict {
        return Vec::new();
    }
    vec![tr!(ha.group, real, index = r, gid, what)]
}

#[component]
fn ServerLine(
    gid: GroupId,
    row: RwSignal<ServerRow>,
    counters: RwSignal<ServerCounters>,
    head: RwSignal<codis_model::derive::GroupView>,
    info: RwSignal<Option<InfoRequest>>,
) -> impl IntoView {
    // `row` is the row without its counters (it changes rarely). The counters change every
    // second on a busy cluster: one effect per row writes the memory and keys cells, and only
    // while the row is on screen (rows out of view catch up when they scroll in).
    let memory_td = NodeRef::<leptos::html::Td>::new();
    let keys_td = NodeRef::<leptos::html::Td>::new();
    // The keys cell shows keys / expires; each database's whole keyspace line (with avg_ttl) is
    // its tooltip and in the row's Info (INFO through the backend).
    let counter_texts = move |c: &ServerCounters| {
        // A healthy Pika server has no used_memory and no keyspace to report (its `db0` line is
        // a binlog position): said so, never "0 B" or "NA" as if the sample had failed.
        let (maxmem, not_reported) = row.with_untracked(|r| {
            (
                r.maxmem_text.clone(),
                r.pika.is_some() && r.status == Health::Healthy,
            )
        });
        let memory = match c.memory {
            None if not_reported => tr!(pika.not_reported),
            _ => c.memory_text(),
        };
        let keys = match c.key_count {
            None if not_reported => tr!(pika.not_reported),
            _ => c.keys_cell(),
        };
        (format!("{memory} / {maxmem}"), keys, c.keys.join("\n"))
    };
    let first = counters.with_untracked(counter_texts);
    let visible = RwSignal::new(true);
    let row_ref = NodeRef::<leptos::html::Tr>::new();
    if let Some(rows) = use_context::<RowVisibility>() {
        let key = row.with_untracked(|r| r.server.clone());
        row_ref.on_load(move |tr| rows.watch(&tr, key, visible));
        let key = row.with_untracked(|r| r.server.clone());
        on_cleanup(move || rows.unwatch(&key, row_ref.get_untracked()));
    }
    let shown = first.clone();
    Effect::new(move |prev: Option<(String, String, String)>| {
        let prev = prev.unwrap_or_else(|| first.clone());
        if !visible.get() {
            return prev;
        }
        // The max memory is part of the memory cell, and a Pika server's health decides between
        // "not reported" and "NA": re-render when they change too.
        row.with(|r| (r.maxmem_text.len(), r.status, r.pika.is_some()));
        let now = counters.with(counter_texts);
        if now.0 != prev.0 {
            if let Some(td) = memory_td.get_untracked() {
                td.set_text_content(Some(&now.0));
            }
        }
        if now.1 != prev.1 || now.2 != prev.2 {
            if let Some(td) = keys_td.get_untracked() {
                td.set_text_content(Some(&now.1));
                let _ = td.set_attribute("title", &now.2);
            }
        }
        now
    });
    let live = use_live();
    let actions = use_actions();
    let addr = row.with_untracked(|r| r.server.clone());
    let health = Memo::new(move |_| row.with(|r| r.status));
    let error = Memo::new(move |_| row.with(|r| r.error.clone()));
    let promoting = move || head.with(|h| h.is_promoting);
    let auth = use_auth();
    let ha_m = Memo::new(move |_| row.with(|r| r.ha_status));
    let ha = move || ha_m.get();
    let ha_class = move || match ha() {
        HaStatus::Master => "ha-master",
        HaStatus::RealMaster => "ha-real-master",
        HaStatus::NotMaster => "ha-not-master",
        HaStatus::Undefined => "ha-undefined",
        HaStatus::Slave | HaStatus::None => "",
    };
    let ha_title = move || match ha() {
        HaStatus::Master => tr!(groups.ha_master),
        HaStatus::RealMaster => tr!(groups.ha_real_master),
        HaStatus::NotMaster => tr!(groups.ha_not_master),
        HaStatus::Undefined => tr!(groups.ha_undefined),
        HaStatus::Slave => tr!(groups.ha_replica),
        HaStatus::None => String::new(),
    };
    let a1 = addr.clone();
    let promote = move |_| {
        let w = group_warnings(
            &live,
            gid,
            Some((&a1, "promote")),
            &tr!(ha.what_promote, addr = a1.clone()),
        );
        actions.run(
            Request::new(Action::GroupPromote {
                gid: gid.to_string(),
                addr: a1.clone(),
            })
            .warn(w),
        );
    };
    let a2 = addr.clone();
    let remove = move |_| {
        let w = group_warnings(
            &live,
            gid,
            Some((&a2, "remove")),
            &tr!(ha.what_remove, addr = a2.clone()),
        );
        actions.run(
            Request::new(Action::GroupDelServer {
                gid: gid.to_string(),
                addr: a2.clone(),
            })
            .warn(w),
        );
    };
    let a3 = addr.clone();
    let slaveof = move |_| {
        let a = if row.with_untracked(|r| r.sync.button) == SlaveofButton::Remove {
            Action::SyncActionRemove { addr: a3.clone() }
        } else {
            Action::SyncActionCreate { addr: a3.clone() }
        };
        actions.run(Request::new(a));
    };
    let a4 = addr.clone();
    let toggle = move |ev: leptos::ev::Event| {
        let checked = event_target_checked(&ev);
        // Keep the box showing the dashboard's value until the change is confirmed and streamed.
        if let Some(t) = ev.target() {
            use wasm_bindgen::JsCast;
            if let Ok(i) = t.dyn_into::<web_sys::HtmlInputElement>() {
                i.set_checked(!checked);
            }
        }
        let mut req = Request::new(Action::GroupReplicaGroups {
            gid: gid.to_string(),
            addr: a4.clone(),
            enabled: checked,
        });
        // The dashboard marks the group out of sync only when proxies route to it (it holds
        // slots or is a migration's target) and it has more than one server.
        let in_use = live.slots.with_untracked(|s| {
            s.counts.get(&gid).is_some_and(|n| *n > 0)
                || s.actions.iter().any(|a| a.target_id == gid)
        });
        // (The group's head carries no servers: they are rows of their own.)
        let servers = live.groups.with_untracked(|gs| {
            gs.iter()
                .find(|g| g.id == gid)
                .map_or(0, |g| g.servers.with_untracked(Vec::len))
        });
        if in_use && servers != 1 {
            req = req.note(&tr!(groups.out_of_sync_note));
        }
        actions.run(req);
    };
    let a5 = addr.clone();
    let product = live.product;
    let show_info = move |_| {
        info.set(Some(InfoRequest {
            title: tr!(groups.info_title, addr = a5.clone()),
            path: api::product_path(
                &product.get_untracked(),
                &format!("/servers/{}/info", api::enc(&a5)),
            ),
            kind: InfoKind::Map,
        }));
    };
    view! {
        <tr node_ref=row_ref data-server=addr.clone() class:row-bad=move || health.get().is_alarm() class:row-flaky=move || health.get() == Health::Flaky>
            <td class="server-cell">
                <span class=ha_class title=ha_title>{move || row.with(|r| r.server_text.clone())}</span>
                {move || row.with(|r| r.index == 0).then(|| view! { <span class="badge note">{move || tr!(groups.master)}</span> })}
            </td>
            <td>{move || row.with(|r| r.datacenter.clone())}</td>
            <td class="soft">
                <HealthBadge health=health error=error/>
                {move || match row.with(|r| r.pika.clone()) {
                    Some(p) => view! { <PikaCheck pika=p/> }.into_any(),
                    None => row.with(|r| r.role.as_deref().map(crate::core::words::info_role)).map(|r| view! { <span class="muted small info-role">" " {r}</span> }).into_any(),
                }}
                <ShownError health=health error=error/>
            </td>
            <td class="mono" class:bad-text=move || row.with(|r| r.master_status == Some(false))
                title=move || row.with(|r| tr!(groups.expected, what = if r.master_expect == "NO:ONE" { tr!(groups.expected_none) } else { format!("{}:up", r.master_expect) }))>
                {move || row.with(|r| r.master.clone())}
            </td>
            <td class="soft">
                <span class="mono">{move || row.with(|r| r.sync.action_state.clone())}</span>
                " "
                <button class="btn small slaveof act" disabled=promoting on:click=slaveof
                    title=move || row.with(|r| if r.sync.button == SlaveofButton::Remove { tr!(groups.cancel_slaveof) } else { format!("SLAVEOF {}", r.master_expect) })>
                    {move || if row.with(|r| r.sync.button) == SlaveofButton::Remove { tr!(groups.cancel) } else { tr!(groups.slaveof) }}
                </button>
            </td>
            <td>
                <input type="checkbox" class="replica-toggle" aria-label={ let a = addr.clone(); move || tr!(groups.replica_reads_from, addr = a.clone()) }
                    prop:checked=move || row.with(|r| r.replica_group) disabled=move || promoting() || !auth.can_act() on:change=toggle/>
            </td>
            <td class="num" node_ref=memory_td>{shown.0}</td>
            <td class="num keys" node_ref=keys_td title=shown.2>{shown.1}</td>
            <td class="actions">
                <button class="btn small info" on:click=show_info title=move || tr!(groups.info_tip)>{move || tr!(groups.info)}</button>
                {move || {
                    // Not offered on a dead replica (`ServerRow::can_promote`); "Resume promote…"
                    // stays (the promotion is already under way).
                    let (can_promote, is_promoting) = row.with(|r| (r.can_promote, r.is_promoting));
                    let p = promote.clone();
                    (can_promote || is_promoting).then(|| view! {
                        <button class="btn small promote act" class:btn-ok=move || ha() == HaStatus::RealMaster class:btn-warning=move || ha() != HaStatus::RealMaster
                            class:btn-danger=is_promoting on:click=p>{move || if is_promoting { tr!(groups.resume_promote) } else { tr!(groups.promote) }}</button>
                    })
                }}
                {move || (row.with(|r| r.can_remove) && !promoting()).then(|| {
                    let r = remove.clone();
                    view! { <button class="btn small btn-danger-outline server-remove act" on:click=r>{move || tr!(groups.remove)}</button> }
                })}
            </td>
        </tr>
    }
}

/// Pika's fork: the dashboard's check of one server, its role and binlog position.
#[component]
fn PikaCheck(pika: PikaServer) -> impl IntoView {
    let live = use_live();
    // N of "n of N checks": the dashboard's `sentinel_master_dead_check_times`.
    let dead_after = move || {
        live.dashboard
            .with(|d| d.failover.as_ref().and_then(|f| f.master_dead_check_times))
    };
    let check = pika.check;
    let (class, text) = match check {
        ServerCheck::Normal => ("badge ok", Signal::derive(|| tr!(pika.check_normal))),
        ServerCheck::Suspected { failed } => (
            "badge pending",
            Signal::derive(move || match dead_after() {
                Some(n) => tr!(pika.check_suspected_of, failed, n),
                None => tr!(pika.check_suspected, failed),
            }),
        ),
        ServerCheck::Offline => ("badge error", Signal::derive(|| tr!(pika.check_offline))),
        ServerCheck::Recovering => (
            "badge pending",
            Signal::derive(|| tr!(pika.check_recovering)),
        ),
        ServerCheck::Unknown(n) => (
            "badge note",
            Signal::derive(move || tr!(pika.check_unknown, n)),
        ),
    };
    let state = match check {
        ServerCheck::Normal => "normal",
        ServerCheck::Suspected { .. } => "suspected",
        ServerCheck::Offline => "offline",
        ServerCheck::Recovering => "recovering",
        ServerCheck::Unknown(_) => "unknown",
    };
    let role = pika.role.clone();
    let binlog = pika.binlog.map(|b| format!("{}:{}", b.file_num, b.offset));
    let lag = pika.lag_bytes;
    let eligible = pika.eligible;
    view! {
        " "
        <span class=format!("{class} pika-check") data-check=state title=move || tr!(pika.check_tip)>{text}</span>
        {role.map(|r| view! { <span class="muted small pika-role">" " {crate::core::words::info_role(&r)}</span> })}
        <div class="small muted pika-binlog">
            {binlog.map(|b| view! { <span class="mono" title=move || tr!(pika.binlog_tip)>{move || tr!(pika.binlog, pos = b.clone())}</span> })}
            {lag.map(|l| view! { <span class="pika-lag" class:bad-text={l > 0}>{move || tr!(pika.lag, size = codis_model::format::human_size(l))}</span> })}
            {(!eligible).then(|| view! { <span class="pika-not-eligible">{move || tr!(pika.not_eligible)}</span> })}
        </div>
    }
}

/// Pika's fork: the election its dashboard runs while a group's master is offline, and the last
/// master change this console saw.
#[component]
fn Election(pika: PikaGroup) -> impl IntoView {
    let electing = pika.electing.then(|| {
        let candidate = pika.candidate.clone();
        view! {
            <span class="badge error pika-electing" title={move || match &candidate {
                Some(c) => tr!(pika.electing_tip, addr = c.clone()),
                None => tr!(pika.electing_none_tip),
            }}>{move || tr!(pika.electing)}</span>
        }
    });
    let result = pika.last_election.map(|e| {
        let at = crate::core::time::clock(e.at_unix as f64 * 1000.0);
        view! {
            <span class="badge note pika-election">{move || tr!(pika.elected, elected = e.new_master.clone(), previous = e.old_master.clone(), at = at.clone())}</span>
        }
    });
    view! { {electing} {result} }
}
