//! The layout engine on the traps the contract names, and the per-version
//! view. (The compiler oracle tests in tests/ check the same numbers against
//! real compilers on every target; these pin the engine's own behaviour.)

use abi_spec::layout::{layout, Hole};
use abi_spec::{parse, Spec, Target};

fn spec(fields: &str) -> Spec {
    let text = format!("[abi]\nname = \"t\"\nversion = 3\n[[struct]]\nname = \"s\"\n{fields}");
    parse("test.toml", &text).unwrap_or_else(|e| panic!("{}", e.render(false)))
}

fn offsets(spec: &Spec, target: Target, version: u32) -> (Vec<u64>, u64, u64, u64) {
    let l = layout(spec, 0, target, version)
        .expect("lays out")
        .expect("exists");
    (
        l.fields.iter().map(|f| f.offset).collect(),
        l.size,
        l.feature_size,
        l.align,
    )
}

#[test]
fn u64_after_u32_is_4_aligned_on_i386_sh4_and_2_on_m68k() {
    let s = spec("[[struct.field]]\nname = \"a\"\ntype = \"u32\"\n[[struct.field]]\nname = \"b\"\ntype = \"u64\"\n");
    assert_eq!(offsets(&s, Target::X86_64, 3), (vec![0, 8], 16, 16, 8));
    assert_eq!(offsets(&s, Target::Arm, 3), (vec![0, 8], 16, 16, 8));
    assert_eq!(offsets(&s, Target::X32, 3), (vec![0, 8], 16, 16, 8));
    assert_eq!(offsets(&s, Target::I386, 3), (vec![0, 4], 12, 12, 4));
    assert_eq!(offsets(&s, Target::Sh4, 3), (vec![0, 4], 12, 12, 4));
    assert_eq!(offsets(&s, Target::M68k, 3), (vec![0, 4], 12, 12, 2));
}

#[test]
fn explicit_align_pins_every_target() {
    let s = spec("[[struct.field]]\nname = \"a\"\ntype = \"u32\"\n[[struct.field]]\nname = \"b\"\ntype = \"u64\"\nalign = 8\n");
    for t in Target::ALL {
        assert_eq!(offsets(&s, t, 3), (vec![0, 8], 16, 16, 8), "{t}");
    }
}

#[test]
fn pointers_and_long_follow_the_data_model() {
    let s = spec("[[struct.field]]\nname = \"a\"\ntype = \"u8\"\n[[struct.field]]\nname = \"p\"\ntype = \"ptr\"\n[[struct.field]]\nname = \"l\"\ntype = \"long\"\n");
    assert_eq!(offsets(&s, Target::X86_64, 3), (vec![0, 8, 16], 24, 24, 8));
    assert_eq!(offsets(&s, Target::X32, 3), (vec![0, 4, 8], 12, 12, 4));
    assert_eq!(offsets(&s, Target::M68k, 3), (vec![0, 2, 6], 10, 10, 2));
}

#[test]
fn feature_size_is_the_unrounded_end_and_holes_are_listed() {
    let s = spec("align = 32\n[[struct.field]]\nname = \"a\"\ntype = \"u8\"\n[[struct.field]]\nname = \"b\"\ntype = \"u32\"\n");
    let l = layout(&s, 0, Target::X86_64, 3).unwrap().unwrap();
    assert_eq!((l.size, l.feature_size, l.align), (32, 8, 32));
    assert_eq!(
        l.holes,
        vec![
            Hole {
                offset: 1,
                size: 3,
                tail: false
            },
            Hole {
                offset: 8,
                size: 24,
                tail: true
            }
        ]
    );
}

