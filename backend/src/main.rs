//! `codis-fe`: the Codis web console's server.

use std::process::ExitCode;

use clap::{error::ErrorKind, Parser};

use codis_fe::{config::Args, server};

fn main() -> ExitCode {
    let args = match Args::try_parse() {
        Ok(args) => args,
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            // One line that names the flag and the rule, for scripts and service managers.
            let text = e.to_string();
            let first = text.lines().next().unwrap_or("invalid command line");
            eprintln!("codis-fe: {}", first.trim_start_matches("error: "));
            return ExitCode::from(2);
        }
    };
    if args.print_version {
        println!("version: {}", env!("CARGO_PKG_VERSION"));
        println!(
            "compile: rustc, profile {}",
            if cfg!(debug_assertions) {
                "debug"
            } else {
                "release"
            }
        );
        return ExitCode::SUCCESS;
    }
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    runtime.enable_all();
    if let Some(n) = args.ncpu.filter(|n| *n > 0) {
        // codis-fe's --ncpu set GOMAXPROCS; here it sets the worker threads.
        runtime.worker_threads(usize::from(n));
    }
    let runtime = match runtime.build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("codis-fe: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(server::run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("codis-fe: {e}");
            ExitCode::FAILURE
        }
    }
}
