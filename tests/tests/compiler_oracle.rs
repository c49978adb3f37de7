//! The layout engine against real compilers, on every built-in target.
//!
//! Each case is written twice, independently: a spec (in a compact form
//! turned into TOML below) and the C declaration a programmer would write
//! for the same struct, by hand. Every case is laid out by the engine for
//! each target and compared with what that target's compiler says:
//! `sizeof`, `_Alignof`, the feature size (end of the last member) and
//! every member's `offsetof`. One probe file per target holds every case,
//! so the whole table costs twenty compiler runs. Each check is one test
//! per compiler family (`engine_matches_compilers::m68k_gcc`, ...), ignored
//! when that compiler is missing.

use abi_spec::Target;
use abi_tests::compare::{self, Outcome, ProbeStruct};

/// One case: spec structs in compact form, and the hand-written C.
struct Case {
    /// Names the case in messages and the spec's `[abi]`.
    name: &'static str,
    /// Compact struct declarations, see [`spec_toml`].
    spec: &'static [&'static str],
    /// The C declarations of the same structs, written by hand.
    c: &'static str,
}

/// Turns compact declarations into a spec file. A declaration reads
/// `struct NAME [packed] [align N] { field: type [align N], ... }` (or
/// `union ...`). The compact form only saves typing TOML; it says nothing
/// about layout.
fn spec_toml(case: &str, decls: &[&str]) -> String {
    let mut toml = format!("[abi]\nname = \"{case}\"\nversion = 1\n");
    for decl in decls {
        let (head, body) = decl
            .split_once('{')
            .unwrap_or_else(|| panic!("case {case}: no `{{` in `{decl}`"));
        let body = body.trim().trim_end_matches('}');
        let mut words = head.split_whitespace();
        let kind = words.next().unwrap_or("struct");
        let name = words
            .next()
            .unwrap_or_else(|| panic!("case {case}: no name"));
        toml += &format!("\n[[struct]]\nname = \"{name}\"\nkind = \"{kind}\"\n");
        while let Some(word) = words.next() {
            match word {
                "packed" => toml += "packed = true\n",
                "align" => toml += &format!("align = {}\n", words.next().unwrap_or("?")),
                other => panic!("case {case}: unknown attribute `{other}`"),
            }
        }
        for field in body.split(',').map(str::trim).filter(|f| !f.is_empty()) {
            let (field_name, rest) = field
                .split_once(':')
                .unwrap_or_else(|| panic!("case {case}: no `:` in `{field}`"));
            let (ty, align) = match rest.split_once(" align ") {
                Some((ty, align)) => (ty.trim(), Some(align.trim())),
                None => (rest.trim(), None),
            };
            toml += &format!(
                "\n[[struct.field]]\nname = \"{}\"\ntype = \"{ty}\"\n",
                field_name.trim()
            );
            if let Some(align) = align {
                toml += &format!("align = {align}\n");
            }
        }
    }
    toml
}

