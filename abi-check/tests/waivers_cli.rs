//! Waivers that cannot rot: a waiver that matches no finding
//! (WAIVER_UNUSED) or whose date has passed (WAIVER_EXPIRED) is a warning,
//! and with `--strict-waivers` an error (exit 1), in every format and in
//! every command that applies waivers (check, diff, compat, verify,
//! changed). Which waivers each command judges is docs/spec-format.md's
//! "Waivers".

mod common;
mod gitrepo;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::schema::{sarif, validate};
use common::{json, root, stdout};
use serde_json::Value;

/// A fresh directory for this test's files.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("abi-check-waivers-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write spec");
    path.display().to_string()
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_abi-check"))
        .args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .output()
        .expect("abi-check runs")
}

/// A struct of two u32: no padding, nothing to report.
const TIGHT: &str = r#"[abi]
name = "demo"
version = 1

[[struct]]
name = "s"

[[struct.field]]
name = "a"
type = "u32"
since = 1

[[struct.field]]
name = "b"
type = "u32"
since = 1
"#;

/// A u32 then a u64: 4 bytes of padding at offset 4 (IMPLICIT_PADDING);
/// on x86_64 alone, where no other target lays it out differently.
const PADDED: &str = r#"[abi]
name = "demo"
version = 1
targets = ["x86_64"]

[[struct]]
name = "s"

[[struct.field]]
name = "a"
type = "u32"
since = 1

[[struct.field]]
name = "b"
type = "u64"
since = 1
"#;

fn waiver(rule: &str, expires: Option<&str>) -> String {
    let mut w = format!(
        "\n[[waiver]]\nrule = \"{rule}\"\nstruct = \"s\"\nreason = \"accepted on purpose\"\n"
    );
    if let Some(date) = expires {
        w.push_str(&format!("expires = \"{date}\"\n"));
    }
    w
}

/// The line of the `[[waiver]]` header in `text` (1-based).
fn waiver_line(text: &str) -> usize {
    text.lines()
        .position(|l| l.trim() == "[[waiver]]")
        .expect("a waiver")
        + 1
}

/// The findings of a JSON report with this rule.
fn of_rule<'a>(v: &'a Value, rule: &str) -> Vec<&'a Value> {
    v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["rule"] == rule)
        .collect()
}

/// Runs `args` in every finding format, without and with
/// `--strict-waivers`, and checks that `rule` is reported at `line` of
/// `file`: a warning exiting 0, an error exiting 1.
fn assert_reported_in_every_format(args: &[&str], rule: &str, file: &str, line: usize) {
    let schema = sarif();
    for strict in [false, true] {
        let with = |extra: &[&str]| {
            let mut argv: Vec<&str> = args.to_vec();
            argv.extend_from_slice(extra);
            if strict {
                argv.push("--strict-waivers");
            }
            run(&argv)
        };
        let code = Some(i32::from(strict));
        let (severity, level, github) = if strict {
            ("breaking", "error", "::error ")
        } else {
            ("warning", "warning", "::warning ")
        };

        let o = with(&[]);
        let text = stdout(&o);
        assert_eq!(o.status.code(), code, "{args:?} strict={strict}: {text}");
        assert!(
            text.contains(&format!("{severity}[{rule}]")),
            "{args:?}: {text}"
        );
        assert!(text.contains(&format!("{file}:{line}:1")), "{text}");

        let v = json(&with(&["--format", "json"]));
        assert_eq!(v["compatible"], !strict, "{v:#}");
        let hit = of_rule(&v, rule);
        assert_eq!(hit.len(), 1, "{v:#}");
        assert_eq!(hit[0]["severity"], severity, "{v:#}");
        assert_eq!(hit[0]["location"]["line"], line, "{v:#}");
        assert_eq!(hit[0]["waived"], false);

        let o = with(&["--format", "sarif"]);
        assert_eq!(o.status.code(), code);
        let log = json(&o);
        let mut errors = Vec::new();
        validate(&schema, &schema, &log, "$", &mut errors);
        assert!(errors.is_empty(), "{errors:#?}");
        let results = log["runs"][0]["results"].as_array().expect("results");
        let result = results
            .iter()
            .find(|r| r["ruleId"] == rule)
            .unwrap_or_else(|| panic!("{rule} not in {log:#}"));
        assert_eq!(result["level"], level, "{result:#}");
        assert_eq!(
            result["locations"][0]["physicalLocation"]["region"]["startLine"],
            line
        );
        let rules = log["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .expect("rules");
        assert!(rules.iter().any(|r| r["id"] == rule), "{log:#}");

        let o = with(&["--format", "github"]);
        assert_eq!(o.status.code(), code);
        let lines = stdout(&o);
        assert!(
            lines.lines().any(|l| l.starts_with(github)
                && l.contains(&format!("line={line},"))
                && l.contains(&format!("title={rule}"))),
            "{lines}"
        );

        let o = with(&["--format", "markdown"]);
        assert_eq!(o.status.code(), code);
        let md = stdout(&o);
        assert!(md.contains(rule), "{md}");
    }
}

#[test]
fn an_unused_waiver_is_a_warning_and_with_strict_waivers_an_error() {
    let dir = scratch("unused");
    let text = format!("{TIGHT}{}", waiver("IMPLICIT_PADDING", None));
    let spec = write(&dir, "spec.toml", &text);
    assert_reported_in_every_format(
        &["check", &spec],
        "WAIVER_UNUSED",
        &spec,
        waiver_line(&text),
    );
    let v = json(&run(&["check", &spec, "--format", "json"]));
    let hit = of_rule(&v, "WAIVER_UNUSED");
    let message = hit[0]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("IMPLICIT_PADDING") && message.contains("`s`"),
        "{message}"
    );
    assert_eq!(hit[0]["struct"], "s");
}

