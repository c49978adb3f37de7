//! A picture of struct layouts: for each (struct, version), one bar per
//! group of targets that place the fields alike, drawn on a byte ruler.
//! Each field is a box labelled with its name, offset and size, coloured by
//! the version that added it; reserved bytes are hatched grey, implicit
//! padding hatched red (it can leak kernel memory), a flexible array member
//! is a dashed box past the fixed part. A legend closes the picture.
//!
//! Every piece of text goes through [`xml_text`]; nothing from the spec can
//! open an element or an entity.

use std::fmt::Write as _;

use abi_spec::layout::Hole;
use abi_spec::{Layout, Spec, Target, Type};

/// Canvas width in pixels.
const WIDTH: f64 = 960.0;
/// Left and right margin.
const MARGIN: f64 = 24.0;
/// Height of one bar line.
const BAR: f64 = 46.0;
/// The most bytes one bar line shows; longer structs wrap.
const MAX_BYTES_PER_LINE: u64 = 32;
/// Font stack: DejaVu is what Debian's librsvg finds; the rest for browsers.
const FONT: &str = "DejaVu Sans, Verdana, Helvetica, Arial, sans-serif";
/// Text colour.
const INK: &str = "#1d2733";

/// Fill and stroke for the n-th version of the ABI: twelve hues far enough
/// apart to tell neighbours from each other, light fills for dark text.
const PALETTE: [(&str, &str); 12] = [
    ("#cfe3f7", "#2f6fad"),
    ("#fde2c4", "#c46a12"),
    ("#d3efd0", "#3b8a35"),
    ("#e5d8f2", "#7a4fa8"),
    ("#cdeeed", "#2b8a86"),
    ("#f8d3dc", "#b5405e"),
    ("#f6edc0", "#9a7d12"),
    ("#eadbd0", "#7d5a3f"),
    ("#dfe4fb", "#4656b8"),
    ("#e3f2c4", "#5f8a14"),
    ("#fbd9f2", "#a63c8c"),
    ("#d5e9f0", "#2d6f86"),
];

/// Escapes text for XML character data and attribute values. Characters
/// XML 1.0 does not allow at all (most control characters) become U+FFFD.
pub fn xml_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(' '),
            c if c.is_control() || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

fn colour(spec: &Spec, version: u32) -> (&'static str, &'static str) {
    let n = version.saturating_sub(spec.abi.first_version) as usize;
    PALETTE[n % PALETTE.len()]
}

/// Rough width of text in DejaVu Sans: librsvg has no text metrics to ask,
/// so labels are fitted by estimate, on the generous side.
fn text_width(text: &str, size: f64, bold: bool) -> f64 {
    let per_char = if bold { 0.62 } else { 0.56 };
    text.chars().count() as f64 * size * per_char
}

/// The part of a layout that the picture draws: two targets whose layouts
/// agree on it share a bar (the caption tells their alignments apart).
/// Size, feature size, (field, offset, size, placeholder) and holes.
type Shape = (u64, u64, Vec<(usize, u64, u64, bool)>, Vec<Hole>);

fn shape(layout: &Layout) -> Shape {
    (
        layout.size,
        layout.feature_size,
        layout
            .fields
            .iter()
            .map(|f| (f.index, f.offset, f.size, f.placeholder))
            .collect(),
        layout.holes.clone(),
    )
}

/// What one box on a bar stands for.
enum Piece {
    Field {
        name: String,
        detail: String,
        fill: &'static str,
        stroke: &'static str,
        hatched: bool,
        tooltip: String,
    },
    Hole {
        label: String,
    },
    Flexible {
        name: String,
        stroke: &'static str,
    },
}

struct Span {
    start: u64,
    end: u64,
    piece: Piece,
}

