//! Faults a test (or a newcomer with `--demo-fault`) can inject into the simulated cluster.
//!
//! Each fault changes what the dashboard reports exactly the way the real failure did in the
//! captures (`*__proxy19001_killed`, `*__replica16384_killed`, ...), so the console's error paths
//! can be exercised without killing real processes.

use std::cell::Cell;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use crate::model::Model;

/// One injected failure. Several can be active at once; setting the same fault twice is a no-op.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Fault {
    /// The proxy with this index (0-based, in preset order) stops answering within 1 s: its
    /// samples say `timeout: true` and pushes to it fail.
    ProxyTimeout(usize),
    /// The proxy with this index is dead: its admin port refuses connections, its samples carry an
    /// `error`, and pushes to it fail (`proxy-[<token>] resync slots failed`, ...).
    ProxyError(usize),
    /// The codis-server at this address is dead (connection refused).
    ServerDown(String),
    /// The replica at this address is alive but has lost its master link (a network partition
    /// between them, a wrong `masterauth`): its INFO says `master_link_status:down` and its
    /// master no longer lists it among `connected_slaves`. The console's `replica_link_down`.
    ReplicaLinkDown(String),
    /// Every slot-migration batch fails, as when the source server cannot hand a slot over
    /// (`SLOTSMGRTTAGSLOT-ASYNC` timing out on a huge key): slots keep their action, nothing
    /// moves, and the progress status says `[ERROR] Slot[nnnn]: ...` (codis-fe-spec.md §5.1).
    /// Set on a dashboard with no slot action, it also queues a few slots of the first group to
    /// the second, so there is a migration to get stuck. The console's `migration_stuck`.
    MigrationStuck,
    /// Subjective down: when the address is a sentinel, that sentinel reports every master it
    /// monitors as `sdown`; when it is a codis-server, every sentinel flags it `s_down`.
    SentinelSDown(String),
    /// The sentinel at this address is dead (connection refused).
    SentinelDown(String),
    /// The sentinel at this address is fine, but the dashboard's samples of it carry Codis
    /// 3.2.2's transient `read tcp ...: use of closed network connection` error.
    SentinelClosedConn(String),
    /// The codis-server at this address is fine, but the dashboard's samples of it carry `EOF`
    /// (what Codis shows for about a second after SLAVEOF or a promotion).
    ServerEof(String),
    /// Every dashboard response is delayed by this long.
    DashboardSlow(Duration),
    /// Every action (`PUT /api/topom/...`) is answered this late, and carried out only then,
    /// while reads answer at once: a dashboard stuck on one slow action, or frozen (`kill -STOP`)
    /// right after it read an action. A client that gives up earlier does not stop it (issue 13:
    /// a timed-out action is carried out later).
    SlowActions(Duration),
    /// Every dashboard response is a 200 whose body is not valid JSON.
    DashboardGarbage,
    /// Every dashboard response is a plain-text 500 (what a Go panic gives).
    DashboardError500,
}

/// A fault that lasts a number of dashboard samples (see `DemoDashboard::glitch`): the samples of
/// `samples` consecutive seconds, counted from the first sample taken after it was set.
#[derive(Debug)]
pub(crate) struct Glitch {
    pub fault: Fault,
    pub samples: u32,
    /// `unixtime` of the first sample that showed it (set by that sample).
    pub first: Cell<Option<i64>>,
}

impl Glitch {
    /// Whether the sample of second `unix` shows it (the first sample asked starts it).
    pub(crate) fn shows(&self, fault: &Fault, unix: i64) -> bool {
        if self.fault != *fault {
            return false;
        }
        let first = self.first.get().unwrap_or(unix);
        self.first.set(Some(first));
        unix < first + i64::from(self.samples)
    }

    /// Over: every sample it covers has been taken.
    pub(crate) fn over(&self, unix: i64) -> bool {
        self.first
            .get()
            .is_some_and(|f| unix >= f + i64::from(self.samples))
    }
}

/// The forms [`Fault::from_str`] accepts, quoted in its error message.
pub const FAULT_FORMS: &str =
    "proxy-timeout:<index>, proxy-error:<index>, server-down:<host:port>, \
sentinel-sdown:<host:port>, sentinel-down:<host:port>, sentinel-closed-conn:<host:port>, \
server-eof:<host:port>, replica-link-down:<host:port>, migration-stuck, slow:<n>ms|<n>s, \
slow-actions:<n>ms|<n>s, garbage, error500";

impl Fault {
    /// True for the faults that change every dashboard response (not the cluster).
    pub(crate) fn is_dashboard_wide(&self) -> bool {
        matches!(
            self,
            Fault::DashboardSlow(_)
                | Fault::SlowActions(_)
                | Fault::DashboardGarbage
                | Fault::DashboardError500
        )
    }
}

