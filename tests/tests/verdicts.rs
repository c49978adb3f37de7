//! One verdict: every example of a change the commands once judged
//! differently, with the verdict each must give now (`expect.toml` in each
//! folder of `tests/fixtures/verdicts/`): `diff OLD NEW`, `compat OLD NEW`
//! (OLD as the kernel's spec), and the simulated matrix both ways round.
//! And `verify` of a binary that implements an older version of a spec
//! whose newer version claims reserved bytes.

use std::path::Path;

use abi_spec::{load, Rule, Target};
use abi_tests::verdict::{verdicts, Verdicts};
use abi_tests::workspace_root;

fn pass_or_fail(ok: bool) -> &'static str {
    if ok {
        "pass"
    } else {
        "fail"
    }
}

fn check_folder(dir: &Path) {
    let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or("?");
    let spec = |file: &str| {
        load(&dir.join(file)).unwrap_or_else(|e| panic!("{name}: {}", e.render(false)))
    };
    let (old, new) = (spec("old.toml"), spec("new.toml"));
    let expect: toml::Table = std::fs::read_to_string(dir.join("expect.toml"))
        .expect("expect.toml")
        .parse()
        .expect("expect.toml is TOML");
    let want = |key: &str| {
        expect
            .get(key)
            .and_then(|v| v.as_str())
            .unwrap_or_else(|| panic!("{name}: expect.toml lacks `{key}`"))
    };
    let v = verdicts(&old, &new);
    assert_eq!(
        v.diff.name(),
        want("diff"),
        "{name}: diff: {:#?}",
        v.diff_findings
    );
    for rule in expect["rules"].as_array().expect("rules") {
        let rule = Rule::from_id(rule.as_str().expect("a rule ID")).expect("a rule");
        assert!(
            v.diff_rules.contains(&rule),
            "{name}: diff does not report {rule}: {:?}",
            v.diff_rules
        );
    }
    let compat = if v.compat_ok {
        "compatible"
    } else {
        "incompatible"
    };
    assert_eq!(
        compat,
        want("compat"),
        "{name}: compat: {:#?}",
        v.compat_findings
    );
    assert_eq!(
        pass_or_fail(v.old_kernel.pass()),
        want("matrix_old_kernel"),
        "{name}: matrix, OLD as the kernel: {:?}",
        Verdicts::first_failure(&v.old_kernel)
    );
    assert_eq!(
        pass_or_fail(v.new_kernel.pass()),
        want("matrix_new_kernel"),
        "{name}: matrix, NEW as the kernel: {:?}",
        Verdicts::first_failure(&v.new_kernel)
    );
    // The one rule every command follows: what the simulation or compat
    // rejects, diff calls breaking; what diff accepts simulates cleanly.
    let rejected = !v.compat_ok || !v.old_kernel.pass() || !v.new_kernel.pass();
    if rejected {
        assert_eq!(want("diff"), "breaking", "{name}");
    }
    // Where the fixture says which lengths the two sides agree, compat's
    // table and the matrix's cell say the same.
    if let (Some(kernel), Some(libc)) = (
        expect.get("kernel_length").and_then(|v| v.as_integer()),
        expect.get("libc_length").and_then(|v| v.as_integer()),
    ) {
        let report = abi_spec::compat::sides(&old, &new).expect("sides");
        let (kv, lv) = (old.abi.version, new.abi.version);
        let n = report
            .negotiations
            .iter()
            .find(|n| n.kernel_version == kv && n.libc_version == lv)
            .expect("a negotiation at the newest versions");
        assert_eq!(
            (n.length as i64, n.libc_length as i64),
            (kernel, libc),
            "{name}: compat"
        );
        let (_, _, cell) = v
            .old_kernel
            .cells()
            .find(|(_, t, c)| *t == Target::X86_64 && c.kernel == kv && c.libc == lv)
            .expect("a cell at the newest versions");
        assert_eq!(
            (
                cell.length.map(|l| l as i64),
                cell.libc_length.map(|l| l as i64)
            ),
            (Some(kernel), Some(libc)),
            "{name}: matrix"
        );
    }
}

#[test]
fn every_example_gets_its_verdict_from_every_command() {
    let root = workspace_root().join("tests/fixtures/verdicts");
    let mut dirs: Vec<_> = std::fs::read_dir(&root)
        .expect("verdict fixtures")
        .map(|e| e.expect("entry").path())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 7, "{dirs:?}");
    for dir in dirs {
        check_folder(&dir);
    }
}

/// A binary of version 2 implements version 2, with no finding, although
/// version 3 gives its reserved bytes to `c`; a binary of version 3
/// implements version 3. Both through `abi-check verify`'s own code.
#[test]
#[cfg_attr(no_gcc, ignore = "needs gcc")]
fn verify_judges_a_binary_by_the_version_it_implements() {
    let dir = workspace_root().join("tests/fixtures/verdicts-verify");
    let spec = load(&dir.join("spec.toml")).unwrap_or_else(|e| panic!("{}", e.render(false)));
    let gcc = abi_test_tools::require("gcc");
    for (source, version) in [("v2.c", 2), ("v3.c", 3)] {
        let scratch = abi_tests::scratch_dir("verify-older");
        let object = scratch.join("area.o");
        let out = std::process::Command::new(&gcc)
            .args(["-g", "-c", "-o"])
            .arg(&object)
            .arg(dir.join(source))
            .output()
            .expect("gcc runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let dump = abi_dwarf::read_structs(&object, Path::new("/nonexistent"), &["area".into()])
            .unwrap_or_else(|e| panic!("{e}"));
        let verdict = abi_dwarf::compare::verify(
            &spec,
            0,
            &dump.structs[0].layout,
            "area",
            source,
            Target::X86_64,
        );
        assert_eq!(
            verdict.implements,
            Some(version),
            "{source}: {:#?}",
            verdict.findings
        );
        let notable: Vec<_> = verdict
            .findings
            .iter()
            .filter(|f| f.severity <= abi_spec::Severity::Warning)
            .collect();
        assert!(notable.is_empty(), "{source}: {notable:#?}");
        let _ = std::fs::remove_dir_all(&scratch);
    }
}
