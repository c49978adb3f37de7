//! Spec files written from compiled layouts: what `dump --format toml`,
//! `import` and `dump`'s history of several binaries print.
//!
//! The structs read from one binary (or one compiler's object) become a
//! [`Model`]: spec structs with their fields, each field still knowing the
//! offset and size it had as compiled. `dump` renders one model as it is;
//! `import` builds one per target and unifies them; the history merges one
//! per binary into versions. [`render`] writes the TOML text, comments
//! included. The type mapping and the naming live here once.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use abi_dwarf::model::Bits;
use abi_dwarf::{CStruct, CType, Found, Kind, Member, TypeKind};
use abi_spec::Target;

/// The closest spec name to a C name.
pub fn identifier(name: &str) -> String {
    abi_spec::names::spec_name_for(name)
}

/// A TOML basic string.
pub fn quote(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".into())
}

/// The spec spelling of a type; structs by name (anonymous ones by the
/// name the writer gave them).
pub fn spec_type(ty: &CType, names: &HashMap<*const CStruct, String>) -> String {
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

/// How a bitfield word's `doc` lists its bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BitDoc {
    /// `disabled:1 at bit 320`: the first bit from the start of the struct
    /// (DWARF's `DW_AT_data_bit_offset`), as `dump` has always written.
    Absolute,
    /// In declaration order, each first bit counted from the word's first
    /// byte in memory order: the same numbers on little- and big-endian
    /// targets, for a spec that holds on several.
    InWord,
}

/// How to build a model.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// How bitfield words list their bits.
    pub bit_doc: BitDoc,
    /// Say what was inferred, in comments: members named like reserved
    /// space (`__reserved*`, `__pad*`, `_res*`, `reserved*`) are marked
    /// `reserved = true`; C names that are not spec names say so.
    pub annotate: bool,
}

impl Options {
    /// What `dump --format toml` has always written.
    pub const DUMP: Options = Options {
        bit_doc: BitDoc::Absolute,
        annotate: false,
    };
}

/// True when a member's name says its bytes are reserved space.
pub fn reserved_name(name: &str) -> bool {
    ["__reserved", "__pad", "_res", "reserved"]
        .iter()
        .any(|p| name.starts_with(p))
}

/// The structs of one binary, as spec structs.
#[derive(Clone, Debug, Default)]
pub struct Model {
    /// Structs in the order they are written: the ones asked for, then the
    /// nested ones as found.
    pub structs: Vec<StructModel>,
    /// `[[waiver]]` tables, written after every struct.
    pub waivers: Vec<WaiverModel>,
}

impl Model {
    /// A struct by spec name.
    pub fn get(&self, name: &str) -> Option<&StructModel> {
        self.structs.iter().find(|s| s.name == name)
    }
}

/// One spec struct.
#[derive(Clone, Debug)]
pub struct StructModel {
    /// Its spec name.
    pub name: String,
    /// Struct or union.
    pub kind: Kind,
    /// `align`: the compiled struct's explicit alignment.
    pub align: Option<u64>,
    /// `packed = true`.
    pub packed: bool,
    /// `doc`.
    pub doc: String,
    /// `sizeof` as compiled.
    pub size: u64,
    /// `_Alignof` as compiled (DWARF's, or the reader's inference).
    pub c_align: u64,
    /// For a struct asked for by name, that name (a query).
    pub query: Option<String>,
    /// TOML comment lines written before the table.
    pub comments: Vec<String>,
    /// Fields in memory order.
    pub fields: Vec<FieldModel>,
}

/// What a field stands for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// A member of the C struct.
    Member {
        /// How C spells its type.
        c_type: String,
        /// An anonymous struct or union member (its spec name is made up).
        anonymous: bool,
    },
    /// A hole or tail padding that no member names.
    Padding {
        /// Tail padding (after the last member) rather than a hole.
        tail: bool,
    },
    /// A run of bitfields, one field over the bytes their bits touch.
    Bitfields {
        /// `(name, bits)` of each bitfield, in declaration order.
        bits: Vec<(String, Bits)>,
        /// The size of each bitfield's declared type.
        unit_sizes: Vec<u64>,
        /// How C spells the first bitfield's declared type.
        c_type: String,
    },
}

