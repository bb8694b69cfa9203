//! For operators: who changed what on this product recently (`GET /api/activity`, the backend's
//! last audit entries), and for admins the dashboard's own settings (log level, reload), which
//! the backend allows to the `admin` role only.

use std::time::Duration;

use codis_model::console::AuditEntry as ActivityEntry;
use codis_model::Action;
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::actions::use_actions;
use super::lazy::{Lazy, Part};
use crate::core::api;
use crate::core::auth::use_auth;
use crate::core::time::date_time;
use crate::core::words;
use crate::tr;

/// Entries shown; the backend keeps the last 200.
const SHOWN: usize = 20;

/// How often the panel re-reads the activity while it is on screen.
const REFRESH: Duration = Duration::from_secs(5);

/// The recent-activity table of the product on screen, for operators and admins. Folded until
/// opened (then re-read every few seconds), so that a cold load of the console makes no request
/// for it; the table's code is the `activity` chunk (components::lazy), fetched when it opens.
#[component]
pub fn ActivityPanel(product: RwSignal<String>) -> impl IntoView {
    let auth = use_auth();
    let open = RwSignal::new(false);
    let toggle = move |ev: leptos::ev::Event| {
        // `<details>.open`, read without one more web-sys feature.
        let now_open = ev
            .target()
            .and_then(|t| js_sys::Reflect::get(&t, &"open".into()).ok())
            .and_then(|v| v.as_bool())
            .unwrap_or(false);
        open.set(now_open);
    };
    provide_context(Shown(product));
    view! {
        <Show when=move || auth.sees_activity()>
            <details class="card" id="activity" on:toggle=toggle>
                <summary><h2>{move || tr!(activity.title)}</h2></summary>
                {move || open.get().then(|| view! { <Lazy load=|| Box::pin(activity_table())/> })}
            </details>
        </Show>
    }
}

/// The product whose activity the open panel shows, handed to the `activity` chunk.
#[derive(Clone, Copy)]
struct Shown(RwSignal<String>);

/// The activity table's split point.
#[leptos::wasm_split::wasm_split(activity, wasm_split_path = ::leptos::wasm_split, fallible)]
fn activity_table() -> Part {
    Ok(|| view! { <ActivityTable/> }.into_any())
}

/// The open panel's table: read at once, whenever the product or the caller changes, and every
/// few seconds while it is open.
#[component]
fn ActivityTable() -> impl IntoView {
    let Shown(product) = expect_context::<Shown>();
    let auth = use_auth();
    let entries = RwSignal::new(None::<Vec<ActivityEntry>>);
    let error = RwSignal::new(None::<String>);
    let load = move || {
        let Some(p) = product.try_get_untracked() else {
            return;
        };
        if p.is_empty() || !auth.sees_activity() {
            return;
        }
        spawn_local(async move {
            let path = format!("/api/activity?product={}&limit={SHOWN}", api::enc(&p));
            let r = api::get::<Vec<ActivityEntry>>(&path).await;
            // The panel may have been closed meanwhile.
            match r {
                Ok(v) => {
                    let _ = error.try_set(None);
                    if entries.try_with_untracked(|e| e.as_ref() != Some(&v)) == Some(true) {
                        let _ = entries.try_set(Some(v));
                    }
                }
                Err(e) => {
                    let _ = error.try_set(Some(words::failure(&e)));
                }
            }
        });
    };
    Effect::new(move |_| {
        product.track();
        auth.state.track();
        load();
    });
    let timer = set_interval_with_handle(load, REFRESH).ok();
    on_cleanup(move || {
        if let Some(t) = timer {
            t.clear();
        }
    });
    view! {
        {move || error.get().map(|e| view! { <p class="bad-text">{e}</p> })}
        {move || match entries.get() {
            None => view! { <p class="muted">{tr!(common.loading)}</p> }.into_any(),
            Some(v) if v.is_empty() => view! {
                <p class="muted">{tr!(activity.empty)}</p>
            }.into_any(),
            Some(v) => view! {
                <div class="table-wrap">
                    <table class="grid">
                        <thead><tr>
                            <th>{tr!(activity.time)}</th><th>{tr!(activity.user)}</th><th>{tr!(activity.action)}</th><th>{tr!(activity.outcome)}</th><th>{tr!(activity.message)}</th>
                        </tr></thead>
                        <tbody>{v.into_iter().map(row).collect_view()}</tbody>
                    </table>
                </div>
            }.into_any(),
        }}
    }
}

