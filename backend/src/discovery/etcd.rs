//! `--etcd=ADDR` (codis-fe-spec.md §6.4): the etcd **v2** keys API over plain HTTP.
//!
//! Each request goes to the endpoints in order (starting with the one that answered last) until one
//! answers; a connection failure, a timeout or a 5xx moves on to the next endpoint, so one dead
//! member of the cluster does not hide the products. Reads are quorum reads, like the original.

use std::time::Duration;

use reqwest::{StatusCode, Url};
use serde::Deserialize;

use super::{decode_admin_addr, last_component, Coordinator, DiscoveryError, NodeError};

/// Time to establish a TCP connection to one endpoint.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// Time for one whole request (connect, send, read the body) to one endpoint.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// etcd v2 `errorCode` for "Key not found".
const KEY_NOT_FOUND: u64 = 100;

/// A v2 keys API answer (`{"action", "node"}`) or error (`{"errorCode", "message", "cause"}`).
#[derive(Deserialize, Default)]
#[serde(default)]
struct Reply {
    node: Option<Node>,
    #[serde(rename = "errorCode")]
    error_code: Option<u64>,
    message: Option<String>,
    cause: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Node {
    key: String,
    dir: bool,
    value: Option<String>,
    nodes: Vec<Node>,
}

/// One load's view of the etcd cluster: an HTTP client and the endpoint that answered last.
pub(super) struct Etcd<'a> {
    desc: &'a str,
    client: reqwest::Client,
    endpoints: Vec<Url>,
    auth: Option<&'a (String, String)>,
    preferred: usize,
}

impl<'a> Etcd<'a> {
    pub(super) fn new(
        desc: &'a str,
        endpoints: &[String],
        auth: Option<&'a (String, String)>,
    ) -> Result<Self, DiscoveryError> {
        let unavailable = |reason: String| DiscoveryError::Unavailable {
            source_desc: desc.to_string(),
            reason,
        };
        let client = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            // The coordinator is on the cluster network; an HTTP proxy from the environment would
            // only add a hop that can fail (and would see the basic-auth credentials).
            .no_proxy()
            .build()
            .map_err(|e| unavailable(format!("cannot build an HTTP client: {}", chain(&e))))?;
        let endpoints = endpoints
            .iter()
            .map(|e| {
                Url::parse(e).map_err(|err| unavailable(format!("invalid endpoint {e:?}: {err}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if endpoints.is_empty() {
            return Err(unavailable("no endpoint configured".into()));
        }
        Ok(Etcd {
            desc,
            client,
            endpoints,
            auth,
            preferred: 0,
        })
    }

    fn unavailable(&self, reason: String) -> DiscoveryError {
        DiscoveryError::Unavailable {
            source_desc: self.desc.to_string(),
            reason,
        }
    }

    /// `GET /v2/keys/<segments...>?quorum=true` from the first endpoint that answers. Returns the
    /// status and decoded body, or why no endpoint answered.
    async fn get(&mut self, segments: &[&str]) -> Result<(StatusCode, Reply), String> {
        let count = self.endpoints.len();
        let mut failures = Vec::new();
        for i in 0..count {
            let index = (self.preferred + i) % count;
            let endpoint = &self.endpoints[index];
            let mut url = endpoint.clone();
            match url.path_segments_mut() {
                Ok(mut path) => {
                    path.pop_if_empty().extend(["v2", "keys"]).extend(segments);
                }
                Err(()) => {
                    failures.push(format!("{endpoint}: not a base URL"));
                    continue;
                }
            }
            url.set_query(Some("quorum=true"));
            let mut request = self.client.get(url);
            if let Some((user, password)) = self.auth {
                request = request.basic_auth(user, Some(password));
            }
            let response = match request.send().await {
                Ok(response) => response,
                Err(e) => {
                    failures.push(format!("{endpoint}: {}", chain(&e.without_url())));
                    continue;
                }
            };
            let status = response.status();
            if status.is_server_error() {
                failures.push(format!("{endpoint}: HTTP {status}"));
                continue;
            }
            match response.bytes().await {
                Ok(body) => {
                    if !failures.is_empty() {
                        tracing::debug!(
                            source = self.desc,
                            "answered by {endpoint} after: {}",
                            failures.join("; ")
                        );
                    }
                    self.preferred = index;
                    // An unparsable body is kept as an empty reply; the caller judges by status.
                    let reply = serde_json::from_slice(&body).unwrap_or_default();
                    return Ok((status, reply));
                }
                Err(e) => failures.push(format!("{endpoint}: {}", chain(&e.without_url()))),
            }
        }
        Err(format!("no endpoint answered ({})", failures.join("; ")))
    }
}

/// `HTTP 401: The request requires user authentication (Insufficient credentials)`.
fn describe_failure(status: StatusCode, reply: &Reply) -> String {
    let mut text = format!("HTTP {status}");
    if let Some(message) = &reply.message {
        text.push_str(": ");
        text.push_str(message);
    }
    if let Some(cause) = reply.cause.as_ref().filter(|c| !c.is_empty()) {
        text.push_str(&format!(" ({cause})"));
    }
    text
}

/// An error and its causes on one line: reqwest's own message omits the cause.
fn chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

impl Coordinator for Etcd<'_> {
    async fn list_products(&mut self) -> Result<Vec<String>, DiscoveryError> {
        let (status, reply) = self
            .get(&["codis3"])
            .await
            .map_err(|reason| self.unavailable(reason))?;
        if status == StatusCode::NOT_FOUND && reply.error_code == Some(KEY_NOT_FOUND) {
            return Err(DiscoveryError::NoProductRoot {
                source_desc: self.desc.to_string(),
            });
        }
        if !status.is_success() {
            let reason = format!("cannot list /codis3: {}", describe_failure(status, &reply));
            return Err(self.unavailable(reason));
        }
        match reply.node {
            Some(node) if node.dir => Ok(node
                .nodes
                .iter()
                .map(|child| last_component(&child.key).to_string())
                .collect()),
            Some(_) => Err(self.unavailable("/codis3 is not a directory".into())),
            None => Err(self.unavailable("cannot list /codis3: the answer has no node".into())),
        }
    }

    async fn read_admin_addr(&mut self, product: &str) -> Result<Option<String>, NodeError> {
        let (status, reply) = match self.get(&["codis3", product, "topom"]).await {
            Ok(answer) => answer,
            Err(reason) => return Err(NodeError::Fatal(self.unavailable(reason))),
        };
        if status == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if !status.is_success() {
            return Err(NodeError::Skip(describe_failure(status, &reply)));
        }
        match reply.node {
            Some(Node {
                value: Some(value), ..
            }) => decode_admin_addr(value.as_bytes())
                .map(Some)
                .map_err(NodeError::Skip),
            Some(Node { dir: true, .. }) => Err(NodeError::Skip("topom is a directory".into())),
            _ => Err(NodeError::Skip("the answer has no topom value".into())),
        }
    }
}
