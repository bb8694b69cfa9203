//! TLS without a proxy (`--tls-cert`, `--tls-key`) with certificates made by the test (rcgen):
//! HTTPS over HTTP/2 and HTTP/1.1 for the console, the API and the event stream; `Secure`
//! cookies and HSTS; and, on the real binary, a SIGHUP that swaps the certificate for new
//! connections without dropping an open event stream, and keeps it when the new files are bad.

use codis_testkit as support;
use support::TestApp;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use std::net::SocketAddr;

use reqwest::{header, StatusCode, Version};
use serde_json::{json, Value};
use support::live::Sse;
use support::ports::free_port;
use support::process::Spawned;
use support::TestAppBuilder;

/// A self-signed certificate for `localhost` and 127.0.0.1: (certificate PEM, key PEM, DER).
fn certificate(name: &str) -> (String, String, Vec<u8>) {
    let (cert, key, der, _) = certificate_and_public_key(name);
    (cert, key, der)
}

/// [`certificate`], and its public key (DER), which Chromium can be told to trust.
fn certificate_and_public_key(name: &str) -> (String, String, Vec<u8>, Vec<u8>) {
    let mut params =
        rcgen::CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
            .expect("params");
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, name);
    let key = rcgen::KeyPair::generate().expect("key");
    let cert = params.self_signed(&key).expect("self-signed");
    (
        cert.pem(),
        key.serialize_pem(),
        cert.der().to_vec(),
        key.public_key_der(),
    )
}

/// A directory with `cert.pem` and `key.pem`, removed on drop.
struct Files(PathBuf);

