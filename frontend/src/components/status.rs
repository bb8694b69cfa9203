//! Status badges with one colour per state, used in every table.

use codis_model::derive::Health;
use leptos::prelude::*;

use crate::tr;

pub fn health_class(h: Health) -> &'static str {
    match h {
        Health::Healthy => "badge ok",
        Health::Pending => "badge pending",
        Health::Timeout => "badge timeout",
        Health::Error => "badge error",
        Health::Flaky => "badge flaky",
    }
}

/// The badge's text (`HEALTHY`... in English, as codis-fe showed it).
pub fn health_label(h: Health) -> String {
    match h {
        Health::Healthy => tr!(health.healthy),
        Health::Pending => tr!(health.pending),
        Health::Timeout => tr!(health.timeout),
        Health::Error => tr!(health.error),
        Health::Flaky => tr!(health.flaky),
    }
}

/// The badge's tooltip: the error cause (the server's own words, introduced in the viewer's
/// language); for a flaky item, that it is not confirmed yet.
pub fn health_title(h: Health, error: Option<String>) -> String {
    match (h, error) {
        (Health::Flaky, Some(e)) => tr!(health.flaky_tip_error, error = e),
        (Health::Flaky, None) => tr!(health.flaky_tip),
        (_, Some(e)) => tr!(health.error_tip, error = e),
        (_, None) => String::new(),
    }
}

/// The error text shown under the badge: confirmed failures only (a flaky item's error is in
/// the tooltip, so a transient one does not shift the table). The text is the server's or Go's
/// own English words, marked `lang="en"` (docs/i18n.md).
#[component]
pub fn ShownError(
    #[prop(into)] health: Signal<Health>,
    #[prop(into)] error: Signal<Option<String>>,
) -> impl IntoView {
    move || {
        error
            .get()
            .filter(|_| health.get() != Health::Flaky)
            .map(|e| view! { <div class="cell-error" lang="en">{e}</div> })
    }
}

/// `HEALTHY` / `PENDING` / `TIMEOUT` / `ERROR` / `FLAKY`, with the error cause as tooltip.
#[component]
pub fn HealthBadge(
    #[prop(into)] health: Signal<Health>,
    #[prop(into, optional)] error: Signal<Option<String>>,
) -> impl IntoView {
    view! {
        <span class=move || health_class(health.get()) title=move || health_title(health.get(), error.get())>
            {move || health_label(health.get())}
        </span>
    }
}