/// The table of cases. Each C declaration is what the case's name says,
/// written without looking at the spec side.
const CASES: &[Case] = &[
    Case {
        name: "u32_u64",
        spec: &["struct u32_u64 { a: u32, b: u64 }"],
        c: "struct u32_u64 { unsigned int a; unsigned long long b; };",
    },
    Case {
        name: "u16_u64",
        spec: &["struct u16_u64 { a: u16, b: u64 }"],
        c: "struct u16_u64 { unsigned short a; unsigned long long b; };",
    },
    Case {
        name: "u8_u32",
        spec: &["struct u8_u32 { a: u8, b: u32 }"],
        c: "struct u8_u32 { unsigned char a; unsigned int b; };",
    },
    Case {
        name: "u16_u8",
        spec: &["struct u16_u8 { a: u16, b: u8 }"],
        c: "struct u16_u8 { unsigned short a; unsigned char b; };",
    },
    Case {
        name: "one_byte",
        spec: &["struct one_byte { a: u8 }"],
        c: "struct one_byte { unsigned char a; };",
    },
    Case {
        name: "bytes_only",
        spec: &["struct bytes_only { a: u8, b: [u8; 3], c: i8 }"],
        c: "struct bytes_only { unsigned char a; unsigned char b[3]; signed char c; };",
    },
    Case {
        name: "arrays",
        spec: &["struct arrays { a: [u8; 3], b: [u16; 5], c: [u64; 2], d: [u8; 7] }"],
        c: "struct arrays { unsigned char a[3]; unsigned short b[5]; unsigned long long c[2]; unsigned char d[7]; };",
    },
    Case {
        name: "array_2d",
        spec: &["struct array_2d { tag: u8, m: [[u32; 3]; 2], t: [[u8; 5]; 3] }"],
        c: "struct array_2d { unsigned char tag; unsigned int m[2][3]; unsigned char t[3][5]; };",
    },
    Case {
        name: "u8_u64_array",
        spec: &["struct u8_u64_array { a: u8, b: [u64; 1], c: u16 }"],
        c: "struct u8_u64_array { unsigned char a; unsigned long long b[1]; unsigned short c; };",
    },
    Case {
        name: "aligned_struct",
        spec: &["struct aligned_struct align 32 { a: u32, b: u16 }"],
        c: "struct __attribute__((aligned(32))) aligned_struct { unsigned int a; unsigned short b; };",
    },
    Case {
        name: "aligned_member",
        spec: &["struct aligned_member { a: u8, b: u32 align 32, c: u8 }"],
        c: "struct aligned_member { unsigned char a; unsigned int b __attribute__((aligned(32))); unsigned char c; };",
    },
    Case {
        name: "aligned_u64_member",
        spec: &["struct aligned_u64_member { a: u32, b: u64 align 8, c: u32 }"],
        c: "struct aligned_u64_member { unsigned int a; unsigned long long b __attribute__((aligned(8))); unsigned int c; };",
    },
    Case {
        name: "aligned_array_member",
        spec: &["struct aligned_array_member { a: u8, b: [u8; 5] align 64 }"],
        c: "struct aligned_array_member { unsigned char a; unsigned char b[5] __attribute__((aligned(64))); };",
    },
    Case {
        name: "weak_struct_align",
        spec: &["struct weak_struct_align align 2 { a: u32 }"],
        c: "struct __attribute__((aligned(2))) weak_struct_align { unsigned int a; };",
    },
    Case {
        name: "weak_member_align",
        spec: &["struct weak_member_align { a: u8, b: u32 align 2 }"],
        c: "struct weak_member_align { unsigned char a; unsigned int b __attribute__((aligned(2))); };",
    },
    Case {
        name: "tail_padding",
        spec: &["struct tail_padding { a: u64, b: u8 }"],
        c: "struct tail_padding { unsigned long long a; unsigned char b; };",
    },
    Case {
        name: "mixed_small",
        spec: &["struct mixed_small { a: u8, b: u16, c: u8, d: i8, e: i16, f: u8, g: i32, h: u8 }"],
        c: "struct mixed_small { unsigned char a; unsigned short b; unsigned char c; signed char d; short e; unsigned char f; int g; unsigned char h; };",
    },
    Case {
        name: "signed_all",
        spec: &["struct signed_all { a: i8, b: i16, c: i32, d: i64, e: i8 }"],
        c: "struct signed_all { signed char a; short b; int c; long long d; signed char e; };",
    },
    Case {
        name: "packed",
        spec: &["struct packed packed { a: u8, b: u32, c: u16, d: u64 }"],
        c: "struct __attribute__((packed)) packed { unsigned char a; unsigned int b; unsigned short c; unsigned long long d; };",
    },
    Case {
        name: "packed_aligned_member",
        spec: &["struct packed_aligned_member packed { a: u8, b: u32 align 4, c: u8, d: u64 align 2 }"],
        c: "struct __attribute__((packed)) packed_aligned_member { unsigned char a; unsigned int b __attribute__((aligned(4))); unsigned char c; unsigned long long d __attribute__((aligned(2))); };",
    },
    Case {
        name: "packed_aligned_struct",
        spec: &["struct packed_aligned_struct packed align 4 { a: u8, b: u64 }"],
        c: "struct __attribute__((packed, aligned(4))) packed_aligned_struct { unsigned char a; unsigned long long b; };",
    },
    Case {
        name: "int_double",
        spec: &["struct int_double { a: i32, b: f64 }"],
        c: "struct int_double { int a; double b; };",
    },
    Case {
        name: "floats",
        spec: &["struct floats { a: f32, b: f64, c: f32 }"],
        c: "struct floats { float a; double b; float c; };",
    },
    Case {
        name: "float_arrays",
        spec: &["struct float_arrays { a: u8, b: [f32; 3], c: [f64; 2], d: u8 }"],
        c: "struct float_arrays { unsigned char a; float b[3]; double c[2]; unsigned char d; };",
    },
    Case {
        name: "nested",
        spec: &[
            "struct nested_inner { x: u16, y: u64 }",
            "struct nested_outer { a: u8, inner: nested_inner, b: u8 }",
        ],
        c: "struct nested_inner { unsigned short x; unsigned long long y; };\n\
            struct nested_outer { unsigned char a; struct nested_inner inner; unsigned char b; };",
    },
    Case {
        name: "nested_array",
        spec: &[
            "struct nested_elem { a: u8, b: u32 }",
            "struct nested_array { n: u16, e: [nested_elem; 3], z: u8 }",
        ],
        c: "struct nested_elem { unsigned char a; unsigned int b; };\n\
            struct nested_array { unsigned short n; struct nested_elem e[3]; unsigned char z; };",
    },
    Case {
        name: "nested_aligned",
        spec: &[
            "struct nested_al32 align 32 { v: u32 }",
            "struct nested_aligned { a: u8, b: nested_al32, c: u8 }",
        ],
        c: "struct __attribute__((aligned(32))) nested_al32 { unsigned int v; };\n\
            struct nested_aligned { unsigned char a; struct nested_al32 b; unsigned char c; };",
    },
    Case {
        name: "flexible",
        spec: &["struct flexible { n: u32, data: [u64] }"],
        c: "struct flexible { unsigned int n; unsigned long long data[]; };",
    },
    Case {
        name: "flexible_bytes",
        spec: &["struct flexible_bytes { a: u64, b: u8, data: [u8] }"],
        c: "struct flexible_bytes { unsigned long long a; unsigned char b; unsigned char data[]; };",
    },
    Case {
        name: "flexible_structs",
        spec: &[
            "struct flex_elem { a: u16, b: u8 }",
            "struct flexible_structs { n: u8, items: [flex_elem] }",
        ],
        c: "struct flex_elem { unsigned short a; unsigned char b; };\n\
            struct flexible_structs { unsigned char n; struct flex_elem items[]; };",
    },
    Case {
        name: "long_ptr",
        spec: &["struct long_ptr { a: u8, b: long, c: u8, p: ptr, d: ulong, e: u32 }"],
        c: "struct long_ptr { unsigned char a; long b; unsigned char c; void *p; unsigned long d; unsigned int e; };",
    },
    Case {
        name: "ptr_u64",
        spec: &["struct ptr_u64 { p: ptr, v: u64, q: [ptr; 3] }"],
        c: "struct ptr_u64 { void *p; unsigned long long v; void *q[3]; };",
    },
    Case {
        name: "union_basic",
        spec: &["union union_basic { a: u8, b: u32, c: [u16; 3] }"],
        c: "union union_basic { unsigned char a; unsigned int b; unsigned short c[3]; };",
    },
    Case {
        name: "union_u64",
        spec: &["union union_u64 { a: u32, b: u64, c: [u8; 9] }"],
        c: "union union_u64 { unsigned int a; unsigned long long b; unsigned char c[9]; };",
    },
    Case {
        name: "union_aligned_member",
        spec: &["union union_aligned_member { a: u32, b: u8 align 16 }"],
        c: "union union_aligned_member { unsigned int a; unsigned char b __attribute__((aligned(16))); };",
    },
    Case {
        name: "union_aligned",
        spec: &["union union_aligned align 32 { a: u64, b: [u8; 3] }"],
        c: "union __attribute__((aligned(32))) union_aligned { unsigned long long a; unsigned char b[3]; };",
    },
    Case {
        name: "union_packed",
        spec: &["union union_packed packed { a: u8, b: u32, c: [u8; 5] }"],
        c: "union __attribute__((packed)) union_packed { unsigned char a; unsigned int b; unsigned char c[5]; };",
    },
    Case {
        name: "union_floats_ptr",
        spec: &["union union_floats_ptr { a: f32, b: f64, p: ptr, l: long }"],
        c: "union union_floats_ptr { float a; double b; void *p; long l; };",
    },
    Case {
        name: "union_in_struct",
        spec: &[
            "union uis_inner { a: u8, b: u64 }",
            "struct union_in_struct { tag: u8, u: uis_inner, z: u16 }",
        ],
        c: "union uis_inner { unsigned char a; unsigned long long b; };\n\
            struct union_in_struct { unsigned char tag; union uis_inner u; unsigned short z; };",
    },
    Case {
        name: "struct_in_union",
        spec: &[
            "struct siu_pair { a: u32, b: u16 }",
            "union struct_in_union { p: siu_pair, q: [u8; 7], r: f64 }",
        ],
        c: "struct siu_pair { unsigned int a; unsigned short b; };\n\
            union struct_in_union { struct siu_pair p; unsigned char q[7]; double r; };",
    },
    Case {
        name: "nested_in_packed",
        spec: &[
            "struct nip_inner { a: u32, b: u64 }",
            "struct nested_in_packed packed { a: u8, inner: nip_inner, c: u16 }",
        ],
        c: "struct nip_inner { unsigned int a; unsigned long long b; };\n\
            struct __attribute__((packed)) nested_in_packed { unsigned char a; struct nip_inner inner; unsigned short c; };",
    },
    Case {
        name: "aligned_in_packed",
        spec: &[
            "struct aip_al16 align 16 { a: u32 }",
            "struct aligned_in_packed packed { c: u8, v: aip_al16, d: u8 }",
        ],
        c: "struct __attribute__((aligned(16))) aip_al16 { unsigned int a; };\n\
            struct __attribute__((packed)) aligned_in_packed { unsigned char c; struct aip_al16 v; unsigned char d; };",
    },
    Case {
        name: "packed_in_struct",
        spec: &[
            "struct pis_inner packed { a: u8, b: u32 }",
            "struct packed_in_struct { x: u8, i: pis_inner, y: u32, z: [pis_inner; 2] }",
        ],
        c: "struct __attribute__((packed)) pis_inner { unsigned char a; unsigned int b; };\n\
            struct packed_in_struct { unsigned char x; struct pis_inner i; unsigned int y; struct pis_inner z[2]; };",
    },
    Case {
        name: "rseq_like",
        spec: &["struct rseq_like align 32 { cpu_id_start: u32, cpu_id: u32, rseq_cs: u64, flags: u32 }"],
        c: "struct __attribute__((aligned(32))) rseq_like { unsigned int cpu_id_start; unsigned int cpu_id; unsigned long long rseq_cs; unsigned int flags; };",
    },
    Case {
        name: "deep_nesting",
        spec: &[
            "struct deep_a { x: u8, y: u64 }",
            "struct deep_b { a: deep_a, z: u16 }",
            "struct deep_c { q: u8, b: [deep_b; 2], r: i32 }",
        ],
        c: "struct deep_a { unsigned char x; unsigned long long y; };\n\
            struct deep_b { struct deep_a a; unsigned short z; };\n\
            struct deep_c { unsigned char q; struct deep_b b[2]; int r; };",
    },
];

