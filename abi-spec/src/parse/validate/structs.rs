//! `[[struct]]`: unique names, kind, alignment, writer, size macros, at
//! most [`MAX_FIELDS`] fields (none is an empty struct, size 0 as GNU C
//! lays it out); the fields themselves are `fields.rs`'s.

use std::collections::HashSet;

use super::fields;
use super::values::{alignment, c_prefix, identifier, writer};
use crate::limits::{MAX_FIELDS, MAX_STRUCTS};
use crate::model::{Abi, Feature, StructDef, StructKind};
use crate::parse::ctxt::{shown, Ctxt};
use crate::parse::raw::{span, RawSpec};

/// Checks every `[[struct]]` and its fields; the structs returned are those
/// whose name passed.
pub(super) fn validate(
    cx: &mut Ctxt,
    raw: &RawSpec,
    abi: Option<&Abi>,
    features: &[Feature],
) -> Vec<StructDef> {
    if raw.structs.len() > MAX_STRUCTS {
        cx.error(
            format!("{} structs are defined", raw.structs.len()),
            span(&raw.structs[MAX_STRUCTS]),
            format!("a spec may define at most {MAX_STRUCTS} structs"),
        );
        return Vec::new();
    }
    if raw.structs.is_empty() {
        cx.error(
            "the spec defines no struct",
            span(&raw.abi),
            "add a [[struct]] table",
        );
    }
    let struct_names: HashSet<&str> = raw
        .structs
        .iter()
        .map(|s| s.get_ref().name.get_ref().as_str())
        .collect();
    let mut seen = HashSet::new();
    let mut structs = Vec::new();
    for s in &raw.structs {
        let r = s.get_ref();
        let name_ok = identifier(cx, "struct", &r.name);
        if name_ok && !seen.insert(r.name.get_ref().as_str()) {
            cx.error(
                format!("struct `{}` is defined twice", r.name.get_ref()),
                span(&r.name),
                "struct names are unique",
            );
        }
        let kind = match r.kind.as_ref().map(|k| (k, k.get_ref().as_str())) {
            None | Some((_, "struct")) => StructKind::Struct,
            Some((_, "union")) => StructKind::Union,
            Some((k, other)) => {
                cx.error(
                    format!("unknown kind `{}`", shown(other)),
                    span(k),
                    "kind is `struct` or `union`",
                );
                StructKind::Struct
            }
        };
        let align = r.align.as_ref().and_then(|a| alignment(cx, a));
        let writer = r
            .writer
            .as_ref()
            .and_then(|w| writer(cx, w))
            .unwrap_or_default();
        if r.field.len() > MAX_FIELDS {
            cx.error(
                format!("struct `{}` has {} fields", r.name.get_ref(), r.field.len()),
                span(&r.name),
                format!("a struct may have at most {MAX_FIELDS} fields"),
            );
            continue;
        }
        let fields = fields::validate(cx, r, kind, writer, abi, features, &struct_names);
        let size_macro = r
            .size_macro
            .as_ref()
            .filter(|p| c_prefix(cx, "size_macro", p))
            .map(|p| p.get_ref().clone());
        if name_ok {
            structs.push(StructDef {
                name: r.name.get_ref().clone(),
                kind,
                align,
                packed: r.packed,
                writer,
                size_macro,
                doc: r.doc.clone(),
                fields,
                span: span(s),
                name_span: span(&r.name),
            });
        }
    }
    structs
}
