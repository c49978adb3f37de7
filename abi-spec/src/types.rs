//! The type language of spec fields: scalars, arrays, flexible arrays and
//! references to other structs.

use core::fmt;

/// A scalar type of the spec language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scalar {
    /// Unsigned 8-bit integer.
    U8,
    /// Unsigned 16-bit integer.
    U16,
    /// Unsigned 32-bit integer.
    U32,
    /// Unsigned 64-bit integer.
    U64,
    /// Signed 8-bit integer.
    I8,
    /// Signed 16-bit integer.
    I16,
    /// Signed 32-bit integer.
    I32,
    /// Signed 64-bit integer.
    I64,
    /// IEEE 754 binary32.
    F32,
    /// IEEE 754 binary64.
    F64,
    /// A data pointer (`void *`): size depends on the target.
    Ptr,
    /// C `long`: size depends on the target.
    Long,
    /// C `unsigned long`: size depends on the target.
    ULong,
    /// C `char`: one byte, signed on some targets and unsigned on others,
    /// for text (`char name[16]`).
    Char,
}

impl Scalar {
    /// Every scalar, in the order the docs list them.
    pub const ALL: [Scalar; 14] = [
        Scalar::U8,
        Scalar::U16,
        Scalar::U32,
        Scalar::U64,
        Scalar::I8,
        Scalar::I16,
        Scalar::I32,
        Scalar::I64,
        Scalar::F32,
        Scalar::F64,
        Scalar::Ptr,
        Scalar::Long,
        Scalar::ULong,
        Scalar::Char,
    ];

    /// The spelling in spec files.
    pub const fn name(self) -> &'static str {
        match self {
            Scalar::U8 => "u8",
            Scalar::U16 => "u16",
            Scalar::U32 => "u32",
            Scalar::U64 => "u64",
            Scalar::I8 => "i8",
            Scalar::I16 => "i16",
            Scalar::I32 => "i32",
            Scalar::I64 => "i64",
            Scalar::F32 => "f32",
            Scalar::F64 => "f64",
            Scalar::Ptr => "ptr",
            Scalar::Long => "long",
            Scalar::ULong => "ulong",
            Scalar::Char => "char",
        }
    }

    /// Looks a scalar up by its spelling.
    pub fn from_name(name: &str) -> Option<Scalar> {
        Scalar::ALL.into_iter().find(|s| s.name() == name)
    }

    /// Size in bytes for the fixed-size scalars; 8 (the LP64 value) for the
    /// target-dependent ones. Use [`crate::Target::scalar_size`] for layout.
    pub const fn fixed_size(self) -> u64 {
        match self {
            Scalar::U8 | Scalar::I8 | Scalar::Char => 1,
            Scalar::U16 | Scalar::I16 => 2,
            Scalar::U32 | Scalar::I32 | Scalar::F32 => 4,
            Scalar::U64 | Scalar::I64 | Scalar::F64 => 8,
            Scalar::Ptr | Scalar::Long | Scalar::ULong => 8,
        }
    }

    /// True for scalars whose size or alignment depends on the target, and
    /// for floating point, which kernels avoid: flagged NON_PORTABLE_TYPE.
    pub const fn is_portable(self) -> bool {
        !matches!(
            self,
            Scalar::Ptr | Scalar::Long | Scalar::ULong | Scalar::F32 | Scalar::F64
        )
    }

    /// True for integer types that carry a sign.
    pub const fn is_signed(self) -> bool {
        matches!(
            self,
            Scalar::I8 | Scalar::I16 | Scalar::I32 | Scalar::I64 | Scalar::Long
        )
    }

    /// True for the integer types (pointers and floats excluded).
    pub const fn is_integer(self) -> bool {
        !matches!(self, Scalar::F32 | Scalar::F64 | Scalar::Ptr)
    }

    /// The width in bits of a fixed-size integer scalar: the widest
    /// bitfield it can hold. `None` for floats, pointers and the types
    /// whose size depends on the target.
    pub const fn fixed_bits(self) -> Option<u32> {
        match self {
            Scalar::U8 | Scalar::I8 | Scalar::Char => Some(8),
            Scalar::U16 | Scalar::I16 => Some(16),
            Scalar::U32 | Scalar::I32 => Some(32),
            Scalar::U64 | Scalar::I64 => Some(64),
            _ => None,
        }
    }

    /// The range of values a fixed-size integer scalar holds, as i128.
    pub fn integer_range(self) -> Option<(i128, i128)> {
        let bits = match self {
            Scalar::U8 | Scalar::I8 => 8,
            Scalar::U16 | Scalar::I16 => 16,
            Scalar::U32 | Scalar::I32 => 32,
            Scalar::U64 | Scalar::I64 => 64,
            _ => return None,
        };
        Some(if self.is_signed() {
            (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1)
        } else {
            (0, (1i128 << bits) - 1)
        })
    }
}

impl fmt::Display for Scalar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
