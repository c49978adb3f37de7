//! `abi-check dump`: struct layouts read from a binary's DWARF or BTF, as
//! pahole style text, as the JSON of `layout --format json`, or as a spec
//! file to start from. A name defined differently in several places is
//! shown as first defined, with the others and how they differ.

use std::collections::HashMap;
use std::fmt::Write as _;

use abi_dwarf::text::shown;
use abi_dwarf::{CStruct, CType, Dump, Format, Found, Kind, Member, TypeKind};
use serde_json::{json, Value};

use crate::cli::{DumpArgs, DumpFormat};
use crate::output::{self, Failure, Outcome, EXIT_OK};

/// Runs the command.
pub fn run(args: &DumpArgs) -> Outcome {
    let options = abi_dwarf::Options {
        debug_dir: args.debug_dir.clone(),
        btf_base: args.btf_base.clone(),
        every_definition: true,
    };
    let groups: Vec<Vec<String>> = args.structs.iter().map(|q| vec![q.clone()]).collect();
    let dump = match (&args.elf, &args.btf) {
        (_, Some(btf)) => abi_dwarf::read_btf(btf, &groups, &options),
        (Some(elf), None) => abi_dwarf::read(elf, &groups, &options),
        (None, None) => return Err(Failure::msg("dump needs --elf FILE or --btf FILE")),
    }
    .map_err(|e| Failure::msg(e.to_string()))?;
    for found in &dump.structs {
        if !found.others.is_empty() {
            let places: usize = found.others.iter().map(|o| o.count).sum();
            eprintln!(
                "warning: {}: `{}` has {places} other definition{} that differ{}; shown: the first",
                shown(&dump.debug_file.display().to_string()),
                shown(&found.query),
                if places == 1 { "" } else { "s" },
                if places == 1 { "s" } else { "" },
            );
        }
    }
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
        DumpFormat::Toml => spec_toml(&dump),
    };
    output::print(&text);
    Ok(EXIT_OK)
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

/// The spec spelling of a type; structs by name (anonymous ones by the
/// name `toml` output gives them).
fn spec_type(ty: &CType, names: &HashMap<*const CStruct, String>) -> String {
    match &ty.kind {
        TypeKind::Scalar { scalar: Some(s) } => s.name().to_string(),
        TypeKind::Scalar { scalar: None } => format!("[u8; {}]", ty.size),
        TypeKind::Pointer => "ptr".to_string(),
        TypeKind::Array {
            element,
            len: Some(n),
        } => format!("[{}; {n}]", spec_type(element, names)),
        TypeKind::Array { element, len: None } => format!("[{}]", spec_type(element, names)),
        TypeKind::Aggregate(inner) => names
            .get(&(inner.as_ref() as *const CStruct))
            .cloned()
            .or_else(|| inner.name.clone())
            .unwrap_or_else(|| "anonymous".to_string()),
    }
}

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
                "type": spec_type(&m.ty, &names),
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

fn identifier(name: &str) -> String {
    abi_spec::names::spec_name_for(name)
}

fn quote(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".into())
}

