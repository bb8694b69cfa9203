//! Build-time facts for `codis-fe --version`, and the console embedded in release binaries.
//!
//! Writes `$OUT_DIR/build_info.rs` with:
//! - `GIT_COMMIT`: the commit built (`git rev-parse`), `unknown` outside a git checkout (a crate
//!   tarball). No `-dirty` mark: the script reruns when HEAD moves, not on every edit, so the
//!   mark would be stale as often as not;
//! - `CONSOLE_FILES` and `CONSOLE_HASH`: the built console (`dist/`, or `$CODIS_FE_CONSOLE_DIR`)
//!   as `include_bytes!`, its precompressed `.br`/`.gz` copies included, and a hash of all of it.
//!
//! Only **release** builds with the `console` feature (on by default) embed the console:
//! - a debug build (`cargo build`, `cargo clippy`, `cargo test`) never looks at `dist/`, so a
//!   fresh clone builds without it and a build made before `scripts/build-frontend` is never
//!   stale afterwards (a build script cannot watch a directory that does not exist yet without
//!   Cargo rebuilding the crate on every command); tests serve `--assets-dir`;
//! - a release build without a built console stops with a message saying what to do, rather
//!   than make a binary that silently serves no console;
//! - `--no-default-features` builds the API-only binary (console on a CDN), which never embeds.

use std::path::{Path, PathBuf};
use std::process::Command;

// The embedding itself, shared with `tests/console_embedding.rs`, which compiles what it writes
// for a small console (release builds are not part of the test run).
#[path = "build/embed.rs"]
mod embed;

fn main() {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=build/embed.rs");
    println!("cargo:rerun-if-env-changed=CODIS_FE_CONSOLE_DIR");

    let commit = git_commit(&manifest);
    let release = std::env::var("PROFILE").as_deref() == Ok("release");
    let wanted = std::env::var_os("CARGO_FEATURE_CONSOLE").is_some();
    let mut code = format!("pub const GIT_COMMIT: &str = {commit:?};\n");
    if wanted && release {
        let dir = std::env::var_os("CODIS_FE_CONSOLE_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| manifest.join("../dist"));
        if !dir.join("index.html").is_file() {
            eprintln!(
                "codis-fe: no built console at {} to embed in this release build: run scripts/build-frontend first (or set CODIS_FE_CONSOLE_DIR), or build the API-only binary with --no-default-features",
                dir.display()
            );
            std::process::exit(1);
        }
        // Cargo scans a directory given here for changes recursively: a new `dist/` is embedded.
        println!("cargo:rerun-if-changed={}", dir.display());
        code.push_str(&embed::embed(&dir));
    } else {
        let why = if wanted {
            "not embedded in debug builds"
        } else {
            "not embedded: built without the `console` feature"
        };
        code.push_str(&format!(
            "pub static CONSOLE_FILES: &[(&str, &[u8])] = &[];\npub const CONSOLE_HASH: &str = {why:?};\n"
        ));
    }
    std::fs::write(out.join("build_info.rs"), code).expect("write build_info.rs");
}

/// The commit being built, `unknown` without git or outside a checkout.
fn git_commit(manifest: &Path) -> String {
    let git = |args: &[&str]| {
        Command::new("git")
            .arg("-C")
            .arg(manifest)
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    let Some(commit) = git(&["rev-parse", "--short=12", "HEAD"]) else {
        return "unknown".into();
    };
    // Rebuilt when HEAD moves: HEAD itself and the branch it names (loose, else packed). Only
    // files that exist are named: Cargo reruns a build script on every command while a file it
    // watches is missing.
    for name in ["HEAD", "packed-refs"] {
        watch(git(&["rev-parse", "--git-path", name]), manifest);
    }
    if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
        watch(git(&["rev-parse", "--git-path", &branch]), manifest);
    }
    commit
}

fn watch(path: Option<String>, manifest: &Path) {
    let Some(path) = path else { return };
    let path = manifest.join(path);
    if path.exists() {
        println!("cargo:rerun-if-changed={}", path.display());
    }
}
