//! Security state shared by the handlers: `--read-only`, who the caller is (local sign-in with
//! `--users`, or a trusted reverse proxy's header), roles (per product too), the session check
//! and the audit log (`--audit-log`, and the recent entries kept in memory).

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::HeaderMap;
use serde::Deserialize;
use tokio::io::AsyncWriteExt;

pub use codis_model::console::AuditEntry;

use crate::error::ApiError;
use crate::session::{Session, SessionKey};

/// The message of every action refused by `--read-only`.
pub const READ_ONLY_MESSAGE: &str =
    "codis-fe runs in read-only mode (--read-only): actions are refused";

/// The message of an action refused for a missing or wrong CSRF token.
pub const CSRF_MESSAGE: &str =
    "missing or wrong CSRF token: send the X-CSRF-Token header given by GET /api/me";

/// The message of an action refused to a viewer.
pub const VIEWER_MESSAGE: &str = "the viewer role may read but not run actions";

/// The message of an admin-only action refused to an operator.
pub const ADMIN_MESSAGE: &str =
    "only the admin role may change this dashboard setting (loglevel, reload)";

/// The message of a request for a product the caller has no role for.
pub const NO_ACCESS_MESSAGE: &str = "you have no role for this product";

/// The message of a wrong user name or password.
pub const WRONG_PASSWORD_MESSAGE: &str = "wrong user name or password";

/// The message of a request without a valid session.
pub const SIGN_IN_MESSAGE: &str = "sign in first: POST /api/session";

/// The message of a request without a valid session in reverse-proxy mode.
pub const PROXY_SIGN_IN_MESSAGE: &str =
    "no user: sign in through the reverse proxy (its user header is believed only from --trusted-proxies)";

/// Sign-in failures allowed per client address and per user name within [`FAILURE_WINDOW`].
pub const MAX_FAILURES: u32 = 5;
pub const FAILURE_WINDOW: Duration = Duration::from_secs(60);

/// Audit entries kept in memory for `GET /api/activity`.
pub const RECENT_ENTRIES: usize = 200;

const ROLES: [&str; 3] = ["viewer", "operator", "admin"];

/// What `--read-only` and sign-in decide.
#[derive(Debug)]
pub struct Security {
    pub read_only: bool,
    /// `none`: no sign-in (loopback, or `--insecure-no-auth`); `local`: `--users`; `proxy`:
    /// `--auth-proxy-header` from `--trusted-proxies`.
    pub mode: &'static str,
    /// `--users`: roles (and, in mode `local`, password hashes) by user name.
    users: HashMap<String, UserEntry>,
    /// Signs session cookies and CSRF tokens: `Some` whenever sign-in is on (local or proxy).
    pub key: Option<SessionKey>,
    /// Local sign-in (mode `local`).
    pub local: Option<LocalAuth>,
    /// Trusted reverse-proxy sign-in (mode `proxy`).
    pub proxy: Option<ProxyAuth>,
    /// No sign-in on a non-loopback `--listen` address (`--insecure-no-auth`): `Me.insecure`.
    pub insecure: bool,
}

/// One user of `--users`.
#[derive(Debug, Clone, Deserialize)]
pub struct UserEntry {
    pub user: String,
    /// argon2id, PHC string format (required for local sign-in; optional in proxy mode).
    #[serde(default)]
    pub hash: Option<String>,
    /// The role everywhere except the products of `products`; without it, the user sees only
    /// the products listed there.
    #[serde(default)]
    pub role: Option<String>,
    /// Product name (or `*`) -> role, overriding `role` for that product.
    #[serde(default)]
    pub products: BTreeMap<String, String>,
}

/// Local sign-in: the session lifetime and failures per address and user (rate limit).
#[derive(Debug)]
pub struct LocalAuth {
    pub ttl_secs: u64,
    failures: std::sync::Mutex<HashMap<String, (u32, Instant)>>,
}

/// Trusted reverse-proxy sign-in.
#[derive(Debug)]
pub struct ProxyAuth {
    /// The user header (lower case).
    pub header: String,
    pub role_header: Option<String>,
    pub trusted: Vec<Net>,
    pub default_role: String,
}

