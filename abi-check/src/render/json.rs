//! The JSON shape of a layout, as the contract fixes it.

use abi_spec::{Layout, Spec};
use serde_json::{json, Value};

/// The fields of a layout, offsets from `base` bytes into the outermost
/// struct: a bitfield with its `bits` (first bit in allocation order from
/// the outermost struct's start, and width), an anonymous member with its
/// own `members`.
fn fields_json(spec: &Spec, layout: &Layout, base: u64) -> Vec<Value> {
    layout
        .fields
        .iter()
        .map(|placed| {
            let f = super::field(spec, layout, placed);
            let mut value = json!({
                "name": f.name,
                "type": f.ty.to_string(),
                "offset": base + placed.offset,
                "size": placed.size,
                "align": placed.align,
                "since": f.since,
                "feature": f.feature,
                "writer": f.writer.name(),
                "reserved": f.reserved || placed.placeholder,
                "placeholder": placed.placeholder,
            });
            if let Some(bits) = placed.bits {
                value["bits"] = json!({"offset": base * 8 + bits.offset, "width": bits.width});
            }
            if f.unnamed {
                value["unnamed"] = Value::Bool(true);
            }
            if f.is_anonymous_member() {
                let inner =
                    f.ty.struct_name()
                        .and_then(|n| spec.struct_index(n))
                        .and_then(|i| spec.layout(i, layout.target, layout.version));
                if let Some(inner) = inner {
                    value["members"] = Value::Array(fields_json(spec, inner, base + placed.offset));
                }
            }
            value
        })
        .collect()
}

/// One entry of `layouts`.
pub fn layout_json(spec: &Spec, layout: &Layout) -> Value {
    let def = &spec.structs[layout.struct_index];
    let fields = fields_json(spec, layout, 0);
    let holes: Vec<Value> = layout
        .holes
        .iter()
        .map(|h| json!({"offset": h.offset, "size": h.size, "kind": if h.tail { "padding" } else { "hole" }}))
        .collect();
    json!({
        "struct": def.name,
        "kind": def.kind.keyword(),
        "target": layout.target.name(),
        "version": layout.version,
        "size": layout.size,
        "feature_size": layout.feature_size,
        "align": layout.align,
        "fields": fields,
        "holes": holes,
    })
}
