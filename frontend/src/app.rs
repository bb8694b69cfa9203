//! The shell: routes, the product sidebar, the sticky header with section tabs, the live banner.
//!
//! Page state lives in the URL (`/p/{product}/{section}`, followed by [`Nav`]): deep links and
//! reloads keep the product and section, Back/Forward work, and switching products does not
//! reload the page. The backend serves index.html for unknown paths.

use std::time::Duration;

use codis_model::console::ProductsReply;
use codis_model::live::LiveState;
use leptos::prelude::*;

use crate::components::actions::{Actions, ConfirmHost};
use crate::components::lazy::Lazy;
use crate::components::signin::UserBar;
use crate::components::toast::{ToastHost, Toasts};
use crate::core::api;
use crate::core::auth::{use_auth, Auth, AuthState};
use crate::core::fleet::{use_fleet, Fleet};
use crate::core::live::{Conn, Live};
use crate::core::nav::{use_nav, Nav};
use crate::core::time::{age, clock, now_ms};
use crate::pages;
use crate::tr;

/// The browser clock, ticking once a second (ages in the banner and header).
#[derive(Clone, Copy)]
pub struct Now(pub RwSignal<f64>);

/// The product list of the first `GET /api/products` (codis-fe fetched it once per page load,
/// codis-fe-spec.md §7.4). It is not polled: once the fleet stream ([`Fleet`]) has its first
/// view, the sidebar follows the stream (new products appear, removed ones go) and this reply
/// only gives the dashboards' addresses and discovery's state.
#[derive(Clone, Copy)]
pub struct Products(pub RwSignal<Option<Result<ProductsReply, String>>>);

pub use crate::core::nav::section_href;
pub use codis_model::ui::route::{path_parts, SECTIONS};
use codis_model::ui::route::{route_of, Route};

#[component]
pub fn App() -> impl IntoView {
    provide_context(Toasts::new());
    provide_context(Nav::start());
    let now = RwSignal::new(now_ms());
    set_interval(move || now.set(now_ms()), Duration::from_secs(1));
    provide_context(Now(now));

    // One request says both who we are and which products there are (`me` in the reply); with
    // sign-in on and no session it is a 401 and the form replaces the console.
    let auth = Auth::new();
    provide_context(auth);
    let phase = Memo::new(move |_| match auth.state.get() {
        AuthState::Loading => 0,
        AuthState::SignIn => 1,
        AuthState::Ready(_) => 2,
    });

    let products = RwSignal::new(None);
    // The fleet stream, shared by every page of the tab; opened by the page that needs it.
    let fleet = Fleet::new();
    provide_context(fleet);
    let load = move || {
        if phase.get_untracked() == 1 {
            return;
        }
        leptos::task::spawn_local(async move {
            let r = api::get::<ProductsReply>("/api/products").await;
            if matches!(&r, Err(e) if e.status == 401) {
                // No session yet, or it expired or was signed out elsewhere.
                products.set(None);
                auth.signed_out();
                return;
            }
            let me = r.as_ref().ok().and_then(|r| r.me.clone());
            products.set(Some(r.map_err(|e| e.text())));
            auth.take_me(me);
        })
    };
    load();
    // After signing in (the form, phase 1 -> 2), load the list with the new session.
    Effect::new(move |prev: Option<u8>| {
        let p = phase.get();
        if p == 2 && prev == Some(1) {
            load();
        }
        p
    });
    // No 10 s poll of the list any more (issue 16: it was a third of a tab's steady traffic).
    // The fleet stream's failures say when to ask again: a stream refused after its session
    // ended is how a signed-out tab learns it (the 401 then brings the sign-in form back).
    Effect::new(move |prev: Option<u32>| {
        let attempts = fleet.attempts.get();
        if attempts > prev.unwrap_or(0) && attempts % 3 == 1 && phase.get_untracked() == 2 {
            load();
        }
        attempts
    });
    Effect::new(move |_| {
        if phase.get() != 2 {
            fleet.stop();
        }
    });
    provide_context(Products(products));

    move || {
        match phase.get() {
        0 => view! { <main class="main"><p class="muted" id="auth-loading">{move || tr!(common.loading)}</p></main> }
            .into_any(),
        1 => view! { <Lazy load=|| Box::pin(crate::components::signin::signin_page())/> }.into_any(),
        _ => view! { <Console/> }.into_any(),
    }
    }
}

