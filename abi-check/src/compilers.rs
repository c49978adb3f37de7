//! The C compilers `abi-check import` drives: which one compiles for each
//! built-in target, how it is called, and where each target's Linux `asm/`
//! headers come from.
//!
//! The same compilers the project's tests use as oracles: gcc for x86_64,
//! `gcc -m32` for i386, `gcc -mx32` for x32, the Debian cross gccs for m68k
//! and sh4 (clang gets m68k's alignment wrong), a clang that knows
//! LoongArch (16 or later) for loongarch64, and clang `--target=TRIPLE`
//! for the others. Every cross compile is `-ffreestanding`: the C library
//! of this machine is not the target's.
//!
//! Linux uapi headers include `<asm/types.h>`, `<asm/byteorder.h>` and
//! friends, which each architecture has its own copy of. A machine usually
//! has them for its own architecture only. For each target this module
//! picks, in order:
//!
//! 1. the target's own headers, where installed: `/usr/include/TRIPLE`
//!    (Debian multiarch) or `/usr/TRIPLE/include` (Debian's cross
//!    packages), with an `asm/types.h` in it;
//! 2. for i386 and x32, x86's headers (`/usr/include/x86_64-linux-gnu`):
//!    one set serves the three x86 ABIs, switching on `__i386__` and
//!    `__ILP32__`;
//! 3. otherwise a fallback written by [`write_fallback`]: the few `asm/`
//!    headers whose content follows from the compiler's own predefined
//!    macros or is the same on every built-in target, with the definitions
//!    that differ between architectures replaced by poison that the caller
//!    detects ([`ARCH_SPECIFIC`]), and every other `asm/` header an
//!    `#error` naming it. See docs/import.md for exactly what is right.

use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;

use abi_spec::Target;

/// The prefix of every poisoned name in the fallback `asm/` headers: a
/// struct tag (for a type) or an identifier (for a macro). A layout that
/// contains such a struct, or a compiler error naming such an identifier,
/// depends on an architecture's own headers that this machine lacks.
pub const ARCH_SPECIFIC: &str = "abi_check_arch_specific_";

/// A compiler family: one program, several targets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// gcc natively, `-m32` and `-mx32`.
    Gcc,
    /// clang for the targets no gcc here builds.
    Clang,
    /// A clang that knows LoongArch (16 or later).
    ClangLoongarch,
    /// Debian's m68k cross gcc.
    M68kGcc,
    /// Debian's sh4 cross gcc.
    Sh4Gcc,
}

impl Family {
    /// The family that compiles `target`.
    pub fn of(target: Target) -> Family {
        match target {
            Target::X86_64 | Target::I386 | Target::X32 => Family::Gcc,
            Target::M68k => Family::M68kGcc,
            Target::Sh4 => Family::Sh4Gcc,
            Target::Loongarch64 => Family::ClangLoongarch,
            _ => Family::Clang,
        }
    }

    /// The program as people know it, for messages.
    pub fn program(self) -> &'static str {
        match self {
            Family::Gcc => "gcc",
            Family::Clang => "clang",
            Family::ClangLoongarch => "clang-16 or later",
            Family::M68kGcc => "m68k-linux-gnu-gcc",
            Family::Sh4Gcc => "sh4-linux-gnu-gcc",
        }
    }

    /// What to install, for messages.
    pub fn package(self) -> &'static str {
        match self {
            Family::Gcc => "gcc",
            Family::Clang => "clang",
            Family::ClangLoongarch => "clang-19",
            Family::M68kGcc => "gcc-m68k-linux-gnu",
            Family::Sh4Gcc => "gcc-sh4-linux-gnu",
        }
    }

    /// The names looked for on `PATH`, best first.
    fn candidates(self) -> Vec<String> {
        let versioned = |stem: &str, newest: u32, oldest: u32| -> Vec<String> {
            (oldest..=newest)
                .rev()
                .map(|v| format!("{stem}-{v}"))
                .collect()
        };
        match self {
            Family::Gcc => vec!["gcc".into()],
            Family::Clang => {
                let mut names = vec!["clang".to_string()];
                names.extend(versioned("clang", 22, 14));
                names
            }
            // clang 14 and 15 do not know loongarch64: a plain `clang` is
            // tried last, and refuses the target if it is one of those.
            Family::ClangLoongarch => {
                let mut names = versioned("clang", 22, 16);
                names.push("clang".into());
                names
            }
            Family::M68kGcc => {
                let mut names = vec!["m68k-linux-gnu-gcc".to_string()];
                names.extend(versioned("m68k-linux-gnu-gcc", 16, 9));
                names
            }
            Family::Sh4Gcc => {
                let mut names = vec!["sh4-linux-gnu-gcc".to_string()];
                names.extend(versioned("sh4-linux-gnu-gcc", 16, 9));
                names
            }
        }
    }
}

