//! `abi-check dump --format toml` of several binaries: one spec whose
//! versions are the binaries, oldest first (the order of `--elf` and
//! `--btf` on the command line).
//!
//! Each binary's structs become a model ([`crate::spec_toml`]); the
//! newest binary's fields, in its memory order, are the spec's field list.
//! Each field's history is walked back binary by binary: the same name at
//! the same offset and size (an anonymous struct or union: the same place)
//! is the same field, so `since` is the first binary that has it; a field
//! that is new lies beyond the older struct's end (grown), or on bytes the
//! older binary had as reserved (a member named `__reserved*`, `__pad*`,
//! `_res*`, `reserved*`, or padding no member names: the field is
//! `was_reserved` from the first binary in an unbroken run that reserved
//! them, and in those versions the spec keeps its bytes as a placeholder),
//! or on bytes an older member used (a maintainer must decide). A member
//! that moved, changed size or type, or vanished is said in a comment and
//! a warning; the spec cannot say it, so the command then exits 1. Before
//! writing, each version is laid out and compared with its binary.
//! Structs nested in the ones asked for are taken from the newest binary,
//! each field from the version its outer field first needs it.

use std::collections::{HashMap, HashSet};

use abi_dwarf::text::shown;
use abi_dwarf::{Dump, Format};
use abi_spec::Target;

use crate::cli::{Binary, DumpArgs};
use crate::output::{self, Failure, Outcome, EXIT_FINDINGS, EXIT_OK};
use crate::spec_toml::{self, strip_array, Document, FieldModel, Model, StructModel};

/// One binary of the history.
struct Version {
    dump: Dump,
    model: Model,
    version: u32,
    /// `binary 2 (version 3, vmlinux)` for comments.
    label: String,
}

/// What the merge found that a maintainer must decide.
#[derive(Default)]
struct Decisions {
    /// Changes the spec cannot express (moved, resized, retyped, vanished,
    /// overlapping): the command exits 1.
    breaking: Vec<String>,
}

/// Runs `dump --format toml` over several binaries.
pub fn run(args: &DumpArgs, binaries: &[Binary]) -> Outcome {
    let mut versions = Vec::new();
    for (k, binary) in binaries.iter().enumerate() {
        let dump = super::dump::read(args, binary)?;
        super::dump::warn_other_definitions(&dump);
        let model = spec_toml::build(
            &dump.structs,
            dump.target,
            spec_toml::Options { annotate: true },
        );
        let version = args.first_version.saturating_add(k as u32);
        let label = format!("binary {} (version {version})", k + 1);
        versions.push(Version {
            dump,
            model,
            version,
            label,
        });
    }
    let mut decisions = Decisions::default();
    let (document, names) = merge(&versions, &mut decisions)?;
    let text = spec_toml::render(&document);
    let mismatches = verify(&text, &versions, &names)?;
    for d in &decisions.breaking {
        output::eprint(&format!("warning: {}\n", output::escape(d)));
    }
    if !mismatches.is_empty() {
        if decisions.breaking.is_empty() {
            return Err(Failure::msg(format!(
                "refusing to write a history whose versions do not lay out as their binaries \
                 (a bug in abi-check): {}",
                mismatches.join("; ")
            )));
        }
        for m in &mismatches {
            output::eprint(&format!("warning: as written, {}\n", output::escape(m)));
        }
    }
    output::print(&text);
    Ok(if decisions.breaking.is_empty() {
        EXIT_OK
    } else {
        EXIT_FINDINGS
    })
}

fn file_name(dump: &Dump) -> String {
    dump.file.display().to_string()
}

/// True for a field that is data (not padding or reserved space).
fn live(f: &FieldModel) -> bool {
    !f.is_reserved()
}

fn anonymous(f: &FieldModel) -> bool {
    f.is_anonymous()
}

/// True when the spec types say the same thing: equal, or both structs of
/// the writer's naming (an anonymous union's name depends on its place).
fn aggregate(ty: &str, model: &Model) -> bool {
    let ty = strip_array(ty);
    model.structs.iter().any(|s| s.name == ty)
}

