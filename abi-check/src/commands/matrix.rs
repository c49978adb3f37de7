//! `abi-check matrix`: run the protocol for every (kernel version, libc
//! version, target) and show which pairs work.
//!
//! The simulation is `abi_spec::runtime::simulate`, which runs the run-time
//! code kernels and C libraries use (`abi_spec::runtime`): registration for
//! structs the kernel writes into (rseq), copy-in for structs only user
//! space writes (clone_args). This module renders its cells as a table,
//! JSON or an SVG grid; docs/matrix.md says what a cell means.
//!
//! The simulation hands over one cell at a time ([`simulate::stream`]),
//! and nothing here keeps a cell's per-field results: JSON is written as
//! the cells come, and the table and the grid keep what they show of each
//! cell ([`Shown`]). Memory grows with the cells, not with cells times
//! fields (256 versions of a 256-field struct: 65,536 cells per layout
//! class, each with up to 256 field results).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::ops::ControlFlow;

use abi_spec::runtime::simulate::{self, Cell, Group, LibcAnnounces, Outline};
use abi_spec::Target;
use serde_json::{json, Value};

use crate::cli::{MatrixAnnounces, MatrixArgs, ReportFormat};
use crate::output::{self, Failure, Outcome, EXIT_FINDINGS, EXIT_OK};

/// Problems of one cell kept for the table and the grid; the rest are
/// counted (`--format json` lists every one).
const MAX_PROBLEMS_SHOWN: usize = 16;

/// What the table and the grid show of one cell.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Shown {
    kernel: u32,
    libc: u32,
    length: Option<usize>,
    pass: bool,
    /// Copy-in: the call setting every field was refused as it must be.
    refused: bool,
    /// Up to [`MAX_PROBLEMS_SHOWN`] problems.
    problems: Vec<String>,
    /// Problems not kept.
    more: usize,
}

impl Shown {
    fn of(cell: Cell) -> Shown {
        let pass = cell.pass();
        let more = cell.problems.len().saturating_sub(MAX_PROBLEMS_SHOWN);
        let mut problems = cell.problems;
        problems.truncate(MAX_PROBLEMS_SHOWN);
        Shown {
            kernel: cell.kernel,
            libc: cell.libc,
            length: cell.length,
            pass,
            refused: cell.expected_refusal.is_some(),
            problems,
            more,
        }
    }
}

/// One table: a struct on targets whose every cell reads alike.
struct Table {
    struct_name: String,
    protocol: &'static str,
    targets: Vec<Target>,
    cells: Vec<Shown>,
    /// (kernel version, C library version) -> index in `cells`.
    at: HashMap<(u32, u32), usize>,
}

impl Table {
    fn cell(&self, kernel: u32, libc: u32) -> Option<&Shown> {
        self.at.get(&(kernel, libc)).map(|&i| &self.cells[i])
    }
}

/// What the table and the grid need: every group's cells as shown, then
/// the groups of one struct that read alike merged.
struct Shape {
    outline: Outline,
    tables: Vec<Table>,
    cells: usize,
    failed: usize,
}

impl Shape {
    fn pass(&self) -> bool {
        self.failed == 0
    }
}

fn simulate_shown(
    kernel: &abi_spec::Spec,
    libc: &abi_spec::Spec,
    announces: LibcAnnounces,
) -> Result<Shape, simulate::SimulationError> {
    let mut groups: Vec<(Group, Vec<Shown>)> = Vec::new();
    let outline = simulate::stream(kernel, libc, announces, &mut |group, cell| {
        let shown = Shown::of(cell);
        match groups.last_mut() {
            Some((g, cells)) if g == group => cells.push(shown),
            _ => groups.push((group.clone(), vec![shown])),
        }
        ControlFlow::Continue(())
    })?;
    let position = |t: &Target| outline.targets.iter().position(|u| u == t);
    let mut tables: Vec<Table> = Vec::new();
    let (mut cells, mut failed) = (0, 0);
    // The tables of the struct at hand start here: a struct's groups come
    // together, and are compared with each other only (100,000 structs
    // must not be compared with each other).
    let mut first = 0;
    for (group, shown) in groups {
        let targets = group.targets.len();
        cells += shown.len() * targets;
        failed += shown.iter().filter(|c| !c.pass).count() * targets;
        if tables
            .last()
            .is_some_and(|t| t.struct_name != group.struct_name)
        {
            first = tables.len();
        }
        let same = tables[first..].iter_mut().find(|t| t.cells == shown);
        match same {
            Some(table) => {
                table.targets.extend(group.targets);
                table.targets.sort_by_key(position);
            }
            None => tables.push(Table {
                at: shown
                    .iter()
                    .enumerate()
                    .map(|(i, c)| ((c.kernel, c.libc), i))
                    .collect(),
                struct_name: group.struct_name,
                protocol: group.protocol.name(),
                targets: group.targets,
                cells: shown,
            }),
        }
    }
    Ok(Shape {
        outline,
        tables,
        cells,
        failed,
    })
}

