//! Every runnable example of the README and docs/ runs, and prints what
//! the page shows.
//!
//! The convention: a fenced code block whose info string is `console` is a
//! runnable example. In it, a line starting with `$ ` is a command, either
//! `abi-check ARGS` or `cargo run -q -- ARGS` (both run this crate's
//! binary, in the workspace root, without colors); a command goes on over
//! lines ending with `\`. The lines after a command, up to the next one,
//! are what it prints (standard output, then standard error), compared
//! line by line with trailing spaces ignored, where a line `...` stands for
//! any number of lines and `...` inside a line for any text. The exit code
//! is not shown; it must be 0, 1 or 2, never a crash. Blocks with another
//! info string (`sh`, `text`, none) are not compared: use them for
//! commands that need files the repository does not have (a vmlinux, a
//! libc). Their `abi-check` commands (`$ abi-check ...` lines, and the
//! `abi-check ...` lines of `sh` blocks, up to a `#` comment, a `>` or a
//! `|`) are still run, to check that the command line accepts them:
//! options that no longer exist fail the test.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::root;
use pulldown_cmark::{CodeBlockKind, Event, Parser, Tag, TagEnd};

/// One command of a `console` block and the output the page shows.
struct Example {
    page: PathBuf,
    command: String,
    expected: Vec<String>,
}

/// The pages: the README and every Markdown file under docs/.
fn pages() -> Vec<PathBuf> {
    let mut pages = vec![root().join("README.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root().join("docs"))
        .expect("docs/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    pages.extend(docs);
    pages
}

/// The `console` blocks of a page, as text.
fn console_blocks(text: &str) -> Vec<String> {
    blocks(text, true).into_iter().map(|(_, b)| b).collect()
}

/// The code blocks of a page that are `console` blocks (`console`), or the
/// others (`!console`), as text, each with its info string's first word.
fn blocks(text: &str, console: bool) -> Vec<(String, String)> {
    let mut blocks = Vec::new();
    let mut current: Option<(String, String)> = None;
    for event in Parser::new(text) {
        match event {
            Event::Start(Tag::CodeBlock(kind)) => {
                let lang = match &kind {
                    CodeBlockKind::Fenced(info) => info
                        .split_whitespace()
                        .next()
                        .unwrap_or_default()
                        .to_string(),
                    CodeBlockKind::Indented => String::new(),
                };
                if (lang == "console") == console {
                    current = Some((lang, String::new()));
                }
            }
            Event::Text(t) => {
                if let Some((_, block)) = current.as_mut() {
                    block.push_str(&t);
                }
            }
            Event::End(TagEnd::CodeBlock) => {
                if let Some(block) = current.take() {
                    blocks.push(block);
                }
            }
            _ => {}
        }
    }
    blocks
}

fn examples() -> Vec<Example> {
    let mut out = Vec::new();
    for page in pages() {
        let text = std::fs::read_to_string(&page).expect("read page");
        for block in console_blocks(&text) {
            let mut lines = block.lines().peekable();
            while let Some(line) = lines.next() {
                let Some(first) = line.strip_prefix("$ ") else {
                    panic!(
                        "{}: a console block starts with `$ `, not {line:?}",
                        page.display()
                    );
                };
                let mut command = first.to_string();
                while command.ends_with('\\') {
                    command.pop();
                    command.push_str(lines.next().unwrap_or_default());
                }
                let mut expected = Vec::new();
                while let Some(next) = lines.peek() {
                    if next.starts_with("$ ") {
                        break;
                    }
                    expected.push(next.trim_end().to_string());
                    lines.next();
                }
                out.push(Example {
                    page: page.clone(),
                    command,
                    expected,
                });
            }
        }
    }
    out
}

/// Splits a command line as a POSIX shell would for the simple commands
/// the docs show: words, `'...'`, `"..."` and `\x`. No crate in the tree
/// does this, and it is a dozen lines.
fn words(command: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = command.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' => {
                if let Some(w) = word.take() {
                    words.push(w);
                }
            }
            '\'' => {
                let w = word.get_or_insert_with(String::new);
                w.extend(chars.by_ref().take_while(|&c| c != '\''));
            }
            '"' => {
                let w = word.get_or_insert_with(String::new);
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => w.extend(chars.next()),
                        c => w.push(c),
                    }
                }
            }
            '\\' => word.get_or_insert_with(String::new).extend(chars.next()),
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(word);
    words
}

