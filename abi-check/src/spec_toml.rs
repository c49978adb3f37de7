//! Spec files written from compiled layouts, shared by `dump --format
//! toml`, `import` and the history of several binaries: the writer lives in
//! [`abi_dwarf::spec_toml`], so the end-to-end tests run the very code the
//! commands do.

pub use abi_dwarf::spec_toml::*;
