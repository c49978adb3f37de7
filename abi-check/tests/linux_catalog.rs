//! The Linux catalog: every spec of `examples/linux/`, its history and what
//! real kernels say about it.
//!
//! One table ([`CATALOG`]) says, per spec, where Linux declares the struct,
//! how user space reaches it, the release of each version, and which version
//! three real sources implement: Debian's 6.1 kernel (DWARF), the running
//! kernel (BTF, checked exactly when it is Linux 6.18) and the installed
//! uapi headers (Linux 6.1, through `abi-check import`). The tests hold the
//! specs to it, and `docs/linux.md` is generated from it and the specs
//! (`UPDATE_DOCS=1 cargo test -p abi-check --test linux_catalog` rewrites
//! the page and its pictures).

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use abi_spec::{Spec, Target};
use common::{json, root, run, stderr, stdout};

/// One spec of the catalog.
struct Entry {
    /// The file under `examples/linux/`.
    file: &'static str,
    /// The structs user space passes, as C names them (a spec may also hold
    /// types that are anonymous in C; those are not listed).
    structs: &'static [&'static str],
    /// The uapi header that declares them.
    header: &'static str,
    /// The system calls or ioctls that take them.
    entry: &'static str,
    /// How the two sides agree on a layout.
    negotiation: &'static str,
    /// The Linux release of each version, first to newest.
    releases: &'static [(u32, &'static str)],
    /// The version Debian's Linux 6.1 implements; `None`: it has no such
    /// struct.
    linux_6_1: Option<u32>,
    /// The version Linux 6.18 implements.
    linux_6_18: Option<u32>,
    /// Members the C struct has and the spec leaves out on purpose (rseq's
    /// `char end[]`, which names no bytes): `verify` reports them as info,
    /// and only them.
    c_only: &'static [&'static str],
}

