//! The single-spec lints fire where they should, and only there.

use abi_spec::{lint::lint, parse, Rule};

fn findings(body: &str) -> Vec<abi_spec::Finding> {
    let text = format!("[abi]\nname = \"t\"\nversion = 1\n{body}");
    lint(&parse("t.toml", &text).unwrap_or_else(|e| panic!("{}", e.render(false))))
}

#[test]
fn u64_after_u32_diverges_between_targets() {
    let f = findings("[[struct]]\nname = \"s\"\n[[struct.field]]\nname = \"a\"\ntype = \"u32\"\n[[struct.field]]\nname = \"b\"\ntype = \"u64\"\n");
    let diverges: Vec<_> = f
        .iter()
        .filter(|f| f.rule == Rule::TARGET_LAYOUT_DIVERGES)
        .collect();
    assert_eq!(diverges.len(), 1, "{f:#?}");
    assert_eq!(diverges[0].field.as_deref(), Some("b"));
    assert!(
        diverges[0].message.contains("; 4 on i386, sh4, m68k"),
        "{}",
        diverges[0].message
    );
    // The hole exists on the 8-aligning targets only.
    let padding: Vec<_> = f
        .iter()
        .filter(|f| f.rule == Rule::IMPLICIT_PADDING)
        .collect();
    assert_eq!(padding.len(), 1);
    assert!(!padding[0].targets.contains(&abi_spec::Target::I386));
}

#[test]
fn restricting_targets_silences_divergence() {
    let text = "[abi]\nname = \"t\"\nversion = 1\ntargets = [\"x86_64\", \"aarch64\"]\n[[struct]]\nname = \"s\"\n[[struct.field]]\nname = \"a\"\ntype = \"u32\"\n[[struct.field]]\nname = \"b\"\ntype = \"u64\"\n";
    let f = lint(&parse("t.toml", text).unwrap());
    assert!(
        f.iter().all(|f| f.rule != Rule::TARGET_LAYOUT_DIVERGES),
        "{f:#?}"
    );
    assert!(f.iter().any(|f| f.rule == Rule::IMPLICIT_PADDING));
}

#[test]
fn tail_padding_and_non_portable_types() {
    let f = findings("[[struct]]\nname = \"s\"\n[[struct.field]]\nname = \"p\"\ntype = \"ptr\"\n[[struct.field]]\nname = \"x\"\ntype = \"f64\"\n[[struct.field]]\nname = \"c\"\ntype = \"u8\"\n");
    assert_eq!(
        f.iter()
            .filter(|f| f.rule == Rule::NON_PORTABLE_TYPE)
            .count(),
        2
    );
    assert!(f
        .iter()
        .any(|f| f.rule == Rule::IMPLICIT_PADDING && f.message.contains("tail padding")));
}

#[test]
fn explicit_reserved_fields_leave_nothing_to_report() {
    let f = findings("[[struct]]\nname = \"s\"\n[[struct.field]]\nname = \"a\"\ntype = \"u32\"\n[[struct.field]]\nname = \"__reserved\"\ntype = \"u32\"\nreserved = true\n[[struct.field]]\nname = \"b\"\ntype = \"u64\"\nalign = 8\n");
    assert!(f.is_empty(), "{f:#?}");
}