impl Model {
    /// See [`DemoDashboard::check_fault`](crate::DemoDashboard::check_fault).
    pub(crate) fn check_fault(&self, fault: &Fault) -> Result<(), String> {
        let product = &self.product;
        let servers = || {
            self.groups
                .values()
                .flat_map(|g| g.servers.iter().map(|s| s.server.as_str()))
        };
        let list = |v: Vec<&str>| v.join(", ");
        match fault {
            Fault::ProxyTimeout(i) | Fault::ProxyError(i) => {
                let n = self
                    .world
                    .proxies
                    .iter()
                    .filter(|p| p.model.product_name == *product)
                    .count();
                if *i >= n {
                    return Err(format!(
                        "{product} has {n} proxies: the index must be 0 to {}",
                        n.saturating_sub(1)
                    ));
                }
            }
            Fault::ServerDown(a) | Fault::ServerEof(a) => {
                if !servers().any(|s| s == a) {
                    return Err(format!(
                        "{a} is not a codis-server of {product} (its servers: {})",
                        list(servers().collect())
                    ));
                }
            }
            Fault::ReplicaLinkDown(a) => {
                let replicas: Vec<&str> = self
                    .groups
                    .values()
                    .flat_map(|g| g.servers.iter().skip(1).map(|s| s.server.as_str()))
                    .collect();
                if !replicas.contains(&a.as_str()) {
                    return Err(format!(
                        "{a} is not a replica of {product} (its replicas: {})",
                        list(replicas)
                    ));
                }
            }
            Fault::SentinelSDown(a) => {
                let known = servers().any(|s| s == a) || self.sentinel.servers.contains(a);
                if !known {
                    return Err(format!(
                        "{a} is neither a codis-server nor a sentinel of {product}"
                    ));
                }
            }
            Fault::SentinelDown(a) | Fault::SentinelClosedConn(a) => {
                if !self.sentinel.servers.contains(a) {
                    let s: Vec<&str> = self.sentinel.servers.iter().map(String::as_str).collect();
                    return Err(format!(
                        "{a} is not a sentinel of {product} (its sentinels: {})",
                        list(s)
                    ));
                }
            }
            Fault::MigrationStuck => {
                if self.groups.len() < 2 {
                    return Err(format!("{product} has one group: no slot can migrate"));
                }
            }
            Fault::DashboardSlow(_)
            | Fault::SlowActions(_)
            | Fault::DashboardGarbage
            | Fault::DashboardError500 => {}
        }
        Ok(())
    }

    /// `migration-stuck` on a dashboard with no slot action: queues up to 8 slots of the
    /// first group to the second, as an operator starting a migration would.
    pub(crate) fn queue_stuck_migration(&mut self) {
        if self.slots.iter().any(|s| s.action.state.is_some()) {
            return;
        }
        let mut ids = self.groups.keys().copied();
        if let (Some(src), Some(dst)) = (ids.next(), ids.next()) {
            let _ = self.slot_create_some(i64::from(src), i64::from(dst), 8);
        }
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::ProxyTimeout(i) => write!(f, "proxy-timeout:{i}"),
            Fault::ProxyError(i) => write!(f, "proxy-error:{i}"),
            Fault::ServerDown(a) => write!(f, "server-down:{a}"),
            Fault::SentinelSDown(a) => write!(f, "sentinel-sdown:{a}"),
            Fault::SentinelDown(a) => write!(f, "sentinel-down:{a}"),
            Fault::SentinelClosedConn(a) => write!(f, "sentinel-closed-conn:{a}"),
            Fault::ServerEof(a) => write!(f, "server-eof:{a}"),
            Fault::ReplicaLinkDown(a) => write!(f, "replica-link-down:{a}"),
            Fault::MigrationStuck => f.write_str("migration-stuck"),
            Fault::DashboardSlow(d) => write!(f, "slow:{}ms", d.as_millis()),
            Fault::SlowActions(d) => write!(f, "slow-actions:{}ms", d.as_millis()),
            Fault::DashboardGarbage => f.write_str("garbage"),
            Fault::DashboardError500 => f.write_str("error500"),
        }
    }
}

/// Why a `--demo-fault` value was refused; the message lists the accepted forms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseFaultError(String);

impl fmt::Display for ParseFaultError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}; accepted forms: {FAULT_FORMS}", self.0)
    }
}

impl std::error::Error for ParseFaultError {}

