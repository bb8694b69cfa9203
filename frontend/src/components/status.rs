//! Status badges with one colour per state, used in every table.

use codis_model::derive::Health;
use leptos::prelude::*;

pub fn health_class(h: Health) -> &'static str {
    match h {
        Health::Healthy => "badge ok",
        Health::Pending => "badge pending",
        Health::Timeout => "badge timeout",
        Health::Error => "badge error",
    }
}

/// `HEALTHY` / `PENDING` / `TIMEOUT` / `ERROR`, with the error cause as tooltip.
#[component]
pub fn HealthBadge(
    #[prop(into)] health: Signal<Health>,
    #[prop(into, optional)] error: Signal<Option<String>>,
) -> impl IntoView {
    view! {
        <span class=move || health_class(health.get()) title=move || error.get().unwrap_or_default()>
            {move || health.get().label()}
        </span>
    }
}
