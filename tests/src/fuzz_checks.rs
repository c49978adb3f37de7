//! The properties the fuzz targets under `fuzz/` assert, shared with the
//! tests that replay the saved corpus (`tests/fuzz-corpus/`), so a crash
//! found once stays a test forever.

use abi_spec::codegen::c::{HeaderOptions, Style};
use abi_spec::codegen::rust::rust_ident;
use abi_spec::finding::Finding;
use abi_spec::{lint, Severity, Target};

/// Spec text: parse, validate, lay out every struct on every target in
/// every version, lint, render errors. Panics on a violated property.
pub fn spec(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match abi_spec::parse("fuzz.toml", text) {
        Err(e) => {
            let rendered = e.render(false);
            assert!(
                rendered.contains("fuzz.toml"),
                "an error must name the file"
            );
        }
        Ok(spec) => {
            for version in spec.versions() {
                for target in Target::ALL {
                    for l in spec.layouts_at(target, version).iter().flatten() {
                        assert!(l.feature_size <= l.size);
                        assert_eq!(l.size % l.align, 0);
                        for f in &l.fields {
                            assert!(f.offset + f.size <= l.size);
                            assert_eq!(f.offset % f.align, 0);
                        }
                    }
                }
            }
            findings_are_well_formed(&lint::lint(&spec), &[&spec]);
        }
    }
}

/// Where a fuzz input that holds two specs is cut: OLD before, NEW after.
pub const SPEC_SEPARATOR: &str = "\n---\n";

/// Two specs (OLD and NEW, cut at [`SPEC_SEPARATOR`]; without one, the
/// input is diffed with itself): parse both, diff them both ways, compare
/// them as a kernel's and a C library's side. Nothing may panic, every
/// finding names its rule and says something, and a spec diffed with
/// itself has no breaking finding.
pub fn diff(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (old_text, new_text) = text.split_once(SPEC_SEPARATOR).unwrap_or((text, text));
    let (Ok(old), Ok(new)) = (
        abi_spec::parse("old.toml", old_text),
        abi_spec::parse("new.toml", new_text),
    ) else {
        return;
    };
    for spec in [&old, &new] {
        let findings = abi_spec::compat::diff(spec, spec);
        findings_are_well_formed(&findings, &[spec]);
        let breaking: Vec<_> = findings
            .iter()
            .filter(|f| f.severity == Severity::Breaking)
            .collect();
        assert!(
            breaking.is_empty(),
            "a spec diffed with itself has breaking findings: {breaking:?}"
        );
        let own: Vec<_> = abi_spec::compat::history(spec)
            .into_iter()
            .chain(lint::lint(spec))
            .filter(|f| f.severity == Severity::Breaking)
            .collect();
        // The simulation is the referee: a history without breaking
        // findings simulates cleanly against itself.
        if own.is_empty() && spec.versions().count() <= 8 && spec.structs.len() <= 8 {
            if let Ok(m) = abi_spec::runtime::simulate::matrix(
                spec,
                spec,
                abi_spec::runtime::simulate::LibcAnnounces::FeatureSize,
            ) {
                let failing: Vec<_> = m.cells().filter(|(_, _, c)| !c.pass()).take(3).collect();
                assert!(
                    failing.is_empty(),
                    "a history check accepts, the matrix fails: {failing:#?}"
                );
            }
        }
    }
    for (a, b) in [(&old, &new), (&new, &old)] {
        findings_are_well_formed(&abi_spec::compat::diff(a, b), &[a, b]);
        match abi_spec::compat::sides(a, b) {
            Ok(report) => findings_are_well_formed(&report.findings, &[a, b]),
            Err(e) => assert!(a.abi.name != b.abi.name, "{e}"),
        }
    }
}

