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
use crate::components::signin::{SignInForm, UserBar};
use crate::components::toast::{ToastHost, Toasts};
use crate::core::api;
use crate::core::auth::{use_auth, Auth, AuthState};
use crate::core::live::{Conn, Live};
use crate::core::nav::{use_nav, Nav};
use crate::core::time::{age, clock, now_ms};
use crate::pages;

/// The browser clock, ticking once a second (ages in the banner and header).
#[derive(Clone, Copy)]
pub struct Now(pub RwSignal<f64>);

/// The product list, refreshed every 10 s (codis-fe fetched it once per page load, codis-fe-spec.md §7.4).
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
    set_interval(load, Duration::from_secs(10));
    provide_context(Products(products));

    move || match phase.get() {
        0 => view! { <main class="main"><p class="muted" id="auth-loading">"Loading…"</p></main> }
            .into_any(),
        1 => view! { <SignInForm/> }.into_any(),
        _ => view! { <Console/> }.into_any(),
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
                    Route::NotFound => view! { <main class="main"><p class="muted">"No such page. Pick a product on the left."</p></main> }.into_any(),
                }}
            </div>
        </div>
        <ToastHost/>
    }
}

#[component]
fn Sidebar() -> impl IntoView {
    let Products(products) = expect_context::<Products>();
    let nav = use_nav();
    let current = Memo::new(move |_| nav.path.with(|p| path_parts(p)));
    view! {
        <nav class="sidebar" aria-label="Products">
            <a href=crate::core::nav::home_href() class="brand">"Codis"</a>
            {move || match products.get() {
                None => view! { <p class="muted side-note">"Loading products…"</p> }.into_any(),
                Some(Err(e)) => view! { <p class="error side-note" role="alert">{format!("Cannot load products. {e}")}</p> }.into_any(),
                Some(Ok(reply)) if reply.products.is_empty() => view! {
                    <p class="muted side-note" id="no-products">
                        {if reply.discovery.loaded {
                            "No products found. Check the discovery flags (--dashboard-list, --zookeeper, --etcd, --filesystem) or start with --demo."
                        } else {
                            "Discovering products…"
                        }}
                    </p>
                }.into_any(),
                Some(Ok(reply)) => {
                    let stale = reply.discovery.stale.then(|| view! {
                        <p class="side-note warn" title=reply.discovery.error.clone().unwrap_or_default()>"Product list is stale: discovery failed."</p>
                    });
                    view! {
                        {stale}
                        <ul class="products">
                            <For each=move || products.with(|p| match p { Some(Ok(r)) => r.products.clone(), _ => Vec::new() })
                                key=|p| (p.name.clone(), p.reachable, p.dashboard.clone())
                                let:p>
                                {
                                    let name = p.name.clone();
                                    let name2 = name.clone();
                                    let selected = Memo::new(move |_| current.with(|c| c.0 == name2));
                                    let href = move || section_href(&name, &current.with(|c| c.1.clone()));
                                    let (dot, tip) = match p.reachable {
                                        Some(true) => ("dot-ok", format!("{} — reachable", p.dashboard)),
                                        Some(false) => ("dot-bad", format!("{} — unreachable: {}", p.dashboard, p.error.clone().unwrap_or_default())),
                                        None => ("dot-unknown", format!("{} — not probed yet", p.dashboard)),
                                    };
                                    view! {
                                        <li>
                                            <a href=href class:selected=selected
                                                aria-current=move || selected.get().then_some("page")
                                                title=tip data-product=p.name.clone()>
                                                <span class=format!("dot {dot}") aria-hidden="true"></span>
                                                <span class="pname">{p.name.clone()}</span>
                                                {(p.reachable == Some(false)).then(|| view! { <span class="sr-only">" (unreachable)"</span> })}
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

/// `/`: opens the only product directly; otherwise asks to pick one.
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
            <UserBar/>
            <h1>"Codis"</h1>
            <p class="muted">"Select a product to watch its proxies, slots, groups and sentinels live."</p>
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
                <UserBar/>
            </div>
            <nav class="tabs" aria-label="Sections">
                {SECTIONS.iter().map(|&(sec, label)| {
                    let active = Memo::new(move |_| section.get() == sec);
                    view! {
                        <a href=move || section_href(&product.get(), sec)
                            class="tab" class:active=active
                            aria-current=move || active.get().then_some("page")
                            data-section=if sec.is_empty() { "overview" } else { sec }>
                            {label}
                            {move || alert(sec).map(|(n, tone)| view! { <span class=format!("tab-count {tone}")>{n}</span> })}
                        </a>
                    }
                }).collect_view()}
            </nav>
        </header>
        <Banner/>
        <main class="main">
            {move || match section.get().as_str() {
                "proxies" => view! { <pages::proxies::ProxiesPage/> }.into_any(),
                "slots" => view! { <pages::slots::SlotsPage/> }.into_any(),
                "groups" => view! { <pages::groups::GroupsPage/> }.into_any(),
                "sentinels" => view! { <pages::sentinels::SentinelsPage/> }.into_any(),
                _ => view! { <pages::overview::OverviewPage/> }.into_any(),
            }}
        </main>
        <ConfirmHost/>
    }
}

/// Sign-in is off on a non-loopback address (`--insecure-no-auth`): a warning that stays on every
/// page (in the sticky header) and cannot be dismissed.
#[component]
fn InsecureBanner() -> impl IntoView {
    let auth = use_auth();
    move || {
        auth.insecure().then(|| view! {
            <div class="banner bad insecure" id="insecure-banner" role="alert">
                "Sign-in is off and this console is served on a non-loopback address (--insecure-no-auth): anyone who can reach it can run every action. Restart it with --users to require sign-in."
            </div>
        })
    }
}

/// "Live · updated 12:03:04" in the header.
#[component]
fn LiveIndicator() -> impl IntoView {
    let live = expect_context::<Live>();
    let text = move || {
        if !live.loaded.get() {
            return ("conn connecting", "Connecting…".to_string());
        }
        let when = clock(live.sampled_ms.get() as f64 + live.skew_ms.get());
        match (live.conn.get(), live.status.with(|s| s.state)) {
            (Conn::Open, LiveState::Live) => ("conn live", format!("Live · {when}")),
            (Conn::Open, LiveState::Waiting) => ("conn waiting", format!("Waiting · {when}")),
            (Conn::Open, _) => ("conn stale", format!("Dashboard down · {when}")),
            _ => ("conn lost", format!("Reconnecting · {when}")),
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
                    format!(
                        "Cannot open the live stream of {} (attempt {}); retrying.",
                        live.product.get(),
                        live.attempts.get()
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
            .map(|a| format!(" Showing data from {} ago.", age(a)))
            .unwrap_or_default();
        let status = live.status.get();
        Some(match conn {
            Conn::Open | Conn::Connecting => match status.state {
                // `actions-off`: the console refuses actions meanwhile (`Actions::blocked`), and
                // the CSS greys their controls out.
                LiveState::Unreachable => (
                    "bad actions-off",
                    format!(
                        "The dashboard is unreachable{}.{age_text}",
                        status.message.map(|m| format!(": {m}")).unwrap_or_default()
                    ),
                ),
                LiveState::Waiting => (
                    "warn actions-off",
                    format!(
                        "Waiting for the dashboard ({} s): no poll has answered for two intervals.{age_text}",
                        live.data_age_ms(now.get())
                            .map_or(0, |a| (a / 1000.0).floor().max(0.0) as u64)
                    ),
                ),
                LiveState::Stale => (
                    "warn",
                    format!(
                        "The dashboard's data is stale{}.{age_text}",
                        status.message.map(|m| format!(": {m}")).unwrap_or_default()
                    ),
                ),
                _ if live.closed.get() => (
                    "warn",
                    format!("The dashboard reports itself closed (shutting down).{age_text}"),
                ),
                _ => return None,
            },
            Conn::Lost => (
                "bad",
                format!("Lost the live stream from the console backend; reconnecting.{age_text}"),
            ),
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
            return "The live view is being reloaded.".to_string();
        }
        if !live.loaded.get() {
            return if conn == Conn::Lost {
                "Cannot open the live stream; retrying.".into()
            } else {
                String::new()
            };
        }
        if !live.degraded() {
            return "Live.".into();
        }
        match conn {
            Conn::Lost => "Lost the live stream from the console backend; reconnecting.".into(),
            _ => match live.status.with(|s| s.state) {
                LiveState::Unreachable => "The dashboard is unreachable.".into(),
                LiveState::Waiting => "Waiting for the dashboard.".into(),
                LiveState::Stale => "The dashboard's data is stale.".into(),
                _ if live.closed.get() => "The dashboard reports itself closed.".into(),
                _ => "Live.".into(),
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
