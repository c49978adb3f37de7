//! The bitfield accessors of the generated Rust against the C compilers.
//!
//! Rust runs here on x86_64 only, so the accessors of the other targets
//! are checked through the table they are printed from
//! (`abi_spec::codegen::rust::bitfields`: each bitfield's storage, window
//! and shift per target, which the generator writes into its per-target
//! `#[cfg]` modules): setting a bitfield through the table, as the
//! generated setter does, must give the bytes the target's compiler wrote
//! for a static initialiser that sets the same bitfield, on every target.
//! On x86_64 the generated code itself runs (`generate!` on
//! `tests/fixtures/rust_bitfields.toml`, the same cases): every setter and
//! getter against gcc's bytes, and signed values round-trip.

use abi_spec::codegen::rust::{bitfields, BitAccess, BitRun, Storage};
use abi_spec::model::Field;
use abi_spec::target::Endian;
use abi_spec::{parse, Scalar, Spec, Target};
use abi_tests::oracle;

/// One case: C declarations and the spec that says the same thing.
struct Case {
    c: &'static str,
    spec: &'static str,
}

const CASES: &[Case] = &[
    Case {
        // perf_event_attr's flags word: a whole u64 of one-bit flags, a
        // two-bit one, and reserved bits.
        c: "struct perf_flags { unsigned long long config; unsigned long long disabled:1, inherit:1, pinned:1, exclusive:1, precise_ip:2, exclude_host:1, __reserved_1:57; unsigned int after; };",
        spec: r#"
[[struct]]
name = "perf_flags"
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
name = "precise_ip"
type = "u64"
bits = 2
[[struct.field]]
name = "exclude_host"
type = "u64"
bits = 1
[[struct.field]]
name = "__reserved_1"
type = "u64"
bits = 57
reserved = true
[[struct.field]]
name = "after"
type = "u32"
"#,
    },
    Case {
        // iphdr's first byte.
        c: "struct ip_head { unsigned char ihl:4, version:4; unsigned char tos; unsigned short tot_len; };",
        spec: r#"
[[struct]]
name = "ip_head"
[[struct.field]]
name = "ihl"
type = "u8"
bits = 4
[[struct.field]]
name = "version"
type = "u8"
bits = 4
[[struct.field]]
name = "tos"
type = "u8"
[[struct.field]]
name = "tot_len"
type = "u16"
"#,
    },
    Case {
        // tcphdr's flag word, with unnamed reserved bits inside the run.
        c: "struct tcp_flags { unsigned short source; unsigned short :4, doff:4, fin:1, syn:1, rst:1, psh:1, ack:1, urg:1, ece:1, cwr:1; };",
        spec: r#"
[[struct]]
name = "tcp_flags"
[[struct.field]]
name = "source"
type = "u16"
[[struct.field]]
name = "res1"
type = "u16"
bits = 4
unnamed = true
[[struct.field]]
name = "doff"
type = "u16"
bits = 4
[[struct.field]]
name = "fin"
type = "u16"
bits = 1
[[struct.field]]
name = "syn"
type = "u16"
bits = 1
[[struct.field]]
name = "rst"
type = "u16"
bits = 1
[[struct.field]]
name = "psh"
type = "u16"
bits = 1
[[struct.field]]
name = "ack"
type = "u16"
bits = 1
[[struct.field]]
name = "urg"
type = "u16"
bits = 1
[[struct.field]]
name = "ece"
type = "u16"
bits = 1
[[struct.field]]
name = "cwr"
type = "u16"
bits = 1
"#,
    },
    Case {
        // Three bytes of a u32's bits between two bytes: a byte storage,
        // and the struct 4-aligned by the bitfield's type where the ABI
        // says so (not on m68k).
        c: "struct odd_bytes { unsigned char a; unsigned int b:20; unsigned char c; };",
        spec: r#"
[[struct]]
name = "odd_bytes"
[[struct.field]]
name = "a"
type = "u8"
[[struct.field]]
name = "b"
type = "u32"
bits = 20
[[struct.field]]
name = "c"
type = "u8"
"#,
    },
    Case {
        // Signed bitfields of several widths, plain and signed char.
        c: "struct signed_bits { long long big:40; long long small:7; unsigned long long :17; int s:5; int t:11; unsigned short u:16; char c:3; signed char sc:5; };",
        spec: r#"
[[struct]]
name = "signed_bits"
[[struct.field]]
name = "big"
type = "i64"
bits = 40
[[struct.field]]
name = "small"
type = "i64"
bits = 7
[[struct.field]]
name = "pad"
type = "u64"
bits = 17
unnamed = true
[[struct.field]]
name = "s"
type = "i32"
bits = 5
[[struct.field]]
name = "t"
type = "i32"
bits = 11
[[struct.field]]
name = "u"
type = "u16"
bits = 16
[[struct.field]]
name = "c"
type = "char"
bits = 3
[[struct.field]]
name = "sc"
type = "i8"
bits = 5
"#,
    },
    Case {
        // Packed: a 64-bit bitfield across nine bytes.
        c: "struct __attribute__((packed)) nine_bytes { unsigned char a:4; unsigned long long b:64; unsigned char c:4; unsigned short after; };",
        spec: r#"
[[struct]]
name = "nine_bytes"
packed = true
[[struct.field]]
name = "a"
type = "u8"
bits = 4
[[struct.field]]
name = "b"
type = "u64"
bits = 64
[[struct.field]]
name = "c"
type = "u8"
bits = 4
[[struct.field]]
name = "after"
type = "u16"
"#,
    },
    Case {
        // A union whose members are all four bytes: safe accessors.
        c: "union whole_union { unsigned int all; unsigned int low:8; unsigned int full:32; };",
        spec: r#"
[[struct]]
name = "whole_union"
kind = "union"
[[struct.field]]
name = "all"
type = "u32"
[[struct.field]]
name = "low"
type = "u32"
bits = 8
[[struct.field]]
name = "full"
type = "u32"
bits = 32
"#,
    },
    Case {
        // A union whose members differ in size: the table, no accessors.
        c: "union mixed_union { unsigned int all; unsigned int low:8; unsigned long long wide:33; };",
        spec: r#"
[[struct]]
name = "mixed_union"
kind = "union"
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
        // Anonymous members: bitfields in an anonymous struct in an
        // anonymous union, reached from the outer struct by name.
        c: "struct anon_inner { unsigned int lo:12, hi:20; unsigned int other; };\n\
            union anon_u { unsigned long long config1; struct { unsigned int lo:12, hi:20; unsigned int other; }; };\n\
            struct anon { unsigned int type; union { unsigned long long config1; struct { unsigned int lo:12, hi:20; unsigned int other; }; }; };",
        spec: r#"
[[struct]]
name = "anon_inner"
[[struct.field]]
name = "lo"
type = "u32"
bits = 12
[[struct.field]]
name = "hi"
type = "u32"
bits = 20
[[struct.field]]
name = "other"
type = "u32"

[[struct]]
name = "anon_u"
kind = "union"
[[struct.field]]
name = "config1"
type = "u64"
[[struct.field]]
name = "inner"
type = "anon_inner"
unnamed = true

[[struct]]
name = "anon"
[[struct.field]]
name = "type"
type = "u32"
[[struct.field]]
name = "u"
type = "anon_u"
unnamed = true
"#,
    },
];

