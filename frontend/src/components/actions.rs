//! Running actions: confirmation in words (`Action::describe`), HA-conflict warnings in the
//! danger style (codis-fe's alertAction2), the request, and the result or the error's own message.
//!
//! Every mutation of the console goes through [`Actions::run`]; the result shows up in the live
//! view by itself (the backend streams the next sample), so nothing here is optimistic.
//!
//! Safe retries: while the dashboard is unreachable actions are refused (and their buttons
//! greyed out); an action whose dashboard call timed out is "outcome unknown", and the console
//! watches the next samples and says "it happened" when the change shows up.
//!
//! Running an action and its dialog are the `actions` chunk (components::lazy), fetched the first
//! time an action is asked for: the overview's first load needs none of it. Code that runs in the
//! main module asks through [`Actions::ask`] and draws the dialog through [`ConfirmHost`]; the
//! pages, themselves chunks, call [`Actions::run`] directly.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use codis_model::console::{RebalanceApply, RebalancePreview};
use codis_model::{Action, ActionOutcome};
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::dialog::Modal;
use super::lazy::{Lazy, LoadFailed, Part};
use super::toast::{use_toasts, Toasts, Tone};
use crate::core::api::{self, ApiFailure};
use crate::core::live::Live;
use crate::core::words;
use crate::tr;

/// One action with its context.
#[derive(Clone)]
pub struct Request {
    pub action: Action,
    /// What it will do, in words (`Action::describe`, or `describe_named` for a proxy).
    pub text: String,
    /// Warnings shown above the buttons; any warning turns the dialog red ("… anyway").
    pub warnings: Vec<String>,
    /// Runs after success (for example to clear the form that made the request).
    pub on_done: Option<Callback<()>>,
}

impl Request {
    pub fn new(action: Action) -> Request {
        Request {
            text: words::describe(&action, None),
            action,
            warnings: Vec::new(),
            on_done: None,
        }
    }

    /// Names the proxy of a proxy action (by id and addresses, `causes::proxy_name`).
    pub fn named(mut self, proxy: &str) -> Request {
        self.text = words::describe(&self.action, Some(proxy));
        self
    }

    /// Adds what else the dashboard will do to the text.
    pub fn note(mut self, n: &str) -> Request {
        self.text.push(' ');
        self.text.push_str(n);
        self
    }

    pub fn warn(mut self, w: Vec<String>) -> Request {
        self.warnings = w;
        self
    }

    pub fn then(mut self, f: impl Fn() + Send + Sync + 'static) -> Request {
        self.on_done = Some(Callback::new(move |()| f()));
        self
    }
}

#[derive(Clone)]
enum Pending {
    Action(Request),
    Rebalance(Result<RebalancePreview, ApiFailure>),
}

/// The action runner of the selected product (provided as context by the product layout).
#[derive(Clone, Copy)]
pub struct Actions {
    product: RwSignal<String>,
    pending: RwSignal<Option<Pending>>,
    /// A request from the open dialog is in flight.
    running: RwSignal<bool>,
    /// The failure of the dialog's request, shown inside the dialog, with its hint.
    error: RwSignal<Option<String>>,
    /// The previewed rebalance plan was refused as stale: only "Preview again" is offered.
    stale_plan: RwSignal<bool>,
    /// The dialog's action timed out: its outcome is unknown, so it is not offered again.
    unknown: RwSignal<bool>,
    toasts: Toasts,
    live: Option<Live>,
}

pub fn use_actions() -> Actions {
    expect_context::<Actions>()
}

async fn post_action(product: &str, action: &Action) -> Result<ActionOutcome, ApiFailure> {
    let out: ActionOutcome = api::post(&api::product_path(product, "/actions"), action).await?;
    if out.ok {
        Ok(out)
    } else {
        Err(ApiFailure {
            status: 200,
            kind: "dashboard_refused".into(),
            message: out
                .reply
                .map(|r| r.to_string())
                .unwrap_or_else(|| tr!(actions.no_reason)),
            field: None,
            rule: None,
            hint: None,
            cause: None,
        })
    }
}

