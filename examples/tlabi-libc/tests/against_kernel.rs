//! The C library and the kernel crates against each other at every pair of
//! versions: both agree, and the C library reads exactly the fields both
//! versions know, with the kernel's values.

use tlabi_kernel::{Kernel, TABLE};
use tlabi_libc::abi::tlabi_area;
use tlabi_libc::{Libc, Snapshot};

#[test]
fn every_version_pair_interoperates() {
    for kernel_version in 1..=4 {
        for libc_version in 1..=4 {
            let kernel = Kernel {
                version: kernel_version,
            };
            let libc = Libc {
                version: libc_version,
                table: TABLE,
            };
            let mut area = tlabi_area::ZERO;
            let announcement = libc.announce(&area).expect("announce");
            let (answer, registered) = kernel.register(&announcement).expect("registered");
            let agreed = libc.accept(&announcement, &answer).expect("accepted");
            assert_eq!(agreed, registered.agreed);
            // The kernel sees the C library's memory as its own generated
            // struct: the same spec, so the same layout (both crates assert it).
            // SAFETY: both types are repr(C) from one spec, with equal size,
            // alignment and offsets; `area` is valid and exclusively borrowed.
            let kernel_view = unsafe {
                &mut *(&mut area as *mut tlabi_area).cast::<tlabi_kernel::abi::tlabi_area>()
            };
            kernel.update(&registered, kernel_view, 3, 1, 2);
            let both = kernel_version.min(libc_version);
            let expected = Snapshot {
                cpu_id: Some(3),
                cpu_id_start: (both >= 2).then_some(3),
                node_id: (both >= 3).then_some(1),
                mm_cid: (both >= 3).then_some(2),
            };
            assert_eq!(
                libc.read(&area, &agreed),
                expected,
                "kernel {kernel_version}, libc {libc_version}"
            );
        }
    }
}

#[test]
fn a_misaligned_area_is_refused() {
    let libc = Libc {
        version: 4,
        table: TABLE,
    };
    let area = tlabi_area::ZERO;
    let mut announcement = libc.announce(&area).expect("announce");
    announcement.address += 4;
    let err = Kernel { version: 4 }.register(&announcement).unwrap_err();
    assert_eq!(err.errno(), abi_spec::runtime::negotiate::EINVAL);
}