/// An address or CIDR of `--trusted-proxies`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Net {
    addr: IpAddr,
    prefix: u8,
}

impl Net {
    pub fn parse(s: &str) -> Option<Net> {
        let s = s.trim();
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a.parse::<IpAddr>().ok()?, Some(p.parse::<u8>().ok()?)),
            None => (s.parse::<IpAddr>().ok()?, None),
        };
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(max);
        (prefix <= max).then_some(Net { addr, prefix })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        match (self.addr, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

/// Who a request comes from, as [`Security::identify`] decides it.
#[derive(Debug, Clone)]
pub struct Identity {
    pub session: Session,
    /// `X-Forwarded-For` from a trusted proxy: the audit's `client`.
    pub client: Option<String>,
}

impl Security {
    pub fn from_args(args: &crate::config::Args) -> Result<Security, String> {
        let proxy = ProxyAuth::from_args(args)?;
        let users = match &args.users {
            None => HashMap::new(),
            Some(path) => load_users(path, proxy.is_none())?,
        };
        let auth = args.users.is_some() || proxy.is_some();
        let key = if !auth {
            None
        } else {
            Some(match &args.session_key_file {
                Some(p) => SessionKey::from_bytes(
                    std::fs::read(p)
                        .map_err(|e| format!("--session-key-file {}: {e}", p.display()))?,
                )
                .map_err(|e| format!("--session-key-file {}: {e}", p.display()))?,
                None => SessionKey::random()?,
            })
        };
        let local = (args.users.is_some() && proxy.is_none()).then(|| LocalAuth {
            ttl_secs: args.session_ttl,
            failures: std::sync::Mutex::new(HashMap::new()),
        });
        Ok(Security {
            read_only: args.read_only,
            mode: if proxy.is_some() {
                "proxy"
            } else if local.is_some() {
                "local"
            } else {
                "none"
            },
            users,
            key,
            insecure: local.is_none() && proxy.is_none() && !args.listen.ip().is_loopback(),
            local,
            proxy,
        })
    }

    /// The role every caller has while sign-in is off: `admin`, or `viewer` in read-only mode.
    pub fn anonymous_role(&self) -> &'static str {
        if self.read_only {
            "viewer"
        } else {
            "admin"
        }
    }

    /// Who sent a request with these headers from this TCP peer: the session cookie (mode
    /// `local`), or the user header when the peer is a trusted proxy (mode `proxy`). `None`:
    /// nobody (401). Used by the router's [`require_session`] and the bare event stream alike.
    pub fn identify(&self, peer: Option<SocketAddr>, headers: &HeaderMap) -> Option<Identity> {
        let key = self.key.as_ref()?;
        if let Some(proxy) = &self.proxy {
            let peer = peer?.ip();
            if !proxy.trusts(peer) {
                return None;
            }
            let user = headers.get(proxy.header.as_str())?.to_str().ok()?.trim();
            if user.is_empty() || user.len() > 255 || user.chars().any(char::is_control) {
                return None;
            }
            let from_header = proxy
                .role_header
                .as_ref()
                .and_then(|h| headers.get(h.as_str()))
                .and_then(|v| v.to_str().ok())
                .map(|r| r.trim().to_ascii_lowercase())
                .filter(|r| ROLES.contains(&r.as_str()));
            let role = from_header.unwrap_or_else(|| match self.users.get(user) {
                Some(e) => e.role.clone().unwrap_or_else(|| "none".into()),
                None => proxy.default_role.clone(),
            });
            let client = forwarded_client(headers, proxy);
            return Some(Identity {
                session: Session {
                    user: user.to_string(),
                    role,
                    expires: u64::MAX,
                    // The CSRF token derives from it: stable per user and key.
                    nonce: format!("proxy|{user}"),
                },
                client,
            });
        }
        let value = crate::session::cookie_value(headers)?;
        let session = key.verify(value, unix_now()).ok()?;
        Some(Identity {
            session,
            client: None,
        })
    }

    /// The role `caller` has for `product`; `None`: no role there (the product is hidden).
    pub fn role_in(&self, caller: &Caller, product: &str) -> Option<String> {
        if self.key.is_none() {
            return Some(self.anonymous_role().into());
        }
        let global = caller.role.clone()?;
        let role = self
            .users
            .get(&caller.user)
            .and_then(|e| e.products.get(product).or_else(|| e.products.get("*")))
            .cloned()
            .unwrap_or(global);
        ROLES.contains(&role.as_str()).then_some(role)
    }

    /// The per-product roles of `caller` over `products` (empty unless its `--users` entry has
    /// `"products"`).
    pub fn product_roles<'a>(
        &self,
        caller: &Caller,
        products: impl Iterator<Item = &'a str>,
    ) -> BTreeMap<String, String> {
        let has_map = self
            .users
            .get(&caller.user)
            .is_some_and(|e| !e.products.is_empty());
        if self.key.is_none() || !has_map {
            return BTreeMap::new();
        }
        products
            .filter_map(|p| Some((p.to_string(), self.role_in(caller, p)?)))
            .collect()
    }

    /// Checks a user's password (argon2id, on a blocking thread); rate-limited per address and
    /// per user. The session on success.
    pub async fn sign_in(
        &self,
        user: &str,
        password: &str,
        addr: Option<SocketAddr>,
    ) -> Result<Session, ApiError> {
        let (Some(local), Some(key)) = (&self.local, &self.key) else {
            return Err(ApiError::NotFound(
                "sign-in is off: codis-fe runs without --users".into(),
            ));
        };
        let keys = [
            format!(
                "addr:{}",
                addr.map_or_else(|| "-".into(), |a| a.ip().to_string())
            ),
            format!("user:{user}"),
        ];
        if local.limited(&keys) {
            return Err(ApiError::RateLimited(format!(
                "too many failed sign-ins: wait {} seconds",
                FAILURE_WINDOW.as_secs()
            )));
        }
        let entry = self.users.get(user).cloned();
        // An unknown user costs a verification too (against another user's hash), so timing
        // does not tell which names exist.
        let hash = entry
            .as_ref()
            .and_then(|u| u.hash.clone())
            .or_else(|| self.users.values().find_map(|u| u.hash.clone()));
        let password = password.to_string();
        let verified = tokio::task::spawn_blocking(move || {
            use argon2::PasswordVerifier as _;
            hash.is_some_and(|h| {
                argon2::PasswordHash::new(&h).is_ok_and(|h| {
                    argon2::Argon2::default()
                        .verify_password(password.as_bytes(), &h)
                        .is_ok()
                })
            })
        })
        .await
        .unwrap_or(false);
        match entry.filter(|_| verified) {
            Some(u) => {
                local.record(&keys, false);
                let role = u.role.as_deref().unwrap_or("none");
                key.new_session(&u.user, role, unix_now(), local.ttl_secs)
                    .map_err(ApiError::BadRequest)
            }
            None => {
                local.record(&keys, true);
                Err(ApiError::Unauthenticated(WRONG_PASSWORD_MESSAGE.into()))
            }
        }
    }
}