#[test]
fn an_expired_waiver_says_its_date_and_its_findings_come_back() {
    let dir = scratch("expired");
    let text = format!("{PADDED}{}", waiver("IMPLICIT_PADDING", Some("2020-01-31")));
    let spec = write(&dir, "spec.toml", &text);
    assert_reported_in_every_format(
        &["check", &spec],
        "WAIVER_EXPIRED",
        &spec,
        waiver_line(&text),
    );
    let v = json(&run(&["check", &spec, "--format", "json"]));
    let expired = of_rule(&v, "WAIVER_EXPIRED");
    let message = expired[0]["message"].as_str().unwrap_or_default();
    assert!(message.contains("expired on 2020-01-31"), "{message}");
    assert!(message.contains("reported again"), "{message}");
    // The padding it accepted is reported again, and not waived.
    let padding = of_rule(&v, "IMPLICIT_PADDING");
    assert!(!padding.is_empty(), "{v:#}");
    assert!(padding.iter().all(|f| f["waived"] == false), "{v:#}");
    // An expired waiver is not also "unused".
    assert!(of_rule(&v, "WAIVER_UNUSED").is_empty(), "{v:#}");
}

#[test]
fn a_waiver_in_force_that_matches_is_quiet_even_when_strict() {
    let dir = scratch("used");
    for expires in [None, Some("2999-12-31")] {
        let text = format!("{PADDED}{}", waiver("IMPLICIT_PADDING", expires));
        let spec = write(&dir, "spec.toml", &text);
        let o = run(&["check", &spec, "--strict-waivers", "--format", "json"]);
        assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
        let v = json(&o);
        assert!(of_rule(&v, "WAIVER_UNUSED").is_empty(), "{v:#}");
        assert!(of_rule(&v, "WAIVER_EXPIRED").is_empty(), "{v:#}");
        assert!(
            of_rule(&v, "IMPLICIT_PADDING")
                .iter()
                .all(|f| f["waived"] == true),
            "{v:#}"
        );
    }
}

#[test]
fn a_rule_id_spelled_in_lower_case_matches_its_findings() {
    let dir = scratch("spelling");
    let text = format!("{PADDED}{}", waiver("implicit-padding", None));
    let spec = write(&dir, "spec.toml", &text);
    let v = json(&run(&[
        "check",
        &spec,
        "--strict-waivers",
        "--format",
        "json",
    ]));
    assert_eq!(v["compatible"], true, "{v:#}");
    assert!(of_rule(&v, "WAIVER_UNUSED").is_empty(), "{v:#}");
}

#[test]
fn the_waiver_rules_cannot_be_waived() {
    let dir = scratch("meta");
    for rule in ["WAIVER_UNUSED", "WAIVER_EXPIRED"] {
        let text = format!("{TIGHT}{}", waiver(rule, None));
        let spec = write(&dir, "spec.toml", &text);
        let o = run(&["check", &spec]);
        assert_eq!(o.status.code(), Some(2));
        let err = common::stderr(&o);
        assert!(err.contains(&format!("{rule} cannot be waived")), "{err}");
    }
}

/// NEW retypes `b`, OLD's is a u32.
fn retyped() -> String {
    TIGHT.replace(
        "name = \"b\"\ntype = \"u32\"",
        "name = \"b\"\ntype = \"i32\"",
    )
}

