//! The notification centre (issue 16, 4a): a bell in the header whose badge counts the alerts
//! firing across the fleet (from the fleet stream, no polling), and a dialog listing the firing
//! and recently resolved alerts (`GET /api/alerts`), each linking to the page that shows it.
//!
//! The list is fetched when the panel opens and whenever the number firing changes while it is
//! open (an alert fired or resolved), never on a timer; a tab whose panel stays closed makes no
//! such request. The panel's code is a chunk loaded when it first opens (components::lazy).

use codis_model::alerts::{Alert, AlertState};
use codis_model::ui::fleet::rule_section;
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde::Deserialize;

use crate::components::dialog::Modal;
use crate::components::lazy::{Lazy, Part};
use crate::core::api;
use crate::core::fleet::use_fleet;
use crate::core::nav::section_href;
use crate::core::time::{age, clock};
use crate::core::words;
use crate::tr;

/// `GET /api/alerts` (the backend's `fleet::alerts::AlertsReply`): firing first, then pending,
/// then resolved within the last hour, newest first within each.
#[derive(Clone, Debug, PartialEq, Deserialize)]
struct AlertsReply {
    #[allow(dead_code)]
    evaluated_since_ms: u64,
    alerts: Vec<Alert>,
}

#[component]
pub fn AlertBell() -> impl IntoView {
    let fleet = use_fleet();
    let firing = Memo::new(move |_| {
        fleet.rows.with(|rows| {
            rows.iter()
                .map(|e| e.row.with(|r| r.alerts_firing))
                .sum::<u32>()
        })
    });
    let open = RwSignal::new(false);
    let label = move || match firing.get() {
        0 => tr!(alerts.bell_none),
        n => tr!(alerts.bell, n),
    };
    // What the lazily loaded centre needs (alert_centre below), handed over as context.
    provide_context(Panel {
        firing,
        on_pick: Callback::new(move |_| open.set(false)),
    });
    let toggle = move |_| open.update(|o| *o = !*o);
    view! {
        <button type="button" class="bell" id="alert-bell" aria-haspopup="dialog"
            aria-expanded=move || if open.get() { "true" } else { "false" }
            aria-label=label title=label on:click=toggle
            class:firing=move || { firing.get() > 0 }>
            <span aria-hidden="true">"🔔"</span>
            {move || (firing.get() > 0).then(|| view! { <span class="bell-count" id="alert-count" aria-hidden="true">{firing.get()}</span> })}
        </button>
        {move || open.get().then(|| view! {
            <Modal title=tr!(alerts.title) on_close=Callback::new(move |_| open.set(false)) wide=true>
                <Lazy load=|| Box::pin(alert_centre())/>
            </Modal>
        })}
    }
}

/// A rule's name in the viewer's language.
fn rule_label(rule: &str) -> String {
    use codis_model::alerts::*;
    match rule {
        DASHBOARD_UNREACHABLE => tr!(alerts.rule_dashboard_unreachable),
        DISCOVERY_STALE => tr!(alerts.rule_discovery_stale),
        PROXY_DOWN => tr!(alerts.rule_proxy_down),
        SERVER_DOWN => tr!(alerts.rule_server_down),
        REPLICA_LINK_DOWN => tr!(alerts.rule_replica_link_down),
        GROUP_OUT_OF_SYNC => tr!(alerts.rule_group_out_of_sync),
        SENTINEL_DOWN => tr!(alerts.rule_sentinel_down),
        SENTINEL_OUT_OF_SYNC => tr!(alerts.rule_sentinel_out_of_sync),
        MIGRATION_STUCK => tr!(alerts.rule_migration_stuck),
        SLOT_ACTIONS_DISABLED => tr!(alerts.rule_slot_actions_disabled),
        MEMORY_HIGH => tr!(alerts.rule_memory_high),
        ERROR_RATE_HIGH => tr!(alerts.rule_error_rate_high),
        QPS_DROP => tr!(alerts.rule_qps_drop),
        // A rule newer than this console: its name as the backend gives it.
        other => other.to_string(),
    }
}

