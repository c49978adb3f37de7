//! Reading a spec file: TOML into raw tables (with spans, unknown keys
//! refused), then raw tables into the validated [`Spec`]. Validation goes on
//! after the first problem, so a user sees every mistake at once.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use toml::Spanned;

use crate::diagnostic::{Diagnostic, SpecError};
use crate::layout;
use crate::limits::*;
use crate::model::*;
use crate::names;
use crate::rules::Rule;
use crate::source::{Source, Span};
use crate::target::Target;
use crate::types::Scalar;

mod raw;
mod read;

use raw::{span, RawSpec, RawStruct, WasReserved};

// ---------------------------------------------------------------------------
// Entry points.

/// Reads and validates the spec file at `path`. The file name in every
/// diagnostic is `path` as given.
pub fn load(path: &Path) -> Result<Spec, SpecError> {
    let name = path.display().to_string();
    let text = read::read(path, &name).map_err(|e| {
        SpecError::whole_file(
            Arc::new(Source::new(name.clone(), String::new())),
            e.to_string(),
        )
    })?;
    parse(&name, &text)
}

/// Parses and validates spec text; `name` is the file name for diagnostics.
pub fn parse(name: &str, text: &str) -> Result<Spec, SpecError> {
    let source = Arc::new(Source::new(name, text));
    if text.len() as u64 > MAX_SPEC_BYTES {
        return Err(SpecError::whole_file(
            source,
            format!("spec text is larger than {MAX_SPEC_BYTES} bytes"),
        ));
    }
    let raw = raw::from_toml(text).map_err(|d| SpecError {
        source: source.clone(),
        diagnostics: vec![d],
    })?;
    let mut v = Validator {
        diagnostics: Vec::new(),
    };
    let spec = v.spec(source.clone(), raw);
    match spec {
        Some(spec) if v.diagnostics.is_empty() => Ok(spec),
        _ => {
            v.diagnostics
                .sort_by_key(|d| d.span.map_or((usize::MAX, 0), |s| (s.start, s.end)));
            Err(SpecError {
                source,
                diagnostics: v.diagnostics,
            })
        }
    }
}

// ---------------------------------------------------------------------------
// Validation.

struct Validator {
    diagnostics: Vec<Diagnostic>,
}

impl Validator {
    fn error(&mut self, message: impl Into<String>, span: Span, help: impl Into<String>) {
        self.diagnostics
            .push(Diagnostic::error(message, Some(span)).with_help(help));
    }

    /// Checks a name is a C identifier a header can use; records an error
    /// and returns false otherwise.
    fn identifier(&mut self, what: &str, name: &Spanned<String>) -> bool {
        let text = name.get_ref();
        let s = span(name);
        if !names::is_c_identifier(text) {
            let shown = shown(text);
            self.error(
                format!("{what} name `{shown}` is not a C identifier"),
                s,
                "use ASCII letters, digits and `_`, not starting with a digit",
            );
            return false;
        }
        if text.len() > MAX_NAME_LEN {
            self.error(
                format!("{what} name is {} characters long", text.len()),
                s,
                format!("names are limited to {MAX_NAME_LEN} characters"),
            );
            return false;
        }
        if names::is_reserved_word(text) {
            self.error(
                format!("{what} name `{text}` is a C or C++ keyword"),
                s,
                format!("generated headers could not use it: rename it, e.g. `{text}_`"),
            );
            return false;
        }
        true
    }

    fn version_value(&mut self, what: &str, value: &Spanned<i64>) -> Option<u32> {
        let v = *value.get_ref();
        match u32::try_from(v) {
            Ok(v) if v <= MAX_VERSION => Some(v),
            _ => {
                self.error(
                    format!("{what} {v} is not a version number"),
                    span(value),
                    format!("versions are integers from 0 to {MAX_VERSION}"),
                );
                None
            }
        }
    }

    fn alignment(&mut self, value: &Spanned<i64>) -> Option<u64> {
        let v = *value.get_ref();
        match u64::try_from(v) {
            Ok(a) if a.is_power_of_two() && a <= MAX_ALIGN => Some(a),
            _ => {
                self.error(
                    format!("alignment {v} is not a power of two from 1 to {MAX_ALIGN}"),
                    span(value),
                    "use 1, 2, 4, 8, 16, 32, ...",
                );
                None
            }
        }
    }

