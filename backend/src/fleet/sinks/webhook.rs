//! Alerts to chat bots and HTTP endpoints, for teams without Alertmanager: one message per
//! transition (fired, resolved), retried with backoff, deduplicated (an alert already told as
//! firing is not told again, a resolve is told only for an alert told firing), every call and
//! failure logged.
//!
//! Formats and the vendors' documentation they follow:
//! * `json`: codis-fe's own body ([`JsonBody`]), for any HTTP endpoint.
//! * `slack`: incoming webhook, `{"text": ...}`:
//!   <https://api.slack.com/messaging/webhooks>
//! * `dingtalk` (钉钉 custom robot): markdown message
//!   (<https://open.dingtalk.com/document/orgapp/custom-robots-send-group-messages>); with a
//!   secret the URL gets `&timestamp=<ms>&sign=<urlencode(base64(HMAC-SHA256(key=secret,
//!   msg="<ms>\n<secret>")))>`
//!   (<https://open.dingtalk.com/document/robots/customize-robot-security-settings>).
//! * `wecom` (企业微信 group robot): markdown message
//!   (<https://developer.work.weixin.qq.com/document/path/91770>).
//! * `feishu` (飞书 custom bot): text message; with a secret the body carries `timestamp` (s) and
//!   `sign = base64(HMAC-SHA256(key="<s>\n<secret>", msg=""))`
//!   (<https://open.feishu.cn/document/client-docs/bot-v3/add-custom-bot>).

use std::collections::BTreeSet;
use std::time::Duration;

use base64::Engine as _;
use codis_model::alerts::{Alert, Transition};
use hmac::{Hmac, Mac};
use serde::Serialize;
use serde_json::json;
use sha2::Sha256;
use tokio::sync::mpsc;

use super::{backoff, link, Clock, Msg};

/// The format names, for errors.
pub const FORMATS: &str = "json, slack, dingtalk, wecom, feishu";

/// Tries per message before it is given up (logged).
const ATTEMPTS: u32 = 5;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Json,
    Slack,
    DingTalk,
    WeCom,
    Feishu,
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        Some(match s {
            "json" => Format::Json,
            "slack" => Format::Slack,
            "dingtalk" => Format::DingTalk,
            "wecom" => Format::WeCom,
            "feishu" => Format::Feishu,
            _ => return None,
        })
    }

    /// Bots whose requests may be signed with a secret.
    pub fn signed(self) -> bool {
        matches!(self, Format::DingTalk | Format::Feishu)
    }
}

/// One `[[notify.webhook]]`.
#[derive(Clone, PartialEq)]
pub struct Webhook {
    pub name: String,
    pub format: Format,
    pub url: String,
    pub secret: Option<String>,
}

impl std::fmt::Debug for Webhook {
    // The URL carries bot tokens and the secret signs: neither is printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhook")
            .field("name", &self.name)
            .field("format", &self.format)
            .finish_non_exhaustive()
    }
}

/// The `json` format's body.
#[derive(Debug, Serialize)]
pub struct JsonBody<'a> {
    /// `firing` or `resolved`.
    pub status: &'a str,
    #[serde(flatten)]
    pub alert: &'a Alert,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// A request ready to go: where and what.
#[derive(Debug, PartialEq)]
pub struct Request {
    pub url: String,
    pub body: String,
}

fn hmac_sha256(key: &[u8], msg: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(msg);
    mac.finalize().into_bytes().to_vec()
}