/// A program on `PATH`, by the first of `names` found.
fn on_path(names: &[String]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    names.iter().find_map(|name| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    })
}

/// Where a target's `asm/` headers come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AsmHeaders {
    /// Wherever the compiler finds them by itself (x86_64 natively).
    Compiler,
    /// The target's own, found in this directory.
    Own(PathBuf),
    /// x86's, which serve i386 and x32 as well, from this directory.
    X86(PathBuf),
    /// The fallback of [`write_fallback`].
    Fallback,
}

/// A compiler for one target.
#[derive(Clone, Debug)]
pub struct Compiler {
    /// The target.
    pub target: Target,
    /// The program.
    pub program: PathBuf,
    /// Arguments that select the target.
    pub args: Vec<String>,
    /// Where its `asm/` headers come from.
    pub asm: AsmHeaders,
}

/// A compiler for `target`, or the family whose program is missing.
pub fn find(target: Target) -> Result<Compiler, Family> {
    let family = Family::of(target);
    let program = on_path(&family.candidates()).ok_or(family)?;
    let args: Vec<String> = match target {
        Target::X86_64 => Vec::new(),
        Target::I386 => vec!["-m32".into()],
        Target::X32 => vec!["-mx32".into()],
        Target::M68k | Target::Sh4 => vec!["-ffreestanding".into()],
        _ => vec![
            format!("--target={}", target.triple()),
            "-ffreestanding".into(),
            "-fintegrated-as".into(),
        ],
    };
    Ok(Compiler {
        target,
        program,
        args,
        asm: asm_headers(target),
    })
}

/// The directories that may hold `target`'s own Linux headers.
fn own_header_dirs(target: Target) -> Vec<PathBuf> {
    let mut triples = vec![target.triple()];
    // Debian's names where they differ from the triple compilers take.
    match target {
        Target::Arm => triples.push("arm-linux-gnueabihf"),
        Target::I386 => triples.push("i686-linux-gnu"),
        _ => {}
    }
    triples
        .iter()
        .flat_map(|t| {
            [
                PathBuf::from(format!("/usr/include/{t}")),
                PathBuf::from(format!("/usr/{t}/include")),
            ]
        })
        .collect()
}

/// x86's uapi `asm/` headers, in Debian's multiarch directory.
const X86_HEADERS: &str = "/usr/include/x86_64-linux-gnu";

fn asm_headers(target: Target) -> AsmHeaders {
    if target == Target::X86_64 {
        return AsmHeaders::Compiler;
    }
    if let Some(dir) = own_header_dirs(target)
        .into_iter()
        .find(|d| d.join("asm/types.h").is_file())
    {
        return AsmHeaders::Own(dir);
    }
    if matches!(target, Target::I386 | Target::X32)
        && Path::new(X86_HEADERS).join("asm/types.h").is_file()
    {
        return AsmHeaders::X86(PathBuf::from(X86_HEADERS));
    }
    AsmHeaders::Fallback
}

