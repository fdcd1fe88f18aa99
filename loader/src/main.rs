use std::process::ExitCode;

use clap::Parser;
use sixpotify_loader::cli::{Cli, run};

#[tokio::main]
async fn main() -> ExitCode {
    run(Cli::parse()).await
}
