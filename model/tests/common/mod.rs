//! Locating and reading the captured Codis 3.2 responses (`fixtures/codis-3.2`, see its README).
//!
//! The folder is `CODIS_FIXTURES` if set, else `<workspace root>/fixtures/codis-3.2`: the captures
//! live in the repository, so a plain clone tests against them. A missing or unreadable capture
//! fails the test that needs it; nothing is skipped.
//!
//! The demo's contract tests include this file too (`#[path]`): one reader for both crates.

#![allow(dead_code)] // Each test binary uses a different part of this module.

use flate2::read::GzDecoder;
use std::io::Read;
use std::path::{Path, PathBuf};

/// The fixtures folder.
pub fn fixtures_dir() -> PathBuf {
    match std::env::var_os("CODIS_FIXTURES") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../fixtures/codis-3.2"
        )),
    }
}

/// What a `.meta` file says about a capture.
#[derive(Debug, Clone, Default)]
pub struct Meta {
    pub method: String,
    /// Request path, query included (`/topom?forward=codis-demo`).
    pub path: String,
    pub status: u16,
    pub content_type: Option<String>,
    pub content_encoding: Option<String>,
    /// The request body sent with the capture (`curl_extra_args: --data-binary ...`).
    pub request_body: Option<String>,
    /// The `Location` header of a redirect.
    pub location: Option<String>,
}

impl Meta {
    /// The path without its query string.
    pub fn route(&self) -> &str {
        self.path.split('?').next().unwrap_or("")
    }

    pub fn is_json(&self) -> bool {
        self.content_type
            .as_deref()
            .is_some_and(|t| t.starts_with("application/json"))
    }
}

/// One capture: its name, meta data and body (decompressed when the meta says gzip).
#[derive(Debug, Clone)]
pub struct Capture {
    pub name: String,
    pub meta: Meta,
    pub body: Vec<u8>,
}

impl Capture {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

pub fn parse_meta(text: &str) -> Meta {
    let mut meta = Meta::default();
    for line in text.lines() {
        let trimmed = line.trim();
        let Some((key, value)) = trimmed.split_once(':') else {
            continue;
        };
        let value = value.trim().to_owned();
        // Top-level keys are not indented; response headers are.
        let indented = line.starts_with(' ');
        match (indented, key.to_ascii_lowercase().as_str()) {
            (false, "method") => meta.method = value,
            (false, "path") => meta.path = value,
            (false, "status") => meta.status = value.parse().unwrap_or(0),
            (false, "curl_extra_args") => {
                meta.request_body = value
                    .strip_prefix("--data-binary ")
                    .and_then(|r| r.split(" -H ").next())
                    .map(str::to_owned)
            }
            (true, "content-type") => meta.content_type = Some(value),
            (true, "content-encoding") => meta.content_encoding = Some(value),
            (true, "location") => meta.location = Some(value),
            _ => {}
        }
    }
    meta
}

fn read_body(path: &Path, meta: &Meta) -> Vec<u8> {
    let raw = std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    if meta.content_encoding.as_deref() == Some("gzip") {
        let mut out = Vec::new();
        GzDecoder::new(raw.as_slice())
            .read_to_end(&mut out)
            .unwrap_or_else(|e| panic!("gunzip {}: {e}", path.display()));
        out
    } else {
        raw
    }
}

/// Every capture of the folder, sorted by name.
pub fn all_captures() -> Vec<Capture> {
    let dir = fixtures_dir();
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| {
        panic!(
            "fixtures folder {} not readable ({e}); set CODIS_FIXTURES",
            dir.display()
        )
    });
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_str().map(str::to_owned))
        .filter_map(|n| n.strip_suffix(".meta").map(str::to_owned))
        .collect();
    names.sort();
    names.into_iter().map(|n| capture(&n)).collect()
}

/// One capture by name (without extension).
pub fn capture(name: &str) -> Capture {
    let dir = fixtures_dir();
    let meta_path = dir.join(format!("{name}.meta"));
    let meta_text = std::fs::read_to_string(&meta_path)
        .unwrap_or_else(|e| panic!("read {}: {e}", meta_path.display()));
    let meta = parse_meta(&meta_text);
    let body = read_body(&dir.join(format!("{name}.json")), &meta);
    Capture {
        name: name.to_owned(),
        meta,
        body,
    }
}

/// Parses a capture's body as `T`.
pub fn load<T: serde::de::DeserializeOwned>(name: &str) -> T {
    let c = capture(name);
    serde_json::from_slice(&c.body).unwrap_or_else(|e| panic!("{name}: {e}"))
}
