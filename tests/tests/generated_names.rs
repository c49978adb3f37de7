//! Names in generated code, against the real compilers and headers:
//!
//! * every macro the headers a generated header includes define (under
//!   GCC and Clang, C89 to C11, GNU and C++ modes, 64- and 32-bit) is a
//!   name no struct or field may have (`abi_spec::names::c_name_conflict`),
//!   so the preprocessor cannot make a member vanish (`__bitwise`, which
//!   `<linux/types.h>` defines as nothing, made `sizeof(struct s)` 8 where
//!   the header said 12);
//! * the names a spec may still use (Linux's `__reserved`, `__pad1`, ...)
//!   keep the header true even when every refused name is a macro that
//!   expands to nothing: each generated header is compiled under
//!   `-std=c89`, `c99`, `c11`, `gnu89`, `gnu11` and C++, with all of them
//!   defined, and its size macros checked with a negative-array typedef
//!   (C89 has no `_Static_assert`);
//! * the Rust generator refuses what rustc would refuse (E0428, a lone
//!   `\r` or U+202E in a doc comment), at the spec's place, and what it
//!   accepts compiles.

use std::path::Path;
use std::process::Command;

use abi_spec::codegen::c::{header, HeaderOptions, Style};
use abi_spec::names::{c_name_conflict, is_c_identifier, is_reserved_word};

/// The includes of each header style.
const INCLUDES: [(Style, &str); 2] = [
    (Style::Uapi, "#include <linux/types.h>\n"),
    (Style::Stdint, "#include <stddef.h>\n#include <stdint.h>\n"),
];

/// Debian installs the x86 `<asm/*.h>` of the uapi headers for x86-64
/// only; i386 uses the same files (as tests/headers.rs does).
const I386_ASM: &str = "-I/usr/include/x86_64-linux-gnu";
/// Without a 32-bit C library installed, `<stdint.h>` comes from the
/// compiler itself, as for a kernel or freestanding build.
const FREESTANDING: &str = "-ffreestanding";

/// Every macro `compiler` defines with `includes` under `flags`: names
/// from `-dM -E`, function-like ones included.
fn macros(compiler: &Path, flags: &[&str], language: &str, includes: &str) -> Vec<String> {
    let mut child = Command::new(compiler)
        .args(flags)
        .args(["-dM", "-E", "-x", language, "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the compiler runs");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(includes.as_bytes()).expect("write");
    }
    let out = child.wait_with_output().expect("the compiler runs");
    assert!(
        out.status.success(),
        "{} {flags:?}: {}",
        compiler.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.strip_prefix("#define "))
        .filter_map(|l| l.split([' ', '(']).next())
        .map(str::to_string)
        .collect()
}

