//! Renderings of layouts: pahole-style text, JSON, Markdown.

pub mod json;
pub mod markdown;
pub mod pahole;
pub mod report_markdown;
pub mod svg;

use abi_spec::layout::FieldLayout;
use abi_spec::{Field, Layout, Spec};

/// The field of the spec a field layout places.
pub fn field<'s>(spec: &'s Spec, layout: &Layout, placed: &FieldLayout) -> &'s Field {
    &spec.structs[layout.struct_index].fields[placed.index]
}

/// What a field is in this version, for notes: `reserved`, `reserved until
/// vN` (a placeholder), or nothing.
pub fn reserved_note(field: &Field, placed: &FieldLayout) -> Option<String> {
    if placed.placeholder {
        Some(format!("reserved until v{}", field.since))
    } else if field.reserved {
        Some("reserved".to_string())
    } else {
        field
            .was_reserved
            .map(|w| format!("reserved v{w}..v{}", field.since))
    }
}
