//! Stateless signed sessions and CSRF tokens: the building block of sign-in (SECURITY.md, next
//! steps 2 and 5). Not wired to routes yet.
//!
//! A session cookie is `base64url(json payload) "." base64url(HMAC-SHA256(key, payload))`; the
//! payload holds the user, the role, the expiry and a random nonce. Nothing is stored server-side,
//! so replicas sharing the key accept each other's cookies. The CSRF token is
//! `HMAC(key, "csrf" | nonce)`: tied to one session, checkable without storage.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// The session cookie's name.
pub const COOKIE: &str = "codis_fe_session";

/// The signing key (at least 32 bytes).
#[derive(Clone)]
pub struct SessionKey(Vec<u8>);

impl std::fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionKey(<redacted>)")
    }
}

/// What a signed cookie says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub user: String,
    pub role: String,
    /// Unix seconds after which the cookie is refused.
    pub expires: u64,
    /// Random, per sign-in: the CSRF token derives from it.
    pub nonce: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    #[error("the session cookie is malformed")]
    Malformed,
    #[error("the session cookie's signature is wrong")]
    BadSignature,
    #[error("the session has expired")]
    Expired,
}

impl SessionKey {
    /// A key from a file shared by the replicas (its bytes, at least 32).
    pub fn from_bytes(bytes: Vec<u8>) -> Result<SessionKey, String> {
        if bytes.len() < 32 {
            return Err("the session key must be at least 32 bytes".into());
        }
        Ok(SessionKey(bytes))
    }

    /// A random key: sessions then last as long as this process.
    pub fn random() -> Result<SessionKey, String> {
        let mut key = vec![0u8; 32];
        getrandom::getrandom(&mut key)
            .map_err(|e| format!("no randomness for the session key: {e}"))?;
        Ok(SessionKey(key))
    }

    fn mac(&self) -> Hmac<Sha256> {
        // HMAC accepts keys of any length.
        Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key length")
    }

    /// A new session for `user` with `role`, valid `ttl_secs` from `now` (Unix seconds).
    pub fn new_session(
        &self,
        user: &str,
        role: &str,
        now: u64,
        ttl_secs: u64,
    ) -> Result<Session, String> {
        let mut nonce = [0u8; 16];
        getrandom::getrandom(&mut nonce)
            .map_err(|e| format!("no randomness for a session: {e}"))?;
        Ok(Session {
            user: user.into(),
            role: role.into(),
            expires: now + ttl_secs,
            nonce: B64.encode(nonce),
        })
    }

    /// The cookie value for `session`.
    pub fn sign(&self, session: &Session) -> String {
        let payload = B64.encode(serde_json::to_vec(session).unwrap_or_default());
        let mut mac = self.mac();
        mac.update(payload.as_bytes());
        format!("{payload}.{}", B64.encode(mac.finalize().into_bytes()))
    }

    /// The session a cookie value carries, if its signature is right and it has not expired.
    pub fn verify(&self, value: &str, now: u64) -> Result<Session, SessionError> {
        let (payload, sig) = value.split_once('.').ok_or(SessionError::Malformed)?;
        let sig = B64.decode(sig).map_err(|_| SessionError::Malformed)?;
        let mut mac = self.mac();
        mac.update(payload.as_bytes());
        mac.verify_slice(&sig)
            .map_err(|_| SessionError::BadSignature)?;
        let json = B64.decode(payload).map_err(|_| SessionError::Malformed)?;
        let session: Session =
            serde_json::from_slice(&json).map_err(|_| SessionError::Malformed)?;
        if now >= session.expires {
            return Err(SessionError::Expired);
        }
        Ok(session)
    }

    /// The CSRF token of `session` (sent by `GET /api/me`, required as `X-CSRF-Token`).
    pub fn csrf(&self, session: &Session) -> String {
        let mut mac = self.mac();
        mac.update(b"csrf|");
        mac.update(session.nonce.as_bytes());
        B64.encode(mac.finalize().into_bytes())
    }

