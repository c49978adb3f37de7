//! `abi-check rust`: the Rust code `abi_derive::generate!` expands to, as a
//! file, for projects that check generated code in (as Rust-for-Linux does
//! with bindgen output). The code itself comes from
//! `abi_spec::codegen::rust`, the same function the macro calls.

use abi_spec::codegen::rust;

use crate::cli::RustArgs;
use crate::commands::header::emit;
use crate::output::{self, Outcome};

/// Runs the command.
pub fn run(args: &RustArgs) -> Outcome {
    let spec = output::load_spec(&args.spec)?;
    let code = rust::generate_file(&spec)?;
    emit(&code, args.output.as_deref(), args.check.as_deref())
}
