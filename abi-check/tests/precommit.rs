//! The pre-commit hooks (`.pre-commit-hooks.yaml`), run by pre-commit
//! itself: a project's repository uses this repository's hooks (copied with
//! their script into a hook repository of their own, so the work tree's
//! version is what runs) through `repo:` and `rev:`, `pre-commit install`
//! puts them in `.git/hooks`, and real `git commit`s fail or pass.

mod gitrepo;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use gitrepo::{git, git_command, init, isolate, temp, V1, V2};

/// Version 2 adds a u8 then a u32: a 1-byte hole on m68k (2-aligned u32)
/// and 3 bytes elsewhere, so `b`'s offset differs between targets:
/// TARGET_LAYOUT_DIVERGES, breaking for `check`.
const V2_DIVERGES: &str = r#"[abi]
name = "demo"
version = 2

[[struct]]
name = "s"

[[struct.field]]
name = "a"
type = "u32"
since = 1

[[struct.field]]
name = "pad"
type = "u8"
since = 2

[[struct.field]]
name = "b"
type = "u32"
since = 2
"#;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A hook repository holding the work tree's hook definitions and script,
/// committed; returns its commit.
fn hook_repo(dir: &Path) -> String {
    init(dir);
    std::fs::create_dir_all(dir.join("hooks")).expect("mkdir");
    for file in [".pre-commit-hooks.yaml", "hooks/abi-check.sh"] {
        std::fs::copy(root().join(file), dir.join(file)).expect("copy the hook files");
    }
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", "hooks"]);
    git(dir, &["rev-parse", "HEAD"])
}

/// pre-commit, or git running it, in `dir`, with abi-check on PATH and a
/// cache of its own.
fn with_env(mut command: Command, home: &Path) -> Output {
    isolate(&mut command);
    let mut path = vec![gitrepo::bin_dir()];
    path.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    command
        .env("PATH", std::env::join_paths(path).expect("PATH"))
        .env("PRE_COMMIT_HOME", home)
        .env("NO_COLOR", "1")
        .env("PRE_COMMIT_COLOR", "never")
        .output()
        .expect("runs")
}

