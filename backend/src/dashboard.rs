//! HTTP client for Codis dashboards (and proxy admin ports): timeouts on every call, status 800
//! decoded into the dashboard's `Cause`, stacks logged and dropped.

use std::time::Duration;

use codis_model::DashboardError;
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;

/// Why a dashboard call failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CallError {
    /// The dashboard answered with its error body (HTTP 800): shown to the operator as is.
    #[error("{}", .0.cause)]
    Refused(DashboardError),
    #[error("the dashboard at {0} did not answer in time")]
    Timeout(String),
    #[error("the dashboard at {0} cannot be reached")]
    Unreachable(String),
    #[error("{0}")]
    BadResponse(String),
    /// Too many calls to this dashboard are already in flight: try again shortly (503).
    #[error("{0}")]
    Busy(String),
}

/// Connect timeout: a dead host fails fast, whatever the total timeout is.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// Largest dashboard answer read (a big cluster's stats are a few MiB): a dashboard, or whatever
/// answers at its address, cannot make codis-fe buffer without bound.
pub const MAX_RESPONSE_BODY: usize = 32 * 1024 * 1024;

/// Reads in flight to one dashboard at once for callers (default of `--dashboard-concurrency`): with
/// [`MAX_RESPONSE_BODY`] per answer, what one product's answers can hold is bounded
/// (4 × 32 MiB), whatever the number of callers.
pub const DEFAULT_CONCURRENCY: usize = 4;

/// How long a call waits for a free slot before it is refused as [`CallError::Busy`].
pub const QUEUE_WAIT: Duration = Duration::from_secs(1);

/// Seconds a caller refused as busy is asked to wait (`Retry-After`).
pub const BUSY_RETRY_AFTER_SECS: u64 = 1;

#[derive(Clone)]
pub struct DashboardClient {
    http: reqwest::Client,
    timeout: Duration,
    max_body: usize,
    /// Calls in flight per dashboard address.
    slots: std::sync::Arc<Slots>,
}

/// A semaphore per dashboard address, made on first use.
struct Slots {
    per_dashboard: usize,
    by_addr:
        std::sync::Mutex<std::collections::HashMap<String, std::sync::Arc<tokio::sync::Semaphore>>>,
}

impl Slots {
    /// A slot for a read of `addr`, waiting up to [`QUEUE_WAIT`] for one.
    async fn acquire(&self, addr: &str) -> Result<tokio::sync::OwnedSemaphorePermit, CallError> {
        let sem = {
            let mut map = self.by_addr.lock().unwrap_or_else(|e| e.into_inner());
            // Addresses come from discovery (a handful); forget idle ones if the list churns.
            if map.len() > 1024 {
                map.retain(|_, s| s.available_permits() < self.per_dashboard);
            }
            map.entry(addr.to_string())
                .or_insert_with(|| {
                    std::sync::Arc::new(tokio::sync::Semaphore::new(self.per_dashboard))
                })
                .clone()
        };
        match tokio::time::timeout(QUEUE_WAIT, sem.acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(CallError::Busy(format!(
                "the dashboard at {addr} already has {} reads in flight (--dashboard-concurrency): try again in a moment",
                self.per_dashboard
            ))),
        }
    }
}

impl DashboardClient {
    pub fn new(timeout: Duration) -> DashboardClient {
        DashboardClient::with_concurrency(timeout, DEFAULT_CONCURRENCY)
    }

