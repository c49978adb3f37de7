//! DWARF read back from objects that real compilers produce, in every
//! flavour the reader claims (DWARF 4 and 5, zlib and zstd compression,
//! type units, i386, aarch64), compared with the engine's layout of the
//! matching spec; and glibc's real debug file.

use std::path::{Path, PathBuf};
use std::process::Command;

use abi_dwarf::{read_structs, TypeKind};
use abi_spec::{layout, Target};

/// The spec the C below implements: version 2 adds `e`, the flexible
/// array comes last.
const SPEC: &str = r#"
[abi]
name = "probe"
version = 2
first_version = 1

[[struct]]
name = "probe_area"
align = 16

[[struct.field]]
name = "a"
type = "u32"
since = 1

[[struct.field]]
name = "b"
type = "u64"
since = 1

[[struct.field]]
name = "c"
type = "[i8; 3]"
since = 1

[[struct.field]]
name = "d"
type = "u16"
since = 1

[[struct.field]]
name = "e"
type = "[i32; 2]"
since = 2

[[struct.field]]
name = "tail"
type = "[u32]"
since = 2
"#;

/// No system header: the cross targets have none installed. `__u32` is a
/// chain of two typedefs, as in Linux.
const SOURCE: &str = r#"
typedef unsigned int __u32_base;
typedef __u32_base __u32;
typedef unsigned long long __u64;
typedef signed char __s8;
struct probe_area {
    __u32 a;
    __u64 b;
    __s8 c[3];
    unsigned short d;
    int e[2];
    __u32 tail[];
} __attribute__((aligned(16)));
struct probe_area probe_instance;
typedef struct probe_area probe_t;
probe_t probe_by_typedef;
typedef const struct { __u32 q; unsigned char r; } anon_t;
anon_t anon_instance;
"#;

/// Compiles SOURCE with `program` and `flags` into an object file.
fn compile(program: &Path, flags: &[&str], name: &str) -> Result<PathBuf, String> {
    let dir = abi_tests::scratch_dir(&format!("dwarf-{name}"));
    let source = dir.join("probe.c");
    std::fs::write(&source, SOURCE).map_err(|e| e.to_string())?;
    let object = dir.join("probe.o");
    let out = Command::new(program)
        .args(flags)
        .args(["-c", "-o"])
        .arg(&object)
        .arg(&source)
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    Ok(object)
}

/// Reads `probe_area` back and checks every field against the engine.
fn check_against_spec(object: &Path, target: Target) {
    let spec = abi_spec::parse("probe.toml", SPEC).expect("spec parses");
    let names = ["probe_area", "probe_t", "anon_t"].map(String::from);
    let dump =
        read_structs(object, Path::new("/nonexistent"), &names).unwrap_or_else(|e| panic!("{e}"));
    // Typedef names lead to the same struct, in type units too.
    assert_eq!(dump.structs[1].layout, dump.structs[0].layout, "{target}");
    let anon = &dump.structs[2].layout;
    assert_eq!(anon.name, None);
    assert_eq!((anon.size, anon.align), (8, 4), "anon_t on {target}");
    assert_eq!(dump.target, target, "{}", object.display());
    let compiled = &dump.structs[0].layout;
    let expected = layout::layout(&spec, 0, target, 2)
        .expect("lays out")
        .expect("exists");
    assert_eq!(compiled.size, expected.size, "size on {target}");
    assert_eq!(compiled.align, expected.align, "align on {target}");
    let def = &spec.structs[0];
    for placed in &expected.fields {
        let field = &def.fields[placed.index];
        let member = compiled
            .member(&field.name)
            .unwrap_or_else(|| panic!("no `{}` on {target}", field.name));
        assert_eq!(member.offset, placed.offset, "{} on {target}", field.name);
        assert_eq!(
            member.member.size, placed.size,
            "{} on {target}",
            field.name
        );
        assert_eq!(
            member.member.ty.spec_key(),
            abi_dwarf::compare::spec_key(&field.ty, target),
            "{} on {target}",
            field.name
        );
    }
    // The typedef chain keeps the outermost name.
    let a = compiled.member("a").expect("a");
    assert_eq!(a.member.ty.c_name, "__u32");
    let tail = compiled.member("tail").expect("tail");
    assert!(matches!(
        tail.member.ty.kind,
        TypeKind::Array { len: None, .. }
    ));
    let verdict = abi_dwarf::compare::verify(&spec, 0, compiled, "probe_area", "probe.o", target);
    assert_eq!(verdict.implements, Some(2), "{:?}", verdict.findings);
    assert_eq!(verdict.mismatches(), 0, "{:?}", verdict.findings);
}

