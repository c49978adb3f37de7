//! `--format markdown` of check, diff, compat and verify, read back with a
//! CommonMark parser: the tables have the rows and cells the JSON output
//! has, and user text (a waiver's reason, a file name) holding `|`, `*`,
//! `<script>` and backticks comes out as literal text.

mod mdparse;

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

fn run_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_abi-check"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("abi-check runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn json_of(dir: &Path, args: &[&str]) -> Value {
    let mut args = args.to_vec();
    args.extend(["--format", "json"]);
    let o = run_in(dir, &args);
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}{}", text(&o.stdout), text(&o.stderr)))
}

/// Runs `args --format markdown`, checks the exit code against the JSON
/// run's, and returns the document as a reader sees it.
fn markdown_of(dir: &Path, args: &[&str], code: i32) -> (String, mdparse::Rendered) {
    let mut full = args.to_vec();
    full.extend(["--format", "markdown"]);
    let o = run_in(dir, &full);
    assert_eq!(o.status.code(), Some(code), "{}", text(&o.stderr));
    let md = text(&o.stdout);
    let rendered = mdparse::render(&md);
    (md, rendered)
}

/// The summary and findings tables say what the JSON says, cell by cell,
/// and nothing in the document is HTML, code or emphasis.
fn assert_agrees_with_json(md: &str, doc: &mdparse::Rendered, json: &Value) {
    assert!(doc.html.is_empty(), "HTML in {md}: {:?}", doc.html);
    assert!(doc.code.is_empty(), "code spans in {md}: {:?}", doc.code);
    assert_eq!(doc.markup, 0, "emphasis or links in {md}");
    let findings = json["findings"].as_array().expect("findings");
    let count = |severity: &str| {
        findings
            .iter()
            .filter(|f| f["severity"] == severity && f["waived"] == false)
            .count()
            .to_string()
    };
    let waived = findings
        .iter()
        .filter(|f| f["waived"] == true)
        .count()
        .to_string();
    let summary = doc.table("verdict");
    assert_eq!(
        summary[0],
        ["verdict", "breaking", "api", "warnings", "info", "waived"]
    );
    let verdict = if json["compatible"] == true {
        "✅ pass"
    } else {
        "❌ fail"
    };
    assert_eq!(
        summary[1..],
        [[
            verdict.to_string(),
            count("breaking"),
            count("api"),
            count("warning"),
            count("info"),
            waived
        ]]
    );
    if findings.is_empty() {
        assert!(doc.paragraphs.iter().any(|p| p == "No findings."), "{md}");
        return;
    }
    let table = doc.table("severity");
    assert_eq!(table[0], ["severity", "rule", "place", "message", "help"]);
    assert_eq!(table.len() - 1, findings.len(), "{md}");
    for (row, f) in table[1..].iter().zip(findings) {
        let str_of = |v: &Value| v.as_str().unwrap_or_default().to_string();
        let mut severity = str_of(&f["severity"]);
        let mut message = str_of(&f["message"]);
        if f["waived"] == true {
            severity.push_str(" (waived)");
            message.push_str(&format!(" — waived: {}", str_of(&f["waiver_reason"])));
        }
        let place = match &f["location"] {
            Value::Null => String::new(),
            l => format!("{}:{}:{}", str_of(&l["file"]), l["line"], l["column"]),
        };
        assert_eq!(
            row,
            &[
                severity,
                str_of(&f["rule"]),
                place,
                message,
                str_of(&f["help"])
            ],
            "{md}"
        );
    }
}

/// A reason and a file name full of Markdown.
const EVIL: &str = "ok | *bold* _it_ <script>alert(1)</script> `code` ~~gone~~ [x](http://e.invalid) @someone $x$ &amp; #1 \\| end";

fn padded_spec_with_waiver() -> String {
    format!(
        r#"[abi]
name = "demo"
version = 1
targets = ["x86_64", "i386"]

[[struct]]
name = "s"

[[struct.field]]
name = "a"
type = "u8"
since = 1

[[struct.field]]
name = "b"
type = "u32"
since = 1

[[waiver]]
rule = "IMPLICIT_PADDING"
struct = "s"
reason = '{EVIL}'
"#
    )
}

#[test]
fn check_markdown_keeps_user_text_literal() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let name = "we|rd *x* <b>`y`.toml";
    std::fs::write(tmp.path().join(name), padded_spec_with_waiver()).expect("write");
    let json = json_of(tmp.path(), &["check", name]);
    assert!(
        json["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .any(|f| f["waived"] == true && f["waiver_reason"] == EVIL),
        "the waiver applies: {json}"
    );
    let (md, doc) = markdown_of(tmp.path(), &["check", name], 0);
    assert_agrees_with_json(&md, &doc, &json);
    assert_eq!(doc.headings[0], "abi-check: demo");
    assert!(
        doc.paragraphs
            .iter()
            .any(|p| p.starts_with(&format!("Checked: {name}: demo 1..=1"))),
        "{:?}",
        doc.paragraphs
    );
    // The raw text holds no unescaped pipe inside a cell: every data row
    // has exactly the header's number of cells (checked above), and the
    // script tag is not there as a tag.
    assert!(!md.contains("<script>"), "{md}");
}

