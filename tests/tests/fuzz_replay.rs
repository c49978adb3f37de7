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
