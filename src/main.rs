//! The `kindling` binary: serves the Loki HTTP API, or checks a data directory.

use std::process::ExitCode;

use clap::Parser;
use kindling::config::{Cli, Command, Config};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::resolve(&cli.flags) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("kindling: {e}");
            return ExitCode::from(2);
        }
    };
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            eprintln!("kindling: serving on {} is not wired yet", config.listen);
            ExitCode::FAILURE
        }
        Command::Check => ExitCode::FAILURE,
    }
}
