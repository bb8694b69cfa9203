//! A small hand-written JSON decoder for what the browser reads: the live events (`snapshot`,
//! `update`, `status`) and the console API's answers (products, `me`, errors, rebalance preview,
//! action outcome), used instead of serde's derived `Deserialize` so that no serde_json decoder
//! is in the console's WASM. The wire format is the one serde writes (see [`crate::live`] and
//! [`crate::console`]); the tests decode real documents both ways and compare.
//!
//! Differences from serde, none of which the backend's output exercises: a missing field takes
//! its default value (serde would refuse a missing non-`Option` field), and unknown fields are
//! skipped (as serde does).

use std::collections::BTreeMap;

use crate::console::{
    ApiErrorBody, ApiErrorDetail, DiscoveryStatus, Me, ProductInfo, ProductsReply, RebalancePreview,
};
use crate::derive::RebalanceGroupPlan;
use crate::derive::{
    ActionCounts, ClusterTotals, DashboardView, GroupView, HaStatus, Health, MigrationProgress,
    ProxyNumbers, ProxyRow, ResyncHint, SentinelRow, SentinelsView, ServerRow, SlaveofButton,
    SlotActionRow, SlotChartRow, SlotRun, SlotSeries, SlotsView, SyncActionView,
};
use crate::live::{
    CmdRow, DashboardInfo, History, LiveState, LiveStatus, LiveUpdate, LiveView, ProxyCmds,
    ProxyCounterColumns, Series, ServerCounterColumns,
};
use crate::types::{PromotingState, RebalancePlan, ServerActionState, SlotActionState};

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

