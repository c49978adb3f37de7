//! The spec's TOML tables exactly as written, each value with its span.
//! Unknown keys, missing keys and values of the wrong type are refused
//! here, every one of them before returning; every other check is
//! validation's.
//!
//! The tables are read by hand from the spanned document (`document.rs`)
//! rather than derived with serde: the parser is compiled into the
//! `generate!` proc-macro, where serde's derive would put syn,
//! serde_derive and serde on the critical path of every user's clean build
//! (benches/derive-build-time.sh), and reading by hand reports every
//! unknown key at once, each with the closest known one.

use std::ops::Range;

use super::document::{self, Kind, Table as TomlTable, Value};

use crate::diagnostic::Diagnostic;
use crate::parse::ctxt::shown;
use crate::source::Span;
use crate::suggest;

/// Reads TOML text into the raw tables. A syntax error is one diagnostic
/// (the parser stops there); otherwise every unknown or missing key and
/// every value of the wrong type is reported, in file order.
pub(super) fn from_toml(text: &str) -> Result<RawSpec, Vec<Diagnostic>> {
    let document = document::parse(text).map_err(|e| {
        let message = e.message.trim_end().to_string();
        vec![Diagnostic::error(message, e.span.map(Span::new))]
    })?;
    let mut reader = Reader::default();
    let spec = RawSpec::read(&mut reader, &document);
    match spec {
        Some(spec) if reader.errors.is_empty() => Ok(spec),
        _ => {
            let mut errors = reader.errors;
            Diagnostic::sort_in_file_order(&mut errors);
            Err(errors)
        }
    }
}

/// The whole file: one `[abi]` table and arrays of the others.
pub(super) struct RawSpec {
    pub(super) abi: Spanned<RawAbi>,
    pub(super) feature: Vec<Spanned<RawFeature>>,
    pub(super) constant: Vec<Spanned<RawConstant>>,
    pub(super) structs: Vec<Spanned<RawStruct>>,
    pub(super) flags: Vec<Spanned<RawFlags>>,
    pub(super) waiver: Vec<Spanned<RawWaiver>>,
}

/// `[abi]`.
pub(super) struct RawAbi {
    pub(super) name: Spanned<String>,
    pub(super) version: Spanned<i64>,
    pub(super) first_version: Option<Spanned<i64>>,
    pub(super) doc: Option<String>,
    pub(super) targets: Option<Spanned<Vec<Spanned<String>>>>,
    pub(super) feature_words: Option<Spanned<i64>>,
    pub(super) license: Option<Spanned<String>>,
    pub(super) c_prefix: Option<Spanned<String>>,
    pub(super) unreleased: bool,
}

/// One `[[feature]]`.
pub(super) struct RawFeature {
    pub(super) name: Spanned<String>,
    pub(super) bit: Spanned<i64>,
    pub(super) since: Option<Spanned<i64>>,
    pub(super) retired: bool,
    pub(super) c_name: Option<Spanned<String>>,
    pub(super) doc: Option<String>,
}

/// One `[[constant]]`.
pub(super) struct RawConstant {
    pub(super) name: Spanned<String>,
    pub(super) value: Spanned<i64>,
    pub(super) ty: Option<Spanned<String>>,
    pub(super) c_name: Option<Spanned<String>>,
    pub(super) doc: Option<String>,
}

/// One `[[struct]]` with its fields.
pub(super) struct RawStruct {
    pub(super) name: Spanned<String>,
    pub(super) kind: Option<Spanned<String>>,
    pub(super) align: Option<Spanned<i64>>,
    pub(super) packed: bool,
    pub(super) writer: Option<Spanned<String>>,
    pub(super) size_macro: Option<Spanned<String>>,
    pub(super) doc: Option<String>,
    pub(super) field: Vec<Spanned<RawField>>,
}

/// One `[[struct.field]]`.
pub(super) struct RawField {
    pub(super) name: Spanned<String>,
    pub(super) ty: Spanned<String>,
    pub(super) since: Option<Spanned<i64>>,
    pub(super) feature: Option<Spanned<String>>,
    pub(super) align: Option<Spanned<i64>>,
    pub(super) reserved: bool,
    pub(super) was_reserved: Option<Spanned<WasReserved>>,
    pub(super) writer: Option<Spanned<String>>,
    pub(super) bits: Option<Spanned<i64>>,
    pub(super) unnamed: Option<Spanned<bool>>,
    pub(super) doc: Option<String>,
}

