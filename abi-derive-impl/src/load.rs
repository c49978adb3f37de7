//! Finding and reading the spec a macro names, and turning spec errors into
//! compile errors that name the spec file, line and column.

use abi_spec::diagnostic::{self, Level};
use abi_spec::limits::MAX_SPEC_BYTES;
use abi_spec::{Spec, SpecError};
use std::io::Read;
use std::path::{Path, PathBuf};
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

/// What a file that is not a regular file is, for messages.
fn kind(meta: &std::fs::Metadata) -> &'static str {
    let t = meta.file_type();
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if t.is_dir() {
        "a directory"
    } else {
        "a special file"
    }
}

/// The bytes of the spec at `path`: a regular file (a device would be
/// read until memory runs out, a FIFO would hang the compiler) of at most
/// `MAX_SPEC_BYTES`, the limit `abi_spec::load` applies too. The type is
/// looked at before the file is opened, and again after, and the read is
/// bounded whatever the metadata says.
fn read_spec(path: &Path) -> Result<Vec<u8>, String> {
    let not_regular =
        |meta: &std::fs::Metadata| format!("it is {}, not a regular file", kind(meta));
    let too_large =
        |size: u64| format!("it is {size} bytes; spec files are limited to {MAX_SPEC_BYTES} bytes");
    let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
    if !meta.is_file() {
        return Err(not_regular(&meta));
    }
    if meta.len() > MAX_SPEC_BYTES {
        return Err(too_large(meta.len()));
    }
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let meta = file.metadata().map_err(|e| e.to_string())?;
    if !meta.is_file() {
        return Err(not_regular(&meta));
    }
    let mut bytes = Vec::new();
    file.take(MAX_SPEC_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    if bytes.len() as u64 > MAX_SPEC_BYTES {
        return Err(format!(
            "it is larger than the limit of {MAX_SPEC_BYTES} bytes for spec files"
        ));
    }
    Ok(bytes)
}

/// Reads and validates the spec at `path` (relative to the manifest dir).
pub fn load(path: &LitStr) -> Result<Loaded, syn::Error> {
    let relative = path.value();
    let absolute = base_dir(path)?.join(&relative);
    // Read here rather than with `abi_spec::load`, so that every message
    // names the file as the user wrote it, not an absolute path that
    // differs between machines.
    let text = read_spec(&absolute).map_err(|reason| {
        syn::Error::new(
            path.span(),
            format!("cannot read spec `{relative}` (relative to CARGO_MANIFEST_DIR): {reason}"),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(unix)]
    fn a_device_is_refused_unread() {
        let e = read_spec(Path::new("/dev/zero")).expect_err("a device");
        assert_eq!(e, "it is a device, not a regular file");
    }

    #[test]
    #[cfg(unix)]
    fn a_fifo_is_refused_unopened() {
        let dir = std::env::temp_dir().join(format!("abi-derive-fifo-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch");
        let fifo = dir.join("spec.toml");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .expect("mkfifo");
        assert!(made.success());
        // Opening it for reading would wait for a writer forever.
        let e = read_spec(&fifo).expect_err("a FIFO");
        assert_eq!(e, "it is a FIFO (named pipe), not a regular file");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_directory_and_a_file_over_the_limit_are_refused() {
        let dir = std::env::temp_dir().join(format!("abi-derive-big-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch");
        assert_eq!(
            read_spec(&dir).expect_err("a directory"),
            "it is a directory, not a regular file"
        );
        let big = dir.join("big.toml");
        let file = std::fs::File::create(&big).expect("create");
        file.set_len(MAX_SPEC_BYTES + 1).expect("sparse file");
        let e = read_spec(&big).expect_err("too large");
        assert!(e.contains("spec files are limited to"), "{e}");
        std::fs::write(&big, "[abi]\n").expect("write");
        assert_eq!(read_spec(&big).expect("a small file"), b"[abi]\n");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
