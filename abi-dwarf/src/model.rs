//! C types as the compiler laid them out, read from DWARF: offsets and sizes
//! are the compiler's, never computed here.

use abi_spec::target::BitfieldRules;
use abi_spec::{Scalar, Target};

/// `struct` or `union`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `struct`.
    Struct,
    /// `union`.
    Union,
}

impl Kind {
    /// The C keyword.
    pub fn keyword(self) -> &'static str {
        match self {
            Kind::Struct => "struct",
            Kind::Union => "union",
        }
    }
}

/// A struct or union as compiled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CStruct {
    /// Its tag name; `None` for an anonymous one.
    pub name: Option<String>,
    /// Struct or union.
    pub kind: Kind,
    /// `sizeof`, from `DW_AT_byte_size`.
    pub size: u64,
    /// `_Alignof`: the largest member alignment, raised by `DW_AT_alignment`
    /// (DWARF carries no alignment otherwise; see [`CStruct::packed`]).
    pub align: u64,
    /// `DW_AT_alignment` (`__attribute__((aligned(N)))`), when present.
    pub explicit_align: Option<u64>,
    /// True when a member sits off its natural alignment or the size is not
    /// a multiple of it: the struct was packed, and its alignment is then
    /// its explicit one or 1. A packed struct whose members all happen to be
    /// aligned cannot be told apart from an unpacked one.
    pub packed: bool,
    /// Members in DWARF (declaration) order.
    pub members: Vec<Member>,
}

/// A bitfield's place.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bits {
    /// The first bit, counted from the start of the enclosing struct (the
    /// `DW_AT_data_bit_offset` convention, on either byte order).
    pub bit_offset: u64,
    /// The number of bits.
    pub bit_size: u64,
}

/// A member of a struct or union.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    /// Its name; `None` for an anonymous struct or union member.
    pub name: Option<String>,
    /// Its type.
    pub ty: CType,
    /// Byte offset from the start of the enclosing struct (for a bitfield,
    /// the byte holding its first bit).
    pub offset: u64,
    /// Size in bytes (for a bitfield, the bytes its bits touch).
    pub size: u64,
    /// Alignment: the type's, raised by the member's `DW_AT_alignment`.
    pub align: u64,
    /// The member's own `DW_AT_alignment`.
    pub explicit_align: Option<u64>,
    /// Set for a bitfield.
    pub bits: Option<Bits>,
}

impl Member {
    /// One past the last byte.
    pub fn end(&self) -> u64 {
        self.offset.saturating_add(self.size)
    }
}

/// A type, with the name C code spells it by (the first typedef of a chain:
/// `__u32`, not `unsigned int`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CType {
    /// How C spells it: `__u32`, `struct rseq_cs *`, `char[32]`.
    pub c_name: String,
    /// `sizeof`.
    pub size: u64,
    /// `_Alignof` as a struct member on the binary's target.
    pub align: u64,
    /// What it is.
    pub kind: TypeKind,
}

/// What a type is, typedefs and qualifiers peeled off.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TypeKind {
    /// A base type or enum; `scalar` is `None` when no spec scalar fits
    /// (`long double`, `__int128`).
    Scalar {
        /// The spec scalar of the same encoding and size (`i8` or `u8`
        /// for a plain `char`, as this binary's `char` is signed or not).
        scalar: Option<Scalar>,
        /// C's plain `char` (neither `signed char` nor `unsigned char`):
        /// the spec's `char`.
        plain_char: bool,
    },
    /// A pointer of any kind.
    Pointer,
    /// `T[N]`, GNU's `T[0]` (`len` `Some(0)`), or `T[]` (`len` `None`: a
    /// flexible array member; BTF, which records 0 elements for both, gives
    /// `None` for `[0]` too).
    Array {
        /// The element type.
        element: Box<CType>,
        /// The number of elements.
        len: Option<u64>,
    },
    /// A struct or union.
    Aggregate(Box<CStruct>),
}

impl CType {
    /// A struct or union as a type: `struct name` (`struct {...}` when
    /// anonymous), its size and alignment.
    pub fn aggregate(s: CStruct) -> CType {
        CType {
            c_name: format!(
                "{} {}",
                s.kind.keyword(),
                s.name.as_deref().unwrap_or("{...}")
            ),
            size: s.size,
            align: s.align,
            kind: TypeKind::Aggregate(Box::new(s)),
        }
    }

