//! Everything that is not a view: where the API lives, how to call it, the live stream, time.

pub mod api;
pub mod auth;
pub mod config;
pub mod live;
pub mod nav;
pub mod time;
