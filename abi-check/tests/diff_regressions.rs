//! Diffs that once came out wrong, each pinned by its fixture pair under
//! tests/fixtures/regressions/.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

fn diff(old: &str, new: &str) -> (i32, Value) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/regressions");
    let o = Command::new(env!("CARGO_BIN_EXE_abi-check"))
        .args(["diff", old, new, "--format", "json"])
        .current_dir(dir)
        .output()
        .expect("abi-check runs");
    let json = serde_json::from_slice(&o.stdout).expect("json output");
    (o.status.code().unwrap_or(-1), json)
}

/// The unwaived findings' rules.
fn live_rules(v: &Value) -> Vec<String> {
    v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["waived"] == false)
        .map(|f| f["rule"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn a_history_rewrite_waiver_cannot_hide_a_published_version_shrinking() {
    // `b` moved from version 1 to version 2: version 1 lost a field and 8
    // bytes. The HISTORY_REWRITTEN waiver applies; the shrink cannot be waived.
    let (code, v) = diff("history-old.toml", "history-waived-shrink.toml");
    assert_eq!(code, 1);
    let rules = live_rules(&v);
    assert!(rules.contains(&"STRUCT_SHRUNK".to_string()), "{rules:?}");
    assert!(rules.contains(&"FIELD_REMOVED".to_string()), "{rules:?}");
}

#[test]
fn a_field_retired_under_its_name_must_keep_all_its_bytes_reserved() {
    // `b` (8 bytes) became a 4-byte reserved `b` and a live `c` took the rest.
    let (code, v) = diff("retire-old.toml", "retire-partly.toml");
    assert_eq!(code, 1);
    assert!(
        live_rules(&v).contains(&"FIELD_REMOVED".to_string()),
        "{v:#}"
    );
}

#[test]
fn a_field_retired_as_two_reserved_pieces_is_retired_not_removed() {
    // Every byte of `b` stays reserved: FIELD_RETIRED (breaking, but
    // waivable: the kernel may have stopped filling it on purpose), never
    // FIELD_REMOVED, which no waiver hides.
    let (code, v) = diff("retire-old.toml", "retire-in-two-halves.toml");
    assert_eq!(code, 1, "{v:#}");
    assert_eq!(live_rules(&v), ["FIELD_RETIRED"], "{v:#}");
}

#[test]
fn a_waiver_for_one_target_does_not_hide_a_finding_on_every_target() {
    let (code, v) = diff("waiver-target-old.toml", "waiver-target-i386.toml");
    assert_eq!(code, 1);
    assert!(
        live_rules(&v).contains(&"FIELD_RETYPED".to_string()),
        "{v:#}"
    );
}

#[test]
fn every_moved_feature_bit_is_reported() {
    let (code, v) = diff("bits-old.toml", "bits-two-moved.toml");
    assert_eq!(code, 1);
    let moved: Vec<&Value> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["rule"] == "FEATURE_BIT_CHANGED")
        .collect();
    assert_eq!(moved.len(), 2, "{v:#}");
    assert_eq!(moved[0]["feature"], "f0");
    assert_eq!(moved[1]["feature"], "f1");
}