fn target_list(targets: &[Target]) -> String {
    targets
        .iter()
        .map(|t| t.name())
        .collect::<Vec<_>>()
        .join(", ")
}

fn text(shape: &Shape) -> String {
    let outline = &shape.outline;
    let mut out = String::new();
    for table in &shape.tables {
        let _ = writeln!(
            out,
            "{} `{}` ({}) on {}",
            outline.abi,
            table.struct_name,
            table.protocol,
            target_list(&table.targets)
        );
        let _ = write!(out, "{:>10}", "");
        for lv in &outline.libc_versions {
            let _ = write!(out, " {:>9}", format!("libc {lv}"));
        }
        out.push('\n');
        for &kv in &outline.kernel_versions {
            let _ = write!(out, "{:>10}", format!("kernel {kv}"));
            for &lv in &outline.libc_versions {
                let shown = match table.cell(kv, lv) {
                    Some(c) if c.pass && c.refused => format!("ok* {}", c.length.unwrap_or(0)),
                    Some(c) if c.pass => format!("ok {}", c.length.unwrap_or(0)),
                    Some(_) => "FAIL".to_string(),
                    None => "-".to_string(),
                };
                let _ = write!(out, " {shown:>9}");
            }
            out.push('\n');
        }
        for cell in table.cells.iter().filter(|c| !c.pass) {
            for problem in &cell.problems {
                let _ = writeln!(
                    out,
                    "  FAIL kernel {} / libc {}: {problem}",
                    cell.kernel, cell.libc
                );
            }
            if cell.more > 0 {
                let _ = writeln!(
                    out,
                    "  FAIL kernel {} / libc {}: and {} more problems (`--format json` lists every one)",
                    cell.kernel, cell.libc, cell.more
                );
            }
        }
        out.push('\n');
    }
    for (name, reason) in &outline.skipped {
        let _ = writeln!(out, "`{name}` not simulated: {reason}");
    }
    let _ = writeln!(
        out,
        "{} cells, {} failed (`ok N`: registered or copied in, N bytes agreed; `ok*`: the copy-in of every field the C library knows was refused with E2BIG or EINVAL, as it must be)",
        shape.cells, shape.failed
    );
    out
}

/// One cell on one target, as `--format json` writes it.
fn cell_json(group: &Group, target: Target, c: &Cell) -> Value {
    json!({
        "struct": group.struct_name,
        "protocol": group.protocol.name(),
        "target": target.name(),
        "kernel": c.kernel,
        "libc": c.libc,
        "pass": c.pass(),
        "announced": c.announced,
        "length": c.length,
        "libc_length": c.libc_length,
        "features": c.features,
        "expected_refusal": c.expected_refusal,
        "fields": c.fields.iter().map(|f| json!({
            "name": &*f.name, "on": f.on, "expected_on": f.expected_on, "ok": f.ok,
        })).collect::<Vec<_>>(),
        "problems": c.problems,
    })
}

