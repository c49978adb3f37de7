//! Proc-macros that generate `repr(C)` structs from an ABI spec, or check
//! hand-written ones against it, with compile-time layout assertions.
//!
//! Both macros are thin: they read the spec with `abi-spec`, ask
//! `abi_spec::codegen::rust` for the code (the same code `abi-check rust`
//! prints) and, for the derive, check the hand-written struct against the
//! spec's view. No layout arithmetic happens here.
//!
//! Spec paths are relative to the using crate's `CARGO_MANIFEST_DIR`. The
//! environment variable `ABI_DERIVE_MANIFEST_DIR`, when set, replaces it:
//! it exists for harnesses such as trybuild that compile a crate from a
//! generated directory. Cargo does not track it; the spec file itself is
//! tracked (editing it rebuilds the crate).

mod attr;
mod ctxt;
mod expand;
mod load;
mod valid;

use proc_macro::TokenStream;
use syn::{parse_macro_input, DeriveInput, LitStr};

/// `generate!("spec.toml")`: a `#[repr(C)]` struct per spec struct at the
/// newest version, the ABI's constants, `Option`-returning accessors, and
/// compile-time assertions of size, alignment and every field offset on
/// each built-in target (under its `#[cfg]`). Expands to items in the
/// current module: give each spec a module of its own.
#[proc_macro]
pub fn generate(input: TokenStream) -> TokenStream {
    let path = parse_macro_input!(input as LitStr);
    expand::generate(&path)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// `#[derive(AbiLayout)]` with
/// `#[abi(spec = "spec.toml", name = "tlabi_area", version = N)]` on a
/// hand-written `#[repr(C)]` struct: checks field names, order and types
/// against the spec's view at version N (`name` defaults to the struct's
/// name, `version` to the newest), reports every mistake at once, and emits
/// the same layout assertions as `generate!`.
#[proc_macro_derive(AbiLayout, attributes(abi))]
pub fn derive_abi_layout(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand::derive(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}
