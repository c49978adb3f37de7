//! Spec files written from compiled layouts: what `abi-check dump --format
//! toml`, `abi-check import` and `dump`'s history of several binaries print.
//!
//! The structs read from one binary (or one compiler's object) become a
//! [`Model`]: spec structs with their fields, each field still knowing the
//! offset, size and bits it had as compiled. `dump` renders one model as it
//! is ([`one_binary`]); `import` builds one per target and unifies them; the
//! history merges one per binary into versions. [`render`] writes the TOML
//! text, comments included; [`differences`] lays the written spec out and
//! says where it differs from the model. The type mapping and the naming
//! live here once.
//!
//! What C has, the spec says: a bitfield is a field with `bits = N` (its
//! declared type: `__u64 disabled:1` is `type = "u64"`, `bits = 1`), an
//! anonymous struct or union is an `unnamed = true` field whose type is a
//! struct of its own, plain `char` is `char`, `T x[0]` is `[T; 0]`, an
//! empty struct has no field. What DWARF does not record is made explicit:
//! holes and tail padding become reserved byte fields, and bits that no
//! bitfield holds (an unnamed bitfield, a zero-width one, a unit boundary)
//! become unnamed `u8` padding bits where they share a byte with a
//! bitfield, so that each bitfield lies where the compiler put it on every
//! target's rules.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use abi_spec::{Spec, Target};

use crate::model::{Bits, CStruct, CType, Kind, Member, TypeKind};
use crate::text::shown;
use crate::{Dump, Found};

/// The closest spec name to a C name.
pub fn identifier(name: &str) -> String {
    abi_spec::names::spec_name_for(name)
}

/// A TOML basic string: quotes, backslashes and every control character
/// escaped (DEL included, which TOML refuses raw).
pub fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The spec spelling of a type; structs by name (anonymous ones by the
/// name the writer gave them). An unbounded array is `[T]`: where it is
/// not a struct's last member, the writer makes it `[T; 0]`.
pub fn spec_type(ty: &CType, names: &HashMap<*const CStruct, String>) -> String {
    match &ty.kind {
        TypeKind::Scalar {
            plain_char: true, ..
        } => "char".to_string(),
        TypeKind::Scalar {
            scalar: Some(s), ..
        } => s.name().to_string(),
        TypeKind::Scalar { scalar: None, .. } => format!("[u8; {}]", ty.size),
        TypeKind::Pointer => "ptr".to_string(),
        TypeKind::Array {
            element,
            len: Some(n),
        } => format!("[{}; {n}]", spec_type(element, names)),
        TypeKind::Array { element, len: None } => format!("[{}]", spec_type(element, names)),
        TypeKind::Aggregate(inner) => names
            .get(&(inner.as_ref() as *const CStruct))
            .cloned()
            .or_else(|| inner.name.clone())
            .unwrap_or_else(|| "anonymous".to_string()),
    }
}

/// How to build a model.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Say what was inferred, in comments: members named like reserved
    /// space (`__reserved*`, `__pad*`, `_res*`, `reserved*`) are marked
    /// `reserved = true`; C names that are not spec names, and anonymous
    /// members, say so.
    pub annotate: bool,
}

impl Options {
    /// What `dump --format toml` of one binary writes: no inference.
    pub const DUMP: Options = Options { annotate: false };
}

/// True when a member's name says its bytes are reserved space.
pub fn reserved_name(name: &str) -> bool {
    ["__reserved", "__pad", "_res", "reserved"]
        .iter()
        .any(|p| name.starts_with(p))
}

/// The structs of one binary, as spec structs.
#[derive(Clone, Debug, Default)]
pub struct Model {
    /// Structs in the order they are written: the ones asked for, then the
    /// nested ones as found.
    pub structs: Vec<StructModel>,
    /// `[[waiver]]` tables, written after every struct.
    pub waivers: Vec<WaiverModel>,
}

impl Model {
    /// A struct by spec name.
    pub fn get(&self, name: &str) -> Option<&StructModel> {
        self.structs.iter().find(|s| s.name == name)
    }
}

/// One spec struct.
#[derive(Clone, Debug)]
pub struct StructModel {
    /// Its spec name.
    pub name: String,
    /// Struct or union.
    pub kind: Kind,
    /// `align`: the compiled struct's explicit alignment.
    pub align: Option<u64>,
    /// `packed = true`.
    pub packed: bool,
    /// `doc`.
    pub doc: String,
    /// `sizeof` as compiled.
    pub size: u64,
    /// `_Alignof` as compiled (DWARF's, or the reader's inference).
    pub c_align: u64,
    /// For a struct asked for by name, that name (a query).
    pub query: Option<String>,
    /// TOML comment lines written before the table.
    pub comments: Vec<String>,
    /// Fields in memory order.
    pub fields: Vec<FieldModel>,
}

