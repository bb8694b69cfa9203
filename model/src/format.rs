//! codis-fe's number formatting, reproduced exactly so the console shows the same text.

/// codis-fe's `humanSize`: `"<n> B"` below 1024, otherwise the value divided by powers of 1024
/// with JavaScript's `toFixed(2)` and `KB`/`MB`/`GB`/`TB`.
///
/// `human_size(1536) == "1.50 KB"`, `human_size(25561168) == "24.38 MB"`.
pub fn human_size(bytes: u64) -> String {
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    const UNITS: [&str; 4] = ["KB", "MB", "GB", "TB"];
    let mut divisor: u128 = 1024;
    let mut unit = 0;
    while unit + 1 < UNITS.len() && u128::from(bytes) >= divisor * 1024 {
        divisor *= 1024;
        unit += 1;
    }
    // JavaScript first turns the integer into a double; above 2^53 that rounds. Dividing a double
    // by 1024 is exact, so the quotient JS formats is exactly `as_double(bytes) / divisor`.
    let numerator = (bytes as f64) as u128;
    format!("{} {}", fixed2_of_ratio(numerator, divisor), UNITS[unit])
}

/// Comma thousands separators, like codis-fe's `replace(/\B(?=(\d{3})+(?!\d))/g, ",")`:
/// `1234567 -> "1,234,567"`, `-1234 -> "-1,234"`.
pub fn thousands(n: i128) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    // The first group holds 1 to 3 digits, every later group exactly 3 (digits are ASCII).
    let first = (digits.len() - 1) % 3 + 1;
    out.push_str(&digits[..first]);
    let mut rest = &digits[first..];
    while rest.len() >= 3 {
        out.push(',');
        out.push_str(&rest[..3]);
        rest = &rest[3..];
    }
    out
}

/// JavaScript's `x.toFixed(2)` for finite values below 1e21.
///
/// Rust's `{:.2}` rounds an exact tie (`1.125`) to even (`1.12`); JavaScript picks the larger
/// candidate (`1.13`). A double is an exact tie at two decimals only when it is an odd multiple
/// of 1/8, which is tested exactly (multiplying by 8 is exact in binary).
pub fn js_to_fixed2(x: f64) -> String {
    if !x.is_finite() {
        return if x.is_nan() {
            "NaN".to_owned()
        } else if x > 0.0 {
            "Infinity".to_owned()
        } else {
            "-Infinity".to_owned()
        };
    }
    if x < 0.0 {
        // JS formats the magnitude and prefixes the sign.
        return format!("-{}", js_to_fixed2(-x));
    }
    let eighths = x * 8.0;
    if eighths.fract() == 0.0 && eighths.abs() < 1e15 {
        let n = eighths as i64;
        if n % 2 != 0 {
            // x = n/8, so 100x = 12.5n; JS picks the larger of the two neighbours: (25n + 1) / 2.
            let hundredths = (25 * n + 1) / 2;
            return format_hundredths(i128::from(hundredths));
        }
    }
    format!("{x:.2}")
}

/// `toFixed(2)` of the exact value `num / den` (a dyadic rational, as in `human_size`), rounding
/// ties up as JavaScript does.
fn fixed2_of_ratio(num: u128, den: u128) -> String {
    if den == 0 {
        return "Infinity".to_owned();
    }
    let scaled = num.saturating_mul(100);
    let mut hundredths = scaled / den;
    let rem = scaled % den;
    if rem.saturating_mul(2) >= den {
        hundredths += 1;
    }
    format_hundredths(i128::try_from(hundredths).unwrap_or(i128::MAX))
}

fn format_hundredths(h: i128) -> String {
    let sign = if h < 0 { "-" } else { "" };
    let a = h.unsigned_abs();
    format!("{sign}{}.{:02}", a / 100, a % 100)
}

