//! The C layout engine: where each field of each struct lies, on each
//! target, in each version. This is the only place in the project that does
//! layout arithmetic; the CLI, the generators and the proc-macros all ask it.
//!
//! The rules are those of the System V psABIs that Linux uses: a field starts
//! at the next multiple of its alignment (1 in a packed struct, raised by the
//! field's own `align`); a union puts every field at 0; the struct's
//! alignment is the largest of its fields' and its own `align`; its size is
//! the end of the last field rounded up to that alignment. All arithmetic is
//! checked: a spec whose sizes overflow gets an error, never a wrong answer.

mod class;
mod table;

pub use class::{classes, common_targets, on_targets, targets_of, LayoutClass};
#[cfg(feature = "compat")]
pub(crate) use table::{fresh, fresh_one};
pub use table::{LayoutTable, Sizes};

use std::collections::HashMap;

use crate::limits::MAX_OBJECT_SIZE;
use crate::model::{Spec, StructKind, Type};
use crate::target::{BitfieldRules, Target};

/// Where one field lies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldLayout {
    /// Index of the field in [`crate::StructDef::fields`].
    pub index: usize,
    /// Byte offset from the start of the struct.
    pub offset: u64,
    /// Size in bytes (0 for a flexible array).
    pub size: u64,
    /// Alignment in bytes, as placed (after `packed` and `align`).
    pub align: u64,
    /// True when, in this version, the field is only reserved bytes that a
    /// later version claims.
    pub placeholder: bool,
    /// For a bitfield, its bits; `offset` and `size` are then the bytes
    /// those bits touch.
    pub bits: Option<BitPlace>,
}

/// Where a bitfield's bits lie: counted from the first bit of the struct
/// in the target's allocation order (the least significant bit of byte 0
/// first on a little-endian target, the most significant first on a
/// big-endian one), DWARF's `DW_AT_data_bit_offset` convention.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BitPlace {
    /// The first bit.
    pub offset: u64,
    /// How many.
    pub width: u64,
}

impl FieldLayout {
    /// One past the last byte.
    pub fn end(&self) -> u64 {
        self.offset + self.size
    }

    /// The bits the field holds, `[start, end)`, in allocation order: its
    /// bitfield bits, or every bit of its bytes.
    pub fn bit_range(&self) -> (u64, u64) {
        match self.bits {
            Some(b) => (b.offset, b.offset + b.width),
            None => (self.offset * 8, self.end() * 8),
        }
    }
}

/// Bytes that no field names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Hole {
    /// First byte.
    pub offset: u64,
    /// Number of bytes.
    pub size: u64,
    /// True for the padding after the last field, false for a hole between
    /// two fields.
    pub tail: bool,
}

/// The layout of one struct on one target in one version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    /// Index of the struct in [`Spec::structs`].
    pub struct_index: usize,
    /// The target.
    pub target: Target,
    /// The version.
    pub version: u32,
    /// `sizeof`.
    pub size: u64,
    /// The end of the last field, without the rounding: the length a caller
    /// that knows this version announces (Linux's AT_RSEQ_FEATURE_SIZE).
    pub feature_size: u64,
    /// `_Alignof`.
    pub align: u64,
    /// Fields in memory order.
    pub fields: Vec<FieldLayout>,
    /// Holes between fields, then tail padding, in offset order.
    pub holes: Vec<Hole>,
}

impl Layout {
    /// Its `sizeof`, feature size and alignment.
    pub fn sizes(&self) -> Sizes {
        Sizes {
            size: self.size,
            feature_size: self.feature_size,
            align: self.align,
        }
    }

    /// The layout of a field by index into the struct's fields. Fields are
    /// placed in file order, so their indices ascend: a binary search.
    pub fn field(&self, index: usize) -> Option<&FieldLayout> {
        self.fields
            .binary_search_by_key(&index, |f| f.index)
            .ok()
            .map(|i| &self.fields[i])
    }
}

/// A struct whose size cannot be represented.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LayoutError {
    /// The struct.
    pub struct_index: usize,
    /// The field that made it overflow, when one did.
    pub field_index: Option<usize>,
    /// What overflowed.
    pub message: String,
}

