//! The external programs and data the tests use, and the one rule for a
//! missing one: a test that needs it is **ignored**, which libtest shows in
//! its summary (`test x ... ignored, needs m68k-linux-gnu-gcc` and
//! `N ignored`), unless `CI` is set, in which case the test runs and fails.
//!
//! A build script (`tests/build.rs`, `abi-check/build.rs`) calls
//! [`emit_cfgs`], which sets `cfg(no_<tool>)` for every missing tool; a test
//! says what it needs with
//! `#[cfg_attr(no_m68k_gcc, ignore = "needs m68k-linux-gnu-gcc")]`. When such a
//! test runs, the tool is there, or CI demanded it: the test asks for it with
//! [`require`], which panics with a message saying what to install.
//!
//! Some data cannot be installed by CI (the running kernel's BTF, an 850 MB
//! kernel debug package that a benchmark downloads, a kernel with rseq):
//! those are [`Tool::optional`], ignored when missing even under CI.

use std::path::{Path, PathBuf};
use std::process::Command;

/// One external program or piece of data a test may need.
#[derive(Clone, Copy, Debug)]
pub struct Tool {
    /// The cfg set when it is missing: `no_<key>`.
    pub key: &'static str,
    /// What to install, for messages.
    pub what: &'static str,
    /// True when CI cannot provide it: its absence never fails a test.
    pub optional: bool,
    find: fn() -> Option<PathBuf>,
}

impl Tool {
    /// Where it is, or `None`. A capability of the running system rather
    /// than a file (`rseq`) is an empty path when present.
    pub fn locate(&self) -> Option<PathBuf> {
        (self.find)()
    }

    /// True when the tool is missing and a test that needs it should be
    /// ignored: missing, and either optional or CI unset.
    pub fn ignored(&self) -> bool {
        self.locate().is_none() && (self.optional || !in_ci())
    }
}

/// True when running in CI: `CI` set to anything but empty, `false` or `0`.
/// The one definition every test and build script uses.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// A program on `PATH`, by the first of `names` found.
pub fn program(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    names.iter().find_map(|name| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    })
}

fn file(path: &str) -> Option<PathBuf> {
    Path::new(path).exists().then(|| PathBuf::from(path))
}

fn dpkg_version(package: &str) -> Option<String> {
    let out = Command::new("dpkg-query")
        .args(["-W", "-f=${Version}", package])
        .output()
        .ok()?;
    let version = String::from_utf8(out.stdout).ok()?;
    (out.status.success() && !version.is_empty()).then_some(version)
}

/// glibc's split debug info, from the libc6-dbg that matches the installed
/// libc6 exactly (build IDs differ between versions).
fn libc6_dbg() -> Option<PathBuf> {
    let libc = dpkg_version("libc6")?;
    (dpkg_version("libc6-dbg")? == libc)
        .then(|| PathBuf::from("/usr/lib/debug/.build-id"))
        .filter(|p| p.is_dir())
}

/// Present (an empty path) when glibc registers an rseq area for each
/// thread of a program started here: the running kernel has rseq(2) and `GLIBC_TUNABLES` does
/// not turn glibc's registration off. Asked in the build script, a process
/// of the same machine and environment as the test. Only x86_64 Linux, the
/// one host `live_rseq` reads the area on.
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
fn rseq() -> Option<PathBuf> {
    extern "C" {
        fn syscall(number: std::ffi::c_long, ...) -> std::ffi::c_long;
    }
    const SYS_RSEQ: std::ffi::c_long = 334;
    const EINVAL: i32 = 22;
    let tunable_off = std::env::var("GLIBC_TUNABLES")
        .is_ok_and(|t| t.split(':').any(|kv| kv == "glibc.pthread.rseq=0"));
    // rseq(NULL, 0, 0, 0): a kernel with rseq answers EINVAL (a bad length,
    // or another area than the one glibc registered for this thread).
    // ENOSYS is a kernel without it; EPERM, a seccomp filter that forbids
    // it (glibc's own registration is then refused too).
    // SAFETY: a NULL area with length 0 is refused before anything is read.
    let rc = unsafe { syscall(SYS_RSEQ, 0usize, 0u32, 0i32, 0u32) };
    let refused_length = rc == -1 && std::io::Error::last_os_error().raw_os_error() == Some(EINVAL);
    (refused_length && !tunable_off).then(PathBuf::new)
}

#[cfg(not(all(target_os = "linux", target_arch = "x86_64")))]
fn rseq() -> Option<PathBuf> {
    None
}

/// Debian's 6.1 kernel with full DWARF, as `benches/vmlinux.sh` extracts it.
fn debian_vmlinux() -> Option<PathBuf> {
    let modules =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../benches/data/usr/lib/debug/lib/modules");
    std::fs::read_dir(modules)
        .ok()?
        .flatten()
        .map(|e| e.path().join("vmlinux"))
        .find(|p| p.is_file())
}

/// `mount` and the right to use it for a tmpfs: CAP_SYS_ADMIN in the
/// effective set (root outside a restricted container) and tmpfs in the
/// kernel. Read from /proc, so that finding out mounts nothing.
fn root_tmpfs() -> Option<PathBuf> {
    const CAP_SYS_ADMIN: u32 = 21;
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let effective = status
        .lines()
        .find_map(|l| l.strip_prefix("CapEff:"))
        .and_then(|hex| u64::from_str_radix(hex.trim(), 16).ok())?;
    let tmpfs = std::fs::read_to_string("/proc/filesystems")
        .ok()?
        .lines()
        .any(|l| l.split_whitespace().last() == Some("tmpfs"));
    (effective & (1 << CAP_SYS_ADMIN) != 0 && tmpfs)
        .then(|| program(&["mount"]))
        .flatten()
        .filter(|_| program(&["umount"]).is_some())
}

