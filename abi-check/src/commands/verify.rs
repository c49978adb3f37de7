//! `abi-check verify`: the layouts compiled into one or more binaries
//! (DWARF), compared with every version of the spec; several `--elf` (a
//! kernel and a libc) are shown side by side. `--struct NAME=A|B` names a
//! struct that binaries spell differently: each binary is read for the
//! first of `A`, `B` it defines, and the table says which one matched.
//! `--btf [FILE]` reads BTF (the running kernel's without FILE) beside them.

use std::fmt::Write as _;

use abi_dwarf::compare::{self, Verdict};
use abi_dwarf::{CStruct, Format};
use abi_spec::finding::Run;
use serde_json::{json, Value};

use crate::cli::VerifyArgs;
use crate::output::{self, Failure, Outcome};

/// One `--struct NAME[=C_NAME[|C_NAME]...]`.
struct Pair {
    /// The C names to try, in order.
    c_names: Vec<String>,
    index: usize,
}

/// Runs the command.
pub fn run(args: &VerifyArgs) -> Outcome {
    let spec = output::load_spec(&args.spec)?;
    let file = args.spec.display();
    let mut pairs = Vec::new();
    let asked: Vec<String> = if args.structs.is_empty() {
        // A struct that is only ever an anonymous member has no C name to
        // look up: it is compared inside the struct that holds it.
        let anonymous: Vec<&str> = spec
            .structs
            .iter()
            .flat_map(|s| &s.fields)
            .filter(|f| f.is_anonymous_member())
            .filter_map(|f| f.ty.struct_name())
            .collect();
        let named: Vec<&str> = spec
            .structs
            .iter()
            .flat_map(|s| &s.fields)
            .filter(|f| !f.is_anonymous_member())
            .filter_map(|f| f.ty.struct_name())
            .collect();
        spec.structs
            .iter()
            .filter(|s| !anonymous.contains(&s.name.as_str()) || named.contains(&s.name.as_str()))
            .map(|s| s.name.clone())
            .collect()
    } else {
        args.structs.clone()
    };
    for text in &asked {
        let (spec_name, c_names) = match text.split_once('=') {
            Some((s, c)) => (s.trim(), c.split('|').map(str::trim).collect::<Vec<_>>()),
            None => (text.trim(), vec![text.trim()]),
        };
        if spec_name.contains('|') {
            return Err(Failure::msg(format!(
                "--struct `{}`: alternatives follow the spec name, as `NAME=C_NAME|C_NAME`",
                text.escape_debug()
            )));
        }
        let index = spec.struct_index(spec_name).ok_or_else(|| {
            Failure::msg(format!(
                "{file}: no struct `{}`; {}",
                spec_name.escape_debug(),
                output::known_structs(&spec, spec_name)
            ))
        })?;
        if c_names.iter().any(|c| c.is_empty()) {
            return Err(Failure::msg(format!(
                "--struct `{}`: empty C name",
                text.escape_debug()
            )));
        }
        pairs.push(Pair {
            c_names: c_names.into_iter().map(str::to_string).collect(),
            index,
        });
    }
    let groups: Vec<Vec<String>> = pairs.iter().map(|p| p.c_names.clone()).collect();
    let mut rows: Vec<Row> = Vec::new();
    let mut findings = Vec::new();
    let options = abi_dwarf::Options {
        debug_dir: args.debug_dir.clone(),
        btf_base: args.btf_base.clone(),
        every_definition: false,
    };
    let sources = args
        .elf
        .iter()
        .map(|p| (p, false))
        .chain(args.btf.iter().map(|p| (p, true)));
    for (elf, btf) in sources {
        let dump = if btf {
            abi_dwarf::read_btf(elf, &groups, &options)
        } else {
            abi_dwarf::read(elf, &groups, &options)
        }
        .map_err(|e| Failure::msg(e.to_string()))?;
        // The path as given for JSON; escaped and cut in messages.
        let label = elf.display().to_string();
        let shown = output::shown_path(elf);
        for (pair, found) in pairs.iter().zip(&dump.structs) {
            let mut layout = found.layout.clone();
            if dump.format == Format::Btf {
                btf_alignment(&spec, pair.index, dump.target, &mut layout, &found.query);
            }
            // `found.query` is the alternative this binary defines.
            let verdict = compare::verify(
                &spec,
                pair.index,
                &layout,
                &found.query,
                &shown,
                dump.target,
            );
            findings.extend(verdict.findings.iter().cloned());
            let size_macro = size_macro(&spec, pair.index, dump.target, verdict.implements);
            rows.push(Row {
                file: label.clone(),
                target: dump.target.name().to_string(),
                size_macro,
                verdict,
            });
        }
    }
    output::settle(&mut findings, &spec, Run::Verify, args.strict_waivers);
    let summary = table(&rows, &spec);
    let binaries: Vec<Value> = rows
        .iter()
        .map(|row| {
            let v = &row.verdict;
            let mut value = json!({
                "file": row.file,
                "target": row.target,
                "struct": v.struct_name,
                "c_name": v.c_name,
                "implements": v.implements,
                "negotiates": v.negotiates,
                "size": v.size,
                "align": v.align,
                "mismatches": v.mismatches(),
            });
            if let Some(name) = &row.size_macro {
                value["size_macro"] = json!(name);
            }
            value
        })
        .collect();
    output::report_findings(
        &findings,
        args.format,
        None,
        &summary,
        json!({"abi": spec.abi.name, "version": spec.abi.version, "binaries": binaries}),
    )
}