/// Why a type has no size on a target.
#[derive(Debug)]
enum TypeSizeError {
    /// An array whose size overflows.
    TooLarge(Type),
    /// A struct name the spec does not define.
    UnknownStruct(String),
    /// A struct that has no field in this version, or is not laid out yet.
    NotLaidOut(String),
}

// By hand, not derived: the layout engine is compiled into the proc-macro,
// which a derive would make wait for syn (benches/derive-build-time.sh).
impl std::fmt::Display for TypeSizeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TypeSizeError::TooLarge(ty) => {
                write!(f, "`{ty}` would be larger than {MAX_OBJECT_SIZE} bytes")
            }
            TypeSizeError::UnknownStruct(name) => write!(f, "unknown struct `{name}`"),
            TypeSizeError::NotLaidOut(name) => {
                write!(f, "struct `{name}` has no field in this version yet")
            }
        }
    }
}

impl std::error::Error for TypeSizeError {}

/// The structs laid out so far for one target and version, by index:
/// every struct of the spec, or only those one struct contains.
#[derive(Clone, Copy)]
enum Done<'a> {
    /// Indexed like [`Spec::structs`].
    All(&'a [Option<Layout>]),
    /// A few: `place` gives a struct's position in `laid`. Laying out one
    /// struct must not cost the spec's struct count (100,000 structs, each
    /// laid out on its own, made that quadratic). Struct indexes are `u32`
    /// (the spec's limits keep them far below), the map type validation
    /// uses already, so the compiler makes no other instance of it.
    Few {
        place: &'a HashMap<u32, usize>,
        laid: &'a [Option<Layout>],
    },
}

impl Done<'_> {
    fn get(&self, index: usize) -> Option<&Option<Layout>> {
        match self {
            Done::All(all) => all.get(index),
            Done::Few { place, laid } => place.get(&few_key(index)).and_then(|&at| laid.get(at)),
        }
    }
}

/// A struct index as `Done::Few`'s map keys it (the spec's limits keep
/// indexes far below `u32::MAX`).
fn few_key(index: usize) -> u32 {
    u32::try_from(index).unwrap_or(u32::MAX)
}

/// Size and alignment of a type, given the sizes of the structs already laid
/// out for this target and version.
fn type_size_align(
    ty: &Type,
    target: Target,
    spec: &Spec,
    done: Done<'_>,
) -> Result<(u64, u64), TypeSizeError> {
    match ty {
        Type::Scalar(s) => Ok((target.scalar_size(*s), target.scalar_align(*s))),
        Type::Array { element, len } => {
            let (size, align) = type_size_align(element, target, spec, done)?;
            let total = size
                .checked_mul(*len)
                .filter(|&t| t <= MAX_OBJECT_SIZE)
                .ok_or_else(|| TypeSizeError::TooLarge(ty.clone()))?;
            Ok((total, align))
        }
        Type::Flexible(element) => {
            let (_, align) = type_size_align(element, target, spec, done)?;
            Ok((0, align))
        }
        Type::Struct(name) => {
            let index = spec
                .struct_index(name)
                .ok_or_else(|| TypeSizeError::UnknownStruct(name.clone()))?;
            match done.get(index) {
                Some(Some(layout)) => Ok((layout.size, layout.align)),
                _ => Err(TypeSizeError::NotLaidOut(name.clone())),
            }
        }
    }
}

fn round_up(value: u64, align: u64) -> Option<u64> {
    value.checked_next_multiple_of(align)
}

