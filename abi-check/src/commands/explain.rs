//! `abi-check explain`: print a rule's catalog entry.

use abi_spec::{suggest, Rule};

use crate::cli::ExplainArgs;
use crate::output::{self, Failure, Outcome, EXIT_OK};

/// The catalog entry of a rule, as text.
pub fn entry_text(rule: Rule) -> String {
    let info = rule.info();
    // Prose is wrapped; examples keep their lines.
    let indent = |text: &str| {
        text.lines()
            .map(|l| format!("    {l}"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let prose = |text: &str| indent(&wrap(text, 76));
    format!(
        "{id} ({severity})\n\n{summary}\n\nWhy it matters:\n{why}\n\nExample:\n{bad}\n\nFix:\n{fix}\n",
        id = rule.id(),
        severity = info.severity,
        summary = info.summary,
        why = prose(info.explanation),
        bad = indent(info.bad_example),
        fix = prose(info.fix),
    )
}

/// Wraps text at word boundaries to lines of at most `width` characters.
fn wrap(text: &str, width: usize) -> String {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines.join("\n")
}

/// Runs the command.
pub fn run(args: &ExplainArgs) -> Outcome {
    if args.list {
        let mut out = String::new();
        for rule in Rule::ALL {
            let info = rule.info();
            out.push_str(&format!(
                "{:<28} {:<9} {}\n",
                rule.id(),
                info.severity.as_str(),
                info.summary
            ));
        }
        output::print(&out);
        return Ok(EXIT_OK);
    }
    let name = args.rule.as_deref().unwrap_or_default();
    let rule = Rule::from_id(name).ok_or_else(|| {
        let folded = name.trim().to_ascii_uppercase().replace('-', "_");
        let hint = suggest::did_you_mean(&folded, Rule::ALL.iter().map(|r| r.id()))
            .map_or_else(String::new, |h| format!("{h} "));
        Failure::msg(format!(
            "unknown rule `{}`; {hint}`abi-check explain --list` lists them",
            name.escape_debug()
        ))
    })?;
    output::print(&entry_text(rule));
    Ok(EXIT_OK)
}
