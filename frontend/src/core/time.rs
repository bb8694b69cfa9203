//! Wall-clock helpers. Times are shown in the browser's time zone (js Date's local getters).

use js_sys::Date;

pub fn now_ms() -> f64 {
    Date::now()
}

/// `HH:MM:SS` in local time.
pub fn clock(ms: f64) -> String {
    let d = Date::new(&ms.into());
    format!(
        "{:02}:{:02}:{:02}",
        d.get_hours(),
        d.get_minutes(),
        d.get_seconds()
    )
}

/// `HH:MM` in local time.
pub fn clock_hm(ms: f64) -> String {
    let d = Date::new(&ms.into());
    format!("{:02}:{:02}", d.get_hours(), d.get_minutes())
}

/// A short age: `4 s`, `2 min 5 s`, `3 h 10 min`.
pub fn age(ms: f64) -> String {
    let s = (ms.max(0.0) / 1000.0).round() as u64;
    match s {
        0..=59 => format!("{s} s"),
        60..=3599 => format!("{} min {} s", s / 60, s % 60),
        _ => format!("{} h {} min", s / 3600, (s % 3600) / 60),
    }
}
