//! `abi-check dump` and `abi-check verify` on objects compiled on the fly,
//! and on hostile files: damaged ELF, cyclic types, absurd array bounds
//! must give exit 2 and a message naming the file, never a panic.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("abi-check-dwarf-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_abi-check"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("abi-check runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn compile(dir: &Path, name: &str, source: &str, flags: &[&str]) -> PathBuf {
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
    assert!(out.status.success(), "{}", text(&out.stderr));
    o
}

fn assert_unusable(o: &Output, file: &Path) {
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "stderr: {err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(err.contains(&file.display().to_string()), "{err}");
}

const SPEC: &str = r#"
[abi]
name = "probe"
version = 2
first_version = 1

[[struct]]
name = "probe_area"

[[struct.field]]
name = "a"
type = "u32"
since = 1

[[struct.field]]
name = "flags"
type = "u32"
since = 1

[[struct.field]]
name = "b"
type = "u64"
since = 1

[[struct.field]]
name = "c"
type = "u64"
since = 2
"#;

const V1: &str = "typedef unsigned int __u32; typedef unsigned long long __u64;\n\
struct probe_area { __u32 a; __u32 flags; __u64 b; }; struct probe_area x;\n";
const V2: &str = "typedef unsigned int __u32; typedef unsigned long long __u64;\n\
struct probe_area { __u32 a; __u32 flags; __u64 b; __u64 c; }; struct probe_area x;\n";
const RETYPED: &str = "typedef unsigned long long __u64;\n\
struct probe_area { int a; unsigned flags; __u64 b; }; struct probe_area x;\n";

