//! The spec's TOML tables exactly as written, each value with its span.
//! Unknown keys are refused here, by serde; every other check is
//! validation's.

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;
use toml::Spanned;

use crate::diagnostic::Diagnostic;
use crate::source::Span;

/// Reads TOML text into the raw tables; a syntax error, an unknown or
/// missing key, or a value of the wrong type is one diagnostic.
pub(super) fn from_toml(text: &str) -> Result<RawSpec, Diagnostic> {
    toml::from_str(text).map_err(|e| {
        let message = e.message().trim_end().to_string();
        // A missing top-level key is reported on the whole document:
        // pointing at its first character would mislead.
        let span = e
            .span()
            .filter(|r| !(r.start == 0 && e.message().starts_with("missing field")))
            .map(Span::new);
        let help = toml_help(&message);
        let mut d = Diagnostic::error(message, span);
        if let Some(help) = help {
            d = d.with_help(help);
        }
        d
    })
}

/// Advice for the TOML errors a user can fix by reading the format.
fn toml_help(message: &str) -> Option<String> {
    if message.starts_with("unknown field") {
        Some("remove it, or check its spelling against docs/spec-format.md".into())
    } else if message.starts_with("missing field") {
        Some("add it: see docs/spec-format.md for what each table needs".into())
    } else if message.starts_with("invalid type") {
        Some("check the value's type against docs/spec-format.md".into())
    } else {
        None
    }
}

/// The whole file: one `[abi]` table and arrays of the others.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSpec {
    pub(super) abi: Spanned<RawAbi>,
    #[serde(default)]
    pub(super) feature: Vec<Spanned<RawFeature>>,
    #[serde(default)]
    pub(super) constant: Vec<Spanned<RawConstant>>,
    #[serde(default, rename = "struct")]
    pub(super) structs: Vec<Spanned<RawStruct>>,
    #[serde(default)]
    pub(super) flags: Vec<Spanned<RawFlags>>,
    #[serde(default)]
    pub(super) waiver: Vec<Spanned<RawWaiver>>,
}

/// `[abi]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAbi {
    pub(super) name: Spanned<String>,
    pub(super) version: Spanned<i64>,
    pub(super) first_version: Option<Spanned<i64>>,
    pub(super) doc: Option<String>,
    pub(super) targets: Option<Spanned<Vec<Spanned<String>>>>,
    pub(super) feature_words: Option<Spanned<i64>>,
    pub(super) license: Option<Spanned<String>>,
    pub(super) c_prefix: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) unreleased: bool,
}

/// One `[[feature]]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFeature {
    pub(super) name: Spanned<String>,
    pub(super) bit: Spanned<i64>,
    pub(super) since: Option<Spanned<i64>>,
    #[serde(default)]
    pub(super) retired: bool,
    pub(super) c_name: Option<Spanned<String>>,
    pub(super) doc: Option<String>,
}

/// One `[[constant]]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConstant {
    pub(super) name: Spanned<String>,
    pub(super) value: Spanned<i64>,
    #[serde(rename = "type")]
    pub(super) ty: Option<Spanned<String>>,
    pub(super) c_name: Option<Spanned<String>>,
    pub(super) doc: Option<String>,
}

/// One `[[struct]]` with its fields.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawStruct {
    pub(super) name: Spanned<String>,
    pub(super) kind: Option<Spanned<String>>,
    pub(super) align: Option<Spanned<i64>>,
    #[serde(default)]
    pub(super) packed: bool,
    pub(super) writer: Option<Spanned<String>>,
    pub(super) size_macro: Option<Spanned<String>>,
    pub(super) doc: Option<String>,
    #[serde(default)]
    pub(super) field: Vec<Spanned<RawField>>,
}

/// One `[[struct.field]]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawField {
    pub(super) name: Spanned<String>,
    #[serde(rename = "type")]
    pub(super) ty: Spanned<String>,
    pub(super) since: Option<Spanned<i64>>,
    pub(super) feature: Option<Spanned<String>>,
    pub(super) align: Option<Spanned<i64>>,
    #[serde(default)]
    pub(super) reserved: bool,
    pub(super) was_reserved: Option<Spanned<WasReserved>>,
    pub(super) writer: Option<Spanned<String>>,
    pub(super) bits: Option<Spanned<i64>>,
    pub(super) unnamed: Option<Spanned<bool>>,
    pub(super) doc: Option<String>,
}

/// One `[[waiver]]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawWaiver {
    pub(super) rule: Spanned<String>,
    #[serde(rename = "struct")]
    pub(super) struct_name: Option<Spanned<String>>,
    pub(super) field: Option<Spanned<String>>,
    pub(super) target: Option<Spanned<String>>,
    pub(super) reason: Spanned<String>,
    pub(super) expires: Option<Spanned<String>>,
}

/// One `[[flags]]` with its values.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFlags {
    pub(super) name: Spanned<String>,
    #[serde(rename = "type")]
    pub(super) ty: Option<Spanned<String>>,
    pub(super) kind: Option<Spanned<String>>,
    pub(super) prefix: Option<Spanned<String>>,
    pub(super) doc: Option<String>,
    #[serde(default)]
    pub(super) value: Vec<Spanned<RawFlagValue>>,
}

/// One `[[flags.value]]`: `value = N` or `bit = N`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFlagValue {
    pub(super) name: Spanned<String>,
    pub(super) value: Option<Spanned<i64>>,
    pub(super) bit: Option<Spanned<i64>>,
    pub(super) since: Option<Spanned<i64>>,
    #[serde(default)]
    pub(super) retired: bool,
    pub(super) doc: Option<String>,
}

/// `was_reserved = true` or `was_reserved = 3`.
pub(super) enum WasReserved {
    Always(bool),
    Since(i64),
}

impl<'de> Deserialize<'de> for WasReserved {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = WasReserved;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("`true` or a version number")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<WasReserved, E> {
                Ok(WasReserved::Always(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<WasReserved, E> {
                Ok(WasReserved::Since(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<WasReserved, E> {
                Ok(WasReserved::Since(i64::try_from(v).unwrap_or(i64::MAX)))
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// The span of a value, as diagnostics and the model keep it.
pub(super) fn span<T>(s: &Spanned<T>) -> Span {
    Span::new(s.span())
}
