//! Findings as GitHub-flavoured Markdown, for `$GITHUB_STEP_SUMMARY` and
//! pull-request comments: a summary table (the verdict and the counts by
//! severity), the command's own table (compat's negotiations, verify's
//! binaries, the specs `changed` diffed), then the findings.
//!
//! Every piece of text that a spec, a path or a binary can influence goes
//! through [`escape`]: a waiver's reason or a file name holding `|`, `*`,
//! `<script>` or backticks comes out as literal text and cannot break a
//! table, inject HTML or ping someone.

use std::fmt::Write as _;

use abi_spec::finding::Finding;
use abi_spec::Severity;
use serde_json::Value;

/// Escapes text for Markdown: every character that is active inside a
/// line (code spans, emphasis, links, HTML, entities, table cells, and on
/// GitHub `~` strikethrough, `$` math, `@` mentions) gets a backslash,
/// which CommonMark allows before any ASCII punctuation; line breaks
/// become spaces and other control characters U+FFFD, so a value stays in
/// its cell or line. Characters active only at the start of a line (`-`,
/// `+`, `=`, digits and `.`) are left alone: the report never starts a
/// line with a value, and `#` is escaped anyway for GitHub's issue links.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for c in text.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|' | '~' | '&' | '@' | '$' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' | '\t' => out.push(' '),
            c if c.is_control() => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// How a column is aligned.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// Text.
    Left,
    /// Numbers.
    Right,
}

/// A GitHub table; `rows` hold cells already escaped (or the renderer's
/// own Markdown).
pub fn table(header: &[(&str, Align)], rows: &[Vec<String>]) -> String {
    let mut out = String::new();
    let names: Vec<&str> = header.iter().map(|(name, _)| *name).collect();
    let _ = writeln!(out, "| {} |", names.join(" | "));
    let rules: Vec<&str> = header
        .iter()
        .map(|(_, align)| match align {
            Align::Left => "---",
            Align::Right => "---:",
        })
        .collect();
    let _ = writeln!(out, "| {} |", rules.join(" | "));
    for row in rows {
        let _ = writeln!(out, "| {} |", row.join(" | "));
    }
    out
}

/// The verdict for an exit code.
pub fn verdict(code: u8) -> &'static str {
    match code {
        0 => "✅ pass",
        1 => "❌ fail",
        _ => "⚠️ unusable input",
    }
}

/// The counts by severity (waived ones apart), as table cells.
pub fn counts(findings: &[Finding]) -> Vec<String> {
    let count = |s: Severity| {
        findings
            .iter()
            .filter(|f| f.waived.is_none() && f.severity == s)
            .count()
    };
    vec![
        count(Severity::Breaking).to_string(),
        count(Severity::Api).to_string(),
        count(Severity::Warning).to_string(),
        count(Severity::Info).to_string(),
        findings
            .iter()
            .filter(|f| f.waived.is_some())
            .count()
            .to_string(),
    ]
}

/// The header of the counts columns, after the leading columns given.
pub fn counts_header<'a>(leading: &[(&'a str, Align)]) -> Vec<(&'a str, Align)> {
    let mut header = leading.to_vec();
    for name in ["breaking", "api", "warnings", "info", "waived"] {
        header.push((name, Align::Right));
    }
    header
}

/// The findings table, or a line saying there are none.
pub fn findings_table(findings: &[Finding]) -> String {
    if findings.is_empty() {
        return "No findings.\n".to_string();
    }
    let rows: Vec<Vec<String>> = findings
        .iter()
        .map(|f| {
            let severity = match f.waived {
                Some(_) => format!("{} (waived)", f.severity.as_str()),
                None => f.severity.as_str().to_string(),
            };
            let place = f.location().map_or_else(String::new, |l| {
                escape(&format!("{}:{}:{}", l.file, l.line, l.column))
            });
            let mut message = escape(&f.message);
            if let Some(reason) = &f.waived {
                let _ = write!(message, " — waived: {}", escape(reason));
            }
            vec![
                severity,
                f.rule.id().to_string(),
                place,
                message,
                f.help.as_deref().map(escape).unwrap_or_default(),
            ]
        })
        .collect();
    table(
        &[
            ("severity", Align::Left),
            ("rule", Align::Left),
            ("place", Align::Left),
            ("message", Align::Left),
            ("help", Align::Left),
        ],
        &rows,
    )
}

