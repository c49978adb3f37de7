//! Generated uapi headers as drop-in replacements for Linux's own.
//!
//! For each spec of `examples/linux`, a C program written only against the
//! real header (the installed one, Linux 6.1 here, or for a struct newer
//! than that the upstream header's text; `tests/fixtures/drop_in/*.c`:
//! designated initialisers of every member, through anonymous structs and
//! unions, bitfields, flexible arrays, the size macros, flags and constants
//! Linux defines) must compile unchanged, with
//! `-Wall -Wextra -Werror`, against the header `abi-check` generates, on
//! all 20 targets. A directory of stand-ins takes the real headers' paths
//! (`linux/sched.h`, ...) and includes the generated headers of the specs
//! whose names Linux keeps there. Then, at the version the installed header
//! implements (the newest whose members, names and sizes it has; older
//! than the spec's newest where the spec is newer), static assertions show
//! that `sizeof`, `_Alignof`, every member's `offsetof` and every size
//! macro, flag, feature and constant the spec names have the real header's
//! values; each bitfield, set to all ones in a static initialiser, leaves
//! the object file with the real header's bytes (and the engine's); and on
//! x86_64 and i386 programs that set each bitfield at run time print the
//! same bytes through both headers. Each entry of a case's `not_in_real`
//! must leave out a name the spec gives.
//!
//! Only x86 has its `asm/` headers installed here. On the other targets
//! both sides compile with a directory that supplies them from
//! `asm-generic` (`asm/types.h` is `int-ll64.h` on every Linux
//! architecture's uapi, `asm/byteorder.h` follows `__BYTE_ORDER__`, and an
//! empty `asm/ptrace.h`, whose `pt_regs` no struct here uses), so the real
//! header's structs are compiled with each target's own rules there too.
//!
//! Where the installed headers lack a struct or a construct, a hand-written
//! header stands for the real one (`tests/fixtures/drop_in/real/`):
//! `kc/event.h` in the kernel's style for bitfields laid out per target, an
//! empty struct and zero-length arrays; and under `linux/` the structs of
//! `examples/linux` newer than 6.1 (pidfd_info, statmount, mnt_id_req,
//! file_attr, procmap_query, pm_scan_arg, logical_block_metadata_cap,
//! xattr_args, mnt_ns_info, nsfs_file_handle, ns_id_req, cachestat,
//! lsm_ctx, epoll_params, landlock_net_port_attr, coredump_req/ack) with
//! their macros, as the named upstream release
//! declares them, and nothing else of those files; and futex_waitv and
//! ptrace_syscall_info as 6.16 declares them, Landlock as 6.12 does and
//! uffdio_api as 6.8 does, for a second program each that uses the newer
//! names. The programs are written against that text.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use abi_spec::codegen::c::{self, HeaderOptions, Style};
use abi_spec::codegen::cnames::CNames;
use abi_spec::{Spec, Target};
use abi_tests::{c_members, oracle};

/// Where the real header of a case comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Real {
    /// The installed `/usr/include/linux`.
    Installed,
    /// `tests/fixtures/drop_in/real`, written by hand.
    Fixture,
    /// Newer than the installed headers and with no fixture: the program
    /// compiles against the generated header only. Every case has a real
    /// side today; a spec newer than its fixtures would use this.
    #[allow(dead_code)]
    Newer,
}

/// One program and the spec whose generated header must compile it.
struct Case {
    /// `tests/fixtures/drop_in/<program>.c`.
    program: &'static str,
    /// The spec, from the workspace root.
    spec: &'static str,
    /// The real header's origin.
    real: Real,
    /// C names the spec gives that the real header does not define: Linux
    /// keeps them out of uapi (compared with nothing, listed). `struct x`
    /// leaves out every expression about that struct.
    not_in_real: &'static [&'static str],
}

