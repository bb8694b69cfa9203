//! Lazily loaded parts of the console (issue 14: the cold load's budget). A part the first
//! screen does not need (the fleet page, ...) is a split point: its code is cut out of the main
//! wasm by `wasm-split-cli` (scripts/split-wasm, run by Trunk's post-build hook) into a chunk the
//! browser fetches the first time the part is shown.
//!
//! A split point is a `#[wasm_split(name, wasm_split_path = ::leptos::wasm_split, fallible)]`
//! function returning `Result<fn() -> AnyView, LoadFailed>`: the function pointer draws the part
//! (its code lives in the chunk). `fallible` (rather than Leptos' `#[lazy]`, whose failed load
//! panics and so aborts the whole app) turns a failed fetch into an `Err`; [`Lazy`] shows a
//! loading line while the chunk comes and, if it cannot come (typically: the server was updated
//! since this tab was opened, so the old chunk is gone), an error with a reload button.

use std::future::Future;
use std::pin::Pin;

use leptos::prelude::*;
use leptos::wasm_split::SplitLoaderError;

use crate::tr;

/// A chunk could not be fetched or instantiated (the browser console has the details).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoadFailed;

impl From<SplitLoaderError> for LoadFailed {
    fn from(_: SplitLoaderError) -> Self {
        LoadFailed
    }
}

/// What a split point gives back once its chunk is in: the function drawing the part.
pub type Part = Result<fn() -> AnyView, LoadFailed>;
/// A split point, as [`Lazy`] takes it (`|| Box::pin(split_fn())`).
pub type Loader = fn() -> Pin<Box<dyn Future<Output = Part>>>;

/// Shows the part `load` brings in: a loading line until its chunk is in, then the part, or a
/// clear error with a reload button if the chunk cannot be loaded. A failed load is not cached
/// (wasm_split_helpers retries on the next call), so the page opened again tries again.
/// `quiet`: nothing is shown while the chunk comes (a dialog whose chunk is already in: the
/// loading line would flash, and be announced, every time it opens).
#[component]
pub fn Lazy(load: Loader, #[prop(optional)] quiet: bool) -> impl IntoView {
    let part = LocalResource::new(load);
    move || {
        match part.get() {
        None if quiet => ().into_any(),
        None => view! {
            <p class="muted lazy-loading" role="status" aria-busy="true">{move || tr!(common.loading_page)}</p>
        }
        .into_any(),
        Some(Ok(draw)) => draw(),
        Some(Err(LoadFailed)) => view! {
            <div class="card lazy-failed" role="alert">
                <p class="error">{move || tr!(common.page_failed)}</p>
                <button type="button" class="btn btn-primary" on:click=|_| reload()>{move || tr!(common.reload_page)}</button>
            </div>
        }
        .into_any(),
    }
    }
}

fn reload() {
    if let Some(w) = web_sys::window() {
        let _ = w.location().reload();
    }
}
