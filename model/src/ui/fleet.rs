//! The fleet home page's logic (issue 16), without a DOM: following the fleet stream
//! (`GET /api/fleet/events`: a `snapshot` then `update`s, see [`crate::fleet`]) with the same
//! sequence rules as the product stream ([`super::stream`]), and sorting and filtering the rows
//! the page shows. The browser crate wires this to an `EventSource` and signals.

use std::cmp::Ordering;

use crate::fleet::{FleetHealth, FleetRow, FleetUpdate, FleetView};
use crate::live::LiveState;

use super::stream::{Resync, Sequence, Verdict};

/// The fleet as the browser holds it: the view on screen and its sequence number.
#[derive(Clone, Debug, Default)]
pub struct FleetFeed {
    view: Option<FleetView>,
    seq: Sequence,
}

impl FleetFeed {
    /// The view on screen, once a snapshot arrived.
    pub fn view(&self) -> Option<&FleetView> {
        self.view.as_ref()
    }

    /// A `snapshot` event replaces the view.
    pub fn snapshot(&mut self, view: FleetView) {
        self.seq.snapshot(view.seq);
        self.view = Some(view);
    }

    /// An `update` event: applied when it follows the view on screen (`Ok(true)`), skipped when
    /// it was already applied (`Ok(false)`, a replay after a reconnection); a gap or an update
    /// without a snapshot asks for a fresh snapshot (`Err`), and the view stays as it was.
    pub fn update(&mut self, u: &FleetUpdate) -> Result<bool, Resync> {
        match self.seq.update(u.seq)? {
            Verdict::Old => Ok(false),
            Verdict::Apply => {
                // `Sequence::update` only applies after a snapshot, so the view is there.
                if let Some(v) = self.view.as_mut() {
                    v.apply(u);
                }
                Ok(true)
            }
        }
    }

    /// Forgets the sequence (a new stream is opened: its snapshot comes first). The rows stay on
    /// screen until that snapshot replaces them.
    pub fn restart(&mut self) {
        self.seq.clear();
    }
}

/// A column of the fleet table one can sort by.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SortKey {
    #[default]
    Name,
    /// Worst first when descending: down, warn, unknown, ok.
    Health,
    Since,
    Version,
    Qps,
    Sessions,
    Memory,
    Proxies,
    Servers,
    Groups,
    Sentinels,
    Migration,
    Alerts,
}

impl SortKey {
    /// Every column, in the table's order, with its id (the `data-sort` attribute).
    pub const ALL: [(SortKey, &'static str); 13] = [
        (SortKey::Name, "name"),
        (SortKey::Health, "health"),
        (SortKey::Since, "since"),
        (SortKey::Version, "version"),
        (SortKey::Qps, "qps"),
        (SortKey::Sessions, "sessions"),
        (SortKey::Memory, "memory"),
        (SortKey::Proxies, "proxies"),
        (SortKey::Servers, "servers"),
        (SortKey::Groups, "groups"),
        (SortKey::Sentinels, "sentinels"),
        (SortKey::Migration, "migration"),
        (SortKey::Alerts, "alerts"),
    ];

    /// The column's id.
    pub fn id(self) -> &'static str {
        SortKey::ALL
            .iter()
            .find(|(k, _)| *k == self)
            .map_or("name", |(_, id)| id)
    }

    /// What a first click sorts by: names A to Z, numbers and trouble biggest first.
    pub fn default_desc(self) -> bool {
        !matches!(self, SortKey::Name | SortKey::Version | SortKey::Since)
    }
}

/// The table's order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sort {
    pub key: SortKey,
    pub desc: bool,
}

impl Sort {
    /// A click on `key`'s header: the other direction if it already sorts by it, else its first.
    pub fn click(self, key: SortKey) -> Sort {
        if self.key == key {
            Sort {
                key,
                desc: !self.desc,
            }
        } else {
            Sort {
                key,
                desc: key.default_desc(),
            }
        }
    }

    /// The order as a URL query value (`qps`, `-qps` descending), `None` for the default
    /// order, so the default link stays bare.
    pub fn to_query(self) -> Option<String> {
        (self != Sort::default()).then(|| {
            let sign = if self.desc { "-" } else { "" };
            format!("{sign}{}", self.key.id())
        })
    }