/// The spec of every case, as `tests/fixtures/rust_bitfields.toml` holds
/// it for `generate!`.
fn spec_text() -> String {
    let mut text = String::from(
        "# The cases of tests/rust_bitfields.rs, for generate!: keep in step with CASES there\n\
         # (a test compares them).\n[abi]\nname = \"rbits\"\nversion = 1\n",
    );
    for case in CASES {
        text.push_str(case.spec);
    }
    text
}

fn spec() -> Spec {
    parse("rust_bitfields.toml", &spec_text()).unwrap_or_else(|e| panic!("{}", e.render(false)))
}

fn c_source() -> String {
    let mut source = String::new();
    for case in CASES {
        source.push_str(case.c);
        source.push('\n');
    }
    source
}

/// The C spelling of a spec struct's type.
fn c_type(spec: &Spec, si: usize) -> String {
    let def = &spec.structs[si];
    format!("{} {}", def.kind.keyword(), def.name)
}

/// Values each bitfield is set to, as bits of its width: all ones, the
/// lowest bit alone (which pins the order of the bits), two patterns.
fn patterns(width: u32) -> [u64; 4] {
    let mask = if width == 64 {
        u64::MAX
    } else {
        (1 << width) - 1
    };
    [
        mask,
        1,
        0x5555_5555_5555_5555 & mask,
        0xa3c5_96e1_0f72_d84b & mask,
    ]
}