/// One spec field.
#[derive(Clone, Debug)]
pub struct FieldModel {
    /// Its spec name.
    pub name: String,
    /// Its spec type.
    pub ty: String,
    /// Offset in its struct, as compiled.
    pub offset: u64,
    /// Size, as compiled.
    pub size: u64,
    /// `align`.
    pub align: Option<u64>,
    /// `reserved = true`.
    pub reserved: bool,
    /// `since`.
    pub since: u32,
    /// `was_reserved`.
    pub was_reserved: Option<u32>,
    /// `doc`.
    pub doc: Option<String>,
    /// TOML comment lines written before the table.
    pub comments: Vec<String>,
    /// What it stands for.
    pub origin: Origin,
    /// A flexible array member.
    pub flexible: bool,
}

impl FieldModel {
    /// One past the last byte.
    pub fn end(&self) -> u64 {
        self.offset + self.size
    }

    /// True for bytes that are padding or reserved, whatever their name.
    pub fn is_reserved(&self) -> bool {
        self.reserved || matches!(self.origin, Origin::Padding { .. })
    }
}

/// One `[[waiver]]`.
#[derive(Clone, Debug)]
pub struct WaiverModel {
    /// `rule`.
    pub rule: String,
    /// `struct`.
    pub struct_name: String,
    /// `field`.
    pub field: Option<String>,
    /// `reason`.
    pub reason: String,
}

/// One `[[constant]]`.
#[derive(Clone, Debug)]
pub struct ConstantModel {
    /// `name`.
    pub name: String,
    /// `value`.
    pub value: i64,
    /// `type`.
    pub ty: String,
    /// `doc`.
    pub doc: Option<String>,
    /// TOML comment lines written before the table.
    pub comments: Vec<String>,
}

/// A whole spec file.
#[derive(Clone, Debug)]
pub struct Document {
    /// Comment lines at the top of the file.
    pub header: Vec<String>,
    /// `[abi] name`.
    pub abi_name: String,
    /// `[abi] version`.
    pub version: u32,
    /// `[abi] first_version`, when written.
    pub first_version: Option<u32>,
    /// `[abi] doc`.
    pub doc: String,
    /// `[abi] targets`; `None` leaves the key out (every built-in target).
    pub targets: Option<Vec<Target>>,
    /// Comment lines after the `[abi]` table.
    pub abi_comments: Vec<String>,
    /// `[[constant]]` tables.
    pub constants: Vec<ConstantModel>,
    /// The structs and waivers.
    pub model: Model,
    /// Wrap comment lines at [`COMMENT_WIDTH`] columns.
    pub wrap: bool,
}

/// The widest a wrapped comment line is, `# ` included.
pub const COMMENT_WIDTH: usize = 100;

// ------------------------------------------------------------ building