/// The fallback `asm/` headers, in `dir/asm/`. Written for every target
/// without its own: their content depends on nothing but the compiler's
/// predefined macros.
///
/// - `types.h`: `<asm-generic/int-ll64.h>`. Every architecture's `__u64`
///   is 8 bytes with the alignment of `unsigned long long` (powerpc64 and
///   mips64 spell it `unsigned long` in user space: same size and
///   alignment).
/// - `bitsperlong.h`: `<asm-generic/bitsperlong.h>`, which computes
///   `__BITS_PER_LONG` from `__SIZEOF_LONG__`.
/// - `byteorder.h`: little or big endian from `__BYTE_ORDER__`; `swab.h`
///   the generic one (no architecture-specific byte swapping).
/// - `posix_types.h`: `<asm-generic/posix_types.h>`, after poisoning each
///   type that some built-in target defines differently (`__kernel_mode_t`
///   is `unsigned short` on arm, m68k, sh4 and sparc; `__kernel_ino_t` 4
///   bytes on s390x; ...): each becomes a struct tagged
///   `abi_check_arch_specific_...` that the caller refuses to find in a
///   layout. `__kernel_long_t` stays `long` (only x32 differs, and x32 has
///   its own headers here); `__kernel_size_t` and its kin are
///   pointer-sized everywhere, whatever C type an architecture spells
///   them with.
/// - `ioctl.h`: `<asm-generic/ioctl.h>` with the direction and size bits,
///   which mips, powerpc and sparc define otherwise, poisoned: an ioctl
///   number is an error, not a guess.
/// - every other `asm/` header that a native directory of this machine has
///   (`/usr/include/asm`, where a distribution puts its own architecture's
///   without a multiarch directory): an `#error` naming it, so that the
///   native one is never taken for the target's.
pub fn write_fallback(dir: &Path) -> io::Result<()> {
    let asm = dir.join("asm");
    std::fs::create_dir_all(&asm)?;
    let poison_type = |name: &str, spelling: &str| {
        format!(
            "#define {name} {name}\ntypedef struct {ARCH_SPECIFIC}{name} {{ {spelling} \
             {ARCH_SPECIFIC}value; }} {name};\n"
        )
    };
    let mut posix = String::from(
        "/* abi-check import: the types every built-in target defines alike, from\n * \
         asm-generic; the others poisoned (see docs/import.md). */\n\
         #ifndef ABI_CHECK_ASM_POSIX_TYPES_H\n#define ABI_CHECK_ASM_POSIX_TYPES_H\n",
    );
    for (name, spelling) in [
        ("__kernel_ino_t", "unsigned long"),
        ("__kernel_mode_t", "unsigned int"),
        ("__kernel_ipc_pid_t", "int"),
        ("__kernel_uid_t", "unsigned int"),
        ("__kernel_gid_t", "unsigned int"),
        ("__kernel_suseconds_t", "long"),
        ("__kernel_daddr_t", "int"),
        ("__kernel_old_uid_t", "unsigned int"),
        ("__kernel_old_gid_t", "unsigned int"),
        ("__kernel_old_dev_t", "unsigned int"),
    ] {
        posix.push_str(&poison_type(name, spelling));
    }
    // sparc64 declares its own `struct __kernel_old_timeval` (a 4-byte
    // tv_usec), which <linux/time_types.h> then leaves out.
    posix.push_str(&format!(
        "#define __kernel_old_timeval __kernel_old_timeval\nstruct {ARCH_SPECIFIC}__kernel_old_timeval \
         {{ long {ARCH_SPECIFIC}value[2]; }};\nstruct __kernel_old_timeval {{ struct \
         {ARCH_SPECIFIC}__kernel_old_timeval {ARCH_SPECIFIC}value; }};\n"
    ));
    posix.push_str("#include <asm-generic/posix_types.h>\n#endif\n");
    let mut ioctl = String::from(
        "/* abi-check import: mips, powerpc and sparc define these otherwise. */\n\
         #ifndef ABI_CHECK_ASM_IOCTL_H\n#define ABI_CHECK_ASM_IOCTL_H\n",
    );
    for name in [
        "_IOC_SIZEBITS",
        "_IOC_DIRBITS",
        "_IOC_NONE",
        "_IOC_READ",
        "_IOC_WRITE",
    ] {
        ioctl.push_str(&format!("#define {name} {ARCH_SPECIFIC}{name}\n"));
    }
    ioctl.push_str("#include <asm-generic/ioctl.h>\n#endif\n");
    let files: [(&str, String); 6] = [
        ("types.h", "#include <asm-generic/int-ll64.h>\n".into()),
        (
            "bitsperlong.h",
            "#include <asm-generic/bitsperlong.h>\n".into(),
        ),
        (
            "byteorder.h",
            "#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__\n#include <linux/byteorder/big_endian.h>\n\
             #else\n#include <linux/byteorder/little_endian.h>\n#endif\n"
                .into(),
        ),
        ("swab.h", "#include <asm-generic/swab.h>\n".into()),
        ("posix_types.h", posix),
        ("ioctl.h", ioctl),
    ];
    for (name, text) in &files {
        std::fs::write(asm.join(name), text)?;
    }
    // Every other header a native directory has: refused by name.
    let native = [
        PathBuf::from("/usr/include/asm"),
        Path::new(X86_HEADERS).join("asm"),
    ];
    for dir in native {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(name) = name.to_str() else {
                continue;
            };
            let plain = name.ends_with(".h")
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'-');
            if !plain || files.iter().any(|(f, _)| *f == name) {
                continue;
            }
            std::fs::write(
                asm.join(name),
                format!(
                    "#error \"abi-check: asm/{name}: no architecture-specific asm/ headers for \
                     this target here\"\n"
                ),
            )?;
        }
    }
    Ok(())
}