/// Every case on `targets` (one compiler family's, see
/// `abi_tests::test_each_family!`).
fn engine_matches_compilers(targets: &[Target]) {
    let specs: Vec<(&Case, abi_spec::Spec)> = CASES
        .iter()
        .map(|case| {
            let text = spec_toml(case.name, case.spec);
            let spec = abi_spec::parse(&format!("{}.toml", case.name), &text).unwrap_or_else(|e| {
                panic!("case {}: the spec does not parse: {e:?}\n{text}", case.name)
            });
            (case, spec)
        })
        .collect();
    let prelude: String = CASES.iter().map(|c| format!("{}\n", c.c)).collect();
    let mut total = Outcome::default();
    let mut targets_run = 0;
    for &target in targets {
        let items: Vec<ProbeStruct<'_>> = specs
            .iter()
            .flat_map(|(case, spec)| {
                spec.structs.iter().map(move |def| ProbeStruct {
                    label: format!("case {}", case.name),
                    spec,
                    struct_name: def.name.clone(),
                    version: spec.abi.version,
                    c_type: format!("{} {}", def.kind.keyword(), def.name),
                    skip_fields: Vec::new(),
                })
            })
            .collect();
        let outcome = compare::compare(target, &prelude, &items, &["-ffreestanding"])
            .unwrap_or_else(|e| panic!("{e}"));
        total.merge(outcome);
        targets_run += 1;
    }
    println!(
        "compiler oracle: {} (struct, target) comparisons, {} values, {} mismatches, {} targets, {} cases",
        total.comparisons,
        total.values,
        total.mismatches.len(),
        targets_run,
        CASES.len()
    );
    assert!(
        total.mismatches.is_empty(),
        "the engine disagrees with the compilers:\n{}",
        total.mismatches.join("\n")
    );
}

