//! The response policy: the headers every answer carries, built in one place.
//!
//! Every answer, whoever makes it, gets the same request id (echoed or generated), the same CORS
//! headers for the origins of `--cors-origins`, the same security headers (a Content-Security-
//! Policy, `X-Frame-Options` on pages, `nosniff`, `no-referrer`) and a `Retry-After` on a 429 or
//! 503. [`Policy::wrap`] puts these layers around a service: the router is wrapped with it, and
//! so is the service that makes the head of an event stream served on the bare connection
//! ([`crate::live::conn`]), so the two paths cannot disagree. The answers that hyper writes by
//! itself (400, 414 and 431 for a request it cannot parse) get the headers of
//! [`Policy::bare_headers`] (see [`crate::live::conn::Rewound`]), over plain HTTP and TLS alike
//! (HTTP/2's own errors are frames, `RST_STREAM` and `GOAWAY`, with no headers). The 503 past
//! `--max-connections-per-ip` goes through [`Policy::answer`], over TLS too.

use std::convert::Infallible;
use std::sync::Arc;

use crate::session::{CookieAttributes, SameSite};
use axum::{
    body::Body,
    http::{header, HeaderName, HeaderValue, Method, Request, StatusCode},
    response::{IntoResponse, Response},
};
use tower::{util::BoxCloneSyncService, ServiceBuilder, ServiceExt as _};
use tower_http::{
    cors::{AllowOrigin, CorsLayer},
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
};

/// The policy of every answer that is not a page (JSON, the WASM module, scripts, CSS): it may
/// load nothing and be framed by nothing, should a browser ever render it as a document.
pub const RESOURCE_CSP: &str = "default-src 'none'; frame-ancestors 'none'";

/// `Retry-After` of a 429 or 503 whose maker did not say.
pub const DEFAULT_RETRY_AFTER_SECS: u64 = 1;

/// A service as the policy wraps it (the router, the event-stream head).
pub type Wrapped = BoxCloneSyncService<Request<Body>, Response, Infallible>;

/// What every answer carries; see the module documentation.
#[derive(Clone)]
pub struct Policy {
    inner: Arc<Inner>,
}

#[derive(Clone)]
struct Inner {
    page_csp: HeaderValue,
    cors_origins: Vec<HeaderValue>,
    cookie: CookieAttributes,
    /// `Strict-Transport-Security`, with TLS on (`--tls-cert`, `--hsts-max-age`).
    hsts: Option<HeaderValue>,
}

impl Policy {
    /// The policy for a console whose inline scripts have these CSP hashes, called from these
    /// origins (`--cors-origins`; empty: same origin only).
    pub fn new(script_hashes: &[String], cors_origins: &[String]) -> Result<Policy, String> {
        Policy::with_cookie(script_hashes, cors_origins, CookieAttributes::default())
    }

