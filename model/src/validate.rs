//! Input rules shared by the backend (before it builds a dashboard URL) and the UI (to disable a
//! button and explain why).
//!
//! codis-fe validated only group ids and the interval, and pasted everything else into the URL
//! (codis-fe-spec.md §2.9, 7.9), so `/`, `?`, `#` in an address corrupted the request. Here every value that
//! goes into a dashboard path has a rule. Inputs are the raw strings from a form or a path; each
//! function returns the parsed value or a [`ValidationError`] naming the field and the rule.

use crate::types::{GroupId, SlotId, MAX_GROUP_ID, MAX_SLOT_NUM, SLOT_NUM_LIMIT};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Largest slot action interval the dashboard accepts (it clamps silently above), µs.
pub const MAX_INTERVAL_US: u32 = 1_000_000;

/// Longest accepted data center name.
pub const MAX_DATACENTER_LEN: usize = 64;

/// Longest accepted address (`host:port`) and product name; far above real values, only there so
/// a pasted blob is refused with a clear message.
pub const MAX_TEXT_LEN: usize = 255;

/// A refused input: `gid: must be an integer from 1 to 9999`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidationError {
    /// The input's name, as the form or route calls it (`gid`, `addr`, `beg`, ...).
    pub field: String,
    /// The rule it broke, phrased (in English) to be shown to the operator.
    pub rule: String,
    /// The same rule as data, which the console words in the viewer's language.
    pub code: Rule,
}

/// The rules of this module, as data (the console's catalogue has a sentence for each). On the
/// wire (inside [`crate::cause_id::CauseId::Invalid`]): `{"id": "int_range", "min": 1, ...}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "id", rename_all = "snake_case", try_from = "RuleWire")]
pub enum Rule {
    /// An integer from `min` to `max`; `micros`: a number of microseconds.
    IntRange { min: u64, max: u64, micros: bool },
    /// `end` not below `beg`.
    RangeOrder,
    /// `0` or `1`.
    Flag,
    /// `host:port` of safe characters.
    Address,
    /// A data center name of at most `max` safe characters.
    Datacenter { max: usize },
    /// A Codis product name.
    ProductName,
    /// One of the dashboard's log levels.
    LogLevel,
    /// 32 lowercase hexadecimal characters.
    ProxyToken,
    /// The target group of "migrate some" differs from its source.
    DiffersFromSource,
    /// One of the latency windows a proxy keeps (`CMDINFO_INTERVALS`).
    CmdinfoInterval,
    /// Group `gid` does not exist.
    GroupMissing { gid: u64 },
    /// Group `gid` holds no slots.
    GroupHoldsNoSlots { gid: u64 },
    /// Every slot of group `gid` already has a migration queued or running.
    GroupSlotsBusy { gid: u64 },
    /// The proxy keeps no latency percentiles (only Pika's Codis fork does).
    NoCmdinfo,
    /// The proxy refused the console's token: its product has a password.
    ProxyHasAuth,
    /// The product's dashboard (Pika's Codis fork) has no sentinels.
    NoSentinels,
    /// A rule stated only in words (`rule`), e.g. about the cluster's current state.
    Other,
}

/// A [`Rule`] as it comes over the wire: read as a plain struct, then matched (serde's reader
/// of an internally tagged enum costs the console's WASM several KB; see `cause_id`).
#[derive(Deserialize)]
pub struct RuleWire {
    id: String,
    min: Option<u64>,
    max: Option<u64>,
    micros: Option<bool>,
    gid: Option<u64>,
}

impl TryFrom<RuleWire> for Rule {
    type Error = String;

    fn try_from(w: RuleWire) -> Result<Rule, String> {
        let missing = || format!("rule {}: a parameter is missing", w.id);
        let gid = || w.gid.ok_or_else(missing);
        Ok(match w.id.as_str() {
            "int_range" => Rule::IntRange {
                min: w.min.ok_or_else(missing)?,
                max: w.max.ok_or_else(missing)?,
                micros: w.micros.unwrap_or(false),
            },
            "range_order" => Rule::RangeOrder,
            "flag" => Rule::Flag,
            "address" => Rule::Address,
            "datacenter" => Rule::Datacenter {
                max: w.max.ok_or_else(missing)? as usize,
            },
            "product_name" => Rule::ProductName,
            "log_level" => Rule::LogLevel,
            "proxy_token" => Rule::ProxyToken,
            "differs_from_source" => Rule::DiffersFromSource,
            "cmdinfo_interval" => Rule::CmdinfoInterval,
            "group_missing" => Rule::GroupMissing { gid: gid()? },
            "group_holds_no_slots" => Rule::GroupHoldsNoSlots { gid: gid()? },
            "group_slots_busy" => Rule::GroupSlotsBusy { gid: gid()? },
            "no_cmdinfo" => Rule::NoCmdinfo,
            "proxy_has_auth" => Rule::ProxyHasAuth,
            "no_sentinels" => Rule::NoSentinels,
            "other" => Rule::Other,
            other => return Err(format!("unknown rule {other:?}")),
        })
    }
}

