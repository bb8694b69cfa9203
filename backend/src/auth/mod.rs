//! Sign-in and roles: `--read-only`, who the caller is (local sign-in with `--users`, or a
//! trusted reverse proxy's header), roles (per product too), the session check and the sign-in
//! rate limit. The audit trail itself is [`crate::audit`].
//!
//! - [`users`]: the users file and the roles it grants;
//! - [`proxy`]: the identity a trusted reverse proxy vouches for;
//! - [`rate_limit`]: failed sign-ins per address and per user;
//! - [`password`]: the bounded pool of password checks;
//! - [`revocation`]: signed-out sessions, shared by the replicas;
//! - [`caller`]: who made a request, as handlers see it;
//! - [`attempt`]: an action attempt and its audit entry;
//! - [`middleware`]: the router's session check and the audit of refusals before handlers.
//!
//! This module depends on neither `state` nor `server`: the middlewares reach the application
//! through [`AuthApp`].

pub mod attempt;
pub mod caller;
pub mod middleware;
pub mod password;
pub mod proxy;
pub mod rate_limit;
pub mod revocation;
pub mod users;

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::http::HeaderMap;

pub use attempt::Attempt;
pub use caller::{Caller, CsrfFailed, ForwardedClient, Identity, SignedIn};
pub use middleware::{audit_early_refusals, forward_product, product_of, require_session, AuthApp};
pub use password::PasswordChecks;
pub use proxy::ProxyAuth;
pub use rate_limit::{RateLimit, FAILURE_WINDOW, MAX_FAILURES};
pub use revocation::Revocations;
pub use users::{hash_password, UserEntry, ROLES};

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

/// The message of a sign-in refused because every password check is busy.
pub const BUSY_MESSAGE: &str = "too many sign-ins are being checked at once: try again in a second";

/// The message of a request without a valid session in reverse-proxy mode.
pub const PROXY_SIGN_IN_MESSAGE: &str =
    "no user: sign in through the reverse proxy (its user header is believed only from --trusted-proxies)";

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

/// Local sign-in: the session lifetime, failures per address and user (rate limit), the pool
/// of password checks and the signed-out sessions.
#[derive(Debug)]
pub struct LocalAuth {
    pub ttl_secs: u64,
    failures: RateLimit,
    pub checks: PasswordChecks,
    pub revoked: std::sync::Arc<Revocations>,
}

/// Why a request has no identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoIdentity {
    /// No (valid) session, or a proxy header from an untrusted peer: 401.
    Missing,
    /// A malformed identity (two user headers from the proxy): 400, with this message.
    Ambiguous(String),
}

/// Prefixes wider than this need `--trusted-proxies-i-know`.
const WIDEST_TRUSTED_V4: u8 = 8;
const WIDEST_TRUSTED_V6: u8 = 32;