    /// The order a URL query value names; the default order for an unknown column.
    pub fn from_query(q: &str) -> Sort {
        let (desc, id) = match q.strip_prefix('-') {
            Some(id) => (true, id),
            None => (false, q),
        };
        SortKey::ALL
            .iter()
            .find(|(_, i)| *i == id)
            .map_or(Sort::default(), |(key, _)| Sort { key: *key, desc })
    }

    /// `aria-sort` of `key`'s header.
    pub fn aria(self, key: SortKey) -> &'static str {
        match (self.key == key, self.desc) {
            (false, _) => "none",
            (true, false) => "ascending",
            (true, true) => "descending",
        }
    }
}

/// Which rows by their health.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StateFilter {
    #[default]
    All,
    /// Everything that is not healthy: warn, down, not read yet.
    Trouble,
    Ok,
    Warn,
    Down,
}

impl StateFilter {
    /// Every choice with its id (the `<option value>`).
    pub const ALL: [(StateFilter, &'static str); 5] = [
        (StateFilter::All, "all"),
        (StateFilter::Trouble, "trouble"),
        (StateFilter::Ok, "ok"),
        (StateFilter::Warn, "warn"),
        (StateFilter::Down, "down"),
    ];

    /// The choice of id `id` (`All` for anything else).
    pub fn of(id: &str) -> StateFilter {
        StateFilter::ALL
            .iter()
            .find(|(_, i)| *i == id)
            .map_or(StateFilter::All, |(f, _)| *f)
    }

    /// The id of this choice (its `<option value>` and URL query value).
    pub fn id(self) -> &'static str {
        StateFilter::ALL
            .iter()
            .find(|(f, _)| *f == self)
            .map_or("all", |(_, id)| id)
    }

    pub fn keeps(self, h: FleetHealth) -> bool {
        match self {
            StateFilter::All => true,
            StateFilter::Trouble => h != FleetHealth::Ok,
            StateFilter::Ok => h == FleetHealth::Ok,
            StateFilter::Warn => h == FleetHealth::Warn,
            StateFilter::Down => h == FleetHealth::Down,
        }
    }
}

/// `ok`, `warn`, `down` or `unknown`: the dot's class and the row's `data-health`.
pub fn health_id(h: FleetHealth) -> &'static str {
    match h {
        FleetHealth::Ok => "ok",
        FleetHealth::Warn => "warn",
        FleetHealth::Down => "down",
        FleetHealth::Unknown => "unknown",
    }
}

fn health_rank(h: FleetHealth) -> u8 {
    match h {
        FleetHealth::Ok => 0,
        FleetHealth::Unknown => 1,
        FleetHealth::Warn => 2,
        FleetHealth::Down => 3,
    }
}

/// A share as a sortable number: `ok` of `total` unhealthy counts more the more is missing; a
/// product without any (0 of 0) sorts with the healthy ones.
fn missing(ok: u32, total: u32) -> u32 {
    total.saturating_sub(ok)
}

fn compare(key: SortKey, a: &FleetRow, b: &FleetRow) -> Ordering {
    match key {
        SortKey::Name => Ordering::Equal,
        SortKey::Health => health_rank(a.health()).cmp(&health_rank(b.health())),
        SortKey::Since => a.since_ms.cmp(&b.since_ms),
        SortKey::Version => a.version.cmp(&b.version),
        SortKey::Qps => a.qps.cmp(&b.qps),
        SortKey::Sessions => a.sessions.cmp(&b.sessions),
        SortKey::Memory => a.memory.cmp(&b.memory),
        SortKey::Proxies => missing(a.proxies_healthy, a.proxies_total)
            .cmp(&missing(b.proxies_healthy, b.proxies_total))
            .then(a.proxies_total.cmp(&b.proxies_total)),
        SortKey::Servers => missing(a.servers_healthy, a.servers_total)
            .cmp(&missing(b.servers_healthy, b.servers_total))
            .then(a.servers_total.cmp(&b.servers_total)),
        SortKey::Groups => a.groups_out_of_sync.cmp(&b.groups_out_of_sync),
        SortKey::Sentinels => (
            missing(a.sentinels_healthy, a.sentinels_total),
            a.sentinels_out_of_sync,
        )
            .cmp(&(
                missing(b.sentinels_healthy, b.sentinels_total),
                b.sentinels_out_of_sync,
            ))
            .then(a.sentinels_total.cmp(&b.sentinels_total)),
        SortKey::Migration => {
            (a.migration.stuck, a.migration.queued).cmp(&(b.migration.stuck, b.migration.queued))
        }
        SortKey::Alerts => a.alerts_firing.cmp(&b.alerts_firing),
    }
}

