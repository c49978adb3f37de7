//! `abi-check diff OLD NEW`: classify every change from OLD (the merge base)
//! to NEW (the branch). The CI layout-diff tool.

use abi_spec::compat;
use serde_json::json;

use crate::cli::DiffArgs;
use crate::output::{self, Outcome};

/// Runs the command.
pub fn run(args: &DiffArgs) -> Outcome {
    let old = output::load_spec(&args.old)?;
    let new = output::load_spec(&args.new)?;
    let mut findings = compat::diff(&old, &new);
    // The branch's authors accept findings on purpose: waivers come from NEW.
    output::settle(&mut findings, &new);
    let summary = format!(
        "{} (version {}) -> {} (version {}): {}",
        output::shown_path(&args.old),
        old.abi.version,
        output::shown_path(&args.new),
        new.abi.version,
        output::tally(&findings)
    );
    output::report_findings(
        &findings,
        args.format,
        args.deny,
        &summary,
        json!({
            "abi": new.abi.name,
            "old": {"file": args.old.display().to_string(), "version": old.abi.version},
            "new": {"file": args.new.display().to_string(), "version": new.abi.version},
        }),
    )
}
