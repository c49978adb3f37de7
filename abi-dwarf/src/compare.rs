//! A compiled struct judged against every version of a spec struct: which
//! version the binary implements (the newest whose every field it has at
//! the same offset, with the same size and type; a bitfield at the same
//! bits, of the same width and type), and the differences as findings with
//! the contract's rule IDs. Fields are compared as C code names them:
//! anonymous structs and unions are opened on both sides, so a spec's
//! `unnamed = true` union meets the binary's anonymous union (or plain
//! members, where an older binary had no union yet) member by member. A
//! field whose type is another spec struct is compared with that struct's
//! layout, field by field, as deep as the nesting goes.

use abi_spec::layout::{BitPlace, Layout};
use abi_spec::limits::MAX_NESTING_DEPTH;
use abi_spec::model::{Field, StructKind};
use abi_spec::{Finding, Rule, Scalar, Spec, Target, Type};

use crate::model::{CStruct, CType, FlatMember, Kind, TypeKind};

/// What a binary says about one spec struct.
#[derive(Clone, Debug)]
pub struct Verdict {
    /// The spec struct.
    pub struct_name: String,
    /// The name looked up in the binary.
    pub c_name: String,
    /// The newest version the binary implements exactly, if any.
    pub implements: Option<u32>,
    /// The version a side announcing this struct's `sizeof` negotiates
    /// ([`negotiated_version`]); `None` when that size is below the first
    /// version's feature size.
    pub negotiates: Option<u32>,
    /// `sizeof` in the binary.
    pub size: u64,
    /// `_Alignof` in the binary.
    pub align: u64,
    /// The differences.
    pub findings: Vec<Finding>,
}

impl Verdict {
    /// Findings that break: what the table calls mismatches.
    pub fn mismatches(&self) -> usize {
        self.findings.iter().filter(|f| f.is_breaking()).count()
    }
}

/// A spec type as the compiler spells it on `target` (`long` is `i64` on
/// LP64), structs as `struct`: the form [`crate::CType::spec_key`] gives.
pub fn spec_key(ty: &Type, target: Target) -> String {
    match ty {
        Type::Scalar(s) => {
            use abi_spec::Scalar;
            match (s, target.pointer_size()) {
                (Scalar::Long, 8) => "i64".into(),
                (Scalar::Long, _) => "i32".into(),
                (Scalar::ULong, 8) => "u64".into(),
                (Scalar::ULong, _) => "u32".into(),
                (other, _) => other.name().into(),
            }
        }
        Type::Array { element, len } => format!("[{}; {len}]", spec_key(element, target)),
        Type::Flexible(element) => format!("[{}]", spec_key(element, target)),
        Type::Struct(_) => "struct".into(),
    }
}

/// Where a field lies: a byte offset, or a bitfield's first bit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Place {
    Byte(u64),
    Bit(u64),
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Place::Byte(offset) => write!(f, "offset {offset}"),
            Place::Bit(bit) => write!(f, "bit {bit}"),
        }
    }
}

/// A spec field as C code names it: a field of the struct, or of an
/// anonymous struct or union member at any depth, placed from the start of
/// the outermost struct.
#[derive(Clone, Copy)]
struct Leaf<'s> {
    /// The struct that declares the field, and its index there.
    key: (usize, usize),
    field: &'s Field,
    offset: u64,
    size: u64,
    bits: Option<BitPlace>,
    /// Reserved bytes or bits, or a placeholder for a later field: only
    /// their place matters.
    reserved: bool,
    /// The version laid out.
    version: u32,
}

impl Leaf<'_> {
    fn place(&self) -> Place {
        match self.bits {
            Some(b) => Place::Bit(b.offset),
            None => Place::Byte(self.offset),
        }
    }

    fn bit_range(&self) -> (u64, u64) {
        match self.bits {
            Some(b) => (b.offset, b.offset + b.width),
            None => (self.offset * 8, (self.offset + self.size) * 8),
        }
    }

    /// `u64`, or `u64:1` for a bitfield.
    fn spelled(&self) -> String {
        match self.bits {
            Some(b) => format!("{}:{}", self.field.ty, b.width),
            None => self.field.ty.to_string(),
        }
    }

    fn extent(&self) -> String {
        match self.bits {
            Some(b) => format!("{} bits", b.width),
            None => format!("{} bytes", self.size),
        }
    }
}

