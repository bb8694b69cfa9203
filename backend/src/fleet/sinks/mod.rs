//! Where alerts go besides the console and `/metrics` (issue 16, item 4c and 4d): Alertmanager
//! ([`alertmanager`]) and webhooks ([`webhook`]: generic JSON, Slack, DingTalk, WeCom, Feishu).
//!
//! Configured in the alerts file (`--alerts=FILE`, see `deploy/alerts.example.toml`) under
//! `[notify]`, next to the rules they carry, so one file says what alerts and where it goes:
//!
//! ```toml
//! [notify]
//! console_url = "https://codis.example.com/"   # links: generatorURL, webhook messages
//! [notify.alertmanager]
//! urls = ["http://alertmanager-1:9093", "http://alertmanager-2:9093"]
//! resend = 60                                   # seconds between re-sends while firing
//! [[notify.webhook]]
//! name = "ops-dingtalk"
//! format = "dingtalk"                           # json, slack, dingtalk, wecom, feishu
//! url = "https://oapi.dingtalk.com/robot/send?access_token=..."
//! secret = "SEC..."                             # dingtalk and feishu signed bots
//! ```
//!
//! The poller hands each tick's transitions to [`Sinks::send`], which never waits: every sink
//! (each Alertmanager URL, each webhook) has its own bounded queue and task, so a dead or slow
//! receiver delays nothing but itself. A full queue drops the transition with a warning.

pub mod alertmanager;
pub mod webhook;

use std::sync::Arc;
use std::time::Duration;

use codis_model::alerts::{Alert, Transition};
use serde::Deserialize;
use tokio::sync::mpsc;

/// Transitions a sink may have queued before new ones are dropped (a tick makes a few).
const QUEUE: usize = 1024;

/// The current time in Unix ms; injectable so tests can pin the signatures' timestamps.
pub type Clock = Arc<dyn Fn() -> u64 + Send + Sync>;

/// `[notify]` of the alerts file, as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NotifySection {
    console_url: Option<String>,
    alertmanager: Option<AlertmanagerSection>,
    #[serde(default)]
    webhook: Vec<WebhookSection>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AlertmanagerSection {
    urls: Vec<String>,
    resend: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WebhookSection {
    name: String,
    format: String,
    url: String,
    secret: Option<String>,
}

/// Where alerts go, checked.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NotifyConfig {
    /// The console's address as users reach it (ends with `/`): alert links are under it.
    pub console_url: Option<String>,
    /// Alertmanager base URLs (`http://host:9093`).
    pub alertmanagers: Vec<String>,
    /// Time between two sends of the firing alerts to Alertmanager.
    pub resend: Duration,
    pub webhooks: Vec<webhook::Webhook>,
}

impl NotifyConfig {
    /// Checks `[notify]`; errors name the field (`notify.webhook[1].secret: ...`).
    pub(crate) fn from_section(s: NotifySection) -> Result<NotifyConfig, String> {
        let console_url = match s.console_url {
            Some(u) => {
                check_url("notify.console_url", &u)?;
                Some(if u.ends_with('/') { u } else { format!("{u}/") })
            }
            None => None,
        };
        let mut out = NotifyConfig {
            console_url,
            resend: Duration::from_secs(60),
            ..NotifyConfig::default()
        };
        if let Some(am) = s.alertmanager {
            if am.urls.is_empty() {
                return Err("notify.alertmanager.urls: must name at least one URL".into());
            }
            for (i, u) in am.urls.iter().enumerate() {
                check_url(&format!("notify.alertmanager.urls[{i}]"), u)?;
                out.alertmanagers.push(u.trim_end_matches('/').to_string());
            }
            if let Some(r) = am.resend {
                if !(r.is_finite() && (0.1..=3600.0).contains(&r)) {
                    return Err(
                        "notify.alertmanager.resend: must be seconds between 0.1 and 3600".into(),
                    );
                }
                out.resend = Duration::from_secs_f64(r);
            }
        }
        for (i, w) in s.webhook.into_iter().enumerate() {
            let at = format!("notify.webhook[{i}]");
            let format = webhook::Format::parse(&w.format)
                .ok_or_else(|| format!("{at}.format: must be one of {}", webhook::FORMATS))?;
            check_url(&format!("{at}.url"), &w.url)?;
            if w.name.trim().is_empty() || w.name.len() > 64 {
                return Err(format!("{at}.name: must be 1 to 64 characters"));
            }
            match (&w.secret, format.signed()) {
                (Some(s), true) if s.is_empty() => {
                    return Err(format!("{at}.secret: must not be empty"))
                }
                (Some(_), false) => {
                    return Err(format!(
                        "{at}.secret: only dingtalk and feishu bots are signed"
                    ))
                }
                _ => {}
            }
            out.webhooks.push(webhook::Webhook {
                name: w.name,
                format,
                url: w.url,
                secret: w.secret,
            });
        }
        Ok(out)
    }

    pub fn is_empty(&self) -> bool {
        self.alertmanagers.is_empty() && self.webhooks.is_empty()
    }
}

fn check_url(field: &str, u: &str) -> Result<(), String> {
    match reqwest::Url::parse(u) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => Ok(()),
        _ => Err(format!(
            "{field}: must be an http:// or https:// URL, got {u:?}"
        )),
    }
}