/// The console proper: sidebar, the page of the path, toasts.
#[component]
fn Console() -> impl IntoView {
    let auth = use_auth();
    let nav = use_nav();
    let route = Memo::new(move |_| nav.path.with(|p| route_of(p)));
    view! {
        <div class="layout" class:read-only=move || !auth.can_act()>
            <Sidebar/>
            <div class="main-col">
                {move || match route.get() {
                    Route::Home => view! { <Home/> }.into_any(),
                    Route::Product => view! { <ProductLayout/> }.into_any(),
                    Route::NotFound => view! { <main class="main"><p class="muted">{move || tr!(app.no_such_page)}</p></main> }.into_any(),
                }}
            </div>
        </div>
        <ToastHost/>
    }
}

/// One product in the sidebar: its name, dot and tooltip.
#[derive(Clone, Debug, PartialEq)]
struct SideItem {
    name: String,
    /// `dot-ok`, `dot-warn`, `dot-bad` or `dot-unknown`.
    dot: &'static str,
    tip: String,
    down: bool,
}

/// The sidebar's products: the fleet stream's rows once it has a view (health dots as on the
/// fleet page, the list following discovery), else the first `/api/products` reply's.
fn side_items(
    fleet: Fleet,
    products: RwSignal<Option<Result<ProductsReply, String>>>,
) -> Vec<SideItem> {
    use codis_model::fleet::FleetHealth;
    let dashboard = |name: &str| {
        products
            .with(|p| match p {
                Some(Ok(r)) => r
                    .products
                    .iter()
                    .find(|p| p.name == name)
                    .map(|p| p.dashboard.clone()),
                _ => None,
            })
            .unwrap_or_default()
    };
    if fleet.loaded.get() {
        return fleet.rows.with(|rows| {
            rows.iter()
                .map(|e| {
                    e.row.with(|r| {
                        let health = r.health();
                        let dot = match health {
                            FleetHealth::Ok => "dot-ok",
                            FleetHealth::Warn => "dot-warn",
                            FleetHealth::Down => "dot-bad",
                            FleetHealth::Unknown => "dot-unknown",
                        };
                        let state = pages::fleet::state_label(r.state);
                        let tip = match crate::core::words::live_reason(
                            r.cause.as_ref(),
                            r.message.as_ref(),
                        ) {
                            Some(m) => tr!(
                                fleet.tip_msg,
                                dashboard = dashboard(&r.product),
                                state,
                                message = m
                            ),
                            None => tr!(fleet.tip, dashboard = dashboard(&r.product), state),
                        };
                        SideItem {
                            name: r.product.clone(),
                            dot,
                            tip,
                            down: health == FleetHealth::Down,
                        }
                    })
                })
                .collect()
        });
    }
    products.with(|p| match p {
        Some(Ok(r)) => r
            .products
            .iter()
            .map(|p| {
                let (dot, tip) = match p.reachable {
                    Some(true) => (
                        "dot-ok",
                        tr!(app.tip_reachable, dashboard = p.dashboard.clone()),
                    ),
                    Some(false) => (
                        "dot-bad",
                        tr!(
                            app.tip_unreachable,
                            dashboard = p.dashboard.clone(),
                            error = p.error.clone().unwrap_or_default()
                        ),
                    ),
                    None => (
                        "dot-unknown",
                        tr!(app.tip_unprobed, dashboard = p.dashboard.clone()),
                    ),
                };
                SideItem {
                    name: p.name.clone(),
                    dot,
                    tip,
                    down: p.reachable == Some(false),
                }
            })
            .collect(),
        _ => Vec::new(),
    })
}