    /// [`new`](Self::new) with the session cookie's attributes.
    pub fn with_cookie(
        script_hashes: &[String],
        cors_origins: &[String],
        cookie: CookieAttributes,
    ) -> Result<Policy, String> {
        let csp = content_security_policy(script_hashes);
        let page_csp =
            HeaderValue::from_str(&csp).map_err(|e| format!("Content-Security-Policy: {e}"))?;
        let cors_origins = cors_origins
            .iter()
            .filter(|o| !o.is_empty())
            .map(|o| check_origin(o))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Policy {
            inner: Arc::new(Inner {
                page_csp,
                cors_origins,
                cookie,
                hsts: None,
            }),
        })
    }

    /// The same policy sending `Strict-Transport-Security: max-age=SECS` on every answer
    /// (`None` or 0: none). Only over TLS: a browser ignores the header on plain HTTP.
    pub fn with_hsts(self, max_age_secs: Option<u64>) -> Policy {
        let mut inner = Arc::unwrap_or_clone(self.inner);
        inner.hsts = max_age_secs
            .filter(|s| *s > 0)
            .and_then(|s| HeaderValue::from_str(&format!("max-age={s}")).ok());
        Policy {
            inner: Arc::new(inner),
        }
    }

    /// The origins of `--cors-origins`.
    pub fn cors_origins(&self) -> &[HeaderValue] {
        &self.inner.cors_origins
    }

    /// Whether `origin` is one of `--cors-origins`.
    pub fn allows_origin(&self, origin: &[u8]) -> bool {
        self.inner
            .cors_origins
            .iter()
            .any(|o| o.as_bytes() == origin)
    }

    /// `svc` with the policy's layers around it: request id (set, then echoed on the answer),
    /// CORS (only with `--cors-origins`: without it, CORS would still add a 90-byte `Vary` to
    /// every answer and allow nothing), the security headers and `Retry-After`.
    pub fn wrap<S>(&self, svc: S) -> Wrapped
    where
        S: tower::Service<Request<Body>, Response = Response, Error = Infallible>
            + Clone
            + Send
            + Sync
            + 'static,
        S::Future: Send + 'static,
    {
        let request_id = HeaderName::from_static("x-request-id");
        let policy = self.clone();
        let cors = (!self.inner.cors_origins.is_empty()).then(|| self.cors());
        let svc = ServiceBuilder::new()
            .layer(SetRequestIdLayer::new(request_id.clone(), MakeRequestUuid))
            .layer(PropagateRequestIdLayer::new(request_id))
            .map_response(move |res: Response| policy.finish(res))
            .option_layer(cors)
            .service(svc)
            .map_response(IntoResponse::into_response);
        BoxCloneSyncService::new(svc)
    }

    /// CORS for a console hosted on another origin (CDN): only the configured origins, with
    /// credentials (the session cookie) and the CSRF token header.
    fn cors(&self) -> CorsLayer {
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(self.inner.cors_origins.iter().cloned()))
            .allow_methods([Method::GET, Method::POST, Method::DELETE])
            .allow_headers([
                header::CONTENT_TYPE,
                header::ACCEPT,
                HeaderName::from_static("x-csrf-token"),
                HeaderName::from_static("last-event-id"),
            ])
            .allow_credentials(true)
    }

    /// A state-changing request from another site while the session cookie goes to every site
    /// (`SameSite=None`): refused unless its `Origin` is one of `--cors-origins` or the API's
    /// own (`Host`). Without `Origin` (not a browser's cross-site request) it passes; the CSRF
    /// token is checked as always.
    pub fn cross_site_refusal(&self, req: &Request<Body>) -> Option<String> {
        if self.inner.cookie.same_site != SameSite::None
            || matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS)
        {
            return None;
        }
        let origin = req.headers().get(header::ORIGIN)?;
        if self.allows_origin(origin.as_bytes()) {
            return None;
        }
        let host = req.headers().get(header::HOST).map(HeaderValue::as_bytes);
        let authority = origin
            .to_str()
            .ok()
            .and_then(|o| o.split_once("://"))
            .map(|(_, a)| a.as_bytes());
        if host.is_some() && host == authority {
            return None;
        }
        Some(format!(
            "a {} from origin {:?} is refused: the session cookie is SameSite=None, so state-changing requests must come from the API's own origin or one of --cors-origins",
            req.method(),
            String::from_utf8_lossy(origin.as_bytes())
        ))
    }

    /// The security headers and `Retry-After`, where the answer's maker did not set them.
    fn finish(&self, mut res: Response) -> Response {
        let status = res.status();
        let h = res.headers_mut();
        if matches!(
            status,
            StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE
        ) && !h.contains_key(header::RETRY_AFTER)
        {
            h.insert(header::RETRY_AFTER, DEFAULT_RETRY_AFTER_SECS.into());
        }
        if let Some(hsts) = &self.inner.hsts {
            if !h.contains_key(header::STRICT_TRANSPORT_SECURITY) {
                h.insert(header::STRICT_TRANSPORT_SECURITY, hsts.clone());
            }
        }
        for (name, value) in [
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::REFERRER_POLICY, "no-referrer"),
        ] {
            if !h.contains_key(&name) {
                h.insert(name, HeaderValue::from_static(value));
            }
        }
        // A 304 has no content type, and its headers replace the cached answer's: the short
        // policy there would turn a revalidated page into a blank one. It keeps the policy it
        // was stored with.
        if status == StatusCode::NOT_MODIFIED || h.contains_key(header::CONTENT_SECURITY_POLICY) {
            return res;
        }
        // A Content-Security-Policy and X-Frame-Options govern documents only, so pages (HTML)
        // get the console's policy and `DENY`, every other answer the short [`RESOURCE_CSP`]:
        // the full policy on each of them only added ~330 bytes of headers per answer.
        let page = h
            .get(header::CONTENT_TYPE)
            .is_some_and(|t| t.as_bytes().starts_with(b"text/html"));
        if page {
            h.insert(header::CONTENT_SECURITY_POLICY, self.inner.page_csp.clone());
            h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        } else {
            h.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(RESOURCE_CSP),
            );
        }
        res
    }

    /// The headers of an answer made without a request (hyper's 400/414/431), as
    /// `name: value\r\n` lines: what [`finish`](Self::finish) gives an empty answer.
    pub fn bare_headers(&self) -> Vec<u8> {
        let res = self.finish(StatusCode::BAD_REQUEST.into_response());
        let mut out = Vec::new();
        for (name, value) in res.headers() {
            if name == header::CONTENT_LENGTH || name == header::CONTENT_TYPE {
                continue;
            }
            out.extend_from_slice(name.as_str().as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(value.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        out
    }

    /// `res` made by `make` for `req`, through the policy (for answers written on the bare
    /// connection: the event stream's head, the 503 past the per-address connection cap).
    pub async fn answer<F>(&self, req: Request<Body>, make: F) -> Response
    where
        F: FnOnce(Request<Body>) -> Response + Clone + Send + Sync + 'static,
    {
        let svc = tower::service_fn(move |req: Request<Body>| {
            let make = make.clone();
            async move { Ok::<_, Infallible>(make(req)) }
        });
        match self.wrap(svc).oneshot(req).await {
            Ok(res) => res,
            Err(never) => match never {},
        }
    }
}

/// An origin of `--cors-origins`: `scheme://host[:port]`, nothing else (a path or a trailing
/// slash never matches what a browser sends, so it would silently allow nothing).
fn check_origin(o: &str) -> Result<HeaderValue, String> {
    let bad = || format!("--cors-origins: {o:?} is not an origin (scheme://host[:port], no path)");
    let (scheme, rest) = o.split_once("://").ok_or_else(bad)?;
    if !matches!(scheme, "http" | "https") || rest.is_empty() || rest.contains(['/', '?', '#']) {
        return Err(bad());
    }
    HeaderValue::from_str(o).map_err(|_| bad())
}

/// The console's Content-Security-Policy: its own scripts (and Trunk's inline module script, by
/// hash: `script_hashes`) and the WASM module only, inline styles (Trunk inlines the CSS into
/// index.html and the components set `style` attributes), API calls and event streams to the same
/// origin, no plugins, no framing (clickjacking), no `<base>` tricks.
pub fn content_security_policy(script_hashes: &[String]) -> String {
    let mut script_src = String::from("'self' 'wasm-unsafe-eval'");
    for h in script_hashes {
        script_src.push(' ');
        script_src.push_str(h);
    }
    format!(
        "default-src 'self'; script-src {script_src}; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
    )
}

/// An HTTP/1.1 response head for `res` (status line, headers, blank line), with `extra` header
/// lines (already `name: value\r\n`) before the blank line.
pub fn head_bytes(res: &Response, extra: &[u8]) -> Vec<u8> {
    let mut h = Vec::with_capacity(512);
    h.extend_from_slice(b"HTTP/1.1 ");
    h.extend_from_slice(res.status().as_str().as_bytes());
    h.push(b' ');
    h.extend_from_slice(
        res.status()
            .canonical_reason()
            .unwrap_or("Unknown")
            .as_bytes(),
    );
    h.extend_from_slice(b"\r\n");
    for (name, value) in res.headers() {
        h.extend_from_slice(name.as_str().as_bytes());
        h.extend_from_slice(b": ");
        h.extend_from_slice(value.as_bytes());
        h.extend_from_slice(b"\r\n");
    }
    h.extend_from_slice(extra);
    h.extend_from_slice(b"\r\n");
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_scheme_host_and_port_only() {
        assert!(check_origin("https://console.example.com").is_ok());
        assert!(check_origin("http://localhost:8080").is_ok());
        for bad in [
            "console.example.com",
            "https://console.example.com/",
            "ftp://x",
            "https://",
        ] {
            let err = check_origin(bad).expect_err(bad);
            assert!(err.contains("--cors-origins"), "{err}");
        }
    }

    #[tokio::test]
    async fn a_429_or_503_without_retry_after_gets_one_and_every_answer_the_security_headers() {
        let p = Policy::new(&[], &[]).expect("policy");
        let res = p
            .answer(Request::new(Body::empty()), |_| {
                StatusCode::SERVICE_UNAVAILABLE.into_response()
            })
            .await;
        assert_eq!(res.headers()[header::RETRY_AFTER], "1");
        assert_eq!(res.headers()[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(res.headers()[header::CONTENT_SECURITY_POLICY], RESOURCE_CSP);
        assert!(res.headers().contains_key("x-request-id"));
        let bare = String::from_utf8(p.bare_headers()).expect("ascii");
        assert!(
            bare.contains("x-content-type-options: nosniff\r\n"),
            "{bare}"
        );
        assert!(bare.contains("content-security-policy: "), "{bare}");
    }
}
