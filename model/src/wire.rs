//! A small hand-written JSON decoder for the live events (`snapshot`, `update`, `status`), used by
//! the browser instead of serde's derived `Deserialize`: the derived impls of every live type,
//! monomorphised for serde_json, were about a tenth of the console's WASM. The wire format is
//! the one serde writes (see [`crate::live`]); the tests decode real events both ways and compare.
//!
//! Differences from serde, none of which the backend's output exercises: a missing field takes
//! its default value (serde would refuse a missing non-`Option` field), and unknown fields are
//! skipped (as serde does).

use std::collections::BTreeMap;

use crate::derive::{
    ActionCounts, ClusterTotals, DashboardView, GroupView, HaStatus, Health, MigrationProgress,
    ProxyNumbers, ProxyRow, ResyncHint, SentinelRow, SentinelsView, ServerRow, SlaveofButton,
    SlotActionRow, SlotChartRow, SlotRun, SlotSeries, SlotsView, SyncActionView,
};
use crate::live::{
    DashboardInfo, History, LiveState, LiveStatus, LiveUpdate, LiveView, ProxyTick, Series,
    ServerTick,
};
use crate::types::{PromotingState, ServerActionState, SlotActionState};

/// Where the text stopped being what was expected (byte offset).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WireError(pub usize);

impl std::fmt::Display for WireError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "malformed live event at byte {}", self.0)
    }
}

type R<T> = Result<T, WireError>;

/// Decodes one event's JSON text.
pub fn decode<T: Decode>(text: &str) -> R<T> {
    let mut r = Reader {
        b: text.as_bytes(),
        i: 0,
    };
    let v = T::decode(&mut r)?;
    if r.peek() != 0 {
        return Err(r.err());
    }
    Ok(v)
}

/// A cursor over JSON text.
pub struct Reader<'a> {
    b: &'a [u8],
    i: usize,
}

impl Reader<'_> {
    fn err(&self) -> WireError {
        WireError(self.i)
    }

    /// The next byte after white space (0 at the end).
    fn peek(&mut self) -> u8 {
        while let Some(&c) = self.b.get(self.i) {
            if matches!(c, b' ' | b'\n' | b'\r' | b'\t') {
                self.i += 1;
            } else {
                return c;
            }
        }
        0
    }

    fn eat(&mut self, c: u8) -> R<()> {
        if self.peek() == c {
            self.i += 1;
            Ok(())
        } else {
            Err(self.err())
        }
    }

    fn word(&mut self, w: &str) -> bool {
        if self.peek() != 0 && self.b[self.i..].starts_with(w.as_bytes()) {
            self.i += w.len();
            true
        } else {
            false
        }
    }

    /// Consumes `null` if it comes next.
    fn null(&mut self) -> bool {
        self.word("null")
    }

    fn string(&mut self) -> R<String> {
        self.eat(b'"')?;
        let mut out = Vec::new();
        loop {
            let c = *self.b.get(self.i).ok_or(self.err())?;
            self.i += 1;
            match c {
                b'"' => break,
                b'\\' => {
                    let e = *self.b.get(self.i).ok_or(self.err())?;
                    self.i += 1;
                    let ch = match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let hi = self.hex4()?;
                            let code = if (0xD800..0xDC00).contains(&hi) {
                                self.eat_raw(b'\\')?;
                                self.eat_raw(b'u')?;
                                let lo = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&lo) {
                                    return Err(self.err());
                                }
                                0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                            } else {
                                hi
                            };
                            char::from_u32(code).ok_or(self.err())?
                        }
                        _ => return Err(self.err()),
                    };
                    let mut buf = [0; 4];
                    out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                }
                _ => out.push(c),
            }
        }
        String::from_utf8(out).map_err(|_| self.err())
    }

    fn eat_raw(&mut self, c: u8) -> R<()> {
        if self.b.get(self.i) == Some(&c) {
            self.i += 1;
            Ok(())
        } else {
            Err(self.err())
        }
    }

    fn hex4(&mut self) -> R<u32> {
        let s = self.b.get(self.i..self.i + 4).ok_or(self.err())?;
        let s = std::str::from_utf8(s).map_err(|_| self.err())?;
        let v = u32::from_str_radix(s, 16).map_err(|_| self.err())?;
        self.i += 4;
        Ok(v)
    }

    /// The text of a number.
    fn number(&mut self) -> R<&str> {
        self.peek();
        let start = self.i;
        while let Some(c) = self.b.get(self.i) {
            if c.is_ascii_digit() || matches!(c, b'-' | b'+' | b'.' | b'e' | b'E') {
                self.i += 1;
            } else {
                break;
            }
        }
        if start == self.i {
            return Err(self.err());
        }
        std::str::from_utf8(&self.b[start..self.i]).map_err(|_| WireError(start))
    }

    /// Calls `f` with each key of an object, positioned at its value (which `f` consumes).
    fn object(&mut self, f: &mut dyn FnMut(&mut Self, &str) -> R<()>) -> R<()> {
        self.eat(b'{')?;
        if self.peek() == b'}' {
            self.i += 1;
            return Ok(());
        }
        loop {
            let k = self.string()?;
            self.eat(b':')?;
            f(self, &k)?;
            match self.peek() {
                b',' => self.i += 1,
                b'}' => {
                    self.i += 1;
                    return Ok(());
                }
                _ => return Err(self.err()),
            }
        }
    }

    /// Calls `f` for each element of an array, positioned at it.
    fn array(&mut self, f: &mut dyn FnMut(&mut Self) -> R<()>) -> R<()> {
        self.eat(b'[')?;
        if self.peek() == b']' {
            self.i += 1;
            return Ok(());
        }
        loop {
            f(self)?;
            match self.peek() {
                b',' => self.i += 1,
                b']' => {
                    self.i += 1;
                    return Ok(());
                }
                _ => return Err(self.err()),
            }
        }
    }

    /// Skips one value of any kind (an unknown field).
    fn skip(&mut self) -> R<()> {
        match self.peek() {
            b'{' => self.object(&mut |r, _| r.skip()),
            b'[' => self.array(&mut |r| r.skip()),
            b'"' => self.string().map(|_| ()),
            b't' | b'f' => bool::decode(self).map(|_| ()),
            b'n' if self.null() => Ok(()),
            _ => self.number().map(|_| ()),
        }
    }
}

