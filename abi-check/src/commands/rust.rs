//! `abi-check rust`.

use crate::cli::RustArgs;
use crate::output::{Failure, Outcome};

/// Runs the command.
pub fn run(_args: &RustArgs) -> Outcome {
    Err(Failure::msg("`abi-check rust` is not implemented yet"))
}
