//! `abi-check compat KERNEL LIBC`: can a kernel's and a C library's spec of
//! one ABI interoperate, whichever is newer: for each pair of versions the
//! agreed length, version and features, and every disagreement as a
//! breaking finding. The JSON shape is documented in docs/compat.md.

use abi_spec::compat::{self, Negotiation};
use abi_spec::finding::Run;
use abi_spec::Spec;
use serde_json::{json, Value};

use crate::cli::{CompatArgs, CompatFormat};
use crate::output::{self, Failure, Outcome};
use crate::render::report_markdown::{self, NegotiationRow};

fn side_json(spec: &Spec, file: &str) -> Value {
    json!({
        "file": file,
        "abi": spec.abi.name,
        "first_version": spec.abi.first_version,
        "version": spec.abi.version,
    })
}

fn negotiation_json(n: &Negotiation) -> Value {
    json!({
        "struct": n.struct_name,
        "kernel_version": n.kernel_version,
        "libc_version": n.libc_version,
        "announced": n.announced,
        "length": n.length,
        "libc_length": n.libc_length,
        "protocol": n.protocol.name(),
        "version": n.version,
        "features": n.features,
        "other_lengths": n.other_lengths.iter().map(|(ts, len)| json!({
            "targets": ts.iter().map(|t| t.name()).collect::<Vec<_>>(),
            "length": len,
        })).collect::<Vec<_>>(),
    })
}

/// The table of negotiations, one line per pair of versions.
fn table(negotiations: &[Negotiation]) -> String {
    let mut out = String::new();
    let mut current: Option<&str> = None;
    for n in negotiations {
        if current != Some(n.struct_name.as_str()) {
            current = Some(&n.struct_name);
            out.push_str(&format!(
                "struct {}:\n  {:>6} {:>6} {:>9} {:>6} {:>7}  features\n",
                n.struct_name, "kernel", "libc", "announced", "length", "version"
            ));
        }
        let version = n
            .version
            .map_or_else(|| "refused".to_string(), |v| v.to_string());
        let features = if n.features.is_empty() {
            "-".to_string()
        } else {
            n.features.join(", ")
        };
        out.push_str(&format!(
            "  {:>6} {:>6} {:>9} {:>6} {:>7}  {features}\n",
            n.kernel_version, n.libc_version, n.announced, n.length, version
        ));
        for (targets, len) in &n.other_lengths {
            out.push_str(&format!(
                "  {:>6} {:>6} {:>9} {:>6}  on {}\n",
                "",
                "",
                "",
                len,
                targets
                    .iter()
                    .map(|t| t.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    out
}

/// The Markdown report: the negotiation table's cells, then the renderer.
fn markdown(
    kernel: &Spec,
    kernel_file: &str,
    libc: &Spec,
    libc_file: &str,
    report: &compat::SidesReport,
    code: u8,
) -> String {
    let rows: Vec<NegotiationRow> = report
        .negotiations
        .iter()
        .map(|n| {
            [
                n.struct_name.clone(),
                n.kernel_version.to_string(),
                n.libc_version.to_string(),
                n.announced.to_string(),
                n.length.to_string(),
                n.version
                    .map_or_else(|| "refused".to_string(), |v| v.to_string()),
                n.features.join(", "),
                n.other_lengths
                    .iter()
                    .map(|(ts, len)| {
                        let names: Vec<&str> = ts.iter().map(|t| t.name()).collect();
                        format!("{len} on {}", names.join(", "))
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
            ]
        })
        .collect();
    let sides = format!(
        "kernel {kernel_file} ({} {}..={}), libc {libc_file} ({} {}..={})",
        kernel.abi.name,
        kernel.abi.first_version,
        kernel.abi.version,
        libc.abi.name,
        libc.abi.first_version,
        libc.abi.version
    );
    report_markdown::compat_report(&kernel.abi.name, &sides, &rows, &report.findings, code)
}

/// Runs the command.
pub fn run(args: &CompatArgs) -> Outcome {
    if args.format == CompatFormat::Svg {
        return Err(Failure::msg(
            "`abi-check compat` writes text, json or markdown; svg is for `abi-check matrix`",
        ));
    }
    let kernel = output::load_spec(&args.kernel)?;
    let libc = output::load_spec(&args.libc)?;
    if kernel.abi.name != libc.abi.name {
        return Err(Failure::msg(format!(
            "{} describes the ABI `{}` and {} describes `{}`: compat compares two sides of one ABI",
            args.kernel.display(),
            kernel.abi.name,
            args.libc.display(),
            libc.abi.name
        )));
    }
    let mut report = compat::sides(&kernel, &libc).map_err(|e| Failure::msg(e.to_string()))?;
    // The library side is the one that diverges or lags; its waivers apply.
    output::settle(
        &mut report.findings,
        &libc,
        Run::Compat,
        args.strict_waivers,
    );
    let code = output::exit_code(&report.findings, None);
    let kernel_file = args.kernel.display().to_string();
    let libc_file = args.libc.display().to_string();
    match args.format {
        CompatFormat::Markdown => output::print(&markdown(
            &kernel,
            &kernel_file,
            &libc,
            &libc_file,
            &report,
            code,
        )),
        CompatFormat::Json => {
            let value = json!({
                "compatible": code == output::EXIT_OK,
                "kernel": side_json(&kernel, &kernel_file),
                "libc": side_json(&libc, &libc_file),
                "negotiations": report.negotiations.iter().map(negotiation_json).collect::<Vec<_>>(),
                "findings": report.findings.iter().map(output::finding_json).collect::<Vec<_>>(),
            });
            output::print(&format!(
                "{}\n",
                serde_json::to_string_pretty(&value).unwrap_or_default()
            ));
        }
        _ => {
            let color = output::stdout_color();
            let mut out = format!(
                "kernel: {} ({} {}..={}); libc: {} ({} {}..={})\n\n",
                output::shown_path(&args.kernel),
                kernel.abi.name,
                kernel.abi.first_version,
                kernel.abi.version,
                output::shown_path(&args.libc),
                libc.abi.name,
                libc.abi.first_version,
                libc.abi.version
            );
            out.push_str(&table(&report.negotiations));
            out.push('\n');
            for f in &report.findings {
                out.push_str(&output::finding_text(f, color));
            }
            out.push_str(&format!(
                "{}: {}\n",
                if code == output::EXIT_OK {
                    "compatible"
                } else {
                    "incompatible"
                },
                output::tally(&report.findings)
            ));
            output::print(&out);
        }
    }
    Ok(code)
}
