//! The dashboard Stats document (codis-fe-spec.md §4.3.4): what the console polls.

use super::common::{MAX_SLOT_NUM, SLOT_NUM_LIMIT};
use super::variant::Variant;
use super::{Group, Proxy, ProxyStats, RedisStats, Sentinel, SlotMapping};
use crate::go::null_as_default;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize};
use std::collections::BTreeMap;

/// `/topom/stats`, `/api/topom/stats/{xauth}`, `overview.stats`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    /// The dashboard is shutting down.
    #[serde(default)]
    pub closed: bool,
    /// 1024 on Codis 3.2, `max_slot_num` on Pika's fork; index = slot id. Decoding refuses a document where
    /// `slots[i].id != i` (see `slots_indexed_by_id`), because every slot view relies on it.
    #[serde(deserialize_with = "slots_indexed_by_id")]
    pub slots: Vec<SlotMapping>,
    #[serde(default)]
    pub group: GroupSection,
    #[serde(default)]
    pub proxy: ProxySection,
    #[serde(default)]
    pub slot_action: SlotActionStatus,
    #[serde(default)]
    pub sentinels: SentinelsSection,
}

/// `stats.group`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GroupSection {
    /// Sorted by id.
    #[serde(default, deserialize_with = "null_as_default")]
    pub models: Vec<Group>,
    /// Server address -> latest sample.
    #[serde(default, deserialize_with = "null_as_default")]
    pub stats: BTreeMap<String, RedisStats>,
}

/// `stats.proxy`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ProxySection {
    /// Sorted by id.
    #[serde(default, deserialize_with = "null_as_default")]
    pub models: Vec<Proxy>,
    /// Proxy token -> latest sample; may briefly include removed proxies.
    #[serde(default, deserialize_with = "null_as_default")]
    pub stats: BTreeMap<String, ProxyStats>,
}

/// `stats.slot_action`: the migration scheduler's controls and status.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SlotActionStatus {
    /// Pause between migration batches, µs (0..=1_000_000).
    pub interval: i64,
    /// New pending actions are not started.
    pub disabled: bool,
    pub progress: SlotActionProgress,
    /// Number of running migration batches.
    pub executor: i64,
}

/// `stats.slot_action.progress`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SlotActionProgress {
    /// `""`, `[OK] Slot[0012]@DB[0]=37` or `[ERROR] Slot[0012]: <err>`.
    pub status: String,
}

/// `stats.sentinels`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SentinelsSection {
    #[serde(default)]
    pub model: Sentinel,
    /// Sentinel address -> latest sample.
    #[serde(default, deserialize_with = "null_as_default")]
    pub stats: BTreeMap<String, RedisStats>,
    /// Group id (string) -> `ip:port` reported by a sentinel majority; `{}` without sentinels.
    #[serde(default, deserialize_with = "null_as_default")]
    pub masters: BTreeMap<String, String>,
}

impl Stats {
    /// The sample of a group server, if the dashboard has one.
    pub fn server_sample(&self, addr: &str) -> Option<&RedisStats> {
        self.group.stats.get(addr)
    }

    /// The sample of a proxy, by token.
    pub fn proxy_sample(&self, token: &str) -> Option<&ProxyStats> {
        self.proxy.stats.get(token)
    }

    /// Which Codis the sample comes from, judged from its fields (see [`Variant::of_stats`]).
    pub fn variant(&self) -> Variant {
        Variant::of_stats(self)
    }

    /// The product's number of slots: a proxy's `max_slot_num`, else, for Pika's fork (which
    /// always sends every slot), the length of `slots`, else Codis 3.2's 1024. At most
    /// [`SLOT_NUM_LIMIT`].
    pub fn slot_count(&self) -> usize {
        let from_proxies = self
            .proxy
            .models
            .iter()
            .find_map(|p| p.max_slot_num)
            .and_then(|n| usize::try_from(n).ok())
            .filter(|n| *n > 0);
        let count = match (from_proxies, self.variant()) {
            (Some(n), _) => n,
            (None, Variant::PikaCodis) if !self.slots.is_empty() => self.slots.len(),
            _ => MAX_SLOT_NUM.max(self.slots.len()),
        };
        count.min(SLOT_NUM_LIMIT)
    }
}

/// `slots` is strict: at most [`SLOT_NUM_LIMIT`] entries and `slots[i].id == i`. Codis sends all
/// of them (1024 on 3.2, `max_slot_num` on Pika's fork); a document that breaks the invariant
/// would make every slot view wrong, so it is refused rather than shown. (Fewer is accepted so
/// hand-written examples stay short.)
fn slots_indexed_by_id<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<SlotMapping>, D::Error> {
    let slots = Vec::<SlotMapping>::deserialize(d)?;
    if slots.len() > SLOT_NUM_LIMIT {
        return Err(D::Error::custom(format!(
            "slots has {} entries, at most {SLOT_NUM_LIMIT} expected",
            slots.len()
        )));
    }
    for (i, slot) in slots.iter().enumerate() {
        if usize::from(slot.id) != i {
            return Err(D::Error::custom(format!(
                "slots[{i}] has id {}, expected {i}",
                slot.id
            )));
        }
    }
    Ok(slots)
}
