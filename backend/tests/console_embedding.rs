//! The console embedded in release binaries (`console` feature, `build.rs`): release builds are
//! not part of the test run (minutes on our machines), so this runs the build script's embedding
//! on a small console made here and compiles what it writes with rustc, as a release build would
//! compile it: every file is in `CONSOLE_FILES` under its path, byte for byte, and
//! `CONSOLE_HASH` (shown by `codis-fe --version`) changes with any byte. (What the binary does
//! with `CONSOLE_FILES` is `Console::from_files`, the code `--assets-dir` runs in every test.)

#[path = "../build/embed.rs"]
mod embed;

use std::path::{Path, PathBuf};
use std::process::Command;

/// A small console: what Trunk's `dist/` holds (a page, hashed script and wasm names with their
/// precompressed copies, `config.json`) and a file in a subdirectory.
const FILES: &[(&str, &[u8])] = &[
    (
        "index.html",
        b"<!doctype html><base href=/><script type=module>x</script>",
    ),
    ("config.json", b"{\"api_base\": \"\"}"),
    ("codis-console-0123456789abcdef.js", b"export default 1;"),
    (
        "codis-console-0123456789abcdef.js.br",
        &[0x8b, 0x00, 0x80, 0x03],
    ),
    (
        "codis-console-0123456789abcdef.js.gz",
        &[0x1f, 0x8b, 8, 0, 0, 0],
    ),
    ("codis-console-0123456789abcdef_bg.wasm", b"\0asm\x01\0\0\0"),
    (
        "sub/dir/name with space.txt",
        b"\"quotes\" and \\ backslash",
    ),
];

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("codis-fe-embed-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    dir
}

fn write_console(dir: &Path, files: &[(&str, &[u8])]) {
    for (name, bytes) in files {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("dirs");
        std::fs::write(path, bytes).expect("write");
    }
}

/// Compiles the code `build.rs` writes for `console` into a program that prints each embedded
/// file (name, then its bytes in hex) and the hash; returns its output.
fn embedded(console: &Path, work: &Path) -> String {
    std::fs::write(work.join("build_info.rs"), embed::embed(console)).expect("build_info.rs");
    std::fs::write(
        work.join("main.rs"),
        r#"mod build_info { include!("build_info.rs"); }
fn main() {
    for (name, bytes) in build_info::CONSOLE_FILES {
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        println!("{name} {hex}");
    }
    println!("hash {}", build_info::CONSOLE_HASH);
}
"#,
    )
    .expect("main.rs");
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let built = Command::new(&rustc)
        .args(["--edition=2021", "-o"])
        .arg(work.join("probe"))
        .arg(work.join("main.rs"))
        .output()
        .expect("rustc runs");
    assert!(
        built.status.success(),
        "the code build.rs writes does not compile:\n{}",
        String::from_utf8_lossy(&built.stderr)
    );
    let run = Command::new(work.join("probe"))
        .output()
        .expect("probe runs");
    assert!(run.status.success());
    String::from_utf8(run.stdout).expect("utf-8")
}

#[test]
fn a_release_build_embeds_every_file_of_the_console_with_its_hash() {
    let console = temp_dir("console");
    write_console(&console, FILES);
    let work = temp_dir("work");
    let out = embedded(&console, &work);

    let mut expected: Vec<String> = FILES
        .iter()
        .map(|(name, bytes)| {
            let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
            format!("{name} {hex}")
        })
        .collect();
    expected.sort();
    let mut lines: Vec<&str> = out.lines().collect();
    let hash = lines
        .pop()
        .and_then(|l| l.strip_prefix("hash "))
        .expect("hash line");
    assert_eq!(lines, expected, "every file, byte for byte, in name order");
    assert_eq!(hash.len(), 16, "{hash}");
    assert!(hash.chars().all(|c| c.is_ascii_hexdigit()), "{hash}");

    // One byte changed: another hash (what `--version` shows tells builds apart).
    let changed = temp_dir("changed");
    write_console(&changed, FILES);
    std::fs::write(changed.join("config.json"), b"{\"api_base\": \"x\"}").expect("write");
    let out2 = embedded(&changed, &work);
    let hash2 = out2.lines().last().and_then(|l| l.strip_prefix("hash "));
    assert_ne!(hash2, Some(hash), "a changed console has another hash");

    for d in [console, work, changed] {
        let _ = std::fs::remove_dir_all(d);
    }
}