/// Reads `--users`. `need_hash`: local sign-in (every entry needs a password hash).
fn load_users(path: &Path, need_hash: bool) -> Result<HashMap<String, UserEntry>, String> {
    let text = std::fs::read(path).map_err(|e| format!("--users {}: {e}", path.display()))?;
    let list: Vec<UserEntry> = serde_json::from_slice(&text).map_err(|e| {
        format!(
            "--users {}: not a JSON array of {{user, hash, role, products}}: {e}",
            path.display()
        )
    })?;
    let mut map = HashMap::new();
    for u in list {
        let bad = |what: &str| format!("--users {}: user {:?}: {what}", path.display(), u.user);
        if u.role.is_none() && u.products.is_empty() {
            return Err(bad("give a role, or products with roles"));
        }
        let roles = u.role.iter().chain(u.products.values());
        if roles.clone().any(|r| !ROLES.contains(&r.as_str())) {
            return Err(bad("role must be viewer, operator or admin"));
        }
        match &u.hash {
            Some(h) if argon2::PasswordHash::new(h).is_err() => {
                return Err(bad(
                    "the hash is not a PHC string (make one with `codis-fe passwd`)",
                ))
            }
            None if need_hash => {
                return Err(bad(
                    "no hash: the hash is not a PHC string (make one with `codis-fe passwd`)",
                ))
            }
            _ => {}
        }
        map.insert(u.user.clone(), u);
    }
    Ok(map)
}