/// The leaves of `layout` (of spec struct `layout.struct_index`), offsets
/// from `base`: anonymous members are opened, as C code names their
/// members directly.
fn leaves<'s>(spec: &'s Spec, layout: &Layout, target: Target, base: u64) -> Vec<Leaf<'s>> {
    let mut out = Vec::new();
    collect_leaves(spec, layout, target, base, &mut out, 0);
    out
}

fn collect_leaves<'s>(
    spec: &'s Spec,
    layout: &Layout,
    target: Target,
    base: u64,
    out: &mut Vec<Leaf<'s>>,
    depth: usize,
) {
    let def = &spec.structs[layout.struct_index];
    for placed in &layout.fields {
        let field = &def.fields[placed.index];
        let offset = base + placed.offset;
        if field.is_anonymous_member() && !placed.placeholder && depth < MAX_NESTING_DEPTH {
            let nested = field
                .ty
                .struct_name()
                .and_then(|n| spec.struct_index(n))
                .and_then(|i| spec.layout(i, target, layout.version));
            if let Some(nested) = nested {
                collect_leaves(spec, nested, target, offset, out, depth + 1);
                continue;
            }
        }
        out.push(Leaf {
            key: (layout.struct_index, placed.index),
            field,
            offset,
            size: placed.size,
            bits: placed.bits.map(|b| BitPlace {
                offset: b.offset + base * 8,
                width: b.width,
            }),
            reserved: field.reserved || placed.placeholder,
            version: layout.version,
        });
    }
}

/// Every name a spec struct gives a field C code can name, in any
/// version: its fields' and, through anonymous members, theirs.
fn spec_names<'s>(spec: &'s Spec, struct_index: usize, out: &mut Vec<&'s str>, depth: usize) {
    for field in &spec.structs[struct_index].fields {
        out.push(&field.name);
        if field.is_anonymous_member() && depth < MAX_NESTING_DEPTH {
            if let Some(i) = field.ty.struct_name().and_then(|n| spec.struct_index(n)) {
                spec_names(spec, i, out, depth + 1);
            }
        }
    }
}

/// How one spec field fares in the binary.
enum FieldMatch {
    Same,
    Missing,
    Moved {
        place: Place,
    },
    /// Another type or size; `why` says where inside a nested struct.
    Retyped {
        c_type: String,
        extent: String,
        why: Option<String>,
    },
}

/// Whether the compiled alignment agrees with the spec's. DWARF does not
/// say whether a struct was packed: one whose members all happen to sit
/// aligned reads as unpacked, with its natural alignment. When the spec
/// says packed, the packed reading (the explicit alignment, or 1) counts
/// too.
pub fn align_agrees(compiled: &CStruct, spec_packed: bool, spec_align: u64) -> bool {
    compiled.align == spec_align
        || (spec_packed && !compiled.packed && compiled.explicit_align.unwrap_or(1) == spec_align)
}

/// Whether a compiled type is the spec's type on `target`: the same
/// scalar (signedness included; `long` as wide as the target's), `char`
/// for C's plain `char` only, arrays of the same length (`[T]` and `[T; 0]`
/// alike: BTF cannot tell them apart, and they lay out alike), a pointer
/// for `ptr`, any struct for a spec struct (compared field by field
/// elsewhere).
fn same_type(ty: &Type, compiled: &CType, target: Target) -> bool {
    match (ty, &compiled.kind) {
        (Type::Scalar(Scalar::Char), TypeKind::Scalar { plain_char, .. }) => *plain_char,
        (Type::Scalar(Scalar::Ptr), TypeKind::Pointer) => true,
        (Type::Scalar(_), TypeKind::Scalar { .. }) => spec_key(ty, target) == compiled.spec_key(),
        (
            Type::Array { element, len },
            TypeKind::Array {
                element: c,
                len: c_len,
            },
        ) => {
            let lengths = *c_len == Some(*len) || (*len == 0 && c_len.is_none());
            lengths && same_type(element, c, target)
        }
        (
            Type::Flexible(element),
            TypeKind::Array {
                element: c,
                len: None | Some(0),
            },
        ) => same_type(element, c, target),
        (Type::Struct(_), TypeKind::Aggregate(_)) => true,
        _ => false,
    }
}