impl<'a> Reader<'a> {
    /// A reader at the start of `text`.
    pub fn new(text: &'a str) -> Reader<'a> {
        Reader {
            b: text.as_bytes(),
            i: 0,
        }
    }
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

    /// The text of the next value, whatever it is (kept as JSON).
    pub fn raw(&mut self) -> R<String> {
        self.peek();
        let start = self.i;
        self.skip()?;
        std::str::from_utf8(&self.b[start..self.i])
            .map(str::to_owned)
            .map_err(|_| WireError(start))
    }

    /// Calls `f` with each key of an object, positioned at its value (which `f` consumes).
    pub fn object(&mut self, f: &mut dyn FnMut(&mut Self, &str) -> R<()>) -> R<()> {
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
    pub fn skip(&mut self) -> R<()> {
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
numbers!(u16, u32, u64, usize, i64);

impl Decode for f64 {
    fn decode(r: &mut Reader) -> R<f64> {
        let at = r.i;
        json_f64(r.number()?).ok_or(WireError(at))
    }
}

/// Powers of ten that are exact in an `f64`.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// A JSON number (strict grammar: `-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?`) as the
/// nearest `f64`.
///
/// Why not `str::parse`: `core`'s float parser carries a table of 128-bit powers of five
/// (about 10 KB of incompressible data in the console's WASM). Every number the backend writes
/// is an integer or a value rounded to a few decimals, so it takes Clinger's fast path here:
/// a mantissa below 2^53 and a power of ten of at most 22 are both exact, so one IEEE multiply or
/// divide gives the correctly rounded result. Anything else (17 significant digits, huge
/// exponents) goes to the platform's correctly rounded parser: the browser's `parseFloat`
/// in WASM, `str::parse` elsewhere. Either way the result equals `str::parse`'s.
pub fn json_f64(text: &str) -> Option<f64> {
    let b = text.as_bytes();
    let mut i = 0;
    let negative = b.first() == Some(&b'-');
    if negative {
        i += 1;
    }
    let mut mantissa: u64 = 0;
    // Digits that did not fit in `mantissa` (only the slow path can use them).
    let mut overflow = false;
    let mut exp10: i64 = 0;
    let mut digits = |i: &mut usize, fraction: bool| -> usize {
        let start = *i;
        while let Some(d) = b.get(*i).filter(|c| c.is_ascii_digit()) {
            match mantissa
                .checked_mul(10)
                .and_then(|m| m.checked_add(u64::from(d - b'0')))
            {
                Some(m) if !overflow => {
                    mantissa = m;
                    if fraction {
                        exp10 -= 1;
                    }
                }
                _ => overflow = true,
            }
            *i += 1;
        }
        *i - start
    };
    let int_digits = digits(&mut i, false);
    if int_digits == 0 || (int_digits > 1 && b[i - int_digits] == b'0') {
        return None;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i, true) == 0 {
            return None;
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        let negative_exp = b.get(i) == Some(&b'-');
        if matches!(b.get(i), Some(b'-' | b'+')) {
            i += 1;
        }
        let start = i;
        let mut e: i64 = 0;
        while let Some(d) = b.get(i).filter(|c| c.is_ascii_digit()) {
            e = (e * 10 + i64::from(d - b'0')).min(1 << 20);
            i += 1;
        }
        if i == start {
            return None;
        }
        exp10 += if negative_exp { -e } else { e };
    }
    if i != b.len() {
        return None;
    }
    let sign = if negative { -1.0 } else { 1.0 };
    if !overflow && mantissa <= 1 << 53 && (-22..=22).contains(&exp10) {
        let m = mantissa as f64;
        let e = exp10.unsigned_abs() as usize;
        return Some(
            sign * if exp10 < 0 {
                m / POW10[e]
            } else {
                m * POW10[e]
            },
        );
    }
    if mantissa == 0 && !overflow {
        return Some(sign * 0.0);
    }
    slow_f64(text)
}

#[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
fn slow_f64(text: &str) -> Option<f64> {
    // `text` is a valid JSON number here, which `parseFloat` reads whole and rounds correctly.
    Some(js_sys::Number::parse_float(text))
}

#[cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]
fn slow_f64(text: &str) -> Option<f64> {
    text.parse().ok()
}

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

impl Key for u16 {
    fn from_key(k: &str) -> Option<u16> {
        k.parse().ok()
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
    ProxyCmds { token, admin_addr, sampled_ms, window_ms, cmds }
    CmdRow {
        opstr, calls, usecs, usecs_percall, fails, redis_errtype, calls_per_sec,
        recent_usecs_percall,
    }
    DashboardView { totals, proxies, groups, slots, sentinels, closed }
    ClusterTotals { qps, qps_text, sessions, sessions_text, memory, memory_text, keys, keys_text }
    ProxyRow {
        id, token, proxy_addr, admin_addr, datacenter, start_time, status, error, sessions_text,
        commands_text, numbers, switched, primary_only, resync,
    }
    ProxyNumbers {
        online, qps, ops_total, ops_fails, redis_errors, sessions_total, sessions_alive, cpu, mem,
    }
    ProxyCounterColumns {
        index, online, qps, ops_total, ops_fails, redis_errors, sessions_total, sessions_alive,
        cpu, mem,
    }
    ServerCounterColumns { group, index, memory, key_count, connected_clients, keyspace }
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
    ProductsReply { products, discovery, me }
    ProductInfo { name, dashboard, source, reachable, last_seen_ms, error }
    DiscoveryStatus { loaded, stale, error, updated_ms }
    Me { mode, user, role, read_only, csrf, product_roles, insecure }
    ActivityEntry {
        time, user, role, client, product, action, params, outcome, status, message, duration_ms,
    }
    ApiErrorBody { error }
    ApiErrorDetail { kind, message, field, rule }
    RebalancePreview { plan, groups }
    RebalanceGroupPlan { group_id, ranges, slots, text }
    ActionReply { ok, reply }
}

/// `POST /api/products/{p}/actions` as the browser needs it (`ActionOutcome` with its `reply`
/// kept as JSON text, which is only shown when the dashboard refused).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ActionReply {
    pub ok: bool,
    pub reply: Option<Raw>,
}

/// An entry of `GET /api/activity` as the browser shows it ([`crate::console::AuditEntry`] with
/// its parameters as text).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ActivityEntry {
    pub time: String,
    pub user: String,
    pub role: String,
    pub client: String,
    pub product: String,
    pub action: String,
    pub params: Fields,
    pub outcome: String,
    pub status: u16,
    pub message: Option<String>,
    pub duration_ms: u64,
}

/// An object's members as text, for display: strings unquoted, anything else as its JSON;
/// empty for anything but an object.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Fields(pub Vec<(String, String)>);

impl Decode for Fields {
    fn decode(r: &mut Reader) -> R<Fields> {
        let mut out = Vec::new();
        if r.peek() != b'{' {
            r.skip()?;
            return Ok(Fields(out));
        }
        r.object(&mut |r, k| {
            let v = if r.peek() == b'"' {
                r.string()?
            } else {
                r.raw()?
            };
            out.push((k.to_owned(), v));
            Ok(())
        })?;
        Ok(Fields(out))
    }
}

/// A value kept as its JSON text.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Raw(pub String);

impl Decode for Raw {
    fn decode(r: &mut Reader) -> R<Raw> {
        r.raw().map(Raw)
    }
}

impl Decode for RebalancePlan {
    fn decode(r: &mut Reader) -> R<RebalancePlan> {
        let at = r.i;
        let m: BTreeMap<u16, u32> = Decode::decode(r)?;
        // As serde: a key that is not a slot id fails (a wrong slot would mislead the preview).
        if m.keys()
            .any(|&k| usize::from(k) >= crate::types::MAX_SLOT_NUM)
        {
            return Err(WireError(at));
        }
        Ok(RebalancePlan(m))
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
    Health { Healthy = "healthy", Pending = "pending", Timeout = "timeout", Error = "error", Flaky = "flaky" }
    LiveState {
        Connecting = "connecting", Live = "live", Unreachable = "unreachable", Stale = "stale",
        Waiting = "waiting",
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

// ---------------------------------------------------------------------------------------------
// Encoding: the few request bodies the browser sends, written as serde_json writes them.
// ---------------------------------------------------------------------------------------------

/// A JSON object under construction: `{"k":v,...}` in the order fields are added.
pub struct Obj(String);

impl Obj {
    pub fn new() -> Obj {
        Obj(String::from("{"))
    }

    fn key(&mut self, k: &str) {
        if self.0.len() > 1 {
            self.0.push(',');
        }
        push_str(&mut self.0, k);
        self.0.push(':');
    }

    pub fn str(mut self, k: &str, v: &str) -> Obj {
        self.key(k);
        push_str(&mut self.0, v);
        self
    }

    pub fn bool(mut self, k: &str, v: bool) -> Obj {
        self.key(k);
        self.0.push_str(if v { "true" } else { "false" });
        self
    }

    /// `v` is JSON text already.
    pub fn raw(mut self, k: &str, v: &str) -> Obj {
        self.key(k);
        self.0.push_str(v);
        self
    }

    pub fn end(mut self) -> String {
        self.0.push('}');
        self.0
    }
}

impl Default for Obj {
    fn default() -> Obj {
        Obj::new()
    }
}

/// A JSON string, escaped as serde_json escapes it.
fn push_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// The body of `POST /api/products/{p}/actions`.
pub fn encode_action(a: &crate::Action) -> String {
    use crate::Action::*;
    let o = Obj::new().str("action", a.name());
    match a {
        ProxyCreate { addr }
        | SyncActionCreate { addr }
        | SyncActionRemove { addr }
        | SentinelAdd { addr } => o.str("addr", addr),
        ProxyReinit { token } => o.str("token", token),
        ProxyRemove { token, force } => o.str("token", token).bool("force", *force),
        SlotsCreateRange { beg, end, gid } => o.str("beg", beg).str("end", end).str("gid", gid),
        SlotsCreateSome { from, to, num } => o.str("from", from).str("to", to).str("num", num),
        SlotsActionRemove { sid } => o.str("sid", sid),
        SlotsDisabled { disabled } => o.bool("disabled", *disabled),
        SlotsInterval { interval } => o.str("interval", interval),
        GroupCreate { gid } | GroupRemove { gid } | GroupResync { gid } => o.str("gid", gid),
        GroupAddServer {
            gid,
            addr,
            datacenter,
        } => o
            .str("gid", gid)
            .str("addr", addr)
            .str("datacenter", datacenter),
        GroupDelServer { gid, addr } | GroupPromote { gid, addr } => {
            o.str("gid", gid).str("addr", addr)
        }
        GroupReplicaGroups { gid, addr, enabled } => o
            .str("gid", gid)
            .str("addr", addr)
            .bool("enabled", *enabled),
        GroupReplicaGroupsAll { enabled } => o.bool("enabled", *enabled),
        SentinelRemove { addr, force } => o.str("addr", addr).bool("force", *force),
        Loglevel { value } => o.str("value", value),
        GroupResyncAll | SentinelResyncAll | Reload => o,
    }
    .end()
}

/// The body of `POST /api/session`.
pub fn encode_sign_in(s: &crate::console::SignIn) -> String {
    Obj::new()
        .str("user", &s.user)
        .str("password", &s.password)
        .end()
}

/// The body of `POST /api/products/{p}/rebalance/apply`: the plan as the preview gave it (keys
/// in Go's order, sorted as strings).
pub fn encode_rebalance_apply(a: &crate::console::RebalanceApply) -> String {
    let mut entries: Vec<(String, u32)> = a
        .plan
        .0
        .iter()
        .map(|(sid, gid)| (sid.to_string(), *gid))
        .collect();
    entries.sort();
    let plan = entries
        .iter()
        .fold(Obj::new(), |o, (k, v)| o.raw(k, &v.to_string()))
        .end();
    Obj::new().raw("plan", &plan).end()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Stats;

    fn fixture(name: &str) -> Stats {
        let dir = std::env::var("CODIS_FIXTURES").unwrap_or_else(|_| {
            concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/codis-3.2").to_string()
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

    #[test]
    fn json_numbers_read_as_rusts_parser_reads_them() {
        for text in [
            "0",
            "-0",
            "1",
            "-1",
            "0.1",
            "0.3",
            "1e22",
            "1e23",
            "9007199254740993",
            "123.456e-7",
            "0.1234",
            "2.5E+3",
            "1.7976931348623157e308",
            "5e-324",
            "1e400",
            "-1e-400",
            "0.30000000000000004",
            "12345678901234567890123",
            "0.000001",
            "3.14159",
        ] {
            let expected: f64 = text.parse().unwrap();
            let got = json_f64(text).unwrap_or_else(|| panic!("{text} refused"));
            assert_eq!(got.to_bits(), expected.to_bits(), "{text}");
        }
        // Every value the backend writes for CPU (rounded to 1e-4) and rates takes the fast path.
        for i in 0..100_000u32 {
            let x = f64::from(i) / 1e4;
            let text = serde_json::to_string(&x).unwrap();
            assert_eq!(json_f64(&text), Some(x), "{text}");
        }
    }

    #[test]
    fn malformed_json_numbers_are_refused() {
        for text in [
            "", "-", "01", "1.", ".5", "+1", "1e", "1e+", "1.2.3", "1-2", "--1", "1ee2", "0x10",
        ] {
            assert_eq!(json_f64(text), None, "{text}");
        }
    }

    fn names() -> Vec<String> {
        let dir = std::env::var("CODIS_FIXTURES").unwrap_or_else(|_| {
            concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/codis-3.2").to_string()
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
    fn activity_entries_decode_with_their_parameters_as_text() {
        let entry = crate::console::AuditEntry {
            time: "2026-11-25T15:11:30.447Z".into(),
            user: "adam".into(),
            role: "admin".into(),
            client: "127.0.0.1:55480".into(),
            product: "codis-demo".into(),
            action: "proxy-remove".into(),
            params: serde_json::json!({"action": "proxy-remove", "token": "ab\"c", "force": true}),
            outcome: "dashboard_refused".into(),
            status: 409,
            message: Some("proxy-[ab] doesn't exist".into()),
            duration_ms: 3,
        };
        let text = serde_json::to_string(&vec![entry.clone(), entry.clone()]).expect("json");
        let got: Vec<ActivityEntry> = decode(&text).expect("decodes");
        assert_eq!(got.len(), 2);
        let e = &got[0];
        assert_eq!(
            (
                e.time.as_str(),
                e.user.as_str(),
                e.action.as_str(),
                e.status
            ),
            ("2026-11-25T15:11:30.447Z", "adam", "proxy-remove", 409)
        );
        assert_eq!(e.message, entry.message);
        assert_eq!(
            e.params.0,
            vec![
                ("action".to_string(), "proxy-remove".to_string()),
                ("force".to_string(), "true".to_string()),
                ("token".to_string(), "ab\"c".to_string()),
            ]
        );
        let null_params = text.replace(
            r#"{"action":"proxy-remove","force":true,"token":"ab\"c"}"#,
            "null",
        );
        let got: Vec<ActivityEntry> = decode(&null_params).expect("decodes");
        assert!(got[0].params.0.is_empty());
    }

    #[test]
    fn console_answers_decode_as_serde_does() {
        let me = Me {
            mode: "local".into(),
            user: "otto".into(),
            role: "operator".into(),
            read_only: false,
            csrf: Some("t0k\"en".into()),
            product_roles: [("codis-a".to_string(), "admin".to_string())].into(),
            insecure: true,
        };
        both_ways(&me);
        both_ways(&Me::default());
        both_ways(&ProductsReply {
            products: vec![
                ProductInfo {
                    name: "codis-demo".into(),
                    dashboard: "127.0.0.1:18080".into(),
                    source: "etcd http://x".into(),
                    reachable: Some(false),
                    last_seen_ms: Some(1_700_000_000_000),
                    error: Some("refused".into()),
                },
                ProductInfo::default(),
            ],
            discovery: DiscoveryStatus {
                loaded: true,
                stale: true,
                error: Some("etcd down".into()),
                updated_ms: None,
            },
            me: Some(me),
        });
        both_ways(&ProxyCmds {
            token: "177243a7d1676e8d9f245c8cfb2e9758".into(),
            admin_addr: "127.0.0.1:11080".into(),
            sampled_ms: 1_700_000_000_000,
            window_ms: Some(1003),
            cmds: vec![
                CmdRow {
                    opstr: "GET".into(),
                    calls: 1961,
                    usecs: 1_096_957,
                    usecs_percall: 559,
                    fails: 2,
                    redis_errtype: 1,
                    calls_per_sec: Some(33.33),
                    recent_usecs_percall: Some(0.1),
                },
                CmdRow::default(),
            ],
        });
        both_ways(&ApiErrorBody {
            error: ApiErrorDetail {
                kind: "invalid_input".into(),
                message: "gid must be 1..9999".into(),
                field: Some("gid".into()),
                rule: None,
            },
        });
        let plan: RebalancePlan =
            serde_json::from_str(r#"{"0": 2, "1": 2, "10": 3, "1023": 1}"#).expect("plan");
        let preview = RebalancePreview {
            groups: crate::derive::rebalance_preview(&plan, &[]),
            plan,
        };
        assert!(!preview.groups.is_empty());
        both_ways(&preview);
        assert!(
            decode::<RebalancePlan>(r#"{"1024": 1}"#).is_err(),
            "not a slot"
        );
        let outcome = crate::ActionOutcome {
            action: "group-create".into(),
            ok: false,
            reply: Some(serde_json::json!({"Cause": "group-[7] already exists", "Stack": ["a"]})),
        };
        let json = serde_json::to_string(&outcome).expect("json");
        let ours: ActionReply = decode(&json).expect("outcome");
        assert!(!ours.ok);
        let raw = ours.reply.expect("reply").0;
        let back: serde_json::Value = serde_json::from_str(&raw).expect("raw is JSON");
        assert_eq!(
            Some(back),
            outcome.reply,
            "the reply's text is kept as sent"
        );
        let ok: ActionReply = decode(r#"{"action":"x","ok":true}"#).expect("ok");
        assert_eq!(
            ok,
            ActionReply {
                ok: true,
                reply: None
            }
        );
    }

    #[test]
    fn request_bodies_are_written_as_serde_writes_them() {
        use crate::Action;
        let t = |s: &str| s.to_string();
        let odd = t("a\"b\\c\n\u{1}\u{7f}é😀/");
        let actions = vec![
            Action::ProxyCreate { addr: odd.clone() },
            Action::ProxyReinit { token: t("x") },
            Action::ProxyRemove {
                token: t("x"),
                force: true,
            },
            Action::SlotsCreateRange {
                beg: t("0"),
                end: t("9"),
                gid: t("1"),
            },
            Action::SlotsCreateSome {
                from: t("1"),
                to: t("2"),
                num: t("3"),
            },
            Action::SlotsActionRemove { sid: t("4") },
            Action::SlotsDisabled { disabled: false },
            Action::SlotsInterval { interval: t("100") },
            Action::GroupCreate { gid: t("7") },
            Action::GroupRemove { gid: t("7") },
            Action::GroupAddServer {
                gid: t("1"),
                addr: t("h:1"),
                datacenter: odd.clone(),
            },
            Action::GroupDelServer {
                gid: t("1"),
                addr: t("h:1"),
            },
            Action::GroupPromote {
                gid: t("1"),
                addr: t("h:1"),
            },
            Action::GroupResync { gid: t("1") },
            Action::GroupResyncAll,
            Action::GroupReplicaGroups {
                gid: t("1"),
                addr: t("h:1"),
                enabled: true,
            },
            Action::GroupReplicaGroupsAll { enabled: false },
            Action::SyncActionCreate { addr: t("h:1") },
            Action::SyncActionRemove { addr: t("h:1") },
            Action::SentinelAdd { addr: t("h:2") },
            Action::SentinelRemove {
                addr: t("h:2"),
                force: false,
            },
            Action::SentinelResyncAll,
        ];
        for a in &actions {
            assert_eq!(
                encode_action(a),
                serde_json::to_string(a).expect("json"),
                "{a:?}"
            );
        }
        let s = crate::console::SignIn {
            user: odd.clone(),
            password: t("p\"w"),
        };
        assert_eq!(encode_sign_in(&s), serde_json::to_string(&s).expect("json"));
        let plan: RebalancePlan =
            serde_json::from_str(r#"{"0": 2, "1": 2, "10": 3, "100": 1, "2": 4}"#).expect("plan");
        let apply = crate::console::RebalanceApply { plan };
        assert_eq!(
            encode_rebalance_apply(&apply),
            serde_json::to_string(&apply).expect("json")
        );
        let empty = crate::console::RebalanceApply::default();
        assert_eq!(
            encode_rebalance_apply(&empty),
            serde_json::to_string(&empty).expect("json")
        );
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
