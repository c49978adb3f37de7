//! `abi-check header`: a C header generated from the spec.
//!
//! The header itself is written by `abi_spec::codegen::c`; this command
//! only prints it, writes it (`-o`), or compares a checked-in copy with it
//! (`--check`), the way projects keep generated files honest in CI.

use std::path::Path;

use abi_spec::codegen::c::{self, HeaderOptions, Style};

use crate::cli::{HeaderArgs, HeaderStyle};
use crate::output::{self, Failure, Outcome, EXIT_FINDINGS, EXIT_OK};

/// Runs the command.
pub fn run(args: &HeaderArgs) -> Outcome {
    let spec = output::load_spec(&args.spec)?;
    let style = match args.style {
        HeaderStyle::Uapi => Style::Uapi,
        HeaderStyle::Stdint => Style::Stdint,
    };
    // The file name, not the path: the header must not depend on the
    // directory it was generated from, or `--check` would flap.
    let spec_name = args.spec.file_name().map_or_else(
        || args.spec.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let options = HeaderOptions {
        style,
        spec_name: &spec_name,
    };
    let text = c::header(&spec, &options)
        .map_err(|e| Failure::msg(format!("{}: {e}", args.spec.display())))?;
    emit(&text, args.output.as_deref(), args.check.as_deref())
}

/// Prints `generated`, writes it to `output`, or compares `check` with it:
/// exit 1 and a unified diff on stdout when the file differs, exit 2 when it
/// cannot be read or written. Shared by the generators of the CLI.
pub fn emit(generated: &str, output: Option<&Path>, check: Option<&Path>) -> Outcome {
    if let Some(path) = check {
        // Read a bounded amount: FILE may be /dev/zero or a pipe. Anything
        // twice the generated size (plus a margin) differs without a diff.
        let limit = (generated.len() as u64).saturating_mul(2) + (1 << 20);
        let mut existing = Vec::new();
        std::fs::File::open(path)
            .and_then(|file| {
                use std::io::Read;
                file.take(limit).read_to_end(&mut existing)
            })
            .map_err(|e| Failure::msg(format!("{}: cannot read: {e}", path.display())))?;
        if existing.len() as u64 >= limit {
            let label = path.display().to_string();
            eprintln!(
                "{label}: differs from what would be generated (it is far larger); regenerate it with -o {label}"
            );
            return Ok(EXIT_FINDINGS);
        }
        let existing = String::from_utf8_lossy(&existing);
        if existing == generated {
            return Ok(EXIT_OK);
        }
        let label = path.display().to_string();
        let diff = similar::TextDiff::from_lines(existing.as_ref(), generated)
            .unified_diff()
            .context_radius(3)
            .header(&label, &format!("{label} (generated)"))
            .to_string();
        output::print(&diff);
        eprintln!("{label}: differs from what would be generated; regenerate it with -o {label}");
        return Ok(EXIT_FINDINGS);
    }
    match output {
        Some(path) => {
            // Leave an up-to-date file untouched, so build systems that
            // look at modification times do not rebuild for nothing.
            if std::fs::read(path).is_ok_and(|old| old == generated.as_bytes()) {
                return Ok(EXIT_OK);
            }
            std::fs::write(path, generated)
                .map_err(|e| Failure::msg(format!("{}: cannot write: {e}", path.display())))?;
        }
        None => output::print(generated),
    }
    Ok(EXIT_OK)
}
