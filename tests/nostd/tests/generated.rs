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

/// The generated `read_*` accessors compile the run-time's one definition
/// of "on" (`abi_spec::runtime::Agreement::is_on`) into constants: for
/// every agreed length and every set of agreed feature bits, each accessor
/// answers as `is_on` does with the numbers the run-time tables hold
/// (`abi_spec::protocol::SideTable`: the field's bound and bit).
#[test]
fn accessors_answer_as_the_run_time_does() {
    use abi_spec::protocol::SideTable;
    use abi_spec::runtime::Agreement;

    let spec = abi_spec::load(&root().join("spec.toml")).expect("spec.toml is valid");
    let index = spec.struct_index("tlabi_area").expect("tlabi_area");
    let table =
        SideTable::new(&spec, index, abi_spec::Target::X86_64, spec.abi.version).expect("a table");
    let def = &spec.structs[index];
    let area = tlabi::tlabi_area::ZERO;
    type Read = fn(&tlabi::tlabi_area, usize, &[u64]) -> bool;
    let accessors: [(&str, Read); 7] = [
        ("cpu_id", |a, l, f| a.read_cpu_id(l, f).is_some()),
        ("cpu_id_start", |a, l, f| {
            a.read_cpu_id_start(l, f).is_some()
        }),
        ("rseq_cs", |a, l, f| a.read_rseq_cs(l, f).is_some()),
        ("flags", |a, l, f| a.read_flags(l, f).is_some()),
        ("node_id", |a, l, f| a.read_node_id(l, f).is_some()),
        ("mm_cid", |a, l, f| a.read_mm_cid(l, f).is_some()),
        ("slice_ctrl", |a, l, f| a.read_slice_ctrl(l, f).is_some()),
    ];
    let live = table.fields.iter().filter(|f| !f.reserved).count();
    assert_eq!(live, accessors.len(), "an accessor per live field");
    let bits: Vec<u32> = spec.features.iter().map(|f| f.bit).collect();
    let size = std::mem::size_of::<tlabi::tlabi_area>();
    let mut checked = 0;
    for length in 0..=size + 8 {
        for mask in 0u32..(1 << bits.len()) {
            let word = bits
                .iter()
                .enumerate()
                .filter(|(i, _)| mask & (1 << i) != 0)
                .fold(0u64, |w, (_, &b)| w | 1 << b);
            let words = [word];
            let agreement = Agreement {
                length,
                features: &words,
            };
            for (name, read) in &accessors {
                let field = table
                    .fields
                    .iter()
                    .find(|f| def.fields[f.index].name == *name)
                    .expect("the field is in the table");
                assert_eq!(
                    read(&area, length, &words),
                    agreement.is_on(field.span.bound, field.span.feature),
                    "{name} at length {length}, features {word:#x}"
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 1000);
}

#[test]
fn checked_in_perf_file_is_what_abi_check_rust_prints() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let spec = abi_spec::load(&manifest.join("specs/perf.toml")).expect("perf.toml is valid");
    let generated = abi_spec::codegen::rust::generate_file(&spec).expect("generates");
    let checked_in =
        std::fs::read_to_string(manifest.join("src/generated/perf.rs")).expect("checked-in file");
    assert!(
        generated == checked_in,
        "tests/nostd/src/generated/perf.rs is stale: run `abi-check rust tests/nostd/specs/perf.toml -o tests/nostd/src/generated/perf.rs`"
    );
}

/// The bitfields and anonymous members of `perf_event_attr` through the
/// generated accessors: `read_*` answers as the run-time's `is_on` does
/// for the field that holds the value (the bitfield itself, or the
/// anonymous union around the member), at every length.
#[test]
fn perf_accessors_answer_as_the_run_time_does() {
    use abi_nostd_tests::perf::perf_event_attr;
    use abi_spec::protocol::SideTable;
    use abi_spec::runtime::Agreement;

    let spec = abi_spec::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("specs/perf.toml"))
        .expect("perf.toml is valid");
    let index = spec
        .struct_index("perf_event_attr")
        .expect("perf_event_attr");
    let table =
        SideTable::new(&spec, index, abi_spec::Target::X86_64, spec.abi.version).expect("a table");
    let def = &spec.structs[index];
    // The table's field that holds a value of this name: its own, or the
    // anonymous member whose struct has it.
    let holder = |name: &str| {
        table
            .fields
            .iter()
            .find(|f| {
                let field = &def.fields[f.index];
                field.name == name
                    || (field.unnamed
                        && field
                            .ty
                            .struct_name()
                            .and_then(|n| spec.struct_def(n))
                            .is_some_and(|inner| inner.field(name).is_some()))
            })
            .unwrap_or_else(|| panic!("`{name}` is held by a field of the table"))
    };
    type Read = fn(&perf_event_attr, usize) -> bool;
    macro_rules! reads {
        ($($name:ident),* $(,)?) => {
            [$((stringify!($name), (|a, l| a.$name(l).is_some()) as Read)),*]
        };
    }
    let accessors = reads![
        read_sample_period,
        read_sample_freq,
        read_disabled,
        read_inherit,
        read_precise_ip,
        read_sigtrap,
        read_exclude_callchain_user,
        read_wakeup_events,
        read_wakeup_watermark,
        read_bp_type,
        read_bp_addr,
        read_kprobe_func,
        read_uprobe_path,
        read_config1,
        read_bp_len,
        read_config2,
        read_clockid,
        read_sample_max_stack,
        read_sig_data,
    ];
    let mut attr = perf_event_attr::ZERO;
    attr.set_sample_freq(4000);
    attr.set_precise_ip(3);
    let size = std::mem::size_of::<perf_event_attr>();
    let mut checked = 0;
    for length in 0..=size + 8 {
        let agreement = Agreement {
            length,
            features: &[],
        };
        for (name, read) in &accessors {
            let field = holder(name.trim_start_matches("read_"));
            assert_eq!(
                read(&attr, length),
                agreement.is_on(field.span.bound, field.span.feature),
                "{name} at length {length}"
            );
            checked += 1;
        }
    }
    assert!(checked > 2000);
    assert_eq!(attr.read_sample_period(64), Some(4000));
    assert_eq!(attr.read_precise_ip(64), Some(3));
    assert_eq!(attr.read_config1(64), None, "config1 came with version 1");
    assert_eq!(attr.read_config1(72), Some(0));
}

/// What the generated code gives a user of `perf_event_attr`: Linux's
/// names (the spec's `c_prefix`, `c_name` and `size_macro`), the layout,
/// flag sets that keep unknown bits, `char`, zero-length arrays, empty
/// structs.
#[test]
fn perf_is_generated_with_linux_names() {
    use abi_nostd_tests::{perf, perf_checked_in};

    assert_eq!(size_of::<perf::perf_event_attr>(), 128);
    assert_eq!(align_of::<perf::perf_event_attr>(), 8);
    assert_eq!(
        [
            perf::PERF_ATTR_SIZE_VER0,
            perf::PERF_ATTR_SIZE_VER1,
            perf::PERF_ATTR_SIZE_VER2,
            perf::PERF_ATTR_SIZE_VER3,
            perf::PERF_ATTR_SIZE_VER4,
            perf::PERF_ATTR_SIZE_VER5,
            perf::PERF_ATTR_SIZE_VER6,
            perf::PERF_ATTR_SIZE_VER7,
        ],
        [64, 72, 80, 96, 104, 112, 120, 128]
    );
    assert_eq!(perf::PERF_MAX_STACK_DEPTH, 127);
    assert_eq!(perf::PERF_VERSION, perf_checked_in::PERF_VERSION);
    assert_eq!(offset_of!(perf::perf_event_attr, disabled_bits), 40);
    assert_eq!(offset_of!(perf::perf_event_attr, config1_u), 56);
    assert_eq!(size_of::<perf::perf_branch_entry>(), 24);

    let mut attr = perf::perf_event_attr::ZERO;
    attr.r#type = perf::PerfTypeId::HARDWARE.bits();
    attr.set_disabled(1);
    attr.set_exclude_kernel(1);
    attr.set_precise_ip(2);
    attr.set_sigtrap(1);
    assert_eq!(attr.disabled_bits, 1 | 1 << 5 | 2 << 15 | 1 << 37);
    attr.set_config1(0xfeed);
    assert_eq!(attr.bp_addr(), 0xfeed, "one anonymous union, four names");
    assert_eq!(attr.read_bp_addr(perf::PERF_ATTR_SIZE_VER1), Some(0xfeed));

    let mut entry = perf::perf_branch_entry::ZERO;
    entry.set_cycles(0xffff);
    entry.set_type(9);
    assert_eq!(entry.cycles(), 0xffff);
    assert_eq!(entry.r#type(), 9);
    assert_eq!(entry.mispred(), 0);

    // Flag sets keep bits they have no name for.
    let flags = perf::PerfFlags::FD_CLOEXEC | perf::PerfFlags::from_bits_retain(1 << 40);
    assert_eq!(flags.bits(), 1 << 3 | 1 << 40);
    assert!(flags.contains(perf::PerfFlags::FD_CLOEXEC));
    assert!(!flags.contains(perf::PerfFlags::FD_OUTPUT));
    assert_eq!(perf::PerfFlags::from_bits(1 << 40), None);
    assert_eq!((flags & !perf::PerfFlags::FD_CLOEXEC).bits(), 1 << 40);
    assert_eq!(perf::PerfFlags::all().bits(), 0xf);
    assert_eq!(
        format!("{flags:?}"),
        "PerfFlags(FD_CLOEXEC | 0x10000000000)"
    );
    assert_eq!(format!("{:?}", perf::PerfFlags::empty()), "PerfFlags(0x0)");
    let raw = perf::PerfTypeId::from_bits_retain(42);
    assert!(!raw.is_known());
    assert_eq!(format!("{raw:?}"), "PerfTypeId(42)");
    assert_eq!(format!("{:?}", perf::PerfTypeId::RAW), "PerfTypeId::RAW");
    assert_eq!(perf::PerfTypeId::RAW, perf::PerfTypeId::from_bits_retain(4));

    // char, a zero-length array, an empty struct: size 0, as GNU C.
    assert_eq!(size_of::<perf::perf_empty>(), 0);
    let name = perf::perf_name::ZERO;
    let _: [core::ffi::c_char; 16] = name.name;
    assert_eq!(size_of::<perf::perf_name>(), 20);
    assert_eq!(offset_of!(perf::perf_name, data), 20);
}
