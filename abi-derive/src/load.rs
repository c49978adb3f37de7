//! Finding and reading the spec a macro names, and turning spec errors into
//! compile errors that name the spec file, line and column.

use abi_spec::diagnostic::{self, Level};
use abi_spec::{Spec, SpecError};
use std::path::PathBuf;
use syn::LitStr;

/// A spec read from disk.
pub struct Loaded {
    /// The validated spec; diagnostics name the file as the user wrote it.
    pub spec: Spec,
    /// The absolute path, for `include_bytes!` (which makes Cargo rebuild
    /// the using crate when the file changes).
    pub path: PathBuf,
}

/// The directory spec paths are relative to.
fn base_dir(at: &LitStr) -> Result<PathBuf, syn::Error> {
    std::env::var_os("ABI_DERIVE_MANIFEST_DIR")
        .filter(|v| !v.is_empty())
        .or_else(|| std::env::var_os("CARGO_MANIFEST_DIR"))
        .map(PathBuf::from)
        .ok_or_else(|| {
            syn::Error::new(
                at.span(),
                "CARGO_MANIFEST_DIR is not set: build with Cargo, or set ABI_DERIVE_MANIFEST_DIR",
            )
        })
}

/// Reads and validates the spec at `path` (relative to the manifest dir).
pub fn load(path: &LitStr) -> Result<Loaded, syn::Error> {
    let relative = path.value();
    let absolute = base_dir(path)?.join(&relative);
    // Read here rather than with `abi_spec::load`, so that every message
    // names the file as the user wrote it, not an absolute path that
    // differs between machines.
    let text = std::fs::read(&absolute).map_err(|e| {
        syn::Error::new(
            path.span(),
            format!("cannot read spec `{relative}` (relative to CARGO_MANIFEST_DIR): {e}"),
        )
    })?;
    let text = String::from_utf8(text).map_err(|e| {
        syn::Error::new(
            path.span(),
            format!(
                "spec `{relative}` is not UTF-8 text (invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            ),
        )
    })?;
    let spec = abi_spec::parse(&relative, &text).map_err(|e| spec_error(path, &e))?;
    Ok(Loaded {
        spec,
        path: absolute,
    })
}

/// One compile error per diagnostic, at the macro's path literal, each
/// rendered rustc style against the spec (`--> spec.toml:12:1`, the line,
/// a caret, `help:`).
pub fn spec_error(at: &LitStr, error: &SpecError) -> syn::Error {
    let source = &error.source;
    let mut combined: Option<syn::Error> = None;
    for d in error.diagnostics.iter().filter(|d| d.level == Level::Error) {
        let rendered = diagnostic::render(source, d, false);
        let message = rendered
            .strip_prefix("error: ")
            .unwrap_or(&rendered)
            .trim_end()
            .to_string();
        let e = syn::Error::new(at.span(), format!("in spec `{}`: {message}", source.name()));
        match &mut combined {
            Some(c) => c.combine(e),
            None => combined = Some(e),
        }
    }
    combined.unwrap_or_else(|| syn::Error::new(at.span(), error.to_string()))
}
