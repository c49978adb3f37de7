//! The rseq area glibc registered with the running kernel, read through the
//! project's negotiation and the layout of `examples/linux/rseq.toml`,
//! matches what the kernel reports by other means.
//!
//! Where the system offers no rseq area, the test says so on stderr and
//! passes, except under CI when the kernel does have the rseq system call
//! and GLIBC_TUNABLES did not turn it off on purpose: then glibc should have
//! registered, and not doing so is a failure.

#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
#[path = "../../examples/rseq_live.rs"]
mod rseq_live;

#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
#[test]
fn live_rseq_area_matches_kernel() {
    use rseq_live::{describe, inspect, Found};
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let found = inspect(&root).unwrap_or_else(|e| panic!("cannot inspect rseq: {e}"));
    eprint!("{}", describe(&found));
    match found {
        Found::Area(report) => {
            assert_eq!(report.address % report.align, 0, "area misaligned");
            assert!(
                report.length >= 20,
                "agreed length {} below the original area",
                report.length
            );
            for (name, on, value, against, ok) in &report.fields {
                assert!(ok, "{name}: on = {on}, read {value:?}, expected {against}");
            }
            // cpu_id is in every version: it must be on.
            assert!(report.fields.iter().any(|f| f.0 == "cpu_id" && f.1));
        }
        Found::NoRseq {
            reason,
            kernel_supports,
            tunable_off,
        } => {
            if abi_tests::in_ci() && kernel_supports && !tunable_off {
                panic!("{reason}");
            }
        }
    }
}
