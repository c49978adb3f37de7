//! `abi-check compat`.

use crate::cli::CompatArgs;
use crate::output::{Failure, Outcome};

/// Runs the command.
pub fn run(_args: &CompatArgs) -> Outcome {
    Err(Failure::msg("`abi-check compat` is not implemented yet"))
}
