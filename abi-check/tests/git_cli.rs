//! `abi-check diff --against REV [SPEC]` and `--against-merge-base REF
//! [SPEC]`: OLD read from a real git repository built here, three commits
//! of a spec, a branch, a subdirectory and a shallow clone.

mod gitrepo;

use std::path::Path;
use std::process::Output;

use gitrepo::{abi_check, commit_file, git, init, temp, V1, V2, V2_RETYPED, V3};
use serde_json::Value;

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}{}", stdout(o), stderr(o)))
}

fn rules(v: &Value) -> Vec<String> {
    v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["rule"].as_str().expect("rule").to_string())
        .collect()
}

/// A repository with a README commit, then the spec at versions 1 and 2 in
/// `specs/demo.toml`: HEAD~2 has no spec, HEAD~1 has V1, HEAD has V2.
fn history(dir: &Path) {
    init(dir);
    commit_file(dir, "README", "demo\n", "readme");
    commit_file(dir, "specs/demo.toml", V1, "demo v1");
    commit_file(dir, "specs/demo.toml", V2, "demo v2");
}

#[test]
#[cfg_attr(no_git, ignore = "needs git")]
fn compatible_change_against_an_older_revision() {
    let tmp = temp();
    let repo = tmp.path();
    history(repo);
    let o = abi_check(
        repo,
        &[
            "diff",
            "--against",
            "HEAD~1",
            "specs/demo.toml",
            "--format",
            "json",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v = json(&o);
    assert_eq!(rules(&v), ["FIELD_ADDED"]);
    assert_eq!(v["old"]["file"], "HEAD~1:specs/demo.toml");
    assert_eq!(v["old"]["version"], 1);
    assert_eq!(v["new"]["file"], "specs/demo.toml");
    assert_eq!(v["new"]["version"], 2);
    // Against HEAD itself nothing changed.
    let o = abi_check(repo, &["diff", "--against", "HEAD", "specs/demo.toml"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).contains(
            "HEAD:specs/demo.toml (version 2) -> specs/demo.toml (version 2): 0 breaking"
        ),
        "{}",
        stdout(&o)
    );
}

#[test]
#[cfg_attr(no_git, ignore = "needs git")]
fn breaking_change_in_the_work_tree_leaves_work_tree_and_index_alone() {
    let tmp = temp();
    let repo = tmp.path();
    history(repo);
    std::fs::write(repo.join("specs/demo.toml"), V2_RETYPED).expect("edit the spec");
    let status_before = git(repo, &["status", "--porcelain=v1"]);
    let index_before = std::fs::read(repo.join(".git/index")).expect("the index");
    let o = abi_check(repo, &["diff", "--against", "HEAD", "specs/demo.toml"]);
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("breaking[FIELD_RETYPED]"), "{text}");
    // NEW's line in the work tree.
    assert!(text.contains("--> specs/demo.toml:"), "{text}");
    assert_eq!(git(repo, &["status", "--porcelain=v1"]), status_before);
    assert_eq!(status_before, "M specs/demo.toml");
    assert_eq!(
        std::fs::read(repo.join(".git/index")).expect("the index"),
        index_before,
        "the index was rewritten"
    );
    assert_eq!(
        std::fs::read_to_string(repo.join("specs/demo.toml")).expect("the spec"),
        V2_RETYPED
    );
    // The default spec is ./spec.toml.
    let plain = temp();
    init(plain.path());
    commit_file(plain.path(), "spec.toml", V2, "v2");
    std::fs::write(plain.path().join("spec.toml"), V2_RETYPED).expect("edit");
    let o = abi_check(
        plain.path(),
        &["diff", "--against", "HEAD", "--format", "json"],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(json(&o)["old"]["file"], "HEAD:spec.toml");
}

#[test]
#[cfg_attr(no_git, ignore = "needs git")]
fn a_spec_absent_at_the_revision_is_a_new_abi() {
    let tmp = temp();
    let repo = tmp.path();
    history(repo);
    let o = abi_check(repo, &["diff", "--against", "HEAD~2", "specs/demo.toml"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.contains("info[STRUCT_ADDED]: struct `s` was added"),
        "{text}"
    );
    assert!(
        text.contains(
            "HEAD~2:specs/demo.toml does not exist: specs/demo.toml (demo version 2) is a new ABI"
        ),
        "{text}"
    );
    let o = abi_check(
        repo,
        &[
            "diff",
            "--against",
            "HEAD~2",
            "specs/demo.toml",
            "--format",
            "json",
        ],
    );
    let v = json(&o);
    assert_eq!(rules(&v), ["STRUCT_ADDED"]);
    assert_eq!(v["old"]["absent"], true);
    assert_eq!(v["old"]["version"], Value::Null);
    assert_eq!(v["compatible"], true);
}

#[test]
#[cfg_attr(no_git, ignore = "needs git")]
fn a_bad_revision_is_exit_2_naming_it() {
    let tmp = temp();
    let repo = tmp.path();
    history(repo);
    for rev in ["no-such-branch", "HEAD~9", "-p", "0123456789abcdef0123"] {
        let against = format!("--against={rev}");
        let o = abi_check(repo, &["diff", &against, "specs/demo.toml"]);
        assert_eq!(o.status.code(), Some(2), "{rev}: {}", stdout(&o));
        let err = stderr(&o);
        assert!(
            err.contains(&format!("specs/demo.toml: `{rev}` names no commit")),
            "{err}"
        );
        assert!(!err.contains("unshallow"), "not shallow: {err}");
        assert!(o.stdout.is_empty());
    }
    // Outside any repository.
    let outside = temp();
    std::fs::write(outside.path().join("spec.toml"), V1).expect("write");
    let o = abi_check(outside.path(), &["diff", "--against", "HEAD"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("is not inside a git work tree"),
        "{}",
        stderr(&o)
    );
    // A directory at the revision is not a spec.
    let o = abi_check(repo, &["diff", "--against", "HEAD", "specs/demo.toml/.."]);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
}

#[test]
#[cfg_attr(no_git, ignore = "needs git")]
fn old_side_diagnostics_are_named_rev_colon_path() {
    let tmp = temp();
    let repo = tmp.path();
    init(repo);
    commit_file(
        repo,
        "spec.toml",
        "[abi]\nname = \"demo\"\nversion = \"two\"\n",
        "broken",
    );
    commit_file(repo, "spec.toml", V1, "fixed");
    let o = abi_check(repo, &["diff", "--against", "HEAD~1"]);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    let err = stderr(&o);
    assert!(err.contains("--> HEAD~1:spec.toml:3:"), "{err}");
}

#[test]
#[cfg_attr(no_git, ignore = "needs git")]
fn against_merge_base_on_a_branch() {
    let tmp = temp();
    let repo = tmp.path();
    history(repo);
    git(repo, &["switch", "-q", "-c", "feature"]);
    commit_file(repo, "specs/demo.toml", V2_RETYPED, "retype a");
    git(repo, &["switch", "-q", "main"]);
    commit_file(repo, "specs/demo.toml", V3, "main grows: c");
    git(repo, &["switch", "-q", "feature"]);
    // The merge base has V2: only the branch's own change shows.
    let o = abi_check(
        repo,
        &[
            "diff",
            "--against-merge-base",
            "main",
            "specs/demo.toml",
            "--format",
            "json",
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let v = json(&o);
    assert_eq!(rules(&v), ["FIELD_RETYPED"]);
    let base = git(repo, &["merge-base", "main", "HEAD"]);
    let old = v["old"]["file"].as_str().expect("old file");
    let (commit, path) = old.split_once(':').expect("REV:path");
    assert!(base.starts_with(commit), "{old} vs {base}");
    assert_eq!(path, "specs/demo.toml");
    assert_eq!(v["old"]["version"], 2);
    // Against main's tip, main's own growth looks removed.
    let o = abi_check(
        repo,
        &[
            "diff",
            "--against",
            "main",
            "specs/demo.toml",
            "--format",
            "json",
        ],
    );
    let found = rules(&json(&o));
    assert!(found.contains(&"FIELD_REMOVED".to_string()), "{found:?}");
    // A compatible branch passes.
    git(repo, &["switch", "-q", "-c", "grow", "HEAD~1"]);
    commit_file(repo, "specs/demo.toml", V3, "grow c");
    let o = abi_check(
        repo,
        &["diff", "--against-merge-base", "main", "specs/demo.toml"],
    );
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    // A reference that does not exist.
    let o = abi_check(
        repo,
        &[
            "diff",
            "--against-merge-base",
            "origin/main",
            "specs/demo.toml",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("`origin/main` names no commit"),
        "{}",
        stderr(&o)
    );
    // Unrelated histories have no merge base.
    git(repo, &["switch", "-q", "--orphan", "other"]);
    commit_file(repo, "specs/demo.toml", V1, "unrelated");
    let o = abi_check(
        repo,
        &["diff", "--against-merge-base", "main", "specs/demo.toml"],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no common ancestor"), "{}", stderr(&o));
}

#[test]
#[cfg_attr(no_git, ignore = "needs git")]
fn from_a_subdirectory_with_relative_and_absolute_paths() {
    let tmp = temp();
    let repo = tmp.path();
    history(repo);
    std::fs::create_dir_all(repo.join("docs")).expect("mkdir");
    let absolute = repo.join("specs/demo.toml");
    let absolute = absolute.to_str().expect("UTF-8 temp path");
    let cases: [(&Path, &str); 4] = [
        (&repo.join("specs"), "demo.toml"),
        (&repo.join("docs"), "../specs/demo.toml"),
        (&repo.join("docs"), absolute),
        (Path::new("/"), absolute),
    ];
    for (cwd, spec) in cases {
        let o = abi_check(
            cwd,
            &["diff", "--against", "HEAD~1", spec, "--format", "json"],
        );
        assert_eq!(
            o.status.code(),
            Some(0),
            "{spec} in {}: {}",
            cwd.display(),
            stderr(&o)
        );
        let v = json(&o);
        assert_eq!(v["old"]["file"], "HEAD~1:specs/demo.toml", "{spec}");
        assert_eq!(v["new"]["file"], spec);
        assert_eq!(rules(&v), ["FIELD_ADDED"]);
    }
    let o = abi_check(
        &repo.join("specs"),
        &["diff", "--against-merge-base", "HEAD~1", "demo.toml"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
#[cfg_attr(no_git, ignore = "needs git")]
fn a_shallow_clone_says_to_fetch_the_history() {
    let tmp = temp();
    let origin = tmp.path().join("origin");
    history(&origin);
    git(&origin, &["switch", "-q", "-c", "feature"]);
    commit_file(&origin, "specs/demo.toml", V3, "v3");
    let url = format!("file://{}", origin.display());
    let clone = tmp.path().join("clone");
    git(
        tmp.path(),
        &[
            "clone", "-q", "--depth", "1", "--branch", "feature", &url, "clone",
        ],
    );
    assert_eq!(
        git(&clone, &["rev-parse", "--is-shallow-repository"]),
        "true"
    );
    let o = abi_check(&clone, &["diff", "--against", "HEAD~1", "specs/demo.toml"]);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    let err = stderr(&o);
    assert!(err.contains("`HEAD~1` names no commit"), "{err}");
    assert!(err.contains("git fetch --unshallow"), "{err}");
    assert!(err.contains("fetch-depth: 0"), "{err}");
    // The base branch was not fetched either.
    let o = abi_check(
        &clone,
        &[
            "diff",
            "--against-merge-base",
            "origin/main",
            "specs/demo.toml",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("git fetch --unshallow"),
        "{}",
        stderr(&o)
    );
    // Fetched, but the history between is still missing: no merge base.
    git(
        &clone,
        &[
            "fetch",
            "-q",
            "--depth",
            "1",
            "origin",
            "main:refs/remotes/origin/main",
        ],
    );
    let o = abi_check(
        &clone,
        &[
            "diff",
            "--against-merge-base",
            "origin/main",
            "specs/demo.toml",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    let err = stderr(&o);
    assert!(err.contains("no common ancestor"), "{err}");
    assert!(err.contains("fetch-depth: 0"), "{err}");
    // With the full history it works.
    git(
        &clone,
        &[
            "fetch",
            "-q",
            "--unshallow",
            "origin",
            "main:refs/remotes/origin/main",
        ],
    );
    let o = abi_check(
        &clone,
        &[
            "diff",
            "--against-merge-base",
            "origin/main",
            "specs/demo.toml",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn against_and_two_files_do_not_mix() {
    let tmp = temp();
    for args in [
        &["diff", "--against", "HEAD", "a.toml", "b.toml"][..],
        &["diff", "--against", "HEAD", "--against-merge-base", "main"][..],
        &["diff", "only-one.toml"][..],
    ] {
        let o = abi_check(tmp.path(), args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stdout(&o));
    }
}

/// `changed --sarif FILE --summary FILE` run in a subdirectory writes its
/// files there, as any command line names paths, though it compares from
/// the repository's root; the SARIF file is written as `-o` writes, and
/// never over a spec.
#[test]
#[cfg_attr(no_git, ignore = "needs git")]
fn changed_writes_its_files_where_their_paths_name_them() {
    let tmp = temp();
    let repo = tmp.path();
    init(repo);
    commit_file(repo, "specs/demo.toml", V1, "demo v1");
    git(repo, &["checkout", "-q", "-b", "topic"]);
    commit_file(repo, "specs/demo.toml", V2, "demo v2");
    let specs = repo.join("specs");
    let args = ["changed", "--base", "main", "--sarif", "out.sarif"];
    let o = abi_check(&specs, &[&args[..], &["--summary", "summary.md"]].concat());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let sarif: Value = serde_json::from_str(
        &std::fs::read_to_string(specs.join("out.sarif")).expect("the SARIF file in specs/"),
    )
    .expect("SARIF is JSON");
    assert_eq!(sarif["version"], "2.1.0");
    let summary = std::fs::read_to_string(specs.join("summary.md")).expect("the summary");
    assert!(summary.contains("specs/demo.toml"), "{summary}");
    for name in ["out.sarif", "summary.md"] {
        assert!(!repo.join(name).exists(), "{name} written at the root");
    }

    let o = abi_check(
        &specs,
        &["changed", "--base", "main", "--sarif", "demo.toml"],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("is the same file as the spec"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        std::fs::read_to_string(specs.join("demo.toml")).expect("the spec"),
        V2
    );
}
