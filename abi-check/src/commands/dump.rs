//! `abi-check dump`: struct layouts read from a binary's DWARF or BTF, as
//! pahole style text, as the JSON of `layout --format json`, or as a spec
//! file to start from. A name defined differently in several places is
//! shown as first defined, with the others and how they differ.

use std::collections::HashMap;
use std::fmt::Write as _;

use abi_dwarf::text::shown;
use abi_dwarf::{CStruct, Dump, Format, Found, Kind, Member, TypeKind};
use serde_json::{json, Value};

use crate::cli::{Binary, DumpArgs, DumpFormat};
use crate::output::{self, Failure, Outcome, EXIT_OK};
use crate::spec_toml;

/// Runs the command.
pub fn run(args: &DumpArgs) -> Outcome {
    let binaries = args.binaries();
    if binaries.len() > 1 {
        if args.format != DumpFormat::Toml {
            return Err(Failure::msg(format!(
                "{} binaries given: several binaries make a history, which only --format toml \
                 writes (one version per binary, oldest first); dump them one at a time for \
                 text or JSON",
                binaries.len()
            )));
        }
        return super::history::run(args, &binaries);
    }
    let Some(binary) = binaries.first() else {
        return Err(Failure::msg("dump needs --elf FILE or --btf FILE"));
    };
    let dump = read(args, binary)?;
    warn_other_definitions(&dump);
    let text = match args.format {
        DumpFormat::Text => dump
            .structs
            .iter()
            .map(|found| text(&dump, found))
            .collect::<Vec<_>>()
            .join("\n"),
        DumpFormat::Json => {
            let value = json!({
                "file": dump.file.display().to_string(),
                "debug_file": dump.debug_file.display().to_string(),
                "format": dump.format.name(),
                "target": dump.target.name(),
                "layouts": dump.structs.iter().map(|f| layout_json(&dump, f)).collect::<Vec<_>>(),
            });
            format!(
                "{}\n",
                serde_json::to_string_pretty(&value).unwrap_or_default()
            )
        }
        DumpFormat::Toml => spec_toml(&dump, args.first_version),
    };
    output::print(&text);
    Ok(EXIT_OK)
}

/// Reads the structs asked for from one binary, every definition of each
/// compared.
pub fn read(args: &DumpArgs, binary: &Binary) -> Result<Dump, Failure> {
    let options = abi_dwarf::Options {
        debug_dir: args.debug_dir.clone(),
        btf_base: args.btf_base.clone(),
        every_definition: true,
    };
    let groups: Vec<Vec<String>> = args.structs.iter().map(|q| vec![q.clone()]).collect();
    if binary.btf {
        abi_dwarf::read_btf(&binary.path, &groups, &options)
    } else {
        abi_dwarf::read(&binary.path, &groups, &options)
    }
    .map_err(|e| Failure::msg(e.to_string()))
}

/// A warning for each name defined differently in several places.
pub fn warn_other_definitions(dump: &Dump) {
    for found in &dump.structs {
        if !found.others.is_empty() {
            let places: usize = found.others.iter().map(|o| o.count).sum();
            output::eprint(&format!(
                "warning: {}: `{}` has {places} other definition{} that differ{}; shown: the first\n",
                shown(&dump.debug_file.display().to_string()),
                shown(&found.query),
                if places == 1 { "" } else { "s" },
                if places == 1 { "s" } else { "" },
            ));
        }
    }
}

// ---------------------------------------------------------------- text

fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// One struct, pahole style: absolute offsets, anonymous members inline,
/// bitfields with their bit offset, holes and padding called out.
fn text(dump: &Dump, found: &Found) -> String {
    let s = &found.layout;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "/* {} ({}), from {} ({}) */",
        shown(&found.query),
        dump.target,
        shown(&dump.debug_file.display().to_string()),
        dump.format.name()
    );
    // An anonymous struct found by its typedef name prints as the typedef.
    let typedef = s.name.is_none() && found.member_offset.is_none();
    let title = s.name.clone().unwrap_or_else(|| shown(&found.query));
    if typedef {
        let _ = writeln!(out, "typedef {} {{", s.kind.keyword());
    } else {
        let _ = writeln!(out, "{} {title} {{", s.kind.keyword());
    }
    let mut stats = Stats::default();
    members_text(&mut out, s, 0, 1, &mut stats);
    let cachelines = s.size.div_ceil(64);
    out.push('\n');
    let _ = writeln!(
        out,
        "\t/* size: {}, cachelines: {cachelines}, members: {} */",
        s.size,
        s.members.len()
    );
    if stats.holes > 0 {
        let _ = writeln!(
            out,
            "\t/* sum members: {}, holes: {}, sum holes: {} */",
            stats.member_bytes, stats.holes, stats.hole_bytes
        );
    }
    let end = s.members.iter().map(Member::end).max().unwrap_or(0);
    if s.kind == Kind::Struct && s.size > end {
        let _ = writeln!(out, "\t/* padding: {} */", s.size - end);
    }
    match dump.format {
        Format::Dwarf => {
            let _ = writeln!(out, "\t/* align: {} */", s.align);
        }
        // BTF records no alignment: an aligned(N) above the members' own
        // leaves no trace.
        Format::Btf => {
            let _ = writeln!(
                out,
                "\t/* align: {} (from the members: BTF records no alignment) */",
                s.align
            );
        }
    }
    if let Some(offset) = found.member_offset {
        let _ = writeln!(
            out,
            "\t/* at offset {offset} of {} */",
            shown(root(&found.query))
        );
    }
    for other in &found.others {
        let _ = writeln!(
            out,
            "\t/* also defined differently in {}{}: {} */",
            other.place,
            if other.count > 1 {
                format!(" and {} more", other.count - 1)
            } else {
                String::new()
            },
            differences(s, &other.layout).join("; ")
        );
    }
    let last = s.size % 64;
    if s.size > 0 && last != 0 && cachelines > 1 {
        let _ = writeln!(out, "\t/* last cacheline: {last} bytes */");
    }
    if typedef {
        out.push_str(&format!("}}{} {title};\n", attributes(s)));
    } else {
        out.push_str(&format!("}}{};\n", attributes(s)));
    }
    out
}

fn root(query: &str) -> &str {
    query.split('.').next().unwrap_or(query)
}

fn attributes(s: &CStruct) -> String {
    let mut attributes = Vec::new();
    if s.packed {
        attributes.push("__packed__".to_string());
    }
    if let Some(align) = s.explicit_align {
        attributes.push(format!("__aligned__({align})"));
    }
    if attributes.is_empty() {
        String::new()
    } else {
        format!(" __attribute__(({}))", attributes.join(", "))
    }
}

#[derive(Default)]
struct Stats {
    member_bytes: u64,
    holes: u64,
    hole_bytes: u64,
}

fn members_text(out: &mut String, s: &CStruct, base: u64, depth: usize, stats: &mut Stats) {
    let indent = "\t".repeat(depth);
    let mut end = 0u64;
    for (i, m) in s.members.iter().enumerate() {
        let offset = base + m.offset;
        let align_attr = m
            .explicit_align
            .map(|a| format!(" __attribute__((__aligned__({a})))"))
            .unwrap_or_default();
        let name = m.name.as_deref().unwrap_or("");
        match (&m.ty.kind, &m.ty.c_name) {
            (TypeKind::Aggregate(inner), c_name) if c_name.ends_with("{...}") => {
                let _ = writeln!(out, "{indent}{} {{", inner.kind.keyword());
                members_text(out, inner, offset, depth + 1, &mut Stats::default());
                let decl = format!(
                    "}}{}{name}{align_attr};",
                    if name.is_empty() { "" } else { " " }
                );
                let _ = writeln!(
                    out,
                    "{indent}{decl:<width$} /* {offset:>5} {:>5} */",
                    m.size,
                    width = 56usize.saturating_sub(8 * depth)
                );
            }
            _ => {
                let decl = match m.bits {
                    Some(bits) => format!("{:<15} {name}:{};", m.ty.c_name, bits.bit_size),
                    None => format!("{:<15} {name}{align_attr};", m.ty.c_name),
                };
                let place = match m.bits {
                    Some(bits) => format!("{offset:>5}:{:<2}", bits.bit_offset - m.offset * 8),
                    None => format!("{offset:>5}"),
                };
                let _ = writeln!(
                    out,
                    "{indent}{decl:<width$} /* {place} {:>5} */",
                    m.size,
                    width = 56usize.saturating_sub(8 * depth)
                );
            }
        }
        if s.kind == Kind::Struct {
            stats.member_bytes += if m.bits.is_some() { 0 } else { m.size };
            end = end.max(m.end());
            let next = s.members.get(i + 1).map(|n| n.offset);
            if let Some(next) = next {
                if next > end {
                    let gap = next - end;
                    stats.holes += 1;
                    stats.hole_bytes += gap;
                    let _ = writeln!(
                        out,
                        "\n{indent}/* XXX {gap} byte{} hole, try to pack */\n",
                        plural(gap)
                    );
                }
            }
        }
    }
}

// ---------------------------------------------------------------- json

