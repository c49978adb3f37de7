//! `abi-check verify`.

use crate::cli::VerifyArgs;
use crate::output::{Failure, Outcome};

/// Runs the command.
pub fn run(_args: &VerifyArgs) -> Outcome {
    Err(Failure::msg("`abi-check verify` is not implemented yet"))
}