impl Rule {
    /// One of each rule, for the tests that read every one back.
    pub fn examples() -> Vec<Rule> {
        vec![
            Rule::IntRange {
                min: 1,
                max: 9999,
                micros: false,
            },
            Rule::IntRange {
                min: 0,
                max: 1_000_000,
                micros: true,
            },
            Rule::RangeOrder,
            Rule::Flag,
            Rule::Address,
            Rule::Datacenter { max: 64 },
            Rule::ProductName,
            Rule::LogLevel,
            Rule::ProxyToken,
            Rule::DiffersFromSource,
            Rule::CmdinfoInterval,
            Rule::GroupMissing { gid: 3 },
            Rule::GroupHoldsNoSlots { gid: 3 },
            Rule::GroupSlotsBusy { gid: 3 },
            Rule::NoCmdinfo,
            Rule::ProxyHasAuth,
            Rule::NoSentinels,
            Rule::Other,
        ]
    }

    /// The rule in English.
    pub fn english(self) -> String {
        match self {
            Rule::IntRange { min, max, micros: false } => format!("must be an integer from {min} to {max}"),
            Rule::IntRange { min, max, micros: true } => {
                format!("must be an integer from {min} to {max} (microseconds)")
            }
            Rule::RangeOrder => "must not be less than beg (the range is inclusive)".into(),
            Rule::Flag => "must be 0 or 1".into(),
            Rule::Address => "must be host:port with a port from 1 to 65535 and a host of letters, digits, '.', '-', '_' (no '/', '?', '#', '&', '%' or spaces)".into(),
            Rule::Datacenter { max } => format!("must be at most {max} of A-Z a-z 0-9 _ . -"),
            Rule::ProductName => "must start with a letter, digit or '_' and contain only letters, digits, '_', '.', '-'".into(),
            Rule::LogLevel => "must be one of ERROR, WARN, INFO, DEBUG, NONE".into(),
            Rule::ProxyToken => "must be 32 lowercase hexadecimal characters".into(),
            Rule::DiffersFromSource => "must differ from the source group".into(),
            Rule::CmdinfoInterval => "must be one of 1, 10, 60, 600, 3600 (seconds)".into(),
            Rule::GroupMissing { gid } => format!("group {gid} does not exist"),
            Rule::GroupHoldsNoSlots { gid } => format!("group {gid} holds no slots"),
            Rule::GroupSlotsBusy { gid } => format!(
                "every slot of group {gid} already has a migration queued or running: nothing would move"
            ),
            Rule::NoCmdinfo => "this proxy keeps no latency percentiles: only proxies of Pika's Codis fork answer cmdinfo".into(),
            Rule::ProxyHasAuth => "the proxy refused the console's token: its product has a password (product_auth), which the console does not know".into(),
            Rule::NoSentinels => "this product's dashboard (Pika's Codis fork) has no sentinels: its failover is built into the dashboard".into(),
            Rule::Other => String::new(),
        }
    }
}

impl ValidationError {
    /// A rule stated in words only ([`Rule::Other`]).
    pub fn new(field: impl Into<String>, rule: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            rule: rule.into(),
            code: Rule::Other,
        }
    }

    /// `field` broke `code`.
    pub fn of(field: impl Into<String>, code: Rule) -> Self {
        Self {
            field: field.into(),
            rule: code.english(),
            code,
        }
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.rule)
    }
}

impl std::error::Error for ValidationError {}

/// Result of a validation.
pub type Validated<T> = Result<T, ValidationError>;

/// Parses a plain decimal integer: ASCII digits only (no sign, no spaces), no leading zero except
/// `"0"` itself (as codis-fe's patterns), within `min..=max`.
fn bounded_int(field: &str, input: &str, min: u64, max: u64, rule: Rule) -> Validated<u64> {
    let err = || ValidationError::of(field, rule);
    let digits_ok = !input.is_empty()
        && input.len() <= 20
        && input.bytes().all(|b| b.is_ascii_digit())
        && !(input.len() > 1 && input.starts_with('0'));
    if !digits_ok {
        return Err(err());
    }
    let value: u64 = input.parse().map_err(|_| err())?;
    if value < min || value > max {
        return Err(err());
    }
    Ok(value)
}