/// The rows the table shows: those whose name contains `name` (case-insensitive, trimmed) and
/// whose health `state` keeps, in `sort` order; ties by name A to Z, so the order is stable
/// while the numbers move.
pub fn visible<'a>(
    rows: &'a [FleetRow],
    name: &str,
    state: StateFilter,
    sort: Sort,
) -> Vec<&'a FleetRow> {
    let needle = name.trim().to_lowercase();
    let mut out: Vec<&FleetRow> = rows
        .iter()
        .filter(|r| needle.is_empty() || r.product.to_lowercase().contains(&needle))
        .filter(|r| state.keeps(r.health()))
        .collect();
    out.sort_by(|a, b| {
        let by = compare(sort.key, a, b);
        let by = if sort.desc { by.reverse() } else { by };
        let name = a.product.cmp(&b.product);
        by.then(if sort.key == SortKey::Name && sort.desc {
            name.reverse()
        } else {
            name
        })
    });
    out
}

/// Alerts firing across the fleet (the bell's badge).
pub fn firing_total(rows: &[FleetRow]) -> u32 {
    rows.iter().map(|r| r.alerts_firing).sum()
}

/// Whether the row's numbers are from a live dashboard (else they are its last good sample, or
/// nothing yet).
pub fn is_live(r: &FleetRow) -> bool {
    r.state == LiveState::Live
}

