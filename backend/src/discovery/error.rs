//! The one error type of the discovery boundary.
//!
//! Every message is a single line that names the source (file, endpoints or servers), because the
//! caller logs it verbatim next to a stale product list and an operator has to act on it.
//! Causes are folded into the message as text instead of being chained: the underlying errors
//! (io, serde_json, reqwest, zookeeper-client) differ per source and add nothing a log line needs.

use std::path::PathBuf;
use std::time::Duration;

/// Why discovery could not be configured or a load could not produce a product list.
///
/// Per-product problems (one corrupt `topom` node, one unreadable product) are not errors: they are
/// reported per product in the [`super::Listing`], so one broken product never hides the others.
#[derive(Debug, thiserror::Error)]
pub enum DiscoveryError {
    /// `--zookeeper-auth` / `--etcd-auth` is not `USER:PASSWORD` with a non-empty user.
    #[error("invalid auth for {flag}: expected USER:PASSWORD with a non-empty user")]
    InvalidAuth {
        /// The flag that carried the value, e.g. `--etcd-auth`.
        flag: &'static str,
    },

    /// The discovery flags do not name exactly one usable source.
    #[error("invalid discovery flags: {0}")]
    InvalidFlags(String),

    /// The static dashboard list cannot be read or is not a JSON array of `{name, dashboard}`.
    #[error("dashboard list {}: {reason}", path.display())]
    StaticList {
        /// The file given with `--dashboard-list`.
        path: PathBuf,
        /// What went wrong, including the underlying error text.
        reason: String,
    },

    /// The coordinator cannot be reached, refused the request, or answered with something that
    /// is not a product listing.
    #[error("{source_desc}: {reason}")]
    Unavailable {
        /// [`super::Source::describe`] of the failing source.
        source_desc: String,
        /// What went wrong, including the underlying error text.
        reason: String,
    },

    /// The coordinator has no `/codis3`: no product was ever created, or the folder was renamed or
    /// deleted. A load error rather than an empty list, so the caller keeps its last good list
    /// (marked stale) instead of dropping every product.
    #[error("{source_desc}: /codis3 does not exist (renamed or deleted, or no product was ever created)")]
    NoProductRoot {
        /// [`super::Source::describe`] of the source.
        source_desc: String,
    },

    /// The whole load did not finish within its deadline.
    #[error("{source_desc}: no complete answer within {} s", after.as_secs_f32())]
    Timeout {
        /// [`super::Source::describe`] of the failing source.
        source_desc: String,
        /// The deadline that expired.
        after: Duration,
    },
}
