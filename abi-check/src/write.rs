//! Generated files: written so that no reader ever sees half of one, and
//! compared without reading what is not a file.
//!
//! `-o FILE` writes a temporary file beside FILE (in the same directory, so
//! that the rename stays within one file system; under a unique name,
//! created exclusively, so that two writers never share one), syncs it to
//! disk, renames it over FILE, and syncs the directory so that the rename
//! itself survives a crash. A reader sees the old file or the new one,
//! never a mixture; a full disk, a killed process or a concurrent writer
//! leaves FILE as it was or as one writer made it. The temporary file is
//! removed on every error path; only a process killed outright (SIGKILL)
//! cannot remove it, and a hidden `.FILE.<id>.tmp` may remain.
//!
//! An output that is one of the inputs (the same file, by device and inode,
//! whatever path, link or hard link leads to it) is refused, and so is one
//! that exists and is not a regular file (`/dev/stdout` on a terminal or a
//! pipe, a FIFO, a directory), and the file standard output or standard
//! error is redirected to (`-o /dev/stdout > log`: the rename would leave
//! the redirection writing to a file no longer there). FILE given through
//! a symbolic link is replaced where the link points, and a link to nothing
//! is refused (nothing is created where it points); a hard link to FILE
//! keeps the old content (the new file is a new inode), as with any editor
//! that saves by renaming. Writers that create one new FILE at once all
//! succeed: what appears or goes between two looks at FILE is looked at
//! again.
//!
//! `--check FILE` reads a regular file only, opened without blocking, and
//! at most twice the generated size plus 64 KiB: enough for a diff, and a
//! bound whatever FILE is.
//!
//! Written by hand rather than with the `tempfile` crate: std does the
//! exclusive creation, and what this needs beyond it (the mode and owner of
//! the file replaced, the directory sync, the refusals) tempfile does not
//! do; it would add five crates for the part std has.

use std::ffi::OsString;
use std::fs::{self, File, Metadata, OpenOptions};
use std::io::{self, ErrorKind, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::output::{self, shown_path, Failure, Outcome, EXIT_FINDINGS, EXIT_OK};

/// What `header` and `rust` do with what they generate from `spec`: print
/// it, write it to `output`, or compare `check` with it.
pub fn generated(text: &str, spec: &Path, output: Option<&Path>, check: Option<&Path>) -> Outcome {
    if let Some(path) = check {
        return compare(text, path);
    }
    match output {
        Some(path) => replace(path, text.as_bytes(), &[spec])?,
        None => output::print(text),
    }
    Ok(EXIT_OK)
}

/// The most `--check` reads of a file: twice the generated size and 64 KiB,
/// enough to show a diff; a larger file differs without one.
fn compare_limit(generated: usize) -> u64 {
    (generated as u64).saturating_mul(2) + (64 << 10)
}

/// `--check FILE`: exit 0 when FILE holds exactly `generated` (bytes, not
/// text), 1 with a unified diff on stdout when it differs, 2 when it cannot
/// be read or is not a regular file.
pub fn compare(generated: &str, path: &Path) -> Outcome {
    let cannot = |e: io::Error| Failure::file(path, format!("cannot read: {e}"));
    let (file, meta) = match open_regular(path).map_err(cannot)? {
        Opened::File(file, meta) => (file, meta),
        Opened::Special(meta) => {
            return Err(Failure::file(
                path,
                format!(
                    "cannot read: it is {}, not a regular file; --check compares a regular file",
                    sys::kind(&meta)
                ),
            ))
        }
    };
    let label = shown_path(path);
    let limit = compare_limit(generated.len());
    let too_large = |size: u64| {
        output::eprint(&format!(
            "{label}: differs from what would be generated (it is {size} bytes, the generated \
             file {}); regenerate it with -o {label}\n",
            generated.len()
        ));
        Ok(EXIT_FINDINGS)
    };
    if meta.len() > limit {
        return too_large(meta.len());
    }
    // The file may grow after it was measured: read one byte past the limit.
    let mut existing = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut existing)
        .map_err(cannot)?;
    if existing == generated.as_bytes() {
        return Ok(EXIT_OK);
    }
    if existing.len() as u64 > limit {
        return too_large(existing.len() as u64);
    }
    let existing_text = String::from_utf8_lossy(&existing);
    if existing_text == generated {
        // Equal as text only because invalid bytes read as U+FFFD.
        let at = existing
            .iter()
            .zip(generated.as_bytes())
            .position(|(a, b)| a != b)
            .unwrap_or(existing.len().min(generated.len()));
        output::eprint(&format!(
            "{label}: differs from what would be generated at byte {at}, which is not UTF-8 \
             text; regenerate it with -o {label}\n"
        ));
        return Ok(EXIT_FINDINGS);
    }
    let diff = similar::TextDiff::from_lines(existing_text.as_ref(), generated)
        .unified_diff()
        .context_radius(3)
        .header(&label, &format!("{label} (generated)"))
        .to_string();
    // The checked-in file is anyone's text: its control characters are
    // shown escaped, line breaks and tabs kept.
    output::print(&output::escape_lines(&diff));
    output::eprint(&format!(
        "{label}: differs from what would be generated; regenerate it with -o {label}\n"
    ));
    Ok(EXIT_FINDINGS)
}

