//! `/`: the fleet (issue 16). One row per product with its health dot, whether its dashboard
//! answers (and since when), version, QPS, sessions, memory, healthy proxies, servers and
//! sentinels, groups out of sync, slot migration progress and the alerts firing; sortable by
//! column and filterable by name and health. Live over the one fleet stream ([`Fleet`]); the
//! order and filter are `codis_model::ui::fleet` (tested on the host).

use codis_model::fleet::{FleetRow, MigrationStatus};
use codis_model::live::LiveState;
use codis_model::ui::fleet::{health_id, visible, Sort, SortKey, StateFilter};
use leptos::prelude::*;

use crate::app::Now;
use crate::components::lazy::Part;
use crate::core::fleet::{use_fleet, Fleet, FleetEntry};
use crate::core::live::Conn;
use crate::core::nav::{section_href, Nav};
use crate::core::time::{age, clock};
use crate::core::words;
use crate::tr;

/// The fleet page's split point (components::lazy): its code is the `fleet` chunk, fetched the
/// first time `/` shows the fleet.
#[leptos::wasm_split::wasm_split(fleet, wasm_split_path = ::leptos::wasm_split, fallible)]
pub fn fleet_page() -> Part {
    Ok(|| view! { <FleetPage/> }.into_any())
}

#[component]
pub fn FleetPage() -> impl IntoView {
    let fleet = use_fleet();
    fleet.want();
    // The filter and the order are in the URL (`?q=`, `?state=`, `?sort=`): a reload or a
    // bookmark such as `/?state=trouble` shows the same rows.
    let name = RwSignal::new(Nav::query("q").unwrap_or_default());
    let state =
        RwSignal::new(Nav::query("state").map_or(StateFilter::All, |s| StateFilter::of(&s)));
    let sort = RwSignal::new(Nav::query("sort").map_or(Sort::default(), |s| Sort::from_query(&s)));
    Effect::new(move |_| {
        name.with(|n| Nav::set_query("q", (!n.is_empty()).then_some(n.as_str())));
        let st = state.get();
        Nav::set_query("state", (st != StateFilter::All).then(|| st.id()));
        Nav::set_query("sort", sort.get().to_query().as_deref());
    });
    // The products in display order: recomputed per update (100 rows, one sort), while the
    // table re-renders a row only when its own signal changes and the list only when the order
    // does.
    let shown = Memo::new(move |_| {
        fleet.rows.with(|entries| {
            let rows: Vec<FleetRow> = entries.iter().map(|e| e.row.get()).collect();
            visible(&rows, &name.get(), state.get(), sort.get())
                .into_iter()
                .map(|r| r.product.clone())
                .collect::<Vec<String>>()
        })
    });
    let total = Memo::new(move |_| fleet.rows.with(Vec::len));
    let header = move |key: SortKey, label: fn() -> String, num: bool| {
        view! {
            <th class:num=num aria-sort=move || sort.get().aria(key)>
                <button type="button" class="sort" data-sort=key.id()
                    on:click=move |_| sort.update(|s| *s = s.click(key))>
                    {move || label()}
                    <span class="sort-mark" aria-hidden="true">{move || match sort.get().aria(key) {
                        "ascending" => "▲",
                        "descending" => "▼",
                        _ => "",
                    }}</span>
                </button>
            </th>
        }
    };
    view! {
        <section class="card fleet" id="fleet">
            <div class="card-head">
                <h2>{move || tr!(fleet.title)}</h2>
                <form class="inline-form fleet-filters" on:submit=|ev| ev.prevent_default()>
                    <label>
                        <span>{move || tr!(fleet.filter_name)}</span>
                        <input type="search" id="fleet-filter" size="18"
                            placeholder=move || tr!(fleet.filter_placeholder)
                            prop:value=move || name.get()
                            on:input=move |ev| name.set(event_target_value(&ev))/>
                    </label>
                    <label>
                        <span>{move || tr!(fleet.filter_state)}</span>
                        <select id="fleet-state" on:change=move |ev| state.set(StateFilter::of(&event_target_value(&ev)))>
                            {StateFilter::ALL.iter().map(|&(f, id)| view! {
                                <option value=id selected=move || state.get() == f>{move || state_filter_label(f)}</option>
                            }).collect_view()}
                        </select>
                    </label>
                </form>
            </div>
            <FleetStatus/>
            <p class="muted fleet-count" id="fleet-count" aria-live="polite">
                {move || fleet.loaded.get().then(|| tr!(fleet.count, shown = shown.with(Vec::len), n = total.get()))}
            </p>
            {move || (fleet.loaded.get() && total.get() == 0).then(|| view! { <p class="muted" id="fleet-empty">{move || tr!(fleet.none)}</p> })}
            {move || (total.get() > 0 && shown.with(Vec::is_empty)).then(|| view! { <p class="muted" id="fleet-no-match">{move || tr!(fleet.no_match)}</p> })}
            <div class="scroll">
                <table class="grid" id="fleet-table">
                    <thead>
                        <tr>
                            {header(SortKey::Name, || tr!(fleet.col_product), false)}
                            {header(SortKey::Health, || tr!(fleet.col_state), false)}
                            {header(SortKey::Version, || tr!(fleet.col_version), false)}
                            {header(SortKey::Qps, || tr!(fleet.col_qps), true)}
                            {header(SortKey::Sessions, || tr!(fleet.col_sessions), true)}
                            {header(SortKey::Memory, || tr!(fleet.col_memory), true)}
                            {header(SortKey::Proxies, || tr!(fleet.col_proxies), true)}
                            {header(SortKey::Servers, || tr!(fleet.col_servers), true)}
                            {header(SortKey::Groups, || tr!(fleet.col_groups), true)}
                            {header(SortKey::Sentinels, || tr!(fleet.col_sentinels), true)}
                            {header(SortKey::Migration, || tr!(fleet.col_migration), false)}
                            {header(SortKey::Alerts, || tr!(fleet.col_alerts), true)}
                        </tr>
                    </thead>
                    <tbody>
                        <For each=move || shown.get() key=|p| p.clone() let:p>
                            {fleet.rows.with_untracked(|rows| rows.iter().find(|e| e.key == p).cloned())
                                .map(|entry| view! { <FleetLine entry=entry/> })}
                        </For>
                    </tbody>
                </table>
            </div>
        </section>
    }
}

