//! The dashboard model (codis-fe-spec.md §4.3.3).

use super::common::GoTime;
use serde::{Deserialize, Serialize};

/// `/topom/model`, `/api/topom/model`, `overview.model`; also the coordinator lock node.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Topom {
    /// 32 hex characters.
    pub token: String,
    pub start_time: GoTime,
    /// Advertised `host:port` of the dashboard API.
    pub admin_addr: String,
    pub product_name: String,
    pub pid: i64,
    pub pwd: String,
    /// `uname -a`.
    pub sys: String,
}
