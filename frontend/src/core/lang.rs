//! The console's language (docs/i18n.md): the viewer's choice (the switcher, remembered in
//! `localStorage`), else the browser's (`navigator.languages`, any `zh*` is 中文); see
//! `codis_model::ui::prefs::Lang`. `<html lang>` follows it.
//!
//! Every text goes through [`tr!`](crate::tr): a key of the compile-time checked catalogue
//! (`frontend/locales/*.json`, leptos_i18n) in the current language. Read inside a closure it is
//! reactive: switching the language re-renders exactly the texts.

use codis_model::ui::prefs::Lang;
use leptos::prelude::*;

use crate::i18n::Locale;

thread_local! {
    // Outside any owner (the sign-in page and the console share it); never disposed.
    static CURRENT: ArcRwSignal<Lang> = ArcRwSignal::new(Lang::default());
}

fn storage() -> Option<web_sys::Storage> {
    window().local_storage().ok().flatten()
}

/// The language shown (tracked: a closure reading it re-runs on a switch).
pub fn current() -> Lang {
    CURRENT.with(|s| s.get())
}

/// [`current`] as the catalogue's locale.
pub fn locale() -> Locale {
    match current() {
        Lang::En => Locale::en,
        Lang::Zh => Locale::zh,
    }
}

/// The stored choice, else the browser's languages. Called once before anything is drawn.
pub fn start() {
    let stored = storage().and_then(|s| s.get_item(Lang::STORAGE_KEY).ok().flatten());
    let navigator: Vec<String> = window()
        .navigator()
        .languages()
        .iter()
        .filter_map(|v| v.as_string())
        .collect();
    show(Lang::pick(stored.as_deref(), &navigator));
}

/// Shows `lang` and remembers it (a storage refusal, e.g. private mode, only loses the memory).
pub fn choose(lang: Lang) {
    if let Some(s) = storage() {
        let _ = s.set_item(Lang::STORAGE_KEY, lang.tag());
    }
    show(lang);
}

fn show(lang: Lang) {
    if let Some(html) = document().document_element() {
        let _ = html.set_attribute("lang", lang.tag());
    }
    CURRENT.with(|s| s.set(lang));
}

/// A catalogue text in the current language: `tr!(groups.title)`, `tr!(groups.count, n = 3)`.
macro_rules! tr {
    ($($t:tt)*) => {
        $crate::i18n::td_string!($crate::core::lang::locale(), $($t)*).to_string()
    };
}
pub(crate) use tr;
