//! The built-in targets and the C scalar rules each one follows.
//!
//! Every number here was checked against a real compiler (`gcc`, `gcc -m32`,
//! `clang --target=...`, `m68k-linux-gnu-gcc`, `sh4-linux-gnu-gcc`) by the
//! oracle tests in `tests/`; this table is the only place the engine learns
//! what a target is.

use core::fmt;

use crate::types::Scalar;

/// A built-in target: one C ABI of Linux.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Target {
    /// x86-64, LP64.
    X86_64,
    /// 64-bit Arm, LP64.
    Aarch64,
    /// 64-bit RISC-V, LP64.
    Riscv64,
    /// 64-bit big-endian PowerPC (ELFv1/ELFv2 agree on layout), LP64.
    Powerpc64,
    /// 64-bit little-endian PowerPC, LP64.
    Powerpc64le,
    /// 64-bit MIPS, n64 ABI, big endian, LP64.
    Mips64,
    /// 64-bit SPARC, big endian, LP64.
    Sparc64,
    /// LoongArch, LP64.
    Loongarch64,
    /// IBM Z, LP64, big endian.
    S390x,
    /// 32-bit x86: 8-byte scalars are only 4-aligned inside structs.
    I386,
    /// SuperH SH-4: 8-byte scalars are only 4-aligned inside structs.
    Sh4,
    /// x86-64 with 32-bit pointers and `long`; u64 stays 8-aligned.
    X32,
    /// 32-bit Arm EABI, little endian.
    Arm,
    /// 32-bit Arm EABI, big endian.
    Armeb,
    /// 32-bit RISC-V, ILP32.
    Riscv32,
    /// 32-bit PowerPC, big endian.
    Powerpc,
    /// 32-bit MIPS o32, big endian.
    Mips,
    /// 32-bit MIPS o32, little endian.
    Mipsel,
    /// 32-bit SPARC, big endian.
    Sparc,
    /// Motorola 68000 family: every scalar of 2 bytes or more is 2-aligned.
    M68k,
}

/// What a target's layouts depend on (see [`Target::layout_class`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LayoutKey {
    /// Size and alignment of each scalar, in [`Scalar::ALL`] order.
    pub scalars: [(u64, u64); Scalar::ALL.len()],
    /// See [`Target::bitfield_rules`].
    pub bitfields: BitfieldRules,
}

/// How a C ABI places bitfields. In every ABI here a bitfield's bits are
/// allocated in order from the struct's first bit (the least significant
/// end of a byte first on little-endian targets, the most significant on
/// big-endian ones); they differ in where a bitfield may start and in
/// which bitfields align the struct.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BitfieldRules {
    /// The System V psABIs (x86, RISC-V, MIPS, PowerPC, SPARC, s390x,
    /// LoongArch, SuperH): a bitfield lies inside one storage unit of its
    /// type (as large as the type, at a multiple of its alignment), else it
    /// starts the next one; a zero-width bitfield moves to the next
    /// multiple of its type's alignment; named bitfields align the struct
    /// as their type would, unnamed ones (of any width) do not.
    SysV,
    /// Arm's AAPCS and AAPCS64: as System V, but unnamed bitfields, zero
    /// width included, align the struct as their type would.
    Aapcs,
    /// gcc on m68k: bitfields follow each other bit after bit, across any
    /// boundary, and do not align the struct, with two exceptions: a
    /// zero-width bitfield moves to the next 16-bit boundary and aligns the
    /// struct to 2; and a bitfield 16, 32 or 64 bits wide that happens to
    /// start on a 16-bit boundary is placed as an ordinary member, which
    /// aligns the struct to 2.
    M68k,
}

/// Byte order of a target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Endian {
    /// Least significant byte first.
    Little,
    /// Most significant byte first.
    Big,
}

impl Target {
    /// Every built-in target, in the contract's order. This is also the
    /// order in which output lists targets.
    pub const ALL: [Target; 20] = [
        Target::X86_64,
        Target::Aarch64,
        Target::Riscv64,
        Target::Powerpc64,
        Target::Powerpc64le,
        Target::Mips64,
        Target::Sparc64,
        Target::Loongarch64,
        Target::S390x,
        Target::I386,
        Target::Sh4,
        Target::X32,
        Target::Arm,
        Target::Armeb,
        Target::Riscv32,
        Target::Powerpc,
        Target::Mips,
        Target::Mipsel,
        Target::Sparc,
        Target::M68k,
    ];

