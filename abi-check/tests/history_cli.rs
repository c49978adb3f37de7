//! `abi-check dump --format toml` of several binaries: one spec, one
//! version per binary, oldest first. Small objects compiled here (three
//! versions of a struct, a reserved field claimed in the middle one), and
//! the real kernels: Debian's 6.1 vmlinux (DWARF) against the running
//! kernel's BTF. Each version must lay out as its binary.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use abi_spec::{Spec, Target};
use common::cc;
use common::{comments, run, stderr, stdout};

fn code(o: &Output) -> Option<i32> {
    o.status.code()
}

fn parsed(o: &Output) -> Spec {
    abi_spec::parse("history.toml", &stdout(o))
        .unwrap_or_else(|e| panic!("{}\n{}", e.render(false), stdout(o)))
}

/// `abi-check check` finds no input error in the spec printed.
fn checks(o: &Output, name: &str) {
    let dir = cc::scratch(name);
    let file = dir.join(format!("{name}.toml"));
    std::fs::write(&file, &o.stdout).expect("write spec");
    let check = run(&["check", &file.display().to_string()]);
    assert_ne!(code(&check), Some(2), "{}", stderr(&check));
}

const TYPES: &str = "typedef unsigned int __u32; typedef unsigned long long __u64;\n";

/// Three versions of `struct s`: version 2 claims half of version 1's
/// `__reserved[2]`, version 3 the other half and grows; `struct h` fills
/// a hole of version 1 in version 2.
const VERSIONS: [&str; 3] = [
    "struct s { __u32 a; __u32 flags; __u64 b; __u32 __reserved[2]; };\n\
     struct h { __u32 a; __u64 b; };",
    "struct s { __u32 a; __u32 flags; __u64 b; __u32 c; __u32 __reserved; };\n\
     struct h { __u32 a; __u32 c; __u64 b; };",
    "struct s { __u32 a; __u32 flags; __u64 b; __u32 c; __u32 d; __u64 e; };\n\
     struct h { __u32 a; __u32 c; __u64 b; };",
];

fn objects(dir: &Path, btf: bool) -> Vec<PathBuf> {
    VERSIONS
        .iter()
        .enumerate()
        .map(|(i, body)| {
            let source = format!("{TYPES}{body}\nstruct s vs; struct h vh;\n");
            let flags: &[&str] = if btf { &["-gbtf"] } else { &[] };
            cc::gcc_object(
                dir,
                &format!("v{}{}", i + 1, if btf { "btf" } else { "" }),
                &source,
                flags,
            )
        })
        .collect()
}

/// Version N of the spec lays out as the compiler laid out version N of
/// the C source: every C member at its `offsetof` (a reserved one on
/// reserved bytes), `sizeof` and `_Alignof` equal.
fn lays_out_as_compiled(spec: &Spec, name: &str, version: u32, source: &str, members: &[&str]) {
    let mut exprs = vec![
        format!("sizeof(struct {name})"),
        format!("_Alignof(struct {name})"),
    ];
    for m in members {
        exprs.push(format!("__builtin_offsetof(struct {name}, {m})"));
        exprs.push(format!("sizeof(((struct {name} *)0)->{m})"));
    }
    let values = cc::probe(Target::X86_64, &format!("{TYPES}{source}"), &exprs);
    let index = spec.struct_index(name).expect("struct");
    let layout = spec.layout(index, Target::X86_64, version).expect("layout");
    let def = &spec.structs[index];
    assert_eq!(
        (layout.size, layout.align),
        (values[0], values[1]),
        "{name} v{version}"
    );
    for (i, m) in members.iter().enumerate() {
        let (offset, size) = (values[2 + 2 * i], values[3 + 2 * i]);
        if m.starts_with("__reserved") {
            // Reserved bytes: reserved fields or placeholders of the spec.
            for b in offset..offset + size {
                let covered = layout.fields.iter().any(|fl| {
                    fl.offset <= b
                        && b < fl.end()
                        && (fl.placeholder || def.fields[fl.index].reserved)
                });
                assert!(
                    covered,
                    "{name} v{version}: byte {b} of `{m}` is not reserved"
                );
            }
            continue;
        }
        let field = def.fields.iter().position(|f| f.name == *m).expect(m);
        let placed = layout
            .field(field)
            .unwrap_or_else(|| panic!("{m} in v{version}"));
        assert!(!placed.placeholder, "{m} in v{version}");
        assert_eq!(
            (placed.offset, placed.size),
            (offset, size),
            "{name}.{m} v{version}"
        );
    }
}