const CATALOG: &[Entry] = &[
    Entry {
        file: "cachestat_range.toml",
        structs: &["cachestat_range", "cachestat"],
        header: "linux/mman.h",
        entry: "cachestat(2)",
        negotiation: "fixed sizes; a `flags` argument that must be 0",
        releases: &[(0, "6.5")],
        linux_6_1: None,
        linux_6_18: Some(0),
        c_only: &[],
    },
    Entry {
        file: "clone_args.toml",
        structs: &["clone_args"],
        header: "linux/sched.h",
        entry: "clone3(2)",
        negotiation: "size argument, `CLONE_ARGS_SIZE_VER*`",
        releases: &[(0, "5.3"), (1, "5.5"), (2, "5.7")],
        linux_6_1: Some(2),
        linux_6_18: Some(2),
        c_only: &[],
    },
    Entry {
        file: "coredump_req.toml",
        structs: &["coredump_req", "coredump_ack"],
        header: "linux/coredump.h",
        entry: "the coredump socket (`core_pattern` `@@`)",
        negotiation: "sizes in the messages, `COREDUMP_*_SIZE_VER*`; `COREDUMP_*` mask",
        releases: &[(0, "6.17")],
        linux_6_1: None,
        linux_6_18: Some(0),
        c_only: &[],
    },
    Entry {
        file: "epoll_params.toml",
        structs: &["epoll_params"],
        header: "linux/eventpoll.h",
        entry: "ioctl(EPIOCSPARAMS, EPIOCGPARAMS)",
        negotiation: "fixed size (in the ioctl number); `__pad` must be 0",
        releases: &[(0, "6.9")],
        linux_6_1: None,
        linux_6_18: Some(0),
        c_only: &[],
    },
    Entry {
        file: "file_attr.toml",
        structs: &["file_attr"],
        header: "linux/fs.h",
        entry: "file_getattr(2), file_setattr(2)",
        negotiation: "size argument, `FILE_ATTR_SIZE_VER0`",
        releases: &[(0, "6.17"), (1, "7.0"), (2, "7.2")],
        linux_6_1: None,
        linux_6_18: Some(0),
        c_only: &[],
    },
    Entry {
        file: "futex_waitv.toml",
        structs: &["futex_waitv"],
        header: "linux/futex.h",
        entry: "futex_waitv(2)",
        negotiation: "fixed size (array elements); `__reserved` must be 0",
        releases: &[(0, "5.16"), (1, "6.7"), (2, "6.16")],
        linux_6_1: Some(0),
        linux_6_18: Some(2),
        c_only: &[],
    },
    Entry {
        file: "landlock_net_port_attr.toml",
        structs: &["landlock_net_port_attr"],
        header: "linux/landlock.h",
        entry: "landlock_add_rule(2), LANDLOCK_RULE_NET_PORT",
        negotiation: "fixed size; Landlock ABI version",
        releases: &[(4, "6.7"), (10, "7.2")],
        linux_6_1: None,
        linux_6_18: Some(7),
        c_only: &[],
    },
    Entry {
        file: "landlock_path_beneath_attr.toml",
        structs: &["landlock_path_beneath_attr"],
        header: "linux/landlock.h",
        entry: "landlock_add_rule(2), LANDLOCK_RULE_PATH_BENEATH",
        negotiation: "fixed size (packed); Landlock ABI version",
        releases: &[
            (1, "5.13"),
            (2, "5.19"),
            (3, "6.2"),
            (5, "6.10"),
            (9, "7.1"),
        ],
        linux_6_1: Some(2),
        linux_6_18: Some(7),
        c_only: &[],
    },
    Entry {
        file: "landlock_ruleset_attr.toml",
        structs: &["landlock_ruleset_attr"],
        header: "linux/landlock.h",
        entry: "landlock_create_ruleset(2)",
        negotiation: "size argument; Landlock ABI version",
        releases: &[(1, "5.13"), (4, "6.7"), (6, "6.12")],
        linux_6_1: Some(2),
        linux_6_18: Some(6),
        c_only: &[],
    },
    Entry {
        file: "lsm_ctx.toml",
        structs: &["lsm_ctx"],
        header: "linux/lsm.h",
        entry: "lsm_get_self_attr(2), lsm_set_self_attr(2)",
        negotiation: "each element carries its length (`len`)",
        releases: &[(0, "6.8"), (1, "6.9"), (2, "6.12")],
        linux_6_1: None,
        linux_6_18: Some(2),
        c_only: &[],
    },
    Entry {
        file: "mnt_id_req.toml",
        structs: &["mnt_id_req"],
        header: "linux/mount.h",
        entry: "statmount(2), listmount(2)",
        negotiation: "size member, `MNT_ID_REQ_SIZE_VER*`",
        releases: &[(0, "6.8"), (1, "6.11"), (2, "6.18")],
        linux_6_1: None,
        linux_6_18: Some(2),
        c_only: &[],
    },
    Entry {
        file: "mnt_ns_info.toml",
        structs: &["mnt_ns_info"],
        header: "linux/nsfs.h",
        entry: "ioctl(NS_MNT_GET_INFO, NS_MNT_GET_NEXT, NS_MNT_GET_PREV)",
        negotiation: "size in the ioctl number, `MNT_NS_INFO_SIZE_VER0`",
        releases: &[(0, "6.12")],
        linux_6_1: None,
        linux_6_18: Some(0),
        c_only: &[],
    },
    Entry {
        file: "mount_attr.toml",
        structs: &["mount_attr"],
        header: "linux/mount.h",
        entry: "mount_setattr(2)",
        negotiation: "size argument, `MOUNT_ATTR_SIZE_VER0`",
        releases: &[(0, "5.12")],
        linux_6_1: Some(0),
        linux_6_18: Some(0),
        c_only: &[],
    },
    Entry {
        file: "open_how.toml",
        structs: &["open_how"],
        header: "linux/openat2.h",
        entry: "openat2(2)",
        negotiation: "size argument, `OPEN_HOW_SIZE_VER0`",
        releases: &[(0, "5.6")],
        linux_6_1: Some(0),
        linux_6_18: Some(0),
        c_only: &[],
    },
    Entry {
        file: "perf_event_attr.toml",
        structs: &["perf_event_attr"],
        header: "linux/perf_event.h",
        entry: "perf_event_open(2)",
        negotiation: "size member, `PERF_ATTR_SIZE_VER*`",
        releases: &[
            (0, "2.6.31"),
            (1, "2.6.33"),
            (2, "2.6.35"),
            (3, "2.6.36"),
            (4, "2.6.38"),
            (5, "2.6.39"),
            (6, "3.2"),
            (7, "3.4"),
            (8, "3.7"),
            (9, "3.16"),
            (10, "3.19"),
            (11, "4.1"),
            (12, "4.3"),
            (13, "4.6"),
            (14, "4.8"),
            (15, "4.11"),
            (16, "4.17"),
            (17, "5.0"),
            (18, "5.4"),
            (19, "5.5"),
            (20, "5.7"),
            (21, "5.8"),
            (22, "5.12"),
            (23, "5.13"),
            (24, "6.3"),
            (25, "6.13"),
            (26, "6.19"),
        ],
        linux_6_1: Some(23),
        linux_6_18: Some(25),
        c_only: &[],
    },
    Entry {
        file: "pidfd_info.toml",
        structs: &["pidfd_info"],
        header: "linux/pidfd.h",
        entry: "ioctl(PIDFD_GET_INFO)",
        negotiation: "size in the ioctl number, `PIDFD_INFO_SIZE_VER*`; `mask` of filled fields",
        releases: &[
            (0, "6.13"),
            (1, "6.15"),
            (2, "6.16"),
            (3, "6.19"),
            (4, "7.1"),
        ],
        linux_6_1: None,
        linux_6_18: Some(2),
        c_only: &[],
    },
    Entry {
        file: "pm_scan_arg.toml",
        structs: &["pm_scan_arg", "page_region"],
        header: "linux/fs.h",
        entry: "ioctl(PAGEMAP_SCAN)",
        negotiation: "size member, which must equal sizeof (96)",
        releases: &[(0, "6.7"), (1, "6.8"), (2, "6.16")],
        linux_6_1: None,
        linux_6_18: Some(2),
        c_only: &[],
    },
    Entry {
        file: "procmap_query.toml",
        structs: &["procmap_query"],
        header: "linux/fs.h",
        entry: "ioctl(PROCMAP_QUERY)",
        negotiation: "size member (copy_struct_from_user)",
        releases: &[(0, "6.11")],
        linux_6_1: None,
        linux_6_18: Some(0),
        c_only: &[],
    },
    Entry {
        file: "ptrace_syscall_info.toml",
        structs: &["ptrace_syscall_info"],
        header: "linux/ptrace.h",
        entry: "ptrace(PTRACE_GET_SYSCALL_INFO, PTRACE_SET_SYSCALL_INFO)",
        negotiation: "buffer size argument; the kernel returns the end of the op's member",
        releases: &[(0, "5.3"), (1, "6.16")],
        linux_6_1: Some(0),
        linux_6_18: Some(1),
        c_only: &[],
    },
    Entry {
        file: "rseq.toml",
        structs: &["rseq", "rseq_cs"],
        header: "linux/rseq.h",
        entry: "rseq(2)",
        negotiation: "length argument; AT_RSEQ_FEATURE_SIZE, AT_RSEQ_ALIGN",
        releases: &[(0, "4.18"), (1, "6.3"), (2, "7.0")],
        linux_6_1: Some(0),
        linux_6_18: Some(1),
        c_only: &["end"],
    },
    Entry {
        file: "sched_attr.toml",
        structs: &["sched_attr"],
        header: "linux/sched/types.h",
        entry: "sched_setattr(2), sched_getattr(2)",
        negotiation: "size member, `SCHED_ATTR_SIZE_VER*`",
        releases: &[(0, "3.14"), (1, "5.3")],
        linux_6_1: Some(1),
        linux_6_18: Some(1),
        c_only: &[],
    },
    Entry {
        file: "seccomp_notif_addfd.toml",
        structs: &["seccomp_notif_addfd"],
        header: "linux/seccomp.h",
        entry: "ioctl(SECCOMP_IOCTL_NOTIF_ADDFD)",
        negotiation: "size in the ioctl number, `SECCOMP_NOTIFY_ADDFD_SIZE_VER0`",
        releases: &[(0, "5.9"), (1, "5.14")],
        linux_6_1: Some(1),
        linux_6_18: Some(1),
        c_only: &[],
    },
    Entry {
        file: "statmount.toml",
        structs: &["statmount"],
        header: "linux/mount.h",
        entry: "statmount(2)",
        negotiation:
            "buffer size argument; `mask` of filled fields; reserved tail claimed in place",
        releases: &[(0, "6.8"), (1, "6.11"), (2, "6.13"), (3, "6.15")],
        linux_6_1: None,
        linux_6_18: Some(3),
        c_only: &[],
    },
    Entry {
        file: "uffdio_api.toml",
        structs: &["uffdio_api"],
        header: "linux/userfaultfd.h",
        entry: "ioctl(UFFDIO_API)",
        negotiation: "`UFFD_FEATURE_*` bits in and out; fixed size",
        releases: &[
            (0, "4.3"),
            (1, "4.11"),
            (2, "4.14"),
            (3, "5.13"),
            (4, "5.14"),
            (5, "5.18"),
            (6, "5.19"),
            (7, "6.4"),
            (8, "6.6"),
            (9, "6.7"),
            (10, "6.8"),
        ],
        linux_6_1: Some(6),
        linux_6_18: Some(10),
        c_only: &[],
    },
    Entry {
        file: "xattr_args.toml",
        structs: &["xattr_args"],
        header: "linux/xattr.h",
        entry: "setxattrat(2), getxattrat(2)",
        negotiation: "size argument, `XATTR_ARGS_SIZE_VER0`",
        releases: &[(0, "6.13")],
        linux_6_1: None,
        linux_6_18: Some(0),
        c_only: &[],
    },
];

