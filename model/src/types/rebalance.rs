//! The rebalance plan (codis-fe-spec.md §4.3.12): slot id -> target group.

use super::common::{GroupId, SlotId, SLOT_NUM_LIMIT};
use serde::de::Error as _;
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeMap;

/// Body of `PUT /api/topom/slots/rebalance/{xauth}/{confirm}`, e.g. `{"0": 1, "512": 2}`;
/// `{}` when the slots are already balanced.
///
/// Keys are slot ids as strings on the wire; here they are parsed (and a key that is not a slot
/// id 0..1023 fails to decode, since a wrong slot would mislead the preview). Serialising writes
/// keys in Go's order (sorted as strings: `"0","1","10","100",...`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RebalancePlan(pub BTreeMap<SlotId, GroupId>);

impl RebalancePlan {
    /// Number of slots the plan moves.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when the cluster is balanced.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Serialize for RebalancePlan {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut entries: Vec<(String, GroupId)> = self
            .0
            .iter()
            .map(|(sid, gid)| (sid.to_string(), *gid))
            .collect();
        entries.sort();
        let mut map = s.serialize_map(Some(entries.len()))?;
        for (k, v) in &entries {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for RebalancePlan {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        /// A group id; `5.0` is the same JSON number as `5`.
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Gid {
            I(GroupId),
            F(f64),
        }
        let raw = BTreeMap::<String, Gid>::deserialize(d)?;
        let mut plan = BTreeMap::new();
        for (key, gid) in raw {
            let gid = match gid {
                Gid::I(gid) => gid,
                Gid::F(f) if f.fract() == 0.0 && (0.0..=f64::from(GroupId::MAX)).contains(&f) => {
                    f as GroupId
                }
                Gid::F(f) => {
                    return Err(D::Error::custom(format!(
                        "invalid group id {f} in plan: expected an integer from 0 to {}",
                        GroupId::MAX
                    )))
                }
            };
            let sid = key
                .parse::<SlotId>()
                .ok()
                .filter(|sid| usize::from(*sid) < SLOT_NUM_LIMIT)
                .ok_or_else(|| D::Error::custom(format!("invalid slot id {key:?} in plan")))?;
            plan.insert(sid, gid);
        }
        Ok(Self(plan))
    }
}
