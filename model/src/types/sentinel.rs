//! The sentinel model (codis-fe-spec.md §4.3.11).

use crate::go::null_as_default;
use serde::{Deserialize, Serialize};

/// `stats.sentinels.model`, also what the dashboard pushes to proxies.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sentinel {
    /// Sentinel addresses; omitted by Codis when there are none.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub servers: Vec<String>,
    /// Sentinels have not been re-synced since the last change (codis-fe-spec.md §5.5).
    #[serde(default)]
    pub out_of_sync: bool,
}
