//! The collector of diagnostics. Validation records a problem and goes on,
//! so that a user sees every mistake in the file in one run.

use crate::diagnostic::Diagnostic;
use crate::source::Span;

/// Every problem found so far.
#[derive(Default)]
pub(super) struct Ctxt {
    diagnostics: Vec<Diagnostic>,
}

impl Ctxt {
    /// Records an error at `span`, with a `help:` line saying how to fix it.
    pub(super) fn error(
        &mut self,
        message: impl Into<String>,
        span: Span,
        help: impl Into<String>,
    ) {
        self.diagnostics
            .push(Diagnostic::error(message, Some(span)).with_help(help));
    }

    /// True when nothing went wrong so far.
    pub(super) fn is_ok(&self) -> bool {
        self.diagnostics.is_empty()
    }

    /// Every problem recorded, in file order; those without a place last.
    pub(super) fn into_diagnostics(mut self) -> Vec<Diagnostic> {
        Diagnostic::sort_in_file_order(&mut self.diagnostics);
        self.diagnostics
    }
}

/// User text quoted in a message: escaped (no control characters reach the
/// terminal) and cut to a readable length.
pub(super) fn shown(text: &str) -> String {
    const MAX: usize = 64;
    let escaped: String = text.escape_debug().collect();
    if escaped.chars().count() <= MAX {
        escaped
    } else {
        let cut: String = escaped.chars().take(MAX).collect();
        format!("{cut}...")
    }
}
