//! Real C compilers as layout oracles.
//!
//! A probe is a C file that stores `sizeof`, `_Alignof` and `offsetof`
//! values in an array of `unsigned long long` placed in its own section,
//! `.abiprobe`. It is compiled (`-c`, nothing is linked or run) for the
//! target, and the section is read back from the object file in the
//! target's byte order. `_Alignof` is used, not `__alignof__`: on i386 GCC's
//! `__alignof__(long long)` is 8 while the alignment inside structs is 4.

use std::path::PathBuf;
use std::process::Command;

use abi_spec::Target;
use object::{Object, ObjectSection};

/// The section probes store their values in.
pub const PROBE_SECTION: &str = ".abiprobe";

/// The line that declares the probe array; the caller supplies the values,
/// comma-separated C constant expressions.
pub fn probe_array(values: &[String]) -> String {
    format!(
        "__attribute__((section(\"{PROBE_SECTION}\"), used)) static const unsigned long long abi_probe[] = {{\n{}\n}};\n",
        values.iter().map(|v| format!("  (unsigned long long)({v}),")).collect::<Vec<_>>().join("\n")
    )
}

/// A compiler invocation for one target.
#[derive(Clone, Debug)]
pub struct Compiler {
    /// The program.
    pub program: PathBuf,
    /// Arguments before the source file.
    pub args: Vec<String>,
}

fn find_program(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    for name in names {
        for dir in std::env::split_paths(&path) {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Some(candidate);
            }
        }
    }
    None
}

/// The compiler that is the oracle for `target`: gcc natively, `gcc -m32`
/// and `gcc -mx32`, the Debian cross gccs for m68k and sh4 (clang gets m68k
/// wrong), a clang that knows LoongArch for loongarch64, and clang for the
/// rest. `None` when it is not installed.
pub fn compiler(target: Target) -> Option<Compiler> {
    let gcc = |names: &[&str], extra: &[&str]| {
        find_program(names).map(|program| Compiler {
            program,
            args: extra.iter().map(|s| s.to_string()).collect(),
        })
    };
    let clang = |names: &[&str]| {
        find_program(names).map(|program| Compiler {
            program,
            args: vec![
                format!("--target={}", target.triple()),
                "-fintegrated-as".into(),
            ],
        })
    };
    match target {
        Target::X86_64 => gcc(&["gcc"], &[]),
        Target::I386 => gcc(&["gcc"], &["-m32"]),
        Target::X32 => gcc(&["gcc"], &["-mx32"]),
        Target::M68k => gcc(&["m68k-linux-gnu-gcc", "m68k-linux-gnu-gcc-12"], &[]),
        Target::Sh4 => gcc(&["sh4-linux-gnu-gcc", "sh4-linux-gnu-gcc-12"], &[]),
        Target::Loongarch64 => clang(&["clang-19", "clang-18", "clang-17", "clang-16"]),
        _ => clang(&["clang", "clang-14", "clang-19"]),
    }
}

/// Compiles `source` for `target` with extra `flags` and returns the probe
/// array. Errors carry the compiler's message.
pub fn run_probe(target: Target, source: &str, flags: &[&str]) -> Result<Vec<u64>, String> {
    let compiler = compiler(target).ok_or_else(|| format!("no compiler for {target}"))?;
    let dir = crate::scratch_dir(&format!("probe-{}", target.name()));
    let c_file = dir.join("probe.c");
    let o_file = dir.join("probe.o");
    std::fs::write(&c_file, source).map_err(|e| e.to_string())?;
    let output = Command::new(&compiler.program)
        .args(&compiler.args)
        .args(["-std=c11", "-O0", "-c", "-w"])
        .args(flags)
        .arg(&c_file)
        .arg("-o")
        .arg(&o_file)
        .output()
        .map_err(|e| format!("{}: {e}", compiler.program.display()))?;
    if !output.status.success() {
        // The message carries the source; the scratch files are not needed.
        let _ = std::fs::remove_dir_all(&dir);
        return Err(format!(
            "{} {:?} failed for {target}:\n{}\n--- source ---\n{source}",
            compiler.program.display(),
            compiler.args,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let bytes = std::fs::read(&o_file).map_err(|e| e.to_string())?;
    let _ = std::fs::remove_dir_all(&dir);
    read_probe(&bytes)
}

/// Reads the probe array out of an object file.
pub fn read_probe(object_bytes: &[u8]) -> Result<Vec<u64>, String> {
    let file = object::File::parse(object_bytes).map_err(|e| e.to_string())?;
    let section = file
        .section_by_name(PROBE_SECTION)
        .ok_or_else(|| format!("no {PROBE_SECTION} section in the object file"))?;
    let data = section.data().map_err(|e| e.to_string())?;
    let little = file.is_little_endian();
    Ok(data
        .chunks_exact(8)
        .map(|c| {
            let b: [u8; 8] = c.try_into().unwrap_or_default();
            if little {
                u64::from_le_bytes(b)
            } else {
                u64::from_be_bytes(b)
            }
        })
        .collect())
}