const CASES: &[Case] = &[
    Case {
        program: "rseq",
        spec: "examples/linux/rseq.toml",
        real: Real::Installed,
        not_in_real: &[],
    },
    Case {
        program: "clone_args",
        spec: "examples/linux/clone_args.toml",
        real: Real::Installed,
        not_in_real: &[],
    },
    Case {
        program: "open_how",
        spec: "examples/linux/open_how.toml",
        real: Real::Installed,
        // In the kernel's include/linux/fcntl.h, not in uapi.
        not_in_real: &["OPEN_HOW_SIZE_VER0"],
    },
    Case {
        program: "sched_attr",
        spec: "examples/linux/sched_attr.toml",
        real: Real::Installed,
        not_in_real: &[],
    },
    Case {
        program: "mount_attr",
        spec: "examples/linux/mount_attr.toml",
        real: Real::Installed,
        not_in_real: &[],
    },
    Case {
        program: "landlock",
        spec: "examples/linux/landlock_ruleset_attr.toml",
        real: Real::Installed,
        not_in_real: &[],
    },
    Case {
        program: "perf_event_attr",
        spec: "examples/linux/perf_event_attr.toml",
        real: Real::Installed,
        not_in_real: &[],
    },
    Case {
        program: "landlock_scoped",
        spec: "examples/linux/landlock_ruleset_attr.toml",
        real: Real::Fixture,
        not_in_real: &[],
    },
    Case {
        program: "landlock_path_beneath_attr",
        spec: "examples/linux/landlock_path_beneath_attr.toml",
        real: Real::Installed,
        not_in_real: &[],
    },
    Case {
        program: "futex_waitv",
        spec: "examples/linux/futex_waitv.toml",
        real: Real::Installed,
        not_in_real: &[
            // Linux 6.7's names of values 6.1 spells FUTEX_32 and
            // FUTEX_PRIVATE_FLAG (constants of the spec): a flag value has
            // one name in a spec, whatever the release.
            "FUTEX2_SIZE_U32",
            "FUTEX2_PRIVATE",
            // Linux 6.7; a constant has no release in a spec.
            "FUTEX2_SIZE_MASK",
        ],
    },
    Case {
        program: "futex_waitv_futex2",
        spec: "examples/linux/futex_waitv.toml",
        real: Real::Fixture,
        not_in_real: &[],
    },
    Case {
        program: "ptrace_syscall_info",
        spec: "examples/linux/ptrace_syscall_info.toml",
        real: Real::Installed,
        not_in_real: &[
            // Anonymous in C: the union's three members.
            "struct ptrace_syscall_info_entry",
            "struct ptrace_syscall_info_exit",
            "struct ptrace_syscall_info_seccomp",
            // 6.1's `__u8 pad[3]`, which Linux 6.16 split into `reserved`
            // and `flags`: a spec field cannot be split, so version 0
            // names the bytes as 6.16 does, `reserved` and
            // `__reserved_flags` (`pad` is missing).
            "reserved",
            // Linux 6.16.
            "PTRACE_SET_SYSCALL_INFO",
        ],
    },
    Case {
        program: "ptrace_syscall_info_set",
        spec: "examples/linux/ptrace_syscall_info.toml",
        real: Real::Fixture,
        // Anonymous in C: the union's three members.
        not_in_real: &[
            "struct ptrace_syscall_info_entry",
            "struct ptrace_syscall_info_exit",
            "struct ptrace_syscall_info_seccomp",
        ],
    },
    Case {
        program: "seccomp_notif_addfd",
        spec: "examples/linux/seccomp_notif_addfd.toml",
        real: Real::Installed,
        // In the kernel's include/linux/seccomp.h, not in uapi.
        not_in_real: &["SECCOMP_NOTIFY_ADDFD_SIZE_VER0"],
    },
    Case {
        program: "uffdio_api",
        spec: "examples/linux/uffdio_api.toml",
        real: Real::Installed,
        not_in_real: &[],
    },
    Case {
        program: "uffdio_api_move",
        spec: "examples/linux/uffdio_api.toml",
        real: Real::Fixture,
        not_in_real: &[],
    },
    Case {
        program: "pidfd_info",
        spec: "examples/linux/pidfd_info.toml",
        real: Real::Fixture,
        not_in_real: &[],
    },
    Case {
        program: "file_attr",
        spec: "examples/linux/file_attr.toml",
        real: Real::Fixture,
        not_in_real: &[],
    },
    Case {
        program: "xattr_args",
        spec: "examples/linux/xattr_args.toml",
        real: Real::Fixture,
        // In the kernel's include/linux/xattr.h, not in uapi.
        not_in_real: &["XATTR_ARGS_SIZE_VER0"],
    },
    Case {
        program: "mnt_ns_info",
        spec: "examples/linux/mnt_ns_info.toml",
        real: Real::Fixture,
        not_in_real: &[],
    },
    Case {
        program: "procmap_query",
        spec: "examples/linux/procmap_query.toml",
        real: Real::Fixture,
        not_in_real: &[],
    },
    Case {
        program: "statmount",
        spec: "examples/linux/statmount.toml",
        real: Real::Fixture,
        not_in_real: &[],
    },
    Case {
        program: "pm_scan_arg",
        spec: "examples/linux/pm_scan_arg.toml",
        real: Real::Fixture,
        not_in_real: &[],
    },
    Case {
        program: "cachestat_range",
        spec: "examples/linux/cachestat_range.toml",
        real: Real::Fixture,
        not_in_real: &[],
    },
    Case {
        program: "lsm_ctx",
        spec: "examples/linux/lsm_ctx.toml",
        real: Real::Fixture,
        not_in_real: &[],
    },
    Case {
        program: "epoll_params",
        spec: "examples/linux/epoll_params.toml",
        real: Real::Fixture,
        not_in_real: &[],
    },
    Case {
        program: "landlock_net_port_attr",
        spec: "examples/linux/landlock_net_port_attr.toml",
        real: Real::Fixture,
        not_in_real: &[],
    },
    Case {
        program: "coredump_req",
        spec: "examples/linux/coredump_req.toml",
        real: Real::Fixture,
        not_in_real: &[],
    },
    Case {
        program: "mnt_id_req",
        spec: "examples/linux/mnt_id_req.toml",
        real: Real::Fixture,
        // 6.15's `__u32 spare` (claimed in place as `mnt_ns_fd` later) is
        // `__reserved_mnt_ns_fd` in the generated header of version 1,
        // and compared with nothing: the placeholders of reserved bytes
        // are no names of the spec's.
        not_in_real: &[],
    },
    Case {
        program: "io_uring_params",
        spec: "examples/linux/io_uring_params.toml",
        real: Real::Installed,
        not_in_real: &[],
    },
    Case {
        program: "io_uring_getevents_arg",
        spec: "examples/linux/io_uring_getevents_arg.toml",
        real: Real::Installed,
        not_in_real: &[],
    },
    Case {
        program: "bpf_prog_info",
        spec: "examples/linux/bpf_prog_info.toml",
        real: Real::Installed,
        not_in_real: &[],
    },
    Case {
        program: "bpf_map_info",
        spec: "examples/linux/bpf_map_info.toml",
        real: Real::Installed,
        not_in_real: &[],
    },
    Case {
        program: "bpf_btf_info",
        spec: "examples/linux/bpf_btf_info.toml",
        real: Real::Installed,
        not_in_real: &[],
    },
    Case {
        program: "bpf_link_info",
        spec: "examples/linux/bpf_link_info.toml",
        real: Real::Installed,
        // Anonymous in C: the members of the union of link types, and of
        // iter's two unions.
        not_in_real: &[
            "struct bpf_link_info_raw_tracepoint",
            "struct bpf_link_info_tracing",
            "struct bpf_link_info_cgroup",
            "struct bpf_link_info_netns",
            "struct bpf_link_info_xdp",
            "struct bpf_link_info_iter",
            "struct bpf_link_info_iter_map",
            "struct bpf_link_info_iter_cgroup",
            "struct bpf_link_info_iter_task",
        ],
    },
    Case {
        program: "ns_id_req",
        spec: "examples/linux/ns_id_req.toml",
        real: Real::Fixture,
        // The listns filters are an unnamed member: the generated header
        // declares their struct anonymous too, as Linux does.
        not_in_real: &[],
    },
    Case {
        program: "nsfs_file_handle",
        spec: "examples/linux/nsfs_file_handle.toml",
        real: Real::Fixture,
        not_in_real: &[],
    },
    Case {
        program: "logical_block_metadata_cap",
        spec: "examples/linux/logical_block_metadata_cap.toml",
        real: Real::Fixture,
        not_in_real: &[],
    },
    Case {
        program: "kc_event",
        spec: "tests/fixtures/headers/kc_event.toml",
        real: Real::Fixture,
        not_in_real: &[],
    },
    Case {
        program: "kc_msg",
        spec: "tests/fixtures/headers/kc_msg.toml",
        real: Real::Fixture,
        // The kernel's macro has an untagged empty struct.
        not_in_real: &["struct kc_msg_empty"],
    },
];

