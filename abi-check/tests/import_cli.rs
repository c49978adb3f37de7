//! `abi-check import`: C headers to a spec. The real uapi headers on every
//! target (one test per compiler family, so a missing cross compiler
//! ignores only its own targets, visibly), each spec laid out by abi-spec
//! and compared with the compilers through the tests' own probe and with
//! `examples/linux/`; and every way the input can be wrong.

mod common;

use std::path::Path;
use std::process::Output;

use abi_spec::{Spec, Target};
use common::cc;
use common::{comments, run, stderr, stdout};

/// One test per compiler family, each over the family's targets,
/// ignored with its reason when the family's compiler is missing (the
/// idea of `abi_tests::test_each_family!`, which only that crate sees).
macro_rules! each_family {
    ($check:ident) => {
        mod $check {
            #[test]
            #[cfg_attr(
                any(no_gcc, no_uapi_headers),
                ignore = "needs gcc and the uapi headers"
            )]
            fn gcc() {
                super::$check("gcc");
            }

            #[test]
            #[cfg_attr(
                any(no_clang, no_uapi_headers),
                ignore = "needs clang and the uapi headers"
            )]
            fn clang() {
                super::$check("clang");
            }

            #[test]
            #[cfg_attr(
                any(no_clang19, no_uapi_headers),
                ignore = "needs clang-19 (loongarch64) and the uapi headers"
            )]
            fn clang19() {
                super::$check("clang19");
            }

            #[test]
            #[cfg_attr(
                any(no_m68k_gcc, no_uapi_headers),
                ignore = "needs m68k-linux-gnu-gcc and the uapi headers"
            )]
            fn m68k_gcc() {
                super::$check("m68k_gcc");
            }

            #[test]
            #[cfg_attr(
                any(no_sh4_gcc, no_uapi_headers),
                ignore = "needs sh4-linux-gnu-gcc and the uapi headers"
            )]
            fn sh4_gcc() {
                super::$check("sh4_gcc");
            }
        }
    };
}

fn code(o: &Output) -> Option<i32> {
    o.status.code()
}

/// Exit 2 with `needle` in the message, and never a panic.
fn assert_refused(o: &Output, needle: &str) {
    let err = stderr(o);
    assert_eq!(code(o), Some(2), "{err}{}", stdout(o));
    assert!(!err.contains("panicked"), "{err}");
    assert!(err.contains(needle), "no `{needle}` in:\n{err}");
    assert!(stdout(o).is_empty(), "{}", stdout(o));
}

/// The spec `import` printed, parsed: no input error.
fn imported(o: &Output) -> Spec {
    assert_eq!(code(o), Some(0), "{}", stderr(o));
    abi_spec::parse("imported.toml", &stdout(o))
        .unwrap_or_else(|e| panic!("{}\n{}", e.render(false), stdout(o)))
}

/// The real headers the task names, each with its struct and the example
/// that describes it, and clone_args (every member `__aligned_u64`, which
/// gcc records on the struct and clang does not).
const REAL: [(&str, &str); 4] = [
    ("linux/openat2.h", "open_how"),
    ("linux/sched/types.h", "sched_attr"),
    ("linux/rseq.h", "rseq"),
    ("linux/sched.h", "clone_args"),
];