/// What a field stands for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// A member of the C struct (a bitfield too).
    Member {
        /// How C spells its type.
        c_type: String,
        /// An anonymous struct or union member (`unnamed = true`; its
        /// spec name is made up).
        anonymous: bool,
    },
    /// A hole, tail padding or padding bits that no member names.
    Padding {
        /// Tail padding (after the last member) rather than a hole.
        tail: bool,
    },
}

/// One spec field.
#[derive(Clone, Debug)]
pub struct FieldModel {
    /// Its spec name.
    pub name: String,
    /// Its spec type.
    pub ty: String,
    /// Offset in its struct, as compiled (for a bitfield, the byte of its
    /// first bit).
    pub offset: u64,
    /// Size, as compiled (for a bitfield, the bytes its bits touch).
    pub size: u64,
    /// A bitfield's bits, counted from the struct's first bit in
    /// allocation order (DWARF's `DW_AT_data_bit_offset`): `bits = width`.
    pub bits: Option<Bits>,
    /// `unnamed = true`: padding bits, or an anonymous struct or union.
    pub unnamed: bool,
    /// `align`.
    pub align: Option<u64>,
    /// `reserved = true`.
    pub reserved: bool,
    /// `since`.
    pub since: u32,
    /// `was_reserved`.
    pub was_reserved: Option<u32>,
    /// `doc`.
    pub doc: Option<String>,
    /// TOML comment lines written before the table.
    pub comments: Vec<String>,
    /// What it stands for.
    pub origin: Origin,
    /// A flexible array member.
    pub flexible: bool,
}

impl FieldModel {
    /// One past the last byte.
    pub fn end(&self) -> u64 {
        self.offset + self.size
    }

    /// The bits it holds, `[start, end)` in allocation order: its bitfield
    /// bits, or every bit of its bytes.
    pub fn bit_range(&self) -> (u64, u64) {
        match self.bits {
            Some(b) => (b.bit_offset, b.bit_offset + b.bit_size),
            None => (self.offset * 8, self.end() * 8),
        }
    }

    /// True for bytes or bits that are padding or reserved, whatever their
    /// name.
    pub fn is_reserved(&self) -> bool {
        self.reserved || matches!(self.origin, Origin::Padding { .. })
    }

    /// True for an anonymous struct or union member.
    pub fn is_anonymous(&self) -> bool {
        matches!(
            self.origin,
            Origin::Member {
                anonymous: true,
                ..
            }
        )
    }
}

/// One `[[waiver]]`.
#[derive(Clone, Debug)]
pub struct WaiverModel {
    /// `rule`.
    pub rule: String,
    /// `struct`.
    pub struct_name: String,
    /// `field`.
    pub field: Option<String>,
    /// `reason`.
    pub reason: String,
}

/// One `[[constant]]`.
#[derive(Clone, Debug)]
pub struct ConstantModel {
    /// `name`.
    pub name: String,
    /// `value`.
    pub value: i64,
    /// `type`.
    pub ty: String,
    /// `doc`.
    pub doc: Option<String>,
    /// TOML comment lines written before the table.
    pub comments: Vec<String>,
}

/// A whole spec file.
#[derive(Clone, Debug)]
pub struct Document {
    /// Comment lines at the top of the file.
    pub header: Vec<String>,
    /// `[abi] name`.
    pub abi_name: String,
    /// `[abi] version`.
    pub version: u32,
    /// `[abi] first_version`, when written.
    pub first_version: Option<u32>,
    /// `[abi] doc`.
    pub doc: String,
    /// `[abi] targets`; `None` leaves the key out (every built-in target).
    pub targets: Option<Vec<Target>>,
    /// Comment lines after the `[abi]` table.
    pub abi_comments: Vec<String>,
    /// `[[constant]]` tables.
    pub constants: Vec<ConstantModel>,
    /// The structs and waivers.
    pub model: Model,
    /// Wrap comment lines at [`COMMENT_WIDTH`] columns.
    pub wrap: bool,
}

/// The widest a wrapped comment line is, `# ` included.
pub const COMMENT_WIDTH: usize = 100;

// ------------------------------------------------------------ building

/// A struct waiting to be described: its spec name, the compiled struct,
/// its doc and, for one asked for, the query.
type Queued<'d> = (String, &'d CStruct, String, Option<String>);

struct Builder<'d> {
    options: Options,
    /// The target the structs were compiled for.
    target: Target,
    queue: Vec<Queued<'d>>,
    names: HashMap<*const CStruct, String>,
    taken: HashMap<String, usize>,
    /// Per name asked for (before any `_2`), the structs named so far:
    /// each member of type `struct statx_timestamp` is a copy of its own,
    /// and equal copies must share one spec struct.
    by_value: HashMap<String, Vec<(&'d CStruct, String)>>,
    waivers: Vec<WaiverModel>,
}

