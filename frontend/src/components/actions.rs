//! Running actions: confirmation in words (`Action::describe`), HA-conflict warnings in the
//! danger style (codis-fe's alertAction2), the request, and the result or the error's own message.
//!
//! Every mutation of the console goes through [`Actions::run`]; the result shows up in the live
//! view by itself (the backend streams the next sample), so nothing here is optimistic.

use codis_model::console::{RebalanceApply, RebalancePreview};
use codis_model::{Action, ActionOutcome};
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::dialog::Modal;
use super::toast::{use_toasts, Toasts, Tone};
use crate::core::api::{self, ApiFailure};

/// One action with its context.
#[derive(Clone)]
pub struct Request {
    pub action: Action,
    /// Warnings shown above the buttons; any warning turns the dialog red ("Do it anyway").
    pub warnings: Vec<String>,
    /// Runs after success (for example to clear the form that made the request).
    pub on_done: Option<Callback<()>>,
}

impl Request {
    pub fn new(action: Action) -> Request {
        Request {
            action,
            warnings: Vec::new(),
            on_done: None,
        }
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
    /// The failure of the dialog's request, shown inside the dialog.
    error: RwSignal<Option<String>>,
    toasts: Toasts,
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
                .unwrap_or_else(|| "no reason given".into()),
            field: None,
            rule: None,
        })
    }
}

impl Actions {
    pub fn new(product: RwSignal<String>) -> Actions {
        Actions {
            product,
            pending: RwSignal::new(None),
            running: RwSignal::new(false),
            error: RwSignal::new(None),
            toasts: use_toasts(),
        }
    }

    /// Confirms (when the action or its warnings call for it) and runs `req`.
    pub fn run(&self, req: Request) {
        if let Err(e) = req.action.validate() {
            self.toasts.push(Tone::Error, format!("Invalid input: {e}"));
            return;
        }
        if req.action.needs_confirmation() || !req.warnings.is_empty() {
            self.error.set(None);
            self.running.set(false);
            self.pending.set(Some(Pending::Action(req)));
        } else {
            self.execute(req, false);
        }
    }

    fn execute(&self, req: Request, from_dialog: bool) {
        let me = *self;
        let product = self.product.get_untracked();
        me.running.set(true);
        spawn_local(async move {
            let result = post_action(&product, &req.action).await;
            me.running.set(false);
            match result {
                Ok(_) => {
                    me.toasts
                        .push(Tone::Ok, format!("Done: {}", req.action.describe()));
                    if let Some(cb) = req.on_done {
                        cb.run(());
                    }
                    if from_dialog {
                        me.pending.set(None);
                    }
                }
                Err(e) if from_dialog => me.error.set(Some(e.text())),
                Err(e) => me.toasts.push(Tone::Error, e.text()),
            }
        });
    }

    /// Asks the dashboard for its rebalance plan and shows it; the exact plan shown is what
    /// runs (the backend refuses with 409 if the dashboard would now do something else).
    pub fn rebalance(&self) {
        let me = *self;
        let product = self.product.get_untracked();
        me.running.set(true);
        me.error.set(None);
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
                            "Slots are already balanced: nothing to do.".to_string()
                        } else {
                            format!("Rebalance queued: {n} slot migrations.")
                        },
                    );
                    me.pending.set(None);
                }
                Err(e) => me.error.set(Some(e.text())),
            }
        });
    }

    fn close(&self) {
        if !self.running.get_untracked() {
            self.pending.set(None);
        }
    }
}

/// Renders the confirmation dialog of the pending action, if any.
#[component]
pub fn ConfirmHost() -> impl IntoView {
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
                let title = if danger { "Warning: conflicts with HA" } else { "Confirm" };
                let describe = req.action.describe();
                let warnings = req.warnings.clone();
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
                            <button class="btn cancel" on:click=move |_| close.run(())>"Cancel"</button>
                            <button class="btn confirm" class:btn-danger=danger class:btn-primary=!danger
                                disabled=move || running.get() on:click=go>
                                {move || if running.get() { "Working…" } else if danger { "Do it anyway" } else { "Confirm" }}
                            </button>
                        </div>
                    </Modal>
                }
                .into_any()
            }
            Pending::Rebalance(Err(e)) => view! {
                <Modal title="Rebalance" on_close=close>
                    <p class="dialog-error" role="alert">{format!("Cannot compute the plan. {}", e.text())}</p>
                    <div class="dialog-actions"><button class="btn cancel" on:click=move |_| close.run(())>"Close"</button></div>
                </Modal>
            }
            .into_any(),
            Pending::Rebalance(Ok(preview)) => {
                let n = preview.plan.len();
                let empty = n == 0;
                let lines = preview.groups.clone();
                let p2 = preview.clone();
                view! {
                    <Modal title="Rebalance all slots" on_close=close initial_focus=".cancel">
                        {if empty {
                            view! { <p class="confirm-text">"Slots are already balanced: the dashboard's plan moves nothing."</p> }.into_any()
                        } else {
                            view! {
                                <p class="confirm-text">{format!("Migrate {n} slots as below. This exact plan runs; if the cluster changes meanwhile, nothing is queued and you are asked to preview again.")}</p>
                                <table class="grid plan">
                                    <thead><tr><th>"To group"</th><th class="num">"Slots"</th><th>"Ranges"</th></tr></thead>
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
                            <button class="btn cancel" on:click=move |_| close.run(())>{if empty { "Close" } else { "Cancel" }}</button>
                            {(!empty).then(|| view! {
                                <button class="btn btn-danger confirm" disabled=move || running.get()
                                    on:click=move |_| actions.apply_rebalance(p2.clone())>
                                    {move || if running.get() { "Working…" } else { "Run this plan" }}
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