#[component]
fn Sidebar() -> impl IntoView {
    let Products(products) = expect_context::<Products>();
    let fleet = use_fleet();
    let nav = use_nav();
    let current = Memo::new(move |_| nav.path.with(|p| path_parts(p)));
    let items = Memo::new(move |_| side_items(fleet, products));
    view! {
        <nav class="sidebar" aria-label=move || tr!(app.products_nav)>
            <a href=crate::core::nav::home_href() class="brand">"Codis"</a>
            {move || match products.get() {
                None if !fleet.loaded.get() => view! { <p class="muted side-note">{move || tr!(app.loading_products)}</p> }.into_any(),
                Some(Err(e)) if !fleet.loaded.get() => view! { <p class="error side-note" role="alert">{move || tr!(app.cannot_load_products, error = e.clone())}</p> }.into_any(),
                reply if items.with(Vec::is_empty) => {
                    let loaded = fleet.loaded.get() || reply.as_ref().is_some_and(|r| r.as_ref().is_ok_and(|r| r.discovery.loaded));
                    view! {
                        <p class="muted side-note" id="no-products">
                            {move || if loaded {
                                tr!(app.no_products)
                            } else {
                                tr!(app.discovering)
                            }}
                        </p>
                    }.into_any()
                }
                reply => {
                    let stale = reply.and_then(|r| r.ok()).filter(|r| r.discovery.stale).map(|r| view! {
                        <p class="side-note warn" title=r.discovery.error.clone().unwrap_or_default()>{move || tr!(app.stale_list)}</p>
                    });
                    view! {
                        {stale}
                        <ul class="products">
                            // Keyed by the whole item: a product's link is redrawn when its dot
                            // or tooltip changes (rarely), not on every fleet tick.
                            <For each=move || items.get()
                                key=|p| (p.name.clone(), p.dot, p.tip.clone())
                                let:p>
                                {
                                    let name = p.name.clone();
                                    let name2 = name.clone();
                                    let selected = Memo::new(move |_| current.with(|c| c.0 == name2));
                                    let href = move || section_href(&name, &current.with(|c| c.1.clone()));
                                    view! {
                                        <li>
                                            <a href=href class:selected=selected
                                                aria-current=move || selected.get().then_some("page")
                                                title=p.tip.clone() data-product=p.name.clone()>
                                                <span class=format!("dot {}", p.dot) aria-hidden="true"></span>
                                                <span class="pname">{p.name.clone()}</span>
                                                {p.down.then(|| view! { <span class="sr-only">{move || tr!(app.unreachable_sr)}</span> })}
                                            </a>
                                        </li>
                                    }
                                }
                            </For>
                        </ul>
                    }.into_any()
                }
            }}
        </nav>
    }
}

/// `/`: the fleet (every product at once, live); with a single product, that product's page
/// directly, as before.
#[component]
fn Home() -> impl IntoView {
    let Products(products) = expect_context::<Products>();
    let nav = use_nav();
    Effect::new(move |_| {
        if let Some(Ok(r)) = products.get() {
            if r.products.len() == 1 {
                nav.go(&section_href(&r.products[0].name, ""), true);
            }
        }
    });
    view! {
        <InsecureBanner/>
        <main class="main home">
            <div class="title-row">
                <h1>"Codis"</h1>
                <crate::components::alerts::AlertBell/>
                <UserBar/>
            </div>
            <Lazy load=|| Box::pin(pages::fleet::fleet_page())/>
        </main>
    }
}

