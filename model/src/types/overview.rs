//! The unauthenticated dashboard overview, `GET /topom` (codis-fe-spec.md §4.3.1).

use super::common::SLOT_NUM_LIMIT;
use super::{Config, Stats, Topom, Variant};
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

impl Overview {
    /// Which Codis serves this overview: Pika's fork when its config has `max_slot_num` or its
    /// stats carry the fork's fields. (The version string cannot tell: the fork's equals
    /// Codis 3.2.2-12's.)
    pub fn variant(&self) -> Variant {
        if self.config.max_slot_num.is_some() {
            Variant::PikaCodis
        } else {
            self.stats.variant()
        }
    }

    /// The product's number of slots: `config.max_slot_num` when the dashboard says it, else
    /// what the stats show (see [`Stats::slot_count`]). At most [`SLOT_NUM_LIMIT`].
    pub fn slot_count(&self) -> usize {
        match self
            .config
            .max_slot_num
            .and_then(|n| usize::try_from(n).ok())
            .filter(|n| *n > 0)
        {
            Some(n) => n.min(SLOT_NUM_LIMIT),
            None => self.stats.slot_count(),
        }
    }
}