/// A file opened for reading, or what it is when it is not a regular file.
enum Opened {
    File(File, Metadata),
    Special(Metadata),
}

/// Opens `path` for reading if it is a regular file. A device is never
/// opened (opening one can have effects); the open does not block, so a
/// FIFO put in place between the look and the open cannot hang; the file
/// opened is looked at again.
fn open_regular(path: &Path) -> io::Result<Opened> {
    let meta = fs::metadata(path)?;
    if !meta.is_file() {
        return Ok(Opened::Special(meta));
    }
    let mut options = OpenOptions::new();
    options.read(true);
    sys::never_block(&mut options);
    let file = options.open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Ok(Opened::Special(meta));
    }
    Ok(Opened::File(file, meta))
}

/// True when the regular file at `path` holds exactly `contents`; reads at
/// most one byte more than `contents`.
fn holds(path: &Path, contents: &[u8]) -> bool {
    let Ok(Opened::File(file, meta)) = open_regular(path) else {
        return false;
    };
    if meta.len() != contents.len() as u64 {
        return false;
    }
    let mut existing = Vec::with_capacity(contents.len());
    file.take(contents.len() as u64 + 1)
        .read_to_end(&mut existing)
        .is_ok_and(|_| existing == contents)
}

/// Replaces the file at `path` with `contents` atomically (see the module
/// documentation). `inputs` are the files the contents were made from.
/// A file that already holds `contents` is left untouched, modification
/// time included, so that build systems do not rebuild for nothing.
pub fn replace(path: &Path, contents: &[u8], inputs: &[&Path]) -> Result<(), Failure> {
    let cannot = cannot_write(path);
    let (target, existing) = destination(path)?;
    if let Some(meta) = &existing {
        for input in inputs {
            let same = fs::metadata(input)
                .is_ok_and(|input_meta| sys::same_file(&target, meta, input, &input_meta));
            if same {
                return Err(Failure::file(
                    path,
                    format!(
                        "refusing to write: it is the same file as the spec {}; give another -o",
                        shown_path(input)
                    ),
                ));
            }
        }
        if sys::is_standard_stream(meta) {
            return Err(Failure::file(
                path,
                "refusing to write: it is where standard output or standard error goes \
                 (replacing it would lose what they wrote); leave -o out to write to \
                 standard output",
            ));
        }
        if holds(&target, contents) {
            return Ok(());
        }
    }
    let Some(name) = target.file_name() else {
        return Err(Failure::file(path, "cannot write: it names no file"));
    };
    let dir = match target.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut temp = Temporary::create(&dir, name, existing.as_ref()).map_err(|e| {
        Failure::file(
            path,
            format!(
                "cannot write: cannot create a temporary file in {} (-o writes one beside \
                 the file, then renames it): {e}",
                shown_path(&dir)
            ),
        )
    })?;
    // Each `?` from here drops `temp`, which removes the temporary file.
    temp.file
        .write_all(contents)
        .and_then(|()| temp.file.sync_all())
        .map_err(cannot)?;
    fs::rename(&temp.path, &target).map_err(cannot)?;
    temp.renamed = true;
    sync_directory(&dir).map_err(|e| {
        Failure::file(
            path,
            format!("written, but its directory could not be synced to disk: {e}"),
        )
    })
}