fn members_of(body: &str, name: &str) -> Vec<String> {
    let start = body.find(&format!("struct {name} {{")).expect("struct") + name.len() + 9;
    let end = start + body[start..].find('}').expect("end");
    body[start..end]
        .split(';')
        .filter_map(|decl| {
            let last = decl.split_whitespace().last()?;
            Some(last.split('[').next().unwrap_or(last).to_string())
        })
        .collect()
}

#[test]
#[cfg_attr(no_gcc, ignore = "needs gcc")]
fn three_versions_with_a_reserved_field_claimed_in_the_middle() {
    abi_test_tools::require("gcc");
    let dir = cc::scratch("three");
    let objects = objects(&dir, false);
    let mut args = vec!["dump".to_string()];
    for o in &objects {
        args.push("--elf".into());
        args.push(o.display().to_string());
    }
    args.extend(["--struct", "s,h", "--format", "toml"].map(String::from));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = run(&args);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    let spec = parsed(&out);
    assert_eq!((spec.abi.first_version, spec.abi.version), (1, 3));
    let s = spec.struct_def("s").expect("s");
    let history = |name: &str| {
        let f = s.field(name).expect(name);
        (f.since, f.was_reserved, f.reserved)
    };
    assert_eq!(history("a"), (1, None, false));
    assert_eq!(history("b"), (1, None, false));
    assert_eq!(history("c"), (2, Some(1), false));
    assert_eq!(history("d"), (3, Some(1), false));
    assert_eq!(history("e"), (3, None, false));
    let names: Vec<&str> = s.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["a", "flags", "b", "c", "d", "e"]);
    let h = spec.struct_def("h").expect("h");
    let c = h.field("c").expect("c");
    assert_eq!((c.since, c.was_reserved), (2, Some(1)), "a hole claimed");
    let text = comments(&stdout(&out));
    assert!(
        text.contains("was_reserved: inferred: from binary 1 (version 1) to binary 2 (version 2) these bytes were reserved (`__reserved`); binary 3 (version 3) claims them"),
        "{text}"
    );
    assert!(text.contains("Version 2 is binary 2:"), "{text}");
    for (v, body) in VERSIONS.iter().enumerate() {
        for name in ["s", "h"] {
            let members = members_of(body, name);
            let members: Vec<&str> = members.iter().map(String::as_str).collect();
            lays_out_as_compiled(&spec, name, v as u32 + 1, body, &members);
        }
    }
    checks(&out, "three");
}

/// `--elf` and `--btf` together: the versions follow the command line.
#[test]
#[cfg_attr(no_gcc, ignore = "needs gcc")]
fn the_versions_follow_the_command_line_across_elf_and_btf() {
    abi_test_tools::require("gcc");
    let dir = cc::scratch("order");
    let elf = objects(&dir, false);
    let btf = objects(&dir, true);
    let out = run(&[
        "dump",
        "--btf",
        &btf[0].display().to_string(),
        "--elf",
        &elf[1].display().to_string(),
        "--btf",
        &btf[2].display().to_string(),
        "--struct",
        "s",
        "--format",
        "toml",
    ]);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    let spec = parsed(&out);
    let s = spec.struct_def("s").expect("s");
    assert_eq!(
        s.field("c").map(|f| (f.since, f.was_reserved)),
        Some((2, Some(1)))
    );
    assert_eq!(
        s.field("d").map(|f| (f.since, f.was_reserved)),
        Some((3, Some(1)))
    );
    let text = stdout(&out);
    assert!(text.contains("v1btf.o (x86_64, BTF)"), "{text}");
    assert!(text.contains("v2.o (x86_64, DWARF)"), "{text}");
    // Newest first is another history: c and d vanish, said so, exit 1.
    let out = run(&[
        "dump",
        "--elf",
        &elf[2].display().to_string(),
        "--elf",
        &elf[0].display().to_string(),
        "--struct",
        "s",
        "--format",
        "toml",
        "--first-version",
        "0",
    ]);
    assert_eq!(code(&out), Some(1), "{}", stderr(&out));
    let spec = parsed(&out);
    assert_eq!((spec.abi.first_version, spec.abi.version), (0, 1));
    let text = comments(&stdout(&out));
    assert!(
        text.contains("MAINTAINER: `s.c` (4 bytes at offset 16) of binary 1 (version 0) is gone"),
        "{text}"
    );
    assert!(
        stderr(&out).contains("warning: MAINTAINER"),
        "{}",
        stderr(&out)
    );
    checks(&out, "reversed");
}

