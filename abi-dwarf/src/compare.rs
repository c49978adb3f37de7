//! A compiled struct judged against every version of a spec struct: which
//! version the binary implements (the newest whose every field it has at
//! the same offset, with the same size and type), and the differences as
//! findings with the contract's rule IDs. A field whose type is another
//! spec struct is compared with that struct's layout, field by field, as
//! deep as the nesting goes.

use abi_spec::layout::Layout;
use abi_spec::model::StructKind;
use abi_spec::{Finding, Rule, Spec, Target, Type};

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

/// How one spec field fares in the binary.
enum FieldMatch {
    Same,
    Missing,
    Moved {
        offset: u64,
    },
    /// Another type or size; `why` says where inside a nested struct.
    Retyped {
        c_type: String,
        size: u64,
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

/// Where a compiled type differs from a spec type that holds a spec struct
/// (directly or through arrays), compared with that struct's layout in
/// `version`; `None` when it agrees, or holds no struct. Scalars and array
/// lengths were already compared through [`spec_key`].
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
            for placed in &nested.fields {
                let field = &def.fields[placed.index].name;
                let why = match match_field(spec, nested, placed.index, &flat, target) {
                    FieldMatch::Same => continue,
                    FieldMatch::Missing => format!(
                        "`{c_name}` has no field `{field}`, which the spec's `{name}` has at offset {}",
                        placed.offset
                    ),
                    FieldMatch::Moved { offset } => format!(
                        "`{c_name}` has `{field}` at offset {offset}, the spec's `{name}` at {}",
                        placed.offset
                    ),
                    FieldMatch::Retyped { c_type, size, why } => {
                        let mut text = format!(
                            "`{c_name}` has `{field}` as `{c_type}` ({size} bytes), the spec's `{name}` as `{}` ({} bytes)",
                            def.fields[placed.index].ty, placed.size
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

fn match_field(
    spec: &Spec,
    layout: &Layout,
    index: usize,
    flat: &[FlatMember<'_>],
    target: Target,
) -> FieldMatch {
    let def = &spec.structs[layout.struct_index];
    let field = &def.fields[index];
    let Some(placed) = layout.field(index) else {
        return FieldMatch::Same;
    };
    let reserved = field.reserved || placed.placeholder;
    let Some(compiled) = flat
        .iter()
        .find(|m| m.member.name.as_deref() == Some(field.name.as_str()))
    else {
        // Reserved bytes may be unnamed padding in C, or named otherwise.
        return if reserved {
            FieldMatch::Same
        } else {
            FieldMatch::Missing
        };
    };
    if compiled.offset != placed.offset {
        return FieldMatch::Moved {
            offset: compiled.offset,
        };
    }
    let same_type = compiled.member.bits.is_none()
        && compiled.member.size == placed.size
        && (reserved || compiled.member.ty.spec_key() == spec_key(&field.ty, target));
    let why = if same_type && !reserved {
        nested_difference(spec, &field.ty, &compiled.member.ty, layout.version, target)
    } else {
        None
    };
    if same_type && why.is_none() {
        FieldMatch::Same
    } else {
        FieldMatch::Retyped {
            c_type: compiled.member.ty.c_name.clone(),
            size: compiled.member.size,
            why,
        }
    }
}

/// Compares `compiled` (the layout of `c_name` in `file`, built for
/// `target`) with every version of the spec struct `struct_index`.
///
/// The binary implements the newest version whose every field it has at
/// the same place, with the same size and type. Findings are judged
/// against that version (or, when it implements none, against the version
/// it is closest to: the fewest differences, the newer on a tie), never
/// against a newer one: a binary built for version 2 has, where version 3
/// claims reserved bytes, reserved bytes of its own. A field newer than that
/// version is judged only when the binary has it by name (a half-done
/// upgrade).
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
    let layouts: Vec<&Layout> = spec
        .versions()
        .filter_map(|v| spec.layout(struct_index, target, v))
        .collect();
    let differences = |l: &Layout| {
        l.fields
            .iter()
            .filter(|p| {
                !matches!(
                    match_field(spec, l, p.index, &flat, target),
                    FieldMatch::Same
                )
            })
            .count()
    };
    let implements = layouts
        .iter()
        .rev()
        .find(|l| differences(l) == 0)
        .map(|l| l.version);
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
    let Some(base) = layouts.iter().rev().min_by_key(|l| differences(l)).copied() else {
        return verdict;
    };
    let newest = layouts.last().copied().unwrap_or(base);
    let here = format!("{file} ({target}): `{c_name}`");
    let findings = &mut verdict.findings;
    for placed in &newest.fields {
        let field = &def.fields[placed.index];
        // Judged where the base version has it; a newer field only where the
        // binary names it.
        let (judged, in_base) = match base.field(placed.index) {
            Some(at_base) => (at_base, !at_base.placeholder),
            None => (placed, false),
        };
        let layout = if in_base || judged.placeholder {
            base
        } else {
            newest
        };
        let finding = match match_field(spec, layout, placed.index, &flat, target) {
            FieldMatch::Same => None,
            FieldMatch::Missing if in_base => Some(Finding::new(
                Rule::FIELD_REMOVED,
                format!(
                    "{here} has no field `{}`, which version {} has at offset {}",
                    field.name, base.version, judged.offset
                ),
            )),
            FieldMatch::Missing => None,
            FieldMatch::Moved { offset } => Some(Finding::new(
                Rule::FIELD_MOVED,
                format!(
                    "{here} has `{}` at offset {offset}; the spec puts it at {}",
                    field.name, judged.offset
                ),
            )),
            FieldMatch::Retyped {
                c_type,
                size,
                why: None,
            } => Some(Finding::new(
                Rule::FIELD_RETYPED,
                format!(
                    "{here} has `{}` as `{c_type}` ({size} bytes); the spec says `{}` ({} bytes)",
                    field.name, field.ty, judged.size
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
    for m in &flat {
        let Some(name) = m.member.name.as_deref() else {
            continue;
        };
        if def.field(name).is_none() {
            findings.push(
                Finding::new(
                    Rule::FIELD_ADDED,
                    format!(
                        "{here} has a field `{name}` (`{}`, offset {}, {} bytes) that the spec does not describe",
                        m.member.ty.c_name, m.offset, m.member.size
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
