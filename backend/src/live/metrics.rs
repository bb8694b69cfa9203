//! `GET /metrics`: the Prometheus text format (version 0.0.4), written by hand.
//!
//! Series exist only for products currently polled: by their live poller (some browser watches
//! them, or did within the linger time), or else by the fleet poller (someone watches the fleet,
//! or `--alerts` keeps it reading every product, issue 16). A scrape reads the latest views and
//! never starts a poller: starting pollers on each scrape would put a steady load on every
//! dashboard nobody looks at. A deployment that alerts from Prometheus
//! (`deploy/prometheus/codis-rules.yml`) runs codis-fe with `--alerts`, so every product has its
//! series whether or not a browser is open, at one read per `--fleet-interval`.
//!
//! Plus the backend's own counters: subscribers, subscriptions, polls, poll errors, resyncs.

use std::fmt::Write as _;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use axum::{
    extract::State,
    http::{header, HeaderValue},
    response::{IntoResponse, Response},
};
use codis_model::live::{LiveState, LiveView};

use super::Hub;
use crate::registry::now_ms;
use crate::state::AppState;

/// The route handler.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "live",
    responses(
        (status = 200, description = "Prometheus text format (0.0.4), for the products being polled (live, or by the fleet poller): the dashboard up and the age of its data; each proxy's ops, QPS, sessions and up; each server's memory, maxmemory, keys, clients, up and master link; slot actions; and the backend's own subscribers, polls, poll errors and resyncs", content_type = "text/plain"),
    )
)]
pub async fn metrics(State(app): State<Arc<AppState>>) -> Response {
    let mut text = render(&app.live, &app.fleet.unwatched_views(&app.live));
    crate::fleet::metrics::render(&app.fleet, &mut text);
    let mut resp = text.into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    resp
}