#[test]
#[cfg_attr(no_gcc, ignore = "needs gcc")]
fn dump_json_has_the_layout_shape() {
    let dir = scratch("json");
    let o = compile(&dir, "v2", V2, &[]);
    let out = run(&[
        "dump",
        "--elf",
        &o.display().to_string(),
        "--struct",
        "probe_area",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let l = &v["layouts"][0];
    assert_eq!(l["struct"], "probe_area");
    assert_eq!(l["size"], 24);
    assert_eq!(l["align"], 8);
    assert_eq!(l["fields"][2]["name"], "b");
    assert_eq!(l["fields"][2]["type"], "u64");
    assert_eq!(l["fields"][2]["offset"], 8);
    assert_eq!(l["fields"][2]["size"], 8);
    assert_eq!(l["fields"][0]["c_type"], "__u32");
}

#[test]
#[cfg_attr(no_gcc, ignore = "needs gcc")]
fn dump_toml_is_a_spec_that_checks_clean_and_lays_out_the_same() {
    let dir = scratch("toml");
    let source = "typedef unsigned int __u32;\n\
struct odd { __u32 a; char c; unsigned long long b; unsigned f1:3, f2:5; \
union { int i; unsigned u; }; struct { short x, y; }; unsigned long long tail[]; } __attribute__((aligned(16)));\n\
struct odd v;\n";
    let o = compile(&dir, "odd", source, &[]);
    let elf = o.display().to_string();
    let toml = run(&["dump", "--elf", &elf, "--struct", "odd", "--format", "toml"]);
    assert_eq!(toml.status.code(), Some(0), "{}", text(&toml.stderr));
    let spec = dir.join("odd.toml");
    std::fs::write(&spec, &toml.stdout).expect("write spec");
    let spec = spec.display().to_string();
    let check = run(&["check", &spec]);
    assert_eq!(
        check.status.code(),
        Some(0),
        "{}{}",
        text(&check.stdout),
        text(&check.stderr)
    );
    assert!(
        text(&check.stdout).contains("0 warnings"),
        "{}",
        text(&check.stdout)
    );
    // Bitfields, the anonymous union and struct are said as C says them.
    let written = text(&toml.stdout);
    for line in [
        "bits = 3",
        "bits = 5",
        "unnamed = true",
        "kind = \"union\"",
        "type = \"[u64]\"",
    ] {
        assert!(written.contains(line), "no `{line}` in:\n{written}");
    }
    let layout = run(&["layout", &spec, "--struct", "odd", "--format", "json"]);
    assert_eq!(layout.status.code(), Some(0), "{}", text(&layout.stderr));
    let layout: serde_json::Value = serde_json::from_slice(&layout.stdout).expect("json");
    let dump = run(&["dump", "--elf", &elf, "--struct", "odd", "--format", "json"]);
    let dump: serde_json::Value = serde_json::from_slice(&dump.stdout).expect("json");
    assert_eq!(layout["layouts"][0]["size"], dump["layouts"][0]["size"]);
    assert_eq!(layout["layouts"][0]["align"], dump["layouts"][0]["align"]);
    // Every member, through the anonymous ones and to the bit, is where
    // the spec puts it: verify finds the version and no difference.
    let verify = run(&["verify", &spec, "--elf", &elf]);
    let t = text(&verify.stdout);
    assert_eq!(verify.status.code(), Some(0), "{t}");
    assert!(t.contains("v1 of 1"), "{t}");
    assert!(!t.contains("FIELD_"), "{t}");
}

#[test]
#[cfg_attr(no_gcc, ignore = "needs gcc")]
fn dump_text_shows_bitfields_and_anonymous_members() {
    let dir = scratch("text");
    let source = "struct s { unsigned a:3, b:9; union { int i; char c[8]; }; }; struct s v;\n";
    let o = compile(&dir, "s", source, &[]);
    let out = run(&["dump", "--elf", &o.display().to_string(), "--struct", "s"]);
    let t = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(t.contains("b:9;"), "{t}");
    assert!(t.contains("    0:3 "), "{t}");
    assert!(t.contains("\tunion {"), "{t}");
    assert!(
        t.contains("/* size: 12, cachelines: 1, members: 3 */"),
        "{t}"
    );
}

#[test]
#[cfg_attr(no_gcc, ignore = "needs gcc")]
fn a_name_not_found_is_exit_2_naming_the_file() {
    let dir = scratch("missing");
    let o = compile(&dir, "v1", V1, &[]);
    let out = run(&[
        "dump",
        "--elf",
        &o.display().to_string(),
        "--struct",
        "probe_area,nope",
    ]);
    assert_unusable(&out, &o);
    assert!(text(&out.stderr).contains("`nope`"));
    let out = run(&[
        "dump",
        "--elf",
        &o.display().to_string(),
        "--struct",
        "probe_area.zzz",
    ]);
    assert_unusable(&out, &o);
}

fn write_spec(dir: &Path) -> String {
    let spec = dir.join("probe.toml");
    std::fs::write(&spec, SPEC).expect("write spec");
    spec.display().to_string()
}

#[test]
#[cfg_attr(no_gcc, ignore = "needs gcc")]
fn verify_says_which_version_side_by_side() {
    let dir = scratch("verify");
    let spec = write_spec(&dir);
    let v1 = compile(&dir, "v1", V1, &[]).display().to_string();
    let v2 = compile(&dir, "v2", V2, &[]).display().to_string();
    let v2_32 = compile(&dir, "v2_32", V2, &["-m32"]).display().to_string();
    let out = run(&["verify", &spec, "--elf", &v1, "--elf", &v2, "--elf", &v2_32]);
    let t = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{t}{}", text(&out.stderr));
    let row = |file: &str| {
        t.lines()
            .find(|l| l.contains(file))
            .unwrap_or_default()
            .to_string()
    };
    assert!(row(&v1).contains("v1 of 2"), "{t}");
    assert!(row(&v2).contains("x86_64"), "{t}");
    assert!(row(&v2).contains("v2 of 2"), "{t}");
    assert!(row(&v2_32).contains("i386"), "{t}");
    assert!(row(&v2_32).contains("v2 of 2"), "{t}");
    let json = run(&["verify", &spec, "--elf", &v1, "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).expect("json");
    assert_eq!(v["compatible"], true);
    assert_eq!(v["binaries"][0]["implements"], 1);
}

#[test]
#[cfg_attr(no_gcc, ignore = "needs gcc")]
fn verify_reports_mismatches_with_rule_ids() {
    let dir = scratch("mismatch");
    let spec = write_spec(&dir);
    let bad = compile(&dir, "bad", RETYPED, &[]).display().to_string();
    let out = run(&["verify", &spec, "--elf", &bad, "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let rules: Vec<&str> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["rule"].as_str())
        .collect();
    assert!(rules.contains(&"FIELD_RETYPED"), "{rules:?}");
    assert_eq!(v["binaries"][0]["implements"], serde_json::Value::Null);
    let moved = "typedef unsigned long long __u64;\n\
struct probe_area { unsigned a; unsigned pad; unsigned flags; __u64 b; }; struct probe_area x;\n";
    let moved = compile(&dir, "moved", moved, &[]).display().to_string();
    let out = run(&["verify", &spec, "--elf", &moved]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stdout).contains("FIELD_MOVED"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn damaged_elf_files_are_exit_2() {
    let dir = scratch("damaged");
    let truncated = dir.join("truncated.o");
    let bytes = std::fs::read(env!("CARGO_BIN_EXE_abi-check")).expect("read self");
    std::fs::write(&truncated, &bytes[..200]).expect("write");
    assert_unusable(
        &run(&[
            "dump",
            "--elf",
            &truncated.display().to_string(),
            "--struct",
            "x",
        ]),
        &truncated,
    );
    let noise = dir.join("noise.o");
    let mut data = b"\x7fELF".to_vec();
    let mut state = 0x2545_f491_4f6c_dd1du64;
    for _ in 0..4096 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        data.push(state as u8);
    }
    std::fs::write(&noise, &data).expect("write");
    assert_unusable(
        &run(&[
            "dump",
            "--elf",
            &noise.display().to_string(),
            "--struct",
            "x",
        ]),
        &noise,
    );
    let empty = dir.join("empty.o");
    std::fs::write(&empty, b"").expect("write");
    assert_unusable(
        &run(&[
            "dump",
            "--elf",
            &empty.display().to_string(),
            "--struct",
            "x",
        ]),
        &empty,
    );
    let missing = dir.join("missing.o");
    assert_unusable(
        &run(&[
            "dump",
            "--elf",
            &missing.display().to_string(),
            "--struct",
            "x",
        ]),
        &missing,
    );
}

/// The offsets (in the file) of the `DW_AT_type` values of typedef entries,
/// and of `DW_AT_upper_bound` values, and the entry offsets of typedefs,
/// from `readelf`; with the file offset of `.debug_info`.
struct DebugInfoMap {
    section_offset: usize,
    typedef_dies: Vec<(usize, usize)>,
    upper_bounds: Vec<usize>,
}

fn map_debug_info(object: &Path) -> DebugInfoMap {
    let readelf = abi_test_tools::require("readelf");
    let sections = Command::new(&readelf)
        .args(["-S", "-W"])
        .arg(object)
        .output()
        .expect("readelf");
    let sections = text(&sections.stdout);
    let line = sections
        .lines()
        .find(|l| l.contains(" .debug_info "))
        .expect(".debug_info");
    let fields: Vec<&str> = line
        .split(']')
        .nth(1)
        .expect("fields")
        .split_whitespace()
        .collect();
    let section_offset = usize::from_str_radix(fields[3], 16).expect("offset");
    let info = Command::new(&readelf)
        .arg("--debug-dump=info")
        .arg(object)
        .output()
        .expect("readelf");
    let info = text(&info.stdout);
    let hex = |s: &str| usize::from_str_radix(s.trim_start_matches("0x"), 16).ok();
    let mut typedef_dies = Vec::new();
    let mut upper_bounds = Vec::new();
    let mut current: Option<(usize, &str)> = None;
    for line in info.lines() {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix('<') {
            let Some((head, tail)) = rest.split_once('>') else {
                continue;
            };
            if let Some(die) = tail.strip_prefix('<') {
                // `<1><2d>: Abbrev Number: 2 (DW_TAG_typedef)`
                let offset = die.split('>').next().and_then(hex);
                let tag = if line.contains("DW_TAG_typedef") {
                    "typedef"
                } else if line.contains("DW_TAG_subrange_type") {
                    "subrange"
                } else {
                    ""
                };
                current = offset.map(|o| (o, tag));
                continue;
            }
            let Some(at) = hex(head) else { continue };
            match current {
                Some((die, "typedef")) if tail.contains("DW_AT_type") => {
                    typedef_dies.push((die, at))
                }
                Some((_, "subrange")) if tail.contains("DW_AT_upper_bound") => {
                    upper_bounds.push(at)
                }
                _ => {}
            }
        }
    }
    DebugInfoMap {
        section_offset,
        typedef_dies,
        upper_bounds,
    }
}

#[test]
#[cfg_attr(any(no_gcc, no_readelf), ignore = "needs gcc and readelf")]
fn a_typedef_cycle_is_exit_2() {
    let dir = scratch("cycle");
    let source = "typedef int t1;\ntypedef t1 t2;\nstruct loop { t2 x; };\nstruct loop v;\n";
    let o = compile(&dir, "loop", source, &["-gdwarf-4"]);
    let map = map_debug_info(&o);
    assert_eq!(map.typedef_dies.len(), 2, "two typedefs");
    // t1's DW_AT_type (a ref4 from the unit start, the unit being at 0) now
    // points at t2, whose type is t1: a cycle.
    let (_, t1_type_at) = map.typedef_dies[0];
    let (t2_die, _) = map.typedef_dies[1];
    let mut bytes = std::fs::read(&o).expect("read");
    let at = map.section_offset + t1_type_at;
    bytes[at..at + 4].copy_from_slice(&(t2_die as u32).to_le_bytes());
    std::fs::write(&o, &bytes).expect("write");
    let out = run(&[
        "dump",
        "--elf",
        &o.display().to_string(),
        "--struct",
        "loop",
    ]);
    assert_unusable(&out, &o);
    assert!(text(&out.stderr).contains("cycle"), "{}", text(&out.stderr));
}

#[test]
#[cfg_attr(any(no_gcc, no_readelf), ignore = "needs gcc and readelf")]
fn an_absurd_array_bound_is_exit_2() {
    let dir = scratch("bounds");
    let source = "struct huge { int big[0x1000000]; };\nstruct huge *p;\n";
    let o = compile(&dir, "huge", source, &["-gdwarf-4"]);
    let map = map_debug_info(&o);
    let at = map.section_offset + map.upper_bounds[0];
    let mut bytes = std::fs::read(&o).expect("read");
    assert_eq!(
        &bytes[at..at + 4],
        &0x00ff_ffffu32.to_le_bytes(),
        "a data4 bound"
    );
    bytes[at..at + 4].copy_from_slice(&0x7fff_fffeu32.to_le_bytes());
    std::fs::write(&o, &bytes).expect("write");
    let out = run(&[
        "dump",
        "--elf",
        &o.display().to_string(),
        "--struct",
        "huge",
    ]);
    assert_unusable(&out, &o);
    assert!(
        text(&out.stderr).contains("more than"),
        "{}",
        text(&out.stderr)
    );
}

/// The installed glibc, whose debug file (libc6-dbg, found through the
/// build-id) the test needs.
fn glibc_with_debug_file() -> &'static str {
    abi_test_tools::require("libc6_dbg");
    let libc = "/lib/x86_64-linux-gnu/libc.so.6";
    let out = run(&[
        "dump", "--elf", libc, "--struct", "pthread", "--format", "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let debug_file = v["debug_file"].as_str().unwrap_or_default();
    assert!(
        debug_file.starts_with("/usr/lib/debug/.build-id/"),
        "{debug_file}"
    );
    libc
}

fn rseq_spec() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/linux/rseq.toml")
        .display()
        .to_string()
}

/// `struct rseq` as Linux 6.3 to 6.x declares it in <linux/rseq.h>: version 1
/// of the spec (node_id, mm_cid), `end[]` marking the feature size.
const KERNEL_RSEQ: &str = "typedef unsigned int __u32; typedef unsigned long long __u64;\n\
struct rseq { __u32 cpu_id_start; __u32 cpu_id; __u64 rseq_cs; __u32 flags;\n\
  __u32 node_id; __u32 mm_cid; char end[]; } __attribute__((aligned(4 * sizeof(__u64))));\n\
struct rseq rseq_area_of_a_task;\n";

/// The real case of issue 6: a kernel calls it `struct rseq`, glibc 2.36
/// `pthread.rseq_area`; one run with alternatives shows both, each with the
/// version it implements and the name that matched.
#[test]
#[cfg_attr(
    any(no_gcc, no_libc6_dbg),
    ignore = "needs gcc and libc6-dbg matching libc6"
)]
fn verify_kernel_and_glibc_in_one_run() {
    let libc = glibc_with_debug_file();
    let dir = scratch("kernel-libc");
    let kernel = compile(&dir, "kernel", KERNEL_RSEQ, &[])
        .display()
        .to_string();
    let spec = rseq_spec();
    let args = [
        "verify",
        &spec,
        "--struct",
        "rseq=rseq|pthread.rseq_area",
        "--elf",
        &kernel,
        "--elf",
        libc,
    ];
    let out = run(&args);
    let t = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{t}{}", text(&out.stderr));
    let rows: Vec<&str> = t
        .lines()
        .skip_while(|l| !l.starts_with("struct "))
        .collect();
    assert_eq!(rows.len(), 3, "a header and two rows: {t}");
    let kernel_row: Vec<&str> = rows[1].split_whitespace().collect();
    let libc_row: Vec<&str> = rows[2].split_whitespace().collect();
    assert_eq!(
        kernel_row,
        [
            "rseq",
            kernel.as_str(),
            "x86_64",
            "v1",
            "of",
            "2",
            "32",
            "32",
            "0"
        ],
        "{t}"
    );
    assert_eq!(
        libc_row,
        [
            "rseq=pthread.rseq_area",
            libc,
            "x86_64",
            "v0",
            "of",
            "2",
            "32",
            "32",
            "0"
        ],
        "{t}"
    );
    let json = run(&[&args[..], &["--format", "json"]].concat());
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).expect("json");
    let binaries = v["binaries"].as_array().expect("binaries");
    assert_eq!(binaries.len(), 2);
    assert_eq!(binaries[0]["c_name"], "rseq");
    assert_eq!(binaries[0]["implements"], 1);
    assert_eq!(binaries[1]["c_name"], "pthread.rseq_area");
    assert_eq!(binaries[1]["implements"], 0);
    // The old command line still works, for the libc alone.
    let old = run(&[
        "verify",
        &spec,
        "--struct",
        "rseq=pthread.rseq_area",
        "--elf",
        libc,
    ]);
    assert_eq!(old.status.code(), Some(0), "{}", text(&old.stderr));
    assert!(
        text(&old.stdout).contains("v0 of 2"),
        "{}",
        text(&old.stdout)
    );
}

/// Alternatives are tried in order in each binary; a member path whose
/// member is missing is "not this one"; none defined is exit 2.
#[test]
#[cfg_attr(no_gcc, ignore = "needs gcc")]
fn verify_alternatives_take_the_first_one_defined() {
    let dir = scratch("alternatives");
    let spec = write_spec(&dir);
    // Both names exist here: `wrapper.inner` is a v1 area, `probe_area` v2.
    let source = format!(
        "{V2}struct wrapper {{ int other; struct {{ __u32 a; __u32 flags; __u64 b; }} inner; }};\n\
         struct wrapper w;\n"
    );
    let both = compile(&dir, "both", &source, &[]).display().to_string();
    let v1 = compile(&dir, "v1", V1, &[]).display().to_string();
    let row = |args: &[&str], file: &str| {
        let out = run(args);
        let t = text(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{t}{}", text(&out.stderr));
        t.lines()
            .find(|l| l.contains(file))
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    let first = "probe_area=wrapper.inner|probe_area";
    let r = row(&["verify", &spec, "--struct", first, "--elf", &both], &both);
    assert_eq!(r[0], "probe_area=wrapper.inner");
    assert_eq!(r[3], "v1");
    let r = row(&["verify", &spec, "--struct", first, "--elf", &v1], &v1);
    assert_eq!(r[0], "probe_area", "no `wrapper` in this one");
    let second = "probe_area=probe_area|wrapper.inner";
    let r = row(
        &["verify", &spec, "--struct", second, "--elf", &both],
        &both,
    );
    assert_eq!(r[0], "probe_area");
    assert_eq!(r[3], "v2");
    // `wrapper` is there but has no `nope`: the next alternative is taken.
    let fallback = "probe_area=wrapper.nope|probe_area";
    let r = row(
        &["verify", &spec, "--struct", fallback, "--elf", &both],
        &both,
    );
    assert_eq!(r[0], "probe_area");
    // The same across units: the scan stops once `wrapper` (unit 0) is
    // found, so the next alternative needs a scan of every unit to be sure
    // which unit defines `probe_area` first (unit 5 here).
    let mut units = vec![compile(
        &dir,
        "u0",
        "struct wrapper { int other; } w;\n",
        &[],
    )];
    for i in 1..5 {
        units.push(compile(
            &dir,
            &format!("u{i}"),
            &format!("int filler{i};\n"),
            &[],
        ));
    }
    units.push(compile(&dir, "u5", V2, &[]));
    let linked = dir.join("linked.o");
    let ld = Command::new("ld")
        .arg("-r")
        .args(&units)
        .arg("-o")
        .arg(&linked)
        .output()
        .expect("ld runs");
    assert!(ld.status.success(), "{}", text(&ld.stderr));
    let linked = linked.display().to_string();
    let r = row(
        &["verify", &spec, "--struct", fallback, "--elf", &linked],
        &linked,
    );
    assert_eq!(r[0], "probe_area");
    assert_eq!(r[3], "v2");
    let none = run(&[
        "verify",
        &spec,
        "--struct",
        "probe_area=nothing|wrapper.nope",
        "--elf",
        &both,
    ]);
    assert_unusable(&none, Path::new(&both));
    let err = text(&none.stderr);
    assert!(err.contains("`nothing` or `wrapper.nope`"), "{err}");
    let misplaced = run(&["verify", &spec, "--struct", "probe_area|x", "--elf", &both]);
    assert_eq!(misplaced.status.code(), Some(2));
}

/// `typedef struct { ... } name;` is found by the typedef's name; a
/// typedef of a scalar is no struct.
#[test]
#[cfg_attr(no_gcc, ignore = "needs gcc")]
fn typedef_names_are_found() {
    let dir = scratch("typedef");
    let source = "typedef unsigned int __u32; typedef unsigned long long __u64;\n\
typedef struct { __u32 a; __u32 flags; __u64 b; } probe_t; probe_t p;\n\
typedef int not_a_struct; not_a_struct n;\n";
    let o = compile(&dir, "typedef", source, &[]);
    let elf = o.display().to_string();
    let out = run(&["dump", "--elf", &elf, "--struct", "probe_t"]);
    let t = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(t.contains("typedef struct {"), "{t}");
    assert!(t.contains("} probe_t;"), "{t}");
    assert!(
        t.contains("/* size: 16, cachelines: 1, members: 3 */"),
        "{t}"
    );
    let spec = write_spec(&dir);
    let out = run(&[
        "verify",
        &spec,
        "--struct",
        "probe_area=probe_t",
        "--elf",
        &elf,
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("v1 of 2"),
        "{}",
        text(&out.stdout)
    );
    let out = run(&["dump", "--elf", &elf, "--struct", "not_a_struct"]);
    assert_unusable(&out, &o);
}

const NESTED_SPEC: &str = r#"
[abi]
name = "nest"
version = 1

[[struct]]
name = "inner"

[[struct.field]]
name = "x"
type = "u32"
since = 1

[[struct.field]]
name = "y"
type = "u32"
since = 1

[[struct]]
name = "outer"

[[struct.field]]
name = "head"
type = "u64"
since = 1

[[struct.field]]
name = "in"
type = "inner"
since = 1

[[struct.field]]
name = "many"
type = "[inner; 2]"
since = 1
"#;

/// A nested struct is compared field by field against the spec's struct,
/// not by size alone, also inside arrays.
#[test]
#[cfg_attr(no_gcc, ignore = "needs gcc")]
fn verify_compares_nested_structs_field_by_field() {
    let dir = scratch("nested");
    let spec = dir.join("nest.toml");
    std::fs::write(&spec, NESTED_SPEC).expect("write spec");
    let spec = spec.display().to_string();
    let good = "struct inner { unsigned x, y; };\n\
struct outer { unsigned long long head; struct inner in; struct inner many[2]; } o;\n";
    let good = compile(&dir, "good", good, &[]).display().to_string();
    let out = run(&["verify", &spec, "--struct", "outer", "--elf", &good]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert!(
        text(&out.stdout).contains("v1 of 1"),
        "{}",
        text(&out.stdout)
    );
    // Same sizes everywhere, but x and y swapped: caught inside `in`.
    let swapped = "struct inner { unsigned y, x; };\n\
struct outer { unsigned long long head; struct inner in; struct inner many[2]; } o;\n";
    let swapped = compile(&dir, "swapped", swapped, &[]).display().to_string();
    let out = run(&["verify", &spec, "--struct", "outer", "--elf", &swapped]);
    let t = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(t.contains("breaking[FIELD_RETYPED]"), "{t}");
    assert!(
        t.contains("has `x` at offset 4, the spec's `inner` at offset 0"),
        "{t}"
    );
    assert!(t.contains("`outer` has `in`"), "{t}");
    assert!(t.contains("`outer` has `many`"), "{t}");
    assert!(t.contains("none"), "implements no version: {t}");
    // A scalar of the same size but another signedness, two levels down.
    let signed = "struct inner { unsigned x; int y; };\n\
struct outer { unsigned long long head; struct inner in; struct inner many[2]; } o;\n";
    let signed = compile(&dir, "signed", signed, &[]).display().to_string();
    let out = run(&["verify", &spec, "--struct", "outer", "--elf", &signed]);
    let t = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(t.contains("has `y` as `int` (4 bytes)"), "{t}");
}

/// DWARF does not say `packed`: a packed struct whose members all sit
/// aligned reads with its natural alignment. Against a spec that says
/// packed, that is no STRUCT_ALIGN_CHANGED; against one that does not, the
/// natural alignment is compared as before.
#[test]
#[cfg_attr(no_gcc, ignore = "needs gcc")]
fn verify_accepts_a_packed_struct_whose_members_are_aligned() {
    let dir = scratch("packed");
    let spec = |packed: bool| {
        let path = dir.join(format!("packed-{packed}.toml"));
        let text = format!(
            "[abi]\nname = \"pk\"\nversion = 1\n\n[[struct]]\nname = \"pk\"\npacked = {packed}\n\n\
             [[struct.field]]\nname = \"a\"\ntype = \"u32\"\nsince = 1\n\n\
             [[struct.field]]\nname = \"b\"\ntype = \"u32\"\nsince = 1\n"
        );
        std::fs::write(&path, text).expect("write spec");
        path.display().to_string()
    };
    let o = compile(
        &dir,
        "pk",
        "struct __attribute__((packed)) pk { unsigned a, b; } v;\n",
        &[],
    )
    .display()
    .to_string();
    let out = run(&["verify", &spec(true), "--elf", &o]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    let unpacked = compile(&dir, "plain", "struct pk { unsigned a, b; } v;\n", &[])
        .display()
        .to_string();
    let out = run(&["verify", &spec(false), "--elf", &unpacked]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    // Misaligned members do tell: packed, 1-aligned, against an unpacked spec.
    let odd = compile(
        &dir,
        "odd",
        "struct __attribute__((packed)) pk { unsigned char c; unsigned a, b; } v;\n",
        &[],
    );
    let out = run(&[
        "dump",
        "--elf",
        &odd.display().to_string(),
        "--struct",
        "pk",
    ]);
    assert!(
        text(&out.stdout).contains("__packed__"),
        "{}",
        text(&out.stdout)
    );
}

/// Tail padding after a flexible array can have no field: the toml output
/// waives it with a reason, and a union's tail is named by a reserved
/// member of the union's size; `check` then warns about nothing.
#[test]
#[cfg_attr(no_gcc, ignore = "needs gcc")]
fn dump_toml_tail_padding_checks_without_warnings() {
    let dir = scratch("tail");
    let source = "union u { unsigned a; unsigned char b[5]; };\n\
struct flex { unsigned long long a; char b; union u in; unsigned tail[]; } v;\n";
    let o = compile(&dir, "flex", source, &[]);
    let elf = o.display().to_string();
    let toml = run(&[
        "dump", "--elf", &elf, "--struct", "flex", "--format", "toml",
    ]);
    assert_eq!(toml.status.code(), Some(0), "{}", text(&toml.stderr));
    let body = text(&toml.stdout);
    assert!(
        body.contains("[[waiver]]\nrule = \"IMPLICIT_PADDING\""),
        "{body}"
    );
    assert!(body.contains("field = \"tail\""), "{body}");
    let spec = dir.join("flex.toml");
    std::fs::write(&spec, &toml.stdout).expect("write spec");
    let spec = spec.display().to_string();
    let check = run(&["check", &spec]);
    let t = text(&check.stdout);
    assert_eq!(check.status.code(), Some(0), "{t}{}", text(&check.stderr));
    assert!(t.contains("0 warnings"), "{t}");
    assert!(t.contains("1 waived"), "{t}");
    let layout = run(&["layout", &spec, "--struct", "flex", "--format", "json"]);
    let layout: serde_json::Value = serde_json::from_slice(&layout.stdout).expect("json");
    assert_eq!(layout["layouts"][0]["size"], 24);
    let verify = run(&["verify", &spec, "--elf", &elf]);
    assert_eq!(verify.status.code(), Some(0), "{}", text(&verify.stdout));
}

/// `int ts[25][3]` is 25 arrays of 3: C spells the dimensions outermost
/// first, and so does dump (it printed `[3][25]`); `const char * const *`
/// keeps its qualifiers where C puts them (it printed
/// `const const char * *`).
#[test]
#[cfg_attr(no_gcc, ignore = "needs gcc")]
fn dump_spells_arrays_and_qualified_pointers_as_c_does() {
    let dir = scratch("spelling");
    let source = "struct sp { int ts[25][3]; const char * const *argv; char * const p; \
                  volatile int * const volatile q; int flex[][4]; } v;\n";
    let o = compile(&dir, "sp", source, &[]);
    let out = run(&[
        "dump",
        "--elf",
        &o.display().to_string(),
        "--struct",
        "sp",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let c_type = |name: &str| {
        v["layouts"][0]["fields"]
            .as_array()
            .expect("fields")
            .iter()
            .find(|f| f["name"] == name)
            .map(|f| {
                (
                    f["c_type"].as_str().unwrap_or_default().to_string(),
                    f["type"].clone(),
                )
            })
            .unwrap_or_else(|| panic!("no {name}"))
    };
    assert_eq!(c_type("ts").0, "int[25][3]");
    assert_eq!(c_type("ts").1, "[[i32; 3]; 25]");
    assert_eq!(c_type("argv").0, "const char * const *");
    assert_eq!(c_type("p").0, "char * const");
    assert_eq!(c_type("q").0, "volatile int * const volatile");
    assert_eq!(c_type("flex").0, "int[][4]");
}

/// `DW_AT_alignment` is the alignment the type ended up with, lower than
/// the members' for `packed, aligned(4)` (Linux's pps_ktime_compat): gcc
/// says 4 (the static assertion), dump said 8.
#[test]
#[cfg_attr(no_gcc, ignore = "needs gcc")]
fn an_explicit_alignment_below_the_natural_one_is_taken() {
    let dir = scratch("lower-align");
    let source = "typedef long long __s64; typedef int __s32; typedef unsigned __u32;\n\
struct pps_ktime_compat { __s64 sec; __s32 nsec; __u32 flags; } __attribute__((packed, aligned(4)));\n\
_Static_assert(_Alignof(struct pps_ktime_compat) == 4, \"gcc\");\n\
struct member_packed { char c; long long x __attribute__((packed, aligned(4))); };\n\
_Static_assert(_Alignof(struct member_packed) == 4, \"gcc\");\n\
_Static_assert(sizeof(struct member_packed) == 12, \"gcc\");\n\
struct lower { long long x; } __attribute__((aligned(4)));\n\
_Static_assert(_Alignof(struct lower) == 8, \"gcc\");\n\
struct pps_ktime_compat a; struct member_packed b; struct lower c;\n";
    let o = compile(&dir, "align", source, &[]);
    let elf = o.display().to_string();
    let out = run(&[
        "dump",
        "--elf",
        &elf,
        "--struct",
        "pps_ktime_compat,member_packed,lower",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let l = &v["layouts"];
    assert_eq!(
        (l[0]["align"].clone(), l[0]["packed"].clone()),
        (4.into(), true.into())
    );
    assert_eq!(l[1]["align"], 4);
    assert_eq!(l[1]["size"], 12);
    assert_eq!(l[1]["fields"][1]["offset"], 4);
    assert_eq!(l[1]["fields"][1]["align"], 4);
    assert_eq!(
        (l[2]["align"].clone(), l[2]["packed"].clone()),
        (8.into(), false.into())
    );
    // The spec dump writes lays out the same.
    let toml = run(&[
        "dump",
        "--elf",
        &elf,
        "--struct",
        "pps_ktime_compat",
        "--format",
        "toml",
    ]);
    let spec = dir.join("pps.toml");
    std::fs::write(&spec, &toml.stdout).expect("write");
    let layout = run(&["layout", &spec.display().to_string(), "--format", "json"]);
    let layout: serde_json::Value = serde_json::from_slice(&layout.stdout).expect("json");
    assert_eq!(layout["layouts"][0]["align"], 4, "{}", text(&toml.stdout));
    assert_eq!(layout["layouts"][0]["size"], 16);
}

/// Each member of type `struct statx_timestamp` is its own copy of the
/// type: the spec dump writes has one `statx_timestamp`, not `_2`, `_3`,
/// `_4`; a different struct of the same name still gets its own.
#[test]
#[cfg_attr(no_gcc, ignore = "needs gcc")]
fn dump_toml_writes_one_spec_struct_per_nested_type() {
    let dir = scratch("statx");
    let source =
        "struct statx_timestamp { long long tv_sec; unsigned tv_nsec; int __reserved; };\n\
struct statx { unsigned mask; struct statx_timestamp atime, btime, ctime, mtime; \
struct { int a; } one; struct { long b; } two; } s;\n";
    let o = compile(&dir, "statx", source, &[]);
    let out = run(&[
        "dump",
        "--elf",
        &o.display().to_string(),
        "--struct",
        "statx",
        "--format",
        "toml",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let body = text(&out.stdout);
    assert_eq!(
        body.matches("name = \"statx_timestamp\"").count(),
        1,
        "{body}"
    );
    assert!(!body.contains("statx_timestamp_2"), "{body}");
    assert_eq!(
        body.matches("type = \"statx_timestamp\"").count(),
        4,
        "{body}"
    );
    assert!(
        body.contains("name = \"statx_one\"") && body.contains("name = \"statx_two\""),
        "{body}"
    );
    let spec = dir.join("statx.toml");
    std::fs::write(&spec, &body).expect("write");
    let check = run(&["check", &spec.display().to_string()]);
    assert_eq!(check.status.code(), Some(0), "{}", text(&check.stdout));
}

/// A name that units define differently (Linux's `irte`: a 4-byte union
/// in one driver, a 16-byte struct in another): dump shows the first, and
/// says where the others are and how they differ.
#[test]
#[cfg_attr(no_gcc, ignore = "needs gcc")]
fn a_name_defined_differently_in_several_units_is_reported() {
    let dir = scratch("duplicates");
    let amd = compile(
        &dir,
        "amd",
        "union irte { unsigned val; struct { unsigned valid:1, no_fault:1, rest:30; } fields; } a;\n",
        &[],
    );
    let same = compile(
        &dir,
        "same",
        "union irte { unsigned val; struct { unsigned valid:1, no_fault:1, rest:30; } fields; } b;\n",
        &[],
    );
    let intel = compile(
        &dir,
        "intel",
        "struct irte { unsigned long long low, high; } c;\n",
        &[],
    );
    let linked = dir.join("linked.o");
    let ld = Command::new("ld")
        .arg("-r")
        .args([&amd, &same, &intel])
        .arg("-o")
        .arg(&linked)
        .output()
        .expect("ld runs");
    assert!(ld.status.success(), "{}", text(&ld.stderr));
    let elf = linked.display().to_string();
    let out = run(&["dump", "--elf", &elf, "--struct", "irte"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let t = text(&out.stdout);
    assert!(t.contains("union irte {"), "{t}");
    assert!(t.contains("also defined differently in"), "{t}");
    assert!(t.contains("intel.c"), "the unit is named: {t}");
    assert!(
        t.contains("a struct there, a union here; 16 bytes there, 4 here"),
        "{t}"
    );
    assert!(
        text(&out.stderr).contains("`irte` has 1 other definition that differs"),
        "{}",
        text(&out.stderr)
    );
    let json = run(&[
        "dump", "--elf", &elf, "--struct", "irte", "--format", "json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).expect("json");
    let others = v["layouts"][0]["other_definitions"]
        .as_array()
        .expect("others");
    assert_eq!(
        others.len(),
        1,
        "the same union twice is one definition: {v}"
    );
    assert_eq!(others[0]["kind"], "struct");
    assert_eq!(others[0]["size"], 16);
}

/// A FIFO given as the binary is refused at once (it hung: the file was
/// opened before its type was checked, and opening a FIFO waits for a
/// writer).
#[test]
fn a_fifo_is_refused_not_waited_on() {
    let dir = scratch("fifo");
    let fifo = dir.join("pipe");
    let made = Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    let mut child = Command::new(env!("CARGO_BIN_EXE_abi-check"))
        .args([
            "dump",
            "--elf",
            &fifo.display().to_string(),
            "--struct",
            "x",
        ])
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("abi-check runs");
    let start = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if start.elapsed() > std::time::Duration::from_secs(20) {
            let _ = child.kill();
            panic!("abi-check waited on the FIFO");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let output = child.wait_with_output().expect("output");
    assert_eq!(status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("it is a FIFO"),
        "{}",
        text(&output.stderr)
    );
}

/// The path given to `dump --format toml` is written into the spec's
/// comment and doc: a newline in it must not start a `[[waiver]]` table.
#[test]
#[cfg_attr(no_gcc, ignore = "needs gcc")]
fn a_newline_in_the_path_injects_nothing_into_the_spec() {
    let dir = scratch("path-newline");
    let o = compile(&dir, "v1", V1, &[]);
    let hostile = dir.join(
        "x\n[[waiver]]\nrule = \"FIELD_REMOVED\"\nstruct = \"probe_area\"\nreason = \"r\"\n#.o",
    );
    std::fs::copy(&o, &hostile).expect("copy");
    let out = run(&[
        "dump",
        "--elf",
        &hostile.display().to_string(),
        "--struct",
        "probe_area",
        "--format",
        "toml",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let body = text(&out.stdout);
    assert!(!body.lines().any(|l| l.starts_with("[[waiver]]")), "{body}");
    let spec = dir.join("spec.toml");
    std::fs::write(&spec, &body).expect("write");
    let check = run(&["check", &spec.display().to_string(), "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&check.stdout).expect("json");
    let waived = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .any(|f| f["waived"] == true);
    assert!(!waived, "{v}");
}

/// Struct and member names from a hostile binary (a newline, an escape
/// sequence, `*/`, here patched into gcc's string table) reach neither
/// the terminal nor the spec raw.
#[test]
#[cfg_attr(no_gcc, ignore = "needs gcc")]
fn hostile_dwarf_names_are_escaped() {
    let dir = scratch("hostile-names");
    let source = "struct s { unsigned MEMBERNAMEMEMBERNAME; unsigned other; } v;\n";
    let o = compile(&dir, "s", source, &["-gdwarf-4"]);
    let mut bytes = std::fs::read(&o).expect("read");
    let from = b"MEMBERNAMEMEMBERNAME";
    let to = b"ab\n*/\x1b[2J[[waiver]]\n";
    assert_eq!(from.len(), to.len());
    let at = bytes
        .windows(from.len())
        .position(|w| w == from)
        .expect("the name is in the string table");
    bytes[at..at + from.len()].copy_from_slice(to);
    std::fs::write(&o, &bytes).expect("write");
    let elf = o.display().to_string();
    let out = run(&["dump", "--elf", &elf, "--struct", "s"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let t = text(&out.stdout);
    assert!(!t.contains('\u{1b}'), "{t:?}");
    assert!(t.contains("ab\\n*\\/\\u{1b}[2J[[waiver]]\\n"), "{t}");
    let toml = run(&["dump", "--elf", &elf, "--struct", "s", "--format", "toml"]);
    let body = text(&toml.stdout);
    assert!(
        !body.contains('\u{1b}') && !body.lines().any(|l| l.starts_with("[[waiver]]")),
        "{body}"
    );
}

/// A binary truncated while abi-check reads it: exit 0 or 2, never death
/// by SIGBUS (exit 135). The file shrinks at different moments of the
/// read in each round.
#[test]
fn a_binary_truncated_while_read_is_no_crash() {
    let Some(source) = ["/usr/lib/debug/.build-id", "/usr/lib/debug"]
        .iter()
        .filter_map(|d| biggest_file_under(Path::new(d)))
        .next()
        .or_else(|| Some(PathBuf::from(env!("CARGO_BIN_EXE_abi-check"))))
    else {
        return;
    };
    let dir = scratch("truncated");
    let mut signals = Vec::new();
    let mut caught = 0;
    for round in 0..12u64 {
        let file = dir.join(format!("shrinks-{round}"));
        std::fs::copy(&source, &file).expect("copy");
        let child = Command::new(env!("CARGO_BIN_EXE_abi-check"))
            .args([
                "dump",
                "--elf",
                &file.display().to_string(),
                "--struct",
                "no_such_struct",
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("abi-check runs");
        std::thread::sleep(std::time::Duration::from_millis(round * 3));
        std::fs::File::options()
            .write(true)
            .open(&file)
            .expect("open")
            .set_len(4096)
            .expect("truncate");
        let out = child.wait_with_output().expect("wait");
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = out.status.signal() {
            signals.push(format!("round {round}: signal {signal}"));
        } else {
            assert!(
                matches!(out.status.code(), Some(0) | Some(2)),
                "{:?}",
                out.status
            );
            assert!(
                !text(&out.stderr).contains("panicked"),
                "{}",
                text(&out.stderr)
            );
            if text(&out.stderr).contains("truncated while it was read") {
                caught += 1;
            }
        }
        let _ = std::fs::remove_file(&file);
    }
    eprintln!("{caught} of 12 rounds caught the file shrinking under the mapping");
    assert!(signals.is_empty(), "{signals:?}");
}

fn biggest_file_under(dir: &Path) -> Option<PathBuf> {
    let mut best: Option<(u64, PathBuf)> = None;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).ok()?.flatten() {
            let path = entry.path();
            let Ok(meta) = std::fs::symlink_metadata(&path) else {
                continue;
            };
            if meta.is_dir() {
                stack.push(path);
            } else if meta.is_file() && best.as_ref().is_none_or(|(size, _)| meta.len() > *size) {
                best = Some((meta.len(), path));
            }
        }
    }
    best.map(|(_, p)| p)
}

/// Debian's 6.1 vmlinux with full DWARF, where the issue measured each
/// defect: pps_ktime_compat is 4-aligned (gcc), `irte` is defined twice
/// differently, statx's timestamps are one spec struct.
#[test]
#[cfg_attr(
    no_debian_vmlinux,
    ignore = "needs Debian's vmlinux (benches/vmlinux.sh)"
)]
fn debian_vmlinux_defects_are_gone() {
    let vmlinux = abi_test_tools::require("debian_vmlinux")
        .display()
        .to_string();
    let out = run(&[
        "dump",
        "--elf",
        &vmlinux,
        "--struct",
        "pps_ktime_compat,irte,statx",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let l = &v["layouts"];
    assert_eq!(l[0]["align"], 4);
    assert_eq!(l[0]["size"], 16);
    let others = l[1]["other_definitions"].as_array().expect("others");
    assert!(!others.is_empty(), "irte: {}", l[1]);
    let kinds: Vec<&str> = others.iter().filter_map(|o| o["kind"].as_str()).collect();
    assert_ne!(l[1]["kind"].as_str(), None);
    assert!(
        kinds.iter().any(|k| Some(*k) != l[1]["kind"].as_str()),
        "a union and a struct: {kinds:?}"
    );
    let toml = run(&[
        "dump", "--elf", &vmlinux, "--struct", "statx", "--format", "toml",
    ]);
    let body = text(&toml.stdout);
    assert_eq!(
        body.matches("name = \"statx_timestamp\"").count(),
        1,
        "{body}"
    );
    assert!(!body.contains("statx_timestamp_2"), "{body}");
}
