//! Generated C headers against real compilers: every header of `spec.toml`,
//! of every spec under `examples/` and of `tests/fixtures/headers/` (the C
//! constructs of real uapi headers: bitfields, anonymous unions, empty
//! structs, zero-length arrays) compiles cleanly
//! (`-Wall -Wextra -Wpadded -Werror`) on every target of its spec, as C11,
//! C89, C++98 and C++17, and the sizes, alignments, offsets (through
//! anonymous members), size macros and bitfield bits the compiler computes
//! from it are the layout engine's. The Linux examples lay out exactly as
//! the structs in the installed `/usr/include/linux` headers. Hostile doc
//! strings cannot get out of their comments.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use abi_spec::codegen::c::{self, HeaderOptions, Style};
use abi_spec::codegen::cnames::CNames;
use abi_spec::{layout, Spec, Target};
use abi_tests::{c_members, oracle};

/// The warnings every generated header must compile without.
const STRICT: &[&str] = &["-Wall", "-Wextra", "-Wpadded", "-Werror"];

/// `spec.toml`, every spec under `examples/` and the header fixtures,
/// sorted.
fn spec_paths() -> Vec<PathBuf> {
    let root = abi_tests::workspace_root();
    let mut paths = vec![root.join("spec.toml")];
    let mut stack = vec![root.join("examples"), root.join("tests/fixtures/headers")];
    let mut found = Vec::new();
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                if !path.ends_with("target") {
                    stack.push(path);
                }
            } else if is_spec(&path) {
                found.push(path);
            }
        }
    }
    found.sort();
    paths.extend(found);
    paths
}

/// A spec file, not a crate manifest or other TOML: it has an `[abi]` table.
fn is_spec(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "toml")
        && std::fs::read_to_string(path).is_ok_and(|text| text.lines().any(|l| l.trim() == "[abi]"))
}

/// Every spec of [`spec_paths`].
fn all_specs() -> Vec<Spec> {
    spec_paths().iter().map(|p| load(p)).collect()
}

fn load(path: &Path) -> Spec {
    abi_spec::load(path).unwrap_or_else(|e| panic!("{}: {}", path.display(), e.render(false)))
}

fn header(spec: &Spec, style: Style) -> String {
    c::header(
        spec,
        &HeaderOptions {
            style,
            spec_name: "spec.toml",
        },
    )
    .unwrap_or_else(|e| panic!("{}: {e}", spec.abi.name))
}

/// The style a target's header is compiled in: uapi where the kernel's
/// headers are installed (x86_64, and i386 through the multiarch path),
/// stdint freestanding elsewhere.
fn style_for(target: Target) -> Style {
    match target {
        Target::X86_64 | Target::I386 => Style::Uapi,
        _ => Style::Stdint,
    }
}

fn target_flags(target: Target) -> Vec<&'static str> {
    match target {
        Target::X86_64 => vec![],
        Target::I386 => vec!["-I/usr/include/x86_64-linux-gnu"],
        _ => vec!["-ffreestanding"],
    }
}

/// Compiles `source` (which includes `header.h`, written beside it) with
/// `program args flags -c`, and returns the probe array.
fn compile(
    program: &Path,
    args: &[String],
    flags: &[&str],
    header_text: &str,
    source: &str,
) -> Result<Vec<u64>, String> {
    let bytes = compile_object(program, args, flags, header_text, source)?;
    if source.contains(oracle::PROBE_SECTION) {
        oracle::read_probe(&bytes)
    } else {
        Ok(Vec::new())
    }
}

