//! The theme toggle (auto / light / dark) and the language switcher, in the user bar of every
//! page.

use codis_model::ui::prefs::{Lang, Theme};
use leptos::prelude::*;

use crate::core::{lang, theme};
use crate::tr;

#[component]
pub fn ThemeToggle() -> impl IntoView {
    let current = RwSignal::new(theme::stored());
    let click = move |_| {
        let next = current.get_untracked().next();
        theme::choose(next);
        current.set(next);
    };
    view! {
        <button class="btn small" type="button" id="theme-toggle" on:click=click
            title=move || tr!(theme.title)>
            {move || match current.get() {
                Theme::System => tr!(theme.auto),
                Theme::Light => tr!(theme.light),
                Theme::Dark => tr!(theme.dark),
            }}
        </button>
    }
}

/// One button per language, each named in itself (a reader of the other language still finds
/// theirs); the current one is pressed.
#[component]
pub fn LangSwitch() -> impl IntoView {
    view! {
        <span class="seg small" role="group" id="lang-switch" aria-label=move || tr!(lang.label)>
            {Lang::ALL.into_iter().map(|l| view! {
                <button class="seg-btn" type="button" lang=l.tag() data-lang=l.tag()
                    class:active=move || lang::current() == l
                    aria-pressed=move || (lang::current() == l).to_string()
                    on:click=move |_| lang::choose(l)>
                    {l.native_name()}
                </button>
            }).collect_view()}
        </span>
    }
}
