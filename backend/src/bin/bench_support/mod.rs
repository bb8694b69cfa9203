//! What the benchmark binaries share: one-thread runtimes (so dashboard, backend and clients each
//! get their own thread) and the simulated dashboard with a `--dashboard-list` file naming it.
//! A directory module, so Cargo does not take it for a binary of its own.

use std::path::Path;

use codis_demo::{DemoDashboard, DemoOptions, Preset};

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime")
}

/// The demo dashboard `codis-demo` (Small preset, like the captured cluster) served on `rt`.
pub fn demo_dashboard(rt: &tokio::runtime::Runtime) -> DemoDashboard {
    rt.block_on(DemoDashboard::start(DemoOptions::new(
        "codis-demo",
        Preset::Small,
    )))
    .expect("dashboard")
}

/// Writes a dashboard list naming `dashboard` as `codis-demo` to `path` and returns the flag.
pub fn dashboard_list_flag(path: &Path, dashboard: &DemoDashboard) -> String {
    std::fs::write(
        path,
        format!(
            r#"[{{"name":"codis-demo","dashboard":"{}"}}]"#,
            dashboard.addr()
        ),
    )
    .expect("list");
    format!("--dashboard-list={}", path.display())
}
