//! Reads this thread's rseq area, the one glibc registered with the running
//! kernel, through the code `abi_derive::generate!` makes of
//! `examples/linux/rseq.toml` and the negotiation of `abi_spec::runtime`,
//! and prints what it finds:
//!
//! ```text
//! cargo run -p abi-tests --example rseq_live
//! ```
//!
//! The same code backs the test `live_rseq_area_matches_kernel`
//! (tests/tests/live_rseq.rs), which includes this file as a module.
//! Only x86_64 Linux: elsewhere it says so and does nothing.
//!
//! The area lies at the thread pointer (`%fs:0`, the TCB's self pointer on
//! x86_64) plus glibc's `__rseq_offset`. glibc says how much of it it knows
//! in `__rseq_size` (0 when it did not register: a kernel without rseq, or
//! `GLIBC_TUNABLES=glibc.pthread.rseq=0`); the kernel says how much it
//! fills in `getauxval(AT_RSEQ_FEATURE_SIZE)` (absent before Linux 6.3:
//! then version 0's feature size) and the alignment it requires in
//! `getauxval(AT_RSEQ_ALIGN)`. Two agreements come out of
//! `abi_spec::runtime::agree` over the generated size constants:
//!
//! * the C library's, from `__rseq_size`: what glibc's users may read
//!   (glibc 2.36 announces 20, version 0's feature size, so `node_id` and
//!   `mm_cid` read `None` even on a 6.3 kernel);
//! * the kernel's, from the length glibc passed to rseq(2), which the
//!   kernel reveals without changing anything: registering the same area
//!   again answers EINVAL for any other length and EPERM or EBUSY for the
//!   registered one. glibc 2.35-2.39 pass 32, so a 6.3 kernel fills
//!   `node_id` and `mm_cid`, and this checks them.

#![allow(dead_code)]

#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
pub use live::*;

#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
mod live {
    use std::ffi::{c_int, c_long, c_ulong};

    use abi_spec::runtime::{agree, AbiTable, FeatureSet, Negotiated, VersionSizes};

    /// The code generated from the spec: `struct rseq`, its per-version
    /// sizes, and accessors that return `None` for a field that is off.
    #[allow(missing_docs, non_upper_case_globals)]
    pub mod rseq_abi {
        abi_derive::generate!("../examples/linux/rseq.toml");
    }

    use rseq_abi::{
        rseq, RSEQ_FEATURE_SIZE_VER0, RSEQ_FEATURE_SIZE_VER1, RSEQ_FEATURE_SIZE_VER2,
        RSEQ_SIZE_VER0, RSEQ_SIZE_VER1, RSEQ_SIZE_VER2, RSEQ_VERSION,
    };

    /// `getauxval` key of the kernel's rseq feature size.
    const AT_RSEQ_FEATURE_SIZE: c_ulong = 27;
    /// `getauxval` key of the alignment the kernel requires of the area.
    const AT_RSEQ_ALIGN: c_ulong = 28;
    /// `sysconf` key of the number of configured processors (glibc, x86_64).
    const SC_NPROCESSORS_CONF: c_int = 83;
    /// The rseq system call on x86_64.
    const SYS_RSEQ: c_long = 334;
    /// The getcpu system call on x86_64: asked directly, not through the
    /// vDSO or glibc, whose sched_getcpu() reads the rseq area itself.
    const SYS_GETCPU: c_long = 309;
    const ENOSYS: c_int = 38;
    const EINVAL: c_int = 22;
    const EPERM: c_int = 1;
    const EBUSY: c_int = 16;

    extern "C" {
        static __rseq_offset: isize;
        static __rseq_size: u32;
        fn getauxval(kind: c_ulong) -> c_ulong;
        fn sched_getcpu() -> c_int;
        fn sysconf(name: c_int) -> c_long;
        fn syscall(number: c_long, ...) -> c_long;
        fn __errno_location() -> *mut c_int;
    }

    /// What the running system offers.
    #[derive(Debug)]
    pub enum Found {
        /// glibc did not register an area; the string says why, as far as we can tell.
        NoRseq {
            /// Why.
            reason: String,
            /// True when the kernel has the rseq system call.
            kernel_supports: bool,
            /// True when GLIBC_TUNABLES turned rseq off on purpose.
            tunable_off: bool,
        },
        /// The area, its agreements and what it held.
        Area(Report),
    }

