//! `--dashboard-list=FILE` (codis-fe-spec.md §1.2): a JSON array of `{"name": "<product>", "dashboard": "<host:port>"}`.
//!
//! The file is re-read on every load so edits take effect without a restart. A file that cannot be
//! read or parsed fails the load (the caller keeps its last good list) rather than emptying it.

use std::path::Path;

use serde::Deserialize;

use super::{DiscoveryError, Listing};

/// One entry as `codis-admin --dashboard-list` prints it. Unknown fields are ignored and missing
/// ones read as empty (and are then dropped), like Go's decoder.
#[derive(Deserialize)]
struct Entry {
    #[serde(default)]
    name: String,
    #[serde(default)]
    dashboard: String,
}

pub(super) async fn load(path: &Path) -> Result<Listing, DiscoveryError> {
    let fail = |reason: String| DiscoveryError::StaticList {
        path: path.to_path_buf(),
        reason,
    };
    let data = tokio::fs::read(path)
        .await
        .map_err(|e| fail(format!("cannot read: {e}")))?;
    // `null` is what codis-admin writes for an empty list (a nil Go slice), and `null` elements
    // are tolerated rather than crashing like the original.
    let entries: Option<Vec<Option<Entry>>> = serde_json::from_slice(&data).map_err(|e| {
        fail(format!(
            "not a JSON array of {{\"name\", \"dashboard\"}} objects: {e}"
        ))
    })?;
    // Inserting in file order makes the last duplicate win; empty entries are dropped at the end,
    // so a later empty duplicate removes the product, as in the original (codis-admin writes ""
    // for a product whose dashboard is not running). A name Codis does not allow is refused; an
    // address that is not host:port makes the product broken, named with the rule.
    let mut listing = Listing::default();
    for entry in entries.into_iter().flatten().flatten() {
        if entry.name.is_empty() {
            continue;
        }
        if !listing.allows_name(&entry.name) {
            continue;
        }
        if entry.dashboard.is_empty() {
            listing.dashboards.remove(&entry.name);
            listing.broken.remove(&entry.name);
        } else {
            listing.add(entry.name, &entry.dashboard);
        }
    }
    Ok(listing)
}