/// `--format json`, written as the cells come: one object whose keys are
/// in the order `serde_json` sorts them (`abi`, `cells`, then the keys
/// known only at the end, `pass` among them), pretty-printed as
/// `serde_json` prints it.
fn stream_json(
    kernel: &abi_spec::Spec,
    libc: &abi_spec::Spec,
    announces: LibcAnnounces,
) -> Result<bool, simulate::SimulationError> {
    let mut out = output::Streamed::default();
    out.push(&format!(
        "{{\n  \"abi\": {},\n  \"cells\": [",
        Value::String(libc.abi.name.clone())
    ));
    let (mut first, mut pass) = (true, true);
    let outline = simulate::stream(kernel, libc, announces, &mut |group, cell| {
        pass &= cell.pass();
        for &target in &group.targets {
            out.json_element(&mut first, &cell_json(group, target, &cell));
        }
        if output::stdout_failed() {
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    })?;
    out.json_array_end(first);
    let rest = json!({
        "libc_announces": match announces {
            LibcAnnounces::FeatureSize => "feature-size",
            LibcAnnounces::Size => "size",
        },
        "pass": pass,
        "kernel_versions": outline.kernel_versions,
        "libc_versions": outline.libc_versions,
        "skipped": outline.skipped.iter().map(|(s, r)| json!({"struct": s, "reason": r})).collect::<Vec<_>>(),
    });
    let rest = serde_json::to_string_pretty(&rest).unwrap_or_default();
    out.push(&format!(",{}\n", rest.strip_prefix('{').unwrap_or(&rest)));
    out.finish();
    Ok(pass)
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn svg(shape: &Shape) -> String {
    const CELL: usize = 44;
    const LEFT: usize = 90;
    const HEAD: usize = 44;
    let outline = &shape.outline;
    let columns = outline.libc_versions.len();
    let rows = outline.kernel_versions.len();
    let block = HEAD + CELL * (rows + 1) + 16;
    let width = LEFT + CELL * columns.max(1) + 16;
    let height = block * shape.tables.len().max(1) + 24;
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" font-family=\"monospace\" font-size=\"12\">\n"
    );
    let _ = writeln!(
        out,
        "<rect width=\"{width}\" height=\"{height}\" fill=\"white\"/>"
    );
    for (g, table) in shape.tables.iter().enumerate() {
        let top = g * block + 8;
        let title = format!(
            "{} {} ({}): {}",
            outline.abi,
            table.struct_name,
            table.protocol,
            target_list(&table.targets)
        );
        let _ = writeln!(
            out,
            "<text x=\"8\" y=\"{}\">{}</text>",
            top + 14,
            xml_escape(&title)
        );
        for (c, lv) in outline.libc_versions.iter().enumerate() {
            let _ = writeln!(
                out,
                "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">libc {lv}</text>",
                LEFT + c * CELL + CELL / 2,
                top + HEAD - 6
            );
        }
        for (r, &kv) in outline.kernel_versions.iter().enumerate() {
            let y = top + HEAD + r * CELL;
            let _ = writeln!(
                out,
                "<text x=\"8\" y=\"{}\">kernel {kv}</text>",
                y + CELL / 2 + 4
            );
            for (c, &lv) in outline.libc_versions.iter().enumerate() {
                let x = LEFT + c * CELL;
                let (fill, label, tip) = match table.cell(kv, lv) {
                    Some(cell) if cell.pass => (
                        "#4caf50",
                        cell.length.unwrap_or(0).to_string(),
                        format!(
                            "kernel {kv}, libc {lv}: {} bytes agreed",
                            cell.length.unwrap_or(0)
                        ),
                    ),
                    Some(cell) => {
                        let mut tip = cell.problems.join("; ");
                        if cell.more > 0 {
                            let _ = write!(tip, "; and {} more problems", cell.more);
                        }
                        ("#e53935", "FAIL".to_string(), tip)
                    }
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
    let failure = |e: simulate::SimulationError| {
        Failure::msg(format!(
            "{} (kernel) and {} (C library): {e}",
            output::shown_path(kernel_file),
            output::shown_path(&args.spec)
        ))
    };
    let pass = match args.format {
        ReportFormat::Json => stream_json(&kernel_spec, &libc_spec, announces).map_err(failure)?,
        format => {
            let shape = simulate_shown(&kernel_spec, &libc_spec, announces).map_err(failure)?;
            output::print(&match format {
                ReportFormat::Svg => svg(&shape),
                _ => text(&shape),
            });
            shape.pass()
        }
    };
    Ok(if pass { EXIT_OK } else { EXIT_FINDINGS })
}
