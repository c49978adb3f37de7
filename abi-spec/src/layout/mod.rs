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
pub use table::LayoutTable;
pub(crate) use table::{fresh, fresh_one};

use crate::limits::MAX_OBJECT_SIZE;
use crate::model::{Spec, StructKind, Type};
use crate::target::Target;

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
}

impl FieldLayout {
    /// One past the last byte.
    pub fn end(&self) -> u64 {
        self.offset + self.size
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
#[derive(Debug, thiserror::Error)]
enum TypeSizeError {
    /// An array whose size overflows.
    #[error("`{0}` would be larger than {max} bytes", max = MAX_OBJECT_SIZE)]
    TooLarge(Type),
    /// A struct name the spec does not define.
    #[error("unknown struct `{0}`")]
    UnknownStruct(String),
    /// A struct that has no field in this version, or is not laid out yet.
    #[error("struct `{0}` has no field in this version yet")]
    NotLaidOut(String),
}

/// Size and alignment of a type, given the sizes of the structs already laid
/// out for this target and version.
fn type_size_align(
    ty: &Type,
    target: Target,
    spec: &Spec,
    done: &[Option<Layout>],
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
    done: &[Option<Layout>],
) -> Result<Option<Layout>, LayoutError> {
    let def = &spec.structs[struct_index];
    let error = |field_index: Option<usize>, message: String| LayoutError {
        struct_index,
        field_index,
        message,
    };
    let mut fields = Vec::with_capacity(def.fields.len());
    let mut holes = Vec::new();
    let mut end = 0u64;
    let mut align = 1u64;
    // `StructDef::view`, from the table's compact copy of what it reads.
    for (index, placeholder) in spec.layouts.view(spec, struct_index, version) {
        let field = &def.fields[index];
        let (size, natural) = type_size_align(&field.ty, target, spec, done)
            .map_err(|e| error(Some(index), e.to_string()))?;
        let field_align = if def.packed { 1 } else { natural }.max(field.align.unwrap_or(1));
        let offset = match def.kind {
            StructKind::Struct => round_up(end, field_align)
                .ok_or_else(|| error(Some(index), "offset overflows".into()))?,
            StructKind::Union => 0,
        };
        if offset > end {
            holes.push(Hole {
                offset: end,
                size: offset - end,
                tail: false,
            });
        }
        let field_end = offset
            .checked_add(size)
            .filter(|&e| e <= MAX_OBJECT_SIZE)
            .ok_or_else(|| {
                error(
                    Some(index),
                    format!("it would be larger than {MAX_OBJECT_SIZE} bytes"),
                )
            })?;
        end = end.max(field_end);
        align = align.max(field_align);
        fields.push(FieldLayout {
            index,
            offset,
            size,
            align: field_align,
            placeholder,
        });
    }
    if fields.is_empty() {
        return Ok(None);
    }
    align = align.max(def.align.unwrap_or(1));
    let size = round_up(end, align)
        .filter(|&s| s <= MAX_OBJECT_SIZE)
        .ok_or_else(|| {
            error(
                None,
                format!("it would be larger than {MAX_OBJECT_SIZE} bytes"),
            )
        })?;
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
        done[index] = layout_one(spec, index, target, version, &done)?;
    }
    Ok(done)
}

/// Where each field of `layout` (of `spec`, on its target in its version)
/// would start if its own `align` were dropped while every field before it
/// stayed where it is, in the order of `layout.fields`. A field whose offset
/// is the same either way does not need its `align` to be placed: what the
/// Rust generator asks to decide which fields need an alignment wrapper
/// (one pass, where laying the struct out again per field would cost its
/// size times its aligned fields).
pub fn offsets_without_field_align(spec: &Spec, layout: &Layout) -> Vec<u64> {
    let def = &spec.structs[layout.struct_index];
    let done = spec.layouts_at(layout.target, layout.version);
    let mut end = 0u64;
    layout
        .fields
        .iter()
        .map(|placed| {
            let field = &def.fields[placed.index];
            let natural = if def.packed {
                1
            } else {
                type_size_align(&field.ty, layout.target, spec, done)
                    .map_or(placed.align, |(_, a)| a)
            };
            let offset = match def.kind {
                StructKind::Struct => round_up(end, natural).unwrap_or(placed.offset),
                StructKind::Union => 0,
            };
            end = end.max(placed.end());
            offset
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
    let mut needed = vec![false; spec.structs.len()];
    mark_needed(spec, struct_index, &mut needed);
    let mut done: Vec<Option<Layout>> = vec![None; spec.structs.len()];
    for &index in &spec.dependency_order {
        if needed[index] {
            done[index] = layout_one(spec, index, target, version, &done)?;
        }
    }
    Ok(done.swap_remove(struct_index))
}

fn mark_needed(spec: &Spec, index: usize, needed: &mut [bool]) {
    let mut stack = vec![index];
    while let Some(i) = stack.pop() {
        if std::mem::replace(&mut needed[i], true) {
            continue;
        }
        for field in &spec.structs[i].fields {
            if let Some(child) = field.ty.struct_name().and_then(|n| spec.struct_index(n)) {
                stack.push(child);
            }
        }
    }
}
