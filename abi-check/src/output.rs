//! What every command shares: loading specs, exit codes, colors, writing
//! to standard output and standard error, user text made safe for a
//! terminal, failures in every output format, and rendering findings for
//! people (rustc style) and machines (JSON, GitHub).

use std::borrow::Cow;
use std::cell::RefCell;
use std::io::{ErrorKind, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use abi_spec::diagnostic::{render_parts, Diagnostic, Level};
use abi_spec::finding::{self, Finding, Run};
use abi_spec::model::Date;
use abi_spec::source::Source;
use abi_spec::{compat, lint, Severity, Spec, SpecError};
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
    /// A file other than a spec that cannot be used as asked (an output
    /// that cannot be written, a file to compare that cannot be read).
    File {
        /// The file, as the user gave it.
        path: PathBuf,
        /// What is wrong, without the file name.
        message: String,
    },
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

    /// A failure concerning one file.
    pub fn file(path: &Path, message: impl Into<String>) -> Failure {
        Failure::File {
            path: path.to_path_buf(),
            message: message.into(),
        }
    }

    /// Prints the failure on stderr, for people: spec errors rustc style,
    /// the rest as `error: ...`, user text escaped.
    pub fn report(&self) {
        let color = stderr_color();
        let head = if color {
            "\x1b[1;31merror\x1b[0m"
        } else {
            "error"
        };
        match self {
            Failure::Spec(e) => eprint(&spec_error_text(e, color)),
            Failure::Message(m) => eprint(&format!("{head}: {}\n", shown(m, MAX_MESSAGE_CHARS))),
            Failure::File { path, message } => eprint(&format!(
                "{head}: {}: {}\n",
                shown_path(path),
                shown(message, MAX_MESSAGE_CHARS)
            )),
        }
    }

    /// The failure's errors, for the machine formats.
    pub fn errors(&self) -> Vec<ErrorItem> {
        match self {
            Failure::Spec(e) => e
                .diagnostics
                .iter()
                .map(|d| {
                    let location = d.span.map(|s| e.source.location(s.start));
                    ErrorItem {
                        level: d.level,
                        spec: true,
                        file: Some(e.source.name().to_string()),
                        line: location.as_ref().map(|l| l.line),
                        column: location.as_ref().map(|l| l.column),
                        message: d.message.clone(),
                        help: d.help.clone(),
                    }
                })
                .collect(),
            Failure::Message(m) => vec![ErrorItem::new(None, m.clone())],
            Failure::File { path, message } => vec![ErrorItem::new(
                Some(path.to_string_lossy().into_owned()),
                message.clone(),
            )],
        }
    }

    /// Prints the failure on stdout in the machine format asked for (text:
    /// nothing), so that a pipeline reading that format sees the error.
    pub fn emit(&self, format: FailureFormat) {
        emit_errors(&self.errors(), format);
    }
}

/// The human rendering of a spec error, with the file name and the
/// messages made safe for a terminal. The spec is copied only when one of
/// them needs it.
fn spec_error_text(e: &SpecError, color: bool) -> String {
    let clean = |t: &str| escape(t).len() == t.len() && t.chars().count() <= MAX_MESSAGE_CHARS;
    let name = shown(e.source.name(), MAX_PATH_CHARS);
    if name == e.source.name()
        && e.diagnostics.iter().all(|d| {
            clean(&d.message)
                && d.help.as_deref().is_none_or(clean)
                && d.label.as_deref().is_none_or(clean)
        })
    {
        return e.render(color);
    }
    let safe = |t: &str| shown(t, MAX_MESSAGE_CHARS);
    let shown_error = SpecError {
        source: Arc::new(Source::new(name, e.source.text())),
        diagnostics: e
            .diagnostics
            .iter()
            .map(|d| Diagnostic {
                level: d.level,
                message: safe(&d.message),
                span: d.span,
                label: d.label.as_deref().map(safe),
                help: d.help.as_deref().map(safe),
            })
            .collect(),
    };
    shown_error.render(color)
}

// ------------------------------------------------ failures for machines

/// One error of a run that could not be completed, as the machine formats
/// show it (docs/ci.md documents the JSON shape).
#[derive(Clone, Debug)]
pub struct ErrorItem {
    /// error, warning or note.
    pub level: Level,
    /// True for a problem in a spec file (its file is the spec).
    pub spec: bool,
    /// The file, when one is concerned.
    pub file: Option<String>,
    /// 1-based line, when the error has a place.
    pub line: Option<usize>,
    /// 1-based column, in characters, when the error has a place.
    pub column: Option<usize>,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub help: Option<String>,
}

