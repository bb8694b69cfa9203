//! Alerts to Alertmanager the way Prometheus sends them: `POST /api/v2/alerts` with a JSON list
//! of alerts (labels, annotations, startsAt, endsAt, generatorURL). Firing alerts are re-sent
//! every `resend` with endsAt four resends ahead (Prometheus's rule: Alertmanager resolves them
//! itself if codis-fe dies); a resolved alert is sent once with endsAt = when it resolved.
//! A failed send is logged and retried with backoff; the firing set and the unsent resolved
//! alerts are kept meanwhile, so nothing is lost while Alertmanager is down.
//!
//! API: the Alertmanager v2 OpenAPI spec, `postAlerts` (Alertmanager's api/v2/openapi.yaml).

use std::collections::BTreeMap;
use std::time::Duration;

use codis_model::alerts::{Alert, Transition};
use serde::Serialize;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::{backoff, link, Clock, Msg};

/// Resolved alerts kept for a down Alertmanager (oldest dropped first).
const MAX_RESOLVED: usize = 1000;

/// One alert of the v2 API's `postableAlerts`.
#[derive(Debug, Serialize)]
pub struct Postable {
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    #[serde(rename = "startsAt")]
    pub starts_at: String,
    #[serde(rename = "endsAt")]
    pub ends_at: String,
    #[serde(rename = "generatorURL", skip_serializing_if = "Option::is_none")]
    pub generator_url: Option<String>,
}

