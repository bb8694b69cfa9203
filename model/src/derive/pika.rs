//! Pika's Codis fork: what its dashboard's own health checks and failover say about each server
//! and group (it has no sentinels; see `fixtures/pika-codis/README.md`).
//!
//! The fork's dashboard checks every server itself: a failed check moves a server from state 0
//! (normal) to 1 (suspected, `recall_times` counting the further failures), and at
//! `sentinel_master_dead_check_times` to 2 (offline). An offline master is replaced by the
//! normal, eligible replica with the highest binlog position, with `out_of_sync` true meanwhile.
//! These functions turn the fields into typed values; the debounced health
//! ([`debounce`](super::debounce)) reads [`ServerCheck`] too, and the election's result is found
//! by comparing samples ([`HealthTracker`](super::HealthTracker)).
//!
//! What the fork's real dashboard showed (`fixtures/pika-codis`, captured with redis-server as
//! group servers) and these functions account for: a group whose master is offline with no
//! eligible replica is never failed over (the dashboard retries every 2 s for ever), so it is
//! "election blocked", not "electing"; a server at a replica position that reports itself
//! master is still marked synced (and readable by proxies), so it is flagged as not
//! replicating; group servers that are not Pika report no binlog (the fields stay 0).

use super::info::info_u64;
use crate::types::{Group, GroupId, GroupServer, InfoMap, ServerCheckState};
use serde::{Deserialize, Serialize};

/// A figure a dashboard's samples may not carry at all: Pika's INFO replication has no
/// `used_memory` and no keyspace, which is "not reported", never 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    Value(u64),
    NotReported,
}

impl Default for Measure {
    /// A reported 0 (what Codis 3.2 shows for an empty cluster).
    fn default() -> Measure {
        Measure::Value(0)
    }
}

impl Measure {
    pub fn value(self) -> Option<u64> {
        match self {
            Measure::Value(v) => Some(v),
            Measure::NotReported => None,
        }
    }
}

/// The fork's verdict on one server, from its `state` and `recall_times`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServerCheck {
    /// The last check succeeded.
    Normal,
    /// Checks are failing: `failed` further failures counted (`recall_times`); it is offline
    /// when they reach `sentinel_master_dead_check_times` (in
    /// [`FailoverSettings`](crate::live::FailoverSettings), from the dashboard's config).
    Suspected { failed: i64 },
    /// Offline for the dashboard, and the latest sample fails too.
    Offline,
    /// Marked offline, but the latest sample answers: the dashboard marks it normal at its next
    /// check of offline servers. (It also marks every server it just synced offline until then.)
    Recovering,
    /// A state this crate does not know.
    Unknown(i64),
}

impl ServerCheck {
    /// From the model's fields; `None` for a Codis 3.2 server (no `state`).
    pub fn of(server: &GroupServer, sample_ok: bool) -> Option<Self> {
        Some(match server.state? {
            ServerCheckState::Normal => ServerCheck::Normal,
            ServerCheckState::Suspected => ServerCheck::Suspected {
                failed: server.recall_times.unwrap_or(0),
            },
            ServerCheckState::Offline if sample_ok => ServerCheck::Recovering,
            ServerCheckState::Offline => ServerCheck::Offline,
            ServerCheckState::Other(n) => ServerCheck::Unknown(n),
        })
    }
}

/// A binlog position: file number and offset in it (Pika's `db0:binlog_offset=F O`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct BinlogPosition {
    pub file_num: u64,
    pub offset: u64,
}

impl BinlogPosition {
    /// From the model's fields (the position at the dashboard's last successful check).
    pub fn of(server: &GroupServer) -> Option<BinlogPosition> {
        Some(BinlogPosition {
            file_num: server.binlog_file_num?,
            offset: server.binlog_offset?,
        })
    }
}

/// The fork's view of one server row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PikaServer {
    pub check: ServerCheck,
    /// The role at the last check (`master`, `slave`, `master&&slave`); `None` before the
    /// first check (the fork sends `""`).
    pub role: Option<String>,
    pub binlog: Option<BinlogPosition>,
    /// Bytes of binlog this replica is behind the group's master (`servers[0]`), from both
    /// servers' INFO `slave_repl_offset` (else from their binlog positions when in the same
    /// file). `None` for the master, or when a figure is missing.
    pub lag_bytes: Option<u64>,
    /// Pika says it may be elected master (it is not in a full sync).
    pub eligible: bool,
    /// A replica position (`servers[>0]`) whose server says it is a master (its INFO `role`, or
    /// the dashboard's `role` when no sample answers): it does not follow `servers[0]`. The
    /// fork still marks it synced and lets proxies read from it (seen on a real dashboard).
    #[serde(default)]
    pub not_replicating: bool,
}

/// The fork's view of one group.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PikaGroup {
    /// The master is offline, the group is out of sync and a replica qualifies: the dashboard
    /// is electing a new master.
    pub electing: bool,
    /// The master is offline and no replica qualifies ([`election_candidate`] is `None`): the
    /// dashboard retries every failover interval and never elects anyone (a real dashboard
    /// logged "can't switch slave to master" every 2 s until the master came back).
    #[serde(default)]
    pub election_blocked: bool,
    /// The server the dashboard's election would pick now (`SelectNewMaster`): normal,
    /// eligible, not `servers[0]`, highest binlog position; `None` when no replica qualifies.
    pub candidate: Option<String>,
    /// The last master change seen by this console (see [`Election`]).
    pub last_election: Option<Election>,
}

