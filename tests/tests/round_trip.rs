//! The round trip: C structs with each thing real uapi structs use
//! (bitfields named, unnamed and zero-width, anonymous unions and structs
//! nested, empty structs, zero-length arrays in the middle, flexible arrays
//! inside unions through anonymous structs and in nested structs, `char`
//! arrays), compiled for every target with debug information, read back,
//! written as a spec by the code of `abi-check dump --format toml`
//! (`abi_dwarf::spec_toml::one_binary`), parsed and linted clean, and laid
//! out by the engine exactly as the binary is: each struct's size and
//! alignment (the reader's, and the compiler's `sizeof` and `_Alignof`),
//! every member C code names at its offset, size and, for a bitfield, its
//! bits. The comparison here is its own: it walks the spec's layouts
//! through anonymous members, and does not use `verify`.
//!
//! The same round trip over 300 random structs of a real kernel (Debian's
//! 6.1 vmlinux, the running kernel's BTF) gives the figure in
//! docs/dwarf.md: `kernel_structs_round_trip_*`.

use std::collections::HashMap;
use std::path::Path;

use abi_dwarf::model::Bits;
use abi_dwarf::spec_toml;
use abi_dwarf::{CStruct, Dump, TypeKind};
use abi_spec::{lint, Spec, Target};
use abi_tests::oracle;

const SOURCE: &str = r#"
typedef unsigned char __u8; typedef unsigned short __u16; typedef unsigned int __u32;
typedef unsigned long long __u64; typedef signed char __s8; typedef long long __s64;

struct rt_empty {};

/* Bitfields named, unnamed and zero-width, of several widths, signed too. */
struct rt_bits {
    __u32 a:3;
    __u32 :5;
    __u32 b:4;
    __u32 :0;
    __u8 c:2;
    __s8 d:3;
    __u64 e:40;
    __s64 f:20;
    char g;
    __u16 h:9, :0, i:7;
    unsigned long j:5;
    char k:3;
};

/* perf_event_attr's flags word and its aux_action union. */
struct rt_flags {
    __u64 config;
    __u64 disabled:1, inherit:1, precise_ip:2, __reserved_1:60;
    union { __u32 wakeup_events; __u32 wakeup_watermark; };
    union {
        __u32 aux_action;
        struct { __u32 aux_start_paused:1, aux_pause:1, __reserved_3:30; };
    };
};

/* Anonymous unions and structs, nested in each other. */
struct rt_anon {
    int kind;
    union {
        __u64 x;
        struct { __u32 lo, hi; };
        struct { __u16 s:3, :0, t:5; union { char c3[3]; __u16 w; }; };
    };
    char after;
    struct { __u8 p; struct { __u8 q; __u32 r; }; };
};

/* Empty structs and zero-length arrays in the middle. */
struct rt_zero {
    __u32 n;
    __u32 z[0];
    __u16 m;
    struct rt_empty e;
    __u8 last;
    __u64 wide[0];
    __u8 after;
};

/* A flexible array inside a union, through an anonymous struct (Linux's
   __DECLARE_FLEX_ARRAY). */
struct rt_flex_union {
    __u32 count;
    union {
        __u64 first;
        struct { struct {} __empty_items; __u32 items[]; };
    };
};

/* A flexible array in a nested struct: last, as the spec allows; and not
   last (GNU C), where the spec has it `[T; 0]`. */
struct rt_inner { __u32 len; char text[]; };
struct rt_nested_flex { __u32 n; struct rt_inner inner; };
struct rt_inner2 { __u16 n; __u8 bytes[]; };
struct rt_not_last { struct rt_inner2 head; __u32 after; };

/* char arrays, and a flexible array at the end. */
struct rt_text { char name[16]; __u8 tag[3]; signed char s; char c; __u32 len; char data[]; };

/* Bitfields of a packed struct. */
struct rt_packed { __u8 a; __u32 b:20; __u16 c:9; char d[3]; } __attribute__((packed));
"#;

