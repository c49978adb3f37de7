//! `abi-check diff`.

use crate::cli::DiffArgs;
use crate::output::{Failure, Outcome};

/// Runs the command.
pub fn run(_args: &DiffArgs) -> Outcome {
    Err(Failure::msg("`abi-check diff` is not implemented yet"))
}
