//! Reusable pieces: dialogs (with focus trap), confirmation, toasts, inputs, chart, badges.

pub mod actions;
pub mod activity;
pub mod alerts;
pub mod chart;
pub mod dialog;
pub mod input;
pub mod lazy;
pub mod migration;
pub mod signin;
pub mod status;
pub mod theme;
pub mod toast;
pub mod visibility;