/// Compiles `source` as [`compile`] does and returns the object file.
fn compile_object(
    program: &Path,
    args: &[String],
    flags: &[&str],
    header_text: &str,
    source: &str,
) -> Result<Vec<u8>, String> {
    let dir = abi_tests::scratch_dir("header");
    std::fs::write(dir.join("header.h"), header_text).map_err(|e| e.to_string())?;
    std::fs::write(dir.join("probe.c"), source).map_err(|e| e.to_string())?;
    let output = Command::new(program)
        // ASCII quotes in messages, which compare_with_real reads.
        .env("LC_ALL", "C")
        .args(args)
        .args(flags)
        .arg("-c")
        .arg(dir.join("probe.c"))
        .arg("-o")
        .arg(dir.join("probe.o"))
        .output()
        .map_err(|e| format!("{}: {e}", program.display()))?;
    if !output.status.success() {
        let _ = std::fs::remove_dir_all(&dir);
        return Err(format!(
            "{} {args:?} {flags:?} failed:\n{}",
            program.display(),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let bytes = std::fs::read(dir.join("probe.o")).map_err(|e| e.to_string());
    let _ = std::fs::remove_dir_all(&dir);
    bytes
}

/// What a probe asks the compiler, with what the engine says, in order.
struct Probe {
    exprs: Vec<String>,
    expected: Vec<u64>,
}

/// Every number the header states for `target`: sizeof, alignment and
/// every member's offset (through anonymous members) of each struct the
/// header defines, at the newest version, OFFSETOFEND of each sized
/// member that is no bitfield, and the size, feature-size and alignment
/// macros (Linux's size macros for a struct with `size_macro`). `cxx`: C++
/// gives an empty struct size 1.
fn probe_for(spec: &Spec, target: Target, alignof: &str, cxx: bool) -> Probe {
    let names = CNames::new(spec);
    let offsetofend = names.offsetofend();
    let mut probe = Probe {
        exprs: Vec::new(),
        expected: Vec::new(),
    };
    let mut push = |expr: String, value: u64| {
        probe.exprs.push(expr);
        probe.expected.push(value);
    };
    let newest = spec.abi.version;
    for index in c_members::defined_structs(spec, newest) {
        let def = &spec.structs[index];
        let ty = format!("{} {}", def.kind.keyword(), def.name);
        let layout = spec
            .layout(index, target, newest)
            .expect("a defined struct exists in the newest version");
        let size = if cxx && def.fields.is_empty() {
            1
        } else {
            layout.size
        };
        push(format!("sizeof({ty})"), size);
        push(format!("{alignof}({ty})"), layout.align);
        push(names.alignment(def), layout.align);
        for member in c_members::members(spec, index, target, newest) {
            if member.bitfield.is_some() {
                continue;
            }
            push(format!("offsetof({ty}, {})", member.name), member.offset);
            if !member.flexible {
                push(
                    format!("{offsetofend}({ty}, {})", member.name),
                    member.offset + member.size,
                );
            }
        }
        for m in names.size_macros(index, target) {
            let l = spec
                .layout(index, target, m.version)
                .expect("a size macro's version");
            push(m.name, l.size);
        }
        for version in spec.versions() {
            if let Some(l) = spec.layout(index, target, version) {
                if def.size_macro.is_none() {
                    push(names.size(def, version), l.size);
                }
                push(names.feature_size(def, version), l.feature_size);
            }
        }
    }
    probe
}

fn probe_source(probe: &Probe) -> String {
    format!(
        "#include <stddef.h>\n#include \"header.h\"\n{}",
        oracle::probe_array(&probe.exprs)
    )
}

/// Runs jobs on two threads (the machine has two cores) and collects the
/// failures.
fn run_parallel<J: Send>(
    jobs: Vec<J>,
    run: impl Fn(J) -> Result<(), String> + Sync,
) -> Vec<String> {
    let queue = Mutex::new(jobs);
    let failures = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| loop {
                let job = queue.lock().unwrap().pop();
                let Some(job) = job else { break };
                if let Err(e) = run(job) {
                    failures.lock().unwrap().push(e);
                }
            });
        }
    });
    failures.into_inner().unwrap()
}