/// A type the live events carry.
pub trait Decode: Sized {
    fn decode(r: &mut Reader) -> R<Self>;
}

impl Decode for bool {
    fn decode(r: &mut Reader) -> R<bool> {
        if r.word("true") {
            Ok(true)
        } else if r.word("false") {
            Ok(false)
        } else {
            Err(r.err())
        }
    }
}

macro_rules! numbers {
    ($($t:ty),*) => {$(
        impl Decode for $t {
            fn decode(r: &mut Reader) -> R<$t> {
                let at = r.i;
                r.number()?.parse().map_err(|_| WireError(at))
            }
        }
    )*};
}
numbers!(u16, u32, u64, usize, i64, f64);

impl Decode for String {
    fn decode(r: &mut Reader) -> R<String> {
        r.string()
    }
}

impl<T: Decode> Decode for Option<T> {
    fn decode(r: &mut Reader) -> R<Option<T>> {
        if r.null() {
            Ok(None)
        } else {
            T::decode(r).map(Some)
        }
    }
}

impl<T: Decode> Decode for Box<T> {
    fn decode(r: &mut Reader) -> R<Box<T>> {
        T::decode(r).map(Box::new)
    }
}

impl<T: Decode> Decode for Vec<T> {
    fn decode(r: &mut Reader) -> R<Vec<T>> {
        let mut v = Vec::new();
        r.array(&mut |r| {
            v.push(T::decode(r)?);
            Ok(())
        })?;
        Ok(v)
    }
}

/// Map keys: JSON object keys are strings; integer keys are written as their decimal text.
pub trait Key: Ord + Sized {
    fn from_key(k: &str) -> Option<Self>;
}

impl Key for String {
    fn from_key(k: &str) -> Option<String> {
        Some(k.to_owned())
    }
}

impl Key for u32 {
    fn from_key(k: &str) -> Option<u32> {
        k.parse().ok()
    }
}