struct SpecWriter<'d> {
    /// Structs to write, in order, each with its spec name.
    queue: Vec<(String, &'d CStruct, String)>,
    names: HashMap<*const CStruct, String>,
    taken: HashMap<String, usize>,
    /// Per name asked for (before any `_2`), the structs named so far:
    /// each member of type `struct statx_timestamp` is a copy of its own,
    /// and equal copies must share one spec struct.
    by_value: HashMap<String, Vec<(&'d CStruct, String)>>,
    /// `[[waiver]]` tables, written after every struct.
    waivers: Vec<String>,
}

impl<'d> SpecWriter<'d> {
    fn name_for(&mut self, s: &'d CStruct, wanted: String, doc: String) -> String {
        let key = s as *const CStruct;
        if let Some(name) = self.names.get(&key) {
            return name.clone();
        }
        let base = identifier(&wanted);
        let same = self
            .by_value
            .get(&base)
            .and_then(|seen| seen.iter().find(|(other, _)| *other == s));
        if let Some((_, name)) = same {
            let name = name.clone();
            self.names.insert(key, name.clone());
            return name;
        }
        let mut name = base.clone();
        let n = self.taken.entry(name.clone()).or_insert(0);
        *n += 1;
        if *n > 1 {
            name = format!("{name}_{n}");
        }
        self.names.insert(key, name.clone());
        self.by_value
            .entry(base)
            .or_default()
            .push((s, name.clone()));
        self.queue.push((name.clone(), s, doc));
        name
    }
}

/// A spec describing the dumped structs as version 1 on the binary's target,
/// holes and tail padding made explicit reserved fields.
fn spec_toml(dump: &Dump) -> String {
    let mut writer = SpecWriter {
        queue: Vec::new(),
        names: HashMap::new(),
        taken: HashMap::new(),
        by_value: HashMap::new(),
        waivers: Vec::new(),
    };
    for found in &dump.structs {
        let doc = match found.member_offset {
            Some(offset) => format!(
                "The member `{}` (at offset {offset}) as compiled.",
                found.query
            ),
            None => format!(
                "`{} {}` as compiled.",
                found.layout.kind.keyword(),
                found.query
            ),
        };
        writer.name_for(&found.layout, found.query.replace('.', "_"), doc);
    }
    let abi_name = writer
        .queue
        .first()
        .map(|(n, _, _)| n.clone())
        .unwrap_or_else(|| "dump".into());
    let mut out = String::new();
    // The path is the user's, but it may hold a newline: escaped, it
    // cannot end the comment and start a table.
    let _ = writeln!(
        out,
        "# Generated by `abi-check dump --format toml` from {} ({}, {}).\n# Review names, \
         versions and features before relying on it.\n",
        shown(&dump.file.display().to_string()),
        dump.target,
        dump.format.name()
    );
    let _ = writeln!(out, "[abi]\nname = {}\nversion = 1", quote(&abi_name));
    let _ = writeln!(
        out,
        "doc = {}\ntargets = [{}]",
        quote(&format!(
            "Layouts read from the {} of {} ({}).",
            dump.format.name(),
            shown(&dump.file.display().to_string()),
            dump.target
        )),
        quote(dump.target.name())
    );
    let mut index = 0;
    while index < writer.queue.len() {
        let (name, s, doc) = writer.queue[index].clone();
        index += 1;
        let body = struct_toml(&mut writer, &name, s, &doc);
        out.push_str(&body);
    }
    for waiver in &writer.waivers {
        out.push_str(waiver);
    }
    out
}

/// What one spec field stands for.
struct Item<'d> {
    name: String,
    offset: u64,
    size: u64,
    ty: String,
    align: Option<u64>,
    reserved: bool,
    doc: Option<String>,
    flexible: bool,
    member: Option<&'d Member>,
}

fn struct_toml<'d>(writer: &mut SpecWriter<'d>, name: &str, s: &'d CStruct, doc: &str) -> String {
    let mut items: Vec<Item<'d>> = Vec::new();
    let mut anon = 0usize;
    collect(writer, name, s, 0, &mut items, &mut anon);
    let items = merge_bitfields(items);
    let mut out = String::new();
    let _ = writeln!(out, "\n[[struct]]\nname = {}", quote(name));
    if s.kind == Kind::Union {
        out.push_str("kind = \"union\"\n");
    }
    if let Some(align) = s.explicit_align {
        let _ = writeln!(out, "align = {align}");
    }
    if s.packed {
        out.push_str("packed = true\n");
    }
    let _ = writeln!(out, "doc = {}", quote(doc));
    let mut fields: Vec<Item<'d>> = Vec::new();
    let mut end = 0u64;
    for item in items {
        if s.kind == Kind::Struct && item.offset > end {
            fields.push(reserved(end, item.offset - end));
        }
        end = end.max(item.offset + item.size);
        fields.push(item);
    }
    let flexible_last = fields.last().filter(|f| f.flexible).map(|f| f.name.clone());
    if s.kind == Kind::Union && s.size > end {
        // A member as large as the union names the bytes its largest
        // member leaves over.
        let mut all = reserved(0, s.size);
        all.name = "reserved_size".into();
        all.doc = Some(format!(
            "The union's {} bytes, past its largest member's {end}; must be zero.",
            s.size
        ));
        fields.push(all);
    } else if s.size > end {
        match flexible_last {
            None => fields.push(reserved(end, s.size - end)),
            // No field can follow a flexible array: the padding after it
            // is accepted on purpose, with the reason written down.
            Some(flexible) => writer.waivers.push(format!(
                "\n[[waiver]]\nrule = \"IMPLICIT_PADDING\"\nstruct = {}\nfield = {}\nreason = {}\n",
                quote(name),
                quote(&flexible),
                quote(&format!(
                    "The compiled struct has {} bytes of tail padding after the flexible array \
                     `{flexible}`, which no field can name: a field after a flexible array \
                     is not C. Code that copies this struct must not copy those bytes out.",
                    s.size - end
                ))
            )),
        }
    }
    // Names cut to the spec's length, or made identifiers, may meet.
    let mut used: std::collections::HashSet<String> = std::collections::HashSet::new();
    for mut f in fields {
        let mut k = 1;
        while !used.insert(f.name.clone()) {
            k += 1;
            let stem: String = f.name.chars().take(100).collect();
            f.name = format!("{stem}_{k}");
        }
        let _ = writeln!(
            out,
            "\n[[struct.field]]\nname = {}\ntype = {}\nsince = 1",
            quote(&f.name),
            quote(&f.ty)
        );
        if let Some(align) = f.align {
            let _ = writeln!(out, "align = {align}");
        }
        if f.reserved {
            out.push_str("reserved = true\n");
        }
        if let Some(doc) = &f.doc {
            let _ = writeln!(out, "doc = {}", quote(doc));
        }
        let _ = f.member;
    }
    out
}

