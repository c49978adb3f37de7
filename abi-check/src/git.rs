//! Spec files as they were at a git revision, for `diff --against REV` and
//! `diff --against-merge-base REF`, and the files a change touches, for
//! `abi-check changed`.
//!
//! Everything goes through the `git` program: it is on every machine that
//! has a repository, it knows every repository format, configuration and
//! credential helper, and a library reader (libgit2, gix) would add minutes
//! of clean build for a handful of plumbing calls. Only read-only plumbing
//! is used (`rev-parse`, `merge-base`, `cat-file`, `diff --name-only`): the
//! work tree and the index are never written, and `GIT_OPTIONAL_LOCKS=0`
//! keeps git from refreshing the index behind a concurrent commit.

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use abi_spec::limits::MAX_SPEC_BYTES;

/// Why a revision or a file in it could not be read.
#[derive(Debug)]
pub enum GitError {
    /// `git` could not be started.
    NoGit(std::io::Error),
    /// The path is not inside a git work tree.
    NotARepository {
        /// The directory asked about.
        dir: PathBuf,
        /// What git said.
        detail: String,
    },
    /// The revision does not name a commit.
    UnknownRevision {
        /// As the user wrote it.
        rev: String,
        /// The repository is a shallow clone, which may lack it.
        shallow: bool,
    },
    /// The two revisions have no merge base.
    NoMergeBase {
        /// As the user wrote it.
        rev: String,
        /// The repository is a shallow clone, which may lack it.
        shallow: bool,
    },
    /// `REV:path` is something else than a file (a directory, a submodule).
    NotAFile {
        /// `REV:path`.
        name: String,
        /// git's object type.
        kind: String,
    },
    /// The file at the revision is larger than a spec may be.
    TooLarge {
        /// `REV:path`.
        name: String,
        /// Its size.
        size: u64,
    },
    /// The file at the revision is not UTF-8.
    NotUtf8 {
        /// `REV:path`.
        name: String,
        /// Where the first bad byte is.
        offset: usize,
    },
    /// A git command failed for another reason.
    Failed {
        /// The command, for the message.
        command: String,
        /// What git said.
        detail: String,
    },
}

const FETCH_HINT: &str = "this is a shallow clone: fetch the full history (`git fetch --unshallow`, or `fetch-depth: 0` in actions/checkout)";

impl fmt::Display for GitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GitError::NoGit(e) => write!(f, "cannot run `git`: {e}"),
            GitError::NotARepository { dir, detail } => write!(
                f,
                "`{}` is not inside a git work tree ({detail})",
                dir.display()
            ),
            GitError::UnknownRevision { rev, shallow } => {
                write!(
                    f,
                    "`{}` names no commit in this repository",
                    rev.escape_debug()
                )?;
                if *shallow {
                    write!(f, "; {FETCH_HINT}")?;
                }
                Ok(())
            }
            GitError::NoMergeBase { rev, shallow } => {
                write!(
                    f,
                    "`{}` and HEAD have no common ancestor here",
                    rev.escape_debug()
                )?;
                if *shallow {
                    write!(f, "; {FETCH_HINT}")?;
                }
                Ok(())
            }
            GitError::NotAFile { name, kind } => {
                write!(f, "`{name}` is a {kind}, not a spec file")
            }
            GitError::TooLarge { name, size } => write!(
                f,
                "`{name}` is {size} bytes; spec files are limited to {MAX_SPEC_BYTES} bytes"
            ),
            GitError::NotUtf8 { name, offset } => write!(
                f,
                "`{name}` is not UTF-8 text (invalid byte at offset {offset})"
            ),
            GitError::Failed { command, detail } => write!(f, "`{command}` failed: {detail}"),
        }
    }
}

impl std::error::Error for GitError {}

/// A git work tree, found from a path inside it.
#[derive(Debug)]
pub struct Repository {
    /// The directory git commands run in (the work tree's root).
    root: PathBuf,
}

/// A file of the repository, as the repository names it.
#[derive(Debug, Clone)]
pub struct RepoPath {
    /// Relative to the repository root, `/`-separated, as git prints it.
    pub path: OsString,
}

impl RepoPath {
    /// For messages: the path, lossily as UTF-8.
    pub fn display(&self) -> String {
        self.path.to_string_lossy().into_owned()
    }
}

/// A file at a commit.
#[derive(Debug)]
pub enum Blob {
    /// The file's text.
    Text(String),
    /// The commit has no such file.
    Absent,
}

/// Bytes git printed as a path: as they are on Unix, where paths are
/// bytes; as UTF-8 elsewhere (git for Windows prints UTF-8).
#[cfg(unix)]
fn os_from_bytes(bytes: &[u8]) -> OsString {
    use std::os::unix::ffi::OsStrExt;
    OsStr::from_bytes(bytes).to_owned()
}