impl ProxyAuth {
    fn from_args(args: &crate::config::Args) -> Result<Option<ProxyAuth>, String> {
        let trusted: Vec<&String> = args
            .trusted_proxies
            .iter()
            .filter(|t| !t.trim().is_empty())
            .collect();
        let Some(header) = &args.auth_proxy_header else {
            if !trusted.is_empty() {
                return Err("--trusted-proxies needs --auth-proxy-header (CODIS_FE_AUTH_PROXY_HEADER): the header carrying the user name".into());
            }
            if args.auth_proxy_role_header.is_some() {
                return Err("--auth-proxy-role-header needs --auth-proxy-header (CODIS_FE_AUTH_PROXY_HEADER) and --trusted-proxies".into());
            }
            return Ok(None);
        };
        if trusted.is_empty() {
            return Err("--auth-proxy-header needs --trusted-proxies (CODIS_FE_TRUSTED_PROXIES): the addresses or CIDRs of the reverse proxies whose headers are believed".into());
        }
        let name = |flag: &str, h: &str| {
            axum::http::HeaderName::from_bytes(h.trim().as_bytes())
                .map(|n| n.as_str().to_string())
                .map_err(|_| format!("{flag}: {h:?} is not a header name"))
        };
        let trusted = trusted
            .into_iter()
            .map(|t| {
                Net::parse(t).ok_or_else(|| {
                    format!("--trusted-proxies: {t:?} is not an IP address or CIDR (10.0.0.0/8)")
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Some(ProxyAuth {
            header: name("--auth-proxy-header", header)?,
            role_header: args
                .auth_proxy_role_header
                .as_deref()
                .map(|h| name("--auth-proxy-role-header", h))
                .transpose()?,
            trusted,
            default_role: args.auth_proxy_default_role.clone(),
        }))
    }

    pub fn trusts(&self, ip: IpAddr) -> bool {
        self.trusted.iter().any(|n| n.contains(ip))
    }
}

/// The client behind a trusted proxy: the right-most `X-Forwarded-For` address that is not a
/// trusted proxy itself (the ones to its left could be forged by the client).
fn forwarded_client(headers: &HeaderMap, proxy: &ProxyAuth) -> Option<String> {
    let list: Vec<String> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    list.iter()
        .rev()
        .find(|s| s.parse::<IpAddr>().map_or(true, |ip| !proxy.trusts(ip)))
        .or_else(|| list.first())
        .map(|s| s.chars().take(64).collect())
}

impl LocalAuth {
    /// Whether `key` (`addr:…` or `user:…`) has used up its failures.
    fn limited(&self, keys: &[String]) -> bool {
        let mut f = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        f.retain(|_, (_, since)| since.elapsed() < FAILURE_WINDOW);
        keys.iter()
            .any(|k| f.get(k).is_some_and(|(n, _)| *n >= MAX_FAILURES))
    }

    fn record(&self, keys: &[String], failed: bool) {
        let mut f = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        for k in keys {
            if failed {
                f.entry(k.clone()).or_insert((0, Instant::now())).0 += 1;
            } else {
                f.remove(k);
            }
        }
    }
}

/// An argon2id PHC hash of `password` with the crate's default (OWASP) parameters.
pub fn hash_password(password: &str) -> Result<String, String> {
    use argon2::password_hash::{PasswordHasher as _, SaltString};
    let mut salt = [0u8; 16];
    getrandom::getrandom(&mut salt).map_err(|e| e.to_string())?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs()
}

/// A valid session, put in the request's extensions by [`require_session`].
#[derive(Debug, Clone)]
pub struct SignedIn(pub Session);

/// The client address a trusted proxy reported (`X-Forwarded-For`), put in the extensions by
/// [`require_session`].
#[derive(Debug, Clone)]
pub struct ForwardedClient(pub String);

/// Put in the extensions of a state-changing request whose CSRF token is missing or wrong: the
/// action handlers refuse it (and audit the refusal) in [`crate::state::AppState::check_allowed`].
#[derive(Debug, Clone, Copy)]
pub struct CsrfFailed;

/// Whether a request needs a session when sign-in is on: the API, `/list`, `/metrics` and
/// `?forward=`; not `/healthz`, `/readyz`, sign-in itself, or the console's files.
fn needs_session(uri: &axum::http::Uri) -> bool {
    let path = uri.path();
    if path == "/api/session" {
        return false;
    }
    path.starts_with("/api/")
        || path == "/list"
        || path == "/metrics"
        || forward_product(uri).is_some()
}

/// The `?forward=` product of a request.
pub fn forward_product(uri: &axum::http::Uri) -> Option<String> {
    uri.query()?.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == "forward").then(|| v.to_string())
    })
}

