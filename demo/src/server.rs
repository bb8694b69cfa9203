//! A minimal HTTP/1.1 accept loop that can be killed like a process.
//!
//! `axum::serve` shuts down gracefully, letting kept-alive connections finish; a dead dashboard or
//! proxy must instead refuse new connections and drop open ones at once, so the console sees the
//! same failures as with a killed process. Dropping the [`ServerHandle`] (or the dashboard's
//! lifetime sender) does exactly that.

use axum::Router;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{oneshot, watch};

/// A running listener; dropping it kills the listener and every open connection.
pub(crate) struct ServerHandle {
    kill: watch::Sender<()>,
    done: oneshot::Receiver<()>,
}

impl ServerHandle {
    /// Kills the server and waits (briefly) until its listener is closed.
    pub(crate) async fn shutdown(self) {
        let ServerHandle { kill, done } = self;
        drop(kill);
        let _ = tokio::time::timeout(Duration::from_secs(2), done).await;
    }
}

/// Binds `addr` (port 0 for an ephemeral port). Uses std's bind, which sets `SO_REUSEADDR`, so a
/// restart can take the same port again right away.
pub(crate) fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    from_std(std::net::TcpListener::bind(addr)?)
}

/// A tokio listener from one bound already.
pub(crate) fn from_std(l: std::net::TcpListener) -> std::io::Result<TcpListener> {
    l.set_nonblocking(true)?;
    TcpListener::from_std(l)
}

/// Serves `router` on `listener` until the handle is dropped or `life` ends (the dashboard and
/// all its clones were dropped). Must be called inside a tokio runtime.
pub(crate) fn serve(
    listener: TcpListener,
    router: Router,
    life: watch::Receiver<()>,
) -> ServerHandle {
    let (kill_tx, kill_rx) = watch::channel(());
    let (done_tx, done_rx) = oneshot::channel();
    tokio::spawn(accept_loop(listener, router, kill_rx, life, done_tx));
    ServerHandle {
        kill: kill_tx,
        done: done_rx,
    }
}

async fn accept_loop(
    listener: TcpListener,
    router: Router,
    mut kill: watch::Receiver<()>,
    mut life: watch::Receiver<()>,
    done: oneshot::Sender<()>,
) {
    loop {
        let stream = tokio::select! {
            r = listener.accept() => match r {
                Ok((stream, _)) => stream,
                Err(_) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
            _ = kill.changed() => break,
            _ = life.changed() => break,
        };
        let svc = TowerToHyperService::new(router.clone());
        let (mut kill, mut life) = (kill.clone(), life.clone());
        tokio::spawn(async move {
            let conn = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), svc);
            tokio::select! {
                _ = conn => {}
                _ = kill.changed() => {}
                _ = life.changed() => {}
            }
        });
    }
    drop(listener);
    let _ = done.send(());
}