/// `import` of each real header for the family's targets: the spec lays
/// out, on each target, as the compiler does (`sizeof`, `_Alignof`, every
/// member's `offsetof`, through the tests' own probe and `asm/` headers),
/// and where its field names meet those of `examples/linux/NAME.toml` at
/// its newest version, at the same offsets; the other names are printed.
fn real_headers_on_every_target(key: &str) {
    abi_test_tools::require("uapi_headers");
    let targets = cc::family(key);
    for (header, name) in REAL {
        let out = run(&[
            "import",
            header,
            "--struct",
            name,
            "--target",
            &cc::target_list(&targets),
        ]);
        let spec = imported(&out);
        assert_eq!(spec.abi.targets, targets, "{name}");
        let index = spec.struct_index(name).expect("the struct");
        let def = &spec.structs[index];
        let members: Vec<&str> = def
            .fields
            .iter()
            .filter(|f| !f.reserved || f.name.starts_with("__"))
            .map(|f| f.name.as_str())
            .collect();
        let mut exprs = vec![
            format!("sizeof(struct {name})"),
            format!("_Alignof(struct {name})"),
        ];
        exprs.extend(
            members
                .iter()
                .map(|m| format!("__builtin_offsetof(struct {name}, {m})")),
        );
        let example = abi_spec::load(&common::root().join(format!("examples/linux/{name}.toml")))
            .unwrap_or_else(|e| panic!("{}", e.render(false)));
        let example_index = example.struct_index(name).expect("the example's struct");
        let example_def = &example.structs[example_index];
        for &target in &targets {
            let values = cc::probe(target, &format!("#include <{header}>"), &exprs);
            let layout = spec
                .layout(index, target, spec.abi.version)
                .expect("a layout");
            assert_eq!(layout.size, values[0], "{name} size on {target}");
            assert_eq!(layout.align, values[1], "{name} align on {target}");
            for (i, member) in members.iter().enumerate() {
                let field = def.fields.iter().position(|f| f.name == *member);
                let placed = field.and_then(|f| layout.field(f)).expect("placed");
                assert_eq!(placed.offset, values[2 + i], "{name}.{member} on {target}");
            }
            let newest = example
                .layout(example_index, target, example.abi.version)
                .expect("the example lays out");
            let mut only_here = Vec::new();
            for fl in &layout.fields {
                let field = &def.fields[fl.index];
                match example_def
                    .fields
                    .iter()
                    .position(|f| f.name == field.name)
                    .and_then(|i| newest.field(i))
                {
                    Some(e) => assert_eq!(
                        (e.offset, e.size),
                        (fl.offset, fl.size),
                        "{name}.{} on {target}: the example and the import differ",
                        field.name
                    ),
                    None => only_here.push(field.name.clone()),
                }
            }
            let only_there: Vec<&str> = example_def
                .fields
                .iter()
                .filter(|f| def.field(&f.name).is_none())
                .map(|f| f.name.as_str())
                .collect();
            if target == targets[0] {
                println!(
                    "{name} ({header}) against examples/linux/{name}.toml version {}: only \
                     imported: {only_here:?}; only in the example: {only_there:?}",
                    example.abi.version
                );
            }
        }
        // `check` judges it without an input error.
        let dir = cc::scratch(&format!("check-{name}"));
        let file = dir.join(format!("{name}.toml"));
        std::fs::write(&file, &out.stdout).expect("write spec");
        let check = run(&["check", &file.display().to_string()]);
        assert_ne!(code(&check), Some(2), "{}", stderr(&check));
    }
}
each_family!(real_headers_on_every_target);

fn gcc_only() {
    abi_test_tools::require("gcc");
}

#[test]
#[cfg_attr(
    any(no_gcc, no_uapi_headers),
    ignore = "needs gcc and the uapi headers"
)]
fn a_header_that_does_not_exist() {
    gcc_only();
    let out = run(&["import", "linux/no_such_header.h", "--struct", "x"]);
    assert_refused(&out, "linux/no_such_header.h: no such header");
    let out = run(&["import", "./no/such/file.h", "--struct", "x"]);
    assert_refused(&out, "no/such/file.h: no such file");
}

#[test]
#[cfg_attr(
    any(no_gcc, no_uapi_headers),
    ignore = "needs gcc and the uapi headers"
)]
fn a_struct_the_header_does_not_define() {
    gcc_only();
    let out = run(&["import", "linux/openat2.h", "--struct", "open_how,no_such"]);
    assert_refused(&out, "`struct no_such` is not defined by linux/openat2.h");
}

#[test]
#[cfg_attr(no_gcc, ignore = "needs gcc")]
fn a_header_that_does_not_compile_shows_the_compiler_cut_short() {
    gcc_only();
    let dir = cc::scratch("bad-header");
    let header = dir.join("bad.h");
    // Many errors: the message shows the first lines only.
    let body: String = (0..40)
        .map(|i| format!("struct s{i} {{ no_such_type m; }};\n"))
        .collect();
    std::fs::write(&header, body).expect("write header");
    let out = run(&["import", &header.display().to_string(), "--struct", "s0"]);
    assert_refused(
        &out,
        "does not compile for x86_64 with gcc: unknown type name",
    );
    let err = stderr(&out);
    assert!(err.contains("gcc (x86_64) said:"), "{err}");
    assert!(err.contains("bad.h:1:"), "{err}");
    assert!(err.contains("more lines)"), "{err}");
    assert!(err.lines().count() < 25, "{err}");
}