abi_tests::test_each_family!(engine_matches_compilers);

/// A versioned struct: each version's view (fields by `since`, claimed
/// bytes as reserved placeholders) against a C struct written for that
/// version, on every target.
const VERSIONED_SPEC: &str = r#"
[abi]
name = "versioned"
version = 3
first_version = 1

[[struct]]
name = "area"

[[struct.field]]
name = "a"
type = "u32"
since = 1

[[struct.field]]
name = "b"
type = "u16"
since = 3
was_reserved = 1

[[struct.field]]
name = "pad"
type = "u16"
since = 1
reserved = true

[[struct.field]]
name = "c"
type = "u64"
since = 2

[[struct.field]]
name = "d"
type = "u8"
since = 3

[[struct.field]]
name = "e"
type = "f64"
since = 3
"#;

/// The same struct as C programmers of each version wrote it.
const VERSIONED_C: &str = "
struct area_v1 { unsigned int a; unsigned short reserved_b; unsigned short pad; };
struct area_v2 { unsigned int a; unsigned short reserved_b; unsigned short pad; unsigned long long c; };
struct area_v3 { unsigned int a; unsigned short b; unsigned short pad; unsigned long long c; unsigned char d; double e; };
";

/// Every version on `targets` (one compiler family's).
fn every_version_matches(targets: &[Target]) {
    let spec = abi_spec::parse("versioned.toml", VERSIONED_SPEC)
        .unwrap_or_else(|e| panic!("the versioned spec does not parse: {e:?}"));
    let mut total = Outcome::default();
    for &target in targets {
        let items: Vec<ProbeStruct<'_>> = (1..=3)
            .map(|version| ProbeStruct {
                label: format!("versioned v{version}"),
                spec: &spec,
                struct_name: "area".into(),
                version,
                c_type: format!("struct area_v{version}"),
                skip_fields: Vec::new(),
            })
            .collect();
        let outcome = compare::compare(target, VERSIONED_C, &items, &["-ffreestanding"])
            .unwrap_or_else(|e| panic!("{e}"));
        total.merge(outcome);
    }
    println!(
        "versioned: {} (struct, version, target) comparisons, {} mismatches",
        total.comparisons,
        total.mismatches.len()
    );
    assert!(
        total.mismatches.is_empty(),
        "the engine disagrees with the compilers:\n{}",
        total.mismatches.join("\n")
    );
}

abi_tests::test_each_family!(every_version_matches);