/// Where a compiled type differs from a spec type that holds a spec struct
/// (directly or through arrays), compared with that struct's layout in
/// `version`; `None` when it agrees, or holds no struct. Scalars and array
/// lengths were already compared through [`same_type`].
fn nested_difference(
    spec: &Spec,
    ty: &Type,
    compiled: &CType,
    version: u32,
    target: Target,
) -> Option<String> {
    match (ty, &compiled.kind) {
        (
            Type::Array { element, .. } | Type::Flexible(element),
            TypeKind::Array { element: c, .. },
        ) => nested_difference(spec, element, c, version, target),
        (Type::Struct(name), TypeKind::Aggregate(inner)) => {
            let index = spec.struct_index(name)?;
            let def = &spec.structs[index];
            let nested = spec.layout(index, target, version)?;
            let c_name = &compiled.c_name;
            let spec_kind = match def.kind {
                StructKind::Struct => Kind::Struct,
                StructKind::Union => Kind::Union,
            };
            if inner.kind != spec_kind {
                return Some(format!(
                    "`{c_name}` is a {}, the spec's `{name}` a {}",
                    inner.kind.keyword(),
                    spec_kind.keyword()
                ));
            }
            if inner.size != nested.size {
                return Some(format!(
                    "`{c_name}` is {} bytes, the spec's `{name}` {} in version {version}",
                    inner.size, nested.size
                ));
            }
            if !align_agrees(inner, def.packed, nested.align) {
                return Some(format!(
                    "`{c_name}` is {}-aligned, the spec's `{name}` {}-aligned",
                    inner.align, nested.align
                ));
            }
            let flat = inner.flat_members();
            for leaf in leaves(spec, nested, target, 0) {
                let field = &leaf.field.name;
                let why = match match_leaf(spec, &leaf, &flat, target) {
                    FieldMatch::Same => continue,
                    FieldMatch::Missing => format!(
                        "`{c_name}` has no field `{field}`, which the spec's `{name}` has at {}",
                        leaf.place()
                    ),
                    FieldMatch::Moved { place } => format!(
                        "`{c_name}` has `{field}` at {place}, the spec's `{name}` at {}",
                        leaf.place()
                    ),
                    FieldMatch::Retyped {
                        c_type,
                        extent,
                        why,
                    } => {
                        let mut text = format!(
                            "`{c_name}` has `{field}` as `{c_type}` ({extent}), the spec's `{name}` as `{}` ({})",
                            leaf.spelled(),
                            leaf.extent()
                        );
                        if let Some(why) = why {
                            text = format!("{text}: {why}");
                        }
                        text
                    }
                };
                return Some(why);
            }
            None
        }
        _ => None,
    }
}

/// True when the sorted intervals cover `[start, end)`.
fn covered(intervals: &[(u64, u64)], start: u64, end: u64) -> bool {
    let mut at = start;
    for &(a, b) in intervals {
        if a > at {
            break;
        }
        at = at.max(b);
        if at >= end {
            return true;
        }
    }
    at >= end
}

/// The bits a compiled member holds, from the start of the outermost
/// struct.
fn compiled_bit_range(m: &FlatMember<'_>) -> (u64, u64) {
    match m.bits() {
        Some(b) => (b.bit_offset, b.bit_offset + b.bit_size),
        None => (m.offset * 8, (m.offset + m.member.size) * 8),
    }
}

fn compiled_place(m: &FlatMember<'_>) -> Place {
    match m.bits() {
        Some(b) => Place::Bit(b.bit_offset),
        None => Place::Byte(m.offset),
    }
}

/// `__u64:1` for a bitfield, `__u64` otherwise.
fn compiled_spelling(m: &FlatMember<'_>) -> (String, String) {
    match m.bits() {
        Some(b) => (
            format!("{}:{}", m.member.ty.c_name, b.bit_size),
            format!("{} bits", b.bit_size),
        ),
        None => (
            m.member.ty.c_name.clone(),
            format!("{} bytes", m.member.size),
        ),
    }
}

