//! Security state shared by the handlers: `--read-only`, who the caller is, and the audit log
//! (`--audit-log`), local sign-in (`--users`) and the session check.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use serde::{Deserialize, Serialize};
use tokio::io::AsyncWriteExt;

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

/// Sign-in failures allowed per client address and per user name within [`FAILURE_WINDOW`].
pub const MAX_FAILURES: u32 = 5;
pub const FAILURE_WINDOW: Duration = Duration::from_secs(60);

/// What `--read-only` and sign-in decide.
#[derive(Debug)]
pub struct Security {
    pub read_only: bool,
    /// `none`: no sign-in (loopback, or `--insecure-no-auth`); `local`: `--users`.
    pub mode: &'static str,
    /// `--users`: local users and the session key.
    pub local: Option<LocalAuth>,
    /// No sign-in on a non-loopback `--listen` address (`--insecure-no-auth`): `Me.insecure`.
    pub insecure: bool,
}

/// One user of `--users`.
#[derive(Debug, Clone, Deserialize)]
pub struct UserEntry {
    pub user: String,
    /// argon2id, PHC string format.
    pub hash: String,
    pub role: String,
}

/// Local sign-in: users, the session key, failures per address and user (rate limit).
#[derive(Debug)]
pub struct LocalAuth {
    users: HashMap<String, UserEntry>,
    pub key: SessionKey,
    pub ttl_secs: u64,
    failures: std::sync::Mutex<HashMap<String, (u32, Instant)>>,
}

impl Security {
    pub fn from_args(args: &crate::config::Args) -> Result<Security, String> {
        let local = match &args.users {
            None => None,
            Some(path) => Some(LocalAuth::load(
                path,
                args.session_key_file.as_deref(),
                args.session_ttl,
            )?),
        };
        Ok(Security {
            read_only: args.read_only,
            mode: if local.is_some() { "local" } else { "none" },
            insecure: local.is_none() && !args.listen.ip().is_loopback(),
            local,
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

    /// The session carried by a `Cookie` header value, when sign-in is on and it is valid.
    pub fn session_from_cookie(&self, cookie_header: &str) -> Option<Session> {
        let local = self.local.as_ref()?;
        let value = cookie_header.split(';').find_map(|c| {
            c.trim()
                .strip_prefix(crate::session::COOKIE)?
                .strip_prefix('=')
        })?;
        local.key.verify(value, unix_now()).ok()
    }
}

impl LocalAuth {
    fn load(users: &Path, key_file: Option<&Path>, ttl_secs: u64) -> Result<LocalAuth, String> {
        let text = std::fs::read(users).map_err(|e| format!("--users {}: {e}", users.display()))?;
        let list: Vec<UserEntry> = serde_json::from_slice(&text).map_err(|e| {
            format!(
                "--users {}: not a JSON array of {{user, hash, role}}: {e}",
                users.display()
            )
        })?;
        let mut map = HashMap::new();
        for u in list {
            if !["viewer", "operator", "admin"].contains(&u.role.as_str()) {
                return Err(format!(
                    "--users {}: user {:?}: role must be viewer, operator or admin",
                    users.display(),
                    u.user
                ));
            }
            if argon2::PasswordHash::new(&u.hash).is_err() {
                return Err(format!(
                    "--users {}: user {:?}: the hash is not a PHC string (make one with `codis-fe passwd`)",
                    users.display(),
                    u.user
                ));
            }
            map.insert(u.user.clone(), u);
        }
        let key = match key_file {
            Some(p) => SessionKey::from_bytes(
                std::fs::read(p).map_err(|e| format!("--session-key-file {}: {e}", p.display()))?,
            )
            .map_err(|e| format!("--session-key-file {}: {e}", p.display()))?,
            None => SessionKey::random()?,
        };
        Ok(LocalAuth {
            users: map,
            key,
            ttl_secs,
            failures: std::sync::Mutex::new(HashMap::new()),
        })
    }

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

    /// Checks a user's password (argon2id, on a blocking thread); rate-limited per address and
    /// per user. The session on success.
    pub async fn sign_in(
        &self,
        user: &str,
        password: &str,
        addr: Option<SocketAddr>,
    ) -> Result<Session, ApiError> {
        let keys = [
            format!(
                "addr:{}",
                addr.map_or_else(|| "-".into(), |a| a.ip().to_string())
            ),
            format!("user:{user}"),
        ];
        if self.limited(&keys) {
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
            .or_else(|| self.users.values().next())
            .map(|u| u.hash.clone());
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
                self.record(&keys, false);
                self.key
                    .new_session(&u.user, &u.role, unix_now(), self.ttl_secs)
                    .map_err(ApiError::BadRequest)
            }
            None => {
                self.record(&keys, true);
                Err(ApiError::Unauthenticated(
                    "wrong user name or password".into(),
                ))
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
        || uri
            .query()
            .is_some_and(|q| q.split('&').any(|p| p.starts_with("forward=")))
}

/// Middleware (outside `?forward=`): with `--users`, 401 without a valid session cookie; marks
/// state-changing requests whose `X-CSRF-Token` is missing or wrong.
pub async fn require_session(
    axum::extract::State(app): axum::extract::State<std::sync::Arc<crate::state::AppState>>,
    mut req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse as _;
    let Some(local) = &app.security.local else {
        return next.run(req).await;
    };
    if !needs_session(req.uri()) {
        return next.run(req).await;
    }
    let session = crate::session::cookie_value(req.headers())
        .and_then(|v| local.key.verify(v, unix_now()).ok());
    let Some(session) = session else {
        return ApiError::Unauthenticated("sign in first: POST /api/session".into())
            .into_response();
    };
    let safe = matches!(
        *req.method(),
        axum::http::Method::GET | axum::http::Method::HEAD | axum::http::Method::OPTIONS
    );
    if !safe {
        let token_ok = req
            .headers()
            .get("x-csrf-token")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| local.key.check_csrf(&session, t));
        if !token_ok {
            req.extensions_mut().insert(CsrfFailed);
        }
    }
    req.extensions_mut().insert(SignedIn(session));
    next.run(req).await
}

/// Who made a request: the signed-in user (`anonymous` without sign-in) and the peer address.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: String,
    /// The signed-in user's role; `None` without sign-in.
    pub role: Option<String>,
    pub addr: Option<SocketAddr>,
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
            session,
            csrf_failed: ext.get::<CsrfFailed>().is_some(),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Caller::from_extensions(&parts.extensions))
    }
}

/// One line of the audit log.
#[derive(Debug, Serialize)]
pub struct AuditEntry<'a> {
    /// RFC 3339, UTC, milliseconds.
    pub time: String,
    pub user: &'a str,
    pub role: &'a str,
    /// The peer address (`-` when unknown).
    pub client: String,
    pub product: &'a str,
    /// The action's name (`slots-rebalance` for the rebalance routes, `forward` for a refused
    /// `?forward=` request that is not an action).
    pub action: &'a str,
    /// The action's parameters: the `Action` JSON (xauth never appears in it).
    pub params: serde_json::Value,
    /// `allowed`, or why not: `read_only`, or the API error kind (`invalid_input`,
    /// `dashboard_refused`, `dashboard_timeout`, `conflict`, `forbidden`, …).
    pub outcome: &'a str,
    /// The HTTP status answered.
    pub status: u16,
    /// The dashboard's (or our) message when refused or failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    pub duration_ms: u64,
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

