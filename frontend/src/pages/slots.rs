//! Slots: every slot by group (one cell each, with queued and running moves: 1024 on Codis 3.2,
//! `max_slot_num` on Pika's Codis fork, up to 16,384), migration
//! control (enable/disable, interval, the dashboard's progress text and a progress bar), the
//! action queue (cancel a pending one, slot 0 included), migrate range / some, and rebalance
//! with the exact plan shown before it runs.

use codis_model::derive::SlotActionRow;
use codis_model::{Action, GroupId, SlotActionState, MAX_SLOT_NUM};
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use super::use_live;
use crate::components::actions::{use_actions, Request};
use crate::components::input::{checked_inputs, ready, submit_then_clear, Field};
use crate::core::live::SlotMove;
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

/// The slots section's split point (components::lazy): its code is the `slots` chunk, fetched the
/// first time the section is opened.
#[leptos::wasm_split::wasm_split(slots, wasm_split_path = ::leptos::wasm_split, fallible)]
pub fn slots_page() -> crate::components::lazy::Part {
    Ok(|| view! { <SlotsPage/> }.into_any())
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
                <div><dt>{move || tr!(slots.dashboard_status)}</dt><dd class="mono" id="slots-status" lang="en">{move || { let s = slots.with(|s| s.status.clone()); if s.is_empty() { "–".to_string() } else { s } }}</dd></div>
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
                                    <div class="progress" role="progressbar" aria-label=tr!(slots.progress) aria-valuemin="0" aria-valuemax=p.total aria-valuenow=p.done id="slots-progress">
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
    let live = use_live();
    let last_slot = Signal::derive(move || (live.slot_count.get().max(1) - 1).to_string());
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
                <Field label=Signal::derive(|| tr!(slots.last_slot)) field="end" value=end check=range placeholder=last_slot id="range-end" size=6/>
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

/// What the slot grid shows in one cell: its owner and its queued or running move.
type Cell = (GroupId, SlotMove);

/// The grid's cells as painted, to repaint only those that changed.
#[derive(Default)]
struct Painted {
    lang: Option<codis_model::ui::prefs::Lang>,
    cells: Vec<web_sys::Element>,
    shown: Vec<Cell>,
}

/// The class and title of one cell. The titles of plain cells are made from templates (one
/// catalogue lookup per paint instead of one per cell: 16,384 cells on a big fork product).
struct CellWords {
    offline: String,
    group: String,
}

const SID: &str = "\u{1}";
const GID: &str = "\u{2}";

impl CellWords {
    fn now() -> CellWords {
        CellWords {
            offline: tr!(slots.slot_offline, sid = SID),
            group: tr!(slots.slot_group, sid = SID, gid = GID),
        }
    }

    fn class(&self, (owner, mv): &Cell) -> String {
        let mut c = format!("slot {}", group_class(*owner));
        if let Some((_, st)) = mv {
            c.push_str(if *st == SlotActionState::Pending {
                " pend"
            } else {
                " mig"
            });
        }
        c
    }

    fn title(&self, sid: usize, (owner, mv): &Cell) -> String {
        let mut t = if *owner == 0 {
            self.offline.replace(SID, &sid.to_string())
        } else {
            self.group
                .replace(SID, &sid.to_string())
                .replace(GID, &owner.to_string())
        };
        if let Some((target, st)) = mv {
            t.push_str(&tr!(slots.slot_move, state = slot_state(st), gid = *target));
        }
        t
    }
}

/// Text for an HTML attribute value in double quotes.
fn attr_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
}

/// Paints the grid in `div`: whole (one `innerHTML`, parsed natively: a signal and two effects
/// per cell took far too long for 16,384 cells) when the slot count or the language changed,
/// else only the cells whose owner or move differ from what is shown.
fn paint(div: &web_sys::Element, p: &mut Painted, now: &[Cell]) {
    let lang = crate::core::lang::current();
    let words = CellWords::now();
    if p.lang != Some(lang) || p.cells.len() != now.len() {
        let mut html = String::with_capacity(now.len() * 56);
        for (sid, cell) in now.iter().enumerate() {
            html.push_str("<span class=\"");
            html.push_str(&words.class(cell));
            html.push_str("\" title=\"");
            html.push_str(&attr_escape(&words.title(sid, cell)));
            html.push_str("\"></span>");
        }
        div.set_inner_html(&html);
        let mut cells = Vec::with_capacity(now.len());
        let mut next = div.first_element_child();
        while let Some(e) = next {
            next = e.next_element_sibling();
            cells.push(e);
        }
        p.cells = cells;
        p.shown = now.to_vec();
        p.lang = Some(lang);
        return;
    }
    for (sid, (cell, shown)) in now.iter().zip(p.shown.iter_mut()).enumerate() {
        if cell != shown {
            if let Some(e) = p.cells.get(sid) {
                e.set_class_name(&words.class(cell));
                let _ = e.set_attribute("title", &words.title(sid, cell));
            }
            *shown = cell.clone();
        }
    }
}

#[component]
fn Distribution() -> impl IntoView {
    let live = use_live();
    let counts = Memo::new(move |_| live.slots.with(|s| s.counts.clone()));
    let grid = NodeRef::<leptos::html::Div>::new();
    let painted = StoredValue::new_local(Painted::default());
    Effect::new(move |_| {
        live.slot_rev.track();
        let Some(div) = grid.get() else {
            return;
        };
        let div: web_sys::Element = div.unchecked_into();
        let now: Vec<Cell> = live.slot_owner.with_value(|owners| {
            live.slot_move.with_value(|moves| {
                owners
                    .iter()
                    .zip(moves.iter())
                    .map(|(g, m)| (*g, m.clone()))
                    .collect()
            })
        });
        painted.update_value(|p| paint(&div, p, &now));
    });
    let count = live.slot_count;
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
            // Wider rows past Codis 3.2's 1024 slots, so that 16,384 stay a screenful.
            <div class="slot-grid" class:wide={move || count.get() > MAX_SLOT_NUM} id="slot-grid" role="img" data-slots=move || count.get()
                aria-label=move || tr!(pika.slot_grid, n = count.get()) node_ref=grid></div>
            <p class="axis muted">{move || if count.get() > MAX_SLOT_NUM { tr!(pika.slot_axis_wide) } else { tr!(slots.axis) }}</p>
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