#[test]
fn diff_markdown_shows_both_sides_and_the_breaking_change() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let dir = root.join("abi-spec/rules/FIELD_RETYPED");
    let args = ["diff", "old.toml", "new.toml"];
    let json = json_of(&dir, &args);
    let (md, doc) = markdown_of(&dir, &args, 1);
    assert_agrees_with_json(&md, &doc, &json);
    assert!(
        doc.paragraphs.iter().any(|p| p
            == &format!(
                "Diff: old.toml (version {}) → new.toml (version {})",
                json["old"]["version"], json["new"]["version"]
            )),
        "{md}"
    );
    assert!(doc.table("severity")[1..]
        .iter()
        .any(|row| row[0] == "breaking" && row[1] == "FIELD_RETYPED"));
    // No findings at all: a sentence instead of an empty table.
    let same = ["diff", "old.toml", "old.toml"];
    let (md, doc) = markdown_of(&dir, &same, 0);
    assert_agrees_with_json(&md, &doc, &json_of(&dir, &same));
}

#[test]
fn compat_markdown_has_the_negotiation_table() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let dir = root.join("abi-spec/rules/SIDES_DISAGREE");
    let args = ["compat", "kernel.toml", "libc.toml"];
    let json = json_of(&dir, &args);
    let (md, doc) = markdown_of(&dir, &args, 1);
    assert_agrees_with_json(&md, &doc, &json);
    let table = doc.table("struct");
    assert_eq!(
        table[0],
        [
            "struct",
            "kernel",
            "libc",
            "announced",
            "length",
            "version",
            "features",
            "other targets"
        ]
    );
    let negotiations = json["negotiations"].as_array().expect("negotiations");
    assert_eq!(table.len() - 1, negotiations.len());
    for (row, n) in table[1..].iter().zip(negotiations) {
        let features: Vec<&str> = n["features"]
            .as_array()
            .expect("features")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        let version = match &n["version"] {
            Value::Null => "refused".to_string(),
            v => v.to_string(),
        };
        assert_eq!(
            row[..7],
            [
                n["struct"].as_str().expect("struct").to_string(),
                n["kernel_version"].to_string(),
                n["libc_version"].to_string(),
                n["announced"].to_string(),
                n["length"].to_string(),
                version,
                features.join(", "),
            ]
        );
    }
}

#[test]
#[cfg_attr(no_gcc, ignore = "needs gcc")]
fn verify_markdown_has_the_binaries_table() {
    let gcc = abi_test_tools::require("gcc");
    let tmp = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        tmp.path().join("spec.toml"),
        "[abi]\nname = \"demo\"\nversion = 2\n\n[[struct]]\nname = \"s\"\n\n\
         [[struct.field]]\nname = \"a\"\ntype = \"u32\"\nsince = 1\n\n\
         [[struct.field]]\nname = \"b\"\ntype = \"u32\"\nsince = 2\n",
    )
    .expect("spec");
    // A binary whose name needs escaping, compiled with version 1 only.
    let object = "bin|*<i>.o";
    std::fs::write(tmp.path().join("s.c"), "struct s { unsigned a; } s;\n").expect("C");
    let out = Command::new(gcc)
        .args(["-g", "-c", "-o", object, "s.c"])
        .current_dir(tmp.path())
        .output()
        .expect("gcc runs");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let args = ["verify", "spec.toml", "--elf", object];
    let json = json_of(tmp.path(), &args);
    let (md, doc) = markdown_of(tmp.path(), &args, 0);
    assert_agrees_with_json(&md, &doc, &json);
    let table = doc.table("struct");
    assert_eq!(
        table[0],
        [
            "struct",
            "C name",
            "binary",
            "target",
            "implements",
            "size",
            "align",
            "mismatches"
        ]
    );
    assert_eq!(
        table[1..],
        [["s", "s", object, "x86_64", "version 1", "4", "4", "0"]]
    );
    assert_eq!(json["binaries"][0]["implements"], 1);
}

#[test]
fn a_spec_error_is_a_markdown_report_too() {
    // A job summary of a failed run must say why, at the spec's place,
    // with user text literal.
    let tmp = tempfile::tempdir().expect("tempdir");
    let name = "bad_*spec*.toml";
    std::fs::write(
        tmp.path().join(name),
        "[abi]\nname = \"demo\"\nversion = 1\n\n[[struct]]\nname = \"s\"\n\n[[struct.field]]\nname = \"a\"\ntype = \"u33\"\n",
    )
    .expect("write");
    for args in [vec!["check", name], vec!["diff", name, name]] {
        let (md, doc) = markdown_of(tmp.path(), &args, 2);
        assert!(doc.html.is_empty(), "HTML in {md}");
        assert!(doc.code.is_empty(), "code spans in {md}");
        assert_eq!(doc.markup, 0, "emphasis or links in {md}");
        assert_eq!(doc.headings, ["abi-check: error (exit 2)"], "{md}");
        let table = doc.table("level");
        assert_eq!(table.len(), 2, "{md}");
        assert_eq!(table[1][0], "error");
        assert_eq!(table[1][1], format!("{name}:10:8"), "{md}");
        assert!(table[1][2].contains("u33"), "{md}");
    }
}
