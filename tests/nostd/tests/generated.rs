//! The generated code, seen from a test: the checked-in file is what
//! `abi-check rust` prints today, the macro and the file agree, and the
//! accessors follow the negotiation model.

use std::mem::{align_of, offset_of, size_of};
use std::path::Path;

use abi_nostd_tests::{hand, linux, tlabi, tlabi_checked_in};

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

#[test]
fn checked_in_file_is_what_abi_check_rust_prints() {
    let spec = abi_spec::load(&root().join("spec.toml")).expect("spec.toml is valid");
    let generated = abi_spec::codegen::rust::generate_file(&spec).expect("generates");
    let checked_in = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("src/generated/tlabi.rs"),
    )
    .expect("checked-in file");
    assert!(
        generated == checked_in,
        "tests/nostd/src/generated/tlabi.rs is stale: run `abi-check rust spec.toml -o tests/nostd/src/generated/tlabi.rs`"
    );
}

#[test]
fn macro_and_cli_output_agree() {
    // Same function underneath; this pins that the macro does not add or
    // drop anything that changes the result.
    assert_eq!(tlabi::TLABI_VERSION, tlabi_checked_in::TLABI_VERSION);
    assert_eq!(
        tlabi::TLABI_AREA_FEATURE_SIZE_VER1,
        tlabi_checked_in::TLABI_AREA_FEATURE_SIZE_VER1
    );
    assert_eq!(
        size_of::<tlabi::tlabi_area>(),
        size_of::<tlabi_checked_in::tlabi_area>()
    );
    assert_eq!(
        offset_of!(tlabi::tlabi_area, slice_ctrl),
        offset_of!(tlabi_checked_in::tlabi_area, slice_ctrl)
    );
    assert_eq!(tlabi::TLABI_FEATURE_MM_CID, 1 << 3);
    assert_eq!(tlabi::TLABI_FEATURE_MM_CID_BIT, 3);
    assert_eq!(tlabi::TLABI_EXTENSION_BIT, 1 << 63);
    assert_eq!(tlabi::TLABI_CPU_ID_UNINITIALIZED, -1i32);
}

#[test]
fn generated_structs_have_the_kernel_layouts() {
    assert_eq!(size_of::<tlabi::tlabi_area>(), 32);
    assert_eq!(align_of::<tlabi::tlabi_area>(), 32);
    assert_eq!(size_of::<linux::clone_args::clone_args>(), 88);
    assert_eq!(align_of::<linux::clone_args::clone_args>(), 8);
    assert_eq!(linux::clone_args::CLONE_ARGS_SIZE_VER0, 64);
    assert_eq!(size_of::<linux::open_how::open_how>(), 24);
    assert_eq!(offset_of!(linux::rseq::rseq, rseq_cs), 8);
    assert_eq!(linux::rseq::RSEQ_FEATURE_SIZE_VER0, 20);
    assert_eq!(size_of::<hand::Rseq>(), 32);
    assert_eq!(size_of::<hand::CloneArgs>(), 88);
    assert_eq!(size_of::<hand::CloneArgsVer0>(), 64);
}

#[test]
fn accessors_follow_length_and_features() {
    let mut area = tlabi::tlabi_area::ZERO;
    area.cpu_id = 3;
    area.node_id = 1;
    let all = tlabi::TLABI_AREA_FEATURE_SIZE_VER4;
    assert_eq!(
        area.read_cpu_id(all, &[tlabi::TLABI_FEATURE_CPU_ID]),
        Some(3)
    );
    // The feature is not agreed: off, whatever the length.
    assert_eq!(area.read_cpu_id(all, &[0]), None);
    assert_eq!(area.read_cpu_id(all, &[]), None);
    // A length shorter than version 1's feature_size: off.
    assert_eq!(area.read_cpu_id(4, &[tlabi::TLABI_FEATURE_CPU_ID]), None);
    assert_eq!(
        area.read_node_id(all, &[tlabi::TLABI_FEATURE_NODE_ID]),
        Some(1)
    );
    assert_eq!(area.read_node_id(all, &[tlabi::TLABI_FEATURE_CPU_ID]), None);

    // rseq negotiates by size alone: node_id (version 1) needs version 1's
    // feature_size, 28; the original 20 bytes leave it off.
    let mut r = linux::rseq::rseq::ZERO;
    r.node_id = 7;
    assert_eq!(r.read_node_id(linux::rseq::RSEQ_FEATURE_SIZE_VER0), None);
    assert_eq!(r.read_node_id(linux::rseq::RSEQ_FEATURE_SIZE_VER1), Some(7));
    assert_eq!(r.read_cpu_id(linux::rseq::RSEQ_FEATURE_SIZE_VER0), Some(0));
}

#[test]
fn default_is_zero() {
    let area = tlabi::tlabi_area::default();
    assert_eq!(area, tlabi::tlabi_area::ZERO);
    assert_eq!(area.cpu_id, 0);
}
