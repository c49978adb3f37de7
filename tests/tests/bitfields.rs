//! Bitfields, laid out by the engine, against the compilers on every
//! target: `sizeof`, `_Alignof`, the offsets of ordinary members, and for
//! each bitfield the bits it holds. The bits come from the object file: a
//! `static const` of the struct with only that bitfield set to all ones,
//! whose bytes the compiler wrote; nothing runs. A set bit `j` of byte `k`
//! is allocation bit `8k + j` on a little-endian target and `8k + 7 - j` on
//! a big-endian one (the first bit allocated is the most significant).

use abi_spec::target::Endian;
use abi_spec::{parse, Spec, Target};
use abi_tests::oracle;

/// One case: C declarations of `struct <name>` and the spec that says the
/// same thing.
struct Case {
    name: &'static str,
    c: &'static str,
    spec: &'static str,
}

const CASES: &[Case] = &[
    Case {
        name: "flags",
        // perf_event_attr's flags word: one-bit flags and reserved bits.
        c: "struct flags { unsigned long long config; unsigned long long disabled:1, inherit:1, pinned:1, exclusive:1, exclude_user:1, exclude_kernel:1, __reserved_1:58; unsigned int after; };",
        spec: r#"
[[struct.field]]
name = "config"
type = "u64"
[[struct.field]]
name = "disabled"
type = "u64"
bits = 1
[[struct.field]]
name = "inherit"
type = "u64"
bits = 1
[[struct.field]]
name = "pinned"
type = "u64"
bits = 1
[[struct.field]]
name = "exclusive"
type = "u64"
bits = 1
[[struct.field]]
name = "exclude_user"
type = "u64"
bits = 1
[[struct.field]]
name = "exclude_kernel"
type = "u64"
bits = 1
[[struct.field]]
name = "__reserved_1"
type = "u64"
bits = 58
reserved = true
[[struct.field]]
name = "after"
type = "u32"
"#,
    },
    Case {
        name: "straddle",
        // b does not fit after a in one 32-bit unit: it starts the next;
        // c and d share a byte and a unit with what precedes.
        c: "struct straddle { unsigned int a:3; unsigned int b:30; unsigned char c:4; unsigned short d:9; };",
        spec: r#"
[[struct.field]]
name = "a"
type = "u32"
bits = 3
[[struct.field]]
name = "b"
type = "u32"
bits = 30
[[struct.field]]
name = "c"
type = "u8"
bits = 4
[[struct.field]]
name = "d"
type = "u16"
bits = 9
"#,
    },
    Case {
        name: "wide",
        // A u64 bitfield after a u32: 4-aligned u64 units on i386 and sh4,
        // 2-aligned on m68k.
        c: "struct wide { unsigned int x; unsigned long long f:40; unsigned long long g:30; };",
        spec: r#"
[[struct.field]]
name = "x"
type = "u32"
[[struct.field]]
name = "f"
type = "u64"
bits = 40
[[struct.field]]
name = "g"
type = "u64"
bits = 30
"#,
    },
    Case {
        name: "unnamed",
        // Unnamed padding bits, and a zero-width bitfield that moves the
        // next one to a new unit.
        c: "struct unnamed { unsigned short a:3; unsigned short :5; unsigned short b:4; unsigned int :0; unsigned int c:2; unsigned char d; };",
        spec: r#"
[[struct.field]]
name = "a"
type = "u16"
bits = 3
[[struct.field]]
name = "__pad1"
type = "u16"
bits = 5
unnamed = true
[[struct.field]]
name = "b"
type = "u16"
bits = 4
[[struct.field]]
name = "__pad2"
type = "u32"
bits = 0
unnamed = true
[[struct.field]]
name = "c"
type = "u32"
bits = 2
[[struct.field]]
name = "d"
type = "u8"
"#,
    },
    Case {
        name: "signed_and_char",
        c: "struct signed_and_char { int s:5; signed char t:3; unsigned char u:1; unsigned char v:7; char w; long long big:63; };",
        spec: r#"
[[struct.field]]
name = "s"
type = "i32"
bits = 5
[[struct.field]]
name = "t"
type = "i8"
bits = 3
[[struct.field]]
name = "u"
type = "u8"
bits = 1
[[struct.field]]
name = "v"
type = "u8"
bits = 7
[[struct.field]]
name = "w"
type = "char"
[[struct.field]]
name = "big"
type = "i64"
bits = 63
"#,
    },
    Case {
        name: "in_union",
        c: "union in_union { unsigned int all; unsigned int low:8; unsigned long long wide:33; };",
        spec: r#"
[[struct.field]]
name = "all"
type = "u32"
[[struct.field]]
name = "low"
type = "u32"
bits = 8
[[struct.field]]
name = "wide"
type = "u64"
bits = 33
"#,
    },
    Case {
        name: "byte_then_wide",
        c: "struct byte_then_wide { unsigned char a; unsigned long long b:60; unsigned short c:16; };",
        spec: r#"
[[struct.field]]
name = "a"
type = "u8"
[[struct.field]]
name = "b"
type = "u64"
bits = 60
[[struct.field]]
name = "c"
type = "u16"
bits = 16
"#,
    },
];

