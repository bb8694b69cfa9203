//! The dashboard's application error body.
//!
//! Codis answers a failed call with the non-standard HTTP status **800** and
//! `{"Cause": "...", "Stack": null | [{"Name", "File", "Line"}, ...]}` (codis-fe-spec.md §4.1). The same object
//! appears as `error` inside server, sentinel and proxy samples. Keys are capitalised, unlike the
//! rest of the API. The stack leaks source paths and is several KB: show [`DashboardError::cause`]
//! to people and never forward the stack to a browser.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The non-standard HTTP status the dashboard (and proxies) use for application errors.
pub const ERROR_STATUS: u16 = 800;

/// `{"Cause", "Stack"}`: an error reported by the dashboard or a proxy.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DashboardError {
    /// The human-readable message, e.g. `group-[1] already exists`.
    #[serde(rename = "Cause", default)]
    pub cause: String,
    /// Go call frames; `null` for errors that were not traced. Go always writes the key, so
    /// `None` serialises as `null` rather than being omitted.
    #[serde(rename = "Stack", default)]
    pub stack: Option<Vec<StackFrame>>,
}

/// One Go call frame of [`DashboardError::stack`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StackFrame {
    #[serde(rename = "Name", default)]
    pub name: String,
    #[serde(rename = "File", default)]
    pub file: String,
    #[serde(rename = "Line", default)]
    pub line: i64,
}

impl DashboardError {
    /// An error with a cause and no stack (what the simulated dashboard and the backend produce).
    pub fn new(cause: impl Into<String>) -> Self {
        Self {
            cause: cause.into(),
            stack: None,
        }
    }

    /// The same error without its stack: what may be sent on to a browser.
    pub fn without_stack(&self) -> Self {
        Self::new(self.cause.clone())
    }
}

impl fmt::Display for DashboardError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.cause)
    }
}

impl std::error::Error for DashboardError {}