/// Group id of a group to create, add to, or migrate to: 1..=9999.
pub fn group_id(field: &str, input: &str) -> Validated<GroupId> {
    let max = u64::from(MAX_GROUP_ID);
    let rule = Rule::IntRange {
        min: 1,
        max,
        micros: false,
    };
    let v = bounded_int(field, input, 1, max, rule)?;
    GroupId::try_from(v).map_err(|_| ValidationError::of(field, rule))
}

/// Slot id of a Codis 3.2 product: 0..=1023.
pub fn slot_id(field: &str, input: &str) -> Validated<SlotId> {
    slot_id_of(field, input, MAX_SLOT_NUM)
}

/// Slot id of a product with `slots` slots (Pika's fork: its `max_slot_num`): 0..slots-1.
/// `slots` is bounded by [`SLOT_NUM_LIMIT`] (and at least 1).
pub fn slot_id_of(field: &str, input: &str, slots: usize) -> Validated<SlotId> {
    let max = slots.clamp(1, SLOT_NUM_LIMIT) as u64 - 1;
    let rule = Rule::IntRange {
        min: 0,
        max,
        micros: false,
    };
    let v = bounded_int(field, input, 0, max, rule)?;
    SlotId::try_from(v).map_err(|_| ValidationError::of(field, rule))
}

/// An inclusive slot range `[beg, end]` (Migrate Range) of a Codis 3.2 product.
pub fn slot_range(beg: &str, end: &str) -> Validated<(SlotId, SlotId)> {
    slot_range_of(beg, end, MAX_SLOT_NUM)
}

/// An inclusive slot range `[beg, end]` of a product with `slots` slots: both slot ids and
/// `beg <= end`.
pub fn slot_range_of(beg: &str, end: &str, slots: usize) -> Validated<(SlotId, SlotId)> {
    let b = slot_id_of("beg", beg, slots)?;
    let e = slot_id_of("end", end, slots)?;
    if b > e {
        return Err(ValidationError::of("end", Rule::RangeOrder));
    }
    Ok((b, e))
}

/// Number of slots to migrate (Migrate Some): 1..=1024. The dashboard accepts 0 or negative and
/// silently does nothing; refusing that tells the operator instead.
pub fn slot_count(field: &str, input: &str) -> Validated<u32> {
    slot_count_of(field, input, MAX_SLOT_NUM)
}

/// Number of slots to migrate in a product with `slots` slots: 1..=slots.
pub fn slot_count_of(field: &str, input: &str, slots: usize) -> Validated<u32> {
    let max = slots.clamp(1, SLOT_NUM_LIMIT) as u64;
    let rule = Rule::IntRange {
        min: 1,
        max,
        micros: false,
    };
    let v = bounded_int(field, input, 1, max, rule)?;
    u32::try_from(v).map_err(|_| ValidationError::of(field, rule))
}

/// The interval of a proxy's latency figures (Pika's Codis fork's cmdinfo), in seconds: one of
/// the intervals its proxies keep ([`CMDINFO_INTERVALS`](crate::CMDINFO_INTERVALS)). The proxy
/// silently answers another with 1 s figures; refusing it tells the operator instead.
pub fn cmdinfo_interval(field: &str, input: &str) -> Validated<u32> {
    let known = crate::types::CMDINFO_INTERVALS;
    input
        .parse::<u32>()
        .ok()
        .filter(|v| known.contains(v) && input.len() <= 4)
        .ok_or_else(|| ValidationError::of(field, Rule::CmdinfoInterval))
}

/// Slot action interval in µs: 0..=1_000_000 (the dashboard clamps larger values silently).
pub fn interval_us(field: &str, input: &str) -> Validated<u32> {
    let max = u64::from(MAX_INTERVAL_US);
    let rule = Rule::IntRange {
        min: 0,
        max,
        micros: true,
    };
    let v = bounded_int(field, input, 0, max, rule)?;
    u32::try_from(v).map_err(|_| ValidationError::of(field, rule))
}

/// A 0/1 path flag (`force`, `confirm`, `disabled`, `replica-groups` value).
pub fn flag(field: &str, input: &str) -> Validated<bool> {
    match input {
        "0" => Ok(false),
        "1" => Ok(true),
        _ => Err(ValidationError::of(field, Rule::Flag)),
    }
}