fn reserved(offset: u64, size: u64) -> Item<'static> {
    Item {
        name: format!("reserved_{offset}"),
        offset,
        size,
        ty: format!("[u8; {size}]"),
        align: None,
        reserved: true,
        doc: Some("Padding in the compiled struct; must be zero.".into()),
        flexible: false,
        member: None,
    }
}

/// The spec fields of `s`: an anonymous struct inside a struct is opened
/// in place (C code names its members directly); any other anonymous
/// aggregate becomes a struct of its own.
fn collect<'d>(
    writer: &mut SpecWriter<'d>,
    parent: &str,
    s: &'d CStruct,
    base: u64,
    items: &mut Vec<Item<'d>>,
    anon: &mut usize,
) {
    for m in &s.members {
        let offset = base + m.offset;
        if let (None, TypeKind::Aggregate(inner)) = (&m.name, &m.ty.kind) {
            if s.kind == Kind::Struct && inner.kind == Kind::Struct {
                collect(writer, parent, inner, offset, items, anon);
                continue;
            }
        }
        let name = match &m.name {
            Some(n) => identifier(n),
            None => {
                *anon += 1;
                format!("anon{anon}")
            }
        };
        let ty = field_type(writer, parent, &name, &m.ty);
        let c_doc = format!("C: {}", m.ty.c_name);
        let odd = matches!(m.ty.kind, TypeKind::Scalar { scalar: None });
        let align = match (m.explicit_align, odd) {
            (Some(a), _) => Some(a),
            (None, true) if m.align > 1 => Some(m.align),
            _ => None,
        };
        items.push(Item {
            name,
            offset,
            size: m.size,
            ty,
            align,
            reserved: false,
            doc: Some(c_doc),
            flexible: matches!(m.ty.kind, TypeKind::Array { len: None, .. }),
            member: Some(m),
        });
    }
}

fn field_type<'d>(writer: &mut SpecWriter<'d>, parent: &str, field: &str, ty: &'d CType) -> String {
    match &ty.kind {
        TypeKind::Aggregate(inner) => {
            let wanted = inner
                .name
                .clone()
                .unwrap_or_else(|| format!("{parent}_{field}"));
            let doc = format!("`{}` as compiled.", ty.c_name);
            writer.name_for(inner, wanted, doc)
        }
        TypeKind::Array { element, len } => {
            let inner = field_type(writer, parent, field, element);
            match len {
                Some(n) => format!("[{inner}; {n}]"),
                None => format!("[{inner}]"),
            }
        }
        _ => spec_type(ty, &writer.names),
    }
}

/// Bitfields have no spec type: each run of them becomes one unsigned
/// field over the bytes they touch, its doc listing the bits.
fn merge_bitfields(items: Vec<Item<'_>>) -> Vec<Item<'_>> {
    let mut out: Vec<Item<'_>> = Vec::new();
    let mut run: Vec<Item<'_>> = Vec::new();
    let flush = |run: &mut Vec<Item<'_>>, out: &mut Vec<Item<'_>>| {
        if run.is_empty() {
            return;
        }
        let start = run.iter().map(|i| i.offset).min().unwrap_or(0);
        let end = run.iter().map(|i| i.offset + i.size).max().unwrap_or(start);
        let size = end - start;
        let ty = match size {
            1 => "u8".to_string(),
            2 if start % 2 == 0 => "u16".to_string(),
            4 if start % 4 == 0 => "u32".to_string(),
            8 if start % 8 == 0 => "u64".to_string(),
            n => format!("[u8; {n}]"),
        };
        let bits: Vec<String> = run
            .iter()
            .filter_map(|i| {
                let b = i.member?.bits?;
                Some(format!("{}:{} at bit {}", i.name, b.bit_size, b.bit_offset))
            })
            .collect();
        out.push(Item {
            name: format!("bits_{start}"),
            offset: start,
            size,
            ty,
            align: None,
            reserved: false,
            doc: Some(format!("Bitfields: {}.", bits.join(", "))),
            flexible: false,
            member: None,
        });
        run.clear();
    };
    for item in items {
        let is_bits = item.member.is_some_and(|m| m.bits.is_some());
        if is_bits {
            let touches = run
                .last()
                .is_none_or(|last| item.offset <= last.offset + last.size);
            if !touches {
                flush(&mut run, &mut out);
            }
            run.push(item);
        } else {
            flush(&mut run, &mut out);
            out.push(item);
        }
    }
    flush(&mut run, &mut out);
    out
}
