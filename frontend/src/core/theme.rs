//! The colour theme: the system's unless the viewer picked one with the toggle; the choice is
//! remembered in `localStorage` and applied as `<html data-theme>`, which the stylesheet's
//! `color-scheme` follows (`style/main.css`). Parsing and cycling: `codis_model::ui::prefs`.

use codis_model::ui::prefs::Theme;
use leptos::prelude::*;

fn storage() -> Option<web_sys::Storage> {
    window().local_storage().ok().flatten()
}

/// The remembered choice.
pub fn stored() -> Theme {
    let value = storage().and_then(|s| s.get_item(Theme::STORAGE_KEY).ok().flatten());
    Theme::from_stored(value.as_deref())
}

/// Shows `theme` on the page.
pub fn apply(theme: Theme) {
    if let Some(html) = document().document_element() {
        let _ = match theme.attribute() {
            Some(v) => html.set_attribute("data-theme", v),
            None => html.remove_attribute("data-theme"),
        };
    }
}

/// Shows and remembers `theme` (a storage refusal, e.g. private mode, only loses the memory).
pub fn choose(theme: Theme) {
    apply(theme);
    if let Some(s) = storage() {
        let _ = match theme.stored() {
            Some(v) => s.set_item(Theme::STORAGE_KEY, v),
            None => s.remove_item(Theme::STORAGE_KEY),
        };
    }
}