/// The product a request is about: `/api/products/{product}/…` (percent-decoded, as the
/// router's `Path` sees it) or `?forward=`.
pub fn product_of(uri: &axum::http::Uri) -> Option<String> {
    if let Some(p) = forward_product(uri) {
        return Some(p);
    }
    let seg = uri
        .path()
        .strip_prefix("/api/products/")?
        .split('/')
        .next()?;
    (!seg.is_empty()).then(|| percent_decode(seg))
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(v) =
                u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or(""), 16)
            {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn is_safe(method: &axum::http::Method) -> bool {
    matches!(
        *method,
        axum::http::Method::GET | axum::http::Method::HEAD | axum::http::Method::OPTIONS
    )
}

/// The action name and parameters of a state-changing request refused before its handler ran
/// (the body is not read): `action` for the actions route, the rebalance names, the action a
/// `?forward=` path maps to, else `request` with its method and (xauth-redacted) path.
fn refused_request(
    method: &axum::http::Method,
    uri: &axum::http::Uri,
) -> (String, serde_json::Value) {
    let path = uri.path();
    let plain = || {
        serde_json::json!({
            "method": method.as_str(),
            "path": crate::dashboard::redact_path(path),
        })
    };
    if forward_product(uri).is_some() {
        return match codis_model::Action::from_dashboard_path(method.as_str(), path) {
            Some((a, _)) => (
                a.name().into(),
                serde_json::to_value(&a).unwrap_or_default(),
            ),
            None => ("forward".into(), plain()),
        };
    }
    if path.ends_with("/actions") {
        ("action".into(), serde_json::Value::Null)
    } else if path.ends_with("/rebalance/preview") {
        ("slots-rebalance-preview".into(), serde_json::Value::Null)
    } else if path.ends_with("/rebalance/apply") {
        ("slots-rebalance".into(), serde_json::Value::Null)
    } else {
        ("request".into(), plain())
    }
}

/// Audits a state-changing request refused before its handler (401, 403 for a hidden product,
/// 413), before the refusal is answered.
async fn audit_refused(
    app: &crate::state::AppState,
    caller: &Caller,
    method: &axum::http::Method,
    uri: &axum::http::Uri,
    started: Instant,
    err: &ApiError,
) {
    let product = product_of(uri).unwrap_or_else(|| "-".into());
    let (action, params) = refused_request(method, uri);
    let mut attempt = Attempt::new(caller, &product, &action);
    attempt.params = params;
    attempt.started = started;
    app.record(&attempt, Err(err)).await;
}

/// Middleware (outside `?forward=`): with sign-in on, 401 without a valid session cookie (or,
/// in proxy mode, without the user header from a trusted proxy), 403 for a product the caller
/// has no role for; marks state-changing requests whose `X-CSRF-Token` is missing or wrong.
/// Refused state-changing requests are audited here.
pub async fn require_session(
    axum::extract::State(app): axum::extract::State<std::sync::Arc<crate::state::AppState>>,
    mut req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse as _;
    let started = Instant::now();
    let Some(key) = &app.security.key else {
        return next.run(req).await;
    };
    if !needs_session(req.uri()) {
        return next.run(req).await;
    }
    let safe = is_safe(req.method());
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    let Some(id) = app.security.identify(peer, req.headers()) else {
        let err = ApiError::Unauthenticated(
            if app.security.proxy.is_some() {
                PROXY_SIGN_IN_MESSAGE
            } else {
                SIGN_IN_MESSAGE
            }
            .into(),
        );
        if !safe {
            let caller = Caller::unknown(peer);
            audit_refused(&app, &caller, req.method(), req.uri(), started, &err).await;
        }
        return err.into_response();
    };
    if !safe {
        let token_ok = req
            .headers()
            .get("x-csrf-token")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| key.check_csrf(&id.session, t));
        if !token_ok {
            req.extensions_mut().insert(CsrfFailed);
        }
    }
    req.extensions_mut().insert(SignedIn(id.session));
    if let Some(c) = id.client {
        req.extensions_mut().insert(ForwardedClient(c));
    }
    if req.uri().path() == "/metrics" {
        // Series are labelled by product: only for callers who may see every product.
        let caller = Caller::from_extensions(req.extensions());
        let products = app.registry.snapshot().products;
        if products
            .iter()
            .any(|p| app.security.role_in(&caller, &p.name).is_none())
        {
            return ApiError::Forbidden(
                "the metrics cover every product: only for users with a role on all of them".into(),
            )
            .into_response();
        }
    }
    if let Some(product) = product_of(req.uri()) {
        let caller = Caller::from_extensions(req.extensions());
        if app.security.role_in(&caller, &product).is_none() {
            let err = ApiError::Forbidden(NO_ACCESS_MESSAGE.into());
            if !safe {
                audit_refused(&app, &caller, req.method(), req.uri(), started, &err).await;
            }
            return err.into_response();
        }
    }
    next.run(req).await
}

