//! Replays the saved fuzz corpus (and every crash the fuzzers ever found)
//! through the same checks the fuzz targets run.

use std::path::Path;

fn replay(target: &str, check: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz-corpus")
        .join(target);
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("dir entry").path();
        let data = std::fs::read(&path).expect("readable corpus file");
        let result = std::panic::catch_unwind(|| check(&data));
        assert!(
            result.is_ok(),
            "{} fails the {target} checks",
            path.display()
        );
        count += 1;
    }
    assert!(count > 0, "no corpus for {target}");
}

#[test]
fn spec_corpus() {
    replay("spec", abi_tests::fuzz_checks::spec);
}

#[test]
fn diff_corpus() {
    replay("diff", abi_tests::fuzz_checks::diff);
}

#[test]
fn codegen_corpus() {
    replay("codegen", abi_tests::fuzz_checks::codegen);
}

#[test]
fn dwarf_corpus() {
    replay("dwarf", abi_tests::fuzz_checks::dwarf);
}

/// The differential half of the codegen target, too slow for the fuzz
/// loop: for saved codegen inputs that `check` would accept (no breaking
/// finding from the lints or the history), the generated header must pass
/// `gcc -fsyntax-only` in both styles as C89, C99 and C11 on x86_64 and
/// i386, its static assertions holding, and the Rust code
/// `rustc --emit=metadata` (`fuzz_checks::compile_generated`, which the
/// fuzz target runs too under `ABI_FUZZ_COMPILE`). At most 30 inputs, smallest first, so the test
/// stays within seconds per input. rustc is the one running the tests.
#[test]
#[cfg_attr(no_gcc, ignore = "needs gcc")]
fn accepted_codegen_corpus_compiles() {
    use abi_spec::Severity;

    let gcc = abi_tests::require("gcc");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz-corpus/codegen");
    // Up to 12 seeds (the real specs), then the smallest fuzz inputs: odd
    // names, docs and layouts the seeds lack.
    let mut inputs: Vec<(bool, u64, std::path::PathBuf)> = std::fs::read_dir(&dir)
        .expect("codegen corpus")
        .map(|e| e.expect("dir entry").path())
        .map(|p| {
            let fuzzed = !p
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("seed-"));
            (fuzzed, std::fs::metadata(&p).map_or(0, |m| m.len()), p)
        })
        .collect();
    inputs.sort();
    let scratch = abi_tests::scratch_dir("codegen-compiles");
    let mut compiled = 0;
    let mut seeds = 0;
    let mut failures = Vec::new();
    for (fuzzed, _, path) in inputs {
        if compiled >= 30 {
            break;
        }
        if !fuzzed && seeds >= 12 {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let Ok(spec) = abi_spec::parse("fuzz.toml", &text) else {
            continue;
        };
        let mut findings = abi_spec::lint::lint(&spec);
        findings.extend(abi_spec::compat::history(&spec));
        if findings.iter().any(|f| f.severity == Severity::Breaking) {
            continue;
        }
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("input");
        let dir = scratch.join(name);
        std::fs::create_dir_all(&dir).expect("scratch folder");
        failures.extend(
            abi_tests::fuzz_checks::compile_generated(&spec, &gcc, &dir)
                .into_iter()
                .map(|f| format!("{name}: {f}")),
        );
        compiled += 1;
        seeds += usize::from(!fuzzed);
    }
    eprintln!("compiled the code generated from {compiled} specs, {seeds} of them seeds");
    assert!(
        compiled >= 20 && seeds < compiled,
        "only {compiled} accepted inputs compiled, {seeds} of them seeds"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n---\n"));
    // Kept on failure, to look at.
    let _ = std::fs::remove_dir_all(&scratch);
}
