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

/// Colour class of a group (12 distinct hues, cycling; group 0 = offline grey).
pub fn group_class(gid: GroupId) -> String {
    if gid == 0 {
        "g-off".into()
    } else {
        format!("g{}", (gid - 1) % 12)
    }
}

#[component]
pub fn SlotsPage() -> impl IntoView {
    view! {
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
                <h2>"Migration"</h2>
                <button class="btn btn-danger act" id="rebalance" disabled=move || !live.loaded.get()
                    on:click=move |_| actions.rebalance()>"Rebalance all slots…"</button>
            </div>
            <dl class="facts">
                <div>
                    <dt>"Slot actions"</dt>
                    <dd>
                        <span class=move || if disabled.get() { "badge timeout" } else { "badge ok" } id="slots-enabled">
                            {move || if disabled.get() { "Disabled" } else { "Enabled" }}
                        </span>
                        " "
                        {move || if disabled.get() {
                            view! { <button class="btn small btn-ok act" id="slots-enable" on:click=move |_| actions.run(Request::new(Action::SlotsDisabled { disabled: false }))>"Enable"</button> }.into_any()
                        } else {
                            view! { <button class="btn small btn-danger act" id="slots-disable" on:click=move |_| actions.run(Request::new(Action::SlotsDisabled { disabled: true }))>"Disable"</button> }.into_any()
                        }}
                    </dd>
                </div>
                <div>
                    <dt>"Interval"</dt>
                    <dd>
                        <span id="slots-interval">{move || format!("{} µs", slots.with(|s| s.interval))}</span>
                        <form class="inline-form act" on:submit=set_interval>
                            <Field label="New interval (µs)" field="interval" value=interval check=check placeholder="0 – 1000000" id="interval-input" size=10/>
                            <button class="btn small" type="submit" id="interval-set" disabled=move || !ready(check, &[interval])>"Set"</button>
                        </form>
                    </dd>
                </div>
                <div><dt>"Dashboard status"</dt><dd class="mono" id="slots-status">{move || { let s = slots.with(|s| s.status.clone()); if s.is_empty() { "–".to_string() } else { s } }}</dd></div>
                <div>
                    <dt>"Progress"</dt>
                    <dd>
                        {move || {
                            let p = progress.get();
                            if p.remaining == 0 {
                                view! { <span class="muted" id="slots-progress">"No migration queued."</span> }.into_any()
                            } else {
                                let pct = p.fraction() * 100.0;
                                view! {
                                    <div class="progress" role="progressbar" aria-valuemin="0" aria-valuemax=p.total aria-valuenow=p.done id="slots-progress">
                                        <div class="progress-bar" style=format!("width:{}%", codis_model::format::fixed(pct, 1))></div>
                                    </div>
                                    <span class="progress-text">{format!("{} of {} done, {} running, {} waiting", p.done, p.total, p.running, p.remaining - p.running)}</span>
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
            <h2>"Migrate"</h2>
            <form class="inline-form act" on:submit=go_range aria-label="Migrate a range of slots">
                <Field label="First slot" field="beg" value=beg check=range placeholder="0" id="range-beg" size=6/>
                <Field label="Last slot" field="end" value=end check=range placeholder="1023" id="range-end" size=6/>
                <Field label="To group" field="gid" value=gid check=range placeholder="1 – 9999" id="range-gid" size=6/>
                <button class="btn btn-warning" type="submit" id="range-go" disabled=move || !ready(range, &[beg, end, gid])>"Migrate range…"</button>
            </form>
            <form class="inline-form act" on:submit=go_some aria-label="Migrate some slots">
                <Field label="Number of slots" field="num" value=num check=some placeholder="e.g. 64" id="some-num" size=6/>
                <Field label="From group" field="from" value=from check=some placeholder="1 – 9999" id="some-from" size=6/>
                <Field label="To group" field="to" value=to check=some placeholder="1 – 9999" id="some-to" size=6/>
                <button class="btn btn-warning" type="submit" id="some-go" disabled=move || !ready(some, &[num, from, to])>"Migrate some…"</button>
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
                <h2>"Distribution"</h2>
                <ul class="legend" id="slot-legend">
                    {move || counts.get().into_iter().map(|(g, n)| view! {
                        <li data-group=g><span class=format!("swatch {}", group_class(g))></span>
                            {if g == 0 { format!("Offline: {n}") } else { format!("Group {g}: {n}") }}</li>
                    }).collect_view()}
                    <li><span class="swatch mig"></span>"Migrating"</li>
                </ul>
            </div>
            <div class="slot-grid" id="slot-grid" role="img" aria-label="Owner group of each of the 1024 slots">
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
                                let mut t = if g == 0 { format!("Slot {sid}: offline") } else { format!("Slot {sid}: group {g}") };
                                mv.with(|m| if let Some((target, st)) = m { t.push_str(&format!(", {} → group {target}", st.as_str())) });
                                t
                            }
                        ></span>
                    }
                }).collect_view()}
            </div>
            <p class="axis muted">"Slot 0 at the top left, 64 per row (32 on narrow screens); stripes: queued or moving."</p>
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
                <h2>"Action queue"</h2>
                <span class="muted" id="queue-count">{move || {
                    let c = counts.get();
                    if c.total() == 0 { "empty".to_string() } else { format!("{} queued: {} pending, {} running", c.total(), c.pending, c.running()) }
                }}</span>
            </div>
            {move || (!rows.with(|r| r.is_empty())).then(|| view! {
                <div class="scroll tall">
                    <table class="grid" id="action-table">
                        <thead><tr><th class="num">"Slot"</th><th class="num">"Group"</th><th class="num">"Target"</th><th class="num">"Index"</th><th>"State"</th><th></th></tr></thead>
                        <tbody>
                            <For each=move || rows.get() key=|a: &SlotActionRow| (a.slot, a.state.as_str().to_owned(), a.target_id, a.index) let:a>
                                <tr data-slot=a.slot>
                                    <td class="num">{a.slot}</td>
                                    <td class="num">{a.group_id}</td>
                                    <td class="num">{a.target_id}</td>
                                    <td class="num">{a.index}</td>
                                    <td><span class=if a.state == SlotActionState::Pending { "badge pending" } else { "badge running" }>{a.state.as_str().to_owned()}</span></td>
                                    <td>{a.can_cancel.then(|| {
                                        let sid = a.slot.to_string();
                                        view! { <button class="btn small btn-danger-outline cancel-action act" on:click=move |_| actions.run(Request::new(Action::SlotsActionRemove { sid: sid.clone() }))>"Cancel"</button> }
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
