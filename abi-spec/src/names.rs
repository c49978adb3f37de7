//! Names: what a spec name may be, how generated code and specs written
//! from binaries spell one, and which names a generated file defines. The
//! one keyword list of the project.

use std::collections::HashMap;

use crate::limits::MAX_NAME_LEN;
use crate::source::Span;

/// C (C23) and C++ keywords: a name that is one would not compile in a
/// generated header, which must build as C and as C++. Rust keywords are
/// fine: generated Rust uses raw identifiers.
pub const C_AND_CXX_KEYWORDS: &[&str] = &[
    "alignas",
    "alignof",
    "and",
    "and_eq",
    "asm",
    "auto",
    "bitand",
    "bitor",
    "bool",
    "break",
    "case",
    "catch",
    "char",
    "char16_t",
    "char32_t",
    "char8_t",
    "class",
    "co_await",
    "co_return",
    "co_yield",
    "compl",
    "concept",
    "const",
    "const_cast",
    "consteval",
    "constexpr",
    "constinit",
    "continue",
    "decltype",
    "default",
    "delete",
    "do",
    "double",
    "dynamic_cast",
    "else",
    "enum",
    "explicit",
    "export",
    "extern",
    "false",
    "float",
    "for",
    "friend",
    "goto",
    "if",
    "inline",
    "int",
    "long",
    "mutable",
    "namespace",
    "new",
    "noexcept",
    "not",
    "not_eq",
    "nullptr",
    "operator",
    "or",
    "or_eq",
    "private",
    "protected",
    "public",
    "register",
    "reinterpret_cast",
    "requires",
    "restrict",
    "return",
    "short",
    "signed",
    "sizeof",
    "static",
    "static_assert",
    "static_cast",
    "struct",
    "switch",
    "template",
    "this",
    "thread_local",
    "throw",
    "true",
    "try",
    "typedef",
    "typeid",
    "typename",
    "typeof",
    "typeof_unqual",
    "union",
    "unsigned",
    "using",
    "virtual",
    "void",
    "volatile",
    "wchar_t",
    "while",
    "xor",
    "xor_eq",
    "_Alignas",
    "_Alignof",
    "_Atomic",
    "_BitInt",
    "_Bool",
    "_Complex",
    "_Decimal128",
    "_Decimal32",
    "_Decimal64",
    "_Generic",
    "_Imaginary",
    "_Noreturn",
    "_Static_assert",
    "_Thread_local",
];

/// The prefixes under which compilers and C libraries define macros,
/// types and built-ins of their own: a struct or field of one of these
/// names could be replaced by the preprocessor in some configuration, or
/// mean a type, under a compiler or C library no list here has seen. The
/// rest of the implementation's namespace (`__` and a lower-case letter)
/// holds the names Linux uses for padding (`__reserved`, `__pad`), so only
/// the names below are refused there.
const RESERVED_PREFIXES: &[(&str, &str)] = &[
    ("__builtin_", "GCC's and Clang's built-ins"),
    ("__cpp_", "C++ feature-test macros"),
    ("__has_", "preprocessor operators and C++ type traits"),
    ("__is_", "C++ type traits of GCC and Clang"),
    ("__glibc_", "glibc's <sys/cdefs.h> helpers"),
    ("__attr_", "glibc's <sys/cdefs.h> attribute macros"),
    ("__stub_", "glibc's <gnu/stubs.h> macros"),
    ("__kernel_", "Linux's <linux/posix_types.h> types"),
    ("__riscv", "RISC-V's predefined macros"),
    ("__mips", "MIPS's predefined macros"),
    ("__sparc", "SPARC's predefined macros"),
    ("__stdint_", "Clang's <stdint.h> helpers"),
];

