//! A time-series line chart in inline SVG (no chart library): the line and area are drawn in a
//! stretchable SVG (non-scaling strokes), the axis labels are HTML positioned in percent, so the
//! chart stays crisp and readable from 360 px up. Gaps in the series (missed samples) break the
//! line instead of being interpolated. Times are in the browser's time zone.

use codis_model::live::Series;
use leptos::prelude::*;

use codis_model::format::fixed;

use crate::core::time::{clock, clock_hm};

const W: f64 = 1000.0;
const H: f64 = 300.0;

/// A "nice" upper bound for the y axis and its step (1, 2, 2.5, 5 × 10^n).
fn nice_max(max: f64) -> (f64, f64) {
    if max <= 0.0 || !max.is_finite() {
        return (4.0, 1.0);
    }
    let raw = max / 4.0;
    // The power of ten at or below `raw`, by steps (powf/log10 would link libm's, ~3 KB).
    let mut mag = 1.0;
    while mag > raw {
        mag /= 10.0;
    }
    while mag * 10.0 <= raw {
        mag *= 10.0;
    }
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    ((max / step).ceil() * step, step)
}

fn time_step(span_ms: f64) -> f64 {
    const STEPS: [f64; 10] = [
        10e3, 15e3, 30e3, 60e3, 120e3, 300e3, 600e3, 900e3, 1800e3, 3600e3,
    ];
    STEPS
        .iter()
        .copied()
        .find(|s| span_ms / s <= 6.0)
        .unwrap_or(3600e3)
}

/// `v` shortened for the axis and the read-out, in the viewer's language (`12k` / `1.2万`:
/// `codis_model::ui::locale::compact`).
pub fn short_number(v: f64) -> String {
    codis_model::ui::locale::compact(v, crate::core::lang::current())
}

struct Plot {
    line: String,
    area: String,
    y_ticks: Vec<(f64, String)>,
    x_ticks: Vec<(f64, String)>,
    last: Option<(f64, f64, f64)>,
    points: Vec<(f64, f64)>,
    t0: f64,
    t1: f64,
    ymax: f64,
}

/// Every slot of the series in time order, the coarse older part first; `None` is a gap.
fn samples(series: &Series) -> Vec<(f64, Option<f64>)> {
    let mut out = Vec::new();
    let mut add = |s: &Series| {
        let step = s.step_ms.max(1) as f64;
        for (i, v) in s.values.iter().enumerate() {
            out.push((s.start_ms as f64 + i as f64 * step, *v));
        }
    };
    if let Some(c) = &series.coarse {
        add(c);
    }
    add(series);
    out
}

/// The binary unit (1, 1024, 1024², …, 1024⁴) in which `v` bytes read as 1 to 1023.
fn byte_unit(v: f64) -> (f64, &'static str) {
    const NAMES: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let (mut unit, mut i) = (1.0, 0);
    while v / unit >= 1024.0 && i + 1 < NAMES.len() {
        unit *= 1024.0;
        i += 1;
    }
    (unit, NAMES[i])
}

/// An axis label for `v` bytes: "512 MB", "1.5 GB".
fn short_bytes(v: f64) -> String {
    let (unit, name) = byte_unit(v);
    let n = fixed(v / unit, 1);
    format!("{} {name}", n.strip_suffix(".0").unwrap_or(&n))
}

/// `bytes`: the values are byte counts, so the axis steps are round in binary units.
fn plot(series: &Series, window_ms: f64, bytes: bool) -> Plot {
    let all = samples(series);
    let end = all.last().map(|p| p.0).unwrap_or(0.0);
    let t0 = end - window_ms;
    let shown: Vec<(f64, Option<f64>)> = all.into_iter().filter(|(t, _)| *t >= t0).collect();
    let points: Vec<(f64, f64)> = shown
        .iter()
        .filter_map(|(t, v)| v.map(|v| (*t, v)))
        .collect();
    let max = points.iter().map(|p| p.1).fold(0.0, f64::max);
    let (unit, _) = if bytes { byte_unit(max) } else { (1.0, "") };
    let (ymax, ystep) = nice_max(max / unit);
    let (ymax, ystep) = (ymax * unit, ystep * unit);
    let label = if bytes { short_bytes } else { short_number };
    let x = |t: f64| (t - t0) / window_ms.max(1.0) * W;
    let y = |v: f64| H - v / ymax * H;
    let mut line = String::new();
    let mut area = String::new();
    let mut joined = false;
    let mut seg_start: Option<f64> = None;
    let mut seg_last = 0.0;
    for (t, v) in &shown {
        match v {
            Some(v) => {
                let (px, py) = (x(*t), y(*v));
                if joined {
                    line.push_str(&format!("L{},{}", fixed(px, 1), fixed(py, 1)));
                    area.push_str(&format!("L{},{}", fixed(px, 1), fixed(py, 1)));
                } else {
                    if let Some(s) = seg_start {
                        area.push_str(&format!("L{},300L{},300Z", fixed(seg_last, 1), fixed(s, 1)));
                    }
                    line.push_str(&format!("M{},{}", fixed(px, 1), fixed(py, 1)));
                    area.push_str(&format!("M{},{}", fixed(px, 1), fixed(py, 1)));
                    seg_start = Some(px);
                }
                seg_last = px;
                joined = true;
            }
            None => joined = false,
        }
    }
    if let Some(s) = seg_start {
        area.push_str(&format!("L{},300L{},300Z", fixed(seg_last, 1), fixed(s, 1)));
    }
    let mut y_ticks = Vec::new();
    let mut v = 0.0;
    while v <= ymax + ystep / 2.0 {
        y_ticks.push((100.0 - v / ymax * 100.0, label(v)));
        v += ystep;
    }
    let tstep = time_step(window_ms);
    let mut x_ticks = Vec::new();
    // Ticks on round local times: offset by the time zone so "every 5 min" means :00, :05, …
    let tz_ms = js_sys::Date::new(&t0.into()).get_timezone_offset() * 60_000.0;
    let mut t = ((t0 - tz_ms) / tstep).ceil() * tstep + tz_ms;
    while t <= end {
        let label = if tstep >= 60e3 { clock_hm(t) } else { clock(t) };
        x_ticks.push(((t - t0) / window_ms * 100.0, label));
        t += tstep;
    }
    let last = points
        .last()
        .map(|&(t, v)| (x(t) / W * 100.0, y(v) / H * 100.0, v));
    Plot {
        line,
        area,
        y_ticks,
        x_ticks,
        last,
        points,
        t0,
        t1: end,
        ymax,
    }
}