#[cfg(not(unix))]
fn os_from_bytes(bytes: &[u8]) -> OsString {
    OsString::from(String::from_utf8_lossy(bytes).into_owned())
}

#[cfg(unix)]
fn os_bytes(text: &OsStr) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt;
    text.as_bytes().to_vec()
}

#[cfg(not(unix))]
fn os_bytes(text: &OsStr) -> Vec<u8> {
    text.to_string_lossy().into_owned().into_bytes()
}

fn git() -> Command {
    let mut command = Command::new("git");
    command.env("GIT_OPTIONAL_LOCKS", "0");
    command
}

/// Runs a git command and returns its standard output, trailing newline
/// removed; `Ok(None)` when git exits non-zero.
fn output_of(command: &mut Command) -> Result<Option<Vec<u8>>, GitError> {
    let out = command
        .stderr(Stdio::piped())
        .output()
        .map_err(GitError::NoGit)?;
    if !out.status.success() {
        return Ok(None);
    }
    let mut bytes = out.stdout;
    while bytes.last() == Some(&b'\n') {
        bytes.pop();
    }
    Ok(Some(bytes))
}

/// Like [`output_of`], but a failure is an error quoting git's stderr.
fn checked(command: &mut Command, what: &str) -> Result<Vec<u8>, GitError> {
    let out = command.output().map_err(GitError::NoGit)?;
    if !out.status.success() {
        return Err(GitError::Failed {
            command: what.to_string(),
            detail: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        });
    }
    let mut bytes = out.stdout;
    while bytes.last() == Some(&b'\n') {
        bytes.pop();
    }
    Ok(bytes)
}

