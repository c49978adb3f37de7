//! The struct definitions of a C header: members in memory order, the
//! padding the layout leaves made explicit per layout class, bitfields,
//! anonymous structs and unions written inline (recursively), and the C++
//! spelling of members whose type is an empty struct. Alongside the text,
//! every named member's offset in each class, for the static assertions.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use super::{per_class, scalar_c, write_comment, CodegenError, Gen, Style};
use crate::codegen::cnames::CNames;
use crate::layout::Layout;
use crate::model::{Field, Spec, StructDef, StructKind, Type};
use crate::types::Scalar;

/// A named member of a struct (through anonymous members, as C addresses
/// it) and its offset in each class: what `offsetof` can assert.
pub(super) struct Fact {
    /// The member, as C names it in `offsetof`.
    pub(super) member: String,
    /// Its offset in each class.
    pub(super) offsets: Vec<u64>,
}

/// One struct definition and what can be asserted about its members.
pub(super) struct Written {
    /// The definition, with its doc comment.
    pub(super) text: String,
    /// Every named member that is no bitfield, in memory order.
    pub(super) facts: Vec<Fact>,
}

/// Bits no member names, from one bit to a later one: the bits up to the
/// next byte boundary, whole bytes, and the bits of a last partial byte.
/// C pads between bitfields at the bit (`-Wpadded` says so), so the head
/// and tail bits become unnamed `__u8 :N` bitfields and the bytes a
/// `__u8 __padN[bytes]` array.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Gap {
    head_bits: u64,
    bytes: u64,
    tail_bits: u64,
}

impl Gap {
    fn between(from: u64, to: u64) -> Gap {
        if to <= from {
            return Gap::default();
        }
        let mut at = from;
        let head_bits = if at % 8 == 0 {
            0
        } else {
            (8 - at % 8).min(to - at)
        };
        at += head_bits;
        let bytes = (to - at) / 8;
        at += bytes * 8;
        Gap {
            head_bits,
            bytes,
            tail_bits: to - at,
        }
    }

    fn is_empty(self) -> bool {
        self == Gap::default()
    }
}

/// The gaps of one layout: before each field (in layout order) and after
/// the last. An unnamed `__u8` bitfield of at most the rest of its byte is
/// placed where it starts on every target's rules (its storage unit is
/// that byte; m68k packs bit after bit), and neither it nor a byte array
/// raises the struct's alignment, so the explicit padding moves nothing.
/// A union's bytes past its largest member are named by one byte array as
/// large as the union.
fn gaps(def: &StructDef, layout: &Layout) -> (Vec<Gap>, Gap) {
    let mut before = Vec::with_capacity(layout.fields.len());
    match def.kind {
        StructKind::Union => {
            before.resize(layout.fields.len(), Gap::default());
            let end = layout
                .fields
                .iter()
                .map(|f| f.bit_range().1)
                .max()
                .unwrap_or(0);
            let tail = if end < layout.size * 8 {
                Gap {
                    bytes: layout.size,
                    ..Gap::default()
                }
            } else {
                Gap::default()
            };
            (before, tail)
        }
        StructKind::Struct => {
            let mut cursor = 0;
            for placed in &layout.fields {
                let (start, end) = placed.bit_range();
                before.push(Gap::between(cursor, start));
                cursor = cursor.max(end);
            }
            (before, Gap::between(cursor, layout.size * 8))
        }
    }
}

/// True when a struct is empty: no member at all (GNU C gives it size 0,
/// C++ size 1).
fn is_empty(spec: &Spec, ty: &Type) -> bool {
    ty.struct_name()
        .and_then(|name| spec.struct_def(name))
        .is_some_and(|def| def.fields.is_empty())
}

