//! Proc-macros that generate `repr(C)` structs from an ABI spec, or check
//! hand-written ones against it, with compile-time layout assertions.
//!
//! Both macros are thin: `abi-derive-impl` reads the spec with `abi-spec`,
//! asks `abi_spec::codegen::rust` for the code (the same code `abi-check
//! rust` prints) and, for the derive, checks the hand-written struct
//! against the spec's view. No layout arithmetic happens here. (The work
//! is in a library of its own so that it compiles while abi-spec is still
//! generating code: see `abi-derive-impl`.)
//!
//! # Where the spec is found
//!
//! A spec path is relative to the directory of the `Cargo.toml` of the
//! crate that uses the macro (`CARGO_MANIFEST_DIR`), whatever file the
//! macro is written in: `generate!("abi/tlabi.toml")` reads
//! `<crate>/abi/tlabi.toml`. The environment variable
//! `ABI_DERIVE_MANIFEST_DIR`, when set, replaces that directory: it exists
//! for harnesses such as trybuild that compile a crate from a generated
//! directory. Cargo does not track it; the spec file itself is tracked
//! (editing it rebuilds the crate). A spec that is not valid is a compile
//! error naming the file, line and column.
//!
//! # `generate!`: the code of a spec
//!
//! The examples below use this crate's `doc/demo.toml`:
//!
//! ```toml
#![doc = include_str!("../doc/demo.toml")]
//! ```
//!
//! `generate!` expands to items in the current module, so give each spec a
//! module of its own. For each struct it generates the `#[repr(C)]` struct
//! at the newest version, `ZERO`, one `read_<field>` accessor per field,
//! and the sizes of every version; for the ABI, the version range and one
//! mask per feature; and assertions, under each target's `#[cfg]`, of
//! every size, alignment and offset:
//!
//! ```
//! mod demo {
//!     abi_derive::generate!("doc/demo.toml");
//! }
//! use demo::*;
//!
//! // The versions, and the sizes of each: `sizeof` and the feature size
//! // (the end of the last field: what a caller of that version announces).
//! assert_eq!((DEMO_FIRST_VERSION, DEMO_VERSION), (1, 2));
//! assert_eq!(DEMO_AREA_FEATURE_SIZE_VER1, 8);
//! assert_eq!(DEMO_AREA_FEATURE_SIZE_VER2, 16);
//! assert_eq!(core::mem::size_of::<demo_area>(), DEMO_AREA_SIZE_VER2);
//!
//! // One mask per feature, for feature word 0 (`_BIT` gives the global bit
//! // number); position 63 of every word is the extension bit, never a
//! // feature.
//! assert_eq!(DEMO_FEATURE_NODE_ID, 1 << DEMO_FEATURE_NODE_ID_BIT);
//! assert_eq!(DEMO_EXTENSION_BIT, 1 << 63);
//!
//! // `ZERO` (also `Default::default()`): every field zero, reserved bytes
//! // included. Start from it and fill the fields your version has.
//! assert_eq!(demo_area::ZERO, demo_area::default());
//! let mut area = demo_area::ZERO;
//! area.cpu_id = 3;
//! area.node_id = 1;
//! assert_eq!(area.reserved, 0);
//! ```
//!
//! # Reading a field: `read_<field>(length, features)`
//!
//! A field may be read only when it is on under what the two sides agreed:
//! `length`, the smaller of the two lengths they announced, must cover the
//! feature size of the version that introduced the field, and, in an ABI
//! with features, `features`, the AND of both sides' feature words (word 0
//! first), must have the field's bit. `read_<field>` answers `None`
//! otherwise; a field the kernel writes is read with a volatile load. (An
//! ABI without features has `read_<field>(length)`.) The agreement itself
//! comes from the registration or copy-in, which `abi_spec::runtime` runs
//! with the same model.
//!
//! ```
//! # mod demo {
//! #     abi_derive::generate!("doc/demo.toml");
//! # }
//! # use demo::*;
//! let mut area = demo_area::ZERO;
//! area.cpu_id = 3;
//! area.node_id = 1;
//!
//! // A C library of version 1 announced 8 bytes, the kernel speaks
//! // version 2 (16 bytes): they agree on 8, and on the features both set.
//! let length = DEMO_AREA_FEATURE_SIZE_VER1.min(DEMO_AREA_FEATURE_SIZE_VER2);
//! let kernel = DEMO_FEATURE_CPU_ID | DEMO_FEATURE_NODE_ID;
//! let libc = DEMO_FEATURE_CPU_ID;
//! let features = [kernel & libc];
//! assert_eq!(area.read_cpu_id(length, &features), Some(3));
//! // `node_id` came in version 2, beyond the agreed length: off.
//! assert_eq!(area.read_node_id(length, &features), None);
//!
//! // Both at version 2, but the library did not ask for `node_id`: off.
//! assert_eq!(area.read_node_id(DEMO_AREA_FEATURE_SIZE_VER2, &features), None);
//! // Both at version 2 with the bit on both sides: on.
//! assert_eq!(area.read_node_id(DEMO_AREA_FEATURE_SIZE_VER2, &[kernel]), Some(1));
//! // A field without a feature (`flags`) needs only the length.
//! assert_eq!(area.read_flags(DEMO_AREA_FEATURE_SIZE_VER1, &[]), Some(0));
//! ```
//!
//! # `#[derive(AbiLayout)]`: checking a hand-written struct
//!
//! `#[abi(spec = "...", name = "...", version = N)]` names the spec, the
//! spec's struct (default: the Rust struct's name) and the version
//! (default: the newest). The derive checks field names, order and types
//! against that version's view, reports every mistake at once at its
//! field, and asserts the same layout as `generate!`:
//!
//! ```
//! use abi_derive::AbiLayout;
//!
//! /// What a C library of version 1 declares.
//! #[derive(AbiLayout)]
//! #[abi(spec = "doc/demo.toml", name = "demo_area", version = 1)]
//! #[repr(C)]
//! struct AreaV1 {
//!     cpu_id: u32,
//!     flags: core::ffi::c_uint,
//! }
//! assert_eq!(core::mem::size_of::<AreaV1>(), 8);
//! ```
//!
//! A field the spec gives another type is a compile error at that field:
//!
//! ```compile_fail
//! use abi_derive::AbiLayout;
//!
//! #[derive(AbiLayout)]
//! #[abi(spec = "doc/demo.toml", name = "demo_area", version = 1)]
//! #[repr(C)]
//! struct AreaV1 {
//!     cpu_id: u64, // the spec says u32
//!     flags: u32,
//! }
//! ```
//!
//! # Bitfields, anonymous unions and flag sets
//!
//! Rust has none of the first two; the generated code stands in for them
//! (the spec here is `doc/bits.toml`, the start of `perf_event_attr`):
//!
//! - Each run of bitfields (that share bytes, or a unit of their type, on
//!   some target) is one field, `<first bitfield>_bits`: an unsigned
//!   integer when its bytes are one aligned integer on every target, else
//!   `[u8; N]`. Each named bitfield has `<name>()`, `set_<name>(value)`
//!   (which keeps the low bits, as C's assignment does) and
//!   `read_<name>(...)`; a signed one sign-extends. Where the bits lie
//!   differs between targets (big-endian ones allocate from the most
//!   significant bit): each target's shifts are written under its
//!   `#[cfg]`, from the layout engine's placement, which is checked
//!   against every compiler.
//! - A member of an anonymous struct or union (C11) is reached by its own
//!   name from the enclosing struct, which holds the member under the
//!   spec's name for it. A union's fields are read safely only when every
//!   member is as large as the union and free of padding (then no value of
//!   it has uninitialized bytes); other unions keep `unsafe` reads.
//! - A `[[flags]]` set is a `#[repr(transparent)]` newtype with a constant
//!   per value, named without the set's prefix; bits it has no name for
//!   are kept.
//!
//! ```
//! mod perf {
//!     abi_derive::generate!("doc/bits.toml");
//! }
//! use perf::*;
//!
//! let mut attr = attr::ZERO;
//! attr.set_sample_freq(4000); // in the anonymous union `sample`
//! attr.set_freq(1);
//! attr.set_precise_ip(2);
//! assert_eq!(attr.sample_period(), 4000);
//! assert_eq!(attr.precise_ip(), 2);
//! assert_eq!(attr.read_precise_ip(ATTR_FEATURE_SIZE_VER1), Some(2));
//! # #[cfg(target_endian = "little")]
//! assert_eq!(attr.disabled_bits, 0b1010); // freq is bit 1, precise_ip bits 2 and 3
//!
//! let flags = PerfFlags::FD_CLOEXEC | PerfFlags::from_bits_retain(1 << 40);
//! assert!(flags.contains(PerfFlags::FD_CLOEXEC));
//! assert_eq!(flags.bits(), 1 << 3 | 1 << 40); // the unknown bit is kept
//! ```
//!
//! A hand-written struct stores a run in a field of its own, marked with
//! the bitfields it holds: every one of the run, unnamed ones by their
//! spec name, in order. The derive checks the list against the spec and
//! asserts that the field covers exactly the run's bytes:
//!
//! ```
//! use abi_derive::AbiLayout;
//!
//! #[repr(C)]
//! #[derive(Clone, Copy)]
//! union Period {
//!     sample_period: u64,
//!     sample_freq: u64,
//! }
//!
//! #[derive(AbiLayout)]
//! #[abi(spec = "doc/bits.toml", name = "attr")]
//! #[repr(C)]
//! struct Attr {
//!     config: u64,
//!     sample: Period, // the anonymous union, by the spec's name for it
//!     #[abi(bits(disabled, freq, precise_ip, __reserved_1))]
//!     flags: u64,
//! }
//! ```
//!
//! The generated code needs nothing but `core`: it builds in a
//! `#![no_std]` crate. `abi-check rust SPEC -o FILE` writes the same code
//! to a file, for projects that check generated code in.

use proc_macro::TokenStream;

#[proc_macro]
pub fn generate(input: TokenStream) -> TokenStream {
    abi_derive_impl::generate(input.into()).into()
}

/// `#[derive(AbiLayout)]` with
/// `#[abi(spec = "spec.toml", name = "tlabi_area", version = N)]` on a
/// hand-written `#[repr(C)]` struct: checks field names, order and types
/// against the spec's view at version N (`name` defaults to the struct's
/// name, `version` to the newest), and the bitfields each field marked
/// `#[abi(bits(a, b, ...))]` stores; reports every mistake at once, and
/// emits the same layout assertions as `generate!`.
#[proc_macro_derive(AbiLayout, attributes(abi))]
pub fn derive_abi_layout(input: TokenStream) -> TokenStream {
    abi_derive_impl::derive_abi_layout(input.into()).into()
}
