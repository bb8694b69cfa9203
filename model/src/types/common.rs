//! Small shared types: ids, INFO maps, Go time strings and the other tiny documents.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A slot id, 0..slot count - 1 (1023 on Codis 3.2). Unsigned so that a negative id fails to
/// decode instead of misleading.
pub type SlotId = u16;

/// A group id: 1..9999 for a group, 0 in a slot mapping means "offline".
pub type GroupId = u32;

/// Number of hash slots of a Codis 3.2 cluster, and the default `max_slot_num` of Pika's Codis
/// fork. A product's own count is [`Stats::slot_count`](crate::Stats::slot_count) or
/// [`Overview::slot_count`](crate::Overview::slot_count).
pub const MAX_SLOT_NUM: usize = 1024;

/// The largest slot count this console accepts from a dashboard (Pika's fork takes any positive
/// `max_slot_num`; the console's slot map is drawn for up to 16,384). A document with more slots
/// is refused rather than grown into an unbounded view.
pub const SLOT_NUM_LIMIT: usize = 16_384;

/// Highest valid group id (`group/create` refuses 0 and anything above).
pub const MAX_GROUP_ID: GroupId = 9999;

/// A flat Redis `INFO` map (field -> value). Codis keeps every value as a string, numbers
/// included, e.g. `"used_memory": "8287096"`, `"db0": "keys=17076,expires=19,avg_ttl=21212050"`.
/// Also the body of `GET /api/topom/group/info/{addr}` and `/api/topom/sentinels/info/{addr}`.
pub type InfoMap = BTreeMap<String, String>;

/// Body of the dashboard's successful mutations and of `xping`: the JSON string `"OK"`.
pub const OK_REPLY: &str = "OK";

/// Body of codis-fe's `GET /list`: product names, or `null` when the coordinator has none
/// (served as `text/plain`, but the text is JSON).
pub type ProductList = Option<Vec<String>>;

/// A Go `time.Time.String()` value, e.g.
/// `2026-11-25 12:13:25.882773389 +0000 UTC m=+0.004448857`.
///
/// Kept verbatim (so re-encoding is exact); [`GoTime::wall_clock`] drops the monotonic-clock
/// suffix ` m=+...`, which is only meaningful inside the process that printed it.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct GoTime(pub String);

impl GoTime {
    /// The wall-clock part: `2026-11-25 12:13:25.882773389 +0000 UTC`.
    pub fn wall_clock(&self) -> &str {
        let s = self.0.as_str();
        match s.find(" m=") {
            Some(i) => s[..i].trim_end(),
            None => s.trim_end(),
        }
    }

    /// The raw string as Codis sent it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<&str> for GoTime {
    fn from(s: &str) -> Self {
        Self(s.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_time_wall_clock_drops_the_monotonic_suffix() {
        let t = GoTime::from("2026-11-25 12:13:25.882773389 +0000 UTC m=+0.004448857");
        assert_eq!(t.wall_clock(), "2026-11-25 12:13:25.882773389 +0000 UTC");
        let plain = GoTime::from("2026-11-25 12:14:22.336908801 +0000 UTC");
        assert_eq!(
            plain.wall_clock(),
            "2026-11-25 12:14:22.336908801 +0000 UTC"
        );
        assert_eq!(GoTime::default().wall_clock(), "");
    }
}
