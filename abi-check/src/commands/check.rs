//! `abi-check check`: validate a spec and judge it, every version and every
//! target: every version against every older one (derived from the one
//! file), the layouts across targets, and the lints.

use abi_spec::finding::Run;
use abi_spec::{compat, lint};
use serde_json::json;

use crate::cli::CheckArgs;
use crate::output::{self, Outcome};

/// Runs the command.
pub fn run(args: &CheckArgs) -> Outcome {
    let spec = output::load_spec(&args.spec)?;
    let mut findings = lint::lint(&spec);
    // Compatible steps (FIELD_ADDED, RESERVED_CLAIMED) are what a history is
    // made of; `check` reports only what needs attention, `diff` lists them.
    let history = compat::history_notable(&spec);
    findings.extend(history.into_iter().filter(compat::is_notable));
    output::settle(&mut findings, &spec, Run::Check, args.strict_waivers);
    let versions = spec.versions();
    let summary = format!(
        "{}: {} {}..={}, {} struct{}, {} target{}: {}",
        output::shown_path(&args.spec),
        spec.abi.name,
        versions.start(),
        versions.end(),
        spec.structs.len(),
        if spec.structs.len() == 1 { "" } else { "s" },
        spec.abi.targets.len(),
        if spec.abi.targets.len() == 1 { "" } else { "s" },
        output::tally(&findings)
    );
    output::report_findings(
        &findings,
        args.format,
        args.deny,
        &summary,
        json!({"abi": spec.abi.name, "version": spec.abi.version}),
    )
}