    /// The spec scalar for a DWARF base type, by encoding and byte size.
    pub fn scalar_for(encoding: gimli::DwAte, size: u64) -> Option<Scalar> {
        use gimli::constants::*;
        let signed = match encoding {
            DW_ATE_signed | DW_ATE_signed_char | DW_ATE_signed_fixed => true,
            DW_ATE_unsigned
            | DW_ATE_unsigned_char
            | DW_ATE_boolean
            | DW_ATE_UTF
            | DW_ATE_unsigned_fixed => false,
            DW_ATE_float => {
                return match size {
                    4 => Some(Scalar::F32),
                    8 => Some(Scalar::F64),
                    _ => None,
                }
            }
            _ => return None,
        };
        Some(match (signed, size) {
            (true, 1) => Scalar::I8,
            (true, 2) => Scalar::I16,
            (true, 4) => Scalar::I32,
            (true, 8) => Scalar::I64,
            (false, 1) => Scalar::U8,
            (false, 2) => Scalar::U16,
            (false, 4) => Scalar::U32,
            (false, 8) => Scalar::U64,
            _ => return None,
        })
    }

    /// The alignment of a scalar of `size` bytes that no spec scalar
    /// describes (`long double`, `__int128`): the largest power of two
    /// dividing the size, at most 16, at most 4 on i386 and sh4 whose ABIs
    /// cap member alignment there, at most 2 on m68k.
    pub fn odd_scalar_align(size: u64, target: Target) -> u64 {
        let natural = if size == 0 {
            1
        } else {
            (1u64 << size.trailing_zeros()).min(16)
        };
        match target {
            Target::I386 | Target::Sh4 => natural.min(4),
            Target::M68k => natural.min(2),
            _ => natural,
        }
    }

    /// `element[len]` (`element[]` when unbounded), `size` bytes, spelled
    /// as C does: a dimension added outside an array type goes before that
    /// type's own (`int[25][3]` is 25 arrays of `int[3]`), unless the
    /// element is a named array type (`t3[25]`, `t3` a typedef of `int[3]`).
    pub fn array_of(element: CType, len: Option<u64>, size: u64) -> CType {
        let dim = match len {
            Some(n) => format!("[{n}]"),
            None => "[]".to_string(),
        };
        let mut innermost = &element;
        while let TypeKind::Array { element, .. } = &innermost.kind {
            innermost = element;
        }
        let c_name = match element.c_name.strip_prefix(innermost.c_name.as_str()) {
            Some(dims) if dims.starts_with('[') && !std::ptr::eq(innermost, &element) => {
                format!("{}{dim}{dims}", innermost.c_name)
            }
            _ => format!("{}{dim}", element.c_name),
        };
        CType {
            c_name,
            size,
            align: element.align,
            kind: TypeKind::Array {
                element: Box::new(element),
                len,
            },
        }
    }

    /// The spec spelling of this type on `target`, with struct types
    /// spelled `struct`: what verify compares.
    pub fn spec_key(&self) -> String {
        match &self.kind {
            TypeKind::Scalar {
                scalar: Some(s), ..
            } => s.name().to_string(),
            TypeKind::Scalar { scalar: None, .. } => format!("c:{}", self.c_name),
            TypeKind::Pointer => "ptr".to_string(),
            TypeKind::Array {
                element,
                len: Some(n),
            } => format!("[{}; {n}]", element.spec_key()),
            TypeKind::Array { element, len: None } => format!("[{}]", element.spec_key()),
            TypeKind::Aggregate(_) => "struct".to_string(),
        }
    }
}

/// A qualifier applied to a type spelled `inner`, as C spells it: before a
/// named type (`const char`), after a pointer's `*` (`char * const`), so
/// `const char * const *` reads back as written.
pub fn qualified(qualifier: &str, inner: &str) -> String {
    // A pointer already qualified (`int * const`) takes more after.
    let mut bare = inner;
    while let Some(rest) = [" const", " volatile", " restrict", " _Atomic"]
        .iter()
        .find_map(|q| bare.strip_suffix(q))
    {
        bare = rest;
    }
    if bare.ends_with('*') {
        format!("{inner} {qualifier}")
    } else {
        format!("{qualifier} {inner}")
    }
}

