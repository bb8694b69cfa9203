//! Codis dashboard JSON types (spec section 4.3) and derived values (spec sections 2 and 5).
//!
//! This crate is shared by the axum backend and the Leptos/WASM frontend so that both decode the
//! dashboard's documents the same way and show the same derived values. It is pure: no IO, no clock,
//! no threads, so it builds for `wasm32-unknown-unknown`.
//!
//! * [`types`]: serde types for every JSON document the dashboard and proxies serve. Deserialising is
//!   tolerant where Codis is loose (missing fields, unknown states); serialising reproduces Codis's
//!   own JSON (same keys, same omitted-when-empty fields), which a simulated dashboard relies on.
//! * [`derive`](mod@derive): the values the console shows (statuses, totals, group rows, slot runs, sentinel
//!   checks), computed once here instead of in two places.
//! * [`format`](mod@format): codis-fe's number formatting (`humanSize`, thousands separators, `toFixed(2)`).
//! * [`validate`]: input rules shared by the backend (before forwarding a request) and the UI.
//! * [`schema`]: the same rules as JSON Schema patterns, for the OpenAPI document.
//! * [`xauth`]: the dashboard and proxy path tokens.
//! * [`error`]: the dashboard's error body (HTTP status 800).
//! * [`alerts`]: the alert rules over the derived health, and the alerts' lifecycle (pure).
//! * [`fleet`]: one row per product for the fleet view, its stream contract, migration rate.
//! * [`ui`]: the console's logic that needs no DOM (list patching, URLs, failure texts, the live
//!   stream's sequence), tested on the host.

pub mod action;
pub mod alerts;
pub mod cause_id;
pub mod causes;
pub mod console;
pub mod derive;
pub mod error;
pub mod fleet;
pub mod format;
mod go;
pub mod live;
mod redact;
pub mod schema;
pub mod types;
pub mod ui;
pub mod validate;
pub mod xauth;

pub use action::{Action, ActionOutcome};
pub use error::{DashboardError, StackFrame};
pub use types::*;