/// The declaration of a member (without the trailing `;`); `name` is
/// `None` for an unnamed bitfield.
fn declaration(spec: &Spec, style: Style, name: Option<&str>, field: &Field, ty: &Type) -> String {
    let attribute = field
        .align
        .map(|a| format!(" __attribute__((aligned({a})))"))
        .unwrap_or_default();
    if let (Some(bits), Type::Scalar(scalar)) = (field.bits, ty) {
        // A bitfield's signedness is its type's: `__s32 x:3` holds -4..3.
        let c_type = scalar_c(style, *scalar);
        return match name {
            Some(name) => format!("{c_type} {name}:{bits}{attribute}"),
            None => format!("{c_type} :{bits}{attribute}"),
        };
    }
    let name = name.unwrap_or_default();
    let mut dims = String::new();
    let mut element = ty;
    loop {
        match element {
            Type::Array {
                element: inner,
                len,
            } => {
                let _ = write!(dims, "[{len}]");
                element = inner;
            }
            Type::Flexible(inner) => {
                dims.push_str("[]");
                element = inner;
            }
            _ => break,
        }
    }
    let is_array = !dims.is_empty();
    let (base, star) = match element {
        Type::Scalar(Scalar::Ptr) => ("void".to_string(), "*"),
        Type::Scalar(s) => {
            // The kernel's own spelling of a u64 that is 8-aligned on every
            // architecture, when the spec asks for exactly that.
            let aligned = match (style, s, field.align, is_array) {
                (Style::Uapi, Scalar::U64, Some(8), false) => Some("__aligned_u64"),
                (Style::Uapi, Scalar::I64, Some(8), false) => Some("__aligned_s64"),
                _ => None,
            };
            if let Some(aligned) = aligned {
                return format!("{aligned} {name}");
            }
            (scalar_c(style, *s).to_string(), "")
        }
        Type::Struct(other) => {
            let keyword = spec
                .struct_def(other)
                .map_or("struct", |d| d.kind.keyword());
            (format!("{keyword} {other}"), "")
        }
        Type::Array { .. } | Type::Flexible(_) => (String::new(), ""),
    };
    format!("{base} {star}{name}{dims}{attribute}")
}

/// True when an array type has a dimension of 0 (GNU C's zero-length
/// array).
fn has_zero_length(ty: &Type) -> bool {
    match ty {
        Type::Array { element, len } => *len == 0 || has_zero_length(element),
        Type::Flexible(element) => has_zero_length(element),
        _ => false,
    }
}

/// `__attribute__((...))` of a struct or union type, or nothing.
fn type_attributes(def: &StructDef) -> String {
    let mut attributes = Vec::new();
    if def.packed {
        attributes.push("packed".to_string());
    }
    if let Some(align) = def.align {
        attributes.push(format!("aligned({align})"));
    }
    if attributes.is_empty() {
        String::new()
    } else {
        format!(" __attribute__(({}))", attributes.join(", "))
    }
}

/// Writes one top-level struct.
struct Writer<'g, 's> {
    gen: &'g Gen<'s>,
    /// The struct being written, for messages.
    top: &'s StructDef,
    /// The number of the next explicit padding member (`__pad0`, ...).
    pads: usize,
    /// The member names of the struct's scope, its anonymous members'
    /// included: padding skips a number a field has taken (Linux names
    /// fields `__pad1` too).
    taken: BTreeSet<&'s str>,
    /// Every name the struct's scope holds (its own members and those of
    /// its anonymous members, which C puts in the same scope), with what
    /// put it there.
    members: BTreeMap<String, String>,
    facts: Vec<Fact>,
    /// Padding after a flexible array member, which C cannot name.
    unnamed_tail: bool,
}

