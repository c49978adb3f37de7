//! `abi-check`: check, diff, lay out and verify extensible kernel/user-space
//! ABIs. See `abi-check --help` and ../docs.

mod cli;
mod commands;
mod compilers;
mod git;
mod output;
mod render;
mod sarif;
mod spec_toml;
mod write;

use std::ffi::OsString;
use std::process::ExitCode;

use clap::ValueEnum;

use crate::cli::{Cli, Command};
use crate::output::{ErrorItem, FailureFormat, Outcome, EXIT_UNUSABLE};

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
        Command::Import(args) => commands::import::run(args),
        Command::Explain(args) => commands::explain::run(args),
        Command::Changed(args) => commands::changed::run(args),
        Command::Completions(args) => commands::completions::run(args),
        Command::Man(args) => commands::man::run(args),
    }
}

/// The name of a `--format` value, as typed on the command line.
fn format_name(format: impl ValueEnum) -> String {
    format
        .to_possible_value()
        .map(|v| v.get_name().to_string())
        .unwrap_or_default()
}

/// How a failure of the parsed command line comes out on stdout.
fn failure_format(command: &Command) -> FailureFormat {
    let (name, format) = match command {
        Command::Check(a) => ("check", format_name(a.format)),
        Command::Layout(a) => ("layout", format_name(a.format)),
        Command::Diff(a) => ("diff", format_name(a.format)),
        Command::Compat(a) => ("compat", format_name(a.format)),
        Command::Matrix(a) => ("matrix", format_name(a.format)),
        Command::Verify(a) => ("verify", format_name(a.format)),
        Command::Dump(a) => ("dump", format_name(a.format)),
        Command::Changed(a) => ("changed", format_name(a.format)),
        Command::Header(_)
        | Command::Import(_)
        | Command::Rust(_)
        | Command::Explain(_)
        | Command::Completions(_)
        | Command::Man(_) => return FailureFormat::Text,
    };
    FailureFormat::of(name, &format)
}

/// The failure format of a command line the parser refused: the
/// subcommand and `--format` as written, when they can be found.
fn requested_format(args: &[OsString]) -> FailureFormat {
    let args: Vec<Option<&str>> = args.iter().skip(1).map(|a| a.to_str()).collect();
    let command = args.iter().flatten().find(|a| !a.starts_with('-'));
    let mut format = None;
    for (i, arg) in args.iter().enumerate() {
        match arg {
            Some("--format") => format = args.get(i + 1).copied().flatten(),
            Some(a) => {
                if let Some(value) = a.strip_prefix("--format=") {
                    format = Some(value);
                }
            }
            None => {}
        }
    }
    match (command, format) {
        (Some(command), Some(format)) => FailureFormat::of(command, format),
        _ => FailureFormat::Text,
    }
}

/// A command line the parser refused, or asked for help or the version.
/// Help goes to stdout, through the same checked writes as every output;
/// an error to stderr, escaped (it quotes the arguments), and in the
/// machine format asked for.
fn parse_error(error: &clap::Error, args: &[OsString]) -> u8 {
    let plain = error.render().to_string();
    if !error.use_stderr() {
        let text = if output::stdout_color() {
            error.render().ansi().to_string()
        } else {
            plain
        };
        output::print(&text);
        return u8::try_from(error.exit_code()).unwrap_or(EXIT_UNUSABLE);
    }
    let first = plain.lines().next().unwrap_or_default();
    let message = first.strip_prefix("error: ").unwrap_or(first).to_string();
    output::emit_errors(&[ErrorItem::new(None, message)], requested_format(args));
    let escaped = output::escape_lines(&plain);
    if output::stderr_color() && escaped == plain {
        output::eprint(&error.render().ansi().to_string());
    } else {
        output::eprint(&escaped);
    }
    EXIT_UNUSABLE
}

fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().collect();
    let code = match cli::parse(&args) {
        Err(error) => parse_error(&error, &args),
        Ok(cli) => match run(&cli) {
            Ok(code) => code,
            Err(failure) => {
                failure.emit(failure_format(&cli.command));
                failure.report();
                EXIT_UNUSABLE
            }
        },
    };
    ExitCode::from(output::finish(code))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Vec<OsString> {
        line.split(' ').map(OsString::from).collect()
    }

    #[test]
    fn a_refused_command_line_keeps_its_format() {
        let json = FailureFormat::Json { verdict: true };
        assert_eq!(
            requested_format(&args("abi-check check --format json --deny x")),
            json
        );
        assert_eq!(
            requested_format(&args("abi-check check x.toml --format=sarif")),
            FailureFormat::Sarif
        );
        assert_eq!(
            requested_format(&args("abi-check diff a --format github")),
            FailureFormat::Github
        );
        assert_eq!(
            requested_format(&args("abi-check check --format")),
            FailureFormat::Text
        );
        assert_eq!(
            requested_format(&args("abi-check check --deny x")),
            FailureFormat::Text
        );
        assert_eq!(
            requested_format(&args("abi-check --format json")),
            FailureFormat::Text
        );
    }
}