/// A master change seen between two samples of a fork product: `new_master` replaced
/// `old_master` as `servers[0]` (by the dashboard's election, or a promotion).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Election {
    pub group: GroupId,
    pub new_master: String,
    pub old_master: String,
    /// When it was seen (Unix seconds of the sample that showed it).
    pub at_unix: i64,
}

/// The server the fork's election would pick: `SelectNewMaster` of its `models/group.go`.
pub fn election_candidate(g: &Group) -> Option<&GroupServer> {
    g.servers
        .iter()
        .skip(1)
        .filter(|s| {
            s.state == Some(ServerCheckState::Normal)
                && s.is_eligible_for_master_election == Some(true)
        })
        .fold(None, |best: Option<&GroupServer>, s| match best {
            // Strictly greater wins: the first of equal positions is kept, as the fork does.
            Some(b) if BinlogPosition::of(s) <= BinlogPosition::of(b) => Some(b),
            _ => Some(s),
        })
}

/// The group part of the fork's view; `None` for a Codis 3.2 group.
pub fn pika_group(g: &Group) -> Option<PikaGroup> {
    let master = g.servers.first()?;
    master.state?;
    let candidate = election_candidate(g).map(|s| s.server.clone());
    let master_offline = master.state == Some(ServerCheckState::Offline);
    Some(PikaGroup {
        electing: g.out_of_sync && master_offline && candidate.is_some(),
        election_blocked: master_offline && candidate.is_none(),
        candidate,
        last_election: None,
    })
}

/// The server part of the fork's view; `None` for a Codis 3.2 server.
///
/// `info`/`master_info` are the healthy INFO samples of the server and of `servers[0]`.
pub fn pika_server(
    g: &Group,
    index: usize,
    info: Option<&InfoMap>,
    master_info: Option<&InfoMap>,
) -> Option<PikaServer> {
    let s = g.servers.get(index)?;
    let check = ServerCheck::of(s, info.is_some())?;
    // The fork fills the binlog fields from Pika's `db0:binlog_offset=F O`; other group servers
    // (codis-server, redis-server) have none and the fields stay 0: not a position.
    let binlog = BinlogPosition::of(s)
        .filter(|p| *p != BinlogPosition::default() || info.is_some_and(has_pika_binlog));
    let lag_bytes = if index == 0 {
        None
    } else {
        // Pika reports `slave_repl_offset` on every role; Redis and codis-server masters
        // report `master_repl_offset` only.
        let master_offset = master_info.and_then(|i| {
            info_u64(i, "slave_repl_offset").or_else(|| info_u64(i, "master_repl_offset"))
        });
        let replica_offset = info.and_then(|i| info_u64(i, "slave_repl_offset"));
        match (master_offset, replica_offset) {
            (Some(m), Some(r)) => Some(m.saturating_sub(r)),
            _ => match (g.servers.first().and_then(BinlogPosition::of), binlog) {
                (Some(m), Some(r)) if m.file_num == r.file_num => {
                    Some(m.offset.saturating_sub(r.offset))
                }
                _ => None,
            },
        }
    };
    // The live sample's role first: the dashboard's `role` is from its last successful check
    // and stays as it was while the server is offline.
    let role_now = info
        .and_then(|i| i.get("role"))
        .or(s.role.as_ref())
        .map(String::as_str);
    Some(PikaServer {
        check,
        role: s.role.clone().filter(|r| !r.is_empty()),
        binlog,
        lag_bytes,
        eligible: s.is_eligible_for_master_election == Some(true),
        not_replicating: index > 0 && role_now == Some("master"),
    })
}

/// Pika's INFO replication carries `db0:binlog_offset=F O,...`.
fn has_pika_binlog(info: &InfoMap) -> bool {
    info.get("db0")
        .is_some_and(|v| v.starts_with("binlog_offset="))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(addr: &str, state: i64, eligible: bool, pos: (u64, u64)) -> GroupServer {
        GroupServer {
            server: addr.into(),
            state: Some(state.into()),
            is_eligible_for_master_election: Some(eligible),
            binlog_file_num: Some(pos.0),
            binlog_offset: Some(pos.1),
            role: Some("slave".into()),
            ..GroupServer::default()
        }
    }

    #[test]
    fn the_election_picks_the_normal_eligible_replica_with_the_highest_binlog_position() {
        let g = Group {
            id: 2,
            servers: vec![
                server("m", 2, true, (9, 9)),
                server("behind", 0, true, (5, 88_100)),
                server("ahead_but_suspected", 1, true, (6, 0)),
                server("ahead_not_eligible", 0, false, (7, 0)),
                server("best", 0, true, (5, 90_210)),
                server("equal_later", 0, true, (5, 90_210)),
            ],
            ..Group::default()
        };
        assert_eq!(election_candidate(&g).unwrap().server, "best");
        let only_master = Group {
            servers: vec![server("m", 2, true, (1, 1))],
            ..Group::default()
        };
        assert!(election_candidate(&only_master).is_none());
    }

    #[test]
    fn an_offline_server_that_answers_again_is_recovering_not_offline() {
        let s = server("a", 2, true, (1, 1));
        assert_eq!(ServerCheck::of(&s, false), Some(ServerCheck::Offline));
        assert_eq!(ServerCheck::of(&s, true), Some(ServerCheck::Recovering));
        let mut suspected = server("b", 1, true, (1, 1));
        suspected.recall_times = Some(4);
        assert_eq!(
            ServerCheck::of(&suspected, false),
            Some(ServerCheck::Suspected { failed: 4 })
        );
        assert_eq!(ServerCheck::of(&GroupServer::default(), true), None);
    }
}
