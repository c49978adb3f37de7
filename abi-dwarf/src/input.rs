//! Opening the files the readers read: refused before they are opened
//! when they are no regular file, then mapped (read-only, private) with a
//! guard that survives another process truncating the file, or read with
//! plain reads when the file refuses to be mapped (sysfs: the files under
//! `/sys/kernel/btf/` report a size but refuse `mmap`).
//!
//! Why a guard: a mapped file that shrinks turns every read past its new
//! end into SIGBUS, which kills the process (exit 135). Copying the file
//! first would avoid that at the price of the copy (633 MB for a kernel
//! with DWARF, where the mapping lets a lookup read 100 MB of it). Instead a
//! SIGBUS handler, installed once, replaces a guarded mapping that faults
//! with zero pages: the read goes on over zeros (the readers are bounded
//! against any bytes), the mapping is marked, and the entry points report
//! [`Error::Truncated`] instead of whatever the zeros gave.

use std::fs::{File, Metadata, OpenOptions};
use std::io::Read;
use std::ops::Deref;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;

use abi_spec::limits::MAX_READ_BYTES;
use memmap2::Mmap;

use crate::error::Error;

/// A file's bytes: mapped under the truncation guard, or read.
pub struct Input {
    bytes: Bytes,
}

enum Bytes {
    // The slot is declared first so that it is freed before the map is
    // unmapped (fields drop in declaration order).
    Mapped { slot: guard::Slot, map: Mmap },
    Read(Vec<u8>),
}

impl Deref for Input {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match &self.bytes {
            Bytes::Mapped { map, .. } => map,
            Bytes::Read(bytes) => bytes,
        }
    }
}

impl Input {
    /// Maps `path` read-only; when the system refuses to map it (sysfs),
    /// or every guard slot is taken, reads it instead. A directory,
    /// device, FIFO or socket is refused before it is opened.
    pub fn open(path: &Path) -> Result<Input, Error> {
        let (mut file, metadata) = open_regular(path)?;
        if let Some(slot) = guard::Slot::take() {
            // SAFETY: the mapping is read-only and private to this process.
            // Another process may still write or truncate the file: writes
            // change bytes the readers are bounded against anyway, and a
            // read past a truncated end faults into the guard's handler,
            // which puts zero pages in the mapping's place and marks it
            // (checked by `check`).
            if let Ok(map) = unsafe { Mmap::map(&file) } {
                slot.guard(map.as_ptr(), map.len());
                return Ok(Input {
                    bytes: Bytes::Mapped { map, slot },
                });
            }
        }
        read_all(path, &mut file, &metadata).map(|bytes| Input {
            bytes: Bytes::Read(bytes),
        })
    }

    /// Reads `path` with plain reads, never mapping it: for small files
    /// (BTF) and files that refuse mapping.
    pub fn read(path: &Path) -> Result<Input, Error> {
        let (mut file, metadata) = open_regular(path)?;
        read_all(path, &mut file, &metadata).map(|bytes| Input {
            bytes: Bytes::Read(bytes),
        })
    }

    /// Bytes already in memory (tests, the fuzz targets).
    pub fn from_vec(bytes: Vec<u8>) -> Input {
        Input {
            bytes: Bytes::Read(bytes),
        }
    }

    /// True when the bytes were read, not mapped.
    pub fn is_read(&self) -> bool {
        matches!(self.bytes, Bytes::Read(_))
    }

    /// [`Error::Truncated`] when the file shrank under the mapping while it
    /// was read: what was read from it cannot be trusted. Call it after
    /// reading and before using what was read.
    pub fn check(&self, path: &Path) -> Result<(), Error> {
        match &self.bytes {
            Bytes::Mapped { slot, .. } if slot.faulted() => Err(Error::Truncated {
                path: path.to_path_buf(),
            }),
            _ => Ok(()),
        }
    }
}

/// What a file type is called in the message refusing it; `None` for a
/// regular file.
fn not_regular(metadata: &Metadata) -> Option<&'static str> {
    let kind = metadata.file_type();
    if kind.is_file() {
        None
    } else if kind.is_dir() {
        Some("a directory")
    } else if kind.is_fifo() {
        Some("a FIFO")
    } else if kind.is_char_device() {
        Some("a character device")
    } else if kind.is_block_device() {
        Some("a block device")
    } else if kind.is_socket() {
        Some("a socket")
    } else {
        Some("a special file")
    }
}

