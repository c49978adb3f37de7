//! `abi-check man [COMMAND]`: the manual page, in roff, generated from the
//! clap definition. A command rather than a file checked into the
//! repository: `cli.rs` changes with every new option, and a generated
//! page that the binary prints can never disagree with the binary.
//! `abi-check man | man -l -` reads it; packagers write
//! `abi-check man > abi-check.1` and `abi-check man diff > abi-check-diff.1`.

use clap::CommandFactory;

use crate::cli::{Cli, ManArgs};
use crate::output::{Failure, Outcome, EXIT_OK};

/// Runs the command.
pub fn run(args: &ManArgs) -> Outcome {
    let mut top = Cli::command();
    // Building names each command as git and cargo name theirs: the page
    // of `diff` is abi-check-diff(1), its synopsis `abi-check diff`.
    top.build();
    let command = match &args.command {
        None => top,
        Some(name) => top.find_subcommand(name).cloned().ok_or_else(|| {
            let names: Vec<&str> = top.get_subcommands().map(|c| c.get_name()).collect();
            Failure::msg(format!(
                "no command `{}`; the commands are {}",
                name.escape_debug(),
                names.join(", ")
            ))
        })?,
    };
    let mut page = Vec::new();
    clap_mangen::Man::new(command)
        .source(format!("abi-check {}", env!("CARGO_PKG_VERSION")))
        .render(&mut page)
        .map_err(|e| Failure::msg(format!("cannot render the manual page: {e}")))?;
    crate::output::print(&String::from_utf8_lossy(&page));
    Ok(EXIT_OK)
}
