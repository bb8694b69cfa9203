//! Group tables (codis-fe-spec.md §2.6: `processGroupStats` and the HA decoration of `updateStats`).

use super::info::{info_u64, keyspace};
use super::pika::{pika_group, pika_server, Measure, PikaGroup, PikaServer};
use super::status::{redis_health, Health};
use crate::format::{human_size, thousands};
use crate::types::{Group, GroupId, PromotingState, ServerActionState, Stats};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Master text of a server that replicates from nobody.
pub const NO_ONE: &str = "NO:ONE";

/// One group table.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GroupView {
    pub id: GroupId,
    pub out_of_sync: bool,
    /// A promotion is in progress: most buttons are disabled, the id is shown red.
    pub is_promoting: bool,
    pub promoting_state: Option<PromotingState>,
    /// Index of the server being promoted, while promoting.
    pub promoting_index: Option<usize>,
    /// The group may be removed (no servers, not promoting): codis-fe's trash button.
    pub can_remove: bool,
    /// Master reported by the sentinels for this group, when there are sentinels.
    pub ha_master: Option<String>,
    /// `[HA: <addr>]` when the sentinels' master is not a server of this group. `None` when
    /// there is nothing to warn about, including when there are no sentinels (codis-fe rendered
    /// an empty red span then, codis-fe-spec.md §7.12).
    pub ha_warning: Option<String>,
    /// `run_id` -> server address, for servers with a healthy sample (used by sentinel checks).
    pub runids: BTreeMap<String, String>,
    pub servers: Vec<ServerRow>,
    /// Pika's Codis fork: its failover's state for this group (`None` on Codis 3.2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pika: Option<PikaGroup>,
}

/// One server row of a group table.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ServerRow {
    /// Position in the group; 0 is the logical master.
    pub index: usize,
    pub server: String,
    /// The address, plus ` [HA]` when it is the sentinels' master.
    pub server_text: String,
    pub datacenter: String,
    pub replica_group: bool,
    pub status: Health,
    /// Error cause when `status` is `Error`.
    pub error: Option<String>,
    /// `used_memory` in bytes.
    pub memory: Option<u64>,
    /// `humanSize(used_memory)` or `NA`.
    pub memory_text: String,
    /// `maxmemory` in bytes (0 = unlimited).
    pub maxmemory: Option<u64>,
    /// `INF.` for 0, `humanSize(maxmemory)`, or `NA`.
    pub maxmem_text: String,
    /// `dbN:keys=..,expires=..,avg_ttl=..`, one per keyspace field.
    pub keys: Vec<String>,
    /// Σ keys over the keyspace fields, when healthy.
    pub key_count: Option<u64>,
    /// `master_addr:master_link_status`, `NO:ONE`, or `NA` without a healthy sample.
    pub master: String,
    /// What the master should be: `NO:ONE` for index 0, else the group's `servers[0]`.
    pub master_expect: String,
    /// Whether `master` is what it should be (`NO:ONE` for index 0, else `<servers[0]>:up`);
    /// `None` without a healthy sample.
    pub master_status: Option<bool>,
    pub can_remove: bool,
    pub can_promote: bool,
    /// This row is the server being promoted (its PROMOTE button resumes the promotion).
    pub is_promoting: bool,
    pub sync: SyncActionView,
    pub run_id: Option<String>,
    pub connected_clients: Option<u64>,
    /// INFO `role` (`master`/`slave`).
    pub role: Option<String>,
    pub ha_status: HaStatus,
    /// Pika's Codis fork: the dashboard's own check of the server, its role and binlog
    /// position (`None` on Codis 3.2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pika: Option<PikaServer>,
}

/// The server sync-action (SLAVEOF) controls.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SyncActionView {
    pub button: SlaveofButton,
    /// `pending:<index>` while pending, the state otherwise, `""` without action.
    pub action_state: String,
    pub state: Option<ServerActionState>,
    pub index: i64,
}

