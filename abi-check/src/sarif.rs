//! SARIF 2.1.0 output for code scanning (GitHub, GitLab, IDEs): one run whose
//! tool lists the whole rule catalog, one result per finding. A waived
//! finding carries an external suppression with the waiver's reason.

use abi_spec::finding::Finding;
use abi_spec::{Rule, Severity};
use serde_json::{json, Value};

use crate::cli::DenyLevel;

/// The schema the output follows.
pub const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The SARIF level of a severity, given what `--deny` makes fatal.
fn level(severity: Severity, deny: Option<DenyLevel>) -> &'static str {
    match severity {
        Severity::Breaking => "error",
        Severity::Api if deny.is_some() => "error",
        Severity::Warning if deny == Some(DenyLevel::Warnings) => "error",
        Severity::Api | Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// `FIELD_MOVED` -> `FieldMoved`: SARIF's rule `name` is an identifier.
fn pascal(id: &str) -> String {
    id.split('_')
        .map(|w| {
            let mut chars = w.chars();
            match chars.next() {
                Some(first) => first.to_string() + &chars.as_str().to_ascii_lowercase(),
                None => String::new(),
            }
        })
        .collect()
}

fn rule_json(rule: Rule, deny: Option<DenyLevel>) -> Value {
    let info = rule.info();
    json!({
        "id": rule.id(),
        "name": pascal(rule.id()),
        "shortDescription": {"text": info.summary},
        "fullDescription": {"text": info.explanation},
        "help": {
            "text": format!("{}\n\nExample:\n{}\n\nFix:\n{}", info.explanation, info.bad_example, info.fix),
        },
        "defaultConfiguration": {"level": level(info.severity, deny)},
        "properties": {"severity": info.severity.as_str()},
    })
}

/// A relative path as a URI reference: separators as `/`, and the few
/// characters a URI cannot hold percent-encoded.
fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        match c {
            '\\' => out.push('/'),
            ' ' => out.push_str("%20"),
            '%' => out.push_str("%25"),
            '#' => out.push_str("%23"),
            '?' => out.push_str("%3F"),
            other => out.push(other),
        }
    }
    out
}

fn result_json(f: &Finding, deny: Option<DenyLevel>) -> Value {
    let rule_index = Rule::ALL.iter().position(|&r| r == f.rule).unwrap_or(0);
    let mut text = f.message.clone();
    if let Some(help) = &f.help {
        text.push_str("\nhelp: ");
        text.push_str(help);
    }
    let mut result = json!({
        "ruleId": f.rule.id(),
        "ruleIndex": rule_index,
        "level": level(f.severity, deny),
        "message": {"text": text},
        "properties": {
            "severity": f.severity.as_str(),
            "struct": f.struct_name,
            "field": f.field,
            "targets": f.targets.iter().map(|t| t.name()).collect::<Vec<_>>(),
        },
    });
    if let Some(l) = f.location() {
        result["locations"] = json!([{
            "physicalLocation": {
                "artifactLocation": {"uri": uri(&l.file)},
                "region": {"startLine": l.line, "startColumn": l.column},
            }
        }]);
    }
    if let Some(reason) = &f.waived {
        result["suppressions"] = json!([{"kind": "external", "justification": reason}]);
    }
    result
}

/// The SARIF log of a set of settled findings.
pub fn log(findings: &[Finding], deny: Option<DenyLevel>) -> Value {
    json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "abi-check",
                    "version": env!("CARGO_PKG_VERSION"),
                    "rules": Rule::ALL.iter().map(|&r| rule_json(r, deny)).collect::<Vec<_>>(),
                }
            },
            "columnKind": "unicodeCodePoints",
            "results": findings.iter().map(|f| result_json(f, deny)).collect::<Vec<_>>(),
        }]
    })
}
