//! Chart history as sent in snapshots.
//!
//! The feed keeps every series at full resolution (one point per poll interval, for `--history`
//! seconds). Sent as is, an hour of per-proxy QPS and per-group memory and keys of the Large demo
//! cluster (128 proxies, 64 groups: 257 series of 3,600 points) makes a snapshot of several MB.
//! So in snapshots, per-proxy and per-group series keep full resolution only for the last
//! [`FINE_WINDOW_MS`] (5 minutes); older points are averaged into [`COARSE_STEP_MS`] (10 s)
//! buckets carried in [`Series::coarse`]. The cluster QPS series, a single one, stays at full
//! resolution. Updates are unaffected: each carries one [`HistoryTick`](codis_model::live::HistoryTick).
//! Measured sizes are in BENCHMARKS.md.

use std::collections::BTreeMap;

use codis_model::live::{History, Series};

/// Per-proxy and per-group series keep full resolution for this long in snapshots.
pub const FINE_WINDOW_MS: u64 = 5 * 60 * 1000;

/// Step of the older, downsampled part.
pub const COARSE_STEP_MS: u64 = 10_000;

/// The history to put in a snapshot (see the module documentation).
pub fn for_snapshot(h: &History, fine_window_ms: u64) -> History {
    fn each<K: Ord + Clone>(m: &BTreeMap<K, Series>, fine: u64) -> BTreeMap<K, Series> {
        m.iter()
            .map(|(k, s)| (k.clone(), downsample(s, fine, COARSE_STEP_MS)))
            .collect()
    }
    History {
        cluster_qps: h.cluster_qps.clone(),
        proxy_qps: each(&h.proxy_qps, fine_window_ms),
        group_memory: each(&h.group_memory, fine_window_ms),
        group_keys: each(&h.group_keys, fine_window_ms),
    }
}

/// `s` with the points older than `fine_ms` (measured back from its newest point) averaged into
/// buckets of `coarse_step_ms`. Buckets hold whole steps and end where the fine part starts; the
/// oldest partial bucket is dropped (at most one coarse step of the oldest history). A bucket
/// without any sample is a gap (`None`), as in the full series.
pub fn downsample(s: &Series, fine_ms: u64, coarse_step_ms: u64) -> Series {
    let step = s.step_ms.max(1);
    let per = usize::try_from(coarse_step_ms / step).unwrap_or(usize::MAX);
    let fine_n = usize::try_from(fine_ms.div_ceil(step)).unwrap_or(usize::MAX);
    if per < 2 || s.values.len() <= fine_n.saturating_add(per) {
        return s.clone();
    }
    let split = s.values.len() - fine_n;
    let lead = split % per;
    let coarse_values: Vec<Option<f64>> = s.values[lead..split]
        .chunks(per)
        .map(|bucket| {
            let (sum, n) = bucket
                .iter()
                .flatten()
                .fold((0.0, 0u32), |(sum, n), v| (sum + v, n + 1));
            (n > 0).then(|| sum / f64::from(n))
        })
        .collect();
    let coarse = Series {
        start_ms: s.start_ms + lead as u64 * step,
        step_ms: per as u64 * step,
        values: coarse_values,
        coarse: None,
    };
    Series {
        start_ms: s.start_ms + split as u64 * step,
        step_ms: step,
        values: s.values[split..].to_vec(),
        coarse: Some(Box::new(coarse)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(n: usize) -> Series {
        let mut s = Series::new(0, 1000);
        s.values = (0..n).map(|i| Some(i as f64)).collect();
        s
    }

    #[test]
    fn short_series_are_sent_whole() {
        let s = series(300);
        assert_eq!(downsample(&s, FINE_WINDOW_MS, COARSE_STEP_MS), s);
    }

    #[test]
    fn an_hour_keeps_five_minutes_fine_and_the_rest_in_ten_second_means() {
        let mut s = series(3600);
        s.values[5] = None;
        for v in &mut s.values[10..20] {
            *v = None;
        }
        let d = downsample(&s, FINE_WINDOW_MS, COARSE_STEP_MS);
        assert_eq!(d.values.len(), 300);
        assert_eq!(d.start_ms, 3_300_000);
        assert_eq!(d.values[0], Some(3300.0));
        let c = d.coarse.as_deref().expect("coarse part");
        assert_eq!((c.start_ms, c.step_ms, c.values.len()), (0, 10_000, 330));
        // Bucket 0 = mean of 0..10 without the gap at 5; bucket 1 had no sample.
        assert_eq!(c.values[0], Some((45.0 - 5.0) / 9.0));
        assert_eq!(c.values[1], None);
        assert_eq!(c.values[2], Some(24.5));
        // The points are in time order and end with the newest.
        let pts: Vec<(u64, f64)> = d.points().collect();
        assert!(pts.windows(2).all(|w| w[0].0 < w[1].0));
        assert_eq!(pts.last(), Some(&(3_599_000, 3599.0)));
    }

    #[test]
    fn an_hour_of_large_cluster_history_is_downsampled_to_a_fraction() {
        // The Large demo cluster: 128 proxies, 64 groups; one tick per second for an hour.
        let mut h = History::default();
        for t in 0..3600u64 {
            let mut tick = codis_model::live::HistoryTick {
                t_ms: 1_795_000_000_000 + t * 1000,
                cluster_qps: Some(90_000.0 + (t % 97) as f64),
                ..Default::default()
            };
            for p in 0..128u64 {
                tick.proxy_qps
                    .insert(format!("{p:032x}"), (400 + (p * 7 + t) % 900) as f64);
            }
            for g in 1..=64u32 {
                tick.group_memory
                    .insert(g, (8_000_000 + u64::from(g) * 1000 + t) as f64);
                tick.group_keys.insert(g, (17_000 + t % 50) as f64);
            }
            h.record(&tick, 1000, 3600);
        }
        let full = serde_json::to_string(&h).expect("json").len();
        let sent = serde_json::to_string(&for_snapshot(&h, FINE_WINDOW_MS))
            .expect("json")
            .len();
        println!("history of an hour, Large cluster: {full} B whole, {sent} B in a snapshot");
        assert!(sent * 4 < full, "{sent} B vs {full} B");
    }

    #[test]
    fn a_partial_oldest_bucket_is_dropped() {
        let s = series(1000 + 300 + 7);
        let d = downsample(&s, FINE_WINDOW_MS, COARSE_STEP_MS);
        let c = d.coarse.as_deref().expect("coarse part");
        assert_eq!(c.start_ms, 7_000);
        assert_eq!(c.values.len(), 100);
        assert_eq!(c.start_ms + c.values.len() as u64 * c.step_ms, d.start_ms);
    }
}