impl<'d> Builder<'d> {
    fn name_for(
        &mut self,
        s: &'d CStruct,
        wanted: String,
        doc: String,
        query: Option<String>,
    ) -> String {
        let key = s as *const CStruct;
        if let Some(name) = self.names.get(&key) {
            return name.clone();
        }
        let base = identifier(&wanted);
        let same = self
            .by_value
            .get(&base)
            .and_then(|seen| seen.iter().find(|(other, _)| *other == s));
        if let Some((_, name)) = same {
            let name = name.clone();
            self.names.insert(key, name.clone());
            return name;
        }
        let mut name = base.clone();
        let n = self.taken.entry(name.clone()).or_insert(0);
        *n += 1;
        if *n > 1 {
            let stem: String = name.chars().take(100).collect();
            name = format!("{stem}_{n}");
        }
        self.names.insert(key, name.clone());
        self.by_value
            .entry(base)
            .or_default()
            .push((s, name.clone()));
        self.queue.push((name.clone(), s, doc, query));
        name
    }
}

/// The model of the structs `found` in one binary built for `target`: each
/// struct asked for, then the structs it nests (anonymous ones included).
/// Holes and tail padding become reserved fields, bits no bitfield holds
/// padding bits.
pub fn build(found: &[Found], target: Target, options: Options) -> Model {
    let mut builder = Builder {
        options,
        target,
        queue: Vec::new(),
        names: HashMap::new(),
        taken: HashMap::new(),
        by_value: HashMap::new(),
        waivers: Vec::new(),
    };
    for f in found {
        let doc = match f.member_offset {
            Some(offset) => format!("The member `{}` (at offset {offset}) as compiled.", f.query),
            None => format!("`{} {}` as compiled.", f.layout.kind.keyword(), f.query),
        };
        builder.name_for(
            &f.layout,
            f.query.replace('.', "_"),
            doc,
            Some(f.query.clone()),
        );
    }
    let mut structs = Vec::new();
    let mut index = 0;
    while index < builder.queue.len() {
        let (name, s, doc, query) = builder.queue[index].clone();
        index += 1;
        structs.push(struct_model(&mut builder, &name, s, doc, query));
    }
    let mut model = Model {
        structs,
        waivers: builder.waivers,
    };
    nested_flexible_arrays(&mut model);
    unique_in_scope(&mut model);
    model
}

fn struct_model<'d>(
    builder: &mut Builder<'d>,
    name: &str,
    s: &'d CStruct,
    doc: String,
    query: Option<String>,
) -> StructModel {
    let members = members(builder, name, s);
    let mut fields: Vec<FieldModel> = Vec::new();
    // The first bit after everything placed so far, in allocation order.
    let mut end_bits = 0u64;
    let count = members.len();
    for (i, mut field) in members.into_iter().enumerate() {
        if s.kind == Kind::Struct {
            match field.bits {
                // A zero-width bitfield places itself.
                Some(b) if b.bit_size == 0 => {}
                Some(b) => {
                    if b.bit_offset > end_bits {
                        fields.extend(bit_gap(end_bits, b.bit_offset));
                    }
                }
                None => {
                    let end = end_bits.div_ceil(8);
                    if field.offset > end {
                        fields.push(padding(end, field.offset - end, false));
                    }
                }
            }
        }
        // An unbounded array that C does not end the struct with is GNU's
        // `[0]` (BTF records both as 0 elements), and so is one that is the
        // struct's only member (C wants a member before a flexible array).
        if field.flexible && (s.kind == Kind::Union || i + 1 != count || count == 1) {
            field.ty = zero_length(&field.ty);
            field.flexible = false;
        }
        end_bits = end_bits.max(field.bit_range().1);
        fields.push(field);
    }
    let end = end_bits.div_ceil(8);
    let flexible_last = fields.last().filter(|f| f.flexible).map(|f| f.name.clone());
    if s.kind == Kind::Union && s.size > end {
        // A member as large as the union names the bytes its largest
        // member leaves over.
        let mut all = padding(0, s.size, true);
        all.name = "reserved_size".into();
        all.doc = Some(format!(
            "The union's {} bytes, past its largest member's {end}; must be zero.",
            s.size
        ));
        fields.push(all);
    } else if s.size > end {
        match flexible_last {
            None => fields.push(padding(end, s.size - end, true)),
            // No field can follow a flexible array: the padding after it
            // is accepted on purpose, with the reason written down.
            Some(flexible) => builder.waivers.push(WaiverModel {
                rule: "IMPLICIT_PADDING".into(),
                struct_name: name.to_string(),
                field: Some(flexible.clone()),
                reason: format!(
                    "The compiled struct has {} bytes of tail padding after the flexible array \
                     `{flexible}`, which no field can name: a field after a flexible array \
                     is not C. Code that copies this struct must not copy those bytes out.",
                    s.size - end
                ),
            }),
        }
    }
    // Names cut to the spec's length, made identifiers or made up may meet.
    let mut used: HashSet<String> = HashSet::new();
    for f in &mut fields {
        let mut k = 1;
        while !used.insert(f.name.clone()) {
            k += 1;
            let stem: String = f.name.chars().take(100).collect();
            f.name = format!("{stem}_{k}");
        }
    }
    if builder.options.annotate {
        for f in &mut fields {
            let named_reserved = matches!(
                f.origin,
                Origin::Member {
                    anonymous: false,
                    ..
                }
            ) && reserved_name(&f.name)
                && !f.flexible;
            if named_reserved {
                f.reserved = true;
                f.comments.push(format!(
                    "reserved: inferred from the name `{}`; drop `reserved = true` if these \
                     {} carry data",
                    f.name,
                    if f.bits.is_some() { "bits" } else { "bytes" }
                ));
            }
        }
    }
    let mut comments = Vec::new();
    // A member aligned below its type (`compat_u64`, a `__u64` typedef'd
    // `aligned(4)`): the spec's `align` only raises, so the struct is
    // written packed with every field aligned as compiled.
    let mut packed = s.packed;
    let lowered = s.kind == Kind::Struct
        && !s.packed
        && s.members.iter().all(|m| m.bits.is_none())
        && s.members
            .iter()
            .any(|m| m.align < natural_align(&m.ty, builder.target));
    if lowered {
        packed = true;
        for f in fields.iter_mut().filter(|f| f.bits.is_none()) {
            let member = s.members.iter().find(|m| {
                m.offset == f.offset
                    && m.size == f.size
                    && !matches!(f.origin, Origin::Padding { .. })
            });
            if let Some(m) = member.filter(|m| m.align > 1) {
                f.align = Some(m.align);
            }
        }
        comments.push(
            "packed, each field aligned as compiled: a member's type is aligned below its \
             natural alignment (a typedef with `aligned(N)`), which only a packed struct with \
             field alignments says"
                .into(),
        );
    }
    if builder.options.annotate {
        if let Some(c_name) = query.as_deref().or(s.name.as_deref()) {
            let plain = c_name.replace('.', "_");
            if identifier(&plain) != plain {
                comments.push(renamed(c_name, name));
            }
        }
    }
    StructModel {
        name: name.to_string(),
        kind: s.kind,
        align: s.explicit_align,
        packed,
        doc,
        size: s.size,
        c_align: s.align,
        query,
        comments,
        fields,
    }
}

