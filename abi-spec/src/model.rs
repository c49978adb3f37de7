//! The validated model of one spec file: the ABI, its feature bits, named
//! constants, structs and waivers. Every value here has passed
//! [`crate::parse()`]'s validation; code that consumes a [`Spec`] may rely on
//! the invariants documented on each type.

use std::fmt;
use std::sync::Arc;

use crate::layout::{Layout, LayoutTable};
use crate::source::{Location, Source, Span};
use crate::target::Target;
use crate::types::Scalar;

/// Position 63 of every feature word: set when another word follows.
pub const EXTENSION_BIT_POSITION: u32 = 63;

/// The type of a struct field.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Type {
    /// A scalar.
    Scalar(Scalar),
    /// `[T; N]`, N at least 1.
    Array {
        /// The element type.
        element: Box<Type>,
        /// The number of elements.
        len: u64,
    },
    /// `[T]`: a flexible array member, always the last field.
    Flexible(Box<Type>),
    /// Another struct of the same spec, by name.
    Struct(String),
}

impl Type {
    /// The innermost element type, through arrays.
    pub fn element(&self) -> &Type {
        match self {
            Type::Array { element, .. } | Type::Flexible(element) => element.element(),
            other => other,
        }
    }

    /// The struct this type names, through arrays.
    pub fn struct_name(&self) -> Option<&str> {
        match self.element() {
            Type::Struct(name) => Some(name),
            _ => None,
        }
    }

    /// The scalar this type is made of, through arrays.
    pub fn scalar(&self) -> Option<Scalar> {
        match self.element() {
            Type::Scalar(s) => Some(*s),
            _ => None,
        }
    }

    /// True for `[T]`.
    pub fn is_flexible(&self) -> bool {
        matches!(self, Type::Flexible(_))
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::Scalar(s) => f.write_str(s.name()),
            Type::Array { element, len } => write!(f, "[{element}; {len}]"),
            Type::Flexible(element) => write!(f, "[{element}]"),
            Type::Struct(name) => f.write_str(name),
        }
    }
}

/// Who writes a field.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Writer {
    /// Only the kernel writes it; user space reads.
    Kernel,
    /// Only user space writes it; the kernel reads.
    User,
    /// Both sides write it.
    #[default]
    Both,
}

impl Writer {
    /// The spelling in spec files.
    pub fn name(self) -> &'static str {
        match self {
            Writer::Kernel => "kernel",
            Writer::User => "user",
            Writer::Both => "both",
        }
    }

    /// True when user space may write the field.
    pub fn user_writes(self) -> bool {
        matches!(self, Writer::User | Writer::Both)
    }

    /// True when the kernel may write the field.
    pub fn kernel_writes(self) -> bool {
        matches!(self, Writer::Kernel | Writer::Both)
    }
}

/// `struct` or `union`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum StructKind {
    /// Fields one after another.
    #[default]
    Struct,
    /// Every field at offset 0.
    Union,
}

impl StructKind {
    /// The C keyword.
    pub fn keyword(self) -> &'static str {
        match self {
            StructKind::Struct => "struct",
            StructKind::Union => "union",
        }
    }
}

/// A calendar date, for waiver expiry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Date {
    /// Year.
    pub year: u16,
    /// Month, 1-12.
    pub month: u8,
    /// Day, 1-31.
    pub day: u8,
}

impl Date {
    /// Today's date (UTC), from the system clock.
    pub fn today() -> Date {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Date::from_days_since_epoch((secs / 86_400) as i64)
    }

    /// The civil date of a day count since 1970-01-01 (proleptic Gregorian).
    pub fn from_days_since_epoch(days: i64) -> Date {
        // Howard Hinnant's days-to-civil algorithm, in eras of 400 years.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as u16;
        Date { year, month, day }
    }

