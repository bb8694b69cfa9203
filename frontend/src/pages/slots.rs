//! Slots: all 1024 slots by group (one cell each, with queued and running moves), migration
//! control (enable/disable, interval, the dashboard's progress text and a progress bar), the
//! action queue (cancel a pending one, slot 0 included), migrate range / some, and rebalance
//! with the exact plan shown before it runs.

use codis_model::derive::SlotActionRow;
use codis_model::{Action, GroupId, SlotActionState};
use leptos::prelude::*;

use super::use_live;
use crate::components::actions::{use_actions, Request};
use crate::components::input::{checked_inputs, ready, submit_then_clear, Field};
use crate::tr;

/// Colour class of a group (12 distinct hues, cycling; group 0 = offline grey).
pub fn group_class(gid: GroupId) -> String {
    if gid == 0 {
        "g-off".into()
    } else {
        format!("g{}", (gid - 1) % 12)
    }
}

/// A slot action's state in words (the dashboard's `pending`, `migrating`, …).
fn slot_state(s: &SlotActionState) -> String {
    match s {
        SlotActionState::Pending => tr!(slot_state.pending),
        SlotActionState::Preparing => tr!(slot_state.preparing),
        SlotActionState::Prepared => tr!(slot_state.prepared),
        SlotActionState::Migrating => tr!(slot_state.migrating),
        SlotActionState::Finished => tr!(slot_state.finished),
        SlotActionState::Other(other) => other.clone(),
    }
}

#[component]
pub fn SlotsPage() -> impl IntoView {
    view! {
        <crate::components::migration::MigrationProgress/>
        <div class="two-col">
            <Control/>
            <MigrateForms/>
        </div>
        <Distribution/>
        <ActionQueue/>
    }
}

#[component]
fn Control() -> impl IntoView {
    let live = use_live();
    let actions = use_actions();
    let slots = live.slots;
    let disabled = Memo::new(move |_| slots.with(|s| s.disabled));
    let ([interval], check) = checked_inputs(|[interval]| Action::SlotsInterval { interval });
    let set_interval = submit_then_clear(check, vec![interval]);
    let progress = Memo::new(move |_| slots.with(|s| s.progress.clone()));
    view! {
        <section class="card">
            <div class="card-head">
                <h2>{move || tr!(slots.migration)}</h2>
                <button class="btn btn-danger act" id="rebalance" disabled=move || !live.loaded.get()
                    on:click=move |_| actions.rebalance()>{move || tr!(slots.rebalance)}</button>
            </div>
            <dl class="facts">
                <div>
                    <dt>{move || tr!(slots.slot_actions)}</dt>
                    <dd>
                        <span class=move || if disabled.get() { "badge timeout" } else { "badge ok" } id="slots-enabled">
                            {move || if disabled.get() { tr!(slots.disabled) } else { tr!(slots.enabled) }}
                        </span>
                        " "
                        {move || if disabled.get() {
                            view! { <button class="btn small btn-ok act" id="slots-enable" on:click=move |_| actions.run(Request::new(Action::SlotsDisabled { disabled: false }))>{move || tr!(slots.enable)}</button> }.into_any()
                        } else {
                            view! { <button class="btn small btn-danger act" id="slots-disable" on:click=move |_| actions.run(Request::new(Action::SlotsDisabled { disabled: true }))>{move || tr!(slots.disable)}</button> }.into_any()
                        }}
                    </dd>
                </div>
                <div>
                    <dt>{move || tr!(slots.interval)}</dt>
                    <dd>
                        <span id="slots-interval">{move || tr!(slots.interval_value, n = slots.with(|s| s.interval))}</span>
                        <form class="inline-form act" on:submit=set_interval>
                            <Field label=Signal::derive(|| tr!(slots.new_interval)) field="interval" value=interval check=check placeholder="0 – 1000000" id="interval-input" size=10/>
                            <button class="btn small" type="submit" id="interval-set" disabled=move || !ready(check, &[interval])>{move || tr!(slots.set)}</button>
                        </form>
                    </dd>
                </div>
                <div><dt>{move || tr!(slots.dashboard_status)}</dt><dd class="mono" id="slots-status">{move || { let s = slots.with(|s| s.status.clone()); if s.is_empty() { "–".to_string() } else { s } }}</dd></div>
                <div>
                    <dt>{move || tr!(slots.progress)}</dt>
                    <dd>
                        {move || {
                            let p = progress.get();
                            if p.remaining == 0 {
                                view! { <span class="muted" id="slots-progress">{tr!(slots.no_migration)}</span> }.into_any()
                            } else {
                                let pct = p.fraction() * 100.0;
                                view! {
                                    <div class="progress" role="progressbar" aria-valuemin="0" aria-valuemax=p.total aria-valuenow=p.done id="slots-progress">
                                        <div class="progress-bar" style=format!("width:{}%", codis_model::format::fixed(pct, 1))></div>
                                    </div>
                                    <span class="progress-text">{tr!(slots.progress_text, done = p.done, total = p.total, running = p.running, waiting = p.remaining - p.running)}</span>
                                }.into_any()
                            }
                        }}
                    </dd>
                </div>
            </dl>
        </section>
    }
}

