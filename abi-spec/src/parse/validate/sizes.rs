//! The sizes of a spec that passed every other check: a struct whose size
//! overflows on some target is refused here, at the field that overflows.

use crate::layout;
use crate::limits::MAX_OBJECT_SIZE;
use crate::model::Spec;
use crate::parse::ctxt::Ctxt;
use crate::target::Target;

/// Lays every struct out at the newest version on one target of each
/// layout class, so that sizes that overflow are refused here, with the
/// field that overflows. Older versions need no pass of their own: their
/// fields are a subsequence of the newest ones (placeholders keep size
/// and alignment), so every offset and size is at most the newest one's.
pub(super) fn layouts(cx: &mut Ctxt, spec: &Spec) {
    for class in layout::classes(&Target::ALL) {
        let target = class.rep;
        if let Err(e) = layout::layout_all(spec, target, spec.abi.version) {
            let def = &spec.structs[e.struct_index];
            let span = e
                .field_index
                .map_or(def.name_span, |f| def.fields[f].type_span);
            cx.error(
                format!(
                    "struct `{}` cannot be laid out on {target}: {}",
                    def.name, e.message
                ),
                span,
                format!("C objects are limited to {MAX_OBJECT_SIZE} bytes on 32-bit targets"),
            );
            return;
        }
    }
}

/// A declared constant whose C name is one of the size macros the
/// generators write (`OPEN_HOW_SIZE_VER0`, `TLABI_AREA_FEATURE_SIZE_VER1`)
/// stands for that size: it must equal the layout's on every target the
/// spec promises. Refused here, at the constant, so that `check` says what
/// `header` and `rust` would otherwise refuse or compile into a failing
/// assertion.
pub(super) fn size_constants(cx: &mut Ctxt, spec: &Spec) {
    use crate::codegen::cnames::CNames;
    use std::collections::HashMap;

    let names = CNames::new(spec);
    let declared: HashMap<String, &crate::model::Constant> = spec
        .constants
        .iter()
        .map(|c| (names.constant(c), c))
        .filter(|(name, _)| name.contains("SIZE_VER"))
        .collect();
    if declared.is_empty() {
        return;
    }
    let classes = layout::classes(&spec.abi.targets);
    /// A declared constant that disagrees: what its name stands for, and
    /// the layout's value per class.
    struct Wrong<'s> {
        constant: &'s crate::model::Constant,
        what: String,
        values: Vec<(Target, u64)>,
    }
    let mut wrong: Vec<Wrong<'_>> = Vec::new();
    for (index, def) in spec.structs.iter().enumerate() {
        for class in &classes {
            let t = class.rep;
            let mut named: Vec<(String, u64, String)> = Vec::new();
            for m in names.size_macros(index, t) {
                if let Some(l) = spec.sizes(index, t, m.version) {
                    let what = format!("the size of `{}` in version {}", def.name, m.version);
                    named.push((m.name, l.size, what));
                }
            }
            for version in spec.versions() {
                let Some(l) = spec.sizes(index, t, version) else {
                    continue;
                };
                if def.size_macro.is_none() {
                    let what = format!("the size of `{}` in version {version}", def.name);
                    named.push((names.size(def, version), l.size, what));
                }
                let what = format!("the feature size of `{}` in version {version}", def.name);
                named.push((names.feature_size(def, version), l.feature_size, what));
            }
            for (name, value, what) in named {
                let Some(&c) = declared.get(&name) else {
                    continue;
                };
                if u64::try_from(c.value).ok() == Some(value) {
                    continue;
                }
                match wrong
                    .iter_mut()
                    .find(|w| std::ptr::eq(w.constant, c) && w.what == what)
                {
                    Some(w) => w.values.push((t, value)),
                    None => wrong.push(Wrong {
                        constant: c,
                        what,
                        values: vec![(t, value)],
                    }),
                }
            }
        }
    }
    for Wrong {
        constant: c,
        what,
        values,
    } in wrong
    {
        let on: Vec<String> = if values.windows(2).all(|w| w[0].1 == w[1].1) {
            vec![values[0].1.to_string()]
        } else {
            values
                .iter()
                .map(|(t, v)| format!("{v} on {t} (and the targets laid out alike)"))
                .collect()
        };
        cx.error(
            format!(
                "constant `{}` = {} has the C name of {what}, which is {}",
                names.constant(c),
                c.value,
                on.join(", ")
            ),
            c.span,
            "give it the layout's value, or another name (`c_name`)",
        );
    }
}
