//! A spec's structs as C code addresses them, for the tests that compile
//! generated headers: which structs have a definition of their own (a
//! struct used only as an anonymous member has none), and the members of
//! one, flattened through anonymous structs and unions (C puts their
//! members in the enclosing struct's scope), with the engine's offsets and,
//! for bitfields, bit places from the start of the outer struct.

use abi_spec::layout::BitPlace;
use abi_spec::model::Type;
use abi_spec::types::Scalar;
use abi_spec::{Spec, Target};

/// One named member of a struct, as C names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    /// The name `offsetof` and `.name = ...` use.
    pub name: String,
    /// Its offset from the start of the outer struct.
    pub offset: u64,
    /// Its size (0 for a flexible array).
    pub size: u64,
    /// For a bitfield: its bits, counted from the outer struct's first bit
    /// in allocation order, and its type.
    pub bitfield: Option<(BitPlace, Scalar)>,
    /// A flexible array member (no size for `sizeof`).
    pub flexible: bool,
    /// Reserved bytes, which an older header may name otherwise (`__u8
    /// pad[3]` of Linux 6.1 is `reserved` and `flags` now).
    pub reserved: bool,
}

/// True when every use of struct `index` is an anonymous member (and there
/// is one): C writes it inline, without a tag.
pub fn inline_only(spec: &Spec, index: usize) -> bool {
    let name = &spec.structs[index].name;
    let uses: Vec<bool> = spec
        .structs
        .iter()
        .flat_map(|d| &d.fields)
        .filter(|f| f.ty.struct_name() == Some(name.as_str()))
        .map(|f| f.unnamed && matches!(f.ty, Type::Struct(_)))
        .collect();
    !uses.is_empty() && uses.iter().all(|&anonymous| anonymous)
}

/// The structs a header of `version` defines: those that exist then and
/// have a definition of their own, in the spec's order.
pub fn defined_structs(spec: &Spec, version: u32) -> Vec<usize> {
    (0..spec.structs.len())
        .filter(|&i| !inline_only(spec, i))
        .filter(|&i| spec.layout(i, Target::X86_64, version).is_some())
        .collect()
}

/// The named members of struct `index` on `target` in `version`, in memory
/// order: those of its anonymous members in their place, unnamed
/// bitfields and bytes a later version claims (placeholders) left out.
pub fn members(spec: &Spec, index: usize, target: Target, version: u32) -> Vec<Member> {
    let mut out = Vec::new();
    collect(spec, index, target, version, 0, &mut out);
    out
}

fn collect(
    spec: &Spec,
    index: usize,
    target: Target,
    version: u32,
    base: u64,
    out: &mut Vec<Member>,
) {
    let def = &spec.structs[index];
    let Some(layout) = spec.layout(index, target, version) else {
        return;
    };
    for placed in &layout.fields {
        let field = &def.fields[placed.index];
        if placed.placeholder {
            continue;
        }
        if field.is_anonymous_member() {
            if let Some(inner) = field.ty.struct_name().and_then(|n| spec.struct_index(n)) {
                collect(spec, inner, target, version, base + placed.offset, out);
            }
            continue;
        }
        if field.unnamed {
            continue;
        }
        let bitfield = placed.bits.zip(field.ty.scalar()).map(|(bits, scalar)| {
            (
                BitPlace {
                    offset: bits.offset + base * 8,
                    width: bits.width,
                },
                scalar,
            )
        });
        out.push(Member {
            name: field.name.clone(),
            offset: base + placed.offset,
            size: placed.size,
            bitfield,
            flexible: field.ty.is_flexible(),
            reserved: field.reserved,
        });
    }
}

/// The bytes of a struct of `size` bytes whose only set bits are `bits`,
/// as a target lays them out: bit `k` in allocation order is bit `k % 8`
/// of byte `k / 8` counting from the least significant on a little-endian
/// target, from the most significant on a big-endian one (the model's
/// convention, which `tests/bitfields.rs` checks against every compiler).
pub fn bytes_with_bits(target: Target, size: u64, bits: BitPlace) -> Vec<u8> {
    let mut bytes = vec![0u8; size as usize];
    for k in bits.offset..bits.offset + bits.width {
        let byte = (k / 8) as usize;
        let shift = match target.endian() {
            abi_spec::target::Endian::Little => k % 8,
            abi_spec::target::Endian::Big => 7 - k % 8,
        };
        if let Some(b) = bytes.get_mut(byte) {
            *b |= 1 << shift;
        }
    }
    bytes
}