#[component]
fn MigrateForms() -> impl IntoView {
    let ([beg, end, gid], range) =
        checked_inputs(|[beg, end, gid]| Action::SlotsCreateRange { beg, end, gid });
    let ([num, from, to], some) =
        checked_inputs(|[num, from, to]| Action::SlotsCreateSome { from, to, num });
    let go_range = submit_then_clear(range, vec![beg, end, gid]);
    let go_some = submit_then_clear(some, vec![num, from, to]);
    view! {
        <section class="card act">
            <h2>{move || tr!(slots.migrate)}</h2>
            <form class="inline-form act" on:submit=go_range aria-label=move || tr!(slots.range_form)>
                <Field label=Signal::derive(|| tr!(slots.first_slot)) field="beg" value=beg check=range placeholder="0" id="range-beg" size=6/>
                <Field label=Signal::derive(|| tr!(slots.last_slot)) field="end" value=end check=range placeholder="1023" id="range-end" size=6/>
                <Field label=Signal::derive(|| tr!(slots.to_group)) field="gid" value=gid check=range placeholder="1 – 9999" id="range-gid" size=6/>
                <button class="btn btn-warning" type="submit" id="range-go" disabled=move || !ready(range, &[beg, end, gid])>{move || tr!(slots.migrate_range)}</button>
            </form>
            <form class="inline-form act" on:submit=go_some aria-label=move || tr!(slots.some_form)>
                <Field label=Signal::derive(|| tr!(slots.number)) field="num" value=num check=some placeholder=Signal::derive(|| tr!(slots.number_example)) id="some-num" size=6/>
                <Field label=Signal::derive(|| tr!(slots.from_group)) field="from" value=from check=some placeholder="1 – 9999" id="some-from" size=6/>
                <Field label=Signal::derive(|| tr!(slots.to_group)) field="to" value=to check=some placeholder="1 – 9999" id="some-to" size=6/>
                <button class="btn btn-warning" type="submit" id="some-go" disabled=move || !ready(some, &[num, from, to])>{move || tr!(slots.migrate_some)}</button>
            </form>
        </section>
    }
}

#[component]
fn Distribution() -> impl IntoView {
    let live = use_live();
    let counts = Memo::new(move |_| live.slots.with(|s| s.counts.clone()));
    let cells = live.slot_owner.get_value();
    let moves = live.slot_move.get_value();
    view! {
        <section class="card">
            <div class="card-head">
                <h2>{move || tr!(slots.distribution)}</h2>
                <ul class="legend" id="slot-legend">
                    {move || counts.get().into_iter().map(|(g, n)| view! {
                        <li data-group=g><span class=format!("swatch {}", group_class(g))></span>
                            {if g == 0 { tr!(slots.offline_n, n) } else { tr!(slots.group_n, gid = g, n) }}</li>
                    }).collect_view()}
                    <li><span class="swatch mig"></span>{move || tr!(slots.migrating)}</li>
                </ul>
            </div>
            <div class="slot-grid" id="slot-grid" role="img" aria-label=move || tr!(slots.grid)>
                {cells.into_iter().zip(moves).enumerate().map(|(sid, (owner, mv))| {
                    view! {
                        <span
                            class=move || {
                                let mut c = format!("slot {}", group_class(owner.get()));
                                mv.with(|m| if let Some((_, st)) = m {
                                    c.push_str(if *st == SlotActionState::Pending { " pend" } else { " mig" });
                                });
                                c
                            }
                            title=move || {
                                let g = owner.get();
                                let mut t = if g == 0 { tr!(slots.slot_offline, sid) } else { tr!(slots.slot_group, sid, gid = g) };
                                mv.with(|m| if let Some((target, st)) = m { t.push_str(&tr!(slots.slot_move, state = slot_state(st), gid = *target)) });
                                t
                            }
                        ></span>
                    }
                }).collect_view()}
            </div>
            <p class="axis muted">{move || tr!(slots.axis)}</p>
        </section>
    }
}

#[component]
fn ActionQueue() -> impl IntoView {
    let live = use_live();
    let actions = use_actions();
    let rows = Memo::new(move |_| live.slots.with(|s| s.actions.clone()));
    let counts = Memo::new(move |_| live.slots.with(|s| s.action_counts.clone()));
    view! {
        <section class="card">
            <div class="card-head">
                <h2>{move || tr!(slots.queue)}</h2>
                <span class="muted" id="queue-count">{move || {
                    let c = counts.get();
                    if c.total() == 0 { tr!(slots.queue_empty) } else { tr!(slots.queue_count, total = c.total(), pending = c.pending, running = c.running()) }
                }}</span>
            </div>
            {move || (!rows.with(|r| r.is_empty())).then(|| view! {
                <div class="scroll tall">
                    <table class="grid" id="action-table">
                        <thead><tr><th class="num">{move || tr!(slots.slot)}</th><th class="num">{move || tr!(slots.group)}</th><th class="num">{move || tr!(slots.target)}</th><th class="num">{move || tr!(slots.index)}</th><th>{move || tr!(slots.state)}</th><th></th></tr></thead>
                        <tbody>
                            <For each=move || rows.get() key=|a: &SlotActionRow| (a.slot, a.state.as_str().to_owned(), a.target_id, a.index) let:a>
                                <tr data-slot=a.slot>
                                    <td class="num">{a.slot}</td>
                                    <td class="num">{a.group_id}</td>
                                    <td class="num">{a.target_id}</td>
                                    <td class="num">{a.index}</td>
                                    <td><span class=if a.state == SlotActionState::Pending { "badge pending" } else { "badge running" }>{ let st = a.state.clone(); move || slot_state(&st) }</span></td>
                                    <td>{a.can_cancel.then(|| {
                                        let sid = a.slot.to_string();
                                        view! { <button class="btn small btn-danger-outline cancel-action act" on:click=move |_| actions.run(Request::new(Action::SlotsActionRemove { sid: sid.clone() }))>{move || tr!(slots.cancel)}</button> }
                                    })}</td>
                                </tr>
                            </For>
                        </tbody>
                    </table>
                </div>
            })}
        </section>
    }
}