#[component]
fn ProductLayout() -> impl IntoView {
    let nav = use_nav();
    let parts = Memo::new(move |_| nav.path.with(|p| path_parts(p)));
    let product = Memo::new(move |_| parts.with(|p| p.0.clone()));
    let live = Live::new();
    provide_context(live);
    let actions = Actions::new(live.product);
    provide_context(actions);
    // While the dashboard is unreachable every action control is greyed out: a class on <body>
    // that the stylesheet reads (`body.actions-off .act`), set only when the state changes. (A
    // `body:has(#live-banner…)` rule did the same but made the browser restyle the whole page on
    // every live update: +5 ms per update on the groups and proxies pages.)
    let blocked = Memo::new(move |_| actions.blocked().is_some());
    Effect::new(move |_| {
        if let Some(body) = document().body() {
            let _ = body
                .class_list()
                .toggle_with_force("actions-off", blocked.get());
        }
    });
    on_cleanup(|| {
        if let Some(body) = document().body() {
            let _ = body.class_list().remove_1("actions-off");
        }
    });
    // The fleet stream (sidebar dots, the bell, the slots page's migration rate) opens once
    // this product's own stream has shown its first numbers: the product's cold load comes
    // first (backend/tests/ui_perf.rs).
    let fleet = use_fleet();
    Effect::new(move |_| {
        if live.loaded.get() {
            fleet.want();
        }
    });
    let auth = use_auth();
    Effect::new(move |_| {
        let p = product.get();
        auth.product.set(p.clone());
        live.select(&p);
    });
    let section = Memo::new(move |_| parts.with(|p| p.1.clone()));

    // Small signals in the tabs: something needs attention in that section. Flaky items (a failure
    // the backend has not confirmed yet) are not counted: the counts agree with the red badges.
    let proxy_alert = Memo::new(move |_| {
        live.proxies.with(|l| {
            l.iter()
                .filter(|p| p.head.with(|r| r.status.is_alarm() || r.switched))
                .count()
        })
    });
    let group_alert = Memo::new(move |_| {
        live.groups.with(|l| {
            l.iter()
                .filter(|g| {
                    g.head
                        .with(|h| h.out_of_sync || h.is_promoting || h.ha_warning.is_some())
                        || g.servers.with(|s| {
                            s.iter().any(|x| {
                                x.head
                                    .with(|r| r.status.is_alarm() || r.master_status == Some(false))
                            })
                        })
                })
                .count()
        })
    });
    let slots_alert = Memo::new(move |_| live.slots.with(|s| s.action_counts.total()));
    let sentinel_alert = Memo::new(move |_| {
        live.sentinels_out_of_sync.get() as usize
            + live.sentinels.with(|l| {
                l.iter()
                    .filter(|s| {
                        s.row
                            .with(|r| r.status.is_alarm() || !r.runid_errors.is_empty())
                    })
                    .count()
            })
    });
    let alert = move |sec: &str| -> Option<(usize, &'static str)> {
        match sec {
            "proxies" => Some((proxy_alert.get(), "bad")),
            "groups" => Some((group_alert.get(), "bad")),
            "slots" => Some((slots_alert.get() as usize, "info")),
            "sentinels" => Some((sentinel_alert.get(), "bad")),
            _ => None,
        }
        .filter(|(n, _)| *n > 0)
    };

    view! {
        <header class="topbar">
            <InsecureBanner/>
            <div class="title-row">
                <h1 class="product-name" id="product-name">{move || product.get()}</h1>
                <LiveIndicator/>
                <crate::components::alerts::AlertBell/>
                <UserBar/>
            </div>
            <nav class="tabs" aria-label=move || tr!(app.sections_nav)>
                {SECTIONS.iter().map(|&(sec, _)| {
                    let active = Memo::new(move |_| section.get() == sec);
                    view! {
                        <a href=move || section_href(&product.get(), sec)
                            class="tab" class:active=active
                            aria-current=move || active.get().then_some("page")
                            data-section=if sec.is_empty() { "overview" } else { sec }>
                            {move || section_label(sec)}
                            {move || alert(sec).map(|(n, tone)| view! { <span class=format!("tab-count {tone}")>{n}</span> })}
                        </a>
                    }
                }).collect_view()}
            </nav>
        </header>
        <Banner/>
        <main class="main">
            {move || match section.get().as_str() {
                // The overview is the product's cold load (backend/tests/ui_perf.rs); the other
                // sections are chunks fetched when first opened (components::lazy).
                "proxies" => view! { <Lazy load=|| Box::pin(pages::proxies::proxies_page())/> }.into_any(),
                "slots" => view! { <Lazy load=|| Box::pin(pages::slots::slots_page())/> }.into_any(),
                "groups" => view! { <Lazy load=|| Box::pin(pages::groups::groups_page())/> }.into_any(),
                "sentinels" => view! { <Lazy load=|| Box::pin(pages::sentinels::sentinels_page())/> }.into_any(),
                _ => view! { <pages::overview::OverviewPage/> }.into_any(),
            }}
        </main>
        <ConfirmHost/>
    }
}

/// A section's tab label (`SECTIONS` names them by path segment; "" is the overview).
pub fn section_label(sec: &str) -> String {
    match sec {
        "proxies" => tr!(section.proxies),
        "slots" => tr!(section.slots),
        "groups" => tr!(section.groups),
        "sentinels" => tr!(section.sentinels),
        _ => tr!(section.overview),
    }
}

/// Sign-in is off on a non-loopback address (`--insecure-no-auth`): a warning that stays on every
/// page (in the sticky header) and cannot be dismissed.
#[component]
fn InsecureBanner() -> impl IntoView {
    let auth = use_auth();
    move || {
        auth.insecure().then(|| {
            view! {
                <div class="banner bad insecure" id="insecure-banner" role="alert">
                    {move || tr!(app.insecure)}
                </div>
            }
        })
    }
}

