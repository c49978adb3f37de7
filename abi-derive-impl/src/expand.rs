//! Expansion: the code comes from `abi_spec::codegen::rust`, parsed into
//! tokens, plus an `include_bytes!` of the spec so that Cargo rebuilds the
//! using crate when the spec changes.

use std::str::FromStr;

use abi_spec::codegen::rust;
use proc_macro2::TokenStream;
use quote::quote;
use syn::{DeriveInput, LitStr};

use crate::ctxt::Ctxt;
use crate::load::{self, Loaded};
use crate::{attr, valid};

/// `generate!("spec.toml")`.
pub fn generate(path: &LitStr) -> Result<TokenStream, syn::Error> {
    let loaded = load::load(path)?;
    let code = rust::generate(&loaded.spec).map_err(|e| load::spec_error(path, &e))?;
    with_tracking(&loaded, &code, path)
}

/// `#[derive(AbiLayout)]`.
pub fn derive(input: &DeriveInput) -> Result<TokenStream, syn::Error> {
    let mut cx = Ctxt::default();
    let attr = attr::parse(&mut cx, &input.attrs);
    let Some(spec_path) = attr.spec.as_ref() else {
        cx.error(
            input.ident.span(),
            "AbiLayout needs #[abi(spec = \"path/to/spec.toml\", name = \"struct_name\", version = N)]",
        );
        return cx.finish().map(|()| TokenStream::new());
    };
    let loaded = match load::load(spec_path) {
        Ok(loaded) => loaded,
        Err(e) => {
            cx.push(e);
            return cx.finish().map(|()| TokenStream::new());
        }
    };
    let checked = valid::check(&mut cx, input, &loaded.spec, &attr);
    cx.finish()?;
    let Some(checked) = checked else {
        return Ok(TokenStream::new());
    };
    let code = rust::assertions(
        &loaded.spec,
        checked.struct_index,
        checked.version,
        &input.ident.to_string(),
        &checked.bindings,
    )
    .map_err(|e| load::spec_error(spec_path, &e))?;
    with_tracking(&loaded, &code, spec_path)
}

fn with_tracking(loaded: &Loaded, code: &str, at: &LitStr) -> Result<TokenStream, syn::Error> {
    let tokens = TokenStream::from_str(code).map_err(|e| {
        syn::Error::new(
            at.span(),
            format!("abi-derive generated code that does not parse (a bug): {e}"),
        )
    })?;
    let path = loaded.path.display().to_string();
    Ok(quote! {
        const _: &[u8] = include_bytes!(#path);
        #tokens
    })
}
