//! A `#![no_std]` crate with no dependency but the `abi-derive` proc-macros:
//! it compiles only if the generated code needs nothing but `core`, and
//! only if every layout assertion holds on the target it is built for.
//!
//! - [`tlabi`]: `generate!` on the workspace's `spec.toml`;
//!   [`tlabi_checked_in`]: the same spec through `abi-check rust`, checked
//!   in as `src/generated/tlabi.rs` (kept current by a test).
//! - [`perf`]: `generate!` on `specs/perf.toml`, Linux 6.1's
//!   `perf_event_attr` with its bitfields and anonymous unions, a flag set
//!   and an enumeration, `char`, a zero-length array and an empty struct;
//!   [`perf_checked_in`]: the same through `abi-check rust`, checked in as
//!   `src/generated/perf.rs`.
//! - [`linux`]: `generate!` on each spec of `examples/linux/`.
//! - [`hand`]: hand-written `rseq` and `clone_args`, checked with
//!   `#[derive(AbiLayout)]`.
#![no_std]
#![forbid(missing_docs)]

/// `generate!` on the workspace's `spec.toml`.
pub mod tlabi {
    abi_derive::generate!("../../spec.toml");
}

/// The checked-in output of `abi-check rust spec.toml`.
pub mod tlabi_checked_in {
    include!("generated/tlabi.rs");
}

/// `generate!` on `specs/perf.toml`.
pub mod perf {
    abi_derive::generate!("specs/perf.toml");
}

/// The checked-in output of `abi-check rust tests/nostd/specs/perf.toml`.
pub mod perf_checked_in {
    include!("generated/perf.rs");
}

/// `generate!` on the Linux examples, one module per spec.
pub mod linux {
    /// clone3(2)'s `struct clone_args`.
    pub mod clone_args {
        abi_derive::generate!("../../examples/linux/clone_args.toml");
    }
    /// landlock_create_ruleset(2)'s `struct landlock_ruleset_attr`.
    pub mod landlock_ruleset_attr {
        abi_derive::generate!("../../examples/linux/landlock_ruleset_attr.toml");
    }
    /// statmount(2)/listmount(2)'s `struct mnt_id_req`.
    pub mod mnt_id_req {
        abi_derive::generate!("../../examples/linux/mnt_id_req.toml");
    }
    /// mount_setattr(2)'s `struct mount_attr`.
    pub mod mount_attr {
        abi_derive::generate!("../../examples/linux/mount_attr.toml");
    }
    /// openat2(2)'s `struct open_how`.
    pub mod open_how {
        abi_derive::generate!("../../examples/linux/open_how.toml");
    }
    /// perf_event_open(2)'s `struct perf_event_attr`.
    pub mod perf_event_attr {
        abi_derive::generate!("../../examples/linux/perf_event_attr.toml");
    }
    /// rseq(2)'s `struct rseq` and `struct rseq_cs`.
    pub mod rseq {
        abi_derive::generate!("../../examples/linux/rseq.toml");
    }
    /// sched_setattr(2)'s `struct sched_attr`.
    pub mod sched_attr {
        abi_derive::generate!("../../examples/linux/sched_attr.toml");
    }
}

/// Hand-written structs, as a C library's Rust port keeps them, checked
/// against the specs by the derive.
pub mod hand {
    use abi_derive::AbiLayout;

    /// `struct rseq` as a C library that knows Linux 6.3 (`node_id`,
    /// `mm_cid`) declares it: version 1 of the spec.
    #[derive(AbiLayout, Clone, Copy, Debug, Default)]
    #[abi(spec = "../../examples/linux/rseq.toml", name = "rseq", version = 1)]
    #[repr(C, align(32))]
    pub struct Rseq {
        /// Always a valid CPU number.
        pub cpu_id_start: u32,
        /// The CPU number, or RSEQ_CPU_ID_UNINITIALIZED.
        pub cpu_id: u32,
        /// Address of the current `struct rseq_cs`, 0 when none.
        pub rseq_cs: u64,
        /// Deprecated; zero.
        pub flags: u32,
        /// The NUMA node of the current CPU.
        pub node_id: u32,
        /// The concurrency ID.
        pub mm_cid: u32,
    }

    /// `struct rseq_cs` with Linux's names for the C types.
    #[derive(AbiLayout, Clone, Copy, Debug, Default)]
    #[abi(spec = "../../examples/linux/rseq.toml")]
    #[repr(C, align(32))]
    #[allow(non_camel_case_types)]
    pub struct rseq_cs {
        /// Zero.
        pub version: __u32,
        /// Flags.
        pub flags: __u32,
        /// First instruction of the critical section.
        pub start_ip: __u64,
        /// Length of the critical section.
        pub post_commit_offset: __u64,
        /// Where to go on abort.
        pub abort_ip: __u64,
    }

    /// Linux's `__u32`.
    #[allow(non_camel_case_types)]
    pub type __u32 = u32;
    /// Linux's `__u64`.
    #[allow(non_camel_case_types)]
    pub type __u64 = u64;

    /// `struct clone_args` as of Linux 5.7 (version 2). Every member is an
    /// `__aligned_u64`: the struct's `align(8)` gives i386 the same layout.
    #[derive(AbiLayout, Clone, Copy, Debug, Default)]
    #[abi(
        spec = "../../examples/linux/clone_args.toml",
        name = "clone_args",
        version = 2
    )]
    #[repr(C, align(8))]
    pub struct CloneArgs {
        /// CLONE_* flags.
        pub flags: u64,
        /// Where to store the pidfd.
        pub pidfd: u64,
        /// Where to store the child's TID.
        pub child_tid: u64,
        /// Where to store the parent's TID.
        pub parent_tid: u64,
        /// The signal sent to the parent on the child's exit.
        pub exit_signal: u64,
        /// The lowest byte of the child's stack.
        pub stack: u64,
        /// Its size.
        pub stack_size: u64,
        /// The child's TLS.
        pub tls: u64,
        /// TIDs to ask for, one per PID namespace.
        pub set_tid: u64,
        /// How many.
        pub set_tid_size: u64,
        /// A cgroup fd to start the child in.
        pub cgroup: u64,
    }

    /// `struct clone_args` as of Linux 5.3 (version 0).
    #[derive(AbiLayout, Clone, Copy, Debug, Default)]
    #[abi(
        spec = "../../examples/linux/clone_args.toml",
        name = "clone_args",
        version = 0
    )]
    #[repr(C, align(8))]
    pub struct CloneArgsVer0 {
        /// CLONE_* flags.
        pub flags: u64,
        /// Where to store the pidfd.
        pub pidfd: u64,
        /// Where to store the child's TID.
        pub child_tid: u64,
        /// Where to store the parent's TID.
        pub parent_tid: u64,
        /// The signal sent to the parent on the child's exit.
        pub exit_signal: u64,
        /// The lowest byte of the child's stack.
        pub stack: u64,
        /// Its size.
        pub stack_size: u64,
        /// The child's TLS.
        pub tls: u64,
    }
}