/// The header of `asm/` that a failed compile missed: the compiler's "file
/// not found", or the fallback's `#error`.
pub fn missing_asm_header(stderr: &str) -> Option<String> {
    stderr.lines().find_map(|line| {
        let missing = line.contains("No such file or directory")
            || line.contains("file not found")
            || line.contains("abi-check: asm/");
        if !missing {
            return None;
        }
        let start = line.find("asm/")?;
        let rest = &line[start..];
        let end = rest.find(".h")? + 2;
        Some(rest[..end].to_string())
    })
}

/// A compile that did not produce an object.
#[derive(Debug)]
pub enum CompileError {
    /// The program could not be started.
    Spawn {
        /// The program.
        program: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// The compiler refused the source: what it said.
    Failed {
        /// Its standard error.
        stderr: String,
    },
}

impl Compiler {
    /// The `asm/` flags for this target, given the fallback directory.
    fn asm_flags(&self, fallback: &Path) -> Vec<String> {
        match &self.asm {
            AsmHeaders::Compiler => Vec::new(),
            AsmHeaders::Own(dir) => vec!["-isystem".into(), dir.display().to_string()],
            // After the compiler's own directories: a multilib i386
            // directory, where installed, comes first.
            AsmHeaders::X86(dir) => vec!["-idirafter".into(), dir.display().to_string()],
            // Before them: a native `/usr/include/asm` must not be found.
            AsmHeaders::Fallback => vec!["-isystem".into(), fallback.display().to_string()],
        }
    }

    /// A short description for messages: `clang --target=aarch64-linux-gnu`.
    pub fn describe(&self) -> String {
        let name = self
            .program
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let selecting: Vec<&str> = self
            .args
            .iter()
            .map(String::as_str)
            .filter(|a| a.starts_with("--target") || a.starts_with("-m"))
            .collect();
        if selecting.is_empty() {
            name
        } else {
            format!("{name} {}", selecting.join(" "))
        }
    }

    /// Compiles `source` to `object` with debug information (`-g -c -O0`,
    /// GNU C11, warnings off), with `include_dirs` searched before the
    /// system's, and writes the headers it read to `deps`.
    pub fn compile(
        &self,
        source: &Path,
        object: &Path,
        deps: &Path,
        include_dirs: &[PathBuf],
        fallback: &Path,
    ) -> Result<(), CompileError> {
        let mut command = Command::new(&self.program);
        command
            .args(&self.args)
            .args(["-std=gnu11", "-O0", "-g", "-c", "-w", "-MD", "-MF"])
            .arg(deps);
        for dir in include_dirs {
            command.arg("-I").arg(dir);
        }
        command
            .args(self.asm_flags(fallback))
            .arg(source)
            .arg("-o")
            .arg(object)
            // The messages are read back: in English, without colors.
            .env("LC_ALL", "C")
            .env_remove("GCC_COLORS");
        let output = command.output().map_err(|source| CompileError::Spawn {
            program: self.program.clone(),
            source,
        })?;
        if output.status.success() {
            Ok(())
        } else {
            Err(CompileError::Failed {
                stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            })
        }
    }
}

/// True when a compiler's message says it does not know the target.
pub fn unknown_target(stderr: &str) -> bool {
    stderr.contains("unknown target triple")
        || stderr.contains("unable to create target")
        || stderr.contains("No available targets are compatible")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_missing_asm_header_is_named() {
        let gcc = "In file included from /usr/include/linux/types.h:5,\n                 \
                   from probe.c:2:\n/usr/include/linux/types.h:5:10: fatal error: asm/types.h: \
                   No such file or directory\n";
        assert_eq!(missing_asm_header(gcc).as_deref(), Some("asm/types.h"));
        let clang = "/usr/include/linux/types.h:5:10: fatal error: 'asm/types.h' file not found\n";
        assert_eq!(missing_asm_header(clang).as_deref(), Some("asm/types.h"));
        let stub = "/tmp/x/asm/stat.h:1:2: error: #error \"abi-check: asm/stat.h: no \
                    architecture-specific asm/ headers for this target here\"\n";
        assert_eq!(missing_asm_header(stub).as_deref(), Some("asm/stat.h"));
        assert_eq!(missing_asm_header("probe.c:3:1: error: oops\n"), None);
    }

    #[test]
    fn every_target_has_a_family() {
        for target in Target::ALL {
            let family = Family::of(target);
            assert!(!family.candidates().is_empty());
        }
        assert_eq!(Family::of(Target::M68k), Family::M68kGcc);
        assert_eq!(Family::of(Target::Aarch64), Family::Clang);
    }
}