/// The field of `m` that is `f` (named `name` there): the same name, or
/// for an anonymous aggregate, the same place.
fn same<'m>(m: &'m StructModel, f: &FieldModel, name: &str) -> Option<&'m FieldModel> {
    if anonymous(f) {
        return m
            .fields
            .iter()
            .find(|g| anonymous(g) && g.bit_range() == f.bit_range());
    }
    m.fields
        .iter()
        .find(|g| live(g) && !anonymous(g) && g.name == name)
}

/// True when the bits `[start, end)` lie inside `m` and no data field of
/// `m` holds any of them: they are reserved fields, padding, or bits no
/// field names (what a bitfield leaves of its last byte).
fn reserved_bits(m: &StructModel, (start, end): (u64, u64)) -> bool {
    end <= m.size * 8
        && !m
            .fields
            .iter()
            .any(|g| live(g) && overlaps(g, (start, end)))
}

fn overlaps(g: &FieldModel, (start, end): (u64, u64)) -> bool {
    let (a, b) = g.bit_range();
    a < end && start < b
}

/// The fields of `m` that overlap the bits `[start, end)`, by name.
fn overlapping(m: &StructModel, bits: (u64, u64)) -> Vec<String> {
    m.fields
        .iter()
        .filter(|g| overlaps(g, bits))
        .map(|g| format!("`{}`", g.name))
        .collect()
}

/// The spec name, in the merged spec, of each `(binary, struct, field)`.
type Names = HashMap<(usize, String, String), String>;

/// The history as a document, and the spec name of every live member of
/// every binary's top-level structs.
fn merge(versions: &[Version], decisions: &mut Decisions) -> Result<(Document, Names), Failure> {
    let n = versions.len();
    let newest = &versions[n - 1];
    let mut model = newest.model.clone();
    let mut names: Names = HashMap::new();
    // Nested structs of the newest binary that an older one had otherwise:
    // (newest name, binary, that binary's name).
    let mut nested_pairs: Vec<(String, usize, String)> = Vec::new();
    let top: Vec<String> = model
        .structs
        .iter()
        .filter(|s| s.query.is_some())
        .map(|s| s.name.clone())
        .collect();
    for name in &top {
        let ms: Vec<&StructModel> = versions
            .iter()
            .map(|v| v.model.get(name))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| Failure::msg(format!("`{name}` is missing from a binary")))?;
        let mut comments = Vec::new();
        let fields = merge_struct(
            versions,
            &ms,
            name,
            &mut names,
            &mut nested_pairs,
            &mut comments,
            decisions,
        );
        if let Some(s) = model.structs.iter_mut().find(|s| s.name == *name) {
            s.fields = fields;
            s.comments.extend(comments);
            settle_struct_align(s, &ms, versions);
        }
    }
    nested_since(&mut model, &top);
    compare_nested(&mut model, versions, &nested_pairs);
    let targets = {
        let mut ts: Vec<Target> = versions.iter().map(|v| v.dump.target).collect();
        ts.sort();
        ts.dedup();
        ts
    };
    let mut header = vec![format!(
        "Generated by `abi-check dump --format toml` from {n} binaries, oldest first: one \
             version per binary."
    )];
    for v in versions {
        header.push(format!(
            "Version {} is binary {}: {} ({}, {}).",
            v.version,
            v.version - versions[0].version + 1,
            shown(&file_name(&v.dump)),
            v.dump.target,
            v.dump.format.name()
        ));
    }
    header.push(
        "Inferred: `since` (the first binary with the field), `was_reserved` (bytes an older \
         binary reserved), `reserved` (from a member's name). Each inference and each place a \
         maintainer must decide has a comment below; review them, the names and the features."
            .into(),
    );
    if !decisions.breaking.is_empty() {
        header.push(format!(
            "MAINTAINER: {} change{} the spec cannot express (see the comments marked \
             MAINTAINER); the versions before them do not lay out as their binaries.",
            decisions.breaking.len(),
            if decisions.breaking.len() == 1 {
                ""
            } else {
                "s"
            }
        ));
    }
    let abi_name = top.first().cloned().unwrap_or_else(|| "history".into());
    let document = Document {
        header,
        abi_name,
        version: newest.version,
        first_version: Some(versions[0].version),
        doc: format!(
            "Layouts read from {n} binaries, one version each: {}.",
            versions
                .iter()
                .map(|v| format!("{} ({})", shown(&file_name(&v.dump)), v.dump.format.name()))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        targets: Some(targets),
        abi_comments: Vec::new(),
        constants: Vec::new(),
        model,
        wrap: true,
    };
    Ok((document, names))
}

