//! `abi-check completions SHELL`: a completion script, generated from the
//! same clap definition the binary parses with, so it never lags behind.
//!
//! Install: bash `abi-check completions bash > ~/.local/share/bash-completion/completions/abi-check`;
//! zsh `abi-check completions zsh > ~/.zfunc/_abi-check` (with `~/.zfunc` in `fpath`);
//! fish `abi-check completions fish > ~/.config/fish/completions/abi-check.fish`.

use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs};
use crate::output::{Outcome, EXIT_OK};

/// Runs the command.
pub fn run(args: &CompletionsArgs) -> Outcome {
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "abi-check", &mut script);
    let mut script = String::from_utf8_lossy(&script).into_owned();
    if args.shell == clap_complete::Shell::Bash {
        // clap_complete spells the state of a command under a hyphenated
        // binary two ways (clap-rs/clap#6421): the loop that reads the words
        // arrives at `abi__check__subcmd__diff`, the arms that list options
        // wait for `abi__subcmd__check__subcmd__diff`, so nothing after the
        // command name would complete. One spelling makes them meet; once
        // clap_complete agrees with itself this replaces nothing.
        script = script.replace("abi__subcmd__check", "abi__check");
    }
    crate::output::print(&script);
    Ok(EXIT_OK)
}