#[test]
fn diff_judges_new_waivers_of_comparison_rules_and_check_leaves_them() {
    let dir = scratch("diff");
    let old = write(&dir, "old.toml", TIGHT);
    let retype = format!("{}{}", retyped(), waiver("FIELD_RETYPED", None));
    let new = write(&dir, "new.toml", &retype);
    // The change needs the waiver: used, the diff passes.
    let o = run(&["diff", &old, &new, "--strict-waivers", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    // `check` cannot see what a change does: it does not call the waiver
    // unused, so a spec that needs it for `diff` passes `check` too.
    let o = run(&["check", &new, "--strict-waivers", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(of_rule(&json(&o), "WAIVER_UNUSED").is_empty());
    // Once released, the next diff has nothing to accept: it rotted.
    let released = write(&dir, "released.toml", &retype);
    assert_reported_in_every_format(
        &["diff", &new, &released],
        "WAIVER_UNUSED",
        &released,
        waiver_line(&retype),
    );
}

#[test]
fn diff_counts_a_waiver_of_the_specs_own_findings_as_used_when_old_had_them_too() {
    let dir = scratch("old-fault");
    // OLD has the padding already, so the diff does not report it: the
    // waiver still matches NEW's own finding, and is used.
    let old = write(&dir, "old.toml", PADDED);
    let text = format!("{PADDED}{}", waiver("IMPLICIT_PADDING", None));
    let new = write(&dir, "new.toml", &text);
    let o = run(&["diff", &old, &new, "--strict-waivers", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(of_rule(&json(&o), "WAIVER_UNUSED").is_empty());
}

#[test]
fn compat_judges_the_librarys_waivers() {
    let rules = root().join("abi-spec/rules/SIDES_DISAGREE");
    let kernel = rules.join("kernel.toml").display().to_string();
    let libc_text = std::fs::read_to_string(rules.join("libc.toml")).expect("fixture")
        + &waiver("SIDES_DISAGREE", None);
    let dir = scratch("compat");
    let libc = write(&dir, "libc.toml", &libc_text);
    // The fork needs its waiver against this kernel.
    let o = run(&[
        "compat",
        &kernel,
        &libc,
        "--strict-waivers",
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    // Against itself there is nothing to accept.
    let o = run(&["compat", &libc, &libc, "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let v = json(&o);
    let unused = of_rule(&v, "WAIVER_UNUSED");
    assert_eq!(unused.len(), 1, "{v:#}");
    assert_eq!(unused[0]["location"]["line"], waiver_line(&libc_text));
    let o = run(&["compat", &libc, &libc, "--strict-waivers"]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("breaking[WAIVER_UNUSED]"),
        "{}",
        stdout(&o)
    );
    // `check` never judges SIDES_DISAGREE: only compat sees both sides.
    let o = run(&["check", &libc, "--strict-waivers"]);
    assert!(!stdout(&o).contains("WAIVER_UNUSED"), "{}", stdout(&o));
}

#[test]
#[cfg_attr(no_gcc, ignore = "needs gcc")]
fn verify_judges_the_specs_waivers() {
    let dir = scratch("verify");
    let c = dir.join("s.c");
    std::fs::write(&c, "struct s { unsigned a; unsigned b; }; struct s x;\n").expect("write C");
    let o = dir.join("s.o");
    let out = Command::new(abi_test_tools::require("gcc"))
        .args(["-g", "-c", "-o"])
        .arg(&o)
        .arg(&c)
        .output()
        .expect("gcc runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let elf = o.display().to_string();
    let text = format!("{TIGHT}{}", waiver("IMPLICIT_PADDING", Some("2020-01-31")));
    let spec = write(&dir, "spec.toml", &text);
    let r = run(&["verify", &spec, "--elf", &elf, "--format", "json"]);
    assert_eq!(r.status.code(), Some(0), "{}", stdout(&r));
    assert_eq!(of_rule(&json(&r), "WAIVER_EXPIRED").len(), 1);
    let r = run(&["verify", &spec, "--elf", &elf, "--strict-waivers"]);
    assert_eq!(r.status.code(), Some(1), "{}", stdout(&r));
    assert!(
        stdout(&r).contains("breaking[WAIVER_EXPIRED]"),
        "{}",
        stdout(&r)
    );
}

#[test]
fn a_bare_toml_date_is_an_expiry_date_too() {
    let dir = scratch("bare-date");
    let text = format!(
        "{TIGHT}\n[[waiver]]\nrule = \"IMPLICIT_PADDING\"\nreason = \"r\"\nexpires = 2020-01-31\n"
    );
    let spec = write(&dir, "spec.toml", &text);
    let v = json(&run(&["check", &spec, "--format", "json"]));
    let expired = of_rule(&v, "WAIVER_EXPIRED");
    assert_eq!(expired.len(), 1, "{v:#}");
    // A date with a time is no date.
    let text = text.replace("2020-01-31", "2020-01-31T10:00:00");
    let spec = write(&dir, "spec.toml", &text);
    let o = run(&["check", &spec]);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    assert!(
        common::stderr(&o).contains("invalid type"),
        "{}",
        common::stderr(&o)
    );
}

#[test]
#[cfg_attr(no_git, ignore = "needs git")]
fn changed_judges_the_branchs_waivers_as_diff_does() {
    use gitrepo::{abi_check, commit_file, git, init, temp, V1, V2};
    let tmp = temp();
    let repo = tmp.path();
    init(repo);
    commit_file(repo, "specs/demo.toml", V1, "demo v1");
    git(repo, &["checkout", "-q", "-b", "topic"]);
    // The branch grows the struct, and waives a retype that never happened.
    let text = format!(
        "{V2}\n[[waiver]]\nrule = \"FIELD_RETYPED\"\nstruct = \"s\"\nfield = \"a\"\nreason = \"r\"\n"
    );
    commit_file(repo, "specs/demo.toml", &text, "demo v2");
    let o = abi_check(repo, &["changed", "--base", "main", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let o = abi_check(repo, &["changed", "--base", "main", "--strict-waivers"]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(
        stdout(&o).contains(
            "breaking[WAIVER_UNUSED]: the waiver of FIELD_RETYPED on `s.a` matches no finding"
        ),
        "{}",
        stdout(&o)
    );
}