/// The report of `check`, `diff` and `verify`: `summary` is the command's
/// closing text line, `extra` the keys its JSON adds (`abi`, diff's `old`
/// and `new`, verify's `binaries`), which say what else to show.
pub fn findings_report(findings: &[Finding], code: u8, summary: &str, extra: &Value) -> String {
    let mut out = String::new();
    let title = match extra.get("abi").and_then(Value::as_str) {
        Some(abi) => format!("### abi-check: {}\n\n", escape(abi)),
        None => "### abi-check\n\n".to_string(),
    };
    out.push_str(&title);
    if let (Some(old), Some(new)) = (extra.get("old"), extra.get("new")) {
        let side = |v: &Value| {
            let file = escape(v.get("file").and_then(Value::as_str).unwrap_or_default());
            match v.get("version").and_then(Value::as_u64) {
                Some(version) => format!("{file} (version {version})"),
                None => format!("{file} (absent: a new ABI)"),
            }
        };
        let _ = writeln!(out, "Diff: {} → {}\n", side(old), side(new));
    }
    // The text summary may span lines (verify's table): its first line
    // says what was checked; the rest is shown as tables below.
    if extra.get("old").is_none() {
        if let Some(first) = summary.lines().next().filter(|l| !l.trim().is_empty()) {
            if extra.get("binaries").is_none() {
                let _ = writeln!(out, "Checked: {}\n", escape(first));
            }
        }
    }
    let mut row = vec![verdict(code).to_string()];
    row.extend(counts(findings));
    out.push_str(&table(&counts_header(&[("verdict", Align::Left)]), &[row]));
    if let Some(binaries) = extra.get("binaries").and_then(Value::as_array) {
        out.push_str("\n#### Binaries\n\n");
        out.push_str(&binaries_table(binaries));
    }
    out.push_str("\n#### Findings\n\n");
    out.push_str(&findings_table(findings));
    out
}

/// verify's table of binaries, from its JSON.
fn binaries_table(binaries: &[Value]) -> String {
    let text = |v: &Value, key: &str| match v.get(key) {
        Some(Value::String(s)) => escape(s),
        Some(Value::Null) | None => "none".to_string(),
        Some(other) => escape(&other.to_string()),
    };
    let rows: Vec<Vec<String>> = binaries
        .iter()
        .map(|b| {
            vec![
                text(b, "struct"),
                text(b, "c_name"),
                text(b, "file"),
                text(b, "target"),
                match b.get("implements").and_then(Value::as_u64) {
                    Some(v) => format!("version {v}"),
                    None => "none".to_string(),
                },
                text(b, "size"),
                text(b, "align"),
                text(b, "mismatches"),
            ]
        })
        .collect();
    table(
        &[
            ("struct", Align::Left),
            ("C name", Align::Left),
            ("binary", Align::Left),
            ("target", Align::Left),
            ("implements", Align::Left),
            ("size", Align::Right),
            ("align", Align::Right),
            ("mismatches", Align::Right),
        ],
        &rows,
    )
}

/// One line of compat's negotiation table, as cells: struct, kernel
/// version, libc version, announced, length, version, features, other
/// targets' lengths.
pub type NegotiationRow = [String; 8];

/// compat's report: `sides` says which files were compared.
pub fn compat_report(
    abi: &str,
    sides: &str,
    negotiations: &[NegotiationRow],
    findings: &[Finding],
    code: u8,
) -> String {
    let mut out = format!("### abi-check compat: {}\n\n", escape(abi));
    let _ = writeln!(out, "Sides: {}\n", escape(sides));
    let mut row = vec![verdict(code).to_string()];
    row.extend(counts(findings));
    out.push_str(&table(&counts_header(&[("verdict", Align::Left)]), &[row]));
    out.push_str("\n#### Negotiation\n\n");
    let rows: Vec<Vec<String>> = negotiations
        .iter()
        .map(|cells| cells.iter().map(|c| escape(c)).collect())
        .collect();
    out.push_str(&table(
        &[
            ("struct", Align::Left),
            ("kernel", Align::Right),
            ("libc", Align::Right),
            ("announced", Align::Right),
            ("length", Align::Right),
            ("version", Align::Right),
            ("features", Align::Left),
            ("other targets", Align::Left),
        ],
        &rows,
    ));
    out.push_str("\n#### Findings\n\n");
    out.push_str(&findings_table(findings));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_leaves_words_and_numbers_alone() {
        assert_eq!(escape("tlabi_area 32 bytes"), "tlabi\\_area 32 bytes");
        assert_eq!(escape("a|b\nc"), "a\\|b c");
        assert_eq!(escape("\u{7}"), "\u{fffd}");
    }

    #[test]
    fn table_has_a_rule_per_column() {
        let t = table(
            &[("a", Align::Left), ("n", Align::Right)],
            &[vec!["x".into(), "1".into()]],
        );
        assert_eq!(t, "| a | n |\n| --- | ---: |\n| x | 1 |\n");
    }
}