#[test]
#[cfg_attr(
    any(no_gcc, no_uapi_headers),
    ignore = "needs gcc and the uapi headers"
)]
fn a_define_that_is_not_defined_and_one_that_is_no_integer() {
    gcc_only();
    let out = run(&[
        "import",
        "linux/openat2.h",
        "--struct",
        "open_how",
        "--define",
        "RESOLVE_NO_XDEV,NO_SUCH_MACRO",
    ]);
    assert_refused(
        &out,
        "--define NO_SUCH_MACRO: `NO_SUCH_MACRO` is not defined",
    );
    let dir = cc::scratch("defines");
    let header = dir.join("d.h");
    std::fs::write(
        &header,
        "struct s { int a; };\n#define FLOATY 1.5\n#define HUGE_ONE 0x8000000000000000ULL\n",
    )
    .expect("write");
    let header = header.display().to_string();
    let out = run(&["import", &header, "--struct", "s", "--define", "FLOATY"]);
    assert_refused(&out, "`FLOATY` is not an integer constant");
    let out = run(&["import", &header, "--struct", "s", "--define", "HUGE_ONE"]);
    assert_refused(&out, "beyond the signed 64-bit values");
    let out = run(&["import", &header, "--struct", "s", "--define", "not-a-name"]);
    assert_refused(&out, "is not a C identifier");
}

/// Each constant has the C type of its expression, promoted: `int` for a
/// plain number or an enum constant, `unsigned long long` for `ULL`; a
/// `long` is i64 where it is 8 bytes on some target compiled, said so.
#[test]
#[cfg_attr(no_gcc, ignore = "needs gcc")]
fn defines_become_constants_of_their_c_type() {
    gcc_only();
    let dir = cc::scratch("constants");
    let header = dir.join("c.h");
    std::fs::write(
        &header,
        "struct s { int a; };\nenum { MINUS = -1 };\n#define BIG (1ULL << 40)\n\
         #define FLAG 0x80000000\n#define LONGISH (-5L)\n#define SIZE_S sizeof(struct s)\n",
    )
    .expect("write");
    let out = run(&[
        "import",
        &header.display().to_string(),
        "--struct",
        "s",
        "--define",
        "MINUS,BIG,FLAG,LONGISH",
        "--target",
        "x86_64,i386",
    ]);
    let spec = imported(&out);
    let constant = |n: &str| {
        let c = spec.constants.iter().find(|c| c.name == n).expect(n);
        (c.value, c.ty.name())
    };
    assert_eq!(constant("MINUS"), (-1, "i32"));
    assert_eq!(constant("BIG"), (1 << 40, "u64"));
    assert_eq!(constant("FLAG"), (0x8000_0000, "u32"));
    assert_eq!(constant("LONGISH"), (-5, "i64"));
    assert!(
        comments(&stdout(&out)).contains("`LONGISH` has a C type as wide as `long`"),
        "{}",
        stdout(&out)
    );
    // sizeof(struct s) is the same on both: one value.
    let out = run(&[
        "import",
        &header.display().to_string(),
        "--struct",
        "s",
        "--define",
        "SIZE_S",
        "--target",
        "x86_64,i386",
    ]);
    let spec = imported(&out);
    assert_eq!(spec.constants[0].value, 4);
    assert_eq!(spec.constants[0].ty.name(), "u64");
}