    /// Parses `YYYY-MM-DD`.
    pub fn parse(text: &str) -> Option<Date> {
        let mut parts = text.split('-');
        let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() || y.len() != 4 || m.len() != 2 || d.len() != 2 {
            return None;
        }
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if !(digits(y) && digits(m) && digits(d)) {
            return None;
        }
        let date = Date {
            year: y.parse().ok()?,
            month: m.parse().ok()?,
            day: d.parse().ok()?,
        };
        let leap = date.year % 4 == 0 && (date.year % 100 != 0 || date.year % 400 == 0);
        let days_in_month = match date.month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return None,
        };
        (1..=days_in_month).contains(&date.day).then_some(date)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// The `[abi]` table.
#[derive(Clone, Debug)]
pub struct Abi {
    /// A C identifier; the prefix of generated constants.
    pub name: String,
    /// The newest version the file describes.
    pub version: u32,
    /// The oldest version (`first_version`, else 0 when any `since` is 0, else 1).
    pub first_version: u32,
    /// Documentation.
    pub doc: Option<String>,
    /// The targets this ABI promises, in [`Target::ALL`] order, never empty.
    pub targets: Vec<Target>,
    /// How many u64 feature words the ABI defines (at least 1).
    pub feature_words: u32,
    /// An SPDX license expression for generated headers.
    pub license: Option<String>,
    /// The prefix of the C names generated for the ABI (feature macros,
    /// constants): `c_prefix`, else the name upper-cased and `_`
    /// (`TLABI_`). Linux's headers have their own (`PIDFD_INFO_`).
    pub c_prefix: String,
    /// The newest version is not released yet: `diff` judges changes to
    /// it against the last released version only.
    pub unreleased: bool,
    /// The `[abi]` table.
    pub span: Span,
    /// The `version` value.
    pub version_span: Span,
}

/// A feature bit.
#[derive(Clone, Debug)]
pub struct Feature {
    /// A C identifier, unique among features and constants (case-insensitively).
    pub name: String,
    /// The global bit number: word `bit / 64`, position `bit % 64`, never 63.
    pub bit: u32,
    /// The version that introduced it.
    pub since: u32,
    /// A retired bit stays in the file forever and is never reused.
    pub retired: bool,
    /// The C macro's name, when the spec gives it (`PIDFD_INFO_PID`);
    /// otherwise the generators derive it from the ABI's prefix.
    pub c_name: Option<String>,
    /// Documentation.
    pub doc: Option<String>,
    /// The `[[feature]]` table.
    pub span: Span,
    /// The `name` value.
    pub name_span: Span,
    /// The `bit` value.
    pub bit_span: Span,
    /// The `since` value, or the table when absent.
    pub since_span: Span,
}

impl Feature {
    /// The u64 word the bit lives in.
    pub fn word(&self) -> u32 {
        self.bit / 64
    }

    /// The position of the bit inside its word.
    pub fn position(&self) -> u32 {
        self.bit % 64
    }
}

/// A named constant.
#[derive(Clone, Debug)]
pub struct Constant {
    /// A C identifier.
    pub name: String,
    /// The value, in range for `ty`.
    pub value: i64,
    /// An integer scalar of fixed size.
    pub ty: Scalar,
    /// The C macro's name, when the spec gives it (`CLONE_ARGS_SIZE_VER0`);
    /// otherwise the generators derive it from the ABI's prefix.
    pub c_name: Option<String>,
    /// Documentation.
    pub doc: Option<String>,
    /// The `[[constant]]` table.
    pub span: Span,
}

/// A struct or union.
#[derive(Clone, Debug)]
pub struct StructDef {
    /// A C identifier, unique among structs.
    pub name: String,
    /// Struct or union.
    pub kind: StructKind,
    /// Minimum alignment, a power of two.
    pub align: Option<u64>,
    /// `__attribute__((packed))`.
    pub packed: bool,
    /// Who writes its fields unless a field says otherwise.
    pub writer: Writer,
    /// The prefix of Linux-style size macros (`PERF_ATTR_SIZE_VER`): one
    /// macro per distinct size, numbered from 0 in version order, as
    /// Linux names them. `None`: the generators' own per-version names.
    pub size_macro: Option<String>,
    /// Documentation.
    pub doc: Option<String>,
    /// Fields in memory order, newest view; empty for an empty struct
    /// (size 0, as GNU C lays it out).
    pub fields: Vec<Field>,
    /// The `[[struct]]` table.
    pub span: Span,
    /// The `name` value.
    pub name_span: Span,
}

/// Per struct (indexed like `structs`): true when it ends in a flexible
/// array member, directly (its last field is one) or in a struct or union
/// member that does (a struct's last field; any member of a union). ISO C
/// forbids such a struct as a member; GNU C allows it (the kernel's
/// `__DECLARE_FLEX_ARRAY`). Computed for every struct at once, from the
/// structs that end in one up to those that contain them, so that a struct
/// holding the next one twice, 32 deep, costs no more than once (asking
/// each struct by recursion visits every path: 2^32 of them); a cycle
/// (refused by validation) ends in none.
pub(crate) fn flexible_ends(structs: &[StructDef]) -> Vec<bool> {
    let index: std::collections::HashMap<&str, usize> = structs
        .iter()
        .enumerate()
        .map(|(i, s)| (s.name.as_str(), i))
        .collect();
    // Who ends in a struct when it does: (contained, container) edges.
    let mut containers: Vec<Vec<usize>> = vec![Vec::new(); structs.len()];
    let mut ends = vec![false; structs.len()];
    let mut work = Vec::new();
    for (i, def) in structs.iter().enumerate() {
        let members: &[Field] = match def.kind {
            StructKind::Struct => def.fields.last().map_or(&[], std::slice::from_ref),
            StructKind::Union => &def.fields,
        };
        for field in members {
            if def.kind == StructKind::Struct && field.ty.is_flexible() {
                ends[i] = true;
            }
            if let Type::Struct(name) = &field.ty {
                if let Some(&inner) = index.get(name.as_str()) {
                    containers[inner].push(i);
                }
            }
        }
        if ends[i] {
            work.push(i);
        }
    }
    while let Some(inner) = work.pop() {
        for &outer in &containers[inner] {
            if !ends[outer] {
                ends[outer] = true;
                work.push(outer);
            }
        }
    }
    ends
}

impl StructDef {
    /// A field by name.
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// The first version in which the struct has a field.
    pub fn since(&self) -> u32 {
        self.fields
            .iter()
            .map(|f| f.was_reserved.map_or(f.since, |w| w.min(f.since)))
            .min()
            .unwrap_or(0)
    }