/// A struct's alignment and whether it was packed, from its members (each
/// with its alignment as compiled), its size, its explicit alignment
/// (`DW_AT_alignment`, which gcc and clang write as the alignment the
/// type ended up with, lower than the natural one for
/// `__attribute__((packed, aligned(4)))`) and the target's bitfield rules.
/// Packed is inferred: a member off its alignment, a bitfield across a
/// storage unit of its type (which only packing allows, but on m68k), an
/// explicit alignment below the natural one, or a size that is no multiple
/// of the natural alignment. A packed struct is then aligned to its
/// explicit alignment, or 1. A packed struct whose members all happen to
/// sit aligned cannot be told from an unpacked one.
///
/// The natural alignment is the largest member's, a bitfield's as the
/// target's ABI has it ([`BitfieldRules`]): its type's on System V and Arm,
/// on m68k only for one 16, 32 or 64 bits wide starting on a 16-bit
/// boundary (then at least 2). Unnamed and zero-width bitfields, which
/// raise it on Arm and m68k, are not in DWARF or BTF: a struct aligned by
/// one alone reads less aligned than it is.
pub fn struct_alignment(
    members: &[Member],
    size: u64,
    explicit: Option<u64>,
    rules: BitfieldRules,
) -> (u64, bool) {
    let contribution = |m: &Member| match (m.bits, rules) {
        (None, _) => m.align,
        (Some(b), _) if b.bit_size == 0 || m.name.is_none() => 1,
        (Some(_), BitfieldRules::SysV | BitfieldRules::Aapcs) => m.align,
        (Some(b), BitfieldRules::M68k) => {
            let ordinary = matches!(b.bit_size, 16 | 32 | 64) && b.bit_offset % 16 == 0;
            if ordinary {
                m.align.max(2)
            } else {
                1
            }
        }
    };
    let natural = members.iter().map(contribution).max().unwrap_or(1);
    let across = |m: &Member| {
        let Some(b) = m.bits else {
            return false;
        };
        let unit_bits = m.ty.size.saturating_mul(8);
        let align_bits = m.ty.align.max(1).saturating_mul(8);
        let start = b.bit_offset - b.bit_offset % align_bits;
        rules != BitfieldRules::M68k
            && b.bit_size > 0
            && b.bit_offset.saturating_add(b.bit_size) > start.saturating_add(unit_bits)
    };
    let misplaced = members
        .iter()
        .any(|m| (m.bits.is_none() && m.align > 0 && m.offset % m.align != 0) || across(m));
    let packed = misplaced
        || match explicit {
            Some(explicit) => explicit < natural,
            None => size % natural != 0,
        };
    let align = explicit.unwrap_or(if packed { 1 } else { natural });
    (align, packed)
}

/// A member reached through anonymous structs and unions, at its offset
/// from the start of the outermost struct: what C code can name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlatMember<'a> {
    /// The member.
    pub member: &'a Member,
    /// Its offset from the start of the outermost struct.
    pub offset: u64,
}

impl FlatMember<'_> {
    /// A bitfield's bits, counted from the start of the outermost struct.
    pub fn bits(&self) -> Option<Bits> {
        let bits = self.member.bits?;
        let base = self.offset.saturating_sub(self.member.offset);
        Some(Bits {
            bit_offset: bits.bit_offset.saturating_add(base.saturating_mul(8)),
            bit_size: bits.bit_size,
        })
    }
}

impl CStruct {
    /// The members C code names directly, anonymous structs and unions
    /// opened, in declaration order.
    pub fn flat_members(&self) -> Vec<FlatMember<'_>> {
        let mut out = Vec::new();
        flatten(self, 0, &mut out);
        out
    }

    /// A member by name, looking through anonymous structs and unions;
    /// with its offset from the start of this struct.
    pub fn member(&self, name: &str) -> Option<FlatMember<'_>> {
        self.flat_members()
            .into_iter()
            .find(|m| m.member.name.as_deref() == Some(name))
    }
}

fn flatten<'a>(s: &'a CStruct, base: u64, out: &mut Vec<FlatMember<'a>>) {
    for m in &s.members {
        let offset = base.saturating_add(m.offset);
        match (&m.name, &m.ty.kind) {
            (None, TypeKind::Aggregate(inner)) => flatten(inner, offset, out),
            _ => out.push(FlatMember { member: m, offset }),
        }
    }
}