/// Every finding says something about the specs it came from: it names a
/// rule at that rule's severity, a struct of one of them (and a field of
/// that struct there), targets those specs promise, and a place inside one
/// of their files.
fn findings_are_well_formed(findings: &[Finding], specs: &[&abi_spec::Spec]) {
    for f in findings {
        assert!(
            !f.message.trim().is_empty(),
            "a finding without a message: {f:?}"
        );
        assert_eq!(f.severity, f.rule.severity(), "{f:?}");
        if let Some(name) = &f.struct_name {
            let defs: Vec<_> = specs.iter().filter_map(|s| s.struct_def(name)).collect();
            assert!(
                !defs.is_empty(),
                "a finding on no struct of its specs: {f:?}"
            );
            if let Some(field) = &f.field {
                assert!(
                    defs.iter().any(|d| d.field(field).is_some()),
                    "a finding on no field of its struct: {f:?}"
                );
            }
        }
        if let Some(feature) = &f.feature {
            assert!(
                specs.iter().any(|s| s.feature(feature).is_some()),
                "a finding on no feature of its specs: {f:?}"
            );
        }
        if let Some(flag) = &f.flag {
            assert!(
                specs.iter().any(
                    |s| s.flags.iter().any(|set| set
                        .values
                        .iter()
                        .any(|v| format!("{}{}", set.prefix, v.name) == *flag))
                ),
                "a finding on no flag value of its specs: {f:?}"
            );
        }
        for t in &f.targets {
            assert!(
                specs.iter().any(|s| s.abi.targets.contains(t)),
                "a finding on a target no spec promises: {f:?}"
            );
        }
        if let Some(origin) = &f.origin {
            assert!(
                specs
                    .iter()
                    .any(|s| std::sync::Arc::ptr_eq(&s.source, &origin.source)),
                "a finding points outside its specs: {f:?}"
            );
            assert!(origin.span.start <= origin.source.text().len(), "{f:?}");
        }
    }
}

/// Spec text that parses: generate the C header in both styles and the
/// Rust code, and check their structure: every struct and field name
/// appears, delimiters balance outside comments and strings, a comment
/// ends only at the end of a line, and the only preprocessor lines are
/// the generator's own directives.
pub fn codegen(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(spec) = abi_spec::parse("fuzz.toml", text) else {
        return;
    };
    for style in [Style::Uapi, Style::Stdint] {
        let options = HeaderOptions {
            style,
            spec_name: "fuzz.toml",
        };
        let Ok(header) = abi_spec::codegen::c::header(&spec, &options) else {
            continue;
        };
        for (index, def) in spec.structs.iter().enumerate() {
            // A struct used only as an anonymous member is written inline,
            // untagged; an unnamed member has no name in C.
            if !crate::c_members::inline_only(&spec, index) {
                assert!(
                    header.contains(&format!(" {} {{", def.name)),
                    "struct `{}` is not defined in the header",
                    def.name
                );
            }
            for field in def.fields.iter().filter(|f| !f.unnamed) {
                assert!(
                    declares(&header, &field.name),
                    "field `{}` is not declared in the header",
                    field.name
                );
            }
        }
        if let Err(e) = c_structure(&header) {
            panic!("header ({style:?}): {e}\n{header}");
        }
    }
    if let Ok(code) = abi_spec::codegen::rust::generate_file(&spec) {
        for def in &spec.structs {
            let name = rust_ident(&def.name);
            assert!(
                code.contains(&format!("pub struct {name} "))
                    || code.contains(&format!("pub union {name} ")),
                "struct `{name}` is not defined in the Rust code"
            );
            for field in &def.fields {
                // A bitfield has no Rust field: its run's storage holds it
                // (the generator's bitfield tests check where).
                if field.is_bitfield() {
                    continue;
                }
                assert!(
                    code.contains(&format!("pub {}: ", rust_ident(&field.name))),
                    "field `{}` is missing from the Rust code",
                    field.name
                );
            }
        }
        if let Err(e) = rust_structure(&code) {
            panic!("Rust code: {e}\n{code}");
        }
    }
    if let Some((gcc, scratch)) = fuzz_compiler() {
        // Only what `check` accepts must compile: a spec with a breaking
        // finding may lay out alike nowhere.
        let mut findings = lint::lint(&spec);
        findings.extend(abi_spec::compat::history(&spec));
        if !findings.iter().any(|f| f.severity == Severity::Breaking) {
            let failures = compile_generated(&spec, gcc, scratch);
            assert!(failures.is_empty(), "{}", failures.join("\n---\n"));
        }
    }
}