/// codis-fe's `canslaveof`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SlaveofButton {
    /// Green wrench: queue a SLAVEOF action.
    #[default]
    Create,
    /// Red minus: cancel the pending action.
    Remove,
}

/// How the server relates to the sentinels' view of the group master (codis-fe-spec.md §2.6 "HA decoration").
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum HaStatus {
    /// No sentinels configured: no decoration.
    #[default]
    #[serde(rename = "none")]
    None,
    /// Sentinels report no master for this group.
    #[serde(rename = "ha_undefined")]
    Undefined,
    /// Index 0 and the sentinels agree.
    #[serde(rename = "ha_master")]
    Master,
    /// Index 0 but the sentinels report another master.
    #[serde(rename = "ha_not_master")]
    NotMaster,
    /// A replica that the sentinels report as master: logical and real master disagree.
    #[serde(rename = "ha_real_master")]
    RealMaster,
    /// A replica, as expected.
    #[serde(rename = "ha_slave")]
    Slave,
}

/// A group whose logical master (`servers[0]`) is not the master the sentinels report
/// (codis-fe's `confused` list, shown before proxy/sentinel resyncs).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HaConflict {
    pub group: GroupId,
    pub logical_master: String,
    pub ha_real_master: String,
}

/// The counters of a server row: what changes every second on a busy cluster while the rest of
/// the row stays put. The live stream sends only these for such a row.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ServerCounters {
    pub memory: Option<u64>,
    pub keys: Vec<String>,
    pub key_count: Option<u64>,
    pub connected_clients: Option<u64>,
}

impl ServerCounters {
    /// `humanSize(used_memory)` or `NA`, as the row's `memory_text`.
    pub fn memory_text(&self) -> String {
        self.memory.map_or_else(|| "NA".to_owned(), human_size)
    }

    /// Keys with an expiry, summed over the keyspace lines (`dbN:keys=..,expires=..,..`);
    /// `None` without a healthy sample, like `key_count`.
    pub fn expire_count(&self) -> Option<u64> {
        self.key_count?;
        Some(
            self.keys
                .iter()
                .filter_map(|line| super::info::keyspace_expires(line))
                .fold(0u64, u64::saturating_add),
        )
    }

    /// The keys cell: `"<keys> / <expires>"` with thousands separators, or `NA`. The rest of
    /// each keyspace line (`avg_ttl`, per database) is in the row's detail.
    pub fn keys_cell(&self) -> String {
        match (self.key_count, self.expire_count()) {
            (Some(k), Some(e)) => format!("{} / {}", thousands(k.into()), thousands(e.into())),
            _ => "NA".to_owned(),
        }
    }
}

impl ServerRow {
    /// `used_memory` as a typed figure: `None` without a healthy sample; `NotReported` for a
    /// Pika server (its INFO has no `used_memory`), never 0.
    pub fn memory_measure(&self) -> Option<Measure> {
        match (self.status, self.memory) {
            (_, Some(m)) => Some(Measure::Value(m)),
            (Health::Healthy, None) if self.pika.is_some() => Some(Measure::NotReported),
            _ => None,
        }
    }

    /// The key count as a typed figure: `None` without a healthy sample; `NotReported` for a
    /// Pika server (the fork's dashboard reads no keyspace; its `db0` is a binlog position).
    pub fn keys_measure(&self) -> Option<Measure> {
        match (self.key_count, &self.pika) {
            (Some(k), _) => Some(Measure::Value(k)),
            (None, Some(_)) if self.status == Health::Healthy => Some(Measure::NotReported),
            _ => None,
        }
    }

    /// The memory cell: `"<memory> / <maxmem>"`.
    pub fn memory_cell(&self) -> String {
        format!("{} / {}", self.memory_text, self.maxmem_text)
    }

    pub fn counters(&self) -> ServerCounters {
        ServerCounters {
            memory: self.memory,
            keys: self.keys.clone(),
            key_count: self.key_count,
            connected_clients: self.connected_clients,
        }
    }

