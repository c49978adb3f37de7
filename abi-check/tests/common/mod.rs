//! What the CLI tests share: running the binary from the workspace root,
//! and reading its output.
#![allow(dead_code)] // each test binary uses its own part of this module

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

pub mod cc;
pub mod schema;

/// The workspace root, where spec.toml, examples/ and tests/ live.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Runs `abi-check ARGS` in the workspace root, without colors.
pub fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_abi-check"))
        .args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .output()
        .expect("abi-check runs")
}

/// Standard output as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Standard error as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Standard output as JSON; the panic shows both streams.
pub fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}{}", stdout(o), stderr(o)))
}

/// The comments of a spec the tool wrote (`dump --format toml`,
/// `import`), each wrapped comment joined into one line.
pub fn comments(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("#   ") {
            out.push(' ');
            out.push_str(rest);
        } else if let Some(rest) = line.strip_prefix("# ") {
            out.push('\n');
            out.push_str(rest);
        }
    }
    out
}