/// `x` with `d` decimals (0..=3), as `format!("{x:.d$}")` writes it except that exact ties round
/// away from zero. Integer arithmetic only: the console uses it instead of `core::fmt`'s float
/// formatting, which is several KB of its WASM.
pub fn fixed(x: f64, d: u32) -> String {
    if !x.is_finite() {
        return if x.is_nan() {
            "NaN"
        } else if x > 0.0 {
            "inf"
        } else {
            "-inf"
        }
        .into();
    }
    let d = d.min(3);
    let m = 10i64.pow(d);
    let r = (x * m as f64).round();
    let mut s = String::new();
    if r < 0.0 {
        s.push('-');
    }
    let r = r.abs() as i64;
    s.push_str(&(r / m).to_string());
    if d > 0 {
        s.push('.');
        let f = (r % m).to_string();
        for _ in f.len()..d as usize {
            s.push('0');
        }
        s.push_str(&f);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_size_matches_codis_fe_units_and_rounding() {
        assert_eq!(human_size(0), "0 B");
        assert_eq!(human_size(1023), "1023 B");
        assert_eq!(human_size(1024), "1.00 KB");
        assert_eq!(human_size(1536), "1.50 KB");
        // 1152 / 1024 = 1.125 exactly: JS toFixed rounds the tie up.
        assert_eq!(human_size(1152), "1.13 KB");
        assert_eq!(human_size(1024 * 1024 - 1), "1024.00 KB");
        assert_eq!(human_size(1024 * 1024), "1.00 MB");
        assert_eq!(human_size(25_561_168), "24.38 MB");
        assert_eq!(human_size(1 << 30), "1.00 GB");
        assert_eq!(human_size(1 << 40), "1.00 TB");
        assert_eq!(human_size(1 << 50), "1024.00 TB");
        assert_eq!(human_size(u64::MAX), "16777216.00 TB");
    }

    #[test]
    fn thousands_inserts_commas_every_three_digits() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(51150), "51,150");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(-1234), "-1,234");
    }

    #[test]
    fn js_to_fixed2_rounds_exact_ties_up_like_javascript() {
        assert_eq!(js_to_fixed2(0.0), "0.00");
        assert_eq!(js_to_fixed2(1.0), "1.00");
        assert_eq!(js_to_fixed2(0.125), "0.13");
        assert_eq!(js_to_fixed2(1.125), "1.13");
        assert_eq!(js_to_fixed2(2.5), "2.50");
        // 0.015 is stored slightly below the tie: both languages give 0.01.
        assert_eq!(js_to_fixed2(0.015), "0.01");
        assert_eq!(js_to_fixed2(1.0 / 3.0), "0.33");
        assert_eq!(js_to_fixed2(-0.125), "-0.13");
    }

    #[test]
    fn fixed_writes_what_format_writes_but_without_float_formatting() {
        let mut n = 0;
        for i in -20_000..20_000i64 {
            for x in [
                i as f64 * 0.0137,
                i as f64 * 7.77,
                i as f64 / 3.0,
                i as f64 * 1e4 + 0.3,
            ] {
                for d in 0..=2u32 {
                    let ours = fixed(x, d);
                    let std = format!("{x:.*}", d as usize);
                    // Exact ties (rare in binary) may round the other way; -0 is written as 0.
                    if ours != std && std != format!("-{ours}") {
                        let diff =
                            (ours.parse::<f64>().unwrap() - std.parse::<f64>().unwrap()).abs();
                        assert!(
                            diff <= 1.01 / 10f64.powi(d as i32),
                            "{x} {d}: {ours} vs {std}"
                        );
                        n += 1;
                    }
                }
            }
        }
        // Out of 480,000: the product `x * 10^d` is itself rounded, so near-ties go either way.
        assert!(n < 4_800, "{n} last-digit differences (over 1 %)");
        assert_eq!(fixed(12.345, 1), "12.3");
        assert_eq!(fixed(-0.04, 1), "0.0");
        assert_eq!(fixed(99.999, 2), "100.00");
        assert_eq!(fixed(1234567.0, 0), "1234567");
        assert_eq!(fixed(-5.5, 0), "-6");
    }
}