impl<'s> Writer<'_, 's> {
    fn claim(&mut self, name: &str, what: String) -> Result<(), CodegenError> {
        if let Some(first) = self.members.get(name) {
            return Err(CodegenError::NameClash {
                name: name.to_string(),
                first: first.clone(),
                second: what,
            });
        }
        self.members.insert(name.to_string(), what);
        Ok(())
    }

    /// Explicit padding for one gap, per class.
    fn padding(
        &mut self,
        out: &mut String,
        gaps: &[Gap],
        indent: &str,
        what: &str,
    ) -> Result<(), CodegenError> {
        if gaps.iter().all(|g| g.is_empty()) {
            return Ok(());
        }
        let name = if gaps.iter().any(|g| g.bytes > 0) {
            let name = loop {
                let name = CNames::padding_member(self.pads);
                self.pads += 1;
                if !self.taken.contains(name.as_str()) {
                    break name;
                }
            };
            self.claim(
                &name,
                format!(
                    "the padding the header makes explicit in `{}`",
                    self.top.name
                ),
            )?;
            name
        } else {
            String::new()
        };
        let byte = scalar_c(self.gen.style, Scalar::U8);
        per_class(out, &self.gen.selector, gaps, |gap| {
            let mut lines = String::new();
            if gap.head_bits > 0 {
                let _ = writeln!(
                    lines,
                    "{indent}{byte} :{}; /* padding bits */",
                    gap.head_bits
                );
            }
            if gap.bytes > 0 {
                let _ = writeln!(lines, "{indent}{byte} {name}[{}]; /* {what} */", gap.bytes);
            }
            if gap.tail_bits > 0 {
                let _ = writeln!(
                    lines,
                    "{indent}{byte} :{}; /* padding bits */",
                    gap.tail_bits
                );
            }
            lines
        });
        Ok(())
    }

    /// The members of struct `index` (the top struct or an anonymous
    /// member), laid out as `layouts` (one per class), at `depth` tabs.
    /// `base`: the struct's offset in the top struct per class, when its
    /// members are the top struct's (not inside a named placeholder).
    fn members(
        &mut self,
        out: &mut String,
        index: usize,
        layouts: &[&'s Layout],
        depth: usize,
        base: Option<&[u64]>,
        since: u32,
    ) -> Result<(), CodegenError> {
        let gen = self.gen;
        let spec = gen.spec;
        let def = &spec.structs[index];
        let indent = "\t".repeat(depth);
        let Some(&first) = layouts.first() else {
            return Ok(());
        };
        let gaps: Vec<(Vec<Gap>, Gap)> = layouts.iter().map(|l| gaps(def, l)).collect();
        for (pos, placed) in first.fields.iter().enumerate() {
            let field = &def.fields[placed.index];
            let before: Vec<Gap> = gaps.iter().map(|(b, _)| b[pos]).collect();
            self.padding(out, &before, &indent, "implicit padding")?;
            if !(field.unnamed && field.is_bitfield()) {
                write_comment(out, &indent, &self.notes(field, placed.placeholder, since));
            }
            let offsets: Option<Vec<u64>> = base.map(|base| {
                layouts
                    .iter()
                    .zip(base)
                    .map(|(l, b)| b + l.fields[pos].offset)
                    .collect()
            });
            let name = if placed.placeholder {
                Some(CNames::placeholder_member(&field.name))
            } else if field.unnamed {
                None
            } else {
                Some(field.name.clone())
            };
            let what = if std::ptr::eq(def, self.top) {
                format!("member `{}` of `{}`", field.name, self.top.name)
            } else {
                format!(
                    "member `{}` of `{}` (through its anonymous member of type `{}`)",
                    field.name, self.top.name, def.name
                )
            };
            if let (true, Type::Struct(inner_name)) = (field.is_anonymous_member(), &field.ty) {
                self.anonymous(
                    out,
                    field,
                    inner_name,
                    name.as_deref(),
                    depth,
                    offsets.as_deref(),
                )?;
                if let (Some(name), Some(offsets)) = (name, offsets) {
                    self.claim(&name, what)?;
                    self.facts.push(Fact {
                        member: name,
                        offsets,
                    });
                }
                continue;
            }
            out.push_str(&self.declaration_lines(field, name.as_deref(), &indent));
            if let (Some(name), Some(offsets)) = (name, offsets) {
                self.claim(&name, what)?;
                if !field.is_bitfield() {
                    self.facts.push(Fact {
                        member: name,
                        offsets,
                    });
                }
            }
        }
        let tails: Vec<Gap> = gaps.iter().map(|(_, t)| *t).collect();
        let flexible_last = first
            .fields
            .last()
            .is_some_and(|p| def.fields[p.index].ty.is_flexible());
        if flexible_last && tails.iter().any(|t| !t.is_empty()) {
            self.unnamed_tail = true;
        } else {
            let what = match def.kind {
                StructKind::Union => "names every byte of the union",
                StructKind::Struct => "tail padding",
            };
            self.padding(out, &tails, &indent, what)?;
        }
        Ok(())
    }

    /// An anonymous struct or union, inline: `union { ... };`. A named
    /// placeholder (bytes a later version claims) is the same type with a
    /// member name, so its members stay out of the enclosing scope.
    fn anonymous(
        &mut self,
        out: &mut String,
        field: &Field,
        inner_name: &str,
        name: Option<&str>,
        depth: usize,
        offsets: Option<&[u64]>,
    ) -> Result<(), CodegenError> {
        let gen = self.gen;
        let spec = gen.spec;
        let indent = "\t".repeat(depth);
        // A validated spec has the struct, in every version in which a
        // field holds it.
        let Some(inner_index) = spec.struct_index(inner_name) else {
            return Ok(());
        };
        let inner = &spec.structs[inner_index];
        let Some(inner_layouts) = gen
            .classes
            .iter()
            .map(|c| spec.layout(inner_index, c.rep, gen.version))
            .collect::<Option<Vec<&Layout>>>()
        else {
            return Ok(());
        };
        let mut attributes = type_attributes(inner);
        if let Some(align) = field.align {
            // C has no place for a member's own alignment on an anonymous
            // member: the attribute goes on its (unnamed) type, which is
            // the same only when the type's size is a multiple of it.
            if inner_layouts.iter().any(|l| l.size % align != 0) {
                return Err(CodegenError::AnonymousAlign {
                    structure: self.top.name.clone(),
                    member: field.name.clone(),
                    align,
                });
            }
            attributes.push_str(&format!(" __attribute__((aligned({align})))"));
        }
        let _ = writeln!(out, "{indent}__extension__ {} {{", inner.kind.keyword());
        let inner_base = if name.is_some() { None } else { offsets };
        let since = field.since;
        self.members(
            out,
            inner_index,
            &inner_layouts,
            depth + 1,
            inner_base,
            since,
        )?;
        let name = name.map(|n| format!(" {n}")).unwrap_or_default();
        let _ = writeln!(out, "{indent}}}{attributes}{name};");
        Ok(())
    }

    /// The lines that declare one member that is no anonymous struct.
    fn declaration_lines(&self, field: &Field, name: Option<&str>, indent: &str) -> String {
        let spec = self.gen.spec;
        let style = self.gen.style;
        let nested_flexible = !matches!(field.ty, Type::Array { .. })
            && field
                .ty
                .struct_name()
                .and_then(|n| spec.struct_index(n))
                .is_some_and(|inner| self.gen.flexible[inner]);
        // Zero-length arrays and structs that end in a flexible array, as
        // members, are GNU C: `__extension__` keeps -Wpedantic quiet.
        let extension = if has_zero_length(&field.ty) || nested_flexible {
            "__extension__ "
        } else {
            ""
        };
        let c = declaration(spec, style, name, field, &field.ty);
        if field.bits.is_none() && is_empty(spec, &field.ty) {
            // C++ gives an empty struct size 1, which would move every
            // later member; a zero-length array of it takes no room there,
            // as the kernel's own C++ spelling of __DECLARE_FLEX_ARRAY.
            let zero = Type::Array {
                element: Box::new(field.ty.element().clone()),
                len: 0,
            };
            let cxx = declaration(spec, style, name, field, &zero);
            return format!(
                "#ifdef __cplusplus\n{indent}__extension__ {cxx}; /* C++: an empty struct takes no room only in an array of length 0 */\n#else\n{indent}{extension}{c};\n#endif\n"
            );
        }
        format!("{indent}{extension}{c};\n")
    }

    /// The doc comment of a member: its doc, then what the spec says of it.
    /// `since`: the version from which the enclosing (anonymous) struct
    /// exists, which its members need not repeat.
    fn notes(&self, field: &Field, placeholder: bool, since: u32) -> Vec<String> {
        let spec = self.gen.spec;
        let mut doc = Vec::new();
        let inner_doc = field
            .ty
            .struct_name()
            .filter(|_| field.is_anonymous_member())
            .and_then(|n| spec.struct_def(n))
            .and_then(|d| d.doc.clone());
        if let Some(text) = field.doc.clone().or(inner_doc) {
            doc.push(text);
        }
        let mut notes = Vec::new();
        if placeholder {
            notes.push(format!(
                "Reserved (must be zero) in this version; version {} claims these bytes as `{}`.",
                field.since, field.name
            ));
        } else {
            if field.since > since {
                notes.push(format!("Since version {}.", field.since));
            }
            if let Some(w) = field.was_reserved {
                notes.push(format!("Reserved (must be zero) from version {w}."));
            }
            if field.reserved {
                notes.push("Reserved: must be zero.".to_string());
            }
            if let Some(feature) = field.feature.as_ref().and_then(|f| spec.feature(f)) {
                notes.push(format!(
                    "Filled when {} is agreed.",
                    self.gen.names.feature(feature)
                ));
            }
        }
        if !notes.is_empty() {
            doc.push(notes.join(" "));
        }
        doc
    }
}

