//! The slots page's migration progress over time (issue 16, item 2): slots done and queued, the
//! rate (slots per minute), the ETA, and "stuck" once nothing moved for `--stuck-after`. One
//! sample cannot give a rate, so this comes from the fleet row (`MigrationStatus`, kept by the
//! backend's `MigrationTracker` across samples), the same figures as the fleet page and
//! `/metrics`.

use leptos::prelude::*;

use crate::app::Now;
use crate::core::fleet::use_fleet;
use crate::core::live::Live;
use crate::core::time::{age, clock};
use crate::tr;

#[component]
pub fn MigrationProgress() -> impl IntoView {
    let live = expect_context::<Live>();
    let fleet = use_fleet();
    let Now(now) = expect_context::<Now>();
    let status = Memo::new(move |_| fleet.row(&live.product.get()).map(|r| r.migration));
    move || {
        let m = status.get()?;
        let text = if m.is_idle() {
            tr!(fleet.mig_idle)
        } else {
            let mut t = crate::pages::fleet::migration_text(&m);
            if m.stuck {
                if let Some(p) = m.progress_ms {
                    let p = p as f64;
                    t.push_str(&tr!(
                        fleet.mig_last_progress,
                        time = clock(p + fleet.skew_ms.get()),
                        age = age((now.get() - fleet.skew_ms.get() - p).max(0.0))
                    ));
                }
            } else if m.rate_per_min.is_none() {
                t.push_str(&tr!(fleet.mig_measuring));
            }
            t
        };
        let tone = if m.stuck {
            "banner bad"
        } else if m.is_idle() {
            "muted"
        } else {
            "banner info"
        };
        Some(view! {
            <p class=format!("migration-progress {tone}") id="migration-progress"
                data-stuck=if m.stuck { "true" } else { "false" }>
                <strong>{move || tr!(fleet.mig_title)}</strong>" "{text}
            </p>
        })
    }
}