fn layout_one(
    spec: &Spec,
    struct_index: usize,
    target: Target,
    version: u32,
    done: Done<'_>,
) -> Result<Option<Layout>, LayoutError> {
    let def = &spec.structs[struct_index];
    let error = |field_index: Option<usize>, message: String| LayoutError {
        struct_index,
        field_index,
        message,
    };
    let too_large = || format!("it would be larger than {MAX_OBJECT_SIZE} bytes");
    let mut fields = Vec::with_capacity(def.fields.len());
    let mut holes = Vec::new();
    // The first bit after everything placed so far.
    let mut end_bits = 0u64;
    let mut align = 1u64;
    // `StructDef::view`, from the table's compact copy of what it reads.
    for (index, placeholder) in spec.layouts.view(spec, struct_index, version) {
        let field = &def.fields[index];
        let (size, natural) = type_size_align(&field.ty, target, spec, done)
            .map_err(|e| error(Some(index), e.to_string()))?;
        let field_align = if def.packed { 1 } else { natural }.max(field.align.unwrap_or(1));
        let byte_end = end_bits.div_ceil(8);
        let placed = match field.bits {
            Some(width) => {
                let width = u64::from(width);
                let start = match def.kind {
                    StructKind::Union => 0,
                    StructKind::Struct => bitfield_start(
                        end_bits,
                        width,
                        size,
                        field_align,
                        def.packed,
                        target.bitfield_rules(),
                    )
                    .ok_or_else(|| error(Some(index), "offset overflows".into()))?,
                };
                let end = start + width;
                let offset = start / 8;
                FieldLayout {
                    index,
                    offset,
                    size: end.div_ceil(8) - offset,
                    align: field_align,
                    placeholder,
                    bits: Some(BitPlace {
                        offset: start,
                        width,
                    }),
                }
            }
            None => {
                let offset = match def.kind {
                    StructKind::Struct => round_up(byte_end, field_align)
                        .ok_or_else(|| error(Some(index), "offset overflows".into()))?,
                    StructKind::Union => 0,
                };
                FieldLayout {
                    index,
                    offset,
                    size,
                    align: field_align,
                    placeholder,
                    bits: None,
                }
            }
        };
        if placed.offset > byte_end {
            holes.push(Hole {
                offset: byte_end,
                size: placed.offset - byte_end,
                tail: false,
            });
        }
        if placed.end() > MAX_OBJECT_SIZE {
            return Err(error(Some(index), too_large()));
        }
        end_bits = end_bits.max(placed.bit_range().1);
        align = align.max(aligns_struct(
            &placed,
            field,
            field_align,
            def.packed,
            target.bitfield_rules(),
        ));
        fields.push(placed);
    }
    if fields.is_empty() && !def.fields.is_empty() {
        return Ok(None);
    }
    align = align.max(def.align.unwrap_or(1));
    let end = end_bits.div_ceil(8);
    let size = round_up(end, align)
        .filter(|&s| s <= MAX_OBJECT_SIZE)
        .ok_or_else(|| error(None, too_large()))?;
    if size > end {
        holes.push(Hole {
            offset: end,
            size: size - end,
            tail: true,
        });
    }
    Ok(Some(Layout {
        struct_index,
        target,
        version,
        size,
        feature_size: end,
        align,
        fields,
        holes,
    }))
}

/// The alignment a placed field gives the struct: its own, but for the
/// bitfields the target's ABI says do not align it
/// ([`BitfieldRules`](crate::target::BitfieldRules)).
fn aligns_struct(
    placed: &FieldLayout,
    field: &crate::model::Field,
    align: u64,
    packed: bool,
    rules: BitfieldRules,
) -> u64 {
    let Some(bits) = placed.bits else {
        return align;
    };
    match rules {
        BitfieldRules::SysV if field.unnamed => 1,
        BitfieldRules::SysV | BitfieldRules::Aapcs => align,
        BitfieldRules::M68k if packed => 1,
        BitfieldRules::M68k => {
            let ordinary =
                bits.width == 0 || (matches!(bits.width, 16 | 32 | 64) && bits.offset % 16 == 0);
            if ordinary {
                align.max(2)
            } else {
                1
            }
        }
    }
}

/// The first bit of a bitfield `width` bits wide, of a type `size` bytes
/// long and `align`-aligned, placed after bit `after`: the next bit, unless
/// the bitfield would then cross a boundary of a storage unit of its type
/// (a `size`-byte unit starting at a multiple of `align`), in which case the
/// next multiple of `align`. A zero-width bitfield moves to that multiple
/// always. A packed struct's bitfields, and m68k's, follow each other bit
/// by bit (m68k's zero-width ones move to the next 16-bit boundary).
fn bitfield_start(
    after: u64,
    width: u64,
    size: u64,
    align: u64,
    packed: bool,
    rules: BitfieldRules,
) -> Option<u64> {
    let align_bits = align.checked_mul(8)?;
    if width == 0 {
        return match rules {
            BitfieldRules::M68k => round_up(after, 16),
            _ => round_up(after, align_bits),
        };
    }
    if packed || rules == BitfieldRules::M68k {
        return Some(after);
    }
    let unit_start = after - after % align_bits;
    if after.checked_add(width)? > unit_start.checked_add(size.checked_mul(8)?)? {
        round_up(after, align_bits)
    } else {
        Some(after)
    }
}

