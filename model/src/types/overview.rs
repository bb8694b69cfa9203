//! The unauthenticated dashboard overview, `GET /topom` (codis-fe-spec.md §4.3.1).

use super::{Config, Stats, Topom};
use serde::{Deserialize, Serialize};

/// `{version, compile, config, model, stats}`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Overview {
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub compile: String,
    #[serde(default)]
    pub config: Config,
    #[serde(default)]
    pub model: Topom,
    pub stats: Stats,
}