fn row(e: ActivityEntry) -> impl IntoView {
    let ms = js_sys::Date::parse(&e.time);
    let time = if ms.is_nan() {
        e.time.clone()
    } else {
        date_time(ms)
    };
    let ok = e.outcome == "allowed";
    // Strings unquoted, anything else as its JSON.
    let params = e
        .params
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(k, _)| k.as_str() != "action")
        .map(|(k, v)| match v.as_str() {
            Some(s) => format!("{k}={s}"),
            None => format!("{k}={v}"),
        })
        .collect::<Vec<_>>()
        .join(" ");
    let action = e.action.clone();
    view! {
        <tr data-action=action>
            <td class="mono" title=e.time.clone()>{time}</td>
            <td title=tr!(activity.who, role = e.role.clone(), client = e.client.clone())>{e.user.clone()}</td>
            <td><span class="mono">{e.action}</span>" "<span class="muted">{params}</span></td>
            <td class=if ok { "ok-text" } else { "bad-text" }>{format!("{} ({})", outcome(&e.outcome), e.status)}</td>
            <td>{e.message.unwrap_or_default()}</td>
        </tr>
    }
}

/// The audit outcome (`AuditEntry::outcome`: `allowed`, or why not) in words.
fn outcome(o: &str) -> String {
    match o {
        "allowed" => tr!(activity.allowed),
        "read_only" => tr!(activity.read_only),
        "csrf_refused" => tr!(activity.csrf_refused),
        "role_refused" => tr!(activity.role_refused),
        "wrong_password" => tr!(activity.wrong_password),
        // The rest are the API's error kinds.
        kind => words::kind(kind),
    }
}

/// Log levels the dashboard accepts.
const LEVELS: [&str; 5] = ["ERROR", "WARN", "INFO", "DEBUG", "NONE"];

/// The dashboard's settings, for admins: log level and reload from the coordinator.
#[component]
pub fn DashboardSettings() -> impl IntoView {
    let auth = use_auth();
    let actions = use_actions();
    // Codis 3.2 does not report its current level: the select says so rather than starting on a
    // guess (setting it without choosing a level is refused by the action's rule on `value`).
    let level = RwSignal::new(String::new());
    let set_level = move |_| {
        actions.ask(Action::Loglevel {
            value: level.get_untracked(),
        })
    };
    let reload = move |_| actions.ask(Action::Reload);
    view! {
        <Show when=move || auth.is_admin()>
            <section class="card" id="dashboard-settings" aria-label=move || tr!(settings.title)>
                <h2>{move || tr!(settings.title)} " " <span class="muted">{move || tr!(settings.admin)}</span></h2>
                <div class="settings-row">
                    <label for="loglevel">{move || tr!(settings.loglevel)}</label>
                    <select id="loglevel" on:change=move |ev| level.set(event_target_value(&ev))
                        prop:value=move || level.get()>
                        <option value="">{move || tr!(settings.not_reported)}</option>
                        {LEVELS.iter().map(|l| view! { <option value=*l>{*l}</option> }).collect_view()}
                    </select>
                    <button class="btn" id="set-loglevel" on:click=set_level>{move || tr!(settings.set_loglevel)}</button>
                    <button class="btn btn-danger-outline" id="reload-dashboard" on:click=reload
                        title=move || tr!(settings.reload_tip)>
                        {move || tr!(settings.reload)}
                    </button>
                </div>
            </section>
        </Show>
    }
}