/// The console section where an alert of `rule` is seen (`""`: the overview).
pub fn rule_section(rule: &str) -> &'static str {
    use crate::alerts::*;
    match rule {
        PROXY_DOWN | ERROR_RATE_HIGH => "proxies",
        SERVER_DOWN | REPLICA_LINK_DOWN | GROUP_OUT_OF_SYNC | MEMORY_HIGH => "groups",
        SENTINEL_DOWN | SENTINEL_OUT_OF_SYNC => "sentinels",
        MIGRATION_STUCK | SLOT_ACTIONS_DISABLED => "slots",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_order_and_the_state_filter_survive_a_trip_through_the_url() {
        assert_eq!(
            Sort::default().to_query(),
            None,
            "the default link stays bare"
        );
        for (key, _) in SortKey::ALL {
            for desc in [false, true] {
                let sort = Sort { key, desc };
                let back = sort
                    .to_query()
                    .map_or(Sort::default(), |q| Sort::from_query(&q));
                assert_eq!(back, sort);
            }
        }
        assert_eq!(
            Sort::from_query("-qps"),
            Sort {
                key: SortKey::Qps,
                desc: true
            }
        );
        for junk in ["", "-", "--qps", "QPS", "qps;drop", "-nope"] {
            assert_eq!(Sort::from_query(junk), Sort::default(), "{junk:?}");
        }
        for (f, id) in StateFilter::ALL {
            assert_eq!(StateFilter::of(f.id()), f, "{id}");
        }
        assert_eq!(StateFilter::of("nope"), StateFilter::All);
    }
    use crate::fleet::{FleetNumbers, MigrationStatus};

    fn row(name: &str, qps: i64, proxies_up: u32, state: LiveState) -> FleetRow {
        FleetRow {
            product: name.into(),
            state,
            qps,
            proxies_healthy: proxies_up,
            proxies_total: 2,
            ..FleetRow::default()
        }
    }

    fn fleet(seq: u64) -> FleetView {
        FleetView {
            seq,
            sampled_ms: 1_000,
            rows: vec![
                row("codis-a", 100, 2, LiveState::Live),
                row("codis-b", 300, 1, LiveState::Live),
                row("codis-c", 200, 2, LiveState::Unreachable),
            ],
        }
    }

    fn names(rows: &[&FleetRow]) -> Vec<String> {
        rows.iter().map(|r| r.product.clone()).collect()
    }

    #[test]
    fn updates_apply_in_order_and_a_gap_asks_for_a_snapshot_keeping_the_rows() {
        let mut feed = FleetFeed::default();
        let early = FleetUpdate {
            seq: 5,
            ..FleetUpdate::default()
        };
        assert_eq!(feed.update(&early), Err(Resync::NoBase { got: 5 }));
        feed.snapshot(fleet(5));
        let qps = FleetUpdate {
            seq: 6,
            sampled_ms: 6_000,
            numbers: FleetNumbers {
                index: vec![0],
                qps: vec![111],
                sessions: vec![3],
                memory: vec![4],
            },
            ..FleetUpdate::default()
        };
        assert_eq!(feed.update(&qps), Ok(true));
        assert_eq!(feed.view().map(|v| v.rows[0].qps), Some(111));
        assert_eq!(feed.update(&qps), Ok(false), "a replay is skipped");
        let lost = FleetUpdate {
            seq: 8,
            removed: vec!["codis-a".into()],
            ..FleetUpdate::default()
        };
        assert_eq!(
            feed.update(&lost),
            Err(Resync::Gap {
                expected: 7,
                got: 8
            })
        );
        assert_eq!(
            feed.view().map(|v| v.rows.len()),
            Some(3),
            "nothing applied across a gap"
        );
        feed.restart();
        assert!(feed.view().is_some(), "the rows stay until the snapshot");
        assert!(feed.update(&lost).is_err(), "no update before the snapshot");
        feed.snapshot(fleet(8));
        assert_eq!(feed.view().map(|v| v.seq), Some(8));
    }

    #[test]
    fn the_table_sorts_by_each_column_with_names_breaking_ties() {
        let f = fleet(1);
        let by = |key, desc| names(&visible(&f.rows, "", StateFilter::All, Sort { key, desc }));
        assert_eq!(by(SortKey::Name, false), ["codis-a", "codis-b", "codis-c"]);
        assert_eq!(by(SortKey::Name, true), ["codis-c", "codis-b", "codis-a"]);
        assert_eq!(by(SortKey::Qps, true), ["codis-b", "codis-c", "codis-a"]);
        assert_eq!(by(SortKey::Qps, false), ["codis-a", "codis-c", "codis-b"]);
        // Worst first: c is unreachable (down), b misses a proxy (warn), a is fine.
        assert_eq!(by(SortKey::Health, true), ["codis-c", "codis-b", "codis-a"]);
        assert_eq!(
            by(SortKey::Proxies, true),
            ["codis-b", "codis-a", "codis-c"]
        );
        // All equal: by name.
        assert_eq!(by(SortKey::Alerts, true), ["codis-a", "codis-b", "codis-c"]);
    }

    #[test]
    fn a_click_sorts_by_a_column_then_turns_it_around() {
        let s = Sort::default();
        assert_eq!((s.key, s.desc), (SortKey::Name, false));
        let s = s.click(SortKey::Qps);
        assert_eq!((s.key, s.desc), (SortKey::Qps, true), "biggest first");
        assert_eq!(s.aria(SortKey::Qps), "descending");
        assert_eq!(s.aria(SortKey::Name), "none");
        let s = s.click(SortKey::Qps);
        assert_eq!(s.aria(SortKey::Qps), "ascending");
        assert!(!s.click(SortKey::Name).desc);
        assert_eq!(SortKey::Migration.id(), "migration");
    }

    #[test]
    fn filters_by_name_and_by_health() {
        let mut f = fleet(1);
        f.rows[0].migration = MigrationStatus {
            queued: 3,
            stuck: true,
            ..MigrationStatus::default()
        };
        let only = |name: &str, state| names(&visible(&f.rows, name, state, Sort::default()));
        assert_eq!(
            only(" B ", StateFilter::All),
            ["codis-b"],
            "case and spaces"
        );
        assert_eq!(only("codis", StateFilter::Ok), Vec::<String>::new());
        assert_eq!(only("", StateFilter::Warn), ["codis-a", "codis-b"]);
        assert_eq!(only("", StateFilter::Down), ["codis-c"]);
        assert_eq!(
            only("", StateFilter::Trouble),
            ["codis-a", "codis-b", "codis-c"]
        );
        assert_eq!(StateFilter::of("down"), StateFilter::Down);
        assert_eq!(StateFilter::of("<script>"), StateFilter::All);
        f.rows[1].alerts_firing = 2;
        f.rows[2].alerts_firing = 1;
        assert_eq!(firing_total(&f.rows), 3);
    }

    #[test]
    fn each_rule_links_to_the_section_that_shows_it() {
        for rule in crate::alerts::RULES {
            let s = rule_section(rule);
            assert!(
                s.is_empty() || crate::ui::route::SECTIONS.iter().any(|(x, _)| *x == s),
                "{rule} -> {s}"
            );
        }
        assert_eq!(rule_section(crate::alerts::PROXY_DOWN), "proxies");
        assert_eq!(rule_section(crate::alerts::DASHBOARD_UNREACHABLE), "");
    }
}
