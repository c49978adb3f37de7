//! `abi-check matrix`: run the registration protocol for every (kernel
//! version, libc version, target) and show which pairs work.
//!
//! Each cell is one registration, simulated with the run-time code that
//! kernels and C libraries use (`abi_spec::runtime`): the C library
//! announces its version's feature size and words for a buffer of its
//! `sizeof`, placed at an address that is a multiple of its alignment but
//! of no larger power of two, with guard bytes on both sides; the kernel
//! accepts or refuses, writes every field it knows (and writes at all) with
//! a pattern of its own wherever its agreement lets it; the C library reads
//! every field it knows through `Agreement::is_on`, as generated accessors
//! do. A cell passes when both sides computed the same agreement, no byte
//! outside the buffer changed, every field that the contract's model turns
//! on reads the kernel's pattern, and every other field reads `None`.
//!
//! The model is computed here independently of the run-time code: a field
//! is on when both sides know it, its version's feature size (in the C
//! library's history) is at most the smaller announced length, and, if it
//! has a feature, both sides offer a live feature of that name (by name,
//! not by bit, so two specs that disagree on a bit fail here).
//!
//! Only structs the kernel writes into are simulated (a field other than a
//! flexible array with writer `kernel` or `both`); structs only user space
//! writes are copied in
//! (`copy_struct_from_user`) and are listed as not simulated.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use abi_spec::layout;
use abi_spec::runtime::{
    accept, register, AbiTable, Announcement, FeatureBit, FieldSpan, Negotiated, VersionSizes,
};
use abi_spec::{Spec, Target};
use serde_json::{json, Value};

use crate::cli::{MatrixArgs, ReportFormat};
use crate::output::{self, Failure, Outcome, EXIT_FINDINGS, EXIT_OK};

/// Feature words the simulation handles: as many as any spec may define.
const WORDS: usize = 16;

/// The byte the guard areas hold.
const GUARD: u8 = 0xa5;

/// One field of one side at one version.
#[derive(Clone, Debug)]
struct SideField {
    name: String,
    span: FieldSpan,
    /// True when the kernel writes it (writer `kernel` or `both`).
    kernel_writes: bool,
    /// Reserved bytes: nobody reads them.
    reserved: bool,
    /// Its feature's name: the model matches features across specs by name.
    feature: Option<String>,
}

/// One struct of one spec on one target at one version: the plain numbers
/// the run-time code takes, and the names that match fields across specs.
#[derive(Clone, Debug)]
struct Side {
    version: u32,
    versions: Vec<VersionSizes>,
    fields: Vec<SideField>,
    spans: Vec<FieldSpan>,
    features: Vec<FeatureBit>,
    /// The names of the live features of this version.
    live_features: Vec<String>,
}

impl Side {
    fn table(&self) -> AbiTable<'_> {
        AbiTable {
            versions: &self.versions,
            fields: &self.spans,
            features: &self.features,
        }
    }

    fn own(&self) -> Option<&VersionSizes> {
        self.versions.iter().find(|v| v.version == self.version)
    }

    fn feature_size_of(&self, version: u32) -> Option<usize> {
        self.versions
            .iter()
            .find(|v| v.version == version)
            .map(|v| v.feature_size)
    }
}

