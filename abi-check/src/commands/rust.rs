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
    fn a_spec_rust_cannot_express_is_unusable_input_naming_the_field() {
        // m68k packs `b` right after `a`; the other ABIs start a new unit:
        // no one Rust field holds the run alike on every target.
        let spec = std::env::temp_dir().join(format!("abi-check-rust-{}.toml", std::process::id()));
        std::fs::write(
            &spec,
            "[abi]\nname = \"t\"\nversion = 1\n[[struct]]\nname = \"s\"\n\
             [[struct.field]]\nname = \"a\"\ntype = \"u32\"\nbits = 3\n\
             [[struct.field]]\nname = \"b\"\ntype = \"u32\"\nbits = 30\n",
        )
        .expect("write spec");
        let outcome = run(&RustArgs {
            spec: spec.clone(),
            output: None,
            check: None,
        });
        let _ = std::fs::remove_file(&spec);
        match outcome {
            Err(Failure::Spec(e)) => {
                let text = e.render(false);
                assert!(text.contains("one Rust field cannot hold them"), "{text}");
                assert!(text.contains(":6:1"), "{text}");
            }
            _ => panic!("not refused as a spec error"),
        }
    }

    #[test]
    fn check_of_an_unreadable_file_is_unusable_input() {
        let outcome = run(&args(PathBuf::from("/nonexistent/generated.rs")));
        assert!(
            matches!(outcome, Err(Failure::File { path, .. }) if path.ends_with("/nonexistent/generated.rs"))
        );
    }
}
