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

/// The compilers that serve as oracles, one test per family so that a
/// missing one is ignored visibly (its `abi_test_tools` key is the cfg).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// gcc natively, `-m32` and `-mx32`.
    Gcc,
    /// clang for the targets no gcc here builds.
    Clang,
    /// A clang that knows LoongArch (clang 14 does not).
    Clang19,
    /// Debian's m68k cross gcc (clang gets m68k wrong).
    M68kGcc,
    /// Debian's sh4 cross gcc.
    Sh4Gcc,
}

impl Family {
    /// Every family.
    pub const ALL: [Family; 5] = [
        Family::Gcc,
        Family::Clang,
        Family::Clang19,
        Family::M68kGcc,
        Family::Sh4Gcc,
    ];

    /// The family that compiles `target`.
    pub fn of(target: Target) -> Family {
        match target {
            Target::X86_64 | Target::I386 | Target::X32 => Family::Gcc,
            Target::M68k => Family::M68kGcc,
            Target::Sh4 => Family::Sh4Gcc,
            Target::Loongarch64 => Family::Clang19,
            _ => Family::Clang,
        }
    }

    /// The `abi_test_tools` key of its compiler (`cfg(no_<key>)`).
    pub fn tool(self) -> &'static str {
        match self {
            Family::Gcc => "gcc",
            Family::Clang => "clang",
            Family::Clang19 => "clang19",
            Family::M68kGcc => "m68k_gcc",
            Family::Sh4Gcc => "sh4_gcc",
        }
    }
}

/// The targets a family compiles, in [`Target::ALL`] order.
pub fn targets_of(family: Family) -> Vec<Target> {
    Target::ALL
        .into_iter()
        .filter(|&t| Family::of(t) == family)
        .collect()
}

/// The compiler that is the oracle for `target` (see [`Family`]), which a
/// running test needs: the test runs only when the family's compiler was
/// there at build time or CI demanded it, so a missing one panics with what
/// to install (see [`abi_test_tools::require`]).
#[track_caller]
pub fn require_compiler(target: Target) -> Compiler {
    let program = abi_test_tools::require(Family::of(target).tool());
    let args: Vec<String> = match target {
        Target::I386 => vec!["-m32".into()],
        Target::X32 => vec!["-mx32".into()],
        Target::X86_64 | Target::M68k | Target::Sh4 => Vec::new(),
        _ => vec![
            format!("--target={}", target.triple()),
            "-fintegrated-as".into(),
        ],
    };
    Compiler { program, args }
}

/// Defines a module `$check` holding one `#[test]` per [`Family`], named
/// after the family's tool key (`gcc`, `clang`, `clang19`, `m68k_gcc`,
/// `sh4_gcc`); each calls the function `$check(&[Target])` with the
/// family's targets ([`targets_of`]) and is ignored, with its reason, when
/// the family's compiler is missing. A test over every target so becomes
/// five, and a missing cross compiler ignores only its own:
///
/// ```text
/// fn probe_reads_back(targets: &[Target]) { ... }
/// abi_tests::test_each_family!(probe_reads_back);
/// ```
///
/// gives `probe_reads_back::gcc` ... `probe_reads_back::sh4_gcc`.
#[macro_export]
macro_rules! test_each_family {
    ($check:ident) => {
        mod $check {
            use $crate::oracle::{targets_of, Family};

            #[test]
            #[cfg_attr(no_gcc, ignore = "needs gcc")]
            fn gcc() {
                super::$check(&targets_of(Family::Gcc));
            }

            #[test]
            #[cfg_attr(no_clang, ignore = "needs clang")]
            fn clang() {
                super::$check(&targets_of(Family::Clang));
            }

            #[test]
            #[cfg_attr(no_clang19, ignore = "needs clang-19 (loongarch64)")]
            fn clang19() {
                super::$check(&targets_of(Family::Clang19));
            }

            #[test]
            #[cfg_attr(no_m68k_gcc, ignore = "needs m68k-linux-gnu-gcc")]
            fn m68k_gcc() {
                super::$check(&targets_of(Family::M68kGcc));
            }

            #[test]
            #[cfg_attr(no_sh4_gcc, ignore = "needs sh4-linux-gnu-gcc")]
            fn sh4_gcc() {
                super::$check(&targets_of(Family::Sh4Gcc));
            }
        }
    };
}

/// Compiles `source` for `target` with extra `flags` (C11, `-O0 -c -w`)
/// and returns the object file's bytes. Errors carry the compiler's
/// message; a missing compiler panics (see [`require_compiler`]).
pub fn compile(target: Target, source: &str, flags: &[&str]) -> Result<Vec<u8>, String> {
    let compiler = require_compiler(target);
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
    Ok(bytes)
}

/// Compiles `source` for `target` with extra `flags` and returns the probe
/// array.
pub fn run_probe(target: Target, source: &str, flags: &[&str]) -> Result<Vec<u64>, String> {
    read_probe(&compile(target, source, flags)?)
}

/// The initial bytes of the data object `symbol` defined in an object file
/// (a `static const` with an initialiser): how the compiler lays a value out
/// in memory, byte order and bitfields included, without running anything.
pub fn symbol_bytes(object_bytes: &[u8], symbol: &str) -> Result<Vec<u8>, String> {
    use object::ObjectSymbol;
    let file = object::File::parse(object_bytes).map_err(|e| e.to_string())?;
    let sym = file
        .symbols()
        .find(|s| s.name() == Ok(symbol))
        .ok_or_else(|| format!("no symbol `{symbol}` in the object file"))?;
    let index = sym
        .section_index()
        .ok_or_else(|| format!("`{symbol}` is in no section"))?;
    let section = file.section_by_index(index).map_err(|e| e.to_string())?;
    let data = section.data().map_err(|e| e.to_string())?;
    // In a relocatable object a symbol's address is its offset in the section.
    let start = usize::try_from(sym.address().saturating_sub(section.address()))
        .map_err(|e| e.to_string())?;
    let size = usize::try_from(sym.size()).map_err(|e| e.to_string())?;
    data.get(start..start + size)
        .map(<[u8]>::to_vec)
        .ok_or_else(|| format!("`{symbol}` lies outside its section"))
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