#[test]
#[cfg_attr(
    any(no_gcc, no_uapi_headers),
    ignore = "needs gcc and the uapi headers"
)]
fn output_goes_to_a_file_atomically_and_never_over_a_header() {
    gcc_only();
    let dir = cc::scratch("output");
    let file = dir.join("open_how.toml");
    let file_arg = file.display().to_string();
    let printed = run(&["import", "linux/openat2.h", "--struct", "open_how"]);
    assert_eq!(code(&printed), Some(0), "{}", stderr(&printed));
    let written = run(&[
        "import",
        "linux/openat2.h",
        "--struct",
        "open_how",
        "-o",
        &file_arg,
    ]);
    assert_eq!(code(&written), Some(0), "{}", stderr(&written));
    assert!(stdout(&written).is_empty());
    assert_eq!(std::fs::read(&file).expect("written"), printed.stdout);
    // No temporary file is left beside it.
    let left: Vec<_> = std::fs::read_dir(&dir)
        .expect("dir")
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(left.len(), 1, "{left:?}");
    // The header itself is an input: never overwritten.
    let header = dir.join("mine.h");
    std::fs::write(&header, "struct mine { int a; };\n").expect("write");
    let header_arg = header.display().to_string();
    let out = run(&["import", &header_arg, "--struct", "mine", "-o", &header_arg]);
    assert_refused(&out, "refusing to write");
    assert_eq!(
        std::fs::read_to_string(&header).expect("read"),
        "struct mine { int a; };\n"
    );
    let out = run(&[
        "import",
        &header_arg,
        "--struct",
        "mine",
        "-o",
        &dir.join("no/such/dir/x.toml").display().to_string(),
    ]);
    assert_refused(&out, "cannot write");
}

/// Bitfields are fields with `bits`, of their declared type, wherever
/// they lie (one that shares a unit with a `char` too), laid out as each
/// compiler did; a bitfield whose type is as wide as `long` differs
/// between LP64 and ILP32 targets and is refused, naming it.
#[test]
#[cfg_attr(no_gcc, ignore = "needs gcc")]
fn bitfields_are_fields_with_bits() {
    gcc_only();
    let dir = cc::scratch("bits");
    let header = dir.join("b.h");
    std::fs::write(
        &header,
        "typedef unsigned long long __u64;\n\
         struct word { __u64 a:1, b:2, rest:61; __u64 after; };\n\
         struct part { char c; unsigned int x:3, :2, y:4; signed char z:2; };\n\
         struct wide { unsigned long w:3; };\n",
    )
    .expect("write");
    let header = header.display().to_string();
    let out = run(&[
        "import",
        &header,
        "--struct",
        "word,part",
        "--target",
        "x86_64,i386",
    ]);
    let spec = imported(&out);
    let word = spec.struct_def("word").expect("word");
    let bits: Vec<(&str, String, Option<u32>)> = word
        .fields
        .iter()
        .map(|f| (f.name.as_str(), f.ty.to_string(), f.bits))
        .collect();
    assert_eq!(
        bits,
        [
            ("a", "u64".to_string(), Some(1)),
            ("b", "u64".to_string(), Some(2)),
            ("rest", "u64".to_string(), Some(61)),
            ("after", "u64".to_string(), None)
        ]
    );
    let part = spec.struct_def("part").expect("part");
    let x = part.field("x").expect("x");
    assert_eq!((x.ty.to_string(), x.bits), ("u32".to_string(), Some(3)));
    let z = part.field("z").expect("z");
    assert_eq!((z.ty.to_string(), z.bits), ("i8".to_string(), Some(2)));
    // The unnamed `:2` is padding bits between x and y.
    assert!(part.fields.iter().any(|f| f.unnamed && f.bits == Some(2)));
    let out = run(&[
        "import",
        &header,
        "--struct",
        "wide",
        "--target",
        "x86_64,i386",
    ]);
    assert_refused(&out, "the bitfield `wide.w` is `long unsigned int`");
}

/// An anonymous union becomes a union of its own, laid out as compiled,
/// with a comment that C code names its members directly.
#[test]
#[cfg_attr(no_gcc, ignore = "needs gcc")]
fn anonymous_unions_become_unions_with_a_comment() {
    gcc_only();
    let dir = cc::scratch("union");
    let header = dir.join("u.h");
    std::fs::write(
        &header,
        "struct u { int kind; union { long long big; char small[3]; }; int after; };\n",
    )
    .expect("write");
    let out = run(&[
        "import",
        &header.display().to_string(),
        "--struct",
        "u",
        "--target",
        "x86_64,i386",
    ]);
    let spec = imported(&out);
    let inner = spec.struct_def("u_anon1").expect("the union");
    assert_eq!(inner.kind.keyword(), "union");
    assert!(comments(&stdout(&out)).contains("whose members C code names directly"));
}

