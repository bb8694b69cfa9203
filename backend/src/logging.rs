//! Structured logs to stderr or `--log` FILE, at `--log-level`.

use tracing_subscriber::EnvFilter;

use crate::config::Args;

pub fn init(args: &Args) -> Result<(), String> {
    let filter = EnvFilter::try_from_env("CODIS_FE_LOG_FILTER")
        .unwrap_or_else(|_| EnvFilter::new(args.log_level.directive()));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    let result = match &args.log {
        Some(path) => {
            let file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(|e| format!("--log {}: {e}", path.display()))?;
            builder
                .json()
                .with_writer(std::sync::Mutex::new(file))
                .try_init()
        }
        None => builder.try_init(),
    };
    // A second init (tests) keeps the first subscriber; that is fine.
    let _ = result;
    Ok(())
}