/// The specs that `docs/linux.md` draws, with the `layout` arguments.
const PICTURES: &[(&str, &str, &[&str])] = &[
    (
        "pidfd_info.toml",
        "pidfd_info",
        &["--struct", "pidfd_info", "--version", "all"],
    ),
    (
        "ptrace_syscall_info.toml",
        "ptrace_syscall_info-i386",
        &[
            "--struct",
            "ptrace_syscall_info",
            "--target",
            "i386",
            "--version",
            "all",
        ],
    ),
];

const DEBIAN_VMLINUX: &str = "benches/data/usr/lib/debug/boot/vmlinux-6.1.0-57-amd64";

fn spec_path(file: &str) -> PathBuf {
    root().join("examples/linux").join(file)
}

fn load(file: &str) -> Spec {
    abi_spec::load(&spec_path(file)).unwrap_or_else(|e| panic!("{}", e.render(false)))
}

/// The layout of a struct at a version on a target, as (size, fields by
/// name, offset and size): what `verify` can tell apart.
fn shape(spec: &Spec, name: &str, target: Target, version: u32) -> Option<Vec<(String, u64, u64)>> {
    let index = spec.struct_index(name)?;
    let layout = spec.layout(index, target, version)?;
    let mut shape = vec![("sizeof".to_string(), layout.size, layout.align)];
    for placed in &layout.fields {
        let field = &spec.structs[index].fields[placed.index];
        let name = if placed.placeholder || field.reserved {
            "(reserved)".to_string()
        } else {
            field.name.clone()
        };
        shape.push((name, placed.offset, placed.size));
    }
    Some(shape)
}

