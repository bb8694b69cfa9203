//! Command line and environment settings (spec section 1.1). Every codis-fe flag keeps its name and
//! meaning; each can also come from a `CODIS_FE_*` environment variable.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;

use crate::discovery::{Source, SourceFlags};

#[derive(Debug, Clone, Parser)]
#[command(
    name = "codis-fe",
    about = "The Codis web console: a drop-in replacement for codis-fe",
    long_about = None,
    after_help = "`codis-fe passwd` reads a password on standard input and prints its argon2id hash for the --users file."
)]
pub struct Args {
    /// Address to listen on.
    #[arg(
        long,
        short = 'l',
        env = "CODIS_FE_LISTEN",
        default_value = "127.0.0.1:9090"
    )]
    pub listen: SocketAddr,

    /// Directory holding the built console (Trunk's dist/). Without it the server answers the API
    /// only (for a console hosted on a CDN).
    #[arg(long, env = "CODIS_FE_ASSETS_DIR")]
    pub assets_dir: Option<PathBuf>,

    /// Serve everything under this path (`/codis/`): the console, `/api`, `/list`, `?forward=`
    /// and the event stream, for a reverse proxy that forwards `location /codis/` unchanged.
    #[arg(long, env = "CODIS_FE_BASE_PATH", default_value = "/", value_parser = parse_base_path)]
    pub base_path: String,

    /// Serve HTTPS (HTTP/2 and HTTP/1.1) with this PEM certificate chain (leaf first); read
    /// again on SIGHUP. Needs --tls-key.
    #[arg(long, env = "CODIS_FE_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,

    /// The PEM private key of --tls-cert (PKCS#8, PKCS#1 or SEC1); read again on SIGHUP.
    #[arg(long, env = "CODIS_FE_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,

    /// With TLS: the `Strict-Transport-Security` max-age sent on every answer, in seconds
    /// (default one year); 0 sends none.
    #[arg(long, env = "CODIS_FE_HSTS_MAX_AGE", default_value = "31536000", value_parser = clap::value_parser!(u64).range(0..=63_072_000))]
    pub hsts_max_age: u64,

    /// On SIGTERM: seconds during which /readyz answers 503 while everything else is still
    /// served (a load balancer takes the replica out), before accepting stops.
    #[arg(long, env = "CODIS_FE_SHUTDOWN_DELAY", default_value = "0", value_parser = parse_health_secs)]
    pub shutdown_delay: Duration,

    /// On SIGTERM: the longest wait, in seconds, for requests in flight (actions) to finish once
    /// accepting has stopped; then the process exits anyway.
    #[arg(long, env = "CODIS_FE_SHUTDOWN_TIMEOUT", default_value = "10", value_parser = parse_secs)]
    pub shutdown_timeout: Duration,

    /// Static discovery: a JSON array of {"name", "dashboard"}; re-read when it changes.
    #[arg(long, short = 'd', env = "CODIS_FE_DASHBOARD_LIST")]
    pub dashboard_list: Option<PathBuf>,

    /// Discovery from ZooKeeper: comma-separated host:port list.
    #[arg(long, env = "CODIS_FE_ZOOKEEPER")]
    pub zookeeper: Option<String>,

    /// ZooKeeper digest auth, USER:PASSWORD.
    #[arg(long, env = "CODIS_FE_ZOOKEEPER_AUTH", requires = "zookeeper")]
    pub zookeeper_auth: Option<String>,

    /// Discovery from etcd (v2 keys API): comma-separated endpoints.
    #[arg(long, env = "CODIS_FE_ETCD")]
    pub etcd: Option<String>,

    /// etcd basic auth, USER:PASSWORD.
    #[arg(long, env = "CODIS_FE_ETCD_AUTH", requires = "etcd")]
    pub etcd_auth: Option<String>,

    /// Discovery from a filesystem coordinator rooted here.
    #[arg(long, env = "CODIS_FE_FILESYSTEM")]
    pub filesystem: Option<PathBuf>,

    /// Log to this file (appended) instead of stderr.
    #[arg(long, env = "CODIS_FE_LOG")]
    pub log: Option<PathBuf>,

    /// ERROR, WARN (or WARNING), INFO, DEBUG or NONE, any case.
    #[arg(long, env = "CODIS_FE_LOG_LEVEL", default_value = "INFO", value_parser = parse_log_level)]
    pub log_level: LogLevel,

    /// Write the process id here once listening; removed on exit, SIGTERM and SIGINT included.
    #[arg(long, env = "CODIS_FE_PIDFILE")]
    pub pidfile: Option<PathBuf>,

    /// Worker threads (codis-fe: GOMAXPROCS); default: one per CPU.
    #[arg(long, env = "CODIS_FE_NCPU")]
    pub ncpu: Option<u16>,

    /// Print `version:` and `compile:` lines and exit, as codis-fe does.
    #[arg(long = "version")]
    pub print_version: bool,

    /// Also run the built-in demo cluster (simulated dashboards `codis-demo` and `codis-tiny`,
    /// and `pika-demo`, a simulated dashboard of Pika's Codis fork).
    #[arg(long, env = "CODIS_FE_DEMO")]
    pub demo: bool,

    /// Faults for the demo cluster's `codis-demo`, e.g. `proxy-timeout:0`,
    /// `server-down:127.0.0.1:16380`, `replica-link-down:127.0.0.1:16380`, `migration-stuck`,
    /// `slow:1500ms`.
    #[arg(
        long = "demo-fault",
        env = "CODIS_FE_DEMO_FAULT",
        value_delimiter = ',',
        requires = "demo"
    )]
    pub demo_faults: Vec<String>,

    /// The demo's transient failures of healthy processes, as a real Codis 3.2.2 cluster shows
    /// them (a sentinel's `use of closed network connection` in ~15 % of samples, an occasional
    /// proxy stats timeout, `EOF` for a second after SLAVEOF or promote). On by default;
    /// `--demo-noise=off` for an exactly quiet demo.
    #[arg(long, env = "CODIS_FE_DEMO_NOISE", default_value = "on", default_missing_value = "on", num_args = 0..=1, require_equals = true, action = clap::ArgAction::Set, value_parser = clap::builder::BoolishValueParser::new())]
    pub demo_noise: bool,

    /// `max_slot_num` of the demo's `pika-demo` product (Pika's Codis fork): 1 to 16384.
    #[arg(long = "demo-pika-slots", env = "CODIS_FE_DEMO_PIKA_SLOTS", default_value = "1024", value_parser = clap::value_parser!(u16).range(1..=16384), requires = "demo")]
    pub demo_pika_slots: u16,

    /// How often discovery runs again, in seconds.
    #[arg(long, env = "CODIS_FE_DISCOVERY_INTERVAL", default_value = "5", value_parser = parse_secs)]
    pub discovery_interval: Duration,

    /// Total time allowed for one dashboard call, in seconds.
    #[arg(long, env = "CODIS_FE_DASHBOARD_TIMEOUT", default_value = "10", value_parser = parse_secs)]
    pub dashboard_timeout: Duration,

    /// Origins allowed to call the API from a console hosted elsewhere (CDN), comma-separated.
    #[arg(long, env = "CODIS_FE_CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Vec<String>,

    /// Live stats: how often a watched dashboard is polled, in seconds.
    #[arg(long, env = "CODIS_FE_POLL_INTERVAL", default_value = "1", value_parser = parse_secs)]
    pub poll_interval: Duration,

    /// Health: a proxy, codis-server or sentinel shows ERROR only after this many consecutive
    /// failed dashboard samples (or `--health-seconds` of failing); until then it is FLAKY.
    #[arg(long, env = "CODIS_FE_HEALTH_SAMPLES", default_value = "3", value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub health_samples: u32,

    /// Health: or after failing for this many seconds (0 = at once).
    #[arg(long, env = "CODIS_FE_HEALTH_SECONDS", default_value = "3", value_parser = parse_health_secs)]
    pub health_seconds: Duration,

    /// Live stats: seconds of chart history kept per product.
    #[arg(long, env = "CODIS_FE_HISTORY", default_value = "3600", value_parser = parse_history)]
    pub history: Duration,

    /// Refuse every action (console API and `?forward=`) with 403; reads keep working.
    #[arg(long, env = "CODIS_FE_READ_ONLY")]
    pub read_only: bool,

    /// Append one JSON line per action attempt (allowed or refused) to this file, flushed before
    /// the response is sent.
    #[arg(long, env = "CODIS_FE_AUDIT_LOG")]
    pub audit_log: Option<PathBuf>,

    /// Serve without sign-in on a non-loopback `--listen` address (user authentication is not
    /// built yet, so any non-loopback address needs this).
    #[arg(long, env = "CODIS_FE_INSECURE_NO_AUTH")]
    pub insecure_no_auth: bool,

    /// Local users: a JSON array of {"user", "hash" (argon2id PHC string, see `codis-fe passwd`),
    /// "role" (viewer, operator or admin)}. With it, every read and action needs sign-in.
    #[arg(long, env = "CODIS_FE_USERS")]
    pub users: Option<PathBuf>,

    /// Key signing the session cookies and CSRF tokens (at least 32 bytes), shared by the
    /// replicas behind one address; without it a random key per process (a restart signs
    /// everyone out). Used with --users or --auth-proxy-header.
    #[arg(long, env = "CODIS_FE_SESSION_KEY_FILE")]
    pub session_key_file: Option<PathBuf>,

    /// Signed-out sessions shared by the replicas (one JSON line per sign-out, kept until the
    /// session would have expired). Default with --session-key-file: KEYFILE.revoked, when it
    /// can be written (else signed-out sessions are known to this replica only).
    #[arg(long, env = "CODIS_FE_REVOKED_SESSIONS_FILE")]
    pub revoked_sessions_file: Option<PathBuf>,

    /// Trusted reverse-proxy sign-in: the request header carrying the user name (e.g.
    /// X-Remote-User), believed only from --trusted-proxies. Needs --trusted-proxies.
    #[arg(long, env = "CODIS_FE_AUTH_PROXY_HEADER")]
    pub auth_proxy_header: Option<String>,

    /// Addresses or CIDRs of the reverse proxies whose --auth-proxy-header (and X-Forwarded-For)
    /// are believed, comma-separated. Needs --auth-proxy-header.
    #[arg(long, env = "CODIS_FE_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<String>,

    /// Accept --trusted-proxies wider than /8 (IPv4) or /32 (IPv6), e.g. 0.0.0.0/0: any host
    /// in them may then name any user.
    #[arg(long, env = "CODIS_FE_TRUSTED_PROXIES_I_KNOW")]
    pub trusted_proxies_i_know: bool,

    /// Trusted reverse-proxy sign-in: a header carrying the user's role (viewer, operator or
    /// admin); without it the role comes from the --users entry, else --auth-proxy-default-role.
    #[arg(long, env = "CODIS_FE_AUTH_PROXY_ROLE_HEADER")]
    pub auth_proxy_role_header: Option<String>,

    /// Trusted reverse-proxy sign-in: the role of a user named neither by the role header nor
    /// by --users.
    #[arg(long, env = "CODIS_FE_AUTH_PROXY_DEFAULT_ROLE", default_value = "viewer", value_parser = ["viewer", "operator", "admin"])]
    pub auth_proxy_default_role: String,

    /// How long a sign-in lasts, in seconds.
    #[arg(long, env = "CODIS_FE_SESSION_TTL", default_value = "28800", value_parser = clap::value_parser!(u64).range(1..))]
    pub session_ttl: u64,

    /// Most connections served at once (each open console tab holds one event stream); further
    /// connections wait in the listen backlog until one closes.
    #[arg(long, env = "CODIS_FE_MAX_CONNECTIONS", default_value = "16384", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: u32,

    /// SameSite of the session cookie: `strict` (default), `lax`, or `none` for a console
    /// hosted on another site (CDN) that signs in (`none` implies --cookie-secure; unsafe
    /// requests must then come from an origin of --cors-origins or the API's own).
    #[arg(long, env = "CODIS_FE_COOKIE_SAMESITE", default_value = "strict", value_parser = ["strict", "lax", "none"])]
    pub cookie_samesite: String,

    /// Mark the session cookie `Secure` (sent over HTTPS only): for a console behind TLS.
    #[arg(long, env = "CODIS_FE_COOKIE_SECURE")]
    pub cookie_secure: bool,

    /// Most connections served at once from one client address (default: half of
    /// --max-connections), so that one address cannot take every slot. Behind a reverse proxy
    /// every connection comes from the proxy: raise it up to --max-connections there.
    #[arg(long, env = "CODIS_FE_MAX_CONNECTIONS_PER_IP", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections_per_ip: Option<u32>,

    /// Reads in flight at once to one dashboard for callers; more wait up to 1 s, then get 503 with
    /// Retry-After. Bounds the memory held by dashboard answers (each up to 32 MiB).
    #[arg(long, env = "CODIS_FE_DASHBOARD_CONCURRENCY", default_value = "4", value_parser = clap::value_parser!(u32).range(1..=256))]
    pub dashboard_concurrency: u32,

    /// Time allowed to read a request's head, and then its body, in seconds (a slow client is
    /// answered 408 and disconnected). Hidden: tests shorten it.
    #[arg(long, env = "CODIS_FE_REQUEST_TIMEOUT", default_value = "15", value_parser = parse_secs, hide = true)]
    pub request_timeout: Duration,

    /// Live stats: how long a poller keeps running after its last subscriber left, in seconds
    /// (a reload finds it warm). Hidden: tests shorten it.
    #[arg(long, env = "CODIS_FE_LIVE_LINGER", default_value = "20", value_parser = parse_secs, hide = true)]
    pub live_linger: Duration,

    /// Fleet view and alerts: each product's dashboard is read at most once per this many
    /// seconds while someone watches the fleet (or alerts are on); a product whose own live
    /// poller runs is not read again (its latest sample is used).
    #[arg(long, env = "CODIS_FE_FLEET_INTERVAL", default_value = "5", value_parser = parse_secs)]
    pub fleet_interval: Duration,

    /// A slot migration that has made no progress for this many seconds is "stuck".
    #[arg(long, env = "CODIS_FE_STUCK_AFTER", default_value = "300", value_parser = parse_secs)]
    pub stuck_after: Duration,

    /// Alert rules (TOML: thresholds, `for` durations, per-product overrides; see
    /// deploy/alerts.example.toml). With it every product is read once per --fleet-interval all
    /// the time and alerts are evaluated even when nobody watches.
    #[arg(long, env = "CODIS_FE_ALERTS")]
    pub alerts: Option<PathBuf>,

    /// With --demo: also run N small simulated products (`codis-fleet-001`, ...: one proxy, one
    /// group of two servers each) for the fleet view and its benchmark.
    #[arg(long, env = "CODIS_FE_DEMO_FLEET", default_value = "0", requires = "demo", value_parser = clap::value_parser!(u16).range(0..=500))]
    pub demo_fleet: u16,
}