/// The alert's summary in the viewer's language, from its labels and `args`; the backend's
/// English summary when something it needs is missing (an older backend, a rule newer than this
/// console).
fn summary_words(a: &Alert) -> String {
    worded_summary(a).unwrap_or_else(|| a.summary.clone())
}

fn worded_summary(a: &Alert) -> Option<String> {
    use codis_model::alerts::*;
    use codis_model::derive::Health;
    let label = |k: &str| a.labels.get(k).cloned();
    let arg = |k: &str| a.args.get(k).cloned();
    // A health label as the backend writes it (`Health::label`), in the viewer's words.
    let status = || {
        let h = match arg("status")?.as_str() {
            "HEALTHY" => Health::Healthy,
            "PENDING" => Health::Pending,
            "TIMEOUT" => Health::Timeout,
            "ERROR" => Health::Error,
            "FLAKY" => Health::Flaky,
            _ => return None,
        };
        Some(crate::components::status::health_label(h))
    };
    Some(match a.rule.as_str() {
        DASHBOARD_UNREACHABLE => {
            let cause = crate::core::codec::decode(&arg("cause")?).ok()?;
            let why = words::cause(&cause);
            tr!(alerts.sum_dashboard_unreachable, why)
        }
        DISCOVERY_STALE => tr!(alerts.sum_discovery_stale),
        PROXY_DOWN => {
            let (proxy, status) = (label("proxy")?, status()?);
            match arg("error") {
                Some(error) => tr!(alerts.sum_proxy_down_error, proxy, status, error),
                None => tr!(alerts.sum_proxy_down, proxy, status),
            }
        }
        SERVER_DOWN => {
            let (server, group, status) = (label("server")?, label("group")?, status()?);
            tr!(alerts.sum_server_down, server, group, status)
        }
        REPLICA_LINK_DOWN => {
            let (server, group, master) = (label("server")?, label("group")?, arg("master")?);
            tr!(alerts.sum_replica_link_down, server, group, master)
        }
        MEMORY_HIGH => {
            let (server, percent) = (label("server")?, arg("percent")?);
            tr!(alerts.sum_memory_high, server, percent)
        }
        GROUP_OUT_OF_SYNC => {
            let group = label("group")?;
            match arg("why")?.as_str() {
                "resync" => tr!(alerts.sum_group_resync, group),
                "other_master" => tr!(alerts.sum_group_other_master, group),
                _ => return None,
            }
        }
        SENTINEL_DOWN => {
            let (sentinel, status) = (label("sentinel")?, status()?);
            tr!(alerts.sum_sentinel_down, sentinel, status)
        }
        SENTINEL_OUT_OF_SYNC => tr!(alerts.sum_sentinel_out_of_sync),
        MIGRATION_STUCK => {
            let queued = arg("queued")?;
            tr!(alerts.sum_migration_stuck, queued)
        }
        SLOT_ACTIONS_DISABLED => {
            let pending = arg("pending")?;
            tr!(alerts.sum_slot_actions_disabled, pending)
        }
        ERROR_RATE_HIGH => {
            let percent = arg("percent")?;
            tr!(alerts.sum_error_rate_high, percent)
        }
        QPS_DROP => {
            let (qps, percent, mean) = (arg("qps")?, arg("percent")?, arg("mean")?);
            tr!(alerts.sum_qps_drop, qps, percent, mean)
        }
        _ => return None,
    })
}

fn severity_label(s: &str) -> String {
    match s {
        "critical" => tr!(alerts.critical),
        "info" => tr!(alerts.info),
        _ => tr!(alerts.warning),
    }
}

/// What the bell hands the `alerts` chunk: the number firing, and what picking an alert does.
#[derive(Clone, Copy)]
struct Panel {
    firing: Memo<u32>,
    on_pick: Callback<()>,
}

/// The alert centre's split point (components::lazy): the `alerts` chunk, fetched the first
/// time the bell's panel opens.
#[leptos::wasm_split::wasm_split(alerts, wasm_split_path = ::leptos::wasm_split, fallible)]
fn alert_centre() -> Part {
    Ok(|| view! { <AlertCentre/> }.into_any())
}

