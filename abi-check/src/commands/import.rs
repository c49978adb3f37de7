//! `abi-check import`: C headers to a spec. A probe that includes the
//! headers and uses the structs is compiled with `-g` for each target
//! ([`crate::compilers`]); the structs are read back from the objects'
//! DWARF, `sizeof`, `_Alignof` and the `--define` values from a section the
//! probe fills; one spec is written for every target compiled, and checked
//! against each of them before it is written. docs/import.md says what is
//! decided and why.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use abi_dwarf::{CStruct, Found, TypeKind};
use abi_spec::layout::classes;
use abi_spec::Target;
use object::{Object, ObjectSection};

use crate::cli::ImportArgs;
use crate::compilers::{self, AsmHeaders, CompileError, Compiler};
use crate::output::{self, Failure, Outcome, EXIT_OK};
use crate::spec_toml::{self, ConstantModel, Document, FieldModel, Model, Origin};
use crate::write;

/// The section the probe stores `sizeof`, `_Alignof` and constants in.
const SECTION: &str = ".abi_check_import";

/// How many lines of a compiler's message are shown.
const SHOWN_COMPILER_LINES: usize = 14;
/// How many characters of each of those lines.
const SHOWN_COMPILER_LINE_CHARS: usize = 240;

/// Runs the command.
pub fn run(args: &ImportArgs) -> Outcome {
    let headers = args
        .headers
        .iter()
        .map(|h| Header::new(h))
        .collect::<Result<Vec<_>, _>>()?;
    for name in args.structs.iter().chain(&args.defines) {
        if !abi_spec::names::is_c_identifier(name) {
            return Err(Failure::msg(format!(
                "`{}` is not a C identifier: --struct takes a struct tag, --define a macro or \
                 enum constant name",
                output::shown(name, 80)
            )));
        }
    }
    if let Some(name) = &args.name {
        if !abi_spec::names::is_spec_name(name) {
            return Err(Failure::msg(format!(
                "--name `{}` is not a spec name (a C identifier of at most {} characters, no C \
                 or C++ keyword)",
                output::shown(name, 80),
                abi_spec::limits::MAX_NAME_LEN
            )));
        }
    }
    for dir in &args.include_dirs {
        if !dir.is_dir() {
            return Err(Failure::file(dir, "-I: not a directory"));
        }
    }
    let (targets, all) = targets(&args.target)?;
    let probe = Probe::new(&headers, &args.structs, &args.defines);
    let scratch = Scratch::create()?;
    let source = scratch.path.join("probe.c");
    std::fs::write(&source, &probe.text)
        .map_err(|e| Failure::file(&source, format!("cannot write the probe: {e}")))?;
    let fallback = scratch.path.join("fallback");
    compilers::write_fallback(&fallback).map_err(|e| {
        Failure::file(
            &fallback,
            format!("cannot write the fallback asm/ headers: {e}"),
        )
    })?;

    let results = compile_all(
        &targets,
        &source,
        &scratch.path,
        &args.include_dirs,
        &fallback,
    );
    let mut skipped: Vec<(Target, String)> = Vec::new();
    let mut compiled: Vec<Compiled> = Vec::new();
    for (target, result) in targets.iter().zip(results) {
        match result {
            Attempt::Missing(family) => skipped.push((
                *target,
                format!(
                    "no {} here (install {})",
                    family.program(),
                    family.package()
                ),
            )),
            Attempt::Lost => {
                return Err(Failure::msg(format!(
                    "compiling the probe for {target} did not finish"
                )))
            }
            Attempt::Failed(compiler, error) => {
                let reason = judge_failure(&probe, &headers, &compiler, &error)?;
                skipped.push((*target, reason));
            }
            Attempt::Done(compiler, object, deps) => {
                let mut c = read_object(&probe, &args.structs, &compiler, &object, &deps)?;
                match c.poisoned.take() {
                    Some(reason) => skipped.push((*target, reason)),
                    None => compiled.push(c),
                }
            }
        }
    }
    if !all {
        if let Some((target, reason)) = skipped.first() {
            return Err(Failure::msg(format!(
                "cannot import for {target}: {reason}"
            )));
        }
    }
    if compiled.is_empty() {
        let reasons: Vec<String> = skipped.iter().map(|(t, r)| format!("{t}: {r}")).collect();
        return Err(Failure::msg(format!(
            "no target could be compiled: {}",
            reasons.join("; ")
        )));
    }
    let skipped = grouped(&skipped);
    for (targets, reason) in &skipped {
        output::eprint(&format!(
            "warning: not compiled for {targets}: {}\n",
            output::shown(reason, output::MAX_MESSAGE_CHARS)
        ));
    }

    let mut models: Vec<(Target, Model)> = Vec::new();
    for c in &compiled {
        let mut model = spec_toml::build(
            &c.found,
            c.compiler.target,
            spec_toml::Options { annotate: true },
        );
        settle_alignment(&mut model, c);
        models.push((c.compiler.target, model));
    }
    let (mut model, notes) = unify(&models)?;
    for s in &mut model.structs {
        for f in &mut s.fields {
            f.since = args.version;
            if f.origin == (Origin::Padding { tail: true }) && f.name != "reserved_size" {
                f.comments.push(
                    "tail padding, named so that `check` finds no IMPLICIT_PADDING; it makes \
                     feature_size equal sizeof. If callers announce the end of the last field \
                     instead (rseq's AT_RSEQ_FEATURE_SIZE), delete this field and waive \
                     IMPLICIT_PADDING."
                        .into(),
                );
            }
        }
    }
    let constants = constants(&args.defines, &compiled)?;
    let verified: Vec<Target> = compiled.iter().map(|c| c.compiler.target).collect();
    let abi_name = match &args.name {
        Some(name) => name.clone(),
        None => model
            .structs
            .first()
            .map(|s| s.name.clone())
            .unwrap_or_else(|| "import".into()),
    };
    let header_list = headers
        .iter()
        .map(|h| output::shown(&h.arg, 120))
        .collect::<Vec<_>>()
        .join(", ");
    let header_lines = header_comments(args, &header_list, &compiled, &skipped);
    let document = Document {
        header: header_lines,
        abi_name,
        version: args.version,
        first_version: Some(args.version),
        doc: format!("Imported from {header_list} by abi-check import."),
        targets: (verified.len() < Target::ALL.len()).then(|| verified.clone()),
        abi_comments: Vec::new(),
        constants,
        model,
        wrap: true,
    };
    let text = spec_toml::render(&document);
    verify(&text, &document, &models, &compiled)?;
    for note in &notes {
        output::eprint(&format!("warning: {}\n", output::escape(note)));
    }
    match &args.output {
        Some(path) => {
            let inputs: Vec<&Path> = headers.iter().filter_map(|h| h.file.as_deref()).collect();
            write::replace(path, text.as_bytes(), &inputs)?;
        }
        None => output::print(&text),
    }
    Ok(EXIT_OK)
}

