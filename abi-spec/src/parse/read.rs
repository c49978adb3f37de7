//! Reading a spec file from disk: bounded by [`MAX_SPEC_BYTES`] whatever
//! the file's metadata says, and decoded as UTF-8. A byte-order mark and NUL
//! bytes are left to the TOML parser: it skips the first and refuses the
//! second with a place in the file.

use std::io::Read;
use std::path::Path;

use crate::limits::MAX_SPEC_BYTES;

/// Why a spec file could not be read. Every message names the file as the
/// user gave it.
#[derive(Debug)]
pub enum ReadError {
    /// The file could not be inspected or opened, or reading it failed.
    Io {
        /// The file.
        name: String,
        /// What the system said.
        source: std::io::Error,
    },
    /// The path names a directory.
    Directory {
        /// The file.
        name: String,
    },
    /// The file's metadata gives a size over the limit: refused unread.
    TooLarge {
        /// The file.
        name: String,
        /// Its size in bytes, as its metadata gives it.
        len: u64,
    },
    /// More bytes than the limit came out of the file although its metadata
    /// said otherwise (a device, a pipe).
    ReadPastLimit {
        /// The file.
        name: String,
    },
    /// The file is not UTF-8 text.
    NotUtf8 {
        /// The file.
        name: String,
        /// The offset of the first byte that is not UTF-8.
        offset: usize,
    },
}

// By hand, not derived: the parser is compiled into the proc-macro, which a
// derive would make wait for syn (benches/derive-build-time.sh).
impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::Io { name, source } => write!(f, "cannot read `{name}`: {source}"),
            ReadError::Directory { name } => write!(f, "cannot read `{name}`: it is a directory"),
            ReadError::TooLarge { name, len } => write!(
                f,
                "`{name}` is {len} bytes; spec files are limited to {MAX_SPEC_BYTES} bytes"
            ),
            ReadError::ReadPastLimit { name } => write!(
                f,
                "`{name}` is larger than the limit of {MAX_SPEC_BYTES} bytes for spec files"
            ),
            ReadError::NotUtf8 { name, offset } => write!(
                f,
                "`{name}` is not UTF-8 text (invalid byte at offset {offset})"
            ),
        }
    }
}

impl std::error::Error for ReadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ReadError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Reads the text of the file at `path`; `name` is how messages name it.
/// A directory is refused before it is opened.
pub(super) fn read(path: &Path, name: &str) -> Result<String, ReadError> {
    let io = |source| ReadError::Io {
        name: name.to_string(),
        source,
    };
    let metadata = std::fs::metadata(path).map_err(io)?;
    if metadata.is_dir() {
        return Err(ReadError::Directory {
            name: name.to_string(),
        });
    }
    if metadata.len() > MAX_SPEC_BYTES {
        return Err(ReadError::TooLarge {
            name: name.to_string(),
            len: metadata.len(),
        });
    }
    // The length in the metadata is 0 for a device or a pipe (/dev/zero,
    // <(cmd)): read at most one byte past the limit, whatever it says.
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|file| file.take(MAX_SPEC_BYTES + 1).read_to_end(&mut bytes))
        .map_err(io)?;
    if bytes.len() as u64 > MAX_SPEC_BYTES {
        return Err(ReadError::ReadPastLimit {
            name: name.to_string(),
        });
    }
    String::from_utf8(bytes).map_err(|e| ReadError::NotUtf8 {
        name: name.to_string(),
        offset: e.utf8_error().valid_up_to(),
    })
}