impl<K: Key, V: Decode> Decode for BTreeMap<K, V> {
    fn decode(r: &mut Reader) -> R<BTreeMap<K, V>> {
        let mut m = BTreeMap::new();
        r.object(&mut |r, k| {
            let key = K::from_key(k).ok_or(r.err())?;
            m.insert(key, V::decode(r)?);
            Ok(())
        })?;
        Ok(m)
    }
}

impl<A: Decode, B: Decode> Decode for (A, B) {
    fn decode(r: &mut Reader) -> R<(A, B)> {
        r.eat(b'[')?;
        let a = A::decode(r)?;
        r.eat(b',')?;
        let b = B::decode(r)?;
        r.eat(b']')?;
        Ok((a, b))
    }
}

/// Structs with a `Default`, decoded field by field.
macro_rules! objects {
    ($($t:ty { $($f:ident),* $(,)? })*) => {$(
        impl Decode for $t {
            fn decode(r: &mut Reader) -> R<$t> {
                let mut v = <$t>::default();
                r.object(&mut |r, k| {
                    match k {
                        $( stringify!($f) => v.$f = Decode::decode(r)?, )*
                        _ => r.skip()?,
                    }
                    Ok(())
                })?;
                Ok(v)
            }
        }
    )*};
}

objects! {
    LiveView { product, seq, sampled_ms, dashboard, view, slot_owner, history, status }
    LiveUpdate {
        seq, sampled_ms, dashboard, totals, proxies, proxy_numbers, proxy_order, groups,
        server_numbers, group_order, slots, slot_owner, slot_count, sentinels, closed, status,
    }
    LiveStatus { state, message, last_ok_ms }
    DashboardInfo {
        admin_addr, version, coordinator_label, coordinator_addr, migration_method,
        migration_parallel_slots, start_time, pid,
    }
    Series { start_ms, step_ms, values, coarse }
    History { cluster_qps, proxy_qps, group_memory, group_keys }
    DashboardView { totals, proxies, groups, slots, sentinels, closed }
    ClusterTotals { qps, qps_text, sessions, sessions_text, memory, memory_text, keys, keys_text }
    ProxyRow {
        id, token, proxy_addr, admin_addr, datacenter, start_time, status, error, sessions_text,
        commands_text, numbers, switched, primary_only, resync,
    }
    ProxyNumbers {
        online, qps, ops_total, ops_fails, redis_errors, sessions_total, sessions_alive, cpu, mem,
    }
    GroupView {
        id, out_of_sync, is_promoting, promoting_state, promoting_index, can_remove, ha_master,
        ha_warning, runids, servers,
    }
    ServerRow {
        index, server, server_text, datacenter, replica_group, status, error, memory, memory_text,
        maxmemory, maxmem_text, keys, key_count, master, master_expect, master_status, can_remove,
        can_promote, is_promoting, sync, run_id, connected_clients, role, ha_status,
    }
    SyncActionView { button, action_state, state, index }
    SlotsView {
        counts, series, actions, action_counts, progress, interval, disabled, status, executor,
    }
    SlotRun { row, begin, end }
    SlotSeries { group_id, count, name, runs }
    ActionCounts { pending, preparing, prepared, migrating, finished, other }
    MigrationProgress { total, done, remaining, running }
    SentinelsView { rows, out_of_sync, masters }
    SentinelRow {
        server, status, error, masters, masters_down, slaves, sentinels, status_text, runid_errors,
    }
}

impl Decode for SlotActionRow {
    fn decode(r: &mut Reader) -> R<SlotActionRow> {
        let mut v = SlotActionRow {
            slot: 0,
            group_id: 0,
            target_id: 0,
            index: 0,
            state: SlotActionState::Other(String::new()),
            can_cancel: false,
        };
        r.object(&mut |r, k| {
            match k {
                "slot" => v.slot = Decode::decode(r)?,
                "group_id" => v.group_id = Decode::decode(r)?,
                "target_id" => v.target_id = Decode::decode(r)?,
                "index" => v.index = Decode::decode(r)?,
                "state" => v.state = Decode::decode(r)?,
                "can_cancel" => v.can_cancel = Decode::decode(r)?,
                _ => r.skip()?,
            }
            Ok(())
        })?;
        Ok(v)
    }
}