fn commit(project: &Path, home: &Path, message: &str) -> Output {
    let mut command = git_command(project);
    command.args(["commit", "-q", "-m", message]);
    with_env(command, home)
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
#[cfg_attr(any(no_git, no_pre_commit), ignore = "needs git and pre-commit")]
fn hooks_refuse_a_breaking_commit_and_accept_a_fixed_one() {
    let pre_commit = abi_test_tools::require("pre_commit");
    let tmp = temp();
    let hooks = tmp.path().join("hooks");
    let rev = hook_repo(&hooks);
    let home = tmp.path().join("cache");
    let project = tmp.path().join("project");
    init(&project);
    std::fs::write(
        project.join(".pre-commit-config.yaml"),
        format!(
            "repos:\n\
             - repo: {}\n  rev: {rev}\n  hooks:\n\
             \x20 - id: abi-check\n\
             \x20 - id: abi-check-header\n    args: [abi/demo.toml, --check, include/demo.h]\n\
             \x20   files: ^(abi/demo\\.toml|include/demo\\.h)$\n",
            hooks.display()
        ),
    )
    .expect("config");
    std::fs::create_dir_all(project.join("abi")).expect("mkdir");
    std::fs::create_dir_all(project.join("include")).expect("mkdir");
    std::fs::write(project.join("abi/demo.toml"), V1).expect("spec");
    std::fs::write(project.join("Cargo.toml"), "[package]\nname = \"x\"\n").expect("toml");
    let header = |project: &Path| {
        let o = gitrepo::abi_check(
            project,
            &["header", "abi/demo.toml", "-o", "include/demo.h"],
        );
        assert!(o.status.success(), "{}", text(&o));
    };
    header(&project);
    let mut install = Command::new(&pre_commit);
    install.arg("install").current_dir(&project);
    let o = with_env(install, &home);
    assert!(o.status.success(), "{}", text(&o));

    // A passing commit: a valid spec, its header, a TOML file that is no spec.
    git(&project, &["add", "-A"]);
    let o = commit(&project, &home, "v1");
    assert!(o.status.success(), "{}", text(&o));
    let log = text(&o);
    assert!(
        log.contains("abi-check check") && log.contains("Passed"),
        "{log}"
    );
    assert_eq!(git(&project, &["rev-list", "--count", "HEAD"]), "1");

    // A failing commit: version 2 lays out differently on m68k.
    std::fs::write(project.join("abi/demo.toml"), V2_DIVERGES).expect("spec");
    header(&project);
    git(&project, &["add", "-A"]);
    let o = commit(&project, &home, "v2, diverging");
    assert!(!o.status.success(), "the commit went through: {}", text(&o));
    let log = text(&o);
    assert!(
        log.contains("abi-check check") && log.contains("Failed"),
        "{log}"
    );
    assert!(log.contains("breaking[TARGET_LAYOUT_DIVERGES]"), "{log}");
    assert!(log.contains("--> abi/demo.toml:"), "{log}");
    assert_eq!(git(&project, &["rev-list", "--count", "HEAD"]), "1");

    // Fixed, but the header is stale: the header hook fails.
    std::fs::write(project.join("abi/demo.toml"), V2).expect("spec");
    git(&project, &["add", "-A"]);
    let o = commit(&project, &home, "v2, header stale");
    assert!(!o.status.success(), "{}", text(&o));
    let log = text(&o);
    assert!(
        log.contains("abi-check header --check") && log.contains("Failed"),
        "{log}"
    );
    assert!(log.contains("include/demo.h"), "{log}");

    // Header regenerated: both hooks pass and the commit is made.
    header(&project);
    git(&project, &["add", "-A"]);
    let o = commit(&project, &home, "v2");
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(git(&project, &["rev-list", "--count", "HEAD"]), "2");
}

#[test]
#[cfg_attr(any(no_git, no_pre_commit), ignore = "needs git and pre-commit")]
fn every_hook_runs_its_script() {
    // The definitions parse as pre-commit reads them, and each entry names
    // the script with one of its commands.
    let pre_commit = abi_test_tools::require("pre_commit");
    let tmp = temp();
    let hooks = tmp.path().join("hooks");
    hook_repo(&hooks);
    let mut validate = Command::new(&pre_commit);
    validate
        .args(["validate-manifest", ".pre-commit-hooks.yaml"])
        .current_dir(&hooks);
    let o = with_env(validate, &tmp.path().join("cache"));
    assert!(o.status.success(), "{}", text(&o));
    let manifest =
        std::fs::read_to_string(root().join(".pre-commit-hooks.yaml")).expect("manifest");
    for (id, command) in [
        ("abi-check", "check"),
        ("abi-check-header", "header"),
        ("abi-check-rust", "rust"),
    ] {
        assert!(manifest.contains(&format!("- id: {id}\n")), "{id}");
        assert!(
            manifest.contains(&format!("entry: hooks/abi-check.sh {command}\n")),
            "{command}"
        );
    }
    // The rust hook, directly: a stale file fails, a fresh one passes.
    let project = tmp.path().join("project");
    init(&project);
    std::fs::write(project.join("spec.toml"), V1).expect("spec");
    let o = gitrepo::abi_check(&project, &["rust", "spec.toml", "-o", "demo.rs"]);
    assert!(o.status.success(), "{}", text(&o));
    let script = root().join("hooks/abi-check.sh");
    let run = |project: &Path| {
        let mut command = Command::new("bash");
        command
            .arg(&script)
            .args(["rust", "spec.toml", "--check", "demo.rs"])
            .current_dir(project);
        with_env(command, &tmp.path().join("cache"))
    };
    assert_eq!(run(&project).status.code(), Some(0));
    std::fs::write(project.join("spec.toml"), V2).expect("spec");
    assert_eq!(run(&project).status.code(), Some(1));
}