impl FromStr for Fault {
    type Err = ParseFaultError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let (kind, arg) = match s.split_once(':') {
            Some((k, a)) => (k, Some(a)),
            None => (s, None),
        };
        let bad = |why: &str| ParseFaultError(format!("invalid fault {s:?}: {why}"));
        let index = |a: Option<&str>| -> Result<usize, ParseFaultError> {
            a.and_then(|a| a.trim().parse::<usize>().ok())
                .ok_or_else(|| bad("expected a proxy index (0, 1, ...)"))
        };
        let addr = |a: Option<&str>| -> Result<String, ParseFaultError> {
            match a.map(str::trim) {
                Some(a)
                    if a.rsplit_once(':')
                        .is_some_and(|(h, p)| !h.is_empty() && p.parse::<u16>().is_ok()) =>
                {
                    Ok(a.to_owned())
                }
                _ => Err(bad("expected an address host:port")),
            }
        };
        match kind.to_ascii_lowercase().as_str() {
            "proxy-timeout" => Ok(Fault::ProxyTimeout(index(arg)?)),
            "proxy-error" => Ok(Fault::ProxyError(index(arg)?)),
            "server-down" => Ok(Fault::ServerDown(addr(arg)?)),
            "sentinel-sdown" => Ok(Fault::SentinelSDown(addr(arg)?)),
            "sentinel-down" => Ok(Fault::SentinelDown(addr(arg)?)),
            "sentinel-closed-conn" => Ok(Fault::SentinelClosedConn(addr(arg)?)),
            "server-eof" => Ok(Fault::ServerEof(addr(arg)?)),
            "replica-link-down" => Ok(Fault::ReplicaLinkDown(addr(arg)?)),
            "migration-stuck" if arg.is_none() => Ok(Fault::MigrationStuck),
            "slow" => Ok(Fault::DashboardSlow(
                arg.and_then(parse_duration)
                    .ok_or_else(|| bad("expected a duration like 1500ms or 2s"))?,
            )),
            "slow-actions" => Ok(Fault::SlowActions(
                arg.and_then(parse_duration)
                    .ok_or_else(|| bad("expected a duration like 1500ms or 2s"))?,
            )),
            "garbage" if arg.is_none() => Ok(Fault::DashboardGarbage),
            "error500" if arg.is_none() => Ok(Fault::DashboardError500),
            _ => Err(bad("unknown fault")),
        }
    }
}

/// `1500ms`, `2s`, or a bare number of milliseconds.
fn parse_duration(text: &str) -> Option<Duration> {
    let t = text.trim();
    if let Some(ms) = t.strip_suffix("ms") {
        return ms.trim().parse().ok().map(Duration::from_millis);
    }
    if let Some(s) = t.strip_suffix('s') {
        return s
            .trim()
            .parse::<f64>()
            .ok()
            .and_then(|s| (s.is_finite() && s >= 0.0).then(|| Duration::from_secs_f64(s)));
    }
    t.parse().ok().map(Duration::from_millis)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_form_parses_and_round_trips() {
        for text in [
            "proxy-timeout:0",
            "proxy-error:1",
            "server-down:127.0.0.1:16380",
            "sentinel-sdown:127.0.0.1:26379",
            "sentinel-down:127.0.0.1:26381",
            "sentinel-closed-conn:127.0.0.1:26380",
            "server-eof:127.0.0.1:16379",
            "replica-link-down:127.0.0.1:16380",
            "migration-stuck",
            "slow:1500ms",
            "garbage",
            "error500",
        ] {
            let fault: Fault = text.parse().unwrap();
            assert_eq!(fault.to_string(), text);
        }
        assert_eq!(
            "slow:2s".parse::<Fault>().unwrap(),
            Fault::DashboardSlow(Duration::from_secs(2))
        );
        assert_eq!(
            "slow-actions:1500ms".parse::<Fault>().unwrap(),
            Fault::SlowActions(Duration::from_millis(1500))
        );
        assert_eq!(
            Fault::SlowActions(Duration::from_secs(2)).to_string(),
            "slow-actions:2000ms"
        );
    }

    #[test]
    fn a_glitch_covers_the_samples_of_n_seconds_from_the_first_one_taken() {
        let f = Fault::SentinelClosedConn("127.0.0.1:26379".into());
        let g = Glitch {
            fault: f.clone(),
            samples: 2,
            first: Cell::new(None),
        };
        assert!(!g.over(100), "not started before its first sample");
        assert!(!g.shows(&Fault::ServerEof("127.0.0.1:26379".into()), 100));
        // First sample at second 100; read again in the same second; then second 101.
        assert!(g.shows(&f, 100) && g.shows(&f, 100) && g.shows(&f, 101));
        assert!(!g.shows(&f, 102));
        assert!(g.over(102) && !g.over(101));
    }

    #[test]
    fn errors_name_the_accepted_forms() {
        for text in [
            "",
            "proxy-error",
            "proxy-error:x",
            "server-down:nope",
            "boom",
            "garbage:1",
            "migration-stuck:3",
            "replica-link-down",
        ] {
            let err = text.parse::<Fault>().unwrap_err().to_string();
            assert!(
                err.contains("accepted forms: proxy-timeout:<index>"),
                "{err}"
            );
        }
    }
}
