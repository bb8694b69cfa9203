//! `codis-fe`: the Codis web console's server.

use std::process::ExitCode;

use clap::{error::ErrorKind, Parser};

use codis_fe::{config::Args, server};

fn main() -> ExitCode {
    if std::env::args().nth(1).as_deref() == Some("passwd") {
        return passwd();
    }
    let args = match Args::try_parse() {
        Ok(args) => args,
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            // One line that names the flag and the rule, for scripts and service managers.
            // (clap puts the flags of "required arguments were not provided:" on the next
            // lines: those are joined to it, up to the blank line before the usage.)
            let text = e.to_string();
            let first: Vec<&str> = text
                .lines()
                .take_while(|l| !l.trim().is_empty())
                .map(str::trim)
                .collect();
            let first = if first.is_empty() {
                "invalid command line".to_string()
            } else {
                first.join(" ")
            };
            eprintln!("codis-fe: {}", first.trim_start_matches("error: "));
            return ExitCode::from(2);
        }
    };
    if args.print_version {
        use codis_fe::assets::build_info;
        println!("version: {}", env!("CARGO_PKG_VERSION"));
        println!("commit: {}", build_info::GIT_COMMIT);
        // The console this binary serves without --assets-dir (its files' hash), or why none.
        println!("console: {}", build_info::CONSOLE_HASH);
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

/// `codis-fe passwd`: reads a password (one line on standard input) and prints its argon2id hash
/// for the `--users` file.
fn passwd() -> ExitCode {
    let mut line = String::new();
    if std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        eprintln!("codis-fe passwd: type the password and press Enter (it is echoed)");
    }
    if let Err(e) = std::io::stdin().read_line(&mut line) {
        eprintln!("codis-fe passwd: {e}");
        return ExitCode::FAILURE;
    }
    let password = line.trim_end_matches(['\r', '\n']);
    if password.is_empty() {
        eprintln!("codis-fe passwd: the password is empty");
        return ExitCode::from(2);
    }
    match codis_fe::auth::hash_password(password) {
        Ok(hash) => {
            println!("{hash}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("codis-fe passwd: {e}");
            ExitCode::FAILURE
        }
    }
}