impl Decode for ProxyTick {
    fn decode(r: &mut Reader) -> R<ProxyTick> {
        r.eat(b'[')?;
        let index = Decode::decode(r)?;
        let next = |r: &mut Reader| r.eat(b',');
        next(r)?;
        let online = Decode::decode(r)?;
        next(r)?;
        let qps = Decode::decode(r)?;
        next(r)?;
        let ops_total = Decode::decode(r)?;
        next(r)?;
        let ops_fails = Decode::decode(r)?;
        next(r)?;
        let redis_errors = Decode::decode(r)?;
        next(r)?;
        let sessions_total = Decode::decode(r)?;
        next(r)?;
        let sessions_alive = Decode::decode(r)?;
        next(r)?;
        let cpu = Decode::decode(r)?;
        next(r)?;
        let mem = Decode::decode(r)?;
        r.eat(b']')?;
        Ok(ProxyTick(
            index,
            online,
            qps,
            ops_total,
            ops_fails,
            redis_errors,
            sessions_total,
            sessions_alive,
            cpu,
            mem,
        ))
    }
}

impl Decode for ServerTick {
    fn decode(r: &mut Reader) -> R<ServerTick> {
        r.eat(b'[')?;
        let group = Decode::decode(r)?;
        r.eat(b',')?;
        let index = Decode::decode(r)?;
        r.eat(b',')?;
        let memory = Decode::decode(r)?;
        r.eat(b',')?;
        let key_count = Decode::decode(r)?;
        r.eat(b',')?;
        let clients = Decode::decode(r)?;
        r.eat(b',')?;
        let keys = Decode::decode(r)?;
        r.eat(b']')?;
        Ok(ServerTick(group, index, memory, key_count, clients, keys))
    }
}

/// Unit enums written as their serde names.
macro_rules! names {
    ($($t:ty { $($v:ident = $s:literal),* $(,)? })*) => {$(
        impl Decode for $t {
            fn decode(r: &mut Reader) -> R<$t> {
                let at = r.i;
                Ok(match r.string()?.as_str() {
                    $( $s => <$t>::$v, )*
                    _ => return Err(WireError(at)),
                })
            }
        }
    )*};
}

names! {
    Health { Healthy = "healthy", Pending = "pending", Timeout = "timeout", Error = "error" }
    LiveState {
        Connecting = "connecting", Live = "live", Unreachable = "unreachable", Stale = "stale",
    }
    SlaveofButton { Create = "create", Remove = "remove" }
    ResyncHint { InSync = "in_sync", Needed = "needed", Unavailable = "unavailable" }
    SlotChartRow { Offline = "offline", Migrating = "migrating", Default = "default" }
    HaStatus {
        None = "none", Undefined = "ha_undefined", Master = "ha_master",
        NotMaster = "ha_not_master", RealMaster = "ha_real_master", Slave = "ha_slave",
    }
}