struct Builder<'d> {
    options: Options,
    /// Structs to describe, in order, each with its spec name and doc.
    queue: Vec<(String, &'d CStruct, String, Option<String>)>,
    names: HashMap<*const CStruct, String>,
    taken: HashMap<String, usize>,
    /// Per name asked for (before any `_2`), the structs named so far:
    /// each member of type `struct statx_timestamp` is a copy of its own,
    /// and equal copies must share one spec struct.
    by_value: HashMap<String, Vec<(&'d CStruct, String)>>,
    waivers: Vec<WaiverModel>,
}

impl<'d> Builder<'d> {
    fn name_for(
        &mut self,
        s: &'d CStruct,
        wanted: String,
        doc: String,
        query: Option<String>,
    ) -> String {
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
        self.queue.push((name.clone(), s, doc, query));
        name
    }
}

/// The model of the structs `found` in one binary: each struct asked for,
/// then the structs it nests. Holes and tail padding become reserved
/// fields, bitfield runs one unsigned field each.
pub fn build(found: &[Found], options: Options) -> Model {
    let mut builder = Builder {
        options,
        queue: Vec::new(),
        names: HashMap::new(),
        taken: HashMap::new(),
        by_value: HashMap::new(),
        waivers: Vec::new(),
    };
    for f in found {
        let doc = match f.member_offset {
            Some(offset) => format!("The member `{}` (at offset {offset}) as compiled.", f.query),
            None => format!("`{} {}` as compiled.", f.layout.kind.keyword(), f.query),
        };
        builder.name_for(
            &f.layout,
            f.query.replace('.', "_"),
            doc,
            Some(f.query.clone()),
        );
    }
    let mut structs = Vec::new();
    let mut index = 0;
    while index < builder.queue.len() {
        let (name, s, doc, query) = builder.queue[index].clone();
        index += 1;
        structs.push(struct_model(&mut builder, &name, s, doc, query));
    }
    Model {
        structs,
        waivers: builder.waivers,
    }
}

fn struct_model<'d>(
    builder: &mut Builder<'d>,
    name: &str,
    s: &'d CStruct,
    doc: String,
    query: Option<String>,
) -> StructModel {
    let mut items: Vec<Item<'d>> = Vec::new();
    let mut anon = 0usize;
    collect(builder, name, s, 0, &mut items, &mut anon);
    let items = merge_bitfields(items, builder.options.bit_doc);
    let mut fields: Vec<FieldModel> = Vec::new();
    let mut end = 0u64;
    for item in items {
        if s.kind == Kind::Struct && item.field.offset > end {
            fields.push(padding(end, item.field.offset - end, false));
        }
        end = end.max(item.field.end());
        fields.push(item.field);
    }
    let flexible_last = fields.last().filter(|f| f.flexible).map(|f| f.name.clone());
    if s.kind == Kind::Union && s.size > end {
        // A member as large as the union names the bytes its largest
        // member leaves over.
        let mut all = padding(0, s.size, true);
        all.name = "reserved_size".into();
        all.doc = Some(format!(
            "The union's {} bytes, past its largest member's {end}; must be zero.",
            s.size
        ));
        fields.push(all);
    } else if s.size > end {
        match flexible_last {
            None => fields.push(padding(end, s.size - end, true)),
            // No field can follow a flexible array: the padding after it
            // is accepted on purpose, with the reason written down.
            Some(flexible) => builder.waivers.push(WaiverModel {
                rule: "IMPLICIT_PADDING".into(),
                struct_name: name.to_string(),
                field: Some(flexible.clone()),
                reason: format!(
                    "The compiled struct has {} bytes of tail padding after the flexible array \
                     `{flexible}`, which no field can name: a field after a flexible array \
                     is not C. Code that copies this struct must not copy those bytes out.",
                    s.size - end
                ),
            }),
        }
    }
    // Names cut to the spec's length, or made identifiers, may meet.
    let mut used: HashSet<String> = HashSet::new();
    for f in &mut fields {
        let mut k = 1;
        while !used.insert(f.name.clone()) {
            k += 1;
            let stem: String = f.name.chars().take(100).collect();
            f.name = format!("{stem}_{k}");
        }
    }
    if builder.options.annotate {
        for f in &mut fields {
            let named_reserved = matches!(
                f.origin,
                Origin::Member {
                    anonymous: false,
                    ..
                }
            ) && reserved_name(&f.name)
                && !f.flexible;
            if named_reserved {
                f.reserved = true;
                f.comments.push(format!(
                    "reserved: inferred from the name `{}`; drop `reserved = true` if these \
                     bytes carry data",
                    f.name
                ));
            }
        }
    }
    let mut comments = Vec::new();
    if builder.options.annotate {
        if let Some(c_name) = query.as_deref().or(s.name.as_deref()) {
            let plain = c_name.replace('.', "_");
            if identifier(&plain) != plain {
                comments.push(renamed(c_name, name));
            }
        }
    }
    StructModel {
        name: name.to_string(),
        kind: s.kind,
        align: s.explicit_align,
        packed: s.packed,
        doc,
        size: s.size,
        c_align: s.align,
        query,
        comments,
        fields,
    }
}

/// The comment for a C name that is not a spec name.
fn renamed(c_name: &str, name: &str) -> String {
    format!(
        "`{}` in C is not a spec name (a C or C++ keyword, not an identifier, or too long): \
         written as `{name}`",
        abi_dwarf::text::shown(c_name)
    )
}

/// A field being collected, with the member it came from.
struct Item<'d> {
    field: FieldModel,
    member: Option<&'d Member>,
}

fn padding(offset: u64, size: u64, tail: bool) -> FieldModel {
    FieldModel {
        name: format!("reserved_{offset}"),
        ty: format!("[u8; {size}]"),
        offset,
        size,
        align: None,
        reserved: true,
        since: 1,
        was_reserved: None,
        doc: Some("Padding in the compiled struct; must be zero.".into()),
        comments: Vec::new(),
        origin: Origin::Padding { tail },
        flexible: false,
    }
}

