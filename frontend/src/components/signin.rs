//! The sign-in form (shown instead of the console while `GET /api/me` says 401) and the user bar
//! of the header: who is signed in, their role, Sign out, and the read-only note.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::core::auth::{use_auth, Auth};
use crate::tr;

/// The sign-in page's split point (components::lazy): the `signin` chunk, fetched only by a
/// browser that is not signed in.
#[leptos::wasm_split::wasm_split(signin, wasm_split_path = ::leptos::wasm_split, fallible)]
pub fn signin_page() -> crate::components::lazy::Part {
    Ok(|| view! { <SignInForm/> }.into_any())
}

#[component]
pub fn SignInForm() -> impl IntoView {
    let auth = use_auth();
    let user = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        let (u, p) = (user.get_untracked(), password.get_untracked());
        spawn_local(async move {
            match Auth::sign_in(u, p).await {
                Ok(me) => auth.accept(me),
                Err(e) => {
                    busy.set(false);
                    password.set(String::new());
                    error.set(Some(e));
                }
            }
        });
    };
    view! {
        <main class="signin-page">
            <form class="signin" id="signin-form" on:submit=submit aria-labelledby="signin-title">
                <h1 id="signin-title">{move || tr!(signin.title)}</h1>
                <label for="signin-user">{move || tr!(signin.user)}</label>
                <input id="signin-user" name="username" type="text" autocomplete="username" required autofocus
                    bind:value=user/>
                <label for="signin-password">{move || tr!(signin.password)}</label>
                <input id="signin-password" name="password" type="password" autocomplete="current-password" required
                    bind:value=password/>
                {move || error.get().map(|e| view! { <p class="error" id="signin-error" role="alert">{e}</p> })}
                <button class="btn btn-primary" type="submit" id="signin-submit" disabled=move || busy.get()>
                    {move || if busy.get() { tr!(signin.signing_in) } else { tr!(signin.submit) }}
                </button>
            </form>
        </main>
    }
}

/// In the header: the read-only note, and with sign-in the user, role and Sign out.
#[component]
pub fn UserBar() -> impl IntoView {
    let auth = use_auth();
    view! {
        <div class="userbar">
            {move || (!auth.can_act()).then(|| view! {
                <span class="note warn" id="read-only-note" role="note">{move || tr!(user.read_only)}</span>
            })}
            // The role shown is the one on the product on screen (roles may differ per product).
            // A reverse proxy's user has no session here to end: no Sign out then.
            {move || auth.me().filter(|me| me.mode != "none").map(|me| view! {
                <span class="who">
                    <span id="user-name">{me.user.clone()}</span>
                    " · "
                    <span class="role" id="user-role">{move || auth.role().unwrap_or_default()}</span>
                </span>
                {(me.mode == "local").then(|| view! {
                    <button class="btn small" type="button" id="sign-out" on:click=move |_| auth.sign_out()>{move || tr!(user.sign_out)}</button>
                })}
            })}
            <crate::components::theme::ThemeToggle/>
            <crate::components::theme::LangSwitch/>
        </div>
    }
}