/// The names fields of `def` and of its anonymous members (recursively)
/// may put in `def`'s scope.
fn scope_names<'s>(spec: &'s Spec, def: &'s StructDef) -> BTreeSet<&'s str> {
    let mut names = BTreeSet::new();
    let mut stack = vec![def];
    let mut seen = BTreeSet::new();
    while let Some(def) = stack.pop() {
        if !seen.insert(def.name.as_str()) {
            continue;
        }
        for field in &def.fields {
            names.insert(field.name.as_str());
            if let (true, Type::Struct(inner)) = (field.is_anonymous_member(), &field.ty) {
                stack.extend(spec.struct_def(inner));
            }
        }
    }
    names
}

/// Writes the definition of struct `index` at the header's version.
pub(super) fn write_struct(gen: &Gen<'_>, index: usize) -> Result<Written, CodegenError> {
    let def = &gen.spec.structs[index];
    let layouts = gen.layouts(index).unwrap_or_default();
    let mut writer = Writer {
        gen,
        top: def,
        pads: 0,
        taken: scope_names(gen.spec, def),
        members: BTreeMap::new(),
        facts: Vec::new(),
        unnamed_tail: false,
    };
    let zero = vec![0; layouts.len()];
    let mut body = String::new();
    // Members need not say they are as old as their struct.
    let since = def.since().max(gen.spec.abi.first_version);
    writer.members(&mut body, index, &layouts, 1, Some(&zero), since)?;

    let mut out = String::new();
    if let Some(doc) = &def.doc {
        write_comment(&mut out, "", std::slice::from_ref(doc));
    }
    if writer.unnamed_tail {
        out.push_str(
            "/* C cannot name padding after a flexible array member. */\n\
#pragma GCC diagnostic push\n#pragma GCC diagnostic ignored \"-Wpadded\"\n",
        );
    }
    // An empty struct is GNU C (size 0): `__extension__` keeps -Wpedantic quiet.
    let extension = if def.fields.is_empty() {
        "__extension__ "
    } else {
        ""
    };
    let _ = writeln!(out, "{extension}{} {} {{", def.kind.keyword(), def.name);
    out.push_str(&body);
    let _ = writeln!(out, "}}{};", type_attributes(def));
    if writer.unnamed_tail {
        out.push_str("#pragma GCC diagnostic pop\n");
    }
    out.push('\n');
    Ok(Written {
        text: out,
        facts: writer.facts,
    })
}

#[cfg(test)]
mod tests {
    use super::Gap;

    #[test]
    fn gaps_split_at_byte_boundaries() {
        assert_eq!(Gap::between(8, 8), Gap::default());
        assert_eq!(
            Gap::between(3, 32),
            Gap {
                head_bits: 5,
                bytes: 3,
                tail_bits: 0
            }
        );
        assert_eq!(
            Gap::between(3, 6),
            Gap {
                head_bits: 3,
                bytes: 0,
                tail_bits: 0
            }
        );
        assert_eq!(
            Gap::between(16, 43),
            Gap {
                head_bits: 0,
                bytes: 3,
                tail_bits: 3
            }
        );
    }
}