    /// A client allowing `per_dashboard` calls in flight to each dashboard.
    pub fn with_concurrency(timeout: Duration, per_dashboard: usize) -> DashboardClient {
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT.min(timeout))
            .pool_idle_timeout(Duration::from_secs(60))
            // A dashboard never redirects; Go's router does (301 for a path with `..` or `//`),
            // and following it would let a crafted path reach any route, or make the dashboard
            // dial a host of the caller's choosing. A 3xx is a bad answer (502), never followed.
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()
            .unwrap_or_default();
        DashboardClient {
            http,
            timeout,
            max_body: MAX_RESPONSE_BODY,
            slots: std::sync::Arc::new(Slots {
                per_dashboard: per_dashboard.max(1),
                by_addr: Default::default(),
            }),
        }
    }

    /// The same client with another answer size limit (tests).
    pub fn with_max_body(mut self, max_body: usize) -> DashboardClient {
        self.max_body = max_body;
        self
    }

    /// `GET http://{addr}{path}` decoded as `T`: a read made for a caller, one of at most
    /// `per_dashboard` in flight to `addr` ([`CallError::Busy`] past it, after waiting up to
    /// [`QUEUE_WAIT`]).
    pub async fn get<T: DeserializeOwned>(&self, addr: &str, path: &str) -> Result<T, CallError> {
        let _slot = self.slots.acquire(addr).await?;
        self.get_within(addr, path, self.timeout).await
    }

    /// As [`get`](Self::get) with a shorter deadline, outside the per-dashboard cap: for the
    /// server's own periodic reads (discovery probes, live pollers), one per product at a time
    /// by design, which a crowd of callers must not starve (a busy dashboard is not a down one).
    pub async fn get_within<T: DeserializeOwned>(
        &self,
        addr: &str,
        path: &str,
        timeout: Duration,
    ) -> Result<T, CallError> {
        let body = self.call(Method::GET, addr, path, timeout).await?;
        decode(addr, path, &body)
    }

    /// `PUT http://{addr}{path}` with no body (every dashboard mutation), decoded as JSON.
    pub async fn put(&self, addr: &str, path: &str) -> Result<serde_json::Value, CallError> {
        let body = self.call(Method::PUT, addr, path, self.timeout).await?;
        decode(addr, path, &body)
    }

    async fn call(
        &self,
        method: Method,
        addr: &str,
        path: &str,
        timeout: Duration,
    ) -> Result<axum::body::Bytes, CallError> {
        let url = format!("http://{addr}{path}");
        let resp = self
            .http
            .request(method.clone(), &url)
            .timeout(timeout)
            .send()
            .await
            .map_err(|e| transport_error(addr, &e))?;
        let status = resp.status();
        let body = self.read_body(resp, &method, addr, path).await?;
        if status == StatusCode::OK {
            return Ok(body);
        }
        if status.as_u16() == codis_model::error::ERROR_STATUS {
            let err: DashboardError = serde_json::from_slice(&body).map_err(|_| {
                CallError::BadResponse(format!(
                    "the dashboard at {addr} answered {method} {} with an unreadable error",
                    redact_path(path)
                ))
            })?;
            // A Cause may quote a URL with a proxy's xauth (a dead proxy's stats URL): redacted
            // before it is logged, shown or audited.
            let mut bare = err.without_stack();
            bare.cause = codis_model::causes::redact_secrets(&bare.cause);
            if let Some(stack) = &err.stack {
                tracing::info!(addr, path = %redact_path(path), cause = %bare.cause, frames = stack.len(), "dashboard refused");
            }
            return Err(CallError::Refused(bare));
        }
        if status.is_redirection() {
            return Err(CallError::BadResponse(format!(
                "the dashboard at {addr} answered {method} {} with a redirect (HTTP {}), which is never followed",
                redact_path(path),
                status.as_u16()
            )));
        }
        let text = String::from_utf8_lossy(&body);
        let snippet: String = text.trim().chars().take(120).collect();
        let snippet = codis_model::causes::redact_secrets(&snippet);
        Err(CallError::BadResponse(format!(
            "the dashboard at {addr} answered {method} {} with HTTP {}{}",
            redact_path(path),
            status.as_u16(),
            if snippet.is_empty() {
                String::new()
            } else {
                format!(": {snippet}")
            }
        )))
    }
}

impl DashboardClient {
    /// The answer's body, read in chunks and refused past `max_body`.
    async fn read_body(
        &self,
        mut resp: reqwest::Response,
        method: &Method,
        addr: &str,
        path: &str,
    ) -> Result<axum::body::Bytes, CallError> {
        let too_big = || {
            CallError::BadResponse(format!(
                "the dashboard at {addr} answered {method} {} with more than {} bytes",
                redact_path(path),
                self.max_body
            ))
        };
        if resp
            .content_length()
            .is_some_and(|n| n > self.max_body as u64)
        {
            return Err(too_big());
        }
        let mut body = bytes::BytesMut::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| transport_error(addr, &e))? {
            if body.len() + chunk.len() > self.max_body {
                return Err(too_big());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body.freeze())
    }
}

fn decode<T: DeserializeOwned>(addr: &str, path: &str, body: &[u8]) -> Result<T, CallError> {
    serde_json::from_slice(body).map_err(|e| {
        CallError::BadResponse(format!(
            "the dashboard at {addr} sent a document for {} that is not what Codis sends: {e}",
            redact_path(path)
        ))
    })
}

fn transport_error(addr: &str, e: &reqwest::Error) -> CallError {
    if e.is_timeout() {
        CallError::Timeout(addr.to_string())
    } else if e.is_connect() || e.is_request() {
        CallError::Unreachable(addr.to_string())
    } else {
        CallError::BadResponse(format!("the dashboard at {addr} broke off the answer"))
    }
}

/// Paths carry the xauth; logs and messages show it as `{xauth}`.
pub fn redact_path(path: &str) -> String {
    path.split('/')
        .map(|seg| {
            if seg.len() == 32 && seg.bytes().all(|b| b.is_ascii_hexdigit()) {
                "{xauth}"
            } else {
                seg
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A one-shot HTTP server answering `body`, with or without a Content-Length.
    async fn serve_once(body: Vec<u8>, content_length: bool) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf).await;
            let head = if content_length {
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                )
            } else {
                "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n".to_string()
            };
            let _ = s.write_all(head.as_bytes()).await;
            let _ = s.write_all(&body).await;
        });
        addr
    }

    #[tokio::test]
    async fn an_answer_past_the_size_limit_is_a_bad_response() {
        for content_length in [true, false] {
            let client = DashboardClient::new(Duration::from_secs(5)).with_max_body(1000);
            let addr = serve_once(vec![b' '; 5000], content_length).await;
            let err = client
                .get::<serde_json::Value>(&addr, "/topom")
                .await
                .expect_err("too big");
            assert!(
                matches!(&err, CallError::BadResponse(m) if m.contains("more than 1000 bytes")),
                "{err:?}"
            );
            let addr = serve_once(b"{\"ok\":1}".to_vec(), content_length).await;
            let v: serde_json::Value = client.get(&addr, "/topom").await.expect("small is fine");
            assert_eq!(v["ok"], 1);
        }
    }
}
