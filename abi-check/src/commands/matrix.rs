//! `abi-check matrix`: run the protocol for every (kernel version, libc
//! version, target) and show which pairs work.
//!
//! The simulation is `abi_spec::runtime::simulate`, which runs the run-time
//! code kernels and C libraries use (`abi_spec::runtime`): registration for
//! structs the kernel writes into (rseq), copy-in for structs only user
//! space writes (clone_args). This module renders its cells as a table,
//! JSON or an SVG grid; docs/matrix.md says what a cell means.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use abi_spec::runtime::simulate::{self, Cell, LibcAnnounces, Matrix};
use abi_spec::Target;
use serde_json::{json, Value};

use crate::cli::{MatrixAnnounces, MatrixArgs, ReportFormat};
use crate::output::{self, Failure, Outcome, EXIT_FINDINGS, EXIT_OK};

/// Cells grouped by struct, then by targets whose every cell reads alike.
fn groups(matrix: &Matrix) -> Vec<(String, Vec<Target>, Vec<&Cell>)> {
    let mut by_struct: BTreeMap<(usize, String), Vec<&Cell>> = BTreeMap::new();
    let mut order: Vec<String> = Vec::new();
    for cell in &matrix.cells {
        if !order.contains(&cell.struct_name) {
            order.push(cell.struct_name.clone());
        }
        let rank = order
            .iter()
            .position(|s| *s == cell.struct_name)
            .unwrap_or(0);
        by_struct
            .entry((rank, cell.struct_name.clone()))
            .or_default()
            .push(cell);
    }
    let mut out = Vec::new();
    for ((_, name), cells) in by_struct {
        let mut per_target: Vec<(Target, Vec<&Cell>)> = Vec::new();
        for cell in cells {
            match per_target.iter_mut().find(|(t, _)| *t == cell.target) {
                Some((_, v)) => v.push(cell),
                None => per_target.push((cell.target, vec![cell])),
            }
        }
        let mut grouped: Vec<(Vec<Target>, Vec<&Cell>)> = Vec::new();
        for (target, cells) in per_target {
            let same = grouped.iter_mut().find(|(_, g)| {
                g.len() == cells.len()
                    && g.iter().zip(&cells).all(|(a, b)| {
                        a.kernel == b.kernel
                            && a.libc == b.libc
                            && a.length == b.length
                            && a.features == b.features
                            && a.problems == b.problems
                    })
            });
            match same {
                Some((targets, _)) => targets.push(target),
                None => grouped.push((vec![target], cells)),
            }
        }
        for (targets, cells) in grouped {
            out.push((name.clone(), targets, cells));
        }
    }
    out
}

fn target_list(targets: &[Target]) -> String {
    targets
        .iter()
        .map(|t| t.name())
        .collect::<Vec<_>>()
        .join(", ")
}

fn text(matrix: &Matrix) -> String {
    let mut out = String::new();
    for (name, targets, cells) in groups(matrix) {
        let protocol = cells.first().map_or("", |c| c.protocol.name());
        let _ = writeln!(
            out,
            "{} `{name}` ({protocol}) on {}",
            matrix.abi,
            target_list(&targets)
        );
        let _ = write!(out, "{:>10}", "");
        for lv in &matrix.libc_versions {
            let _ = write!(out, " {:>9}", format!("libc {lv}"));
        }
        out.push('\n');
        for kv in &matrix.kernel_versions {
            let _ = write!(out, "{:>10}", format!("kernel {kv}"));
            for lv in &matrix.libc_versions {
                let shown = match cells.iter().find(|c| c.kernel == *kv && c.libc == *lv) {
                    Some(c) if c.pass() && c.expected_refusal.is_some() => {
                        format!("ok* {}", c.length.unwrap_or(0))
                    }
                    Some(c) if c.pass() => format!("ok {}", c.length.unwrap_or(0)),
                    Some(_) => "FAIL".to_string(),
                    None => "-".to_string(),
                };
                let _ = write!(out, " {shown:>9}");
            }
            out.push('\n');
        }
        for cell in cells.iter().filter(|c| !c.pass()) {
            for problem in &cell.problems {
                let _ = writeln!(
                    out,
                    "  FAIL kernel {} / libc {}: {problem}",
                    cell.kernel, cell.libc
                );
            }
        }
        out.push('\n');
    }
    for (name, reason) in &matrix.skipped {
        let _ = writeln!(out, "`{name}` not simulated: {reason}");
    }
    let failed = matrix.cells.iter().filter(|c| !c.pass()).count();
    let _ = writeln!(
        out,
        "{} cells, {failed} failed (`ok N`: registered or copied in, N bytes agreed; `ok*`: the copy-in of every field the C library knows was refused with E2BIG or EINVAL, as it must be)",
        matrix.cells.len()
    );
    out
}