    /// Replaces the counters and the memory text made from them, as [`group_views`] does.
    pub fn set_counters(&mut self, c: ServerCounters) {
        self.memory_text = c.memory_text();
        self.memory = c.memory;
        self.keys = c.keys;
        self.key_count = c.key_count;
        self.connected_clients = c.connected_clients;
    }
}

impl GroupView {
    /// Index of the (last) server the sentinels report as the real master while it is not
    /// `servers[0]`, as codis-fe's dialogs use it.
    pub fn real_master_index(&self) -> Option<usize> {
        self.servers
            .iter()
            .rposition(|s| s.ha_status == HaStatus::RealMaster)
    }
}

/// Builds the group tables, in `stats.group.models` order (ascending id), with the HA
/// decoration applied when at least one sentinel is configured.
pub fn group_views(stats: &Stats) -> Vec<GroupView> {
    let has_sentinels = !stats.sentinels.model.servers.is_empty();
    stats
        .group
        .models
        .iter()
        .map(|g| {
            let ha_master = if has_sentinels {
                stats.sentinels.masters.get(&g.id.to_string()).cloned()
            } else {
                None
            };
            group_view(stats, g, has_sentinels, ha_master)
        })
        .collect()
}

fn group_view(
    stats: &Stats,
    g: &Group,
    has_sentinels: bool,
    ha_master: Option<String>,
) -> GroupView {
    let is_promoting = g.is_promoting();
    let promoting_index = is_promoting.then(|| usize::try_from(g.promoting.index).unwrap_or(0));
    let master_addr = g.master().unwrap_or_default();
    let mut runids = BTreeMap::new();
    let mut servers = Vec::with_capacity(g.servers.len());

    for (j, x) in g.servers.iter().enumerate() {
        let sample = stats.server_sample(&x.server);
        let status = redis_health(sample);
        let master_expect = if j == 0 {
            NO_ONE.to_owned()
        } else {
            master_addr.to_owned()
        };
        let mut row = ServerRow {
            index: j,
            server: x.server.clone(),
            server_text: x.server.clone(),
            datacenter: x.datacenter.clone(),
            replica_group: x.replica_group,
            status,
            error: sample
                .filter(|s| !s.timeout)
                .and_then(|s| s.error.as_ref())
                .map(|e| e.cause.clone()),
            memory: None,
            memory_text: "NA".to_owned(),
            maxmemory: None,
            maxmem_text: "NA".to_owned(),
            keys: Vec::new(),
            key_count: None,
            master: "NA".to_owned(),
            master_expect,
            master_status: None,
            can_remove: false,
            can_promote: false,
            is_promoting: false,
            sync: sync_view(x.action.state.as_ref(), x.action.index),
            run_id: None,
            connected_clients: None,
            role: None,
            ha_status: HaStatus::None,
            pika: None,
        };
        let healthy_info = |addr: &str| {
            let s = stats.server_sample(addr);
            (redis_health(s) == Health::Healthy)
                .then(|| s.map(|s| &s.stats))
                .flatten()
        };
        row.pika = pika_server(g, j, healthy_info(&x.server), healthy_info(master_addr));

        if let (Health::Healthy, Some(s)) = (status, sample) {
            let info = &s.stats;
            // A Pika server's `db0` is its binlog position, not a keyspace line: the fork's
            // dashboard reads no keyspace, so its keys are not reported (not 0, not "3").
            if row.pika.is_none() {
                let mut key_count = 0u64;
                for (field, value) in keyspace(info) {
                    key_count =
                        key_count.saturating_add(super::info::keyspace_keys(value).unwrap_or(0));
                    row.keys.push(format!("{field}:{value}"));
                }
                row.key_count = Some(key_count);
            }
            // codis-fe skips an empty `used_memory`/`maxmemory`; "0" is a value ("INF." for max).
            row.memory = info_u64(info, "used_memory");
            if let Some(m) = row.memory {
                row.memory_text = human_size(m);
            }
            row.maxmemory = info_u64(info, "maxmemory");
            if let Some(m) = row.maxmemory {
                row.maxmem_text = if m == 0 {
                    "INF.".to_owned()
                } else {
                    human_size(m)
                };
            }
            row.master = match info.get("master_addr").filter(|a| !a.is_empty()) {
                Some(addr) => format!(
                    "{addr}:{}",
                    info.get("master_link_status")
                        .map(String::as_str)
                        .unwrap_or("undefined")
                ),
                None => NO_ONE.to_owned(),
            };
            row.master_status = Some(if j == 0 {
                row.master == NO_ONE
            } else {
                row.master == format!("{master_addr}:up")
            });
            row.run_id = info.get("run_id").cloned();
            if let Some(id) = &row.run_id {
                runids.insert(id.clone(), x.server.clone());
            }
            row.connected_clients = info_u64(info, "connected_clients");
            row.role = info.get("role").cloned();
        }

        if is_promoting {
            row.is_promoting = Some(j) == promoting_index;
        } else {
            row.can_remove = j != 0 || g.servers.len() <= 1;
            // A replica whose failure is confirmed (error or timeout, after debouncing) cannot
            // take over: promoting it would leave the group without a working master, so it is
            // not offered (codis-fe offered it; issue 13). "Resume promote" is unaffected.
            row.can_promote = j != 0 && !status.is_alarm();
        }
        servers.push(row);
    }

    let mut ha_warning = None;
    if has_sentinels {
        let mut in_group = false;
        for row in &mut servers {
            let Some(m) = ha_master.as_deref() else {
                row.ha_status = HaStatus::Undefined;
                continue;
            };
            let is_ha_master = row.server == m;
            row.ha_status = match (row.index == 0, is_ha_master) {
                (true, true) => HaStatus::Master,
                (true, false) => HaStatus::NotMaster,
                (false, true) => HaStatus::RealMaster,
                (false, false) => HaStatus::Slave,
            };
            if is_ha_master {
                row.server_text = format!("{} [HA]", row.server);
                in_group = true;
            }
        }
        if let Some(m) = ha_master.as_deref() {
            if !in_group {
                ha_warning = Some(format!("[HA: {m}]"));
            }
        }
    }

    GroupView {
        id: g.id,
        out_of_sync: g.out_of_sync,
        is_promoting,
        promoting_state: g.promoting.state.clone(),
        promoting_index,
        can_remove: g.servers.is_empty() && !is_promoting,
        ha_master,
        ha_warning,
        runids,
        servers,
        pika: pika_group(g),
    }
}