impl Actions {
    pub fn new(product: RwSignal<String>) -> Actions {
        let live = use_context::<Live>();
        // While the dashboard is unreachable every action control is greyed out by CSS on the
        // live banner's `actions-off` class (no effect of its own); `run` refuses them too.
        Actions {
            product,
            pending: RwSignal::new(None),
            running: RwSignal::new(false),
            error: RwSignal::new(None),
            stale_plan: RwSignal::new(false),
            unknown: RwSignal::new(false),
            toasts: use_toasts(),
            live,
        }
    }

    /// Why actions cannot run now: the dashboard is unreachable, or has not answered a poll for
    /// two intervals (frozen). An action sent now would most likely time out with its outcome
    /// unknown, be carried out later unseen, and a retry could apply it twice.
    pub fn blocked(&self) -> Option<String> {
        use codis_model::live::LiveState;
        let live = self.live?;
        if !live.loaded.get() {
            return None;
        }
        matches!(
            live.status.with(|s| s.state),
            LiveState::Unreachable | LiveState::Waiting
        )
        .then(|| tr!(actions.blocked))
    }

    /// [`Actions::run`] of `action` (described by `Request::new`), from code in the main module:
    /// fetches the `actions` chunk first, or says it cannot.
    pub fn ask(&self, action: Action) {
        let me = *self;
        spawn_local(async move {
            match runner().await {
                Ok(run) => run(me, action),
                Err(LoadFailed) => me.toasts.push(Tone::Error, tr!(common.page_failed)),
            }
        });
    }

    /// Confirms (when the action or its warnings call for it) and runs `req`.
    pub fn run(&self, req: Request) {
        if let Some(why) = self.blocked_untracked() {
            self.toasts.push(Tone::Error, why);
            return;
        }
        if let Err(e) = req.action.validate() {
            self.toasts.push(
                Tone::Error,
                tr!(actions.invalid, error = words::invalid(&e)),
            );
            return;
        }
        if req.action.needs_confirmation() || !req.warnings.is_empty() {
            self.error.set(None);
            self.unknown.set(false);
            self.running.set(false);
            self.pending.set(Some(Pending::Action(req)));
        } else {
            self.execute(req, false);
        }
    }

    fn blocked_untracked(&self) -> Option<String> {
        untrack(|| self.blocked())
    }

    fn execute(&self, req: Request, from_dialog: bool) {
        let me = *self;
        if let Some(why) = me.blocked_untracked() {
            if from_dialog {
                me.error.set(Some(why));
            } else {
                me.toasts.push(Tone::Error, why);
            }
            return;
        }
        let product = self.product.get_untracked();
        me.running.set(true);
        spawn_local(async move {
            let result = post_action(&product, &req.action).await;
            me.running.set(false);
            match result {
                Ok(out) => {
                    // A migration says what the dashboard really queued (it accepts some that
                    // queue nothing).
                    let queued = out
                        .queued
                        .map(|n| tr!(actions.queued, n))
                        .unwrap_or_default();
                    me.toasts
                        .push(Tone::Ok, tr!(actions.done, text = req.text.clone(), queued));
                    if let Some(cb) = req.on_done {
                        cb.run(());
                    }
                    if from_dialog {
                        me.pending.set(None);
                    }
                }
                Err(e) if e.outcome_unknown() => {
                    // The dashboard may still carry it out: say so (in the dialog, which then
                    // offers no retry), and watch the live view for it.
                    if from_dialog {
                        me.unknown.set(true);
                        me.error.set(Some(words::failure(&e)));
                    } else {
                        me.toasts.push(
                            Tone::Error,
                            tr!(
                                actions.unknown_toast,
                                error = words::failure(&e),
                                text = req.text.trim_end_matches(['.', '。'])
                            ),
                        );
                    }
                    me.watch(req);
                }
                Err(e) if from_dialog => me.error.set(Some(words::failure_with_hint(&e))),
                Err(e) => me.toasts.push(Tone::Error, words::failure_with_hint(&e)),
            }
        });
    }