/// Names that are no spec names are made spec names, with a comment.
#[test]
#[cfg_attr(no_gcc, ignore = "needs gcc")]
fn c_names_that_are_no_spec_names_say_so() {
    gcc_only();
    let dir = cc::scratch("names");
    let header = dir.join("n.h");
    std::fs::write(&header, "struct n { int new; int template; };\n").expect("write");
    let out = run(&["import", &header.display().to_string(), "--struct", "n"]);
    let spec = imported(&out);
    let names: Vec<&str> = spec.structs[0]
        .fields
        .iter()
        .map(|f| f.name.as_str())
        .collect();
    assert_eq!(names, ["new_", "template_"]);
    assert!(
        comments(&stdout(&out)).contains("`new` in C is not a spec name"),
        "{}",
        stdout(&out)
    );
}

/// A struct that lays out differently between targets is written as the
/// compilers laid it out on each (holes that differ left implicit), with
/// a warning naming the targets, fields and offsets, and a comment there.
#[test]
#[cfg_attr(no_gcc, ignore = "needs gcc")]
fn a_struct_that_differs_between_targets_is_written_with_a_warning() {
    gcc_only();
    let dir = cc::scratch("diverge");
    let header = dir.join("d.h");
    std::fs::write(
        &header,
        "struct d { unsigned int a; unsigned long long b; long c; };\n",
    )
    .expect("write");
    let out = run(&[
        "import",
        &header.display().to_string(),
        "--struct",
        "d",
        "--target",
        "x86_64,i386,x32",
    ]);
    let spec = imported(&out);
    let err = stderr(&out);
    assert!(
        err.contains("`d.b` at offset 8 on x86_64, x32; offset 4 on i386"),
        "{err}"
    );
    let def = spec.struct_def("d").expect("d");
    let names: Vec<&str> = def.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        ["a", "b", "c"],
        "the hole at 4 differs: left implicit"
    );
    assert_eq!(def.fields[2].ty.to_string(), "long");
    for (target, b, size) in [
        (Target::X86_64, 8, 24),
        (Target::I386, 4, 16),
        (Target::X32, 8, 24),
    ] {
        let l = spec.layout(0, target, 1).expect("layout");
        assert_eq!((l.fields[1].offset, l.size), (b, size), "{target}");
    }
    assert!(comments(&stdout(&out)).contains("lays out differently between targets"));
    // A type no spec type means on each target is refused.
    std::fs::write(&header, "struct t { long double x; };\n").expect("write");
    let out = run(&[
        "import",
        &header.display().to_string(),
        "--struct",
        "t",
        "--target",
        "x86_64,i386",
    ]);
    assert_refused(&out, "no spec type is each of those");
}

/// A header that needs an architecture's own asm/ headers: compiled with
/// the fallback where it only needs fixed-width types, refused naming the
/// header (or the type) where it needs more.
#[test]
#[cfg_attr(
    any(no_clang, no_uapi_headers),
    ignore = "needs clang and the uapi headers"
)]
fn cross_targets_without_their_asm_headers() {
    abi_test_tools::require("clang");
    abi_test_tools::require("uapi_headers");
    // A clang target whose own asm/ headers are not installed here (the
    // places import looks in): where every one has them, there is nothing
    // to test.
    let own = |t: Target| {
        [
            format!("/usr/include/{}/asm/types.h", t.triple()),
            format!("/usr/{}/include/asm/types.h", t.triple()),
        ]
        .iter()
        .any(|p| Path::new(p).is_file())
    };
    let Some(bare) = cc::family("clang").into_iter().find(|&t| !own(t)) else {
        println!("every clang target has its own asm/ headers here: nothing to test");
        return;
    };
    let bare_name = bare.name();
    // Fixed-width types only: the fallback is right, and said to be used.
    let out = run(&[
        "import",
        "linux/openat2.h",
        "--struct",
        "open_how",
        "--target",
        bare_name,
    ]);
    imported(&out);
    assert!(comments(&stdout(&out)).contains("fallback asm/ headers"));
    // An architecture-specific asm/ header: named.
    let out = run(&[
        "import",
        "linux/signal.h",
        "--struct",
        "sigaltstack",
        "--target",
        bare_name,
    ]);
    assert_refused(&out, "the headers need <asm/signal.h>");
    // A kernel type some architectures define otherwise: named.
    let out = run(&[
        "import",
        "linux/time_types.h",
        "--struct",
        "__kernel_old_timeval",
        "--target",
        bare_name,
    ]);
    assert_refused(&out, "`struct __kernel_old_timeval` is defined");
    // With --target all, such targets are skipped, and said so.
    let out = run(&[
        "import",
        "linux/signal.h",
        "--struct",
        "sigaltstack",
        "--target",
        "all",
    ]);
    let err = stderr(&out);
    if abi_test_tools::tool("gcc").locate().is_some() {
        let spec = imported(&out);
        assert!(spec.abi.targets.contains(&Target::X86_64));
        assert!(!spec.abi.targets.contains(&bare));
        assert!(err.contains("warning: not compiled for"), "{err}");
        assert!(
            stdout(&out).contains("# Not compiled for"),
            "{}",
            stdout(&out)
        );
    }
    // An ioctl number is architecture-specific.
    let out = run(&[
        "import",
        "linux/perf_event.h",
        "--struct",
        "perf_event_attr",
        "--define",
        "PERF_EVENT_IOC_ENABLE",
        "--target",
        bare_name,
    ]);
    assert_refused(&out, "--define PERF_EVENT_IOC_ENABLE uses `_IOC_");
}