/// The file `-o path` replaces, through symbolic links, and what it is now
/// (None: it does not exist yet). Other writers may create or replace the
/// file between two looks (two `-o` of one new file at once): a file that
/// appears or goes between them is looked at again, not taken for a
/// symbolic link to nothing or reported missing.
fn destination(path: &Path) -> Result<(PathBuf, Option<Metadata>), Failure> {
    let cannot = cannot_write(path);
    let missing = || matches!(fs::metadata(path), Err(e) if e.kind() == ErrorKind::NotFound);
    for _ in 0..100 {
        match fs::metadata(path) {
            Ok(meta) if !meta.is_file() => return Err(not_regular(path, &meta)),
            // Through symbolic links, to the file they name, looked at
            // there: the target and what is known of it are one file.
            Ok(_) => match fs::canonicalize(path).and_then(|t| Ok((fs::metadata(&t)?, t))) {
                Ok((meta, _)) if !meta.is_file() => return Err(not_regular(path, &meta)),
                Ok((meta, target)) => return Ok((target, Some(meta))),
                // Removed since the first look: look again. (A path that
                // is still there names no file: `/dev/stdout` redirected
                // to a deleted one.)
                Err(e) if e.kind() == ErrorKind::NotFound && missing() => {}
                Err(e) => return Err(cannot(e)),
            },
            Err(e) if e.kind() == ErrorKind::NotFound => {
                #[cfg(test)]
                if let Some(hook) = tests::BETWEEN_LOOKS.take() {
                    hook(path);
                }
                match fs::symlink_metadata(path) {
                    // A link to nothing, unless its file was created
                    // meanwhile (then look again).
                    Ok(link) if link.file_type().is_symlink() => {
                        if missing() {
                            return Err(Failure::file(
                                path,
                                "cannot write: it is a symbolic link to a file that does not \
                                 exist",
                            ));
                        }
                    }
                    // Created since the first look: look again.
                    Ok(_) => {}
                    Err(e) if e.kind() == ErrorKind::NotFound => {
                        return Ok((path.to_path_buf(), None))
                    }
                    Err(e) => return Err(cannot(e)),
                }
            }
            Err(e) => return Err(cannot(e)),
        }
    }
    Err(Failure::file(
        path,
        "cannot write: it keeps appearing and disappearing (other programs are \
         creating and removing it)",
    ))
}

/// `-o` of something that is not a regular file.
fn not_regular(path: &Path, meta: &Metadata) -> Failure {
    Failure::file(
        path,
        format!(
            "cannot write: it is {}, not a regular file; -o replaces a regular file (leave -o \
             out to write to standard output)",
            sys::kind(meta)
        ),
    )
}

/// The error of a write to `path` that failed with `e`.
fn cannot_write(path: &Path) -> impl Fn(io::Error) -> Failure + Copy + '_ {
    move |e| Failure::file(path, format!("cannot write: {e}"))
}

/// Syncs a directory, so that a rename in it survives a crash. File systems
/// that cannot sync a directory say EINVAL: nothing more can be done there.
fn sync_directory(dir: &Path) -> io::Result<()> {
    match File::open(dir).and_then(|d| d.sync_all()) {
        Err(e) if sys::is_einval(&e) => Ok(()),
        result => result,
    }
}

/// A temporary file beside a target, removed when dropped unless renamed.
struct Temporary {
    path: PathBuf,
    file: File,
    renamed: bool,
}

impl Temporary {
    /// Creates `.NAME.<pid>.<unique>.tmp` in `dir`, exclusively, with the
    /// mode and (where allowed) the owner of the file it will replace, or
    /// the mode a new file gets.
    fn create(dir: &Path, name: &std::ffi::OsStr, replaced: Option<&Metadata>) -> io::Result<Self> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        // The name stays within NAME_MAX (255 bytes) whatever the target's.
        let stem: String = name.to_string_lossy().chars().take(100).collect();
        for _ in 0..100 {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos());
            let unique = format!(
                "{}.{nanos:x}{:x}",
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::Relaxed)
            );
            let mut temp_name = OsString::from(".");
            temp_name.push(&stem);
            temp_name.push(format!(".{unique}.tmp"));
            let path = dir.join(temp_name);
            let mut options = OpenOptions::new();
            options.write(true).create_new(true);
            sys::new_file_mode(&mut options);
            match options.open(&path) {
                Ok(file) => {
                    let temp = Temporary {
                        path,
                        file,
                        renamed: false,
                    };
                    if let Some(meta) = replaced {
                        sys::keep_owner_and_mode(&temp.file, meta)?;
                    }
                    return Ok(temp);
                }
                Err(e) if e.kind() == ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
        Err(io::Error::new(
            ErrorKind::AlreadyExists,
            "every temporary name tried exists",
        ))
    }
}