/// `--log-level` values (codis-fe-spec.md §1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogLevel {
    Error,
    Warn,
    Info,
    Debug,
    None,
}

impl LogLevel {
    /// The `tracing` filter directive for this level.
    pub fn directive(self) -> &'static str {
        match self {
            LogLevel::Error => "error",
            LogLevel::Warn => "warn",
            LogLevel::Info => "info",
            LogLevel::Debug => "debug",
            LogLevel::None => "off",
        }
    }
}

fn parse_log_level(s: &str) -> Result<LogLevel, String> {
    match s.to_ascii_uppercase().as_str() {
        "ERROR" => Ok(LogLevel::Error),
        "WARN" | "WARNING" => Ok(LogLevel::Warn),
        "INFO" => Ok(LogLevel::Info),
        "DEBUG" => Ok(LogLevel::Debug),
        "NONE" => Ok(LogLevel::None),
        _ => Err("must be ERROR, WARN, WARNING, INFO, DEBUG or NONE".into()),
    }
}

/// `--base-path`: `/` or `/segment/.../`, each segment of URL-safe characters (letters, digits,
/// `-._~`), not `.` or `..`. The trailing `/` may be left out (`/codis` is `/codis/`). It goes
/// into `index.html`'s `<base href>` and the cookie's `Path` as it is, so nothing there needs
/// escaping.
fn parse_base_path(s: &str) -> Result<String, String> {
    let rule = "must be / or a path like /codis/ (segments of letters, digits and -._~)";
    let Some(inner) = s.strip_prefix('/') else {
        return Err(format!("{s:?} {rule}: it must start with /"));
    };
    let inner = inner.strip_suffix('/').unwrap_or(inner);
    if inner.is_empty() {
        return Ok("/".into());
    }
    for segment in inner.split('/') {
        let plain = |c: char| c.is_ascii_alphanumeric() || "-._~".contains(c);
        if segment.is_empty() || segment == "." || segment == ".." || !segment.chars().all(plain) {
            return Err(format!("{s:?} {rule}"));
        }
    }
    Ok(format!("/{inner}/"))
}