/// One `[[flags]]` with its values.
pub(super) struct RawFlags {
    pub(super) name: Spanned<String>,
    pub(super) ty: Option<Spanned<String>>,
    pub(super) kind: Option<Spanned<String>>,
    pub(super) prefix: Option<Spanned<String>>,
    pub(super) doc: Option<String>,
    pub(super) value: Vec<Spanned<RawFlagValue>>,
}

/// One `[[flags.value]]`: `value = N` or `bit = N`.
pub(super) struct RawFlagValue {
    pub(super) name: Spanned<String>,
    pub(super) value: Option<Spanned<i64>>,
    pub(super) bit: Option<Spanned<i64>>,
    pub(super) since: Option<Spanned<i64>>,
    pub(super) retired: bool,
    pub(super) doc: Option<String>,
}

/// One `[[waiver]]`.
pub(super) struct RawWaiver {
    pub(super) rule: Spanned<String>,
    pub(super) struct_name: Option<Spanned<String>>,
    pub(super) field: Option<Spanned<String>>,
    pub(super) target: Option<Spanned<String>>,
    pub(super) reason: Spanned<String>,
    pub(super) expires: Option<Spanned<String>>,
}

/// `was_reserved = true` or `was_reserved = 3`.
pub(super) enum WasReserved {
    Always(bool),
    Since(i64),
}

/// A value of the spec's tables and the bytes of the file it came from.
#[derive(Clone, Debug)]
pub(super) struct Spanned<T> {
    span: Range<usize>,
    value: T,
}

impl<T> Spanned<T> {
    pub(super) fn new(span: Range<usize>, value: T) -> Spanned<T> {
        Spanned { span, value }
    }

    pub(super) fn span(&self) -> Range<usize> {
        self.span.clone()
    }

    pub(super) fn get_ref(&self) -> &T {
        &self.value
    }

    pub(super) fn into_inner(self) -> T {
        self.value
    }
}

/// The span of a value, as diagnostics and the model keep it.
pub(super) fn span<T>(s: &Spanned<T>) -> Span {
    Span::new(s.span())
}

/// Collects the problems of every table.
#[derive(Default)]
struct Reader {
    errors: Vec<Diagnostic>,
}

/// A table of the spec, its keys checked against the ones it takes.
struct Table<'t> {
    /// How messages name it: `[abi]`, `[[struct.field]]`.
    name: &'static str,
    entries: &'t TomlTable,
    /// Where it is; `None` for the whole document, which has no place of
    /// its own (pointing at its first character would mislead).
    span: Option<Range<usize>>,
}

/// A value's kind, as messages name it.
fn kind(value: &Value) -> &'static str {
    match value.kind {
        Kind::String(_) => "a string",
        Kind::Integer(..) => "an integer",
        Kind::Float => "a float",
        Kind::Boolean(_) => "a boolean",
        Kind::Datetime(_) => "a date",
        Kind::Array(_) => "an array",
        Kind::Table(_) => "a table",
    }
}

impl Reader {
    fn error(&mut self, message: String, span: Option<Range<usize>>, help: Option<String>) {
        let mut d = Diagnostic::error(message, span.map(Span::new));
        if let Some(help) = help {
            d = d.with_help(help);
        }
        self.errors.push(d);
    }

    fn invalid_type(&mut self, value: &Value, expected: &str) {
        self.error(
            format!("invalid type: {}, expected {expected}", kind(value)),
            Some(value.span.clone()),
            Some("check the value's type against docs/spec-format.md".into()),
        );
    }

