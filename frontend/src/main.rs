//! Entry point of the Codis console (WASM, client-side rendered).

mod app;
mod components;
mod core;
mod pages;

fn main() {
    console_error_panic_hook::set_once();
    // The remembered theme before anything is drawn, sign-in page included.
    core::theme::apply(core::theme::stored());
    // The API base comes from the deploy-time config.json (see core::config); mount after it.
    // (wasm-bindgen-futures directly: Leptos sets its executor up only in mount_to_body.)
    wasm_bindgen_futures::spawn_local(async {
        core::config::load().await;
        leptos::mount::mount_to_body(app::App);
    });
}
