//! Command line and environment settings (spec section 1.1).

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;

#[derive(Debug, Clone, Parser)]
#[command(
    name = "codis-fe",
    version,
    about = "The Codis web console: a drop-in replacement for codis-fe"
)]
pub struct Args {
    /// Address to listen on.
    #[arg(
        long,
        short = 'l',
        env = "CODIS_FE_LISTEN",
        default_value = "127.0.0.1:9090"
    )]
    pub listen: SocketAddr,

    /// Directory holding the built console (Trunk's dist/). Without it the server answers the API only.
    #[arg(long, env = "CODIS_FE_ASSETS_DIR")]
    pub assets_dir: Option<PathBuf>,
}
