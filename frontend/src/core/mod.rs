//! Everything that is not a view: where the API lives, how to call it, the live stream, time.
//! The logic that needs no DOM (list patching, URLs, failure texts, the stream's sequence) is in
//! `codis_model::ui`, tested on the host; these modules wire it to signals and browser APIs.

pub mod api;
pub mod auth;
pub mod codec;
pub mod config;
pub mod fleet;
pub mod lang;
pub mod live;
pub mod nav;
pub mod theme;
pub mod time;
pub mod words;
