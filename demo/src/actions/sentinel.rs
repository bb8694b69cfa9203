//! Sentinel calls (codis-fe-spec.md §5.5, 5.6): add (needs `SENTINEL FLUSHCONFIG` to succeed), del (removes
//! this product's masters from the sentinel), resync-all (re-monitors every group).

use crate::model::Model;
use crate::reply::{ApiError, ApiResult};
use crate::world::Peer;
use codis_model::GroupId;
use std::collections::BTreeMap;

impl Model {
    /// What a `SENTINEL ...` command on `addr` gives: Ok for a live sentinel, else the raw error.
    fn sentinel_command(&self, addr: &str) -> ApiResult<()> {
        match self.world.dial(addr, &self.faults) {
            Ok(Peer::Sentinel) => Ok(()),
            Ok(Peer::Server) | Ok(Peer::PlainRedis) => {
                Err(ApiError::traced("ERR unknown command 'SENTINEL'"))
            }
            Ok(Peer::Proxy(_)) => Err(ApiError::traced("bad resp type 'H'")),
            Err(e) => Err(ApiError::traced(e)),
        }
    }

    pub(crate) fn sentinel_add(&mut self, addr: &str) -> ApiResult<()> {
        if addr.is_empty() {
            return Err(ApiError::traced("invalid sentinel address"));
        }
        if self.sentinel.servers.iter().any(|s| s == addr) {
            return Err(ApiError::traced(format!(
                "sentinel-[{addr}] already exists"
            )));
        }
        self.sentinel_command(addr)?;
        // FLUSHCONFIG leaves whatever the sentinel monitored; a fresh spare monitors nothing.
        self.sentinel.servers.push(addr.to_owned());
        self.sentinel.out_of_sync = true;
        Ok(())
    }

    pub(crate) fn sentinel_del(&mut self, addr: &str, force: bool) -> ApiResult<()> {
        if addr.is_empty() {
            return Err(ApiError::traced("invalid sentinel address"));
        }
        let Some(index) = self.sentinel.servers.iter().position(|s| s == addr) else {
            return Err(ApiError::traced(format!("sentinel-[{addr}] not found")));
        };
        self.sentinel.out_of_sync = true;
        match self.sentinel_command(addr) {
            Ok(()) => {
                if let Some(s) = self.world.sentinels.get_mut(addr) {
                    s.monitored.clear();
                }
            }
            Err(_) if !force => {
                return Err(ApiError::traced(format!("remove sentinel {addr} failed")));
            }
            Err(_) => {}
        }
        self.sentinel.servers.remove(index);
        Ok(())
    }

    /// Re-monitors every non-empty group's master on every sentinel, then pushes the sentinel
    /// list to every proxy; only full success clears `out_of_sync`.
    pub(crate) fn sentinel_resync_all(&mut self) -> ApiResult<()> {
        self.sentinel.out_of_sync = true;
        let masters: BTreeMap<GroupId, String> = self
            .groups
            .values()
            .filter_map(|g| g.master().map(|m| (g.id, m.to_owned())))
            .collect();
        let servers = self.sentinel.servers.clone();
        let mut first_err = None;
        for addr in &servers {
            match self.sentinel_command(addr) {
                Ok(()) => {
                    if let Some(s) = self.world.sentinels.get_mut(addr) {
                        s.monitored = masters.clone();
                    }
                }
                Err(e) => {
                    first_err.get_or_insert(e);
                }
            }
        }
        if let Some(e) = first_err {
            return Err(e);
        }
        self.push_to_proxies("sentinel failed")?;
        let tokens: Vec<String> = self.proxies.keys().cloned().collect();
        for t in tokens {
            if let Some(i) = self.proxy_index(&t) {
                self.world.proxies[i].sentinels = servers.clone();
            }
        }
        self.sentinel.out_of_sync = false;
        Ok(())
    }
}
