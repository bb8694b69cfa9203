//! Free loopback ports, shared by every test crate that starts a server on a fixed port.
//!
//! Daemons that cannot say which port they bound (nginx, etcd, ZooKeeper, Prometheus,
//! Alertmanager, chromedriver) are given one picked here. A port the kernel hands out for
//! `bind(0)` comes from its ephemeral range, the same range it takes outgoing connections'
//! local ports from: under load, another process's connection could take it between our check
//! and the daemon's bind, and the daemon died on "address in use" (seen in session 7's loaded
//! runs). So ports are picked below that range, where only listeners live, and each is checked
//! free; within one test process, a counter never hands out the same port twice. codis-fe
//! itself needs none of this: tests start it on port 0 and read its start line
//! (`crate::process::Spawned`).

use std::net::TcpListener;
use std::sync::atomic::{AtomicU32, Ordering};

/// The lowest port handed out: above the usual fixed ports of local services.
const FLOOR: u32 = 20_000;

/// A free TCP port on 127.0.0.1, outside the kernel's ephemeral range when it can be (see the
/// module documentation); the check's listener is closed again, the server binds it right after.
pub fn free_port() -> u16 {
    let ceiling = ephemeral_start().min(u32::from(u16::MAX) + 1);
    if ceiling > FLOOR + 1_000 {
        let span = ceiling - FLOOR;
        static NEXT: AtomicU32 = AtomicU32::new(0);
        // Processes start at different offsets (by pid), then count up.
        let start = std::process::id().wrapping_mul(7_919) % span;
        for _ in 0..span {
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            let port = FLOOR + (start + n) % span;
            if let Ok(port) = u16::try_from(port) {
                if TcpListener::bind(("127.0.0.1", port)).is_ok() {
                    return port;
                }
            }
        }
    }
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// The first port of the kernel's ephemeral range (Linux's default when unreadable).
fn ephemeral_start() -> u32 {
    std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(32_768)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_free_distinct_and_below_the_ephemeral_range() {
        let ports: Vec<u16> = (0..50).map(|_| free_port()).collect();
        let mut unique = ports.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), ports.len(), "{ports:?}");
        let ceiling = ephemeral_start();
        for p in ports {
            assert!(u32::from(p) >= FLOOR && u32::from(p) < ceiling, "{p}");
            TcpListener::bind(("127.0.0.1", p)).expect("free");
        }
    }
}