/// The spec fields of `s`: an anonymous struct inside a struct is opened
/// in place (C code names its members directly); any other anonymous
/// aggregate becomes a struct of its own.
fn collect<'d>(
    builder: &mut Builder<'d>,
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
                collect(builder, parent, inner, offset, items, anon);
                continue;
            }
        }
        let mut comments = Vec::new();
        let name = match &m.name {
            Some(n) => {
                let name = identifier(n);
                if builder.options.annotate && name != *n {
                    comments.push(renamed(n, &name));
                }
                name
            }
            None => {
                *anon += 1;
                if builder.options.annotate {
                    comments.push(format!(
                        "an anonymous {} in C, whose members C code names directly; the \
                         spec names it `anon{anon}`",
                        m.ty.c_name
                    ));
                }
                format!("anon{anon}")
            }
        };
        let ty = field_type(builder, parent, &name, &m.ty);
        let odd = matches!(m.ty.kind, TypeKind::Scalar { scalar: None });
        let align = match (m.explicit_align, odd) {
            (Some(a), _) => Some(a),
            (None, true) if m.align > 1 => Some(m.align),
            _ => None,
        };
        items.push(Item {
            field: FieldModel {
                name,
                ty,
                offset,
                size: m.size,
                align,
                reserved: false,
                since: 1,
                was_reserved: None,
                doc: Some(format!("C: {}", m.ty.c_name)),
                comments,
                origin: Origin::Member {
                    c_type: m.ty.c_name.clone(),
                    anonymous: m.name.is_none(),
                },
                flexible: matches!(m.ty.kind, TypeKind::Array { len: None, .. }),
            },
            member: Some(m),
        });
    }
}

fn field_type<'d>(builder: &mut Builder<'d>, parent: &str, field: &str, ty: &'d CType) -> String {
    match &ty.kind {
        TypeKind::Aggregate(inner) => {
            let wanted = inner
                .name
                .clone()
                .unwrap_or_else(|| format!("{parent}_{field}"));
            let doc = format!("`{}` as compiled.", ty.c_name);
            builder.name_for(inner, wanted, doc, None)
        }
        TypeKind::Array { element, len } => {
            let inner = field_type(builder, parent, field, element);
            match len {
                Some(n) => format!("[{inner}; {n}]"),
                None => format!("[{inner}]"),
            }
        }
        _ => spec_type(ty, &builder.names),
    }
}