impl ErrorItem {
    /// An error without a place.
    pub fn new(file: Option<String>, message: String) -> ErrorItem {
        ErrorItem {
            level: Level::Error,
            spec: false,
            file,
            line: None,
            column: None,
            message,
            help: None,
        }
    }
}

/// How a failure comes out on stdout, besides the message on stderr: the
/// format the command was asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailureFormat {
    /// Nothing on stdout (text, and formats for people or pictures).
    Text,
    /// `{"errors": [...]}`; with `verdict`, also `"compatible": false` and
    /// `"findings": []`, the keys scripts read from check, diff, compat
    /// and verify.
    Json {
        /// The command answers with a verdict.
        verdict: bool,
    },
    /// A SARIF log of a failed run.
    Sarif,
    /// `::error ...::` workflow commands.
    Github,
    /// A Markdown report of the errors, for a job summary or a pull-request
    /// comment.
    Markdown,
}

impl FailureFormat {
    /// The failure format of `command --format format`: the one place
    /// that knows which commands speak which machine format.
    pub fn of(command: &str, format: &str) -> FailureFormat {
        let verdict = matches!(command, "check" | "diff" | "verify" | "compat" | "changed");
        match (command, format) {
            (
                "check" | "diff" | "verify" | "compat" | "changed" | "layout" | "matrix" | "dump",
                "json",
            ) => FailureFormat::Json { verdict },
            ("check" | "diff" | "verify" | "changed", "sarif") => FailureFormat::Sarif,
            ("check" | "diff" | "verify" | "changed", "github") => FailureFormat::Github,
            ("check" | "diff" | "verify" | "compat" | "changed", "markdown") => {
                FailureFormat::Markdown
            }
            _ => FailureFormat::Text,
        }
    }
}

/// The JSON object of one error.
fn error_json(e: &ErrorItem) -> Value {
    json!({
        "level": e.level.as_str(),
        "file": e.file,
        "line": e.line,
        "column": e.column,
        "message": e.message,
        "help": e.help,
    })
}

/// One workflow command per error: `::error file=...,line=...,col=...,title=...::`.
fn github_error_lines(errors: &[ErrorItem]) -> String {
    let mut out = String::new();
    for e in errors {
        let level = match e.level {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Note => "notice",
        };
        let mut props = Vec::new();
        if let Some(file) = &e.file {
            props.push(format!("file={}", github_escape(file, true)));
        }
        if let Some(line) = e.line {
            props.push(format!("line={line}"));
        }
        if let Some(column) = e.column {
            props.push(format!("col={column}"));
        }
        props.push(format!(
            "title={}",
            if e.spec { "spec error" } else { "error" }
        ));
        let mut message = escape(&e.message).into_owned();
        if let Some(help) = &e.help {
            message.push_str("\nhelp: ");
            message.push_str(&escape(help));
        }
        out.push_str(&format!(
            "::{level} {}::{}\n",
            props.join(","),
            github_escape(&message, false)
        ));
    }
    out
}

/// Prints errors on stdout in a machine format (text: nothing).
pub fn emit_errors(errors: &[ErrorItem], format: FailureFormat) {
    match format {
        FailureFormat::Text => {}
        FailureFormat::Json { verdict } => {
            let mut value = json!({"errors": errors.iter().map(error_json).collect::<Vec<_>>()});
            if verdict {
                value["compatible"] = Value::Bool(false);
                value["findings"] = Value::Array(Vec::new());
            }
            print(&format!(
                "{}\n",
                serde_json::to_string_pretty(&value).unwrap_or_default()
            ));
        }
        FailureFormat::Sarif => print(&format!(
            "{}\n",
            serde_json::to_string_pretty(&crate::sarif::failure_log(errors)).unwrap_or_default()
        )),
        FailureFormat::Github => print(&github_error_lines(errors)),
        FailureFormat::Markdown => print(&markdown_errors(errors)),
    }
}