fn spec_of(case: &Case) -> Spec {
    let kind = if case.c.starts_with("union") {
        "union"
    } else {
        "struct"
    };
    let text = format!(
        "[abi]\nname = \"bits\"\nversion = 1\n[[struct]]\nname = \"{}\"\nkind = \"{kind}\"\n{}",
        case.name, case.spec
    );
    parse("bits.toml", &text).unwrap_or_else(|e| panic!("{}: {}", case.name, e.render(false)))
}

fn c_type(case: &Case) -> String {
    let keyword = case.c.split_whitespace().next().unwrap_or("struct");
    format!("{keyword} {}", case.name)
}

/// The allocation bits set in `bytes` on a target of `endian`.
fn set_bits(bytes: &[u8], endian: Endian) -> Vec<u64> {
    let mut out = Vec::new();
    for (k, &b) in bytes.iter().enumerate() {
        for j in 0..8u64 {
            if b & (1 << j) != 0 {
                let within = match endian {
                    Endian::Little => j,
                    Endian::Big => 7 - j,
                };
                out.push(k as u64 * 8 + within);
            }
        }
    }
    out.sort_unstable();
    out
}

/// What the comparisons found.
#[derive(Default)]
struct Tally {
    compared: usize,
    mismatches: Vec<String>,
}

impl Tally {
    fn expect(&mut self, target: Target, what: String, engine: u64, compiler: Option<u64>) {
        self.compared += 1;
        if compiler != Some(engine) {
            self.mismatches.push(format!(
                "{target}: {what}: engine {engine}, compiler {compiler:?}"
            ));
        }
    }
}