/// Every named bitfield of the spec: (struct, field, its run).
fn named_bitfields(spec: &Spec) -> Vec<(usize, usize, BitRun)> {
    let tables = bitfields(spec).unwrap_or_else(|e| panic!("{}", e.render(false)));
    let mut out = Vec::new();
    for (si, table) in tables.iter().enumerate() {
        for run in &table.runs {
            for b in &run.bits {
                out.push((si, b.field, run.clone()));
            }
        }
    }
    out
}

fn read_uint(bytes: &[u8], endian: Endian) -> u128 {
    let mut v = 0u128;
    for (i, &b) in bytes.iter().enumerate() {
        v |= u128::from(b)
            << match endian {
                Endian::Little => 8 * i,
                Endian::Big => 8 * (bytes.len() - 1 - i),
            };
    }
    v
}

fn write_uint(bytes: &mut [u8], endian: Endian, v: u128) {
    let len = bytes.len();
    for (i, b) in bytes.iter_mut().enumerate() {
        let shift = match endian {
            Endian::Little => 8 * i,
            Endian::Big => 8 * (len - 1 - i),
        };
        *b = (v >> shift) as u8;
    }
}

/// The bytes of the window the generated code reads for a bitfield: the
/// storage integer, or the bytes the bitfield touches in a byte storage.
fn window(run: &BitRun, target: Target, access: &BitAccess) -> std::ops::Range<usize> {
    let offset = run
        .offsets
        .iter()
        .find(|(t, _)| *t == target)
        .map(|(_, o)| *o)
        .expect("an offset per target") as usize;
    let start = match run.storage {
        Storage::Int(_) => offset,
        Storage::Bytes(_) => offset + access.byte as usize,
    };
    start..start + access.len as usize
}

fn access(run: &BitRun, field: usize, target: Target) -> BitAccess {
    run.access(field)
        .and_then(|b| b.targets.iter().find(|(t, _)| *t == target))
        .map(|(_, a)| *a)
        .expect("an access per target")
}

/// What the generated setter does, on `target`, to the bytes of a struct.
fn set(image: &mut [u8], run: &BitRun, field: usize, target: Target, value: u64) {
    let a = access(run, field, target);
    let range = window(run, target, &a);
    let raw = read_uint(&image[range.clone()], target.endian());
    let mask = a.mask();
    let raw = (raw & !(mask << a.shift)) | ((u128::from(value) & mask) << a.shift);
    write_uint(&mut image[range], target.endian(), raw);
}

/// What the generated getter reads, on `target`, as bits of the
/// bitfield's width.
fn get(image: &[u8], run: &BitRun, field: usize, target: Target) -> u64 {
    let a = access(run, field, target);
    let range = window(run, target, &a);
    let raw = read_uint(&image[range], target.endian());
    ((raw >> a.shift) & a.mask()) as u64
}

/// A bitfield's value from its bits, as the getter returns it: signed
/// types (and `char` where C's char is signed) sign-extend.
fn typed(field: &Field, bits: u64, char_signed: bool) -> i128 {
    let width = field.bits.unwrap_or(64);
    let scalar = field.ty.scalar().unwrap_or(Scalar::U64);
    let signed = scalar.is_signed() || (scalar == Scalar::Char && char_signed);
    if signed && width < 128 && bits >> (width - 1) & 1 == 1 {
        i128::from(bits) - (1i128 << width)
    } else {
        i128::from(bits)
    }
}

#[test]
fn fixture_is_the_cases() {
    let path = abi_tests::workspace_root().join("tests/fixtures/rust_bitfields.toml");
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk == spec_text(),
        "{} is not the cases of this test; write it as:\n{}",
        path.display(),
        spec_text()
    );
}

