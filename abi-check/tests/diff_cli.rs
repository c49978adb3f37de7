//! `abi-check diff`, `compat` and `check` through the binary: exit codes on
//! every rule fixture, `--deny api`, the output formats (SARIF validated
//! against the official 2.1.0 schema, vendored from the npm package
//! `@microsoft/jest-sarif` as tests/fixtures/sarif-2.1.0-rtm.5.json), and the
//! real Linux histories under examples/linux/.

mod common;

use common::schema::validate;
use common::{json, root, run, stdout};

use std::path::{Path, PathBuf};

use serde_json::Value;

fn rule_dirs() -> Vec<(String, PathBuf)> {
    let mut dirs: Vec<(String, PathBuf)> = std::fs::read_dir(root().join("abi-spec/rules"))
        .expect("fixtures")
        .map(|e| {
            let p = e.expect("entry").path();
            (
                p.file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or_default()
                    .to_string(),
                p,
            )
        })
        .collect();
    dirs.sort();
    dirs
}

/// The command line that exercises a fixture folder.
fn fixture_args(dir: &Path) -> Vec<String> {
    let p = |f: &str| dir.join(f).display().to_string();
    if dir.join("old.toml").exists() {
        vec!["diff".into(), p("old.toml"), p("new.toml")]
    } else if dir.join("spec.toml").exists() {
        vec!["check".into(), p("spec.toml")]
    } else {
        vec!["compat".into(), p("kernel.toml"), p("libc.toml")]
    }
}

fn severity_of(rule: &str) -> String {
    let o = run(&["explain", "--list"]);
    stdout(&o)
        .lines()
        .find(|l| l.split_whitespace().next() == Some(rule))
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap_or_else(|| panic!("{rule} not in the catalog"))
        .to_string()
}

#[test]
fn every_rule_fixture_exits_by_its_severity() {
    for (rule, dir) in rule_dirs() {
        let args = fixture_args(&dir);
        let mut argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = run(&argv);
        let severity = severity_of(&rule);
        let expected = if severity == "breaking" { 1 } else { 0 };
        assert_eq!(o.status.code(), Some(expected), "{rule}: {}", stdout(&o));
        assert!(
            stdout(&o).contains(&format!("[{rule}]")),
            "{rule}: {}",
            stdout(&o)
        );
        argv.extend(["--format", "json"]);
        let v = json(&run(&argv));
        assert_eq!(v["compatible"], expected == 0, "{rule}");
        let findings = v["findings"].as_array().expect("findings");
        assert!(
            findings
                .iter()
                .any(|f| f["rule"] == rule.as_str() && f["severity"] == severity.as_str()),
            "{rule}: {v:#}"
        );
        if args[0] != "compat" {
            argv.push("--deny");
            argv.push("api");
            let denied = run(&argv);
            let expected = if severity == "breaking" || severity == "api" {
                1
            } else {
                0
            };
            assert_eq!(denied.status.code(), Some(expected), "{rule} --deny api");
        }
    }
}

#[test]
fn a_rename_passes_unless_api_is_denied() {
    let dir = root().join("abi-spec/rules/FIELD_RENAMED");
    let (old, new) = (dir.join("old.toml"), dir.join("new.toml"));
    let (old, new) = (old.to_str().expect("utf-8"), new.to_str().expect("utf-8"));
    assert_eq!(run(&["diff", old, new]).status.code(), Some(0));
    assert_eq!(
        run(&["diff", old, new, "--deny", "api"]).status.code(),
        Some(1)
    );
}

#[test]
fn text_output_is_rustc_like_and_points_at_new() {
    let o = run(&[
        "diff",
        "abi-spec/rules/FIELD_RETYPED/old.toml",
        "abi-spec/rules/FIELD_RETYPED/new.toml",
    ]);
    let text = stdout(&o);
    assert!(
        text.starts_with("breaking[FIELD_RETYPED]: `s.b` changed type from `u32` to `i32`"),
        "{text}"
    );
    assert!(
        text.contains("--> abi-spec/rules/FIELD_RETYPED/new.toml:"),
        "{text}"
    );
    assert!(text.contains("^^^^^"), "{text}");
    assert!(text.contains("= help: keep `u32`"), "{text}");
    let github = stdout(&run(&[
        "diff",
        "abi-spec/rules/FIELD_RETYPED/old.toml",
        "abi-spec/rules/FIELD_RETYPED/new.toml",
        "--format",
        "github",
    ]));
    assert!(
        github.starts_with("::error file=abi-spec/rules/FIELD_RETYPED/new.toml,line="),
        "{github}"
    );
}

