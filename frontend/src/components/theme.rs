//! The theme toggle (auto / light / dark), in the user bar of every page.

use leptos::prelude::*;

use crate::core::theme;

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
            title="Colour theme: automatic (the system's), light or dark">
            {move || current.get().label()}
        </button>
    }
}