/// BTF records no alignment: a struct read from it is aligned as its
/// members are, and an `__attribute__((aligned(N)))` above that (Linux's
/// `struct rseq`, aligned to 32) leaves no trace. When the spec's newest
/// version asks for more, and the compiled struct could be so aligned (not
/// packed, its size a multiple of N), the spec's alignment is taken, with a
/// note: the binary cannot contradict it.
fn btf_alignment(
    spec: &abi_spec::Spec,
    index: usize,
    target: abi_spec::Target,
    layout: &mut CStruct,
    query: &str,
) {
    let Some(newest) = spec
        .versions()
        .rev()
        .filter_map(|v| {
            abi_spec::layout::layout(spec, index, target, v)
                .ok()
                .flatten()
        })
        .next()
    else {
        return;
    };
    let wanted = newest.align;
    if layout.packed || wanted <= layout.align || wanted % layout.align != 0 {
        return;
    }
    if layout.size % wanted != 0 {
        return;
    }
    eprintln!(
        "note: `{}`: BTF records no alignment; the members give {}, the spec says {}, which its {} bytes allow: taken as {}",
        abi_dwarf::text::shown(query),
        layout.align,
        wanted,
        layout.size,
        wanted
    );
    layout.align = wanted;
}

/// One row of the table: a struct in a binary.
struct Row {
    /// The binary, as given.
    file: String,
    /// Its target's name.
    target: String,
    /// The Linux-style size macro of the version implemented, when the
    /// struct has a `size_macro` (`PERF_ATTR_SIZE_VER7`).
    size_macro: Option<String>,
    verdict: Verdict,
}

/// The size macro (`size_macro` of the spec struct) that names the size
/// of version `implements` on `target`: Linux numbers its sizes, not the
/// versions (perf_event_attr's version 23 is PERF_ATTR_SIZE_VER7).
fn size_macro(
    spec: &abi_spec::Spec,
    index: usize,
    target: abi_spec::Target,
    implements: Option<u32>,
) -> Option<String> {
    let version = implements?;
    abi_spec::codegen::cnames::CNames::new(spec)
        .size_macros(index, target)
        .into_iter()
        .rev()
        .find(|m| m.version <= version)
        .map(|m| m.name)
}

/// The side-by-side table: per struct, per binary.
fn table(rows: &[Row], spec: &abi_spec::Spec) -> String {
    let header = [
        "struct",
        "binary",
        "target",
        "implements",
        "size",
        "align",
        "mismatches",
    ];
    let cells: Vec<[String; 7]> = rows
        .iter()
        .map(|row| {
            let v = &row.verdict;
            let c = if v.c_name == v.struct_name {
                v.struct_name.clone()
            } else {
                format!("{}={}", v.struct_name, v.c_name)
            };
            [
                c,
                output::shown(&row.file, output::MAX_PATH_CHARS),
                row.target.clone(),
                match (v.implements, &row.size_macro) {
                    (None, _) => "none".to_string(),
                    (Some(n), None) => format!("v{n} of {}", spec.abi.version),
                    (Some(n), Some(name)) => format!("v{n} of {} ({name})", spec.abi.version),
                },
                v.size.to_string(),
                v.align.to_string(),
                v.mismatches().to_string(),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &cells {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.len());
        }
    }
    let mut out = String::new();
    let line = |out: &mut String, row: &[&str]| {
        let text: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        let _ = writeln!(out, "{}", text.join("  ").trim_end());
    };
    line(&mut out, &header);
    for row in &cells {
        line(
            &mut out,
            &row.iter().map(String::as_str).collect::<Vec<_>>(),
        );
    }
    out.trim_end().to_string()
}