    /// One field's check.
    #[derive(Debug, Clone)]
    pub struct FieldCheck {
        /// The field.
        pub name: &'static str,
        /// Whose agreement: "libc" or "kernel".
        pub agreement: &'static str,
        /// What the generated accessor returned (`None`: off).
        pub value: Option<u32>,
        /// What it was checked against.
        pub against: String,
        /// Passed.
        pub ok: bool,
    }

    /// What was read and checked.
    #[derive(Debug)]
    pub struct Report {
        /// Address of the area.
        pub address: usize,
        /// glibc's `__rseq_size`.
        pub rseq_size: u32,
        /// The length glibc registered with the kernel, when found.
        pub registered: Option<usize>,
        /// The kernel's feature size (auxv, or version 0's when absent).
        pub kernel_feature_size: usize,
        /// The alignment the kernel requires.
        pub align: usize,
        /// The C library's agreed length.
        pub length: usize,
        /// The kernel's agreed length, when the registered length was found.
        pub kernel_length: Option<usize>,
        /// Every check.
        pub fields: Vec<FieldCheck>,
    }

    impl Report {
        /// True when every check passed.
        pub fn ok(&self) -> bool {
            self.address & self.align.wrapping_sub(1) == 0 && self.fields.iter().all(|f| f.ok)
        }
    }

    /// The thread pointer: on x86_64 glibc, `%fs:0` holds the TCB's own address.
    fn thread_pointer() -> usize {
        let tp: usize;
        // SAFETY: reading %fs:0 is how the psABI's TLS model finds the TCB,
        // which glibc always sets up with its self pointer in the first word.
        unsafe {
            std::arch::asm!("mov {}, qword ptr fs:0", out(reg) tp, options(nostack, readonly, preserves_flags))
        };
        tp
    }

    fn errno() -> c_int {
        // SAFETY: errno is thread-local and always valid to read.
        unsafe { *__errno_location() }
    }

    /// The generated numbers as the negotiation's table.
    const VERSIONS: [VersionSizes; 3] = {
        let align = core::mem::align_of::<rseq>();
        [
            VersionSizes {
                version: 0,
                size: RSEQ_SIZE_VER0,
                feature_size: RSEQ_FEATURE_SIZE_VER0,
                align,
            },
            VersionSizes {
                version: 1,
                size: RSEQ_SIZE_VER1,
                feature_size: RSEQ_FEATURE_SIZE_VER1,
                align,
            },
            VersionSizes {
                version: 2,
                size: RSEQ_SIZE_VER2,
                feature_size: RSEQ_FEATURE_SIZE_VER2,
                align,
            },
        ]
    };

    /// The agreement of this program (speaking the spec's newest version)
    /// with a side that announced `length`, the kernel announcing
    /// `kernel_feature_size`. rseq has no feature bits.
    fn agreement(length: usize, kernel_feature_size: usize) -> Result<usize, String> {
        let table = AbiTable {
            versions: &VERSIONS,
            fields: &[],
            features: &[],
        };
        let none = FeatureSet::<1>::new();
        let agreed: Negotiated<1> = agree(
            &table,
            RSEQ_VERSION,
            length,
            &none,
            kernel_feature_size,
            &none,
        )
        .map_err(|e| e.to_string())?;
        Ok(agreed.agreement().length)
    }

    /// A copy of the area: `rseq::ZERO` with the first `readable` bytes
    /// taken from the live area, 4 bytes at a time with volatile loads
    /// (every field is 4-aligned; the kernel rewrites them between our
    /// reads, never during one). A copy rather than a `&rseq` into the
    /// live area: the generated struct is the newest one (64 bytes), and
    /// the area glibc owns may be only 32 bytes long at the end of its
    /// thread descriptor, so a reference would claim memory that is not ours.
    fn snapshot(address: usize, readable: usize) -> rseq {
        let mut copy = rseq::ZERO;
        let words = readable.min(core::mem::size_of::<rseq>()) / 4;
        let dst = core::ptr::addr_of_mut!(copy).cast::<u32>();
        for i in 0..words {
            // SAFETY: the area is this thread's registered rseq area, at
            // least `readable` bytes long and 32-aligned; `copy` is a local
            // of at least `words` u32s.
            unsafe {
                let word = core::ptr::read_volatile((address as *const u32).add(i));
                dst.add(i).write(word);
            }
        }
        copy
    }

