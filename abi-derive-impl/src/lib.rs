//! What `abi-derive`'s proc-macros do, as an ordinary library: read the
//! spec with `abi-spec`, ask `abi_spec::codegen::rust` for the code, and
//! for the derive check the hand-written struct against the spec's view.
//! Errors become `compile_error!` at the tokens they concern.
//!
//! `abi-derive` is only the two entry points. The split is for build time
//! (benches/derive-build-time.sh): Cargo starts a library as soon as the
//! metadata of its dependencies is written, but a proc-macro crate, which
//! it must link, only once they are wholly compiled. This crate therefore
//! compiles while abi-spec is still generating code, and what is left for
//! the proc-macro crate after abi-spec is a few lines and the link.

mod attr;
mod ctxt;
mod expand;
mod load;
mod valid;

use proc_macro2::TokenStream;
use syn::{DeriveInput, LitStr};

/// `generate!("spec.toml")`: the input is the macro's argument, the
/// output the items (or the errors).
pub fn generate(input: TokenStream) -> TokenStream {
    match syn::parse2::<LitStr>(input) {
        Ok(path) => expand::generate(&path).unwrap_or_else(syn::Error::into_compile_error),
        Err(e) => e.into_compile_error(),
    }
}

/// `#[derive(AbiLayout)]`: the input is the struct, the output the
/// assertions (or the errors).
pub fn derive_abi_layout(input: TokenStream) -> TokenStream {
    match syn::parse2::<DeriveInput>(input) {
        Ok(input) => expand::derive(&input).unwrap_or_else(syn::Error::into_compile_error),
        Err(e) => e.into_compile_error(),
    }
}
