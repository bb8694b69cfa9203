//! Numbers, durations and times written for the viewer's language (docs/i18n.md, "Formats").
//!
//! The catalogue (frontend/locales) holds the sentences; what goes into them is formatted here,
//! on the host, so plain `cargo test` checks it. Both languages group digits by three with a
//! comma (`1,234,567`: what zh-CN's own number format writes too) and show clock times on 24
//! hours; what differs are the units of durations, the date's order, and the units of a
//! shortened number ([`compact`]: `12k`, `1.5M` / `1.2万`, `3亿`).

use super::prefs::Lang;

/// A short age or duration: `4 s`, `2 min 5 s`, `3 h 10 min` / `4 秒`, `2 分 5 秒`, `3 小时 10 分`.
pub fn age(ms: f64, lang: Lang) -> String {
    let s = (ms.max(0.0) / 1000.0).round() as u64;
    let (sec, min, hour) = units(lang);
    match s {
        0..=59 => format!("{s}{sec}"),
        60..=3599 => format!("{}{min} {}{sec}", s / 60, s % 60),
        _ => format!("{}{hour} {}{min}", s / 3600, (s % 3600) / 60),
    }
}

/// A chart window of whole minutes: `5 min`, `1 h` / `5 分钟`, `1 小时`.
pub fn window(minutes: u32, lang: Lang) -> String {
    let (min, hour) = match lang {
        Lang::En => (" min", " h"),
        Lang::Zh => (" 分钟", " 小时"),
    };
    if minutes >= 60 && minutes.is_multiple_of(60) {
        format!("{}{hour}", minutes / 60)
    } else {
        format!("{minutes}{min}")
    }
}

/// A date and time from its parts (local time): `2026-12-03 08:05:09` / `2026年12月3日 08:05:09`.
pub fn date_time(y: u32, mo: u32, d: u32, h: u32, mi: u32, s: u32, lang: Lang) -> String {
    match lang {
        Lang::En => format!("{y}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}"),
        Lang::Zh => format!("{y}年{mo}月{d}日 {h:02}:{mi:02}:{s:02}"),
    }
}

/// An integer with its digits grouped: `1,234,567` in both languages.
pub fn number(n: i128, _lang: Lang) -> String {
    crate::format::thousands(n)
}

/// A number shortened for a chart's axis or read-out, where exact digits do not fit: English
/// counts in thousands and millions (`850`, `1.2k`, `12k`, `1.5M`), Chinese in 万 (10⁴) and 亿
/// (10⁸), as zh-CN's compact number format writes them (`850`, `9999`, `1.2万`, `12万`, `1.5亿`).
/// Exact counts (tables, the overview's figures) are never shortened: see [`number`].
pub fn compact(v: f64, lang: Lang) -> String {
    use crate::format::fixed;
    match lang {
        Lang::En => {
            if v >= 1e6 {
                format!("{}M", fixed(v / 1e6, 1))
            } else if v >= 1e4 {
                format!("{}k", fixed(v / 1e3, 0))
            } else if v >= 1e3 {
                format!("{}k", fixed(v / 1e3, 1))
            } else {
                fixed(v, 0)
            }
        }
        Lang::Zh => {
            // Two significant digits below 10 of a unit, whole units above; a value that rounds
            // up to 10000 of a unit is written in the next one (`1亿`, not `10000万`).
            let short = |x: f64| {
                let d = if x < 9.95 { 1 } else { 0 };
                let n = fixed(x, d);
                n.strip_suffix(".0").map(str::to_string).unwrap_or(n)
            };
            if v >= 1e8 || (v >= 1e4 && (v / 1e4).round() >= 1e4) {
                format!("{}亿", short(v / 1e8))
            } else if v >= 1e4 {
                format!("{}万", short(v / 1e4))
            } else {
                fixed(v, 0)
            }
        }
    }
}

fn units(lang: Lang) -> (&'static str, &'static str, &'static str) {
    match lang {
        Lang::En => (" s", " min", " h"),
        Lang::Zh => (" 秒", " 分", " 小时"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_use_the_languages_units() {
        assert_eq!(age(4_000.0, Lang::En), "4 s");
        assert_eq!(age(125_000.0, Lang::En), "2 min 5 s");
        assert_eq!(age(11_400_000.0, Lang::En), "3 h 10 min");
        assert_eq!(age(4_000.0, Lang::Zh), "4 秒");
        assert_eq!(age(125_000.0, Lang::Zh), "2 分 5 秒");
        assert_eq!(age(11_400_000.0, Lang::Zh), "3 小时 10 分");
        // A clock running behind never shows a negative age.
        assert_eq!(age(-3_000.0, Lang::En), "0 s");
    }

    #[test]
    fn chart_windows_in_minutes_or_hours() {
        assert_eq!(window(5, Lang::En), "5 min");
        assert_eq!(window(60, Lang::En), "1 h");
        assert_eq!(window(30, Lang::Zh), "30 分钟");
        assert_eq!(window(60, Lang::Zh), "1 小时");
        assert_eq!(window(90, Lang::Zh), "90 分钟");
    }

    #[test]
    fn shortened_numbers_count_in_wan_and_yi_in_chinese() {
        let zh = |v| compact(v, Lang::Zh);
        assert_eq!(zh(0.0), "0");
        assert_eq!(zh(850.0), "850");
        // Below 1万 the digits are all there is: no unit, no grouping (as zh-CN writes it).
        assert_eq!(zh(9_999.0), "9999");
        assert_eq!(zh(10_000.0), "1万");
        assert_eq!(zh(12_345.0), "1.2万");
        assert_eq!(zh(99_999.0), "10万");
        assert_eq!(zh(123_456.0), "12万");
        assert_eq!(zh(12_345_678.0), "1235万");
        // Rounding up to 10000万 moves to the next unit.
        assert_eq!(zh(99_996_000.0), "1亿");
        assert_eq!(zh(150_000_000.0), "1.5亿");
        assert_eq!(zh(2_500_000_000.0), "25亿");
        let en = |v| compact(v, Lang::En);
        assert_eq!(en(850.0), "850");
        assert_eq!(en(1_234.0), "1.2k");
        assert_eq!(en(12_345.0), "12k");
        assert_eq!(en(1_500_000.0), "1.5M");
    }

    #[test]
    fn dates_in_each_languages_order_and_numbers_grouped() {
        assert_eq!(
            date_time(2026, 12, 3, 8, 5, 9, Lang::En),
            "2026-12-03 08:05:09"
        );
        assert_eq!(
            date_time(2026, 12, 3, 8, 5, 9, Lang::Zh),
            "2026年12月3日 08:05:09"
        );
        assert_eq!(number(1_234_567, Lang::Zh), "1,234,567");
        assert_eq!(number(-1_234, Lang::En), "-1,234");
    }
}
