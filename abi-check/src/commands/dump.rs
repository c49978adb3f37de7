//! `abi-check dump`: struct layouts read from a binary's DWARF, as pahole
//! style text, as the JSON of `layout --format json`, or as a spec file to
//! start from.

use std::collections::HashMap;
use std::fmt::Write as _;

use abi_dwarf::{CStruct, CType, Dump, Found, Kind, Member, TypeKind};
use serde_json::{json, Value};

use crate::cli::{DumpArgs, DumpFormat};
use crate::output::{self, Failure, Outcome, EXIT_OK};

/// Runs the command.
pub fn run(args: &DumpArgs) -> Outcome {
    let dump = abi_dwarf::read_structs(&args.elf, &args.debug_dir, &args.structs)
        .map_err(|e| Failure::msg(e.to_string()))?;
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
        "/* {} ({}), from {} */",
        found.query,
        dump.target,
        output::shown_path(&dump.debug_file)
    );
    // An anonymous struct found by its typedef name prints as the typedef.
    let typedef = s.name.is_none() && found.member_offset.is_none();
    let title = s.name.clone().unwrap_or_else(|| found.query.clone());
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
    let _ = writeln!(out, "\t/* align: {} */", s.align);
    if let Some(offset) = found.member_offset {
        let _ = writeln!(out, "\t/* at offset {offset} of {} */", root(&found.query));
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
    })
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
    /// `[[waiver]]` tables, written after every struct.
    waivers: Vec<String>,
}

impl<'d> SpecWriter<'d> {
    fn name_for(&mut self, s: &'d CStruct, wanted: String, doc: String) -> String {
        let key = s as *const CStruct;
        if let Some(name) = self.names.get(&key) {
            return name.clone();
        }
        let mut name = identifier(&wanted);
        let n = self.taken.entry(name.clone()).or_insert(0);
        *n += 1;
        if *n > 1 {
            name = format!("{name}_{n}");
        }
        self.names.insert(key, name.clone());
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
    let _ = writeln!(
        out,
        "# Generated by `abi-check dump --format toml` from {} ({}).\n# Review names, \
         versions and features before relying on it.\n",
        // Escaped: a line break in the path would end the comment.
        output::shown_path(&dump.file),
        dump.target
    );
    let _ = writeln!(out, "[abi]\nname = {}\nversion = 1", quote(&abi_name));
    let _ = writeln!(
        out,
        "doc = {}\ntargets = [{}]",
        quote(&format!(
            "Layouts read from the DWARF of {} ({}).",
            dump.file.display(),
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
    for f in fields {
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