    pub async fn write(&self, entry: &AuditEntry<'_>) {
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

/// An action attempt being timed, to be recorded with [`crate::state::AppState::audit`].
pub struct Attempt<'a> {
    pub caller: &'a Caller,
    pub product: &'a str,
    pub action: &'a str,
    pub params: serde_json::Value,
    pub started: Instant,
}

impl<'a> Attempt<'a> {
    pub fn new(caller: &'a Caller, product: &'a str, action: &'a str) -> Attempt<'a> {
        Attempt {
            caller,
            product,
            action,
            params: serde_json::Value::Null,
            started: Instant::now(),
        }
    }

    /// The entry for this outcome; `read_only` refusals are told apart from other 403s.
    pub fn entry(&self, role: &'a str, result: Result<(), &ApiError>) -> AuditEntry<'_> {
        let (outcome, status, message) = match result {
            Ok(()) => ("allowed", 200, None),
            Err(e) => {
                let (status, kind) = e.status_and_kind();
                let msg = e.to_string();
                let kind = match msg.as_str() {
                    READ_ONLY_MESSAGE => "read_only",
                    CSRF_MESSAGE => "csrf_refused",
                    VIEWER_MESSAGE => "role_refused",
                    _ => kind,
                };
                (kind, status.as_u16(), Some(msg))
            }
        };
        AuditEntry {
            time: rfc3339(SystemTime::now()),
            user: &self.caller.user,
            role,
            client: self
                .caller
                .addr
                .map_or_else(|| "-".to_string(), |a| a.to_string()),
            product: self.product,
            action: self.action,
            params: self.params.clone(),
            outcome,
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
    fn times_are_rfc3339_utc() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        let t = UNIX_EPOCH + Duration::from_millis(1_709_210_096_789); // leap day 2024
        assert_eq!(rfc3339(t), "2024-02-29T12:34:56.789Z");
        let t = UNIX_EPOCH + Duration::from_secs(951_868_800); // 2000-03-01
        assert_eq!(rfc3339(t), "2000-03-01T00:00:00.000Z");
    }
}