    /// The fields present in version `version`, in memory order, each with
    /// whether it is only a reserved placeholder there (a later field whose
    /// bytes were reserved in that version). Empty when the struct does not
    /// exist yet.
    pub fn view(&self, version: u32) -> impl Iterator<Item = (usize, &Field, bool)> + '_ {
        self.fields.iter().enumerate().filter_map(move |(i, f)| {
            if f.since <= version {
                Some((i, f, false))
            } else if f.was_reserved.is_some_and(|w| w <= version) {
                Some((i, f, true))
            } else {
                None
            }
        })
    }
}

/// A field of a struct.
#[derive(Clone, Debug)]
pub struct Field {
    /// A C identifier, unique in its struct.
    pub name: String,
    /// Its type.
    pub ty: Type,
    /// The version that introduced it.
    pub since: u32,
    /// The feature bit that says the field is filled.
    pub feature: Option<String>,
    /// Minimum alignment, a power of two.
    pub align: Option<u64>,
    /// Padding that must be zero and may be claimed later.
    pub reserved: bool,
    /// From this version until `since`, the bytes were reserved (must be zero).
    pub was_reserved: Option<u32>,
    /// Who writes it (the struct's writer unless overridden).
    pub writer: Writer,
    /// A bitfield's width in bits (`bits = 3`: C's `__u64 x:3`); the type
    /// is then an integer scalar no narrower.
    pub bits: Option<u32>,
    /// Emitted without a name in C: a struct or union member whose own
    /// members are members of the enclosing struct (C11's anonymous struct
    /// or union), or padding bits (`__u32 :3;`, always reserved). The name
    /// is the spec's, for Rust and for messages.
    pub unnamed: bool,
    /// Documentation.
    pub doc: Option<String>,
    /// The `[[struct.field]]` table.
    pub span: Span,
    /// The `name` value.
    pub name_span: Span,
    /// The `type` value.
    pub type_span: Span,
    /// The `since` value, or the name when absent.
    pub since_span: Span,
}

impl Field {
    /// True for a bitfield (`bits` set).
    pub fn is_bitfield(&self) -> bool {
        self.bits.is_some()
    }

    /// The type as messages show it: `u32`, or `u64:1` for a bitfield.
    pub fn type_text(&self) -> String {
        match self.bits {
            Some(bits) => format!("{}:{bits}", self.ty),
            None => self.ty.to_string(),
        }
    }

    /// True for a member C writes without a name whose members belong to
    /// the enclosing struct (an anonymous struct or union).
    pub fn is_anonymous_member(&self) -> bool {
        self.unnamed && !self.is_bitfield()
    }
}

/// What a set of named values is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum FlagKind {
    /// Bits that combine (`CLONE_VM | CLONE_FS`).
    #[default]
    Bits,
    /// Values of which one is meant at a time (`RESOLVE_*` are bits;
    /// an `enum` of modes is not).
    Enum,
}

impl FlagKind {
    /// The spelling in spec files.
    pub fn name(self) -> &'static str {
        match self {
            FlagKind::Bits => "bits",
            FlagKind::Enum => "enum",
        }
    }
}

/// A set of named values (`[[flags]]`): C macros and a Rust newtype.
#[derive(Clone, Debug)]
pub struct FlagSet {
    /// A C identifier, unique among flag sets and structs; the Rust
    /// newtype's name.
    pub name: String,
    /// The integer type of the values.
    pub ty: Scalar,
    /// Bits or enumerated values.
    pub kind: FlagKind,
    /// Prepended to each value's name for its C macro (`CLONE_`), and left
    /// out of the Rust constant's (`CloneFlags::VM`).
    pub prefix: String,
    /// Documentation.
    pub doc: Option<String>,
    /// The values, in file order.
    pub values: Vec<FlagValue>,
    /// The `[[flags]]` table.
    pub span: Span,
    /// The `name` value.
    pub name_span: Span,
}

