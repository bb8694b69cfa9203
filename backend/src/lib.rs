//! The codis-fe server as a library, so integration tests run the same code as the binary.
//!
//! Modules by concern: [`discovery`] finds dashboards, [`registry`] keeps the route table fresh,
//! [`dashboard`] calls them, [`api`] is the HTTP surface (console API and codis-fe compatibility),
//! [`assets`] serves the built console, [`demo`] runs the built-in demo cluster.

pub mod api;
pub mod assets;
pub mod audit;
pub mod auth;
pub mod config;
pub mod dashboard;
pub mod demo;
pub mod discovery;
pub mod error;
pub mod fleet;
pub mod live;
pub mod logging;
pub mod policy;
pub mod registry;
pub mod server;
pub mod session;
pub mod state;
pub mod tls;