impl Drop for Temporary {
    fn drop(&mut self) {
        if !self.renamed {
            let _ = fs::remove_file(&self.path);
        }
    }
}

#[cfg(unix)]
mod sys {
    use std::fs::{File, Metadata, OpenOptions, Permissions};
    use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt, PermissionsExt};
    use std::path::Path;

    /// What a file that is not a regular file is, for messages.
    pub fn kind(meta: &Metadata) -> &'static str {
        let t = meta.file_type();
        if t.is_dir() {
            "a directory"
        } else if t.is_fifo() {
            "a FIFO (named pipe)"
        } else if t.is_char_device() {
            "a character device"
        } else if t.is_block_device() {
            "a block device"
        } else if t.is_socket() {
            "a socket"
        } else {
            "a special file"
        }
    }

    /// One file, by device and inode, whatever the paths.
    pub fn same_file(_: &Path, a: &Metadata, _: &Path, b: &Metadata) -> bool {
        a.dev() == b.dev() && a.ino() == b.ino()
    }

    /// True when `meta` is the file standard output or standard error is
    /// (`-o /dev/stdout` with stdout redirected to a file).
    pub fn is_standard_stream(meta: &Metadata) -> bool {
        use std::os::fd::AsFd;
        let stream = |fd: std::os::fd::BorrowedFd<'_>| {
            fd.try_clone_to_owned()
                .map(File::from)
                .and_then(|f| f.metadata())
                .is_ok_and(|m| m.dev() == meta.dev() && m.ino() == meta.ino())
        };
        stream(std::io::stdout().as_fd()) || stream(std::io::stderr().as_fd())
    }

    /// Opening does not wait for a FIFO's writer, nor make a terminal the
    /// controlling one.
    pub fn never_block(options: &mut OpenOptions) {
        options.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
    }

    /// A new file gets 0666 less the umask, as any file a program creates.
    pub fn new_file_mode(options: &mut OpenOptions) {
        options.mode(0o666);
    }

    /// The owner (when allowed: root replacing another user's file) and the
    /// mode of the file replaced, in that order: a change of owner may
    /// clear mode bits.
    pub fn keep_owner_and_mode(file: &File, replaced: &Metadata) -> std::io::Result<()> {
        let ours = file.metadata()?;
        if (ours.uid(), ours.gid()) != (replaced.uid(), replaced.gid()) {
            let _ = std::os::unix::fs::fchown(file, Some(replaced.uid()), Some(replaced.gid()));
        }
        file.set_permissions(Permissions::from_mode(replaced.mode() & 0o7777))
    }

    /// The error of a file system that cannot do what was asked.
    pub fn is_einval(e: &std::io::Error) -> bool {
        e.raw_os_error() == Some(libc::EINVAL)
    }
}

#[cfg(not(unix))]
mod sys {
    use std::fs::{File, Metadata, OpenOptions};
    use std::path::Path;