fn state_filter_label(f: StateFilter) -> String {
    match f {
        StateFilter::All => tr!(fleet.state_all),
        StateFilter::Trouble => tr!(fleet.state_trouble),
        StateFilter::Ok => tr!(fleet.state_ok),
        StateFilter::Warn => tr!(fleet.state_warn),
        StateFilter::Down => tr!(fleet.state_down),
    }
}

/// Why the table may be empty or old: connecting, the stream lost, the rows being reloaded.
#[component]
fn FleetStatus() -> impl IntoView {
    let fleet = use_fleet();
    let Now(now) = expect_context::<Now>();
    let message = move || {
        let conn = fleet.conn.get();
        if conn != Conn::Lost {
            if let Some(text) = fleet
                .resync
                .with(|r| r.as_ref().and_then(|r| r.text(now.get())))
            {
                return Some(("warn", text));
            }
        }
        match (conn, fleet.loaded.get()) {
            (Conn::Lost, false) => Some((
                "bad",
                tr!(fleet.cannot_open, attempt = fleet.attempts.get()),
            )),
            (Conn::Lost, true) => Some((
                "bad",
                tr!(
                    fleet.lost,
                    age = age(now.get() - fleet.skew_ms.get() - fleet.sampled_ms.get() as f64)
                ),
            )),
            (_, false) => Some(("muted", tr!(fleet.connecting))),
            _ => None,
        }
    };
    move || {
        message().map(|(tone, text)| {
            view! { <div class=format!("banner {tone}") id="fleet-banner" role="status">{text}</div> }
        })
    }
}

/// The words of a dashboard's state.
pub fn state_label(s: LiveState) -> String {
    match s {
        LiveState::Connecting => tr!(fleet.st_connecting),
        LiveState::Live => tr!(fleet.st_live),
        LiveState::Waiting => tr!(fleet.st_waiting),
        LiveState::Stale => tr!(fleet.st_stale),
        LiveState::Unreachable => tr!(fleet.st_unreachable),
    }
}

/// `ok of total`, or a dash when there are none.
fn of(ok: u32, total: u32) -> String {
    if total == 0 {
        "\u{2013}".into()
    } else {
        format!("{ok}/{total}")
    }
}

