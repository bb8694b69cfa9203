//! The codis-fe binary as a service manager or a script sees it.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use codis_testkit::ports;
use codis_testkit::process::Spawned;

use ports::free_port;

const BIN: &str = env!("CARGO_BIN_EXE_codis-fe");

/// codis-fe with `args`, on a port the kernel picks on `host`.
fn start(host: &str, args: &[&str], envs: &[(&str, &str)]) -> Spawned {
    let mut cmd = Command::new(BIN);
    cmd.args(args).envs(envs.iter().copied());
    Spawned::start(cmd, host)
}

/// Waits up to 30 s for `cond`, failing with codis-fe's stderr.
fn wait_for(child: &Spawned, what: &str, cond: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !cond() {
        assert!(Instant::now() < deadline, "{what}: {}", child.log());
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_bad_flag_exits_non_zero_with_one_line_naming_it() {
    for (args, flag) in [
        (vec!["--demo", "--log-level=LOUD"], "--log-level"),
        (vec!["--demo", "--listen=not-an-address"], "--listen"),
        (vec!["--demo", "--demo-fault=meteor"], "--demo-fault"),
        (vec![], "--dashboard-list"),
        (
            vec!["--etcd=127.0.0.1:2379", "--etcd-auth=:secret"],
            "--etcd-auth",
        ),
    ] {
        let out = Command::new(BIN)
            .args(&args)
            .arg(format!("--listen=127.0.0.1:{}", free_port()))
            .output()
            .expect("run codis-fe");
        assert!(!out.status.success(), "{args:?} must fail");
        let err = String::from_utf8_lossy(&out.stderr);
        let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(lines.len(), 1, "{args:?}: one line, got {err:?}");
        assert!(
            lines[0].contains(flag),
            "{args:?}: {err:?} should name {flag}"
        );
    }
}

#[test]
fn a_non_loopback_listen_without_auth_is_refused_naming_both_flags() {
    let out = Command::new(BIN)
        .args(["--demo", "--log-level=ERROR"])
        .arg(format!("--listen=0.0.0.0:{}", free_port()))
        .output()
        .expect("run codis-fe");
    assert!(!out.status.success(), "must refuse to start");
    let err = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line, got {err:?}");
    assert!(
        lines[0].contains("--listen") && lines[0].contains("--insecure-no-auth"),
        "{err:?}"
    );
    // The environment variable works as the flag does (the start is checked up to listening).
    let child = start(
        "0.0.0.0",
        &["--demo", "--log-level=ERROR"],
        &[("CODIS_FE_INSECURE_NO_AUTH", "true")],
    );
    wait_for(&child, "never listened", || {
        std::net::TcpStream::connect(("127.0.0.1", child.port)).is_ok()
    });
}

#[test]
fn passwd_prints_an_argon2id_hash_of_the_password_on_stdin() {
    use std::io::Write;
    let mut child = Command::new(BIN)
        .arg("passwd")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run codis-fe passwd");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"s3cret pass\n")
        .expect("write");
    let out = child.wait_with_output().expect("wait");
    assert!(out.status.success(), "{out:?}");
    let hash = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    use argon2::PasswordVerifier as _;
    let parsed = argon2::PasswordHash::new(&hash).expect("PHC string");
    assert!(argon2::Argon2::default()
        .verify_password(b"s3cret pass", &parsed)
        .is_ok());
    assert!(argon2::Argon2::default()
        .verify_password(b"s3cret", &parsed)
        .is_err());
    assert!(!String::from_utf8_lossy(&out.stderr).contains("s3cret"));
}

#[test]
fn version_prints_version_commit_console_and_compile_lines() {
    let out = Command::new(BIN).arg("--version").output().expect("run");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("version: "), "{text}");
    assert!(text.contains("\ncompile: "), "{text}");
    // The commit this binary was built from (build.rs reruns when HEAD moves).
    let head = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "unknown".into());
    assert!(text.contains(&format!("\ncommit: {head}\n")), "{text}");
    // Test binaries are debug builds, which never embed the console (build.rs says why).
    assert!(
        text.contains("\nconsole: not embedded in debug builds\n"),
        "{text}"
    );
}

#[test]
fn sigterm_drains_and_removes_the_pidfile() {
    let dir = std::env::temp_dir().join(format!("codis-fe-pid-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let pidfile = dir.join("codis-fe.pid");
    let pid_arg = format!("--pidfile={}", pidfile.display());
    let mut child = start("127.0.0.1", &["--demo", "--log-level=ERROR", &pid_arg], &[]);
    let port = child.port;
    wait_for(&child, "pidfile never written", || pidfile.exists());
    let written = std::fs::read_to_string(&pidfile).expect("read pidfile");
    assert_eq!(written.trim(), child.pid().to_string());
    // The server answers before it is told to stop.
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).expect("listening");
    use std::io::{Read, Write};
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .expect("write");
    let mut reply = String::new();
    s.read_to_string(&mut reply).expect("read");
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");

    let pid = i32::try_from(child.pid()).expect("pid fits");
    // SAFETY: kill(2) with a pid we own and a standard signal has no memory effects.
    let rc = unsafe { libc::kill(pid, libc::SIGTERM) };
    assert_eq!(rc, 0);
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.child.try_wait().expect("wait") {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "codis-fe did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "graceful exit, got {status}");
    assert!(!pidfile.exists(), "pidfile removed on SIGTERM");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn log_goes_to_a_daily_file_named_like_codis_fe() {
    let dir = std::env::temp_dir().join(format!("codis-fe-log-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let log_arg = format!("--log={}", dir.join("codis-fe.log").display());
    let written = || {
        std::fs::read_dir(&dir).ok().and_then(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .find(|p| std::fs::metadata(p).map(|m| m.len() > 0).unwrap_or(false))
        })
    };
    let child = start("127.0.0.1", &["--demo", "--log-level=INFO", &log_arg], &[]);
    wait_for(&child, "no log file written", || written().is_some());
    let file = written().expect("log file");
    drop(child);
    let name = file
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("")
        .to_string();
    let suffix = name.strip_prefix("codis-fe.log.").expect("FILE.<date>");
    assert_eq!(suffix.len(), 10, "YYYY-MM-DD: {name}");
    assert!(suffix.chars().filter(|c| *c == '-').count() == 2, "{name}");
    let text = std::fs::read_to_string(&file).expect("read log");
    let first: serde_json::Value =
        serde_json::from_str(text.lines().next().unwrap_or("")).expect("JSON lines");
    assert!(first.get("level").is_some(), "{first}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A clean start logs no failure: an operator who greps the log for warnings must not find a
/// "request failed" that no request caused (the per-address refusal, rendered ahead at start,
/// used to log one).
#[test]
fn a_clean_start_logs_no_failure() {
    let child = start("127.0.0.1", &["--demo", "--log-level=WARN"], &[]);
    let port = child.port;
    let answered = || {
        use std::io::{Read as _, Write as _};
        let Ok(mut c) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
            return false;
        };
        let _ = c.set_read_timeout(Some(Duration::from_secs(5)));
        let req = "GET /api/products HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
        let mut head = [0u8; 12];
        c.write_all(req.as_bytes()).is_ok()
            && c.read_exact(&mut head).is_ok()
            && head.starts_with(b"HTTP/1.1 200")
    };
    wait_for(&child, "/api/products answered", answered);
    let log = child.log();
    assert!(log.contains("codis-fe started"), "{log}");
    for bad in ["request failed", "ERROR", "panicked"] {
        assert!(!log.contains(bad), "{bad} in a clean start's log:\n{log}");
    }
}