/// The errors as a Markdown report: the verdict a reviewer sees first,
/// then a table of places and messages.
fn markdown_errors(errors: &[ErrorItem]) -> String {
    use crate::render::report_markdown::{escape as md, table, Align};
    let rows: Vec<Vec<String>> = errors
        .iter()
        .map(|e| {
            let place = match (&e.file, e.line, e.column) {
                (Some(f), Some(l), Some(c)) => format!("{}:{l}:{c}", md(f)),
                (Some(f), Some(l), None) => format!("{}:{l}", md(f)),
                (Some(f), None, _) => md(f),
                (None, _, _) => String::new(),
            };
            let mut message = md(&e.message);
            if let Some(help) = &e.help {
                message.push_str(&format!(" (help: {})", md(help)));
            }
            vec![e.level.as_str().to_string(), place, message]
        })
        .collect();
    format!(
        "## abi-check: error (exit 2)\n\nThe run could not be completed: nothing was judged.\n\n{}",
        table(
            &[
                ("level", Align::Left),
                ("where", Align::Left),
                ("message", Align::Left)
            ],
            &rows
        )
    )
}

// ------------------------------------------------ user text on a terminal

/// The widest a path is shown in a message, in characters.
pub const MAX_PATH_CHARS: usize = 160;
/// The widest a message, or user text quoted in one (a waiver's reason), is
/// shown, in characters.
pub const MAX_MESSAGE_CHARS: usize = 400;

/// Characters that must not reach a terminal raw: control characters (C0,
/// DEL, C1: they move the cursor, clear the screen, set the window title)
/// and the invisible format characters that reorder or hide text.
fn unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}'
        )
}

/// One character as shown: itself, or escaped as Rust writes it (`\r`,
/// `\n`, `\u{1b}`).
fn shown_char(c: char, out: &mut String) {
    if !unsafe_char(c) {
        out.push(c);
    } else if c.is_control() {
        out.extend(c.escape_debug());
    } else {
        out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
    }
}

/// `text` with every character that must not reach a terminal escaped.
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        shown_char(c, &mut out);
    }
    Cow::Owned(out)
}

/// Text of many lines (a diff of a user's file) with every character that
/// must not reach a terminal escaped but line breaks and tabs.
pub fn escape_lines(text: &str) -> Cow<'_, str> {
    let keep = |c: char| c == '\n' || c == '\t';
    if !text.chars().any(|c| unsafe_char(c) && !keep(c)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if keep(c) {
            out.push(c);
        } else {
            shown_char(c, &mut out);
        }
    }
    Cow::Owned(out)
}

/// User text as a message may show it: escaped (see [`escape`]) and at
/// most `max` characters, the middle left out as `...`. The start keeps a
/// third of the room and the end the rest: the end of a path is the file's
/// name.
pub fn shown(text: &str, max: usize) -> String {
    let escaped = escape(text);
    let width = escaped.chars().count();
    if width <= max {
        return escaped.into_owned();
    }
    // Cut between characters of the original text, so that an escape is
    // never cut in two.
    let pieces: Vec<String> = text
        .chars()
        .map(|c| {
            let mut s = String::new();
            shown_char(c, &mut s);
            s
        })
        .collect();
    let room = max.saturating_sub(3);
    let (mut head_room, mut tail_room) = (room / 3, room - room / 3);
    let mut head = String::new();
    for piece in &pieces {
        let w = piece.chars().count();
        if w > head_room {
            break;
        }
        head_room -= w;
        head.push_str(piece);
    }
    let mut tail: Vec<&str> = Vec::new();
    for piece in pieces.iter().rev() {
        let w = piece.chars().count();
        if w > tail_room {
            break;
        }
        tail_room -= w;
        tail.push(piece);
    }
    tail.reverse();
    format!("{head}...{}", tail.concat())
}

/// A path as a message shows it: escaped and cut (see [`shown`]).
pub fn shown_path(path: &Path) -> String {
    shown(&path.to_string_lossy(), MAX_PATH_CHARS)
}

// ------------------------------------------------ standard output and error

/// The first error writing to stdout; once set, nothing more is written.
static STDOUT_ERROR: Mutex<Option<std::io::Error>> = Mutex::new(None);

/// Writes text to stdout. A failure is remembered, not fatal: the command
/// finishes, and [`finish`] turns it into the exit code (as a C program
/// checks `ferror(stdout)` before it exits).
pub fn print(text: &str) {
    let mut error = STDOUT_ERROR.lock().unwrap_or_else(PoisonError::into_inner);
    if error.is_some() {
        return;
    }
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        *error = Some(e);
    }
}

/// Output written as a command makes it, a chunk at a time, so that
/// memory holds a chunk rather than the whole output (`matrix --format
/// json` of 256 versions is gigabytes).
#[derive(Default)]
pub struct Streamed {
    buffer: String,
}

impl Streamed {
    /// Printed once this much is buffered.
    const CHUNK: usize = 1 << 16;

