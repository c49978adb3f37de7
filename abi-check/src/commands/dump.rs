//! `abi-check dump`.

use crate::cli::DumpArgs;
use crate::output::{Failure, Outcome};

/// Runs the command.
pub fn run(_args: &DumpArgs) -> Outcome {
    Err(Failure::msg("`abi-check dump` is not implemented yet"))
}
