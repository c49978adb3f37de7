//! `[abi] unreleased = true`: the newest version is still being made, so
//! `diff` judges a change against the last released version only; and the
//! marker cannot hide a change to a version that was released.

use abi_spec::{compat, parse, Finding, Rule, Spec};

fn spec(name: &str, version: u32, unreleased: bool, fields: &str) -> Spec {
    let text = format!(
        "[abi]\nname = \"demo\"\nversion = {version}\nfirst_version = 1\nunreleased = {unreleased}\n\
         [[feature]]\nname = \"f0\"\nbit = 0\nsince = 1\n\
         [[struct]]\nname = \"s\"\nwriter = \"kernel\"\n\
         [[struct.field]]\nname = \"a\"\ntype = \"u64\"\nalign = 8\nfeature = \"f0\"\n\
         [[struct.field]]\nname = \"b\"\ntype = \"u64\"\nalign = 8\nsince = 2\nfeature = \"f0\"\n{fields}"
    );
    parse(name, &text).unwrap_or_else(|e| panic!("{}", e.render(false)))
}

fn c_field(ty: &str) -> String {
    format!(
        "[[feature]]\nname = \"f1\"\nbit = 1\nsince = 3\n\
         [[struct.field]]\nname = \"c\"\ntype = \"{ty}\"\nsince = 3\nfeature = \"f1\"\n"
    )
}

fn breaking(findings: &[Finding]) -> Vec<Rule> {
    findings
        .iter()
        .filter(|f| f.is_breaking())
        .map(|f| f.rule)
        .collect()
}

#[test]
fn an_unreleased_version_can_be_undone() {
    // OLD added `c` in version 3, not released; NEW goes back to version 2.
    let old = spec("old.toml", 3, true, &c_field("u64"));
    let new = spec("new.toml", 2, false, "");
    assert_eq!(breaking(&compat::diff(&old, &new)), []);
    // Without the marker, the same revert breaks three ways, none waivable.
    let released = spec("old.toml", 3, false, &c_field("u64"));
    let rules = breaking(&compat::diff(&released, &new));
    for rule in [
        Rule::FIELD_REMOVED,
        Rule::STRUCT_SHRUNK,
        Rule::VERSION_DECREASED,
    ] {
        assert!(rules.contains(&rule), "{rule}: {rules:?}");
    }
}

#[test]
fn an_unreleased_version_can_change() {
    let old = spec("old.toml", 3, true, &c_field("u64"));
    let new = spec("new.toml", 3, true, &c_field("u32"));
    assert_eq!(breaking(&compat::diff(&old, &new)), []);
    // Released at last, as changed: still judged against version 2 only.
    let new = spec("new.toml", 3, false, &c_field("u32"));
    assert_eq!(breaking(&compat::diff(&old, &new)), []);
}

#[test]
fn the_marker_cannot_hide_a_change_to_a_released_version() {
    // OLD released version 3; NEW calls it unreleased and retypes `c`.
    let old = spec("old.toml", 3, false, &c_field("u64"));
    let new = spec("new.toml", 3, true, &c_field("u32"));
    let rules = breaking(&compat::diff(&old, &new));
    assert!(rules.contains(&Rule::HISTORY_REWRITTEN), "{rules:?}");
    assert!(rules.contains(&Rule::FIELD_RETYPED), "{rules:?}");
    // And an unreleased version 3 does not let NEW change version 2.
    let old = spec("old.toml", 3, true, &c_field("u64"));
    let new = parse(
        "new.toml",
        &spec("x", 3, true, &c_field("u64")).source.text().replace(
            "name = \"b\"\ntype = \"u64\"",
            "name = \"b\"\ntype = \"i64\"",
        ),
    )
    .unwrap_or_else(|e| panic!("{}", e.render(false)));
    let rules = breaking(&compat::diff(&old, &new));
    assert!(rules.contains(&Rule::FIELD_RETYPED), "{rules:?}");
}

#[test]
fn nothing_released_is_a_new_abi() {
    let text = spec("x", 2, false, "").source.text().replace(
        "[[struct.field]]\nname = \"b\"\ntype = \"u64\"\nalign = 8\nsince = 2\nfeature = \"f0\"\n",
        "",
    );
    let old = parse(
        "old.toml",
        &text
            .replace("version = 2", "version = 1")
            .replace("unreleased = false", "unreleased = true"),
    )
    .unwrap_or_else(|e| panic!("{}", e.render(false)));
    let new = spec("new.toml", 2, false, "");
    let findings = compat::diff(&old, &new);
    assert_eq!(breaking(&findings), []);
    assert!(findings.iter().any(|f| f.rule == Rule::STRUCT_ADDED));
}