/// Renders every layout asked for as one SVG document.
pub fn layouts_svg(spec: &Spec, layouts: &[Layout]) -> String {
    // Sections by (struct, version) in the order asked; inside each, one
    // bar per group of targets with the same shape.
    let mut sections: Vec<(usize, u32, Vec<Vec<&Layout>>)> = Vec::new();
    for l in layouts {
        let section = match sections
            .iter_mut()
            .find(|(s, v, _)| *s == l.struct_index && *v == l.version)
        {
            Some(section) => section,
            None => {
                sections.push((l.struct_index, l.version, Vec::new()));
                let last = sections.len() - 1;
                &mut sections[last]
            }
        };
        match section.2.iter_mut().find(|g| shape(g[0]) == shape(l)) {
            Some(group) => group.push(l),
            None => section.2.push(vec![l]),
        }
    }

    let mut body = String::new();
    let mut y = 20.0;
    let mut versions_seen: Vec<u32> = Vec::new();
    let (mut any_reserved, mut any_hole, mut any_flexible) = (false, false, false);
    for (struct_index, version, groups) in &sections {
        let def = &spec.structs[*struct_index];
        y += 22.0;
        let _ = writeln!(
            body,
            r##"<text x="{MARGIN}" y="{y}" font-size="17" font-weight="bold">{} {} <tspan font-weight="normal" fill="#5b6673">· version {}</tspan></text>"##,
            def.kind.keyword(),
            xml_text(&def.name),
            version
        );
        y += 12.0;
        let drawn: Vec<Vec<Span>> = groups.iter().map(|g| spans(spec, g[0])).collect();
        // One scale per section, so the same byte lines up on every bar.
        let widest = drawn
            .iter()
            .zip(groups)
            .map(|(spans, g)| shown_end(spans, g[0]))
            .max()
            .unwrap_or(1);
        let per_line = widest.next_multiple_of(8).min(MAX_BYTES_PER_LINE);
        for (group, spans) in groups.iter().zip(&drawn) {
            let layout = group[0];
            for span in spans {
                match &span.piece {
                    Piece::Field { hatched, .. } => any_reserved |= hatched,
                    Piece::Hole { .. } => any_hole = true,
                    Piece::Flexible { .. } => any_flexible = true,
                }
            }
            for placed in &layout.fields {
                let f = &def.fields[placed.index];
                if !placed.placeholder && !f.reserved && !versions_seen.contains(&f.since) {
                    versions_seen.push(f.since);
                }
            }
            y = bar(&mut body, y, group, groups.len() == 1, spans, per_line);
        }
    }

    // Legend.
    y += 16.0;
    let mut x = MARGIN;
    let _ = writeln!(
        body,
        r##"<text x="{x}" y="{}" font-size="12" font-weight="bold">Added in</text>"##,
        y + 12.0
    );
    x += 66.0;
    versions_seen.sort_unstable();
    let swatch = |body: &mut String,
                  x: &mut f64,
                  fill: &str,
                  stroke: &str,
                  dash: bool,
                  label: &str| {
        let dash = if dash {
            r##" stroke-dasharray="4 3""##
        } else {
            ""
        };
        let _ = writeln!(
            body,
            r##"<rect x="{x}" y="{y}" width="22" height="16" rx="3" fill="{fill}" stroke="{stroke}" stroke-width="1.2"{dash}/>"##
        );
        let _ = writeln!(
            body,
            r##"<text x="{}" y="{}" font-size="12">{}</text>"##,
            *x + 28.0,
            y + 12.5,
            xml_text(label)
        );
        *x += 36.0 + text_width(label, 12.0, false);
    };
    for v in &versions_seen {
        let (fill, stroke) = colour(spec, *v);
        swatch(&mut body, &mut x, fill, stroke, false, &format!("v{v}"));
    }
    x += 12.0;
    if any_reserved {
        swatch(
            &mut body,
            &mut x,
            "url(#reserved)",
            "#7b8591",
            false,
            "reserved (must be zero)",
        );
    }
    if any_hole {
        swatch(
            &mut body,
            &mut x,
            "url(#hole)",
            "#c0392b",
            false,
            "implicit padding",
        );
    }
    if any_flexible {
        swatch(
            &mut body,
            &mut x,
            "#ffffff",
            "#5b6673",
            true,
            "flexible array",
        );
    }
    let height = y + 34.0;

    let mut out = String::new();
    let _ = writeln!(
        out,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="{FONT}" fill="{INK}">"##
    );
    let _ = writeln!(
        out,
        "<title>{} version {}: struct layouts</title>",
        xml_text(&spec.abi.name),
        spec.abi.version
    );
    out.push_str(concat!(
        "<defs>\n",
        r##"<pattern id="reserved" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="8" height="8" fill="#f1f3f5"/><line x1="0" y1="0" x2="0" y2="8" stroke="#c2c9d1" stroke-width="2.5"/></pattern>"##,
        "\n",
        r##"<pattern id="hole" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(-45)"><rect width="8" height="8" fill="#fdecea"/><line x1="0" y1="0" x2="0" y2="8" stroke="#e06b5f" stroke-width="3"/></pattern>"##,
        "\n</defs>\n"
    ));
    let _ = writeln!(
        out,
        r##"<rect width="{WIDTH}" height="{height}" fill="#ffffff"/>"##
    );
    out.push_str(&body);
    out.push_str("</svg>\n");
    out
}

