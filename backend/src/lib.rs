//! The codis-fe server as a library, so integration tests run the same code as the binary.

pub mod assets;
pub mod config;
pub mod discovery;
pub mod server;
