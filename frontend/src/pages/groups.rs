//! Groups: one table per group with every server's data center, role, master link, sync action,
//! memory / max memory, keys, HA status and replica-read toggle; create and remove groups, add
//! servers (with data center), remove, promote, resync one or all, SLAVEOF actions, and
//! replica reads for all. HA conflicts turn the confirmation red, as codis-fe's alertAction2 did.

use codis_model::derive::{HaStatus, Health, ServerCounters, ServerRow, SlaveofButton};
use codis_model::{Action, GroupId};
use leptos::prelude::*;

use super::{ha_conflict_warnings, use_live, InfoHost, InfoKind, InfoRequest};
use crate::components::actions::{use_actions, Request};
use crate::components::input::{checked_inputs, ready, submit_then_clear, Field};
use crate::components::status::{shown_error, HealthBadge};
use crate::components::visibility::RowVisibility;
use crate::core::api;
use crate::core::auth::use_auth;
use crate::core::live::GroupEntry;
use crate::pages::slots::group_class;

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
        let mut w = ha_conflict_warnings(&live, "resyncing all groups");
        if !w.is_empty() {
            w.insert(0, format!("Groups affected: {}.", gids.join(", ")));
        }
        actions.run(Request::new(Action::GroupResyncAll).warn(w));
    };
    view! {
        <section class="card act">
            <div class="forms">
                <form class="inline-form act" on:submit=go_create aria-label="New group">
                    <Field label="Group id" field="gid" value=new_gid check=create placeholder="1 – 9999" id="group-new-id" size=6/>
                    <button class="btn btn-ok" type="submit" id="group-create" disabled=move || !ready(create, &[new_gid])>"New group"</button>
                </form>
                <form class="inline-form act" on:submit=go_add aria-label="Add server">
                    <Field label="Data center" field="datacenter" value=dc check=add placeholder="optional" id="server-dc" size=8/>
                    <Field label="Server address" field="addr" value=addr check=add placeholder="host:6379" id="server-addr" size=20/>
                    <Field label="To group" field="gid" value=gid check=add placeholder="1 – 9999" id="server-gid" size=6/>
                    <button class="btn btn-warning" type="submit" id="server-add" disabled=move || !ready(add, &[addr, gid])>"Add server"</button>
                </form>
            </div>
            <div class="bulk">
                <button class="btn btn-primary act" id="groups-sync-all" on:click=resync_all disabled=move || live.groups.with(|g| g.is_empty())>"Sync all groups…"</button>
                <button class="btn btn-ok act" id="replicas-enable-all" on:click=move |_| actions.run(Request::new(Action::GroupReplicaGroupsAll { enabled: true }))>"Replica reads: enable all…"</button>
                <button class="btn btn-danger act" id="replicas-disable-all" on:click=move |_| actions.run(Request::new(Action::GroupReplicaGroupsAll { enabled: false }))>"Replica reads: disable all…"</button>
            </div>
        </section>
        {move || (live.loaded.get() && live.groups.with(|g| g.is_empty())).then(|| view! { <p class="muted">"No groups yet."</p> })}
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
        let w = group_warnings(&live, gid, None, "resync");
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
                    {format!("Group {gid}")}
                    <span class="muted small">{move || format!(" · {} slots", slot_count.get())}</span>
                </h2>
                <div class="badges">
                    {move || head.with(|h| h.out_of_sync).then(|| view! { <span class="badge error" title="Proxies have an old view of this group: resync it">"OUT OF SYNC"</span> })}
                    {move || head.with(|h| h.promoting_state.as_ref().map(|s| format!("PROMOTING: {}", s.as_str()))).map(|t| view! { <span class="badge pending">{t}</span> })}
                    {move || head.with(|h| h.ha_warning.clone()).map(|w| view! { <span class="badge error" title="The sentinels' master is not a server of this group">{w}</span> })}
                </div>
                <div class="head-actions">
                    <button class="btn small group-sync act" class:btn-danger=move || head.with(|h| h.out_of_sync) class:btn-primary=move || !head.with(|h| h.out_of_sync)
                        disabled=move || head.with(|h| h.is_promoting) on:click=resync title=format!("Resync the slots of group {gid} to every proxy")>"Sync…"</button>
                    {move || head.with(|h| h.can_remove).then(|| view! {
                        <button class="btn small btn-danger-outline group-remove act" on:click=move |_| actions.run(Request::new(Action::GroupRemove { gid: gid.to_string() }))>"Remove group…"</button>
                    })}
                </div>
            </div>
            <div class="scroll">
                <table class="grid servers">
                    <thead>
                        <tr>
                            <th>"Server"</th><th>"Data center"</th><th>"Status"</th><th>"Master link"</th><th>"Sync action"</th>
                            <th title="Proxies may read from this replica (replica group)">"Replica"</th><th class="num">"Memory / max"</th><th class="num" title="Keys / keys with an expiry, over every database; each database's keyspace line (with avg_ttl) is in the cell's tooltip and the row's Info">"Keys / expires"</th><th>"Actions"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {move || group.servers.with(|s| s.is_empty()).then(|| view! { <tr><td colspan="9" class="muted">"No servers. Add one above, or remove the group."</td></tr> })}
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
    vec![format!(
        "HA: the sentinels elected {real} (server {r}) as the real master of group {gid}; do you really want to {what}?"
    )]
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
        let memory = format!(
            "{} / {}",
            c.memory_text(),
            row.with_untracked(|r| r.maxmem_text.clone())
        );
        (memory, c.keys_cell(), c.keys.join("\n"))
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
        // The max memory is part of the memory cell: re-render when it changes too.
        row.with(|r| r.maxmem_text.len());
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
        HaStatus::Master => "HA: master",
        HaStatus::RealMaster => "HA: real master (the sentinels elected this replica)",
        HaStatus::NotMaster => "HA: not master (the sentinels elected another server)",
        HaStatus::Undefined => "HA: undefined (no sentinel master for this group)",
        HaStatus::Slave => "HA: replica",
        HaStatus::None => "",
    };
    let a1 = addr.clone();
    let promote = move |_| {
        let w = group_warnings(&live, gid, Some((&a1, "promote")), &format!("promote {a1}"));
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
        let w = group_warnings(&live, gid, Some((&a2, "remove")), &format!("remove {a2}"));
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
            req = req.note("The group is then marked out of sync until it is resynced: proxies route slots to it.");
        }
        actions.run(req);
    };
    let a5 = addr.clone();
    let product = live.product;
    let show_info = move |_| {
        info.set(Some(InfoRequest {
            title: format!("Server {a5}: INFO"),
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
                {move || row.with(|r| r.index == 0).then(|| view! { <span class="badge note">"master"</span> })}
            </td>
            <td>{move || row.with(|r| r.datacenter.clone())}</td>
            <td class="soft">
                <HealthBadge health=health error=error/>
                {move || row.with(|r| r.role.clone()).map(|r| view! { <span class="muted small">" " {r}</span> })}
                {move || shown_error(health.get(), error.get()).map(|e| view! { <div class="cell-error">{e}</div> })}
            </td>
            <td class="mono" class:bad-text=move || row.with(|r| r.master_status == Some(false))
                title=move || row.with(|r| format!("expected {}", if r.master_expect == "NO:ONE" { "no master (this is the group master)".to_string() } else { format!("{}:up", r.master_expect) }))>
                {move || row.with(|r| r.master.clone())}
            </td>
            <td class="soft">
                <span class="mono">{move || row.with(|r| r.sync.action_state.clone())}</span>
                " "
                <button class="btn small slaveof act" disabled=promoting on:click=slaveof
                    title=move || row.with(|r| if r.sync.button == SlaveofButton::Remove { "Cancel the queued SLAVEOF".to_string() } else { format!("SLAVEOF {}", r.master_expect) })>
                    {move || if row.with(|r| r.sync.button) == SlaveofButton::Remove { "Cancel" } else { "Slaveof" }}
                </button>
            </td>
            <td>
                <input type="checkbox" class="replica-toggle" aria-label=format!("Replica reads from {addr}")
                    prop:checked=move || row.with(|r| r.replica_group) disabled=move || promoting() || !auth.can_act() on:change=toggle/>
            </td>
            <td class="num" node_ref=memory_td>{shown.0}</td>
            <td class="num keys" node_ref=keys_td title=shown.2>{shown.1}</td>
            <td class="actions">
                <button class="btn small info" on:click=show_info title="INFO through the backend">"Info"</button>
                {move || {
                    // Not offered on a dead replica (`ServerRow::can_promote`); "Resume promote…"
                    // stays (the promotion is already under way).
                    let (can_promote, is_promoting) = row.with(|r| (r.can_promote, r.is_promoting));
                    let p = promote.clone();
                    (can_promote || is_promoting).then(|| view! {
                        <button class="btn small promote act" class:btn-ok=move || ha() == HaStatus::RealMaster class:btn-warning=move || ha() != HaStatus::RealMaster
                            class:btn-danger=is_promoting on:click=p>{if is_promoting { "Resume promote…" } else { "Promote…" }}</button>
                    })
                }}
                {move || (row.with(|r| r.can_remove) && !promoting()).then(|| {
                    let r = remove.clone();
                    view! { <button class="btn small btn-danger-outline server-remove act" on:click=r>"Remove…"</button> }
                })}
            </td>
        </tr>
    }
}