/// A member that moves, or changes type, is said in a comment and a
/// warning, and the command exits 1; the spec still parses.
#[test]
#[cfg_attr(no_gcc, ignore = "needs gcc")]
fn moved_and_retyped_members_are_said_and_exit_1() {
    abi_test_tools::require("gcc");
    let dir = cc::scratch("moved");
    let v1 = cc::gcc_object(
        &dir,
        "m1",
        &format!("{TYPES}struct m {{ __u32 a; __u32 b; __u64 c; }} v;\n"),
        &[],
    );
    let v2 = cc::gcc_object(
        &dir,
        "m2",
        &format!("{TYPES}struct m {{ __u32 b; int a; __u64 c; }} v;\n"),
        &[],
    );
    let out = run(&[
        "dump",
        "--elf",
        &v1.display().to_string(),
        "--elf",
        &v2.display().to_string(),
        "--struct",
        "m",
        "--format",
        "toml",
    ]);
    assert_eq!(code(&out), Some(1), "{}", stderr(&out));
    let text = comments(&stdout(&out));
    assert!(text.contains("MAINTAINER: `m.b` is 4 bytes at offset 4 in binary 1 (version 1), 4 bytes at offset 0 from binary 2 (version 2): it moved"), "{text}");
    assert!(
        text.contains(
            "MAINTAINER: `m.a` is 4 bytes at offset 0 in binary 1 (version 1), 4 bytes at offset 4"
        ),
        "{text}"
    );
    parsed(&out);
    checks(&out, "moved");
    let v3 = cc::gcc_object(
        &dir,
        "m3",
        &format!("{TYPES}struct m {{ __u32 a; int b; __u64 c; }} v;\n"),
        &[],
    );
    let out = run(&[
        "dump",
        "--elf",
        &v1.display().to_string(),
        "--elf",
        &v3.display().to_string(),
        "--struct",
        "m",
        "--format",
        "toml",
    ]);
    assert_eq!(code(&out), Some(1), "{}", stderr(&out));
    let text = comments(&stdout(&out));
    assert!(
        text.contains("`m.b` is `u32` in binary 1 (version 1), `i32` from binary 2"),
        "{text}"
    );
}

/// Three versions of a flags word, Linux's way: version 2 claims a bit of
/// `__reserved_1`, version 3 two more bits and, in place of a reserved
/// `__u32`, an anonymous union whose anonymous struct holds bitfields.
const FLAGS: [&str; 3] = [
    "struct f { __u64 config; __u64 disabled:1, inherit:1, __reserved_1:62; \
     union { __u32 wakeup_events; __u32 wakeup_watermark; }; __u32 __reserved_2; };",
    "struct f { __u64 config; __u64 disabled:1, inherit:1, pinned:1, __reserved_1:61; \
     union { __u32 wakeup_events; __u32 wakeup_watermark; }; __u32 __reserved_2; };",
    "struct f { __u64 config; __u64 disabled:1, inherit:1, pinned:1, precise_ip:2, \
     __reserved_1:59; union { __u32 wakeup_events; __u32 wakeup_watermark; }; \
     union { __u32 action; struct { __u32 start_paused:1, pause:1, __reserved_3:30; }; }; };",
];

