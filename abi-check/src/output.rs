//! What every command shares: loading specs, exit codes, colors, and
//! rendering findings for people (rustc style) and machines (JSON, GitHub).

use std::io::IsTerminal;
use std::path::Path;

use abi_spec::diagnostic::render_parts;
use abi_spec::finding::{self, Finding};
use abi_spec::model::Date;
use abi_spec::{Severity, Spec, SpecError};
use serde_json::{json, Value};

use crate::cli::{DenyLevel, FindingFormat};

/// Exit 0: nothing at error level.
pub const EXIT_OK: u8 = 0;
/// Exit 1: an incompatibility or an error-level finding.
pub const EXIT_FINDINGS: u8 = 1;
/// Exit 2: the input could not be used.
pub const EXIT_UNUSABLE: u8 = 2;

/// Why a command could not run: printed on stderr, exit 2.
#[derive(Debug)]
pub enum Failure {
    /// A spec file that cannot be used, with every problem in it.
    Spec(SpecError),
    /// Anything else, already naming the file concerned.
    Message(String),
}

impl From<SpecError> for Failure {
    fn from(e: SpecError) -> Failure {
        Failure::Spec(e)
    }
}

impl Failure {
    /// A failure with a message.
    pub fn msg(message: impl Into<String>) -> Failure {
        Failure::Message(message.into())
    }

    /// Prints the failure on stderr.
    pub fn report(&self) {
        let color = stderr_color();
        match self {
            Failure::Spec(e) => eprint!("{}", e.render(color)),
            Failure::Message(m) => {
                let head = if color {
                    "\x1b[1;31merror\x1b[0m"
                } else {
                    "error"
                };
                eprintln!("{head}: {m}");
            }
        }
    }
}

/// The result of a command: an exit code.
pub type Outcome = Result<u8, Failure>;

fn color_allowed() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// True when stdout is a terminal and NO_COLOR is unset.
pub fn stdout_color() -> bool {
    color_allowed() && std::io::stdout().is_terminal()
}

/// True when stderr is a terminal and NO_COLOR is unset.
pub fn stderr_color() -> bool {
    color_allowed() && std::io::stderr().is_terminal()
}

/// Loads and validates a spec.
pub fn load_spec(path: &Path) -> Result<Spec, Failure> {
    Ok(abi_spec::load(path)?)
}