/// The comment for a C name that is not a spec name.
fn renamed(c_name: &str, name: &str) -> String {
    format!(
        "`{}` in C is not a spec name (a C or C++ keyword, not an identifier, or too long): \
         written as `{name}`",
        shown(c_name)
    )
}

/// `[T]` as `[T; 0]`.
fn zero_length(ty: &str) -> String {
    match ty.strip_suffix(']') {
        Some(inner) => format!("{inner}; 0]"),
        None => ty.to_string(),
    }
}

/// Reserved bytes no member names.
fn padding(offset: u64, size: u64, tail: bool) -> FieldModel {
    FieldModel {
        name: format!("reserved_{offset}"),
        ty: format!("[u8; {size}]"),
        offset,
        size,
        bits: None,
        unnamed: false,
        align: None,
        reserved: true,
        since: 1,
        was_reserved: None,
        doc: Some("Padding in the compiled struct; must be zero.".into()),
        comments: Vec::new(),
        origin: Origin::Padding { tail },
        flexible: false,
    }
}

/// Padding bits no bitfield holds, `[start, start + width)`, inside one
/// byte: an unnamed `u8` bitfield, which every target's rules place right
/// after what precedes it, and which aligns nothing.
fn padding_bits(start: u64, width: u64) -> FieldModel {
    FieldModel {
        name: format!("reserved_bit{start}"),
        ty: "u8".into(),
        offset: start / 8,
        size: 1,
        bits: Some(Bits {
            bit_offset: start,
            bit_size: width,
        }),
        unnamed: true,
        align: None,
        reserved: true,
        since: 1,
        was_reserved: None,
        doc: Some("Padding bits in the compiled struct; must be zero.".into()),
        comments: Vec::new(),
        origin: Origin::Padding { tail: false },
        flexible: false,
    }
}

/// The fields that fill the bits `[from, to)` before a bitfield: padding
/// bits up to the next byte, whole bytes, padding bits up to `to`.
fn bit_gap(from: u64, to: u64) -> Vec<FieldModel> {
    let mut out = Vec::new();
    let mut at = from;
    if at % 8 != 0 {
        let width = (8 - at % 8).min(to - at);
        out.push(padding_bits(at, width));
        at += width;
    }
    if at < to && to / 8 > at / 8 {
        out.push(padding(at / 8, to / 8 - at / 8, false));
        at = to / 8 * 8;
    }
    if at < to {
        out.push(padding_bits(at, to - at));
    }
    out
}

