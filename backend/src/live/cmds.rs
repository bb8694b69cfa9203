//! `GET /api/products/{product}/proxies/{token}/cmds`: one proxy's per-command stats (calls, µs
//! per call, fails), read from its admin port (`/proxy/stats`, `ops.cmd`) only while a browser
//! asks for them.
//!
//! A plain GET that the console polls while the proxy's command table is open, rather than a
//! second event stream:
//! * one stream per tab stays the rule: every EventSource holds an HTTP/1.1 connection, and
//!   browsers allow about six per origin, so a second stream per tab halves the tabs an operator
//!   can keep open;
//! * the table is opened rarely, for one proxy at a time; a GET needs no subscription
//!   bookkeeping and stops costing anything the moment the panel closes or the tab dies;
//! * answers are cached for one poll interval and concurrent requests share one read, so any
//!   number of viewers costs the proxy at most one request per interval.
//!
//! Rates (calls per second, recent µs per call) come from the difference with the previous read.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::{
    extract::{Path, State},
    Json,
};
use codis_model::live::{CmdRow, ProxyCmds};
use codis_model::{validate, ProxyCmdStats, ProxyStatsData};

use crate::dashboard::{CallError, DashboardClient};
use crate::error::ApiError;
use crate::registry::now_ms;
use crate::state::AppState;

/// Entries not asked for this long are dropped.
const FORGET_AFTER: Duration = Duration::from_secs(60);

/// The route handler.
#[utoipa::path(
    get,
    path = "/api/products/{product}/proxies/{token}/cmds",
    tag = "live",
    params(
        ("product" = String, Path, description = "Product name"),
        ("token" = String, Path, description = "Proxy token (32 hex)"),
    ),
    responses(
        (status = 200, description = "The proxy's per-command counters with calls per second and µs per call over the last poll interval (absent on the first read); cached for one interval and shared between callers", body = ProxyCmds),
        (status = 400, description = "token is not 32 lowercase hex", body = codis_model::console::ApiErrorBody),
        (status = 404, description = "Unknown product, or no such proxy", body = codis_model::console::ApiErrorBody),
        (status = 502, description = "Proxy or dashboard unreachable, or an unreadable answer", body = codis_model::console::ApiErrorBody),
        (status = 504, description = "Proxy too slow", body = codis_model::console::ApiErrorBody),
    )
)]
pub async fn cmds(
    State(app): State<Arc<AppState>>,
    Path((product, token)): Path<(String, String)>,
) -> Result<Json<ProxyCmds>, ApiError> {
    validate::proxy_token("token", &token)?;
    app.dashboard_of(&product)?;
    // The proxy's address comes from the dashboard, never from the request (no SSRF): from the
    // live view when the product is watched, else from one stats read.
    let known = app.live.feed(&product).and_then(|f| {
        f.view()
            .view
            .proxies
            .iter()
            .find(|p| p.token == token)
            .map(|p| p.admin_addr.clone())
    });
    let admin_addr = match known {
        Some(a) => a,
        None => {
            let stats = app.fetch_stats(&product).await?;
            stats
                .proxy
                .models
                .iter()
                .find(|p| p.token == token)
                .map(|p| p.admin_addr.clone())
                .ok_or_else(|| ApiError::NoSuchProxy {
                    product: product.to_string(),
                    token: token.to_string(),
                })?
        }
    };
    let live = &app.live;
    let reply = live
        .cmds
        .get(
            &live.client,
            &product,
            &token,
            &admin_addr,
            live.config.interval,
            live.config.poll_timeout,
        )
        .await?;
    Ok(Json(reply))
}

struct Sample {
    at: Instant,
    cmds: Vec<ProxyCmdStats>,
}

#[derive(Default)]
struct EntryState {
    latest: Option<Sample>,
    reply: Option<(Instant, ProxyCmds)>,
}

struct Entry {
    /// Held across the read: concurrent viewers wait for one read instead of making their own.
    state: tokio::sync::Mutex<EntryState>,
    last_used: Mutex<Instant>,
}

/// Recent per-command reads, per (product, proxy token).
#[derive(Default)]
pub struct CmdsCache {
    entries: Mutex<HashMap<(String, String), Arc<Entry>>>,
}

impl CmdsCache {
    /// The proxy's per-command stats, at most `max_age` old.
    pub async fn get(
        &self,
        client: &DashboardClient,
        product: &str,
        token: &str,
        admin_addr: &str,
        max_age: Duration,
        timeout: Duration,
    ) -> Result<ProxyCmds, CallError> {
        let entry = {
            let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
            entries.retain(|_, e| {
                e.last_used
                    .lock()
                    .map(|t| t.elapsed() < FORGET_AFTER)
                    .unwrap_or(false)
            });
            entries
                .entry((product.to_string(), token.to_string()))
                .or_insert_with(|| {
                    Arc::new(Entry {
                        state: tokio::sync::Mutex::new(EntryState::default()),
                        last_used: Mutex::new(Instant::now()),
                    })
                })
                .clone()
        };
        if let Ok(mut t) = entry.last_used.lock() {
            *t = Instant::now();
        }
        let mut st = entry.state.lock().await;
        if let Some((at, reply)) = &st.reply {
            if at.elapsed() < max_age && reply.admin_addr == admin_addr {
                return Ok(reply.clone());
            }
        }
        let data: ProxyStatsData = client
            .get_within(admin_addr, "/proxy/stats", timeout)
            .await?;
        let now = Instant::now();
        let previous = st.latest.as_ref().filter(|_| {
            st.reply
                .as_ref()
                .is_some_and(|(_, r)| r.admin_addr == admin_addr)
        });
        let reply = rows(token, admin_addr, previous, now, &data.ops.cmd);
        st.latest = Some(Sample {
            at: now,
            cmds: data.ops.cmd,
        });
        st.reply = Some((now, reply.clone()));
        Ok(reply)
    }
}