/// The open panel: `GET /api/alerts` when it opens and again whenever the number firing changes
/// while it is open (an alert fired or resolved).
#[component]
fn AlertCentre() -> impl IntoView {
    let Panel { firing, on_pick } = expect_context::<Panel>();
    let reply = RwSignal::new(None::<Result<AlertsReply, String>>);
    // Requests answered out of order: only the newest is shown.
    let asked = StoredValue::new(0u64);
    Effect::new(move |_| {
        firing.track();
        asked.update_value(|n| *n += 1);
        let mine = asked.get_value();
        spawn_local(async move {
            let r = api::get::<AlertsReply>("/api/alerts")
                .await
                .map_err(|e| words::failure(&e));
            if asked.get_value() == mine {
                reply.set(Some(r));
            }
        });
    });
    view! { <AlertList reply=reply on_pick=on_pick/> }
}

#[component]
fn AlertList(
    reply: RwSignal<Option<Result<AlertsReply, String>>>,
    on_pick: Callback<()>,
) -> impl IntoView {
    let of = move |state: AlertState| {
        reply.with(|r| match r {
            Some(Ok(r)) => r
                .alerts
                .iter()
                .filter(|a| a.state == state)
                .cloned()
                .collect::<Vec<_>>(),
            _ => Vec::new(),
        })
    };
    let section = move |state: AlertState, id: &'static str| {
        view! {
            <h3>{move || if state == AlertState::Firing { tr!(alerts.firing) } else { tr!(alerts.resolved) }}</h3>
            {move || {
                let list = of(state);
                if list.is_empty() {
                    return view! { <p class="muted" id=format!("{id}-empty")>{move || if state == AlertState::Firing { tr!(alerts.none_firing) } else { tr!(alerts.none_resolved) }}</p> }.into_any();
                }
                view! {
                    <ul class="alert-list" id=id>
                        {list.into_iter().map(|a| view! { <AlertItem alert=a on_pick=on_pick/> }).collect_view()}
                    </ul>
                }.into_any()
            }}
        }
    };
    view! {
        <div class="alert-centre" id="alert-centre">
            {move || match reply.get() {
                None => view! { <p class="muted">{move || tr!(common.loading)}</p> }.into_any(),
                Some(Err(e)) => view! { <p class="error" role="alert">{move || tr!(alerts.cannot_load, error = e.clone())}</p> }.into_any(),
                Some(Ok(_)) => view! {
                    {section(AlertState::Firing, "alerts-firing")}
                    {section(AlertState::Resolved, "alerts-resolved")}
                }.into_any(),
            }}
        </div>
    }
}

/// One alert, drawn once per answer of `GET /api/alerts` (its texts do not tick).
#[component]
fn AlertItem(alert: Alert, on_pick: Callback<()>) -> impl IntoView {
    let now = crate::core::time::now_ms();
    let href = section_href(&alert.product, rule_section(&alert.rule));
    let firing = alert.state == AlertState::Firing;
    let t = alert
        .resolved_ms
        .or(alert.firing_since_ms)
        .unwrap_or(alert.active_since_ms) as f64;
    let ago = age((now - t).max(0.0));
    let when = if firing {
        tr!(alerts.since, time = clock(t), age = ago)
    } else {
        tr!(alerts.resolved_at, time = clock(t), age = ago)
    };
    let tone = match (firing, alert.severity.as_str()) {
        (false, _) => "alert-item ok",
        (true, "critical") => "alert-item bad",
        _ => "alert-item warn",
    };
    let mut head = format!("{} \u{b7} {}", rule_label(&alert.rule), alert.product);
    if !alert.item.is_empty() {
        head.push_str(&format!(" \u{b7} {}", alert.item));
    }
    view! {
        <li class=tone data-rule=alert.rule.clone() data-product=alert.product.clone() data-state=if firing { "firing" } else { "resolved" }>
            <a href=href on:click=move |_| on_pick.run(())><strong>{head}</strong></a>
            <span class="alert-severity">{severity_label(&alert.severity)}</span>
            <div class="alert-summary">{summary_words(&alert)}</div>
            <div class="muted small alert-when">{when}</div>
        </li>
    }
}