fn match_leaf(spec: &Spec, leaf: &Leaf<'_>, flat: &[FlatMember<'_>], target: Target) -> FieldMatch {
    // Padding bits have no name in C.
    if leaf.field.unnamed {
        return FieldMatch::Same;
    }
    let compiled = flat
        .iter()
        .find(|m| m.member.name.as_deref() == Some(leaf.field.name.as_str()));
    let Some(compiled) = compiled else {
        // Reserved bytes may be unnamed padding in C, or named otherwise.
        return if leaf.reserved {
            FieldMatch::Same
        } else {
            FieldMatch::Missing
        };
    };
    if leaf.reserved {
        // Named alike in C: the member must hold every reserved bit (an
        // older `__reserved_1:49` holds the spec's `__reserved_1:26` and
        // the placeholders of the flags claimed from it since).
        let (start, end) = leaf.bit_range();
        let (c_start, c_end) = compiled_bit_range(compiled);
        return if c_start <= start && end <= c_end {
            FieldMatch::Same
        } else {
            FieldMatch::Moved {
                place: compiled_place(compiled),
            }
        };
    }
    let retyped = |why: Option<String>| {
        let (c_type, extent) = compiled_spelling(compiled);
        FieldMatch::Retyped {
            c_type,
            extent,
            why,
        }
    };
    match (leaf.bits, compiled.bits()) {
        (Some(bits), Some(c)) => {
            if c.bit_offset != bits.offset {
                return FieldMatch::Moved {
                    place: Place::Bit(c.bit_offset),
                };
            }
            // The declared type counts: another storage unit lays out
            // otherwise.
            if c.bit_size != bits.width || !same_type(&leaf.field.ty, &compiled.member.ty, target) {
                return retyped(None);
            }
            FieldMatch::Same
        }
        (Some(_), None) | (None, Some(_)) => {
            if compiled.offset != leaf.offset {
                return FieldMatch::Moved {
                    place: compiled_place(compiled),
                };
            }
            retyped(None)
        }
        (None, None) => {
            if compiled.offset != leaf.offset {
                return FieldMatch::Moved {
                    place: Place::Byte(compiled.offset),
                };
            }
            let same = compiled.member.size == leaf.size
                && same_type(&leaf.field.ty, &compiled.member.ty, target);
            if !same {
                return retyped(None);
            }
            match nested_difference(
                spec,
                &leaf.field.ty,
                &compiled.member.ty,
                leaf.version,
                target,
            ) {
                None => FieldMatch::Same,
                Some(why) => retyped(Some(why)),
            }
        }
    }
}