fn json(matrix: &Matrix, announces: LibcAnnounces) -> Value {
    let cells: Vec<Value> = matrix
        .cells
        .iter()
        .map(|c| {
            json!({
                "struct": c.struct_name,
                "protocol": c.protocol.name(),
                "target": c.target.name(),
                "kernel": c.kernel,
                "libc": c.libc,
                "pass": c.pass(),
                "announced": c.announced,
                "length": c.length,
                "libc_length": c.libc_length,
                "features": c.features,
                "expected_refusal": c.expected_refusal,
                "fields": c.fields.iter().map(|f| json!({
                    "name": f.name, "on": f.on, "expected_on": f.expected_on, "ok": f.ok,
                })).collect::<Vec<_>>(),
                "problems": c.problems,
            })
        })
        .collect();
    json!({
        "abi": matrix.abi,
        "libc_announces": match announces {
            LibcAnnounces::FeatureSize => "feature-size",
            LibcAnnounces::Size => "size",
        },
        "pass": matrix.pass(),
        "kernel_versions": matrix.kernel_versions,
        "libc_versions": matrix.libc_versions,
        "cells": cells,
        "skipped": matrix.skipped.iter().map(|(s, r)| json!({"struct": s, "reason": r})).collect::<Vec<_>>(),
    })
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn svg(matrix: &Matrix) -> String {
    const CELL: usize = 44;
    const LEFT: usize = 90;
    const HEAD: usize = 44;
    let groups = groups(matrix);
    let columns = matrix.libc_versions.len();
    let rows = matrix.kernel_versions.len();
    let block = HEAD + CELL * (rows + 1) + 16;
    let width = LEFT + CELL * columns.max(1) + 16;
    let height = block * groups.len().max(1) + 24;
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" font-family=\"monospace\" font-size=\"12\">\n"
    );
    let _ = writeln!(
        out,
        "<rect width=\"{width}\" height=\"{height}\" fill=\"white\"/>"
    );
    for (g, (name, targets, cells)) in groups.iter().enumerate() {
        let top = g * block + 8;
        let protocol = cells.first().map_or("", |c| c.protocol.name());
        let title = format!(
            "{} {name} ({protocol}): {}",
            matrix.abi,
            target_list(targets)
        );
        let _ = writeln!(
            out,
            "<text x=\"8\" y=\"{}\">{}</text>",
            top + 14,
            xml_escape(&title)
        );
        for (c, lv) in matrix.libc_versions.iter().enumerate() {
            let _ = writeln!(
                out,
                "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">libc {lv}</text>",
                LEFT + c * CELL + CELL / 2,
                top + HEAD - 6
            );
        }
        for (r, kv) in matrix.kernel_versions.iter().enumerate() {
            let y = top + HEAD + r * CELL;
            let _ = writeln!(
                out,
                "<text x=\"8\" y=\"{}\">kernel {kv}</text>",
                y + CELL / 2 + 4
            );
            for (c, lv) in matrix.libc_versions.iter().enumerate() {
                let x = LEFT + c * CELL;
                let cell = cells
                    .iter()
                    .find(|cell| cell.kernel == *kv && cell.libc == *lv);
                let (fill, label, tip) = match cell {
                    Some(cell) if cell.pass() => (
                        "#4caf50",
                        cell.length.unwrap_or(0).to_string(),
                        format!(
                            "kernel {kv}, libc {lv}: {} bytes agreed",
                            cell.length.unwrap_or(0)
                        ),
                    ),
                    Some(cell) => ("#e53935", "FAIL".to_string(), cell.problems.join("; ")),
                    None => ("#bdbdbd", "-".to_string(), "no such struct".to_string()),
                };
                let _ = writeln!(
                    out,
                    "<g><title>{}</title><rect x=\"{x}\" y=\"{y}\" width=\"{}\" height=\"{}\" fill=\"{fill}\" stroke=\"white\"/><text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"white\">{label}</text></g>",
                    xml_escape(&tip),
                    CELL - 2,
                    CELL - 2,
                    x + CELL / 2 - 1,
                    y + CELL / 2 + 4
                );
            }
        }
    }
    out.push_str("</svg>\n");
    out
}

/// Runs the command.
pub fn run(args: &MatrixArgs) -> Outcome {
    let libc_spec = output::load_spec(&args.spec)?;
    let kernel_file = args.kernel_spec.as_deref().unwrap_or(&args.spec);
    let kernel_spec = match &args.kernel_spec {
        Some(path) => output::load_spec(path)?,
        None => libc_spec.clone(),
    };
    let announces = match args.libc_announces {
        MatrixAnnounces::FeatureSize => LibcAnnounces::FeatureSize,
        MatrixAnnounces::Size => LibcAnnounces::Size,
    };
    let matrix = simulate::matrix(&kernel_spec, &libc_spec, announces).map_err(|e| {
        Failure::msg(format!(
            "{} (kernel) and {} (C library): {e}",
            kernel_file.display(),
            args.spec.display()
        ))
    })?;
    match args.format {
        ReportFormat::Text => output::print(&text(&matrix)),
        ReportFormat::Json => output::print(&format!(
            "{}\n",
            serde_json::to_string_pretty(&json(&matrix, announces)).unwrap_or_default()
        )),
        ReportFormat::Svg => output::print(&svg(&matrix)),
    }
    Ok(if matrix.pass() {
        EXIT_OK
    } else {
        EXIT_FINDINGS
    })
}