fn sync_view(state: Option<&ServerActionState>, index: i64) -> SyncActionView {
    let (button, action_state) = match state {
        Some(ServerActionState::Pending) => (SlaveofButton::Remove, format!("pending:{index}")),
        Some(other) => (SlaveofButton::Create, other.as_str().to_owned()),
        None => (SlaveofButton::Create, String::new()),
    };
    SyncActionView {
        button,
        action_state,
        state: state.cloned(),
        index,
    }
}

/// Groups whose logical master differs from the sentinels' master (codis-fe's `confused`).
pub fn ha_conflicts(groups: &[GroupView]) -> Vec<HaConflict> {
    groups
        .iter()
        .filter_map(|g| {
            let r = g.real_master_index()?;
            Some(HaConflict {
                group: g.id,
                logical_master: g.servers.first()?.server.clone(),
                ha_real_master: g.servers.get(r)?.server.clone(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::ServerCounters;

    #[test]
    fn the_keys_cell_shows_keys_and_expires_over_every_database() {
        let c = ServerCounters {
            keys: vec![
                "db0:keys=17076,expires=19,avg_ttl=21212050".into(),
                "db3:keys=1000,expires=1000,avg_ttl=5".into(),
            ],
            key_count: Some(18_076),
            ..ServerCounters::default()
        };
        assert_eq!(c.expire_count(), Some(1_019));
        assert_eq!(c.keys_cell(), "18,076 / 1,019");
        // No healthy sample: no figures, not zeros.
        assert_eq!(ServerCounters::default().keys_cell(), "NA");
    }
}