    pub fn kind(meta: &Metadata) -> &'static str {
        if meta.is_dir() {
            "a directory"
        } else {
            "a special file"
        }
    }

    pub fn same_file(a: &Path, _: &Metadata, b: &Path, _: &Metadata) -> bool {
        matches!((a.canonicalize(), b.canonicalize()), (Ok(a), Ok(b)) if a == b)
    }

    pub fn is_standard_stream(_: &Metadata) -> bool {
        false
    }

    pub fn never_block(_: &mut OpenOptions) {}

    pub fn new_file_mode(_: &mut OpenOptions) {}

    pub fn keep_owner_and_mode(file: &File, replaced: &Metadata) -> std::io::Result<()> {
        file.set_permissions(replaced.permissions())
    }

    pub fn is_einval(_: &std::io::Error) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    thread_local! {
        /// Run once by `destination` between its two looks at a missing
        /// path, where another writer's rename can land.
        pub(super) static BETWEEN_LOOKS: Cell<Option<fn(&Path)>> = const { Cell::new(None) };
    }

    /// Another writer creates the file between the two looks: it is
    /// replaced, not taken for a symbolic link to nothing.
    #[test]
    fn a_file_created_between_the_two_looks_is_replaced() {
        let dir = scratch("between");
        let path = dir.join("out.h");
        BETWEEN_LOOKS.set(Some(|p| fs::write(p, "another writer's").expect("write")));
        let result = replace(&path, b"ours", &[]);
        assert!(BETWEEN_LOOKS.get().is_none(), "the hook did not run");
        result.expect("replace");
        assert_eq!(fs::read(&path).expect("read"), b"ours");
        assert_eq!(
            fs::read_dir(&dir).expect("dir").count(),
            1,
            "a temporary file was left"
        );
        let _ = fs::remove_dir_all(&dir);
    }

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("abi-check-write-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("scratch");
        dir
    }

    #[cfg(unix)]
    #[test]
    fn a_replaced_file_keeps_its_mode_and_a_new_one_gets_the_usual_one() {
        use std::os::unix::fs::PermissionsExt;
        let dir = scratch("mode");
        let path = dir.join("script.h");
        fs::write(&path, "old").expect("write");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).expect("chmod");
        replace(&path, b"new", &[]).expect("replace");
        let mode = fs::metadata(&path).expect("meta").permissions().mode() & 0o7777;
        assert_eq!(mode, 0o640);
        assert_eq!(fs::read(&path).expect("read"), b"new");
        let fresh = dir.join("fresh.h");
        replace(&fresh, b"x", &[]).expect("create");
        let mode = fs::metadata(&fresh).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode & 0o600, 0o600, "{mode:o}");
        let _ = fs::remove_dir_all(&dir);
    }

    #[cfg(unix)]
    #[test]
    fn a_file_that_holds_the_contents_is_not_rewritten() {
        let dir = scratch("same");
        let path = dir.join("same.h");
        fs::write(&path, "text").expect("write");
        let before = fs::metadata(&path).expect("meta");
        replace(&path, b"text", &[]).expect("replace");
        let after = fs::metadata(&path).expect("meta");
        use std::os::unix::fs::MetadataExt;
        assert_eq!(before.ino(), after.ino(), "the file was replaced");
        let _ = fs::remove_dir_all(&dir);
    }

    #[cfg(unix)]
    #[test]
    fn a_symbolic_link_is_written_through() {
        let dir = scratch("link");
        fs::create_dir(dir.join("real")).expect("dir");
        fs::write(dir.join("real/out.h"), "old").expect("write");
        std::os::unix::fs::symlink("real/out.h", dir.join("out.h")).expect("symlink");
        replace(&dir.join("out.h"), b"new", &[]).expect("replace");
        assert!(fs::symlink_metadata(dir.join("out.h"))
            .expect("meta")
            .file_type()
            .is_symlink());
        assert_eq!(fs::read(dir.join("real/out.h")).expect("read"), b"new");
        assert_eq!(
            fs::read_dir(dir.join("real")).expect("dir").count(),
            1,
            "a temporary file was left"
        );
        std::os::unix::fs::symlink("nowhere.h", dir.join("dangling.h")).expect("symlink");
        let refused = replace(&dir.join("dangling.h"), b"x", &[]).expect_err("refused");
        assert!(
            matches!(&refused, Failure::File { message, .. }
                if message.contains("it is a symbolic link to a file that does not exist")),
            "{refused:?}"
        );
        assert!(
            !dir.join("nowhere.h").exists(),
            "written where the link points"
        );
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_long_name_still_gets_a_temporary_file() {
        let dir = scratch("long");
        let path = dir.join("n".repeat(250));
        replace(&path, b"x", &[]).expect("replace");
        assert_eq!(fs::read(&path).expect("read"), b"x");
        let _ = fs::remove_dir_all(&dir);
    }
}
