//! Hard limits on what a spec file may ask for. Each keeps a hostile file
//! from exhausting time or memory; each is far above any real ABI (Linux's
//! largest extensible struct, perf_event_attr, has about 60 fields).

/// Largest spec file read, in bytes.
pub const MAX_SPEC_BYTES: u64 = 64 << 20;
/// Most structs in one spec.
pub const MAX_STRUCTS: usize = 100_000;
/// Most fields in one struct.
pub const MAX_FIELDS: usize = 65_536;
/// Most features in one spec.
pub const MAX_FEATURES: usize = 4_096;
/// Most constants in one spec.
pub const MAX_CONSTANTS: usize = 100_000;
/// Most u64 feature words an ABI may define.
pub const MAX_FEATURE_WORDS: u32 = 64;
/// Deepest chain of structs containing structs.
pub const MAX_NESTING_DEPTH: usize = 32;
/// Deepest nesting of array brackets in one type.
pub const MAX_ARRAY_DEPTH: usize = 8;
/// Largest alignment accepted on a struct or field.
pub const MAX_ALIGN: u64 = 65_536;
/// Largest object (struct, array) size in bytes: C objects on 32-bit
/// targets cannot exceed PTRDIFF_MAX.
pub const MAX_OBJECT_SIZE: u64 = i32::MAX as u64;
/// Largest version number.
pub const MAX_VERSION: u32 = 1_000_000;
/// Most versions one file may describe. `check` lays every version out
/// and judges each struct's versions in blocks (`compat::history`), and
/// `matrix` simulates every pair of versions, so this bounds their time:
/// 256 versions of a 65,536-field struct take seconds to check; Linux's
/// longest history (perf_event_attr) has 10.
pub const MAX_VERSION_COUNT: u32 = 256;
/// Longest identifier.
pub const MAX_NAME_LEN: usize = 128;
/// Largest struct the simulated matrix lays out in memory: each cell
/// allocates the buffer and guards around it, so a spec's 2 GiB array must
/// not become 6 GiB of writes. Real extensible structs are a few hundred
/// bytes; a larger struct is listed as not simulated.
pub const MAX_SIMULATED_BYTES: u64 = 1 << 20;
/// Most field visits one simulated matrix makes: per struct, per layout
/// class, per (kernel version, C library version), the fields of both
/// views (once per member of a union, which is run a member at a time).
/// A visit costs tens of nanoseconds, so this bounds a `matrix` to a
/// minute or two; a struct that would take the matrix past it is listed
/// as not simulated, with the count. Linux's perf_event_attr (10 versions,
/// about 60 fields) takes a few hundred thousand.
pub const MAX_SIMULATED_STEPS: u64 = 1 << 31;

// Binaries (abi-dwarf): DWARF and BTF are as hostile as any input. Each
// limit below bounds the time or memory one file can cost; each is far
// above what a real binary needs (Debian's 6.1 vmlinux, 633 MB of DWARF,
// and the running kernel's 5.5 MB of BTF stay well inside every one).

/// Deepest chain of types (typedef of array of struct of ...) followed
/// when a binary's type is resolved. Real chains are under 20 deep.
pub const MAX_TYPE_DEPTH: usize = 64;
/// Deepest chain followed when a pointee is only named (`struct x *`),
/// not laid out; past it the name is shown as `...`.
pub const MAX_TYPE_NAME_DEPTH: usize = 16;
/// Most typedefs and qualifiers followed when the scan decides whether a
/// typedef names a struct.
pub const MAX_TYPEDEF_STEPS: usize = 8;
/// Most DWARF entries (or BTF types) read to resolve one struct, nested
/// types included.
pub const MAX_ENTRIES: usize = 2_000_000;
/// Most members of one struct or union in a binary (and children of one
/// DWARF entry).
pub const MAX_MEMBERS: usize = 65_536;
/// Most a compressed DWARF section may claim to grow by. zlib cannot
/// exceed 1032:1; DWARF compresses about 3-10:1 with zlib or zstd. A
/// header that claims more is a lie meant to make the reader allocate.
pub const MAX_COMPRESSION_RATIO: u64 = 1100;
/// Largest file read into memory rather than mapped (a file that refuses
/// to be mapped, such as those under `/sys/kernel/btf/`, and every BTF
/// file). The running kernel's BTF is about 6 MB.
pub const MAX_READ_BYTES: u64 = 1 << 30;
/// Most types in one BTF object (base and split counted together). Each
/// type takes at least 12 bytes, so the file size bounds it too; this
/// bounds the index built over them (Linux 6.18: about 150,000).
pub const MAX_BTF_TYPES: usize = 16 << 20;
/// Most definitions of one name compared when a binary defines a name
/// differently in several places (DWARF units, BTF types); past it the
/// others are counted, not laid out.
pub const MAX_DEFINITIONS_COMPARED: usize = 16;
/// Longest name from a binary shown or written as it is (struct, member
/// and type names, paths in generated files): longer ones are cut, with
/// the number of characters left out said. Linux's longest struct name has
/// under 60 characters.
pub const MAX_SHOWN_NAME_CHARS: usize = 256;