/// Builds one side from the layout engine: every number comes from
/// `abi_spec::layout`.
fn side(
    spec: &Spec,
    file: &Path,
    struct_index: usize,
    target: Target,
    version: u32,
) -> Result<Option<Side>, Failure> {
    let laid = |v: u32| {
        layout::layout(spec, struct_index, target, v)
            .map_err(|e| Failure::msg(format!("{}: {}", file.display(), e.message)))
    };
    let Some(newest) = laid(version)? else {
        return Ok(None);
    };
    let mut versions = Vec::new();
    for v in spec.abi.first_version..=version {
        if let Some(l) = laid(v)? {
            versions.push(VersionSizes {
                version: v,
                size: l.size as usize,
                feature_size: l.feature_size as usize,
                align: l.align as usize,
            });
        }
    }
    let def = &spec.structs[struct_index];
    let mut fields = Vec::new();
    for placed in newest.fields.iter().filter(|f| !f.placeholder) {
        let field = &def.fields[placed.index];
        let span = FieldSpan {
            offset: placed.offset as usize,
            end: placed.end() as usize,
            since: field.since,
            feature: field
                .feature
                .as_deref()
                .and_then(|name| spec.feature(name))
                .map(|f| f.bit),
        };
        fields.push(SideField {
            name: field.name.clone(),
            span,
            kernel_writes: !matches!(field.writer, abi_spec::Writer::User),
            reserved: field.reserved,
            feature: field.feature.clone(),
        });
    }
    let features = spec
        .features
        .iter()
        .map(|f| FeatureBit {
            bit: f.bit,
            since: f.since,
            retired: f.retired,
        })
        .collect();
    let live_features = spec
        .features
        .iter()
        .filter(|f| f.since <= version && !f.retired)
        .map(|f| f.name.clone())
        .collect();
    Ok(Some(Side {
        version,
        live_features,
        spans: fields.iter().map(|f| f.span).collect(),
        versions,
        fields,
        features,
    }))
}

/// What the C library read from one field.
#[derive(Clone, Debug)]
struct FieldResult {
    name: String,
    /// The contract's model says the field is on.
    expected_on: bool,
    /// The accessor said the field is on.
    on: bool,
    /// On and holding the kernel's value, or off and read as `None`.
    ok: bool,
}

/// One simulated registration.
#[derive(Clone, Debug)]
struct Cell {
    struct_name: String,
    target: Target,
    kernel: u32,
    libc: u32,
    /// The C library's agreed length, when registration succeeded.
    length: Option<usize>,
    /// The agreed feature bits.
    features: Vec<u32>,
    fields: Vec<FieldResult>,
    problems: Vec<String>,
}

impl Cell {
    fn pass(&self) -> bool {
        self.problems.is_empty()
    }
}

