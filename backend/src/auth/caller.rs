//! Who made a request, as the handlers and the audit see it.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;

use crate::session::Session;

/// Who a request comes from, as [`super::Security::identify`] decides it.
#[derive(Debug, Clone)]
pub struct Identity {
    pub session: Session,
    /// `X-Forwarded-For` from a trusted proxy: the audit's `client`.
    pub client: Option<String>,
}

/// A valid session, put in the request's extensions by [`super::require_session`].
#[derive(Debug, Clone)]
pub struct SignedIn(pub Session);

/// The client address a trusted proxy reported (`X-Forwarded-For`), put in the extensions by
/// [`super::require_session`].
#[derive(Debug, Clone)]
pub struct ForwardedClient(pub String);

/// Put in the extensions of a state-changing request whose CSRF token is missing or wrong: the
/// action handlers refuse it (and audit the refusal) when they check what the caller may do.
#[derive(Debug, Clone, Copy)]
pub struct CsrfFailed;

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
    /// From a request's extensions: the accept loop inserts the peer as `ConnectInfo`,
    /// [`super::require_session`] the session.
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

    /// A caller [`super::Security::identify`] recognised.
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