#[test]
fn bad_arguments_are_refused_before_compiling() {
    let out = run(&["import", "x.h", "--struct", "s", "--target", "vax"]);
    assert_refused(&out, "unknown target `vax`");
    let out = run(&["import", "x.h", "--struct", "s", "--name", "class"]);
    assert_refused(&out, "--name `class` is not a spec name");
    let out = run(&["import", "x.h", "--struct", "s", "-I", "/no/such/dir"]);
    assert_refused(&out, "not a directory");
    let out = run(&["import", "a<b>.h", "--struct", "s"]);
    assert_refused(&out, "not a header name");
    let out = run(&["import", "--struct", "s"]);
    assert_eq!(code(&out), Some(2));
    let out = run(&["import", "x.h"]);
    assert_eq!(code(&out), Some(2));
    assert!(Path::new(&common::root()).is_dir());
}

/// `--target all` with only gcc on `PATH`: the x86 targets are written,
/// every other target is skipped, with the compiler to install, on stderr
/// and in the spec.
#[test]
#[cfg_attr(
    any(no_gcc, no_uapi_headers),
    ignore = "needs gcc and the uapi headers"
)]
fn target_all_says_which_targets_were_skipped() {
    let gcc = abi_test_tools::require("gcc");
    let dir = cc::scratch("path");
    // gcc runs `as` from PATH: both, and nothing else.
    for (name, path) in [
        ("gcc", gcc),
        (
            "as",
            abi_test_tools::program(&["as"]).expect("as, with gcc"),
        ),
    ] {
        std::os::unix::fs::symlink(&path, dir.join(name)).expect("symlink");
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_abi-check"))
        .args([
            "import",
            "linux/openat2.h",
            "--struct",
            "open_how",
            "--target",
            "all",
        ])
        .env("PATH", &dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("abi-check runs");
    let spec = imported(&out);
    assert_eq!(
        spec.abi.targets,
        [Target::X86_64, Target::I386, Target::X32]
    );
    let err = stderr(&out);
    assert!(
        err.contains("warning: not compiled for aarch64, riscv64,")
            && err.contains("no clang here (install clang)"),
        "{err}"
    );
    assert!(
        err.contains("not compiled for m68k: no m68k-linux-gnu-gcc here"),
        "{err}"
    );
    assert!(
        comments(&stdout(&out)).contains("Not compiled for loongarch64: no clang-16 or later here"),
        "{}",
        stdout(&out)
    );
    // A target asked for by name is an error when its compiler is missing.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_abi-check"))
        .args([
            "import",
            "linux/openat2.h",
            "--struct",
            "open_how",
            "--target",
            "x86_64,sh4",
        ])
        .env("PATH", &dir)
        .output()
        .expect("abi-check runs");
    assert_refused(&out, "cannot import for sh4: no sh4-linux-gnu-gcc here");
}