/// Macros and types that the headers generated C includes define, or may
/// define, outside the reserved patterns: <linux/types.h> (uapi headers)
/// and <stddef.h> and <stdint.h> (stdint headers) with everything they
/// include, as GCC 12 and Clang 14 preprocess them with glibc 2.36 and
/// Linux 6.1's uapi headers for x86-64, i386 and x32, in C89 to C2x, GNU
/// and C++98 to C++20 modes, with and without `_GNU_SOURCE` and
/// `__KERNEL__` (`-dM -E`, typedefs from `-E`), and the compilers' own
/// freestanding `<stdint.h>` (Clang's `__int8_c_suffix`, ..., with the
/// `_defined` guards of the other widths); plus `__unused` and
/// `__used`, which the <sys/cdefs.h> of Android's C library (bionic)
/// defines as attributes and its <stdint.h> includes. A type matters too:
/// C++ refuses a member named like a type the struct uses (`uint32_t
/// uint32_t;`: "changes meaning").
const HEADER_NAMES: &[&str] = &[
    "INT16_C",
    "INT16_MAX",
    "INT16_MIN",
    "INT16_WIDTH",
    "INT32_C",
    "INT32_MAX",
    "INT32_MIN",
    "INT32_WIDTH",
    "INT64_C",
    "INT64_MAX",
    "INT64_MIN",
    "INT64_WIDTH",
    "INT8_C",
    "INT8_MAX",
    "INT8_MIN",
    "INT8_WIDTH",
    "INTMAX_C",
    "INTMAX_MAX",
    "INTMAX_MIN",
    "INTMAX_WIDTH",
    "INTPTR_MAX",
    "INTPTR_MIN",
    "INTPTR_WIDTH",
    "INT_FAST16_MAX",
    "INT_FAST16_MIN",
    "INT_FAST16_WIDTH",
    "INT_FAST32_MAX",
    "INT_FAST32_MIN",
    "INT_FAST32_WIDTH",
    "INT_FAST64_MAX",
    "INT_FAST64_MIN",
    "INT_FAST64_WIDTH",
    "INT_FAST8_MAX",
    "INT_FAST8_MIN",
    "INT_FAST8_WIDTH",
    "INT_LEAST16_MAX",
    "INT_LEAST16_MIN",
    "INT_LEAST16_WIDTH",
    "INT_LEAST32_MAX",
    "INT_LEAST32_MIN",
    "INT_LEAST32_WIDTH",
    "INT_LEAST64_MAX",
    "INT_LEAST64_MIN",
    "INT_LEAST64_WIDTH",
    "INT_LEAST8_MAX",
    "INT_LEAST8_MIN",
    "INT_LEAST8_WIDTH",
    "NULL",
    "PTRDIFF_MAX",
    "PTRDIFF_MIN",
    "PTRDIFF_WIDTH",
    "SIG_ATOMIC_MAX",
    "SIG_ATOMIC_MIN",
    "SIG_ATOMIC_WIDTH",
    "SIZE_MAX",
    "SIZE_WIDTH",
    "UINT16_C",
    "UINT16_MAX",
    "UINT16_WIDTH",
    "UINT32_C",
    "UINT32_MAX",
    "UINT32_WIDTH",
    "UINT64_C",
    "UINT64_MAX",
    "UINT64_WIDTH",
    "UINT8_C",
    "UINT8_MAX",
    "UINT8_WIDTH",
    "UINTMAX_C",
    "UINTMAX_MAX",
    "UINTMAX_WIDTH",
    "UINTPTR_MAX",
    "UINTPTR_WIDTH",
    "UINT_FAST16_MAX",
    "UINT_FAST16_WIDTH",
    "UINT_FAST32_MAX",
    "UINT_FAST32_WIDTH",
    "UINT_FAST64_MAX",
    "UINT_FAST64_WIDTH",
    "UINT_FAST8_MAX",
    "UINT_FAST8_WIDTH",
    "UINT_LEAST16_MAX",
    "UINT_LEAST16_WIDTH",
    "UINT_LEAST32_MAX",
    "UINT_LEAST32_WIDTH",
    "UINT_LEAST64_MAX",
    "UINT_LEAST64_WIDTH",
    "UINT_LEAST8_MAX",
    "UINT_LEAST8_WIDTH",
    "WCHAR_MAX",
    "WCHAR_MIN",
    "WCHAR_WIDTH",
    "WINT_MAX",
    "WINT_MIN",
    "WINT_WIDTH",
    "___int_ptrdiff_t_h",
    "___int_size_t_h",
    "___int_wchar_t_h",
    "__aligned_be64",
    "__aligned_le64",
    "__aligned_s64",
    "__aligned_u64",
    "__always_inline",
    "__be16",
    "__be32",
    "__be64",
    "__bitwise",
    "__blkcnt64_t",
    "__blkcnt_t",
    "__blksize_t",
    "__bos",
    "__bos0",
    "__caddr_t",
    "__clock_t",
    "__clockid_t",
    "__counted_by",
    "__daddr_t",
    "__dev_t",
    "__errordecl",
    "__extern_always_inline",
    "__extern_inline",
    "__flexarr",
    "__fortified_attr_access",
    "__fortify_function",
    "__fsblkcnt64_t",
    "__fsblkcnt_t",
    "__fsfilcnt64_t",
    "__fsfilcnt_t",
    "__fsid_t",
    "__fsword_t",
    "__gid_t",
    "__id_t",
    "__ino64_t",
    "__ino_t",
    "__int16_c_suffix",
    "__int16_t",
    "__int16_t_defined",
    "__int32_c_suffix",
    "__int32_t",
    "__int32_t_defined",
    "__int64_c_suffix",
    "__int64_t",
    "__int64_t_defined",
    "__int8_c_suffix",
    "__int8_t",
    "__int8_t_defined",
    "__int_c",
    "__int_c_join",
    "__int_least16_t",
    "__int_least32_t",
    "__int_least64_t",
    "__int_least8_t",
    "__intmax_t",
    "__intptr_t",
    "__intptr_t_defined",
    "__key_t",
    "__le16",
    "__le32",
    "__le64",
    "__loff_t",
    "__mode_t",
    "__nlink_t",
    "__nonnull",
    "__off64_t",
    "__off_t",
    "__pid_t",
    "__poll_t",
    "__ptr_t",
    "__quad_t",
    "__restrict_arr",
    "__returns_nonnull",
    "__rlim64_t",
    "__rlim_t",
    "__s16",
    "__s32",
    "__s64",
    "__s8",
    "__sig_atomic_t",
    "__size_t",
    "__socklen_t",
    "__ssize_t",
    "__stdint_join3",
    "__struct_group",
    "__struct_group_tag",
    "__sum16",
    "__suseconds64_t",
    "__suseconds_t",
    "__syscall_slong_t",
    "__syscall_ulong_t",
    "__time_t",
    "__timer_t",
    "__u16",
    "__u32",
    "__u64",
    "__u8",
    "__u_char",
    "__u_int",
    "__u_long",
    "__u_quad_t",
    "__u_short",
    "__uid_t",
    "__uint16_t",
    "__uint16_t_defined",
    "__uint32_t",
    "__uint32_t_defined",
    "__uint64_t",
    "__uint64_t_defined",
    "__uint8_t",
    "__uint8_t_defined",
    "__uint_c",
    "__uint_least16_t",
    "__uint_least32_t",
    "__uint_least64_t",
    "__uint_least8_t",
    "__uintmax_t",
    "__unused",
    "__useconds_t",
    "__used",
    "__va_arg_pack",
    "__va_arg_pack_len",
    "__warnattr",
    "__wsum",
    "__wur",
    "int16_t",
    "int32_t",
    "int64_t",
    "int8_t",
    "int_fast16_t",
    "int_fast32_t",
    "int_fast64_t",
    "int_fast8_t",
    "int_least16_t",
    "int_least32_t",
    "int_least64_t",
    "int_least8_t",
    "intmax_t",
    "intptr_t",
    "max_align_t",
    "nullptr_t",
    "offsetof",
    "ptrdiff_t",
    "rsize_t",
    "size_t",
    "uint16_t",
    "uint32_t",
    "uint64_t",
    "uint8_t",
    "uint_fast16_t",
    "uint_fast32_t",
    "uint_fast64_t",
    "uint_fast8_t",
    "uint_least16_t",
    "uint_least32_t",
    "uint_least64_t",
    "uint_least8_t",
    "uintmax_t",
    "uintptr_t",
    "wchar_t",
];

