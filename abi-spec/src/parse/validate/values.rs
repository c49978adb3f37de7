//! Checks of one value that several tables share: names, version numbers
//! (`since` among them), alignments and writers.

use crate::parse::raw::Spanned;

use crate::limits::{MAX_ALIGN, MAX_NAME_LEN, MAX_VERSION};
use crate::model::{Abi, Writer};
use crate::names;
use crate::parse::ctxt::{shown, Ctxt};
use crate::parse::raw::span;
use crate::source::Span;

/// Checks a name is a C identifier a header can use; records an error
/// and returns false otherwise.
pub(super) fn identifier(cx: &mut Ctxt, what: &str, name: &Spanned<String>) -> bool {
    let text = name.get_ref();
    let s = span(name);
    if !names::is_c_identifier(text) {
        let shown = shown(text);
        cx.error(
            format!("{what} name `{shown}` is not a C identifier"),
            s,
            "use ASCII letters, digits and `_`, not starting with a digit",
        );
        return false;
    }
    if text.len() > MAX_NAME_LEN {
        cx.error(
            format!("{what} name is {} characters long", text.len()),
            s,
            format!("names are limited to {MAX_NAME_LEN} characters"),
        );
        return false;
    }
    if names::is_reserved_word(text) {
        cx.error(
            format!("{what} name `{text}` is a C or C++ keyword"),
            s,
            format!("generated headers could not use it: rename it, e.g. `{text}_`"),
        );
        return false;
    }
    if let Some((message, help)) = names::refusal(what, text) {
        cx.error(message, s, help);
        return false;
    }
    true
}

/// A C name the spec chooses for a macro (`c_name`): a C identifier that
/// is no keyword; records an error and returns false otherwise.
pub(super) fn c_name(cx: &mut Ctxt, name: &Spanned<String>) -> bool {
    identifier(cx, "C", name)
}

/// The start of C names (`c_prefix`, `size_macro`, a flag set's `prefix`):
/// empty, or letters, digits and `_` not starting with a digit.
pub(super) fn c_prefix(cx: &mut Ctxt, what: &str, prefix: &Spanned<String>) -> bool {
    let text = prefix.get_ref();
    let ok = text.is_empty() || (names::is_c_identifier(text) && text.len() < MAX_NAME_LEN);
    if !ok {
        cx.error(
            format!("{what} `{}` cannot start a C name", shown(text)),
            span(prefix),
            "use ASCII letters, digits and `_`, not starting with a digit",
        );
    }
    ok
}

/// A version number from 0 to [`MAX_VERSION`]; records an error otherwise.
pub(super) fn version_value(cx: &mut Ctxt, what: &str, value: &Spanned<i64>) -> Option<u32> {
    let v = *value.get_ref();
    match u32::try_from(v) {
        Ok(v) if v <= MAX_VERSION => Some(v),
        _ => {
            cx.error(
                format!("{what} {v} is not a version number"),
                span(value),
                format!("versions are integers from 0 to {MAX_VERSION}"),
            );
            None
        }
    }
}

/// A power of two from 1 to [`MAX_ALIGN`]; records an error otherwise.
pub(super) fn alignment(cx: &mut Ctxt, value: &Spanned<i64>) -> Option<u64> {
    let v = *value.get_ref();
    match u64::try_from(v) {
        Ok(a) if a.is_power_of_two() && a <= MAX_ALIGN => Some(a),
        _ => {
            cx.error(
                format!("alignment {v} is not a power of two from 1 to {MAX_ALIGN}"),
                span(value),
                "use 1, 2, 4, 8, 16, 32, ...",
            );
            None
        }
    }
}

/// `kernel`, `user` or `both`; records an error otherwise.
pub(super) fn writer(cx: &mut Ctxt, value: &Spanned<String>) -> Option<Writer> {
    match value.get_ref().as_str() {
        "kernel" => Some(Writer::Kernel),
        "user" => Some(Writer::User),
        "both" => Some(Writer::Both),
        other => {
            cx.error(
                format!("unknown writer `{}`", shown(other)),
                span(value),
                "writer is one of `kernel`, `user`, `both`",
            );
            None
        }
    }
}

/// The `since` of a feature or field, with the span to report it at: the
/// first version (at `fallback`) when absent; an error when outside the
/// ABI's versions.
pub(super) fn since(
    cx: &mut Ctxt,
    value: &Option<Spanned<i64>>,
    fallback: Span,
    abi: Option<&Abi>,
) -> (u32, Span) {
    let first = abi.map_or(0, |a| a.first_version);
    let Some(value) = value else {
        return (first, fallback);
    };
    let s = span(value);
    let Some(v) = version_value(cx, "since", value) else {
        return (first, s);
    };
    if let Some(abi) = abi {
        if v > abi.version {
            cx.error(
                format!("since {v} is newer than the ABI's version {}", abi.version),
                s,
                format!("raise [abi] version to {v}, or lower this `since`"),
            );
        } else if v < abi.first_version {
            cx.error(
                format!(
                    "since {v} is older than the first version {}",
                    abi.first_version
                ),
                s,
                "set [abi] first_version, or raise this `since`",
            );
        }
    }
    (v, s)
}

/// A `help:` line for an unknown name: `did you mean ...?` when a known
/// name is close, `otherwise` when none is.
pub(super) fn with_suggestion<'a>(
    unknown: &str,
    known: impl IntoIterator<Item = &'a str>,
    otherwise: impl Into<String>,
) -> String {
    crate::suggest::did_you_mean(unknown, known).unwrap_or_else(|| otherwise.into())
}

/// The `help:` line for an unknown target name.
pub(super) fn target_help(unknown: &str) -> String {
    with_suggestion(
        unknown,
        crate::target::Target::ALL.map(crate::target::Target::name),
        format!(
            "built-in targets: {}",
            crate::target::Target::ALL
                .map(crate::target::Target::name)
                .join(", ")
        ),
    )
}
