//! Toasts: short results of actions. Successes fade after a few seconds; failures stay until
//! dismissed, so an operator who looked away still sees what went wrong.

use std::time::Duration;

use leptos::prelude::*;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Tone {
    Ok,
    Error,
}

#[derive(Clone, Debug)]
pub struct Toast {
    id: u64,
    tone: Tone,
    text: String,
}

#[derive(Clone, Copy)]
pub struct Toasts {
    list: RwSignal<Vec<Toast>>,
    next: StoredValue<u64>,
}

impl Toasts {
    pub fn new() -> Toasts {
        Toasts {
            list: RwSignal::new(Vec::new()),
            next: StoredValue::new(0),
        }
    }

    pub fn push(&self, tone: Tone, text: impl Into<String>) {
        let id = self.next.get_value();
        self.next.set_value(id + 1);
        self.list.update(|l| {
            l.push(Toast {
                id,
                tone,
                text: text.into(),
            });
            // Keep the stack short.
            if l.len() > 5 {
                l.remove(0);
            }
        });
        if tone == Tone::Ok {
            let me = *self;
            set_timeout(move || me.dismiss(id), Duration::from_secs(6));
        }
    }

    pub fn dismiss(&self, id: u64) {
        self.list.update(|l| l.retain(|t| t.id != id));
    }
}

pub fn use_toasts() -> Toasts {
    expect_context::<Toasts>()
}

#[component]
pub fn ToastHost() -> impl IntoView {
    let toasts = use_toasts();
    view! {
        <div class="toasts" aria-live="polite">
            <For each=move || toasts.list.get() key=|t| t.id let:t>
                <div class="toast" class:toast-error=t.tone == Tone::Error role=if t.tone == Tone::Error { "alert" } else { "status" }>
                    <span class="toast-text">{t.text.clone()}</span>
                    <button class="icon" aria-label=move || crate::tr!(common.dismiss) on:click=move |_| toasts.dismiss(t.id)>"×"</button>
                </div>
            </For>
        </div>
    }
}