/// The fields of the members of `s`, in declaration order, without the
/// padding between them.
fn members<'d>(builder: &mut Builder<'d>, parent: &str, s: &'d CStruct) -> Vec<FieldModel> {
    let mut out = Vec::new();
    let mut anon = 0usize;
    for m in &s.members {
        let anonymous = m.name.is_none() && matches!(m.ty.kind, TypeKind::Aggregate(_));
        let mut comments = Vec::new();
        let name = match &m.name {
            Some(n) => {
                let name = identifier(n);
                if builder.options.annotate && name != *n {
                    comments.push(renamed(n, &name));
                }
                name
            }
            None => {
                anon += 1;
                if builder.options.annotate && anonymous {
                    comments.push(format!(
                        "an anonymous {} in C, whose members C code names directly: \
                         `unnamed = true`; the spec names it `anon{anon}`",
                        m.ty.c_name
                    ));
                }
                format!("anon{anon}")
            }
        };
        let (ty, bits_comment) = match m.bits {
            Some(_) => bitfield_type(&m.ty),
            None => (field_type(builder, parent, &name, &m.ty), None),
        };
        comments.extend(bits_comment);
        let odd = matches!(m.ty.kind, TypeKind::Scalar { scalar: None, .. });
        let align = match (m.explicit_align, odd, m.bits) {
            (_, _, Some(_)) => None,
            (Some(a), _, _) => Some(a),
            (None, true, _) if m.align > 1 => Some(m.align),
            _ => None,
        };
        let doc = match m.bits {
            Some(b) => format!(
                "C: {} {}:{}",
                m.ty.c_name,
                m.name.as_deref().unwrap_or(""),
                b.bit_size
            ),
            None => format!("C: {}", m.ty.c_name),
        };
        // A bitfield without a name (a producer that records one) holds
        // padding bits.
        let unnamed_bits = m.name.is_none() && m.bits.is_some();
        out.push(FieldModel {
            name,
            ty,
            offset: m.offset,
            size: m.size,
            bits: m.bits,
            unnamed: anonymous || unnamed_bits,
            align,
            reserved: unnamed_bits,
            since: 1,
            was_reserved: None,
            doc: Some(doc),
            comments,
            origin: if unnamed_bits {
                Origin::Padding { tail: false }
            } else {
                Origin::Member {
                    c_type: m.ty.c_name.clone(),
                    anonymous,
                }
            },
            flexible: is_flexible(m),
        });
    }
    out
}

/// The alignment a type has on `target` without attributes: its scalar's,
/// its element's, a struct's own.
fn natural_align(ty: &CType, target: Target) -> u64 {
    match &ty.kind {
        TypeKind::Scalar {
            scalar: Some(s), ..
        } => target.scalar_align(*s),
        TypeKind::Pointer if ty.size == target.pointer_size() => {
            target.scalar_align(abi_spec::Scalar::Ptr)
        }
        TypeKind::Array { element, .. } => natural_align(element, target),
        TypeKind::Aggregate(inner) => inner.align,
        _ => ty.align,
    }
}

fn is_flexible(m: &Member) -> bool {
    matches!(m.ty.kind, TypeKind::Array { len: None, .. })
}

/// A bitfield's spec type: its declared integer type (`char` for plain
/// `char`). A type no spec bitfield may have (`__int128`) becomes the
/// unsigned integer of its size, said in a comment.
fn bitfield_type(ty: &CType) -> (String, Option<String>) {
    match &ty.kind {
        TypeKind::Scalar {
            plain_char: true, ..
        } => ("char".into(), None),
        TypeKind::Scalar {
            scalar: Some(s), ..
        } if s.fixed_bits().is_some() => (s.name().into(), None),
        _ => {
            let unsigned = match ty.size {
                1 => "u8",
                2 => "u16",
                4 => "u32",
                _ => "u64",
            };
            (
                unsigned.into(),
                Some(format!(
                    "a bitfield of `{}`, which no spec bitfield type is: written as `{unsigned}`",
                    ty.c_name
                )),
            )
        }
    }
}

fn field_type<'d>(builder: &mut Builder<'d>, parent: &str, field: &str, ty: &'d CType) -> String {
    match &ty.kind {
        TypeKind::Aggregate(inner) => {
            let wanted = inner
                .name
                .clone()
                .unwrap_or_else(|| format!("{parent}_{field}"));
            let doc = format!("`{}` as compiled.", ty.c_name);
            builder.name_for(inner, wanted, doc, None)
        }
        TypeKind::Array { element, len } => {
            let inner = field_type(builder, parent, field, element);
            match len {
                Some(n) => format!("[{inner}; {n}]"),
                None => format!("[{inner}]"),
            }
        }
        _ => spec_type(ty, &builder.names),
    }
}