/// The fields of top-level struct `name` over the binaries `ms` (oldest
/// first): the newest's, each with its history.
fn merge_struct(
    versions: &[Version],
    ms: &[&StructModel],
    name: &str,
    names: &mut Names,
    nested_pairs: &mut Vec<(String, usize, String)>,
    comments: &mut Vec<String>,
    decisions: &mut Decisions,
) -> Vec<FieldModel> {
    let n = ms.len();
    let newest = ms[n - 1];
    // (binary, member name) of every older member some field continues.
    let mut continued: HashSet<(usize, String)> = HashSet::new();
    let mut out = Vec::new();
    for f in &newest.fields {
        let mut f = f.clone();
        f.since = versions[n - 1].version;
        f.was_reserved = None;
        if live(&f) {
            names.insert((n - 1, name.to_string(), f.name.clone()), f.name.clone());
            walk_live(
                versions,
                ms,
                name,
                &mut f,
                names,
                nested_pairs,
                &mut continued,
                decisions,
            );
        } else {
            walk_reserved(versions, ms, name, &mut f, &mut continued, decisions);
        }
        out.push(f);
    }
    keep_order(&mut out, name, decisions);
    // Members that no later binary continues.
    for k in 0..n - 1 {
        for g in ms[k].fields.iter().filter(|g| live(g)) {
            let kept = continued.contains(&(k, g.name.clone()))
                || same(ms[k + 1], g, &g.name).is_some()
                || ms[k + 1]
                    .fields
                    .iter()
                    .any(|h| !live(h) && h.bit_range() == g.bit_range());
            if !kept {
                let text = format!(
                    "MAINTAINER: `{name}.{}` ({} bytes at offset {}) of {} is gone from {}: \
                     the spec has no field for it, so version {} does not lay out as its \
                     binary; keep it (reserve its bytes) or retire it by hand",
                    g.name,
                    g.size,
                    g.offset,
                    versions[k].label,
                    versions[k + 1].label,
                    versions[k].version
                );
                comments.push(text.clone());
                decisions.breaking.push(text);
            }
        }
    }
    out
}

/// A spec's fields that claim no reserved bytes must not get older down
/// the list. A field that a maintainer must decide about (it lies on bytes
/// an older member used) may: its `since` is lowered to the oldest of the
/// fields after it, said so, so that the file parses.
fn keep_order(fields: &mut [FieldModel], name: &str, decisions: &mut Decisions) {
    let plain = |f: &FieldModel| !f.reserved && f.was_reserved.is_none();
    let mut oldest_after = u32::MAX;
    for f in fields.iter_mut().rev() {
        if !plain(f) {
            continue;
        }
        if f.since > oldest_after {
            let versions = if f.since - 1 == oldest_after {
                format!("version {oldest_after}")
            } else {
                format!("versions {oldest_after} to {}", f.since - 1)
            };
            let text = format!(
                "MAINTAINER: `{name}.{}` says since = {oldest_after}, not {}: a field cannot come \
                 before older ones, and it does not lay out in {versions} as in those binaries",
                f.name, f.since
            );
            f.comments.push(text.clone());
            decisions.breaking.push(text);
            f.since = oldest_after;
        }
        oldest_after = oldest_after.min(f.since);
    }
}

