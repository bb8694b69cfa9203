//! Reading numbers out of Redis INFO strings the way codis-fe did (`parseInt`).

use crate::types::InfoMap;

/// JavaScript's `parseInt(s, 10)` for the values we read: optional leading whitespace and sign,
/// then the longest run of digits; `None` where JS gives `NaN`.
pub(crate) fn js_parse_int(s: &str) -> Option<i64> {
    let t = s.trim_start();
    let (negative, rest) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let end = rest
        .bytes()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(rest.len());
    let digits = &rest[..end];
    if digits.is_empty() {
        return None;
    }
    // Saturate rather than fail on absurdly long numbers.
    let magnitude: i64 = digits.parse().unwrap_or(i64::MAX);
    Some(if negative { -magnitude } else { magnitude })
}

/// A non-negative INFO integer, e.g. `used_memory`.
pub(crate) fn info_u64(info: &InfoMap, field: &str) -> Option<u64> {
    info.get(field)
        .and_then(|v| js_parse_int(v))
        .and_then(|v| u64::try_from(v).ok())
}

/// A keyspace field: `db` followed by digits.
///
/// codis-fe tested the unanchored regex `db\d+`; Redis has no other INFO field containing that
/// pattern, and anchoring keeps a future field like `rdb1_x` from being counted as keys.
pub(crate) fn is_keyspace_field(field: &str) -> bool {
    field
        .strip_prefix("db")
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// The key count of a keyspace value `keys=<n>,expires=..,avg_ttl=..` (codis-fe:
/// `parseInt(value.split(",")[0].split("=")[1])`).
pub(crate) fn keyspace_keys(value: &str) -> Option<u64> {
    let first = value.split(',').next()?;
    let count = first.split('=').nth(1)?;
    js_parse_int(count).and_then(|v| u64::try_from(v).ok())
}

/// The `expires=<n>` count of a keyspace value or line (`db0:keys=1,expires=2,avg_ttl=3`);
/// `None` when it has none or it is not a number.
pub(crate) fn keyspace_expires(value: &str) -> Option<u64> {
    value
        .split([':', ','])
        .find_map(|kv| kv.trim().strip_prefix("expires="))
        .and_then(|n| n.trim().parse().ok())
}

/// `(field, value)` of every keyspace field, in INFO (alphabetical) order.
pub(crate) fn keyspace(info: &InfoMap) -> impl Iterator<Item = (&String, &String)> {
    info.iter().filter(|(k, _)| is_keyspace_field(k))
}

/// Total keys over all keyspace fields (unparsable entries count 0).
pub(crate) fn total_keys(info: &InfoMap) -> u64 {
    keyspace(info)
        .filter_map(|(_, v)| keyspace_keys(v))
        .fold(0u64, u64::saturating_add)
}

/// `key=value` pairs of a comma-separated INFO value (sentinel `masterN` lines). Like codis-fe,
/// a part without exactly one `=` is ignored.
pub(crate) fn kv_pairs(value: &str) -> impl Iterator<Item = (&str, &str)> {
    value.split(',').filter_map(|part| {
        let mut it = part.split('=');
        match (it.next(), it.next(), it.next()) {
            (Some(k), Some(v), None) => Some((k, v)),
            _ => None,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn js_parse_int_reads_a_leading_integer() {
        assert_eq!(js_parse_int("8287096"), Some(8_287_096));
        assert_eq!(js_parse_int(" 12abc"), Some(12));
        assert_eq!(js_parse_int("-3"), Some(-3));
        assert_eq!(js_parse_int("abc"), None);
        assert_eq!(js_parse_int(""), None);
        assert_eq!(js_parse_int("-"), None);
    }

    #[test]
    fn keyspace_fields_are_db_and_digits() {
        assert!(is_keyspace_field("db0"));
        assert!(is_keyspace_field("db15"));
        assert!(!is_keyspace_field("db"));
        assert!(!is_keyspace_field("rdb_changes_since_last_save"));
        assert!(!is_keyspace_field("dbx"));
        assert_eq!(
            keyspace_keys("keys=17076,expires=19,avg_ttl=21212050"),
            Some(17076)
        );
        assert_eq!(keyspace_keys("garbage"), None);
        assert_eq!(
            keyspace_expires("db0:keys=17076,expires=19,avg_ttl=21212050"),
            Some(19)
        );
        assert_eq!(keyspace_expires("keys=3,expires=x"), None);
        assert_eq!(keyspace_expires("keys=3"), None);
    }

    #[test]
    fn kv_pairs_skip_malformed_parts() {
        let v: Vec<_> = kv_pairs("name=codis-demo-1,status=ok,bad,a=b=c,slaves=1").collect();
        assert_eq!(
            v,
            vec![("name", "codis-demo-1"), ("status", "ok"), ("slaves", "1")]
        );
    }
}