/// Writes text to stdout; a closed pipe is not an error.
pub fn print(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

/// The exit code for a set of findings.
pub fn exit_code(findings: &[Finding], deny: Option<DenyLevel>) -> u8 {
    let fatal = |f: &&Finding| {
        f.waived.is_none()
            && match f.severity {
                Severity::Breaking => true,
                Severity::Api => deny.is_some(),
                Severity::Warning => deny == Some(DenyLevel::Warnings),
                Severity::Info => false,
            }
    };
    if findings.iter().any(|f| fatal(&f)) {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    }
}

/// The JSON object of one finding, as the contract shapes it.
pub fn finding_json(f: &Finding) -> Value {
    let location = f
        .location()
        .map(|l| json!({"file": l.file, "line": l.line, "column": l.column}));
    let target = match f.targets.as_slice() {
        [one] => Value::from(one.name()),
        _ => Value::Null,
    };
    let mut value = json!({
        "rule": f.rule.id(),
        "severity": f.severity.as_str(),
        "struct": f.struct_name,
        "field": f.field,
        "feature": f.feature,
        "target": target,
        "targets": f.targets.iter().map(|t| t.name()).collect::<Vec<_>>(),
        "message": f.message,
        "help": f.help,
        "location": location,
        "waived": f.waived.is_some(),
    });
    if let Some(reason) = &f.waived {
        value["waiver_reason"] = Value::from(reason.as_str());
    }
    value
}

/// Renders one finding rustc style.
pub fn finding_text(f: &Finding, color: bool) -> String {
    let level = if f.waived.is_some() {
        "waived"
    } else {
        f.severity.as_str()
    };
    let mut text = match &f.origin {
        Some(origin) => render_parts(
            &origin.source,
            level,
            Some(f.rule.id()),
            &f.message,
            Some(origin.span),
            None,
            f.help.as_deref(),
            color,
        ),
        None => {
            let mut t = format!("{level}[{}]: {}\n", f.rule.id(), f.message);
            if let Some(help) = &f.help {
                t.push_str(&format!("   = help: {help}\n"));
            }
            t.push('\n');
            t
        }
    };
    if let Some(reason) = &f.waived {
        text.insert_str(text.len() - 1, &format!("   = note: waived: {reason}\n"));
    }
    text
}

/// Escapes a GitHub workflow-command property or message.
fn github_escape(text: &str, property: bool) -> String {
    let mut out = text
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A");
    if property {
        out = out.replace(':', "%3A").replace(',', "%2C");
    }
    out
}

/// One `::error file=...,line=...::` line per finding.
pub fn github_lines(findings: &[Finding]) -> String {
    let mut out = String::new();
    for f in findings {
        let level = match (f.waived.is_some(), f.severity) {
            (true, _) | (_, Severity::Info) => "notice",
            (_, Severity::Breaking) => "error",
            _ => "warning",
        };
        let mut props = vec![format!("title={}", github_escape(f.rule.id(), true))];
        if let Some(l) = f.location() {
            props.insert(0, format!("col={}", l.column));
            props.insert(0, format!("line={}", l.line));
            props.insert(0, format!("file={}", github_escape(&l.file, true)));
        }
        let mut message = format!("{}: {}", f.rule.id(), f.message);
        if let Some(help) = &f.help {
            message.push_str(&format!("\nhelp: {help}"));
        }
        out.push_str(&format!(
            "::{level} {}::{}\n",
            props.join(","),
            github_escape(&message, false)
        ));
    }
    out
}

/// Applies the waivers of `spec` (the newer side, whose authors accept the
/// findings) and puts findings in output order.
pub fn settle(findings: &mut [Finding], spec: &Spec) {
    finding::apply_waivers(findings, spec, Date::today());
    finding::sort(findings);
}

/// Renders settled findings and returns the exit code. `summary` is the
/// closing line of the text format; `extra_json` adds keys to the JSON
/// object.
pub fn report_findings(
    findings: &[Finding],
    format: FindingFormat,
    deny: Option<DenyLevel>,
    summary: &str,
    extra_json: Value,
) -> Outcome {
    let code = exit_code(findings, deny);
    match format {
        FindingFormat::Text => {
            let color = stdout_color();
            let mut out = String::new();
            for f in findings {
                out.push_str(&finding_text(f, color));
            }
            out.push_str(summary);
            out.push('\n');
            print(&out);
        }
        FindingFormat::Json => {
            let mut value = json!({
                "compatible": code == EXIT_OK,
                "findings": findings.iter().map(finding_json).collect::<Vec<_>>(),
            });
            if let (Value::Object(map), Value::Object(extra)) = (&mut value, extra_json) {
                map.extend(extra);
            }
            print(&format!(
                "{}\n",
                serde_json::to_string_pretty(&value).unwrap_or_default()
            ));
        }
        FindingFormat::Github => print(&github_lines(findings)),
        FindingFormat::Markdown => print(&crate::render::report_markdown::findings_report(
            findings,
            code,
            summary,
            &extra_json,
        )),
        FindingFormat::Sarif => print(&format!(
            "{}\n",
            serde_json::to_string_pretty(&crate::sarif::log(findings, deny)).unwrap_or_default()
        )),
    }
    Ok(code)
}

/// Counts findings by severity for a summary line, e.g. `1 breaking, 2 warnings`.
pub fn tally(findings: &[Finding]) -> String {
    let count = |s: Severity| {
        findings
            .iter()
            .filter(|f| f.waived.is_none() && f.severity == s)
            .count()
    };
    let waived = findings.iter().filter(|f| f.waived.is_some()).count();
    let mut parts = vec![
        format!("{} breaking", count(Severity::Breaking)),
        format!("{} api", count(Severity::Api)),
        format!("{} warnings", count(Severity::Warning)),
        format!("{} info", count(Severity::Info)),
    ];
    if waived > 0 {
        parts.push(format!("{waived} waived"));
    }
    parts.join(", ")
}