/// Middleware outside the body-size limit: audits a state-changing request refused with 413
/// (`too_large`) by the limit layer, which answers before any handler runs.
pub async fn audit_too_large(
    axum::extract::State(app): axum::extract::State<std::sync::Arc<crate::state::AppState>>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    if is_safe(req.method()) {
        return next.run(req).await;
    }
    let started = Instant::now();
    let method = req.method().clone();
    let uri = req.uri().clone();
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    let id = app.security.identify(peer, req.headers());
    let resp = next.run(req).await;
    if resp.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        let caller = match id {
            Some(id) => Caller::from_identity(id, peer),
            None if app.security.key.is_some() => Caller::unknown(peer),
            None => Caller::anonymous(peer),
        };
        let err = ApiError::TooLarge(format!(
            "the request body is larger than {} bytes",
            crate::server::MAX_REQUEST_BODY
        ));
        audit_refused(&app, &caller, &method, &uri, started, &err).await;
    }
    resp
}

/// Who made a request: the signed-in user (`anonymous` without sign-in) and the peer address.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: String,
    /// The signed-in user's role (everywhere but its per-product roles); `None` without sign-in.
    pub role: Option<String>,
    pub addr: Option<SocketAddr>,
    /// `X-Forwarded-For` from a trusted proxy.
    pub forwarded: Option<String>,
    pub session: Option<Session>,
    pub csrf_failed: bool,
}

impl Caller {
    /// From a request's extensions: [`crate::server::serve`] inserts the peer as `ConnectInfo`,
    /// [`require_session`] the session.
    pub fn from_extensions(ext: &axum::http::Extensions) -> Caller {
        let session = ext.get::<SignedIn>().map(|s| s.0.clone());
        Caller {
            user: session
                .as_ref()
                .map_or_else(|| "anonymous".into(), |s| s.user.clone()),
            role: session.as_ref().map(|s| s.role.clone()),
            addr: ext.get::<ConnectInfo<SocketAddr>>().map(|c| c.0),
            forwarded: ext.get::<ForwardedClient>().map(|c| c.0.clone()),
            session,
            csrf_failed: ext.get::<CsrfFailed>().is_some(),
        }
    }