    /// Whether `token` is `session`'s CSRF token (constant-time comparison).
    pub fn check_csrf(&self, session: &Session, token: &str) -> bool {
        let Ok(token) = B64.decode(token) else {
            return false;
        };
        let mut mac = self.mac();
        mac.update(b"csrf|");
        mac.update(session.nonce.as_bytes());
        mac.verify_slice(&token).is_ok()
    }
}

/// The session cookie's transport attributes (`--cookie-samesite`, `--cookie-secure`) and its
/// `Path` (`--base-path`: behind a proxy at `/codis/`, the cookie goes to the console only, not
/// to the other applications on the same host).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CookieAttributes {
    pub same_site: SameSite,
    pub secure: bool,
    /// `/` or `/…/`, checked by `--base-path`'s rule (no `;`, no space).
    pub path: String,
}

/// When the browser sends the session cookie along.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SameSite {
    /// Only on requests from the console's own site (the default).
    Strict,
    /// Also on top-level navigations from other sites.
    Lax,
    /// On every request, the console on another site (CDN) included: needs `Secure`, and
    /// unsafe requests are then checked for their `Origin`
    /// ([`Policy::cross_site_refusal`](crate::policy::Policy::cross_site_refusal)).
    None,
}

impl CookieAttributes {
    /// From `--cookie-samesite` and `--cookie-secure`; `none` implies `Secure` (browsers drop a
    /// `SameSite=None` cookie without it).
    pub fn from_flags(same_site: &str, secure: bool) -> Result<CookieAttributes, String> {
        let same_site = match same_site.to_ascii_lowercase().as_str() {
            "strict" => SameSite::Strict,
            "lax" => SameSite::Lax,
            "none" => SameSite::None,
            other => {
                return Err(format!(
                    "--cookie-samesite {other:?}: must be strict, lax or none"
                ))
            }
        };
        Ok(CookieAttributes {
            same_site,
            secure: secure || same_site == SameSite::None,
            path: "/".into(),
        })
    }

    /// The same attributes with the cookie's `Path` (`--base-path`).
    pub fn at_path(self, path: &str) -> CookieAttributes {
        CookieAttributes {
            path: path.to_string(),
            ..self
        }
    }

    /// The cookie attributes these stand for: `SameSite=...` and `; Secure` when set.
    fn attributes(&self) -> String {
        let same_site = match self.same_site {
            SameSite::Strict => "Strict",
            SameSite::Lax => "Lax",
            SameSite::None => "None",
        };
        let secure = if self.secure { "; Secure" } else { "" };
        format!("SameSite={same_site}{secure}")
    }
}

impl Default for CookieAttributes {
    fn default() -> CookieAttributes {
        CookieAttributes {
            same_site: SameSite::Strict,
            secure: false,
            path: "/".into(),
        }
    }
}

/// `Set-Cookie` for a signed-in session: HttpOnly, the console's whole path, until `max_age`,
/// with the configured `SameSite` and `Secure`.
pub fn set_cookie(value: &str, max_age_secs: u64, attrs: &CookieAttributes) -> String {
    format!(
        "{COOKIE}={value}; HttpOnly; Path={}; Max-Age={max_age_secs}; {}",
        attrs.path,
        attrs.attributes()
    )
}

/// `Set-Cookie` that signs out (the browser drops the cookie); the same attributes as the
/// cookie it replaces.
pub fn clear_cookie(attrs: &CookieAttributes) -> String {
    format!(
        "{COOKIE}=; HttpOnly; Path={}; Max-Age=0; {}",
        attrs.path,
        attrs.attributes()
    )
}