    /// The length glibc registered, found by registering the same area
    /// again: the kernel answers EINVAL to another length, and EPERM
    /// (another signature) or EBUSY to the registered one, before it looks
    /// at anything else, and changes nothing.
    fn registered_length(address: usize, candidates: &[usize]) -> Option<usize> {
        candidates.iter().copied().find(|&len| {
            // SAFETY: the kernel refuses a second registration of this
            // thread without reading or writing the area.
            let rc = unsafe { syscall(SYS_RSEQ, address, len as u32, 0 as c_int, 0u32) };
            rc == -1 && matches!(errno(), EPERM | EBUSY)
        })
    }

    /// (cpu, node) from the getcpu system call.
    fn getcpu() -> Option<(u32, u32)> {
        let (mut cpu, mut node) = (0u32, 0u32);
        // SAFETY: two valid out-pointers and a NULL cache.
        let rc = unsafe {
            syscall(
                SYS_GETCPU,
                &mut cpu as *mut u32,
                &mut node as *mut u32,
                0usize,
            )
        };
        (rc == 0).then_some((cpu, node))
    }

    /// Finds this thread's rseq area and checks it against the kernel.
    pub fn inspect() -> Result<Found, String> {
        // SAFETY: glibc defines both symbols (2.35 and later) and never writes
        // them after start-up.
        let (offset, rseq_size) = unsafe { (__rseq_offset, __rseq_size) };
        if rseq_size == 0 {
            // rseq(NULL, 0, 0, 0): ENOSYS without the system call, EINVAL with it.
            // SAFETY: a NULL area with length 0 is refused before anything is read.
            let rc = unsafe { syscall(SYS_RSEQ, 0usize, 0u32, 0 as c_int, 0u32) };
            let kernel_supports = !(rc == -1 && errno() == ENOSYS);
            let tunable_off = std::env::var("GLIBC_TUNABLES")
                .is_ok_and(|t| t.split(':').any(|kv| kv == "glibc.pthread.rseq=0"));
            let reason = if tunable_off {
                "glibc did not register an rseq area: GLIBC_TUNABLES has glibc.pthread.rseq=0"
                    .into()
            } else if !kernel_supports {
                "the running kernel has no rseq system call (ENOSYS): no rseq area".into()
            } else {
                "glibc did not register an rseq area (__rseq_size is 0) although the kernel has rseq"
                    .into()
            };
            return Ok(Found::NoRseq {
                reason,
                kernel_supports,
                tunable_off,
            });
        }
        // SAFETY: getauxval only reads the auxiliary vector.
        let (aux_size, aux_align) =
            unsafe { (getauxval(AT_RSEQ_FEATURE_SIZE), getauxval(AT_RSEQ_ALIGN)) };
        let kernel_feature_size = match aux_size {
            0 => RSEQ_FEATURE_SIZE_VER0,
            n => n as usize,
        };
        let align = match aux_align {
            0 => core::mem::align_of::<rseq>(),
            n => n as usize,
        };
        let address = thread_pointer().wrapping_add_signed(offset);
        let length = agreement(rseq_size as usize, kernel_feature_size)?;
        // The kernel refuses a registration shorter than the original
        // 32 bytes, so at least that much is glibc's.
        let candidates = [
            RSEQ_SIZE_VER0,
            rseq_size as usize,
            RSEQ_FEATURE_SIZE_VER0,
            RSEQ_FEATURE_SIZE_VER1,
            RSEQ_FEATURE_SIZE_VER2,
            RSEQ_SIZE_VER2,
        ];
        let registered = registered_length(address, &candidates);
        let readable = registered
            .unwrap_or(0)
            .max(rseq_size as usize)
            .max(RSEQ_SIZE_VER0);
        let kernel_length = match registered {
            Some(r) => Some(agreement(r, kernel_feature_size)?),
            None => None,
        };
        let mut report = Report {
            address,
            rseq_size,
            registered,
            kernel_feature_size,
            align,
            length,
            kernel_length,
            fields: Vec::new(),
        };

        // cpu_id against sched_getcpu() and the getcpu system call, retrying
        // when the thread migrates between the reads.
        let mut cpu_check = FieldCheck {
            name: "cpu_id",
            agreement: "libc",
            value: None,
            against: "the CPU never held still".into(),
            ok: false,
        };
        for _ in 0..1000 {
            let before = snapshot(address, readable).read_cpu_id(length);
            // SAFETY: no arguments, no memory.
            let sys = unsafe { sched_getcpu() };
            let direct = getcpu();
            let after = snapshot(address, readable).read_cpu_id(length);
            let Some(b) = before else {
                cpu_check.against = "cpu_id is off: version 0 is not agreed".into();
                break;
            };
            let Some((c, _)) = direct else {
                cpu_check.against = "the getcpu system call failed".into();
                continue;
            };
            if before == after && sys >= 0 && sys as u32 == c {
                cpu_check.value = Some(b);
                cpu_check.against = format!("sched_getcpu() = getcpu() = {sys}");
                cpu_check.ok = b == c;
                if cpu_check.ok {
                    break;
                }
            }
        }
        report.fields.push(cpu_check);

        // SAFETY: no memory.
        let cpus = unsafe { sysconf(SC_NPROCESSORS_CONF) }.max(1) as u32;
        let mut agreements = vec![("libc", length)];
        if let Some(k) = kernel_length {
            agreements.push(("kernel", k));
        }
        for (whose, agreed) in agreements {
            // node_id against getcpu()'s node, with cpu_id unchanged around
            // the call so both describe the same CPU.
            let mut node = FieldCheck {
                name: "node_id",
                agreement: whose,
                value: None,
                against: format!("off under {agreed} bytes: nothing to check"),
                ok: true,
            };
            if snapshot(address, readable).read_node_id(agreed).is_some() {
                node.against = "the CPU never held still".into();
                node.ok = false;
                for _ in 0..1000 {
                    let before = snapshot(address, readable);
                    let direct = getcpu();
                    let after = snapshot(address, readable);
                    if let (Some((c, n)), Some(v)) = (direct, before.read_node_id(agreed)) {
                        if before.read_cpu_id(agreed) == Some(c)
                            && after.read_cpu_id(agreed) == Some(c)
                        {
                            node.value = Some(v);
                            node.against = format!("getcpu() node = {n}");
                            node.ok = v == n;
                            break;
                        }
                    }
                }
            }
            report.fields.push(node);
            let cid = snapshot(address, readable).read_mm_cid(agreed);
            report.fields.push(FieldCheck {
                name: "mm_cid",
                agreement: whose,
                value: cid,
                against: match cid {
                    Some(_) => format!("below {cpus} CPUs"),
                    None => format!("off under {agreed} bytes: nothing to check"),
                },
                ok: cid.is_none_or(|v| v < cpus),
            });
        }
        Ok(Found::Area(report))
    }