/// Line chart of `series` over the last `window_ms`; its values are byte counts when `bytes`
/// says so (axis and read-out in KB/MB/GB), plain numbers ([`short_number`]) otherwise.
#[component]
pub fn TimeChart(
    series: Signal<Series>,
    window_ms: Signal<f64>,
    #[prop(into)] label: Signal<String>,
    #[prop(optional, into)] bytes: Signal<bool>,
) -> impl IntoView {
    let data = Memo::new(move |_| {
        let w = window_ms.get();
        series.with(|s| {
            let p = plot(s, w, bytes.get());
            (
                p.line.clone(),
                p.area.clone(),
                p.y_ticks.clone(),
                p.x_ticks.clone(),
                p.last,
                p.points.clone(),
                p.t0,
                p.t1,
                p.ymax,
            )
        })
    });
    // Hover read-out: the sample nearest to the pointer.
    let hover = RwSignal::new(None::<(f64, f64, f64, f64)>);
    let on_move = move |ev: web_sys::PointerEvent| {
        use wasm_bindgen::JsCast;
        let Some(target) = ev
            .current_target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        else {
            return;
        };
        let rect = target.get_bounding_client_rect();
        if rect.width() <= 0.0 {
            return;
        }
        let fx = ((ev.client_x() as f64 - rect.left()) / rect.width()).clamp(0.0, 1.0);
        data.with_untracked(|d| {
            let (t0, t1, ymax) = (d.6, d.7, d.8);
            let w = window_ms.get_untracked();
            let t = t0 + fx * w;
            let best =
                d.5.iter()
                    .min_by(|a, b| (a.0 - t).abs().total_cmp(&(b.0 - t).abs()));
            hover
                .set(best.map(|&(pt, v)| ((pt - t0) / w * 100.0, 100.0 - v / ymax * 100.0, pt, v)));
            let _ = t1;
        });
    };
    view! {
        <figure class="chart" aria-label=label>
            <div class="chart-plot"
                on:pointermove=on_move
                on:pointerleave=move |_| hover.set(None)>
                <svg viewBox="0 0 1000 300" preserveAspectRatio="none" role="img" aria-label=label>
                    {move || data.with(|d| d.2.iter().map(|(pct, _)| {
                        // Text, not an f64 attribute: Leptos would write it with float Display (KBs of WASM).
                        let yy = fixed(pct / 100.0 * H, 1);
                        view! { <line class="grid-line" x1="0" x2="1000" y1=yy.clone() y2=yy vector-effect="non-scaling-stroke"/> }
                    }).collect_view())}
                    <path class="area" d=move || data.with(|d| d.1.clone())/>
                    <path class="line" d=move || data.with(|d| d.0.clone()) vector-effect="non-scaling-stroke"/>
                </svg>
                {move || data.with(|d| d.4).map(|(x, y, _)| view! {
                    <span class="dot last" style=format!("left:{}%;top:{}%", fixed(x, 2), fixed(y, 2))></span>
                })}
                {move || hover.get().map(|(x, y, t, v)| view! {
                    <span class="dot" style=format!("left:{}%;top:{}%", fixed(x, 2), fixed(y, 2))></span>
                    <span class="tip" style=format!("left:{}%;top:{}%", fixed(x.clamp(8.0, 92.0), 2), fixed(y, 2))>{format!("{} · {}", clock(t), if bytes.get_untracked() { codis_model::format::human_size(v.max(0.0) as u64) } else { short_number(v) })}</span>
                })}
                <div class="y-labels" aria-hidden="true">
                    {move || data.with(|d| d.2.iter().map(|(pct, l)| view! {
                        <span style=format!("top:{}%", fixed(*pct, 2))>{l.clone()}</span>
                    }).collect_view())}
                </div>
            </div>
            <div class="x-labels" aria-hidden="true">
                {move || data.with(|d| d.3.iter().map(|(pct, l)| view! {
                    <span style=format!("left:{}%", fixed(*pct, 2))>{l.clone()}</span>
                }).collect_view())}
            </div>
            {move || data.with(|d| d.5.is_empty()).then(|| view! { <p class="chart-empty muted">{move || crate::tr!(chart.no_samples)}</p> })}
        </figure>
    }
}
