//! Git repositories in temporary directories, for the tests of
//! `diff --against`, `changed`, the GitHub Action and the pre-commit hooks.
#![allow(dead_code)] // each test binary uses its own part of this module

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A spec of the ABI `demo` at version 1: struct `s` with field `a`.
pub const V1: &str = r#"[abi]
name = "demo"
version = 1

[[struct]]
name = "s"

[[struct.field]]
name = "a"
type = "u32"
since = 1
"#;

/// Version 2 appends `b`: compatible (FIELD_ADDED).
pub const V2: &str = r#"[abi]
name = "demo"
version = 2

[[struct]]
name = "s"

[[struct.field]]
name = "a"
type = "u32"
since = 1

[[struct.field]]
name = "b"
type = "u32"
since = 2
"#;

/// Version 2 with `a` retyped to i32: breaking (FIELD_RETYPED) against V1
/// and V2.
pub const V2_RETYPED: &str = r#"[abi]
name = "demo"
version = 2

[[struct]]
name = "s"

[[struct.field]]
name = "a"
type = "i32"
since = 1

[[struct.field]]
name = "b"
type = "u32"
since = 2
"#;

/// Version 3 appends `c` to V2: compatible.
pub const V3: &str = r#"[abi]
name = "demo"
version = 3

[[struct]]
name = "s"

[[struct.field]]
name = "a"
type = "u32"
since = 1

[[struct.field]]
name = "b"
type = "u32"
since = 2

[[struct.field]]
name = "c"
type = "u32"
since = 3
"#;

/// A git command in `dir` that must succeed; its standard output.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = git_command(dir).args(args).output().expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?} in {}: {}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// `git` with an environment of its own: no user or system configuration,
/// no repository inherited from the caller (a test run from a git hook
/// has GIT_DIR and GIT_INDEX_FILE set), a fixed identity.
pub fn git_command(dir: &Path) -> Command {
    let mut command = Command::new(abi_test_tools::require("git"));
    command.current_dir(dir);
    isolate(&mut command);
    command
}

/// Clears what would tie a command to another repository or configuration.
pub fn isolate(command: &mut Command) {
    for var in [
        "GIT_DIR",
        "GIT_INDEX_FILE",
        "GIT_WORK_TREE",
        "GIT_OBJECT_DIRECTORY",
        "GIT_ALTERNATE_OBJECT_DIRECTORIES",
        "GIT_CEILING_DIRECTORIES",
        "GIT_PREFIX",
    ] {
        command.env_remove(var);
    }
    command
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.invalid")
        .env("GIT_COMMITTER_NAME", "Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.invalid")
        .env("GIT_AUTHOR_DATE", "2025-01-01T00:00:00Z")
        .env("GIT_COMMITTER_DATE", "2025-01-01T00:00:00Z");
}

/// A new repository on branch `main`.
pub fn init(dir: &Path) {
    std::fs::create_dir_all(dir).expect("create the repository directory");
    git(dir, &["init", "-q", "-b", "main"]);
}

/// Writes `text` to `path` in the repository and commits it.
pub fn commit_file(dir: &Path, path: &str, text: &str, message: &str) {
    let file = dir.join(path);
    if let Some(parent) = file.parent() {
        std::fs::create_dir_all(parent).expect("create the directory");
    }
    std::fs::write(&file, text).expect("write the file");
    git(dir, &["add", "--", path]);
    git(dir, &["commit", "-q", "-m", message]);
}

/// Runs the built `abi-check` in `dir`, without colors and without any
/// repository inherited from the caller.
pub fn abi_check(dir: &Path, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_abi-check"));
    command.args(args).current_dir(dir).env("NO_COLOR", "1");
    isolate(&mut command);
    command.output().expect("abi-check runs")
}

/// A fresh temporary directory, removed when the value is dropped.
pub fn temp() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("abi-check-git-")
        .tempdir()
        .expect("a temporary directory")
}

/// The directory of the built `abi-check`, for PATH.
pub fn bin_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_abi-check"))
        .parent()
        .expect("the binary has a directory")
        .to_path_buf()
}
