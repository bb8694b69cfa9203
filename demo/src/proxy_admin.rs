//! The admin HTTP API of one simulated codis-proxy (codis-fe-spec.md §4.5), on a real loopback port.
//!
//! The console links to `/proxy` and `/proxy/stats` and reads per-command stats from
//! `/api/proxy/stats/{xauth}/{flags}`; the dashboard's own calls (`model`, `xping`, `stats`,
//! `fillslots`, `start`, `sentinels`, `shutdown`) are served too so the proxy looks complete.

use crate::control::Control;
use crate::fault::Fault;
use crate::model::{lock, Model};
use crate::reply::{self, ApiError};
use crate::stats::{COMPILE, VERSION};
use axum::body::Body;
use axum::extract::State;
use axum::http::{Method, Request, Response};
use axum::Router;
use codis_model::ProxyOverview;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tower_http::compression::CompressionLayer;

/// Every stats section: `/proxy/stats` returns everything.
const ALL_FLAGS: u64 = u64::MAX;

/// How long a proxy under [`Fault::ProxyTimeout`] takes to answer (longer than the dashboard's
/// 1 s sampling timeout).
const TIMEOUT_DELAY: Duration = Duration::from_millis(1500);

pub(crate) fn router(ctl: Arc<Control>, index: usize) -> Router {
    Router::new()
        .fallback(dispatch)
        .with_state((ctl, index))
        .layer(CompressionLayer::new().compress_when(
            |_: axum::http::StatusCode,
             _: axum::http::Version,
             _: &axum::http::HeaderMap,
             _: &axum::http::Extensions| true,
        ))
}

/// The proxy's configuration as `/proxy` shows it (not used by the console; kept complete).
fn config(m: &Model, i: usize) -> BTreeMap<String, Value> {
    let p = &m.world.proxies[i].model;
    let v = json!({
        "proto_type": "tcp4", "proxy_addr": p.proxy_addr, "admin_addr": p.admin_addr,
        "jodis_name": "", "jodis_addr": "", "jodis_auth": "", "jodis_timeout": "20s",
        "jodis_compatible": false, "product_name": p.product_name, "proxy_datacenter": "",
        "proxy_max_clients": 1000, "proxy_max_offheap_size": "1gb",
        "proxy_heap_placeholder": "256mb", "backend_ping_period": "5s",
        "backend_recv_bufsize": "128kb", "backend_recv_timeout": "30s",
        "backend_send_bufsize": "128kb", "backend_send_timeout": "30s",
        "backend_max_pipeline": 20480, "backend_primary_only": false,
        "backend_primary_parallel": 1, "backend_replica_parallel": 1,
        "backend_keepalive_period": "75s", "backend_number_databases": 16,
        "session_recv_bufsize": "128kb", "session_recv_timeout": "30m",
        "session_send_bufsize": "64kb", "session_send_timeout": "30s",
        "session_max_pipeline": 10000, "session_keepalive_period": "75s",
        "session_break_on_failure": false, "metrics_report_server": "",
        "metrics_report_period": "1s", "metrics_report_influxdb_server": "",
        "metrics_report_influxdb_period": "1s", "metrics_report_influxdb_username": "",
        "metrics_report_influxdb_database": "", "metrics_report_statsd_server": "",
        "metrics_report_statsd_period": "1s", "metrics_report_statsd_prefix": ""
    });
    serde_json::from_value(v).unwrap_or_default()
}

/// The slots this proxy serves: what the dashboard pushed, or nothing before it was started.
fn slots(m: &Model, i: usize) -> Vec<codis_model::Slot> {
    if m.world.proxies[i].online {
        m.proxy_slots()
    } else {
        (0..m.slots.len() as u16)
            .map(|id| codis_model::Slot {
                id,
                ..Default::default()
            })
            .collect()
    }
}