impl Security {
    pub fn from_args(args: &crate::config::Args) -> Result<Security, String> {
        let proxy = ProxyAuth::from_args(args)?;
        let users = match &args.users {
            None => HashMap::new(),
            Some(path) => users::load_users(path, proxy.is_none())?,
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
        if let Some(proxy) = &proxy {
            if !args.trusted_proxies_i_know {
                if let Some(wide) = proxy.trusted.iter().find(|n| match n {
                    ipnet::IpNet::V4(n) => n.prefix_len() < WIDEST_TRUSTED_V4,
                    ipnet::IpNet::V6(n) => n.prefix_len() < WIDEST_TRUSTED_V6,
                }) {
                    return Err(format!(
                        "--trusted-proxies: {wide} is wider than /{WIDEST_TRUSTED_V4} (IPv6: /{WIDEST_TRUSTED_V6}): any host in it could sign in as anyone; list the proxies' addresses, or pass --trusted-proxies-i-know (CODIS_FE_TRUSTED_PROXIES_I_KNOW) if that is meant"
                    ));
                }
            }
        }
        let local = if args.users.is_some() && proxy.is_none() {
            Some(LocalAuth {
                ttl_secs: args.session_ttl,
                failures: RateLimit::default(),
                checks: PasswordChecks::per_core(),
                revoked: revocations(args)?,
            })
        } else {
            None
        };
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
        self.check_identity(peer, headers).ok()
    }

    /// [`Security::identify`], telling a missing identity from an ambiguous one.
    pub fn check_identity(
        &self,
        peer: Option<SocketAddr>,
        headers: &HeaderMap,
    ) -> Result<Identity, NoIdentity> {
        let key = self.key.as_ref().ok_or(NoIdentity::Missing)?;
        if let Some(proxy) = &self.proxy {
            let peer = peer.ok_or(NoIdentity::Missing)?.ip();
            if !proxy.trusts(peer) {
                return Err(NoIdentity::Missing);
            }
            for h in std::iter::once(&proxy.header).chain(&proxy.role_header) {
                if headers.get_all(h.as_str()).iter().nth(1).is_some() {
                    return Err(NoIdentity::Ambiguous(format!(
                        "the reverse proxy sent {h} more than once: it must send exactly one"
                    )));
                }
            }
            self.proxy_identity(proxy, headers)
                .ok_or(NoIdentity::Missing)
        } else {
            let value = crate::session::cookie_value(headers).ok_or(NoIdentity::Missing)?;
            let now = unix_now();
            let session = key.verify(value, now).map_err(|_| NoIdentity::Missing)?;
            if self
                .local
                .as_ref()
                .is_some_and(|l| l.revoked.is_revoked(&session, now))
            {
                return Err(NoIdentity::Missing);
            }
            Ok(Identity {
                session,
                client: None,
            })
        }
    }

    fn proxy_identity(&self, proxy: &ProxyAuth, headers: &HeaderMap) -> Option<Identity> {
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
        let client = proxy::forwarded_client(headers, proxy);
        Some(Identity {
            session: Session {
                user: user.to_string(),
                role,
                expires: u64::MAX,
                // The CSRF token derives from it: stable per user and key.
                nonce: format!("proxy|{user}"),
            },
            client,
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
        // The attempt is counted (reserved) under the same lock as the check, before its
        // password is: parallel attempts cannot all pass the check before one is counted. Then a
        // place in the pool of password checks, or 503 at once; an attempt that could not be
        // checked stays counted, so a flood gains nothing by keeping the pool busy.
        if !local.failures.reserve(&keys) {
            return Err(ApiError::RateLimited(format!(
                "too many failed sign-ins: wait {} seconds",
                FAILURE_WINDOW.as_secs()
            )));
        }
        let permit = local
            .checks
            .try_acquire()
            .ok_or_else(|| ApiError::Busy(BUSY_MESSAGE.into()))?;
        let entry = self.users.get(user).cloned();
        // An unknown user costs a verification too (against another user's hash), so timing
        // does not tell which names exist.
        let hash = entry
            .as_ref()
            .and_then(|u| u.hash.clone())
            .or_else(|| self.users.values().find_map(|u| u.hash.clone()));
        let verified = permit.verify(hash, password.to_string()).await;
        match entry.filter(|_| verified) {
            Some(u) => {
                local.failures.succeeded(&keys);
                let role = u.role.as_deref().unwrap_or("none");
                key.new_session(&u.user, role, unix_now(), local.ttl_secs)
                    .map_err(ApiError::BadRequest)
            }
            None => Err(ApiError::Unauthenticated(WRONG_PASSWORD_MESSAGE.into())),
        }
    }

    /// Signs a local session out: refused from now on, here and on the replicas sharing the
    /// revocation file. (Proxy mode has nothing to revoke: the proxy decides who is signed in.)
    pub fn revoke(&self, session: &Session) {
        if let Some(local) = &self.local {
            local.revoked.revoke(session, unix_now());
        }
    }

    /// Resolves when `session` expires or is signed out (never for a proxy identity): what
    /// ends an open event stream.
    pub async fn session_end(&self, session: Option<Session>) {
        let (Some(local), Some(session)) = (&self.local, session) else {
            return std::future::pending().await;
        };
        let mut changes = local.revoked.subscribe();
        loop {
            let now = unix_now();
            if now >= session.expires || local.revoked.is_revoked(&session, now) {
                return;
            }
            // Woken at expiry, or by a sign-out: here at once, a replica's once
            // `Revocations::watch` has read it from the shared file (within a second).
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(session.expires - now)) => {}
                _ = changes.changed() => {}
            }
        }
    }
}

/// The revocation list: shared through `--revoked-sessions-file`, or `KEYFILE.revoked` next to
/// `--session-key-file` when it can be written; else this process's own.
fn revocations(args: &crate::config::Args) -> Result<std::sync::Arc<Revocations>, String> {
    let now = unix_now();
    let shared = if let Some(path) = &args.revoked_sessions_file {
        Revocations::shared(path, now).map_err(|e| format!("--revoked-sessions-file {e}"))?
    } else if let Some(key) = &args.session_key_file {
        let mut path = key.clone().into_os_string();
        path.push(".revoked");
        match Revocations::shared(std::path::Path::new(&path), now) {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!("signed-out sessions are known to this replica only: {e} (give --revoked-sessions-file)");
                return Ok(std::sync::Arc::new(Revocations::in_memory()));
            }
        }
    } else {
        return Ok(std::sync::Arc::new(Revocations::in_memory()));
    };
    let shared = std::sync::Arc::new(shared);
    if let Ok(rt) = tokio::runtime::Handle::try_current() {
        rt.spawn(Revocations::watch(std::sync::Arc::downgrade(&shared)));
    }
    Ok(shared)
}

pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs()
}
