//! `abi-check rust`: the Rust code `abi_derive::generate!` expands to, as a
//! file, for projects that check generated code in (as Rust-for-Linux does
//! with bindgen output). The code itself comes from
//! `abi_spec::codegen::rust`, the same function the macro calls.

use abi_spec::codegen::rust;

use crate::cli::RustArgs;
use crate::output::{self, Outcome};
use crate::write;

/// Runs the command.
pub fn run(args: &RustArgs) -> Outcome {
    let spec = output::load_spec(&args.spec)?;
    let code = rust::generate_file(&spec)?;
    write::generated(
        &code,
        &args.spec,
        args.output.as_deref(),
        args.check.as_deref(),
    )
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::output::{Failure, EXIT_FINDINGS, EXIT_OK};

    fn args(check: PathBuf) -> RustArgs {
        RustArgs {
            spec: PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../spec.toml")),
            output: None,
            check: Some(check),
        }
    }

    #[test]
    fn check_passes_on_the_checked_in_file_and_fails_on_drift() {
        let current = PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/nostd/src/generated/tlabi.rs"
        ));
        assert!(matches!(run(&args(current.clone())), Ok(EXIT_OK)));

        let stale = std::env::temp_dir().join(format!("abi-check-rust-{}.rs", std::process::id()));
        let text = std::fs::read_to_string(&current).expect("checked-in file");
        std::fs::write(&stale, text.replace("= 32;", "= 24;")).expect("write");
        let outcome = run(&args(stale.clone()));
        let _ = std::fs::remove_file(&stale);
        assert!(matches!(outcome, Ok(EXIT_FINDINGS)));
    }

    #[test]
    fn check_of_an_unreadable_file_is_unusable_input() {
        let outcome = run(&args(PathBuf::from("/nonexistent/generated.rs")));
        assert!(
            matches!(outcome, Err(Failure::File { path, .. }) if path.ends_with("/nonexistent/generated.rs"))
        );
    }
}