/// Every spec on each of its targets among `targets` (one compiler
/// family's, see `abi_tests::test_each_family!`).
fn headers_compile_and_match_the_engine(targets: &[Target]) {
    // Before the worker threads: a missing compiler fails with its message.
    for &target in targets {
        oracle::require_compiler(target);
    }
    let specs = all_specs();
    assert!(specs.len() > 1, "spec.toml and the examples");
    let mut jobs = Vec::new();
    for spec in &specs {
        for &target in spec.abi.targets.iter().filter(|t| targets.contains(t)) {
            jobs.push((spec, target));
        }
    }
    assert!(!jobs.is_empty(), "no spec has a target among {targets:?}");
    let failures = run_parallel(jobs, |(spec, target)| {
        let compiler = oracle::require_compiler(target);
        let probe = probe_for(spec, target, "_Alignof", false);
        let mut flags = vec!["-std=c11", "-O0"];
        flags.extend(STRICT);
        flags.extend(target_flags(target));
        let got = compile(
            &compiler.program,
            &compiler.args,
            &flags,
            &header(spec, style_for(target)),
            &probe_source(&probe),
        )
        .map_err(|e| format!("{} on {target}: {e}", spec.abi.name))?;
        let wrong: Vec<String> = probe
            .exprs
            .iter()
            .zip(probe.expected.iter().zip(&got))
            .filter(|(_, (want, have))| want != have)
            .map(|(expr, (want, have))| format!("{expr}: engine {want}, compiler {have}"))
            .collect();
        if got.len() != probe.expected.len() || !wrong.is_empty() {
            return Err(format!(
                "{} on {target}:\n  {}",
                spec.abi.name,
                wrong.join("\n  ")
            ));
        }
        Ok(())
    });
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

abi_tests::test_each_family!(headers_compile_and_match_the_engine);

/// The C initialiser that sets every bit of a bitfield of `width` bits of
/// type `scalar`: all ones, which for a signed bitfield is -1.
pub fn all_ones(scalar: abi_spec::types::Scalar, width: u64) -> String {
    if scalar.is_signed() {
        "-1".to_string()
    } else if width >= 64 {
        "0xffffffffffffffffULL".to_string()
    } else {
        format!("0x{:x}ULL", (1u64 << width) - 1)
    }
}

/// Every named bitfield of every spec, set to all ones in a static
/// initialiser of the generated header's struct on each target among
/// `targets`: the object file's bytes are the engine's bits, and nothing
/// else is set. C has no constant expression for a bitfield's place, so
/// the header cannot assert this itself.
fn generated_bitfields_land_where_the_engine_says(targets: &[Target]) {
    for &target in targets {
        oracle::require_compiler(target);
    }
    let specs = all_specs();
    let mut jobs = Vec::new();
    for spec in &specs {
        let has_bitfields = spec
            .structs
            .iter()
            .any(|d| d.fields.iter().any(|f| f.is_bitfield() && !f.unnamed));
        if has_bitfields {
            for &target in spec.abi.targets.iter().filter(|t| targets.contains(t)) {
                jobs.push((spec, target));
            }
        }
    }
    assert!(!jobs.is_empty(), "no spec with bitfields on {targets:?}");
    let checked = std::sync::atomic::AtomicUsize::new(0);
    let failures = run_parallel(jobs, |(spec, target)| {
        let compiler = oracle::require_compiler(target);
        let newest = spec.abi.version;
        let mut source = String::from("#include \"header.h\"\n");
        let mut expected = Vec::new();
        for index in c_members::defined_structs(spec, newest) {
            let def = &spec.structs[index];
            let size = spec.layout(index, target, newest).map_or(0, |l| l.size);
            for member in c_members::members(spec, index, target, newest) {
                let Some((bits, scalar)) = member.bitfield else {
                    continue;
                };
                let symbol = format!("bits_{}_{}", def.name, member.name);
                source.push_str(&format!(
                    "__attribute__((used)) static const {} {} {symbol} = {{ .{} = {} }};\n",
                    def.kind.keyword(),
                    def.name,
                    member.name,
                    all_ones(scalar, bits.width)
                ));
                expected.push((symbol, c_members::bytes_with_bits(target, size, bits)));
            }
        }
        let mut flags = vec!["-std=c11", "-O0"];
        flags.extend(STRICT);
        flags.extend(target_flags(target));
        let object = compile_object(
            &compiler.program,
            &compiler.args,
            &flags,
            &header(spec, style_for(target)),
            &source,
        )
        .map_err(|e| format!("{} on {target}: {e}", spec.abi.name))?;
        for (symbol, want) in &expected {
            let have = oracle::symbol_bytes(&object, symbol)?;
            if &have != want {
                return Err(format!(
                    "{} on {target}: {symbol}: compiler {have:02x?}, engine {want:02x?}",
                    spec.abi.name
                ));
            }
            checked.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        Ok(())
    });
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    println!(
        "{} bitfields on {targets:?} land where the engine says",
        checked.into_inner()
    );
}

abi_tests::test_each_family!(generated_bitfields_land_where_the_engine_says);

#[test]
#[cfg_attr(any(no_gcc, no_gxx), ignore = "needs gcc and g++")]
fn generated_headers_compile_as_cxx_and_old_c() {
    let gxx = abi_tests::require("gxx");
    let gcc = abi_tests::require("gcc");
    let specs = all_specs();
    let mut jobs = Vec::new();
    for spec in &specs {
        for style in [Style::Uapi, Style::Stdint] {
            jobs.push((spec, style));
        }
    }
    let failures = run_parallel(jobs, |(spec, style)| {
        let text = header(spec, style);
        // C++11 and later check the layout with static_assert and alignof.
        let probe = probe_for(spec, Target::X86_64, "alignof", true);
        let cxx: Vec<String> = vec!["-x".into(), "c++".into()];
        let mut flags = vec!["-std=c++17"];
        flags.extend(STRICT);
        let got = compile(&gxx, &cxx, &flags, &text, &probe_source(&probe))
            .map_err(|e| format!("{} as C++17: {e}", spec.abi.name))?;
        if got != probe.expected {
            return Err(format!(
                "{} as C++17: {got:?} != {:?}",
                spec.abi.name, probe.expected
            ));
        }
        // C89 and C++98 include it without the checks.
        let include = "#include \"header.h\"\nint header_included;\n";
        let mut c89 = vec!["-std=c89"];
        c89.extend(STRICT);
        compile(&gcc, &[], &c89, &text, include)
            .map_err(|e| format!("{} as C89: {e}", spec.abi.name))?;
        let mut cxx98 = vec!["-std=c++98"];
        cxx98.extend(STRICT);
        compile(&gxx, &cxx, &cxx98, &text, include)
            .map_err(|e| format!("{} as C++98: {e}", spec.abi.name))?;
        Ok(())
    });
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// The header under /usr/include that defines `kind name {`, as an
/// include path (`linux/sched.h`).
fn real_header(kind: &str, name: &str) -> Option<String> {
    let root = Path::new("/usr/include");
    let needle = format!("{kind} {name} {{");
    let mut stack = vec![root.join("linux")];
    let mut found = Vec::new();
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).ok()?.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if std::fs::read_to_string(&path)
                .is_ok_and(|text| text.lines().any(|l| l.trim_start().starts_with(&needle)))
            {
                found.push(path);
            }
        }
    }
    found.sort();
    let path = found.into_iter().next()?;
    Some(path.strip_prefix(root).ok()?.to_string_lossy().into_owned())
}

