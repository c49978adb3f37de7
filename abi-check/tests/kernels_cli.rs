//! The Linux examples against real kernels: Debian's 6.1 vmlinux (DWARF)
//! and the running kernel's BTF. Every struct of every
//! `examples/linux/*.toml` that the kernel defines verifies with no
//! finding (a kernel older than the struct does not define it, and says
//! so); perf_event_attr, with its bitfields and anonymous unions, is the
//! version each kernel implements, named by Linux's size macro.

mod common;

use std::path::{Path, PathBuf};

use common::{json, root, run, stderr, stdout};

/// The structs every kernel here has: the test proves nothing without them.
const EVERYWHERE: [&str; 6] = [
    "clone_args",
    "sched_attr",
    "open_how",
    "mount_attr",
    "rseq",
    "perf_event_attr",
];

/// The example specs, by path from the workspace root.
fn examples() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("examples/linux"))
        .expect("examples/linux")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    assert!(!files.is_empty());
    files
}

/// The structs of a spec that C code names: not those that are only an
/// anonymous member of another.
fn named_structs(file: &Path) -> Vec<String> {
    let spec = abi_spec::load(file).unwrap_or_else(|e| panic!("{}: {e:?}", file.display()));
    let anonymous: Vec<String> = spec
        .structs
        .iter()
        .flat_map(|s| &s.fields)
        .filter(|f| f.is_anonymous_member())
        .filter_map(|f| f.ty.struct_name().map(str::to_string))
        .collect();
    spec.structs
        .iter()
        .map(|s| s.name.clone())
        .filter(|n| !anonymous.contains(n))
        .collect()
}

/// Verifies every example struct against one kernel; returns what each
/// struct implements (`None` where the kernel does not define it).
fn verify_examples(flag: &str, kernel: &str) -> Vec<(String, Option<serde_json::Value>)> {
    let mut out = Vec::new();
    for file in examples() {
        let path = file.display().to_string();
        for name in named_structs(&file) {
            let out_run = run(&[
                "verify", &path, "--struct", &name, flag, kernel, "--format", "json",
            ]);
            let code = out_run.status.code();
            if code == Some(2) && stderr(&out_run).contains("no definition of") {
                out.push((name, None));
                continue;
            }
            assert_eq!(
                code,
                Some(0),
                "{path} `{name}` against {kernel}: {}{}",
                stdout(&out_run),
                stderr(&out_run)
            );
            let v = json(&out_run);
            let findings = v["findings"].as_array().cloned().unwrap_or_default();
            let serious: Vec<&serde_json::Value> = findings
                .iter()
                .filter(|f| f["severity"] != "info")
                .collect();
            assert!(serious.is_empty(), "{path} `{name}`: {serious:?}");
            let row = v["binaries"][0].clone();
            assert_eq!(row["mismatches"], 0, "{path} `{name}`: {row}");
            assert!(row["implements"].is_u64(), "{path} `{name}`: {row}");
            out.push((name, Some(row)));
        }
    }
    for name in EVERYWHERE {
        assert!(
            out.iter().any(|(n, row)| n == name && row.is_some()),
            "{kernel} does not define `{name}`"
        );
    }
    out
}

fn row<'a>(rows: &'a [(String, Option<serde_json::Value>)], name: &str) -> &'a serde_json::Value {
    rows.iter()
        .find(|(n, _)| n == name)
        .and_then(|(_, r)| r.as_ref())
        .unwrap_or_else(|| panic!("no `{name}`"))
}

#[test]
#[cfg_attr(
    no_debian_vmlinux,
    ignore = "needs Debian's 6.1 vmlinux (benches/vmlinux.sh)"
)]
fn examples_verify_against_debian_6_1() {
    let vmlinux = abi_test_tools::require("debian_vmlinux")
        .display()
        .to_string();
    let rows = verify_examples("--elf", &vmlinux);
    let perf = row(&rows, "perf_event_attr");
    // Linux 5.13 to 6.2: version 23, 128 bytes.
    assert_eq!(perf["implements"], 23, "{perf}");
    assert_eq!(perf["size_macro"], "PERF_ATTR_SIZE_VER7", "{perf}");
    assert_eq!(perf["size"], 128, "{perf}");
    let text = run(&[
        "verify",
        "examples/linux/perf_event_attr.toml",
        "--elf",
        &vmlinux,
    ]);
    assert!(
        stdout(&text).contains("v23 of 26 (PERF_ATTR_SIZE_VER7)  128"),
        "{}",
        stdout(&text)
    );
}

#[test]
#[cfg_attr(no_kernel_btf, ignore = "needs the running kernel's BTF")]
fn examples_verify_against_the_running_kernel() {
    let btf = abi_test_tools::require("kernel_btf").display().to_string();
    let rows = verify_examples("--btf", &btf);
    let perf = row(&rows, "perf_event_attr");
    // Linux 6.13 or later (the aux_action union), before config4.
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let implements = perf["implements"].as_u64().expect("a version");
    assert!(implements >= 23, "{release}: {perf}");
    if release.starts_with("6.18") {
        assert_eq!(implements, 25, "{perf}");
        assert_eq!(perf["size_macro"], "PERF_ATTR_SIZE_VER8", "{perf}");
    }
}