/// Opens a regular file for reading. The type is checked before the file
/// is opened (opening a FIFO blocks until a writer comes, a device may act
/// on open), and again on the open file, which is opened non-blocking in
/// case it was replaced in between.
fn open_regular(path: &Path) -> Result<(File, Metadata), Error> {
    let io = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let refuse = |metadata: &Metadata| match not_regular(metadata) {
        Some(what) => Err(Error::NotAFile {
            path: path.to_path_buf(),
            what,
        }),
        None => Ok(()),
    };
    refuse(&std::fs::metadata(path).map_err(io)?)?;
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
        .map_err(io)?;
    let metadata = file.metadata().map_err(io)?;
    refuse(&metadata)?;
    Ok((file, metadata))
}

/// The whole file by plain reads, at most [`MAX_READ_BYTES`]. The size
/// the file reports is only a hint (sysfs files may report any size).
fn read_all(path: &Path, file: &mut File, metadata: &Metadata) -> Result<Vec<u8>, Error> {
    let too_large = |size| Error::TooLarge {
        path: path.to_path_buf(),
        size,
        limit: MAX_READ_BYTES,
    };
    if metadata.len() > MAX_READ_BYTES {
        return Err(too_large(metadata.len()));
    }
    let mut bytes = Vec::new();
    bytes
        .try_reserve(usize::try_from(metadata.len()).unwrap_or(0))
        .map_err(|_| too_large(metadata.len()))?;
    file.take(MAX_READ_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
    if bytes.len() as u64 > MAX_READ_BYTES {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(bytes)
}

/// The SIGBUS guard: a fixed table of guarded mappings, a handler that
/// replaces the faulting one with zero pages, and chaining to whatever
/// handler was there before for faults elsewhere.
mod guard {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::OnceLock;

    /// How many mappings may be guarded at once; past that, files are read.
    const SLOTS: usize = 64;

    struct Entry {
        /// Start address; 0 when the slot is free, 1 when taken but not
        /// yet guarding.
        start: AtomicUsize,
        len: AtomicUsize,
        faulted: AtomicBool,
    }

    #[allow(clippy::declare_interior_mutable_const)]
    const FREE: Entry = Entry {
        start: AtomicUsize::new(0),
        len: AtomicUsize::new(0),
        faulted: AtomicBool::new(false),
    };
    static TABLE: [Entry; SLOTS] = [FREE; SLOTS];

    /// The handler that was installed before ours.
    static PREVIOUS: OnceLock<Option<libc::sigaction>> = OnceLock::new();

    /// One guarded mapping's place in the table; freed when dropped, which
    /// its owner does before unmapping.
    pub struct Slot(usize);

    impl Slot {
        /// A free slot, with the handler installed; `None` when every slot
        /// is taken or the handler cannot be installed.
        pub fn take() -> Option<Slot> {
            if !install() {
                return None;
            }
            (0..SLOTS)
                .find(|&i| {
                    TABLE[i]
                        .start
                        .compare_exchange(0, 1, Ordering::AcqRel, Ordering::Relaxed)
                        .is_ok()
                })
                .map(|i| {
                    TABLE[i].faulted.store(false, Ordering::Release);
                    Slot(i)
                })
        }

        /// Guards `len` bytes at `start`.
        pub fn guard(&self, start: *const u8, len: usize) {
            let entry = &TABLE[self.0];
            entry.len.store(len, Ordering::Release);
            // An empty mapping has nothing to fault; keep the slot taken.
            if len > 0 {
                entry.start.store(start as usize, Ordering::Release);
            }
        }

        /// True when the mapping faulted: the file shrank under it.
        pub fn faulted(&self) -> bool {
            TABLE[self.0].faulted.load(Ordering::Acquire)
        }
    }

    impl Drop for Slot {
        fn drop(&mut self) {
            let entry = &TABLE[self.0];
            entry.len.store(0, Ordering::Release);
            entry.start.store(0, Ordering::Release);
        }
    }

    /// Installs the handler once; false when the system refused.
    fn install() -> bool {
        PREVIOUS
            .get_or_init(|| {
                // SAFETY: sigaction with a zeroed struct filled in as the
                // man page says; the handler only reads atomics and calls
                // mmap and sigaction, which are async-signal-safe.
                unsafe {
                    let mut action: libc::sigaction = std::mem::zeroed();
                    action.sa_sigaction = on_sigbus as *const () as usize;
                    action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
                    libc::sigemptyset(&mut action.sa_mask);
                    let mut previous: libc::sigaction = std::mem::zeroed();
                    if libc::sigaction(libc::SIGBUS, &action, &mut previous) != 0 {
                        return None;
                    }
                    Some(previous)
                }
            })
            .is_some()
    }

    extern "C" fn on_sigbus(
        signal: libc::c_int,
        info: *mut libc::siginfo_t,
        context: *mut libc::c_void,
    ) {
        // SAFETY: the kernel passes a valid siginfo for SA_SIGINFO handlers.
        let address = unsafe { (*info).si_addr() } as usize;
        for entry in &TABLE {
            let start = entry.start.load(Ordering::Acquire);
            let len = entry.len.load(Ordering::Acquire);
            if start > 1 && address >= start && address - start < len {
                // SAFETY: the range is a live mapping of this process (the
                // slot is freed before it is unmapped); replacing it with
                // anonymous zero pages of the same size keeps every pointer
                // into it valid.
                let replaced = unsafe {
                    libc::mmap(
                        start as *mut libc::c_void,
                        len,
                        libc::PROT_READ,
                        libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED,
                        -1,
                        0,
                    )
                };
                if replaced != libc::MAP_FAILED {
                    entry.faulted.store(true, Ordering::Release);
                    return;
                }
            }
        }
        chain(signal, info, context);
    }

    /// A fault that is not ours: the previous handler's, or the default
    /// action (the faulting instruction runs again and the process dies of
    /// SIGBUS, as it would have without us).
    fn chain(signal: libc::c_int, info: *mut libc::siginfo_t, context: *mut libc::c_void) {
        let previous = PREVIOUS.get().copied().flatten();
        if let Some(previous) = previous {
            let handler = previous.sa_sigaction;
            if handler != libc::SIG_DFL && handler != libc::SIG_IGN {
                if previous.sa_flags & libc::SA_SIGINFO != 0 {
                    // SAFETY: the previous handler was installed with
                    // SA_SIGINFO, so it has this signature.
                    let f: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) =
                        unsafe { std::mem::transmute(handler) };
                    f(signal, info, context);
                } else {
                    // SAFETY: a plain handler takes the signal number.
                    let f: extern "C" fn(libc::c_int) = unsafe { std::mem::transmute(handler) };
                    f(signal);
                }
                return;
            }
        }
        // SAFETY: restoring the default action is async-signal-safe.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = libc::SIG_DFL;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(signal, &action, std::ptr::null_mut());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("abi-dwarf-input-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("scratch dir");
        dir.join(name)
    }

    /// A file that shrinks while it is mapped: reading past its new end
    /// reads zeros instead of killing the process with SIGBUS, and the
    /// input says it cannot be trusted.
    #[test]
    fn a_file_truncated_under_the_mapping_is_an_error_not_sigbus() {
        let path = scratch("shrinks.bin");
        std::fs::write(&path, vec![0xa5u8; 1 << 20]).expect("write");
        let input = Input::open(&path).expect("open");
        assert!(!input.is_read(), "a regular file is mapped");
        assert_eq!(input[0], 0xa5);
        assert!(input.check(&path).is_ok());
        std::fs::File::options()
            .write(true)
            .open(&path)
            .expect("reopen")
            .set_len(0)
            .expect("truncate");
        // Every page, as a reader walking the file would touch them.
        let sum: u64 = input.iter().step_by(4096).map(|&b| u64::from(b)).sum();
        assert_eq!(sum, 0, "the pages past the new end read as zeros");
        let err = input.check(&path).expect_err("truncated");
        assert!(
            err.to_string().contains("truncated while it was read"),
            "{err}"
        );
        drop(input);
        // A mapping made afterwards is guarded afresh.
        std::fs::write(&path, b"again").expect("write");
        let input = Input::open(&path).expect("open");
        assert_eq!(&input[..], b"again");
        assert!(input.check(&path).is_ok());
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn special_files_are_refused_before_they_are_opened() {
        let dir = std::env::temp_dir();
        let err = Input::open(&dir).err().expect("a directory");
        assert!(err.to_string().contains("it is a directory"), "{err}");
        let fifo = scratch("fifo");
        let _ = std::fs::remove_file(&fifo);
        let c_path = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).expect("path");
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
        let err = Input::open(&fifo).err().expect("a FIFO");
        assert!(err.to_string().contains("it is a FIFO"), "{err}");
        let err = Input::open(Path::new("/dev/null")).err().expect("a device");
        assert!(err.to_string().contains("character device"), "{err}");
        let _ = std::fs::remove_file(&fifo);
    }
}