/// The differential half of the codegen property, slower than the fuzz
/// loop allows by default: the C header of an accepted spec compiled by
/// `gcc` (`program`) as C89 and C99 in both styles, for x86_64 and i386 (its
/// static assertions compare every size, alignment and offset with the
/// engine's), and the Rust code by `rustc --emit=metadata` (its `const`
/// assertions likewise). Files go to `scratch`. Returns one message per
/// compiler that refused, with its output.
pub fn compile_generated(
    spec: &abi_spec::Spec,
    gcc: &std::path::Path,
    scratch: &std::path::Path,
) -> Vec<String> {
    use std::process::Command;
    let mut failures = Vec::new();
    for (style, flags) in [
        (Style::Uapi, &["-std=c89", "-std=c99", "-std=gnu11"][..]),
        (Style::Stdint, &["-std=c99", "-std=c11"][..]),
    ] {
        let options = HeaderOptions {
            style,
            spec_name: "fuzz.toml",
        };
        let Ok(code) = abi_spec::codegen::c::header(spec, &options) else {
            continue;
        };
        let file = scratch.join(format!("generated-{style:?}.h"));
        if let Err(e) = std::fs::write(&file, &code) {
            failures.push(format!("{}: {e}", file.display()));
            continue;
        }
        for std in flags {
            for word in ["-m64", "-m32"] {
                // No multilib here: i386 takes the uapi headers' x86 asm/
                // folder, and the stdint style gcc's freestanding stdint.h.
                let extra: &[&str] = match (style, word) {
                    (Style::Uapi, "-m32") => &["-I/usr/include/x86_64-linux-gnu"],
                    (Style::Uapi, _) => &[],
                    (Style::Stdint, _) => &["-ffreestanding"],
                };
                let out = Command::new(gcc)
                    .args(["-fsyntax-only", "-x", "c", "-Werror", std, word])
                    // Not -pedantic: the headers are GNU C where the spec
                    // asks for it (a struct with a flexible array member
                    // nested in another, as Linux writes), which ISO C
                    // forbids whatever `__extension__` says.
                    .args(extra)
                    .arg(&file)
                    .output();
                match out {
                    Ok(out) if out.status.success() => {}
                    Ok(out) => failures.push(format!(
                        "header ({style:?}, {std} {word}): {}\n{code}",
                        String::from_utf8_lossy(&out.stderr)
                    )),
                    Err(e) => failures.push(format!("{}: {e}", gcc.display())),
                }
            }
        }
    }
    if let Ok(code) = abi_spec::codegen::rust::generate_file(spec) {
        let file = scratch.join("generated.rs");
        if let Err(e) = std::fs::write(&file, format!("#![no_std]\n{code}")) {
            failures.push(format!("{}: {e}", file.display()));
            return failures;
        }
        let out = Command::new("rustc")
            .args([
                "--edition",
                "2021",
                "--crate-type",
                "lib",
                "--emit=metadata",
            ])
            .args(["--crate-name", "generated", "-o"])
            .arg(scratch.join("generated.rmeta"))
            .arg(&file)
            .output();
        match out {
            Ok(out) if out.status.success() => {}
            Ok(out) => failures.push(format!(
                "Rust: {}\n{code}",
                String::from_utf8_lossy(&out.stderr)
            )),
            Err(e) => failures.push(format!("rustc: {e}")),
        }
    }
    failures
}

/// Where the codegen target compiles what it generates when
/// `ABI_FUZZ_COMPILE` names gcc (`ABI_FUZZ_COMPILE=gcc cargo fuzz run
/// codegen`): a scratch folder of this process. `None`: the fuzz loop
/// checks structure only.
fn fuzz_compiler() -> Option<&'static (std::path::PathBuf, std::path::PathBuf)> {
    static COMPILER: std::sync::OnceLock<Option<(std::path::PathBuf, std::path::PathBuf)>> =
        std::sync::OnceLock::new();
    COMPILER
        .get_or_init(|| {
            let gcc = std::env::var_os("ABI_FUZZ_COMPILE")?;
            let scratch = std::env::temp_dir().join(format!("abi-fuzz-{}", std::process::id()));
            std::fs::create_dir_all(&scratch).ok()?;
            Some((gcc.into(), scratch))
        })
        .as_ref()
}