    /// A caller [`Security::identify`] recognised.
    pub fn from_identity(id: Identity, addr: Option<SocketAddr>) -> Caller {
        Caller {
            user: id.session.user.clone(),
            role: Some(id.session.role.clone()),
            addr,
            forwarded: id.client,
            session: Some(id.session),
            csrf_failed: false,
        }
    }

    /// Nobody: sign-in is on and there is no valid session (audited as user `-`).
    pub fn unknown(addr: Option<SocketAddr>) -> Caller {
        Caller {
            user: "-".into(),
            role: None,
            addr,
            forwarded: None,
            session: None,
            csrf_failed: false,
        }
    }

    /// Everyone while sign-in is off.
    pub fn anonymous(addr: Option<SocketAddr>) -> Caller {
        Caller {
            user: "anonymous".into(),
            ..Caller::unknown(addr)
        }
    }

    /// The audit's `client`: `X-Forwarded-For` from a trusted proxy, else the TCP peer.
    pub fn client(&self) -> String {
        match (&self.forwarded, self.addr) {
            (Some(f), _) => f.clone(),
            (None, Some(a)) => a.to_string(),
            (None, None) => "-".into(),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Caller::from_extensions(&parts.extensions))
    }
}

/// `--audit-log`: a file opened in append mode; each line is written and flushed under a lock
/// before the response leaves.
pub struct AuditLog {
    file: tokio::sync::Mutex<tokio::fs::File>,
}

impl AuditLog {
    pub async fn open(path: &Path) -> Result<AuditLog, String> {
        let file = tokio::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .await
            .map_err(|e| format!("--audit-log {}: {e}", path.display()))?;
        Ok(AuditLog {
            file: tokio::sync::Mutex::new(file),
        })
    }

    pub async fn write(&self, entry: &AuditEntry) {
        let mut line = match serde_json::to_vec(entry) {
            Ok(l) => l,
            Err(e) => {
                tracing::error!("audit: cannot encode an entry: {e}");
                return;
            }
        };
        line.push(b'\n');
        let mut file = self.file.lock().await;
        let written = async {
            file.write_all(&line).await?;
            file.flush().await?;
            file.sync_data().await
        }
        .await;
        if let Err(e) = written {
            tracing::error!(
                action = entry.action,
                product = entry.product,
                "audit: cannot write the audit log: {e}"
            );
        }
    }
}

/// The last [`RECENT_ENTRIES`] audit entries, newest last (`GET /api/activity`).
#[derive(Default)]
pub struct Recent(std::sync::Mutex<VecDeque<AuditEntry>>);

impl Recent {
    pub fn push(&self, entry: AuditEntry) {
        let mut q = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if q.len() >= RECENT_ENTRIES {
            q.pop_front();
        }
        q.push_back(entry);
    }

    /// Newest first, those `keep` accepts, at most `limit`.
    pub fn newest(&self, limit: usize, keep: impl Fn(&AuditEntry) -> bool) -> Vec<AuditEntry> {
        let q = self.0.lock().unwrap_or_else(|e| e.into_inner());
        q.iter()
            .rev()
            .filter(|e| keep(e))
            .take(limit)
            .cloned()
            .collect()
    }
}

/// An action attempt being timed, to be recorded with [`crate::state::AppState::audit`].
pub struct Attempt<'a> {
    pub caller: &'a Caller,
    pub product: &'a str,
    pub action: &'a str,
    pub params: serde_json::Value,
    pub started: Instant,
    /// The status of success (200; 204 for sign-out).
    pub ok_status: u16,
}

