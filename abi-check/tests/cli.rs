//! The command line as users and scripts see it: output pinned by snapshots,
//! JSON shapes of the contract, exit codes, waivers.

mod common;

use common::{run, stdout};

use std::path::PathBuf;
use std::process::Command;

/// Writes a spec into a scratch directory and returns its path.
fn scratch_spec(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("abi-check-cli-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(&path, text).expect("write spec");
    path
}

#[test]
fn default_spec_checks_clean() {
    let o = run(&["check"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    insta::assert_snapshot!("check_default", stdout(&o));
}

#[test]
fn check_json_has_the_contract_shape() {
    let o = run(&["check", "spec.toml", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["compatible"], true);
    assert!(v["findings"].as_array().expect("findings").is_empty());
}

#[test]
fn layout_text_is_pahole_style() {
    let o = run(&["layout", "--struct", "tlabi_area"]);
    assert_eq!(o.status.code(), Some(0));
    insta::assert_snapshot!("layout_tlabi_area", stdout(&o));
}

#[test]
fn layout_markdown() {
    let o = run(&["layout", "--format", "markdown", "--version", "2"]);
    assert_eq!(o.status.code(), Some(0));
    insta::assert_snapshot!("layout_markdown_v2", stdout(&o));
}

#[test]
fn layout_json_has_the_contract_shape() {
    let o = run(&["layout", "spec.toml", "--format", "json", "--target", "all"]);
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["abi"], "tlabi");
    assert_eq!(v["version"], 4);
    let layouts = v["layouts"].as_array().expect("layouts");
    // Two structs, twenty targets, newest version.
    assert_eq!(layouts.len(), 40);
    let area = &layouts[0];
    for key in [
        "struct",
        "target",
        "version",
        "size",
        "feature_size",
        "align",
        "fields",
        "holes",
    ] {
        assert!(area.get(key).is_some(), "missing {key}");
    }
    assert_eq!(
        (area["struct"].as_str(), area["target"].as_str()),
        (Some("tlabi_area"), Some("x86_64"))
    );
    assert_eq!(
        (
            area["size"].as_u64(),
            area["feature_size"].as_u64(),
            area["align"].as_u64()
        ),
        (Some(32), Some(32), Some(32))
    );
    let field = &area["fields"][2];
    for key in [
        "name", "type", "offset", "size", "align", "since", "feature",
    ] {
        assert!(field.get(key).is_some(), "missing field key {key}");
    }
    assert_eq!(field["name"], "rseq_cs");
    assert_eq!(field["offset"], 8);
    assert_eq!(field["feature"], "rseq");
}

#[test]
fn explain_prints_the_catalog_entry() {
    let o = run(&["explain", "feature_size_ambiguous"]);
    assert_eq!(o.status.code(), Some(0));
    let text = stdout(&o);
    assert!(text.starts_with("FEATURE_SIZE_AMBIGUOUS (breaking)"));
    assert!(text.contains("Fix:"));
    // One line per rule of the catalog, every contract rule among them.
    let list = stdout(&run(&["explain", "--list"]));
    assert_eq!(list.lines().count(), abi_spec::Rule::ALL.len());
    for id in [
        "FIELD_REMOVED",
        "FEATURE_SIZE_AMBIGUOUS",
        "RESERVED_CLAIMED",
        "IMPLICIT_PADDING",
    ] {
        assert!(list.lines().any(|l| l.starts_with(id)), "{id} missing");
    }
}

const DIVERGING: &str = "[abi]\nname = \"t\"\nversion = 1\n[[struct]]\nname = \"s\"\n\
[[struct.field]]\nname = \"a\"\ntype = \"u32\"\n[[struct.field]]\nname = \"b\"\ntype = \"u64\"\n";

#[test]
fn a_layout_that_differs_between_targets_exits_1() {
    let spec = scratch_spec("diverging", DIVERGING);
    let o = run(&["check", spec.to_str().expect("utf-8")]);
    assert_eq!(o.status.code(), Some(1));
    let text = stdout(&o);
    assert!(text.contains("breaking[TARGET_LAYOUT_DIVERGES]"), "{text}");
    assert!(text.contains("diverging.toml:10:8"), "{text}");
    assert!(text.contains("= help:"), "{text}");
    let json = run(&["check", spec.to_str().expect("utf-8"), "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).expect("json");
    assert_eq!(v["compatible"], false);
    let f = &v["findings"][0];
    assert_eq!(f["rule"], "TARGET_LAYOUT_DIVERGES");
    assert_eq!(f["severity"], "breaking");
    assert_eq!(f["struct"], "s");
    assert_eq!(f["field"], "b");
    assert_eq!(f["location"]["line"], 10);
    assert_eq!(f["waived"], false);
    let github = stdout(&run(&[
        "check",
        spec.to_str().expect("utf-8"),
        "--format",
        "github",
    ]));
    assert!(github.starts_with("::error file="), "{github}");
    assert!(github.contains(",line=10,"), "{github}");
}

#[test]
fn waivers_accept_findings_until_they_expire() {
    let waived = format!(
        "{DIVERGING}[[waiver]]\nrule = \"TARGET_LAYOUT_DIVERGES\"\nstruct = \"s\"\nreason = \"legacy i386 layout\"\n\
         [[waiver]]\nrule = \"IMPLICIT_PADDING\"\nstruct = \"s\"\nreason = \"known hole\"\nexpires = \"2020-01-01\"\n"
    );
    let spec = scratch_spec("waived", &waived);
    let o = run(&["check", spec.to_str().expect("utf-8"), "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let findings = v["findings"].as_array().expect("findings");
    let diverges = findings
        .iter()
        .find(|f| f["rule"] == "TARGET_LAYOUT_DIVERGES")
        .expect("still listed");
    assert_eq!(diverges["waived"], true);
    // The expired waiver no longer hides the padding warning.
    let padding = findings
        .iter()
        .find(|f| f["rule"] == "IMPLICIT_PADDING")
        .expect("listed");
    assert_eq!(padding["waived"], false);
    let deny = run(&["check", spec.to_str().expect("utf-8"), "--deny", "warnings"]);
    assert_eq!(deny.status.code(), Some(1));
}

#[test]
fn no_color_when_piped() {
    let spec = scratch_spec("color", DIVERGING);
    let o = Command::new(env!("CARGO_BIN_EXE_abi-check"))
        .args(["check", spec.to_str().expect("utf-8")])
        .env_remove("NO_COLOR")
        .output()
        .expect("runs");
    assert!(!stdout(&o).contains('\x1b'));
}