/// The comments at the top of the spec: where it came from, what was
/// verified on which targets with which compilers, what was not.
fn header_comments(
    args: &ImportArgs,
    header_list: &str,
    compiled: &[Compiled],
    skipped: &[(String, String)],
) -> Vec<String> {
    let verified: Vec<Target> = compiled.iter().map(|c| c.compiler.target).collect();
    let mut header_lines = vec![
        format!(
            "Generated by `abi-check import` from {header_list}: {}.",
            args.structs
                .iter()
                .map(|s| format!("struct {s}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        format!(
            "Verified before writing: every struct lays out as the compilers laid it out on {}.",
            if verified.len() == Target::ALL.len() {
                "all 20 built-in targets".to_string()
            } else {
                verified
                    .iter()
                    .map(|t| t.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        ),
    ];
    let compilers_used: Vec<String> = {
        let mut seen: Vec<String> = Vec::new();
        for c in compiled {
            let d = c.compiler.describe();
            let name = d.split(' ').next().unwrap_or_default().to_string();
            if !seen.contains(&name) {
                seen.push(name);
            }
        }
        seen
    };
    header_lines.push(format!("Compilers: {}.", compilers_used.join(", ")));
    let fallback_targets: Vec<&str> = compiled
        .iter()
        .filter(|c| c.used_fallback)
        .map(|c| c.compiler.target.name())
        .collect();
    if !fallback_targets.is_empty() {
        header_lines.push(format!(
            "Without their own Linux asm/ headers here, {} were compiled with abi-check's \
             fallback asm/ headers: fixed-width types, byte order and the kernel types that are \
             alike on every target (docs/import.md).",
            fallback_targets.join(", ")
        ));
    }
    for (targets, reason) in skipped {
        header_lines.push(format!("Not compiled for {targets}: {reason}."));
    }
    header_lines.push(format!(
        "One version ({}): add the history (`since`, `was_reserved`), features and writers by \
         hand, and review every comment below.",
        args.version
    ));
    header_lines
}

// ------------------------------------------------------------ arguments

/// A header as given, and how the probe includes it.
struct Header {
    /// As given.
    arg: String,
    /// What follows `#include`: `<linux/openat2.h>` or `"/abs/path.h"`.
    include: String,
    /// The file, when one was named.
    file: Option<PathBuf>,
}

impl Header {
    /// A file that exists is included by its absolute path; any other name
    /// is looked for in the compilers' include path, as `#include <...>`.
    fn new(arg: &str) -> Result<Header, Failure> {
        let path = Path::new(arg);
        let bad = |what: &str| Failure::msg(format!("`{}`: {what}", output::shown(arg, 160)));
        if arg.is_empty() {
            return Err(bad("an empty header name"));
        }
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_file() => {
                let absolute = std::fs::canonicalize(path)
                    .map_err(|e| Failure::file(path, format!("cannot read: {e}")))?;
                let Some(text) = absolute.to_str().filter(|t| plain_include(t)) else {
                    return Err(Failure::file(
                        path,
                        "its absolute path has a character C cannot write in #include \"...\"; \
                         give its directory with -I and the header by name",
                    ));
                };
                Ok(Header {
                    arg: arg.to_string(),
                    include: format!("\"{text}\""),
                    file: Some(absolute),
                })
            }
            Ok(_) => Err(Failure::file(
                path,
                "not a regular file: a header is a file",
            )),
            Err(_) if arg.starts_with('/') || arg.starts_with("./") || arg.starts_with("../") => {
                Err(Failure::file(path, "no such file"))
            }
            Err(_) if !plain_include(arg) => Err(bad(
                "not a header name: a file, or a name such as linux/openat2.h",
            )),
            Err(_) => Ok(Header {
                arg: arg.to_string(),
                include: format!("<{arg}>"),
                file: None,
            }),
        }
    }
}

/// True when `text` can stand between the quotes or brackets of an
/// `#include`.
fn plain_include(text: &str) -> bool {
    !text.is_empty()
        && text
            .chars()
            .all(|c| !c.is_control() && !matches!(c, '"' | '<' | '>' | '\\'))
}

/// The targets asked for, and whether `all` was.
fn targets(arg: &str) -> Result<(Vec<Target>, bool), Failure> {
    if arg == "all" {
        return Ok((Target::ALL.to_vec(), true));
    }
    let mut targets = Vec::new();
    for name in arg.split(',') {
        let target = Target::from_name(name.trim()).ok_or_else(|| {
            Failure::msg(format!(
                "unknown target `{}`; built-in targets: {}, or `all`",
                output::shown(name, 40),
                Target::ALL
                    .iter()
                    .map(|t| t.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?;
        if !targets.contains(&target) {
            targets.push(target);
        }
    }
    targets.sort();
    Ok((targets, false))
}

// ------------------------------------------------------------ the probe

/// What a line of the probe does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Line {
    Include(usize),
    Struct(usize),
    Define(usize),
}

/// The probe's C text, and what each of its lines does.
struct Probe {
    text: String,
    lines: BTreeMap<usize, Line>,
}

impl Probe {
    fn new(headers: &[Header], structs: &[String], defines: &[String]) -> Probe {
        let mut text = String::from("/* abi-check import probe */\n");
        let mut lines = BTreeMap::new();
        let mut line = 2;
        for (i, h) in headers.iter().enumerate() {
            text.push_str(&format!("#include {}\n", h.include));
            lines.insert(line, Line::Include(i));
            line += 1;
        }
        // The type of an integer constant expression, promoted.
        text.push_str(
            "#define ABI_CHECK_KIND(x) _Generic((x) + 0, int: 1, unsigned int: 2, long: 3, \
             unsigned long: 4, long long: 5, unsigned long long: 6, default: 0)\n",
        );
        line += 1;
        // A variable of each struct's pointer type puts the whole struct in
        // the debug information.
        for (i, s) in structs.iter().enumerate() {
            text.push_str(&format!(
                "__attribute__((used)) static struct {s} *abi_check_struct_{i};\n"
            ));
            lines.insert(line, Line::Struct(i));
            line += 1;
        }
        text.push_str(&format!(
            "__attribute__((section(\"{SECTION}\"), used)) static const unsigned long long \
             abi_check_values[] = {{\n"
        ));
        line += 1;
        for (i, s) in structs.iter().enumerate() {
            text.push_str(&format!("  sizeof(struct {s}), _Alignof(struct {s}),\n"));
            lines.insert(line, Line::Struct(i));
            line += 1;
        }
        for (i, d) in defines.iter().enumerate() {
            text.push_str(&format!(
                "  (unsigned long long)({d}), sizeof(({d}) + 0), ABI_CHECK_KIND({d}),\n"
            ));
            lines.insert(line, Line::Define(i));
            line += 1;
        }
        text.push_str("  0\n};\n");
        Probe { text, lines }
    }

    /// The probe line a compiler's message is about first: the line of an
    /// error in the probe, or the `#include` a header's error came in by.
    fn blame(&self, stderr: &str) -> Option<Line> {
        for (at, _) in stderr.match_indices("probe.c:") {
            let digits: String = stderr[at + "probe.c:".len()..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            if let Some(line) = digits.parse().ok().and_then(|n: usize| self.lines.get(&n)) {
                return Some(*line);
            }
        }
        None
    }
}

/// A scratch directory, removed when dropped.
struct Scratch {
    path: PathBuf,
}

impl Scratch {
    fn create() -> Result<Scratch, Failure> {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let base = std::env::temp_dir();
        let mut last = None;
        for _ in 0..100 {
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos());
            let path = base.join(format!(
                "abi-check-import-{}-{nanos:x}{n:x}",
                std::process::id()
            ));
            match std::fs::create_dir(&path) {
                Ok(()) => return Ok(Scratch { path }),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
                Err(e) => {
                    return Err(Failure::file(
                        &base,
                        format!("cannot create a scratch directory for the probe: {e}"),
                    ))
                }
            }
        }
        Err(Failure::file(
            &base,
            format!(
                "cannot create a scratch directory for the probe: {}",
                last.map(|e| e.to_string()).unwrap_or_default()
            ),
        ))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

// ------------------------------------------------------------ compiling

/// What compiling for one target came to.
enum Attempt {
    /// No compiler for it here.
    Missing(compilers::Family),
    /// The compiler refused.
    Failed(Compiler, CompileError),
    /// An object and the list of headers it read.
    Done(Compiler, PathBuf, PathBuf),
    /// The worker compiling it stopped before it finished.
    Lost,
}

/// Compiles the probe for every target, a few at a time.
fn compile_all(
    targets: &[Target],
    source: &Path,
    dir: &Path,
    include_dirs: &[PathBuf],
    fallback: &Path,
) -> Vec<Attempt> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Attempt>>> = Mutex::new(targets.iter().map(|_| None).collect());
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 8)
        .min(targets.len().max(1));
    let work = || loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        let Some(&target) = targets.get(i) else {
            break;
        };
        let attempt = match compilers::find(target) {
            Err(family) => Attempt::Missing(family),
            Ok(compiler) => {
                let object = dir.join(format!("probe-{}.o", target.name()));
                let deps = dir.join(format!("probe-{}.d", target.name()));
                match compiler.compile(source, &object, &deps, include_dirs, fallback) {
                    Ok(()) => Attempt::Done(compiler, object, deps),
                    Err(e) => Attempt::Failed(compiler, e),
                }
            }
        };
        if let Ok(mut results) = results.lock() {
            results[i] = Some(attempt);
        }
    };
    std::thread::scope(|scope| {
        let spawned: Vec<_> = (1..workers)
            .filter_map(|_| std::thread::Builder::new().spawn_scoped(scope, work).ok())
            .collect();
        // This thread works too, so that a refused spawn still finishes.
        work();
        for handle in spawned {
            let _ = handle.join();
        }
    });
    results
        .into_inner()
        .unwrap_or_default()
        .into_iter()
        .map(|r| r.unwrap_or(Attempt::Lost))
        .collect()
}

/// A compiler's message, cut to a readable length, the scratch path of
/// the probe shortened to `probe.c`.
fn excerpt(stderr: &str) -> String {
    let mut out = String::new();
    let lines: Vec<&str> = stderr.lines().collect();
    for line in lines.iter().take(SHOWN_COMPILER_LINES) {
        let line = match line.find("probe.c:") {
            Some(at) => {
                let start = line[..at]
                    .rfind(|c: char| c.is_whitespace())
                    .map_or(0, |i| i + 1);
                format!("{}{}", &line[..start], &line[at..])
            }
            None => line.to_string(),
        };
        out.push_str("  ");
        out.push_str(&output::shown(&line, SHOWN_COMPILER_LINE_CHARS));
        out.push('\n');
    }
    if lines.len() > SHOWN_COMPILER_LINES {
        out.push_str(&format!(
            "  ... ({} more lines)\n",
            lines.len() - SHOWN_COMPILER_LINES
        ));
    }
    out
}

/// The first `error:` of a compiler's message, without its place.
fn first_error(stderr: &str) -> String {
    stderr
        .lines()
        .find_map(|l| {
            l.find("error: ")
                .map(|at| l[at + "error: ".len()..].trim().to_string())
        })
        .unwrap_or_else(|| "the compiler failed".into())
}

/// Why a target's compile failed: `Ok(reason)` to skip the target (it
/// needs what this machine lacks for it), `Err` for a failure of the
/// input itself (exit 2), the compiler's message shown.
fn judge_failure(
    probe: &Probe,
    headers: &[Header],
    compiler: &Compiler,
    error: &CompileError,
) -> Result<String, Failure> {
    let target = compiler.target;
    let stderr = match error {
        CompileError::Spawn { program, source } => {
            return Err(Failure::file(program, format!("cannot run: {source}")))
        }
        CompileError::Failed { stderr } => stderr,
    };
    if compilers::unknown_target(stderr) {
        return Ok(format!(
            "{} does not know this target ({})",
            compiler.describe(),
            first_error(stderr)
        ));
    }
    let shown_by = format!("{} ({target})", compiler.describe());
    if compiler.asm == AsmHeaders::Fallback {
        if let Some(header) = compilers::missing_asm_header(stderr) {
            return Ok(format!(
                "the headers need <{header}>, which is architecture-specific, and this machine \
                 has no Linux asm/ headers of that architecture (they come with its \
                 linux-libc-dev; Debian: linux-libc-dev-<arch>-cross)"
            ));
        }
        if let Some(at) = stderr.find(compilers::ARCH_SPECIFIC) {
            let name: String = stderr[at + compilers::ARCH_SPECIFIC.len()..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            let used_by = match probe.blame(stderr) {
                Some(Line::Define(i)) => format!("--define {} uses", probe_define_name(probe, i)),
                _ => "the headers use".to_string(),
            };
            return Ok(format!(
                "{used_by} `{name}`, which each architecture's asm/ headers define its own way, \
                 and this machine has no asm/ headers of that architecture"
            ));
        }
    }
    output::eprint(&format!("{shown_by} said:\n{}", excerpt(stderr)));
    let message = first_error(stderr);
    let failure = match probe.blame(stderr) {
        Some(Line::Include(i)) => {
            let h = &headers[i];
            let not_found =
                message.contains("No such file or directory") || message.contains("file not found");
            if not_found && message.contains(&h.arg) {
                Failure::msg(format!(
                    "{}: no such header: not a file, and {} does not find it in its include path \
                     (add its directory with -I)",
                    output::shown(&h.arg, 160),
                    compiler.describe()
                ))
            } else {
                Failure::msg(format!(
                    "{} does not compile for {target} with {}: {message}",
                    output::shown(&h.arg, 160),
                    compiler.describe()
                ))
            }
        }
        Some(Line::Struct(i)) => {
            let name = &probe_struct_name(probe, i);
            if message.contains("incomplete") {
                Failure::msg(format!(
                    "`struct {name}` is not defined by {}: the compiler knows no such struct \
                     ({message})",
                    headers
                        .iter()
                        .map(|h| output::shown(&h.arg, 160))
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            } else {
                Failure::msg(format!(
                    "`struct {name}` cannot be used for {target}: {message}"
                ))
            }
        }
        Some(Line::Define(i)) => {
            let name = probe_define_name(probe, i);
            if message.contains("undeclared") {
                Failure::msg(format!(
                    "--define {name}: `{name}` is not defined by the headers (neither a macro \
                     nor an enum constant)"
                ))
            } else {
                Failure::msg(format!(
                    "--define {name}: `{name}` is not an integer constant expression: {message}"
                ))
            }
        }
        None => Failure::msg(format!(
            "the probe does not compile for {target} with {}: {message}",
            compiler.describe()
        )),
    };
    Err(failure)
}

/// The struct name of the probe's `Line::Struct(i)`.
fn probe_struct_name(probe: &Probe, i: usize) -> String {
    let marker = format!("*abi_check_struct_{i};");
    probe
        .text
        .lines()
        .find(|l| l.ends_with(&marker))
        .and_then(|l| l.split("struct ").nth(1))
        .map(|rest| rest.split(' ').next().unwrap_or_default().to_string())
        .unwrap_or_default()
}

/// The name of the probe's `Line::Define(i)`.
fn probe_define_name(probe: &Probe, i: usize) -> String {
    let line = probe
        .lines
        .iter()
        .find(|(_, l)| **l == Line::Define(i))
        .map(|(n, _)| *n)
        .unwrap_or(0);
    probe
        .text
        .lines()
        .nth(line.saturating_sub(1))
        .and_then(|l| l.split("(unsigned long long)(").nth(1))
        .and_then(|rest| rest.split(')').next())
        .unwrap_or_default()
        .to_string()
}

// ------------------------------------------------------------ reading

/// One target's object, read.
struct Compiled {
    compiler: Compiler,
    /// The structs, in the order asked.
    found: Vec<Found>,
    /// `sizeof` and `_Alignof` of each struct, from the compiler.
    sizes: Vec<(u64, u64)>,
    /// `(value, size, kind)` of each `--define`.
    defines: Vec<(u64, u64, u64)>,
    /// The fallback asm/ headers were read.
    used_fallback: bool,
    /// Why the target must be skipped: a struct holds a type that the
    /// fallback headers poisoned.
    poisoned: Option<String>,
}

fn read_object(
    probe: &Probe,
    structs: &[String],
    compiler: &Compiler,
    object: &Path,
    deps: &Path,
) -> Result<Compiled, Failure> {
    let target = compiler.target;
    let groups: Vec<Vec<String>> = structs.iter().map(|s| vec![s.clone()]).collect();
    let options = abi_dwarf::Options {
        debug_dir: PathBuf::new(),
        btf_base: None,
        every_definition: false,
    };
    let dump = abi_dwarf::read(object, &groups, &options).map_err(|e| {
        Failure::msg(format!(
            "reading what {} compiled for {target}: {e}",
            compiler.describe()
        ))
    })?;
    if dump.target.layout_class() != target.layout_class() {
        return Err(Failure::msg(format!(
            "{} compiled for {target}, but the object says {}",
            compiler.describe(),
            dump.target
        )));
    }
    let bytes = std::fs::read(object).map_err(|e| Failure::file(object, e.to_string()))?;
    let values = probe_values(&bytes).map_err(|e| {
        Failure::msg(format!(
            "the probe compiled for {target} by {}: {e}",
            compiler.describe()
        ))
    })?;
    let wanted = structs.len() * 2 + probe_defines(probe) * 3 + 1;
    if values.len() != wanted {
        return Err(Failure::msg(format!(
            "the probe compiled for {target} holds {} values, not {wanted}",
            values.len()
        )));
    }
    let sizes = values
        .chunks_exact(2)
        .take(structs.len())
        .map(|c| (c[0], c[1]))
        .collect();
    let defines = values[structs.len() * 2..values.len() - 1]
        .chunks_exact(3)
        .map(|c| (c[0], c[1], c[2]))
        .collect();
    let used_fallback = compiler.asm == AsmHeaders::Fallback
        && std::fs::read_to_string(deps).is_ok_and(|d| d.contains("/fallback/asm/"));
    let poisoned = dump
        .structs
        .iter()
        .find_map(|f| poisoned(&f.layout, &f.query))
        .map(|(path, name)| {
            let what = if path == name {
                format!("`struct {name}` is defined")
            } else {
                format!("`{path}` is a `{name}`, which is defined")
            };
            format!(
                "{what} by each architecture's asm/ headers its own way, and this machine has \
                 no asm/ headers of that architecture"
            )
        });
    Ok(Compiled {
        compiler: compiler.clone(),
        found: dump.structs,
        sizes,
        defines,
        used_fallback,
        poisoned,
    })
}

fn probe_defines(probe: &Probe) -> usize {
    probe
        .lines
        .values()
        .filter(|l| matches!(l, Line::Define(_)))
        .count()
}

/// The probe's values, in the object's byte order.
fn probe_values(bytes: &[u8]) -> Result<Vec<u64>, String> {
    let file = object::File::parse(bytes).map_err(|e| e.to_string())?;
    let section = file
        .section_by_name(SECTION)
        .ok_or_else(|| format!("no {SECTION} section"))?;
    let data = section.data().map_err(|e| e.to_string())?;
    let little = file.is_little_endian();
    Ok(data
        .chunks_exact(8)
        .map(|c| {
            let mut b = [0u8; 8];
            b.copy_from_slice(c);
            if little {
                u64::from_le_bytes(b)
            } else {
                u64::from_be_bytes(b)
            }
        })
        .collect())
}

/// The first member (as a path) whose type the fallback headers poisoned,
/// with the poisoned type's name.
fn poisoned(s: &CStruct, path: &str) -> Option<(String, String)> {
    for m in &s.members {
        let mut ty = &m.ty;
        while let TypeKind::Array { element, .. } = &ty.kind {
            ty = element;
        }
        let TypeKind::Aggregate(inner) = &ty.kind else {
            continue;
        };
        if let Some(name) = inner
            .name
            .as_deref()
            .and_then(|n| n.strip_prefix(compilers::ARCH_SPECIFIC))
        {
            // The poison's own member: the struct around it is the one.
            let here = if m
                .name
                .as_deref()
                .is_some_and(|n| n.starts_with(compilers::ARCH_SPECIFIC))
            {
                path.to_string()
            } else {
                format!("{path}.{}", m.name.as_deref().unwrap_or_default())
            };
            return Some((here, name.to_string()));
        }
        let here = match &m.name {
            Some(n) => format!("{path}.{n}"),
            None => path.to_string(),
        };
        if let Some(found) = poisoned(inner, &here) {
            return Some(found);
        }
    }
    None
}

// ------------------------------------------------------------ the spec

/// A packed struct whose members all sit aligned looks unpacked in DWARF;
/// the compiler's `_Alignof` tells: the model follows the compiler.
fn settle_alignment(model: &mut Model, compiled: &Compiled) {
    for (found, &(size, align)) in compiled.found.iter().zip(&compiled.sizes) {
        let Some(s) = model
            .structs
            .iter_mut()
            .find(|s| s.query.as_deref() == Some(found.query.as_str()))
        else {
            continue;
        };
        if s.size == size && s.c_align != align && !s.packed && align < s.c_align {
            s.packed = true;
            if align > 1 {
                s.align = Some(align);
            }
            s.c_align = align;
            s.comments.push(format!(
                "packed: the compiler's _Alignof is {align} where the members ask for more \
                 (DWARF does not record packing)"
            ));
        }
    }
}

/// An explicit alignment as a comment says it.
fn explicit(align: Option<u64>) -> String {
    match align {
        Some(a) => format!("aligned({a})"),
        None => "none".into(),
    }
}

/// Skipped targets with the same reason, as `(a, b, c, reason)`.
fn grouped(skipped: &[(Target, String)]) -> Vec<(String, String)> {
    let mut groups: Vec<(Vec<Target>, &str)> = Vec::new();
    for (t, reason) in skipped {
        match groups.iter_mut().find(|(_, r)| *r == reason.as_str()) {
            Some((ts, _)) => ts.push(*t),
            None => groups.push((vec![*t], reason)),
        }
    }
    groups
        .into_iter()
        .map(|(ts, reason)| {
            (
                ts.iter().map(|t| t.name()).collect::<Vec<_>>().join(", "),
                reason.to_string(),
            )
        })
        .collect()
}

/// The targets of each distinct value, `value on t1, t2; other on t3`.
fn by_value<V: PartialEq + std::fmt::Display>(values: &[(Target, V)]) -> String {
    let mut groups: Vec<(&V, Vec<Target>)> = Vec::new();
    for (t, v) in values {
        match groups.iter_mut().find(|(g, _)| *g == v) {
            Some((_, ts)) => ts.push(*t),
            None => groups.push((v, vec![*t])),
        }
    }
    groups
        .iter()
        .map(|(v, ts)| {
            format!(
                "{v} on {}",
                ts.iter().map(|t| t.name()).collect::<Vec<_>>().join(", ")
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// One spec type for a field whose spec type differs between targets: a
/// signed or unsigned integer as wide as each target's `long` is `long`
/// or `ulong`, a plain `char` (signed on some targets, unsigned on others)
/// is `u8`, element by element in arrays of the same length.
fn unified_type(types: &[(Target, &str)], plain_char: bool) -> Option<String> {
    let first = types.first()?.1;
    if types.iter().all(|(_, t)| *t == first) {
        return Some(first.to_string());
    }
    if plain_char && types.iter().all(|(_, t)| matches!(*t, "i8" | "u8")) {
        return Some("u8".into());
    }
    // Arrays: the same length, and elements that unify.
    let arrays: Option<Vec<(Target, &str, &str)>> = types
        .iter()
        .map(|(t, ty)| {
            let inner = ty.strip_prefix('[')?.strip_suffix(']')?;
            let (element, len) = inner.rsplit_once("; ")?;
            Some((*t, element, len))
        })
        .collect();
    if let Some(arrays) = arrays {
        let len = arrays.first()?.2;
        if arrays.iter().all(|(_, _, l)| *l == len) {
            let elements: Vec<(Target, &str)> = arrays.iter().map(|(t, e, _)| (*t, *e)).collect();
            return unified_type(&elements, plain_char).map(|e| format!("[{e}; {len}]"));
        }
        return None;
    }
    let long = |signed: bool| {
        types.iter().all(|(t, ty)| {
            let wanted = match (signed, t.pointer_size()) {
                (true, 8) => "i64",
                (true, _) => "i32",
                (false, 8) => "u64",
                (false, _) => "u32",
            };
            *ty == wanted
        })
    };
    if long(true) {
        Some("long".into())
    } else if long(false) {
        Some("ulong".into())
    } else {
        None
    }
}

/// One model for every target: the same structs and fields, types that
/// mean the same on each, and padding written as a field only where every
/// target has it alike. Differences the spec reproduces (a field at other
/// offsets on some targets) come back as notes; differences it cannot
/// express are an error.
fn unify(models: &[(Target, Model)]) -> Result<(Model, Vec<String>), Failure> {
    let (rep_target, rep) = &models[0];
    let mut out = rep.clone();
    let mut notes = Vec::new();
    let refuse = |what: String| {
        Failure::msg(format!(
            "the structs differ between targets in a way one spec cannot say: {what}"
        ))
    };
    for (t, m) in &models[1..] {
        let names: Vec<&str> = m.structs.iter().map(|s| s.name.as_str()).collect();
        let rep_names: Vec<&str> = rep.structs.iter().map(|s| s.name.as_str()).collect();
        if names != rep_names {
            return Err(refuse(format!(
                "the structs are {} on {rep_target}, {} on {t}",
                rep_names.join(", "),
                names.join(", ")
            )));
        }
    }
    for (si, s) in out.structs.iter_mut().enumerate() {
        let all: Vec<(Target, &spec_toml::StructModel)> =
            models.iter().map(|(t, m)| (*t, &m.structs[si])).collect();
        let label = s.query.clone().unwrap_or_else(|| s.name.clone());
        for (t, other) in &all {
            if other.kind != s.kind || other.packed != s.packed {
                return Err(refuse(format!(
                    "`{label}` is a {}{} on {rep_target}, a {}{} on {t}",
                    s.kind.keyword(),
                    if s.packed { " packed" } else { "" },
                    other.kind.keyword(),
                    if other.packed { " packed" } else { "" },
                )));
            }
        }
        // gcc records the alignment its members give a struct
        // (`DW_AT_alignment`), clang does not: the largest explicit one is
        // taken, and the comparison with each compiler's _Alignof judges.
        let aligns: Vec<(Target, String)> =
            all.iter().map(|(t, x)| (*t, explicit(x.align))).collect();
        if aligns.iter().any(|(_, a)| *a != aligns[0].1) {
            s.align = all.iter().filter_map(|(_, x)| x.align).max();
            s.comments.push(format!(
                "align = {}: the largest alignment the compilers recorded ({})",
                s.align.unwrap_or(1),
                by_value(&aligns)
            ));
        }
        let live = |x: &spec_toml::StructModel| -> Vec<String> {
            x.fields
                .iter()
                .filter(|f| !matches!(f.origin, Origin::Padding { .. }))
                .map(|f| f.name.clone())
                .collect()
        };
        let rep_live = live(s);
        for (t, other) in &all {
            if live(other) != rep_live {
                return Err(refuse(format!(
                    "`{label}` has the fields {} on {rep_target}, {} on {t}",
                    rep_live.join(", "),
                    live(other).join(", ")
                )));
            }
        }
        let mut fields: Vec<FieldModel> = Vec::new();
        let mut implicit: Vec<String> = Vec::new();
        for f in &s.fields {
            let same_field =
                |x: &spec_toml::StructModel| x.fields.iter().find(|g| g.name == f.name).cloned();
            if matches!(f.origin, Origin::Padding { .. }) {
                let everywhere = all.iter().all(|(_, x)| {
                    same_field(x).is_some_and(|g| {
                        matches!(g.origin, Origin::Padding { .. })
                            && g.size == f.size
                            && g.bits == f.bits
                    })
                });
                if everywhere {
                    fields.push(f.clone());
                } else {
                    implicit.push(format!("`{}` ({} bytes on {rep_target})", f.name, f.size));
                }
                continue;
            }
            let mut f = f.clone();
            let others: Vec<(Target, FieldModel)> = all
                .iter()
                .filter_map(|(t, x)| same_field(x).map(|g| (*t, g)))
                .collect();
            let types: Vec<(Target, &str)> =
                others.iter().map(|(t, g)| (*t, g.ty.as_str())).collect();
            let c_type = match &f.origin {
                Origin::Member { c_type, .. } => c_type.clone(),
                _ => f.ty.clone(),
            };
            let plain_char = c_type == "char" || c_type.starts_with("char[");
            match unified_type(&types, plain_char) {
                Some(ty) => {
                    if ty != f.ty && plain_char {
                        f.comments.push(format!(
                            "`{ty}`: `{c_type}` in C, whose `char` is signed on some targets and \
                             unsigned on others ({}); the same size and alignment everywhere. \
                             Say i8 if the values are signed",
                            by_value(&types)
                        ));
                    } else if ty != f.ty {
                        f.comments.push(format!(
                            "`{ty}`: `{c_type}` in C, as wide as a pointer on every target \
                             compiled ({})",
                            by_value(&types)
                        ));
                    }
                    f.ty = ty;
                }
                None => {
                    return Err(refuse(format!(
                        "`{label}.{}` is {}: no spec type is each of those",
                        f.name,
                        by_value(&types)
                    )))
                }
            }
            let aligns: Vec<(Target, String)> = others
                .iter()
                .map(|(t, g)| (*t, explicit(g.align)))
                .collect();
            if aligns.iter().any(|(_, a)| *a != aligns[0].1) {
                f.align = others.iter().filter_map(|(_, g)| g.align).max();
                f.comments.push(format!(
                    "align = {}: the largest alignment the compilers recorded ({})",
                    f.align.unwrap_or(1),
                    by_value(&aligns)
                ));
            }
            if f.bits.is_some() {
                let fixed =
                    abi_spec::Scalar::from_name(&f.ty).is_some_and(|s| s.fixed_bits().is_some());
                if !fixed {
                    return Err(refuse(format!(
                        "the bitfield `{label}.{}` is `{c_type}`, {}: a spec bitfield's type \
                         has one width on every target",
                        f.name,
                        by_value(&types)
                    )));
                }
            }
            let offsets: Vec<(Target, String)> = others
                .iter()
                .map(|(t, g)| {
                    let at = match g.bits {
                        Some(b) => format!("bit {}", b.bit_offset),
                        None => format!("offset {}", g.offset),
                    };
                    (*t, at)
                })
                .collect();
            if offsets.iter().any(|(_, o)| *o != offsets[0].1) {
                let line = format!("`{label}.{}` at {}", f.name, by_value(&offsets));
                f.comments.push(format!(
                    "lays out differently between targets: {}",
                    by_value(&offsets)
                ));
                notes.push(line);
            }
            fields.push(f);
        }
        // Padding another target has where this one has none stays implicit.
        for (t, x) in &all {
            for g in &x.fields {
                if matches!(g.origin, Origin::Padding { .. })
                    && !fields.iter().any(|f| f.name == g.name)
                    && !implicit
                        .iter()
                        .any(|i| i.starts_with(&format!("`{}`", g.name)))
                {
                    implicit.push(format!("`{}` ({} bytes on {t})", g.name, g.size));
                }
            }
        }
        let sizes: Vec<(Target, String)> = all
            .iter()
            .map(|(t, x)| (*t, format!("{} bytes", x.size)))
            .collect();
        if sizes.iter().any(|(_, z)| *z != sizes[0].1) {
            notes.push(format!("`{label}` is {}", by_value(&sizes)));
            s.comments.push(format!(
                "sizeof differs between targets: {}",
                by_value(&sizes)
            ));
        }
        if !implicit.is_empty() {
            s.comments.push(format!(
                "Holes and padding that are not alike on every target are left implicit (check \
                 reports IMPLICIT_PADDING): {}.",
                implicit.join(", ")
            ));
        }
        s.fields = fields;
    }
    // Tail padding after a flexible array is waived per target: keep each
    // waiver once.
    for (_, m) in &models[1..] {
        for w in &m.waivers {
            if !out
                .waivers
                .iter()
                .any(|o| o.struct_name == w.struct_name && o.field == w.field)
            {
                out.waivers.push(w.clone());
            }
        }
    }
    if !notes.is_empty() {
        notes.insert(
            0,
            "the structs lay out differently between the targets compiled; the spec says so \
             field by field and `abi-check check` will report TARGET_LAYOUT_DIVERGES"
                .into(),
        );
    }
    Ok((out, notes))
}

/// The `[[constant]]`s: each `--define`'s value and the C type of its
/// expression, promoted (`int` for a plain number or an enum constant, as
/// C has it), the same on every target compiled, or the wider where they
/// differ (`long`).
fn constants(defines: &[String], compiled: &[Compiled]) -> Result<Vec<ConstantModel>, Failure> {
    let mut out = Vec::new();
    for (i, name) in defines.iter().enumerate() {
        let mut seen: Vec<(Target, i128, &'static str)> = Vec::new();
        for c in compiled {
            let target = c.compiler.target;
            let (raw, size, kind) = c.defines[i];
            let signed = kind % 2 == 1;
            if kind == 0 || !matches!(size, 4 | 8) {
                return Err(Failure::msg(format!(
                    "--define {name}: `{name}` is not an integer constant on {target} (a \
                     pointer, a floating-point or a wider value): a spec constant is an integer"
                )));
            }
            let value: i128 = match (signed, size) {
                (true, 4) => i128::from(raw as u32 as i32),
                (true, _) => i128::from(raw as i64),
                (false, 4) => i128::from(raw as u32),
                (false, _) => i128::from(raw),
            };
            let ty = match (signed, size) {
                (true, 4) => "i32",
                (true, _) => "i64",
                (false, 4) => "u32",
                (false, _) => "u64",
            };
            seen.push((target, value, ty));
        }
        let values: Vec<(Target, i128)> = seen.iter().map(|(t, v, _)| (*t, *v)).collect();
        if values.iter().any(|(_, v)| *v != values[0].1) {
            return Err(Failure::msg(format!(
                "--define {name}: `{name}` is {}: a spec constant has one value",
                by_value(&values)
            )));
        }
        let types: Vec<(Target, &str)> = seen.iter().map(|(t, _, ty)| (*t, *ty)).collect();
        let widest = types
            .iter()
            .map(|(_, ty)| *ty)
            .max_by_key(|ty| (ty.ends_with("64"), ty.starts_with('u')))
            .unwrap_or("i32");
        let value = values[0].1;
        let Ok(value) = i64::try_from(value) else {
            return Err(Failure::msg(format!(
                "--define {name}: `{name}` is {value}, beyond the signed 64-bit values a spec \
                 constant holds"
            )));
        };
        let mut comments = Vec::new();
        if types.iter().any(|(_, ty)| *ty != types[0].1) {
            comments.push(format!(
                "`{name}` has a C type as wide as `long`: {}; written as {widest}",
                by_value(&types)
            ));
        }
        out.push(ConstantModel {
            name: spec_toml::identifier(name),
            value,
            ty: widest.to_string(),
            doc: Some(format!("`{name}` of the headers.")),
            comments,
        });
    }
    Ok(out)
}

/// Refuses a spec that does not parse, or that lays out any struct
/// otherwise than the compiler did on any target compiled.
fn verify(
    text: &str,
    document: &Document,
    models: &[(Target, Model)],
    compiled: &[Compiled],
) -> Result<(), Failure> {
    let spec = abi_spec::parse("<import>", text).map_err(|e| {
        Failure::msg(format!(
            "the spec import would write does not parse, so it is not written (a bug in \
             abi-check): {}",
            e.diagnostics
                .first()
                .map(|d| d.message.clone())
                .unwrap_or_default()
        ))
    })?;
    let version = document.version;
    let mut wrong: Vec<String> = Vec::new();
    let targets: Vec<Target> = models.iter().map(|(t, _)| *t).collect();
    for class in classes(&targets) {
        for &target in &class.members {
            let Some((_, model)) = models.iter().find(|(t, _)| *t == target) else {
                continue;
            };
            let sizes = compiled
                .iter()
                .find(|c| c.compiler.target == target)
                .map(|c| (&c.found, &c.sizes));
            // The structs asked for are judged against the compiler's own
            // `sizeof` and `_Alignof`.
            let expected = |s: &spec_toml::StructModel| {
                if let (Some((found, sizes)), Some(query)) = (sizes, &s.query) {
                    if let Some(i) = found.iter().position(|f| f.query == *query) {
                        return sizes[i];
                    }
                }
                (s.size, s.c_align)
            };
            wrong.extend(spec_toml::differences(
                &spec, model, target, version, expected,
            ));
        }
    }
    if wrong.is_empty() {
        return Ok(());
    }
    let more = wrong.len().saturating_sub(8);
    wrong.truncate(8);
    Err(Failure::msg(format!(
        "refusing to write a spec that does not lay out as the compilers did: {}{}",
        wrong.join("; "),
        if more > 0 {
            format!("; and {more} more")
        } else {
            String::new()
        }
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(arg: &str) -> Header {
        Header {
            arg: arg.into(),
            include: format!("<{arg}>"),
            file: None,
        }
    }

    #[test]
    fn a_compiler_message_is_blamed_on_its_probe_line() {
        let probe = Probe::new(
            &[header("a.h"), header("b.h")],
            &["s".into()],
            &["X".into()],
        );
        assert_eq!(
            probe.blame("In file included from /tmp/x/probe.c:3:\n/usr/include/b.h:1:1: error"),
            Some(Line::Include(1))
        );
        let struct_line = probe
            .lines
            .iter()
            .find(|(_, l)| **l == Line::Struct(0))
            .map(|(n, _)| *n)
            .expect("a struct line");
        assert_eq!(
            probe.blame(&format!(
                "/tmp/x/probe.c:{struct_line}:5: error: incomplete"
            )),
            Some(Line::Struct(0))
        );
        assert_eq!(probe_define_name(&probe, 0), "X");
        assert_eq!(probe_struct_name(&probe, 0), "s");
        assert_eq!(probe.blame("/usr/include/b.h:1:1: error"), None);
    }

    #[test]
    fn types_unify_as_long_char_and_arrays_of_them() {
        let lp64_ilp32 =
            |a: &'static str, b: &'static str| vec![(Target::X86_64, a), (Target::I386, b)];
        assert_eq!(
            unified_type(&lp64_ilp32("i64", "i32"), false).as_deref(),
            Some("long")
        );
        assert_eq!(
            unified_type(&lp64_ilp32("u64", "u32"), false).as_deref(),
            Some("ulong")
        );
        assert_eq!(
            unified_type(&lp64_ilp32("[u64; 4]", "[u32; 4]"), false).as_deref(),
            Some("[ulong; 4]")
        );
        // x32's long is 4 bytes: an 8-byte member there is no long.
        assert_eq!(
            unified_type(
                &[
                    (Target::X86_64, "i64"),
                    (Target::X32, "i64"),
                    (Target::I386, "i32")
                ],
                false
            ),
            None
        );
        assert_eq!(unified_type(&lp64_ilp32("i8", "u8"), false), None);
        assert_eq!(
            unified_type(&lp64_ilp32("i8", "u8"), true).as_deref(),
            Some("u8")
        );
        assert_eq!(
            unified_type(&lp64_ilp32("[u8; 16]", "[u8; 12]"), false),
            None
        );
    }

    #[test]
    fn a_long_compiler_message_is_cut() {
        let long: String = (0..30)
            .map(|i| {
                format!(
                    "/tmp/abi-check-import-1/probe.c:{i}:1: error: {}\n",
                    "x".repeat(300)
                )
            })
            .collect();
        let shown = excerpt(&long);
        assert!(shown.starts_with("  probe.c:0:1: error: "), "{shown}");
        assert!(shown.contains("(16 more lines)"), "{shown}");
        assert!(shown
            .lines()
            .all(|l| l.chars().count() <= SHOWN_COMPILER_LINE_CHARS + 2));
    }
}
