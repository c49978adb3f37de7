//! The rseq area glibc registered with the running kernel, found and read
//! through the code `abi_derive::generate!` makes of
//! `examples/linux/rseq.toml` and the project's negotiation, matches what
//! the kernel reports by other means (sched_getcpu(), the getcpu system
//! call, the number of CPUs).
//!
//! Where the system offers no rseq area, the test says so on stderr and
//! passes, except under CI when the kernel does have the rseq system call
//! and GLIBC_TUNABLES did not turn it off on purpose: then glibc should have
//! registered, and not doing so is a failure. On hosts other than x86_64
//! Linux it checks nothing, and says so.

#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
#[path = "../../examples/rseq_live.rs"]
mod rseq_live;

#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
#[test]
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

#[cfg(not(all(target_os = "linux", target_arch = "x86_64")))]
#[test]
fn live_rseq_area_matches_kernel() {
    eprintln!("note: live_rseq_area_matches_kernel reads glibc's rseq area on x86_64 Linux only; it checks nothing here");
}