fn parse_secs(s: &str) -> Result<Duration, String> {
    let v: f64 = s
        .parse()
        .map_err(|_| "must be a number of seconds".to_string())?;
    if !(0.05..=3600.0).contains(&v) {
        return Err("must be between 0.05 and 3600 seconds".into());
    }
    Ok(Duration::from_secs_f64(v))
}

fn parse_health_secs(s: &str) -> Result<Duration, String> {
    let v: f64 = s
        .parse()
        .map_err(|_| "must be a number of seconds".to_string())?;
    if !(0.0..=3600.0).contains(&v) {
        return Err("must be between 0 and 3600 seconds".into());
    }
    Ok(Duration::from_secs_f64(v))
}

fn parse_history(s: &str) -> Result<Duration, String> {
    let v: f64 = s
        .parse()
        .map_err(|_| "must be a number of seconds".to_string())?;
    if !(1.0..=7.0 * 86_400.0).contains(&v) {
        return Err("must be between 1 second and 7 days".into());
    }
    Ok(Duration::from_secs_f64(v))
}

impl Args {
    /// The real discovery source, if any flag names one. With `--demo` none is required; without
    /// it exactly one is, as in codis-fe.
    pub fn discovery_source(&self) -> Result<Option<Source>, String> {
        let flags = SourceFlags {
            dashboard_list: self.dashboard_list.as_deref(),
            zookeeper: self.zookeeper.as_deref(),
            zookeeper_auth: self.zookeeper_auth.as_deref(),
            etcd: self.etcd.as_deref(),
            etcd_auth: self.etcd_auth.as_deref(),
            filesystem: self.filesystem.as_deref(),
        };
        let any = flags.dashboard_list.is_some()
            || flags.zookeeper.is_some()
            || flags.etcd.is_some()
            || flags.filesystem.is_some();
        if !any && self.demo {
            return Ok(None);
        }
        Source::from_flags(&flags).map(Some).map_err(|e| {
            if any {
                e.to_string()
            } else {
                format!("{e} (or --demo for the built-in demo cluster)")
            }
        })
    }
}