/// True when `name` is declared somewhere in `code`: after a space, or the
/// `*` of a pointer (`void *name`), and before `;`, `[`, `:` or a space (an
/// attribute follows).
fn declares(code: &str, name: &str) -> bool {
    code.match_indices(name).any(|(i, _)| {
        code[..i].ends_with([' ', '*']) && code[i + name.len()..].starts_with([';', '[', ' ', ':'])
    })
}

/// The preprocessor directives the header generator writes.
const DIRECTIVES: &[&str] = &[
    "#ifndef ",
    "#ifdef ",
    "#if ",
    "#elif ",
    "#else",
    "#endif",
    "#define ",
    "#undef ",
    "#include ",
    "#pragma ",
    "#error ",
];

/// The structure of a C header: see [`codegen`].
pub fn c_structure(header: &str) -> Result<(), String> {
    let mut stack = Vec::new();
    let bytes = header.as_bytes();
    let mut i = 0;
    let mut line = 1;
    let mut line_start = true;
    while i < bytes.len() {
        let c = bytes[i];
        if line_start && c == b'#' {
            let rest = &header[i..];
            if !DIRECTIVES.iter().any(|d| rest.starts_with(d)) {
                let end = rest.find('\n').unwrap_or(rest.len());
                return Err(format!(
                    "line {line}: not a directive of the generator: {}",
                    &rest[..end]
                ));
            }
        }
        if line_start {
            // A doc comment's continuation line (` * text`) outside a
            // comment: an earlier `*/` in the doc text ended it too soon.
            let rest = header[i..].trim_start_matches([' ', '\t']);
            if rest.starts_with("* ") || rest.starts_with("*/") {
                let end = rest.find('\n').unwrap_or(rest.len());
                return Err(format!(
                    "line {line}: comment text outside a comment: {}",
                    &rest[..end]
                ));
            }
        }
        line_start = false;
        match c {
            b'*' if bytes.get(i + 1) == Some(&b'/') => {
                return Err(format!("line {line}: `*/` outside a comment"));
            }
            b'\n' => {
                line += 1;
                line_start = true;
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                let Some(end) = header[i + 2..].find("*/") else {
                    return Err(format!("line {line}: unterminated comment"));
                };
                let close = i + 2 + end + 2;
                let after = header[close..].split('\n').next().unwrap_or_default();
                if !after.trim().is_empty() {
                    return Err(format!(
                        "line {}: code after the end of a comment: {after}",
                        line + header[i..close].matches('\n').count()
                    ));
                }
                line += header[i..close].matches('\n').count();
                i = close;
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                i += header[i..].find('\n').unwrap_or(header.len() - i);
                continue;
            }
            b'"' | b'\'' => {
                i = skip_quoted(bytes, i)
                    .ok_or_else(|| format!("line {line}: unterminated literal"))?;
                continue;
            }
            _ => balance(&mut stack, c).map_err(|e| format!("line {line}: {e}"))?,
        }
        i += 1;
    }
    if let Some(open) = stack.pop() {
        return Err(format!("`{}` never closed", open as char));
    }
    Ok(())
}

/// The structure of generated Rust: delimiters balance outside comments,
/// strings and character literals.
pub fn rust_structure(code: &str) -> Result<(), String> {
    let mut stack = Vec::new();
    let bytes = code.as_bytes();
    let mut i = 0;
    let mut line = 1;
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b'\n' => line += 1,
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                i += code[i..].find('\n').unwrap_or(code.len() - i);
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                let end = code[i + 2..]
                    .find("*/")
                    .ok_or_else(|| format!("line {line}: unterminated comment"))?;
                line += code[i..i + 2 + end].matches('\n').count();
                i += end + 4;
                continue;
            }
            b'"' => {
                i = skip_quoted(bytes, i)
                    .ok_or_else(|| format!("line {line}: unterminated string"))?;
                continue;
            }
            // A character literal ('x' or '\n'); a lone quote is a lifetime.
            b'\'' if bytes.get(i + 2) == Some(&b'\'') || bytes.get(i + 1) == Some(&b'\\') => {
                i = skip_quoted(bytes, i)
                    .ok_or_else(|| format!("line {line}: unterminated char"))?;
                continue;
            }
            _ => balance(&mut stack, c).map_err(|e| format!("line {line}: {e}"))?,
        }
        i += 1;
    }
    if let Some(open) = stack.pop() {
        return Err(format!("`{}` never closed", open as char));
    }
    Ok(())
}