/// One metric family: every sample of it is written together, after its HELP and TYPE lines.
pub(crate) struct Family {
    name: &'static str,
    help: &'static str,
    kind: &'static str,
    samples: Vec<(Vec<(&'static str, String)>, f64)>,
}

impl Family {
    pub(crate) fn new(name: &'static str, kind: &'static str, help: &'static str) -> Family {
        debug_assert!(valid_name(name), "{name}");
        Family {
            name,
            help,
            kind,
            samples: Vec::new(),
        }
    }

    pub(crate) fn add(&mut self, labels: Vec<(&'static str, String)>, value: f64) {
        self.samples.push((labels, value));
    }

    pub(crate) fn write(&self, out: &mut String) {
        let _ = writeln!(out, "# HELP {} {}", self.name, self.help);
        let _ = writeln!(out, "# TYPE {} {}", self.name, self.kind);
        for (labels, value) in &self.samples {
            out.push_str(self.name);
            if !labels.is_empty() {
                out.push('{');
                for (i, (k, v)) in labels.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(k);
                    out.push_str("=\"");
                    escape_label(v, out);
                    out.push('"');
                }
                out.push('}');
            }
            out.push(' ');
            out.push_str(&format_value(*value));
            out.push('\n');
        }
    }
}

/// A metric or label name: `[a-zA-Z_:][a-zA-Z0-9_:]*` (label names may not contain `:`, and ours
/// do not).
fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

/// Label values escape backslash, double quote and line feed.
fn escape_label(v: &str, out: &mut String) {
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

fn format_value(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "+Inf" } else { "-Inf" }.into()
    } else if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

fn b(v: bool) -> f64 {
    if v {
        1.0
    } else {
        0.0
    }
}

/// The whole exposition: the products polled by their live poller (`hub`'s running feeds), and
/// `others`, the latest views of products that only the fleet poller reads.
pub fn render(hub: &Hub, others: &[Arc<LiveView>]) -> String {
    let up = Family::new(
        "codis_dashboard_up",
        "gauge",
        "1 when the latest poll of the product's dashboard succeeded.",
    );
    let age = Family::new(
        "codis_dashboard_data_age_seconds",
        "gauge",
        "Age of the latest good sample of the dashboard.",
    );
    let ops = Family::new(
        "codis_proxy_ops_total",
        "counter",
        "Commands completed by the proxy since it started.",
    );
    let fails = Family::new(
        "codis_proxy_ops_fails_total",
        "counter",
        "Commands that failed at the proxy since it started.",
    );
    let qps = Family::new(
        "codis_proxy_qps",
        "gauge",
        "Commands per second at the proxy (last second).",
    );
    let sessions = Family::new(
        "codis_proxy_sessions",
        "gauge",
        "Client sessions open at the proxy.",
    );
    let sessions_total = Family::new(
        "codis_proxy_sessions_total",
        "counter",
        "Client sessions accepted by the proxy since it started.",
    );
    let proxy_up = Family::new(
        "codis_proxy_up",
        "gauge",
        "1 when the proxy is healthy or only flaky (a failure not confirmed yet, see --health-samples).",
    );
    let memory = Family::new(
        "codis_server_memory_bytes",
        "gauge",
        "used_memory of the codis-server.",
    );
    let maxmemory = Family::new(
        "codis_server_maxmemory_bytes",
        "gauge",
        "maxmemory of the codis-server (0: no limit).",
    );
    let keys = Family::new(
        "codis_server_keys",
        "gauge",
        "Keys in every database of the codis-server.",
    );
    let clients = Family::new(
        "codis_server_connected_clients",
        "gauge",
        "connected_clients of the codis-server.",
    );
    let server_up = Family::new(
        "codis_server_up",
        "gauge",
        "1 when the server is healthy or only flaky (a failure not confirmed yet, see --health-samples).",
    );
    let link = Family::new(
        "codis_server_master_link_up",
        "gauge",
        "Replicas only: 1 when master_link_status is up, 0 when down.",
    );
    let actions = Family::new(
        "codis_slot_actions",
        "gauge",
        "Slots with a migration action, by action state.",
    );
    let pending = Family::new(
        "codis_slot_actions_pending",
        "gauge",
        "Slots with a migration action not finished yet.",
    );
    let mut subscribers = Family::new(
        "codis_fe_live_subscribers",
        "gauge",
        "Browsers subscribed to the product's live events.",
    );
    let mut polls = Family::new(
        "codis_fe_live_polls_total",
        "counter",
        "Successful polls of the product's dashboard.",
    );
    let mut poll_errors = Family::new(
        "codis_fe_live_poll_errors_total",
        "counter",
        "Failed polls of the product's dashboard.",
    );
    let mut resyncs = Family::new(
        "codis_fe_live_resyncs_total",
        "counter",
        "Snapshots sent to subscribers that fell behind.",
    );
    let mut subscriptions = Family::new(
        "codis_fe_live_subscriptions_total",
        "counter",
        "Live event streams opened.",
    );
    subscriptions.add(
        Vec::new(),
        hub.subscriptions_total.load(Ordering::Relaxed) as f64,
    );
    let mut gzip_subscriptions = Family::new(
        "codis_fe_live_gzip_subscriptions_total",
        "counter",
        "Live event streams opened with Content-Encoding: gzip.",
    );
    gzip_subscriptions.add(
        Vec::new(),
        hub.gzip_subscriptions_total.load(Ordering::Relaxed) as f64,
    );
    let mut gzip_joins = Family::new(
        "codis_fe_live_gzip_joins_total",
        "counter",
        "gzip streams switched to the feed's shared, chained frames (at a join point).",
    );

    let now = now_ms();

    let mut product = ProductFamilies {
        up,
        age,
        ops,
        fails,
        qps,
        sessions,
        sessions_total,
        proxy_up,
        memory,
        maxmemory,
        keys,
        clients,
        server_up,
        link,
        actions,
        pending,
    };
    for feed in hub.feeds().into_iter().filter(|f| f.is_running()) {
        let p = || ("product", feed.product.clone());
        subscribers.add(vec![p()], feed.subscribers() as f64);
        polls.add(vec![p()], feed.polls.load(Ordering::Relaxed) as f64);
        poll_errors.add(vec![p()], feed.poll_errors.load(Ordering::Relaxed) as f64);
        resyncs.add(vec![p()], feed.lagged.load(Ordering::Relaxed) as f64);
        gzip_joins.add(vec![p()], feed.gzip_joins.load(Ordering::Relaxed) as f64);
        product.add(&feed.view(), now);
    }
    for view in others {
        product.add(view, now);
    }

    let mut out = String::with_capacity(4096);
    product.write(&mut out);
    for f in [
        &subscribers,
        &subscriptions,
        &gzip_subscriptions,
        &gzip_joins,
        &polls,
        &poll_errors,
        &resyncs,
    ] {
        f.write(&mut out);
    }
    out
}

/// The families with one sample per product, proxy or server, filled from live views.
struct ProductFamilies {
    up: Family,
    age: Family,
    ops: Family,
    fails: Family,
    qps: Family,
    sessions: Family,
    sessions_total: Family,
    proxy_up: Family,
    memory: Family,
    maxmemory: Family,
    keys: Family,
    clients: Family,
    server_up: Family,
    link: Family,
    actions: Family,
    pending: Family,
}

impl ProductFamilies {
    /// Writes every family, in the order of the fields.
    fn write(&self, out: &mut String) {
        for f in [
            &self.up,
            &self.age,
            &self.ops,
            &self.fails,
            &self.qps,
            &self.sessions,
            &self.sessions_total,
            &self.proxy_up,
            &self.memory,
            &self.maxmemory,
            &self.keys,
            &self.clients,
            &self.server_up,
            &self.link,
            &self.actions,
            &self.pending,
        ] {
            f.write(out);
        }
    }

    /// The samples of one product's latest view, taken at `now` (Unix ms).
    fn add(&mut self, v: &LiveView, now: u64) {
        let p = || ("product", v.product.clone());
        self.up.add(vec![p()], b(v.status.state == LiveState::Live));
        if let Some(ok) = v.status.last_ok_ms {
            self.age
                .add(vec![p()], now.saturating_sub(ok) as f64 / 1000.0);
        }
        if v.seq == 0 {
            return;
        }
        for proxy in &v.view.proxies {
            let l = || {
                vec![
                    p(),
                    ("token", proxy.token.clone()),
                    ("addr", proxy.proxy_addr.clone()),
                ]
            };
            self.proxy_up.add(l(), b(!proxy.status.is_alarm()));
            if let Some(n) = &proxy.numbers {
                self.ops.add(l(), n.ops_total as f64);
                self.fails.add(l(), n.ops_fails as f64);
                self.qps.add(l(), n.qps as f64);
                self.sessions.add(l(), n.sessions_alive as f64);
                self.sessions_total.add(l(), n.sessions_total as f64);
            }
        }
        for g in &v.view.groups {
            for s in &g.servers {
                let l = || {
                    vec![
                        p(),
                        ("group", g.id.to_string()),
                        ("server", s.server.clone()),
                    ]
                };
                self.server_up.add(l(), b(!s.status.is_alarm()));
                if let Some(m) = s.memory {
                    self.memory.add(l(), m as f64);
                }
                if let Some(m) = s.maxmemory {
                    self.maxmemory.add(l(), m as f64);
                }
                if let Some(k) = s.key_count {
                    self.keys.add(l(), k as f64);
                }
                if let Some(c) = s.connected_clients {
                    self.clients.add(l(), c as f64);
                }
                if s.index > 0 || s.master != "NO:ONE" {
                    if let Some((_, state)) = s.master.rsplit_once(':') {
                        match state {
                            "up" => self.link.add(l(), 1.0),
                            "down" => self.link.add(l(), 0.0),
                            _ => {}
                        }
                    }
                }
            }
        }
        let c = &v.view.slots.action_counts;
        for (state, n) in [
            ("pending", c.pending),
            ("preparing", c.preparing),
            ("prepared", c.prepared),
            ("migrating", c.migrating),
            ("finished", c.finished),
            ("other", c.other),
        ] {
            self.actions
                .add(vec![p(), ("state", state.to_string())], f64::from(n));
        }
        self.pending.add(vec![p()], f64::from(c.total()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_valid_and_label_values_escaped() {
        assert!(valid_name("codis_proxy_ops_total"));
        assert!(!valid_name("9lives") && !valid_name("a-b") && !valid_name(""));
        let mut f = Family::new("codis_x", "gauge", "X.");
        f.add(vec![("product", "a\"b\\c\nd".into())], 1.5);
        f.add(Vec::new(), 3.0);
        let mut out = String::new();
        f.write(&mut out);
        assert_eq!(
            out,
            "# HELP codis_x X.\n# TYPE codis_x gauge\ncodis_x{product=\"a\\\"b\\\\c\\nd\"} 1.5\ncodis_x 3\n"
        );
        assert_eq!(format_value(f64::NAN), "NaN");
        assert_eq!(format_value(f64::INFINITY), "+Inf");
    }
}
