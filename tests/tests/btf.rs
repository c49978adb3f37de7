//! BTF read back three ways: bytes this test writes (every kind, both byte
//! orders, split files), what `pahole -J` makes of objects gcc compiled
//! (compared with the DWARF reader on the same object), and the running
//! kernel's `/sys/kernel/btf/vmlinux` (every struct compared with pahole,
//! the extensible ones with gcc's reading of the uapi headers).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use abi_dwarf::btf::{self, Btf, KIND_NAMES};
use abi_dwarf::btf_writer::BtfWriter;
use abi_dwarf::{CStruct, Options, TypeKind};
use abi_spec::Target;

fn options() -> Options {
    Options::default()
}

fn read_one(name: &str, data: &[u8], base: Option<&[u8]>, query: &str) -> CStruct {
    let base = base.map(|b| (Path::new("base.btf"), b));
    let dump = btf::read_bytes_for(
        Path::new(name),
        data,
        base,
        &[vec![query.to_string()]],
        &options(),
        Target::X86_64,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    dump.structs[0].layout.clone()
}

/// Every kind the format defines, in one object: the struct `all` uses
/// the type kinds, and FUNC, VAR, DATASEC and DECL_TAG sit beside it.
fn every_kind(big_endian: bool) -> Vec<u8> {
    let mut w = BtfWriter::new(big_endian);
    let uint = w.int("unsigned int", 4, 0, 32); // 1
    let u32_t = w.simple(8, "__u32", uint); // TYPEDEF
    let volatile = w.simple(9, "", u32_t);
    let const_volatile = w.simple(10, "", volatile);
    let long_long = w.int("long long int", 8, 1, 64);
    let boolean = w.int("_Bool", 1, 4, 8);
    let char_t = w.int("char", 1, 1 | 2, 8);
    let ushort = w.int("unsigned short", 2, 0, 16);
    let index = w.int("__ARRAY_SIZE_TYPE__", 4, 0, 32);
    let row = w.array(ushort, index, 3);
    let matrix = w.array(row, index, 2);
    let opaque = w.simple(7, "opaque", 0); // FWD
    let pointer = w.simple(2, "", opaque);
    let restrict = w.simple(11, "", pointer);
    let user = w.simple(18, "user", char_t); // TYPE_TAG
    let user_pointer = w.simple(2, "", user);
    let int_t = w.int("int", 4, 1, 32);
    let proto = w.raw(13, "", 2, false, int_t, &[0, int_t, 0, char_t]);
    let fn_pointer = w.simple(2, "", proto);
    let mut enum_words = Vec::new();
    for (name, value) in [("E_NEG", u32::MAX), ("E_ONE", 1)] {
        enum_words.extend([w.name(name), value]);
    }
    let e = w.raw(6, "e", 2, true, 4, &enum_words);
    let big_name = w.name("BIG");
    let e64 = w.raw(19, "e64", 1, false, 8, &[big_name, 0, 1]);
    let double = w.simple(16, "double", 8); // FLOAT
    let chars = w.array(char_t, index, 8);
    let anon = w.aggregate(
        true,
        "",
        8,
        false,
        &[("x", int_t, 0, 0), ("y", chars, 0, 0)],
    );
    let all = w.aggregate(
        false,
        "all",
        96,
        true,
        &[
            ("a", u32_t, 0, 0),
            ("cv", const_volatile, 32, 0),
            ("i", long_long, 64, 0),
            ("flag", boolean, 128, 0),
            ("c", char_t, 136, 0),
            ("m", matrix, 144, 0),
            ("p", restrict, 256, 0),
            ("user", user_pointer, 320, 0),
            ("fn", fn_pointer, 384, 0),
            ("e", e, 448, 0),
            ("big", e64, 512, 0),
            ("d", double, 576, 0),
            ("", anon, 640, 0),
            ("a3", uint, 704, 3),
            ("b5", uint, 707, 5),
        ],
    );
    // The old bitfield encoding: no kind_flag, the INT says its bits.
    let four_bits = w.int("unsigned int", 4, 0, 4);
    w.aggregate(
        false,
        "old",
        8,
        false,
        &[("q", uint, 0, 0), ("nib", four_bits, 32, 0)],
    );
    let func = w.simple(12, "f", proto);
    let var = w.raw(14, "v", 0, false, all, &[1]);
    w.raw(15, ".data", 1, false, 96, &[var, 0, 96]);
    w.raw(17, "tag_on_member", 0, false, all, &[0]);
    w.raw(17, "tag_on_struct", 0, false, all, &[u32::MAX]);
    let _ = func;
    w.finish()
}

#[test]
fn every_kind_written_here_reads_in_both_byte_orders() {
    for big_endian in [false, true] {
        let data = every_kind(big_endian);
        let parsed = Btf::parse(&data, None).unwrap_or_else(|e| panic!("{e}"));
        let counts = parsed.kind_counts();
        for (kind, name) in KIND_NAMES.iter().enumerate().skip(1) {
            assert!(counts[kind] > 0, "no {name} written");
        }
        let all = read_one("all.btf", &data, None, "all");
        assert_eq!((all.size, all.align, all.packed), (96, 8, false));
        let member = |name: &str| {
            let m = all.member(name).unwrap_or_else(|| panic!("no {name}"));
            (
                m.offset,
                m.member.size,
                m.member.ty.c_name.clone(),
                m.member.ty.spec_key(),
            )
        };
        let expected = [
            ("a", 0, 4, "__u32", "u32"),
            ("cv", 4, 4, "const volatile __u32", "u32"),
            ("i", 8, 8, "long long int", "i64"),
            ("flag", 16, 1, "_Bool", "u8"),
            ("c", 17, 1, "char", "i8"),
            ("m", 18, 12, "unsigned short[2][3]", "[[u16; 3]; 2]"),
            ("p", 32, 8, "struct opaque *", "ptr"),
            ("user", 40, 8, "char *", "ptr"),
            ("fn", 48, 8, "fn *", "ptr"),
            ("e", 56, 4, "enum e", "i32"),
            ("big", 64, 8, "enum e64", "u64"),
            ("d", 72, 8, "double", "f64"),
            ("x", 80, 4, "int", "i32"),
            ("y", 80, 8, "char[8]", "[i8; 8]"),
            ("a3", 88, 1, "unsigned int", "u32"),
            ("b5", 88, 1, "unsigned int", "u32"),
        ];
        for (name, offset, size, c_name, key) in expected {
            assert_eq!(
                member(name),
                (offset, size, c_name.to_string(), key.to_string()),
                "{name}, big endian: {big_endian}"
            );
        }
        let b5 = all.member("b5").expect("b5").member.bits.expect("bits");
        assert_eq!((b5.bit_offset, b5.bit_size), (707, 5));
        let old = read_one("all.btf", &data, None, "old");
        let nib = old.member("nib").expect("nib").member;
        assert_eq!(nib.bits.map(|b| (b.bit_offset, b.bit_size)), Some((32, 4)));
        assert_eq!((old.size, old.align), (8, 4));
    }
}

/// A base and a split file written here: the split file's types and
/// strings continue the base's; without the base it is refused.
#[test]
fn split_btf_written_here() {
    let mut base = BtfWriter::new(false);
    let int_t = base.int("int", 4, 1, 32);
    let long_long = base.int("long long int", 8, 1, 64);
    let base_s = base.aggregate(
        false,
        "base_s",
        16,
        false,
        &[("a", int_t, 0, 0), ("b", long_long, 64, 0)],
    );
    let base_bytes = base.finish();
    let mut split = BtfWriter::split(base.last_id(), base.strings_len());
    let short = split.int("short", 2, 1, 16);
    split.aggregate(
        false,
        "mod_s",
        24,
        false,
        &[
            ("inner", base_s, 0, 0),
            ("s", short, 128, 0),
            ("again", int_t, 160, 0),
        ],
    );
    let split_bytes = split.finish();
    let m = read_one("mod.btf", &split_bytes, Some(&base_bytes), "mod_s");
    assert_eq!((m.size, m.align), (24, 8));
    let inner = m.member("inner").expect("inner");
    assert_eq!(inner.member.ty.c_name, "struct base_s");
    assert_eq!(m.member("again").expect("again").offset, 20);
    // A base type is found through the split file too.
    let b = read_one("mod.btf", &split_bytes, Some(&base_bytes), "base_s");
    assert_eq!(b.size, 16);
    let alone = btf::read_bytes_for(
        Path::new("mod.btf"),
        &split_bytes,
        None,
        &[vec!["mod_s".to_string()]],
        &options(),
        Target::X86_64,
    )
    .expect_err("split BTF without its base");
    assert!(alone.to_string().contains("--btf-base"), "{alone}");
}

fn compile(dir: &Path, name: &str, source: &str) -> PathBuf {
    let c = dir.join(format!("{name}.c"));
    std::fs::write(&c, source).expect("write C");
    let o = dir.join(format!("{name}.o"));
    let out = Command::new(abi_test_tools::require("gcc"))
        .args(["-g", "-c", "-o"])
        .arg(&o)
        .arg(&c)
        .output()
        .expect("gcc runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    o
}

fn pahole(args: &[&str], file: &Path) {
    let out = Command::new(abi_test_tools::require("pahole"))
        .args(args)
        .arg(file)
        .output()
        .expect("pahole runs");
    assert!(
        out.status.success(),
        "pahole {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

const PROBE: &str = r#"
typedef unsigned int __u32;
typedef unsigned long long __u64;
struct inner { short s; char c; };
struct probe {
    __u32 a;
    __u64 b;
    char c[3];
    unsigned short d;
    int e[2][5];
    struct inner in;
    union { int i; float f; };
    struct { char x, y; } named_anon;
    unsigned f1:3, f2:7, :0, f3:4;
    _Bool flag;
    double dd;
    const char * const *argv;
    enum { A, B = 300 } en;
    void (*cb)(int);
    __u32 tail[];
};
struct packed_s { char c; int i; } __attribute__((packed));
typedef struct { __u32 q; unsigned char r; } anon_t;
struct probe p;
struct packed_s ps;
anon_t at;
"#;

/// The same object read through its DWARF and through the BTF pahole
/// makes of it (in the ELF file, and detached): the same layouts.
#[test]
#[cfg_attr(no_pahole, ignore = "needs pahole")]
#[cfg_attr(no_gcc, ignore = "needs gcc")]
fn pahole_btf_of_gcc_objects_matches_their_dwarf() {
    let dir = abi_tests::scratch_dir("btf-pahole");
    let object = compile(&dir, "probe", PROBE);
    let with_btf = dir.join("probe-btf.o");
    std::fs::copy(&object, &with_btf).expect("copy");
    pahole(&["-J"], &with_btf);
    let detached = dir.join("probe.btf");
    pahole(
        &[&format!("--btf_encode_detached={}", detached.display())],
        &object,
    );
    let names: Vec<Vec<String>> = ["probe", "packed_s", "inner", "anon_t"]
        .iter()
        .map(|n| vec![n.to_string()])
        .collect();
    let dwarf = abi_dwarf::read(&object, &names, &options()).unwrap_or_else(|e| panic!("{e}"));
    for file in [&with_btf, &detached] {
        let btf = abi_dwarf::read_btf(file, &names, &options()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(btf.format, abi_dwarf::Format::Btf);
        assert_eq!(btf.target, Target::X86_64);
        for (d, b) in dwarf.structs.iter().zip(&btf.structs) {
            assert_eq!(
                shape(&b.layout),
                shape(&d.layout),
                "{} from {}",
                d.query,
                file.display()
            );
        }
    }
}

/// What BTF and DWARF must agree on: kind, size, alignment, packing, and
/// each member's name, offset, size, bits and alignment, nested structs
/// included. Member types may be spelled apart: pahole 1.24 writes
/// `float` and `double` as integers (without `--btf_gen_floats`) and
/// `int e[2][5]` as `int[10]`.
fn shape(s: &CStruct) -> String {
    let mut out = format!(
        "{} {:?} size {} align {} packed {}:",
        s.kind.keyword(),
        s.name,
        s.size,
        s.align,
        s.packed
    );
    for m in &s.members {
        out.push_str(&format!(
            " [{:?} at {} size {} align {} bits {:?}",
            m.name, m.offset, m.size, m.align, m.bits
        ));
        if let TypeKind::Aggregate(inner) = &m.ty.kind {
            out.push_str(&shape(inner));
        }
        out.push(']');
    }
    out
}

/// Split BTF from pahole: a base from one object, a split file from
/// another over it.
#[test]
#[cfg_attr(no_pahole, ignore = "needs pahole")]
#[cfg_attr(no_gcc, ignore = "needs gcc")]
fn pahole_split_btf() {
    let dir = abi_tests::scratch_dir("btf-split");
    let base_source = "struct base_s { int a; long long b; };\nstruct base_s bs;\n";
    let base = compile(&dir, "base", base_source);
    let module = compile(
        &dir,
        "mod",
        &format!("{base_source}struct mod_s {{ struct base_s inner; char tag[3]; unsigned f:3, g:5; }};\nstruct mod_s ms;\n"),
    );
    let base_btf = dir.join("base.btf");
    pahole(
        &[&format!("--btf_encode_detached={}", base_btf.display())],
        &base,
    );
    let mod_btf = dir.join("mod.btf");
    pahole(
        &[
            &format!("--btf_base={}", base_btf.display()),
            &format!("--btf_encode_detached={}", mod_btf.display()),
        ],
        &module,
    );
    let names = vec![vec!["mod_s".to_string()]];
    let with_base = Options {
        btf_base: Some(base_btf.clone()),
        ..options()
    };
    let dump = abi_dwarf::read_btf(&mod_btf, &names, &with_base).unwrap_or_else(|e| panic!("{e}"));
    let dwarf = abi_dwarf::read(&module, &names, &options()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(dump.structs[0].layout, dwarf.structs[0].layout);
    let err = abi_dwarf::read_btf(&mod_btf, &names, &options()).expect_err("needs its base");
    assert!(err.to_string().contains("--btf-base"), "{err}");
}

/// One struct as pahole prints it: size, and each top-level member line's
/// (name, offset in bits).
#[derive(Debug, Default)]
struct PaholeStruct {
    size: u64,
    members: Vec<(String, u64)>,
}

/// Parses `pahole` text: `struct name {`, member lines at one tab,
/// `/* offset size */` or `/* offset: bit size */` comments, and the
/// `/* size: N, ...` footer. Nested anonymous aggregates are skipped
/// (their closing line carries their offset, with no name).
fn parse_pahole(text: &str) -> Vec<(String, PaholeStruct)> {
    let mut out = Vec::new();
    let mut current: Option<(String, PaholeStruct)> = None;
    for line in text.lines() {
        if current.is_none() {
            for keyword in ["struct ", "union "] {
                if let Some(rest) = line.strip_prefix(keyword) {
                    if let Some(name) = rest.strip_suffix(" {") {
                        current = Some((name.to_string(), PaholeStruct::default()));
                    }
                }
            }
            continue;
        }
        let Some((_, s)) = current.as_mut() else {
            continue;
        };
        if line.starts_with('}') {
            out.push(current.take().expect("current"));
            continue;
        }
        if let Some(rest) = line.trim().strip_prefix("/* size: ") {
            s.size = rest
                .split(',')
                .next()
                .and_then(|n| n.trim().parse().ok())
                .unwrap_or(0);
            continue;
        }
        // A top-level member: exactly one tab, a declaration, a comment.
        if !line.starts_with('\t') || line.starts_with("\t\t") || line.starts_with("\t/*") {
            continue;
        }
        let Some((decl, comment)) = line.rsplit_once("/*") else {
            continue;
        };
        let decl = decl.trim().trim_end_matches(';');
        let fields: Vec<&str> = comment.trim_end_matches("*/").split_whitespace().collect();
        let Some(first) = fields.first() else {
            continue;
        };
        let (offset, bit) = match first.strip_suffix(':') {
            Some(bytes) => (
                bytes,
                fields
                    .get(1)
                    .and_then(|b| b.parse::<u64>().ok())
                    .unwrap_or(0),
            ),
            None => match first.split_once(':') {
                Some((bytes, bit)) => (bytes, bit.parse().unwrap_or(0)),
                None => (*first, 0),
            },
        };
        let Ok(offset) = offset.parse::<u64>() else {
            continue;
        };
        if decl.starts_with('}') {
            // The end of an inline anonymous struct or union.
            s.members.push((String::new(), offset * 8));
            continue;
        }
        let decl = decl.split(" __attribute__").next().unwrap_or(decl);
        let name = match decl.split_once("(*") {
            // A function pointer: `int (*llseek)(struct file *, ...)`.
            Some((_, rest)) => rest.split(')').next().unwrap_or_default(),
            None => decl
                .split(|c: char| c.is_whitespace() || c == '*')
                .rfind(|w| !w.is_empty())
                .unwrap_or_default(),
        };
        let name = name.split(['[', ':']).next().unwrap_or_default();
        s.members.push((name.to_string(), offset * 8 + bit));
    }
    out
}

/// pahole's bit offsets count from the storage unit of a bitfield, in
/// bits from its byte: `16:24` is bit 152. Ours count from the struct.
fn our_members(s: &CStruct) -> Vec<(String, u64)> {
    s.members
        .iter()
        .map(|m| {
            let bit = match m.bits {
                Some(bits) => bits.bit_offset,
                None => m.offset * 8,
            };
            (m.name.clone().unwrap_or_default(), bit)
        })
        .collect()
}

/// Whether one of our layouts is the one pahole printed.
fn agree(s: &CStruct, pahole: &PaholeStruct) -> Result<(), String> {
    // pahole prints no size for a union.
    if s.kind == abi_dwarf::Kind::Struct && s.size != pahole.size {
        return Err(format!("size {} here, {} in pahole", s.size, pahole.size));
    }
    let mine = our_members(s);
    if mine.len() != pahole.members.len() {
        return Err(format!(
            "{} members here, {} in pahole",
            mine.len(),
            pahole.members.len()
        ));
    }
    for ((my_name, my_bit), (their_name, their_bit)) in mine.iter().zip(&pahole.members) {
        if my_bit != their_bit || (!their_name.is_empty() && my_name != their_name) {
            return Err(format!(
                "`{my_name}` at bit {my_bit} here, `{their_name}` at bit {their_bit} in pahole"
            ));
        }
    }
    Ok(())
}

/// Every struct and union of the running kernel, against pahole reading
/// the same file: sizes and member offsets agree. Also prints how many
/// types of each kind the kernel has.
#[test]
#[cfg_attr(no_kernel_btf, ignore = "needs /sys/kernel/btf/vmlinux")]
#[cfg_attr(no_pahole, ignore = "needs pahole")]
fn every_kernel_struct_agrees_with_pahole() {
    let path = abi_test_tools::require("kernel_btf");
    let input = abi_dwarf::Input::read(&path).unwrap_or_else(|e| panic!("{e}"));
    let parsed = Btf::parse(&input, None).unwrap_or_else(|e| panic!("{e}"));
    let counts = parsed.kind_counts();
    let listed: Vec<String> = KIND_NAMES
        .iter()
        .zip(counts)
        .skip(1)
        .map(|(name, n)| format!("{name} {n}"))
        .collect();
    eprintln!("{}: {}", path.display(), listed.join(", "));
    let ours = btf::all_structs(&parsed, btf::host_target());
    let out = Command::new(abi_test_tools::require("pahole"))
        .args(["-F", "btf"])
        .arg(&path)
        .output()
        .expect("pahole runs");
    let theirs = parse_pahole(&String::from_utf8_lossy(&out.stdout));
    assert!(
        theirs.len() > 1000,
        "pahole printed {} structs",
        theirs.len()
    );
    // pahole prints each name once, and for a name the kernel defines
    // differently in several places (17 here) not always the first: it
    // must agree with one of them.
    let mut by_name: HashMap<String, Vec<&CStruct>> = HashMap::new();
    let mut errors = Vec::new();
    for (id, layout) in &ours {
        match layout {
            Ok(s) => {
                if let Some(name) = &s.name {
                    by_name.entry(name.clone()).or_default().push(s);
                }
            }
            Err(e) => errors.push(format!("type {id}: {e}")),
        }
    }
    assert!(
        errors.is_empty(),
        "{} unreadable: {:?}",
        errors.len(),
        &errors[..errors.len().min(5)]
    );
    let mut compared = 0;
    let mut differences = Vec::new();
    for (name, pahole) in &theirs {
        let Some(candidates) = by_name.get(name) else {
            differences.push(format!("{name}: pahole prints it, we have none"));
            continue;
        };
        compared += 1;
        let mut why = Vec::new();
        for s in candidates {
            match agree(s, pahole) {
                Ok(()) => {
                    why.clear();
                    break;
                }
                Err(e) => why.push(e),
            }
        }
        differences.extend(why.into_iter().map(|w| format!("{name}: {w}")));
    }
    eprintln!("compared {compared} structs and unions with pahole");
    assert!(compared > 1000, "only {compared} compared");
    assert!(
        differences.is_empty(),
        "{} differences, the first: {:#?}",
        differences.len(),
        &differences[..differences.len().min(20)]
    );
}

/// The extensible structs of the running kernel against gcc's reading of
/// the installed uapi headers (through the DWARF reader): every member both
/// have sits at the same offset with the same size, and the kernel's size
/// is at least the header's (a newer kernel may have grown the struct).
#[test]
#[cfg_attr(no_kernel_btf, ignore = "needs /sys/kernel/btf/vmlinux")]
#[cfg_attr(no_gcc, ignore = "needs gcc")]
#[cfg_attr(no_uapi_headers, ignore = "needs the Linux uapi headers")]
fn kernel_extensible_structs_agree_with_gcc() {
    let path = abi_test_tools::require("kernel_btf");
    let dir = abi_tests::scratch_dir("btf-uapi");
    let source = "#include <linux/rseq.h>\n#include <linux/sched.h>\n#include <linux/openat2.h>\n\
                  #include <linux/sched/types.h>\n#include <linux/mount.h>\n\
                  struct rseq a; struct clone_args b; struct open_how c; struct sched_attr d; struct mount_attr e;\n";
    let object = compile(&dir, "uapi", source);
    let names: Vec<Vec<String>> = ["rseq", "clone_args", "open_how", "sched_attr", "mount_attr"]
        .iter()
        .map(|n| vec![n.to_string()])
        .collect();
    let gcc = abi_dwarf::read(&object, &names, &options()).unwrap_or_else(|e| panic!("{e}"));
    let kernel = abi_dwarf::read_btf(&path, &names, &options()).unwrap_or_else(|e| panic!("{e}"));
    for (g, k) in gcc.structs.iter().zip(&kernel.structs) {
        let (g, k) = (&g.layout, &k.layout);
        assert!(k.size >= g.size, "{:?}: {} < {}", g.name, k.size, g.size);
        let mut common = 0;
        for gm in g.flat_members() {
            let Some(name) = gm.member.name.as_deref() else {
                continue;
            };
            let Some(km) = k.member(name) else { continue };
            assert_eq!(
                (km.offset, km.member.size),
                (gm.offset, gm.member.size),
                "{:?}.{name}",
                g.name
            );
            assert!(matches!(
                km.member.ty.kind,
                TypeKind::Scalar { .. } | TypeKind::Array { .. } | TypeKind::Pointer
            ));
            common += 1;
        }
        assert!(common >= 3, "{:?}: only {common} members in common", g.name);
    }
}
