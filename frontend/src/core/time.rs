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

/// A short age in the current language: `4 s`, `2 min 5 s` / `4 秒`, `2 分 5 秒`
/// (`codis_model::ui::locale::age`).
pub fn age(ms: f64) -> String {
    codis_model::ui::locale::age(ms, super::lang::current())
}

/// A date and time in local time and the current language (`codis_model::ui::locale`).
pub fn date_time(ms: f64) -> String {
    let d = Date::new(&ms.into());
    codis_model::ui::locale::date_time(
        d.get_full_year(),
        d.get_month() + 1,
        d.get_date(),
        d.get_hours(),
        d.get_minutes(),
        d.get_seconds(),
        super::lang::current(),
    )
}
