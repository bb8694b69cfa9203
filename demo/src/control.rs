//! The running pieces of one simulated dashboard: its listener, the proxies' admin listeners and
//! the lifetime signal that ends every task when the last `DemoDashboard` clone is dropped.

use crate::model::{lock, Shared};
use crate::server::{self, ServerHandle};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::sync::watch;

/// Shared by the HTTP handlers (dashboard and proxies) and the public handle.
pub(crate) struct Control {
    pub shared: Shared,
    /// Ends (sender dropped) when every `DemoDashboard` clone is gone.
    pub life: watch::Receiver<()>,
    /// The runtime `start` ran on: `set_fault` (sync) re-binds proxy listeners on it.
    pub runtime: tokio::runtime::Handle,
    pub addr: SocketAddr,
    pub dashboard: Mutex<Option<ServerHandle>>,
    /// Admin listeners of the proxy processes, by proxy index; `None` while a proxy is dead.
    pub proxies: Mutex<Vec<Option<ServerHandle>>>,
    pub proxy_addrs: Mutex<Vec<SocketAddr>>,
}

impl Control {
    /// Starts (or restarts) the dashboard listener on its port.
    pub(crate) fn listen(self: &Arc<Self>) -> std::io::Result<()> {
        self.listen_with(None)
    }

    /// Like [`listen`](Self::listen), on `bound` when given (already bound to `self.addr`).
    pub(crate) fn listen_with(
        self: &Arc<Self>,
        bound: Option<std::net::TcpListener>,
    ) -> std::io::Result<()> {
        let _guard = self.runtime.enter();
        let listener = match bound {
            Some(l) => server::from_std(l)?,
            None => server::bind(self.addr)?,
        };
        let handle = server::serve(
            listener,
            crate::routes::router(self.clone()),
            self.life.clone(),
        );
        *self.dashboard.lock().unwrap_or_else(|e| e.into_inner()) = Some(handle);
        lock(&self.shared).up = true;
        Ok(())
    }

    /// Closes the dashboard listener and its connections; workers pause.
    pub(crate) async fn stop(&self) {
        let handle = self
            .dashboard
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        lock(&self.shared).up = false;
        if let Some(h) = handle {
            h.shutdown().await;
        }
    }

    /// After `PUT /shutdown`: the process exits once the reply is out.
    pub(crate) fn shutdown_soon(self: &Arc<Self>) {
        let ctl = self.clone();
        self.runtime.spawn(async move {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            ctl.stop().await;
        });
    }

    /// Starts the admin listener of proxy `i` on `addr` (port 0 at first start).
    pub(crate) fn listen_proxy(
        self: &Arc<Self>,
        i: usize,
        addr: SocketAddr,
    ) -> std::io::Result<SocketAddr> {
        let _guard = self.runtime.enter();
        let listener = server::bind(addr)?;
        let bound = listener.local_addr()?;
        let handle = server::serve(
            listener,
            crate::proxy_admin::router(self.clone(), i),
            self.life.clone(),
        );
        let mut proxies = self.proxies.lock().unwrap_or_else(|e| e.into_inner());
        if proxies.len() <= i {
            proxies.resize_with(i + 1, || None);
        }
        proxies[i] = Some(handle);
        let mut addrs = self.proxy_addrs.lock().unwrap_or_else(|e| e.into_inner());
        if addrs.len() <= i {
            addrs.resize(i + 1, bound);
        }
        addrs[i] = bound;
        Ok(bound)
    }

    /// Kills proxy `i`'s admin listener (a dead proxy process).
    pub(crate) fn kill_proxy(&self, i: usize) {
        let mut proxies = self.proxies.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(slot) = proxies.get_mut(i) {
            slot.take();
        }
    }

    /// Brings proxy `i` back on its old port (best effort: the port may have been taken).
    pub(crate) fn revive_proxy(self: &Arc<Self>, i: usize) {
        let running = self
            .proxies
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(i)
            .is_some_and(Option::is_some);
        let addr = self
            .proxy_addrs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(i)
            .copied();
        if let (false, Some(addr)) = (running, addr) {
            let _ = self.listen_proxy(i, addr);
        }
    }
}