/// Keywords, built-in types and predefined macros of GCC 12 and Clang 14
/// outside the reserved patterns: what `-dM -E` of an empty file prints
/// for each of the 20 targets (Clang `--target`, the m68k and sh4 GCCs) in
/// C and GNU modes, and for every x86 `-march` (which names the CPU:
/// `__haswell`), and the words that make `struct s { int NAME; }` fail or
/// lose its member under GCC, G++, Clang or Clang++ (tried on every
/// `__`-name their binaries hold). `linux`, `unix` and `i386` are
/// predefined in GNU modes: a field named `linux` is the number 1 there.
const COMPILER_NAMES: &[&str] = &[
    "MIPSEB",
    "MIPSEL",
    "__addex",
    "__alderlake",
    "__alignof",
    "__alignx",
    "__alloca",
    "__amd64",
    "__amdfam10",
    "__arm",
    "__array_extent",
    "__array_rank",
    "__asm",
    "__athlon",
    "__atom",
    "__attribute",
    "__auto_type",
    "__bases",
    "__bcopy",
    "__bdver1",
    "__bdver2",
    "__bdver3",
    "__bdver4",
    "__bonnell",
    "__bpermd",
    "__btver1",
    "__btver2",
    "__cannonlake",
    "__cascadelake",
    "__cmpb",
    "__cmpeqb",
    "__cmplx",
    "__cmplxf",
    "__cmplxl",
    "__cmprb",
    "__cntlz4",
    "__cntlz8",
    "__cnttz4",
    "__cnttz8",
    "__compare_and_swap",
    "__compare_and_swaplp",
    "__compare_exp_eq",
    "__compare_exp_gt",
    "__compare_exp_lt",
    "__compare_exp_uo",
    "__complex",
    "__const",
    "__constinit",
    "__cooperlake",
    "__core2",
    "__core_avx2",
    "__corei7",
    "__corei7_avx",
    "__cplusplus",
    "__cxxabiv1",
    "__darn",
    "__darn_32",
    "__darn_raw",
    "__dcbf",
    "__dcbfl",
    "__dcbflp",
    "__dcbst",
    "__dcbt",
    "__dcbtst",
    "__dcbtstt",
    "__dcbtt",
    "__dcbz",
    "__decltype",
    "__direct_bases",
    "__divde",
    "__divdeu",
    "__divwe",
    "__divweu",
    "__eieio",
    "__extract_exp",
    "__extract_sig",
    "__fcfid",
    "__fcfud",
    "__fctid",
    "__fctidz",
    "__fctiw",
    "__fctiwz",
    "__fctudz",
    "__fctuwz",
    "__fetch_and_add",
    "__fetch_and_addlp",
    "__fetch_and_and",
    "__fetch_and_andlp",
    "__fetch_and_or",
    "__fetch_and_orlp",
    "__fetch_and_swap",
    "__fetch_and_swaplp",
    "__float128",
    "__float80",
    "__fmadd",
    "__fmadds",
    "__fmsub",
    "__fmsubs",
    "__fnmadd",
    "__fnmadds",
    "__fnmsub",
    "__fnmsubs",
    "__fre",
    "__fres",
    "__fric",
    "__frim",
    "__frims",
    "__frin",
    "__frins",
    "__frip",
    "__frips",
    "__friz",
    "__frizs",
    "__frsqrte",
    "__frsqrtes",
    "__fsel",
    "__fsels",
    "__fsqrt",
    "__fsqrts",
    "__geode",
    "__goldmont",
    "__goldmont_plus",
    "__haswell",
    "__i386",
    "__i486",
    "__i586",
    "__i686",
    "__icbt",
    "__icelake_client",
    "__icelake_server",
    "__imag",
    "__inline",
    "__insert_exp",
    "__int128",
    "__int128_t",
    "__iospace_eieio",
    "__iospace_lwsync",
    "__iospace_sync",
    "__isync",
    "__k6",
    "__k8",
    "__knl",
    "__knm",
    "__labs",
    "__lbarx",
    "__ldarx",
    "__lharx",
    "__linux",
    "__llabs",
    "__load2r",
    "__load4r",
    "__load8r",
    "__lwarx",
    "__lwsync",
    "__maddhd",
    "__maddhdu",
    "__maddld",
    "__mc68000",
    "__mc68020",
    "__mfmsr",
    "__mfspr",
    "__mftbu",
    "__mtfsb0",
    "__mtfsb1",
    "__mtfsf",
    "__mtfsfi",
    "__mtmsr",
    "__mtspr",
    "__mulhd",
    "__mulhdu",
    "__mulhw",
    "__mulhwu",
    "__nehalem",
    "__nocona",
    "__null",
    "__pentium",
    "__pentium4",
    "__pentiumpro",
    "__popcnt4",
    "__popcnt8",
    "__popcntb",
    "__poppar4",
    "__poppar8",
    "__rdlam",
    "__readflm",
    "__real",
    "__restrict",
    "__rldimi",
    "__rlwimi",
    "__rlwnm",
    "__rocketlake",
    "__rotatel4",
    "__rotatel8",
    "__sandybridge",
    "__sapphirerapids",
    "__seg_fs",
    "__seg_gs",
    "__setb",
    "__setflm",
    "__setrnd",
    "__signed",
    "__silvermont",
    "__skylake",
    "__skylake_avx512",
    "__slm",
    "__stbcx",
    "__stdcx",
    "__stfiw",
    "__sthcx",
    "__store2r",
    "__store4r",
    "__store8r",
    "__stwcx",
    "__swdiv",
    "__swdiv_nochk",
    "__swdivs",
    "__swdivs_nochk",
    "__sync",
    "__tdw",
    "__test_data_class",
    "__thread",
    "__tigerlake",
    "__transaction_atomic",
    "__transaction_cancel",
    "__transaction_relaxed",
    "__trap",
    "__trapd",
    "__tremont",
    "__tw",
    "__typeof",
    "__uint128_t",
    "__underlying_type",
    "__unix",
    "__vcipher",
    "__vcipherlast",
    "__vncipher",
    "__vncipherlast",
    "__volatile",
    "__vpermxor",
    "__vpmsumb",
    "__vpmsumd",
    "__vpmsumh",
    "__vpmsumw",
    "__vtbl_ptr_type",
    "__x86_64",
    "__znver1",
    "__znver2",
    "__znver3",
    "_mips",
    "i386",
    "linux",
    "mc68000",
    "mc68020",
    "mips",
    "sparc",
    "unix",
];

