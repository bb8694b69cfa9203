//! Free loopback ports, shared by every test crate that starts a server on a fixed port.

/// A free TCP port on 127.0.0.1 (the listener is closed again; the server binds it right after).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}