/// A struct that ends in a flexible array (or in a struct that does) may
/// only be the last field of a struct or a member of a union, never an
/// array element (GNU C, as Linux's `__DECLARE_FLEX_ARRAY` has it). Where
/// the model nests one otherwise (padding after it, an array of it), its
/// flexible array is written `[T; 0]`, which lays out alike (no bytes, its
/// element's alignment), said in a comment, and the padding after it
/// becomes a field again.
fn nested_flexible_arrays(model: &mut Model) {
    for _ in 0..model.structs.len() {
        // A struct ending in a flexible array, nested where it may not be.
        let misplaced = model.structs.iter().find_map(|s| {
            s.fields.iter().enumerate().find_map(|(i, f)| {
                let inner = strip_array(&f.ty);
                let allowed =
                    !f.ty.starts_with('[') && (s.kind == Kind::Union || i + 1 == s.fields.len());
                if allowed || model.get(inner).is_none() {
                    return None;
                }
                flexible_end(model, inner, 0)
            })
        });
        let Some(name) = misplaced else {
            return;
        };
        let Some(s) = model.structs.iter_mut().find(|s| s.name == name) else {
            return;
        };
        let Some(last) = s.fields.last_mut() else {
            return;
        };
        last.ty = zero_length(&last.ty);
        last.flexible = false;
        last.comments.push(
            "a flexible array in C (`[]`), written `[T; 0]`: the struct is nested where the \
             spec allows no struct that ends in a flexible array (an array element, or a field \
             with fields after it); both lay out alike"
                .into(),
        );
        let end = last.end();
        let before = model.waivers.len();
        model.waivers.retain(|w| w.struct_name != name);
        if model.waivers.len() != before && s.size > end {
            s.fields.push(padding(end, s.size - end, true));
        }
    }
}

/// The struct whose last field is the flexible array that struct `name`
/// ends in (through its last field, for a union through any member, as
/// the spec judges it), if it ends in one.
fn flexible_end(model: &Model, name: &str, depth: usize) -> Option<String> {
    let s = model.get(name)?;
    if depth > model.structs.len() {
        return None;
    }
    let through = |f: &FieldModel| {
        (!f.ty.starts_with('['))
            .then(|| flexible_end(model, &f.ty, depth + 1))
            .flatten()
    };
    match s.kind {
        Kind::Struct => {
            let last = s.fields.last()?;
            if last.flexible {
                Some(s.name.clone())
            } else {
                through(last)
            }
        }
        Kind::Union => s.fields.iter().find_map(through),
    }
}

/// The members of an anonymous struct or union are members of the
/// enclosing one, whose names must differ: padding the writer named in
/// one (`reserved_4`) gets another name where the enclosing scope has it.
fn unique_in_scope(model: &mut Model) {
    let anonymous: HashSet<String> = model
        .structs
        .iter()
        .flat_map(|s| s.fields.iter().filter(|f| f.is_anonymous()))
        .map(|f| f.ty.clone())
        .collect();
    let roots: Vec<String> = model
        .structs
        .iter()
        .filter(|s| !anonymous.contains(&s.name))
        .map(|s| s.name.clone())
        .collect();
    for root in roots {
        let mut seen: HashSet<String> = HashSet::new();
        let mut stack = vec![root];
        let mut depth = 0;
        while let Some(name) = stack.pop() {
            depth += 1;
            if depth > model.structs.len() {
                break;
            }
            let Some(s) = model.structs.iter_mut().find(|s| s.name == name) else {
                continue;
            };
            let own: HashSet<String> = s.fields.iter().map(|f| f.name.clone()).collect();
            for f in &mut s.fields {
                if f.is_anonymous() {
                    stack.push(f.ty.clone());
                    continue;
                }
                if f.unnamed {
                    continue;
                }
                let made_up = matches!(f.origin, Origin::Padding { .. });
                if seen.contains(&f.name) && made_up {
                    let stem: String = f.name.chars().take(100).collect();
                    let mut k = 2;
                    while seen.contains(&format!("{stem}_{k}"))
                        || own.contains(&format!("{stem}_{k}"))
                    {
                        k += 1;
                    }
                    f.name = format!("{stem}_{k}");
                }
                seen.insert(f.name.clone());
            }
        }
    }
}

/// The struct a spec type names, through arrays: `[[foo; 2]; 3]` is `foo`.
pub fn strip_array(ty: &str) -> &str {
    let mut t = ty;
    while let Some(inner) = t.strip_prefix('[') {
        t = inner
            .rsplit_once("; ")
            .map(|(e, _)| e)
            .or_else(|| inner.strip_suffix(']'))
            .unwrap_or(inner);
    }
    t
}

// ------------------------------------------------------------ one binary

/// The spec `dump --format toml` writes for the structs of one binary:
/// version `version` (first and only), the binary's target only, holes,
/// tail padding and padding bits made explicit reserved fields.
pub fn one_binary(dump: &Dump, version: u32) -> Document {
    let mut model = build(&dump.structs, dump.target, Options::DUMP);
    for f in model.structs.iter_mut().flat_map(|s| s.fields.iter_mut()) {
        f.since = version;
    }
    let abi_name = model
        .structs
        .first()
        .map(|s| s.name.clone())
        .unwrap_or_else(|| "dump".into());
    // The path is the user's, but it may hold a newline: escaped, it
    // cannot end the comment and start a table.
    let file = shown(&dump.file.display().to_string());
    Document {
        header: vec![
            format!(
                "Generated by `abi-check dump --format toml` from {file} ({}, {}).",
                dump.target,
                dump.format.name()
            ),
            "Review names, versions and features before relying on it.".into(),
        ],
        abi_name,
        version,
        first_version: (version != 1).then_some(version),
        doc: format!(
            "Layouts read from the {} of {file} ({}).",
            dump.format.name(),
            dump.target
        ),
        targets: Some(vec![dump.target]),
        abi_comments: Vec::new(),
        constants: Vec::new(),
        model,
        wrap: false,
    }
}