/// The macros the standard headers define by name (upper-case ones: `INT8_MAX`,
/// `NULL`), which a generated header must not define again: the C
/// generator claims them before its own.
pub fn header_macros() -> impl Iterator<Item = &'static str> {
    HEADER_NAMES
        .iter()
        .copied()
        .filter(|n| n.bytes().all(|b| !b.is_ascii_lowercase()))
}

/// Every name [`c_name_conflict`] refuses by name rather than by pattern.
pub fn refused_names() -> impl Iterator<Item = &'static str> {
    HEADER_NAMES.iter().chain(COMPILER_NAMES).copied()
}

/// Why a struct or field name cannot stand alone in generated C.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CNameConflict {
    /// In the namespace where compilers and C libraries define their
    /// macros: the reason.
    Reserved(&'static str),
    /// A macro or type of a header that generated C includes.
    Header,
    /// A keyword, built-in or predefined macro of GCC or Clang.
    Compiler,
}

impl CNameConflict {
    /// Why, as the end of a sentence about the name.
    pub fn reason(self) -> String {
        match self {
            CNameConflict::Reserved(why) => format!("is reserved to the compiler and the C library ({why})"),
            CNameConflict::Header => "is a macro or type of the headers generated C includes (<linux/types.h>, <stddef.h>, <stdint.h>)".to_string(),
            CNameConflict::Compiler => "is a keyword, built-in or predefined macro of GCC or Clang".to_string(),
        }
    }
}