/// Bits claimed from a reserved bitfield are claims: `was_reserved`, the
/// older reserved bits kept as placeholders, so that each version lays out
/// as its binary; `abi-check verify` finds each binary's version, with no
/// finding.
#[test]
#[cfg_attr(no_gcc, ignore = "needs gcc")]
fn flags_claimed_from_a_reserved_bitfield_are_claims() {
    abi_test_tools::require("gcc");
    let dir = cc::scratch("flags");
    let objects: Vec<String> = FLAGS
        .iter()
        .enumerate()
        .map(|(i, body)| {
            let source = format!("{TYPES}{body}\nstruct f v;\n");
            cc::gcc_object(&dir, &format!("f{}", i + 1), &source, &[])
                .display()
                .to_string()
        })
        .collect();
    let mut args = vec!["dump"];
    for o in &objects {
        args.extend(["--elf", o.as_str()]);
    }
    args.extend(["--struct", "f", "--format", "toml"]);
    let out = run(&args);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    let spec = parsed(&out);
    let def = spec.struct_def("f").expect("f");
    let f = |n: &str| {
        def.field(n)
            .map(|f| (f.since, f.was_reserved, f.reserved, f.bits))
    };
    assert_eq!(f("disabled"), Some((1, None, false, Some(1))));
    assert_eq!(f("pinned"), Some((2, Some(1), false, Some(1))));
    assert_eq!(f("precise_ip"), Some((3, Some(1), false, Some(2))));
    assert_eq!(f("__reserved_1"), Some((1, None, true, Some(59))));
    let union = def
        .fields
        .iter()
        .find(|g| g.unnamed && g.was_reserved.is_some())
        .expect("the claimed union");
    assert_eq!((union.since, union.was_reserved), (3, Some(1)));
    let text = comments(&stdout(&out));
    assert!(
        text.contains("these bits were reserved (`__reserved_1`)"),
        "{text}"
    );
    let file = dir.join("f.toml");
    std::fs::write(&file, &out.stdout).expect("write spec");
    let file = file.display().to_string();
    // No input error; the claims without a feature are findings of their
    // own (CLAIM_AMBIGUOUS: the history cannot know who writes them).
    let check = run(&["check", &file]);
    assert_ne!(code(&check), Some(2), "{}", stderr(&check));
    for (i, o) in objects.iter().enumerate() {
        let verify = run(&["verify", &file, "--elf", o]);
        let t = stdout(&verify);
        assert_eq!(code(&verify), Some(0), "{t}");
        assert!(t.contains(&format!("v{} of 3", i + 1)), "{o}: {t}");
        assert!(!t.contains("FIELD_"), "{o}: {t}");
    }
}

#[test]
#[cfg_attr(no_gcc, ignore = "needs gcc")]
fn several_binaries_need_the_toml_format() {
    abi_test_tools::require("gcc");
    let dir = cc::scratch("format");
    let elf = objects(&dir, false);
    let out = run(&[
        "dump",
        "--elf",
        &elf[0].display().to_string(),
        "--elf",
        &elf[1].display().to_string(),
        "--struct",
        "s",
    ]);
    assert_eq!(code(&out), Some(2));
    assert!(
        stderr(&out).contains("only --format toml"),
        "{}",
        stderr(&out)
    );
    // One binary: dump as before, version 1 unless asked.
    let one = run(&[
        "dump",
        "--elf",
        &elf[0].display().to_string(),
        "--struct",
        "s",
        "--format",
        "toml",
    ]);
    assert!(
        stdout(&one).contains("version = 1\ndoc"),
        "{}",
        stdout(&one)
    );
    let one = run(&[
        "dump",
        "--elf",
        &elf[0].display().to_string(),
        "--struct",
        "s",
        "--format",
        "toml",
        "--first-version",
        "4",
    ]);
    let spec = parsed(&one);
    assert_eq!((spec.abi.first_version, spec.abi.version), (4, 4));
}