// ------------------------------------------------------------ checking

/// Where `spec` (the rendered `model`), laid out on `target` in `version`,
/// differs from what the compiler did: each struct's size and alignment
/// (`expected` gives them: the model's own, or a compiler's `sizeof` and
/// `_Alignof`), and every field's offset, size and bits; padding of the
/// model may be missing from the spec. Empty when they agree.
pub fn differences(
    spec: &Spec,
    model: &Model,
    target: Target,
    version: u32,
    expected: impl Fn(&StructModel) -> (u64, u64),
) -> Vec<String> {
    let mut wrong = Vec::new();
    for s in &model.structs {
        let Some(index) = spec.struct_index(&s.name) else {
            wrong.push(format!("`{}` is not in the spec", s.name));
            continue;
        };
        let Some(layout) = spec.layout(index, target, version) else {
            wrong.push(format!("`{}` does not lay out on {target}", s.name));
            continue;
        };
        let (size, align) = expected(s);
        if layout.size != size || layout.align != align {
            wrong.push(format!(
                "on {target}, `{}` is {} bytes {}-aligned in the spec, {size} bytes \
                 {align}-aligned as compiled",
                s.name, layout.size, layout.align
            ));
        }
        let def = &spec.structs[index];
        for fl in &layout.fields {
            let name = &def.fields[fl.index].name;
            let spec_bits = fl.bits.map(|b| (b.offset, b.width));
            match s.fields.iter().find(|f| f.name == *name) {
                Some(f)
                    if f.offset == fl.offset
                        && f.size == fl.size
                        && f.bits.map(|b| (b.bit_offset, b.bit_size)) == spec_bits => {}
                Some(f) => wrong.push(format!(
                    "on {target}, `{}.{name}` is at {} in the spec, at {} as compiled",
                    s.name,
                    place(fl.offset, fl.size, spec_bits),
                    place(f.offset, f.size, f.bits.map(|b| (b.bit_offset, b.bit_size)))
                )),
                None => wrong.push(format!(
                    "on {target}, `{}.{name}` is not in what the compiler laid out",
                    s.name
                )),
            }
        }
        // Padding the spec leaves implicit (import does, where targets
        // differ) is judged through the fields after it.
        for f in s
            .fields
            .iter()
            .filter(|f| !matches!(f.origin, Origin::Padding { .. }))
        {
            let in_spec = layout
                .fields
                .iter()
                .any(|fl| def.fields[fl.index].name == f.name);
            if !in_spec {
                wrong.push(format!(
                    "on {target}, `{}.{}` is missing from the spec",
                    s.name, f.name
                ));
            }
        }
    }
    wrong
}

/// `8 (4 bytes)`, or `bit 3 (2 bits)` for a bitfield.
fn place(offset: u64, size: u64, bits: Option<(u64, u64)>) -> String {
    match bits {
        Some((start, width)) => format!("bit {start} ({width} bits)"),
        None => format!("{offset} ({size} bytes)"),
    }
}

// ------------------------------------------------------------ rendering

fn comment_lines(out: &mut String, lines: &[String], wrap: bool) {
    for line in lines {
        for part in line.lines() {
            if part.is_empty() {
                out.push_str("#\n");
                continue;
            }
            if !wrap {
                let _ = writeln!(out, "# {part}");
                continue;
            }
            // Continuation lines are indented, so each comment reads as one.
            let mut current = String::new();
            for word in part.split(' ') {
                let room = COMMENT_WIDTH - 2;
                if !current.is_empty() && current.len() + 1 + word.len() > room {
                    let _ = writeln!(out, "# {current}");
                    current = format!("  {word}");
                } else {
                    if !current.is_empty() {
                        current.push(' ');
                    }
                    current.push_str(word);
                }
            }
            let _ = writeln!(out, "# {current}");
        }
    }
}