/// The dashboard's own states, which keep unknown names.
macro_rules! tolerant {
    ($($t:ty),*) => {$(
        impl Decode for $t {
            fn decode(r: &mut Reader) -> R<$t> {
                Ok(<$t>::from(r.string()?.as_str()))
            }
        }
    )*};
}
tolerant!(PromotingState, ServerActionState, SlotActionState);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Stats;

    fn fixture(name: &str) -> Stats {
        let dir = std::env::var("CODIS_FIXTURES").unwrap_or_else(|_| {
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../shared/fixtures/codis-3.2"
            )
            .to_string()
        });
        let text = std::fs::read_to_string(format!("{dir}/{name}"))
            .unwrap_or_else(|e| panic!("fixture {name}: {e}"));
        serde_json::from_str(&text).expect("stats parse")
    }

    /// Decodes `v`'s JSON with this decoder and with serde_json; both must give `v`.
    fn both_ways<T>(v: &T) -> String
    where
        T: Decode + serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
    {
        let json = serde_json::to_string(v).expect("json");
        let ours: T = decode(&json).unwrap_or_else(|e| panic!("{e}: {json}"));
        let theirs: T = serde_json::from_str(&json).expect("serde");
        assert_eq!(ours, theirs, "{json}");
        assert_eq!(&ours, v, "{json}");
        json
    }

    fn names() -> Vec<String> {
        let dir = std::env::var("CODIS_FIXTURES").unwrap_or_else(|_| {
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../shared/fixtures/codis-3.2"
            )
            .to_string()
        });
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .expect("fixtures")
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains("stats") && n.ends_with(".json") && !n.contains("__err"))
            .filter(|n| n.contains("topom_stats"))
            .collect();
        v.sort();
        v
    }

    #[test]
    fn snapshots_and_updates_of_every_captured_sample_decode_as_serde_does() {
        let names = names();
        assert!(names.len() >= 5, "stats fixtures: {names:?}");
        let mut prev: Option<LiveView> = None;
        let mut decoded = 0;
        for (i, name) in names.iter().enumerate() {
            let Ok(stats) = std::panic::catch_unwind(|| fixture(name)) else {
                continue;
            };
            let info = DashboardInfo {
                admin_addr: "127.0.0.1:18080".into(),
                version: "3.2.2 \"quoted\" \\ \u{e9}\u{1F600}\n".into(),
                coordinator_label: "[Zookeeper]".into(),
                migration_parallel_slots: 100,
                pid: 4242,
                ..DashboardInfo::default()
            };
            let mut view = LiveView::from_sample(
                "codis-demo",
                i as u64 + 1,
                1_000 * (i as u64 + 1),
                info,
                &stats,
            );
            view.status = LiveStatus {
                state: LiveState::Unreachable,
                message: Some("dial tcp: refused".into()),
                last_ok_ms: Some(12),
            };
            if let Some(old) = &prev {
                let mut hist = old.clone();
                hist.apply(&LiveUpdate::between(old, &view), 1000, 600);
                view.history = hist.history.clone();
                both_ways(&LiveUpdate::between(old, &view));
                both_ways(&LiveUpdate::between(&view, old));
            }
            both_ways(&view);
            both_ways(&view.status);
            decoded += 1;
            prev = Some(view);
        }
        assert!(decoded >= 5, "decoded {decoded} samples");
    }

    #[test]
    fn counter_ticks_and_downsampled_history_decode_as_serde_does() {
        let s = fixture("demo_get_topom_stats__final_healthy.json");
        let a = LiveView::from_sample("codis-demo", 1, 1_000, DashboardInfo::default(), &s);
        let mut b = a.clone();
        b.seq = 2;
        for p in &mut b.view.proxies {
            if let Some(mut n) = p.numbers.clone() {
                n.qps += 17;
                n.cpu = 0.012_345_678_9;
                n.redis_errors = None;
                p.set_numbers(n);
            }
        }
        for g in &mut b.view.groups {
            let mut c = g.servers[0].counters();
            c.memory = c.memory.map(|m| m + 1_000_000);
            g.servers[0].set_counters(c);
        }
        let u = LiveUpdate::between(&a, &b);
        assert!(!u.proxy_numbers.is_empty() && !u.server_numbers.is_empty());
        both_ways(&u);
        let mut coarse = Series::new(0, 10_000);
        coarse.values = vec![Some(1.5), None, Some(-3e-7), Some(1e300)];
        let mut s = Series::new(30_000, 1000);
        s.values = vec![Some(30.0), None, Some(0.1 + 0.2)];
        s.coarse = Some(Box::new(coarse));
        both_ways(&s);
    }

    #[test]
    fn malformed_text_is_an_error_not_a_panic() {
        for bad in [
            "",
            "{",
            "{\"seq\":}",
            "{\"seq\":1,}",
            "[1,2]",
            "{\"status\":{\"state\":\"bogus\"}}",
            "{\"seq\":1} x",
            "{\"product\":\"\\ud800\"}",
        ] {
            assert!(decode::<LiveView>(bad).is_err(), "{bad}");
        }
        let v: LiveStatus = decode(r#" { "state" : "live", "extra": [1, {"a": null}, true] } "#)
            .expect("unknown fields are skipped");
        assert_eq!(v.state, LiveState::Live);
    }
}
