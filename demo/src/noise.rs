//! Deterministic noise, the daily traffic curve and Go-style time strings.
//!
//! Numbers must move like a live cluster's (so charts are not flat) yet be reproducible for a
//! given seed, so everything random here is a pure function of `(seed, key, time bucket)`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// SplitMix64: a tiny, good-enough mixer; `hash(seed, key)` is stable across runs and platforms.
pub(crate) fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// A stable hash of a string, for keys such as addresses.
pub(crate) fn hash_str(seed: u64, s: &str) -> u64 {
    s.bytes().fold(mix(seed), |h, b| mix(h ^ u64::from(b)))
}

/// Uniform in `[0, 1)` from a hash.
pub(crate) fn unit(h: u64) -> f64 {
    (h >> 11) as f64 / (1u64 << 53) as f64
}

/// `n` lowercase hex characters derived from `(seed, key)`: tokens and run ids.
pub(crate) fn hex_id(seed: u64, key: &str, n: usize) -> String {
    let mut out = String::with_capacity(n);
    let mut h = hash_str(seed, key);
    while out.len() < n {
        h = mix(h);
        out.push_str(&format!("{h:016x}"));
    }
    out.truncate(n);
    out
}

/// Transient failures a real Codis 3.2.2 cluster shows on its own while every process is fine
/// (issue 13). Off by default (tests stay exact); `codis-fe --demo` turns on
/// [`Noise::realistic`] so the demo looks like a real noisy cluster. Every draw is a pure function
/// of `(seed, process, dashboard sample second)`, so a run is reproducible.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Noise {
    /// Share of samples in which a healthy sentinel reports `use of closed network connection`
    /// (Codis 3.2.2: 6 of 40 samples of a healthy cluster).
    pub sentinel_closed_conn: f64,
    /// Share of samples in which a healthy proxy's stats time out (codis issue #1446: the
    /// dashboard's 1 s stats fetch was late).
    pub proxy_timeout: f64,
    /// How long a codis-server reports `EOF` after SLAVEOF or a promotion reconfigured it.
    pub eof_after_sync: Duration,
}

impl Default for Noise {
    /// No noise.
    fn default() -> Noise {
        Noise {
            sentinel_closed_conn: 0.0,
            proxy_timeout: 0.0,
            eof_after_sync: Duration::ZERO,
        }
    }
}

impl Noise {
    /// What a real cluster shows: 15 % closed-connection sentinel samples, a proxy stats timeout
    /// in 2 % of samples, `EOF` for 1 s after SLAVEOF or promote.
    pub fn realistic() -> Noise {
        Noise {
            sentinel_closed_conn: 0.15,
            proxy_timeout: 0.02,
            eof_after_sync: Duration::from_secs(1),
        }
    }
}

/// Whether the noise of probability `p` hits `key` in the dashboard sample of second `unix`.
pub(crate) fn hits(seed: u64, what: &str, key: &str, unix: i64, p: f64) -> bool {
    p > 0.0 && unit(mix(hash_str(seed, what) ^ hash_str(unix as u64, key))) < p
}

/// Seconds since the Unix epoch, now.
pub(crate) fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// The share of peak traffic at this wall-clock time: a sine over the day, lowest around
/// 04:00 UTC and highest around 16:00 UTC, between 0.35 and 1.0.
pub(crate) fn daily_factor(unix_secs: f64) -> f64 {
    let day = unix_secs.rem_euclid(86_400.0) / 86_400.0;
    let phase = (day - 10.0 / 24.0) * std::f64::consts::TAU;
    0.675 + 0.325 * phase.sin()
}

/// Multiplicative noise in `[1 - amp, 1 + amp]`, constant within one second.
pub(crate) fn jitter(seed: u64, key: u64, unix_secs: i64, amp: f64) -> f64 {
    let h = mix(mix(seed ^ key.rotate_left(17)) ^ unix_secs as u64);
    1.0 + amp * (2.0 * unit(h) - 1.0)
}

/// Go's `time.Time.String()` for a UTC time, with the monotonic suffix Codis prints
/// (`2026-11-25 12:13:25.882773389 +0000 UTC m=+0.004448857`).
pub(crate) fn go_time(at: SystemTime, monotonic: Option<Duration>) -> String {
    let d = at.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs() as i64;
    let (y, mo, da) = civil_from_days(secs.div_euclid(86_400));
    let sod = secs.rem_euclid(86_400);
    let mut s = format!(
        "{y:04}-{mo:02}-{da:02} {:02}:{:02}:{:02}",
        sod / 3600,
        (sod / 60) % 60,
        sod % 60
    );
    let nanos = d.subsec_nanos();
    if nanos != 0 {
        // Go trims trailing zeros of the fraction.
        let frac = format!("{nanos:09}");
        s.push('.');
        s.push_str(frac.trim_end_matches('0'));
    }
    s.push_str(" +0000 UTC");
    if let Some(m) = monotonic {
        s.push_str(&format!(" m=+{:.9}", m.as_secs_f64()));
    }
    s
}

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian calendar
/// (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_time_matches_go_formatting() {
        let at = UNIX_EPOCH + Duration::new(1_795_608_805, 882_773_389);
        assert_eq!(
            go_time(at, Some(Duration::from_nanos(4_448_857))),
            "2026-11-25 12:13:25.882773389 +0000 UTC m=+0.004448857"
        );
        let whole = UNIX_EPOCH + Duration::from_secs(1_795_608_805);
        assert_eq!(go_time(whole, None), "2026-11-25 12:13:25 +0000 UTC");
    }

    #[test]
    fn noise_hits_about_its_share_of_samples_and_is_reproducible() {
        let hits_in = |seed| {
            (0..4000)
                .filter(|t| hits(seed, "sentinel", "127.0.0.1:26379", 1_800_000_000 + t, 0.15))
                .count()
        };
        let n = hits_in(1);
        assert!((480..=720).contains(&n), "{n} of 4000");
        assert_eq!(n, hits_in(1));
        assert!(!hits(1, "sentinel", "a", 5, 0.0));
    }

    #[test]
    fn daily_factor_stays_in_range_and_hex_ids_are_stable() {
        for h in 0..48 {
            let f = daily_factor(f64::from(h) * 1800.0);
            assert!((0.34..=1.01).contains(&f), "{f}");
        }
        assert_eq!(hex_id(7, "x", 32), hex_id(7, "x", 32));
        assert_ne!(hex_id(7, "x", 32), hex_id(8, "x", 32));
        assert_eq!(hex_id(7, "x", 40).len(), 40);
    }
}
