//! Row visibility for live tables (see [`RowVisibility`]).

use std::collections::HashMap;

use leptos::prelude::*;
use wasm_bindgen::{closure::Closure, JsCast};
use web_sys::{IntersectionObserver, IntersectionObserverEntry, IntersectionObserverInit};

use crate::core::live::put;

/// Which table rows are on screen (or within 40 px of it), from one IntersectionObserver per
/// page; a row's signal is true while it is. Rows are told apart by an attribute (`data-token`
/// for proxies, `data-server` for servers). Live counters of rows out of view are not written:
/// laying out the text changes of 128 rows costs ~10 ms a tick, that of the dozen on screen ~1 ms.
#[derive(Clone, Copy)]
pub struct RowVisibility {
    rows: StoredValue<HashMap<String, RwSignal<bool>>>,
    observer: StoredValue<Option<Observer>, LocalStorage>,
}

struct Observer {
    io: IntersectionObserver,
    _callback: Closure<dyn FnMut(js_sys::Array)>,
}

impl Drop for Observer {
    fn drop(&mut self) {
        self.io.disconnect();
    }
}

impl RowVisibility {
    pub fn new(attr: &'static str) -> RowVisibility {
        let rows = StoredValue::new(HashMap::<String, RwSignal<bool>>::new());
        let callback = Closure::<dyn FnMut(js_sys::Array)>::new(move |entries: js_sys::Array| {
            for e in entries.iter() {
                let e: IntersectionObserverEntry = e.unchecked_into();
                let Some(token) = e.target().get_attribute(attr) else {
                    continue;
                };
                if let Some(s) = rows.with_value(|m| m.get(&token).copied()) {
                    put(s, e.is_intersecting());
                }
            }
        });
        let init = IntersectionObserverInit::new();
        init.set_root_margin("40px 0px");
        let observer =
            IntersectionObserver::new_with_options(callback.as_ref().unchecked_ref(), &init)
                .ok()
                .map(|io| Observer {
                    io,
                    _callback: callback,
                });
        let v = RowVisibility {
            rows,
            observer: StoredValue::new_local(observer),
        };
        on_cleanup(move || v.observer.set_value(None));
        v
    }

    pub fn watch(&self, tr: &web_sys::HtmlTableRowElement, token: String, visible: RwSignal<bool>) {
        self.rows.update_value(|m| {
            m.insert(token, visible);
        });
        self.observer.with_value(|o| {
            if let Some(o) = o {
                o.io.observe(tr);
            }
        });
    }

    pub fn unwatch(&self, token: &str, tr: Option<web_sys::HtmlTableRowElement>) {
        let _ = self.rows.try_update_value(|m| m.remove(token));
        if let Some(tr) = tr {
            let _ = self.observer.try_with_value(|o| {
                if let Some(o) = o {
                    o.io.unobserve(&tr);
                }
            });
        }
    }
}