#[test]
fn the_table_holds_every_named_bitfield_on_every_target() {
    let spec = spec();
    let all = named_bitfields(&spec);
    let named: usize = spec
        .structs
        .iter()
        .map(|s| {
            s.fields
                .iter()
                .filter(|f| f.is_bitfield() && !f.unnamed)
                .count()
        })
        .sum();
    assert_eq!(all.len(), named);
    for (_, field, run) in &all {
        let b = run.access(*field).expect("listed");
        assert_eq!(b.targets.len(), Target::ALL.len());
        assert_eq!(run.offsets.len(), Target::ALL.len());
    }
    // The storages chosen: an integer where the run is one, else bytes.
    let storage = |name: &str| {
        let si = spec.struct_index(name).expect("case");
        let tables = bitfields(&spec).expect("table");
        tables[si]
            .runs
            .iter()
            .map(|r| r.storage)
            .collect::<Vec<_>>()
    };
    assert_eq!(storage("perf_flags"), vec![Storage::Int(8)]);
    assert_eq!(storage("ip_head"), vec![Storage::Int(1)]);
    assert_eq!(storage("tcp_flags"), vec![Storage::Int(2)]);
    assert_eq!(storage("odd_bytes"), vec![Storage::Bytes(3)]);
    assert_eq!(storage("nine_bytes"), vec![Storage::Bytes(9)]);
    assert_eq!(storage("whole_union"), vec![Storage::Int(4)]);
    assert_eq!(storage("mixed_union"), vec![Storage::Bytes(5)]);
}

