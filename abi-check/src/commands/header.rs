//! `abi-check header`: a C header generated from the spec, of its newest
//! version or (`--version N`) of an older one.
//!
//! The header itself is written by `abi_spec::codegen::c`; this command
//! only prints it, writes it (`-o`, atomically), or compares a checked-in
//! copy with it (`--check`), the way projects keep generated files honest
//! in CI: see [`crate::write`].

use abi_spec::codegen::c::{self, HeaderOptions, Style};

use crate::cli::{HeaderArgs, HeaderStyle};
use crate::output::{self, Failure, Outcome};
use crate::write;

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
    let version = args.version.unwrap_or(spec.abi.version);
    let text = c::header_at(&spec, &options, version)
        .map_err(|e| Failure::file(&args.spec, e.to_string()))?;
    write::generated(
        &text,
        &args.spec,
        args.output.as_deref(),
        args.check.as_deref(),
    )
}