    /// Prints a report for a person.
    pub fn describe(found: &Found) -> String {
        match found {
            Found::NoRseq { reason, .. } => format!("no rseq: {reason}\n"),
            Found::Area(r) => {
                let mut out = format!(
                    "rseq area at {:#x} (aligned to {}: {})\n__rseq_size = {}, AT_RSEQ_FEATURE_SIZE = {}: the C library's agreement is {} bytes\n",
                    r.address,
                    r.align,
                    if r.address & r.align.wrapping_sub(1) == 0 { "yes" } else { "NO" },
                    r.rseq_size,
                    r.kernel_feature_size,
                    r.length
                );
                match (r.registered, r.kernel_length) {
                    (Some(reg), Some(k)) => out.push_str(&format!(
                        "registered with rseq(2) as {reg} bytes: the kernel's agreement is {k} bytes\n"
                    )),
                    _ => out.push_str("the length registered with rseq(2) was not found\n"),
                }
                for f in &r.fields {
                    let shown = match f.value {
                        None => "None".to_string(),
                        Some(v) => v.to_string(),
                    };
                    out.push_str(&format!(
                        "  {:<8} ({:<6}) = {shown:<6} {:<44} {}\n",
                        f.name,
                        f.agreement,
                        f.against,
                        if f.ok { "ok" } else { "MISMATCH" }
                    ));
                }
                out
            }
        }
    }
}

fn main() {
    #[cfg(all(target_os = "linux", target_arch = "x86_64"))]
    match inspect() {
        Ok(found) => {
            print!("{}", describe(&found));
            if let Found::Area(r) = &found {
                if !r.ok() {
                    std::process::exit(1);
                }
            }
        }
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    }
    #[cfg(not(all(target_os = "linux", target_arch = "x86_64")))]
    println!("rseq_live reads glibc's rseq area on x86_64 Linux only: nothing to do here");
}
