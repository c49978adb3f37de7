//! Editing the spec rebuilds the crate that uses `generate!`: a scratch
//! crate under a temp dir is built, its spec touched and then edited, and
//! Cargo is watched recompiling it (and the new constant showing up).

use std::path::{Path, PathBuf};
use std::process::Command;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Builds the scratch crate and runs it; returns (stderr of the build,
/// stdout of the run).
fn build_and_run(dir: &Path, target: &Path) -> (String, String) {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let build = Command::new(&cargo)
        .args(["build", "--offline", "-v"])
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target)
        .env_remove("ABI_DERIVE_MANIFEST_DIR")
        .output()
        .expect("cargo runs");
    let stderr = String::from_utf8_lossy(&build.stderr).into_owned();
    assert!(build.status.success(), "scratch build failed:\n{stderr}");
    let run = Command::new(target.join("debug/scratch"))
        .output()
        .expect("scratch binary runs");
    (
        stderr,
        String::from_utf8_lossy(&run.stdout).trim().to_string(),
    )
}

/// True when Cargo compiled the scratch crate itself in this build.
fn recompiled(stderr: &str) -> bool {
    stderr
        .lines()
        .any(|l| l.contains("Running") && l.contains("--crate-name scratch"))
}

#[test]
fn editing_the_spec_rebuilds_the_crate() {
    let dir = std::env::temp_dir().join(format!("abi-derive-rebuild-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("src")).expect("scratch dir");
    let derive = workspace().join("abi-derive");
    std::fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[package]\nname = \"scratch\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n\
             [dependencies]\nabi-derive = {{ path = {:?} }}\n\n[workspace]\n",
            derive.display().to_string()
        ),
    )
    .expect("manifest");
    std::fs::write(
        dir.join("src/main.rs"),
        "mod tlabi {\n    abi_derive::generate!(\"spec.toml\");\n}\n\nfn main() {\n    println!(\"{}\", tlabi::TLABI_VERSION);\n}\n",
    )
    .expect("main.rs");
    let spec = std::fs::read_to_string(workspace().join("spec.toml")).expect("spec.toml");
    std::fs::write(dir.join("spec.toml"), &spec).expect("spec copy");
    // The workspace's lock file: same dependency versions, no network.
    std::fs::copy(workspace().join("Cargo.lock"), dir.join("Cargo.lock")).expect("lock file");
    // A target dir that outlives the test, so only the first run pays for
    // building syn and abi-spec.
    let target = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("rebuild-target");

    let (_, out) = build_and_run(&dir, &target);
    assert_eq!(out, "4");

    let (stderr, _) = build_and_run(&dir, &target);
    assert!(
        !recompiled(&stderr),
        "nothing changed, yet Cargo rebuilt:\n{stderr}"
    );

    // Touch: same content, newer mtime. Cargo must look again.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    std::fs::write(dir.join("spec.toml"), &spec).expect("touch");
    let (stderr, out) = build_and_run(&dir, &target);
    assert!(
        recompiled(&stderr),
        "touching the spec did not rebuild:\n{stderr}"
    );
    assert_eq!(out, "4");

    // Edit: the new version must show up in the binary.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let edited = spec.replacen("\nversion = 4\n", "\nversion = 5\n", 1);
    assert_ne!(edited, spec, "spec.toml no longer says `version = 4`");
    std::fs::write(dir.join("spec.toml"), edited).expect("edit");
    let (stderr, out) = build_and_run(&dir, &target);
    assert!(
        recompiled(&stderr),
        "editing the spec did not rebuild:\n{stderr}"
    );
    assert_eq!(out, "5");

    let _ = std::fs::remove_dir_all(&dir);
}