    /// After an "outcome unknown": checks the live view twice a second for two minutes and says
    /// "It happened" when the action's change shows up (closing its dialog if still open). Stops
    /// early when the product's view goes away (another product, or the page was left).
    fn watch(&self, req: Request) {
        let Some(live) = self.live else {
            return;
        };
        let Some(product) = live.product.try_get_untracked() else {
            return;
        };
        if happened(&live, &req.action) != Some(false) {
            // Already there, or an effect the live view cannot tell: nothing to watch.
            return;
        }
        let (toasts, pending, unknown) = (self.toasts, self.pending, self.unknown);
        let ticks = Rc::new(Cell::new(0u32));
        let handle: Rc<RefCell<Option<IntervalHandle>>> = Rc::new(RefCell::new(None));
        let h2 = handle.clone();
        let stop = move || {
            if let Some(h) = h2.borrow_mut().take() {
                h.clear();
            }
        };
        let tick = move || {
            ticks.set(ticks.get() + 1);
            let same_view = live.product.try_get_untracked().as_ref() == Some(&product);
            match same_view.then(|| happened(&live, &req.action)).flatten() {
                Some(true) => {
                    toasts.push(Tone::Ok, tr!(actions.happened, text = req.text.clone()));
                    let still_open = pending.try_with_untracked(
                        |p| matches!(p, Some(Pending::Action(r)) if r.action == req.action),
                    ) == Some(true);
                    if still_open && unknown.try_get_untracked() == Some(true) {
                        pending.set(None);
                    }
                    stop();
                }
                Some(false) if ticks.get() < 240 => {}
                _ => stop(),
            }
        };
        if let Ok(h) = set_interval_with_handle(tick, Duration::from_millis(500)) {
            *handle.borrow_mut() = Some(h);
        }
    }

    /// Asks the dashboard for its rebalance plan and shows it; the exact plan shown is what
    /// runs (the backend refuses with 409 if the dashboard would now do something else).
    pub fn rebalance(&self) {
        let me = *self;
        let product = self.product.get_untracked();
        me.running.set(true);
        me.error.set(None);
        me.stale_plan.set(false);
        spawn_local(async move {
            let preview: Result<RebalancePreview, ApiFailure> =
                api::post_empty(&api::product_path(&product, "/rebalance/preview")).await;
            me.running.set(false);
            me.pending.set(Some(Pending::Rebalance(preview)));
        });
    }

    fn apply_rebalance(&self, preview: RebalancePreview) {
        let me = *self;
        let product = self.product.get_untracked();
        me.running.set(true);
        spawn_local(async move {
            let body = RebalanceApply {
                plan: preview.plan.clone(),
            };
            let r: Result<ActionOutcome, ApiFailure> =
                api::post(&api::product_path(&product, "/rebalance/apply"), &body).await;
            me.running.set(false);
            match r {
                Ok(_) => {
                    let n = preview.plan.len();
                    me.toasts.push(
                        Tone::Ok,
                        if n == 0 {
                            tr!(actions.balanced)
                        } else {
                            tr!(actions.rebalance_queued, n)
                        },
                    );
                    me.pending.set(None);
                }
                Err(e) => {
                    // 409 conflict: the cluster changed since the preview; this plan must not
                    // run. Outcome unknown: it may have been queued; only a new preview can tell.
                    if e.kind == "conflict" || e.outcome_unknown() {
                        me.stale_plan.set(true);
                    }
                    me.error.set(Some(words::failure_with_hint(&e)));
                }
            }
        });
    }

    fn close(&self) {
        if !self.running.get_untracked() {
            self.pending.set(None);
        }
    }
}