/// Every tool a test may need.
pub const TOOLS: &[Tool] = &[
    Tool {
        key: "gcc",
        what: "gcc",
        optional: false,
        find: || program(&["gcc"]),
    },
    Tool {
        key: "gxx",
        what: "g++",
        optional: false,
        find: || program(&["g++"]),
    },
    Tool {
        key: "clang",
        what: "clang",
        optional: false,
        find: || program(&["clang", "clang-14", "clang-19"]),
    },
    Tool {
        key: "clang19",
        what: "clang-19 (the first clang here that knows loongarch64)",
        optional: false,
        find: || program(&["clang-19", "clang-18", "clang-17", "clang-16"]),
    },
    Tool {
        key: "m68k_gcc",
        what: "m68k-linux-gnu-gcc (gcc-12-m68k-linux-gnu)",
        optional: false,
        find: || program(&["m68k-linux-gnu-gcc", "m68k-linux-gnu-gcc-12"]),
    },
    Tool {
        key: "sh4_gcc",
        what: "sh4-linux-gnu-gcc (gcc-12-sh4-linux-gnu)",
        optional: false,
        find: || program(&["sh4-linux-gnu-gcc", "sh4-linux-gnu-gcc-12"]),
    },
    Tool {
        key: "objcopy",
        what: "objcopy (binutils)",
        optional: false,
        find: || program(&["objcopy"]),
    },
    Tool {
        key: "readelf",
        what: "readelf (binutils)",
        optional: false,
        find: || program(&["readelf"]),
    },
    Tool {
        key: "rsvg",
        what: "rsvg-convert (librsvg2-bin)",
        optional: false,
        find: || program(&["rsvg-convert"]),
    },
    Tool {
        key: "uapi_headers",
        what: "the Linux uapi headers (linux-libc-dev)",
        optional: false,
        find: || file("/usr/include/linux/rseq.h"),
    },
    Tool {
        key: "libc6_dbg",
        what: "libc6-dbg matching the installed libc6",
        optional: false,
        find: libc6_dbg,
    },
    Tool {
        key: "pahole",
        what: "pahole (dwarves)",
        optional: false,
        find: || program(&["pahole"]),
    },
    Tool {
        key: "git",
        what: "git",
        optional: false,
        find: || program(&["git"]),
    },
    Tool {
        key: "root_tmpfs",
        what: "the right to mount a tmpfs (root, CAP_SYS_ADMIN), to fill a disk",
        optional: true,
        find: root_tmpfs,
    },
    Tool {
        key: "pre_commit",
        what: "pre-commit (pip install pre-commit)",
        optional: false,
        find: || program(&["pre-commit"]),
    },
    Tool {
        key: "kernel_btf",
        what: "the running kernel's BTF (/sys/kernel/btf/vmlinux)",
        optional: true,
        find: || file("/sys/kernel/btf/vmlinux"),
    },
    Tool {
        key: "rseq",
        what: "a kernel with rseq(2) (x86_64, Linux 4.18 or later) and GLIBC_TUNABLES without glibc.pthread.rseq=0",
        optional: true,
        find: rseq,
    },
    Tool {
        key: "debian_vmlinux",
        what: "Debian's 6.1 vmlinux with DWARF (run benches/vmlinux.sh once)",
        optional: true,
        find: debian_vmlinux,
    },
];

/// A tool by key; panics on an unknown key (a typo in a test).
pub fn tool(key: &str) -> &'static Tool {
    TOOLS
        .iter()
        .find(|t| t.key == key)
        .unwrap_or_else(|| panic!("no tool `{key}` in abi_test_tools::TOOLS"))
}

/// The path of a tool a running test needs. The test runs only when the
/// tool was there at build time, or CI demanded it: a missing tool here is
/// a failure that says what to install.
#[track_caller]
pub fn require(key: &str) -> PathBuf {
    let tool = tool(key);
    let Some(path) = tool.locate() else {
        if in_ci() {
            panic!(
                "{} is missing and CI is set: install it (.ci/run does), or unset CI to have the tests that need it ignored",
                tool.what
            );
        }
        panic!(
            "{} is missing, though it was there when the tests were built: install it again, or rebuild the tests to have those that need it ignored",
            tool.what
        );
    };
    path
}

/// For build scripts: declares every `no_<key>` cfg and sets those of the
/// tools that are missing (see [`Tool::ignored`]); reruns when `CI`, `PATH`
/// or the places tools live change.
pub fn emit_cfgs() {
    println!("cargo::rerun-if-env-changed=CI");
    println!("cargo::rerun-if-env-changed=PATH");
    println!("cargo::rerun-if-env-changed=GLIBC_TUNABLES");
    for dir in [
        "/usr/bin",
        "/usr/local/bin",
        "/usr/include/linux",
        "/usr/lib/debug",
        "/var/lib/dpkg/status",
    ] {
        if Path::new(dir).exists() {
            println!("cargo::rerun-if-changed={dir}");
        }
    }
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../benches/data");
    if data.exists() {
        println!("cargo::rerun-if-changed={}", data.display());
    }
    for tool in TOOLS {
        println!("cargo::rustc-check-cfg=cfg(no_{})", tool.key);
        if tool.ignored() {
            println!("cargo::rustc-cfg=no_{}", tool.key);
            println!(
                "cargo::warning=tests that need {} are ignored: it is missing{}",
                tool.what,
                if tool.optional {
                    ""
                } else {
                    " (under CI they fail)"
                }
            );
        }
    }
}