    /// Appends `text`, printing the buffer once it holds a chunk.
    pub fn push(&mut self, text: &str) {
        self.buffer.push_str(text);
        if self.buffer.len() >= Self::CHUNK {
            print(&self.buffer);
            self.buffer.clear();
        }
    }

    /// Appends `value` as the next element of a JSON array that is the
    /// value of a top-level key, indented as `serde_json` pretty-prints
    /// it; `first` says whether it opens the array.
    pub fn json_element(&mut self, first: &mut bool, value: &serde_json::Value) {
        let pretty = serde_json::to_string_pretty(value).unwrap_or_default();
        let lead = if std::mem::take(first) {
            "\n    "
        } else {
            ",\n    "
        };
        self.push(&format!("{lead}{}", pretty.replace('\n', "\n    ")));
    }

    /// Closes the array [`Streamed::json_element`] wrote into; `first`
    /// still true means it is empty.
    pub fn json_array_end(&mut self, first: bool) {
        self.push(if first { "]" } else { "\n  ]" });
    }

    /// Prints what is left.
    pub fn finish(self) {
        print(&self.buffer);
    }
}

/// True once a write to stdout has failed: a command that streams its
/// output stops working for a reader that went away.
pub fn stdout_failed() -> bool {
    STDOUT_ERROR
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .is_some()
}

/// Writes text to stderr. There is nowhere to report a failure to write a
/// message: it is lost, and the exit code says what happened.
pub fn eprint(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(text.as_bytes()).and_then(|()| err.flush());
}

