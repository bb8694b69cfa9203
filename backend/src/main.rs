//! `codis-fe`: the Codis web console's server.

use std::process::ExitCode;

use clap::Parser;

use codis_fe::{config::Args, server};

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    match server::run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("codis-fe: {e}");
            ExitCode::FAILURE
        }
    }
}