/// The boxes of one layout, in offset order: fields, holes, and a
/// flexible array member drawn one element long.
fn spans(spec: &Spec, layout: &Layout) -> Vec<Span> {
    let def = &spec.structs[layout.struct_index];
    let mut spans = Vec::new();
    for placed in &layout.fields {
        let f = &def.fields[placed.index];
        if let Type::Flexible(element) = &f.ty {
            let element_size = match element.as_ref() {
                Type::Scalar(s) => layout.target.scalar_size(*s),
                _ => 8,
            };
            spans.push(Span {
                start: placed.offset,
                end: placed.offset + element_size.max(1),
                piece: Piece::Flexible {
                    name: format!("{}[]", f.name),
                    stroke: colour(spec, f.since).1,
                },
            });
            continue;
        }
        let hatched = placed.placeholder || f.reserved;
        let (fill, stroke) = if hatched {
            ("url(#reserved)", "#7b8591")
        } else {
            colour(spec, f.since)
        };
        let detail = format!("@{} · {} B", placed.offset, placed.size);
        let mut tooltip = format!(
            "{} {}: offset {}, size {}, since v{}",
            f.ty, f.name, placed.offset, placed.size, f.since
        );
        if let Some(feature) = &f.feature {
            let _ = write!(tooltip, ", feature {feature}");
        }
        if placed.placeholder {
            let _ = write!(tooltip, " (reserved in this version)");
        }
        spans.push(Span {
            start: placed.offset,
            end: placed.end(),
            piece: Piece::Field {
                name: f.name.clone(),
                detail,
                fill,
                stroke,
                hatched,
                tooltip,
            },
        });
    }
    for hole in &layout.holes {
        let what = if hole.tail { "padding" } else { "hole" };
        spans.push(Span {
            start: hole.offset,
            end: hole.offset + hole.size,
            piece: Piece::Hole {
                label: format!("{what} {} B", hole.size),
            },
        });
    }
    spans.sort_by_key(|s| s.start);
    spans
}

/// The last byte a bar shows: sizeof, or past it for a flexible array.
fn shown_end(spans: &[Span], layout: &Layout) -> u64 {
    spans
        .iter()
        .map(|s| s.end)
        .max()
        .unwrap_or(0)
        .max(layout.size)
        .max(1)
}

/// "8", or "8 · 4 on i386, sh4 · 2 on m68k" when the targets of one bar
/// place every byte alike but align the struct differently.
fn align_caption(group: &[&Layout]) -> String {
    let mut aligns: Vec<(u64, Vec<&str>)> = Vec::new();
    for l in group {
        match aligns.iter_mut().find(|(a, _)| *a == l.align) {
            Some((_, targets)) => targets.push(l.target.name()),
            None => aligns.push((l.align, vec![l.target.name()])),
        }
    }
    aligns.sort_by_key(|(_, targets)| std::cmp::Reverse(targets.len()));
    let mut parts = Vec::new();
    for (i, (align, targets)) in aligns.iter().enumerate() {
        if i == 0 {
            parts.push(format!("<tspan font-weight=\"bold\">{align}</tspan>"));
        } else {
            parts.push(format!(
                "<tspan font-weight=\"bold\">{align}</tspan> on {}",
                xml_text(&targets.join(", "))
            ));
        }
    }
    parts.join(" · ")
}