/// True when `found` is `expected`, or lays out like it on x86_64: the
/// versions a binary cannot tell apart (flag values added, reserved bytes
/// named) are all "implemented".
fn same_layout(spec: &Spec, name: &str, expected: u32, found: u32) -> bool {
    found == expected
        || shape(spec, name, Target::X86_64, expected) == shape(spec, name, Target::X86_64, found)
}

#[test]
fn the_catalog_lists_every_linux_spec_once() {
    let mut files: Vec<String> = std::fs::read_dir(root().join("examples/linux"))
        .expect("examples/linux")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".toml"))
        .collect();
    files.sort();
    let listed: Vec<String> = CATALOG.iter().map(|e| e.file.to_string()).collect();
    assert_eq!(
        files, listed,
        "examples/linux/ and CATALOG (sorted by file)"
    );
    for e in CATALOG {
        let spec = load(e.file);
        let versions: Vec<u32> = spec.versions().collect();
        for s in e.structs {
            assert!(spec.struct_index(s).is_some(), "{}: no struct {s}", e.file);
        }
        for (v, _) in e.releases {
            assert!(versions.contains(v), "{}: no version {v}", e.file);
        }
        assert_eq!(
            e.releases.first().map(|r| r.0),
            versions.first().copied(),
            "{}",
            e.file
        );
        assert_eq!(
            e.releases.last().map(|r| r.0),
            versions.last().copied(),
            "{}",
            e.file
        );
        for v in [e.linux_6_1, e.linux_6_18].into_iter().flatten() {
            assert!(versions.contains(&v), "{}: no version {v}", e.file);
        }
    }
}