/// `since` and `was_reserved` of a live field `f` of the newest binary.
#[allow(clippy::too_many_arguments)]
fn walk_live(
    versions: &[Version],
    ms: &[&StructModel],
    name: &str,
    f: &mut FieldModel,
    names: &mut Names,
    nested_pairs: &mut Vec<(String, usize, String)>,
    continued: &mut HashSet<(usize, String)>,
    decisions: &mut Decisions,
) {
    let n = ms.len();
    let newest_model = &versions[n - 1].model;
    let mut current = f.name.clone();
    let mut current_ty = f.ty.clone();
    let place = f.bit_range();
    let mut moved = false;
    for k in (0..n - 1).rev() {
        let mk = ms[k];
        let newer = &versions[k + 1];
        let older = &versions[k];
        let found = same(mk, f, &current)
            .cloned()
            .map(|g| (g, false))
            .or_else(|| {
                // Renamed: the same bytes and type under a name the newer
                // binary no longer has.
                mk.fields
                    .iter()
                    .find(|g| {
                        live(g)
                            && g.bit_range() == place
                            && (g.ty == current_ty
                                || (aggregate(&g.ty, &older.model)
                                    && aggregate(&current_ty, &newer.model)))
                            && same(ms[k + 1], g, &g.name).is_none()
                    })
                    .cloned()
                    .map(|g| (g, true))
            });
        let Some((g, renamed)) = found else {
            // New in binary k+1: grown, claimed from reserved bytes or
            // bits, or on bytes an older member used.
            if place.0 >= mk.size * 8 {
                return;
            }
            if reserved_bits(mk, place) {
                let mut first = k;
                while first > 0 && reserved_bits(ms[first - 1], place) {
                    first -= 1;
                }
                f.was_reserved = Some(versions[first].version);
                let when = if first == k {
                    format!("in {}", older.label)
                } else {
                    format!("from {} to {}", versions[first].label, older.label)
                };
                let what = if f.bits.is_some() { "bits" } else { "bytes" };
                let held = overlapping(mk, place);
                f.comments.push(format!(
                    "was_reserved: inferred: {when} these {what} were reserved ({}); {} claims \
                     them",
                    if held.is_empty() {
                        "padding no member names".to_string()
                    } else {
                        held.join(", ")
                    },
                    newer.label
                ));
                for g in mk.fields.iter().filter(|g| overlaps(g, place)) {
                    continued.insert((k, g.name.clone()));
                }
                return;
            }
            let text = format!(
                "MAINTAINER: `{name}.{}` of {} lies on bytes that {} used for {}, which were \
                 not reserved: decide what the older versions had there",
                f.name,
                newer.label,
                older.label,
                overlapping(mk, place).join(", ")
            );
            f.comments.push(text.clone());
            decisions.breaking.push(text);
            return;
        };
        continued.insert((k, g.name.clone()));
        if renamed {
            f.comments.push(format!(
                "renamed: `{}` in {} and before, `{current}` from {} (the same bytes and type)",
                g.name, older.label, newer.label
            ));
        }
        if g.bit_range() != place && !moved {
            // Said once; the walk goes on by name, so that the field keeps
            // its place among the older ones.
            let text = format!(
                "MAINTAINER: `{name}.{current}` is {} in {}, {} from {}: it moved or changed \
                 size, which no version step may do",
                describe(&g),
                older.label,
                describe(f),
                newer.label
            );
            f.comments.push(text.clone());
            decisions.breaking.push(text);
            moved = true;
        }
        let both_aggregates =
            aggregate(&g.ty, &older.model) && aggregate(&current_ty, &newer.model);
        if both_aggregates {
            let newest_name = strip_array(&f.ty);
            if aggregate(newest_name, newest_model) {
                nested_pairs.push((newest_name.to_string(), k, strip_array(&g.ty).to_string()));
            }
        } else if g.ty != current_ty {
            let text = format!(
                "MAINTAINER: `{name}.{current}` is `{}` in {}, `{current_ty}` from {}: same \
                 place and size, another type (FIELD_RETYPED); the spec has the newest",
                g.ty, older.label, newer.label
            );
            f.comments.push(text.clone());
            decisions.breaking.push(text);
        }
        if g.align != f.align {
            match (g.align, f.align, older.dump.format, newer.dump.format) {
                (Some(a), None, Format::Dwarf, Format::Btf) => {
                    f.align = Some(a);
                    f.comments.push(format!(
                        "align = {a}: from the DWARF of {}; BTF records no alignment",
                        older.label
                    ));
                }
                _ => {
                    let text = format!(
                        "MAINTAINER: `{name}.{current}` is aligned({:?}) in {}, aligned({:?}) \
                         from {}",
                        g.align, older.label, f.align, newer.label
                    );
                    f.comments.push(text.clone());
                    decisions.breaking.push(text);
                }
            }
        }
        names.insert((k, name.to_string(), g.name.clone()), f.name.clone());
        f.since = older.version;
        current = g.name.clone();
        current_ty = g.ty.clone();
    }
}