    /// The name used in spec files and on the command line.
    pub const fn name(self) -> &'static str {
        match self {
            Target::X86_64 => "x86_64",
            Target::Aarch64 => "aarch64",
            Target::Riscv64 => "riscv64",
            Target::Powerpc64 => "powerpc64",
            Target::Powerpc64le => "powerpc64le",
            Target::Mips64 => "mips64",
            Target::Sparc64 => "sparc64",
            Target::Loongarch64 => "loongarch64",
            Target::S390x => "s390x",
            Target::I386 => "i386",
            Target::Sh4 => "sh4",
            Target::X32 => "x32",
            Target::Arm => "arm",
            Target::Armeb => "armeb",
            Target::Riscv32 => "riscv32",
            Target::Powerpc => "powerpc",
            Target::Mips => "mips",
            Target::Mipsel => "mipsel",
            Target::Sparc => "sparc",
            Target::M68k => "m68k",
        }
    }

    /// Looks a target up by its spec-file name.
    pub fn from_name(name: &str) -> Option<Target> {
        Target::ALL.into_iter().find(|t| t.name() == name)
    }

    /// The LLVM/GNU triple a C compiler uses for this target.
    pub const fn triple(self) -> &'static str {
        match self {
            Target::X86_64 => "x86_64-linux-gnu",
            Target::Aarch64 => "aarch64-linux-gnu",
            Target::Riscv64 => "riscv64-linux-gnu",
            Target::Powerpc64 => "powerpc64-linux-gnu",
            Target::Powerpc64le => "powerpc64le-linux-gnu",
            Target::Mips64 => "mips64-linux-gnuabi64",
            Target::Sparc64 => "sparc64-linux-gnu",
            Target::Loongarch64 => "loongarch64-linux-gnu",
            Target::S390x => "s390x-linux-gnu",
            Target::I386 => "i386-linux-gnu",
            Target::Sh4 => "sh4-linux-gnu",
            Target::X32 => "x86_64-linux-gnux32",
            Target::Arm => "arm-linux-gnueabi",
            Target::Armeb => "armeb-linux-gnueabi",
            Target::Riscv32 => "riscv32-linux-gnu",
            Target::Powerpc => "powerpc-linux-gnu",
            Target::Mips => "mips-linux-gnu",
            Target::Mipsel => "mipsel-linux-gnu",
            Target::Sparc => "sparc-linux-gnu",
            Target::M68k => "m68k-linux-gnu",
        }
    }

    /// Byte order.
    pub const fn endian(self) -> Endian {
        match self {
            Target::Powerpc64
            | Target::Mips64
            | Target::Sparc64
            | Target::S390x
            | Target::Armeb
            | Target::Powerpc
            | Target::Mips
            | Target::Sparc
            | Target::M68k => Endian::Big,
            _ => Endian::Little,
        }
    }

    /// Size in bytes of a pointer, `long` and `unsigned long`.
    pub const fn pointer_size(self) -> u64 {
        match self {
            Target::X86_64
            | Target::Aarch64
            | Target::Riscv64
            | Target::Powerpc64
            | Target::Powerpc64le
            | Target::Mips64
            | Target::Sparc64
            | Target::Loongarch64
            | Target::S390x => 8,
            _ => 4,
        }
    }

    /// Size in bytes of a scalar on this target.
    pub const fn scalar_size(self, scalar: Scalar) -> u64 {
        match scalar {
            Scalar::Ptr | Scalar::Long | Scalar::ULong => self.pointer_size(),
            other => other.fixed_size(),
        }
    }

    /// Alignment in bytes of a scalar as a struct member on this target
    /// (C11 `_Alignof`, which on i386 and sh4 is 4 for 8-byte scalars even
    /// though GCC's `__alignof__` says 8).
    pub const fn scalar_align(self, scalar: Scalar) -> u64 {
        let size = self.scalar_size(scalar);
        match self {
            Target::M68k => {
                if size >= 2 {
                    2
                } else {
                    1
                }
            }
            Target::I386 | Target::Sh4 => {
                if size > 4 {
                    4
                } else {
                    size
                }
            }
            _ => size,
        }
    }

    /// What layout depends on: the size and alignment of every scalar, and
    /// how bitfields are allocated. Targets with equal classes lay out every
    /// struct identically (byte order changes no offset, nor the order in
    /// which bits are allocated, only which end of a byte comes first), so
    /// the engine computes one layout per class.
    pub fn layout_class(self) -> LayoutKey {
        LayoutKey {
            scalars: Scalar::ALL.map(|s| (self.scalar_size(s), self.scalar_align(s))),
            bitfields: self.bitfield_rules(),
        }
    }

    /// How the target's C ABI places bitfields (measured against its
    /// compiler: see tests/bitfields.rs).
    pub const fn bitfield_rules(self) -> BitfieldRules {
        match self {
            Target::Aarch64 | Target::Arm | Target::Armeb => BitfieldRules::Aapcs,
            Target::M68k => BitfieldRules::M68k,
            _ => BitfieldRules::SysV,
        }
    }

    /// True when pointers and `long` are 64 bits wide.
    pub const fn is_lp64(self) -> bool {
        self.pointer_size() == 8
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