/// `abi-check check --strict-waivers` passes every spec: no finding above
/// info, except those a waiver accepts with its reason.
#[test]
fn every_catalog_spec_checks_clean() {
    for e in CATALOG {
        let path = format!("examples/linux/{}", e.file);
        let o = run(&["check", &path, "--strict-waivers", "--format", "json"]);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{path}: {}{}",
            stdout(&o),
            stderr(&o)
        );
        let v = json(&o);
        let loud: Vec<String> = v["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter(|f| f["severity"] != "info" && f["waived"] != true)
            .map(|f| format!("{}: {}", f["rule"], f["message"]))
            .collect();
        assert!(loud.is_empty(), "{path}:\n{}", loud.join("\n"));
    }
}

/// One `verify` run of a catalog struct: the version it implements and
/// the findings above info, or the error.
fn verify(e: &Entry, name: &str, binary: &[&str]) -> Result<(Option<u32>, Vec<String>), String> {
    let path = format!("examples/linux/{}", e.file);
    let mut args = vec![
        "verify",
        path.as_str(),
        "--struct",
        name,
        "--format",
        "json",
    ];
    args.extend_from_slice(binary);
    let o = run(&args);
    if o.status.code() == Some(2) {
        return Err(stderr(&o));
    }
    let v = json(&o);
    let row = v["binaries"]
        .as_array()
        .and_then(|rows| rows.iter().find(|r| r["struct"] == name))
        .unwrap_or_else(|| panic!("{path}: no row for {name}: {v}"));
    let findings = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["waived"] != true)
        .filter(|f| {
            !(f["severity"] == "info"
                && f["rule"] == "FIELD_ADDED"
                && e.c_only.iter().any(|m| f["field"] == *m))
        })
        .map(|f| format!("{} {}: {}", f["severity"], f["rule"], f["message"]))
        .collect();
    Ok((row["implements"].as_u64().map(|n| n as u32), findings))
}

/// Checks every struct of the catalog against one kernel: the version it
/// implements, with no finding at all, or no definition where the kernel
/// has none. Returns the table it printed.
fn verify_kernel(binary: &[&str], expected: impl Fn(&Entry) -> Option<u32>) -> String {
    let mut table = String::new();
    let mut failures = Vec::new();
    for e in CATALOG {
        let spec = load(e.file);
        for name in e.structs {
            let got = verify(e, name, binary);
            let line = match (&got, expected(e)) {
                (Err(msg), None) if msg.contains("no definition") => "absent".to_string(),
                (Ok((Some(v), findings)), Some(want))
                    if findings.is_empty() && same_layout(&spec, name, want, *v) =>
                {
                    format!("v{want} (verify: v{v}), no finding")
                }
                (got, want) => {
                    failures.push(format!(
                        "{name} ({}): expected {want:?}, got {got:?}",
                        e.file
                    ));
                    "FAILED".to_string()
                }
            };
            table += &format!("{name:28} {line}\n");
        }
    }
    println!("{table}");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    table
}

#[test]
#[cfg_attr(
    no_debian_vmlinux,
    ignore = "needs Debian's 6.1 vmlinux (benches/vmlinux.sh)"
)]
fn verify_finds_each_version_in_debians_6_1_kernel() {
    abi_test_tools::require("debian_vmlinux");
    let vmlinux = root().join(DEBIAN_VMLINUX);
    let vmlinux = if vmlinux.is_file() {
        vmlinux
    } else {
        abi_test_tools::require("debian_vmlinux")
    };
    let path = vmlinux.display().to_string();
    verify_kernel(&["--elf", &path], |e| e.linux_6_1);
}

/// The running kernel's BTF: exactly the table's versions when it is Linux
/// 6.18; on another kernel, every struct it has must implement some version
/// with no finding.
#[test]
#[cfg_attr(no_kernel_btf, ignore = "needs /sys/kernel/btf/vmlinux")]
fn verify_finds_each_version_in_the_running_kernels_btf() {
    abi_test_tools::require("kernel_btf");
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    if release.starts_with("6.18.") || release.trim() == "6.18" {
        verify_kernel(&["--btf"], |e| e.linux_6_18);
        return;
    }
    println!("running kernel {}: versions not pinned", release.trim());
    for e in CATALOG {
        for name in e.structs {
            match verify(e, name, &["--btf"]) {
                Err(msg) => assert!(msg.contains("no definition"), "{name}: {msg}"),
                Ok((v, findings)) => {
                    assert!(
                        v.is_some() && findings.is_empty(),
                        "{name}: {v:?} {findings:?}"
                    )
                }
            }
        }
    }
}

