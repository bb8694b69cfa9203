//! The console embedded in release binaries: the Rust code `build.rs` writes for a built console
//! (`CONSOLE_FILES`, `CONSOLE_HASH`). A file of its own so that `tests/console_embedding.rs` can
//! run it on a small console and compile the result.

use std::path::{Path, PathBuf};

/// `CONSOLE_FILES` (every file under `dir`, by its path relative to it) and `CONSOLE_HASH` (the
/// first 16 hex digits of the SHA-256 of every name and content, in name order).
pub fn embed(dir: &Path) -> String {
    use sha2::Digest as _;
    let mut files = Vec::new();
    collect(dir, dir, &mut files);
    files.sort();
    let mut hash = sha2::Sha256::new();
    let mut code = String::from("pub static CONSOLE_FILES: &[(&str, &[u8])] = &[\n");
    for (name, path) in &files {
        let bytes = std::fs::read(path).expect("read a console file");
        hash.update(name.as_bytes());
        hash.update((bytes.len() as u64).to_le_bytes());
        hash.update(&bytes);
        let abs = std::path::absolute(path).expect("absolute path");
        code.push_str(&format!("    ({name:?}, include_bytes!({abs:?})),\n"));
    }
    let digest = hash.finalize();
    let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    code.push_str(&format!("];\npub const CONSOLE_HASH: &str = {hex:?};\n"));
    code
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<(String, PathBuf)>) {
    let entries = std::fs::read_dir(dir).expect("read the console directory");
    for entry in entries {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            collect(root, &path, out);
        } else {
            let name = path
                .strip_prefix(root)
                .expect("under the root")
                .to_string_lossy()
                .replace('\\', "/");
            out.push((name, path));
        }
    }
}
