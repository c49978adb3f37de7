//! `abi-check matrix`: every cell of a valid spec passes, a breaking pair of
//! specs fails exactly where the diff says, the output formats hold their
//! shape, and (property) random specs that `check` accepts never fail.

mod common;

use common::{json as json_of, root, run};

use std::path::{Path, PathBuf};
use std::process::Command;

use proptest::prelude::*;
use serde_json::Value;

fn scratch(name: &str, text: &str) -> PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "abi-check-matrix-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(&path, text).expect("write spec");
    path
}

/// (kernel, libc) of every failing cell, per target.
fn failing(report: &Value) -> Vec<(String, u64, u64)> {
    let mut out: Vec<(String, u64, u64)> = report["cells"]
        .as_array()
        .expect("cells")
        .iter()
        .filter(|c| c["pass"] == false)
        .map(|c| {
            (
                c["target"].as_str().unwrap_or_default().to_string(),
                c["kernel"].as_u64().unwrap_or(0),
                c["libc"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

#[test]
fn tlabi_spec_passes_every_cell() {
    let o = run(&["matrix", "spec.toml", "--format", "json"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    let report = json_of(&o);
    assert_eq!(report["pass"], true);
    let cells = report["cells"].as_array().expect("cells");
    // tlabi_area: 4 kernel versions x 4 libc versions x 20 targets.
    let area: Vec<&Value> = cells
        .iter()
        .filter(|c| c["struct"] == "tlabi_area")
        .collect();
    assert_eq!(area.len(), 4 * 4 * 20);
    // Kernel 4 with libc 2 agree on cpu_id and rseq (bits 0, 1) only, and
    // node_id reads None.
    let cell = area
        .iter()
        .find(|c| c["target"] == "x86_64" && c["kernel"] == 4 && c["libc"] == 2)
        .expect("cell");
    assert_eq!(cell["features"], serde_json::json!([0, 1]));
    assert_eq!(cell["length"], 32);
    let field = |name: &str| {
        cell["fields"]
            .as_array()
            .and_then(|f| f.iter().find(|f| f["name"] == name))
            .cloned()
            .unwrap_or(Value::Null)
    };
    assert_eq!(field("cpu_id")["on"], true);
    assert_eq!(field("rseq_cs")["on"], true);
    // libc 2 does not know node_id at all.
    assert_eq!(field("node_id"), Value::Null);
}

#[test]
fn rseq_lengths_follow_the_feature_sizes() {
    let o = run(&["matrix", "examples/linux/rseq.toml"]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{text}");
    assert!(
        text.contains("kernel 1     ok 20     ok 28     ok 28"),
        "{text}"
    );
    assert!(
        text.contains("kernel 2     ok 20     ok 28     ok 33"),
        "{text}"
    );
    // rseq_cs only user space writes: copy-in, every cell the same.
    assert!(text.contains("rseq `rseq_cs` (copy-in)"), "{text}");
    assert!(!text.contains("not simulated"), "{text}");
}

/// (kernel, libc) of the failing cells of `rseq` on x86_64.
fn rseq_failing(spec: &str, announces: &str) -> Vec<(u64, u64)> {
    let o = run(&[
        "matrix",
        spec,
        "--libc-announces",
        announces,
        "--format",
        "json",
    ]);
    let report = json_of(&o);
    assert_eq!(report["libc_announces"], announces);
    let fails = report["cells"]
        .as_array()
        .expect("cells")
        .iter()
        .filter(|c| c["struct"] == "rseq" && c["target"] == "x86_64" && c["pass"] == false)
        .map(|c| {
            (
                c["kernel"].as_u64().unwrap_or(99),
                c["libc"].as_u64().unwrap_or(99),
            )
        })
        .collect::<Vec<_>>();
    assert_eq!(
        o.status.code(),
        Some(if fails.is_empty() { 0 } else { 1 }),
        "exit code follows the cells"
    );
    fails
}

#[test]
fn a_libc_announcing_sizeof_breaks_the_prerelease_rseq_where_the_diff_says() {
    let fixture = "tests/fixtures/rseq-7.0-prerelease.toml";
    // FEATURE_SIZE_AMBIGUOUS: version 2's feature size 32 is the size of
    // versions 0 and 1, which lack slice_ctrl. A C library of version 0 or 1
    // announcing its sizeof (32, as glibc 2.35-2.39 did) gets slice_ctrl
    // switched on by a version-2 kernel, which reads it from the C
    // library's padding.
    let check = run(&["check", fixture, "--format", "json"]);
    let rules: Vec<String> = json_of(&check)["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["rule"].as_str().unwrap_or_default().to_string())
        .collect();
    assert!(
        rules.iter().any(|r| r == "FEATURE_SIZE_AMBIGUOUS"),
        "{rules:?}"
    );
    assert_eq!(rseq_failing(fixture, "size"), vec![(2, 0), (2, 1)]);
    // Announcing the feature size, the same spec works at every pair.
    assert_eq!(rseq_failing(fixture, "feature-size"), vec![]);
    let o = run(&["matrix", fixture, "--libc-announces", "size"]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("FAIL kernel 2 / libc 0: the kernel read `slice_ctrl` (bytes 28..32) from the C library's padding"),
        "{text}"
    );
}

#[test]
fn the_one_byte_reserved_makes_rseq_safe_for_a_libc_announcing_sizeof() {
    let spec = "examples/linux/rseq.toml";
    assert_eq!(rseq_failing(spec, "size"), vec![]);
    assert_eq!(rseq_failing(spec, "feature-size"), vec![]);
    // A version-0 C library announcing 32 bytes gets node_id and mm_cid
    // written into its tail padding by a version-1 kernel, which agrees 28
    // bytes (harmless: only the kernel writes them); the library, from its
    // own table, agrees 20 and reads only what it knows.
    let o = run(&[
        "matrix",
        spec,
        "--libc-announces",
        "size",
        "--format",
        "json",
    ]);
    let report = json_of(&o);
    let cell = report["cells"]
        .as_array()
        .expect("cells")
        .iter()
        .find(|c| {
            c["struct"] == "rseq" && c["target"] == "x86_64" && c["kernel"] == 1 && c["libc"] == 0
        })
        .cloned()
        .expect("cell");
    assert_eq!(cell["announced"], 32);
    assert_eq!(cell["length"], 28);
    assert_eq!(cell["libc_length"], 20);
    assert_eq!(cell["pass"], true);
}

#[test]
fn clone_args_is_copied_in_with_e2big_where_the_caller_is_newer() {
    let o = run(&["matrix", "examples/linux/clone_args.toml"]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{text}");
    assert!(text.contains("clone_args `clone_args` (copy-in)"), "{text}");
    // Sizes 64/80/88: a newer caller setting its new fields gets E2BIG
    // (ok*), and with only the older fields set, the kernel's length.
    assert!(
        text.contains("kernel 0     ok 64    ok* 64    ok* 64"),
        "{text}"
    );
    assert!(
        text.contains("kernel 1     ok 64     ok 80    ok* 80"),
        "{text}"
    );
    assert!(
        text.contains("kernel 2     ok 64     ok 80     ok 88"),
        "{text}"
    );
    let json = json_of(&run(&[
        "matrix",
        "examples/linux/clone_args.toml",
        "--format",
        "json",
    ]));
    let cells = json["cells"].as_array().expect("cells");
    assert_eq!(cells.len(), 3 * 3 * 20);
    let cell = cells
        .iter()
        .find(|c| c["target"] == "x86_64" && c["kernel"] == 0 && c["libc"] == 2)
        .expect("cell");
    assert_eq!(cell["protocol"], "copy-in");
    assert_eq!(cell["expected_refusal"], 7);
    assert_eq!(cell["announced"], 88);
}

#[test]
fn copy_in_of_a_moved_field_fails() {
    // clone_args whose kernel swapped `pidfd` and `child_tid`: every
    // caller's pidfd reaches the kernel as child_tid.
    let text =
        std::fs::read_to_string(root().join("examples/linux/clone_args.toml")).expect("read");
    let swapped = text
        .replacen("name = \"pidfd\"", "name = \"@tmp\"", 1)
        .replacen("name = \"child_tid\"", "name = \"pidfd\"", 1)
        .replacen("name = \"@tmp\"", "name = \"child_tid\"", 1);
    let kernel = scratch("clone_args", &swapped);
    let o = run(&[
        "matrix",
        "examples/linux/clone_args.toml",
        "--kernel-spec",
        &kernel.to_string_lossy(),
    ]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("the kernel reads `pidfd` as"), "{out}");
    assert!(!out.contains(" ok "), "every cell fails: {out}");
}

const BASE: &str = r#"
[abi]
name = "demo"
version = 2
first_version = 1

[[feature]]
name = "b"
bit = 0
since = 2

[[struct]]
name = "area"
writer = "kernel"
align = 8

[[struct.field]]
name = "a"
type = "u32"
since = 1

[[struct.field]]
name = "b"
type = "u32"
since = 2
feature = "b"

[[struct.field]]
name = "c"
type = "u64"
since = 2
feature = "b"
"#;

/// Runs the diff and the matrix for OLD (the kernel) and NEW (the libc)
/// and returns (diff rules, matrix failing cells on x86_64).
fn pair(new_text: &str) -> (Vec<String>, Vec<(u64, u64)>) {
    let old = scratch("old", BASE);
    let new = scratch("new", new_text);
    let (old, new) = (old.to_string_lossy(), new.to_string_lossy());
    let diff = run(&["diff", &old, &new, "--format", "json"]);
    let rules = json_of(&diff)["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["severity"] == "breaking")
        .map(|f| f["rule"].as_str().unwrap_or_default().to_string())
        .collect();
    let matrix = run(&["matrix", &new, "--kernel-spec", &old, "--format", "json"]);
    let report = json_of(&matrix);
    let fails: Vec<(u64, u64)> = failing(&report)
        .into_iter()
        .filter(|(t, _, _)| t == "x86_64")
        .map(|(_, k, l)| (k, l))
        .collect();
    assert_eq!(
        matrix.status.code(),
        Some(if fails.is_empty() { 0 } else { 1 }),
        "exit code follows the cells"
    );
    (rules, fails)
}

#[test]
fn identical_pair_passes() {
    let (rules, fails) = pair(BASE);
    assert!(rules.is_empty() && fails.is_empty(), "{rules:?} {fails:?}");
}

#[test]
fn moved_field_fails_where_both_sides_know_it() {
    // b and c swap places: a u64 at 8 and a u32 at 16 rather than the reverse.
    let moved = BASE.replace(
        "name = \"b\"\ntype = \"u32\"",
        "name = \"b\"\ntype = \"u32\"\nalign = 8",
    );
    let moved = moved.replace(
        "[[struct.field]]\nname = \"c\"\ntype = \"u64\"\nsince = 2\nfeature = \"b\"\n",
        "",
    );
    let moved = moved.replace(
        "[[struct.field]]\nname = \"b\"",
        "[[struct.field]]\nname = \"c\"\ntype = \"u64\"\nsince = 2\nfeature = \"b\"\n\n[[struct.field]]\nname = \"b\"",
    );
    let (rules, fails) = pair(&moved);
    assert!(rules.iter().any(|r| r == "FIELD_MOVED"), "{rules:?}");
    // Only version 2 on both sides has the moved fields on.
    assert_eq!(fails, vec![(2, 2)]);
}

#[test]
fn retyped_field_fails() {
    let retyped = BASE.replace(
        "name = \"c\"\ntype = \"u64\"",
        "name = \"c\"\ntype = \"u32\"",
    );
    let (rules, fails) = pair(&retyped);
    assert!(rules.iter().any(|r| r == "FIELD_RETYPED"), "{rules:?}");
    assert_eq!(fails, vec![(2, 2)]);
}

#[test]
fn raised_alignment_is_refused_by_the_kernel() {
    // The kernel (OLD here) wants 8; a libc whose area is only 4-aligned is
    // refused at every version.
    let libc = BASE
        .replace("align = 8\n", "")
        .replace("type = \"u64\"", "type = \"u32\"");
    let old = scratch("kernel", BASE);
    let new = scratch("libc", &libc);
    let o = run(&[
        "matrix",
        &new.to_string_lossy(),
        "--kernel-spec",
        &old.to_string_lossy(),
    ]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{text}");
    assert!(text.contains("is not 8-aligned"), "{text}");
}

#[test]
fn feature_bit_changed_fails() {
    let moved_bit = BASE.replace("bit = 0", "bit = 1");
    let (rules, fails) = pair(&moved_bit);
    assert!(
        rules.iter().any(|r| r == "FEATURE_BIT_CHANGED"),
        "{rules:?}"
    );
    assert_eq!(fails, vec![(2, 2)]);
}

/// `matrix spec.toml --format svg`.
fn matrix_svg() -> String {
    let o = run(&["matrix", "spec.toml", "--format", "svg"]);
    assert_eq!(o.status.code(), Some(0));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn svg_is_a_grid() {
    let svg = matrix_svg();
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert!(svg.trim_end().ends_with("</svg>"));
    // One rect per cell: tlabi_area (registration) and tlabi_registration
    // (copy-in), each alike on every target, 4 x 4 versions.
    assert_eq!(svg.matches("<rect x=").count(), 32);
}

#[test]
#[cfg_attr(no_rsvg, ignore = "needs rsvg-convert")]
fn svg_grid_renders() {
    let rsvg = abi_test_tools::require("rsvg");
    let dir = std::env::temp_dir().join(format!("abi-matrix-svg-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("m.svg");
    std::fs::write(&path, matrix_svg()).expect("write");
    let png = Command::new(rsvg)
        .arg(&path)
        .output()
        .expect("rsvg-convert runs");
    assert!(
        png.status.success(),
        "{}",
        String::from_utf8_lossy(&png.stderr)
    );
}

#[test]
fn different_abis_are_unusable() {
    let other = scratch(
        "other",
        &BASE.replace("name = \"demo\"", "name = \"other\""),
    );
    let o = run(&[
        "matrix",
        "spec.toml",
        "--kernel-spec",
        &other.to_string_lossy(),
    ]);
    assert_eq!(o.status.code(), Some(2));
}

/// A random spec: 1-4 versions, fields of random scalar types appended at
/// random versions, with or without features (one bit per field added
/// after the first version), random writers.
fn random_spec() -> impl Strategy<Value = String> {
    let field = (0usize..4, 0u32..4, 0usize..3, any::<bool>());
    (1u32..=4, any::<bool>(), prop::collection::vec(field, 1..7)).prop_map(
        |(versions, with_features, fields)| {
            let mut text = format!(
                "[abi]\nname = \"rnd\"\nversion = {versions}\nfirst_version = 1\n\n"
            );
            let mut since: Vec<u32> = fields.iter().map(|f| 1 + f.1 % versions).collect();
            since.sort_unstable();
            since[0] = 1;
            let mut body = String::from("[[struct]]\nname = \"area\"\n\n");
            for (i, ((ty, _, writer, aligned), since)) in fields.iter().zip(&since).enumerate() {
                let ty = ["u8", "u16", "u32", "u64"][*ty];
                let writer = ["kernel", "both", "user"][*writer];
                let _ = std::fmt::Write::write_fmt(
                    &mut body,
                    format_args!(
                        "[[struct.field]]\nname = \"f{i}\"\ntype = \"{ty}\"\nsince = {since}\nwriter = \"{writer}\"\n"
                    ),
                );
                if *aligned && ty == "u64" {
                    body.push_str("align = 8\n");
                }
                if with_features && (*since > 1 || i == 0) {
                    let _ = std::fmt::Write::write_fmt(
                        &mut text,
                        format_args!("[[feature]]\nname = \"f{i}\"\nbit = {}\nsince = {since}\n\n", i * 9),
                    );
                    let _ = std::fmt::Write::write_fmt(&mut body, format_args!("feature = \"f{i}\"\n"));
                }
                body.push('\n');
            }
            text + &body
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// For every random spec that `check` accepts, every cell passes.
    #[test]
    fn valid_specs_never_fail(spec in random_spec()) {
        let path = scratch("rnd", &spec);
        let path = path.to_string_lossy();
        let check = run(&["check", &path]);
        prop_assume!(check.status.code() == Some(0));
        let o = run(&["matrix", &path]);
        prop_assert_eq!(o.status.code(), Some(0), "{}\n{}", spec, String::from_utf8_lossy(&o.stdout));
    }
}

#[test]
fn specs_with_many_feature_words_simulate() {
    // 20 feature words, a feature at bit 1200: as valid as one word.
    let o = Command::new(env!("CARGO_BIN_EXE_abi-check"))
        .args([
            "matrix",
            "tests/fixtures/regressions/twenty-feature-words.toml",
        ])
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
        .output()
        .expect("abi-check runs");
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
}

#[test]
fn structs_too_large_to_lay_out_in_memory_are_skipped_not_allocated() {
    let o = Command::new(env!("CARGO_BIN_EXE_abi-check"))
        .args([
            "matrix",
            "tests/fixtures/regressions/two-gigabyte-array.toml",
        ])
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
        .output()
        .expect("abi-check runs");
    assert_eq!(o.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&o.stdout).contains("not simulated: 2000000000 bytes"));
}

/// A spec of one struct over `versions` versions, one u32 field added per
/// version, each gated by a feature of its own: the matrix's worst shape
/// (benches/gen_limit_spec.py `versions`).
fn growing_spec(versions: u32) -> String {
    let words = versions.div_ceil(63);
    let mut out = format!(
        "[abi]\nname = \"limit\"\nversion = {versions}\nfirst_version = 1\nfeature_words = {words}\n\n"
    );
    // Bits 0..62, 64..126, ...: never an extension bit.
    let bits: Vec<u32> = (0..)
        .filter(|b| b % 64 != 63)
        .take(versions as usize)
        .collect();
    for v in 2..=versions {
        out += &format!(
            "[[feature]]\nname = \"f{v}\"\nbit = {}\nsince = {v}\n\n",
            bits[v as usize - 2]
        );
    }
    out += "[[struct]]\nname = \"s\"\n\n";
    for v in 1..=versions {
        out += &format!("[[struct.field]]\nname = \"v{v}\"\ntype = \"u32\"\nsince = {v}\n");
        if v > 1 {
            out += &format!("feature = \"f{v}\"\n");
        }
    }
    out
}

/// `abi-check` under an address-space limit of 512 MiB.
fn in_512_mib() -> Command {
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg("ulimit -v 524288; exec \"$@\"")
        .arg("sh")
        .arg(env!("CARGO_BIN_EXE_abi-check"));
    command
}

/// 128 versions: 16,384 cells per target, up to 128 field results each.
/// Keeping every cell's results took memory growing with versions cubed
/// (256 versions: 8 GB, then an abort); the cells are now run once per
/// layout class and only what the table shows is kept.
#[test]
fn many_versions_simulate_in_bounded_memory() {
    let spec = scratch("versions", &growing_spec(128));
    let o = in_512_mib()
        .args(["matrix", &spec.to_string_lossy()])
        .output()
        .expect("abi-check runs");
    let text = String::from_utf8_lossy(&o.stdout);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{text}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        text.contains(&format!("{} cells, 0 failed", 128 * 128 * 20)),
        "{}",
        text.lines().last().unwrap_or_default()
    );
    // One table: every target reads alike.
    assert_eq!(text.matches("limit `s` (registration) on").count(), 1);
}

/// JSON is written as the cells come (it holds every field of every cell
/// on every target: gigabytes here), and a reader that stops reading
/// stops the run.
#[test]
fn json_streams_and_stops_with_its_reader() {
    use std::io::Read;
    let spec = scratch("versions", &growing_spec(128));
    let mut child = in_512_mib()
        .args(["matrix", &spec.to_string_lossy(), "--format", "json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("abi-check runs");
    let mut head = vec![0u8; 1 << 20];
    child
        .stdout
        .take()
        .expect("stdout")
        .read_exact(&mut head)
        .expect("a megabyte of JSON");
    let status = child.wait().expect("abi-check ends");
    let text = String::from_utf8_lossy(&head);
    assert!(
        text.starts_with("{\n  \"abi\": \"limit\",\n  \"cells\": [\n    {\n"),
        "{}",
        &text[..200]
    );
    // A closed pipe ends the output quietly, with the command's own code.
    assert_eq!(status.code(), Some(0), "{status:?}");
}

/// Cells times fields past `MAX_SIMULATED_STEPS` (here 256 x 256 pairs of
/// 3,000-field views on every layout class): the struct is listed as not
/// simulated, at once, rather than taking an hour.
#[test]
fn a_struct_past_the_simulation_budget_is_listed_not_simulated() {
    let mut text =
        String::from("[abi]\nname = \"limit\"\nversion = 256\nfirst_version = 1\n\n[[struct]]\nname = \"big\"\n\n");
    for f in 0..3000 {
        text += &format!("[[struct.field]]\nname = \"f{f}\"\ntype = \"u32\"\nsince = 1\n");
    }
    text += "\n[[struct]]\nname = \"small\"\n\n[[struct.field]]\nname = \"a\"\ntype = \"u32\"\nsince = 1\n";
    let spec = scratch("budget", &text);
    let o = run(&["matrix", &spec.to_string_lossy()]);
    assert_eq!(o.status.code(), Some(0));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("`big` not simulated: ")
            && out.contains(
                "field visits: more than the 2147483648 left of the 2147483648 one matrix makes"
            ),
        "{out}"
    );
    // The other struct is simulated.
    assert!(out.contains("limit `small` (registration) on"), "{out}");
    assert!(!out.contains("limit `big`"), "{out}");
    assert!(
        out.contains(&format!("{} cells, 0 failed", 256 * 256 * 20)),
        "{}",
        out.lines().last().unwrap_or_default()
    );
}