/// Why `name` cannot name a struct or a field (which generated headers
/// write as they are) even though it is a C identifier and no keyword of
/// the standards: the preprocessor could replace it, or it names a type.
/// `__bitwise`, `__THROW` or `__const` as a field expand to nothing under
/// some compilers, and the struct silently loses a member.
pub fn c_name_conflict(name: &str) -> Option<CNameConflict> {
    let bytes = name.as_bytes();
    let upper_after = |n: usize| bytes.len() > n && bytes[n].is_ascii_uppercase();
    if bytes.first() == Some(&b'_') && upper_after(1) {
        return Some(CNameConflict::Reserved(
            "it starts with `_` and a capital letter",
        ));
    }
    if name.starts_with("__") && upper_after(2) {
        return Some(CNameConflict::Reserved(
            "it starts with `__` and a capital letter",
        ));
    }
    if name.len() > 4 && name.starts_with("__") && name.ends_with("__") {
        return Some(CNameConflict::Reserved("it starts and ends with `__`"));
    }
    if let Some((_, why)) = RESERVED_PREFIXES.iter().find(|(p, _)| name.starts_with(p)) {
        return Some(CNameConflict::Reserved(why));
    }
    if HEADER_NAMES.binary_search(&name).is_ok() {
        return Some(CNameConflict::Header);
    }
    if COMPILER_NAMES.binary_search(&name).is_ok() {
        return Some(CNameConflict::Compiler);
    }
    None
}

