//! The JSON shape of a layout, as the contract fixes it.

use abi_spec::{Layout, Spec};
use serde_json::{json, Value};

/// One entry of `layouts`.
pub fn layout_json(spec: &Spec, layout: &Layout) -> Value {
    let def = &spec.structs[layout.struct_index];
    let fields: Vec<Value> = layout
        .fields
        .iter()
        .map(|placed| {
            let f = super::field(spec, layout, placed);
            json!({
                "name": f.name,
                "type": f.ty.to_string(),
                "offset": placed.offset,
                "size": placed.size,
                "align": placed.align,
                "since": f.since,
                "feature": f.feature,
                "writer": f.writer.name(),
                "reserved": f.reserved || placed.placeholder,
                "placeholder": placed.placeholder,
            })
        })
        .collect();
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
