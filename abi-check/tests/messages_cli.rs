//! Messages that help: an unknown name in a spec file or on the command
//! line is answered with the closest known one ("did you mean"), and the
//! advice fits the mistake.

mod common;

use std::path::PathBuf;

use common::{run, stderr};

fn scratch(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("abi-check-messages-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

const SPEC: &str = r#"[abi]
name = "demo"
version = 2
targets = ["x86_64"]

[[feature]]
name = "node_id"
bit = 0
since = 2

[[struct]]
name = "inner"

[[struct.field]]
name = "x"
type = "u32"
since = 1

[[struct]]
name = "outer"

[[struct.field]]
name = "a"
type = "u32"
since = 1

[[struct.field]]
name = "b"
type = "u32"
since = 2
feature = "node_id"
"#;

/// `check` on SPEC with `from` replaced by `to`: exit 2, and stderr.
fn refused(name: &str, from: &str, to: &str) -> String {
    assert!(SPEC.contains(from), "{from}");
    let dir = scratch(name);
    let path = dir.join("spec.toml");
    std::fs::write(&path, SPEC.replacen(from, to, 1)).expect("write spec");
    let o = run(&["check", &path.display().to_string()]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    stderr(&o)
}

#[test]
fn unknown_names_in_a_spec_get_the_closest_known_one() {
    for (name, from, to, expected) in [
        (
            "key",
            "version = 2",
            "versoin = 2",
            "help: did you mean `version`?",
        ),
        (
            "field-key",
            "since = 2\nfeature",
            "sinse = 2\nfeature",
            "help: did you mean `since`?",
        ),
        (
            "c-type",
            "name = \"a\"\ntype = \"u32\"",
            "name = \"a\"\ntype = \"uint32_t\"",
            "help: did you mean `u32`? spec types are spelled as in Rust",
        ),
        (
            "struct-type",
            "name = \"a\"\ntype = \"u32\"",
            "name = \"a\"\ntype = \"innr\"",
            "help: did you mean `inner`?",
        ),
        (
            "feature",
            "feature = \"node_id\"",
            "feature = \"node_ids\"",
            "help: did you mean `node_id`?",
        ),
        (
            "target",
            "targets = [\"x86_64\"]",
            "targets = [\"x86-64\"]",
            "help: did you mean `x86_64`?",
        ),
    ] {
        let err = refused(name, from, to);
        assert!(err.contains(expected), "{name}: {err}");
    }
}

#[test]
fn unknown_names_in_a_waiver_get_the_closest_known_one() {
    let dir = scratch("waiver");
    let path = dir.join("spec.toml");
    let text = format!(
        "{SPEC}\n[[waiver]]\nrule = \"IMPLICIT_PADING\"\nstruct = \"outr\"\nreason = \"r\"\n\n\
         [[waiver]]\nrule = \"IMPLICIT_PADDING\"\nstruct = \"outer\"\nfield = \"bb\"\ntarget = \"i368\"\nreason = \"r\"\n"
    );
    std::fs::write(&path, text).expect("write spec");
    let o = run(&["check", &path.display().to_string()]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    for expected in [
        "did you mean `IMPLICIT_PADDING`?",
        "did you mean `outer`?",
        "did you mean `b`?",
        "did you mean `i386`?",
    ] {
        assert!(err.contains(expected), "{expected}: {err}");
    }
}

#[test]
fn a_field_without_since_after_newer_fields_is_told_to_add_since() {
    let err = refused(
        "since",
        "name = \"b\"\ntype = \"u32\"\nsince = 2\nfeature = \"node_id\"\n",
        "name = \"b\"\ntype = \"u32\"\nsince = 2\nfeature = \"node_id\"\n\n[[struct.field]]\nname = \"c\"\ntype = \"u32\"\n",
    );
    assert!(err.contains("field `c` has no `since`"), "{err}");
    assert!(err.contains("help: add `since = N` to `c`"), "{err}");
    assert!(!err.contains("move this field"), "{err}");
}

#[test]
fn unknown_names_on_the_command_line_get_the_closest_known_one() {
    for (args, expected) in [
        (
            &["layout", "spec.toml", "--struct", "tlabi_are"][..],
            "did you mean `tlabi_area`?",
        ),
        (
            &["layout", "spec.toml", "--target", "x86-64"][..],
            "did you mean `x86_64`?",
        ),
        (
            &["explain", "FIELD_MOVE"][..],
            "did you mean `FIELD_MOVED`?",
        ),
        (
            &[
                "verify",
                "spec.toml",
                "--elf",
                "spec.toml",
                "--struct",
                "tlabi_aera",
            ][..],
            "did you mean `tlabi_area`?",
        ),
    ] {
        let o = run(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(stderr(&o).contains(expected), "{args:?}: {}", stderr(&o));
    }
}