#[test]
fn a_spec_diffed_with_itself_has_no_finding() {
    let o = run(&["diff", "spec.toml", "spec.toml", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(json(&o)["findings"], Value::Array(Vec::new()));
}

#[test]
fn unusable_input_exits_2_naming_the_file() {
    let o = run(&["diff", "spec.toml", "no/such/file.toml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no/such/file.toml"));
    let o = run(&["compat", "tests/bad/bit64-one-word.toml", "spec.toml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("bit64-one-word.toml:8:7"));
    let o = run(&["diff", "spec.toml"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn the_default_spec_checks_without_warnings() {
    let o = run(&["check", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0));
    let v = json(&o);
    let loud: Vec<&Value> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["severity"] != "info")
        .collect();
    assert!(loud.is_empty(), "{loud:#?}");
}

#[test]
fn every_linux_example_checks_compatible() {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(root().join("examples/linux"))
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    paths.retain(|p| p.extension().is_some_and(|e| e == "toml"));
    paths.sort();
    for path in &paths {
        let o = run(&["check", path.to_str().expect("utf-8"), "--format", "json"]);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}: {}",
            path.display(),
            stdout(&o)
        );
        assert_eq!(json(&o)["compatible"], true, "{}", path.display());
    }
}

#[test]
fn the_rseq_pre_release_is_refused() {
    let o = run(&[
        "check",
        "tests/fixtures/rseq-7.0-prerelease.toml",
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let v = json(&o);
    assert!(
        v["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .any(|f| f["rule"] == "FEATURE_SIZE_AMBIGUOUS" && f["struct"] == "rseq"),
        "{v:#}"
    );
}

#[test]
fn compat_reports_negotiations_and_disagreements() {
    let o = run(&[
        "compat",
        "abi-spec/rules/SIDES_DISAGREE/kernel.toml",
        "abi-spec/rules/SIDES_DISAGREE/libc.toml",
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let v = json(&o);
    assert_eq!(v["compatible"], false);
    assert_eq!(v["kernel"]["version"], 2);
    let n = v["negotiations"].as_array().expect("negotiations");
    assert_eq!(n.len(), 4);
    // A version-2 library on a version-1 kernel: announces 12, gets 4 and f0.
    let old_kernel = n
        .iter()
        .find(|n| n["kernel_version"] == 1 && n["libc_version"] == 2)
        .expect("pair");
    assert_eq!(old_kernel["announced"], 12);
    assert_eq!(old_kernel["length"], 4);
    assert_eq!(old_kernel["version"], 1);
    assert_eq!(old_kernel["features"], serde_json::json!(["f0"]));
    // Both at version 2: the kernel agrees 8 bytes (its version 2), the
    // library, from its own table, 4 (its version 2 is 12 bytes long).
    let both = n
        .iter()
        .find(|n| n["kernel_version"] == 2 && n["libc_version"] == 2)
        .expect("pair");
    assert_eq!(
        (both["length"].as_u64(), both["libc_length"].as_u64()),
        (Some(8), Some(4))
    );
    let f = &v["findings"][0];
    assert_eq!(f["rule"], "SIDES_DISAGREE");
    assert_eq!(f["struct"], "s");
    // Two copies of one spec agree on everything.
    let same = run(&["compat", "spec.toml", "spec.toml"]);
    assert_eq!(same.status.code(), Some(0), "{}", stdout(&same));
    assert!(stdout(&same).contains("struct tlabi_area:"));
}

#[test]
fn compat_with_a_fork_that_named_a_bit_otherwise_is_source_breaking() {
    let dir = std::env::temp_dir().join(format!("abi-check-fork-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch");
    let kernel = "[abi]\nname = \"t\"\nversion = 2\n[[feature]]\nname = \"a\"\nbit = 0\n[[feature]]\nname = \"b\"\nbit = 1\nsince = 2\n[[struct]]\nname = \"s\"\nwriter = \"kernel\"\n[[struct.field]]\nname = \"x\"\ntype = \"u32\"\nfeature = \"a\"\n";
    let libc = kernel.replace("name = \"b\"", "name = \"fork_thing\"");
    std::fs::write(dir.join("kernel.toml"), kernel).expect("write");
    std::fs::write(dir.join("libc.toml"), libc).expect("write");
    let o = run(&[
        "compat",
        dir.join("kernel.toml").to_str().expect("utf-8"),
        dir.join("libc.toml").to_str().expect("utf-8"),
        "--format",
        "json",
    ]);
    // Same bit, same history, another name: what binaries announce agrees.
    assert_eq!(o.status.code(), Some(0));
    let v = json(&o);
    assert_eq!(v["findings"][0]["rule"], "FEATURE_RENAMED", "{v:#}");
    // A bit the library gives to a feature of another history is reused.
    std::fs::write(
        dir.join("libc.toml"),
        kernel.replace(
            "name = \"b\"\nbit = 1\nsince = 2",
            "name = \"fork_thing\"\nbit = 1\nsince = 1",
        ),
    )
    .expect("write");
    let o = run(&[
        "compat",
        dir.join("kernel.toml").to_str().expect("utf-8"),
        dir.join("libc.toml").to_str().expect("utf-8"),
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let v = json(&o);
    assert_eq!(v["findings"][0]["rule"], "FEATURE_BIT_REUSED", "{v:#}");
}

#[test]
fn sarif_output_follows_the_2_1_0_schema() {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("tests/fixtures/sarif-2.1.0-rtm.5.json"))
            .expect("vendored schema"),
    )
    .expect("schema is JSON");
    // A breaking finding, an api finding, a waived finding, info findings.
    let waived_dir = std::env::temp_dir().join(format!("abi-check-sarif-{}", std::process::id()));
    std::fs::create_dir_all(&waived_dir).expect("scratch");
    let new = std::fs::read_to_string(root().join("abi-spec/rules/FIELD_RETYPED/new.toml"))
        .expect("read")
        + "\n[[waiver]]\nrule = \"FIELD_RETYPED\"\nreason = \"never released\"\n";
    let waived_new = waived_dir.join("new with space.toml");
    std::fs::write(&waived_new, new).expect("write");
    let cases: Vec<Vec<String>> = vec![
        fixture_args(&root().join("abi-spec/rules/FIELD_MOVED")),
        fixture_args(&root().join("abi-spec/rules/FIELD_RENAMED")),
        fixture_args(&root().join("abi-spec/rules/RESERVED_CLAIMED")),
        vec![
            "diff".into(),
            "abi-spec/rules/FIELD_RETYPED/old.toml".into(),
            waived_new.display().to_string(),
        ],
        vec![
            "check".into(),
            "abi-spec/rules/TARGET_LAYOUT_DIVERGES/spec.toml".into(),
        ],
    ];
    for mut args in cases {
        args.extend(["--format".to_string(), "sarif".to_string()]);
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = run(&argv);
        let log = json(&o);
        let mut errors = Vec::new();
        validate(&schema, &schema, &log, "$", &mut errors);
        assert!(errors.is_empty(), "{args:?}: {errors:#?}");
        assert_eq!(log["version"], "2.1.0");
        if args[2].contains("with space") {
            let result = &log["runs"][0]["results"][0];
            assert_eq!(result["suppressions"][0]["justification"], "never released");
            let uri = &result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"];
            assert!(
                uri.as_str()
                    .is_some_and(|u| u.ends_with("new%20with%20space.toml")),
                "{uri}"
            );
        }
        let run0 = &log["runs"][0];
        assert_eq!(run0["tool"]["driver"]["name"], "abi-check");
        let rules = run0["tool"]["driver"]["rules"].as_array().expect("rules");
        for result in run0["results"].as_array().expect("results") {
            let index = result["ruleIndex"].as_u64().expect("index") as usize;
            assert_eq!(rules[index]["id"], result["ruleId"]);
            let loc = &result["locations"][0]["physicalLocation"];
            assert!(loc["artifactLocation"]["uri"].is_string());
            assert!(loc["region"]["startLine"].as_u64().is_some_and(|l| l > 0));
        }
    }
    let _ = std::fs::remove_dir_all(&waived_dir);
    // The validator is not a rubber stamp.
    let bad = serde_json::json!({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}},
        "results": [{"ruleId": "X", "level": "fatal"}]}]});
    let mut errors = Vec::new();
    validate(&schema, &schema, &bad, "$", &mut errors);
    assert!(errors.iter().any(|e| e.contains("fatal")), "{errors:#?}");
    assert!(errors.iter().any(|e| e.contains("message")), "{errors:#?}");
}