/// Compares `compiled` (the layout of `c_name` in `file`, built for
/// `target`) with every version of the spec struct `struct_index`.
///
/// The binary implements the newest version whose every field it has at
/// the same place, with the same size and type: fields as C code names
/// them, through anonymous structs and unions on both sides, bitfields to
/// the bit. Findings are judged against that version (or, when it
/// implements none, against the version it is closest to: the fewest
/// differences, the newer on a tie), never against a newer one: a binary
/// built for version 2 has, where version 3 claims reserved bytes,
/// reserved bytes of its own. A field newer than that version is judged
/// only when the binary has it by name (a half-done upgrade). Reserved
/// fields and placeholders only need their place: unnamed in C, or named
/// alike by a member that holds all their bits.
pub fn verify(
    spec: &Spec,
    struct_index: usize,
    compiled: &CStruct,
    c_name: &str,
    file: &str,
    target: Target,
) -> Verdict {
    let def = &spec.structs[struct_index];
    let flat = compiled.flat_members();
    let layouts: Vec<(&Layout, Vec<Leaf<'_>>)> = spec
        .versions()
        .filter_map(|v| spec.layout(struct_index, target, v))
        .map(|l| (l, leaves(spec, l, target, 0)))
        .collect();
    let differences = |leaves: &[Leaf<'_>]| {
        leaves
            .iter()
            .filter(|leaf| !matches!(match_leaf(spec, leaf, &flat, target), FieldMatch::Same))
            .count()
    };
    let counted: Vec<usize> = layouts.iter().map(|(_, l)| differences(l)).collect();
    let implements = layouts
        .iter()
        .zip(&counted)
        .rev()
        .find(|(_, &d)| d == 0)
        .map(|((l, _), _)| l.version);
    let mut verdict = Verdict {
        struct_name: def.name.clone(),
        c_name: c_name.to_string(),
        implements,
        negotiates: negotiated_version(spec, struct_index, target, compiled.size),
        size: compiled.size,
        align: compiled.align,
        findings: Vec::new(),
    };
    // The version judged: the one implemented, else the closest.
    let Some(((base, base_leaves), _)) = layouts.iter().zip(&counted).rev().min_by_key(|(_, &d)| d)
    else {
        return verdict;
    };
    let newest_leaves = layouts.last().map_or(base_leaves, |(_, leaves)| leaves);
    let here = format!("{file} ({target}): `{c_name}`");
    let findings = &mut verdict.findings;
    for leaf in newest_leaves {
        let field = leaf.field;
        // Judged where the base version has it; a newer field only where
        // the binary names it.
        let (judged, in_base) = match base_leaves.iter().find(|b| b.key == leaf.key) {
            Some(at_base) => (at_base, !at_base.reserved || field.reserved),
            // A placeholder at the base: judged as the reserved bytes it
            // is there.
            None => (leaf, false),
        };
        let finding = match match_leaf(spec, judged, &flat, target) {
            FieldMatch::Same => None,
            FieldMatch::Missing if in_base => Some(Finding::new(
                Rule::FIELD_REMOVED,
                format!(
                    "{here} has no field `{}`, which version {} has at {}",
                    field.name,
                    base.version,
                    judged.place()
                ),
            )),
            FieldMatch::Missing => None,
            FieldMatch::Moved { place } => Some(Finding::new(
                Rule::FIELD_MOVED,
                format!(
                    "{here} has `{}` at {place}; the spec puts it at {}",
                    field.name,
                    judged.place()
                ),
            )),
            FieldMatch::Retyped {
                c_type,
                extent,
                why: None,
            } => Some(Finding::new(
                Rule::FIELD_RETYPED,
                format!(
                    "{here} has `{}` as `{c_type}` ({extent}); the spec says `{}` ({})",
                    field.name,
                    judged.spelled(),
                    judged.extent()
                ),
            )),
            FieldMatch::Retyped {
                c_type,
                why: Some(why),
                ..
            } => Some(Finding::new(
                Rule::FIELD_RETYPED,
                format!(
                    "{here} has `{}` as `{c_type}`, which is not the spec's `{}`: {why}",
                    field.name, field.ty
                ),
            )),
        };
        if let Some(f) = finding {
            findings.push(
                f.on_struct(&def.name)
                    .on_field(&field.name)
                    .on_targets(vec![target])
                    .at(spec, field.name_span),
            );
        }
    }
    if compiled.size < base.size {
        findings.push(
            Finding::new(
                Rule::STRUCT_SHRUNK,
                format!(
                    "{here} is {} bytes; version {} of the spec is {}",
                    compiled.size, base.version, base.size
                ),
            )
            .on_struct(&def.name)
            .on_targets(vec![target])
            .at(spec, def.name_span),
        );
    }
    if !align_agrees(compiled, def.packed, base.align) {
        findings.push(
            Finding::new(
                Rule::STRUCT_ALIGN_CHANGED,
                format!(
                    "{here} is {}-aligned; version {} of the spec is {}-aligned",
                    compiled.align, base.version, base.align
                ),
            )
            .on_struct(&def.name)
            .on_targets(vec![target])
            .at(spec, def.name_span),
        );
    }
    let mut names = Vec::new();
    spec_names(spec, struct_index, &mut names, 0);
    let mut reserved: Vec<(u64, u64)> = base_leaves
        .iter()
        .filter(|leaf| leaf.reserved)
        .map(Leaf::bit_range)
        .collect();
    reserved.sort_unstable();
    for m in &flat {
        let Some(name) = m.member.name.as_deref() else {
            continue;
        };
        // Reserved bytes may be named otherwise in C: a member that lies
        // on reserved bytes or placeholders of the version judged is them.
        let (start, end) = compiled_bit_range(m);
        let on_reserved = start < end && covered(&reserved, start, end);
        if !names.contains(&name) && !on_reserved {
            let (c_type, extent) = compiled_spelling(m);
            findings.push(
                Finding::new(
                    Rule::FIELD_ADDED,
                    format!(
                        "{here} has a field `{name}` (`{c_type}`, {}, {extent}) that the spec does not describe",
                        compiled_place(m)
                    ),
                )
                .on_struct(&def.name)
                .on_field(name)
                .on_targets(vec![target])
                .at(spec, def.name_span),
            );
        }
    }
    verdict
}

/// The version a side whose struct is `size` bytes long negotiates when it
/// announces that size to a side of the newest version: the run-time's own
/// agreed length ([`abi_spec::runtime::AbiTable::agreed_length`]), named by
/// the version whose feature size it is. glibc 2.35 registered all 32 bytes
/// of its `struct rseq`: a kernel reads that as the newest version whose
/// feature size fits, whatever the library implements.
pub fn negotiated_version(
    spec: &Spec,
    struct_index: usize,
    target: Target,
    size: u64,
) -> Option<u32> {
    let table = abi_spec::protocol::SideTable::new(spec, struct_index, target, spec.abi.version)?;
    let length = table
        .table()
        .agreed_length(table.version, usize::try_from(size).ok()?)?;
    table
        .versions
        .iter()
        .filter(|v| v.feature_size <= length)
        .map(|v| v.version)
        .max()
}