/// Each real header a program may include, and the specs whose generated
/// headers stand in for it. Linux keeps the policies and flags of
/// sched_attr in `<linux/sched.h>`, beside clone_args, and mnt_id_req
/// beside mount_attr. A header listed more than once has specs that cannot
/// be included together (they define the same struct, or the same macro
/// spelt otherwise): a case takes the entry that holds its spec, every
/// other case the first.
const STAND_INS: &[(&str, &[&str])] = &[
    ("linux/rseq.h", &["examples/linux/rseq.toml"]),
    (
        "linux/sched.h",
        &[
            "examples/linux/clone_args.toml",
            "examples/linux/sched_attr.toml",
        ],
    ),
    ("linux/sched/types.h", &["examples/linux/sched_attr.toml"]),
    ("linux/openat2.h", &["examples/linux/open_how.toml"]),
    (
        "linux/mount.h",
        &[
            "examples/linux/mount_attr.toml",
            "examples/linux/mnt_id_req.toml",
        ],
    ),
    // Both specs define STATMOUNT_*: mnt_id_req's flags as 0x1U,
    // statmount's features as (1ULL << 0).
    (
        "linux/mount.h",
        &[
            "examples/linux/mount_attr.toml",
            "examples/linux/statmount.toml",
        ],
    ),
    // landlock_ruleset_attr.toml holds the rule structs too.
    (
        "linux/landlock.h",
        &["examples/linux/landlock_ruleset_attr.toml"],
    ),
    (
        "linux/landlock.h",
        &["examples/linux/landlock_path_beneath_attr.toml"],
    ),
    (
        "linux/landlock.h",
        &["examples/linux/landlock_net_port_attr.toml"],
    ),
    (
        "linux/perf_event.h",
        &["examples/linux/perf_event_attr.toml"],
    ),
    ("linux/futex.h", &["examples/linux/futex_waitv.toml"]),
    (
        "linux/ptrace.h",
        &["examples/linux/ptrace_syscall_info.toml"],
    ),
    (
        "linux/seccomp.h",
        &["examples/linux/seccomp_notif_addfd.toml"],
    ),
    ("linux/userfaultfd.h", &["examples/linux/uffdio_api.toml"]),
    ("linux/pidfd.h", &["examples/linux/pidfd_info.toml"]),
    (
        "linux/fs.h",
        &[
            "examples/linux/file_attr.toml",
            "examples/linux/procmap_query.toml",
            "examples/linux/pm_scan_arg.toml",
            "examples/linux/logical_block_metadata_cap.toml",
        ],
    ),
    ("linux/xattr.h", &["examples/linux/xattr_args.toml"]),
    (
        "linux/nsfs.h",
        &[
            "examples/linux/mnt_ns_info.toml",
            "examples/linux/ns_id_req.toml",
            "examples/linux/nsfs_file_handle.toml",
        ],
    ),
    ("linux/mman.h", &["examples/linux/cachestat_range.toml"]),
    ("linux/lsm.h", &["examples/linux/lsm_ctx.toml"]),
    ("linux/eventpoll.h", &["examples/linux/epoll_params.toml"]),
    ("linux/coredump.h", &["examples/linux/coredump_req.toml"]),
    (
        "linux/io_uring.h",
        &[
            "examples/linux/io_uring_params.toml",
            "examples/linux/io_uring_getevents_arg.toml",
        ],
    ),
    // Linux's header declares every bpf(2) type; the info structs stand
    // for it here.
    (
        "linux/bpf.h",
        &[
            "examples/linux/bpf_prog_info.toml",
            "examples/linux/bpf_map_info.toml",
            "examples/linux/bpf_btf_info.toml",
            "examples/linux/bpf_link_info.toml",
        ],
    ),
    ("kc/event.h", &["tests/fixtures/headers/kc_event.toml"]),
    ("kc/msg.h", &["tests/fixtures/headers/kc_msg.toml"]),
];