/// The directory a file lives in, `.` for a bare file name.
fn parent_dir(file: &Path) -> PathBuf {
    match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

impl Repository {
    /// The repository whose work tree holds `file`, and the file's path in
    /// it. The path is computed by git from the file's directory
    /// (`--show-prefix`), so a relative or absolute path, from any
    /// subdirectory, through symbolic links to directories, names the same
    /// entry.
    pub fn containing(file: &Path) -> Result<(Repository, RepoPath), GitError> {
        let (repo, prefix) = Repository::top_and_prefix(&parent_dir(file))?;
        let name = file.file_name().unwrap_or(OsStr::new(""));
        let mut path = prefix;
        path.extend(os_bytes(name));
        Ok((
            repo,
            RepoPath {
                path: os_from_bytes(&path),
            },
        ))
    }

    /// The repository whose work tree holds the directory `dir`.
    pub fn at(dir: &Path) -> Result<Repository, GitError> {
        Ok(Repository::top_and_prefix(dir)?.0)
    }

    /// The repository of a directory, and the directory's path in it
    /// (empty at the top, else ending in `/`).
    fn top_and_prefix(dir: &Path) -> Result<(Repository, Vec<u8>), GitError> {
        let out = git()
            .arg("-C")
            .arg(dir)
            .args(["rev-parse", "--show-toplevel", "--show-prefix"])
            .output()
            .map_err(GitError::NoGit)?;
        if !out.status.success() {
            return Err(GitError::NotARepository {
                dir: dir.to_path_buf(),
                detail: String::from_utf8_lossy(&out.stderr).trim().to_string(),
            });
        }
        // Two lines: the top level, then the prefix (empty at the top).
        let text = out.stdout;
        let mut lines = text.split(|&b| b == b'\n');
        let root = lines.next().unwrap_or_default();
        let prefix = lines.next().unwrap_or_default();
        if root.is_empty() {
            return Err(GitError::NotARepository {
                dir: dir.to_path_buf(),
                detail: "no work tree (a bare repository?)".to_string(),
            });
        }
        Ok((
            Repository {
                root: PathBuf::from(os_from_bytes(root)),
            },
            prefix.to_vec(),
        ))
    }

    /// The work tree's root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn command(&self) -> Command {
        let mut command = git();
        command.arg("-C").arg(&self.root);
        command
    }

    /// True for a shallow clone, which may lack old commits.
    pub fn is_shallow(&self) -> bool {
        matches!(
            output_of(self.command().args(["rev-parse", "--is-shallow-repository"])),
            Ok(Some(out)) if out == b"true"
        )
    }

    /// The commit `rev` names, as a full object ID.
    pub fn commit(&self, rev: &str) -> Result<String, GitError> {
        let unknown = || GitError::UnknownRevision {
            rev: rev.to_string(),
            shallow: self.is_shallow(),
        };
        // An argument that starts with `-` would be read as an option.
        if rev.is_empty() || rev.starts_with('-') {
            return Err(unknown());
        }
        let out = output_of(self.command().args([
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{rev}^{{commit}}"),
        ]))?;
        match out {
            Some(id) if !id.is_empty() => Ok(String::from_utf8_lossy(&id).into_owned()),
            _ => Err(unknown()),
        }
    }

    /// The merge base of `rev` and HEAD.
    pub fn merge_base(&self, rev: &str) -> Result<String, GitError> {
        let commit = self.commit(rev)?;
        let head = self.commit("HEAD")?;
        match output_of(self.command().args(["merge-base", &commit, &head]))? {
            Some(id) if !id.is_empty() => Ok(String::from_utf8_lossy(&id).into_owned()),
            _ => Err(GitError::NoMergeBase {
                rev: rev.to_string(),
                shallow: self.is_shallow(),
            }),
        }
    }

    /// A short name of a commit, for messages and file names.
    pub fn short(&self, commit: &str) -> String {
        match output_of(self.command().args(["rev-parse", "--short", commit])) {
            Ok(Some(id)) if !id.is_empty() => String::from_utf8_lossy(&id).into_owned(),
            _ => commit.chars().take(12).collect(),
        }
    }

    /// The text of `path` at `commit` (a full object ID from [`commit`] or
    /// [`merge_base`]); `name` is how messages call it (`REV:path`). Reads
    /// at most [`MAX_SPEC_BYTES`].
    ///
    /// [`commit`]: Repository::commit
    /// [`merge_base`]: Repository::merge_base
    pub fn read(&self, commit: &str, path: &RepoPath, name: &str) -> Result<Blob, GitError> {
        let mut spec = OsString::from(format!("{commit}:"));
        spec.push(&path.path);
        let object = output_of(
            self.command()
                .args(["rev-parse", "--verify", "--quiet"])
                .arg(&spec),
        )?;
        let Some(object) = object.filter(|o| !o.is_empty()) else {
            return Ok(Blob::Absent);
        };
        let object = String::from_utf8_lossy(&object).into_owned();
        let kind = checked(
            self.command().args(["cat-file", "-t", &object]),
            "git cat-file -t",
        )?;
        let kind = String::from_utf8_lossy(&kind).into_owned();
        if kind != "blob" {
            return Err(GitError::NotAFile {
                name: name.to_string(),
                kind,
            });
        }
        let size = checked(
            self.command().args(["cat-file", "-s", &object]),
            "git cat-file -s",
        )?;
        let size: u64 = String::from_utf8_lossy(&size).parse().unwrap_or(u64::MAX);
        if size > MAX_SPEC_BYTES {
            return Err(GitError::TooLarge {
                name: name.to_string(),
                size,
            });
        }
        let mut child = self
            .command()
            .args(["cat-file", "blob", &object])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(GitError::NoGit)?;
        let mut bytes = Vec::new();
        let read = match child.stdout.take() {
            Some(stdout) => stdout.take(MAX_SPEC_BYTES + 1).read_to_end(&mut bytes),
            None => Ok(0),
        };
        let status = child.wait().map_err(GitError::NoGit)?;
        if let Err(e) = read {
            return Err(GitError::Failed {
                command: "git cat-file blob".to_string(),
                detail: e.to_string(),
            });
        }
        if !status.success() {
            let mut detail = String::new();
            if let Some(mut stderr) = child.stderr.take() {
                let _ = stderr.read_to_string(&mut detail);
            }
            return Err(GitError::Failed {
                command: "git cat-file blob".to_string(),
                detail: detail.trim().to_string(),
            });
        }
        if bytes.len() as u64 > MAX_SPEC_BYTES {
            return Err(GitError::TooLarge {
                name: name.to_string(),
                size: bytes.len() as u64,
            });
        }
        String::from_utf8(bytes)
            .map(Blob::Text)
            .map_err(|e| GitError::NotUtf8 {
                name: name.to_string(),
                offset: e.utf8_error().valid_up_to(),
            })
    }

    /// The files that differ between `commit` and the work tree (committed
    /// or not; untracked files are not seen), among those matching the
    /// glob pathspecs `patterns` (`**/*.toml`): each as a path relative to
    /// the repository root, and whether it was deleted.
    pub fn changed_files(
        &self,
        commit: &str,
        patterns: &[String],
    ) -> Result<Vec<(PathBuf, bool)>, GitError> {
        let mut command = self.command();
        command.args([
            "diff",
            "--name-status",
            "-z",
            "--no-renames",
            "--no-ext-diff",
            commit,
            "--",
        ]);
        for pattern in patterns {
            command.arg(format!(":(glob){pattern}"));
        }
        let out = checked(&mut command, "git diff --name-status")?;
        // NUL-separated pairs: status, path.
        let mut fields = out.split(|&b| b == 0).filter(|f| !f.is_empty());
        let mut files = Vec::new();
        while let (Some(status), Some(path)) = (fields.next(), fields.next()) {
            files.push((
                PathBuf::from(os_from_bytes(path)),
                status.first() == Some(&b'D'),
            ));
        }
        Ok(files)
    }
}
