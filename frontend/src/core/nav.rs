//! The console's routing without a router crate: the path is one signal, set from
//! `location.pathname` at start, on Back/Forward (`popstate`) and when a same-site link is clicked
//! (the click becomes a `history.pushState`, so switching pages or products never reloads).
//!
//! Routes are `/`, `/p/{product}` and `/p/{product}/{section}`, parsed and written by
//! `codis_model::ui::route` (tested on the host); the backend serves index.html for every such
//! path, so deep links and reloads work. Under a base path (`--base-path=/codis/`, read from the
//! document's `<base href>`, [`super::config::base_path`]) the browser's paths are
//! `/codis/p/{product}/…`: the path signal holds the console path without the base, and every
//! link and history entry gets it back ([`section_href`], [`home_href`]).

use codis_model::ui::route;
use leptos::prelude::*;

use super::config::base_path;
use wasm_bindgen::JsCast;

/// The current console path (`location.pathname` without the base path).
#[derive(Clone, Copy)]
pub struct Nav {
    pub path: RwSignal<String>,
}

pub fn use_nav() -> Nav {
    expect_context::<Nav>()
}

/// The browser's path, base included.
fn browser_path() -> String {
    window()
        .location()
        .pathname()
        .unwrap_or_else(|_| "/".into())
}

/// The console path: the browser's path without the base path (a path outside it, which the
/// backend never serves the console at, is kept whole and shows as not found).
fn pathname() -> String {
    let full = browser_path();
    route::strip_base(base_path(), &full)
        .map(str::to_owned)
        .unwrap_or(full)
}

/// The link to a product's section (`""`: its overview), under the base path.
pub fn section_href(product: &str, section: &str) -> String {
    route::with_base(base_path(), &route::section_href(product, section))
}

/// The link to the console's home page, under the base path.
pub fn home_href() -> String {
    route::with_base(base_path(), "/")
}

impl Nav {
    /// Follows the browser's path; call once, at the top of the app.
    pub fn start() -> Nav {
        let nav = Nav {
            path: RwSignal::new(pathname()),
        };
        // The listeners live as long as the page.
        std::mem::forget(window_event_listener(leptos::ev::popstate, move |_| {
            nav.path.set(pathname())
        }));
        std::mem::forget(window_event_listener(
            leptos::ev::click,
            move |ev: web_sys::MouseEvent| nav.on_click(ev),
        ));
        nav
    }

    /// A plain left click on a link to a console page: navigate in place.
    fn on_click(self, ev: web_sys::MouseEvent) {
        if ev.default_prevented()
            || ev.button() != 0
            || ev.meta_key()
            || ev.ctrl_key()
            || ev.shift_key()
            || ev.alt_key()
        {
            return;
        }
        let Some(a) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .and_then(|e| e.closest("a[href]").ok().flatten())
        else {
            return;
        };
        if a.has_attribute("target") || a.has_attribute("download") {
            return;
        }
        let href = a.get_attribute("href").unwrap_or_default();
        let console_path = route::strip_base(base_path(), &href);
        if console_path.is_some_and(|p| p == "/" || p.starts_with("/p/")) {
            ev.prevent_default();
            self.go(&href, false);
        }
    }

    /// A query parameter of the current URL, percent-decoded (`codis_model::ui::route`).
    pub fn query(key: &str) -> Option<String> {
        route::query_get(&window().location().search().unwrap_or_default(), key)
    }

    /// Sets (`Some`) or removes (`None`) a query parameter in place: a view choice such as the
    /// chart's window survives a reload and can be shared as a link, without a history entry
    /// per click.
    pub fn set_query(key: &str, value: Option<&str>) {
        let search = window().location().search().unwrap_or_default();
        let url = format!(
            "{}{}",
            browser_path(),
            route::query_set(&search, key, value)
        );
        if let Ok(history) = window().history() {
            let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url));
        }
    }

    /// Goes to `href` (a browser path, base included, as [`section_href`] writes it): a new
    /// history entry, or `replace` the current one.
    pub fn go(self, href: &str, replace: bool) {
        if let Ok(history) = window().history() {
            let state = wasm_bindgen::JsValue::NULL;
            let _ = if replace {
                history.replace_state_with_url(&state, "", Some(href))
            } else {
                history.push_state_with_url(&state, "", Some(href))
            };
        }
        if !replace {
            window().scroll_to_with_x_and_y(0.0, 0.0);
        }
        self.path.set(pathname());
    }
}
