//! `abi-check header`.

use crate::cli::HeaderArgs;
use crate::output::{Failure, Outcome};

/// Runs the command.
pub fn run(_args: &HeaderArgs) -> Outcome {
    Err(Failure::msg("`abi-check header` is not implemented yet"))
}
