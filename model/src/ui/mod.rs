//! The console's logic that needs no DOM, kept here so that plain `cargo test` checks it on the
//! host: keyed list patching ([`list`]), the console's paths and query strings ([`route`]), the
//! texts of failed calls ([`failure`]), the live stream's sequence handling ([`stream`]), the
//! fleet page's stream, sort and filter ([`fleet`]) and the viewer's display preferences
//! ([`prefs`]). The browser crate (`frontend/`) only wires these to signals, `fetch`,
//! `EventSource` and `localStorage`.

pub mod failure;
pub mod fleet;
pub mod list;
pub mod locale;
pub mod prefs;
pub mod route;
pub mod stream;