/// Rates are shown with at most two decimals: sending more would only lengthen the answer (and
/// take the browser's number reader off its exact fast path).
fn hundredths(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// The reply for `cmds` read at `now`, with rates against `previous`.
fn rows(
    token: &str,
    admin_addr: &str,
    previous: Option<&Sample>,
    now: Instant,
    cmds: &[ProxyCmdStats],
) -> ProxyCmds {
    let window = previous.map(|p| now.duration_since(p.at));
    // The fork's proxies put an `ALL` row first whose counts are twice the commands' sum
    // (fixtures/pika-codis/README.md): not a command, and not a total to trust.
    let rows = cmds
        .iter()
        .filter(|c| !c.is_all_row())
        .map(|c| {
            let before = previous.and_then(|p| p.cmds.iter().find(|b| b.opstr == c.opstr));
            let (mut calls_per_sec, mut recent) = (None, None);
            if let Some(w) = window.filter(|w| !w.is_zero()) {
                let (calls0, usecs0) = before.map_or((0, 0), |b| (b.calls, b.usecs));
                let dc = c.calls - calls0;
                let du = c.usecs - usecs0;
                // A counter that went down means the proxy restarted or was reset: no rate.
                if dc >= 0 && du >= 0 {
                    calls_per_sec = Some(hundredths(dc as f64 / w.as_secs_f64()));
                    recent = (dc > 0).then(|| hundredths(du as f64 / dc as f64));
                }
            }
            CmdRow {
                opstr: c.opstr.clone(),
                calls: c.calls,
                usecs: c.usecs,
                usecs_percall: c.usecs_percall,
                fails: c.fails,
                redis_errtype: c.redis_errtype,
                calls_per_sec,
                recent_usecs_percall: recent,
            }
        })
        .collect();
    ProxyCmds {
        token: token.to_string(),
        admin_addr: admin_addr.to_string(),
        sampled_ms: now_ms(),
        window_ms: window.map(|w| u64::try_from(w.as_millis()).unwrap_or(u64::MAX)),
        cmds: rows,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd(op: &str, calls: i64, usecs: i64) -> ProxyCmdStats {
        ProxyCmdStats {
            opstr: op.into(),
            calls,
            usecs,
            usecs_percall: usecs / calls.max(1),
            ..ProxyCmdStats::default()
        }
    }

    #[test]
    fn the_forks_all_row_is_not_listed_as_a_command() {
        let r = rows(
            "t",
            "a",
            None,
            Instant::now(),
            &[
                cmd("ALL", 300, 3000),
                cmd("GET", 100, 1000),
                cmd("SET", 50, 500),
            ],
        );
        let ops: Vec<&str> = r.cmds.iter().map(|c| c.opstr.as_str()).collect();
        assert_eq!(ops, ["GET", "SET"]);
    }

    #[test]
    fn rates_come_from_the_previous_read_and_resets_give_none() {
        let t0 = Instant::now();
        let prev = Sample {
            at: t0,
            cmds: vec![cmd("GET", 100, 1000), cmd("SET", 50, 500)],
        };
        let now = t0 + Duration::from_secs(2);
        let r = rows(
            "t",
            "a",
            Some(&prev),
            now,
            &[
                cmd("GET", 300, 3000),
                cmd("MGET", 4, 40),
                cmd("SET", 10, 100),
            ],
        );
        assert_eq!(r.window_ms, Some(2000));
        assert_eq!(r.cmds[0].calls_per_sec, Some(100.0));
        assert_eq!(r.cmds[0].recent_usecs_percall, Some(10.0));
        assert_eq!(
            r.cmds[1].calls_per_sec,
            Some(2.0),
            "a new command counts from 0"
        );
        assert_eq!(r.cmds[2].calls_per_sec, None, "counter reset");
        let third = rows(
            "t",
            "a",
            Some(&prev),
            t0 + Duration::from_secs(3),
            &[cmd("GET", 200, 1300)],
        );
        assert_eq!(third.cmds[0].calls_per_sec, Some(33.33), "two decimals");
        assert_eq!(third.cmds[0].recent_usecs_percall, Some(3.0));
        let first = rows("t", "a", None, now, &[cmd("GET", 1, 1)]);
        assert_eq!((first.window_ms, first.cmds[0].calls_per_sec), (None, None));
    }
}