/// The session cookie's value among a request's `Cookie` headers.
pub fn cookie_value(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| c.trim().strip_prefix(COOKIE)?.strip_prefix('='))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(b: u8) -> SessionKey {
        SessionKey::from_bytes(vec![b; 32]).expect("key")
    }

    #[test]
    fn a_signed_session_verifies_until_it_expires() {
        let k = key(1);
        let s = k
            .new_session("alice", "operator", 1000, 3600)
            .expect("session");
        let cookie = k.sign(&s);
        assert_eq!(k.verify(&cookie, 1000), Ok(s.clone()));
        assert_eq!(k.verify(&cookie, 4599), Ok(s.clone()));
        assert_eq!(k.verify(&cookie, 4600), Err(SessionError::Expired));
        // Another replica with the same key accepts it; another key does not.
        assert_eq!(key(1).verify(&cookie, 1000), Ok(s));
        assert_eq!(
            key(2).verify(&cookie, 1000),
            Err(SessionError::BadSignature)
        );
    }

    #[test]
    fn a_tampered_cookie_is_refused() {
        let k = key(1);
        let s = k.new_session("bob", "viewer", 0, 60).expect("session");
        let cookie = k.sign(&s);
        let (_, sig) = cookie.split_once('.').expect("two parts");
        let forged = Session {
            role: "admin".into(),
            ..s
        };
        let forged = format!(
            "{}.{sig}",
            B64.encode(serde_json::to_vec(&forged).expect("json"))
        );
        assert_eq!(k.verify(&forged, 1), Err(SessionError::BadSignature));
        assert_eq!(k.verify("nonsense", 1), Err(SessionError::Malformed));
        assert_eq!(k.verify("a.!!", 1), Err(SessionError::Malformed));
    }

    #[test]
    fn the_csrf_token_belongs_to_one_session() {
        let k = key(1);
        let a = k.new_session("alice", "operator", 0, 60).expect("a");
        let b = k.new_session("alice", "operator", 0, 60).expect("b");
        let token = k.csrf(&a);
        assert!(k.check_csrf(&a, &token));
        assert!(!k.check_csrf(&b, &token), "another sign-in, another token");
        assert!(!k.check_csrf(&a, ""));
        assert!(!k.check_csrf(&a, "not base64!"));
        assert!(!key(2).check_csrf(&a, &token));
    }

    #[test]
    fn cookies_are_http_only_strict_and_found_among_others() {
        let strict_secure = CookieAttributes {
            same_site: SameSite::Strict,
            secure: true,
            path: "/".into(),
        };
        let set = set_cookie("v.s", 3600, &strict_secure);
        assert!(set.starts_with("codis_fe_session=v.s;"), "{set}");
        for attr in [
            "HttpOnly",
            "SameSite=Strict",
            "Path=/",
            "Max-Age=3600",
            "Secure",
        ] {
            assert!(set.contains(attr), "{set}");
        }
        assert!(clear_cookie(&CookieAttributes::default()).contains("Max-Age=0"));
        let mut h = axum::http::HeaderMap::new();
        h.append(
            axum::http::header::COOKIE,
            "a=1; codis_fe_session=p.s; b=2".parse().expect("header"),
        );
        assert_eq!(cookie_value(&h), Some("p.s"));
        assert!(SessionKey::from_bytes(vec![0; 31]).is_err());
        assert!(!format!("{:?}", key(7)).contains('7'));
    }

    #[test]
    fn the_session_cookie_takes_the_configured_same_site_and_secure() {
        let none = CookieAttributes::from_flags("none", false).expect("none");
        assert_eq!(
            set_cookie("v.s", 60, &none),
            "codis_fe_session=v.s; HttpOnly; Path=/; Max-Age=60; SameSite=None; Secure"
        );
        let lax = CookieAttributes::from_flags("Lax", false).expect("lax");
        assert_eq!(
            set_cookie("v.s", 60, &lax),
            "codis_fe_session=v.s; HttpOnly; Path=/; Max-Age=60; SameSite=Lax"
        );
        assert_eq!(
            clear_cookie(&none),
            "codis_fe_session=; HttpOnly; Path=/; Max-Age=0; SameSite=None; Secure"
        );
        assert_eq!(
            set_cookie("v.s", 60, &lax.at_path("/codis/")),
            "codis_fe_session=v.s; HttpOnly; Path=/codis/; Max-Age=60; SameSite=Lax"
        );
        assert!(CookieAttributes::from_flags("loose", false)
            .expect_err("refused")
            .contains("--cookie-samesite"));
    }
}
