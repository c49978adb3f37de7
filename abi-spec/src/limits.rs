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
/// Most versions one file may describe. `check` judges every version
/// against every older one (quadratic), so this bounds its time: 256
/// versions take seconds; Linux's longest history (perf_event_attr) has 10.
pub const MAX_VERSION_COUNT: u32 = 256;
/// Longest identifier.
pub const MAX_NAME_LEN: usize = 128;
/// Largest struct the simulated matrix lays out in memory: each cell
/// allocates the buffer and guards around it, so a spec's 2 GiB array must
/// not become 6 GiB of writes. Real extensible structs are a few hundred
/// bytes; a larger struct is listed as not simulated.
pub const MAX_SIMULATED_BYTES: u64 = 1 << 20;
