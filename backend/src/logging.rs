//! Structured logs to stderr, or with `--log=FILE` to a daily-rotated file named
//! `FILE.YYYY-MM-DD` as codis-fe does (JSON lines there, for log shippers), at `--log-level`.

use std::path::Path;

use tracing_appender::rolling::{RollingFileAppender, Rotation};
use tracing_subscriber::EnvFilter;

use crate::config::Args;

pub fn init(args: &Args) -> Result<(), String> {
    let filter = EnvFilter::try_from_env("CODIS_FE_LOG_FILTER")
        .unwrap_or_else(|_| EnvFilter::new(args.log_level.directive()));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    // A second init (tests start several servers in one process) keeps the first subscriber.
    let _ = match &args.log {
        Some(path) => builder.json().with_writer(daily_file(path)?).try_init(),
        None => builder.with_writer(std::io::stderr).try_init(),
    };
    Ok(())
}

/// `--log=/var/log/codis-fe.log` writes `/var/log/codis-fe.log.2026-11-25`, a new file each day.
fn daily_file(path: &Path) -> Result<RollingFileAppender, String> {
    let err = |e: &dyn std::fmt::Display| format!("--log {}: {e}", path.display());
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| err(&"not a file name"))?;
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or_else(|| Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| err(&e))?;
    RollingFileAppender::builder()
        .rotation(Rotation::DAILY)
        .filename_prefix(name)
        .build(dir)
        .map_err(|e| err(&e))
}