const STRUCTS: [&str; 10] = [
    "rt_bits",
    "rt_flags",
    "rt_anon",
    "rt_zero",
    "rt_flex_union",
    "rt_nested_flex",
    "rt_not_last",
    "rt_text",
    "rt_packed",
    "rt_empty",
];

/// Where the spec puts each field C code can name: through anonymous
/// members, offsets from the start of the outermost struct; bits too.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Placed {
    offset: u64,
    size: u64,
    bits: Option<(u64, u64)>,
    /// The spec struct the field's type names (through arrays).
    nested: Option<usize>,
    /// Padding the writer made up: no C member stands for it.
    padding: bool,
}

fn spec_places(
    spec: &Spec,
    index: usize,
    target: Target,
    base: u64,
    out: &mut HashMap<String, Placed>,
) -> Result<(), String> {
    let def = &spec.structs[index];
    let layout = spec
        .layout(index, target, spec.abi.version)
        .ok_or_else(|| format!("`{}` does not lay out", def.name))?;
    for fl in &layout.fields {
        let field = &def.fields[fl.index];
        let nested = field.ty.struct_name().and_then(|n| spec.struct_index(n));
        if field.is_anonymous_member() {
            let nested = nested.ok_or_else(|| format!("`{}` names no struct", field.name))?;
            spec_places(spec, nested, target, base + fl.offset, out)?;
            continue;
        }
        out.insert(
            field.name.clone(),
            Placed {
                offset: base + fl.offset,
                size: fl.size,
                bits: fl.bits.map(|b| (b.offset + base * 8, b.width)),
                nested,
                padding: field.reserved && field.name.starts_with("reserved_"),
            },
        );
    }
    Ok(())
}

/// The compiled struct inside a member's type, through arrays.
fn aggregate(ty: &abi_dwarf::CType) -> Option<&CStruct> {
    match &ty.kind {
        TypeKind::Aggregate(inner) => Some(inner),
        TypeKind::Array { element, .. } => aggregate(element),
        _ => None,
    }
}

/// Every difference between the spec's struct `index` laid out on
/// `target` and the compiled struct, nested structs included.
fn compare(
    spec: &Spec,
    index: usize,
    target: Target,
    compiled: &CStruct,
    path: &str,
    wrong: &mut Vec<String>,
) {
    let layout = match spec.layout(index, target, spec.abi.version) {
        Some(l) => l,
        None => {
            wrong.push(format!("{target}: {path}: no layout"));
            return;
        }
    };
    if (layout.size, layout.align) != (compiled.size, compiled.align) {
        wrong.push(format!(
            "{target}: {path}: {} bytes {}-aligned in the spec, {} bytes {}-aligned compiled",
            layout.size, layout.align, compiled.size, compiled.align
        ));
    }
    let mut places = HashMap::new();
    if let Err(e) = spec_places(spec, index, target, 0, &mut places) {
        wrong.push(format!("{target}: {path}: {e}"));
        return;
    }
    let flat = compiled.flat_members();
    for m in &flat {
        let Some(name) = m.member.name.as_deref() else {
            continue;
        };
        // C names that are C++ keywords (`class`, `new`) are spec names
        // with a `_`.
        let Some(p) = places.get(&spec_toml::identifier(name)) else {
            wrong.push(format!("{target}: {path}.{name}: not in the spec"));
            continue;
        };
        let bits = m.bits().map(
            |Bits {
                 bit_offset,
                 bit_size,
             }| (bit_offset, bit_size),
        );
        if (p.offset, p.size, p.bits) != (m.offset, m.member.size, bits) {
            wrong.push(format!(
                "{target}: {path}.{name}: spec {:?}, compiled {:?}",
                (p.offset, p.size, p.bits),
                (m.offset, m.member.size, bits)
            ));
        }
        if let (Some(nested), Some(inner)) = (p.nested, aggregate(&m.member.ty)) {
            compare(
                spec,
                nested,
                target,
                inner,
                &format!("{path}.{name}"),
                wrong,
            );
        }
    }
    for (name, p) in &places {
        let named = flat
            .iter()
            .any(|m| m.member.name.as_deref().map(spec_toml::identifier).as_ref() == Some(name));
        let unnamed_bits = p.bits.is_some() && name.starts_with("reserved_bit");
        if !named && !p.padding && !unnamed_bits {
            wrong.push(format!("{target}: {path}.{name}: only in the spec"));
        }
    }
}

