//! `[[flags]]`: sets of named values (`CLONE_*`, `RESOLVE_*`), each with a
//! type, a kind (bits that combine, or enumerated values), a C prefix, and
//! values with `since` that fit the type, unique in their set by name and
//! by value (a retired value keeps its value from being given again).

use std::collections::{HashMap, HashSet};

use super::values::{c_prefix, identifier, since};
use crate::limits::MAX_CONSTANTS;
use crate::model::{Abi, FlagKind, FlagSet, FlagValue, StructDef};
use crate::parse::ctxt::{shown, Ctxt};
use crate::parse::raw::{span, RawFlagValue, RawSpec};
use crate::types::Scalar;

/// Checks every `[[flags]]`; the sets returned are those whose name and
/// type passed.
pub(super) fn validate(
    cx: &mut Ctxt,
    raw: &RawSpec,
    abi: Option<&Abi>,
    structs: &[StructDef],
) -> Vec<FlagSet> {
    let total: usize = raw.flags.iter().map(|f| f.get_ref().value.len()).sum();
    if total > MAX_CONSTANTS {
        cx.error(
            format!("{total} flag values are defined"),
            span(&raw.flags[0]),
            format!("a spec may define at most {MAX_CONSTANTS} flag values"),
        );
        return Vec::new();
    }
    let mut names = HashSet::new();
    let mut sets = Vec::new();
    for f in &raw.flags {
        let r = f.get_ref();
        let name_ok = identifier(cx, "flag set", &r.name);
        let name = r.name.get_ref();
        if name_ok && !names.insert(name.as_str()) {
            cx.error(
                format!("flag set `{name}` is defined twice"),
                span(&r.name),
                "flag set names are unique",
            );
        }
        if name_ok && structs.iter().any(|s| s.name == *name) {
            cx.error(
                format!("flag set `{name}` has the name of a struct"),
                span(&r.name),
                "flag sets and structs become Rust types of one namespace",
            );
        }
        let ty = match &r.ty {
            None => Some(Scalar::U64),
            Some(t) => match Scalar::from_name(t.get_ref()) {
                Some(s) if s.integer_range().is_some() => Some(s),
                _ => {
                    cx.error(
                        format!(
                            "flag type `{}` is not a fixed-size integer",
                            shown(t.get_ref())
                        ),
                        span(t),
                        "use u8, u16, u32, u64, i8, i16, i32 or i64",
                    );
                    None
                }
            },
        };
        let kind = match r.kind.as_ref().map(|k| (k, k.get_ref().as_str())) {
            None | Some((_, "bits")) => FlagKind::Bits,
            Some((_, "enum")) => FlagKind::Enum,
            Some((k, other)) => {
                cx.error(
                    format!("unknown flag kind `{}`", shown(other)),
                    span(k),
                    "kind is `bits` (values that combine) or `enum` (one value at a time)",
                );
                FlagKind::Bits
            }
        };
        let prefix = match &r.prefix {
            Some(p) if c_prefix(cx, "prefix", p) => p.get_ref().clone(),
            _ => String::new(),
        };
        let Some(ty) = ty else {
            continue;
        };
        let values = values(cx, &r.value, ty, &prefix, abi);
        if name_ok {
            sets.push(FlagSet {
                name: name.clone(),
                ty,
                kind,
                prefix,
                doc: r.doc.clone(),
                values,
                span: span(f),
                name_span: span(&r.name),
            });
        }
    }
    sets
}

fn values(
    cx: &mut Ctxt,
    raw: &[crate::parse::raw::Spanned<RawFlagValue>],
    ty: Scalar,
    prefix: &str,
    abi: Option<&Abi>,
) -> Vec<FlagValue> {
    let bits = ty.fixed_bits().unwrap_or(64);
    let mut names = HashSet::new();
    let mut by_value: HashMap<u64, String> = HashMap::new();
    let mut out = Vec::new();
    for v in raw {
        let r = v.get_ref();
        let name_ok = identifier(cx, "flag value", &r.name);
        let name = r.name.get_ref();
        if name_ok && !names.insert(name.as_str()) {
            cx.error(
                format!("flag value `{prefix}{name}` appears twice"),
                span(&r.name),
                "value names are unique in their set",
            );
        }
        let (value, value_span) = match (&r.value, &r.bit) {
            (Some(_), Some(b)) => {
                cx.error(
                    "a flag value has `value` or `bit`, not both",
                    span(b),
                    "`bit = N` is `value = 1 << N`",
                );
                continue;
            }
            (None, None) => {
                cx.error(
                    format!("flag value `{prefix}{name}` has no `value` or `bit`"),
                    span(&r.name),
                    "add `value = N`, or `bit = N` for `1 << N`",
                );
                continue;
            }
            (Some(value), None) => {
                let (lo, hi) = ty.integer_range().unwrap_or((i128::MIN, i128::MAX));
                let raw_value = i128::from(*value.get_ref());
                if !(lo..=hi).contains(&raw_value) {
                    cx.error(
                        format!("value {raw_value} does not fit in {ty}"),
                        span(value),
                        format!("{ty} holds {lo} to {hi}; write a bit above 62 as `bit = N`"),
                    );
                    continue;
                }
                // Two's complement in the type's width: the bits C sees.
                let mask = if bits == 64 {
                    u64::MAX
                } else {
                    (1u64 << bits) - 1
                };
                ((raw_value as i64 as u64) & mask, span(value))
            }
            (None, Some(bit)) => match u32::try_from(*bit.get_ref()) {
                Ok(b) if b < bits => (1u64 << b, span(bit)),
                _ => {
                    cx.error(
                        format!("bit {} is outside a {ty}", bit.get_ref()),
                        span(bit),
                        format!("a {ty} has bits 0 to {}", bits - 1),
                    );
                    continue;
                }
            },
        };
        if let Some(other) = by_value.get(&value) {
            cx.error(
                format!("flag value `{prefix}{name}` has the value of `{prefix}{other}`"),
                value_span,
                "one value, one name: a retired value stays in the file so it is never given again",
            );
        } else if name_ok {
            by_value.insert(value, name.clone());
        }
        let (since, _) = since(cx, &r.since, span(&r.name), abi);
        if name_ok {
            out.push(FlagValue {
                name: name.clone(),
                value,
                since,
                retired: r.retired,
                doc: r.doc.clone(),
                span: span(v),
                name_span: span(&r.name),
                value_span,
            });
        }
    }
    out
}
