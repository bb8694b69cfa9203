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
}

/// Connect timeout: a dead host fails fast, whatever the total timeout is.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// Largest dashboard answer read (a big cluster's stats are a few MiB): a dashboard, or whatever
/// answers at its address, cannot make codis-fe buffer without bound.
pub const MAX_RESPONSE_BODY: usize = 32 * 1024 * 1024;

#[derive(Clone)]
pub struct DashboardClient {
    http: reqwest::Client,
    timeout: Duration,
    max_body: usize,
}

impl DashboardClient {
    pub fn new(timeout: Duration) -> DashboardClient {
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT.min(timeout))
            .pool_idle_timeout(Duration::from_secs(60))
            .no_proxy()
            .build()
            .unwrap_or_default();
        DashboardClient {
            http,
            timeout,
            max_body: MAX_RESPONSE_BODY,
        }
    }

    /// The same client with another answer size limit (tests).
    pub fn with_max_body(mut self, max_body: usize) -> DashboardClient {
        self.max_body = max_body;
        self
    }

    /// `GET http://{addr}{path}` decoded as `T`.
    pub async fn get<T: DeserializeOwned>(&self, addr: &str, path: &str) -> Result<T, CallError> {
        self.get_within(addr, path, self.timeout).await
    }

    /// As [`get`](Self::get) with a shorter deadline (probes).
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
            if let Some(stack) = &err.stack {
                tracing::info!(addr, path = %redact_path(path), cause = %err.cause, frames = stack.len(), "dashboard refused");
            }
            return Err(CallError::Refused(err.without_stack()));
        }
        let text = String::from_utf8_lossy(&body);
        let snippet: String = text.trim().chars().take(120).collect();
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