/// `abi-check import` of the installed uapi headers (Linux 6.1), for every
/// catalog struct they declare: on x86_64 and i386, each imported struct
/// lays out as the spec's version that Linux 6.1 implements, member by
/// member, and the headers declare exactly the structs the table says 6.1
/// has.
#[test]
#[cfg_attr(
    any(no_gcc, no_uapi_headers),
    ignore = "needs gcc and the Linux uapi headers"
)]
fn the_installed_uapi_headers_import_as_the_6_1_versions() {
    abi_test_tools::require("gcc");
    abi_test_tools::require("uapi_headers");
    let mut compared = 0;
    for e in CATALOG {
        let spec = load(e.file);
        let header = Path::new("/usr/include").join(e.header);
        let text = std::fs::read_to_string(&header).unwrap_or_default();
        for name in e.structs {
            let declared = text.contains(&format!("struct {name} {{"));
            assert_eq!(
                declared,
                e.linux_6_1.is_some(),
                "{name}: {} declares it: {declared}; the table says Linux 6.1 has it: {}",
                header.display(),
                e.linux_6_1.is_some()
            );
            let Some(version) = e.linux_6_1 else { continue };
            let o = run(&[
                "import",
                e.header,
                "--struct",
                name,
                "--target",
                "x86_64,i386",
            ]);
            assert_eq!(o.status.code(), Some(0), "{name}: {}", stderr(&o));
            let imported = abi_spec::parse("imported.toml", &stdout(&o))
                .unwrap_or_else(|err| panic!("{name}: {}", err.render(false)));
            for target in [Target::X86_64, Target::I386] {
                let ours = flat_members(&spec, name, target, version);
                let theirs = flat_members(&imported, name, target, imported.abi.version);
                assert_eq!(
                    ours, theirs,
                    "{name} on {target}: version {version} of {} against {}",
                    e.file, e.header
                );
                compared += 1;
            }
        }
    }
    assert!(compared >= 10, "only {compared} comparisons");
}

/// A layout as C names it: sizeof, alignment and each named member's
/// offset and size, looking through anonymous members, reserved bytes
/// left out (their names differ: `pad` in C, `reserved` here).
fn flat_members(spec: &Spec, name: &str, target: Target, version: u32) -> Vec<(String, u64, u64)> {
    let index = spec
        .struct_index(name)
        .unwrap_or_else(|| panic!("no struct {name}"));
    let layout = spec
        .layout(index, target, version)
        .unwrap_or_else(|| panic!("{name}: no layout of version {version} on {target}"));
    let mut out = vec![("sizeof".to_string(), layout.size, layout.align)];
    flatten(spec, index, target, version, 0, "", &mut out);
    out.sort();
    out
}

fn flatten(
    spec: &Spec,
    index: usize,
    target: Target,
    version: u32,
    base: u64,
    prefix: &str,
    out: &mut Vec<(String, u64, u64)>,
) {
    let Some(layout) = spec.layout(index, target, version) else {
        return;
    };
    for placed in &layout.fields {
        let field = &spec.structs[index].fields[placed.index];
        if placed.placeholder || field.reserved || reserved_name(&field.name) {
            continue;
        }
        let offset = base + placed.offset;
        let inner = match &field.ty {
            abi_spec::Type::Struct(inner) => spec.struct_index(inner),
            _ => None,
        };
        match inner {
            Some(inner) if field.unnamed => {
                flatten(spec, inner, target, version, offset, prefix, out)
            }
            Some(inner) => {
                out.push((format!("{prefix}{}", field.name), offset, placed.size));
                let nested = format!("{prefix}{}.", field.name);
                flatten(spec, inner, target, version, offset, &nested, out);
            }
            None => out.push((format!("{prefix}{}", field.name), offset, placed.size)),
        }
    }
}

/// Names Linux gives reserved bytes, which an imported spec keeps as
/// members.
fn reserved_name(name: &str) -> bool {
    let bare = name.trim_start_matches('_');
    ["pad", "reserved", "spare"]
        .iter()
        .any(|p| bare.starts_with(p))
}