/// For each target: every named bitfield set alone to each pattern, and
/// all of a struct's set at once, through the table, against the bytes
/// the compiler wrote for the same initialisers; and reading each back
/// through the table gives the value C stored, sign-extended as C reads
/// it.
fn accessors_write_what_c_writes(targets: &[Target]) {
    let spec = spec();
    let all = named_bitfields(&spec);
    let mut source = c_source();
    // The initialisers: one per bitfield and pattern, and one per struct
    // with every bitfield set to a pattern of its own.
    for (k, (si, fi, _)) in all.iter().enumerate() {
        let field = &spec.structs[*si].fields[*fi];
        for (p, value) in patterns(field.bits.unwrap_or(0)).iter().enumerate() {
            // An unsigned literal: a signed bitfield takes its value modulo
            // 2^width (gcc's and clang's documented conversion), so the
            // bits stored are the pattern's.
            source += &format!(
                "const {} one_{k}_{p} = {{ .{} = {value:#x}ULL }};\n",
                c_type(&spec, *si),
                field.name
            );
        }
    }
    for si in 0..spec.structs.len() {
        let inits: Vec<String> = all
            .iter()
            .enumerate()
            .filter(|(_, (s, ..))| *s == si)
            .map(|(k, (_, fi, _))| {
                let field = &spec.structs[si].fields[*fi];
                let value = patterns(field.bits.unwrap_or(0))[2 + k % 2];
                format!(".{} = {value:#x}ULL", field.name)
            })
            .collect();
        // A union holds one member at a time.
        if !inits.is_empty() && spec.structs[si].kind == abi_spec::model::StructKind::Struct {
            source += &format!(
                "const {} every_{si} = {{ {} }};\n",
                c_type(&spec, si),
                inits.join(", ")
            );
        }
    }
    source += &oracle::probe_array(&["(char)-1 < 0".to_string()]);
    let mut compared = 0;
    let mut mismatches = Vec::new();
    for &target in targets {
        let object =
            oracle::compile(target, &source, &["-ffreestanding"]).unwrap_or_else(|e| panic!("{e}"));
        let char_signed = oracle::read_probe(&object).unwrap_or_else(|e| panic!("{e}"))[0] == 1;
        let bytes_of = |symbol: &str| {
            oracle::symbol_bytes(&object, symbol).unwrap_or_else(|e| panic!("{target}: {e}"))
        };
        for (k, (si, fi, run)) in all.iter().enumerate() {
            let field = &spec.structs[*si].fields[*fi];
            let what = format!("{}.{}", spec.structs[*si].name, field.name);
            for (p, &value) in patterns(field.bits.unwrap_or(0)).iter().enumerate() {
                let c = bytes_of(&format!("one_{k}_{p}"));
                let mut rust = vec![0u8; c.len()];
                set(&mut rust, run, *fi, target, value);
                compared += 1;
                if rust != c {
                    mismatches.push(format!(
                        "{target}: {what} = {value:#x}: the setter writes {rust:02x?}, C wrote {c:02x?}"
                    ));
                }
                let back = get(&c, run, *fi, target);
                compared += 1;
                if back != value {
                    mismatches.push(format!(
                        "{target}: {what}: the getter reads {back:#x} from C's bytes, C stored {value:#x}"
                    ));
                }
                // All ones reads as -1 when C's bitfield is signed.
                let want = typed(field, value, char_signed);
                let width = field.bits.unwrap_or(0);
                if p == 0
                    && width > 1
                    && (field.ty.scalar().is_some_and(Scalar::is_signed)
                        || (field.ty.scalar() == Some(Scalar::Char) && char_signed))
                    && want != -1
                {
                    mismatches.push(format!("{target}: {what}: all ones is {want}, not -1"));
                }
            }
        }
        for si in 0..spec.structs.len() {
            let symbol = format!("every_{si}");
            let Ok(c) = oracle::symbol_bytes(&object, &symbol) else {
                continue;
            };
            let mut rust = vec![0u8; c.len()];
            for (k, (s, fi, run)) in all.iter().enumerate() {
                if *s == si {
                    let field = &spec.structs[si].fields[*fi];
                    set(
                        &mut rust,
                        run,
                        *fi,
                        target,
                        patterns(field.bits.unwrap_or(0))[2 + k % 2],
                    );
                }
            }
            compared += 1;
            if rust != c {
                mismatches.push(format!(
                    "{target}: {} with every bitfield set: the setters write {rust:02x?}, C wrote {c:02x?}",
                    spec.structs[si].name
                ));
            }
        }
    }
    assert!(compared > 100, "only {compared} comparisons");
    println!("{compared} comparisons on {targets:?}");
    assert!(
        mismatches.is_empty(),
        "{} of {compared} differ:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

abi_tests::test_each_family!(accessors_write_what_c_writes);

/// The generated getter of a `char` bitfield sign-extends where `c_char`
/// is signed, that is where the target's C `char` is: the compilers read a
/// plain `char` bitfield with the signedness of `char` (unsigned on Arm,
/// PowerPC, s390x, RISC-V), a `signed char` one signed everywhere. C has
/// no constant expression that reads a bitfield, C++ does: each target's
/// C++ compiler judges `static_assert`s (the m68k and sh4 cross
/// compilers here have no C++).
fn char_bitfields_are_as_signed_as_char(compiler: &std::path::Path, args: &[String]) {
    let source = "struct s { char c : 3; signed char sc : 3; unsigned char uc : 3; };\n\
        constexpr s x{char(-1), (signed char)-1, 7};\n\
        static_assert((x.c < 0) == (char(-1) < 0), \"a char bitfield is signed as char is\");\n\
        static_assert(x.sc < 0, \"a signed char bitfield is signed\");\n\
        static_assert(x.uc > 0, \"an unsigned char bitfield is unsigned\");\n";
    let dir = abi_tests::scratch_dir("char-bitfields");
    let file = dir.join("char.cc");
    std::fs::write(&file, source).expect("write");
    let out = std::process::Command::new(compiler)
        .args(args)
        .args(["-x", "c++", "-std=c++17", "-fsyntax-only"])
        .arg(&file)
        .output()
        .expect("the compiler runs");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        out.status.success(),
        "{} {args:?}: {}",
        compiler.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
#[cfg_attr(no_clang, ignore = "needs clang")]
fn char_bitfields_clang() {
    let clang = abi_tests::require("clang");
    for target in oracle::targets_of(oracle::Family::Clang) {
        char_bitfields_are_as_signed_as_char(&clang, &[format!("--target={}", target.triple())]);
    }
}

#[test]
#[cfg_attr(no_clang19, ignore = "needs clang-19 (loongarch64)")]
fn char_bitfields_clang19() {
    let clang = abi_tests::require("clang19");
    for target in oracle::targets_of(oracle::Family::Clang19) {
        char_bitfields_are_as_signed_as_char(&clang, &[format!("--target={}", target.triple())]);
    }
}

#[test]
#[cfg_attr(no_gxx, ignore = "needs g++")]
fn char_bitfields_gxx() {
    let gxx = abi_tests::require("gxx");
    for flags in [
        &[][..],
        &["-m32".to_string()][..],
        &["-mx32".to_string()][..],
    ] {
        char_bitfields_are_as_signed_as_char(&gxx, flags);
    }
}

/// Specs the generator refuses, each with the reason it gives: bitfields
/// Rust cannot hold in one field that lies where C puts them on every
/// target.
#[test]
fn runs_rust_cannot_hold_alike_everywhere_are_refused() {
    let cases = [
        (
            // m68k packs `b` right after `a`, in one run; the others start
            // a new unit, so the run's bytes differ.
            "[[struct]]\nname = \"straddle\"\n[[struct.field]]\nname = \"a\"\ntype = \"u32\"\nbits = 3\n[[struct.field]]\nname = \"b\"\ntype = \"u32\"\nbits = 30\n",
            "cover 8 bytes on x86_64 and 5 on m68k",
        ),
        (
            // A zero-width bitfield moves `c` to the next u32 unit (to
            // the next 16 bits on m68k): Rust would put it right after.
            "[[struct]]\nname = \"zero_width\"\n[[struct.field]]\nname = \"a\"\ntype = \"u16\"\nbits = 3\n[[struct.field]]\nname = \"gap\"\ntype = \"u32\"\nbits = 0\nunnamed = true\n[[struct.field]]\nname = \"c\"\ntype = \"u32\"\nbits = 2\n[[struct.field]]\nname = \"d\"\ntype = \"u8\"\n",
            "on x86_64: the storage of the bitfields from `c` would lie at offset 1 (1 byte), C puts it at 4 (1 byte)",
        ),
    ];
    for (text, reason) in cases {
        let spec = parse(
            "refused.toml",
            &format!("[abi]\nname = \"refused\"\nversion = 1\n{text}"),
        )
        .unwrap_or_else(|e| panic!("{}", e.render(false)));
        let error = abi_spec::codegen::rust::generate(&spec).expect_err("refused");
        let message = error.render(false);
        assert!(message.contains(reason), "{message}");
        assert!(message.contains("refused.toml:"), "{message}");
    }
}

/// The generated code itself, on x86_64: every accessor of the fixture's
/// bitfields against gcc's bytes.
#[cfg(all(target_arch = "x86_64", target_pointer_width = "64"))]
mod run_time {
    use super::*;

    mod generated {
        #![allow(dead_code)]
        abi_derive::generate!("fixtures/rust_bitfields.toml");
    }
    use generated as g;

    /// The bytes of a value of a generated type with no padding of its
    /// own left uninitialized: made from all-zero bytes and changed only
    /// through `&mut`, never copied whole.
    fn with<T>(init: impl FnOnce(&mut T)) -> Vec<u8> {
        let mut value = std::mem::MaybeUninit::<T>::zeroed();
        // SAFETY: every generated type is valid all zero; the setters
        // write fields in place, so the padding stays zero bytes.
        unsafe {
            init(&mut *value.as_mut_ptr());
            std::slice::from_raw_parts(value.as_ptr().cast::<u8>(), std::mem::size_of::<T>())
                .to_vec()
        }
    }

    /// gcc's bytes for `const <type> NAME = { .FIELD = VALUE };`.
    fn c_bytes(ty: &str, inits: &[(&str, i128)]) -> Vec<u8> {
        let inits: Vec<String> = inits.iter().map(|(f, v)| format!(".{f} = {v}LL")).collect();
        let source = format!(
            "{}\nconst {ty} it = {{ {} }};\n",
            c_source(),
            inits.join(", ")
        );
        let object = oracle::compile(Target::X86_64, &source, &["-ffreestanding"])
            .unwrap_or_else(|e| panic!("{e}"));
        oracle::symbol_bytes(&object, "it").unwrap_or_else(|e| panic!("{e}"))
    }

    /// One check: the Rust value with a bitfield set, its getter's answer,
    /// the C value's bytes.
    macro_rules! each {
        ($ty:ident, $c:expr, [$(($field:ident, $set:ident, $read:ident, $t:ty, $value:expr)),* $(,)?]) => {{
            let mut checked = 0;
            $(
                let value: $t = $value;
                let rust = with::<g::$ty>(|v| v.$set(value));
                let c = c_bytes($c, &[(stringify!($field), value as i128)]);
                assert_eq!(rust, c, "{}.{} = {}", $c, stringify!($field), value);
                let mut back = g::$ty::ZERO;
                back.$set(value);
                assert_eq!(back.$field(), value, "{}.{} reads back", $c, stringify!($field));
                assert_eq!(back.$read(usize::MAX), Some(value), "read_{}", stringify!($field));
                assert_eq!(back.$read(0), None, "read_{} on length 0", stringify!($field));
                checked += 1;
            )*
            checked
        }};
    }

    #[test]
    #[cfg_attr(no_gcc, ignore = "needs gcc")]
    fn generated_accessors_write_and_read_what_gcc_does() {
        let mut checked = 0;
        checked += each!(
            perf_flags,
            "struct perf_flags",
            [
                (disabled, set_disabled, read_disabled, u64, 1),
                (inherit, set_inherit, read_inherit, u64, 1),
                (pinned, set_pinned, read_pinned, u64, 1),
                (exclusive, set_exclusive, read_exclusive, u64, 1),
                (precise_ip, set_precise_ip, read_precise_ip, u64, 2),
                (exclude_host, set_exclude_host, read_exclude_host, u64, 1),
            ]
        );
        checked += each!(
            ip_head,
            "struct ip_head",
            [
                (ihl, set_ihl, read_ihl, u8, 5),
                (version, set_version, read_version, u8, 4),
            ]
        );
        checked += each!(
            tcp_flags,
            "struct tcp_flags",
            [
                (doff, set_doff, read_doff, u16, 5),
                (fin, set_fin, read_fin, u16, 1),
                (syn, set_syn, read_syn, u16, 1),
                (rst, set_rst, read_rst, u16, 1),
                (psh, set_psh, read_psh, u16, 1),
                (ack, set_ack, read_ack, u16, 1),
                (urg, set_urg, read_urg, u16, 1),
                (ece, set_ece, read_ece, u16, 1),
                (cwr, set_cwr, read_cwr, u16, 1),
            ]
        );
        checked += each!(
            odd_bytes,
            "struct odd_bytes",
            [(b, set_b, read_b, u32, 0xa_bcde),]
        );
        checked += each!(
            signed_bits,
            "struct signed_bits",
            [
                (s, set_s, read_s, i32, -16),
                (t, set_t, read_t, i32, 1023),
                (u, set_u, read_u, u16, 0xfedc),
                (c, set_c, read_c, ::core::ffi::c_char, -3),
                (sc, set_sc, read_sc, i8, -16),
                (big, set_big, read_big, i64, -(1 << 39)),
                (small, set_small, read_small, i64, -7),
            ]
        );
        checked += each!(
            nine_bytes,
            "struct nine_bytes",
            [
                (a, set_a, read_a, u8, 9),
                (b, set_b, read_b, u64, 0x8123_4567_89ab_cdef),
                (c, set_c, read_c, u8, 0xe),
            ]
        );
        checked += each!(
            whole_union,
            "union whole_union",
            [
                (low, set_low, read_low, u32, 0xa5),
                (full, set_full, read_full, u32, 0xdead_beef),
                (all, set_all, read_all, u32, 0x1234_5678),
            ]
        );
        checked += each!(
            anon,
            "struct anon",
            [
                (lo, set_lo, read_lo, u32, 0xabc),
                (hi, set_hi, read_hi, u32, 0xf_edcb),
                (other, set_other, read_other, u32, 77),
                (
                    config1,
                    set_config1,
                    read_config1,
                    u64,
                    0x0123_4567_89ab_cdef
                ),
            ]
        );
        // Every named bitfield of the fixture but perf_flags's reserved
        // bits and the union without accessors; whole_union's `all`; the
        // four members `anon` reaches through its anonymous union.
        let spec = spec();
        let reachable = named_bitfields(&spec)
            .iter()
            .filter(|(si, ..)| {
                !matches!(
                    spec.structs[*si].name.as_str(),
                    "mixed_union" | "anon_inner" | "anon_u"
                )
            })
            .count();
        assert_eq!(
            checked,
            reachable - 1 + 1 + 4,
            "a check per reachable member"
        );
    }

    mod perf {
        #![allow(dead_code)]
        abi_derive::generate!("nostd/specs/perf.toml");
    }

    /// The generated `perf_event_attr` and `perf_branch_entry` against
    /// Linux's own header: the same members set through the accessors and
    /// through C designated initialisers give the same bytes.
    #[test]
    #[cfg_attr(no_gcc, ignore = "needs gcc")]
    #[cfg_attr(no_uapi_headers, ignore = "needs the Linux uapi headers")]
    fn generated_perf_event_attr_is_the_headers() {
        let source = "#include <linux/perf_event.h>\n\
            const struct perf_event_attr attr = { .type = PERF_TYPE_HARDWARE, .size = PERF_ATTR_SIZE_VER7,\n\
              .config = 2, .sample_freq = 4000, .sample_type = 0x107, .read_format = 3,\n\
              .disabled = 1, .exclude_kernel = 1, .precise_ip = 2, .freq = 1, .sample_id_all = 1,\n\
              .exclude_callchain_user = 1, .sigtrap = 1, .wakeup_watermark = 9, .bp_type = 3,\n\
              .config1 = 0xfeed, .config2 = 5, .branch_sample_type = 6, .clockid = -7,\n\
              .sample_max_stack = 127, .aux_sample_size = 11, .sig_data = 42 };\n\
            const struct perf_branch_entry entry = { .from = 1, .to = 2, .predicted = 1,\n\
              .cycles = 0xabcd, .type = 9, .spec = 2, .new_type = 5, .priv = 6 };\n";
        let object = oracle::compile(Target::X86_64, source, &[]).unwrap_or_else(|e| panic!("{e}"));
        let c_attr = oracle::symbol_bytes(&object, "attr").unwrap_or_else(|e| panic!("{e}"));
        let c_entry = oracle::symbol_bytes(&object, "entry").unwrap_or_else(|e| panic!("{e}"));
        let rust_attr = with::<perf::perf_event_attr>(|a| {
            a.r#type = perf::PerfTypeId::HARDWARE.bits();
            a.size = perf::PERF_ATTR_SIZE_VER7 as u32;
            a.config = 2;
            a.set_sample_freq(4000);
            a.sample_type = 0x107;
            a.read_format = 3;
            a.set_disabled(1);
            a.set_exclude_kernel(1);
            a.set_precise_ip(2);
            a.set_freq(1);
            a.set_sample_id_all(1);
            a.set_exclude_callchain_user(1);
            a.set_sigtrap(1);
            a.set_wakeup_watermark(9);
            a.bp_type = 3;
            a.set_config1(0xfeed);
            a.set_config2(5);
            a.branch_sample_type = 6;
            a.clockid = -7;
            a.sample_max_stack = 127;
            a.aux_sample_size = 11;
            a.sig_data = 42;
        });
        assert_eq!(rust_attr, c_attr);
        let rust_entry = with::<perf::perf_branch_entry>(|e| {
            e.from = 1;
            e.to = 2;
            e.set_predicted(1);
            e.set_cycles(0xabcd);
            e.set_type(9);
            e.set_spec(2);
            e.set_new_type(5);
            e.set_priv(6);
        });
        assert_eq!(rust_entry, c_entry);
        // And back: the getters read C's bytes.
        let mut attr = perf::perf_event_attr::ZERO;
        // SAFETY: perf_event_attr is plain data of exactly these bytes.
        unsafe {
            std::ptr::copy_nonoverlapping(
                c_attr.as_ptr(),
                std::ptr::addr_of_mut!(attr).cast::<u8>(),
                c_attr.len(),
            );
        }
        assert_eq!(attr.precise_ip(), 2);
        assert_eq!(attr.sigtrap(), 1);
        assert_eq!(attr.inherit(), 0);
        assert_eq!(attr.sample_period(), 4000);
        assert_eq!(attr.wakeup_events(), 9);
        assert_eq!(attr.bp_addr(), 0xfeed);
        assert_eq!(attr.read_sig_data(perf::PERF_ATTR_SIZE_VER7), Some(42));
        assert_eq!(attr.read_sig_data(perf::PERF_ATTR_SIZE_VER6), None);
    }

    #[test]
    fn signed_values_round_trip_and_setters_keep_the_low_bits() {
        let mut v = g::signed_bits::ZERO;
        for s in -16..16 {
            v.set_s(s);
            assert_eq!(v.s(), s);
        }
        for t in [-1024, -1, 0, 1, 1023] {
            v.set_t(t);
            assert_eq!(v.t(), t);
            assert_eq!(v.s(), 15, "setting t leaves s");
        }
        for c in -4..4 {
            v.set_c(c);
            assert_eq!(v.c(), c);
        }
        for big in [-(1i64 << 39), -1, 0, (1 << 39) - 1] {
            v.set_big(big);
            assert_eq!(v.big(), big);
        }
        // C keeps the low bits of what is assigned: 0x25 in 5 bits is 5.
        v.set_sc(0x25);
        assert_eq!(v.sc(), 5);
        v.set_s(17);
        assert_eq!(v.s(), -15);
        let mut p = g::perf_flags::ZERO;
        p.set_precise_ip(7);
        assert_eq!(p.precise_ip(), 3);
        assert_eq!(p.disabled(), 0);
        assert_eq!(p.exclude_host(), 0);
        // The storage word is the C word: disabled is bit 0, precise_ip
        // bits 4 and 5 on x86_64.
        p.set_disabled(1);
        assert_eq!(p.disabled_bits, 0b11_0001);
    }
}