fn gcc_case(flags: &[&str], name: &str, target: Target) {
    let object = compile(&abi_tests::require("gcc"), flags, name)
        .unwrap_or_else(|e| panic!("gcc {flags:?}: {e}"));
    check_against_spec(&object, target);
}

#[test]
#[cfg_attr(no_gcc, ignore = "needs gcc")]
fn dwarf4() {
    gcc_case(&["-g", "-gdwarf-4"], "dwarf4", Target::X86_64);
}

#[test]
#[cfg_attr(no_gcc, ignore = "needs gcc")]
fn dwarf5() {
    gcc_case(&["-g", "-gdwarf-5"], "dwarf5", Target::X86_64);
}

#[test]
#[cfg_attr(no_gcc, ignore = "needs gcc")]
fn zlib_compressed_sections() {
    gcc_case(&["-g", "-gz=zlib"], "zlib", Target::X86_64);
}

/// This gcc (12) only knows `-gz=zlib`; zstd sections are made with
/// `objcopy --compress-debug-sections=zstd` (binutils 2.40).
#[test]
#[cfg_attr(
    any(no_gcc, no_objcopy, no_readelf),
    ignore = "needs gcc, objcopy and readelf"
)]
fn zstd_compressed_sections() {
    let gcc = abi_tests::require("gcc");
    let objcopy = abi_tests::require("objcopy");
    let readelf = abi_tests::require("readelf");
    let object = match compile(&gcc, &["-g", "-gz=zstd"], "zstd-gcc") {
        Ok(object) => object,
        Err(_) => {
            let plain = compile(&gcc, &["-g"], "zstd").expect("gcc");
            let zstd = plain.with_file_name("probe-zstd.o");
            let out = Command::new(objcopy)
                .arg("--compress-debug-sections=zstd")
                .arg(&plain)
                .arg(&zstd)
                .output()
                .expect("objcopy runs");
            assert!(
                out.status.success(),
                "objcopy cannot write zstd: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            zstd
        }
    };
    let headers = Command::new(readelf)
        .arg("-t")
        .arg(&object)
        .output()
        .expect("readelf runs");
    assert!(
        String::from_utf8_lossy(&headers.stdout).contains("ZSTD"),
        "the sections are not zstd-compressed"
    );
    check_against_spec(&object, Target::X86_64);
}

#[test]
#[cfg_attr(no_gcc, ignore = "needs gcc")]
fn i386() {
    gcc_case(&["-g", "-m32"], "i386", Target::I386);
}

#[test]
#[cfg_attr(no_gcc, ignore = "needs gcc")]
fn type_units_dwarf4() {
    gcc_case(
        &["-g", "-gdwarf-4", "-fdebug-types-section"],
        "types4",
        Target::X86_64,
    );
}

#[test]
#[cfg_attr(no_gcc, ignore = "needs gcc")]
fn type_units_dwarf5() {
    gcc_case(
        &["-g", "-gdwarf-5", "-fdebug-types-section"],
        "types5",
        Target::X86_64,
    );
}

#[test]
#[cfg_attr(no_clang, ignore = "needs clang")]
fn clang_aarch64() {
    let object = compile(
        &abi_tests::require("clang"),
        &["--target=aarch64-linux-gnu", "-g"],
        "aarch64",
    )
    .unwrap_or_else(|e| panic!("clang: {e}"));
    check_against_spec(&object, Target::Aarch64);
}

#[test]
#[cfg_attr(no_clang, ignore = "needs clang")]
fn clang_armeb_big_endian() {
    let object = compile(
        &abi_tests::require("clang"),
        &["--target=armeb-linux-gnueabi", "-g"],
        "armeb",
    )
    .unwrap_or_else(|e| panic!("clang: {e}"));
    check_against_spec(&object, Target::Armeb);
}

/// glibc 2.36 keeps its rseq area as the anonymous-union member
/// `rseq_area` of `struct pthread`: 32 bytes at 2336, aligned to 32.
#[test]
#[cfg_attr(no_libc6_dbg, ignore = "needs libc6-dbg matching libc6")]
fn glibc_rseq_area_through_build_id() {
    let libc = Path::new("/lib/x86_64-linux-gnu/libc.so.6");
    let debug_dir = Path::new("/usr/lib/debug");
    abi_tests::require("libc6_dbg");
    // Tried in order, as `verify --struct 'rseq=rseq|pthread.rseq_area'`
    // does: glibc's debug info has no `struct rseq`.
    let names = vec!["rseq".to_string(), "pthread.rseq_area".to_string()];
    let dump =
        abi_dwarf::read_first_defined(libc, debug_dir, &[names]).unwrap_or_else(|e| panic!("{e}"));
    assert!(dump.debug_file.starts_with("/usr/lib/debug/.build-id"));
    let found = &dump.structs[0];
    assert_eq!(found.query, "pthread.rseq_area");
    assert_eq!(found.member_offset, Some(2336));
    assert_eq!(found.layout.size, 32);
    assert_eq!(found.layout.align, 32);
    let cpu_id = found.layout.member("cpu_id").expect("cpu_id");
    assert_eq!((cpu_id.offset, cpu_id.member.size), (4, 4));

    let spec_path = abi_tests::workspace_root().join("examples/linux/rseq.toml");
    let spec = abi_spec::load(&spec_path).expect("rseq.toml loads");
    let index = spec.struct_index("rseq").expect("struct rseq");
    let verdict = abi_dwarf::compare::verify(
        &spec,
        index,
        &found.layout,
        "pthread.rseq_area",
        "libc.so.6",
        dump.target,
    );
    assert_eq!(verdict.implements, Some(spec.abi.first_version));
    assert_eq!(verdict.mismatches(), 0, "{:?}", verdict.findings);
}

/// A program stripped of its DWARF, whose `.gnu_debuglink` names a debug
/// file beside it, is read through the link. A debug file of another build
/// under that name (another layout of the struct) is not used: its CRC is
/// not the one the link records, and reading it would report the other
/// build's struct as this program's.
#[test]
#[cfg_attr(any(no_gcc, no_objcopy), ignore = "needs gcc and objcopy")]
fn split_debug_through_gnu_debuglink_is_the_programs_own() {
    let gcc = abi_tests::require("gcc");
    let objcopy = abi_tests::require("objcopy");
    let dir = abi_tests::scratch_dir("debuglink");
    let run = |program: &Path, args: &[&str]| {
        let out = Command::new(program)
            .args(args)
            .current_dir(&dir)
            .output()
            .expect("runs");
        assert!(
            out.status.success(),
            "{} {args:?}: {}",
            program.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let build = |name: &str, fields: &str| {
        let source =
            format!("struct s {{ {fields} }};\nstruct s g;\nint main(void) {{ return 0; }}\n");
        std::fs::write(dir.join(format!("{name}.c")), source).expect("source");
        run(&gcc, &["-g", "-O0", "-o", name, &format!("{name}.c")]);
    };
    build("prog", "int a; long b;");
    run(&objcopy, &["--only-keep-debug", "prog", "prog.debug"]);
    run(
        &objcopy,
        &[
            "--strip-debug",
            "--add-gnu-debuglink=prog.debug",
            "prog",
            "prog.stripped",
        ],
    );
    let names = vec![vec!["s".to_string()]];
    let no_debug_dir = dir.join("no-debug-dir");
    let read = || abi_dwarf::read_first_defined(&dir.join("prog.stripped"), &no_debug_dir, &names);

    let dump = read().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(dump.debug_file, dir.join("prog.debug"));
    assert_eq!(dump.structs[0].layout.size, 16);

    // Another build's debug file, under the linked name.
    build("other", "int a; int b; int c; char d[20];");
    run(&objcopy, &["--only-keep-debug", "other", "prog.debug"]);
    match read() {
        Err(abi_dwarf::Error::NoDebugInfo { other_builds, .. }) => {
            assert_eq!(other_builds, vec![dir.join("prog.debug")]);
        }
        Err(e) => panic!("another error: {e}"),
        Ok(dump) => panic!(
            "read another build's struct s ({} bytes) as the program's",
            dump.structs[0].layout.size
        ),
    }
    let _ = std::fs::remove_dir_all(&dir);
}