#[test]
#[cfg_attr(
    any(no_gcc, no_uapi_headers),
    ignore = "needs gcc and the Linux uapi headers"
)]
fn linux_examples_lay_out_as_the_installed_uapi_headers() {
    abi_tests::require("uapi_headers");
    let dir = abi_tests::workspace_root().join("examples/linux");
    let paths: Vec<PathBuf> = spec_paths()
        .into_iter()
        .filter(|p| p.starts_with(&dir))
        .collect();
    let mut compared = 0;
    let mut failures = Vec::new();
    for path in &paths {
        let spec = load(path);
        for target in [Target::X86_64, Target::I386] {
            if !spec.abi.targets.contains(&target) {
                continue;
            }
            match compare_with_real(&spec, target) {
                Ok(n) => compared += n,
                Err(e) => failures.push(format!("{}: {e}", path.display())),
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    if !paths.is_empty() {
        assert!(
            compared > 0,
            "no example struct was found in /usr/include/linux"
        );
    }
}

/// For each struct of `spec` that an installed header defines: finds the
/// newest version whose size is the installed struct's, and compares every
/// field's offset and size among the installed struct, the engine and the
/// generated header of that version. A spec field the installed header does not name (a
/// `u64 flags` standing for a block of bitfields) is left out and listed;
/// its bytes are still pinned by its neighbours and by sizeof. Returns how
/// many structs it compared.
fn compare_with_real(spec: &Spec, target: Target) -> Result<usize, String> {
    let compiler = oracle::require_compiler(target);
    let mut flags = vec!["-std=gnu11", "-O0"];
    flags.extend(target_flags(target));
    // `ours`: the generated header of that version, as a header written
    // then would have it.
    let run = |include: &str, exprs: &[String], ours: Option<u32>| {
        let array = oracle::probe_array(exprs);
        if let Some(version) = ours {
            let generated = c::header_at(
                spec,
                &HeaderOptions {
                    style: Style::Uapi,
                    spec_name: "spec.toml",
                },
                version,
            )
            .map_err(|e| e.to_string())?;
            let source = format!("#include <stddef.h>\n#include \"header.h\"\n{array}");
            compile(
                &compiler.program,
                &compiler.args,
                &flags,
                &generated,
                &source,
            )
        } else {
            let source = format!("#include <stddef.h>\n#include <{include}>\n{array}");
            compile(&compiler.program, &compiler.args, &flags, "", &source)
        }
    };
    let mut compared = 0;
    for (index, def) in spec.structs.iter().enumerate() {
        let kind = def.kind.keyword();
        let Some(include) = real_header(kind, &def.name) else {
            continue;
        };
        let ty = format!("{kind} {}", def.name);
        let real_size = run(&include, &[format!("sizeof({ty})")], None)?[0];
        // The newest version of the installed size whose fields the header
        // all names; failing that (bitfields the spec names as one field),
        // the newest version of that size, with the unnamed fields left out.
        let mut candidates = Vec::new();
        for version in spec.versions().rev() {
            if let Some(l) = layout::layout(spec, index, target, version).map_err(|e| e.message)? {
                if l.size == real_size {
                    candidates.push(l);
                }
            }
        }
        if candidates.is_empty() {
            return Err(format!(
                "{target}: sizeof({ty}) is {real_size} in <{include}>, the size of no version of the spec"
            ));
        }
        // Members through anonymous structs and unions, as C names them;
        // bitfields have neither offsetof nor sizeof.
        let probe_of = |l: &abi_spec::Layout, missing: &[String]| {
            let mut exprs = Vec::new();
            let mut expected = Vec::new();
            // Reserved bytes may have another name in an older header:
            // sizeof and their neighbours pin them.
            for member in c_members::members(spec, index, target, l.version) {
                if missing.contains(&member.name) || member.bitfield.is_some() || member.reserved {
                    continue;
                }
                exprs.push(format!("offsetof({ty}, {})", member.name));
                expected.push(member.offset);
                if !member.flexible {
                    exprs.push(format!("sizeof((({ty} *)0)->{})", member.name));
                    expected.push(member.size);
                }
            }
            (exprs, expected)
        };
        let mut found = None;
        for l in &candidates {
            let (exprs, expected) = probe_of(l, &[]);
            if let Ok(real) = run(&include, &exprs, None) {
                found = Some((l, Vec::new(), exprs, expected, real));
                break;
            }
        }
        let (l, missing, exprs, expected, real) = match found {
            Some(found) => found,
            None => {
                let l = &candidates[0];
                let mut missing: Vec<String> = Vec::new();
                loop {
                    let (exprs, expected) = probe_of(l, &missing);
                    match run(&include, &exprs, None) {
                        Ok(real) => break (l, missing, exprs, expected, real),
                        Err(e) => {
                            let before = missing.len();
                            for line in e.lines() {
                                if let Some(rest) = line.split("has no member named '").nth(1) {
                                    let name = rest.split('\'').next().unwrap_or_default();
                                    if !missing.iter().any(|m| m == name) {
                                        missing.push(name.to_string());
                                    }
                                }
                            }
                            if missing.len() == before {
                                return Err(e);
                            }
                        }
                    }
                }
            }
        };
        let version = l.version;
        let named = l.fields.iter().filter(|p| !p.placeholder).count();
        if missing.len() * 4 > named {
            return Err(format!(
                "{target}, version {version}: <{include}> names too few of {ty}'s fields; missing: {}",
                missing.join(", ")
            ));
        }
        if !missing.is_empty() {
            eprintln!(
                "note: {ty} on {target}: <{include}> does not name {} (checked through the neighbouring fields)",
                missing.join(", ")
            );
        }
        let ours = run(&include, &exprs, Some(version))?;
        for (i, expr) in exprs.iter().enumerate() {
            if real[i] != expected[i] || ours[i] != real[i] {
                return Err(format!(
                    "{target}, version {version}: {expr} is {} in <{include}>, {} in the engine, {} in the generated header",
                    real[i], expected[i], ours[i]
                ));
            }
        }
        eprintln!(
            "compared {ty} on {target} with <{include}>: version {version}, {} values",
            exprs.len()
        );
        compared += 1;
    }
    Ok(compared)
}

/// A TOML basic string holding `text` exactly.
fn toml_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A spec whose every doc string (and file name) tries to get out of its
/// comment, and the headers generated from it in both styles. Each string
/// would break the build if it got out: a _Static_assert(0) or #error after
/// the comment ended, an unbalanced brace, or a trigraph/backslash splice
/// that eats the closing `*/`.
fn hostile_headers() -> Vec<String> {
    let hostile = [
        "*/ _Static_assert(0, \"escaped\"); /*",
        "ends here */\n#error escaped\n/* again",
        "line splice \\\n*/ } ; int escaped; /*",
        "trigraph splice ??/\n*/ int escaped; /*",
        "???/\n/ int escaped;",
        "*\\\n/ int escaped;",
        "#define cpu_id escaped\n#include </etc/passwd>",
        "nested /* comment */ */ */",
        "trailing backslash \\",
        "carriage\rreturn\r\n*/ int escaped; /*",
        "\u{0}nul\u{1b}[31mescape\u{7f}",
        "unicode \u{2028} line separator */",
    ];
    let mut text = String::new();
    let doc = |i: usize| toml_string(hostile[i % hostile.len()]);
    text.push_str(&format!(
        "[abi]\nname = \"evil\"\nversion = 2\ndoc = {}\nlicense = \"MIT\"\n\n",
        toml_string(&format!("{} {}", hostile[0], hostile[1]))
    ));
    text.push_str(&format!(
        "[[feature]]\nname = \"first\"\nbit = 0\nsince = 1\ndoc = {}\n\n",
        doc(2)
    ));
    text.push_str(&format!(
        "[[constant]]\nname = \"LIMIT\"\nvalue = 7\ntype = \"u32\"\ndoc = {}\n\n",
        doc(3)
    ));
    text.push_str(&format!(
        "[[struct]]\nname = \"evil_area\"\ndoc = {}\n\n",
        doc(4)
    ));
    for (i, name) in ["a", "b", "c", "d", "e", "f", "g"].iter().enumerate() {
        text.push_str(&format!(
            "[[struct.field]]\nname = \"{name}\"\ntype = \"u32\"\nsince = 1\ndoc = {}\n\n",
            doc(5 + i)
        ));
    }
    let dir = abi_tests::scratch_dir("hostile");
    let path = dir.join("evil.toml");
    std::fs::write(&path, &text).unwrap();
    let spec = load(&path);
    [Style::Uapi, Style::Stdint]
        .into_iter()
        .map(|style| {
            c::header(
                &spec,
                &HeaderOptions {
                    style,
                    // The file name lands in the banner: hostile too.
                    spec_name: "evil */ #error name ??/\n.toml",
                },
            )
            .unwrap()
        })
        .collect()
}

#[test]
fn hostile_doc_strings_stay_inside_their_comments() {
    for generated in hostile_headers() {
        // Every comment opened closes where the generator closed it: no
        // code line carries hostile text.
        for line in generated.lines() {
            let code = !line.starts_with(" *")
                && !line.starts_with("/*")
                && !line.starts_with("\t/*")
                && !line.starts_with("\t *");
            if code {
                assert!(
                    !line.contains("escaped") && !line.contains("passwd"),
                    "{line}"
                );
            }
        }
    }
}

/// What the C preprocessor makes of the same headers: they compile, with
/// trigraphs on and every comment warning an error.
#[test]
#[cfg_attr(no_gcc, ignore = "needs gcc")]
fn headers_with_hostile_doc_strings_compile() {
    let gcc = abi_tests::require("gcc");
    for generated in hostile_headers() {
        let probe = "#include \"header.h\"\nint evil_count = sizeof(struct evil_area);\n";
        for std in ["-std=c11", "-std=gnu11"] {
            let mut flags = vec![std, "-trigraphs", "-Wcomment", "-Wtrigraphs"];
            flags.extend(STRICT);
            compile(&gcc, &[], &flags, &generated, probe)
                .unwrap_or_else(|e| panic!("{e}\n{generated}"));
        }
    }
}
