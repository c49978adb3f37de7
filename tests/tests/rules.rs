//! The rule catalog, one folder per rule under `abi-spec/rules/<ID>/`: its
//! `rule.rs` is the entry, the other files its fixture, which must trigger
//! exactly that rule: `old.toml` + `new.toml` are diffed, `spec.toml` is
//! checked (history and lints), `kernel.toml` + `libc.toml` go through
//! `compat`. Waivability is tested by behaviour: a waiver for the rule,
//! added to the fixture, hides its findings exactly when the entry says the
//! rule is waivable. The waivers of the fixture's last spec are judged too
//! (WAIVER_UNUSED, WAIVER_EXPIRED), as the command would. The CLI's exit codes on the same folders are tested in
//! `abi-check/tests/diff_cli.rs`. Also keeps `docs/rules.md` equal to the
//! catalog.

use std::path::{Path, PathBuf};

use abi_spec::finding::Run;
use abi_spec::model::Date;
use abi_spec::{compat, lint, load, Finding, Rule, Severity, Spec};
use abi_tests::workspace_root;

fn fixtures() -> PathBuf {
    workspace_root().join("abi-spec/rules")
}

fn spec(path: &Path) -> Spec {
    load(path).unwrap_or_else(|e| panic!("{}", e.render(false)))
}

/// The fixture's specs, as the CLI would read them; the last one is the
/// spec whose waivers apply (NEW, the checked spec, the library's).
fn specs_of(dir: &Path, extra: &str) -> Result<Vec<Spec>, String> {
    let read = |name: &str, extra: &str| -> Result<Spec, String> {
        let path = dir.join(name);
        let text = std::fs::read_to_string(&path).map_err(|e| e.to_string())? + extra;
        abi_spec::parse(&path.display().to_string(), &text).map_err(|e| e.render(false))
    };
    if dir.join("old.toml").exists() {
        Ok(vec![read("old.toml", "")?, read("new.toml", extra)?])
    } else if dir.join("spec.toml").exists() {
        Ok(vec![read("spec.toml", extra)?])
    } else {
        Ok(vec![read("kernel.toml", "")?, read("libc.toml", extra)?])
    }
}

/// The findings a folder produces, as the CLI would compute them, waivers
/// of the last spec applied.
fn findings_of(dir: &Path, specs: &[Spec]) -> Vec<Finding> {
    let mut findings = match specs {
        [old, new] if dir.join("old.toml").exists() => compat::diff(old, new),
        [s] => {
            let mut f = lint::lint(s);
            f.extend(compat::history(s).into_iter().filter(compat::is_notable));
            f
        }
        [kernel, libc] => compat::sides(kernel, libc).expect("sides").findings,
        _ => unreachable!(),
    };
    let waivers_from = specs.last().expect("a spec");
    let today = Date::today();
    abi_spec::finding::apply_waivers(&mut findings, waivers_from, today);
    let run = match specs {
        [_, _] if dir.join("old.toml").exists() => Run::Diff,
        [_] => Run::Check,
        _ => Run::Compat,
    };
    let about =
        abi_spec::finding::judge_waivers(&findings, waivers_from, today, run, false, || {
            let mut own = lint::lint(waivers_from);
            own.extend(
                compat::history(waivers_from)
                    .into_iter()
                    .filter(compat::is_notable),
            );
            own
        });
    findings.extend(about);
    findings
}

#[test]
fn every_rule_has_a_folder_whose_fixture_triggers_exactly_it() {
    let mut folders: Vec<String> = std::fs::read_dir(fixtures())
        .expect("rules folder")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    folders.sort();
    let mut ids: Vec<&str> = Rule::ALL.iter().map(|r| r.id()).collect();
    ids.sort();
    assert_eq!(folders, ids, "one folder per rule, named by its ID");
    for &rule in Rule::ALL {
        let dir = fixtures().join(rule.id());
        assert!(dir.join("rule.rs").exists(), "{rule}: no rule.rs");
        let specs = specs_of(&dir, "").unwrap_or_else(|e| panic!("{rule}: {e}"));
        let findings = findings_of(&dir, &specs);
        let hit: Vec<&Finding> = findings.iter().filter(|f| f.rule == rule).collect();
        assert!(!hit.is_empty(), "{rule}: not triggered: {findings:#?}");
        assert!(
            hit.iter().all(|f| f.severity == rule.severity()),
            "{rule}: {hit:#?}"
        );
        // No other rule fires at this rule's severity or above.
        let others: Vec<&Finding> = findings
            .iter()
            .filter(|f| f.rule != rule && f.severity <= rule.severity())
            .collect();
        assert!(
            others.is_empty(),
            "{rule}: other rules fire too: {others:#?}"
        );
        let breaking = findings.iter().any(Finding::is_breaking);
        assert_eq!(breaking, rule.severity() == Severity::Breaking, "{rule}");
        // The finding points into a fixture file, at a line.
        assert!(
            hit.iter().all(|f| f.location().is_some_and(|l| l.line > 0)),
            "{rule}"
        );
    }
}

#[test]
fn a_waiver_hides_a_rule_exactly_when_the_catalog_says_it_is_waivable() {
    for &rule in Rule::ALL {
        let dir = fixtures().join(rule.id());
        let waiver = format!(
            "\n[[waiver]]\nrule = \"{}\"\nreason = \"accepted on purpose\"\n",
            rule.id()
        );
        let specs = match specs_of(&dir, &waiver) {
            Ok(specs) => specs,
            // The parser may refuse the waiver itself: then it never applies.
            Err(e) => {
                assert!(!rule.waivable(), "{rule}: waiver refused: {e}");
                assert!(e.contains(rule.id()), "{rule}: {e}");
                continue;
            }
        };
        let findings = findings_of(&dir, &specs);
        let hit: Vec<&Finding> = findings.iter().filter(|f| f.rule == rule).collect();
        assert!(!hit.is_empty(), "{rule}: not triggered with a waiver");
        for f in hit {
            assert_eq!(f.waived.is_some(), rule.waivable(), "{rule}: {f:#?}");
        }
    }
}

#[test]
fn findings_point_at_new_when_the_thing_exists_there() {
    let dir = fixtures().join("FIELD_RETYPED");
    let f = findings_of(&dir, &specs_of(&dir, "").expect("fixture"));
    let loc = f[0].location().expect("location");
    assert!(loc.file.ends_with("new.toml"), "{loc}");
    let dir = fixtures().join("FIELD_REMOVED");
    let f = findings_of(&dir, &specs_of(&dir, "").expect("fixture"));
    let loc = f[0].location().expect("location");
    assert!(loc.file.ends_with("old.toml"), "{loc}");
}

#[test]
fn a_waiver_in_new_accepts_a_breaking_finding() {
    let dir = fixtures().join("FIELD_RETYPED");
    let old = spec(&dir.join("old.toml"));
    let text = std::fs::read_to_string(dir.join("new.toml")).expect("read")
        + "\n[[waiver]]\nrule = \"FIELD_RETYPED\"\nstruct = \"s\"\nfield = \"b\"\nreason = \"never released\"\n";
    let new = abi_spec::parse("new.toml", &text).unwrap_or_else(|e| panic!("{}", e.render(false)));
    let mut f = compat::diff(&old, &new);
    abi_spec::finding::apply_waivers(&mut f, &new, Date::today());
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
    let f = compat::history(&pre);
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
        let f = compat::history(&spec(&release));
        assert!(f.iter().all(|f| !f.is_breaking()), "{f:#?}");
    }
}