fn bitfields_match_the_compilers(targets: &[Target]) {
    let specs: Vec<Spec> = CASES.iter().map(spec_of).collect();
    let mut source = String::from("#include <stddef.h>\n");
    let mut values = Vec::new();
    for case in CASES {
        source.push_str(case.c);
        source.push('\n');
        let ty = c_type(case);
        values.push(format!("sizeof({ty})"));
        values.push(format!("_Alignof({ty})"));
    }
    for (case, spec) in CASES.iter().zip(&specs) {
        let ty = c_type(case);
        for field in &spec.structs[0].fields {
            if field.unnamed {
                continue;
            }
            if field.bits.is_some() {
                source.push_str(&format!(
                    "const {ty} bits_{}_{} = {{ .{} = -1 }};\n",
                    case.name, field.name, field.name
                ));
            } else {
                values.push(format!("offsetof({ty}, {})", field.name));
            }
        }
    }
    source.push_str(&oracle::probe_array(&values));
    let mut tally = Tally::default();
    for &target in targets {
        let object =
            oracle::compile(target, &source, &["-ffreestanding"]).unwrap_or_else(|e| panic!("{e}"));
        let probe = oracle::read_probe(&object).unwrap_or_else(|e| panic!("{e}"));
        let mut next = probe.iter().copied();
        let layouts: Vec<_> = specs
            .iter()
            .map(|s| s.layout(0, target, 1).expect("laid out").clone())
            .collect();
        for (case, l) in CASES.iter().zip(&layouts) {
            tally.expect(
                target,
                format!("sizeof({})", case.name),
                l.size,
                next.next(),
            );
            tally.expect(
                target,
                format!("_Alignof({})", case.name),
                l.align,
                next.next(),
            );
        }
        for ((case, spec), l) in CASES.iter().zip(&specs).zip(&layouts) {
            for (i, field) in spec.structs[0].fields.iter().enumerate() {
                if field.unnamed {
                    continue;
                }
                let placed = l.field(i).expect("placed");
                match placed.bits {
                    Some(bits) => {
                        let symbol = format!("bits_{}_{}", case.name, field.name);
                        let bytes = oracle::symbol_bytes(&object, &symbol)
                            .unwrap_or_else(|e| panic!("{target}: {e}"));
                        let got = set_bits(&bytes, target.endian());
                        let want: Vec<u64> = (bits.offset..bits.offset + bits.width).collect();
                        tally.compared += 1;
                        if got != want {
                            tally.mismatches.push(format!(
                                "{target}: {}.{}: engine bits {}..{}, compiler {:?}",
                                case.name,
                                field.name,
                                bits.offset,
                                bits.offset + bits.width,
                                got
                            ));
                        }
                    }
                    None => tally.expect(
                        target,
                        format!("offsetof({}, {})", case.name, field.name),
                        placed.offset,
                        next.next(),
                    ),
                }
            }
        }
    }
    assert!(tally.compared > 0);
    assert!(
        tally.mismatches.is_empty(),
        "{} of {} values differ:\n{}",
        tally.mismatches.len(),
        tally.compared,
        tally.mismatches.join("\n")
    );
}

abi_tests::test_each_family!(bitfields_match_the_compilers);

/// A reproducible stream of numbers (SplitMix64): random structs without
/// a dependency, the same on every run.
struct Stream(u64);