impl Files {
    fn new(tag: &str) -> Files {
        let dir = std::env::temp_dir().join(format!("codis-fe-tls-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("dir");
        Files(dir)
    }

    /// A directory holding this certificate and key.
    fn holding(tag: &str, cert: &str, key: &str) -> Files {
        let files = Files::new(tag);
        files.write(cert, key);
        files
    }
    fn cert(&self) -> PathBuf {
        self.0.join("cert.pem")
    }
    fn key(&self) -> PathBuf {
        self.0.join("key.pem")
    }
    /// Writes both files the way a renewal should: each to a temporary name, then renamed.
    fn write(&self, cert: &str, key: &str) {
        for (path, text) in [(self.cert(), cert), (self.key(), key)] {
            let tmp = path.with_extension("new");
            std::fs::write(&tmp, text).expect("write");
            std::fs::rename(&tmp, &path).expect("rename");
        }
    }
    fn flags(&self) -> [String; 2] {
        [
            format!("--tls-cert={}", self.cert().display()),
            format!("--tls-key={}", self.key().display()),
        ]
    }

    /// `app` serving HTTPS with these files.
    fn serve(&self, app: TestAppBuilder) -> TestAppBuilder {
        let [c, k] = self.flags();
        app.flag(c).flag(k)
    }
}

/// The console (`dist/`) over HTTPS on the demo cluster, with sign-in for `otto` (operator,
/// password `otto-pw`) and `extra` flags: its address, and the files to keep for the test.
async fn signed_in_console(
    tag: &str,
    cert: &str,
    key: &str,
    extra: &[&str],
) -> (SocketAddr, Files, support::OperatorSignIn) {
    let files = Files::holding(tag, cert, key);
    let sign_in = support::OperatorSignIn::new(&format!("deploy-tls-{tag}"));
    let app = TestApp::builder()
        .demo()
        .flag("--demo-noise=off")
        .flags(extra)
        .operator_sign_in(&sign_in)
        .assets(&support::dist_dir());
    let addr = files.serve(app).start().await.addr;
    (addr, files, sign_in)
}

impl Drop for Files {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A client trusting exactly `roots` (DER), HTTP/2 offered by ALPN unless `http1`.
fn client(roots: &[&[u8]], http1: bool) -> reqwest::Client {
    let mut b = reqwest::Client::builder()
        .no_proxy()
        .https_only(true)
        .tls_built_in_root_certs(false)
        .tls_info(true)
        .connect_timeout(Duration::from_secs(10));
    for der in roots {
        b = b.add_root_certificate(reqwest::Certificate::from_der(der).expect("certificate"));
    }
    if http1 {
        b = b.http1_only();
    }
    b.build().expect("client")
}

/// The names of the next `n` snapshot and update events of `stream`, read within `within`.
async fn events(stream: &mut Sse, n: usize, within: Duration) -> Vec<String> {
    stream
        .names(n, within)
        .await
        .into_iter()
        .map(|(name, _)| name)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_serves_console_api_and_event_stream_over_http2_with_secure_cookies_and_hsts() {
    let (cert, key, der) = certificate("codis-fe test");
    let (addr, _files, _sign_in) =
        signed_in_console("serve", &cert, &key, &["--poll-interval=0.2"]).await;
    let base = format!("https://localhost:{}", addr.port());
    let h2 = client(&[&der], false);

    let page = h2.get(format!("{base}/")).send().await.expect("page");
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(page.version(), Version::HTTP_2, "ALPN chose HTTP/2");
    assert_eq!(
        page.headers()[header::STRICT_TRANSPORT_SECURITY],
        "max-age=31536000"
    );
    assert!(page.text().await.expect("html").contains("_bg.wasm"));

    // HTTP/1.1 over TLS works too.
    let h1 = client(&[&der], true);
    let me = h1.get(format!("{base}/api/me")).send().await.expect("me");
    assert_eq!(me.version(), Version::HTTP_11);
    assert_eq!(me.status(), StatusCode::UNAUTHORIZED);
    assert!(me.headers().contains_key(header::STRICT_TRANSPORT_SECURITY));

    // Sign-in: the cookie is Secure without --cookie-secure.
    let support::SignedIn {
        cookie,
        csrf,
        set_cookie,
    } = support::sign_in(&h2, &base, support::OPERATOR, support::OPERATOR_PASSWORD).await;
    assert!(set_cookie.contains("; Secure"), "{set_cookie}");

    // The event stream over HTTP/2: the snapshot, then updates as they are polled.
    let url = format!("{base}/api/products/codis-demo/events");
    let mut stream = Sse::open(&h2, &url, Some(&cookie)).await;
    assert_eq!(stream.resp.version(), Version::HTTP_2);
    let got = events(&mut stream, 3, Duration::from_secs(5)).await;
    assert_eq!(got, ["snapshot", "update", "update"], "over HTTP/2");
    // And an API read on the same HTTP/2 connection while the stream stays open.
    let products: Value = h2
        .get(format!("{base}/api/products"))
        .header(header::COOKIE, &cookie)
        .send()
        .await
        .expect("products")
        .json()
        .await
        .expect("json");
    assert!(products["products"]
        .as_array()
        .is_some_and(|p| !p.is_empty()));
    let more = events(&mut stream, 1, Duration::from_secs(5)).await;
    assert_eq!(more, ["update"], "the stream kept flowing");

    // Sign-out ends the stream, with a complete body: it is gzip (reqwest asks for it and checks
    // the gzip trailer), so a stream cut short or without its trailer is an error here.
    let signout = h2
        .delete(format!("{base}/api/session"))
        .header(header::COOKIE, &cookie)
        .header("x-csrf-token", &csrf)
        .send()
        .await
        .expect("sign out");
    assert_eq!(signout.status(), StatusCode::NO_CONTENT);
    let ended = tokio::time::timeout(Duration::from_secs(10), async {
        while stream.next_event().await.is_some() {}
    })
    .await;
    assert!(ended.is_ok(), "the stream still open after the sign-out");
    assert_eq!(stream.error, None, "the stream ended cleanly");

    // Plain HTTP to the TLS port is refused (no answer a browser could take for the console).
    let plain = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(5))
        .build()
        .expect("client")
        .get(format!("http://127.0.0.1:{}/", addr.port()))
        .send()
        .await;
    assert!(plain.is_err(), "{plain:?}");
}

#[tokio::test]
async fn hsts_is_configurable_and_bad_tls_files_stop_the_start_naming_the_flag() {
    let (cert, key, der) = certificate("codis-fe hsts");
    let files = Files::holding("hsts", &cert, &key);
    let [c, k] = files.flags();
    let off = files
        .serve(TestApp::builder().demo().flag("--hsts-max-age=0"))
        .start()
        .await
        .addr;
    let resp = client(&[&der], false)
        .get(format!("https://localhost:{}/healthz", off.port()))
        .send()
        .await
        .expect("healthz");
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(!resp
        .headers()
        .contains_key(header::STRICT_TRANSPORT_SECURITY));
    let day = files
        .serve(TestApp::builder().demo().flag("--hsts-max-age=86400"))
        .start()
        .await
        .addr;
    let resp = client(&[&der], false)
        .get(format!("https://localhost:{}/healthz", day.port()))
        .send()
        .await
        .expect("healthz");
    assert_eq!(
        resp.headers()[header::STRICT_TRANSPORT_SECURITY],
        "max-age=86400"
    );

    // Without TLS, no HSTS (a browser ignores it on plain HTTP, and the flag default is for TLS).
    let plain = TestApp::builder().demo().start().await.addr;
    let resp = support::http()
        .get(format!("http://{plain}/healthz"))
        .send()
        .await
        .expect("healthz");
    assert!(!resp
        .headers()
        .contains_key(header::STRICT_TRANSPORT_SECURITY));

    // Bad files: the binary exits non-zero with one line naming the flag.
    let (_, other_key, _) = certificate("another");
    let wrong = Files::holding("wrong", &cert, &other_key);
    let [wc, wk] = wrong.flags();
    for (args, flag) in [
        (vec![c.clone()], "--tls-key"),
        (vec![wc.clone(), wk.clone()], "--tls-key"),
        (
            vec!["--tls-cert=/nonexistent.pem".into(), k.clone()],
            "--tls-cert",
        ),
        (
            vec![c.clone(), "--hsts-max-age=-1".into()],
            "--hsts-max-age",
        ),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_codis-fe"))
            .args(["--demo", &format!("--listen=127.0.0.1:{}", free_port())])
            .args(&args)
            .output()
            .expect("run");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} started");
        assert!(err.contains(flag), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

/// The certificate a new connection to `port` is shown (DER).
async fn presented(port: u16, roots: &[&[u8]]) -> Option<Vec<u8>> {
    let resp = client(roots, true)
        .get(format!("https://localhost:{port}/healthz"))
        .send()
        .await
        .ok()?;
    resp.extensions()
        .get::<reqwest::tls::TlsInfo>()?
        .peer_certificate()
        .map(<[u8]>::to_vec)
}

fn sighup(child: &Spawned) {
    let status = Command::new("kill")
        .args(["-HUP", &child.pid().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
}

async fn wait_presented(port: u16, roots: &[&[u8]], want: &[u8], what: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if presented(port, roots).await.as_deref() == Some(want) {
            return;
        }
        assert!(Instant::now() < deadline, "{what}: not within 10 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_reloads_the_certificate_without_dropping_open_streams() {
    let (cert_a, key_a, der_a) = certificate("codis-fe A");
    let (cert_b, key_b, der_b) = certificate("codis-fe B");
    let files = Files::holding("reload", &cert_a, &key_a);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_codis-fe"));
    cmd.args([
        "--demo",
        "--demo-noise=off",
        "--poll-interval=0.2",
        "--log-level=ERROR",
    ])
    .args(files.flags());
    let child = Spawned::start(cmd, "127.0.0.1");
    let port = child.port;
    let roots: [&[u8]; 2] = [&der_a, &der_b];
    wait_presented(port, &roots, &der_a, "certificate A at start").await;

    // An event stream over HTTP/2, opened with certificate A.
    let h2 = client(&roots, false);
    let url = format!("https://localhost:{port}/api/products/codis-demo/events");
    let mut stream = Sse::open(&h2, &url, None).await;
    assert_eq!(stream.resp.version(), Version::HTTP_2);
    assert_eq!(
        events(&mut stream, 2, Duration::from_secs(5)).await,
        ["snapshot", "update"]
    );

    // Renewed files, then SIGHUP: new connections get B.
    files.write(&cert_b, &key_b);
    sighup(&child);
    wait_presented(port, &roots, &der_b, "certificate B after SIGHUP").await;
    // The stream opened before goes on.
    assert_eq!(
        events(&mut stream, 2, Duration::from_secs(5)).await,
        ["update", "update"],
        "the open stream survived the reload"
    );

    // A bad renewal (the key of another certificate): SIGHUP logs why and keeps B.
    let (_, key_c, _) = certificate("codis-fe C");
    files.write(&cert_a, &key_c);
    sighup(&child);
    let deadline = Instant::now() + Duration::from_secs(10);
    while !child.log().contains("reload on SIGHUP failed") {
        assert!(
            Instant::now() < deadline,
            "no refused reload logged: {}",
            child.log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(child.log().contains("--tls-key"));
    assert_eq!(
        presented(port, &roots).await.as_deref(),
        Some(&der_b[..]),
        "a bad renewal keeps the certificate in use"
    );
    // Good files again: the next SIGHUP takes them.
    files.write(&cert_a, &key_a);
    sighup(&child);
    wait_presented(port, &roots, &der_a, "certificate A after a good SIGHUP").await;
    assert_eq!(
        events(&mut stream, 1, Duration::from_secs(5)).await,
        ["update"]
    );
    assert!(Path::new(&files.cert()).exists());
}

/// `VmRSS` of a process, in KiB.
fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// Opens `n` event streams, each on a connection of its own, and returns the backend's memory
/// per stream (KiB) once all have their snapshot.
async fn memory_per_stream(
    pid: u32,
    url: &str,
    n: usize,
    make: impl Fn() -> reqwest::Client,
) -> f64 {
    // A stream on a connection of its own, once it has its snapshot.
    let open_one = || {
        let client = make();
        async move {
            let mut s = Sse::open(&client, url, None).await;
            assert_eq!(
                events(&mut s, 1, Duration::from_secs(10)).await,
                ["snapshot"]
            );
            s
        }
    };
    // A first stream starts the product's poller and history, which every later one shares.
    let mut open = vec![open_one().await];
    let before = rss_kib(pid);
    for _ in 0..n {
        open.push(open_one().await);
    }
    let after = rss_kib(pid);
    after.saturating_sub(before) as f64 / n as f64
}

/// Memory per open event stream: plain HTTP/1.1 (the bare-connection fast path) against TLS with
/// HTTP/2 and TLS with HTTP/1.1 (through hyper and the router). Prints the figures; fails if a
/// TLS stream costs more than 256 KiB (a leak, or buffers grown by an order of magnitude).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_per_event_stream_over_plain_http1_and_tls() {
    // Enough streams to rise above the allocator's noise, few enough for a default 1024-descriptor
    // limit in this process (one client socket per stream).
    const N: usize = 400;
    let (cert, key, der) = certificate("codis-fe memory");
    let files = Files::holding("memory", &cert, &key);
    let start = |tls: bool| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_codis-fe"));
        cmd.args(["--demo", "--demo-noise=off", "--log-level=ERROR"]);
        if tls {
            cmd.args(files.flags());
        }
        let child = Spawned::start(cmd, "127.0.0.1");
        let port = child.port;
        (child, port)
    };
    let mut figures = Vec::new();
    for (name, tls, http1) in [
        ("plain HTTP/1.1 (fast path)", false, true),
        ("TLS, HTTP/2", true, false),
        ("TLS, HTTP/1.1", true, true),
    ] {
        let (child, port) = start(tls);
        let url = if tls {
            format!("https://localhost:{port}/api/products/codis-demo/events")
        } else {
            format!("http://127.0.0.1:{port}/api/products/codis-demo/events")
        };
        let kib = memory_per_stream(child.pid(), &url, N, || {
            if tls {
                client(&[&der], http1)
            } else {
                reqwest::Client::builder()
                    .no_proxy()
                    .http1_only()
                    .build()
                    .expect("client")
            }
        })
        .await;
        eprintln!("memory per event stream, {name}: {kib:.1} KiB ({N} streams, debug build)");
        figures.push((name, kib));
    }
    for (name, kib) in &figures {
        assert!(*kib < 256.0, "{name}: {kib:.1} KiB per stream");
    }
}

/// The console in Chromium over HTTPS: the page and the event stream over HTTP/2, the sign-in
/// cookie Secure. Chromium trusts the test's certificate by its key (an SPKI pin), nothing else.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_runs_in_chromium_over_https_and_http2() {
    use base64::Engine as _;
    use sha2::Digest as _;
    let (cert, key, _, spki) = certificate_and_public_key("codis-fe browser");
    let (addr, _files, _sign_in) = signed_in_console("browser", &cert, &key, &[]).await;
    let pin = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(&spki));
    let b = support::browser::Browser::start_with(&[format!(
        "--ignore-certificate-errors-spki-list={pin}"
    )])
    .await;
    b.open(&format!("https://localhost:{}/p/codis-demo", addr.port()))
        .await;
    b.wait_for("#signin-form").await;
    b.type_into("#signin-user", support::OPERATOR).await;
    b.type_into("#signin-password", support::OPERATOR_PASSWORD)
        .await;
    b.click("#signin-submit").await;
    b.wait_text("#live-indicator", "the live stream over HTTPS", |t| {
        t.starts_with("Live")
    })
    .await;
    let protocols = b
        .js(
            "return [performance.getEntriesByType('navigation')[0].nextHopProtocol, location.protocol];",
            vec![],
        )
        .await;
    assert_eq!(protocols, json!(["h2", "https:"]));
    let cookies = b.client.get_all_cookies().await.expect("cookies");
    let session = cookies
        .iter()
        .find(|c| c.name() == "codis_fe_session")
        .expect("signed in");
    assert_eq!(session.secure(), Some(true));
    b.close().await;
}

/// The headers one response policy decides (security, HSTS, `Retry-After`): what every answer
/// must agree on, whoever writes it.
fn policy_headers(h: &header::HeaderMap) -> Vec<(String, String)> {
    [
        "content-security-policy",
        "x-content-type-options",
        "referrer-policy",
        "strict-transport-security",
    ]
    .iter()
    .map(|n| {
        let v = h.get(*n).and_then(|v| v.to_str().ok()).unwrap_or("(none)");
        (n.to_string(), v.to_string())
    })
    .collect()
}

/// The status and headers of the answer to `request` sent raw over TLS (HTTP/1.1: no ALPN).
async fn raw_over_tls(port: u16, der: &[u8], request: &[u8]) -> (u16, header::HeaderMap) {
    use std::sync::Arc;
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    use tokio_rustls::rustls;
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(rustls::pki_types::CertificateDer::from(der.to_vec()))
        .expect("root");
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("versions")
    .with_root_certificates(roots)
    .with_no_client_auth();
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    let name = rustls::pki_types::ServerName::try_from("localhost").expect("name");
    let mut tls = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
        .expect("handshake");
    tls.write_all(request).await.expect("write");
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), tls.read_to_end(&mut answer)).await;
    let text = String::from_utf8_lossy(&answer);
    let head = text.split("\r\n\r\n").next().unwrap_or_default();
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line: {text:?}"));
    let mut headers = header::HeaderMap::new();
    for l in lines {
        if let Some((n, v)) = l.split_once(": ") {
            headers.append(
                header::HeaderName::from_bytes(n.as_bytes()).expect("name"),
                header::HeaderValue::from_str(v).expect("value"),
            );
        }
    }
    (status, headers)
}

/// Over TLS the answers the server writes itself carry the same policy headers as the router's
/// (HSTS included): a connection past `--max-connections-per-ip` is answered 503 with the API's
/// JSON body and `Retry-After`, over HTTP/2 and HTTP/1.1 (not just closed), and hyper's own 400
/// for a request it cannot parse gets them too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_tls_refusals_and_the_servers_own_errors_carry_the_policy_headers() {
    let (cert, key, der) = certificate("codis-fe refusals");
    let files = Files::holding("refusals", &cert, &key);
    let app = TestApp::builder()
        .demo()
        .quiet()
        .flag("--max-connections-per-ip=1");
    let port = files.serve(app).start().await.addr.port();
    let base = format!("https://localhost:{port}");

    // One connection open from this address (it has not even shaken hands; the first the
    // server accepts): the next is refused.
    let mut refusals = Vec::new();
    let held = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    for http1 in [false, true] {
        let refused = client(&[&der], http1)
            .get(format!("{base}/api/products"))
            .send()
            .await
            .expect("an answer, not a closed connection");
        assert_eq!(refused.status(), StatusCode::SERVICE_UNAVAILABLE);
        let version = if http1 {
            Version::HTTP_11
        } else {
            Version::HTTP_2
        };
        assert_eq!(refused.version(), version);
        assert_eq!(refused.headers()[header::RETRY_AFTER], "1");
        refusals.push((version, refused.headers().clone()));
        let body: Value = refused.json().await.expect("JSON body");
        assert_eq!(body["error"]["kind"], "unavailable", "{body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("--max-connections-per-ip")),
            "{body}"
        );
    }
    drop(held);

    // The router's own answer (a JSON 404) once the held connection is gone and the address may
    // connect again: the refusals carried the same policy headers.
    let deadline = Instant::now() + Duration::from_secs(10);
    let reference = loop {
        let resp = client(&[&der], false)
            .get(format!("{base}/api/nothing"))
            .send()
            .await
            .expect("404");
        if resp.status() != StatusCode::SERVICE_UNAVAILABLE || Instant::now() > deadline {
            break resp;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(reference.status(), StatusCode::NOT_FOUND);
    let expected = policy_headers(reference.headers());
    assert!(expected.iter().all(|(_, v)| v != "(none)"), "{expected:?}");
    drop(reference);
    for (version, headers) in &refusals {
        assert_eq!(policy_headers(headers), expected, "{version:?}");
    }

    // hyper's own answer to a request it cannot parse, over TLS: on a connection served, and on
    // one refused by the cap (hyper answers it before the refusal's 503 could).
    let uncapped = files.serve(TestApp::builder().demo().quiet()).start().await;
    let request = b"POST /api/me HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n";
    let (status, headers) = raw_over_tls(uncapped.addr.port(), &der, request).await;
    assert_eq!(status, 400, "{headers:?}");
    assert_eq!(policy_headers(&headers), expected);
    let held = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    let (status, headers) = raw_over_tls(port, &der, request).await;
    assert_eq!(status, 400, "refused connection: {headers:?}");
    assert_eq!(policy_headers(&headers), expected, "refused connection");
    drop(held);
}
