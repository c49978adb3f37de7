//! Helpers shared by the end-to-end tests: real C compilers as oracles, and
//! the `abi-check` binary.

pub mod compare;
pub mod fuzz_checks;
pub mod oracle;
pub mod spec_gen;

use std::path::{Path, PathBuf};

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

pub use abi_test_tools::{in_ci, require};

/// Called when an external program a test needs is missing: fails under CI,
/// otherwise prints why the test does nothing and returns.
pub fn missing_tool(what: &str) {
    if in_ci() {
        panic!("{what} is missing, and CI is set: .ci/run must install it");
    }
    eprintln!("note: {what} is missing; this test checks nothing here (it fails under CI)");
}

/// A fresh scratch directory under the target directory.
pub fn scratch_dir(name: &str) -> PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("abi-tests-{}-{name}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}