/// `since` of a reserved field (or padding) of the newest binary: the
/// first binary of the unbroken run that reserved its bytes.
fn walk_reserved(
    versions: &[Version],
    ms: &[&StructModel],
    name: &str,
    f: &mut FieldModel,
    continued: &mut HashSet<(usize, String)>,
    decisions: &mut Decisions,
) {
    let n = ms.len();
    let place = f.bit_range();
    for k in (0..n - 1).rev() {
        let mk = ms[k];
        if reserved_bits(mk, place) {
            for g in mk.fields.iter().filter(|g| overlaps(g, place)) {
                continued.insert((k, g.name.clone()));
            }
            f.since = versions[k].version;
            continue;
        }
        if place.0 >= mk.size * 8 {
            return;
        }
        // A member retired into reserved bytes: the same place.
        if let Some(g) = mk.fields.iter().find(|g| live(g) && g.bit_range() == place) {
            continued.insert((k, g.name.clone()));
            f.comments.push(format!(
                "{} had the member `{}` here; reserved from {}",
                versions[k].label,
                g.name,
                versions[k + 1].label
            ));
            f.since = versions[k].version;
            continue;
        }
        let text = format!(
            "MAINTAINER: the reserved bytes `{name}.{}` of {} lie on {} of {}: decide what the \
             older versions had there",
            f.name,
            versions[k + 1].label,
            overlapping(mk, place).join(", "),
            versions[k].label
        );
        f.comments.push(text.clone());
        decisions.breaking.push(text);
        return;
    }
}

/// A struct asked for whose explicit alignment only DWARF recorded.
fn settle_struct_align(s: &mut StructModel, ms: &[&StructModel], versions: &[Version]) {
    let n = ms.len();
    if s.align.is_some() || versions[n - 1].dump.format != Format::Btf {
        return;
    }
    if let Some((k, a)) = (0..n - 1)
        .rev()
        .find_map(|k| (versions[k].dump.format == Format::Dwarf).then_some((k, ms[k].align?)))
    {
        s.align = Some(a);
        s.comments.push(format!(
            "align = {a}: from the DWARF of {}; BTF records no alignment",
            versions[k].label
        ));
    }
}

