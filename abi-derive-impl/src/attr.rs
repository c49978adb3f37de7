//! `#[abi(spec = "...", name = "...", version = N)]`.

use syn::meta::ParseNestedMeta;
use syn::spanned::Spanned;
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

/// `attr.parse_nested_meta(logic)`, with `logic` behind `&mut dyn`: one
/// copy of syn's parsing code serves every caller, where each closure of
/// its own would be compiled into the macro again.
pub fn nested(
    attr: &Attribute,
    logic: &mut dyn FnMut(ParseNestedMeta) -> syn::Result<()>,
) -> syn::Result<()> {
    attr.parse_nested_meta(logic)
}

/// Parses every `#[abi(...)]` attribute; unknown and repeated keys are
/// errors, recorded in `cx`.
pub fn parse(cx: &mut Ctxt, attrs: &[Attribute]) -> AbiAttr {
    let mut out = AbiAttr::default();
    for attr in attrs.iter().filter(|a| a.path().is_ident("abi")) {
        let result = nested(attr, &mut |meta| {
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

/// `#[abi(bits(a, b, c))]` on a field: the field stores the bitfields
/// named, a run of the spec ([`abi_spec::codegen::rust::bitfield_runs`]).
pub struct BitsAttr {
    /// The `bits` token, where a missing bitfield is reported.
    pub at: proc_macro2::Span,
    /// The bitfields, as written.
    pub names: Vec<syn::Ident>,
}

/// Parses the `#[abi(...)]` attributes of a field; unknown keys and a
/// second `bits` are errors, recorded in `cx`.
pub fn field(cx: &mut Ctxt, attrs: &[Attribute]) -> Option<BitsAttr> {
    let mut out: Option<BitsAttr> = None;
    for attr in attrs.iter().filter(|a| a.path().is_ident("abi")) {
        let result = nested(attr, &mut |meta| {
            if !meta.path.is_ident("bits") {
                return Err(meta.error(
                    "unknown key in #[abi(...)] on a field: expected `bits(...)`, the bitfields the field stores",
                ));
            }
            let at = meta.path.span();
            let mut names = Vec::new();
            let mut name = |inner: ParseNestedMeta| {
                match inner.path.get_ident() {
                    Some(ident) => names.push(ident.clone()),
                    None => return Err(inner.error("expected the name of a bitfield")),
                }
                Ok(())
            };
            let name: &mut dyn FnMut(ParseNestedMeta) -> syn::Result<()> = &mut name;
            meta.parse_nested_meta(name)?;
            if out.is_some() {
                cx.error(at, "`bits` is given twice on this field");
            } else if names.is_empty() {
                cx.error(at, "`bits()` names no bitfield");
            } else {
                out = Some(BitsAttr { at, names });
            }
            Ok(())
        });
        if let Err(e) = result {
            cx.push(e);
        }
    }
    out
}