impl Stream {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Random structs of bitfields among ordinary members, some packed, as
/// spec text and C, `count` of them.
fn random_cases(seed: u64, count: usize) -> Vec<(String, String, String)> {
    const TYPES: [(&str, &str, u64); 7] = [
        ("u8", "unsigned char", 8),
        ("u16", "unsigned short", 16),
        ("u32", "unsigned int", 32),
        ("u64", "unsigned long long", 64),
        ("i16", "short", 16),
        ("i32", "int", 32),
        ("i64", "long long", 64),
    ];
    let mut rng = Stream(seed);
    (0..count)
        .map(|n| {
            let name = format!("r{n}");
            let packed = rng.below(6) == 0;
            let mut spec = format!(
                "[[struct]]\nname = \"{name}\"\n{}",
                if packed { "packed = true\n" } else { "" }
            );
            let mut c = format!("struct {name} {{ ");
            let members = 2 + rng.below(8);
            for m in 0..members {
                let (spec_ty, c_ty, width) = TYPES[rng.below(TYPES.len() as u64) as usize];
                let field = format!("f{m}");
                match rng.below(5) {
                    0 => {
                        spec += &format!("[[struct.field]]\nname = \"{field}\"\ntype = \"{spec_ty}\"\n");
                        c += &format!("{c_ty} {field}; ");
                    }
                    1 if m > 0 => {
                        // Unnamed: padding bits or a zero-width directive.
                        let bits = rng.below(width / 2 + 1);
                        spec += &format!(
                            "[[struct.field]]\nname = \"{field}\"\ntype = \"{spec_ty}\"\nbits = {bits}\nunnamed = true\n"
                        );
                        c += &format!("{c_ty} :{bits}; ");
                    }
                    _ => {
                        let bits = 1 + rng.below(width);
                        spec += &format!(
                            "[[struct.field]]\nname = \"{field}\"\ntype = \"{spec_ty}\"\nbits = {bits}\n"
                        );
                        c += &format!("{c_ty} {field}:{bits}; ");
                    }
                }
            }
            c += if packed {
                "} __attribute__((packed));"
            } else {
                "};"
            };
            (name, spec, c)
        })
        .collect()
}

fn random_bitfields_match_the_compilers(targets: &[Target]) {
    let cases = random_cases(0xb17f_1e1d, 150);
    let text = format!(
        "[abi]\nname = \"random\"\nversion = 1\n{}",
        cases.iter().map(|(_, s, _)| s.as_str()).collect::<String>()
    );
    let spec = parse("random.toml", &text).unwrap_or_else(|e| panic!("{}", e.render(false)));
    let mut source = String::from("#include <stddef.h>\n");
    let mut values = Vec::new();
    for (name, _, c) in &cases {
        source += c;
        source.push('\n');
        values.push(format!("sizeof(struct {name})"));
        values.push(format!("_Alignof(struct {name})"));
    }
    for (i, (name, _, _)) in cases.iter().enumerate() {
        for field in spec.structs[i].fields.iter().filter(|f| !f.unnamed) {
            if field.bits.is_some() {
                source += &format!(
                    "const struct {name} bits_{name}_{} = {{ .{} = -1 }};\n",
                    field.name, field.name
                );
            } else {
                values.push(format!("offsetof(struct {name}, {})", field.name));
            }
        }
    }
    source += &oracle::probe_array(&values);
    let mut tally = Tally::default();
    for &target in targets {
        let object =
            oracle::compile(target, &source, &["-ffreestanding"]).unwrap_or_else(|e| panic!("{e}"));
        let probe = oracle::read_probe(&object).unwrap_or_else(|e| panic!("{e}"));
        let mut next = probe.iter().copied();
        for (i, (name, _, _)) in cases.iter().enumerate() {
            let l = spec.layout(i, target, 1).expect("laid out");
            tally.expect(target, format!("sizeof({name})"), l.size, next.next());
            tally.expect(target, format!("_Alignof({name})"), l.align, next.next());
        }
        for (i, (name, _, _)) in cases.iter().enumerate() {
            let l = spec.layout(i, target, 1).expect("laid out");
            for (j, field) in spec.structs[i].fields.iter().enumerate() {
                if field.unnamed {
                    continue;
                }
                let placed = l.field(j).expect("placed");
                match placed.bits {
                    Some(bits) => {
                        let symbol = format!("bits_{name}_{}", field.name);
                        let bytes = oracle::symbol_bytes(&object, &symbol)
                            .unwrap_or_else(|e| panic!("{target}: {e}"));
                        let got = set_bits(&bytes, target.endian());
                        let want: Vec<u64> = (bits.offset..bits.offset + bits.width).collect();
                        tally.compared += 1;
                        if got != want {
                            tally.mismatches.push(format!(
                                "{target}: {name}.{}: engine bits {}..{}, compiler {}..{}",
                                field.name,
                                bits.offset,
                                bits.offset + bits.width,
                                got.first().copied().unwrap_or(0),
                                got.last().map_or(0, |l| l + 1)
                            ));
                        }
                    }
                    None => tally.expect(
                        target,
                        format!("offsetof({name}, {})", field.name),
                        placed.offset,
                        next.next(),
                    ),
                }
            }
        }
    }
    assert!(
        tally.mismatches.is_empty(),
        "{} of {} values differ:\n{}",
        tally.mismatches.len(),
        tally.compared,
        tally
            .mismatches
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

abi_tests::test_each_family!(random_bitfields_match_the_compilers);