/// DingTalk's `sign` for `timestamp_ms`, URL-encoded as its documentation says.
pub fn dingtalk_sign(secret: &str, timestamp_ms: u64) -> String {
    let mac = hmac_sha256(
        secret.as_bytes(),
        format!("{timestamp_ms}\n{secret}").as_bytes(),
    );
    let b64 = base64::engine::general_purpose::STANDARD.encode(mac);
    percent_encoding::utf8_percent_encode(&b64, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// Feishu's `sign` for `timestamp_s`: the key is the string to sign, the message is empty.
pub fn feishu_sign(secret: &str, timestamp_s: u64) -> String {
    let mac = hmac_sha256(format!("{timestamp_s}\n{secret}").as_bytes(), b"");
    base64::engine::general_purpose::STANDARD.encode(mac)
}

/// One line of title and the summary, for the chat formats.
fn text(status: &str, a: &Alert, link: &Option<String>) -> (String, String) {
    let title = format!(
        "[{}] {} {} ({})",
        status.to_uppercase(),
        a.product,
        a.rule,
        a.severity
    );
    let mut body = format!("{title}\n{}", a.summary);
    if let Some(l) = link {
        body.push('\n');
        body.push_str(l);
    }
    (title, body)
}

/// The request telling `t` to `w` at `now_ms`.
pub fn request(w: &Webhook, t: &Transition, console_url: &Option<String>, now_ms: u64) -> Request {
    let (status, a) = match t {
        Transition::Fired(a) => ("firing", a),
        Transition::Resolved(a) => ("resolved", a),
    };
    let link = link(console_url, a);
    let (title, plain) = text(status, a, &link);
    let markdown = {
        let mut m = format!("### {title}\n{}", a.summary);
        if let Some(l) = &link {
            m.push_str(&format!("\n\n[{}]({l})", a.product));
        }
        m
    };
    let mut url = w.url.clone();
    let body = match w.format {
        Format::Json => serde_json::to_value(JsonBody {
            status,
            alert: a,
            url: link.clone(),
        })
        .unwrap_or_default(),
        Format::Slack => json!({ "text": plain }),
        Format::DingTalk => {
            if let Some(secret) = &w.secret {
                let sep = if url.contains('?') { '&' } else { '?' };
                url = format!(
                    "{url}{sep}timestamp={now_ms}&sign={}",
                    dingtalk_sign(secret, now_ms)
                );
            }
            json!({ "msgtype": "markdown", "markdown": { "title": title, "text": markdown } })
        }
        Format::WeCom => json!({ "msgtype": "markdown", "markdown": { "content": markdown } }),
        Format::Feishu => {
            let mut b = json!({ "msg_type": "text", "content": { "text": plain } });
            if let Some(secret) = &w.secret {
                let ts = now_ms / 1000;
                b["timestamp"] = json!(ts.to_string());
                b["sign"] = json!(feishu_sign(secret, ts));
            }
            b
        }
    };
    Request {
        url,
        body: body.to_string(),
    }
}

/// The bots answer 200 with an error code in the body (`errcode` for DingTalk and WeCom,
/// `code` or `StatusCode` for Feishu): non-zero is a failure.
fn bot_error(body: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(body).ok()?;
    for k in ["errcode", "code", "StatusCode"] {
        if let Some(c) = v.get(k).and_then(|c| c.as_i64()) {
            if c != 0 {
                return Some(body.chars().take(200).collect());
            }
        }
    }
    None
}

type Key = (String, String, String);

/// One webhook's sender task.
pub struct Sender {
    hook: Webhook,
    console_url: Option<String>,
    client: reqwest::Client,
    clock: Clock,
    /// Alerts told firing (and not yet told resolved).
    told: BTreeSet<Key>,
    pub retry_base: Duration,
}

impl Sender {
    pub fn new(
        hook: Webhook,
        console_url: Option<String>,
        client: reqwest::Client,
        clock: Clock,
    ) -> Sender {
        Sender {
            hook,
            console_url,
            client,
            clock,
            told: BTreeSet::new(),
            retry_base: Duration::from_secs(1),
        }
    }

    /// Sends until the poller's side of the queue is gone.
    pub async fn run(mut self, mut rx: mpsc::Receiver<Msg>) {
        while let Some(m) = rx.recv().await {
            let t = match m {
                Msg::Change(t) => *t,
                Msg::Retain(products) => {
                    self.told.retain(|k| products.contains(&k.0));
                    continue;
                }
            };
            let (key, firing) = match &t {
                Transition::Fired(a) => (a.key(), true),
                Transition::Resolved(a) => (a.key(), false),
            };
            if firing == self.told.contains(&key) {
                tracing::debug!(webhook = %self.hook.name, alert = %key.1, "webhook: already told");
                continue;
            }
            if self.deliver(&t).await {
                if firing {
                    self.told.insert(key);
                } else {
                    self.told.remove(&key);
                }
            }
        }
    }

    /// Sends `t`, retrying with backoff; `true` once delivered.
    async fn deliver(&self, t: &Transition) -> bool {
        let a = match t {
            Transition::Fired(a) | Transition::Resolved(a) => a,
        };
        for attempt in 0..ATTEMPTS {
            // Signed again on every try: the bots refuse a timestamp over an hour old.
            let req = request(&self.hook, t, &self.console_url, (self.clock)());
            let result = self
                .client
                .post(&req.url)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(req.body)
                .send()
                .await;
            let error = match result {
                Ok(r) => {
                    let status = r.status();
                    let text = r.text().await.unwrap_or_default();
                    if !status.is_success() {
                        format!(
                            "HTTP {status}: {}",
                            text.chars().take(200).collect::<String>()
                        )
                    } else if let Some(e) = bot_error(&text) {
                        e
                    } else {
                        tracing::info!(
                            webhook = %self.hook.name, product = %a.product, alert = %a.rule,
                            item = %a.item, "webhook called"
                        );
                        return true;
                    }
                }
                Err(e) => e.without_url().to_string(),
            };
            let last = attempt + 1 == ATTEMPTS;
            tracing::warn!(
                webhook = %self.hook.name, product = %a.product, alert = %a.rule, attempt = attempt + 1,
                error = %error, gave_up = last, "webhook call failed"
            );
            if !last {
                tokio::time::sleep(backoff(self.retry_base, attempt)).await;
            }
        }
        false
    }
}

#[cfg(test)]
mod tests;