/// Draws one target group's bar (wrapped over several lines when long)
/// with its caption and ruler; returns the y below it.
fn bar(
    out: &mut String,
    mut y: f64,
    group: &[&Layout],
    only_group: bool,
    spans: &[Span],
    per_line: u64,
) -> f64 {
    let layout = group[0];
    let targets: Vec<Target> = group.iter().map(|l| l.target).collect();
    let shown_end = shown_end(spans, layout);
    let scale = (WIDTH - 2.0 * MARGIN) / per_line as f64;
    let lines = shown_end.div_ceil(per_line);

    // Caption: the numbers, then the targets they hold for.
    y += 20.0;
    let _ = writeln!(
        out,
        r##"<text x="{MARGIN}" y="{y}" font-size="12.5">size <tspan font-weight="bold">{}</tspan> · feature size <tspan font-weight="bold">{}</tspan> · align {}</text>"##,
        layout.size,
        layout.feature_size,
        align_caption(group),
    );
    let caption = if only_group && targets.len() > 1 {
        format!("on all {} targets asked for", targets.len())
    } else {
        let names: Vec<&str> = targets.iter().map(|t| t.name()).collect();
        let count = if targets.len() > 3 {
            format!(" ({} targets)", targets.len())
        } else {
            String::new()
        };
        format!("on {}{count}", names.join(", "))
    };
    let mut caption_lines = vec![String::new()];
    for word in caption.split(' ') {
        let current = caption_lines.last().map_or(0, String::len);
        if current > 0 && current + word.len() + 1 > 130 {
            caption_lines.push(String::new());
        }
        if let Some(line) = caption_lines.last_mut() {
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
    }
    for line in &caption_lines {
        y += 15.0;
        let _ = writeln!(
            out,
            r##"<text x="{MARGIN}" y="{y}" font-size="11.5" fill="#5b6673">{}</text>"##,
            xml_text(line)
        );
    }
    y += 6.0;

    for line in 0..lines {
        let first = line * per_line;
        let last = (first + per_line).min(shown_end);
        // Ruler: a tick per byte, a number every 4 (or 8 when crowded).
        let ruler_top = y + 4.0;
        let every = if scale >= 14.0 { 4 } else { 8 };
        for byte in first..=last {
            let x = MARGIN + (byte - first) as f64 * scale;
            let major = byte % every == 0;
            let tick = if major { 7.0 } else { 3.5 };
            let _ = writeln!(
                out,
                r##"<line x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{:.1}" stroke="#8a949e" stroke-width="1"/>"##,
                ruler_top + 14.0 - tick,
                ruler_top + 14.0
            );
            if major || byte == last {
                let _ = writeln!(
                    out,
                    r##"<text x="{x:.1}" y="{:.1}" font-size="10" fill="#5b6673" text-anchor="middle">{byte}</text>"##,
                    ruler_top + 5.0
                );
            }
        }
        let top = ruler_top + 17.0;
        for span in spans {
            let start = span.start.max(first);
            let end = span.end.min(last);
            if start >= end {
                continue;
            }
            let x = MARGIN + (start - first) as f64 * scale;
            let w = (end - start) as f64 * scale;
            // A box that wraps is labelled on each line it covers.
            draw_piece(out, x, top, w, &span.piece, true);
        }
        // Where a caller's length ends (feature_size) and sizeof ends; the
        // sizeof label goes right of its line when there is room, the
        // feature_size label left of its own, one row lower if they'd meet.
        let x_of = |at: u64| MARGIN + (at - first) as f64 * scale;
        let size_text = if layout.feature_size == layout.size {
            format!("sizeof = feature_size {}", layout.size)
        } else {
            format!("sizeof {}", layout.size)
        };
        let size_width = text_width(&size_text, 10.0, true);
        let size_shown = layout.size > first && layout.size <= last;
        let size_left = size_shown && x_of(layout.size) + size_width + 4.0 > WIDTH - 4.0;
        let mut extra = 0.0;
        if size_shown {
            let x = x_of(layout.size);
            marker(out, x, top, false);
            let (tx, anchor) = if size_left {
                (x - 3.0, "end")
            } else {
                (x + 3.0, "start")
            };
            marker_text(out, tx, top + BAR + 15.0, anchor, &size_text);
        }
        let fs = layout.feature_size;
        if fs != layout.size && fs > first && fs <= last {
            let x = x_of(fs);
            marker(out, x, top, true);
            let text = format!("feature_size {fs}");
            let crowded = size_left && x_of(layout.size) - size_width - 8.0 < x;
            let ty = if crowded {
                extra = 12.0;
                top + BAR + 27.0
            } else {
                top + BAR + 15.0
            };
            marker_text(out, x - 3.0, ty, "end", &text);
        }
        y = top + BAR + 20.0 + extra;
    }
    y
}

fn marker(out: &mut String, x: f64, top: f64, dashed: bool) {
    let dash = if dashed {
        r##" stroke-dasharray="5 3""##
    } else {
        ""
    };
    let _ = writeln!(
        out,
        r##"<line x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{:.1}" stroke="#1d2733" stroke-width="2"{dash}/>"##,
        top - 4.0,
        top + BAR + 4.0
    );
}

fn marker_text(out: &mut String, x: f64, y: f64, anchor: &str, text: &str) {
    let _ = writeln!(
        out,
        r##"<text x="{x:.1}" y="{y:.1}" font-size="10" font-weight="bold" text-anchor="{anchor}">{}</text>"##,
        xml_text(text)
    );
}

fn draw_piece(out: &mut String, x: f64, top: f64, w: f64, piece: &Piece, labelled: bool) {
    let inset = 1.0;
    let (bx, bw) = (x + inset, (w - 2.0 * inset).max(1.0));
    let centre = x + w / 2.0;
    match piece {
        Piece::Field {
            name,
            detail,
            fill,
            stroke,
            tooltip,
            ..
        } => {
            let _ = writeln!(
                out,
                r##"<g><title>{}</title><rect x="{bx:.1}" y="{top:.1}" width="{bw:.1}" height="{BAR}" rx="4" fill="{fill}" stroke="{stroke}" stroke-width="1.5"/>"##,
                xml_text(tooltip)
            );
            if labelled {
                label(out, centre, top, bw, name, detail);
            }
            out.push_str("</g>\n");
        }
        Piece::Hole { label: text } => {
            let _ = writeln!(
                out,
                r##"<g><title>{}</title><rect x="{bx:.1}" y="{top:.1}" width="{bw:.1}" height="{BAR}" rx="4" fill="url(#hole)" stroke="#c0392b" stroke-width="1.2"/>"##,
                xml_text(text)
            );
            let text_w = text_width(text, 10.5, false);
            if labelled && text_w + 10.0 <= bw {
                // A plate under the words keeps them readable on the hatch.
                let _ = writeln!(
                    out,
                    r##"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="15" rx="3" fill="#fdecea" fill-opacity="0.92"/>"##,
                    centre - text_w / 2.0 - 4.0,
                    top + BAR / 2.0 - 7.5,
                    text_w + 8.0
                );
                let _ = writeln!(
                    out,
                    r##"<text x="{centre:.1}" y="{:.1}" font-size="10.5" text-anchor="middle" fill="#8e2a1f">{}</text>"##,
                    top + BAR / 2.0 + 4.0,
                    xml_text(text)
                );
            }
            out.push_str("</g>\n");
        }
        Piece::Flexible { name, stroke } => {
            let _ = writeln!(
                out,
                r##"<g><title>{}</title><rect x="{bx:.1}" y="{top:.1}" width="{bw:.1}" height="{BAR}" rx="4" fill="#ffffff" stroke="{stroke}" stroke-width="1.5" stroke-dasharray="5 3"/>"##,
                xml_text(&format!("{name}: flexible array member, past sizeof"))
            );
            if labelled {
                label(out, centre, top, bw, name, "flexible");
            }
            out.push_str("</g>\n");
        }
    }
}

/// A box's two-line label, shortened to fit: name and detail, else the
/// name alone, else the name cut with an ellipsis.
fn label(out: &mut String, centre: f64, top: f64, width: f64, name: &str, detail: &str) {
    let room = width - 8.0;
    let (name_size, fitted) = if text_width(name, 12.5, true) <= room {
        (12.5, name.to_string())
    } else if text_width(name, 10.5, true) <= room {
        (10.5, name.to_string())
    } else {
        let keep = ((room / (10.5 * 0.62)).floor() as usize).saturating_sub(1);
        if keep < 2 {
            return;
        }
        let mut cut: String = name.chars().take(keep).collect();
        cut.push('…');
        (10.5, cut)
    };
    let show_detail = text_width(detail, 10.0, false) <= room;
    let name_y = if show_detail {
        top + 19.0
    } else {
        top + BAR / 2.0 + 4.5
    };
    let _ = writeln!(
        out,
        r##"<text x="{centre:.1}" y="{name_y:.1}" font-size="{name_size}" font-weight="bold" text-anchor="middle">{}</text>"##,
        xml_text(&fitted)
    );
    if show_detail {
        let _ = writeln!(
            out,
            r##"<text x="{centre:.1}" y="{:.1}" font-size="10" text-anchor="middle" fill="#3d4853">{}</text>"##,
            top + 35.0,
            xml_text(detail)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::xml_text;

    #[test]
    fn xml_text_escapes_markup_and_drops_forbidden_characters() {
        assert_eq!(
            xml_text("<a href='x'>&\"\u{1}"),
            "&lt;a href=&apos;x&apos;&gt;&amp;&quot;\u{FFFD}"
        );
    }
}