    /// `value` as the table `name`, whose keys are `keys`: every other key
    /// is reported, with the closest known one.
    fn table<'t>(
        &mut self,
        value: &'t Value,
        name: &'static str,
        keys: &[&str],
    ) -> Option<Table<'t>> {
        let Kind::Table(entries) = &value.kind else {
            self.invalid_type(value, "a table");
            return None;
        };
        Some(self.checked(entries, Some(value.span.clone()), name, keys))
    }

    fn checked<'t>(
        &mut self,
        entries: &'t TomlTable,
        span: Option<Range<usize>>,
        name: &'static str,
        keys: &[&str],
    ) -> Table<'t> {
        for (key, _) in entries.entries() {
            if !keys.contains(&key.name.as_str()) {
                let help = match suggest::did_you_mean(&key.name, keys.iter().copied()) {
                    Some(hint) => format!("{hint} (docs/spec-format.md lists every key)"),
                    None => format!(
                        "{name} takes {}: see docs/spec-format.md",
                        keys.iter()
                            .map(|k| format!("`{k}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                };
                self.error(
                    format!("unknown field `{}` in {name}", shown(&key.name)),
                    Some(key.span.clone()),
                    Some(help),
                );
            }
        }
        Table {
            name,
            entries,
            span,
        }
    }

    /// Reports a key the table needs and lacks, at the table.
    fn missing(&mut self, table: &Table<'_>, key: &str) {
        self.error(
            format!("missing field `{key}` in {}", table.name),
            table.span.clone(),
            Some("add it: see docs/spec-format.md for what each table needs".into()),
        );
    }

    fn get<'t>(&self, table: &Table<'t>, key: &str) -> Option<&'t Value> {
        table.entries.get(key)
    }

    fn string(&mut self, table: &Table<'_>, key: &str) -> Option<Spanned<String>> {
        let value = self.get(table, key)?;
        match &value.kind {
            Kind::String(s) => Some(Spanned::new(value.span.clone(), s.clone())),
            _ => {
                self.invalid_type(value, "a string");
                None
            }
        }
    }

    fn integer(&mut self, table: &Table<'_>, key: &str) -> Option<Spanned<i64>> {
        let value = self.get(table, key)?;
        self.integer_value(value)
            .map(|n| Spanned::new(value.span.clone(), n))
    }

    fn integer_value(&mut self, value: &Value) -> Option<i64> {
        match &value.kind {
            Kind::Integer(digits, radix) => match i64::from_str_radix(digits, *radix) {
                Ok(n) => Some(n),
                Err(_) => {
                    self.error(
                        format!("integer `{digits}` is out of range"),
                        Some(value.span.clone()),
                        Some("integers in a spec fit in 64 bits, signed".into()),
                    );
                    None
                }
            },
            _ => {
                self.invalid_type(value, "an integer");
                None
            }
        }
    }

    fn boolean(&mut self, table: &Table<'_>, key: &str) -> Option<bool> {
        let value = self.get(table, key)?;
        match value.kind {
            Kind::Boolean(b) => Some(b),
            _ => {
                self.invalid_type(value, "a boolean");
                None
            }
        }
    }

    fn strings(&mut self, table: &Table<'_>, key: &str) -> Option<Spanned<Vec<Spanned<String>>>> {
        let value = self.get(table, key)?;
        let Kind::Array(array) = &value.kind else {
            self.invalid_type(value, "an array of strings");
            return None;
        };
        let mut out = Vec::new();
        for item in &array.items {
            match &item.kind {
                Kind::String(s) => out.push(Spanned::new(item.span.clone(), s.clone())),
                _ => self.invalid_type(item, "a string"),
            }
        }
        Some(Spanned::new(value.span.clone(), out))
    }

    /// An array of tables (`[[struct]]`), each read by `read`.
    fn tables<T>(
        &mut self,
        table: &Table<'_>,
        key: &str,
        read: fn(&mut Reader, &Value) -> Option<T>,
    ) -> Vec<Spanned<T>> {
        let Some(value) = self.get(table, key) else {
            return Vec::new();
        };
        let Kind::Array(array) = &value.kind else {
            self.invalid_type(value, "an array of tables");
            return Vec::new();
        };
        let mut out = Vec::with_capacity(array.items.len());
        for item in &array.items {
            if let Some(t) = read(self, item) {
                out.push(Spanned::new(item.span.clone(), t));
            }
        }
        out
    }

    /// A key the table cannot do without.
    fn required<T>(
        &mut self,
        table: &Table<'_>,
        key: &str,
        read: fn(&mut Reader, &Table<'_>, &str) -> Option<T>,
    ) -> Option<T> {
        if table.entries.get(key).is_none() {
            self.missing(table, key);
            return None;
        }
        read(self, table, key)
    }
}

impl RawSpec {
    fn read(r: &mut Reader, document: &TomlTable) -> Option<RawSpec> {
        let top = r.checked(
            document,
            None,
            "the file",
            &["abi", "feature", "constant", "struct", "flags", "waiver"],
        );
        let abi = match top.entries.get("abi") {
            None => {
                r.missing(&top, "abi");
                None
            }
            Some(value) => RawAbi::read(r, value).map(|a| Spanned::new(value.span.clone(), a)),
        };
        let feature = r.tables(&top, "feature", RawFeature::read);
        let constant = r.tables(&top, "constant", RawConstant::read);
        let structs = r.tables(&top, "struct", RawStruct::read);
        let flags = r.tables(&top, "flags", RawFlags::read);
        let waiver = r.tables(&top, "waiver", RawWaiver::read);
        Some(RawSpec {
            abi: abi?,
            feature,
            constant,
            structs,
            flags,
            waiver,
        })
    }
}

impl RawAbi {
    fn read(r: &mut Reader, value: &Value) -> Option<RawAbi> {
        let t = r.table(
            value,
            "[abi]",
            &[
                "name",
                "version",
                "first_version",
                "doc",
                "targets",
                "feature_words",
                "license",
                "c_prefix",
                "unreleased",
            ],
        )?;
        let name = r.required(&t, "name", Reader::string);
        let version = r.required(&t, "version", Reader::integer);
        Some(RawAbi {
            first_version: r.integer(&t, "first_version"),
            doc: r.string(&t, "doc").map(Spanned::into_inner),
            targets: r.strings(&t, "targets"),
            feature_words: r.integer(&t, "feature_words"),
            license: r.string(&t, "license"),
            c_prefix: r.string(&t, "c_prefix"),
            unreleased: r.boolean(&t, "unreleased").unwrap_or(false),
            name: name?,
            version: version?,
        })
    }
}

impl RawFeature {
    fn read(r: &mut Reader, value: &Value) -> Option<RawFeature> {
        let t = r.table(
            value,
            "[[feature]]",
            &["name", "bit", "since", "retired", "c_name", "doc"],
        )?;
        let name = r.required(&t, "name", Reader::string);
        let bit = r.required(&t, "bit", Reader::integer);
        Some(RawFeature {
            since: r.integer(&t, "since"),
            retired: r.boolean(&t, "retired").unwrap_or(false),
            c_name: r.string(&t, "c_name"),
            doc: r.string(&t, "doc").map(Spanned::into_inner),
            name: name?,
            bit: bit?,
        })
    }
}

impl RawConstant {
    fn read(r: &mut Reader, value: &Value) -> Option<RawConstant> {
        let t = r.table(
            value,
            "[[constant]]",
            &["name", "value", "type", "c_name", "doc"],
        )?;
        let name = r.required(&t, "name", Reader::string);
        let number = r.required(&t, "value", Reader::integer);
        Some(RawConstant {
            ty: r.string(&t, "type"),
            c_name: r.string(&t, "c_name"),
            doc: r.string(&t, "doc").map(Spanned::into_inner),
            name: name?,
            value: number?,
        })
    }
}

impl RawStruct {
    fn read(r: &mut Reader, value: &Value) -> Option<RawStruct> {
        let t = r.table(
            value,
            "[[struct]]",
            &[
                "name",
                "kind",
                "align",
                "packed",
                "writer",
                "size_macro",
                "doc",
                "field",
            ],
        )?;
        let name = r.required(&t, "name", Reader::string);
        Some(RawStruct {
            kind: r.string(&t, "kind"),
            align: r.integer(&t, "align"),
            packed: r.boolean(&t, "packed").unwrap_or(false),
            writer: r.string(&t, "writer"),
            size_macro: r.string(&t, "size_macro"),
            doc: r.string(&t, "doc").map(Spanned::into_inner),
            field: r.tables(&t, "field", RawField::read),
            name: name?,
        })
    }
}

impl RawField {
    fn read(r: &mut Reader, value: &Value) -> Option<RawField> {
        let t = r.table(
            value,
            "[[struct.field]]",
            &[
                "name",
                "type",
                "since",
                "feature",
                "align",
                "reserved",
                "was_reserved",
                "writer",
                "bits",
                "unnamed",
                "doc",
            ],
        )?;
        let name = r.required(&t, "name", Reader::string);
        let ty = r.required(&t, "type", Reader::string);
        let was_reserved = r.get(&t, "was_reserved").and_then(|v| {
            let flag = match v.kind {
                Kind::Boolean(b) => Some(WasReserved::Always(b)),
                Kind::Integer(..) => r.integer_value(v).map(WasReserved::Since),
                _ => {
                    r.invalid_type(v, "`true` or a version number");
                    None
                }
            };
            flag.map(|f| Spanned::new(v.span.clone(), f))
        });
        Some(RawField {
            since: r.integer(&t, "since"),
            feature: r.string(&t, "feature"),
            align: r.integer(&t, "align"),
            reserved: r.boolean(&t, "reserved").unwrap_or(false),
            was_reserved,
            writer: r.string(&t, "writer"),
            bits: r.integer(&t, "bits"),
            unnamed: r.get(&t, "unnamed").and_then(|v| {
                r.boolean(&t, "unnamed")
                    .map(|b| Spanned::new(v.span.clone(), b))
            }),
            doc: r.string(&t, "doc").map(Spanned::into_inner),
            name: name?,
            ty: ty?,
        })
    }
}

impl RawFlags {
    fn read(r: &mut Reader, value: &Value) -> Option<RawFlags> {
        let t = r.table(
            value,
            "[[flags]]",
            &["name", "type", "kind", "prefix", "doc", "value"],
        )?;
        let name = r.required(&t, "name", Reader::string);
        Some(RawFlags {
            ty: r.string(&t, "type"),
            kind: r.string(&t, "kind"),
            prefix: r.string(&t, "prefix"),
            doc: r.string(&t, "doc").map(Spanned::into_inner),
            value: r.tables(&t, "value", RawFlagValue::read),
            name: name?,
        })
    }
}

impl RawFlagValue {
    fn read(r: &mut Reader, value: &Value) -> Option<RawFlagValue> {
        let t = r.table(
            value,
            "[[flags.value]]",
            &["name", "value", "bit", "since", "retired", "doc"],
        )?;
        let name = r.required(&t, "name", Reader::string);
        Some(RawFlagValue {
            value: r.integer(&t, "value"),
            bit: r.integer(&t, "bit"),
            since: r.integer(&t, "since"),
            retired: r.boolean(&t, "retired").unwrap_or(false),
            doc: r.string(&t, "doc").map(Spanned::into_inner),
            name: name?,
        })
    }
}

impl RawWaiver {
    fn read(r: &mut Reader, value: &Value) -> Option<RawWaiver> {
        let t = r.table(
            value,
            "[[waiver]]",
            &["rule", "struct", "field", "target", "reason", "expires"],
        )?;
        let rule = r.required(&t, "rule", Reader::string);
        let reason = r.required(&t, "reason", Reader::string);
        // A TOML date (`expires = 2027-06-30`) is as good as a string.
        let expires = r.get(&t, "expires").and_then(|v| match &v.kind {
            Kind::Datetime(d) if is_local_date(d) => Some(Spanned::new(v.span.clone(), d.clone())),
            _ => r.string(&t, "expires"),
        });
        Some(RawWaiver {
            struct_name: r.string(&t, "struct"),
            field: r.string(&t, "field"),
            target: r.string(&t, "target"),
            expires,
            rule: rule?,
            reason: reason?,
        })
    }
}

/// A TOML local date (`YYYY-MM-DD`): of the date-times the document has
/// checked already, the one without a time. A date with a time is not one
/// day; whether the day exists is validation's to say.
fn is_local_date(text: &str) -> bool {
    !text.contains(':')
}

#[cfg(test)]
mod tests {
    /// A waiver's `expires` as a TOML date, as a quoted string, and as a
    /// date-time (refused: a waiver ends on a day).
    #[test]
    fn expires_takes_a_date_or_a_string() {
        let spec = |expires: &str| {
            format!(
                "[abi]\nname = \"t\"\nversion = 1\n\n[[struct]]\nname = \"s\"\n\
                 [[struct.field]]\nname = \"a\"\ntype = \"u32\"\nsince = 1\n\n\
                 [[waiver]]\nrule = \"IMPLICIT_PADDING\"\nreason = \"r\"\nexpires = {expires}\n"
            )
        };
        for written in ["2027-06-30", "\"2027-06-30\""] {
            let parsed = crate::parse("t.toml", &spec(written)).expect("the spec is valid");
            let expires = parsed.waivers[0].expires.expect("the waiver has a date");
            assert_eq!(expires.to_string(), "2027-06-30", "written {written}");
        }
        let error = crate::parse("t.toml", &spec("2027-06-30T00:00:00")).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("invalid type: a date, expected a string"),
            "{error}"
        );
    }
}
