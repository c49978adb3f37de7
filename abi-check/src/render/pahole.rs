//! pahole-style listing: one line per field with offset and size, holes
//! and padding called out, a size/align footer.

use std::fmt::Write as _;

use abi_spec::layout::FieldLayout;
use abi_spec::{Layout, Spec};

/// Renders one layout. `targets` labels the listing (several targets share
/// one listing when their layouts are equal).
pub fn layout_text(spec: &Spec, layout: &Layout, targets: &str) -> String {
    let def = &spec.structs[layout.struct_index];
    let mut out = String::new();
    let _ = writeln!(out, "/* {targets}, version {} */", layout.version);
    let _ = writeln!(out, "{} {} {{", def.kind.keyword(), def.name);
    let mut holes = layout.holes.iter().filter(|h| !h.tail).peekable();
    let mut sum_members = 0u64;
    for placed in &layout.fields {
        sum_members += placed.size;
        members(spec, layout, placed, 0, 1, &mut out);
        while let Some(hole) = holes.next_if(|h| h.offset == placed.end()) {
            let _ = writeln!(
                out,
                "\n\t/* XXX {} byte{} hole, try to pack */\n",
                hole.size,
                plural(hole.size)
            );
        }
    }
    let hole_count = layout.holes.iter().filter(|h| !h.tail).count();
    let hole_bytes: u64 = layout
        .holes
        .iter()
        .filter(|h| !h.tail)
        .map(|h| h.size)
        .sum();
    let padding: u64 = layout.holes.iter().filter(|h| h.tail).map(|h| h.size).sum();
    let cachelines = layout.size.div_ceil(64);
    out.push('\n');
    let _ = writeln!(
        out,
        "\t/* size: {}, cachelines: {cachelines}, members: {} */",
        layout.size,
        layout.fields.len()
    );
    if hole_count > 0 {
        let _ = writeln!(
            out,
            "\t/* sum members: {sum_members}, holes: {hole_count}, sum holes: {hole_bytes} */"
        );
    }
    if padding > 0 {
        let _ = writeln!(out, "\t/* padding: {padding} */");
    }
    let _ = writeln!(
        out,
        "\t/* feature_size: {}, align: {} */",
        layout.feature_size, layout.align
    );
    let last = layout.size % 64;
    if layout.size > 0 && last != 0 && cachelines > 1 {
        let _ = writeln!(out, "\t/* last cacheline: {last} bytes */");
    }
    let mut attributes = Vec::new();
    if def.packed {
        attributes.push("__packed__".to_string());
    }
    if let Some(align) = def.align {
        attributes.push(format!("__aligned__({align})"));
    }
    if attributes.is_empty() {
        out.push_str("};\n");
    } else {
        let _ = writeln!(out, "}} __attribute__(({}));", attributes.join(", "));
    }
    out
}

/// One member's line, at `base` bytes from the start of the outermost
/// struct, indented `depth` tabs: a bitfield as `name:bits` with its first
/// bit (`offset:bit` as pahole writes it), an anonymous struct or union
/// opened inline, its members at their offsets in the outermost struct.
fn members(
    spec: &Spec,
    layout: &Layout,
    placed: &FieldLayout,
    base: u64,
    depth: usize,
    out: &mut String,
) {
    let f = super::field(spec, layout, placed);
    let indent = "\t".repeat(depth);
    if f.is_anonymous_member() {
        let inner =
            f.ty.struct_name()
                .and_then(|n| spec.struct_index(n))
                .and_then(|i| spec.layout(i, layout.target, layout.version));
        if let Some(inner) = inner {
            let def = &spec.structs[inner.struct_index];
            let _ = writeln!(
                out,
                "{indent}{} {{{:>38}/* {} */",
                def.kind.keyword(),
                "",
                f.name
            );
            for nested in &inner.fields {
                members(spec, inner, nested, base + placed.offset, depth + 1, out);
            }
            let _ = writeln!(
                out,
                "{indent}}};{:>42}/* {:>5} {:>5} */ v{}",
                "",
                base + placed.offset,
                placed.size,
                f.since
            );
            return;
        }
    }
    let shown_name = match (f.unnamed, f.bits) {
        (true, Some(bits)) => format!(":{bits}"),
        (false, Some(bits)) => format!("{}:{bits}", f.name),
        _ => f.name.clone(),
    };
    let name = match f.align {
        Some(align) => format!("{shown_name} __attribute__((aligned({align})));"),
        None => format!("{shown_name};"),
    };
    let decl = format!("{:<15} {name}", f.ty.to_string());
    let mut notes = vec![format!("v{}", f.since)];
    if let Some(feature) = &f.feature {
        notes.push(format!("feature {feature}"));
    }
    if let Some(note) = super::reserved_note(f, placed) {
        notes.push(note);
    }
    let offset = base + placed.offset;
    let place = match placed.bits {
        Some(bits) => format!("{offset}:{:>2}", bits.offset % 8),
        None => offset.to_string(),
    };
    let width = 48usize.saturating_sub(8 * (depth - 1));
    let _ = writeln!(
        out,
        "{indent}{decl:<width$} /* {place:>5} {:>5} */ {}",
        placed.size,
        notes.join(", ")
    );
}

fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
