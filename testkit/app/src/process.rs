//! The codis-fe binary as a separate process, as a service manager starts it.
//!
//! It listens on `HOST:0` and the test reads the port the kernel picked from the line codis-fe
//! prints on stderr once it has bound ("codis-fe: console at http://127.0.0.1:PORT/…"). Picking
//! a "free" port first and passing it in races every other process on the machine: the kernel
//! hands the same ephemeral ports to outgoing connections, and a loaded run lost that race.

use std::io::Read as _;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A running codis-fe process; killed on drop.
pub struct Spawned {
    pub child: Child,
    /// The port it listens on.
    pub port: u16,
    log: Arc<Mutex<String>>,
}

impl Spawned {
    /// Starts `cmd` (the codis-fe binary and its flags, without `--listen`) with
    /// `--listen=HOST:0`, and waits until it says where it listens. Fails with its stderr if it
    /// exits first or says nothing within 60 s (a debug build on a loaded machine is slow).
    pub fn start(mut cmd: Command, host: &str) -> Spawned {
        let mut child = cmd
            .arg(format!("--listen={host}:0"))
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start codis-fe");
        let log = Arc::new(Mutex::new(String::new()));
        let mut stderr = child.stderr.take().expect("stderr");
        let sink = log.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = stderr.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .expect("log")
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let port = bound_port(&log.lock().expect("log"));
            if let Some(port) = port {
                return Spawned { child, port, log };
            }
            if let Some(status) = child.try_wait().expect("wait") {
                // Let the reader thread take the last bytes.
                std::thread::sleep(Duration::from_millis(100));
                panic!(
                    "codis-fe exited with {status} before listening: {}",
                    log.lock().expect("log")
                );
            }
            assert!(
                Instant::now() < deadline,
                "codis-fe did not say where it listens within 60 s: {}",
                log.lock().expect("log")
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Everything it wrote on stderr so far.
    pub fn log(&self) -> String {
        self.log.lock().expect("log").clone()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The port in codis-fe's start line ("codis-fe: console at SCHEME://HOST:PORT…" or
/// "codis-fe: API at …").
fn bound_port(log: &str) -> Option<u16> {
    let line = log
        .lines()
        .find(|l| l.starts_with("codis-fe: console at ") || l.starts_with("codis-fe: API at "))?;
    let after = &line[line.find("://")? + 3..];
    let authority = after.split(['/', ' ']).next()?;
    authority.rsplit(':').next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_port_is_read_from_the_start_line() {
        assert_eq!(
            super::bound_port("x\ncodis-fe: console at http://127.0.0.1:40315/ (embedded)\n"),
            Some(40315)
        );
        assert_eq!(
            super::bound_port("codis-fe: API at https://[::1]:9090/codis (no console: …)\n"),
            Some(9090)
        );
        assert_eq!(super::bound_port("codis-fe: starting\n"), None);
    }
}
