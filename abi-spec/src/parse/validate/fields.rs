//! `[[struct.field]]`: unique names, types (flexible arrays last, struct
//! names known), versions (`since` appended in order, `was_reserved` older
//! than `since`), features that exist by then, alignment and writer.

use std::collections::HashSet;

use crate::parse::raw::Spanned;

use super::values::{alignment, identifier, since, version_value, writer};
use crate::model::{Abi, Feature, Field, StructKind, Type, Writer};
use crate::parse::ctxt::{shown, Ctxt};
use crate::parse::raw::{span, RawStruct, WasReserved};
use crate::parse::types::{parse_type, type_help};
use crate::suggest;
use crate::types::Scalar;

/// Checks the fields of one struct; the fields returned are those whose name
/// and type passed.
pub(super) fn validate(
    cx: &mut Ctxt,
    r: &RawStruct,
    kind: StructKind,
    default_writer: Writer,
    abi: Option<&Abi>,
    features: &[Feature],
    struct_names: &HashSet<&str>,
) -> Vec<Field> {
    let first = abi.map_or(0, |a| a.first_version);
    let mut fields: Vec<Field> = Vec::new();
    let mut names = HashSet::new();
    // The newest `since` among fields that are neither reserved nor were
    // reserved, and the field that set it.
    let mut newest: Option<(u32, String)> = None;
    let count = r.field.len();
    for (index, f) in r.field.iter().enumerate() {
        let fr = f.get_ref();
        let name_ok = identifier(cx, "field", &fr.name);
        if name_ok && !names.insert(fr.name.get_ref().as_str()) {
            cx.error(
                format!(
                    "field `{}` appears twice in struct `{}`",
                    fr.name.get_ref(),
                    r.name.get_ref()
                ),
                span(&fr.name),
                "field names are unique within a struct",
            );
        }
        let ty = match parse_type(fr.ty.get_ref()) {
            Ok(ty) => Some(ty),
            Err(e) => {
                cx.error(e.to_string(), span(&fr.ty), type_help());
                None
            }
        };
        if let Some(ty) = &ty {
            if let Some(name) = ty.struct_name() {
                if !struct_names.contains(name) {
                    let known = struct_names
                        .iter()
                        .copied()
                        .chain(Scalar::ALL.map(Scalar::name));
                    cx.error(
                        format!("unknown type `{name}`"),
                        span(&fr.ty),
                        c_spelling(name)
                            .map(|s| {
                                format!("did you mean `{s}`? spec types are spelled as in Rust")
                            })
                            .or_else(|| suggest::did_you_mean(name, known))
                            .unwrap_or_else(|| {
                                format!(
                                    "it is neither a built-in type nor a struct of this spec; {}",
                                    type_help()
                                )
                            }),
                    );
                }
            }
            if ty.is_flexible() {
                if kind == StructKind::Union {
                    cx.error(
                        "a union cannot have a flexible array member",
                        span(&fr.ty),
                        "give the array a length",
                    );
                } else if count == 1 {
                    cx.error(
                        "a flexible array cannot be a struct's only field",
                        span(&fr.ty),
                        "C requires a named member before it: add the field that holds the count",
                    );
                } else if index + 1 != count {
                    cx.error(
                        "a flexible array member must be the last field",
                        span(&fr.ty),
                        "move it to the end of the struct, or give it a length",
                    );
                }
            }
        }
        let bits = fr
            .bits
            .as_ref()
            .and_then(|b| bitfield_width(cx, b, ty.as_ref()));
        let unnamed = fr.unnamed.as_ref().is_some_and(|u| *u.get_ref());
        if let (true, Some(u)) = (unnamed, &fr.unnamed) {
            let anonymous_member = matches!(ty, Some(Type::Struct(_)));
            if bits.is_none() && fr.bits.is_none() && !anonymous_member && ty.is_some() {
                cx.error(
                    "only a bitfield or a struct or union member can be unnamed",
                    span(u),
                    "`unnamed = true` is for padding bits (`bits = N`) and for C11 anonymous structs and unions",
                );
            }
            if anonymous_member && fr.reserved {
                cx.error(
                    "an anonymous struct or union member cannot be reserved",
                    span(u),
                    "its members are the enclosing struct's: reserve them one by one",
                );
            }
        }
        if bits == Some(0) && !unnamed {
            if let Some(b) = &fr.bits {
                cx.error(
                    "a zero-width bitfield must be unnamed",
                    span(b),
                    "add `unnamed = true`: `bits = 0` aligns the next bitfield to its type, it holds nothing",
                );
            }
        }
        // Unnamed padding bits are reserved: no code can set them.
        let reserved = fr.reserved || (unnamed && fr.bits.is_some());
        let (since, since_span) = since(cx, &fr.since, span(&fr.name), abi);
        let align = fr.align.as_ref().and_then(|a| alignment(cx, a));
        let writer = fr
            .writer
            .as_ref()
            .and_then(|w| writer(cx, w))
            .unwrap_or(default_writer);
        let was_reserved = match fr.was_reserved.as_ref().map(|w| (w, w.get_ref())) {
            None | Some((_, WasReserved::Always(false))) => None,
            Some((w, value)) => {
                let from = match value {
                    WasReserved::Always(_) => Some(first),
                    WasReserved::Since(v) => {
                        version_value(cx, "was_reserved", &Spanned::new(w.span(), *v))
                    }
                };
                match from {
                    Some(from) if reserved => {
                        let _ = from;
                        cx.error(
                            "a reserved field cannot also have `was_reserved`",
                            span(w),
                            "`was_reserved` belongs on the field that claimed the bytes",
                        );
                        None
                    }
                    Some(from) if from >= since => {
                        cx.error(
                            format!("was_reserved {from} is not older than since {since}"),
                            span(w),
                            "`was_reserved` names the version from which the bytes were reserved, before the field claimed them",
                        );
                        None
                    }
                    Some(from) if from < first => {
                        cx.error(
                            format!("was_reserved {from} is older than the first version {first}"),
                            span(w),
                            "use `true` to mean from the first version",
                        );
                        None
                    }
                    other => other,
                }
            }
        };
        if let Some(feature) = &fr.feature {
            if reserved {
                cx.error(
                    "a reserved field cannot have a feature",
                    span(feature),
                    "reserved bytes are never switched on; remove `feature` or `reserved`",
                );
            }
            match features.iter().find(|x| x.name == *feature.get_ref()) {
                None => cx.error(
                    format!("unknown feature `{}`", shown(feature.get_ref())),
                    span(feature),
                    if features.is_empty() {
                        "this ABI defines no [[feature]]: add one, or remove `feature`".to_string()
                    } else if let Some(hint) = suggest::did_you_mean(
                        feature.get_ref(),
                        features.iter().map(|x| x.name.as_str()),
                    ) {
                        hint
                    } else {
                        format!(
                            "known features: {}",
                            features
                                .iter()
                                .map(|x| x.name.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    },
                ),
                Some(x) if x.since > since => cx.error(
                    format!(
                        "feature `{}` appears in version {}, after this field (since {since})",
                        x.name, x.since
                    ),
                    span(feature),
                    "a field cannot be gated by a feature that did not exist yet",
                ),
                Some(_) => {}
            }
        }
        if !reserved && was_reserved.is_none() && fr.was_reserved.is_none() {
            if let Some((newest_since, newest_name)) = &newest {
                if since < *newest_since {
                    // Without `since` a field counts from the first
                    // version: what is missing is the key, not the order.
                    let name = fr.name.get_ref();
                    let (message, help) = if fr.since.is_none() {
                        (
                            format!(
                                "field `{name}` has no `since`, so it counts from version {since}, but comes after `{newest_name}` (since {newest_since})"
                            ),
                            format!(
                                "add `since = N` to `{name}`, N the version that introduced it ({newest_since} or later); a field of version {since} belongs before `{newest_name}`"
                            ),
                        )
                    } else {
                        (
                            format!(
                                "field `{name}` (since {since}) comes after `{newest_name}` (since {newest_since})"
                            ),
                            "new fields are appended: move this field before the newer ones, or mark claimed bytes with `was_reserved`".to_string(),
                        )
                    };
                    cx.error(message, since_span, help);
                }
            }
            if newest.as_ref().is_none_or(|(s, _)| since >= *s) {
                newest = Some((since, fr.name.get_ref().clone()));
            }
        }
        if let (true, Some(ty)) = (name_ok, ty) {
            fields.push(Field {
                name: fr.name.get_ref().clone(),
                ty,
                since,
                feature: fr.feature.as_ref().map(|f| f.get_ref().clone()),
                align,
                reserved,
                was_reserved,
                writer,
                bits,
                unnamed,
                doc: fr.doc.clone(),
                span: span(f),
                name_span: span(&fr.name),
                type_span: span(&fr.ty),
                since_span,
            });
        }
    }
    fields
}

/// A bitfield's width: from 0 to the width of its type, which must be a
/// fixed-size integer (or `char`); records an error otherwise.
fn bitfield_width(cx: &mut Ctxt, bits: &Spanned<i64>, ty: Option<&Type>) -> Option<u32> {
    let ty = ty?;
    let width = match ty {
        Type::Scalar(s) => s.fixed_bits(),
        _ => None,
    };
    let Some(width) = width else {
        cx.error(
            format!("a bitfield of type `{ty}`"),
            span(bits),
            "a bitfield's type is a fixed-size integer: u8, u16, u32, u64, i8, i16, i32, i64 or char",
        );
        return None;
    };
    match u32::try_from(*bits.get_ref()) {
        Ok(b) if b <= width => Some(b),
        _ => {
            cx.error(
                format!("bits = {} does not fit in a `{ty}`", bits.get_ref()),
                span(bits),
                format!("a bitfield of `{ty}` is from 0 to {width} bits wide"),
            );
            None
        }
    }
}

/// The spec's name of a scalar that a C header spells `uint32_t` or
/// `__u32` (or `float`, `double`): the first spelling people try.
fn c_spelling(name: &str) -> Option<&'static str> {
    let bits = |digits: &str| ["8", "16", "32", "64"].iter().position(|b| *b == digits);
    let unsigned = ["u8", "u16", "u32", "u64"];
    let signed = ["i8", "i16", "i32", "i64"];
    if let Some(n) = name
        .strip_prefix("uint")
        .and_then(|r| r.strip_suffix("_t"))
        .or_else(|| name.strip_prefix("__u"))
    {
        return bits(n).map(|i| unsigned[i]);
    }
    if let Some(n) = name
        .strip_prefix("int")
        .and_then(|r| r.strip_suffix("_t"))
        .or_else(|| name.strip_prefix("__s"))
    {
        return bits(n).map(|i| signed[i]);
    }
    match name {
        "float" => Some("f32"),
        "double" => Some("f64"),
        _ => None,
    }
}
