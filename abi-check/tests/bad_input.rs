//! The bad-input corpus: every file under tests/bad/ is a broken spec. Each
//! starts with `# error: <text the message must contain>` and optionally
//! `# at: LINE:COL` (or has a sidecar `NAME.expect` holding the text, for
//! files that cannot carry a comment), and `# help: none` when the message
//! (a TOML syntax error) has no advice. `abi-check check` must exit 2, name
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
    /// `# help: none`: the message may have no `help:` line.
    no_help: bool,
}

fn expectation(path: &Path) -> Expectation {
    let sidecar = path.with_extension("expect");
    if let Ok(text) = std::fs::read_to_string(&sidecar) {
        return Expectation {
            message: text.trim().to_string(),
            at: None,
            no_help: true,
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
        no_help: header("help").is_some_and(|h| h == "none"),
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
        let (mut problems, stderr) = unusable(
            &corpus(),
            &["check".to_string(), name.clone()],
            &expected.message,
        );
        match &expected.at {
            Some(at) if !stderr.contains(&format!("{name}:{at}")) => {
                problems.push(format!("does not point at {name}:{at}"))
            }
            None if !stderr.contains(&name) => problems.push("does not name the file".into()),
            _ => {}
        }
        // A TOML syntax error comes from the parser, without advice.
        if expected.at.is_some() && !expected.no_help && !stderr.contains("help:") {
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

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Runs `abi-check` from `dir` and checks the answer to unusable input:
/// exit 2, no panic, `text` on stderr. Returns what is wrong, if anything.
fn expect_unusable(dir: &Path, args: &[String], text: &str) -> Option<String> {
    let (problems, stderr) = unusable(dir, args, text);
    (!problems.is_empty()).then(|| format!("{args:?}: {}\n{stderr}", problems.join("; ")))
}

/// What [`expect_unusable`] checks, as a list of problems, with stderr.
fn unusable(dir: &Path, args: &[String], text: &str) -> (Vec<String>, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_abi-check"))
        .args(args)
        .current_dir(dir)
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
    if !stderr.contains(text) {
        problems.push(format!("message lacks {text:?}"));
    }
    (problems, stderr.into_owned())
}

/// The hostile binaries of tests/bad-elf/ (written by its make.py): each
/// `NAME.elf` given to `dump` (and to `verify`) must exit 2 naming the
/// file, with the text of `NAME.expect`.
#[test]
fn every_bad_binary_exits_2_with_its_message() {
    let dir = repo_root().join("tests/bad-elf");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/bad-elf exists")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "elf"))
        .collect();
    files.sort();
    assert!(files.len() >= 30, "only {} hostile binaries", files.len());
    let mut failures = Vec::new();
    for path in &files {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .expect("utf-8 name")
            .to_string();
        let expected = std::fs::read_to_string(path.with_extension("expect"))
            .unwrap_or_else(|_| panic!("{name} has no .expect file"));
        let text = format!("{name}: ");
        for args in [
            vec!["dump", "--elf", &name, "--struct", "s"],
            vec!["verify", "../../spec.toml", "--elf", &name],
        ] {
            let args: Vec<String> = args.into_iter().map(String::from).collect();
            if let Some(f) = expect_unusable(&dir, &args, &text) {
                failures.push(f);
            }
        }
        let args: Vec<String> = ["dump", "--elf", &name, "--struct", "s"]
            .into_iter()
            .map(String::from)
            .collect();
        if let Some(f) = expect_unusable(&dir, &args, expected.trim()) {
            failures.push(f);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n---\n"));
}

/// The command-line corpus, tests/bad-cli.txt: one case a line.
#[test]
fn every_bad_command_line_exits_2_with_its_message() {
    let root = repo_root();
    let list = std::fs::read_to_string(root.join("tests/bad-cli.txt")).expect("tests/bad-cli.txt");
    let mut failures = Vec::new();
    let mut count = 0;
    for line in list.lines() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let (args, text) = line
            .split_once(" | ")
            .unwrap_or_else(|| panic!("no ` | ` in {line:?}"));
        let args: Vec<String> = args
            .split_whitespace()
            .map(|a| {
                if a == "ELF" {
                    "tests/fuzz-corpus/dwarf/seed-gcc-dwarf4".to_string()
                } else {
                    a.to_string()
                }
            })
            .collect();
        if let Some(f) = expect_unusable(&root, &args, text.trim()) {
            failures.push(f);
        }
        count += 1;
    }
    assert!(count >= 50, "only {count} command lines");
    assert!(failures.is_empty(), "{}", failures.join("\n---\n"));
}

/// The limits a hand-written corpus file would be too large to show: each
/// spec is written here, one item past the limit, and must be refused with
/// the limit's message at the first item too many.
#[test]
fn count_limits_are_errors_at_the_first_item_too_many() {
    use abi_spec::limits::{MAX_CONSTANTS, MAX_FEATURES, MAX_FIELDS, MAX_SPEC_BYTES, MAX_STRUCTS};
    let dir = std::env::temp_dir().join(format!("abi-check-limits-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    let head = "[abi]\nname = \"t\"\nversion = 1\n";
    let field = "[[struct.field]]\nname = \"a\"\ntype = \"u8\"\n";
    let mut structs = String::from(head);
    for i in 0..=MAX_STRUCTS {
        structs.push_str(&format!("[[struct]]\nname = \"s{i}\"\n{field}"));
    }
    let mut fields = format!("{head}[[struct]]\nname = \"s\"\n");
    for i in 0..=MAX_FIELDS {
        fields.push_str(&format!(
            "[[struct.field]]\nname = \"f{i}\"\ntype = \"u8\"\n"
        ));
    }
    let mut features = format!("{head}feature_words = 64\n");
    for i in 0..=MAX_FEATURES {
        let bit = i / 63 * 64 + i % 63;
        features.push_str(&format!(
            "[[feature]]\nname = \"f{i}\"\nbit = {bit}\nsince = 1\n"
        ));
    }
    features.push_str(&format!("[[struct]]\nname = \"s\"\n{field}"));
    let mut constants = String::from(head);
    for i in 0..=MAX_CONSTANTS {
        constants.push_str(&format!("[[constant]]\nname = \"C{i}\"\nvalue = 1\n"));
    }
    constants.push_str(&format!("[[struct]]\nname = \"s\"\n{field}"));
    let mut failures = Vec::new();
    for (name, text, message) in [
        (
            "structs.toml",
            structs,
            format!("at most {MAX_STRUCTS} structs"),
        ),
        (
            "fields.toml",
            fields,
            format!("at most {MAX_FIELDS} fields"),
        ),
        (
            "features.toml",
            features,
            format!("at most {MAX_FEATURES} features"),
        ),
        (
            "constants.toml",
            constants,
            format!("at most {MAX_CONSTANTS} constants"),
        ),
    ] {
        std::fs::write(dir.join(name), text).expect("write spec");
        let args = vec!["check".to_string(), name.to_string()];
        if let Some(f) = expect_unusable(&dir, &args, &message) {
            failures.push(f);
        }
    }
    // A sparse file one byte past the size limit: refused before reading.
    let big = std::fs::File::create(dir.join("big.toml")).expect("create");
    big.set_len(MAX_SPEC_BYTES + 1).expect("sparse file");
    let args = vec!["check".to_string(), "big.toml".to_string()];
    if let Some(f) = expect_unusable(&dir, &args, "spec files are limited to 67108864 bytes") {
        failures.push(f);
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(failures.is_empty(), "{}", failures.join("\n---\n"));
}
