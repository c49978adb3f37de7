//! Errors in spec files, rendered the way rustc renders them: the message,
//! `--> file:line:column`, the source line with a caret under the place, and
//! a `help:` line.

use std::fmt::{self, Write as _};
use std::sync::Arc;

use crate::source::{Location, Source, Span};

/// How serious a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Level {
    /// The file cannot be used.
    Error,
    /// The file can be used, but something deserves attention.
    Warning,
    /// Supplementary information.
    Note,
}

impl Level {
    /// The word rustc prints for this level.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Note => "note",
        }
    }
}

/// One problem found in a spec file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// How serious it is.
    pub level: Level,
    /// What is wrong, in one line.
    pub message: String,
    /// Where, when the problem has a place in the file.
    pub span: Option<Span>,
    /// A short text shown under the caret.
    pub label: Option<String>,
    /// How to fix it.
    pub help: Option<String>,
}

impl Diagnostic {
    /// Sorts diagnostics in file order, those without a place last; the
    /// order among equal places is kept.
    pub fn sort_in_file_order(diagnostics: &mut [Diagnostic]) {
        diagnostics.sort_by_key(|d| d.span.map_or((usize::MAX, 0), |s| (s.start, s.end)));
    }

    /// An error at `span`.
    pub fn error(message: impl Into<String>, span: Option<Span>) -> Diagnostic {
        Diagnostic {
            level: Level::Error,
            message: message.into(),
            span,
            label: None,
            help: None,
        }
    }

    /// Adds a `help:` line.
    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// Adds a label under the caret.
    pub fn with_label(mut self, label: impl Into<String>) -> Diagnostic {
        self.label = Some(label.into());
        self
    }
}

/// A spec file that could not be used, with every problem found in it.
#[derive(Clone, Debug)]
pub struct SpecError {
    /// The file, for rendering.
    pub source: Arc<Source>,
    /// Every problem, in file order.
    pub diagnostics: Vec<Diagnostic>,
}

impl SpecError {
    /// An error about the file as a whole (unreadable, too large).
    pub fn whole_file(source: Arc<Source>, message: impl Into<String>) -> SpecError {
        SpecError {
            source,
            diagnostics: vec![Diagnostic::error(message, None)],
        }
    }

    /// The location of the first diagnostic that has one.
    pub fn first_location(&self) -> Option<Location> {
        self.diagnostics
            .iter()
            .find_map(|d| d.span)
            .map(|s| self.source.location(s.start))
    }

    /// Renders every diagnostic, rustc style.
    pub fn render(&self, color: bool) -> String {
        let mut out = String::new();
        for d in &self.diagnostics {
            out.push_str(&render(&self.source, d, color));
        }
        let errors = self
            .diagnostics
            .iter()
            .filter(|d| d.level == Level::Error)
            .count();
        if errors > 1 {
            let _ = writeln!(
                out,
                "{}: `{}` has {errors} errors",
                paint(color, "1;31", "error"),
                self.source.name()
            );
        }
        out
    }
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(false))
    }
}

impl std::error::Error for SpecError {}

/// The widest part of a source line a diagnostic shows.
const MAX_SHOWN_CHARS: usize = 160;

fn paint(color: bool, code: &str, text: &str) -> String {
    if color {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

/// Renders one diagnostic against its source, rustc style. `file` is named
/// on every diagnostic, with line and column where there is a place.
pub fn render(source: &Source, diagnostic: &Diagnostic, color: bool) -> String {
    render_parts(
        source,
        diagnostic.level.as_str(),
        None,
        &diagnostic.message,
        diagnostic.span,
        diagnostic.label.as_deref(),
        diagnostic.help.as_deref(),
        color,
    )
}

/// Renders a message in rustc's shape: `level[code]: message`, the place,
/// the source line with carets, and `help:`. Shared by spec errors and rule
/// findings so both look the same.
#[allow(clippy::too_many_arguments)]
pub fn render_parts(
    source: &Source,
    level: &str,
    code: Option<&str>,
    message: &str,
    span: Option<Span>,
    label: Option<&str>,
    help: Option<&str>,
    color: bool,
) -> String {
    let level_color = match level {
        "error" | "breaking" => "1;31",
        "warning" | "api" => "1;33",
        _ => "1;36",
    };
    let mut out = String::new();
    let head = match code {
        Some(code) => format!("{level}[{code}]"),
        None => level.to_string(),
    };
    let _ = writeln!(
        out,
        "{}{}",
        paint(color, level_color, &head),
        paint(color, "1", &format!(": {message}"))
    );
    let blue = |t: &str| paint(color, "1;34", t);
    match span {
        Some(span) if !source.text().is_empty() => {
            let (line, column) = source.line_column(span.start);
            let gutter = line.to_string().len();
            let pad = " ".repeat(gutter);
            let _ = writeln!(
                out,
                "{pad}{} {}:{line}:{column}",
                blue("-->"),
                source.name()
            );
            // Show at most a window of the line around the place, so that a
            // hostile one-line file cannot flood the terminal. Control
            // characters are shown escaped.
            let full: Vec<char> = source.line_text(line).chars().collect();
            let start_col = column - 1;
            let span_chars = source
                .text()
                .get(span.start..span.end.max(span.start))
                .map_or(1, |s| s.split('\n').next().unwrap_or("").chars().count())
                .max(1)
                .min(full.len().saturating_sub(start_col).max(1))
                .min(MAX_SHOWN_CHARS / 2);
            let window_start = start_col.saturating_sub(MAX_SHOWN_CHARS / 4);
            let window_end = (window_start + MAX_SHOWN_CHARS).min(full.len());
            let mut shown: String = full[window_start.min(window_end)..window_end]
                .iter()
                .map(|c| {
                    if c.is_control() && *c != '\t' {
                        '?'
                    } else {
                        *c
                    }
                })
                .collect();
            let mut start_col = start_col - window_start;
            if window_start > 0 {
                shown.insert_str(0, "...");
                start_col += 3;
            }
            if window_end < full.len() {
                shown.push_str("...");
            }
            let _ = writeln!(out, "{pad} {}", blue("|"));
            let _ = writeln!(out, "{} {} {shown}", blue(&line.to_string()), blue("|"));
            let carets = "^".repeat(span_chars);
            let label = label.map(|l| format!(" {l}")).unwrap_or_default();
            let _ = writeln!(
                out,
                "{pad} {} {}{}",
                blue("|"),
                " ".repeat(start_col),
                paint(color, level_color, &format!("{carets}{label}"))
            );
            if let Some(help) = help {
                let _ = writeln!(out, "{pad} {}", blue("|"));
                let _ = writeln!(
                    out,
                    "{pad} {} {}: {help}",
                    blue("="),
                    paint(color, "1", "help")
                );
            }
        }
        _ => {
            let _ = writeln!(out, "  {} {}", blue("-->"), source.name());
            if let Some(help) = help {
                let _ = writeln!(
                    out,
                    "   {} {}: {help}",
                    blue("="),
                    paint(color, "1", "help")
                );
            }
        }
    }
    out.push('\n');
    out
}
