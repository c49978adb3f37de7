//! SARIF 2.1.0 output for code scanning (GitHub, GitLab, IDEs): one run whose
//! tool lists the whole rule catalog, one result per finding. A waived
//! finding carries an external suppression with the waiver's reason.
//!
//! A run that could not be completed (a spec error, an unreadable file, bad
//! arguments) is a log too, so that a workflow uploading it annotates the
//! mistake instead of uploading an empty file: its invocation says it
//! failed (exit code 2), each error with a file is a result of the rule
//! `SPEC_ERROR` or `INPUT_ERROR` at its place, and an error without one is
//! a notification of the invocation. GitHub refuses a whole log for one
//! result without a location: a file whose line is unknown is pointed at
//! its first line.

use abi_spec::finding::Finding;
use abi_spec::{Rule, Severity};
use serde_json::{json, Value};

use crate::cli::DenyLevel;
use crate::output::ErrorItem;

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

/// The rules of errors that stop a run, after the catalog's in
/// `tool.driver.rules`: not findings of the catalog (`abi-check explain`
/// does not know them), but code scanning needs a rule for every result.
const ERROR_RULES: [(&str, &str, &str); 2] = [
    (
        "SPEC_ERROR",
        "A spec file cannot be used",
        "The spec file is malformed TOML, holds an invalid value or an unknown name, breaks a limit, or cannot be read. Nothing was checked: fix the error and run again.",
    ),
    (
        "INPUT_ERROR",
        "An input cannot be used",
        "A file other than a spec (a binary, a file to compare or to write) cannot be used as asked. Nothing was checked: fix the error and run again.",
    ),
];

fn error_rule_json((id, summary, explanation): (&str, &str, &str)) -> Value {
    json!({
        "id": id,
        "name": pascal(id),
        "shortDescription": {"text": summary},
        "fullDescription": {"text": explanation},
        "help": {"text": explanation},
        "defaultConfiguration": {"level": "error"},
    })
}

/// The tool: abi-check, the rule catalog, then the error rules.
fn driver(deny: Option<DenyLevel>) -> Value {
    let rules: Vec<Value> = Rule::ALL
        .iter()
        .map(|&r| rule_json(r, deny))
        .chain(ERROR_RULES.into_iter().map(error_rule_json))
        .collect();
    json!({
        "name": "abi-check",
        "version": env!("CARGO_PKG_VERSION"),
        "rules": rules,
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
            "tool": {"driver": driver(deny)},
            "columnKind": "unicodeCodePoints",
            "results": findings.iter().map(|f| result_json(f, deny)).collect::<Vec<_>>(),
        }]
    })
}

/// The SARIF level of an error.
fn error_level(level: abi_spec::diagnostic::Level) -> &'static str {
    match level {
        abi_spec::diagnostic::Level::Error => "error",
        abi_spec::diagnostic::Level::Warning => "warning",
        abi_spec::diagnostic::Level::Note => "note",
    }
}

/// The SARIF log of a run that failed with `errors` (exit 2).
pub fn failure_log(errors: &[ErrorItem]) -> Value {
    let text = |e: &ErrorItem| match &e.help {
        Some(help) => format!("{}\nhelp: {help}", e.message),
        None => e.message.clone(),
    };
    let mut results = Vec::new();
    let mut notifications = Vec::new();
    for e in errors {
        let Some(file) = &e.file else {
            notifications.push(json!({
                "level": error_level(e.level),
                "message": {"text": text(e)},
            }));
            continue;
        };
        let (id, _, _) = if e.spec {
            ERROR_RULES[0]
        } else {
            ERROR_RULES[1]
        };
        let index = Rule::ALL.len() + usize::from(!e.spec);
        let mut region = json!({"startLine": e.line.unwrap_or(1)});
        if let Some(column) = e.column {
            region["startColumn"] = json!(column);
        }
        results.push(json!({
            "ruleId": id,
            "ruleIndex": index,
            "level": error_level(e.level),
            "message": {"text": text(e)},
            "locations": [{
                "physicalLocation": {
                    "artifactLocation": {"uri": uri(file)},
                    "region": region,
                }
            }],
        }));
    }
    let mut invocation = json!({"executionSuccessful": false, "exitCode": 2});
    if !notifications.is_empty() {
        invocation["toolExecutionNotifications"] = Value::Array(notifications);
    }
    json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": driver(None)},
            "invocations": [invocation],
            "columnKind": "unicodeCodePoints",
            "results": results,
        }]
    })
}
