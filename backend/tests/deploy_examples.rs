//! The production examples in deploy/ are checked by the tools that will read them: the systemd
//! unit by `systemd-analyze verify` (no warning allowed) and its settings by codis-fe's own
//! parser, the nginx site by `nginx -t`, the users file by codis-fe's users loader.

use codis_testkit as support;

use std::path::PathBuf;
use std::process::Command;

fn example(name: &str) -> (PathBuf, String) {
    let path = support::workspace_root().join("deploy").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    (path, text)
}

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("codis-fe-examples-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    dir
}

#[test]
fn the_systemd_unit_is_hardened_verifies_cleanly_and_its_settings_parse() {
    let (_, unit) = example("codis-fe.service");
    for key in [
        "DynamicUser=yes",
        "ProtectSystem=strict",
        "NoNewPrivileges=yes",
        "ProtectHome=yes",
        "PrivateTmp=yes",
        "CapabilityBoundingSet=\n",
        "SystemCallFilter=@system-service",
        "MemoryDenyWriteExecute=yes",
    ] {
        assert!(unit.contains(key), "the unit lacks {key:?}");
    }
    // verify checks that ExecStart names an executable: the binary built here.
    let dir = temp_dir("systemd");
    let path = dir.join("codis-fe.service");
    std::fs::write(
        &path,
        unit.replace("/usr/local/bin/codis-fe", env!("CARGO_BIN_EXE_codis-fe")),
    )
    .expect("write");
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&path)
        .output()
        .expect("systemd-analyze runs (package systemd, scripts/setup)");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{said}");
    assert!(said.trim().is_empty(), "systemd-analyze warned: {said}");

    // Every Environment= setting is one codis-fe accepts (clap reads them all before --version;
    // a bad value would stop it with the flag named). %d: the credentials directory.
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_codis-fe"));
    cmd.arg("--version").env_clear();
    let mut n = 0;
    for line in unit.lines() {
        if let Some(kv) = line.strip_prefix("Environment=") {
            let (k, v) = kv.split_once('=').expect("KEY=VALUE");
            assert!(k.starts_with("CODIS_FE_"), "{line}");
            cmd.env(k, v.replace("%d", "/run/credentials/codis-fe.service"));
            n += 1;
        }
    }
    assert!(n >= 8, "the unit's settings: {n}");
    let out = cmd.output().expect("codis-fe --version");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_nginx_site_passes_nginx_t() {
    let (_, site) = example("nginx-codis.conf");
    for directive in [
        "location /codis/",
        "proxy_buffering off;",
        "proxy_http_version 1.1;",
        "listen 443 ssl",
    ] {
        assert!(site.contains(directive), "the site lacks {directive:?}");
    }
    let dir = temp_dir("nginx");
    let key = rcgen::KeyPair::generate().expect("key");
    let cert = rcgen::CertificateParams::new(vec!["ops.example.com".to_string()])
        .expect("params")
        .self_signed(&key)
        .expect("certificate");
    std::fs::write(dir.join("fullchain.pem"), cert.pem()).expect("cert");
    std::fs::write(dir.join("privkey.pem"), key.serialize_pem()).expect("key");
    let d = dir.display();
    let site = site
        .replace(
            "/etc/ssl/codis/fullchain.pem",
            &format!("{d}/fullchain.pem"),
        )
        .replace("/etc/ssl/codis/privkey.pem", &format!("{d}/privkey.pem"));
    std::fs::write(dir.join("site.conf"), site).expect("site");
    // Debian's nginx.conf includes sites-enabled/* inside `http {}`: the same here.
    let conf = format!(
        "pid {d}/nginx.pid;
error_log {d}/error.log;
events {{}}
http {{
    access_log off;
    client_body_temp_path {d}/client_body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    include {d}/site.conf;
}}
"
    );
    std::fs::write(dir.join("nginx.conf"), conf).expect("conf");
    let out = Command::new(support::nginx::NGINX)
        .arg("-t")
        .arg("-p")
        .arg(&dir)
        .arg("-e")
        .arg(dir.join("error.log"))
        .arg("-c")
        .arg(dir.join("nginx.conf"))
        .output()
        .expect("nginx runs (scripts/setup)");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{said}");
    assert!(said.contains("test is successful"), "{said}");
    assert!(!said.contains("[warn]"), "nginx warned: {said}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_users_example_is_the_users_format_and_refuses_to_start_until_hashes_are_put_in() {
    let (path, text) = example("users.example.json");
    let err = codis_fe::auth::users::load_users(&path, true).expect_err("placeholders refused");
    assert!(err.contains("not a PHC string"), "{err}");
    // With real hashes in place of the placeholders it loads, with the roles it shows.
    let hash = codis_fe::auth::hash_password("example").expect("hash");
    let filled = text
        .lines()
        .map(|l| match (l.find("\"$argon2id"), l.find("OUTPUT\"")) {
            (Some(a), Some(b)) => format!("{}\"{hash}\"{}", &l[..a], &l[b + 7..]),
            _ => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    let dir = temp_dir("users");
    let filled_path = dir.join("users.json");
    std::fs::write(&filled_path, filled).expect("write");
    let users = codis_fe::auth::users::load_users(&filled_path, true).expect("loads");
    assert_eq!(users.len(), 3);
    assert_eq!(users["alice"].role.as_deref(), Some("admin"));
    assert_eq!(
        users["vera"]
            .products
            .get("codis-payments")
            .map(String::as_str),
        Some("operator")
    );
    let _ = std::fs::remove_dir_all(&dir);
}