/// The pidfd_info of Linux 7.1 without the waiver: `check` refuses it for
/// moving supported_mask, as the kernel did.
#[test]
fn the_7_1_pidfd_info_move_is_caught() {
    let o = run(&[
        "check",
        "tests/fixtures/linux/pidfd_info-7.1.toml",
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let v = json(&o);
    let moved: Vec<&serde_json::Value> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["rule"] == "FIELD_MOVED")
        .collect();
    assert_eq!(moved.len(), 1, "{v:#}");
    assert_eq!(moved[0]["field"], "supported_mask");
    assert!(
        moved[0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("from offset 72 to offset 80")),
        "{}",
        moved[0]["message"]
    );
}

// ---------------------------------------------------------------- docs

/// sizeof of a struct at a version on each target, grouped: the common
/// size first, then the others with their targets.
fn sizes(spec: &Spec, name: &str, version: u32) -> String {
    let index = spec.struct_index(name).expect("struct");
    let mut by_size: BTreeMap<u64, Vec<&'static str>> = BTreeMap::new();
    for &target in &spec.abi.targets {
        if let Some(l) = spec.layout(index, target, version) {
            by_size.entry(l.size).or_default().push(target.name());
        }
    }
    let mut groups: Vec<(u64, Vec<&str>)> = by_size.into_iter().collect();
    groups.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(&b.0)));
    let mut text = groups
        .first()
        .map(|(s, _)| s.to_string())
        .unwrap_or_else(|| "-".into());
    if groups.len() > 1 {
        let others: Vec<String> = groups[1..]
            .iter()
            .map(|(s, t)| format!("{s} on {}", t.join(", ")))
            .collect();
        text += &format!(" ({})", others.join("; "));
    }
    text
}

/// The release of a version: its own, or "as X" when the struct did not
/// change in it (a Landlock ABI version that added nothing here).
fn release_of(e: &Entry, version: u32) -> String {
    e.releases
        .iter()
        .rev()
        .find(|(v, _)| *v <= version)
        .map(|(v, r)| {
            if *v == version {
                r.to_string()
            } else {
                format!("as {r}")
            }
        })
        .unwrap_or_default()
}

fn cell(e: &Entry, v: Option<u32>) -> String {
    match v {
        None => "absent".into(),
        Some(v) => format!("v{v} ({})", release_of(e, v)),
    }
}

/// Text for a Markdown table or paragraph: `<linux/x.h>` would be read as
/// HTML.
fn escape(text: &str) -> String {
    text.replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('|', "\\|")
}

