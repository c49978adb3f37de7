//! `abi-check dump --btf` and `verify --btf` on the running kernel's BTF,
//! on BTF this test writes (hostile names), and on the hostile corpus
//! tests/bad-btf/ (written by its make.py): each exits 2 naming the file,
//! with the text of its `.expect`, never a panic.

mod common;

use std::path::{Path, PathBuf};

use abi_dwarf::btf_writer::BtfWriter;
use common::{json, root, run, stderr, stdout};

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("abi-check-btf-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

const KERNEL: &str = "/sys/kernel/btf/vmlinux";

/// The five extensible structs of examples/linux/, read from the running
/// kernel: each implements a version of its spec with no mismatch. BTF
/// records no alignment: `rseq` (aligned to 32 in the kernel) reads as
/// 8-aligned, and verify takes the spec's 32, saying so on stderr.
#[test]
#[cfg_attr(no_kernel_btf, ignore = "needs /sys/kernel/btf/vmlinux")]
fn verify_btf_finds_the_running_kernels_versions() {
    abi_test_tools::require("kernel_btf");
    for name in ["rseq", "clone_args", "open_how", "sched_attr", "mount_attr"] {
        let spec = format!("examples/linux/{name}.toml");
        let out = run(&["verify", &spec, "--btf", "--format", "json"]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{name}: {}{}",
            stdout(&out),
            stderr(&out)
        );
        let v = json(&out);
        let binaries = v["binaries"].as_array().expect("binaries");
        let row = binaries
            .iter()
            .find(|b| b["struct"] == name)
            .unwrap_or_else(|| panic!("no row for {name}: {v}"));
        assert_eq!(row["file"], KERNEL);
        assert_eq!(row["mismatches"], 0, "{name}: {v}");
        assert!(
            row["implements"].is_u64(),
            "{name} implements no version: {v}"
        );
        if name == "rseq" {
            assert!(
                stderr(&out).contains("BTF records no alignment"),
                "{}",
                stderr(&out)
            );
        }
    }
}

/// dump --btf prints what pahole prints for the same file: sizes and
/// offsets (pahole is the second reader).
#[test]
#[cfg_attr(no_kernel_btf, ignore = "needs /sys/kernel/btf/vmlinux")]
#[cfg_attr(no_pahole, ignore = "needs pahole")]
fn dump_btf_agrees_with_pahole_on_the_running_kernel() {
    abi_test_tools::require("kernel_btf");
    let names = "rseq,clone_args,open_how,sched_attr,mount_attr";
    let out = run(&[
        "dump", "--btf", KERNEL, "--struct", names, "--format", "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v = json(&out);
    assert_eq!(v["format"], "BTF");
    let pahole = std::process::Command::new(abi_test_tools::require("pahole"))
        .args(["-C", names, KERNEL])
        .output()
        .expect("pahole runs");
    let text = String::from_utf8_lossy(&pahole.stdout);
    for layout in v["layouts"].as_array().expect("layouts") {
        let name = layout["struct"].as_str().expect("name");
        let block: String = text
            .split("\n};")
            .find(|b| b.contains(&format!("struct {name} {{")))
            .unwrap_or_else(|| panic!("pahole has no {name}"))
            .to_string();
        assert!(
            block.contains(&format!("/* size: {},", layout["size"])),
            "{name}: {block}"
        );
        for field in layout["fields"].as_array().expect("fields") {
            let line = block
                .lines()
                .find(|l| {
                    l.split(|c: char| !c.is_alphanumeric() && c != '_')
                        .any(|w| w == field["name"])
                })
                .unwrap_or_else(|| panic!("pahole has no {name}.{}", field["name"]));
            let numbers: Vec<&str> = line
                .rsplit("/*")
                .next()
                .unwrap_or_default()
                .split_whitespace()
                .collect();
            assert_eq!(numbers[0], field["offset"].to_string(), "{name}: {line}");
            assert_eq!(numbers[1], field["size"].to_string(), "{name}: {line}");
        }
    }
    // A BTF file given to --elf is recognised by its magic.
    let elf = run(&["dump", "--elf", KERNEL, "--struct", "open_how"]);
    assert_eq!(elf.status.code(), Some(0), "{}", stderr(&elf));
    assert!(stdout(&elf).contains("(BTF)"), "{}", stdout(&elf));
    // And a copy of it, which is no sysfs file.
    let dir = scratch("copy");
    let copy = dir.join("vmlinux.btf");
    std::fs::copy(KERNEL, &copy).expect("copy");
    let out = run(&[
        "dump",
        "--elf",
        &copy.display().to_string(),
        "--struct",
        "open_how",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

/// A spec written from the kernel's BTF checks clean and lays out as read.
#[test]
#[cfg_attr(no_kernel_btf, ignore = "needs /sys/kernel/btf/vmlinux")]
fn dump_btf_toml_checks_clean() {
    abi_test_tools::require("kernel_btf");
    let dir = scratch("toml");
    let out = run(&[
        "dump", "--btf", KERNEL, "--struct", "statx", "--format", "toml",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let body = stdout(&out);
    // One nested type, one spec struct (not statx_timestamp_2, _3, _4).
    assert_eq!(
        body.matches("name = \"statx_timestamp\"").count(),
        1,
        "{body}"
    );
    assert!(!body.contains("statx_timestamp_2"), "{body}");
    let spec = dir.join("statx.toml");
    std::fs::write(&spec, &body).expect("write");
    let check = run(&["check", &spec.display().to_string()]);
    assert_eq!(
        check.status.code(),
        Some(0),
        "{}{}",
        stdout(&check),
        stderr(&check)
    );
}

/// BTF whose names are hostile: control characters, `*/`, a newline
/// followed by a TOML table, a name of 100,000 characters. Neither the
/// text nor the spec written may carry them raw.
#[test]
fn hostile_btf_names_are_escaped_and_cut() {
    let mut w = BtfWriter::new(false);
    let u32_t = w.int("unsigned int", 4, 0, 32);
    let long = "x".repeat(100_000);
    w.aggregate(
        false,
        "s",
        16,
        false,
        &[
            ("a\n[[waiver]]\nrule = \"FIELD_REMOVED\"", u32_t, 0, 0),
            ("b */ int injected; /*", u32_t, 32, 0),
            ("c\u{1b}[2J\u{202e}", u32_t, 64, 0),
            (&long, u32_t, 96, 0),
        ],
    );
    let dir = scratch("hostile");
    let file = dir.join("hostile.btf");
    std::fs::write(&file, w.finish()).expect("write");
    let file = file.display().to_string();
    let text = run(&["dump", "--btf", &file, "--struct", "s"]);
    assert_eq!(text.status.code(), Some(0), "{}", stderr(&text));
    let t = stdout(&text);
    assert!(!t.contains('\u{1b}') && !t.contains('\u{202e}'), "{t:?}");
    assert!(t.contains("a\\n[[waiver]]"), "{t}");
    assert!(t.contains("b *\\/ int injected; /*"), "{t}");
    assert!(t.lines().all(|l| l.len() < 400), "a line too long");
    assert!(t.contains("more characters)"), "{t}");
    let toml = run(&["dump", "--btf", &file, "--struct", "s", "--format", "toml"]);
    assert_eq!(toml.status.code(), Some(0), "{}", stderr(&toml));
    let body = stdout(&toml);
    assert!(!body.contains("\n[[waiver]]"), "{body}");
    assert!(!body.contains('\u{1b}'), "{body:?}");
    let spec = dir.join("hostile.toml");
    std::fs::write(&spec, &body).expect("write");
    let check = run(&["check", &spec.display().to_string()]);
    assert_eq!(
        check.status.code(),
        Some(0),
        "{}{}",
        stdout(&check),
        stderr(&check)
    );
    assert!(!stdout(&check).contains("waived"), "{}", stdout(&check));
}

/// The hostile corpus: exit 2, the file named, the expected message.
#[test]
fn every_bad_btf_file_exits_2_with_its_message() {
    let dir = root().join("tests/bad-btf");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/bad-btf exists")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "btf"))
        .collect();
    files.sort();
    assert!(files.len() >= 25, "only {} hostile files", files.len());
    let mut failures = Vec::new();
    for path in &files {
        let expected = std::fs::read_to_string(path.with_extension("expect"))
            .unwrap_or_else(|_| panic!("{} has no .expect", path.display()));
        let name = path.display().to_string();
        for args in [
            vec!["dump", "--btf", &name, "--struct", "s"],
            vec!["verify", "spec.toml", "--btf", &name],
        ] {
            let out = run(&args);
            let err = stderr(&out);
            let mut problems = Vec::new();
            if out.status.code() != Some(2) {
                problems.push(format!("exit {:?}", out.status.code()));
            }
            if err.contains("panicked") {
                problems.push("panicked".into());
            }
            if !err.contains(&name) {
                problems.push("does not name the file".into());
            }
            if args[0] == "dump" && !err.contains(expected.trim()) {
                problems.push(format!("lacks {:?}", expected.trim()));
            }
            if err.contains('\u{1b}') || err.lines().count() > 3 {
                problems.push("raw control characters or several lines".into());
            }
            if !problems.is_empty() {
                failures.push(format!("{args:?}: {}\n{err}", problems.join("; ")));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n---\n"));
}

/// A module's BTF under /sys/kernel/btf/ is split BTF over vmlinux's,
/// found without --btf-base (when this kernel has modules with BTF).
#[test]
#[cfg_attr(no_kernel_btf, ignore = "needs /sys/kernel/btf/vmlinux")]
fn module_btf_reads_over_vmlinux() {
    abi_test_tools::require("kernel_btf");
    let module = std::fs::read_dir("/sys/kernel/btf")
        .expect("read /sys/kernel/btf")
        .flatten()
        .map(|e| e.path())
        .find(|p| p.file_name().is_some_and(|n| n != "vmlinux"));
    let Some(module) = module else {
        eprintln!("note: this kernel has no module BTF; only vmlinux is read");
        return;
    };
    // Every module's BTF refers to vmlinux's types; list_head is in the base.
    let out = run(&[
        "dump",
        "--btf",
        &module.display().to_string(),
        "--struct",
        "list_head",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

/// `--btf-base` only makes sense with `--btf`; a directory is refused.
#[test]
fn btf_command_lines() {
    let out = run(&["dump", "--elf", "x", "--btf-base", "y", "--struct", "s"]);
    assert_eq!(out.status.code(), Some(2));
    let out = run(&["dump", "--btf", "tests", "--struct", "s"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("tests: it is a directory"),
        "{}",
        stderr(&out)
    );
    let out = run(&["dump", "--struct", "s"]);
    assert_eq!(out.status.code(), Some(2));
    let _ = Path::new(KERNEL);
}