impl Args {
    /// `--max-connections-per-ip`, or its default, checked against `--max-connections`.
    pub fn connections_per_ip(&self) -> Result<usize, String> {
        let total = self.max_connections;
        match self.max_connections_per_ip {
            Some(n) if n > total => Err(format!(
                "--max-connections-per-ip {n}: must not exceed --max-connections ({total})"
            )),
            Some(n) => Ok(n as usize),
            None => Ok((total / 2).max(1) as usize),
        }
    }
}

impl Args {
    /// Without authentication the console may only listen on loopback, unless
    /// `--insecure-no-auth` says otherwise (codis-fe-spec.md §7.1).
    pub fn check_auth(&self) -> Result<(), String> {
        if self.listen.ip().is_loopback()
            || self.insecure_no_auth
            || self.users.is_some()
            || self.auth_proxy_header.is_some()
        {
            return Ok(());
        }
        Err(format!(
            "--listen {} is not a loopback address and no sign-in is configured: give --users (CODIS_FE_USERS) or --auth-proxy-header with --trusted-proxies, listen on 127.0.0.1, or pass --insecure-no-auth (CODIS_FE_INSECURE_NO_AUTH) to serve every action without sign-in",
            self.listen
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(argv: &[&str]) -> Result<Args, clap::Error> {
        Args::try_parse_from(std::iter::once("codis-fe").chain(argv.iter().copied()))
    }

    #[test]
    fn codis_fe_flags_keep_their_names_and_defaults() {
        let a = parse(&[
            "--dashboard-list=/tmp/x.json",
            "--log-level=warning",
            "--ncpu=4",
        ])
        .expect("parses");
        assert_eq!(a.listen.to_string(), "127.0.0.1:9090");
        assert_eq!(a.log_level, LogLevel::Warn);
        assert!(matches!(
            a.discovery_source(),
            Ok(Some(Source::StaticList(_)))
        ));
    }

    #[test]
    fn a_bad_value_is_refused_with_the_flag_named() {
        let err = parse(&["--log-level=LOUD"])
            .expect_err("refused")
            .to_string();
        assert!(err.contains("--log-level"), "{err}");
        let err = parse(&["--listen=nowhere"])
            .expect_err("refused")
            .to_string();
        assert!(err.contains("--listen"), "{err}");
    }

    #[test]
    fn health_and_demo_noise_flags_parse_and_bad_values_name_the_flag() {
        let d = parse(&["--demo"]).expect("parses");
        assert_eq!(d.health_samples, 3);
        assert_eq!(d.health_seconds, Duration::from_secs(3));
        assert!(d.demo_noise, "the demo is noisy by default");
        let a = parse(&[
            "--demo",
            "--demo-noise=off",
            "--health-samples=1",
            "--health-seconds=0",
        ])
        .expect("parses");
        assert!(!a.demo_noise);
        assert_eq!((a.health_samples, a.health_seconds), (1, Duration::ZERO));
        assert!(
            parse(&["--demo", "--demo-noise"])
                .expect("parses")
                .demo_noise
        );
        for (bad, flag) in [
            ("--health-samples=0", "--health-samples"),
            ("--health-samples=many", "--health-samples"),
            ("--health-seconds=-1", "--health-seconds"),
            ("--health-seconds=NaN", "--health-seconds"),
            ("--demo-noise=loud", "--demo-noise"),
        ] {
            let err = parse(&["--demo", bad]).expect_err(bad).to_string();
            assert!(err.contains(flag), "{bad}: {err}");
        }
    }

    #[test]
    fn base_paths_are_normalised_and_bad_ones_name_the_flag_and_the_rule() {
        assert_eq!(parse(&["--demo"]).expect("parses").base_path, "/");
        for (given, normal) in [
            ("/", "/"),
            ("//", "/"),
            ("/codis/", "/codis/"),
            ("/codis", "/codis/"),
            ("/ops/codis-fe_2.x~/", "/ops/codis-fe_2.x~/"),
        ] {
            let a = parse(&["--demo", &format!("--base-path={given}")]).expect(given);
            assert_eq!(a.base_path, normal, "{given}");
        }
        for bad in [
            "codis/", "/a//b/", "/../", "/a/./", "/co dis/", "/c%41/", "/c?x/", "/<x>/", "",
        ] {
            let err = parse(&["--demo", &format!("--base-path={bad}")])
                .expect_err(bad)
                .to_string();
            assert!(
                err.contains("--base-path") && err.contains("must be"),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn exactly_one_discovery_source_unless_demo() {
        let none = parse(&[]).expect("parses");
        assert!(none.discovery_source().is_err());
        let two = parse(&["--etcd=127.0.0.1:2379", "--filesystem=/tmp/fs"]).expect("parses");
        assert!(two.discovery_source().is_err());
        let demo = parse(&["--demo"]).expect("parses");
        assert_eq!(demo.discovery_source(), Ok(None));
        let both = parse(&["--demo", "--etcd=127.0.0.1:2379"]).expect("parses");
        assert!(matches!(
            both.discovery_source(),
            Ok(Some(Source::Etcd { .. }))
        ));
    }

    #[test]
    fn no_auth_only_on_loopback_unless_insecure_no_auth() {
        assert!(parse(&["--demo"]).expect("parses").check_auth().is_ok());
        assert!(parse(&["--demo", "--listen=[::1]:9090"])
            .expect("parses")
            .check_auth()
            .is_ok());
        let err = parse(&["--demo", "--listen=0.0.0.0:9090"])
            .expect("parses")
            .check_auth()
            .expect_err("refused");
        assert!(
            err.contains("--listen") && err.contains("--insecure-no-auth"),
            "{err}"
        );
        assert!(parse(&[
            "--demo",
            "--listen=0.0.0.0:9090",
            "--auth-proxy-header=X-Remote-User",
            "--trusted-proxies=10.0.0.0/8"
        ])
        .expect("parses")
        .check_auth()
        .is_ok());
        assert!(
            parse(&["--demo", "--listen=0.0.0.0:9090", "--insecure-no-auth"])
                .expect("parses")
                .check_auth()
                .is_ok()
        );
    }
}