fn layout_json(dump: &Dump, found: &Found) -> Value {
    let s = &found.layout;
    let names = HashMap::new();
    let flat = s.flat_members();
    let fields: Vec<Value> = flat
        .iter()
        .map(|f| {
            let m = f.member;
            let mut v = json!({
                "name": m.name.clone().unwrap_or_default(),
                "type": spec_toml::spec_type(&m.ty, &names),
                "c_type": m.ty.c_name,
                "offset": f.offset,
                "size": m.size,
                "align": m.align,
            });
            if let Some(bits) = m.bits {
                v["bit_offset"] = json!(bits.bit_offset + (f.offset - m.offset) * 8);
                v["bit_size"] = json!(bits.bit_size);
            }
            v
        })
        .collect();
    let mut holes = Vec::new();
    if s.kind == Kind::Struct {
        let mut end = 0u64;
        for f in &flat {
            if f.offset > end {
                holes.push(json!({"offset": end, "size": f.offset - end, "kind": "hole"}));
            }
            end = end.max(f.offset + f.member.size);
        }
        if s.size > end {
            holes.push(json!({"offset": end, "size": s.size - end, "kind": "padding"}));
        }
    }
    let others: Vec<Value> = found
        .others
        .iter()
        .map(|o| {
            json!({
                "place": o.place,
                "count": o.count,
                "kind": o.layout.kind.keyword(),
                "size": o.layout.size,
                "align": o.layout.align,
                "differences": differences(s, &o.layout),
            })
        })
        .collect();
    json!({
        "struct": found.query,
        "c_name": s.name,
        "kind": s.kind.keyword(),
        "target": dump.target.name(),
        "size": s.size,
        "align": s.align,
        "packed": s.packed,
        "member_offset": found.member_offset,
        "fields": fields,
        "holes": holes,
        "other_definitions": others,
    })
}

/// How `other` differs from `taken`: kind, size, alignment, and members
/// missing, added, moved or retyped (at most a few, then a count).
pub fn differences(taken: &CStruct, other: &CStruct) -> Vec<String> {
    const SHOWN: usize = 6;
    let mut out = Vec::new();
    if taken.kind != other.kind {
        out.push(format!(
            "a {} there, a {} here",
            other.kind.keyword(),
            taken.kind.keyword()
        ));
    }
    if taken.size != other.size {
        out.push(format!("{} bytes there, {} here", other.size, taken.size));
    }
    if taken.align != other.align {
        out.push(format!(
            "{}-aligned there, {}-aligned here",
            other.align, taken.align
        ));
    }
    let here = taken.flat_members();
    let there = other.flat_members();
    let mut members = Vec::new();
    for m in &here {
        let Some(name) = m.member.name.as_deref() else {
            continue;
        };
        match there
            .iter()
            .find(|t| t.member.name.as_deref() == Some(name))
        {
            None => members.push(format!("no `{name}` there")),
            Some(t) if t.offset != m.offset => {
                members.push(format!("`{name}` at {} there, {} here", t.offset, m.offset))
            }
            Some(t)
                if t.member.ty.c_name != m.member.ty.c_name || t.member.size != m.member.size =>
            {
                members.push(format!(
                    "`{name}` is `{}` ({} bytes) there, `{}` ({} bytes) here",
                    t.member.ty.c_name, t.member.size, m.member.ty.c_name, m.member.size
                ))
            }
            Some(_) => {}
        }
    }
    for t in &there {
        let Some(name) = t.member.name.as_deref() else {
            continue;
        };
        if !here.iter().any(|m| m.member.name.as_deref() == Some(name)) {
            members.push(format!("`{name}` only there, at {}", t.offset));
        }
    }
    let more = members.len().saturating_sub(SHOWN);
    members.truncate(SHOWN);
    out.extend(members);
    if more > 0 {
        out.push(format!("{more} more member differences"));
    }
    if out.is_empty() {
        out.push("the same members at the same offsets, with other member types".into());
    }
    out
}

// ---------------------------------------------------------------- toml

/// A spec describing the dumped structs as version `version` (1 unless
/// asked) on the binary's target ([`spec_toml::one_binary`]). It is laid
/// out before it is printed: where it would not lay out as the binary
/// (what the spec format cannot say), a warning says so.
fn spec_toml(dump: &Dump, version: u32) -> String {
    let document = spec_toml::one_binary(dump, version);
    let text = spec_toml::render(&document);
    match abi_spec::parse("<dump>", &text) {
        Ok(spec) => {
            let wrong = spec_toml::differences(&spec, &document.model, dump.target, version, |s| {
                (s.size, s.c_align)
            });
            for w in wrong.iter().take(8) {
                output::eprint(&format!("warning: as written, {}\n", output::escape(w)));
            }
            if wrong.len() > 8 {
                output::eprint(&format!(
                    "warning: and {} more differences\n",
                    wrong.len() - 8
                ));
            }
        }
        Err(e) => output::eprint(&format!(
            "warning: the spec written does not parse (a bug in abi-check): {}\n",
            output::escape(
                &e.diagnostics
                    .first()
                    .map(|d| d.message.clone())
                    .unwrap_or_default()
            )
        )),
    }
    text
}
