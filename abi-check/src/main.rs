//! `abi-check`: check, diff, lay out and verify extensible kernel/user-space
//! ABIs. See `abi-check --help` and ../docs.

mod cli;
mod commands;
mod git;
mod output;
mod render;
mod sarif;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};
use crate::output::{Outcome, EXIT_UNUSABLE};

fn run(cli: &Cli) -> Outcome {
    match &cli.command {
        Command::Check(args) => commands::check::run(args),
        Command::Layout(args) => commands::layout::run(args),
        Command::Diff(args) => commands::diff::run(args),
        Command::Compat(args) => commands::compat::run(args),
        Command::Matrix(args) => commands::matrix::run(args),
        Command::Header(args) => commands::header::run(args),
        Command::Rust(args) => commands::rust::run(args),
        Command::Verify(args) => commands::verify::run(args),
        Command::Dump(args) => commands::dump::run(args),
        Command::Explain(args) => commands::explain::run(args),
        Command::Changed(args) => commands::changed::run(args),
        Command::Completions(args) => commands::completions::run(args),
        Command::Man(args) => commands::man::run(args),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(code) => ExitCode::from(code),
        Err(failure) => {
            failure.report();
            ExitCode::from(EXIT_UNUSABLE)
        }
    }
}