/// The spec `dump --format toml` writes for `dump`: parsed (what `check`
/// accepts: no input error) and, with `lint_clean`, without a finding of
/// any severity on the binary's target; or why not. A kernel's structs
/// hold pointers, which NON_PORTABLE_TYPE rightly warns about.
fn written_spec(dump: &Dump, lint_clean: bool) -> Result<(Spec, String), String> {
    let text = spec_toml::render(&spec_toml::one_binary(dump, 1));
    let spec = abi_spec::parse("round_trip.toml", &text)
        .map_err(|e| format!("does not parse: {}", e.render(false)))?;
    if lint_clean {
        if let Some(f) = lint::lint(&spec).first() {
            return Err(format!("lint: {}: {}", f.rule.id(), f.message));
        }
    }
    Ok((spec, text))
}

fn round_trip(targets: &[Target]) {
    let mut source = SOURCE.to_string();
    let mut values = Vec::new();
    for name in STRUCTS {
        source += &format!("struct {name} v_{name};\n");
        values.push(format!("sizeof(struct {name})"));
        values.push(format!("_Alignof(struct {name})"));
    }
    source += &oracle::probe_array(&values);
    let queries: Vec<String> = STRUCTS.iter().map(|s| s.to_string()).collect();
    let mut wrong = Vec::new();
    let mut compared = 0;
    for &target in targets {
        let object = oracle::compile(target, &source, &["-g"]).unwrap_or_else(|e| panic!("{e}"));
        let probe = oracle::read_probe(&object).unwrap_or_else(|e| panic!("{e}"));
        let dump = abi_dwarf::read_structs_from_bytes(Path::new("round_trip.o"), &object, &queries)
            .unwrap_or_else(|e| panic!("{target}: {e}"));
        assert_eq!(dump.target, target);
        let (spec, text) = match written_spec(&dump, true) {
            Ok(s) => s,
            Err(e) => {
                wrong.push(format!("{target}: {e}"));
                continue;
            }
        };
        for (i, found) in dump.structs.iter().enumerate() {
            let name = &found.query;
            let Some(index) = spec.struct_index(name) else {
                wrong.push(format!("{target}: no `{name}` in\n{text}"));
                continue;
            };
            compare(&spec, index, target, &found.layout, name, &mut wrong);
            let layout = spec.layout(index, target, 1).expect("laid out");
            let compiler = (probe[2 * i], probe[2 * i + 1]);
            // On m68k a zero-width bitfield aligns the struct to 2, and
            // neither DWARF nor BTF records one: rt_bits, aligned by its
            // `:0`s alone, reads 1-aligned (docs/dwarf.md).
            let invisible = target == Target::M68k && name == "rt_bits";
            if invisible {
                assert_eq!(
                    (layout.size, layout.align, compiler),
                    (16, 1, (16, 2)),
                    "rt_bits on m68k"
                );
                compared += 1;
                continue;
            }
            if (layout.size, layout.align) != compiler {
                wrong.push(format!(
                    "{target}: {name}: {} bytes {}-aligned in the spec; sizeof {}, _Alignof {}",
                    layout.size, layout.align, compiler.0, compiler.1
                ));
            }
            compared += 1;
        }
        // What the spec says, as C says it.
        for line in [
            "bits = 5\nunnamed = true",
            "type = \"[u32; 0]\"",
            "type = \"rt_empty\"",
            "type = \"[char; 16]\"",
            "name = \"items\"\ntype = \"[u32]\"",
            "name = \"text\"\ntype = \"[char]\"",
            "name = \"bytes\"\ntype = \"[u8; 0]\"",
            "name = \"data\"\ntype = \"[char]\"",
        ] {
            if !text.contains(line) {
                wrong.push(format!("{target}: no `{line}` in the spec"));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert_eq!(compared, targets.len() * STRUCTS.len());
}

abi_tests::test_each_family!(round_trip);

// ------------------------------------------------------------ a kernel

/// A reproducible stream of numbers (SplitMix64).
struct Stream(u64);

impl Stream {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// `count` names of `names`, picked at random (a fixed seed), sorted.
fn pick(names: &[String], count: usize, seed: u64) -> Vec<String> {
    let mut pool: Vec<&String> = names.iter().collect();
    let mut rng = Stream(seed);
    let mut out = Vec::new();
    while out.len() < count && !pool.is_empty() {
        let i = (rng.next() % pool.len() as u64) as usize;
        out.push(pool.swap_remove(i).clone());
    }
    out.sort();
    out
}

/// How many of `count` random structs of `path` round-trip; the others,
/// each with why.
fn kernel_round_trip(path: &Path, btf: bool, count: usize) -> (usize, Vec<String>) {
    let options = abi_dwarf::Options::default();
    let names = abi_dwarf::struct_names(path, btf, &options).unwrap_or_else(|e| panic!("{e}"));
    let picked = pick(&names, count, 0x5eed_0300);
    let groups: Vec<Vec<String>> = picked.iter().map(|n| vec![n.clone()]).collect();
    let dump = if btf {
        abi_dwarf::read_btf(path, &groups, &options)
    } else {
        abi_dwarf::read(path, &groups, &options)
    }
    .unwrap_or_else(|e| panic!("{e}"));
    let mut failures = Vec::new();
    for found in &dump.structs {
        // One struct at a time, as `dump --struct NAME --format toml`.
        let one = Dump {
            file: dump.file.clone(),
            debug_file: dump.debug_file.clone(),
            target: dump.target,
            format: dump.format,
            structs: vec![found.clone()],
            units: dump.units,
            uncompared: dump.uncompared,
        };
        let (spec, _) = match written_spec(&one, false) {
            Ok(s) => s,
            Err(e) => {
                failures.push(format!("{}: {e}", found.query));
                continue;
            }
        };
        let Some(index) = spec.struct_index(&spec_toml::identifier(&found.query)) else {
            failures.push(format!("{}: not in its spec", found.query));
            continue;
        };
        let mut wrong = Vec::new();
        compare(
            &spec,
            index,
            dump.target,
            &found.layout,
            &found.query,
            &mut wrong,
        );
        if let Some(first) = wrong.first() {
            failures.push(format!(
                "{}: {first}{}",
                found.query,
                if wrong.len() > 1 {
                    format!(" (and {} more)", wrong.len() - 1)
                } else {
                    String::new()
                }
            ));
        }
    }
    (dump.structs.len() - failures.len(), failures)
}

#[test]
#[cfg_attr(
    no_debian_vmlinux,
    ignore = "needs Debian's 6.1 vmlinux (benches/vmlinux.sh)"
)]
fn kernel_structs_round_trip_dwarf() {
    let vmlinux = abi_test_tools::require("debian_vmlinux");
    let (ok, failures) = kernel_round_trip(&vmlinux, false, 300);
    println!("DWARF: {ok} of 300 round-trip");
    for f in &failures {
        println!("  {f}");
    }
    assert!(
        failures.is_empty() && ok == 300,
        "{} of 300 do not round-trip:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
#[cfg_attr(no_kernel_btf, ignore = "needs the running kernel's BTF")]
fn kernel_structs_round_trip_btf() {
    let btf = abi_test_tools::require("kernel_btf");
    let (ok, failures) = kernel_round_trip(&btf, true, 300);
    println!("BTF: {ok} of 300 round-trip");
    for f in &failures {
        println!("  {f}");
    }
    assert!(
        failures.is_empty() && ok == 300,
        "{} of 300 do not round-trip:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