/// The TOML text of a document. Comments are written as given: every
/// name taken from a file must be escaped before it gets there.
pub fn render(doc: &Document) -> String {
    let mut out = String::new();
    comment_lines(&mut out, &doc.header, doc.wrap);
    if !doc.header.is_empty() {
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "[abi]\nname = {}\nversion = {}",
        quote(&doc.abi_name),
        doc.version
    );
    if let Some(first) = doc.first_version {
        let _ = writeln!(out, "first_version = {first}");
    }
    let _ = writeln!(out, "doc = {}", quote(&doc.doc));
    if let Some(targets) = &doc.targets {
        let _ = writeln!(
            out,
            "targets = [{}]",
            targets
                .iter()
                .map(|t| quote(t.name()))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if !doc.abi_comments.is_empty() {
        out.push('\n');
        comment_lines(&mut out, &doc.abi_comments, doc.wrap);
    }
    for c in &doc.constants {
        out.push('\n');
        comment_lines(&mut out, &c.comments, doc.wrap);
        let _ = writeln!(
            out,
            "[[constant]]\nname = {}\nvalue = {}\ntype = {}",
            quote(&c.name),
            c.value,
            quote(&c.ty)
        );
        if let Some(d) = &c.doc {
            let _ = writeln!(out, "doc = {}", quote(d));
        }
    }
    for s in &doc.model.structs {
        out.push('\n');
        comment_lines(&mut out, &s.comments, doc.wrap);
        let _ = writeln!(out, "[[struct]]\nname = {}", quote(&s.name));
        if s.kind == Kind::Union {
            out.push_str("kind = \"union\"\n");
        }
        if let Some(align) = s.align {
            let _ = writeln!(out, "align = {align}");
        }
        if s.packed {
            out.push_str("packed = true\n");
        }
        let _ = writeln!(out, "doc = {}", quote(&s.doc));
        for f in &s.fields {
            out.push('\n');
            comment_lines(&mut out, &f.comments, doc.wrap);
            let _ = writeln!(
                out,
                "[[struct.field]]\nname = {}\ntype = {}",
                quote(&f.name),
                quote(&f.ty)
            );
            if let Some(bits) = f.bits {
                let _ = writeln!(out, "bits = {}", bits.bit_size);
            }
            if f.unnamed {
                out.push_str("unnamed = true\n");
            }
            let _ = writeln!(out, "since = {}", f.since);
            if let Some(align) = f.align {
                let _ = writeln!(out, "align = {align}");
            }
            // Unnamed padding bits are reserved without saying so.
            if f.reserved && !(f.unnamed && f.bits.is_some()) {
                out.push_str("reserved = true\n");
            }
            if let Some(w) = f.was_reserved {
                let _ = writeln!(out, "was_reserved = {w}");
            }
            if let Some(d) = &f.doc {
                let _ = writeln!(out, "doc = {}", quote(d));
            }
        }
    }
    for w in &doc.model.waivers {
        let _ = write!(
            out,
            "\n[[waiver]]\nrule = {}\nstruct = {}\n",
            quote(&w.rule),
            quote(&w.struct_name)
        );
        if let Some(field) = &w.field {
            let _ = writeln!(out, "field = {}", quote(field));
        }
        let _ = writeln!(out, "reason = {}", quote(&w.reason));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_wrap_and_never_start_a_table() {
        let mut out = String::new();
        let long = format!("{} end\n[[struct]]", "word ".repeat(40));
        comment_lines(&mut out, &[long], true);
        assert!(out.lines().all(|l| l.starts_with('#')), "{out}");
        assert!(out.lines().all(|l| l.len() <= COMMENT_WIDTH), "{out}");
        assert!(out.contains("\n#   word"), "{out}");
        let mut plain = String::new();
        comment_lines(&mut plain, &["a b".into()], false);
        assert_eq!(plain, "# a b\n");
    }

    #[test]
    fn reserved_names() {
        for name in [
            "__reserved",
            "__reserved_2",
            "__pad1",
            "_res",
            "reserved_20",
        ] {
            assert!(reserved_name(name), "{name}");
        }
        for name in ["resolve", "flags", "__u32", "padding"] {
            assert!(!reserved_name(name), "{name}");
        }
    }

    #[test]
    fn quoted_strings_are_toml_basic_strings() {
        let text = "a \"b\" \\ c\nd\u{7f}\u{1b}é";
        let quoted = quote(text);
        assert_eq!(quoted, "\"a \\\"b\\\" \\\\ c\\nd\\u007F\\u001Bé\"");
        let parsed: toml::Value = toml::from_str(&format!("k = {quoted}")).expect("TOML");
        assert_eq!(parsed.get("k").and_then(|v| v.as_str()), Some(text));
    }

    #[test]
    fn bit_gaps_fill_bytes_and_bits() {
        let gap = |from, to| {
            bit_gap(from, to)
                .iter()
                .map(|f| match f.bits {
                    Some(b) => format!("bits {}+{}", b.bit_offset, b.bit_size),
                    None => format!("bytes {}+{}", f.offset, f.size),
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(gap(3, 6), ["bits 3+3"]);
        assert_eq!(gap(3, 32), ["bits 3+5", "bytes 1+3"]);
        assert_eq!(gap(3, 35), ["bits 3+5", "bytes 1+3", "bits 32+3"]);
        assert_eq!(gap(8, 19), ["bytes 1+1", "bits 16+3"]);
        assert_eq!(gap(5, 8), ["bits 5+3"]);
    }

    #[test]
    fn unbounded_arrays_become_zero_length() {
        assert_eq!(zero_length("[u32]"), "[u32; 0]");
        assert_eq!(zero_length("[[u8; 4]]"), "[[u8; 4]; 0]");
        assert_eq!(strip_array("[[foo; 2]; 3]"), "foo");
        assert_eq!(strip_array("[foo]"), "foo");
    }
}
