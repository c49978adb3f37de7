//! C compilers as oracles for the CLI tests of `import` and `dump`'s
//! history: the program for each target (the tests' own table, kept apart
//! from the one abi-check uses), a minimal set of `asm/` headers for the
//! cross targets written here (not abi-check's fallback), and probes that
//! store `sizeof`, `_Alignof` and `offsetof` in a section read back from
//! the object file.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use abi_spec::Target;
use object::{Object, ObjectSection};

/// A fresh scratch directory.
pub fn scratch(name: &str) -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("abi-check-cc-{}-{name}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// The `abi_test_tools` key of the compiler of `target`.
pub fn tool(target: Target) -> &'static str {
    match target {
        Target::X86_64 | Target::I386 | Target::X32 => "gcc",
        Target::M68k => "m68k_gcc",
        Target::Sh4 => "sh4_gcc",
        Target::Loongarch64 => "clang19",
        _ => "clang",
    }
}

/// The targets one compiler family covers, by its tool key.
pub fn family(key: &str) -> Vec<Target> {
    Target::ALL
        .into_iter()
        .filter(|&t| tool(t) == key)
        .collect()
}

/// `target`s' names, comma-separated, for `--target`.
pub fn target_list(targets: &[Target]) -> String {
    targets
        .iter()
        .map(|t| t.name())
        .collect::<Vec<_>>()
        .join(",")
}

/// Minimal `asm/` headers for the cross targets, from the compiler's own
/// macros: enough for headers that use fixed-width types and byte order.
fn test_asm(dir: &Path) -> PathBuf {
    let asm = dir.join("test-asm");
    std::fs::create_dir_all(asm.join("asm")).expect("asm dir");
    for (name, text) in [
        ("types.h", "#include <asm-generic/int-ll64.h>\n"),
        ("bitsperlong.h", "#include <asm-generic/bitsperlong.h>\n"),
        ("posix_types.h", "#include <asm-generic/posix_types.h>\n"),
        ("swab.h", "\n"),
        (
            "byteorder.h",
            "#ifdef __BIG_ENDIAN__\n#include <linux/byteorder/big_endian.h>\n#elif \
             __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__\n#include <linux/byteorder/big_endian.h>\n\
             #else\n#include <linux/byteorder/little_endian.h>\n#endif\n",
        ),
    ] {
        std::fs::write(asm.join("asm").join(name), text).expect("asm header");
    }
    asm
}

/// The command that compiles C for `target` (`-c`, GNU C11, warnings off),
/// with this machine's or the tests' own `asm/` headers.
pub fn command(target: Target, dir: &Path) -> Command {
    let mut c = Command::new(abi_test_tools::require(tool(target)));
    match target {
        Target::X86_64 => {}
        Target::I386 => {
            c.args(["-m32", "-idirafter", "/usr/include/x86_64-linux-gnu"]);
        }
        Target::X32 => {
            c.args(["-mx32", "-idirafter", "/usr/include/x86_64-linux-gnu"]);
        }
        Target::M68k | Target::Sh4 => {
            c.arg("-ffreestanding").arg("-isystem").arg(test_asm(dir));
        }
        _ => {
            c.arg(format!("--target={}", target.triple()))
                .args(["-ffreestanding", "-fintegrated-as", "-isystem"])
                .arg(test_asm(dir));
        }
    }
    c.args(["-std=gnu11", "-c", "-w"]);
    c
}

/// Compiles `prelude` plus a section holding `exprs` (C constant
/// expressions) for `target`, and reads the values back.
pub fn probe(target: Target, prelude: &str, exprs: &[String]) -> Vec<u64> {
    let dir = scratch(&format!("probe-{}", target.name()));
    let source = format!(
        "{prelude}\n__attribute__((section(\".testprobe\"), used)) static const unsigned long \
         long test_probe[] = {{\n{}\n}};\n",
        exprs
            .iter()
            .map(|e| format!("  (unsigned long long)({e}),"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    let c = dir.join("probe.c");
    let o = dir.join("probe.o");
    std::fs::write(&c, &source).expect("write probe");
    let out = command(target, &dir)
        .arg(&c)
        .arg("-o")
        .arg(&o)
        .output()
        .expect("compiler runs");
    assert!(
        out.status.success(),
        "{target}: {}\n{source}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = std::fs::read(&o).expect("object");
    let _ = std::fs::remove_dir_all(&dir);
    let file = object::File::parse(&*bytes).expect("an object file");
    let data = file
        .section_by_name(".testprobe")
        .expect("probe section")
        .data()
        .expect("section data");
    let little = file.is_little_endian();
    data.chunks_exact(8)
        .map(|c| {
            let b: [u8; 8] = c.try_into().expect("8 bytes");
            if little {
                u64::from_le_bytes(b)
            } else {
                u64::from_be_bytes(b)
            }
        })
        .collect()
}

/// Compiles `source` with gcc and `-g` into `dir/name.o`.
pub fn gcc_object(dir: &Path, name: &str, source: &str, flags: &[&str]) -> PathBuf {
    let c = dir.join(format!("{name}.c"));
    std::fs::write(&c, source).expect("write C");
    let o = dir.join(format!("{name}.o"));
    let out = Command::new(abi_test_tools::require("gcc"))
        .args(flags)
        .args(["-g", "-c", "-o"])
        .arg(&o)
        .arg(&c)
        .output()
        .expect("gcc runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    o
}