/// The console's page of an alert's product (`None` without `console_url`).
pub(crate) fn link(console_url: &Option<String>, a: &Alert) -> Option<String> {
    console_url.as_ref().map(|base| {
        // section_href is `/p/<product>`: joined under the console's own base path.
        let href = codis_model::ui::route::section_href(&a.product, "");
        format!("{base}{}", href.trim_start_matches('/'))
    })
}

/// What a sink's task is told.
#[derive(Clone, Debug)]
pub enum Msg {
    /// Boxed: an alert is a few hundred bytes, the other message a pointer.
    Change(Box<Transition>),
    /// The products still discovered: alerts of the others are forgotten without a resolve
    /// (the engine forgets them too), so they are not re-sent forever.
    Retain(Arc<Vec<String>>),
}

/// The running sinks' queues.
#[derive(Default)]
pub struct Sinks {
    queues: Vec<(String, mpsc::Sender<Msg>)>,
}

impl Sinks {
    /// Starts one task per Alertmanager and per webhook (none without `[notify]`).
    pub fn start(config: &NotifyConfig, clock: Clock) -> Sinks {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .connect_timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default();
        let mut queues = Vec::new();
        for url in &config.alertmanagers {
            let (tx, rx) = mpsc::channel(QUEUE);
            let sender = alertmanager::Sender::new(
                url.clone(),
                config.console_url.clone(),
                config.resend,
                client.clone(),
                clock.clone(),
            );
            tokio::spawn(sender.run(rx));
            queues.push((format!("alertmanager {url}"), tx));
        }
        for w in &config.webhooks {
            let (tx, rx) = mpsc::channel(QUEUE);
            let sender = webhook::Sender::new(
                w.clone(),
                config.console_url.clone(),
                client.clone(),
                clock.clone(),
            );
            tokio::spawn(sender.run(rx));
            queues.push((format!("webhook {}", w.name), tx));
        }
        Sinks { queues }
    }

    /// Queues `changes` for every sink without waiting.
    pub fn send(&self, changes: &[Transition]) {
        for (name, tx) in &self.queues {
            for c in changes {
                if let Err(e) = tx.try_send(Msg::Change(Box::new(c.clone()))) {
                    tracing::warn!(sink = %name, error = %e, "alert sink queue full: transition dropped");
                }
            }
        }
    }

    /// Tells every sink which products are still discovered (once per tick, never waiting).
    pub fn retain(&self, products: &[String]) {
        if self.queues.is_empty() {
            return;
        }
        let products = Arc::new(products.to_vec());
        for (_, tx) in &self.queues {
            let _ = tx.try_send(Msg::Retain(products.clone()));
        }
    }
}

/// The wait before retry `n` (0-based): 1 s doubling to 60 s.
pub(crate) fn backoff(base: Duration, n: u32) -> Duration {
    base.saturating_mul(1u32 << n.min(16))
        .min(Duration::from_secs(60))
}

/// The real clock.
pub fn system_clock() -> Clock {
    Arc::new(crate::registry::now_ms)
}

#[cfg(test)]
mod tests {
    use crate::fleet::alerts::AlertRules;

    #[test]
    fn notify_settings_are_read_and_bad_ones_name_the_field() {
        let r = AlertRules::parse(
            r#"
            [notify]
            console_url = "https://c.example/codis"
            [notify.alertmanager]
            urls = ["http://am:9093/"]
            [[notify.webhook]]
            name = "ops"
            format = "feishu"
            url = "https://open.feishu.cn/open-apis/bot/v2/hook/x"
            secret = "s"
            "#,
        )
        .expect("valid");
        assert_eq!(
            r.notify.console_url.as_deref(),
            Some("https://c.example/codis/")
        );
        assert_eq!(r.notify.alertmanagers, ["http://am:9093"]);
        assert_eq!(r.notify.resend, std::time::Duration::from_secs(60));
        assert_eq!(r.notify.webhooks.len(), 1);
        let cases = [
            ("[notify.alertmanager]\nurls = []\n", "notify.alertmanager.urls: must name"),
            ("[notify.alertmanager]\nurls = [\"am:9093\"]\n", "notify.alertmanager.urls[0]: must be an http"),
            ("[notify.alertmanager]\nurls = [\"http://a\"]\nresend = 0\n", "notify.alertmanager.resend:"),
            (
                "[[notify.webhook]]\nname = \"x\"\nformat = \"teams\"\nurl = \"http://a\"\n",
                "notify.webhook[0].format: must be one of json, slack",
            ),
            (
                "[[notify.webhook]]\nname = \"x\"\nformat = \"slack\"\nurl = \"http://a\"\nsecret = \"s\"\n",
                "notify.webhook[0].secret: only dingtalk and feishu",
            ),
            (
                "[[notify.webhook]]\nname = \"x\"\nformat = \"json\"\nurl = \"ftp://a\"\n",
                "notify.webhook[0].url: must be an http",
            ),
            ("[notify]\nconsole = \"x\"\n", "unknown field `console`"),
        ];
        for (text, expect) in cases {
            let e = AlertRules::parse(text).expect_err(text);
            assert!(e.contains(expect), "{text:?}: {e}");
        }
    }
}
