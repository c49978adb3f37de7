//! `#[abi(spec = "...", name = "...", version = N)]`.

use syn::{Attribute, LitInt, LitStr};

use crate::ctxt::Ctxt;

/// The arguments of `#[abi(...)]`, each with the token it came from so
/// that errors can point at it.
#[derive(Default)]
pub struct AbiAttr {
    /// The spec path, relative to the manifest dir.
    pub spec: Option<LitStr>,
    /// The spec struct's name.
    pub name: Option<LitStr>,
    /// The version whose view the Rust struct mirrors.
    pub version: Option<LitInt>,
}

/// Parses every `#[abi(...)]` attribute; unknown and repeated keys are
/// errors, recorded in `cx`.
pub fn parse(cx: &mut Ctxt, attrs: &[Attribute]) -> AbiAttr {
    let mut out = AbiAttr::default();
    for attr in attrs.iter().filter(|a| a.path().is_ident("abi")) {
        let result = attr.parse_nested_meta(|meta| {
            let key = meta
                .path
                .get_ident()
                .map(ToString::to_string)
                .unwrap_or_default();
            match key.as_str() {
                "spec" => set(cx, &mut out.spec, meta.value()?.parse()?, "spec"),
                "name" => set(cx, &mut out.name, meta.value()?.parse()?, "name"),
                "version" => set(cx, &mut out.version, meta.value()?.parse()?, "version"),
                _ => {
                    return Err(meta
                        .error("unknown key in #[abi(...)]: expected `spec`, `name` or `version`"))
                }
            }
            Ok(())
        });
        if let Err(e) = result {
            cx.push(e);
        }
    }
    out
}

fn set<T: syn::spanned::Spanned>(cx: &mut Ctxt, slot: &mut Option<T>, value: T, key: &str) {
    if slot.is_some() {
        cx.error(
            value.span(),
            format!("`{key}` is given twice in #[abi(...)]"),
        );
    } else {
        *slot = Some(value);
    }
}
