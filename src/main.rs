//! Parses the command line and runs the command.

use clap::Parser;
use std::process::ExitCode;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = campaignd::config::Cli::parse();
    if cli.version {
        println!("{}", campaignd::version_text());
        return ExitCode::SUCCESS;
    }
    match campaignd::cli::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("campaignd: {error}");
            ExitCode::FAILURE
        }
    }
}