/// True when `line` matches `pattern`, where `...` stands for any text.
fn line_matches(pattern: &str, line: &str) -> bool {
    let parts: Vec<&str> = pattern.split("...").collect();
    let [first, middle @ .., last] = parts.as_slice() else {
        return pattern == line;
    };
    let Some(mut rest) = line.strip_prefix(first) else {
        return false;
    };
    for part in middle {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// True when `lines` match `patterns`, where a pattern `...` stands for any
/// number of lines.
fn lines_match(patterns: &[String], lines: &[&str]) -> bool {
    match patterns.split_first() {
        None => lines.is_empty(),
        Some((p, rest)) if p.trim() == "..." => {
            (0..=lines.len()).any(|skip| lines_match(rest, &lines[skip..]))
        }
        Some((p, rest)) => match lines.split_first() {
            Some((line, more)) => line_matches(p, line) && lines_match(rest, more),
            None => false,
        },
    }
}

/// The program and arguments of a documented command.
fn argv(example: &Example) -> Vec<String> {
    let words = words(&example.command);
    match words
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["abi-check", ..] => words[1..].to_vec(),
        ["cargo", "run", "-q", "--", ..] => words[4..].to_vec(),
        _ => panic!(
            "{}: a console example runs `abi-check` or `cargo run -q --`, not `{}`",
            example.page.display(),
            example.command
        ),
    }
}

#[test]
fn every_console_example_in_the_docs_prints_what_the_docs_show() {
    let examples = examples();
    assert!(
        examples.len() >= 3,
        "only {} console examples found: the convention changed?",
        examples.len()
    );
    let mut failures = Vec::new();
    for example in &examples {
        let output = Command::new(env!("CARGO_BIN_EXE_abi-check"))
            .args(argv(example))
            .current_dir(root())
            .env("NO_COLOR", "1")
            .output()
            .expect("abi-check runs");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
        let code = output.status.code();
        if !matches!(code, Some(0..=2)) || !lines_match(&example.expected, &lines) {
            failures.push(format!(
                "{}: `$ {}` (exit {code:?}) printed:\n{text}\nthe page shows:\n{}",
                example.page.display(),
                example.command,
                example.expected.join("\n")
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n-----\n"));
}

/// The `abi-check` commands of the blocks that are not run: each line that
/// starts with `abi-check ` or `$ abi-check `, continued over `\`, cut at
/// a comment, a redirection or a pipe.
fn shown_commands() -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    for page in pages() {
        let text = std::fs::read_to_string(&page).expect("read page");
        for (lang, block) in blocks(&text, false) {
            // A synopsis (`abi-check matrix [SPEC] [--format ...]`) is
            // no command: only `$ ` lines, and the lines of shell blocks.
            let shell = matches!(lang.as_str(), "sh" | "bash" | "shell");
            let mut lines = block.lines();
            while let Some(line) = lines.next() {
                let line = line.trim_start();
                let line = match line.strip_prefix("$ ") {
                    Some(command) => command,
                    None if shell => line,
                    None => continue,
                };
                if !line.starts_with("abi-check ") {
                    continue;
                }
                let mut command = line.to_string();
                while command.ends_with('\\') {
                    command.pop();
                    command.push_str(lines.next().unwrap_or_default());
                }
                let end = [" #", " >", " |"]
                    .iter()
                    .filter_map(|m| command.find(m))
                    .min()
                    .unwrap_or(command.len());
                command.truncate(end);
                out.push((page.clone(), command));
            }
        }
    }
    out
}

#[test]
fn commands_shown_but_not_run_are_accepted_by_the_command_line() {
    let commands = shown_commands();
    assert!(
        !commands.is_empty(),
        "no abi-check command outside console blocks"
    );
    // What a command would write goes to a scratch directory, not into the
    // repository (`import ... -o open_how.toml` once left its file there).
    let scratch = std::env::temp_dir().join(format!("abi-check-shown-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).expect("scratch dir");
    let mut failures = Vec::new();
    for (page, command) in &commands {
        let mut args = words(command);
        for i in 1..args.len() {
            if ["-o", "--output", "--sarif", "--summary"].contains(&args[i - 1].as_str()) {
                let name = Path::new(&args[i])
                    .file_name()
                    .expect("a file name")
                    .to_owned();
                args[i] = scratch.join(name).display().to_string();
            }
        }
        let output = Command::new(env!("CARGO_BIN_EXE_abi-check"))
            .args(&args[1..])
            .current_dir(root())
            .env("NO_COLOR", "1")
            .stdin(std::process::Stdio::null())
            .output()
            .expect("abi-check runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        // clap's refusals end with the usage line; a missing file does not.
        if stderr.contains("Usage:") || !matches!(output.status.code(), Some(0..=2)) {
            failures.push(format!("{}: `{command}`:\n{stderr}", page.display()));
        }
    }
    let _ = std::fs::remove_dir_all(&scratch);
    assert!(failures.is_empty(), "{}", failures.join("\n-----\n"));
}

#[test]
fn elisions_match_as_documented() {
    assert!(line_matches("a ... z", "a b c z"));
    assert!(line_matches("FAIL ...: ...", "FAIL kernel 2: read"));
    assert!(!line_matches("a ... z", "a b c"));
    assert!(line_matches("plain", "plain"));
    assert!(line_matches("...", "anything"));
    let p = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert!(lines_match(&p(&["...", "b"]), &["a", "x", "b"]));
    assert!(lines_match(&p(&["a", "...", "c"]), &["a", "c"]));
    assert!(!lines_match(&p(&["a", "c"]), &["a", "b", "c"]));
    assert_eq!(
        words("verify x.toml --struct 'rseq=rseq|pthread.rseq_area' \"a b\" c\\ d"),
        [
            "verify",
            "x.toml",
            "--struct",
            "rseq=rseq|pthread.rseq_area",
            "a b",
            "c d"
        ]
    );
}