/// The page, from the catalog and the specs.
fn catalog_markdown() -> String {
    let mut md = String::from(
        "<!-- Generated by abi-check/tests/linux_catalog.rs: \
         UPDATE_DOCS=1 cargo test -p abi-check --test linux_catalog -->\n\n\
         # The Linux catalog\n\n\
         Every spec under [`examples/linux/`](../examples/linux/) describes one Linux ABI \
         that user space passes by size or grows in place, with its whole history: one \
         version per kernel release that changed it (or per size version where Linux \
         names them), Linux's own C names, and waivers, with the kernel release, where \
         Linux really broke a rule. Each spec is checked by \
         [`abi-check/tests/linux_catalog.rs`](../abi-check/tests/linux_catalog.rs) against \
         `abi-check check --strict-waivers`, against Debian's Linux 6.1 (DWARF), the \
         running kernel's BTF (Linux 6.18 here) and the installed uapi headers (Linux \
         6.1, through `abi-check import`).\n\n\
         ## The structs\n\n\
         | struct | header | used by | negotiated by | versions (Linux) | Linux 6.1 | Linux 6.18 |\n\
         | --- | --- | --- | --- | --- | --- | --- |\n",
    );
    for e in CATALOG {
        let releases: Vec<String> = e
            .releases
            .iter()
            .map(|(v, r)| format!("v{v}: {r}"))
            .collect();
        md += &format!(
            "| [`{}`](#{}) | `<{}>` | {} | {} | {} | {} | {} |\n",
            e.structs.join("`, `"),
            e.file.trim_end_matches(".toml"),
            e.header,
            e.entry,
            e.negotiation,
            releases.join(", "),
            cell(e, e.linux_6_1),
            cell(e, e.linux_6_18),
        );
    }
    md += "\nThe Linux 6.1 and 6.18 columns say which version each kernel implements; \
           `verify` finds it there with no finding, or finds no such struct (absent). Many \
           versions add no member, only values (flags, feature bits, access rights), which \
           a binary's layout cannot show: `verify` then names the newest version of the same \
           layout, and the test accepts any version that lays out as the expected one. \
           \"as 6.10\" marks a version numbered by another counter (the Landlock ABI) in \
           which this struct did not change.\n\n\
           ## Mistakes the rules catch\n\n\
           - **rseq, Linux 7.0 pre-release**: a feature size of 32, which glibc 2.35-2.39 \
           already registered with 20 bytes live: FEATURE_SIZE_AMBIGUOUS \
           ([fixture](../tests/fixtures/rseq-7.0-prerelease.toml)). The release made it 33.\n\
           - **pidfd_info, Linux 7.1**: coredump_code and coredump_pad went into the \
           anonymous struct in front of `supported_mask`, released at offset 72 by 6.19 and \
           7.0, which moved to 80: FIELD_MOVED ([fixture](../tests/fixtures/linux/pidfd_info-7.1.toml); \
           the spec waives it, naming commit 701f7f4fbabb).\n\
           - **pidfd_info, Linux 6.16**: the struct grew to 72 bytes without a \
           `PIDFD_INFO_SIZE_VER1`, which 6.19 added (and 6.18.2 backported); `size_macro` \
           names it from the layouts.\n\
           - **ptrace_syscall_info, Linux 5.3**: plain `__u64` members made the struct 84 \
           bytes on i386, sh4 and m68k and 88 elsewhere (TARGET_LAYOUT_DIVERGES, waived: the \
           kernel returns the end of the member in use, never sizeof); 6.16's `reserved2` \
           made it 88 everywhere.\n\
           - **pm_scan_arg, Linux 6.7**: a `size` member that must equal sizeof: versioned \
           in form only, it cannot grow without a kernel change first.\n\n\
           ## Pictures\n\n\
           [pidfd_info, every version on x86_64](linux/pidfd_info.svg): supported_mask at \
           72 in v3, at 80 in v4. \
           [ptrace_syscall_info on i386](linux/ptrace_syscall_info-i386.svg): 84 bytes in \
           v0, 88 in v1.\n\n\
           ![pidfd_info](linux/pidfd_info.svg)\n\n\
           ## Each spec\n";
    for e in CATALOG {
        let spec = load(e.file);
        md += &format!(
            "\n### {}\n\n[`examples/linux/{}`](../examples/linux/{}): {}\n\n",
            e.file.trim_end_matches(".toml"),
            e.file,
            e.file,
            escape(spec.abi.doc.as_deref().unwrap_or_default())
        );
        md += "| version | Linux |";
        for s in e.structs {
            md += &format!(" sizeof `{s}` |");
        }
        md += "\n| --- | --- |";
        for _ in e.structs.iter() {
            md += " --- |";
        }
        md += "\n";
        for v in spec.versions() {
            md += &format!("| {v} | {} |", release_of(e, v));
            for s in e.structs {
                md += &format!(" {} |", sizes(&spec, s, v));
            }
            md += "\n";
        }
    }
    md
}

fn svg(args: &[&str], file: &str) -> String {
    let path = format!("examples/linux/{file}");
    let mut all = vec!["layout", path.as_str(), "--format", "svg"];
    all.extend_from_slice(args);
    let o = run(&all);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    stdout(&o)
}

#[test]
fn docs_linux_md_is_generated_from_the_catalog() {
    let update = std::env::var_os("UPDATE_DOCS").is_some();
    let mut stale = Vec::new();
    let mut files = vec![("docs/linux.md".to_string(), catalog_markdown())];
    for (file, picture, args) in PICTURES {
        files.push((format!("docs/linux/{picture}.svg"), svg(args, file)));
    }
    for (path, expected) in files {
        let full = root().join(&path);
        if update {
            if let Some(dir) = full.parent() {
                std::fs::create_dir_all(dir).expect("docs dir");
            }
            std::fs::write(&full, &expected).expect("write docs");
        }
        if std::fs::read_to_string(&full).unwrap_or_default() != expected {
            stale.push(path);
        }
    }
    assert!(
        stale.is_empty(),
        "{} out of date: run `UPDATE_DOCS=1 cargo test -p abi-check --test linux_catalog`",
        stale.join(", ")
    );
}
