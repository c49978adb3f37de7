//! Helpers shared by the end-to-end tests: real C compilers as oracles, and
//! the `abi-check` binary.

pub mod c_members;
pub mod compare;
pub mod fuzz_checks;
pub mod oracle;
pub mod spec_gen;
pub mod verdict;

use std::path::{Path, PathBuf};

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// The path of an external program a running test needs; see
/// `abi_test_tools`, whose build-time cfgs (`no_<tool>`) ignore the test
/// when the program is missing.
pub use abi_test_tools::require;

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
