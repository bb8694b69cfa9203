//! Who is using the console (`me` in `GET /api/products`, as `GET /api/me`), sign-in and sign-out (`/api/session`), and whether
//! actions are allowed (not `--read-only`, not a viewer). The CSRF token of the session goes to
//! [`api::set_csrf`] so every state-changing request carries it.

use codis_model::console::{Me, SignIn};
use leptos::prelude::*;

use super::api;

#[derive(Clone, Debug, PartialEq)]
pub enum AuthState {
    /// The first `GET /api/products` (which says who we are) is in flight.
    Loading,
    /// Sign-in is on and there is no session: show the sign-in form.
    SignIn,
    /// The console may be shown; `None` when the backend could not say who we are (its own
    /// errors then show in the console).
    Ready(Option<Me>),
}

#[derive(Clone, Copy)]
pub struct Auth {
    pub state: RwSignal<AuthState>,
    /// The product on screen: roles may differ per product (`Me::product_roles`).
    pub product: RwSignal<String>,
}

pub fn use_auth() -> Auth {
    expect_context::<Auth>()
}

impl Auth {
    pub fn new() -> Auth {
        Auth {
            state: RwSignal::new(AuthState::Loading),
            product: RwSignal::new(String::new()),
        }
    }

    /// What `GET /api/products` said about the caller (`None`: the call failed, or an older
    /// backend left `me` out). Changes the state only when it changed, so the 10 s refresh of the
    /// product list does not wake everything that reads it.
    pub fn take_me(self, me: Option<Me>) {
        match me {
            Some(me) => {
                let same = self
                    .state
                    .with_untracked(|s| matches!(s, AuthState::Ready(Some(m)) if *m == me));
                if !same {
                    self.accept(me);
                }
            }
            None => {
                if self.state.with_untracked(|s| *s == AuthState::Loading) {
                    self.state.set(AuthState::Ready(None));
                }
            }
        }
    }

    pub fn accept(self, me: Me) {
        api::set_csrf(me.csrf.clone());
        self.state.set(AuthState::Ready(Some(me)));
    }

    pub fn signed_out(self) {
        api::set_csrf(None);
        self.state.set(AuthState::SignIn);
    }

    /// The signed-in caller (tracked).
    pub fn me(self) -> Option<Me> {
        self.state.with(|s| match s {
            AuthState::Ready(me) => me.clone(),
            _ => None,
        })
    }

    /// The caller's role on the product on screen (tracked): its per-product role, else the
    /// general one; `None` while unknown.
    pub fn role(self) -> Option<String> {
        let product = self.product.get();
        self.state.with(|s| match s {
            AuthState::Ready(Some(me)) => Some(
                me.product_roles
                    .get(&product)
                    .cloned()
                    .unwrap_or_else(|| me.role.clone()),
            ),
            _ => None,
        })
    }

    fn read_only(self) -> bool {
        self.state
            .with(|s| matches!(s, AuthState::Ready(Some(me)) if me.read_only))
    }

    /// Whether action controls are shown (tracked): not read-only, operator or admin on this
    /// product (shown while the role is unknown: the backend decides anyway).
    pub fn can_act(self) -> bool {
        !self.read_only() && self.role().is_none_or(|r| r == "operator" || r == "admin")
    }

    /// Whether the dashboard settings (log level, reload) are shown: admin on this product.
    pub fn is_admin(self) -> bool {
        !self.read_only() && self.role().is_some_and(|r| r == "admin")
    }

    /// Whether the recent-activity panel is shown: operators and admins (`GET /api/activity`).
    pub fn sees_activity(self) -> bool {
        self.role().is_some_and(|r| r == "operator" || r == "admin")
    }

    /// Sign-in is off on a non-loopback address (tracked).
    pub fn insecure(self) -> bool {
        self.state
            .with(|s| matches!(s, AuthState::Ready(Some(me)) if me.insecure))
    }

    /// `POST /api/session`; the error is ready to show.
    pub async fn sign_in(user: String, password: String) -> Result<Me, String> {
        api::post::<Me>("/api/session", &SignIn { user, password })
            .await
            .map_err(|e| match e.status {
                429 => crate::tr!(signin.too_many, message = super::words::message(&e)),
                401 => crate::tr!(signin.failed, message = super::words::message(&e)),
                _ => super::words::failure(&e),
            })
    }

    /// `DELETE /api/session`, then back to the sign-in form.
    pub fn sign_out(self) {
        leptos::task::spawn_local(async move {
            let _ = api::delete("/api/session").await;
            self.signed_out();
        });
    }
}

impl Default for Auth {
    fn default() -> Self {
        Auth::new()
    }
}