/// One value of a [`FlagSet`].
#[derive(Clone, Debug)]
pub struct FlagValue {
    /// A C identifier, unique in its set; the C macro is the set's prefix
    /// and this.
    pub name: String,
    /// The value, as the bits of the set's type.
    pub value: u64,
    /// The version that introduced it.
    pub since: u32,
    /// A retired value stays in the file and is never given to another.
    pub retired: bool,
    /// Documentation.
    pub doc: Option<String>,
    /// The `[[flags.value]]` table.
    pub span: Span,
    /// The `name` value.
    pub name_span: Span,
    /// The `value` (or `bit`) value.
    pub value_span: Span,
}

/// An accepted finding.
#[derive(Clone, Debug)]
pub struct Waiver {
    /// The rule ID it accepts.
    pub rule: String,
    /// Only findings on this struct.
    pub struct_name: Option<String>,
    /// Only findings on this field.
    pub field: Option<String>,
    /// Only findings on this target.
    pub target: Option<Target>,
    /// Why the finding is accepted; never empty.
    pub reason: String,
    /// After this date the waiver no longer applies.
    pub expires: Option<Date>,
    /// The `[[waiver]]` table.
    pub span: Span,
}

/// One validated spec file.
#[derive(Clone, Debug)]
pub struct Spec {
    /// The text it was read from.
    pub source: Arc<Source>,
    /// The `[abi]` table.
    pub abi: Abi,
    /// Feature bits, in file order.
    pub features: Vec<Feature>,
    /// Named constants, in file order.
    pub constants: Vec<Constant>,
    /// Structs, in file order.
    pub structs: Vec<StructDef>,
    /// Sets of named values, in file order.
    pub flags: Vec<FlagSet>,
    /// Waivers, in file order.
    pub waivers: Vec<Waiver>,
    /// Struct indices such that every struct comes after the structs it
    /// contains.
    pub dependency_order: Vec<usize>,
    /// The layouts, computed once on demand: see [`Spec::layout`].
    pub(crate) layouts: LayoutTable,
}

impl Spec {
    /// Every version, oldest first.
    pub fn versions(&self) -> std::ops::RangeInclusive<u32> {
        self.abi.first_version..=self.abi.version
    }

    /// True when the ABI negotiates with feature bits as well as size.
    pub fn has_features(&self) -> bool {
        !self.features.is_empty()
    }

    /// A struct by name.
    pub fn struct_def(&self, name: &str) -> Option<&StructDef> {
        self.structs.get(self.struct_index(name)?)
    }

    /// A struct's index by name.
    pub fn struct_index(&self, name: &str) -> Option<usize> {
        self.layouts
            .struct_index(self, name)
            .filter(|&i| self.structs.get(i).is_some_and(|s| s.name == name))
    }

    /// A feature by name.
    pub fn feature(&self, name: &str) -> Option<&Feature> {
        self.features
            .get(self.layouts.feature_index(self, name)?)
            .filter(|f| f.name == name)
    }

    /// The layout of struct `struct_index` on `target` in `version`, or
    /// `None` when the struct has no field in that version (or the version
    /// is outside the spec's history). Computed once per layout class and
    /// version, then kept; a validated spec always lays out. The layout's
    /// `target` is the first target of `target`'s layout class.
    pub fn layout(&self, struct_index: usize, target: Target, version: u32) -> Option<&Layout> {
        self.layouts_at(target, version).get(struct_index)?.as_ref()
    }

    /// The `sizeof`, feature size and alignment of struct `struct_index`
    /// on `target` in `version` (`None` as for [`Spec::layout`]): what
    /// the layout says, without keeping every field's place in every
    /// version, for a caller that asks about every version.
    pub fn sizes(
        &self,
        struct_index: usize,
        target: Target,
        version: u32,
    ) -> Option<crate::layout::Sizes> {
        *self
            .layouts
            .sizes(self, target, version)
            .get(struct_index)?
    }

    /// Every struct's layout on `target` in `version`, indexed like
    /// [`Spec::structs`] (empty outside the spec's history).
    pub fn layouts_at(&self, target: Target, version: u32) -> &[Option<Layout>] {
        self.layouts.structs(self, target, version)
    }

    /// The file, line and column of a span.
    pub fn location(&self, span: Span) -> Location {
        self.source.location(span.start)
    }
}