/// Lays out every struct of `spec` on `target` in `version`; the result is
/// indexed like [`Spec::structs`], `None` for a struct that has no field in
/// that version.
pub fn layout_all(
    spec: &Spec,
    target: Target,
    version: u32,
) -> Result<Vec<Option<Layout>>, LayoutError> {
    let mut done: Vec<Option<Layout>> = vec![None; spec.structs.len()];
    for &index in &spec.dependency_order {
        done[index] = layout_one(spec, index, target, version, Done::All(&done))?;
    }
    Ok(done)
}

/// Where each field of `layout` (of `spec`, on its target in its version)
/// would start, as its first bit ([`FieldLayout::bit_range`]), if its own
/// `align` were dropped while every field before it stayed where it is, in
/// the order of `layout.fields`. A field whose first bit is the same either
/// way does not need its `align` to be placed: what the Rust generator asks
/// to decide which fields need an alignment wrapper (one pass, where laying
/// the struct out again per field would cost its size times its aligned
/// fields).
pub fn offsets_without_field_align(spec: &Spec, layout: &Layout) -> Vec<u64> {
    let def = &spec.structs[layout.struct_index];
    let done = spec.layouts_at(layout.target, layout.version);
    let rules = layout.target.bitfield_rules();
    let mut end_bits = 0u64;
    layout
        .fields
        .iter()
        .map(|placed| {
            let field = &def.fields[placed.index];
            let as_placed = placed.bit_range().0;
            let Ok((size, natural)) =
                type_size_align(&field.ty, layout.target, spec, Done::All(done))
            else {
                return as_placed;
            };
            let natural = if def.packed { 1 } else { natural };
            let first = match (def.kind, field.bits) {
                (StructKind::Union, _) => Some(0),
                (StructKind::Struct, Some(width)) => {
                    bitfield_start(end_bits, u64::from(width), size, natural, def.packed, rules)
                }
                (StructKind::Struct, None) => {
                    round_up(end_bits.div_ceil(8), natural).and_then(|o| o.checked_mul(8))
                }
            };
            end_bits = end_bits.max(placed.bit_range().1);
            first.unwrap_or(as_placed)
        })
        .collect()
}

/// Lays out one struct (and, on the way, the structs it contains).
pub fn layout(
    spec: &Spec,
    struct_index: usize,
    target: Target,
    version: u32,
) -> Result<Option<Layout>, LayoutError> {
    // The struct and those it contains, each after those it contains: a
    // walk of its own types, not of the spec's order.
    // `place` holds every struct seen; its layout's position once laid out.
    let mut order: Vec<usize> = Vec::new();
    let mut place: HashMap<u32, usize> = HashMap::new();
    let mut stack = vec![(struct_index, false)];
    while let Some((i, expanded)) = stack.pop() {
        if expanded {
            order.push(i);
            continue;
        }
        if place.insert(few_key(i), usize::MAX).is_some() {
            continue;
        }
        stack.push((i, true));
        for field in &spec.structs[i].fields {
            if let Some(child) = field.ty.struct_name().and_then(|n| spec.struct_index(n)) {
                if !place.contains_key(&few_key(child)) {
                    stack.push((child, false));
                }
            }
        }
    }
    let mut laid: Vec<Option<Layout>> = Vec::with_capacity(order.len());
    for index in order {
        let done = Done::Few {
            place: &place,
            laid: &laid,
        };
        let layout = layout_one(spec, index, target, version, done)?;
        place.insert(few_key(index), laid.len());
        laid.push(layout);
    }
    Ok(laid.pop().flatten())
}
