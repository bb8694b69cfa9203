//! A modal dialog: focus moves into it on open, Tab and Shift+Tab cycle inside it, Escape and the
//! backdrop close it, and focus returns to the control that opened it.

use leptos::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{HtmlElement, KeyboardEvent};

const FOCUSABLE: &str = "button:not([disabled]), [href], input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex='-1'])";

fn focusables(root: &HtmlElement) -> Vec<HtmlElement> {
    let Ok(list) = root.query_selector_all(FOCUSABLE) else {
        return Vec::new();
    };
    (0..list.length())
        .filter_map(|i| list.item(i))
        .filter_map(|n| n.dyn_into::<HtmlElement>().ok())
        .collect()
}

/// Mount it to open it, unmount it to close it. `initial_focus` is a CSS selector inside the
/// dialog (for destructive confirmations: the Cancel button).
#[component]
pub fn Modal(
    #[prop(into)] title: String,
    on_close: Callback<()>,
    #[prop(optional)] danger: bool,
    #[prop(optional)] wide: bool,
    #[prop(optional, into)] initial_focus: Option<String>,
    children: Children,
) -> impl IntoView {
    let root = NodeRef::<leptos::html::Div>::new();
    // Remember who had focus, to give it back on close (keyboard users keep their place).
    let opener = document()
        .active_element()
        .and_then(|e| e.dyn_into::<HtmlElement>().ok());
    let opener = StoredValue::new_local(opener);
    on_cleanup(move || {
        if let Some(Some(el)) = opener.try_get_value() {
            let _ = el.focus();
        }
    });
    Effect::new(move |_| {
        if let Some(el) = root.get() {
            let el: &HtmlElement = &el;
            let target = initial_focus
                .as_deref()
                .and_then(|sel| el.query_selector(sel).ok().flatten())
                .and_then(|e| e.dyn_into::<HtmlElement>().ok())
                .or_else(|| focusables(el).into_iter().next());
            match target {
                Some(t) => {
                    let _ = t.focus();
                }
                None => {
                    let _ = el.focus();
                }
            }
        }
    });
    // On the window, not the dialog: focus can fall to <body> (a button that disables itself
    // while its request runs), and Escape and Tab must still work then.
    let on_key = move |ev: KeyboardEvent| {
        if ev.key() == "Escape" {
            ev.prevent_default();
            ev.stop_propagation();
            on_close.run(());
            return;
        }
        if ev.key() != "Tab" {
            return;
        }
        let Some(el) = root.get_untracked() else {
            return;
        };
        let items = focusables(&el);
        let (Some(first), Some(last)) = (items.first(), items.last()) else {
            ev.prevent_default();
            return;
        };
        let active = document().active_element();
        let is = |x: &HtmlElement| {
            active
                .as_ref()
                .is_some_and(|a| a == x.unchecked_ref::<web_sys::Element>())
        };
        if ev.shift_key() && (is(first) || !items.iter().any(is)) {
            ev.prevent_default();
            let _ = last.focus();
        } else if !ev.shift_key() && (is(last) || !items.iter().any(is)) {
            ev.prevent_default();
            let _ = first.focus();
        }
    };
    let listener = window_event_listener(leptos::ev::keydown, on_key);
    on_cleanup(move || listener.remove());
    // An id of its own: a dialog opened over another (a confirmation over a plan) must not
    // point aria-labelledby at the other's title.
    static NEXT_TITLE: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let title_id = format!(
        "dialog-title-{}",
        NEXT_TITLE.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    let label_id = title_id.clone();
    view! {
        <div class="backdrop" on:click=move |_| on_close.run(())></div>
        <div
            class="dialog"
            class:danger=danger
            class:wide=wide
            role="dialog"
            aria-modal="true"
            aria-labelledby=label_id
            tabindex="-1"
            node_ref=root
        >
            <header class="dialog-head">
                <h2 id=title_id>{title}</h2>
                <button class="icon close" aria-label=move || crate::tr!(common.close) title=move || crate::tr!(common.close_esc) on:click=move |_| on_close.run(())>"×"</button>
            </header>
            <div class="dialog-body">{children()}</div>
        </div>
    }
}
