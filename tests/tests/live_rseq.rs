//! The rseq area glibc registered with the running kernel, found and read
//! through the code `abi_derive::generate!` makes of
//! `examples/linux/rseq.toml` and the project's negotiation, matches what
//! the kernel reports by other means (sched_getcpu(), the getcpu system
//! call, the number of CPUs).
//!
//! The test is ignored, with its reason in the summary, where the system
//! can offer no rseq area: a kernel without rseq(2) (or a seccomp filter
//! that forbids it), or `glibc.pthread.rseq=0` in GLIBC_TUNABLES; the
//! build script asks (abi-test-tools' optional `rseq`, so CI cannot demand
//! it). Where the system offers it, glibc must have registered the area,
//! and not doing so is a failure. On hosts other than x86_64 Linux it is
//! ignored too.

#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
#[path = "../../examples/rseq_live.rs"]
mod rseq_live;

#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
#[test]
#[cfg_attr(
    no_rseq,
    ignore = "needs a kernel with rseq(2), and GLIBC_TUNABLES without glibc.pthread.rseq=0"
)]
fn live_rseq_area_matches_kernel() {
    use rseq_live::{describe, inspect, Found};
    let found = inspect().unwrap_or_else(|e| panic!("cannot inspect rseq: {e}"));
    eprint!("{}", describe(&found));
    match found {
        Found::Area(report) => {
            assert_eq!(
                report.address & report.align.wrapping_sub(1),
                0,
                "area misaligned"
            );
            assert!(
                report.length >= 20,
                "agreed length {} below the original area",
                report.length
            );
            for f in &report.fields {
                assert!(
                    f.ok,
                    "{} ({} agreement): read {:?}, expected {}",
                    f.name, f.agreement, f.value, f.against
                );
            }
            // cpu_id is in every version: it must be on and have been compared.
            assert!(report
                .fields
                .iter()
                .any(|f| f.name == "cpu_id" && f.value.is_some()));
            // The kernel refuses a registration shorter than 32 bytes, so
            // the registered length must have been found, and (a kernel of
            // 6.3 or later publishing a feature size of 28 or more) its
            // agreement must cover node_id and mm_cid, which were checked.
            let registered = report.registered.expect("registered length found");
            assert!(registered >= 32, "registered {registered} bytes");
            if report.kernel_feature_size >= 28 {
                for name in ["node_id", "mm_cid"] {
                    assert!(
                        report.fields.iter().any(|f| f.name == name
                            && f.agreement == "kernel"
                            && f.value.is_some()),
                        "{name} not checked under the kernel's agreement"
                    );
                }
            }
        }
        // The build script found a kernel that accepts rseq(2) and no
        // tunable against it: glibc should have registered.
        Found::NoRseq { reason, .. } => panic!(
            "{reason} (when the tests were built, the kernel had rseq and GLIBC_TUNABLES did not turn it off)"
        ),
    }
}

#[cfg(not(all(target_os = "linux", target_arch = "x86_64")))]
#[test]
#[ignore = "reads glibc's rseq area on x86_64 Linux only"]
fn live_rseq_area_matches_kernel() {}
