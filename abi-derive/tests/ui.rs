//! trybuild UI tests: every mistake `#[derive(AbiLayout)]` and `generate!`
//! catch, with the compiler's output pinned in `ui/fail/*.stderr`.
//! Regenerate with `TRYBUILD=overwrite cargo test -p abi-derive --test ui`
//! and review the diff.

#[test]
fn ui() {
    // trybuild compiles the cases from a generated crate elsewhere in the
    // target dir; spec paths in them are relative to `tests/ui`.
    std::env::set_var(
        "ABI_DERIVE_MANIFEST_DIR",
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/ui"),
    );
    // A FIFO cannot be checked in: made here, for fail/spec_is_a_fifo.rs.
    let fifo = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/ui/specs/fifo.toml");
    if std::fs::symlink_metadata(fifo).is_err() {
        let made = std::process::Command::new("mkfifo")
            .arg(fifo)
            .status()
            .expect("mkfifo runs");
        assert!(made.success(), "mkfifo {fifo}");
    }
    let cases = trybuild::TestCases::new();
    cases.pass("tests/ui/pass/*.rs");
    cases.compile_fail("tests/ui/fail/*.rs");
}