impl<'a> Attempt<'a> {
    pub fn new(caller: &'a Caller, product: &'a str, action: &'a str) -> Attempt<'a> {
        Attempt {
            caller,
            product,
            action,
            params: serde_json::Value::Null,
            started: Instant::now(),
            ok_status: 200,
        }
    }

    /// The entry for this outcome; refusals by read-only, CSRF, role and password are told
    /// apart from other errors of the same kind.
    pub fn entry(&self, role: &str, result: Result<(), &ApiError>) -> AuditEntry {
        let (outcome, status, message) = match result {
            Ok(()) => ("allowed", self.ok_status, None),
            Err(e) => {
                let (status, kind) = e.status_and_kind();
                let msg = e.to_string();
                let kind = match msg.as_str() {
                    READ_ONLY_MESSAGE => "read_only",
                    CSRF_MESSAGE => "csrf_refused",
                    VIEWER_MESSAGE | ADMIN_MESSAGE | NO_ACCESS_MESSAGE => "role_refused",
                    WRONG_PASSWORD_MESSAGE => "wrong_password",
                    _ => kind,
                };
                (kind, status.as_u16(), Some(msg))
            }
        };
        AuditEntry {
            time: rfc3339(SystemTime::now()),
            user: self.caller.user.clone(),
            role: role.into(),
            client: self.caller.client(),
            product: self.product.into(),
            action: self.action.into(),
            params: self.params.clone(),
            outcome: outcome.into(),
            status,
            message,
            duration_ms: self.started.elapsed().as_millis() as u64,
        }
    }
}

/// `2026-11-25T15:07:47.123Z`.
pub fn rfc3339(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, day) = civil_from_days(days as i64);
    format!(
        "{y:04}-{m:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        d.subsec_millis()
    )
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn trusted_proxies_are_addresses_or_cidrs_and_mapped_ipv6_counts_as_ipv4() {
        let net = Net::parse("10.1.0.0/16").expect("cidr");
        assert!(net.contains("10.1.200.3".parse().expect("ip")));
        assert!(!net.contains("10.2.0.1".parse().expect("ip")));
        assert!(net.contains("::ffff:10.1.0.9".parse().expect("ip")));
        let one = Net::parse("127.0.0.1").expect("address");
        assert!(one.contains("127.0.0.1".parse().expect("ip")));
        assert!(!one.contains("127.0.0.2".parse().expect("ip")));
        assert!(Net::parse("0.0.0.0/0")
            .expect("all")
            .contains("203.0.113.1".parse().expect("ip")));
        let v6 = Net::parse("fd00::/8").expect("v6");
        assert!(v6.contains("fd12::1".parse().expect("ip")));
        assert!(!v6.contains("10.0.0.1".parse().expect("ip")));
        for bad in ["10.0.0.0/33", "proxy.local", "10.0.0.0/", "::/129"] {
            assert_eq!(Net::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_forwarded_client_is_the_rightmost_untrusted_address() {
        let proxy = ProxyAuth {
            header: "x-remote-user".into(),
            role_header: None,
            trusted: vec![Net::parse("10.0.0.0/8").expect("cidr")],
            default_role: "viewer".into(),
        };
        let mut h = HeaderMap::new();
        assert_eq!(forwarded_client(&h, &proxy), None);
        h.insert(
            "x-forwarded-for",
            "1.2.3.4, 198.51.100.7, 10.0.0.2".parse().expect("header"),
        );
        assert_eq!(
            forwarded_client(&h, &proxy).as_deref(),
            Some("198.51.100.7")
        );
        h.insert(
            "x-forwarded-for",
            "10.0.0.3, 10.0.0.2".parse().expect("header"),
        );
        assert_eq!(forwarded_client(&h, &proxy).as_deref(), Some("10.0.0.3"));
    }

    #[test]
    fn product_paths_are_decoded_as_the_router_decodes_them() {
        let uri = |s: &str| s.parse::<axum::http::Uri>().expect("uri");
        assert_eq!(
            product_of(&uri("/api/products/codis%2Db/stats")).as_deref(),
            Some("codis-b")
        );
        assert_eq!(
            product_of(&uri("/topom?forward=codis-a")).as_deref(),
            Some("codis-a")
        );
        assert_eq!(product_of(&uri("/api/products")), None);
        assert_eq!(product_of(&uri("/api/me")), None);
    }

    #[test]
    fn times_are_rfc3339_utc() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        let t = UNIX_EPOCH + Duration::from_millis(1_709_210_096_789); // leap day 2024
        assert_eq!(rfc3339(t), "2024-02-29T12:34:56.789Z");
        let t = UNIX_EPOCH + Duration::from_secs(951_868_800); // 2000-03-01
        assert_eq!(rfc3339(t), "2000-03-01T00:00:00.000Z");
    }
}
