//! A reference page per struct and version, for docs.

use std::fmt::Write as _;

use abi_spec::{Layout, Spec};

/// Escapes text for a Markdown table cell.
fn cell(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace('\n', " ")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Renders one layout as a Markdown section. `targets` names the targets
/// the layout holds for.
pub fn layout_markdown(spec: &Spec, layout: &Layout, targets: &str) -> String {
    let def = &spec.structs[layout.struct_index];
    let mut out = String::new();
    let _ = writeln!(
        out,
        "## `{} {}`, version {}\n",
        def.kind.keyword(),
        def.name,
        layout.version
    );
    if let Some(doc) = &def.doc {
        let _ = writeln!(out, "{}\n", prose(doc));
    }
    let _ = writeln!(
        out,
        "Targets: {targets}. Size **{}**, feature size **{}**, alignment **{}**.\n",
        layout.size, layout.feature_size, layout.align
    );
    out.push_str("| Offset | Size | Align | Field | Type | Since | Feature | Writer | Notes |\n");
    out.push_str("|---:|---:|---:|---|---|---:|---|---|---|\n");
    let mut rows: Vec<(u64, String)> = Vec::new();
    for placed in &layout.fields {
        let f = super::field(spec, layout, placed);
        let mut notes = Vec::new();
        if let Some(note) = super::reserved_note(f, placed) {
            notes.push(note);
        }
        if let Some(doc) = &f.doc {
            notes.push(cell(doc.trim()));
        }
        rows.push((
            placed.offset,
            format!(
                "| {} | {} | {} | `{}` | `{}` | {} | {} | {} | {} |\n",
                placed.offset,
                placed.size,
                placed.align,
                f.name,
                f.ty,
                f.since,
                f.feature
                    .as_deref()
                    .map(|x| format!("`{x}`"))
                    .unwrap_or_default(),
                f.writer.name(),
                notes.join("; ")
            ),
        ));
    }
    for hole in &layout.holes {
        let what = if hole.tail { "tail padding" } else { "hole" };
        rows.push((
            hole.offset,
            format!(
                "| {} | {} | | *{what}* | | | | | implicit: never written |\n",
                hole.offset, hole.size
            ),
        ));
    }
    rows.sort_by_key(|(offset, _)| *offset);
    for (_, row) in rows {
        out.push_str(&row);
    }
    out.push('\n');

    // How a length selects this version, and what the holes cost.
    let _ = writeln!(
        out,
        "A caller that knows version {} announces **{}** bytes: every field that ends there or before is within reach.",
        layout.version, layout.feature_size
    );
    let hole_bytes: u64 = layout.holes.iter().map(|h| h.size).sum();
    if hole_bytes == 0 {
        out.push_str("No implicit padding: every byte is named.\n");
    } else {
        let _ = writeln!(
            out,
            "**{hole_bytes}** bytes of implicit padding that no field names (IMPLICIT_PADDING): they can leak kernel memory unless zeroed.",
        );
    }

    // The feature bits that gate fields of this version.
    let mut features: Vec<&abi_spec::Feature> = Vec::new();
    for placed in layout.fields.iter().filter(|p| !p.placeholder) {
        let f = super::field(spec, layout, placed);
        if let Some(feature) = f.feature.as_deref().and_then(|n| spec.feature(n)) {
            if !features.iter().any(|x| x.name == feature.name) {
                features.push(feature);
            }
        }
    }
    if !features.is_empty() {
        out.push_str("\n| Feature | Word | Bit | Since | Meaning |\n|---|---:|---:|---:|---|\n");
        for feature in features {
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {} | {} |",
                feature.name,
                feature.word(),
                feature.position(),
                feature.since,
                feature
                    .doc
                    .as_deref()
                    .map(|d| cell(d.trim()))
                    .unwrap_or_default()
            );
        }
    }
    out.push('\n');
    out
}

/// Spec prose as a Markdown paragraph: line breaks kept as spaces, and no
/// HTML (the page may be rendered where raw HTML is live).
fn prose(text: &str) -> String {
    text.trim()
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}