/// The single-binary spec of `binary` (`dump --format toml`) against
/// version `version` of the history: every field at the same offset and
/// size, padding on reserved bytes, the same size and alignment.
fn version_matches_binary(history: &Spec, name: &str, version: u32, single: &Spec) {
    let hi = history.struct_index(name).expect("in the history");
    let si = single.struct_index(name).expect("in the single dump");
    let hl = history
        .layout(hi, Target::X86_64, version)
        .expect("history layout");
    let sl = single
        .layout(si, Target::X86_64, single.abi.version)
        .expect("layout");
    assert_eq!(
        (hl.size, hl.align),
        (sl.size, sl.align),
        "{name} v{version}"
    );
    let hdef = &history.structs[hi];
    for fl in &sl.fields {
        let field = &single.structs[si].fields[fl.index];
        // `dump` of one binary marks padding reserved; members named as
        // reserved space are reserved in a history.
        if field.reserved || field.name.starts_with("__reserved") {
            for b in fl.offset..fl.end() {
                assert!(
                    hl.fields.iter().any(|h| h.offset <= b
                        && b < h.end()
                        && (h.placeholder || hdef.fields[h.index].reserved)),
                    "{name} v{version}: byte {b} of `{}` is not reserved",
                    field.name
                );
            }
            continue;
        }
        let h = hdef
            .fields
            .iter()
            .position(|f| f.name == field.name)
            .and_then(|i| hl.field(i))
            .unwrap_or_else(|| panic!("{name}.{} missing in version {version}", field.name));
        assert!(
            !h.placeholder,
            "{name}.{} is a placeholder in {version}",
            field.name
        );
        assert_eq!(
            (h.offset, h.size),
            (fl.offset, fl.size),
            "{name}.{} v{version}",
            field.name
        );
    }
}

fn single(flag: &str, file: &str, name: &str) -> Spec {
    let out = run(&["dump", flag, file, "--struct", name, "--format", "toml"]);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    parsed(&out)
}

/// Linux 6.1 (Debian's vmlinux, DWARF) and the running kernel (BTF):
/// clone_args and sched_attr did not change; perf_event_attr claimed
/// `__reserved_3` for the aux_action union and grew config3.
#[test]
#[cfg_attr(
    any(no_debian_vmlinux, no_kernel_btf),
    ignore = "needs Debian's 6.1 vmlinux (benches/vmlinux.sh) and the running kernel's BTF"
)]
fn real_kernels_make_a_history() {
    let vmlinux = abi_test_tools::require("debian_vmlinux")
        .display()
        .to_string();
    let btf = abi_test_tools::require("kernel_btf").display().to_string();
    for name in ["clone_args", "sched_attr", "perf_event_attr"] {
        let out = run(&[
            "dump", "--elf", &vmlinux, "--btf", &btf, "--struct", name, "--format", "toml",
        ]);
        assert_eq!(code(&out), Some(0), "{name}: {}", stderr(&out));
        let history = parsed(&out);
        assert_eq!((history.abi.first_version, history.abi.version), (1, 2));
        version_matches_binary(&history, name, 1, &single("--elf", &vmlinux, name));
        version_matches_binary(&history, name, 2, &single("--btf", &btf, name));
        checks(&out, name);
        let def = history.struct_def(name).expect("struct");
        let text = comments(&stdout(&out));
        match name {
            "clone_args" => {
                assert!(def
                    .fields
                    .iter()
                    .all(|f| f.since == 1 && f.align == Some(8)));
                assert!(text.contains("BTF records no alignment"), "{text}");
            }
            "perf_event_attr" => {
                let f = |n: &str| def.field(n).map(|f| (f.since, f.was_reserved, f.reserved));
                assert_eq!(f("config"), Some((1, None, false)));
                assert_eq!(f("disabled"), Some((1, None, false)));
                assert_eq!(f("sigtrap"), Some((1, None, false)));
                assert_eq!(f("__reserved_1"), Some((1, None, true)));
                assert_eq!(def.field("__reserved_1").and_then(|f| f.bits), Some(26));
                assert_eq!(f("__reserved_2"), Some((1, None, true)));
                let claimed = def
                    .fields
                    .iter()
                    .find(|g| g.was_reserved.is_some())
                    .expect("a claim");
                assert_eq!((claimed.since, claimed.was_reserved), (2, Some(1)));
                assert!(
                    text.contains("these bytes were reserved (`__reserved_3`)"),
                    "{text}"
                );
                if let Some(config3) = def.field("config3") {
                    assert_eq!(config3.since, 2);
                }
            }
            _ => assert!(def.fields.iter().all(|f| f.since == 1)),
        }
    }
}
