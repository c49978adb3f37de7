//! Why a binary could not be read. Every message names the file.

use std::fmt;
use std::path::PathBuf;

/// An error reading a binary or its DWARF.
#[derive(Debug)]
pub enum Error {
    /// The file could not be opened or mapped.
    Io {
        /// The file.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// Not an ELF file the reader understands, or a damaged one.
    Elf {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The ELF machine is none of the built-in targets.
    UnknownTarget {
        /// The file.
        path: PathBuf,
        /// The machine, as the ELF header gives it.
        machine: String,
    },
    /// Neither the file nor a split debug file has DWARF.
    NoDebugInfo {
        /// The file.
        path: PathBuf,
        /// The split debug files looked for.
        tried: Vec<PathBuf>,
    },
    /// The DWARF is malformed, hostile, or beyond a limit.
    Dwarf {
        /// The file holding the DWARF.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// Names asked for that no unit defines.
    NotFound {
        /// The file holding the DWARF.
        path: PathBuf,
        /// The names, as asked; alternatives of which none is defined
        /// joined by `|`.
        names: Vec<String>,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io { path, source } => write!(f, "{}: {source}", path.display()),
            Error::Elf { path, message } => {
                write!(f, "{}: not a usable ELF file: {message}", path.display())
            }
            Error::UnknownTarget { path, machine } => write!(
                f,
                "{}: ELF machine {machine} is none of the built-in targets",
                path.display()
            ),
            Error::NoDebugInfo { path, tried } => {
                write!(f, "{}: no DWARF (.debug_info) in the file", path.display())?;
                if tried.is_empty() {
                    write!(
                        f,
                        ", and it names no split debug file (no build-id, no .gnu_debuglink)"
                    )
                } else {
                    let tried: Vec<String> =
                        tried.iter().map(|p| p.display().to_string()).collect();
                    write!(
                        f,
                        ", nor in a split debug file; looked for {}",
                        tried.join(", ")
                    )
                }
            }
            Error::Dwarf { path, message } => {
                write!(f, "{}: unusable DWARF: {message}", path.display())
            }
            Error::NotFound { path, names } => {
                // A group of alternatives (`a|b`) reads as "`a` or `b`".
                let names: Vec<String> = names
                    .iter()
                    .map(|n| format!("`{}`", n.split('|').collect::<Vec<_>>().join("` or `")))
                    .collect();
                write!(
                    f,
                    "{}: no definition of {} in the DWARF",
                    path.display(),
                    names.join(", ")
                )
            }
        }
    }
}

impl std::error::Error for Error {}