/// The distinct, non-zero, non-guard bytes the kernel writes into a field:
/// a function of the field's name and the byte's index only, so the C
/// library knows what to expect without asking the kernel.
fn pattern(name: &str, index: usize) -> u8 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes() {
        hash = (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    let byte = 1 + ((hash.rotate_left((index % 8 * 8) as u32) as u8 as usize + index) % 254) as u8;
    if byte == GUARD {
        GUARD + 1
    } else {
        byte
    }
}

/// Runs one registration between a kernel side and a C library side.
fn simulate(struct_name: &str, target: Target, kernel: &Side, libc: &Side) -> Cell {
    let mut cell = Cell {
        struct_name: struct_name.to_string(),
        target,
        kernel: kernel.version,
        libc: libc.version,
        length: None,
        features: Vec::new(),
        fields: Vec::new(),
        problems: Vec::new(),
    };
    let (Some(libc_own), Some(kernel_own)) = (libc.own(), kernel.own()) else {
        cell.problems
            .push("a side has no layout in its own version".into());
        return cell;
    };
    // An odd multiple of the C library's alignment: aligned as it promises,
    // and no more, so a kernel that wants more notices.
    let address = (1usize << 20) + libc_own.align.max(1);
    let announcement =
        match Announcement::<WORDS>::for_version(&libc.table(), libc.version, address) {
            Ok(a) => a,
            Err(e) => {
                cell.problems
                    .push(format!("the C library cannot announce: {e}"));
                return cell;
            }
        };
    let (answer, kernel_agreed) = match register(&kernel.table(), kernel.version, &announcement) {
        Ok(pair) => pair,
        Err(e) => {
            cell.problems.push(format!(
                "the kernel refused the registration (errno {}): {e}",
                e.errno()
            ));
            return cell;
        }
    };
    let libc_agreed: Negotiated<WORDS> =
        match accept(&libc.table(), libc.version, &announcement, &answer) {
            Ok(n) => n,
            Err(e) => {
                cell.problems
                    .push(format!("the C library cannot accept the answer: {e}"));
                return cell;
            }
        };
    cell.length = Some(libc_agreed.length);
    cell.features = libc_agreed.features.iter().collect();
    if kernel_agreed.length != libc_agreed.length || kernel_agreed.features != libc_agreed.features
    {
        cell.problems.push(format!(
            "the two sides agree differently: kernel length {} bits {:?}, C library length {} bits {:?}",
            kernel_agreed.length,
            kernel_agreed.features.iter().collect::<Vec<_>>(),
            libc_agreed.length,
            cell.features
        ));
    }

    // The C library's buffer, between guards wide enough to catch any
    // write the kernel's own layout could make.
    let guard = kernel_own.size.max(libc_own.size) + 64;
    let mut memory = vec![GUARD; guard + libc_own.size + guard];
    memory[guard..guard + libc_own.size].fill(0);

    let kernel_agreement = kernel_agreed.agreement();
    for field in kernel
        .fields
        .iter()
        .filter(|f| f.kernel_writes && !f.reserved)
    {
        if !kernel_agreement.is_on(field.span.end, field.span.feature) {
            continue;
        }
        for i in field.span.offset..field.span.end {
            match memory.get_mut(guard + i) {
                Some(byte) => *byte = pattern(&field.name, i - field.span.offset),
                None => {
                    cell.problems.push(format!(
                        "the kernel wrote `{}` past the end of memory",
                        field.name
                    ));
                    break;
                }
            }
        }
    }
    let outside = memory[..guard]
        .iter()
        .enumerate()
        .chain(
            memory[guard + libc_own.size..]
                .iter()
                .enumerate()
                .map(|(i, b)| (guard + libc_own.size + i, b)),
        )
        .filter(|(_, &b)| b != GUARD)
        .map(|(i, _)| i as i64 - guard as i64)
        .collect::<Vec<_>>();
    if let (Some(first), Some(last)) = (outside.first(), outside.last()) {
        cell.problems.push(format!(
            "the kernel wrote outside the {}-byte buffer: bytes {first}..={last}",
            libc_own.size
        ));
    }

    // The contract's model, from the C library's history.
    let limit = libc_own.feature_size.min(kernel_own.feature_size);
    let libc_agreement = libc_agreed.agreement();
    for field in libc
        .fields
        .iter()
        .filter(|f| f.kernel_writes && !f.reserved)
    {
        let kernel_field = kernel
            .fields
            .iter()
            .find(|k| k.name == field.name && k.kernel_writes && !k.reserved);
        let expected_on = kernel_field.is_some()
            && libc
                .feature_size_of(field.span.since)
                .is_some_and(|fs| fs <= limit)
            && field.feature.as_ref().is_none_or(|name| {
                libc.live_features.contains(name) && kernel.live_features.contains(name)
            });
        let read = libc_agreement
            .is_on(field.span.end, field.span.feature)
            .then(|| &memory[guard + field.span.offset..guard + field.span.end]);
        let on = read.is_some();
        let ok = match read {
            Some(bytes) => {
                expected_on
                    && bytes
                        .iter()
                        .enumerate()
                        .all(|(i, &b)| b == pattern(&field.name, i))
            }
            None => !expected_on,
        };
        if !ok {
            let what = match read {
                None => "reads None, but the model turns it on".to_string(),
                Some(_) if !expected_on => {
                    "is on for the C library, but the model turns it off".to_string()
                }
                Some(bytes) => format!(
                    "reads {}, not the kernel's value",
                    bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
                ),
            };
            cell.problems.push(format!("field `{}` {what}", field.name));
        }
        cell.fields.push(FieldResult {
            name: field.name.clone(),
            expected_on,
            on,
            ok,
        });
    }
    cell
}

/// The whole matrix, and the structs left out.
struct Matrix {
    abi: String,
    cells: Vec<Cell>,
    /// (struct, reason) for every struct not simulated.
    skipped: Vec<(String, String)>,
    kernel_versions: Vec<u32>,
    libc_versions: Vec<u32>,
}

fn build(
    kernel_spec: &Spec,
    kernel_file: &Path,
    libc_spec: &Spec,
    libc_file: &Path,
) -> Result<Matrix, Failure> {
    let targets: Vec<Target> = libc_spec
        .abi
        .targets
        .iter()
        .copied()
        .filter(|t| kernel_spec.abi.targets.contains(t))
        .collect();
    let mut cells = Vec::new();
    let mut skipped = Vec::new();
    for (libc_index, def) in libc_spec.structs.iter().enumerate() {
        let Some(kernel_index) = kernel_spec.struct_index(&def.name) else {
            skipped.push((
                def.name.clone(),
                "the kernel's spec has no such struct".into(),
            ));
            continue;
        };
        let kernel_writes = |s: &abi_spec::StructDef| {
            s.fields.iter().any(|f| {
                !f.reserved && !f.ty.is_flexible() && !matches!(f.writer, abi_spec::Writer::User)
            })
        };
        if !kernel_writes(def) && !kernel_writes(&kernel_spec.structs[kernel_index]) {
            skipped.push((
                def.name.clone(),
                "only user space writes it (copy-in, not registration)".into(),
            ));
            continue;
        }
        for &target in &targets {
            for kv in kernel_spec.versions() {
                let Some(kernel) = side(kernel_spec, kernel_file, kernel_index, target, kv)? else {
                    continue;
                };
                for lv in libc_spec.versions() {
                    let Some(libc) = side(libc_spec, libc_file, libc_index, target, lv)? else {
                        continue;
                    };
                    cells.push(simulate(&def.name, target, &kernel, &libc));
                }
            }
        }
    }
    Ok(Matrix {
        abi: libc_spec.abi.name.clone(),
        cells,
        skipped,
        kernel_versions: kernel_spec.versions().collect(),
        libc_versions: libc_spec.versions().collect(),
    })
}

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
        let _ = writeln!(out, "{} `{name}` on {}", matrix.abi, target_list(&targets));
        let _ = write!(out, "{:>10}", "");
        for lv in &matrix.libc_versions {
            let _ = write!(out, " {:>9}", format!("libc {lv}"));
        }
        out.push('\n');
        for kv in &matrix.kernel_versions {
            let _ = write!(out, "{:>10}", format!("kernel {kv}"));
            for lv in &matrix.libc_versions {
                let shown = match cells.iter().find(|c| c.kernel == *kv && c.libc == *lv) {
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
        "{} cells, {failed} failed (`ok N`: registered, N bytes agreed)",
        matrix.cells.len()
    );
    out
}

fn json(matrix: &Matrix) -> Value {
    let cells: Vec<Value> = matrix
        .cells
        .iter()
        .map(|c| {
            json!({
                "struct": c.struct_name,
                "target": c.target.name(),
                "kernel": c.kernel,
                "libc": c.libc,
                "pass": c.pass(),
                "length": c.length,
                "features": c.features,
                "fields": c.fields.iter().map(|f| json!({
                    "name": f.name, "on": f.on, "expected_on": f.expected_on, "ok": f.ok,
                })).collect::<Vec<_>>(),
                "problems": c.problems,
            })
        })
        .collect();
    json!({
        "abi": matrix.abi,
        "pass": matrix.cells.iter().all(Cell::pass),
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
        let title = format!("{} {name}: {}", matrix.abi, target_list(targets));
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
    if kernel_spec.abi.name != libc_spec.abi.name {
        return Err(Failure::msg(format!(
            "{} describes ABI `{}` but {} describes `{}`: not two sides of one ABI",
            kernel_file.display(),
            kernel_spec.abi.name,
            args.spec.display(),
            libc_spec.abi.name
        )));
    }
    let matrix = build(&kernel_spec, kernel_file, &libc_spec, &args.spec)?;
    match args.format {
        ReportFormat::Text => output::print(&text(&matrix)),
        ReportFormat::Json => output::print(&format!(
            "{}\n",
            serde_json::to_string_pretty(&json(&matrix)).unwrap_or_default()
        )),
        ReportFormat::Svg => output::print(&svg(&matrix)),
    }
    Ok(if matrix.cells.iter().all(Cell::pass) {
        EXIT_OK
    } else {
        EXIT_FINDINGS
    })
}
