//! Reading a spec file from disk: bounded by [`MAX_SPEC_BYTES`] whatever
//! the file's metadata says, and decoded as UTF-8. A byte-order mark and NUL
//! bytes are left to the TOML parser: it skips the first and refuses the
//! second with a place in the file.

use std::io::Read;
use std::path::Path;

use crate::limits::MAX_SPEC_BYTES;

/// Why a spec file could not be read. Every message names the file as the
/// user gave it.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The file could not be inspected or opened, or reading it failed.
    #[error("cannot read `{name}`: {source}")]
    Io {
        /// The file.
        name: String,
        /// What the system said.
        source: std::io::Error,
    },
    /// The path names a directory.
    #[error("cannot read `{name}`: it is a directory")]
    Directory {
        /// The file.
        name: String,
    },
    /// The file's metadata gives a size over the limit: refused unread.
    #[error("`{name}` is {len} bytes; spec files are limited to {max} bytes", max = MAX_SPEC_BYTES)]
    TooLarge {
        /// The file.
        name: String,
        /// Its size in bytes, as its metadata gives it.
        len: u64,
    },
    /// More bytes than the limit came out of the file although its metadata
    /// said otherwise (a device, a pipe).
    #[error("`{name}` is larger than the limit of {max} bytes for spec files", max = MAX_SPEC_BYTES)]
    ReadPastLimit {
        /// The file.
        name: String,
    },
    /// The file is not UTF-8 text.
    #[error("`{name}` is not UTF-8 text (invalid byte at offset {offset})")]
    NotUtf8 {
        /// The file.
        name: String,
        /// The offset of the first byte that is not UTF-8.
        offset: usize,
    },
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
