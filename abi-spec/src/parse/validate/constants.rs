//! `[[constant]]`: names shared with features as C macros, values that fit
//! their type.

use std::collections::HashSet;

use super::values::c_name;
use super::values::identifier;
use crate::limits::MAX_CONSTANTS;
use crate::model::{Constant, Feature};
use crate::parse::ctxt::{shown, Ctxt};
use crate::parse::raw::{span, RawSpec};
use crate::types::Scalar;

/// Checks every `[[constant]]`; the constants returned are those that
/// passed.
pub(super) fn validate(cx: &mut Ctxt, raw: &RawSpec, features: &[Feature]) -> Vec<Constant> {
    if raw.constant.len() > MAX_CONSTANTS {
        cx.error(
            format!("{} constants are defined", raw.constant.len()),
            span(&raw.constant[MAX_CONSTANTS]),
            format!("a spec may define at most {MAX_CONSTANTS} constants"),
        );
        return Vec::new();
    }
    let mut names: HashSet<String> = features
        .iter()
        .map(|f| f.name.to_ascii_uppercase())
        .collect();
    let mut constants = Vec::new();
    for c in &raw.constant {
        let r = c.get_ref();
        let name_ok = identifier(cx, "constant", &r.name);
        if name_ok && !names.insert(r.name.get_ref().to_ascii_uppercase()) {
            cx.error(
                format!(
                    "constant `{}` has the name of another constant or feature",
                    r.name.get_ref()
                ),
                span(&r.name),
                "constants and features share one namespace of C macros (ignoring case)",
            );
        }
        let value = *r.value.get_ref();
        let ty = match &r.ty {
            None => Some(if value < 0 { Scalar::I64 } else { Scalar::U64 }),
            Some(t) => match Scalar::from_name(t.get_ref()) {
                Some(s) if s.integer_range().is_some() => Some(s),
                _ => {
                    cx.error(
                        format!(
                            "constant type `{}` is not a fixed-size integer",
                            shown(t.get_ref())
                        ),
                        span(t),
                        "use u8, u16, u32, u64, i8, i16, i32 or i64",
                    );
                    None
                }
            },
        };
        if let Some(ty) = ty {
            let (lo, hi) = ty.integer_range().unwrap_or((i128::MIN, i128::MAX));
            if !(lo..=hi).contains(&i128::from(value)) {
                cx.error(
                    format!("value {value} does not fit in {ty}"),
                    span(&r.value),
                    format!("{ty} holds {lo} to {hi}"),
                );
                continue;
            }
        }
        if let (true, Some(ty)) = (name_ok, ty) {
            let c_name = r
                .c_name
                .as_ref()
                .filter(|n| c_name(cx, n))
                .map(|n| n.get_ref().clone());
            constants.push(Constant {
                name: r.name.get_ref().clone(),
                value,
                ty,
                c_name,
                doc: r.doc.clone(),
                span: span(c),
            });
        }
    }
    constants
}