/// Each nested struct's fields exist from the first version a field
/// holding it needs it (as a live field or a placeholder).
fn nested_since(model: &mut Model, top: &[String]) {
    let mut placeholders: HashMap<String, (String, u32, u32)> = HashMap::new();
    for _ in 0..model.structs.len() {
        let mut from: HashMap<String, u32> = HashMap::new();
        for s in &model.structs {
            for f in &s.fields {
                let inner = strip_array(&f.ty).to_string();
                let at = f.was_reserved.map_or(f.since, |w| w.min(f.since));
                if at < f.since {
                    placeholders.insert(inner.clone(), (f.name.clone(), at, f.since));
                }
                from.entry(inner)
                    .and_modify(|v| *v = (*v).min(at))
                    .or_insert(at);
            }
        }
        let mut changed = false;
        for s in model.structs.iter_mut().filter(|s| !top.contains(&s.name)) {
            let Some(&at) = from.get(&s.name) else {
                continue;
            };
            for f in &mut s.fields {
                if f.since != at || f.was_reserved.is_some() {
                    f.since = at;
                    f.was_reserved = None;
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
    for s in model.structs.iter_mut() {
        if let Some((field, from, live)) = placeholders.get(&s.name) {
            s.comments.push(format!(
                "since = {from} here only so that version {from} can hold the bytes of `{field}` \
                 as a placeholder; `{field}` is live from version {live}"
            ));
        }
    }
}

/// Says where a nested struct of the newest binary had other members in
/// an older one.
fn compare_nested(model: &mut Model, versions: &[Version], pairs: &[(String, usize, String)]) {
    let members = |s: &StructModel| -> Vec<String> {
        s.fields
            .iter()
            .map(|f| format!("{} ({} bytes at {})", f.name, f.size, f.offset))
            .collect()
    };
    let n = versions.len();
    let mut said: HashSet<(String, usize)> = HashSet::new();
    for (name, k, old_name) in pairs {
        if !said.insert((name.clone(), *k)) {
            continue;
        }
        let (Some(new), Some(old)) = (
            versions[n - 1].model.get(name),
            versions[*k].model.get(old_name),
        ) else {
            continue;
        };
        if members(new) == members(old) && new.size == old.size {
            continue;
        }
        let comment = format!(
            "{} had {}: {}; the spec has the newest members, each from the version its \
             outer field needs it (members of a nested struct are not versioned one by one)",
            versions[*k].label,
            old_name,
            members(old).join(", ")
        );
        if let Some(s) = model.structs.iter_mut().find(|s| s.name == *name) {
            s.comments.push(comment);
        }
    }
}

/// `4 bytes at offset 8`, or `2 bits at bit 323` for a bitfield.
fn describe(f: &FieldModel) -> String {
    match f.bits {
        Some(b) => format!("{} bits at bit {}", b.bit_size, b.bit_offset),
        None => format!("{} bytes at offset {}", f.size, f.offset),
    }
}

/// Lays each version out on its binary's target and compares it with the
/// binary: what differs (expected only where a maintainer must decide).
fn verify(text: &str, versions: &[Version], names: &Names) -> Result<Vec<String>, Failure> {
    let spec = abi_spec::parse("<history>", text).map_err(|e| {
        Failure::msg(format!(
            "the history would not parse, so it is not written (a bug in abi-check): {}",
            e.diagnostics
                .first()
                .map(|d| d.message.clone())
                .unwrap_or_default()
        ))
    })?;
    let mut wrong = Vec::new();
    for (k, v) in versions.iter().enumerate() {
        let target = v.dump.target;
        for s in v.model.structs.iter().filter(|s| s.query.is_some()) {
            let Some(index) = spec.struct_index(&s.name) else {
                wrong.push(format!("`{}` is not in the spec", s.name));
                continue;
            };
            let def = &spec.structs[index];
            let Some(layout) = spec.layout(index, target, v.version) else {
                wrong.push(format!(
                    "version {} of `{}` has no field, and {} has the struct",
                    v.version, s.name, v.label
                ));
                continue;
            };
            if layout.size != s.size || layout.align != s.c_align {
                wrong.push(format!(
                    "version {} of `{}` is {} bytes {}-aligned, {} {} bytes {}-aligned",
                    v.version, s.name, layout.size, layout.align, v.label, s.size, s.c_align
                ));
            }
            let placed = |spec_name: &str| {
                layout
                    .fields
                    .iter()
                    .find(|fl| def.fields[fl.index].name == spec_name)
            };
            let mut accounted: HashSet<usize> = HashSet::new();
            for g in &s.fields {
                if live(g) {
                    let spec_name = names.get(&(k, s.name.clone(), g.name.clone()));
                    match spec_name.and_then(|n| placed(n).map(|fl| (n, fl))) {
                        Some((_, fl))
                            if fl.bit_range() == g.bit_range()
                                && fl.offset == g.offset
                                && fl.size == g.size
                                && !fl.placeholder =>
                        {
                            accounted.insert(fl.index);
                        }
                        Some((n, fl)) => wrong.push(format!(
                            "in version {}, `{}.{n}` is at {} ({} bytes{}), `{}` of {} at {} ({} \
                             bytes)",
                            v.version,
                            s.name,
                            fl.offset,
                            fl.size,
                            if fl.placeholder { ", reserved" } else { "" },
                            g.name,
                            v.label,
                            g.offset,
                            g.size
                        )),
                        None => wrong.push(format!(
                            "version {} has no field for `{}.{}` of {}",
                            v.version, s.name, g.name, v.label
                        )),
                    }
                }
            }
            for fl in &layout.fields {
                if accounted.contains(&fl.index) {
                    continue;
                }
                let field = &def.fields[fl.index];
                let reserved_there =
                    (fl.placeholder || field.reserved) && reserved_bits(s, fl.bit_range());
                if !reserved_there && fl.bit_range().1 > fl.bit_range().0 {
                    wrong.push(format!(
                        "in version {}, `{}.{}` ({} bytes at {}{}) is not what {} has there",
                        v.version,
                        s.name,
                        field.name,
                        fl.size,
                        fl.offset,
                        if fl.placeholder { ", reserved" } else { "" },
                        v.label
                    ));
                }
            }
        }
    }
    Ok(wrong)
}
