//! `--zookeeper=ADDR` (codis-fe-spec.md §6.3) through the `zookeeper-client` crate.
//!
//! # One session per load
//!
//! A load opens a session, reads, and drops the client (which closes the session). Loads are rare
//! (a route-table refresh, at most every few seconds) and a session handshake costs one round
//! trip, so caching buys almost nothing, while a cached session needs what the original had to
//! build: detecting expiry, redialling after errors, rate-limiting the redials. A fresh session per
//! load also means an outage is reported by the very load that hits it, and the next load after
//! recovery just works.

use std::time::Duration;

use zookeeper_client as zk;

use super::{decode_admin_addr, Coordinator, DiscoveryError, NodeError};

/// The session timeout codis-fe asks for (codis-fe-spec.md §1.1: one minute; the server may negotiate it down).
const SESSION_TIMEOUT: Duration = Duration::from_secs(60);
/// How long one TCP connect or an idle connection may take before the server counts as lost. Kept
/// short so an outage fails the load in seconds, not after the session timeout.
const CONNECTION_TIMEOUT: Duration = Duration::from_secs(3);
/// Backstop for establishing the session over all servers.
const CONNECT_DEADLINE: Duration = Duration::from_secs(5);

pub(super) struct ZooKeeper<'a> {
    desc: &'a str,
    client: zk::Client,
}

impl<'a> ZooKeeper<'a> {
    /// Opens a session, authenticated with digest `user:password` when configured.
    pub(super) async fn connect(
        desc: &'a str,
        servers: &str,
        auth: Option<&(String, String)>,
    ) -> Result<ZooKeeper<'a>, DiscoveryError> {
        let unavailable = |reason: String| DiscoveryError::Unavailable {
            source_desc: desc.to_string(),
            reason,
        };
        let mut connector = zk::Client::connector()
            .with_session_timeout(SESSION_TIMEOUT)
            .with_connection_timeout(CONNECTION_TIMEOUT)
            // Give up once every server refused, instead of cycling until the session timeout.
            .with_fail_eagerly();
        if let Some((user, password)) = auth {
            connector = connector.with_auth("digest", format!("{user}:{password}").as_bytes());
        }
        let client = tokio::time::timeout(CONNECT_DEADLINE, connector.connect(servers))
            .await
            .map_err(|_| {
                unavailable(format!(
                    "no session within {} s",
                    CONNECT_DEADLINE.as_secs()
                ))
            })?
            .map_err(|e| unavailable(format!("no server accepted a session: {e}")))?;
        Ok(ZooKeeper { desc, client })
    }

    fn unavailable(&self, reason: String) -> DiscoveryError {
        DiscoveryError::Unavailable {
            source_desc: self.desc.to_string(),
            reason,
        }
    }
}

/// Errors that mean the session or the ensemble is gone, not that one node is unreadable.
fn is_connection_error(err: &zk::Error) -> bool {
    matches!(
        err,
        zk::Error::ConnectionLoss
            | zk::Error::SessionExpired
            | zk::Error::SessionMoved
            | zk::Error::Timeout
            | zk::Error::NoHosts
            | zk::Error::ClientClosed
            | zk::Error::AuthFailed
    )
}

impl Coordinator for ZooKeeper<'_> {
    async fn list_products(&mut self) -> Result<Vec<String>, DiscoveryError> {
        match self.client.list_children("/codis3").await {
            Ok(mut children) => {
                children.sort();
                Ok(children)
            }
            Err(zk::Error::NoNode) => Err(DiscoveryError::NoProductRoot {
                source_desc: self.desc.to_string(),
            }),
            Err(e) => Err(self.unavailable(format!("cannot list /codis3: {e}"))),
        }
    }

    async fn read_admin_addr(&mut self, product: &str) -> Result<Option<String>, NodeError> {
        let path = format!("/codis3/{product}/topom");
        match self.client.get_data(&path).await {
            Ok((data, _stat)) => decode_admin_addr(&data).map(Some).map_err(NodeError::Skip),
            Err(zk::Error::NoNode) => Ok(None),
            Err(e) if is_connection_error(&e) => Err(NodeError::Fatal(
                self.unavailable(format!("cannot read {path}: {e}")),
            )),
            Err(e) => Err(NodeError::Skip(format!("cannot read {path}: {e}"))),
        }
    }
}