/// The names a kind of spec name must not have beyond being a C identifier
/// and no keyword: what the spec's validation asks of every name it reads,
/// with the kind as it says it (`struct`, `field`, `feature`, ...). Struct
/// and field names are written as they are in generated headers
/// ([`c_name_conflict`]); the others only inside names the generator
/// builds (`ABI_FEATURE_NAME`), which it checks itself. Returns the error
/// message and its help.
pub fn refusal(what: &str, name: &str) -> Option<(String, String)> {
    if !matches!(what, "struct" | "field") {
        return None;
    }
    let conflict = c_name_conflict(name)?;
    Some((
        format!("{what} name `{name}` {}", conflict.reason()),
        format!(
            "generated headers write it as it is, where the preprocessor could replace it or C++ read it as a type: rename it, e.g. `{}`",
            usable_name(name)
        ),
    ))
}

/// A name close to `name` that a struct or field may have: leading
/// underscores dropped, then `_` appended while it is a keyword or
/// conflicts ([`c_name_conflict`]).
fn usable_name(name: &str) -> String {
    let mut out = name.trim_start_matches('_').to_string();
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'x');
    }
    out.truncate(MAX_NAME_LEN - 4);
    while is_reserved_word(&out) || c_name_conflict(&out).is_some() {
        out.push('_');
    }
    out
}

/// True when `name` is a C or C++ keyword.
pub fn is_reserved_word(name: &str) -> bool {
    C_AND_CXX_KEYWORDS.contains(&name)
}

/// True when `name` is an ASCII C identifier: a letter or `_`, then
/// letters, digits and `_`.
pub fn is_c_identifier(name: &str) -> bool {
    name.bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// True when `name` may name something in a spec: a C identifier of at
/// most [`MAX_NAME_LEN`] characters that is no C or C++ keyword.
pub fn is_spec_name(name: &str) -> bool {
    is_c_identifier(name) && name.len() <= MAX_NAME_LEN && !is_reserved_word(name)
}

/// The closest spec name to a C name read from a binary: characters other
/// than letters, digits and `_` become `_`, a leading digit gets a `_`, a
/// keyword a trailing `_`, a name a generated header could not write as it
/// is ([`c_name_conflict`]: glibc's `_IO_read_ptr`) loses its leading
/// underscores, and the result is cut to [`MAX_NAME_LEN`]. Always
/// satisfies [`is_spec_name`], and [`refusal`] refuses it as no struct or
/// field name.
pub fn spec_name_for(c_name: &str) -> String {
    let mut out: String = c_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out.truncate(MAX_NAME_LEN - 1);
    if c_name_conflict(&out).is_some() {
        return usable_name(&out);
    }
    if is_reserved_word(&out) {
        out.push('_');
    }
    out
}

/// What wants a name in a generated file: a description for messages
/// (`struct \`s\``, `the include guard`) and the place in the spec that
/// asked for it, when one did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NameOwner {
    /// What it is, for messages.
    pub what: String,
    /// Where the spec asks for it.
    pub span: Option<Span>,
}

impl NameOwner {
    /// An owner at a place in the spec.
    pub fn at(what: impl Into<String>, span: Span) -> NameOwner {
        NameOwner {
            what: what.into(),
            span: Some(span),
        }
    }

    /// An owner that no place in the spec asked for: the generator's own
    /// name, or one the target language already has.
    pub fn generator(what: impl Into<String>) -> NameOwner {
        NameOwner {
            what: what.into(),
            span: None,
        }
    }
}

/// Two things a generated file would define under one name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NameClash {
    /// The name.
    pub name: String,
    /// What claimed it first.
    pub first: NameOwner,
    /// What claimed it again.
    pub second: NameOwner,
}

/// The names one generated file defines in one namespace (C macros, Rust
/// values, Rust types), each with what wanted it: the check that the C and
/// Rust generators share, so that two spec names that generate one name
/// (struct `x`'s `X_FEATURE_SIZE_VER1` and struct `x_feature`'s
/// `X_FEATURE_SIZE_VER1`; structs `s` and `S`) are refused at the spec's
/// place instead of producing code a compiler refuses.
#[derive(Debug, Default)]
pub struct GeneratedNames {
    seen: HashMap<String, NameOwner>,
}