/// RFC 3339 in UTC with milliseconds, as the API's `date-time` wants.
pub fn rfc3339(ms: u64) -> String {
    let t = time::OffsetDateTime::UNIX_EPOCH + time::Duration::milliseconds(ms as i64);
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// A label name Alertmanager accepts (`[a-zA-Z_][a-zA-Z0-9_]*`).
fn valid_label(k: &str) -> bool {
    let mut c = k.chars();
    c.next()
        .is_some_and(|f| f.is_ascii_alphabetic() || f == '_')
        && c.all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
}

/// `a` as Alertmanager gets it, ending at `ends_ms`.
pub fn postable(a: &Alert, ends_ms: u64, console_url: &Option<String>) -> Postable {
    let mut labels = BTreeMap::new();
    for (k, v) in &a.labels {
        if valid_label(k) && !v.is_empty() {
            labels.insert(k.clone(), v.clone());
        }
    }
    labels.insert("alertname".into(), a.rule.clone());
    labels.insert("product".into(), a.product.clone());
    labels.insert("severity".into(), a.severity.clone());
    labels.insert("source".into(), "codis-fe".into());
    let mut annotations = BTreeMap::new();
    annotations.insert("summary".into(), a.summary.clone());
    Postable {
        labels,
        annotations,
        starts_at: rfc3339(a.firing_since_ms.unwrap_or(a.active_since_ms)),
        ends_at: rfc3339(ends_ms),
        generator_url: link(console_url, a),
    }
}

type Key = (String, String, String);

/// One Alertmanager's sender task.
pub struct Sender {
    url: String,
    console_url: Option<String>,
    resend: Duration,
    client: reqwest::Client,
    clock: Clock,
    firing: BTreeMap<Key, Alert>,
    resolved: Vec<Alert>,
    /// Base of the retry backoff (1 s).
    pub retry_base: Duration,
}

impl Sender {
    pub fn new(
        url: String,
        console_url: Option<String>,
        resend: Duration,
        client: reqwest::Client,
        clock: Clock,
    ) -> Sender {
        Sender {
            url,
            console_url,
            resend,
            client,
            clock,
            firing: BTreeMap::new(),
            resolved: Vec::new(),
            retry_base: Duration::from_secs(1),
        }
    }

    /// Takes one message; `true` if it is news to send.
    fn take(&mut self, m: Msg) -> bool {
        let t = match m {
            Msg::Change(t) => *t,
            Msg::Retain(products) => {
                self.firing.retain(|k, _| products.contains(&k.0));
                return false;
            }
        };
        match t {
            Transition::Fired(a) => {
                self.firing.insert(a.key(), a);
            }
            Transition::Resolved(a) => {
                self.firing.remove(&a.key());
                if self.resolved.len() >= MAX_RESOLVED {
                    self.resolved.remove(0);
                }
                self.resolved.push(a);
            }
        }
        true
    }

    /// Sends until the poller's side of the queue is gone.
    pub async fn run(mut self, mut rx: mpsc::Receiver<Msg>) {
        let mut due = Instant::now() + self.resend;
        let mut failures = 0u32;
        let mut dirty = false;
        loop {
            tokio::select! {
                t = rx.recv() => match t {
                    Some(m) => {
                        let mut news = self.take(m);
                        while let Ok(m) = rx.try_recv() {
                            news |= self.take(m);
                        }
                        if !news {
                            continue;
                        }
                        dirty = true;
                        if failures > 0 {
                            continue; // waiting out a backoff: sent at `due`
                        }
                    }
                    None => return,
                },
                _ = tokio::time::sleep_until(due) => {}
            }
            if !dirty && self.firing.is_empty() && Instant::now() < due {
                continue;
            }
            if self.firing.is_empty() && self.resolved.is_empty() {
                due = Instant::now() + self.resend;
                dirty = false;
                continue;
            }
            match self.post().await {
                Ok(()) => {
                    if failures > 0 {
                        tracing::info!(alertmanager = %self.url, "alertmanager reachable again");
                    }
                    failures = 0;
                    dirty = false;
                    self.resolved.clear();
                    due = Instant::now() + self.resend;
                }
                Err(e) => {
                    let wait = backoff(self.retry_base, failures);
                    failures = failures.saturating_add(1);
                    tracing::warn!(
                        alertmanager = %self.url, error = %e, retry_in_ms = wait.as_millis() as u64,
                        "alertmanager send failed"
                    );
                    due = Instant::now() + wait;
                }
            }
        }
    }

    async fn post(&self) -> Result<(), String> {
        let now = (self.clock)();
        let ahead = u64::try_from(self.resend.as_millis() * 4).unwrap_or(u64::MAX);
        let mut body: Vec<Postable> = self
            .firing
            .values()
            .map(|a| postable(a, now.saturating_add(ahead), &self.console_url))
            .collect();
        body.extend(
            self.resolved
                .iter()
                .map(|a| postable(a, a.resolved_ms.unwrap_or(now), &self.console_url)),
        );
        let reply = self
            .client
            .post(format!("{}/api/v2/alerts", self.url))
            .json(&body)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = reply.status();
        if status.is_success() {
            tracing::debug!(alertmanager = %self.url, alerts = body.len(), "alerts sent to alertmanager");
            Ok(())
        } else {
            let text = reply.text().await.unwrap_or_default();
            Err(format!(
                "HTTP {status}: {}",
                text.chars().take(200).collect::<String>()
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_alert_is_labelled_and_linked_the_way_prometheus_sends_it() {
        let a = Alert {
            product: "codis-a".into(),
            rule: "proxy_down".into(),
            item: "p1".into(),
            labels: [
                ("proxy".to_string(), "p1".to_string()),
                ("bad-name".into(), "x".into()),
            ]
            .into_iter()
            .collect(),
            severity: "critical".into(),
            summary: "proxy p1 is down".into(),
            args: Default::default(),
            state: codis_model::alerts::AlertState::Firing,
            active_since_ms: 1_000,
            firing_since_ms: Some(61_000),
            resolved_ms: None,
        };
        let p = postable(&a, 301_000, &Some("https://c.example/codis/".into()));
        assert_eq!(
            serde_json::to_string(&p).expect("json"),
            r#"{"labels":{"alertname":"proxy_down","product":"codis-a","proxy":"p1","severity":"critical","source":"codis-fe"},"annotations":{"summary":"proxy p1 is down"},"startsAt":"1970-01-01T00:01:01Z","endsAt":"1970-01-01T00:05:01Z","generatorURL":"https://c.example/codis/p/codis-a"}"#
        );
    }
}