/// Characters allowed in the host part of an address: letters, digits, `.`, `-`, `_`, and `:`,
/// `[`, `]` for bracketed IPv6. Nothing that means something in a URL (`/ ? # & %`) or a space.
fn is_host_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':' | '[' | ']')
}

/// A server, proxy admin or sentinel address: `host:port`, port 1..=65535, host of safe
/// characters (see above). Returns the address unchanged, so it can go into a path as is.
pub fn address<'a>(field: &str, input: &'a str) -> Validated<&'a str> {
    let rule = Rule::Address;
    let err = || ValidationError::of(field, rule);
    if input.is_empty() || input.len() > MAX_TEXT_LEN {
        return Err(err());
    }
    let (host, port) = input.rsplit_once(':').ok_or_else(err)?;
    if host.is_empty() || !host.chars().all(is_host_char) {
        return Err(err());
    }
    bounded_int(field, port, 1, 65535, rule)?;
    Ok(input)
}

/// A data center name for Add Server: `[A-Za-z0-9_.-]`, at most 64 characters. Surrounding
/// whitespace is trimmed (as codis-fe did); an empty name means "no data center" (`Ok(None)`).
pub fn datacenter<'a>(field: &str, input: &'a str) -> Validated<Option<&'a str>> {
    let name = input.trim();
    if name.is_empty() {
        return Ok(None);
    }
    let ok = name.len() <= MAX_DATACENTER_LEN
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if !ok {
        return Err(ValidationError::of(
            field,
            Rule::Datacenter {
                max: MAX_DATACENTER_LEN,
            },
        ));
    }
    Ok(Some(name))
}

/// A product name, as Codis requires: `^\w[\w.\-]*$` (ASCII word characters).
pub fn product_name<'a>(field: &str, input: &'a str) -> Validated<&'a str> {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut chars = input.chars();
    let ok = input.len() <= MAX_TEXT_LEN
        && chars.next().is_some_and(word)
        && chars.all(|c| word(c) || c == '.' || c == '-');
    if !ok {
        return Err(ValidationError::of(field, Rule::ProductName));
    }
    Ok(input)
}

/// A dashboard log level: `ERROR`, `WARN` (or `WARNING`), `INFO`, `DEBUG` or `NONE`, any case;
/// returned upper-case.
pub fn log_level(field: &str, input: &str) -> Validated<String> {
    let upper = input.trim().to_ascii_uppercase();
    if ["ERROR", "WARN", "WARNING", "INFO", "DEBUG", "NONE"].contains(&upper.as_str()) {
        Ok(upper)
    } else {
        Err(ValidationError::of(field, Rule::LogLevel))
    }
}

