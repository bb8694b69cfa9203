//! Headless Chromium (Debian's `chromium` and `chromium-driver`) driven through chromedriver.

use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use crate::ports::free_port;

/// A chromedriver process and a WebDriver session on it; both end when this is dropped, also
/// when a test panics (chromedriver and the Chromium it started form one process group, which
/// `Drop` kills: otherwise every failed browser test left a Chromium running).
pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: TempDir,
}

/// The console (`dist/`) on the built-in demo cluster, and a browser: what most UI tests start
/// with.
pub async fn demo_console() -> (crate::TestApp, Browser) {
    let app = crate::TestApp::builder()
        .demo()
        .assets(&crate::dist_dir())
        .start()
        .await;
    (app, Browser::start().await)
}

/// The pages of the console a walk over every page visits beyond Codis 3.2's five (issue 15's
/// walks, ui_i18n and ui_axe): the demo with `pika-demo`, Pika's Codis fork, at its widest
/// (16,384 slots) and its group 2's master killed, so that its dashboard's checks and election
/// show; and on `codis-demo` a replica cut off from its master and a migration that never moves,
/// whose alerts fire at once (the fleet page's bell and notification centre). The alerts file
/// lives as long as the returned value.
pub async fn troubled_demo_console() -> (crate::TestApp, crate::AlertsFile, Browser) {
    let rules = crate::AlertsFile::new(
        "[rules.replica_link_down]\nfor = 0\n[rules.migration_stuck]\nfor = 0\n\
         [rules.server_down]\nfor = 0\n",
    );
    let app = crate::TestApp::builder()
        .flags(&[
            "--demo",
            "--demo-noise=off",
            "--demo-pika-slots=16384",
            &format!("--demo-fault=replica-link-down:{TROUBLED_REPLICA}"),
            "--demo-fault=migration-stuck",
            "--stuck-after=1",
            "--health-samples=1",
            "--fleet-interval=0.2",
        ])
        .flag(rules.flag())
        .assets(&crate::dist_dir())
        .quiet()
        .start()
        .await;
    app.demo_dashboard("pika-demo")
        .set_fault(codis_demo::Fault::ServerDown(PIKA_KILLED_MASTER.into()));
    (app, rules, Browser::start().await)
}

/// The `codis-demo` replica [`troubled_demo_console`] cuts off from its master.
pub const TROUBLED_REPLICA: &str = "127.0.0.1:16380";
/// The `pika-demo` master (group 2) [`troubled_demo_console`] kills.
pub const PIKA_KILLED_MASTER: &str = "127.0.0.1:9231";

impl Browser {
    pub async fn start() -> Browser {
        Browser::start_with(&[]).await
    }

    /// [`start`](Self::start) with more Chromium flags (e.g. the TLS tests' certificate pin).
    pub async fn start_with(extra_args: &[String]) -> Browser {
        // Both rustls providers are in the test build (ring: the server's TLS and the TLS
        // tests' reqwest; aws-lc-rs: fantoccini's default), so rustls cannot choose one for
        // fantoccini's client by itself: name one for the process (a second call is a no-op).
        let _ = tokio_rustls::rustls::crypto::ring::default_provider().install_default();
        let port = free_port();
        let driver = Command::new(which("chromedriver"))
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("chromedriver starts (scripts/setup installs chromium-driver)");
        let profile = TempDir::new("chromium-profile");
        let mut args: Vec<String> = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--window-size=1280,900",
        ]
        .map(String::from)
        .to_vec();
        args.push(format!("--user-data-dir={}", profile.0.display()));
        args.extend(extra_args.iter().cloned());
        let caps = json!({
            "goog:chromeOptions": {
                "binary": which("chromium"),
                "args": args,
            }
        });
        let caps = match caps {
            serde_json::Value::Object(m) => m,
            _ => unreachable!("literal object"),
        };
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        let client = loop {
            match ClientBuilder::rustls()
                .expect("rustls client")
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(c) => break c,
                Err(e) if Instant::now() < deadline => {
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(e) => panic!("no WebDriver session on {url}: {e}"),
            }
        };
        Browser {
            client,
            driver,
            _profile: profile,
        }
    }

    /// Waits up to 15 s for an element matching `css`, so tests wait for live data instead of sleeping.
    pub async fn wait_for(&self, css: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(Duration::from_secs(15))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("element {css} did not appear: {e}"))
    }

    /// Saves a PNG under `target/screenshots/`, for people to look at what the test saw.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let png = self.client.screenshot().await.expect("screenshot");
        let dir = crate::workspace_root().join("target/screenshots");
        std::fs::create_dir_all(&dir).expect("screenshot dir");
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).expect("write screenshot");
        path
    }

    /// Ends the WebDriver session politely; dropping `self` then stops the processes.
    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // The whole group: chromedriver and every Chromium process it started.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.driver.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.driver.wait();
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