/// The migration cell: a dash when idle; else done and queued, the rate and ETA once known, and
/// STUCK or paused.
pub fn migration_text(m: &MigrationStatus) -> String {
    if m.is_idle() {
        return "\u{2013}".into();
    }
    let mut t = tr!(fleet.mig_progress, done = m.done, queued = m.queued);
    if let Some(r) = m.rate_per_min {
        t.push_str(&tr!(
            fleet.mig_rate,
            rate = codis_model::format::fixed(r, 1)
        ));
    }
    if let Some(eta) = m.eta_secs {
        t.push_str(&tr!(fleet.mig_eta, eta = age(eta as f64 * 1000.0)));
    }
    if m.stuck {
        t.push_str(&tr!(fleet.mig_stuck));
    }
    if m.disabled {
        t.push_str(&tr!(fleet.mig_paused));
    }
    t
}

/// One cell of a row: rendered from plain data by a single view, so twelve columns cost the
/// wasm one cell's code rather than twelve (ui_perf's size budget).
struct Cell {
    col: &'static str,
    bad: bool,
    text: String,
    title: String,
}

fn cells(r: &FleetRow, skew_ms: f64) -> [Cell; 11] {
    let cell = |col, bad, text: String| Cell {
        col,
        bad,
        text,
        title: String::new(),
    };
    let num = |n: i64| codis_model::format::thousands(i128::from(n));
    let mut state = state_label(r.state);
    if r.since_ms > 0 {
        state.push_str(&tr!(fleet.since, time = clock(r.since_ms as f64 + skew_ms)));
    }
    let mut sentinels = of(r.sentinels_healthy, r.sentinels_total);
    if r.sentinels_out_of_sync {
        sentinels.push_str(&tr!(fleet.out_of_sync));
    }
    let version = if r.version.is_empty() {
        "\u{2013}".to_string()
    } else {
        r.version.clone()
    };
    [
        Cell {
            title: words::live_reason(r.cause.as_ref(), r.message.as_ref()).unwrap_or_default(),
            ..cell(
                "state",
                !matches!(r.state, LiveState::Live | LiveState::Connecting),
                state,
            )
        },
        cell("version", false, version),
        cell("qps", false, num(r.qps)),
        cell("sessions", false, num(r.sessions)),
        cell("memory", false, codis_model::format::human_size(r.memory)),
        cell(
            "proxies",
            r.proxies_healthy < r.proxies_total,
            of(r.proxies_healthy, r.proxies_total),
        ),
        cell(
            "servers",
            r.servers_healthy < r.servers_total,
            of(r.servers_healthy, r.servers_total),
        ),
        cell(
            "groups",
            r.groups_out_of_sync > 0,
            r.groups_out_of_sync.to_string(),
        ),
        cell(
            "sentinels",
            r.sentinels_healthy < r.sentinels_total || r.sentinels_out_of_sync,
            sentinels,
        ),
        cell("migration", r.migration.stuck, migration_text(&r.migration)),
        cell("alerts", r.alerts_firing > 0, r.alerts_firing.to_string()),
    ]
}

fn health_label(h: codis_model::fleet::FleetHealth) -> String {
    use codis_model::fleet::FleetHealth;
    match h {
        FleetHealth::Ok => tr!(fleet.health_ok),
        FleetHealth::Warn => tr!(fleet.health_warn),
        FleetHealth::Down => tr!(fleet.health_down),
        FleetHealth::Unknown => tr!(fleet.health_unknown),
    }
}

/// One product. Its cells are redrawn together when its row signal changes (once per fleet
/// interval for a product whose numbers move), not on a clock.
#[component]
fn FleetLine(entry: FleetEntry) -> impl IntoView {
    let fleet: Fleet = use_fleet();
    let FleetEntry { key: product, row } = entry;
    let href = section_href(&product, "");
    move || {
        let (health, list) = row.with(|r| (r.health(), cells(r, fleet.skew_ms.get_untracked())));
        let id = health_id(health);
        let label = health_label(health);
        view! {
            <tr data-product=product.clone() data-health=id class:row-bad=health == codis_model::fleet::FleetHealth::Down>
                <td class="fleet-name">
                    <span class=format!("dot dot-{id}") aria-hidden="true" title=label.clone()></span>
                    <a href=href.clone()>{product.clone()}</a>
                    <span class="sr-only">{format!(" ({label})")}</span>
                </td>
                {list.into_iter().map(|c| view! {
                    <td data-col=c.col class:bad=c.bad class:fleet-state=c.col == "state" class:num=!matches!(c.col, "state" | "version" | "migration") title=c.title>{c.text}</td>
                }).collect_view()}
            </tr>
        }
    }
}
