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