/// Bitfields have no spec type: each run of them becomes one unsigned
/// field over the bytes they touch, its doc listing the bits.
fn merge_bitfields(items: Vec<Item<'_>>, style: BitDoc) -> Vec<Item<'_>> {
    let mut out: Vec<Item<'_>> = Vec::new();
    let mut run: Vec<Item<'_>> = Vec::new();
    let flush = |run: &mut Vec<Item<'_>>, out: &mut Vec<Item<'_>>| {
        if run.is_empty() {
            return;
        }
        let start = run.iter().map(|i| i.field.offset).min().unwrap_or(0);
        let end = run.iter().map(|i| i.field.end()).max().unwrap_or(start);
        let size = end - start;
        let ty = match size {
            1 => "u8".to_string(),
            2 if start % 2 == 0 => "u16".to_string(),
            4 if start % 4 == 0 => "u32".to_string(),
            8 if start % 8 == 0 => "u64".to_string(),
            n => format!("[u8; {n}]"),
        };
        let bits: Vec<(String, Bits)> = run
            .iter()
            .filter_map(|i| Some((i.field.name.clone(), i.member?.bits?)))
            .collect();
        let unit_sizes: Vec<u64> = run
            .iter()
            .filter_map(|i| i.member.map(|m| m.ty.size))
            .collect();
        let c_type = run
            .first()
            .and_then(|i| i.member)
            .map(|m| m.ty.c_name.clone())
            .unwrap_or_default();
        let doc = match style {
            BitDoc::Absolute => format!(
                "Bitfields: {}.",
                bits.iter()
                    .map(|(name, b)| format!("{name}:{} at bit {}", b.bit_size, b.bit_offset))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            BitDoc::InWord => format!(
                "Bitfields of `{c_type}`, in declaration order, each at its first bit \
                 counted from this field's first byte in memory order (from the least \
                 significant bit on little-endian targets, the most significant on \
                 big-endian ones): {}.",
                bits.iter()
                    .map(|(name, b)| format!(
                        "{name}:{} at {}",
                        b.bit_size,
                        b.bit_offset.saturating_sub(start * 8)
                    ))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        out.push(Item {
            field: FieldModel {
                name: format!("bits_{start}"),
                ty,
                offset: start,
                size,
                align: None,
                reserved: false,
                since: 1,
                was_reserved: None,
                doc: Some(doc),
                comments: Vec::new(),
                origin: Origin::Bitfields {
                    bits,
                    unit_sizes,
                    c_type,
                },
                flexible: false,
            },
            member: None,
        });
        run.clear();
    };
    for item in items {
        let is_bits = item.member.is_some_and(|m| m.bits.is_some());
        if is_bits {
            let touches = run
                .last()
                .is_none_or(|last| item.field.offset <= last.field.end());
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

// ------------------------------------------------------------ rendering

fn comment_lines(out: &mut String, lines: &[String], wrap: bool) {
    for line in lines {
        for part in line.lines() {
            if part.is_empty() {
                out.push_str("#\n");
                continue;
            }
            if !wrap {
                let _ = writeln!(out, "# {part}");
                continue;
            }
            // Continuation lines are indented, so each comment reads as one.
            let mut current = String::new();
            for word in part.split(' ') {
                let room = COMMENT_WIDTH - 2;
                if !current.is_empty() && current.len() + 1 + word.len() > room {
                    let _ = writeln!(out, "# {current}");
                    current = format!("  {word}");
                } else {
                    if !current.is_empty() {
                        current.push(' ');
                    }
                    current.push_str(word);
                }
            }
            let _ = writeln!(out, "# {current}");
        }
    }
}

/// The TOML text of a document. Comments are written as given: every
/// name taken from a file must be escaped before it gets there.
pub fn render(doc: &Document) -> String {
    let mut out = String::new();
    comment_lines(&mut out, &doc.header, doc.wrap);
    if !doc.header.is_empty() {
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "[abi]\nname = {}\nversion = {}",
        quote(&doc.abi_name),
        doc.version
    );
    if let Some(first) = doc.first_version {
        let _ = writeln!(out, "first_version = {first}");
    }
    let _ = writeln!(out, "doc = {}", quote(&doc.doc));
    if let Some(targets) = &doc.targets {
        let _ = writeln!(
            out,
            "targets = [{}]",
            targets
                .iter()
                .map(|t| quote(t.name()))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if !doc.abi_comments.is_empty() {
        out.push('\n');
        comment_lines(&mut out, &doc.abi_comments, doc.wrap);
    }
    for c in &doc.constants {
        out.push('\n');
        comment_lines(&mut out, &c.comments, doc.wrap);
        let _ = writeln!(
            out,
            "[[constant]]\nname = {}\nvalue = {}\ntype = {}",
            quote(&c.name),
            c.value,
            quote(&c.ty)
        );
        if let Some(d) = &c.doc {
            let _ = writeln!(out, "doc = {}", quote(d));
        }
    }
    for s in &doc.model.structs {
        out.push('\n');
        comment_lines(&mut out, &s.comments, doc.wrap);
        let _ = writeln!(out, "[[struct]]\nname = {}", quote(&s.name));
        if s.kind == Kind::Union {
            out.push_str("kind = \"union\"\n");
        }
        if let Some(align) = s.align {
            let _ = writeln!(out, "align = {align}");
        }
        if s.packed {
            out.push_str("packed = true\n");
        }
        let _ = writeln!(out, "doc = {}", quote(&s.doc));
        for f in &s.fields {
            out.push('\n');
            comment_lines(&mut out, &f.comments, doc.wrap);
            let _ = writeln!(
                out,
                "[[struct.field]]\nname = {}\ntype = {}\nsince = {}",
                quote(&f.name),
                quote(&f.ty),
                f.since
            );
            if let Some(align) = f.align {
                let _ = writeln!(out, "align = {align}");
            }
            if f.reserved {
                out.push_str("reserved = true\n");
            }
            if let Some(w) = f.was_reserved {
                let _ = writeln!(out, "was_reserved = {w}");
            }
            if let Some(d) = &f.doc {
                let _ = writeln!(out, "doc = {}", quote(d));
            }
        }
    }
    for w in &doc.model.waivers {
        let _ = write!(
            out,
            "\n[[waiver]]\nrule = {}\nstruct = {}\n",
            quote(&w.rule),
            quote(&w.struct_name)
        );
        if let Some(field) = &w.field {
            let _ = writeln!(out, "field = {}", quote(field));
        }
        let _ = writeln!(out, "reason = {}", quote(&w.reason));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_wrap_and_never_start_a_table() {
        let mut out = String::new();
        let long = format!("{} end\n[[struct]]", "word ".repeat(40));
        comment_lines(&mut out, &[long], true);
        assert!(out.lines().all(|l| l.starts_with('#')), "{out}");
        assert!(out.lines().all(|l| l.len() <= COMMENT_WIDTH), "{out}");
        assert!(out.contains("\n#   word"), "{out}");
        let mut plain = String::new();
        comment_lines(&mut plain, &["a b".into()], false);
        assert_eq!(plain, "# a b\n");
    }

    #[test]
    fn reserved_names() {
        for name in [
            "__reserved",
            "__reserved_2",
            "__pad1",
            "_res",
            "reserved_20",
        ] {
            assert!(reserved_name(name), "{name}");
        }
        for name in ["resolve", "flags", "__u32", "padding"] {
            assert!(!reserved_name(name), "{name}");
        }
    }
}
