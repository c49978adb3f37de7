//! The bad-input corpus: every file under tests/bad/ is a broken spec. Each
//! starts with `# error: <text the message must contain>` and optionally
//! `# at: LINE:COL` (or has a sidecar `NAME.expect` holding the text, for
//! files that cannot carry a comment). `abi-check check` must exit 2, name
//! the file (with line and column where given), say the expected text, and
//! never panic.

use std::path::{Path, PathBuf};
use std::process::Command;

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/bad")
}

struct Expectation {
    message: String,
    at: Option<String>,
}

fn expectation(path: &Path) -> Expectation {
    let sidecar = path.with_extension("expect");
    if let Ok(text) = std::fs::read_to_string(&sidecar) {
        return Expectation {
            message: text.trim().to_string(),
            at: None,
        };
    }
    let text = std::fs::read_to_string(path).expect("corpus file is readable");
    let header = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("# {key}: ")))
            .map(|s| s.trim().to_string())
    };
    Expectation {
        message: header("error")
            .unwrap_or_else(|| panic!("{} has no `# error:` line", path.display())),
        at: header("at"),
    }
}

#[test]
fn every_bad_spec_exits_2_with_its_message() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus())
        .expect("tests/bad exists")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 30,
        "the corpus has only {} files",
        files.len()
    );
    let mut failures = Vec::new();
    for path in &files {
        let expected = expectation(path);
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        let output = Command::new(env!("CARGO_BIN_EXE_abi-check"))
            .arg("check")
            .arg(&name)
            .current_dir(corpus())
            .env("NO_COLOR", "1")
            .output()
            .expect("abi-check runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        let mut problems = Vec::new();
        if output.status.code() != Some(2) {
            problems.push(format!("exit {:?}, expected 2", output.status.code()));
        }
        if stderr.contains("panicked") {
            problems.push("panicked".into());
        }
        if !stderr.contains(&expected.message) {
            problems.push(format!("message lacks {:?}", expected.message));
        }
        match &expected.at {
            Some(at) if !stderr.contains(&format!("{name}:{at}")) => {
                problems.push(format!("does not point at {name}:{at}"))
            }
            None if !stderr.contains(&name) => problems.push("does not name the file".into()),
            _ => {}
        }
        if expected.at.is_some() && !stderr.contains("help:") {
            problems.push("has no help: line".into());
        }
        if !problems.is_empty() {
            failures.push(format!("{name}: {}\n{stderr}", problems.join("; ")));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n---\n"));
}

#[test]
fn missing_and_directory_specs_exit_2() {
    for (arg, text) in [
        ("does-not-exist.toml", "cannot read `does-not-exist.toml`"),
        (".", "it is a directory"),
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_abi-check"))
            .args(["check", arg])
            .current_dir(corpus())
            .output()
            .expect("abi-check runs");
        assert_eq!(output.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&output.stderr).contains(text));
    }
}

#[test]
fn bad_command_lines_exit_2() {
    let spec = Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec.toml");
    let spec = spec.to_str().expect("utf-8 path");
    for args in [
        vec!["layout", spec, "--target", "vax"],
        vec!["layout", spec, "--struct", "nope"],
        vec!["layout", spec, "--version", "99"],
        vec!["layout", spec, "--version", "x"],
        vec!["layout", spec, "--format", "pdf"],
        vec!["explain", "NOT_A_RULE"],
        vec!["frobnicate"],
        vec!["check", "--format", "yaml"],
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_abi-check"))
            .args(&args)
            .output()
            .expect("abi-check runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}");
        assert!(!stderr.trim().is_empty(), "{args:?} printed no message");
    }
}