/// A proxy token: exactly 32 lowercase hexadecimal characters.
pub fn proxy_token<'a>(field: &str, input: &'a str) -> Validated<&'a str> {
    let ok = input.len() == 32
        && input
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if !ok {
        return Err(ValidationError::of(field, Rule::ProxyToken));
    }
    Ok(input)
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_refusal_carries_its_rule_as_data_and_in_english() {
        let refused = [
            group_id("gid", "0"),
            slot_id("sid", "1024").map(u32::from),
            slot_range("9", "3").map(|(b, _)| u32::from(b)),
            slot_count("num", "0"),
            interval_us("interval", "2000000"),
            flag("force", "2").map(u32::from),
            address("addr", "no-port").map(|_| 0),
            datacenter("datacenter", "a b").map(|_| 0),
            product_name("product", "-x").map(|_| 0),
            log_level("value", "LOUD").map(|_| 0),
            proxy_token("token", "XYZ").map(|_| 0),
        ];
        for r in refused {
            let e = r.expect_err("refused");
            // The console words `code` in the viewer's language; `rule` stays the same English.
            assert_ne!(e.code, Rule::Other, "{e}");
            assert_eq!(e.rule, e.code.english(), "{e}");
        }
        assert_eq!(
            interval_us("interval", "x").unwrap_err().code,
            Rule::IntRange {
                min: 0,
                max: 1_000_000,
                micros: true
            }
        );
    }

    use super::*;

    #[test]
    fn group_id_accepts_1_to_9999_without_leading_zero() {
        assert_eq!(group_id("gid", "1"), Ok(1));
        assert_eq!(group_id("gid", "9999"), Ok(9999));
        for bad in [
            "0",
            "10000",
            "",
            "01",
            "-1",
            "+1",
            "1.5",
            " 1",
            "abc",
            "99999999999999999999999",
        ] {
            let e = group_id("gid", bad).unwrap_err();
            assert_eq!(
                e.to_string(),
                "gid: must be an integer from 1 to 9999",
                "{bad:?}"
            );
        }
    }

    #[test]
    fn slot_id_accepts_0_to_1023() {
        assert_eq!(slot_id("sid", "0"), Ok(0));
        assert_eq!(slot_id("sid", "1023"), Ok(1023));
        assert_eq!(
            slot_id("sid", "1024").unwrap_err().to_string(),
            "sid: must be an integer from 0 to 1023"
        );
        assert!(slot_id("sid", "-1").is_err());
    }

    #[test]
    fn slot_range_requires_begin_not_after_end() {
        assert_eq!(slot_range("100", "299"), Ok((100, 299)));
        assert_eq!(slot_range("5", "5"), Ok((5, 5)));
        let e = slot_range("20", "10").unwrap_err();
        assert_eq!(e.field, "end");
        assert_eq!(slot_range("0", "1024").unwrap_err().field, "end");
        assert_eq!(slot_range("x", "10").unwrap_err().field, "beg");
    }

    #[test]
    fn slot_count_must_be_at_least_one() {
        assert_eq!(slot_count("num", "3"), Ok(3));
        assert_eq!(
            slot_count("num", "0").unwrap_err().to_string(),
            "num: must be an integer from 1 to 1024"
        );
        assert!(slot_count("num", "many").is_err());
    }

    #[test]
    fn interval_accepts_0_to_1000000_microseconds() {
        assert_eq!(interval_us("interval", "0"), Ok(0));
        assert_eq!(interval_us("interval", "1000000"), Ok(1_000_000));
        assert!(interval_us("interval", "1000001").is_err());
        assert!(interval_us("interval", "fast").is_err());
    }

    #[test]
    fn flag_is_0_or_1() {
        assert_eq!(flag("force", "0"), Ok(false));
        assert_eq!(flag("force", "1"), Ok(true));
        assert_eq!(
            flag("force", "yes").unwrap_err().to_string(),
            "force: must be 0 or 1"
        );
        assert!(flag("force", "true").is_err());
    }

    #[test]
    fn address_needs_host_and_port_and_no_url_characters() {
        assert_eq!(address("addr", "127.0.0.1:16379"), Ok("127.0.0.1:16379"));
        assert_eq!(
            address("addr", "codis-host_1.example:19000"),
            Ok("codis-host_1.example:19000")
        );
        assert_eq!(address("addr", "[::1]:6379"), Ok("[::1]:6379"));
        for bad in [
            "notanaddress",
            "garbage",
            ":6379",
            "host:",
            "host:0",
            "host:65536",
            "host:-1",
            "a/b:1",
            "a?b:1",
            "a#b:1",
            "a&b:1",
            "a%20b:1",
            "a b:1",
            "host:6379 ",
            "",
        ] {
            let e = address("addr", bad).unwrap_err();
            assert_eq!(e.field, "addr", "{bad:?}");
            assert!(e.rule.contains("host:port"), "{bad:?}");
        }
    }

    #[test]
    fn datacenter_allows_safe_names_and_empty_means_none() {
        assert_eq!(datacenter("datacenter", "dc-b"), Ok(Some("dc-b")));
        assert_eq!(datacenter("datacenter", "  dc_1.a "), Ok(Some("dc_1.a")));
        assert_eq!(datacenter("datacenter", "  "), Ok(None));
        assert!(datacenter("datacenter", "dc/b").is_err());
        assert!(datacenter("datacenter", "dc b").is_err());
        assert!(datacenter("datacenter", &"d".repeat(65)).is_err());
        assert!(datacenter("datacenter", &"d".repeat(64)).is_ok());
    }

    #[test]
    fn product_name_follows_codis_pattern() {
        assert_eq!(product_name("product", "codis-demo"), Ok("codis-demo"));
        assert_eq!(product_name("product", "_a.b-c"), Ok("_a.b-c"));
        for bad in ["", "-demo", ".demo", "demo/x", "demo x", "démo"] {
            assert!(product_name("product", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn proxy_token_is_32_lowercase_hex() {
        let t = "646b55f57361986ddcdefe74dfb0c2da";
        assert_eq!(proxy_token("token", t), Ok(t));
        assert!(proxy_token("token", &t.to_uppercase()).is_err());
        assert!(proxy_token("token", &t[..31]).is_err());
        assert!(proxy_token("token", "g46b55f57361986ddcdefe74dfb0c2da").is_err());
    }
}