/// The stand-ins of one case: each real header once, with the entry of
/// [`STAND_INS`] that holds `spec`, else the first.
fn stand_ins_of(spec: &str) -> Vec<(&'static str, &'static [&'static str])> {
    let mut chosen: Vec<(&'static str, &'static [&'static str])> = Vec::new();
    for &(header, from) in STAND_INS {
        match chosen.iter_mut().find(|(h, _)| *h == header) {
            None => chosen.push((header, from)),
            Some(entry) => {
                if from.contains(&spec) && !entry.1.contains(&spec) {
                    entry.1 = from;
                }
            }
        }
    }
    chosen
}

/// The warnings a drop-in program compiles without, on both sides.
const STRICT: &[&str] = &["-std=c11", "-O0", "-Wall", "-Wextra", "-Werror"];

fn root() -> PathBuf {
    abi_tests::workspace_root()
}

fn fixtures() -> PathBuf {
    root().join("tests/fixtures/drop_in")
}

fn load(path: &str) -> Spec {
    let path = root().join(path);
    abi_spec::load(&path).unwrap_or_else(|e| panic!("{}: {}", path.display(), e.render(false)))
}

/// The `asm/` headers of a Linux target without its own installed, from
/// `asm-generic`: what every architecture's uapi `asm/types.h` is, and the
/// byte order the compiler says.
fn asm_generic(dir: &Path) -> PathBuf {
    let asm = dir.join("asm-shim");
    let files = [
        ("types.h", "#include <asm-generic/int-ll64.h>\n"),
        ("bitsperlong.h", "#include <asm-generic/bitsperlong.h>\n"),
        ("posix_types.h", "#include <asm-generic/posix_types.h>\n"),
        ("swab.h", "#include <asm-generic/swab.h>\n"),
        ("ioctl.h", "#include <asm-generic/ioctl.h>\n"),
        // Each architecture's pt_regs; <linux/ptrace.h> includes it, and
        // none of its structs uses it.
        ("ptrace.h", "/* no pt_regs: not needed by <linux/ptrace.h>'s structs */\n"),
        (
            "byteorder.h",
            "#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__\n#include <linux/byteorder/big_endian.h>\n#else\n#include <linux/byteorder/little_endian.h>\n#endif\n",
        ),
    ];
    std::fs::create_dir_all(asm.join("asm")).expect("asm shim");
    for (name, text) in files {
        std::fs::write(asm.join("asm").join(name), text).expect("asm shim file");
    }
    asm
}

/// Flags that find a target's `asm/` headers: x86's own (shared by i386,
/// x32 and x86_64), else the `asm-generic` ones.
fn target_flags(target: Target, shim: &Path) -> Vec<String> {
    match target {
        Target::X86_64 => Vec::new(),
        Target::I386 | Target::X32 => vec!["-I/usr/include/x86_64-linux-gnu".into()],
        _ => vec!["-ffreestanding".into(), format!("-I{}", shim.display())],
    }
}

/// Compiles `source` for `target` with `includes` (searched first) and
/// returns the object file; the compiler's message on failure.
fn compile(
    target: Target,
    includes: &[PathBuf],
    extra: &[String],
    source: &str,
) -> Result<Vec<u8>, String> {
    let compiler = oracle::require_compiler(target);
    let dir = abi_tests::scratch_dir(&format!("drop-in-{}", target.name()));
    let c_file = dir.join("program.c");
    let o_file = dir.join("program.o");
    std::fs::write(&c_file, source).map_err(|e| e.to_string())?;
    let output = Command::new(&compiler.program)
        .env("LC_ALL", "C")
        .args(&compiler.args)
        .args(STRICT)
        .args(includes.iter().map(|i| format!("-I{}", i.display())))
        .args(extra)
        .arg("-c")
        .arg(&c_file)
        .arg("-o")
        .arg(&o_file)
        .output()
        .map_err(|e| format!("{}: {e}", compiler.program.display()))?;
    let result = if output.status.success() {
        std::fs::read(&o_file).map_err(|e| e.to_string())
    } else {
        Err(format!(
            "{} {:?} for {target} failed:\n{}",
            compiler.program.display(),
            compiler.args,
            String::from_utf8_lossy(&output.stderr)
        ))
    };
    let _ = std::fs::remove_dir_all(&dir);
    result
}

/// The generated headers for one compilation of `case`: its spec at
/// `version`, every other spec at its newest, and the stand-ins that include
/// them, in a directory of this (program, target, version) alone. Jobs run
/// in parallel, and two cases may share a spec (uffdio_api and
/// uffdio_api_move): a directory per spec let one job rewrite a header while
/// the other compiled it. Returns the include directory.
fn stand_ins(
    dir: &Path,
    specs: &BTreeMap<&str, Spec>,
    case: &Case,
    target: Target,
    version: u32,
) -> PathBuf {
    let spec = case.spec;
    let include = dir.join(format!("stand-ins-{}-{target}-{version}", case.program));
    let generated = include.join("generated");
    std::fs::create_dir_all(&generated).expect("stand-in dir");
    for (path, s) in specs {
        let options = HeaderOptions {
            style: Style::Uapi,
            spec_name: "spec.toml",
        };
        let at = if *path == spec {
            version
        } else {
            s.abi.version
        };
        let text = c::header_at(s, &options, at).unwrap_or_else(|e| panic!("{path}: {e}"));
        std::fs::write(generated.join(header_file(path)), text).expect("generated header");
    }
    for (real, from) in stand_ins_of(spec) {
        let file = include.join(real);
        std::fs::create_dir_all(file.parent().expect("a directory")).expect("stand-in dir");
        let text: String = from
            .iter()
            .map(|p| format!("#include <generated/{}>\n", header_file(p)))
            .collect();
        std::fs::write(file, text).expect("stand-in");
    }
    include
}

/// The generated header's file name for a spec path.
fn header_file(spec: &str) -> String {
    let stem = Path::new(spec)
        .file_stem()
        .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
    format!("{stem}.h")
}

/// Every C name and number of `spec` at `version` that the real header
/// should have too: `sizeof`, `_Alignof` and each member's `offsetof` of
/// every struct the header defines, Linux's size macros, and the flags,
/// features and constants, each with the engine's value where it has one.
fn names_at(
    spec: &Spec,
    target: Target,
    version: u32,
    skip: &[&str],
) -> Vec<(String, Option<u64>)> {
    let names = CNames::new(spec);
    let mut out = Vec::new();
    for index in c_members::defined_structs(spec, version) {
        let def = &spec.structs[index];
        let ty = format!("{} {}", def.kind.keyword(), def.name);
        let layout = spec.layout(index, target, version).expect("defined");
        out.push((format!("sizeof({ty})"), Some(layout.size)));
        out.push((format!("_Alignof({ty})"), Some(layout.align)));
        for member in c_members::members(spec, index, target, version) {
            if member.bitfield.is_none() {
                out.push((
                    format!("offsetof({ty}, {})", member.name),
                    Some(member.offset),
                ));
            }
        }
        for m in names.size_macros_until(index, target, version) {
            let size = spec.layout(index, target, m.version).map(|l| l.size);
            out.push((m.name, size));
        }
    }
    for set in &spec.flags {
        for value in set.values.iter().filter(|v| v.since <= version) {
            out.push((names.flag_value(set, value), None));
        }
    }
    for feature in spec.features.iter().filter(|f| f.since <= version) {
        out.push((names.feature(feature), None));
    }
    for constant in &spec.constants {
        out.push((names.constant(constant), None));
    }
    // A constant that spells a size macro is one name.
    let mut seen = std::collections::HashSet::new();
    out.retain(|(name, _)| !skip.iter().any(|s| leaves_out(s, name)) && seen.insert(name.clone()));
    out
}

/// Whether the entry `skip` of a case's `not_in_real` leaves out the C
/// expression `name`: the name itself, or an expression about it
/// (`offsetof(struct x, skip)`, `sizeof(struct skip)`).
fn leaves_out(skip: &str, name: &str) -> bool {
    name == skip || name.contains(&format!("{skip})")) || name.contains(&format!("{skip},"))
}

/// C expressions the real header must give values (names, `sizeof`,
/// `offsetof`), each with the engine's value where it has one.
type Names = Vec<(String, Option<u64>)>;

/// The probe of a list of names: the program, then their values in the
/// probe section.
fn probe_source(program: &str, names: &[(String, Option<u64>)]) -> String {
    let exprs: Vec<String> = names.iter().map(|(n, _)| n.clone()).collect();
    format!(
        "#include <stddef.h>\n{program}\n{}",
        oracle::probe_array(&exprs)
    )
}

/// The program with static assertions that each name has `values`.
fn asserting_source(program: &str, names: &[(String, Option<u64>)], values: &[u64]) -> String {
    let mut source = format!("#include <stddef.h>\n{program}\n");
    for ((name, _), value) in names.iter().zip(values) {
        source.push_str(&format!(
            "_Static_assert((unsigned long long)({name}) == {value}ULL, \"{name} as in the real header\");\n"
        ));
    }
    source
}

/// A named bitfield of a struct.
struct Bitfield {
    /// `struct name`.
    ty: String,
    /// The member, as C names it.
    member: String,
    /// The initialiser that sets all its bits.
    ones: String,
    /// The struct's size.
    size: u64,
    /// Its bits, from the struct's first.
    bits: abi_spec::layout::BitPlace,
}

/// The named bitfields of the structs of `spec` at `version`.
fn bitfields(spec: &Spec, target: Target, version: u32) -> Vec<Bitfield> {
    let mut out = Vec::new();
    for index in c_members::defined_structs(spec, version) {
        let def = &spec.structs[index];
        let size = spec.layout(index, target, version).map_or(0, |l| l.size);
        for member in c_members::members(spec, index, target, version) {
            if let Some((bits, scalar)) = member.bitfield {
                let ones = if scalar.is_signed() {
                    "-1".to_string()
                } else if bits.width >= 64 {
                    "0xffffffffffffffffULL".to_string()
                } else {
                    format!("0x{:x}ULL", (1u64 << bits.width) - 1)
                };
                out.push(Bitfield {
                    ty: format!("{} {}", def.kind.keyword(), def.name),
                    member: member.name,
                    ones,
                    size,
                    bits,
                });
            }
        }
    }
    out
}

/// The `#include` lines of a program.
fn includes_of(program: &str) -> String {
    program
        .lines()
        .filter(|l| l.starts_with("#include"))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// What one case showed on one target.
#[derive(Default)]
struct Shown {
    /// The version compared, when there was a real header.
    version: Option<u32>,
    /// Names and numbers found equal.
    values: usize,
    /// Bitfields found on the same bits.
    bitfields: usize,
}

/// The version the real header implements: the newest whose names it all
/// has and whose sizes are its own; with the names and the real header's
/// values of them.
fn real_version(
    case: &Case,
    spec: &Spec,
    target: Target,
    program: &str,
    flags: &[String],
) -> Result<(u32, Names, Vec<u64>), String> {
    let includes = real_includes(case);
    let mut last_error = String::new();
    for version in spec.versions().rev() {
        let names = names_at(spec, target, version, case.not_in_real);
        let object = match compile(target, &includes, flags, &probe_source(program, &names)) {
            Ok(object) => object,
            Err(e) => {
                last_error = e;
                continue;
            }
        };
        let values = oracle::read_probe(&object)?;
        let sizes_agree = names
            .iter()
            .zip(&values)
            .filter(|(n, _)| n.0.starts_with("sizeof("))
            .all(|((_, want), have)| *want == Some(*have));
        if sizes_agree {
            return Ok((version, names, values));
        }
        last_error = format!("sizes differ at version {version}");
    }
    Err(format!(
        "{} on {target}: no version of {} matches the real header:\n{last_error}",
        case.program, case.spec
    ))
}

/// The include directories of a case's real header (none: the system's).
fn real_includes(case: &Case) -> Vec<PathBuf> {
    match case.real {
        Real::Fixture => vec![fixtures().join("real")],
        _ => Vec::new(),
    }
}

/// Runs one case on one target.
fn check(
    case: &Case,
    target: Target,
    specs: &BTreeMap<&str, Spec>,
    scratch: &Path,
    shim: &Path,
) -> Result<Shown, String> {
    let label = format!("{} on {target}", case.program);
    let spec = &specs[case.spec];
    let program = std::fs::read_to_string(fixtures().join(format!("{}.c", case.program)))
        .map_err(|e| format!("{label}: {e}"))?;
    let flags = target_flags(target, shim);
    let real_includes = real_includes(case);
    let mut shown = Shown::default();

    // Unchanged, against the newest generated header.
    let newest = stand_ins(scratch, specs, case, target, spec.abi.version);
    compile(target, std::slice::from_ref(&newest), &flags, &program)
        .map_err(|e| format!("{label}, the newest generated header: {e}"))?;
    if case.real == Real::Newer {
        return Ok(shown);
    }

    // The program is written against the real header.
    compile(target, &real_includes, &flags, &program)
        .map_err(|e| format!("{label}, the real header: {e}"))?;

    let (version, names, values) = real_version(case, spec, target, &program, &flags)?;
    shown.version = Some(version);
    // Each name left out stands for something the spec gives: a stale entry
    // would hide nothing and say something false.
    let all = names_at(spec, target, version, &[]);
    for skip in case.not_in_real {
        if !all.iter().any(|(name, _)| leaves_out(skip, name)) {
            return Err(format!(
                "{label}, version {version}: not_in_real names {skip}, which the spec does not give"
            ));
        }
    }
    // The engine agrees with the real header wherever it has a number.
    for ((name, want), have) in names.iter().zip(&values) {
        if let Some(want) = want {
            if want != have {
                return Err(format!(
                    "{label}, version {version}: {name} is {have} in the real header, {want} in the engine"
                ));
            }
        }
    }

    // The generated header of that version has the real header's values,
    // each asserted by the compiler.
    let view = stand_ins(scratch, specs, case, target, version);
    compile(
        target,
        std::slice::from_ref(&view),
        &flags,
        &asserting_source(&program, &names, &values),
    )
    .map_err(|e| format!("{label}, the generated header of version {version}: {e}"))?;
    shown.values = names.len();

    // Each bitfield lands on the real header's bits, and the engine's.
    let fields = bitfields(spec, target, version);
    if !fields.is_empty() {
        let mut source = includes_of(&program);
        for (i, field) in fields.iter().enumerate() {
            source.push_str(&format!(
                "__attribute__((used)) static const {} bits_{i} = {{ .{} = {} }};\n",
                field.ty, field.member, field.ones
            ));
        }
        let real = compile(target, &real_includes, &flags, &source)
            .map_err(|e| format!("{label}, bitfields in the real header: {e}"))?;
        let ours = compile(target, std::slice::from_ref(&view), &flags, &source)
            .map_err(|e| format!("{label}, bitfields in the generated header: {e}"))?;
        for (i, field) in fields.iter().enumerate() {
            let symbol = format!("bits_{i}");
            let real_bytes = oracle::symbol_bytes(&real, &symbol)?;
            let our_bytes = oracle::symbol_bytes(&ours, &symbol)?;
            let engine = c_members::bytes_with_bits(target, field.size, field.bits);
            if real_bytes != our_bytes || our_bytes != engine {
                return Err(format!(
                    "{label}: {}.{} all ones: real {real_bytes:02x?}, generated {our_bytes:02x?}, engine {engine:02x?}",
                    field.ty, field.member
                ));
            }
        }
        shown.bitfields = fields.len();
    }
    Ok(shown)
}

/// Runs jobs on two threads (the machine has two cores) and collects the
/// results.
fn run_parallel<J: Send, R: Send>(jobs: Vec<J>, run: impl Fn(J) -> R + Sync) -> Vec<R> {
    let queue = Mutex::new(jobs);
    let results = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| loop {
                let job = queue.lock().unwrap().pop();
                let Some(job) = job else { break };
                let result = run(job);
                results.lock().unwrap().push(result);
            });
        }
    });
    results.into_inner().unwrap()
}

