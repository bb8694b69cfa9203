//! Text inputs validated as you type with the backend's own rules (`codis_model::validate`
//! through `Action::validate_of` with the product's slot count): the message appears under the input that breaks a rule, and the
//! submit button stays disabled until every input passes.

use codis_model::validate::ValidationError;
use codis_model::Action;
use leptos::prelude::*;

use super::actions::{use_actions, Request};

/// What a form's inputs build, checked with the backend's rules.
pub type Checked = Signal<Result<Action, ValidationError>>;

/// `N` text inputs and the action `build` makes of their trimmed texts, re-checked as they change.
pub fn checked_inputs<const N: usize>(
    build: impl Fn([String; N]) -> Action + Send + Sync + 'static,
) -> ([RwSignal<String>; N], Checked) {
    let inputs: [RwSignal<String>; N] = std::array::from_fn(|_| RwSignal::new(String::new()));
    // Slot ids and counts are checked against the product's slot count (1024 on Codis 3.2,
    // `max_slot_num` on Pika's Codis fork), as the backend does.
    let slots = use_context::<crate::core::live::Live>().map(|l| l.slot_count);
    let check = Signal::derive(move || {
        let a = build(inputs.map(|v| v.get().trim().to_owned()));
        let n = slots.map_or(codis_model::MAX_SLOT_NUM, |s| s.get());
        a.validate_of(n).map(|_| a)
    });
    (inputs, check)
}

/// A form's submit handler: runs the checked action (with its confirmation) and empties `clear`
/// once the dashboard accepted it, so a refused action leaves the input for correction.
pub fn submit_then_clear(
    check: Checked,
    clear: Vec<RwSignal<String>>,
) -> impl Fn(leptos::ev::SubmitEvent) + 'static {
    let actions = use_actions();
    move |ev| {
        ev.prevent_default();
        if let Ok(a) = check.get_untracked() {
            let clear = clear.clone();
            actions.run(Request::new(a).then(move || {
                for v in &clear {
                    v.set(String::new());
                }
            }));
        }
    }
}

/// One labelled input. `field` is the action's field name this input fills (`gid`, `addr`, …);
/// `check` is the form's current validation result.
#[component]
pub fn Field(
    /// In the current language (`Signal::derive(|| tr!(...))`).
    #[prop(into)]
    label: Signal<String>,
    field: &'static str,
    value: RwSignal<String>,
    check: Checked,
    /// An example (`host:6379`) or a word from the catalogue.
    #[prop(into, optional)]
    placeholder: Signal<String>,
    #[prop(optional)] size: Option<u32>,
    #[prop(optional)] id: &'static str,
) -> impl IntoView {
    // Only complain about what was typed: an empty required field just keeps the button off.
    let error = Memo::new(move |_| {
        if value.with(|v| v.trim().is_empty()) {
            return None;
        }
        match check.get() {
            Err(e) if e.field == field => Some(crate::core::words::rule(&e)),
            _ => None,
        }
    });
    let err_id = format!("{id}-err");
    let err_id2 = err_id.clone();
    view! {
        <label class="field">
            <span class="field-label">{label}</span>
            <input
                type="text"
                id=id
                autocomplete="off"
                spellcheck="false"
                size=size.unwrap_or(14)
                placeholder=placeholder
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
                aria-invalid=move || error.get().is_some().to_string()
                aria-describedby=err_id2
            />
            <span class="field-error" id=err_id>{move || error.get()}</span>
        </label>
    }
}

/// Whether every required input is filled and the action passes its rules.
pub fn ready(check: Checked, required: &[RwSignal<String>]) -> bool {
    required.iter().all(|v| v.with(|s| !s.trim().is_empty())) && check.with(|c| c.is_ok())
}