/// The exit code, given the command's: a write error on stdout is exit 2
/// with a message; a closed pipe (the reader, such as `head`, has all it
/// wanted) ends the output quietly and keeps the command's exit code.
pub fn finish(code: u8) -> u8 {
    let error = STDOUT_ERROR
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take();
    match error {
        None => code,
        Some(e) if e.kind() == ErrorKind::BrokenPipe => code,
        Some(e) => {
            let head = if stderr_color() {
                "\x1b[1;31merror\x1b[0m"
            } else {
                "error"
            };
            eprint(&format!("{head}: cannot write to standard output: {e}\n"));
            EXIT_UNUSABLE
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

/// What to say after "no struct `name`": the closest struct of `spec`, or
/// the list of them.
pub fn known_structs(spec: &Spec, name: &str) -> String {
    let names = spec.structs.iter().map(|s| s.name.as_str());
    abi_spec::suggest::did_you_mean(name, names.clone()).unwrap_or_else(|| {
        format!(
            "the spec defines {}",
            names
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    })
}

/// Loads and validates a spec.
pub fn load_spec(path: &Path) -> Result<Spec, Failure> {
    Ok(abi_spec::load(path)?)
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
        "flag": f.flag,
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

thread_local! {
    /// The last spec whose name needed escaping, and its copy under the
    /// shown name: every finding of one file shares it, so a large spec
    /// with a hostile name is copied once, not once per finding.
    static SHOWN_SOURCE: RefCell<Option<(Arc<Source>, Arc<Source>)>> =
        const { RefCell::new(None) };
}

/// `source`, or a copy named as a terminal may show its name.
fn shown_source(source: &Arc<Source>) -> Arc<Source> {
    let name = shown(source.name(), MAX_PATH_CHARS);
    if name == source.name() {
        return source.clone();
    }
    SHOWN_SOURCE.with(|cache| {
        let mut cache = cache.borrow_mut();
        if let Some((original, copy)) = cache.as_ref() {
            if Arc::ptr_eq(original, source) {
                return copy.clone();
            }
        }
        let copy = Arc::new(Source::new(name, source.text()));
        *cache = Some((source.clone(), copy.clone()));
        copy
    })
}

/// Renders one finding rustc style; the file name, the message and the
/// waiver's reason escaped, the reason and file name cut.
pub fn finding_text(f: &Finding, color: bool) -> String {
    let level = if f.waived.is_some() {
        "waived"
    } else {
        f.severity.as_str()
    };
    let message = escape(&f.message);
    let help = f.help.as_deref().map(escape);
    let mut text = match &f.origin {
        Some(origin) => render_parts(
            &shown_source(&origin.source),
            level,
            Some(f.rule.id()),
            &message,
            Some(origin.span),
            None,
            help.as_deref(),
            color,
        ),
        None => {
            let mut t = format!("{level}[{}]: {message}\n", f.rule.id());
            if let Some(help) = &help {
                t.push_str(&format!("   = help: {help}\n"));
            }
            t.push('\n');
            t
        }
    };
    if let Some(reason) = &f.waived {
        text.insert_str(
            text.len() - 1,
            &format!("   = note: waived: {}\n", shown(reason, MAX_MESSAGE_CHARS)),
        );
    }
    text
}

/// Escapes a GitHub workflow-command property or message; other control
/// characters than line breaks are escaped as a terminal needs them (the
/// log shows them).
fn github_escape(text: &str, property: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            ':' if property => out.push_str("%3A"),
            ',' if property => out.push_str("%2C"),
            c => shown_char(c, &mut out),
        }
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
        // The message's own line breaks are escaped before the help's is
        // added: a message cannot forge a line.
        let mut message = format!("{}: {}", f.rule.id(), escape(&f.message));
        if let Some(help) = &f.help {
            message.push_str(&format!("\nhelp: {}", escape(help)));
        }
        out.push_str(&format!(
            "::{level} {}::{}\n",
            props.join(","),
            github_escape(&message, false)
        ));
    }
    out
}

/// Applies the waivers of `spec` (the side whose authors accept the
/// findings: the checked spec, NEW, the C library's, the verified spec),
/// adds the findings about those waivers (WAIVER_UNUSED, WAIVER_EXPIRED;
/// `breaking` with `strict`, which is `--strict-waivers`) and puts findings
/// in output order. `run` says which waivers the command can judge unused:
/// see [`Run`].
pub fn settle(findings: &mut Vec<Finding>, spec: &Spec, run: Run, strict: bool) {
    let today = Date::today();
    finding::apply_waivers(findings, spec, today);
    let about = finding::judge_waivers(findings, spec, today, run, strict, || {
        // What `check` reports of the spec itself; `check`'s own findings
        // are exactly that already.
        if run == Run::Check {
            return Vec::new();
        }
        let mut own = lint::lint(spec);
        own.extend(
            compat::history_notable(spec)
                .into_iter()
                .filter(compat::is_notable),
        );
        own
    });
    findings.extend(about);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_and_invisible_characters_are_escaped() {
        assert_eq!(escape("plain é"), "plain é");
        assert_eq!(
            escape("a\rb\u{1b}[2J\nc\u{7}\u{202e}d"),
            r"a\rb\u{1b}[2J\nc\u{7}\u{202e}d"
        );
        assert_eq!(escape_lines("a\tb\nc\u{1b}\r\n"), "a\tb\nc\\u{1b}\\r\n");
    }

    #[test]
    fn long_text_keeps_its_start_and_end_and_never_cuts_an_escape() {
        let path = format!("/start/{}/\u{1b}end.toml", "x".repeat(500));
        let s = shown(&path, 40);
        assert!(s.chars().count() <= 40, "{s}");
        assert!(s.starts_with("/start/"), "{s}");
        assert!(s.ends_with(r"/\u{1b}end.toml"), "{s}");
        assert!(s.contains("..."), "{s}");
        // An escape at the edge is left out whole, not cut in two.
        let s = shown(&"\u{1b}".repeat(100), 23);
        assert_eq!(s, format!(r"{}...{}", r"\u{1b}", r"\u{1b}\u{1b}"));
        assert_eq!(shown("short", 40), "short");
    }

    #[test]
    fn github_properties_and_messages_cannot_forge_a_line() {
        assert_eq!(
            github_escape("a,b:c%\r\nd\u{1b}", true),
            "a%2Cb%3Ac%25%0D%0Ad\\u{1b}"
        );
        let error = ErrorItem::new(Some("x\ny.toml".into()), "bad\n::error::forged".into());
        let lines = github_error_lines(&[error]);
        assert_eq!(lines.lines().count(), 1, "{lines}");
        assert!(
            lines.starts_with("::error file=x%0Ay.toml,title=error::bad\\n::error::forged"),
            "{lines}"
        );
    }

    #[test]
    fn the_failure_format_follows_the_command() {
        assert_eq!(
            FailureFormat::of("check", "json"),
            FailureFormat::Json { verdict: true }
        );
        assert_eq!(
            FailureFormat::of("layout", "json"),
            FailureFormat::Json { verdict: false }
        );
        assert_eq!(FailureFormat::of("verify", "sarif"), FailureFormat::Sarif);
        assert_eq!(FailureFormat::of("diff", "github"), FailureFormat::Github);
        assert_eq!(FailureFormat::of("compat", "sarif"), FailureFormat::Text);
        assert_eq!(FailureFormat::of("check", "text"), FailureFormat::Text);
        assert_eq!(FailureFormat::of("layout", "svg"), FailureFormat::Text);
    }
}