fn assert_all_refused(compiler: &Path, modes: &[(&[&str], &str)]) {
    let mut checked = 0;
    for (_, includes) in INCLUDES {
        for &(flags, language) in modes {
            for name in macros(compiler, flags, language, includes) {
                if !is_c_identifier(&name) || is_reserved_word(&name) {
                    continue;
                }
                assert!(
                    c_name_conflict(&name).is_some(),
                    "`{name}`, a macro of {} {flags:?} with {includes:?}, may name a field",
                    compiler.display()
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 500, "only {checked} macros seen");
}

#[test]
#[cfg_attr(no_gcc, ignore = "needs gcc")]
fn every_macro_gcc_defines_with_the_headers_is_refused() {
    let gcc = abi_tests::require("gcc");
    assert_all_refused(
        &gcc,
        &[
            (&["-std=c89"], "c"),
            (&["-std=c99"], "c"),
            (&["-std=c11"], "c"),
            (&["-std=gnu89"], "c"),
            (&["-std=gnu11"], "c"),
            (&["-std=gnu11", "-D_GNU_SOURCE"], "c"),
            (&["-std=c11", "-m32", I386_ASM, FREESTANDING], "c"),
            (&["-std=gnu11", "-m32", I386_ASM, FREESTANDING], "c"),
            (&["-std=c++11"], "c++"),
            (&["-std=gnu++17"], "c++"),
        ],
    );
}

#[test]
#[cfg_attr(no_clang, ignore = "needs clang")]
fn every_macro_clang_defines_with_the_headers_is_refused() {
    let clang = abi_tests::require("clang");
    assert_all_refused(
        &clang,
        &[
            (&["-std=c89"], "c"),
            (&["-std=c11"], "c"),
            (&["-std=gnu11"], "c"),
            (&["-std=gnu11", "-m32", I386_ASM, FREESTANDING], "c"),
            (&["-std=c++17"], "c++"),
        ],
    );
}

#[test]
fn fields_named_like_header_macros_are_refused_at_their_place() {
    for name in ["__bitwise", "__BEGIN_DECLS", "__THROW", "__const", "linux"] {
        let text = format!(
            "[abi]\nname = \"t\"\nversion = 1\n[[struct]]\nname = \"s\"\n[[struct.field]]\nname = \"a\"\ntype = \"u32\"\n[[struct.field]]\nname = \"{name}\"\ntype = \"u64\"\n"
        );
        let e = abi_spec::parse("t.toml", &text).expect_err(name);
        let shown = e.render(false);
        assert!(shown.contains(&format!("field name `{name}`")), "{shown}");
        assert!(shown.contains("t.toml:10:8"), "{shown}");
        assert!(shown.contains("help: "), "{shown}");
    }
}

/// A spec whose names sit just beside the refused ones: Linux's padding
/// names, an explicit `__pad0` where the header adds padding of its own, a
/// union, a nested struct and an aligned u64.
const NEAR_MISSES: &str = r#"
[abi]
name = "near"
version = 2
[[struct]]
name = "inner_pad"
[[struct.field]]
name = "__pad"
type = "u8"
[[struct.field]]
name = "_x"
type = "u32"
[[struct]]
name = "__spare"
kind = "union"
[[struct.field]]
name = "__rsvd"
type = "u64"
[[struct.field]]
name = "unix_time"
type = "u32"
[[struct]]
name = "s"
[[struct.field]]
name = "__reserved"
type = "u8"
[[struct.field]]
name = "__pad0"
type = "u32"
[[struct.field]]
name = "__pad1"
type = "inner_pad"
[[struct.field]]
name = "x__"
type = "__spare"
[[struct.field]]
name = "_pad"
type = "u64"
align = 8
since = 2
"#;

/// A C file that includes the standard headers, then defines every name
/// the spec refuses as an empty macro (those the generated header does
/// not itself use), then includes `generated`, and checks each size macro
/// with a negative-array typedef.
fn hostile_unit(includes: &str, generated: &str, spec: &abi_spec::Spec) -> String {
    let mut unit = String::from(includes);
    let words: std::collections::HashSet<&str> = generated
        .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
        .collect();
    let mut defined = 0;
    for name in abi_spec::names::refused_names() {
        if words.contains(name) || is_reserved_word(name) {
            continue;
        }
        unit += &format!("#undef {name}\n#define {name}\n");
        defined += 1;
    }
    assert!(defined > 300, "only {defined} names defined");
    unit += "#include \"generated.h\"\n";
    for (i, def) in spec.structs.iter().enumerate() {
        let upper = def.name.to_ascii_uppercase();
        let kind = def.kind.keyword();
        unit += &format!(
            "typedef char size_{i}[sizeof({kind} {}) == {upper}_SIZE_VER2 ? 1 : -1];\n",
            def.name
        );
    }
    unit
}

#[test]
#[cfg_attr(no_gcc, ignore = "needs gcc")]
fn accepted_names_keep_the_header_true_whatever_the_refused_ones_mean() {
    let gcc = abi_tests::require("gcc");
    let spec = abi_spec::parse("near.toml", NEAR_MISSES).expect("the near misses are accepted");
    let scratch = abi_tests::scratch_dir("generated-names");
    let mut compiled = 0;
    for (style, includes) in INCLUDES {
        let options = HeaderOptions {
            style,
            spec_name: "near.toml",
        };
        let generated = header(&spec, &options).expect("header");
        std::fs::write(scratch.join("generated.h"), &generated).expect("write");
        let unit = scratch.join(format!("{style:?}.c"));
        std::fs::write(&unit, hostile_unit(includes, &generated, &spec)).expect("write");
        for (std, language) in [
            ("c89", "c"),
            ("c99", "c"),
            ("c11", "c"),
            ("gnu89", "c"),
            ("gnu11", "c"),
            ("c++98", "c++"),
            ("c++11", "c++"),
        ] {
            for bits in [&["-m64"][..], &["-m32", I386_ASM, FREESTANDING][..]] {
                let out = Command::new(&gcc)
                    .args(["-fsyntax-only", "-Werror", "-Wno-builtin-macro-redefined"])
                    .arg(format!("-std={std}"))
                    .args(bits)
                    .args(["-x", language])
                    .arg(&unit)
                    .output()
                    .expect("gcc runs");
                assert!(
                    out.status.success(),
                    "{style:?} under -std={std} {bits:?}:\n{}",
                    String::from_utf8_lossy(&out.stderr)
                );
                compiled += 1;
            }
        }
    }
    assert_eq!(compiled, 28);
    let _ = std::fs::remove_dir_all(&scratch);
}

/// What `abi_spec::codegen::rust::generate` says about `body` (after an
/// `[abi]` table): the code, or the rendered error.
fn rust_of(body: &str) -> Result<String, String> {
    let text = format!("[abi]\nname = \"t\"\nversion = 1\n{body}");
    let spec = abi_spec::parse("t.toml", &text).map_err(|e| e.render(false))?;
    abi_spec::codegen::rust::generate_file(&spec).map_err(|e| e.render(false))
}

const FIELD: &str = "[[struct.field]]\nname = \"a\"\ntype = \"u32\"\n";

#[test]
fn rust_names_that_would_clash_are_refused_at_the_spec_place() {
    for (body, name, place) in [
        (
            format!("[[struct]]\nname = \"x\"\n{FIELD}[[struct]]\nname = \"x_feature\"\n{FIELD}"),
            "X_FEATURE_SIZE_VER1",
            "t.toml:10:8",
        ),
        (
            format!("[[constant]]\nname = \"version\"\nvalue = 2\n[[struct]]\nname = \"s\"\n{FIELD}"),
            "T_VERSION",
            "t.toml:4:1",
        ),
        (
            format!("[[struct]]\nname = \"s\"\n{FIELD}[[struct]]\nname = \"S\"\n{FIELD}"),
            "S_SIZE_VER1",
            "t.toml:10:8",
        ),
        (
            format!("[[struct]]\nname = \"u32\"\n{FIELD}"),
            "u32",
            "t.toml:5:8",
        ),
        (
            "[[feature]]\nname = \"a\"\nbit = 0\n[[feature]]\nname = \"a_bit\"\nbit = 1\n[[struct]]\nname = \"s\"\n[[struct.field]]\nname = \"a\"\ntype = \"u32\"\n".to_string(),
            "T_FEATURE_A_BIT",
            "t.toml:8:8",
        ),
    ] {
        let e = rust_of(&body).expect_err(name);
        assert!(
            e.contains(&format!("the Rust code would define `{name}` twice")),
            "{e}"
        );
        assert!(e.contains(place), "{name}: not at {place}: {e}");
    }
}

#[test]
fn rust_doc_text_cannot_break_the_code() {
    let code = rust_of(&format!(
        "[[struct]]\nname = \"s\"\ndoc = \"lone\\rreturn, \\u202Eoverride, \\u2066isolate, \\u0007bell\"\n{FIELD}doc = \"zero\\u200Bwidth\\r\\n\\rend\"\n"
    ))
    .expect("generates");
    for bad in ['\r', '\u{202e}', '\u{2066}', '\u{7}', '\u{200b}'] {
        assert!(!code.contains(bad), "{bad:?} left in the code");
    }
    assert!(
        code.contains("/// lone\n/// return, \\u{202e}override"),
        "{code}"
    );
    compile_rust(&code, "docs");
}

fn compile_rust(code: &str, name: &str) {
    let scratch = abi_tests::scratch_dir("generated-names-rust");
    let file = scratch.join(format!("{name}.rs"));
    std::fs::write(&file, format!("#![no_std]\n{code}")).expect("write");
    let out = Command::new("rustc")
        .args([
            "--edition",
            "2021",
            "--crate-type",
            "lib",
            "--emit=metadata",
        ])
        .args(["--crate-name", name, "-o"])
        .arg(scratch.join(format!("{name}.rmeta")))
        .arg(&file)
        .output()
        .expect("rustc runs");
    assert!(
        out.status.success(),
        "{}\n{code}",
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(&scratch);
}
