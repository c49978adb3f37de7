//! Checks of one value that several tables share: names, version numbers
//! (`since` among them), alignments and writers.

use toml::Spanned;

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
