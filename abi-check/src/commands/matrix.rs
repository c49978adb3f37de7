//! `abi-check matrix`.

use crate::cli::MatrixArgs;
use crate::output::{Failure, Outcome};

/// Runs the command.
pub fn run(_args: &MatrixArgs) -> Outcome {
    Err(Failure::msg("`abi-check matrix` is not implemented yet"))
}