struct TempDir(PathBuf);

impl TempDir {
    fn new(prefix: &str) -> TempDir {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let dir = std::env::temp_dir().join(format!("{prefix}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        TempDir(dir)
    }
}

fn which(cmd: &str) -> String {
    for dir in std::env::var("PATH").unwrap_or_default().split(':') {
        let p = std::path::Path::new(dir).join(cmd);
        if p.is_file() {
            return p.display().to_string();
        }
    }
    panic!("{cmd} not found on PATH: run scripts/setup");
}

// ---------------------------------------------------------------------------------------------
// Helpers for the console's UI tests (ui_*.rs): wait for live text, click, type, run JS.
// ---------------------------------------------------------------------------------------------

impl Browser {
    /// Opens `url` and waits for the app to mount (the sidebar, or the sign-in form).
    pub async fn open(&self, url: &str) {
        self.client.goto(url).await.expect("navigate");
        self.wait_for("nav.sidebar, #signin-form").await;
    }

    /// Opens `url` and waits for its live stream ("Live" in the header's indicator).
    pub async fn open_live(&self, url: &str) {
        self.open(url).await;
        self.wait_text("#live-indicator", "live", |t| t.starts_with("Live"))
            .await;
    }

    /// Reloads the page (the browser's reload button) and waits for its live stream again.
    pub async fn reload_live(&self) {
        self.client.refresh().await.expect("reload");
        self.wait_for("nav.sidebar, #signin-form").await;
        self.wait_text("#live-indicator", "live after a reload", |t| {
            t.starts_with("Live")
        })
        .await;
    }

    /// Runs `script` (a function body; `arguments` are `args`) and returns its result.
    /// Stores a language (`en`, `zh`) and, if given, a theme (`light`, `dark`) as the console's
    /// switchers do, for the next page the console loads (the current page must be the console's).
    pub async fn remember_choice(&self, lang: &str, theme: Option<&str>) {
        self.js(
            "localStorage.setItem('codis-console.lang', arguments[0]); \
             if (arguments[1] !== null) localStorage.setItem('codis-console.theme', arguments[1]);",
            vec![serde_json::json!(lang), serde_json::json!(theme)],
        )
        .await;
    }

    pub async fn js(&self, script: &str, args: Vec<serde_json::Value>) -> serde_json::Value {
        self.client
            .execute(script, args)
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// The text of the first element matching `css`, or `None` if there is none.
    pub async fn text_of(&self, css: &str) -> Option<String> {
        let v = self
            .js(
                "const e = document.querySelector(arguments[0]); return e ? e.innerText : null;",
                vec![json!(css)],
            )
            .await;
        v.as_str().map(str::to_owned)
    }

    /// Waits up to `secs` for `css` to exist with a text for which `pred` holds; returns it.
    pub async fn wait_text_for(
        &self,
        css: &str,
        secs: u64,
        what: &str,
        pred: impl Fn(&str) -> bool,
    ) -> String {
        let deadline = Instant::now() + Duration::from_secs(secs);
        let mut last = None;
        while Instant::now() < deadline {
            last = self.text_of(css).await;
            if let Some(t) = &last {
                if pred(t) {
                    return t.clone();
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{css}: expected {what} within {secs} s; last text: {last:?}");
    }

    /// [`wait_text_for`](Self::wait_text_for) with 15 s.
    pub async fn wait_text(&self, css: &str, what: &str, pred: impl Fn(&str) -> bool) -> String {
        self.wait_text_for(css, 15, what, pred).await
    }

    /// Waits until no element matches `css`.
    pub async fn wait_gone(&self, css: &str) {
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            let n = self
                .js(
                    "return document.querySelectorAll(arguments[0]).length;",
                    vec![json!(css)],
                )
                .await;
            if n.as_u64() == Some(0) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{css} is still there after 15 s");
    }

    /// Number of elements matching `css`.
    pub async fn count(&self, css: &str) -> usize {
        self.js(
            "return document.querySelectorAll(arguments[0]).length;",
            vec![json!(css)],
        )
        .await
        .as_u64()
        .unwrap_or(0) as usize
    }

    /// Clicks the first element matching `css` (waiting for it to exist and be enabled).
    pub async fn click(&self, css: &str) {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let el = self.wait_for(css).await;
            if el.is_enabled().await.unwrap_or(false) {
                // Centre it first: fixed overlays (toasts) sit at the window's edges.
                let _ = self
                    .client
                    .execute(
                        "arguments[0].scrollIntoView({block: 'center', inline: 'center'});",
                        vec![serde_json::to_value(&el).expect("element as JSON")],
                    )
                    .await;
                el.click()
                    .await
                    .unwrap_or_else(|e| panic!("click {css}: {e}"));
                return;
            }
            assert!(Instant::now() < deadline, "{css} stayed disabled");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Replaces the value of the input `css` by typing `text` (real key events, so the app's
    /// validation runs as it does for a person).
    pub async fn type_into(&self, css: &str, text: &str) {
        let el = self.wait_for(css).await;
        el.clear()
            .await
            .unwrap_or_else(|e| panic!("clear {css}: {e}"));
        el.send_keys(text)
            .await
            .unwrap_or_else(|e| panic!("type into {css}: {e}"));
    }

    /// Sends one key (e.g. `"\u{e00c}"`, Escape) to the focused element.
    pub async fn press(&self, key: &str) {
        let active = self
            .client
            .active_element()
            .await
            .expect("an active element");
        active.send_keys(key).await.expect("send key");
    }

    /// axe-core's serious and critical violations on the page as it is now: `{id, impact, help,
    /// nodes}` each. axe-core is installed by scripts/setup (`.tools/axe`); a missing copy fails
    /// the test rather than skipping the check.
    pub async fn axe_violations(&self) -> Vec<serde_json::Value> {
        let path = crate::workspace_root().join(".tools/axe/node_modules/axe-core/axe.min.js");
        let source = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "{}: {e}; run scripts/setup (it installs axe-core)",
                path.display()
            )
        });
        // Injected through WebDriver, which the page's Content-Security-Policy does not govern.
        self.js(&format!("{source}\nreturn true;"), vec![]).await;
        let found = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, { resultTypes: ['violations'] })
                   .then(r => done(r.violations
                     .filter(v => v.impact === 'serious' || v.impact === 'critical')
                     .map(v => ({ id: v.id, impact: v.impact, help: v.help,
                                  nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' :: ' + (n.failureSummary || '')) }))))
                   .catch(e => done([{ id: 'axe-error', help: String(e) }]));",
                vec![],
            )
            .await
            .unwrap_or_else(|e| panic!("axe-core did not run: {e}"));
        found.as_array().cloned().unwrap_or_default()
    }

    /// Resizes the window (for the narrow-screen screenshots).
    pub async fn resize(&self, width: u32, height: u32) {
        self.client
            .set_window_size(width, height)
            .await
            .expect("resize");
    }
}

/// The stops of a walk over [`troubled_demo_console`]'s pages and dialogs, in order: the fleet
/// page with alerts firing, its notification centre, `codis-demo`'s slots (a stuck migration) and
/// groups (a replica's link down), and every page of the fork product `pika-demo` (variant and
/// unreported memory, the 16,384-slot grid, the servers' checks and the election that replaced
/// the killed master, the failover built in instead of sentinels, the proxies and their latency
/// percentiles dialog). [`Browser::troubled_stop`] goes to one.
pub const TROUBLED_STOPS: [&str; 10] = [
    "fleet",
    "alert-centre",
    "codis-slots",
    "codis-groups",
    "pika-overview",
    "pika-slots",
    "pika-groups",
    "pika-sentinels",
    "pika-proxies",
    "pika-latency",
];

impl Browser {
    /// Goes to `stop` of [`TROUBLED_STOPS`] on `app` (a [`troubled_demo_console`]) and waits
    /// until what it is there for is on screen; `live` is the live indicator's word in the
    /// page's language ("Live", "实时"). A dialog is left open: the next stop opens a page.
    pub async fn troubled_stop(&self, app: &crate::TestApp, stop: &str, live: &str) {
        let page = |path: &str| {
            let url = app.url(path);
            async move {
                self.open(&url).await;
                self.wait_text("#live-indicator", "live", |t| t.starts_with(live))
                    .await;
            }
        };
        match stop {
            "fleet" => {
                self.open(&app.url("/")).await;
                // Both of codis-demo's faults have fired.
                self.wait_text_for(
                    "#fleet-table tr[data-product='codis-demo'] td[data-col=alerts]",
                    60,
                    "codis-demo's two alerts",
                    |t| t == "2",
                )
                .await;
            }
            "alert-centre" => {
                Box::pin(self.troubled_stop(app, "fleet", live)).await;
                self.click("#alert-bell").await;
                self.wait_for("#alerts-firing li[data-rule=replica_link_down]")
                    .await;
                self.wait_for("#alerts-firing li[data-rule=migration_stuck]")
                    .await;
            }
            "codis-slots" => {
                page("/p/codis-demo/slots").await;
                self.wait_for("#slot-grid .slot").await;
            }
            "codis-groups" => {
                page("/p/codis-demo/groups").await;
                self.wait_for(&format!("tr[data-server='{TROUBLED_REPLICA}']"))
                    .await;
            }
            "pika-overview" => {
                page("/p/pika-demo").await;
                self.wait_for("#fact-variant").await;
            }
            "pika-slots" => {
                page("/p/pika-demo/slots").await;
                crate::eventually("the 16,384-slot grid", Duration::from_secs(30), || async {
                    self.count("#slot-grid .slot").await == 16384
                })
                .await;
            }
            "pika-groups" => {
                page("/p/pika-demo/groups").await;
                // Suspected at the next check (10 s), offline after ten failed checks 2 s apart,
                // then replaced: up to about 40 s after the kill on a loaded machine.
                self.wait_text_for(
                    "section.group[data-group='2'] .pika-election",
                    120,
                    "the election's result",
                    |t| t.contains(PIKA_KILLED_MASTER),
                )
                .await;
            }
            "pika-sentinels" => {
                page("/p/pika-demo/sentinels").await;
                self.wait_for("#failover-dead-checks").await;
            }
            "pika-proxies" => {
                page("/p/pika-demo/proxies").await;
                self.wait_for("#proxy-table td.slow-cmds").await;
            }
            "pika-latency" => {
                Box::pin(self.troubled_stop(app, "pika-proxies", live)).await;
                self.click("#proxy-table tbody tr button.btn.small").await;
                self.wait_for("#proxy-latency tbody tr td.p99").await;
            }
            other => panic!("no stop {other:?} in TROUBLED_STOPS"),
        }
    }
}
