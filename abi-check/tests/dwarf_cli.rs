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

/// True when gcc is here; under CI its absence fails the test.
fn gcc() -> bool {
    let ok = Command::new("gcc")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var("CI").is_err(),
            "gcc is missing, and CI is set"
        );
        eprintln!("note: gcc is missing; this test checks nothing here");
    }
    ok
}

fn compile(dir: &Path, name: &str, source: &str, flags: &[&str]) -> PathBuf {
    let c = dir.join(format!("{name}.c"));
    std::fs::write(&c, source).expect("write C");
    let o = dir.join(format!("{name}.o"));
    let out = Command::new("gcc")
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
fn dump_json_has_the_layout_shape() {
    if !gcc() {
        return;
    }
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
fn dump_toml_is_a_spec_that_checks_clean_and_lays_out_the_same() {
    if !gcc() {
        return;
    }
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
    let layout = run(&["layout", &spec, "--struct", "odd", "--format", "json"]);
    assert_eq!(layout.status.code(), Some(0), "{}", text(&layout.stderr));
    let layout: serde_json::Value = serde_json::from_slice(&layout.stdout).expect("json");
    let dump = run(&["dump", "--elf", &elf, "--struct", "odd", "--format", "json"]);
    let dump: serde_json::Value = serde_json::from_slice(&dump.stdout).expect("json");
    assert_eq!(layout["layouts"][0]["size"], dump["layouts"][0]["size"]);
    assert_eq!(layout["layouts"][0]["align"], dump["layouts"][0]["align"]);
    // Every named, non-bitfield member sits where the spec puts it.
    let spec_fields = layout["layouts"][0]["fields"].as_array().expect("fields");
    for f in dump["layouts"][0]["fields"].as_array().expect("fields") {
        if f.get("bit_size").is_some() || f["name"] == "i" || f["name"] == "u" {
            continue;
        }
        let same = spec_fields.iter().find(|s| s["name"] == f["name"]);
        let same = same.unwrap_or_else(|| panic!("no {} in the spec", f["name"]));
        assert_eq!(same["offset"], f["offset"], "{}", f["name"]);
        assert_eq!(same["size"], f["size"], "{}", f["name"]);
    }
}

#[test]
fn dump_text_shows_bitfields_and_anonymous_members() {
    if !gcc() {
        return;
    }
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
fn a_name_not_found_is_exit_2_naming_the_file() {
    if !gcc() {
        return;
    }
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
fn verify_says_which_version_side_by_side() {
    if !gcc() {
        return;
    }
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
fn verify_reports_mismatches_with_rule_ids() {
    if !gcc() {
        return;
    }
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
    let sections = Command::new("readelf")
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
    let info = Command::new("readelf")
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
fn a_typedef_cycle_is_exit_2() {
    if !gcc() {
        return;
    }
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
fn an_absurd_array_bound_is_exit_2() {
    if !gcc() {
        return;
    }
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