/// The index after the literal that opens at `start` (its quote), or
/// `None` when it does not end on its line.
fn skip_quoted(bytes: &[u8], start: usize) -> Option<usize> {
    let quote = bytes[start];
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'\n' => return None,
            c if c == quote => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

fn balance(stack: &mut Vec<u8>, c: u8) -> Result<(), String> {
    let open = match c {
        b'(' | b'[' | b'{' => {
            stack.push(c);
            return Ok(());
        }
        b')' => b'(',
        b']' => b'[',
        b'}' => b'{',
        _ => return Ok(()),
    };
    match stack.pop() {
        Some(top) if top == open => Ok(()),
        Some(top) => Err(format!("`{}` closed by `{}`", top as char, c as char)),
        None => Err(format!("`{}` without an opening", c as char)),
    }
}

/// The names the `dwarf` target asks for: those of the seed objects
/// (tests/fuzz-corpus/dwarf/), a member path, and one no file defines.
pub const DWARF_QUERIES: &[&str] = &[
    "s",
    "t",
    "u",
    "tlabi_area",
    "rseq",
    "clone_args",
    "s.inner",
    "absent",
];

/// Bytes as an ELF file: read [`DWARF_QUERIES`] from its DWARF, and once
/// more without the names it lacks, so that every struct it defines is
/// resolved. Nothing may panic, and every error names the file.
pub fn dwarf(data: &[u8]) {
    let name = std::path::Path::new("fuzz.elf");
    let mut queries: Vec<String> = DWARF_QUERIES.iter().map(|q| q.to_string()).collect();
    for _ in 0..2 {
        match abi_dwarf::read_structs_from_bytes(name, data, &queries) {
            Ok(dump) => {
                // What `dump` prints walks every member and type.
                let _ = format!("{:?}", dump.structs);
                return;
            }
            Err(e) => {
                let message = e.to_string();
                assert!(
                    message.contains("fuzz.elf"),
                    "an error must name the file: {message}"
                );
                let abi_dwarf::Error::NotFound { names, .. } = e else {
                    return;
                };
                queries.retain(|q| !names.contains(q));
                if queries.is_empty() {
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The structure checks must be able to fail: each hostile shape a
    /// generator bug could produce is refused.
    #[test]
    fn c_structure_refuses_injected_shapes() {
        assert!(c_structure("#ifndef X_H\n#define X_H\nstruct s { int a; };\n#endif\n").is_ok());
        assert!(c_structure("/* doc */ int injected;\n").is_err());
        assert!(c_structure("/**\n * doc */\n#system(\"x\")\n").is_err());
        assert!(c_structure("struct s { int a; ;\n").is_err());
        assert!(c_structure("struct s { int a[2); };\n").is_err());
        assert!(c_structure("/* never closed\n").is_err());
        assert!(c_structure("static_assert(1, \"}\");\n").is_ok());
        // A doc line that ends in `*/`: the rest of the doc becomes code.
        assert!(c_structure("/**\n * a */\n * int x;\n */\n").is_err());
        assert!(c_structure("int a; */\n").is_err());
    }

    #[test]
    fn rust_structure_refuses_unbalanced_code() {
        assert!(
            rust_structure("pub struct s { pub a: [u8; 2] }\n// }\nconst C: char = '{';\n").is_ok()
        );
        assert!(rust_structure("pub struct s { pub a: [u8; 2) }\n").is_err());
        assert!(rust_structure("fn f() {\n").is_err());
        assert!(rust_structure("const S: &str = \"unterminated;\n").is_err());
    }

    #[test]
    fn declares_finds_declarations_not_substrings() {
        assert!(declares("struct s {\n\t__u32 cpu_id;\n};", "cpu_id"));
        assert!(declares("\t__u8 name[4];", "name"));
        assert!(!declares("\t__u32 cpu_id_start;", "cpu_id"));
        assert!(declares("\t__u64 disabled:1;", "disabled"));
        assert!(declares(
            "\tvoid *cgroup __attribute__((aligned(8)));",
            "cgroup"
        ));
        assert!(!declares("\tvoid *cgroups;", "cgroup"));
    }
}
