//! Replays the kept inputs (`fuzz/seeds/<target>/`: hand-made seeds and every finding), the local
//! fuzzing corpus if there is one (`fuzz/corpus/<target>/`, not in git), and every captured
//! dashboard answer through the fuzz targets' checks, on stable Rust, so a finding that was fixed
//! stays fixed. The fuzzing itself is `cargo +nightly fuzz run <target>` (SECURITY.md).

use std::path::{Path, PathBuf};

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    out.retain(|p| p.is_file());
    out.sort();
    out
}

fn replay(target: &str, check: fn(&[u8]), extra: &[PathBuf]) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let seeds = root.join("seeds").join(target);
    let mut inputs = files(&seeds);
    assert!(
        !inputs.is_empty(),
        "no seeds for {target} in {}",
        seeds.display()
    );
    inputs.extend(files(&root.join("corpus").join(target)));
    inputs.extend_from_slice(extra);
    for path in &inputs {
        let data = std::fs::read(path).expect("corpus file");
        let outcome = std::panic::catch_unwind(|| check(&data));
        assert!(outcome.is_ok(), "{target} fails on {}", path.display());
    }
    println!("{target}: {} inputs", inputs.len());
}

fn fixtures() -> Vec<PathBuf> {
    let dir = std::env::var("CODIS_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/codis-3.2"));
    let all = files(&dir);
    assert!(!all.is_empty(), "fixtures in {}", dir.display());
    all.into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect()
}

#[test]
fn action_input_corpus_keeps_paths_inside_their_route() {
    replay("action_input", codis_fuzz::action_input, &[]);
}

#[test]
fn every_captured_dashboard_answer_and_the_answer_corpus_decode_without_panic() {
    replay(
        "dashboard_answer",
        codis_fuzz::dashboard_answer,
        &fixtures(),
    );
}

#[test]
fn live_event_corpus_applies_without_panic_or_unbounded_growth() {
    replay("live_event", codis_fuzz::live_event, &[]);
}