/// Whether the change `a` asks for shows in the live view; `None` for an action whose effect
/// the live view cannot tell (a resync, a migration, a setting), or when the view is gone.
/// Limited to what operators retry (servers, groups, proxies, sentinels): each arm costs bytes
/// of the console's cold load.
fn happened(live: &Live, a: &Action) -> Option<bool> {
    let gid_of = |g: &str| g.trim().parse::<codis_model::GroupId>().ok();
    // The row of server `addr` in group `gid`: `Some(None)` when it is not there.
    let server = |gid: &str, addr: &str| -> Option<Option<codis_model::derive::ServerRow>> {
        let gid = gid_of(gid)?;
        live.groups.try_with_untracked(|gs| {
            gs.iter().find(|g| g.id == gid).and_then(|g| {
                g.servers
                    .try_with_untracked(|s| {
                        s.iter()
                            .find(|x| x.key == addr.trim())
                            .and_then(|x| x.head.try_get_untracked())
                    })
                    .flatten()
            })
        })
    };
    let has_group = |gid: &str| {
        let gid = gid_of(gid)?;
        live.groups
            .try_with_untracked(|gs| gs.iter().any(|g| g.id == gid))
    };
    let has_sentinel = |addr: &str| {
        live.sentinels
            .try_with_untracked(|l| l.iter().any(|s| s.key == addr.trim()))
    };
    let has_proxy = |token: &str| {
        live.proxies
            .try_with_untracked(|l| l.iter().any(|p| p.key == token))
    };
    match a {
        Action::GroupCreate { gid } => has_group(gid),
        Action::GroupRemove { gid } => has_group(gid).map(|b| !b),
        Action::GroupAddServer { gid, addr, .. } => server(gid, addr).map(|r| r.is_some()),
        Action::GroupDelServer { gid, addr } => server(gid, addr).map(|r| r.is_none()),
        Action::GroupPromote { gid, addr } => {
            server(gid, addr).map(|r| r.is_some_and(|r| r.index == 0))
        }
        Action::GroupReplicaGroups { gid, addr, enabled } => {
            server(gid, addr).map(|r| r.is_some_and(|r| r.replica_group == *enabled))
        }
        Action::ProxyCreate { addr } => live.proxies.try_with_untracked(|l| {
            l.iter().any(|p| {
                p.head
                    .try_with_untracked(|r| r.admin_addr == addr.trim())
                    .unwrap_or(false)
            })
        }),
        Action::ProxyRemove { token, .. } => has_proxy(token).map(|b| !b),
        Action::SentinelAdd { addr } => has_sentinel(addr),
        Action::SentinelRemove { addr, .. } => has_sentinel(addr).map(|b| !b),
        _ => None,
    }
}

/// The `actions` chunk's runner, for [`Actions::ask`].
#[leptos::wasm_split::wasm_split(actions, wasm_split_path = ::leptos::wasm_split, fallible)]
fn runner() -> Result<fn(Actions, Action), LoadFailed> {
    Ok(|me, action| me.run(Request::new(action)))
}

/// The `actions` chunk's dialog, for [`ConfirmHost`].
#[leptos::wasm_split::wasm_split(actions, wasm_split_path = ::leptos::wasm_split, fallible)]
fn dialog() -> Part {
    Ok(|| view! { <ConfirmDialog/> }.into_any())
}

/// Renders the confirmation dialog of the pending action, if any (a pending action comes from
/// the `actions` chunk, so the dialog's code is loaded by then).
#[component]
pub fn ConfirmHost() -> impl IntoView {
    let actions = use_actions();
    let open = Memo::new(move |_| actions.pending.with(Option::is_some));
    move || {
        open.get()
            .then(|| view! { <Lazy load=|| Box::pin(dialog()) quiet=true/> })
    }
}

