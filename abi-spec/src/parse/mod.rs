//! Reading a spec file, one phase per module: `read.rs` takes the text off
//! the disk, `raw.rs` reads TOML into tables with spans (unknown keys
//! refused), `validate/` turns those tables into a [`Spec`], one file per
//! table kind, and `types.rs` parses the type expressions of fields.
//! Validation goes on after the first problem, collected by `ctxt.rs`, so a
//! user sees every mistake at once.

mod ctxt;
mod document;
mod raw;
mod read;
mod types;
mod validate;

use std::path::Path;
use std::sync::Arc;

use crate::diagnostic::SpecError;
use crate::limits::MAX_SPEC_BYTES;
use crate::model::Spec;
use crate::source::Source;

pub use types::{parse_type, TypeError};

/// Reads and validates the spec file at `path`. The file name in every
/// diagnostic is `path` as given.
pub fn load(path: &Path) -> Result<Spec, SpecError> {
    let name = path.display().to_string();
    let text = read::read(path, &name).map_err(|e| {
        SpecError::whole_file(Arc::new(Source::new(name.clone(), "")), e.to_string())
    })?;
    parse(&name, &text)
}

/// Parses and validates spec text; `name` is the file name for diagnostics.
pub fn parse(name: &str, text: &str) -> Result<Spec, SpecError> {
    let source = Arc::new(Source::new(name, text));
    if text.len() as u64 > MAX_SPEC_BYTES {
        return Err(SpecError::whole_file(
            source,
            format!("spec text is larger than {MAX_SPEC_BYTES} bytes"),
        ));
    }
    let raw = raw::from_toml(text).map_err(|diagnostics| SpecError {
        source: source.clone(),
        diagnostics,
    })?;
    let mut cx = ctxt::Ctxt::default();
    let spec = validate::spec(&mut cx, source.clone(), raw);
    let diagnostics = cx.into_diagnostics();
    match spec {
        Some(spec) if diagnostics.is_empty() => Ok(spec),
        _ => Err(SpecError {
            source,
            diagnostics,
        }),
    }
}
