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
        let _ = writeln!(out, "{}\n", doc.trim());
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
    out
}