async fn dispatch(
    State((ctl, i)): State<(Arc<Control>, usize)>,
    req: Request<Body>,
) -> Response<Body> {
    let timeout = lock(&ctl.shared).faults.contains(&Fault::ProxyTimeout(i));
    if timeout {
        tokio::time::sleep(TIMEOUT_DELAY).await;
    }
    let Some(segs) = reply::segments(req.uri().path()) else {
        return reply::not_found();
    };
    let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
    let method = req.method().clone();
    let mut m = lock(&ctl.shared);
    if i >= m.world.proxies.len() {
        return reply::not_found();
    }
    m.advance();
    let p = m.world.proxies[i].model.clone();
    let xauth = codis_model::xauth::proxy_xauth(&p.product_name, "", &p.token);
    let check = |x: &str| {
        if x == xauth {
            Ok(())
        } else {
            Err(ApiError::plain(
                "invalid xauth, please check product name & auth",
            ))
        }
    };
    match (method, segs.as_slice()) {
        (Method::GET, []) => reply::redirect("/proxy"),
        (Method::GET, ["proxy"]) => reply::ok_json(&ProxyOverview {
            version: VERSION.to_owned(),
            compile: COMPILE.to_owned(),
            config: config(&m, i),
            model: p,
            stats: m.proxy_stats_data(i, ALL_FLAGS),
            slots: slots(&m, i),
        }),
        (Method::GET, ["proxy", "model"]) | (Method::GET, ["api", "proxy", "model"]) => {
            reply::ok_json(&p)
        }
        (Method::GET, ["proxy", "stats"]) => reply::ok_json(&m.proxy_stats_data(i, ALL_FLAGS)),
        (Method::GET, ["proxy", "slots"]) => reply::ok_json(&slots(&m, i)),
        (Method::GET, ["api", "proxy", "xping", x]) => {
            reply::result(check(x).map(|()| codis_model::OK_REPLY))
        }
        (Method::GET, ["api", "proxy", "stats", x]) => {
            reply::result(check(x).map(|()| m.proxy_stats_data(i, 0)))
        }
        (Method::GET, ["api", "proxy", "stats", x, flags]) => reply::result(
            check(x)
                .and_then(|()| {
                    flags.parse::<i64>().map_err(|_| {
                        ApiError::plain(format!(
                            "strconv.Atoi: parsing \"{flags}\": invalid syntax"
                        ))
                    })
                })
                .map(|f| m.proxy_stats_data(i, f as u64)),
        ),
        (Method::GET, ["api", "proxy", "slots", x]) => {
            reply::result(check(x).map(|()| slots(&m, i)))
        }
        (Method::PUT, ["api", "proxy", "start", x]) => {
            let r = check(x);
            if r.is_ok() {
                m.world.proxies[i].online = true;
            }
            reply::result(r.map(|()| codis_model::OK_REPLY))
        }
        // Pika's Codis fork: per-command latency; no sentinel route.
        (Method::GET, ["api", "proxy", "cmdinfo", x, interval]) if m.pika.is_some() => {
            reply::result(check(x).and_then(|()| {
                let n = interval.parse::<i64>().map_err(|_| {
                    ApiError::plain(format!(
                        "strconv.Atoi: parsing \"{interval}\": invalid syntax"
                    ))
                })?;
                Ok(m.pika_cmdinfo(i, n))
            }))
        }
        // The fork's handler ignores the interval of this route (it asks for 2, i.e. 1 s).
        (Method::GET, ["proxy", "cmdinfo", _]) if m.pika.is_some() => {
            reply::ok_json(&m.pika_cmdinfo(i, 2))
        }
        (Method::PUT, ["api", "proxy", "sentinels", ..]) if m.pika.is_some() => reply::not_found(),
        (Method::PUT, ["api", "proxy", "fillslots" | "sentinels" | "shutdown", x]) => {
            reply::result(check(x).map(|()| codis_model::OK_REPLY))
        }
        _ => reply::not_found(),
    }
}