/// The confirmation dialog of the pending action.
#[component]
fn ConfirmDialog() -> impl IntoView {
    let actions = use_actions();
    let close = Callback::new(move |()| actions.close());
    move || {
        let pending = actions.pending.get()?;
        let error = move || {
            actions
                .error
                .get()
                .map(|e| view! { <p class="dialog-error" role="alert">{e}</p> })
        };
        let running = actions.running;
        Some(match pending {
            Pending::Action(req) => {
                let danger = !req.warnings.is_empty();
                let title = if danger { tr!(actions.warning_title) } else { tr!(actions.confirm_title) };
                let describe = req.text.clone();
                let warnings = req.warnings.clone();
                let label = words::confirm_label(&req.action);
                let dismiss = words::dismiss_label(&req.action);
                let blocked = move || actions.blocked();
                let unknown = actions.unknown;
                let go = {
                    let req = req.clone();
                    move |_| actions.execute(req.clone(), true)
                };
                view! {
                    <Modal title=title on_close=close danger=danger initial_focus=".cancel">
                        <p class="confirm-text" id="confirm-text">{describe}</p>
                        {(!warnings.is_empty()).then(|| view! {
                            <ul class="warnings">
                                {warnings.into_iter().map(|w| view! { <li>{w}</li> }).collect_view()}
                            </ul>
                        })}
                        {error}
                        <div class="dialog-actions">
                            <button class="btn cancel" on:click=move |_| close.run(())>{dismiss}</button>
                            <button class="btn confirm" class:btn-danger=danger class:btn-primary=!danger
                                disabled=move || running.get() || unknown.get() || blocked().is_some() on:click=go>
                                {move || if running.get() { tr!(actions.working) } else if unknown.get() { tr!(actions.outcome_unknown) } else if danger { tr!(actions.anyway, label = label.clone()) } else { label.clone() }}
                            </button>
                        </div>
                    </Modal>
                }
                .into_any()
            }
            Pending::Rebalance(Err(e)) => view! {
                <Modal title=tr!(rebalance.title) on_close=close>
                    <p class="dialog-error" role="alert">{tr!(rebalance.cannot_plan, error = words::failure(&e))}</p>
                    <div class="dialog-actions"><button class="btn cancel" on:click=move |_| close.run(())>{tr!(common.close)}</button></div>
                </Modal>
            }
            .into_any(),
            Pending::Rebalance(Ok(preview)) => {
                let n = preview.plan.len();
                let empty = n == 0;
                let lines = preview.groups.clone();
                let p2 = preview.clone();
                let stale = actions.stale_plan;
                view! {
                    <Modal title=tr!(rebalance.title_all) on_close=close initial_focus=".cancel">
                        {if empty {
                            view! { <p class="confirm-text">{tr!(rebalance.nothing)}</p> }.into_any()
                        } else {
                            view! {
                                <p class="confirm-text">{tr!(rebalance.plan, n)}</p>
                                <table class="grid plan">
                                    <thead><tr><th>{tr!(rebalance.to_group)}</th><th class="num">{tr!(rebalance.slots)}</th><th>{tr!(rebalance.ranges)}</th></tr></thead>
                                    <tbody>
                                        {lines.into_iter().map(|g| view! {
                                            <tr>
                                                <td>{g.group_id}</td>
                                                <td class="num">{g.slots}</td>
                                                <td class="wrap">{g.ranges.iter().map(|(b, e)| if b == e { format!("{b}") } else { format!("{b}–{e}") }).collect::<Vec<_>>().join(", ")}</td>
                                            </tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            }.into_any()
                        }}
                        {error}
                        <div class="dialog-actions">
                            <button class="btn cancel" on:click=move |_| close.run(())>{if empty { tr!(common.close) } else { tr!(common.cancel) }}</button>
                            {move || stale.get().then(|| view! {
                                <button class="btn btn-primary preview-again" disabled=move || running.get()
                                    on:click=move |_| actions.rebalance()>{tr!(rebalance.again)}</button>
                            })}
                            {(!empty).then(|| view! {
                                <button class="btn btn-danger confirm" disabled=move || running.get() || stale.get()
                                    on:click=move |_| actions.apply_rebalance(p2.clone())>
                                    {move || if running.get() { tr!(actions.working) } else { tr!(rebalance.run) }}
                                </button>
                            })}
                        </div>
                    </Modal>
                }
                .into_any()
            }
        })
    }
}