/// Every spec a stand-in or a case names. Each case's program names its
/// stand-in directories (see `stand_ins`), so no two cases share one.
fn all_specs() -> BTreeMap<&'static str, Spec> {
    let programs: BTreeSet<&str> = CASES.iter().map(|c| c.program).collect();
    assert_eq!(programs.len(), CASES.len(), "two cases share a program");
    STAND_INS
        .iter()
        .flat_map(|(_, specs)| specs.iter())
        .chain(CASES.iter().map(|c| &c.spec))
        .map(|&path| (path, load(path)))
        .collect()
}

/// Every case on each target among `targets` (one compiler family's).
fn generated_headers_are_drop_in(targets: &[Target]) {
    abi_tests::require("uapi_headers");
    for &target in targets {
        oracle::require_compiler(target);
    }
    let specs = all_specs();
    let scratch = abi_tests::scratch_dir("drop-in");
    let shim = asm_generic(&scratch);
    let mut jobs = Vec::new();
    for case in CASES {
        for &target in specs[case.spec]
            .abi
            .targets
            .iter()
            .filter(|t| targets.contains(t))
        {
            jobs.push((case, target));
        }
    }
    assert!(!jobs.is_empty(), "no case on {targets:?}");
    let results = run_parallel(jobs, |(case, target)| {
        (
            case.program,
            target,
            check(case, target, &specs, &scratch, &shim),
        )
    });
    let _ = std::fs::remove_dir_all(&scratch);
    let mut failures = Vec::new();
    let mut sorted = results;
    sorted.sort_by_key(|(program, target, _)| (*program, *target));
    for (program, target, result) in sorted {
        match result {
            Ok(shown) => match shown.version {
                Some(version) => println!(
                    "{program} on {target}: compiles unchanged; version {version}: {} names and numbers as in the real header, {} bitfields on its bits",
                    shown.values, shown.bitfields
                ),
                None => println!("{program} on {target}: compiles unchanged (no real header here)"),
            },
            Err(e) => failures.push(e),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

abi_tests::test_each_family!(generated_headers_are_drop_in);

/// A freestanding x86 program (no C library is installed for i386 here)
/// that sets each bitfield in turn to all ones, at run time, in a zeroed
/// struct, and prints the struct's bytes in hex, one line per bitfield.
fn runner_source(program: &str, fields: &[Bitfield]) -> String {
    let mut source = includes_of(program);
    source.push_str(
        r#"
void *memset(void *s, int c, unsigned long n);
void *memset(void *s, int c, unsigned long n)
{
	unsigned char *p = s;
	while (n--)
		*p++ = (unsigned char)c;
	return s;
}

static long sys(long number, long a, long b, long c)
{
	long ret;
#if defined(__x86_64__)
	__asm__ volatile ("syscall" : "=a"(ret) : "a"(number), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
#else
	__asm__ volatile ("int $0x80" : "=a"(ret) : "a"(number), "b"(a), "c"(b), "d"(c) : "memory");
#endif
	return ret;
}

#if defined(__x86_64__)
#define SYS_WRITE 1
#define SYS_EXIT 60
#else
#define SYS_WRITE 4
#define SYS_EXIT 1
#endif

static void dump(const void *object, unsigned long size)
{
	static const char digits[] = "0123456789abcdef";
	const unsigned char *p = object;
	char line[2];
	unsigned long i;
	for (i = 0; i < size; i++) {
		line[0] = digits[p[i] >> 4];
		line[1] = digits[p[i] & 15];
		sys(SYS_WRITE, 1, (long)line, 2);
	}
	sys(SYS_WRITE, 1, (long)"\n", 1);
}

static void run(void)
{
"#,
    );
    for field in fields {
        source.push_str(&format!(
            "\t{{\n\t\t{} x;\n\t\tmemset(&x, 0, sizeof(x));\n\t\tx.{} = {};\n\t\tdump(&x, sizeof(x));\n\t}}\n",
            field.ty, field.member, field.ones
        ));
    }
    source.push_str(
        r#"}

void _start(void);
__attribute__((force_align_arg_pointer, noreturn)) void _start(void)
{
	run();
	sys(SYS_EXIT, 0, 0, 0);
	__builtin_unreachable();
}
"#,
    );
    source
}

/// Builds a freestanding static executable for x86_64 or i386 and runs it;
/// its standard output.
fn build_and_run(target: Target, includes: &[PathBuf], source: &str) -> Result<String, String> {
    let compiler = oracle::require_compiler(target);
    let dir = abi_tests::scratch_dir(&format!("drop-in-run-{}", target.name()));
    let c_file = dir.join("run.c");
    let exe = dir.join("run");
    std::fs::write(&c_file, source).map_err(|e| e.to_string())?;
    let mut extra = target_flags(target, &dir);
    extra.extend(
        [
            "-ffreestanding",
            "-nostdlib",
            "-static",
            "-fno-pie",
            "-no-pie",
            "-fno-stack-protector",
        ]
        .map(String::from),
    );
    let output = Command::new(&compiler.program)
        .env("LC_ALL", "C")
        .args(&compiler.args)
        .args(STRICT)
        .args(includes.iter().map(|i| format!("-I{}", i.display())))
        .args(&extra)
        .arg(&c_file)
        .arg("-o")
        .arg(&exe)
        .output()
        .map_err(|e| format!("{}: {e}", compiler.program.display()))?;
    if !output.status.success() {
        let _ = std::fs::remove_dir_all(&dir);
        return Err(format!(
            "building for {target} failed:\n{}\n--- source ---\n{source}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let run = Command::new(&exe)
        .output()
        .map_err(|e| format!("{}: {e}", exe.display()));
    let _ = std::fs::remove_dir_all(&dir);
    let run = run?;
    if !run.status.success() {
        return Err(format!("the {target} program exited with {}", run.status));
    }
    String::from_utf8(run.stdout).map_err(|e| e.to_string())
}

/// On x86_64 and i386, every bitfield of every case with a real header,
/// set at run time through the real header and through the generated one
/// (at the version the real header implements): the same bytes, and the
/// engine's.
#[test]
#[cfg_attr(
    any(no_gcc, no_uapi_headers),
    ignore = "needs gcc and the Linux uapi headers"
)]
fn bitfields_set_at_run_time_land_on_the_real_bits() {
    abi_tests::require("uapi_headers");
    let specs = all_specs();
    let scratch = abi_tests::scratch_dir("drop-in-run");
    let mut checked = 0;
    for case in CASES.iter().filter(|c| c.real != Real::Newer) {
        let spec = &specs[case.spec];
        let program = std::fs::read_to_string(fixtures().join(format!("{}.c", case.program)))
            .unwrap_or_else(|e| panic!("{}: {e}", case.program));
        for target in [Target::X86_64, Target::I386] {
            let flags = target_flags(target, &scratch);
            let (version, _, _) = real_version(case, spec, target, &program, &flags)
                .unwrap_or_else(|e| panic!("{e}"));
            let fields = bitfields(spec, target, version);
            if fields.is_empty() {
                continue;
            }
            let source = runner_source(&program, &fields);
            let real = build_and_run(target, &real_includes(case), &source)
                .unwrap_or_else(|e| panic!("{} (real header): {e}", case.program));
            let view = stand_ins(&scratch, &specs, case, target, version);
            let ours = build_and_run(target, std::slice::from_ref(&view), &source)
                .unwrap_or_else(|e| panic!("{} (generated header): {e}", case.program));
            assert_eq!(
                (real.lines().count(), ours.lines().count()),
                (fields.len(), fields.len()),
                "{} on {target}: one line per bitfield",
                case.program
            );
            for (field, (real, ours)) in fields.iter().zip(real.lines().zip(ours.lines())) {
                let engine: String = c_members::bytes_with_bits(target, field.size, field.bits)
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect();
                assert!(
                    real == ours && ours == engine,
                    "{} on {target}: {}.{} set to all ones:\n  real      {real}\n  generated {ours}\n  engine    {engine}",
                    case.program,
                    field.ty,
                    field.member
                );
            }
            println!(
                "{} on {target}, version {version}: {} bitfields set at run time, the same bytes through both headers",
                case.program,
                fields.len()
            );
            checked += fields.len();
        }
    }
    let _ = std::fs::remove_dir_all(&scratch);
    assert!(checked > 0, "no bitfield was set");
}