/// "Live · updated 12:03:04" in the header.
#[component]
fn LiveIndicator() -> impl IntoView {
    let live = expect_context::<Live>();
    let text = move || {
        if !live.loaded.get() {
            return ("conn connecting", tr!(live.connecting));
        }
        let when = clock(live.sampled_ms.get() as f64 + live.skew_ms.get());
        match (live.conn.get(), live.status.with(|s| s.state)) {
            (Conn::Open, LiveState::Live) => ("conn live", tr!(live.live, when)),
            (Conn::Open, LiveState::Waiting) => ("conn waiting", tr!(live.waiting, when)),
            (Conn::Open, _) => ("conn stale", tr!(live.down, when)),
            _ => ("conn lost", tr!(live.reconnecting, when)),
        }
    };
    // Not a live region: its clock changes every second. `Banner`'s announcer says the changes.
    view! {
        <span class=move || text().0 id="live-indicator">{move || text().1}</span>
    }
}

/// Shown whenever what is on screen may be out of date: the stream to the backend is down, or the
/// dashboard is unreachable, stale or closed. Says how old the data is, ticking every second.
#[component]
fn Banner() -> impl IntoView {
    let live = expect_context::<Live>();
    let Now(now) = expect_context::<Now>();
    let message = move || {
        let loaded = live.loaded.get();
        let conn = live.conn.get();
        // A lost or unreadable live event: the view is being (or was just) reloaded.
        if conn != Conn::Lost {
            if let Some(text) = live
                .resync
                .with(|r| r.as_ref().and_then(|r| r.text(now.get())))
            {
                return Some(("warn", text));
            }
        }
        if !loaded {
            return match conn {
                Conn::Lost => Some((
                    "bad",
                    tr!(
                        banner.cannot_open,
                        product = live.product.get(),
                        attempt = live.attempts.get()
                    ),
                )),
                _ => None,
            };
        }
        if !live.degraded() {
            return None;
        }
        let age_text = live
            .data_age_ms(now.get())
            .map(|a| tr!(banner.age, age = age(a)))
            .unwrap_or_default();
        let status = live.status.get();
        Some(match conn {
            Conn::Open | Conn::Connecting => match status.state {
                // `actions-off`: the console refuses actions meanwhile (`Actions::blocked`), and
                // the CSS greys their controls out.
                LiveState::Unreachable => (
                    "bad actions-off",
                    match crate::core::words::live_reason(
                        status.cause.as_ref(),
                        status.message.as_ref(),
                    ) {
                        Some(message) => tr!(banner.unreachable_msg, message, age = age_text),
                        None => tr!(banner.unreachable, age = age_text),
                    },
                ),
                LiveState::Waiting => (
                    "warn actions-off",
                    tr!(
                        banner.waiting,
                        secs = live
                            .data_age_ms(now.get())
                            .map_or(0, |a| (a / 1000.0).floor().max(0.0) as u64),
                        age = age_text
                    ),
                ),
                LiveState::Stale => (
                    "warn",
                    match crate::core::words::live_reason(
                        status.cause.as_ref(),
                        status.message.as_ref(),
                    ) {
                        Some(message) => tr!(banner.stale_msg, message, age = age_text),
                        None => tr!(banner.stale, age = age_text),
                    },
                ),
                _ if live.closed.get() => ("warn", tr!(banner.closed, age = age_text)),
                _ => return None,
            },
            Conn::Lost => ("bad", tr!(banner.lost, age = age_text)),
        })
    };
    // What a screen reader hears: the state, without the ticking age, so it is said once per
    // change (a memo wakes its text node only when the words change). The visible banner, which
    // ticks every second, is not a live region.
    let announcement = Memo::new(move |_| {
        let conn = live.conn.get();
        let reloading = conn != Conn::Lost
            && live
                .resync
                .with(|r| r.as_ref().is_some_and(|r| r.text(now.get()).is_some()));
        if reloading {
            return tr!(announce.reloading);
        }
        if !live.loaded.get() {
            return if conn == Conn::Lost {
                tr!(announce.cannot_open)
            } else {
                String::new()
            };
        }
        if !live.degraded() {
            return tr!(announce.live);
        }
        match conn {
            Conn::Lost => tr!(announce.lost),
            _ => match live.status.with(|s| s.state) {
                LiveState::Unreachable => tr!(announce.unreachable),
                LiveState::Waiting => tr!(announce.waiting),
                LiveState::Stale => tr!(announce.stale),
                _ if live.closed.get() => tr!(announce.closed),
                _ => tr!(announce.live),
            },
        }
    });
    view! {
        <div class="sr-only" id="live-announcer" role="status" aria-live="polite">{move || announcement.get()}</div>
        {move || message().map(|(tone, text)| view! {
            <div class=format!("banner {tone}") id="live-banner">{text}</div>
        })}
    }
}