#[test]
fn packed_union_and_flexible_array() {
    let s = spec("packed = true\n[[struct.field]]\nname = \"a\"\ntype = \"u8\"\n[[struct.field]]\nname = \"b\"\ntype = \"u64\"\n");
    assert_eq!(offsets(&s, Target::X86_64, 3), (vec![0, 1], 9, 9, 1));
    let u = spec("kind = \"union\"\n[[struct.field]]\nname = \"a\"\ntype = \"u8\"\n[[struct.field]]\nname = \"b\"\ntype = \"[u16; 3]\"\n");
    assert_eq!(offsets(&u, Target::X86_64, 3), (vec![0, 0], 6, 6, 2));
    let f = spec("[[struct.field]]\nname = \"n\"\ntype = \"u16\"\n[[struct.field]]\nname = \"data\"\ntype = \"[u64]\"\n");
    assert_eq!(offsets(&f, Target::X86_64, 3), (vec![0, 8], 8, 8, 8));
    assert_eq!(offsets(&f, Target::I386, 3), (vec![0, 4], 4, 4, 4));
}

#[test]
fn versions_keep_fields_by_since_and_reserve_claimed_bytes() {
    let s = spec(
        "[[struct.field]]\nname = \"a\"\ntype = \"u32\"\nsince = 1\n\
         [[struct.field]]\nname = \"b\"\ntype = \"u32\"\nsince = 3\nwas_reserved = 2\n\
         [[struct.field]]\nname = \"c\"\ntype = \"u64\"\nsince = 2\n",
    );
    // Version 1: only `a`. Version 2: `b`'s bytes reserved, then `c`.
    // Version 3: `b` claims them.
    assert_eq!(offsets(&s, Target::X86_64, 1), (vec![0], 4, 4, 4));
    let v2 = layout(&s, 0, Target::X86_64, 2).unwrap().unwrap();
    assert_eq!(
        v2.fields
            .iter()
            .map(|f| (f.offset, f.placeholder))
            .collect::<Vec<_>>(),
        vec![(0, false), (4, true), (8, false)]
    );
    let v3 = layout(&s, 0, Target::X86_64, 3).unwrap().unwrap();
    assert!(v3.fields.iter().all(|f| !f.placeholder));
    assert_eq!((v3.size, v3.feature_size), (16, 16));
}

#[test]
fn nested_structs_use_the_inner_layout_of_the_same_version() {
    let text = "[abi]\nname = \"t\"\nversion = 1\n\
        [[struct]]\nname = \"inner\"\n[[struct.field]]\nname = \"x\"\ntype = \"u8\"\n[[struct.field]]\nname = \"y\"\ntype = \"u64\"\n\
        [[struct]]\nname = \"outer\"\n[[struct.field]]\nname = \"tag\"\ntype = \"u8\"\n[[struct.field]]\nname = \"items\"\ntype = \"[inner; 2]\"\n";
    let s = parse("t.toml", text).unwrap();
    let outer = s.struct_index("outer").unwrap();
    let l = layout(&s, outer, Target::X86_64, 1).unwrap().unwrap();
    assert_eq!((l.fields[1].offset, l.fields[1].size, l.size), (8, 32, 40));
    let l = layout(&s, outer, Target::I386, 1).unwrap().unwrap();
    assert_eq!((l.fields[1].offset, l.fields[1].size, l.size), (4, 24, 28));
}

#[test]
fn spec_toml_is_identical_on_every_target() {
    let s = abi_spec::load(std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../spec.toml"
    )))
    .unwrap();
    let lints = abi_spec::lint::lint(&s);
    assert!(lints.is_empty(), "{lints:#?}");
    for v in s.versions() {
        let reference = layout(&s, 0, Target::X86_64, v).unwrap().unwrap();
        assert_eq!(
            (reference.size, reference.feature_size, reference.align),
            (32, 32, 32)
        );
        for t in Target::ALL {
            let l = layout(&s, 0, t, v).unwrap().unwrap();
            let placed: Vec<_> = l.fields.iter().map(|f| (f.offset, f.size)).collect();
            let expected: Vec<_> = reference
                .fields
                .iter()
                .map(|f| (f.offset, f.size))
                .collect();
            assert_eq!(placed, expected, "{t} v{v}");
        }
    }
}