    fn writer(&mut self, value: &Spanned<String>) -> Option<Writer> {
        match value.get_ref().as_str() {
            "kernel" => Some(Writer::Kernel),
            "user" => Some(Writer::User),
            "both" => Some(Writer::Both),
            other => {
                self.error(
                    format!("unknown writer `{}`", shown(other)),
                    span(value),
                    "writer is one of `kernel`, `user`, `both`",
                );
                None
            }
        }
    }

    fn spec(&mut self, source: Arc<Source>, raw: RawSpec) -> Option<Spec> {
        let abi = self.abi(&raw);
        let features = self.features(&raw, abi.as_ref());
        let constants = self.constants(&raw, &features);
        let structs = self.structs(&raw, abi.as_ref(), &features);
        let dependency_order = self.dependency_order(&structs);
        self.nested_versions(&structs);
        let waivers = self.waivers(&raw, &structs);
        let abi = abi?;
        if !self.diagnostics.is_empty() {
            return None;
        }
        let spec = Spec {
            source,
            abi,
            features,
            constants,
            structs,
            waivers,
            dependency_order: dependency_order?,
        };
        self.layouts(&spec);
        Some(spec)
    }

    fn abi(&mut self, raw: &RawSpec) -> Option<Abi> {
        let a = raw.abi.get_ref();
        let name_ok = self.identifier("ABI", &a.name);
        let version = self.version_value("version", &a.version);
        let mut any_zero = raw
            .feature
            .iter()
            .filter_map(|f| f.get_ref().since.as_ref())
            .chain(
                raw.structs
                    .iter()
                    .flat_map(|s| s.get_ref().field.iter())
                    .filter_map(|f| f.get_ref().since.as_ref()),
            )
            .any(|s| *s.get_ref() == 0);
        any_zero |= raw
            .structs
            .iter()
            .flat_map(|s| s.get_ref().field.iter())
            .any(|f| {
                matches!(
                    f.get_ref().was_reserved.as_ref().map(|w| w.get_ref()),
                    Some(WasReserved::Since(0))
                )
            });
        let first_version = match &a.first_version {
            Some(fv) => self.version_value("first_version", fv),
            None => Some(if any_zero {
                0
            } else {
                1.min(version.unwrap_or(1))
            }),
        };
        if let (Some(first), Some(version)) = (first_version, version) {
            if first > version {
                self.error(
                    format!("first_version {first} is newer than version {version}"),
                    a.first_version.as_ref().map_or(span(&a.version), span),
                    "the newest version must be at least the first",
                );
            } else if version - first >= MAX_VERSION_COUNT {
                self.error(
                    format!("{} versions are described", version - first + 1),
                    span(&a.version),
                    format!("a spec may describe at most {MAX_VERSION_COUNT} versions"),
                );
            }
        }
        let mut targets = Vec::new();
        if let Some(list) = &a.targets {
            let mut seen = HashSet::new();
            for t in list.get_ref() {
                match Target::from_name(t.get_ref()) {
                    Some(target) if seen.insert(target) => targets.push(target),
                    Some(target) => self.error(
                        format!("target `{target}` is listed twice"),
                        span(t),
                        "list each target once",
                    ),
                    None => self.error(
                        format!("unknown target `{}`", shown(t.get_ref())),
                        span(t),
                        format!(
                            "built-in targets: {}",
                            Target::ALL.map(Target::name).join(", ")
                        ),
                    ),
                }
            }
            if list.get_ref().is_empty() {
                self.error(
                    "`targets` is empty",
                    span(list),
                    "remove the key to mean every built-in target, or name at least one",
                );
            }
            targets.sort();
        } else {
            targets = Target::ALL.to_vec();
        }
        let feature_words = match &a.feature_words {
            None => Some(1),
            Some(w) => match u32::try_from(*w.get_ref()) {
                Ok(n @ 1..=MAX_FEATURE_WORDS) => Some(n),
                _ => {
                    self.error(
                        format!("feature_words {} is out of range", w.get_ref()),
                        span(w),
                        format!("an ABI has from 1 to {MAX_FEATURE_WORDS} feature words"),
                    );
                    None
                }
            },
        };
        if let Some(license) = &a.license {
            let ok = !license.get_ref().is_empty()
                && license
                    .get_ref()
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b" .-+()".contains(&b));
            if !ok {
                self.error(
                    "license is not an SPDX expression",
                    span(license),
                    "write an SPDX expression such as `GPL-2.0 WITH Linux-syscall-note`",
                );
            }
        }
        Some(Abi {
            name: name_ok.then(|| a.name.get_ref().clone())?,
            version: version?,
            first_version: first_version?,
            doc: a.doc.clone(),
            targets,
            feature_words: feature_words?,
            license: a.license.as_ref().map(|l| l.get_ref().clone()),
            span: span(&raw.abi),
            version_span: span(&a.version),
        })
    }

    fn since(
        &mut self,
        value: &Option<Spanned<i64>>,
        fallback: Span,
        abi: Option<&Abi>,
    ) -> (u32, Span) {
        let first = abi.map_or(0, |a| a.first_version);
        let Some(value) = value else {
            return (first, fallback);
        };
        let s = span(value);
        let Some(v) = self.version_value("since", value) else {
            return (first, s);
        };
        if let Some(abi) = abi {
            if v > abi.version {
                self.error(
                    format!("since {v} is newer than the ABI's version {}", abi.version),
                    s,
                    format!("raise [abi] version to {v}, or lower this `since`"),
                );
            } else if v < abi.first_version {
                self.error(
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

    fn features(&mut self, raw: &RawSpec, abi: Option<&Abi>) -> Vec<Feature> {
        if raw.feature.len() > MAX_FEATURES {
            self.error(
                format!("{} features are defined", raw.feature.len()),
                span(&raw.feature[MAX_FEATURES]),
                format!("a spec may define at most {MAX_FEATURES} features"),
            );
            return Vec::new();
        }
        let words = abi.map_or(1, |a| a.feature_words);
        let mut features: Vec<Feature> = Vec::new();
        let mut names: HashMap<String, Span> = HashMap::new();
        let mut bits: HashMap<u32, usize> = HashMap::new();
        for f in &raw.feature {
            let r = f.get_ref();
            let name_ok = self.identifier("feature", &r.name);
            if name_ok {
                if let Some(_previous) =
                    names.insert(r.name.get_ref().to_ascii_uppercase(), span(&r.name))
                {
                    self.error(
                        format!("feature `{}` is defined twice", r.name.get_ref()),
                        span(&r.name),
                        "feature names are unique (ignoring case: they become C macros)",
                    );
                }
            }
            let (since, since_span) = self.since(&r.since, span(&r.name), abi);
            let bit = *r.bit.get_ref();
            let bit = match u32::try_from(bit) {
                Ok(b) if b < words * 64 => Some(b),
                _ => {
                    let help = if bit >= 0 && bit < i64::from(MAX_FEATURE_WORDS) * 64 {
                        format!(
                            "this ABI has {words} feature word{} (bits 0 to {}); raise [abi] feature_words to {}",
                            if words == 1 { "" } else { "s" },
                            words * 64 - 1,
                            bit / 64 + 1
                        )
                    } else {
                        format!("bits run from 0 to {}", words * 64 - 1)
                    };
                    self.error(
                        format!("bit {bit} is outside the feature words"),
                        span(&r.bit),
                        help,
                    );
                    None
                }
            };
            let Some(bit) = bit else { continue };
            // A feature on a position-63 bit is a finding of its own
            // (EXTENSION_BIT_ASSIGNED, from the lints), not unusable input:
            // the file is well-formed, its ABI is broken.
            if let Some(&other) = bits.get(&bit) {
                let other: &Feature = &features[other];
                let retired = if other.retired { " (retired)" } else { "" };
                self.error(
                    format!("bit {bit} already belongs to feature `{}`{retired}", other.name),
                    span(&r.bit),
                    "every feature has its own bit, and a retired bit is never reused: take an unused bit",
                );
                continue;
            }
            if !name_ok {
                continue;
            }
            bits.insert(bit, features.len());
            features.push(Feature {
                name: r.name.get_ref().clone(),
                bit,
                since,
                retired: r.retired,
                doc: r.doc.clone(),
                span: span(f),
                name_span: span(&r.name),
                bit_span: span(&r.bit),
                since_span,
            });
        }
        features
    }

    fn constants(&mut self, raw: &RawSpec, features: &[Feature]) -> Vec<Constant> {
        if raw.constant.len() > MAX_CONSTANTS {
            self.error(
                format!("{} constants are defined", raw.constant.len()),
                span(&raw.constant[MAX_CONSTANTS]),
                format!("a spec may define at most {MAX_CONSTANTS} constants"),
            );
            return Vec::new();
        }
        let mut names: HashSet<String> = features
            .iter()
            .map(|f| f.name.to_ascii_uppercase())
            .collect();
        let mut constants = Vec::new();
        for c in &raw.constant {
            let r = c.get_ref();
            let name_ok = self.identifier("constant", &r.name);
            if name_ok && !names.insert(r.name.get_ref().to_ascii_uppercase()) {
                self.error(
                    format!(
                        "constant `{}` has the name of another constant or feature",
                        r.name.get_ref()
                    ),
                    span(&r.name),
                    "constants and features share one namespace of C macros (ignoring case)",
                );
            }
            let value = *r.value.get_ref();
            let ty = match &r.ty {
                None => Some(if value < 0 { Scalar::I64 } else { Scalar::U64 }),
                Some(t) => match Scalar::from_name(t.get_ref()) {
                    Some(s) if s.integer_range().is_some() => Some(s),
                    _ => {
                        self.error(
                            format!(
                                "constant type `{}` is not a fixed-size integer",
                                shown(t.get_ref())
                            ),
                            span(t),
                            "use u8, u16, u32, u64, i8, i16, i32 or i64",
                        );
                        None
                    }
                },
            };
            if let Some(ty) = ty {
                let (lo, hi) = ty.integer_range().unwrap_or((i128::MIN, i128::MAX));
                if !(lo..=hi).contains(&i128::from(value)) {
                    self.error(
                        format!("value {value} does not fit in {ty}"),
                        span(&r.value),
                        format!("{ty} holds {lo} to {hi}"),
                    );
                    continue;
                }
            }
            if let (true, Some(ty)) = (name_ok, ty) {
                constants.push(Constant {
                    name: r.name.get_ref().clone(),
                    value,
                    ty,
                    doc: r.doc.clone(),
                    span: span(c),
                });
            }
        }
        constants
    }

    fn structs(
        &mut self,
        raw: &RawSpec,
        abi: Option<&Abi>,
        features: &[Feature],
    ) -> Vec<StructDef> {
        if raw.structs.len() > MAX_STRUCTS {
            self.error(
                format!("{} structs are defined", raw.structs.len()),
                span(&raw.structs[MAX_STRUCTS]),
                format!("a spec may define at most {MAX_STRUCTS} structs"),
            );
            return Vec::new();
        }
        if raw.structs.is_empty() {
            self.error(
                "the spec defines no struct",
                span(&raw.abi),
                "add a [[struct]] table with at least one [[struct.field]]",
            );
        }
        let struct_names: HashSet<&str> = raw
            .structs
            .iter()
            .map(|s| s.get_ref().name.get_ref().as_str())
            .collect();
        let mut seen = HashSet::new();
        let mut structs = Vec::new();
        for s in &raw.structs {
            let r = s.get_ref();
            let name_ok = self.identifier("struct", &r.name);
            if name_ok && !seen.insert(r.name.get_ref().as_str()) {
                self.error(
                    format!("struct `{}` is defined twice", r.name.get_ref()),
                    span(&r.name),
                    "struct names are unique",
                );
            }
            let kind = match r.kind.as_ref().map(|k| (k, k.get_ref().as_str())) {
                None | Some((_, "struct")) => StructKind::Struct,
                Some((_, "union")) => StructKind::Union,
                Some((k, other)) => {
                    self.error(
                        format!("unknown kind `{}`", shown(other)),
                        span(k),
                        "kind is `struct` or `union`",
                    );
                    StructKind::Struct
                }
            };
            let align = r.align.as_ref().and_then(|a| self.alignment(a));
            let writer = r
                .writer
                .as_ref()
                .and_then(|w| self.writer(w))
                .unwrap_or_default();
            if r.field.is_empty() {
                self.error(
                    format!("struct `{}` has no field", r.name.get_ref()),
                    span(&r.name),
                    "add at least one [[struct.field]]",
                );
                continue;
            }
            if r.field.len() > MAX_FIELDS {
                self.error(
                    format!("struct `{}` has {} fields", r.name.get_ref(), r.field.len()),
                    span(&r.name),
                    format!("a struct may have at most {MAX_FIELDS} fields"),
                );
                continue;
            }
            let fields = self.fields(r, kind, writer, abi, features, &struct_names);
            if name_ok {
                structs.push(StructDef {
                    name: r.name.get_ref().clone(),
                    kind,
                    align,
                    packed: r.packed,
                    writer,
                    doc: r.doc.clone(),
                    fields,
                    span: span(s),
                    name_span: span(&r.name),
                });
            }
        }
        structs
    }

    fn fields(
        &mut self,
        r: &RawStruct,
        kind: StructKind,
        default_writer: Writer,
        abi: Option<&Abi>,
        features: &[Feature],
        struct_names: &HashSet<&str>,
    ) -> Vec<Field> {
        let first = abi.map_or(0, |a| a.first_version);
        let mut fields: Vec<Field> = Vec::new();
        let mut names = HashSet::new();
        // The newest `since` among fields that are neither reserved nor were
        // reserved, and the field that set it.
        let mut newest: Option<(u32, String)> = None;
        let count = r.field.len();
        for (index, f) in r.field.iter().enumerate() {
            let fr = f.get_ref();
            let name_ok = self.identifier("field", &fr.name);
            if name_ok && !names.insert(fr.name.get_ref().as_str()) {
                self.error(
                    format!(
                        "field `{}` appears twice in struct `{}`",
                        fr.name.get_ref(),
                        r.name.get_ref()
                    ),
                    span(&fr.name),
                    "field names are unique within a struct",
                );
            }
            let ty = match parse_type(fr.ty.get_ref()) {
                Ok(ty) => Some(ty),
                Err(message) => {
                    self.error(message, span(&fr.ty), type_help());
                    None
                }
            };
            if let Some(ty) = &ty {
                if let Some(name) = ty.struct_name() {
                    if !struct_names.contains(name) {
                        self.error(
                            format!("unknown type `{name}`"),
                            span(&fr.ty),
                            format!(
                                "it is neither a built-in type nor a struct of this spec; {}",
                                type_help()
                            ),
                        );
                    }
                }
                if ty.is_flexible() {
                    if kind == StructKind::Union {
                        self.error(
                            "a union cannot have a flexible array member",
                            span(&fr.ty),
                            "give the array a length",
                        );
                    } else if count == 1 {
                        self.error(
                            "a flexible array cannot be a struct's only field",
                            span(&fr.ty),
                            "C requires a named member before it: add the field that holds the count",
                        );
                    } else if index + 1 != count {
                        self.error(
                            "a flexible array member must be the last field",
                            span(&fr.ty),
                            "move it to the end of the struct, or give it a length",
                        );
                    }
                }
            }
            let (since, since_span) = self.since(&fr.since, span(&fr.name), abi);
            let align = fr.align.as_ref().and_then(|a| self.alignment(a));
            let writer = fr
                .writer
                .as_ref()
                .and_then(|w| self.writer(w))
                .unwrap_or(default_writer);
            let was_reserved = match fr.was_reserved.as_ref().map(|w| (w, w.get_ref())) {
                None | Some((_, WasReserved::Always(false))) => None,
                Some((w, value)) => {
                    let from = match value {
                        WasReserved::Always(_) => Some(first),
                        WasReserved::Since(v) => {
                            self.version_value("was_reserved", &Spanned::new(w.span(), *v))
                        }
                    };
                    match from {
                        Some(from) if fr.reserved => {
                            let _ = from;
                            self.error(
                                "a reserved field cannot also have `was_reserved`",
                                span(w),
                                "`was_reserved` belongs on the field that claimed the bytes",
                            );
                            None
                        }
                        Some(from) if from >= since => {
                            self.error(
                                format!("was_reserved {from} is not older than since {since}"),
                                span(w),
                                "`was_reserved` names the version from which the bytes were reserved, before the field claimed them",
                            );
                            None
                        }
                        Some(from) if from < first => {
                            self.error(
                                format!(
                                    "was_reserved {from} is older than the first version {first}"
                                ),
                                span(w),
                                "use `true` to mean from the first version",
                            );
                            None
                        }
                        other => other,
                    }
                }
            };
            if let Some(feature) = &fr.feature {
                if fr.reserved {
                    self.error(
                        "a reserved field cannot have a feature",
                        span(feature),
                        "reserved bytes are never switched on; remove `feature` or `reserved`",
                    );
                }
                match features.iter().find(|x| x.name == *feature.get_ref()) {
                    None => self.error(
                        format!("unknown feature `{}`", shown(feature.get_ref())),
                        span(feature),
                        if features.is_empty() {
                            "this ABI defines no [[feature]]: add one, or remove `feature`"
                                .to_string()
                        } else {
                            format!(
                                "known features: {}",
                                features
                                    .iter()
                                    .map(|x| x.name.as_str())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            )
                        },
                    ),
                    Some(x) if x.since > since => self.error(
                        format!(
                            "feature `{}` appears in version {}, after this field (since {since})",
                            x.name, x.since
                        ),
                        span(feature),
                        "a field cannot be gated by a feature that did not exist yet",
                    ),
                    Some(_) => {}
                }
            }
            if !fr.reserved && was_reserved.is_none() && fr.was_reserved.is_none() {
                if let Some((newest_since, newest_name)) = &newest {
                    if since < *newest_since {
                        self.error(
                            format!(
                                "field `{}` (since {since}) comes after `{newest_name}` (since {newest_since})",
                                fr.name.get_ref()
                            ),
                            since_span,
                            "new fields are appended: move this field before the newer ones, or mark claimed bytes with `was_reserved`",
                        );
                    }
                }
                if newest.as_ref().is_none_or(|(s, _)| since >= *s) {
                    newest = Some((since, fr.name.get_ref().clone()));
                }
            }
            if let (true, Some(ty)) = (name_ok, ty) {
                fields.push(Field {
                    name: fr.name.get_ref().clone(),
                    ty,
                    since,
                    feature: fr.feature.as_ref().map(|f| f.get_ref().clone()),
                    align,
                    reserved: fr.reserved,
                    was_reserved,
                    writer,
                    doc: fr.doc.clone(),
                    span: span(f),
                    name_span: span(&fr.name),
                    type_span: span(&fr.ty),
                    since_span,
                });
            }
        }
        fields
    }

    /// Orders structs so that each comes after those it contains; refuses
    /// cycles, too-deep nesting, and nesting a struct that ends in a
    /// flexible array.
    fn dependency_order(&mut self, structs: &[StructDef]) -> Option<Vec<usize>> {
        let index: HashMap<&str, usize> = structs
            .iter()
            .enumerate()
            .map(|(i, s)| (s.name.as_str(), i))
            .collect();
        #[derive(Clone, Copy, PartialEq)]
        enum Mark {
            New,
            Active,
            Done(usize),
        }
        let mut marks = vec![Mark::New; structs.len()];
        let mut order = Vec::with_capacity(structs.len());
        let mut ok = true;
        for root in 0..structs.len() {
            if marks[root] != Mark::New {
                continue;
            }
            // Iterative depth-first search: (struct, next field to visit).
            let mut stack: Vec<(usize, usize)> = vec![(root, 0)];
            marks[root] = Mark::Active;
            while let Some(&mut (s, ref mut next)) = stack.last_mut() {
                let fields = &structs[s].fields;
                if *next < fields.len() {
                    let field = &fields[*next];
                    *next += 1;
                    let Some(&child) = field.ty.struct_name().and_then(|n| index.get(n)) else {
                        continue;
                    };
                    if structs[child]
                        .fields
                        .last()
                        .is_some_and(|f| f.ty.is_flexible())
                    {
                        self.error(
                            format!("struct `{}` ends in a flexible array and cannot be nested", structs[child].name),
                            field.type_span,
                            "ISO C forbids it: make the flexible array a fixed-size array, or do not nest the struct",
                        );
                        ok = false;
                    }
                    match marks[child] {
                        Mark::Active => {
                            let start = stack.iter().position(|&(x, _)| x == child).unwrap_or(0);
                            let path: Vec<&str> = stack[start..]
                                .iter()
                                .map(|&(x, _)| structs[x].name.as_str())
                                .chain([structs[child].name.as_str()])
                                .collect();
                            self.error(
                                format!("struct `{}` contains itself: {}", structs[child].name, path.join(" -> ")),
                                field.type_span,
                                "a struct cannot contain itself; use a pointer-sized field or break the cycle",
                            );
                            ok = false;
                        }
                        Mark::New => {
                            if stack.len() >= MAX_NESTING_DEPTH {
                                self.error(
                                    format!(
                                        "structs are nested more than {MAX_NESTING_DEPTH} deep"
                                    ),
                                    field.type_span,
                                    "flatten the nesting",
                                );
                                ok = false;
                                continue;
                            }
                            marks[child] = Mark::Active;
                            stack.push((child, 0));
                        }
                        Mark::Done(_) => {}
                    }
                } else {
                    marks[s] = Mark::Done(order.len());
                    order.push(s);
                    stack.pop();
                }
            }
        }
        ok.then_some(order)
    }

    /// A field that contains a struct must not exist before that struct.
    fn nested_versions(&mut self, structs: &[StructDef]) {
        for def in structs {
            for field in &def.fields {
                let Some(inner) = field
                    .ty
                    .struct_name()
                    .and_then(|n| structs.iter().find(|s| s.name == n))
                else {
                    continue;
                };
                let from = field
                    .was_reserved
                    .map_or(field.since, |w| w.min(field.since));
                if from < inner.since() {
                    self.error(
                        format!(
                            "field `{}` exists from version {from}, but struct `{}` only from version {}",
                            field.name,
                            inner.name,
                            inner.since()
                        ),
                        field.type_span,
                        format!("set `since = {}` on the field, or give `{}` a field from version {from}", inner.since(), inner.name),
                    );
                }
            }
        }
    }

    fn waivers(&mut self, raw: &RawSpec, structs: &[StructDef]) -> Vec<Waiver> {
        let mut waivers = Vec::new();
        for w in &raw.waiver {
            let r = w.get_ref();
            let mut ok = true;
            let rule = r.rule.get_ref();
            match Rule::from_id(rule) {
                None => {
                    self.error(
                        format!("unknown rule `{}`", shown(rule)),
                        span(&r.rule),
                        "`abi-check explain --list` lists the rules",
                    );
                    ok = false;
                }
                Some(rule) if !rule.waivable() => {
                    self.error(
                        format!("{} cannot be waived", rule.id()),
                        span(&r.rule),
                        "removing a field or struct, or shrinking a struct, breaks every older caller: restore it instead",
                    );
                    ok = false;
                }
                Some(_) => {}
            }
            let def = r.struct_name.as_ref().and_then(|s| {
                let def = structs.iter().find(|d| d.name == *s.get_ref());
                if def.is_none() {
                    self.error(
                        format!("waiver names unknown struct `{}`", shown(s.get_ref())),
                        span(s),
                        "name a struct of this spec",
                    );
                    ok = false;
                }
                def
            });
            if let Some(field) = &r.field {
                match (&r.struct_name, def) {
                    (None, _) => {
                        self.error(
                            "a waiver that names a field must name its struct",
                            span(field),
                            "add `struct = \"...\"`",
                        );
                        ok = false;
                    }
                    (Some(_), Some(def)) if def.field(field.get_ref()).is_none() => {
                        self.error(
                            format!(
                                "struct `{}` has no field `{}`",
                                def.name,
                                shown(field.get_ref())
                            ),
                            span(field),
                            "name a field of that struct",
                        );
                        ok = false;
                    }
                    _ => {}
                }
            }
            let target = r.target.as_ref().and_then(|t| {
                let target = Target::from_name(t.get_ref());
                if target.is_none() {
                    self.error(
                        format!("unknown target `{}`", shown(t.get_ref())),
                        span(t),
                        format!(
                            "built-in targets: {}",
                            Target::ALL.map(Target::name).join(", ")
                        ),
                    );
                    ok = false;
                }
                target
            });
            if r.reason.get_ref().trim().is_empty() {
                self.error(
                    "a waiver needs a reason",
                    span(&r.reason),
                    "say why the finding is accepted",
                );
                ok = false;
            }
            let expires = r.expires.as_ref().and_then(|e| {
                let date = Date::parse(e.get_ref());
                if date.is_none() {
                    self.error(
                        format!("`{}` is not a date", shown(e.get_ref())),
                        span(e),
                        "write the date as YYYY-MM-DD",
                    );
                    ok = false;
                }
                date
            });
            if ok {
                waivers.push(Waiver {
                    rule: rule.clone(),
                    struct_name: r.struct_name.as_ref().map(|s| s.get_ref().clone()),
                    field: r.field.as_ref().map(|f| f.get_ref().clone()),
                    target,
                    reason: r.reason.get_ref().clone(),
                    expires,
                    span: span(w),
                });
            }
        }
        waivers
    }

    /// Lays every struct out at the newest version on one target of each
    /// layout class, so that sizes that overflow are refused here, with the
    /// field that overflows. Older versions need no pass of their own: their
    /// fields are a subsequence of the newest ones (placeholders keep size
    /// and alignment), so every offset and size is at most the newest one's.
    fn layouts(&mut self, spec: &Spec) {
        let mut classes = Vec::new();
        for target in Target::ALL {
            let class = target.layout_class();
            if classes.contains(&class) {
                continue;
            }
            classes.push(class);
            if let Err(e) = layout::layout_all(spec, target, spec.abi.version) {
                let def = &spec.structs[e.struct_index];
                let span = e
                    .field_index
                    .map_or(def.name_span, |f| def.fields[f].type_span);
                self.error(
                    format!(
                        "struct `{}` cannot be laid out on {target}: {}",
                        def.name, e.message
                    ),
                    span,
                    format!("C objects are limited to {MAX_OBJECT_SIZE} bytes on 32-bit targets"),
                );
                return;
            }
        }
    }
}

/// User text quoted in a message: escaped (no control characters reach the
/// terminal) and cut to a readable length.
fn shown(text: &str) -> String {
    const MAX: usize = 64;
    let escaped: String = text.escape_debug().collect();
    if escaped.chars().count() <= MAX {
        escaped
    } else {
        let cut: String = escaped.chars().take(MAX).collect();
        format!("{cut}...")
    }
}

fn type_help() -> String {
    format!(
        "types are {}, `[T; N]`, `[T]` (last field only) or the name of another struct",
        Scalar::ALL.map(Scalar::name).join(", ")
    )
}

/// Parses a type expression: a scalar, a struct name, `[T; N]` or `[T]`.
/// Struct names are checked against the spec by the caller.
pub fn parse_type(text: &str) -> Result<Type, String> {
    fn parse(text: &str, depth: usize) -> Result<Type, String> {
        let t = text.trim();
        if let Some(inner) = t.strip_prefix('[') {
            if depth >= MAX_ARRAY_DEPTH {
                return Err(format!(
                    "arrays are nested more than {MAX_ARRAY_DEPTH} deep"
                ));
            }
            let inner = inner
                .strip_suffix(']')
                .ok_or_else(|| format!("`{}` has no closing `]`", shown(t)))?;
            // The length follows the last top-level `;`.
            let mut level = 0usize;
            let mut split = None;
            for (i, c) in inner.char_indices() {
                match c {
                    '[' => level += 1,
                    ']' => level = level.saturating_sub(1),
                    ';' if level == 0 => split = Some(i),
                    _ => {}
                }
            }
            return match split {
                None => {
                    let element = parse(inner, depth + 1)?;
                    if element.is_flexible() {
                        return Err("an array of flexible arrays has no size".into());
                    }
                    Ok(Type::Flexible(Box::new(element)))
                }
                Some(i) => {
                    let element = parse(&inner[..i], depth + 1)?;
                    if element.is_flexible() {
                        return Err("an array of flexible arrays has no size".into());
                    }
                    let len_text = inner[i + 1..].trim().replace('_', "");
                    let len = if let Some(hex) = len_text.strip_prefix("0x") {
                        u64::from_str_radix(hex, 16)
                    } else {
                        len_text.parse::<u64>()
                    };
                    match len {
                        Ok(0) => Err(format!(
                            "`{}` has length 0",
                            shown(t)
                        )),
                        Ok(len) if len > MAX_OBJECT_SIZE => Err(format!(
                            "array length {len} is larger than any C object may be ({MAX_OBJECT_SIZE} bytes)"
                        )),
                        Ok(len) => Ok(Type::Array {
                            element: Box::new(element),
                            len,
                        }),
                        Err(_) => Err(format!(
                            "array length `{}` is not a number",
                            shown(inner[i + 1..].trim())
                        )),
                    }
                }
            };
        }
        if let Some(scalar) = Scalar::from_name(t) {
            return Ok(Type::Scalar(scalar));
        }
        let is_ident = t
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
            && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if is_ident {
            Ok(Type::Struct(t.to_string()))
        } else {
            Err(format!("unknown type `{}`", shown(t)))
        }
    }
    parse(text, 0)
}
