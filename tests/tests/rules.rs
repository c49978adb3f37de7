//! One fixture folder per rule under `abi-spec/rules/<RULE>/`, each
//! triggering exactly that rule: `old.toml` + `new.toml` are diffed,
//! `spec.toml` is checked (history and lints), `kernel.toml` + `libc.toml`
//! go through `compat`. The CLI's exit codes on the same folders are tested
//! in `abi-check/tests/diff_cli.rs`. Also keeps `docs/rules.md` equal to the
//! catalog.

use std::path::{Path, PathBuf};

use abi_spec::{compat, lint, load, Finding, Rule, Severity};
use abi_tests::workspace_root;

fn fixtures() -> PathBuf {
    workspace_root().join("abi-spec/rules")
}

fn spec(path: &Path) -> abi_spec::Spec {
    load(path).unwrap_or_else(|e| panic!("{}", e.render(false)))
}

/// The findings a folder produces, as the CLI would compute them.
fn findings_of(dir: &Path) -> Vec<Finding> {
    if dir.join("old.toml").exists() {
        compat::diff(&spec(&dir.join("old.toml")), &spec(&dir.join("new.toml"))).expect("diff")
    } else if dir.join("spec.toml").exists() {
        let s = spec(&dir.join("spec.toml"));
        let mut f = lint::lint(&s).expect("lint");
        f.extend(
            compat::history(&s)
                .expect("history")
                .into_iter()
                .filter(compat::is_notable),
        );
        f
    } else {
        compat::sides(
            &spec(&dir.join("kernel.toml")),
            &spec(&dir.join("libc.toml")),
        )
        .expect("sides")
        .findings
    }
}

#[test]
fn every_rule_has_a_fixture_that_triggers_exactly_it() {
    let mut seen = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(fixtures())
        .expect("fixture folder")
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    for dir in entries {
        let name = dir
            .file_name()
            .and_then(|n| n.to_str())
            .expect("utf-8 name")
            .to_string();
        let rule = Rule::from_id(&name).unwrap_or_else(|| panic!("{name} is no rule"));
        seen.push(rule);
        let findings = findings_of(&dir);
        let hit: Vec<&Finding> = findings.iter().filter(|f| f.rule == rule).collect();
        assert!(!hit.is_empty(), "{name}: not triggered: {findings:#?}");
        assert!(
            hit.iter().all(|f| f.severity == rule.severity()),
            "{name}: {hit:#?}"
        );
        // No other rule fires at this rule's severity or above.
        let others: Vec<&Finding> = findings
            .iter()
            .filter(|f| f.rule != rule && f.severity <= rule.severity())
            .collect();
        assert!(
            others.is_empty(),
            "{name}: other rules fire too: {others:#?}"
        );
        let breaking = findings.iter().any(Finding::is_breaking);
        assert_eq!(breaking, rule.severity() == Severity::Breaking, "{name}");
        // The finding points into a fixture file, at a line.
        assert!(
            hit.iter().all(|f| f.location().is_some_and(|l| l.line > 0)),
            "{name}"
        );
    }
    for rule in Rule::ALL {
        assert!(seen.contains(rule), "no fixture folder for {rule}");
    }
}

#[test]
fn findings_point_at_new_when_the_thing_exists_there() {
    let dir = fixtures().join("FIELD_RETYPED");
    let f = findings_of(&dir);
    let loc = f[0].location().expect("location");
    assert!(loc.file.ends_with("new.toml"), "{loc}");
    let dir = fixtures().join("FIELD_REMOVED");
    let f = findings_of(&dir);
    let loc = f[0].location().expect("location");
    assert!(loc.file.ends_with("old.toml"), "{loc}");
}

#[test]
fn unwaivable_rules_stay_unwaived() {
    for rule in [
        Rule::FIELD_REMOVED,
        Rule::STRUCT_REMOVED,
        Rule::STRUCT_SHRUNK,
    ] {
        assert!(!rule.waivable());
    }
    let dir = fixtures().join("STRUCT_SHRUNK");
    let old = spec(&dir.join("old.toml"));
    let text = std::fs::read_to_string(dir.join("new.toml")).expect("read")
        + "\n[[waiver]]\nrule = \"STRUCT_SHRUNK\"\nreason = \"try to hide it\"\n";
    // The parser itself refuses such a waiver; either way it never applies.
    if let Ok(new) = abi_spec::parse("new.toml", &text) {
        let mut f = compat::diff(&old, &new).expect("diff");
        abi_spec::finding::apply_waivers(&mut f, &new, abi_spec::model::Date::today());
        assert!(f
            .iter()
            .any(|f| f.rule == Rule::STRUCT_SHRUNK && f.waived.is_none()));
    }
}

#[test]
fn a_waiver_in_new_accepts_a_breaking_finding() {
    let dir = fixtures().join("FIELD_RETYPED");
    let old = spec(&dir.join("old.toml"));
    let text = std::fs::read_to_string(dir.join("new.toml")).expect("read")
        + "\n[[waiver]]\nrule = \"FIELD_RETYPED\"\nstruct = \"s\"\nfield = \"b\"\nreason = \"never released\"\n";
    let new = abi_spec::parse("new.toml", &text).unwrap_or_else(|e| panic!("{}", e.render(false)));
    let mut f = compat::diff(&old, &new).expect("diff");
    abi_spec::finding::apply_waivers(&mut f, &new, abi_spec::model::Date::today());
    assert!(f.iter().all(|f| !f.is_breaking()), "{f:#?}");
    assert!(f
        .iter()
        .any(|f| f.waived.as_deref() == Some("never released")));
}

#[test]
fn docs_rules_md_is_generated_from_the_catalog() {
    let path = workspace_root().join("docs/rules.md");
    let expected = abi_spec::rules::catalog_markdown();
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, &expected).expect("write docs/rules.md");
    }
    let actual = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        actual == expected,
        "docs/rules.md is out of date: run `UPDATE_DOCS=1 cargo test -p abi-tests --test rules`"
    );
}

#[test]
fn the_rseq_pre_release_is_refused_and_the_release_accepted() {
    let pre = spec(&workspace_root().join("tests/fixtures/rseq-7.0-prerelease.toml"));
    let f = compat::history(&pre).expect("history");
    let ambiguous: Vec<_> = f
        .iter()
        .filter(|f| f.rule == Rule::FEATURE_SIZE_AMBIGUOUS)
        .collect();
    assert_eq!(ambiguous.len(), 1, "{f:#?}");
    assert!(
        ambiguous[0].message.contains("feature_size 32"),
        "{}",
        ambiguous[0].message
    );
    let release = workspace_root().join("examples/linux/rseq.toml");
    if release.exists() {
        let f = compat::history(&spec(&release)).expect("history");
        assert!(f.iter().all(|f| !f.is_breaking()), "{f:#?}");
    }
}