impl GeneratedNames {
    /// Records that `owner` defines `name`; the clash when something
    /// already does.
    pub fn claim(&mut self, name: impl Into<String>, owner: NameOwner) -> Result<(), NameClash> {
        let name = name.into();
        match self.seen.get(&name) {
            Some(first) => Err(NameClash {
                name,
                first: first.clone(),
                second: owner,
            }),
            None => {
                self.seen.insert(name, owner);
                Ok(())
            }
        }
    }

    /// True when something claimed `name`.
    pub fn contains(&self, name: &str) -> bool {
        self.seen.contains_key(name)
    }
}

/// Words that need `r#` in Rust but are fine in C (C and C++ keywords never
/// reach here: the spec refuses them).
const RUST_KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "do", "dyn",
    "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl", "in", "let",
    "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref", "return",
    "static", "struct", "trait", "true", "try", "type", "typeof", "unsafe", "unsized", "use",
    "virtual", "where", "while", "yield",
];

/// The Rust identifier for a spec name: raw for keywords, with a trailing
/// underscore for the words that cannot be raw.
pub fn rust_ident(name: &str) -> String {
    match name {
        "self" | "Self" | "super" | "crate" | "_" => format!("{name}_"),
        _ if RUST_KEYWORDS.contains(&name) => format!("r#{name}"),
        _ => name.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_names_for_c_names_are_spec_names() {
        for c in [
            "decltype",
            "class",
            "a-b",
            "9lives",
            "",
            "x".repeat(300).as_str(),
            "ok_name",
        ] {
            let name = spec_name_for(c);
            assert!(is_spec_name(&name), "{c:?} -> {name:?}");
        }
        assert_eq!(spec_name_for("decltype"), "decltype_");
        assert_eq!(spec_name_for("ok_name"), "ok_name");
    }

    #[test]
    fn name_lists_are_sorted_for_binary_search() {
        for list in [HEADER_NAMES, COMPILER_NAMES] {
            assert!(
                list.windows(2).all(|w| w[0] < w[1]),
                "{:?}",
                list.windows(2).find(|w| w[0] >= w[1])
            );
        }
    }

    #[test]
    fn names_headers_or_compilers_may_define_are_refused() {
        for name in [
            "__bitwise",
            "__BEGIN_DECLS",
            "__THROW",
            "__const",
            "_LP64",
            "__x86_64__",
            "linux",
            "unix",
            "i386",
            "offsetof",
            "NULL",
            "INT8_MAX",
            "uint32_t",
            "__u32",
            "__kernel_size_t",
            "__builtin_offsetof",
            "__cpp_rtti",
            "__glibc_likely",
            "__unused",
            "__haswell",
            "__riscv_xlen",
            "__int128",
            "__seg_gs",
        ] {
            assert!(c_name_conflict(name).is_some(), "{name} accepted");
            assert!(
                refusal("field", name).is_some() && refusal("struct", name).is_some(),
                "{name}"
            );
            assert!(
                refusal("feature", name).is_none(),
                "{name}: features never stand alone"
            );
        }
        // Linux's padding names, and what merely looks reserved.
        for name in [
            "__reserved",
            "__pad",
            "__pad1",
            "__rsvd",
            "_pad",
            "__spare",
            "_x",
            "unix_time",
            "x__",
        ] {
            assert_eq!(c_name_conflict(name), None, "{name}");
        }
    }

    #[test]
    fn spec_names_for_reserved_c_names_can_name_fields() {
        for c in [
            "_IO_read_ptr",
            "__bitwise",
            "__THROW",
            "__x86_64__",
            "linux",
            "int8_t",
            "__const",
            "_",
            "__",
            "__2",
            "_Bool",
            "__builtin_offsetof",
        ] {
            let name = spec_name_for(c);
            assert!(is_spec_name(&name), "{c:?} -> {name:?}");
            assert_eq!(refusal("field", &name), None, "{c:?} -> {name:?}");
        }
        assert_eq!(spec_name_for("_IO_read_ptr"), "IO_read_ptr");
        assert_eq!(spec_name_for("linux"), "linux_");
        assert_eq!(spec_name_for("__const"), "const_");
    }
}
