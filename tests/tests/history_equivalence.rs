//! `check`'s history (`abi_spec::compat::history`) judges versions per
//! block and only the pairs where something first appears; its definition
//! is every version against every older one, deduplicated keeping each
//! subject's first finding (`history_every_pair`). The two must agree
//! finding for finding (rule, place, targets, message, help) on:
//!
//! * every spec the repository holds (examples, rule fixtures, the fuzz
//!   corpora, each side of the diff inputs);
//! * random histories built to reach every rule the history can fire:
//!   fields inserted, moved by nested structs that grow, reserved bytes
//!   placed, claimed in place and claimed again, tail padding written,
//!   lengths that repeat, gates offered late, unions, packed structs;
//!   bitfields (named, unnamed padding bits, zero-width ones, reserved
//!   bits claimed later through `was_reserved`), which the comparison
//!   judges in bits; and structs the kernel copies in (every field written
//!   by user space), whose older kernels ignore a field on their tail
//!   padding.

use std::path::Path;

use abi_spec::compat::{history, history_every_pair, history_notable};
use abi_spec::finding::Finding;
use abi_spec::Spec;
use proptest::prelude::*;

/// A finding as the outputs show it.
fn shown(f: &Finding) -> String {
    format!(
        "{} {:?} {:?} {:?} {:?} {:?} | {} | {:?}",
        f.rule.id(),
        f.struct_name,
        f.field,
        f.feature,
        f.targets,
        f.origin.as_ref().map(|o| o.span.start),
        f.message,
        f.help
    )
}

fn agree(spec: &Spec, what: &str) -> Result<(), String> {
    for info in [true, false] {
        let fast: Vec<String> = if info {
            history(spec)
        } else {
            history_notable(spec)
        }
        .iter()
        .map(shown)
        .collect();
        let slow: Vec<String> = history_every_pair(spec, info)
            .iter()
            .filter(|f| info || f.severity != abi_spec::Severity::Info)
            .map(shown)
            .collect();
        if fast != slow {
            let only_fast: Vec<&String> = fast.iter().filter(|f| !slow.contains(f)).collect();
            let only_slow: Vec<&String> = slow.iter().filter(|f| !fast.contains(f)).collect();
            return Err(format!(
                "{what} (info {info}): the per-block history differs from every pair\nonly per block: {only_fast:#?}\nonly every pair: {only_slow:#?}\nboth, in order: per block {} findings, every pair {}",
                fast.len(),
                slow.len()
            ));
        }
    }
    Ok(())
}

#[test]
fn every_spec_in_the_repository() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut dirs = vec![
        root.join("examples"),
        root.join("tests/fixtures"),
        root.join("tests/fuzz-corpus/spec"),
        root.join("tests/fuzz-corpus/diff"),
        root.join("tests/fuzz-corpus/codegen"),
        root.join("abi-check/tests"),
    ];
    let mut files = Vec::new();
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.push(root.join("spec.toml"));
    files.sort();
    let mut judged = 0;
    let mut with_findings = 0;
    for path in files {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let (old, new) = text
            .split_once(abi_tests::fuzz_checks::SPEC_SEPARATOR)
            .unwrap_or((&text, ""));
        for part in [old, new] {
            let Ok(spec) = abi_spec::parse("t.toml", part) else {
                continue;
            };
            if let Err(e) = agree(&spec, &path.display().to_string()) {
                panic!("{e}");
            }
            judged += 1;
            with_findings += usize::from(!history_every_pair(&spec, true).is_empty());
        }
    }
    eprintln!("{judged} specs, {with_findings} with history findings");
    assert!(
        judged > 400 && with_findings > 100,
        "{judged} specs, {with_findings} with findings"
    );
}

/// A random history: a few structs, fields of assorted types and
/// versions, reserved bytes and claims, features offered at assorted
/// versions.
#[derive(Clone, Debug)]
struct Gen {
    versions: u32,
    features: Vec<(u32, u32, bool)>,
    structs: Vec<GenStruct>,
}

#[derive(Clone, Debug)]
struct GenStruct {
    union: bool,
    packed: bool,
    /// Every field written by user space: the copy-in protocol.
    copy_in: bool,
    align: Option<u64>,
    writer: usize,
    fields: Vec<GenField>,
}

#[derive(Clone, Debug)]
struct GenField {
    ty: usize,
    since: u32,
    reserved: bool,
    was_reserved: Option<u32>,
    align: Option<u64>,
    feature: Option<usize>,
    writer: usize,
    /// A bitfield: its type (index into [`BIT_TYPES`]) and a number its
    /// width is taken from.
    bits: Option<(usize, u32)>,
    /// Unnamed: padding bits (a bitfield), always reserved.
    unnamed: bool,
}

const SCALARS: &[&str] = &[
    "u8", "u16", "u32", "u64", "[u8; 3]", "[u32; 2]", "i64", "ptr",
];
const WRITERS: &[&str] = &["both", "kernel", "user"];
/// The types of bitfields, with their widths.
const BIT_TYPES: &[(&str, u32)] = &[
    ("u8", 8),
    ("u16", 16),
    ("u32", 32),
    ("u64", 64),
    ("i16", 16),
    ("i64", 64),
];

impl Gen {
    fn toml(&self) -> String {
        let mut s = format!(
            "[abi]\nname = \"g\"\nversion = {}\nfirst_version = 1\n",
            self.versions
        );
        for (i, &(bit, since, retired)) in self.features.iter().enumerate() {
            s += &format!(
                "[[feature]]\nname = \"f{i}\"\nbit = {bit}\nsince = {since}\nretired = {retired}\n"
            );
        }
        for (si, st) in self.structs.iter().enumerate() {
            s += &format!("[[struct]]\nname = \"s{si}\"\n");
            if st.union {
                s += "kind = \"union\"\n";
            }
            if st.packed {
                s += "packed = true\n";
            }
            if let Some(a) = st.align {
                s += &format!("align = {a}\n");
            }
            let writer = if st.copy_in { 2 } else { st.writer };
            s += &format!("writer = \"{}\"\n", WRITERS[writer]);
            for (fi, f) in st.fields.iter().enumerate() {
                // Types past the scalars name an earlier struct.
                let ty = match (f.bits, f.ty.checked_sub(SCALARS.len())) {
                    (Some((t, _)), _) => BIT_TYPES[t % BIT_TYPES.len()].0.to_string(),
                    (None, Some(n)) if si > 0 => format!("s{}", n % si),
                    (None, Some(_)) => "u32".to_string(),
                    (None, None) => SCALARS[f.ty].to_string(),
                };
                s += &format!(
                    "[[struct.field]]\nname = \"x{fi}\"\ntype = \"{ty}\"\nsince = {}\n",
                    f.since
                );
                if let Some((t, seed)) = f.bits {
                    let (_, width) = BIT_TYPES[t % BIT_TYPES.len()];
                    // Zero-width bitfields are unnamed; named ones hold a bit.
                    let bits = if f.unnamed {
                        seed % (width + 1)
                    } else {
                        1 + seed % width
                    };
                    s += &format!("bits = {bits}\n");
                    if f.unnamed {
                        s += "unnamed = true\n";
                    }
                }
                // Unnamed bits are reserved by themselves.
                if f.unnamed {
                    continue;
                }
                if f.reserved {
                    s += "reserved = true\n";
                }
                if let Some(w) = f.was_reserved {
                    s += &format!("was_reserved = {w}\n");
                }
                if let Some(a) = f.align {
                    s += &format!("align = {a}\n");
                }
                if let Some(feature) = f.feature.filter(|_| !f.reserved) {
                    if !self.features.is_empty() {
                        s += &format!("feature = \"f{}\"\n", feature % self.features.len());
                    }
                }
                if f.writer > 0 && !st.copy_in {
                    s += &format!("writer = \"{}\"\n", WRITERS[f.writer % WRITERS.len()]);
                }
            }
        }
        s
    }
}

fn gen_field(versions: u32) -> impl Strategy<Value = GenField> {
    (
        0..SCALARS.len() + 3,
        1..=versions,
        prop::bool::weighted(0.3),
        prop::option::weighted(0.25, 1..=versions),
        prop::option::weighted(0.2, prop::sample::select(vec![1u64, 2, 4, 8, 16])),
        prop::option::weighted(0.4, 0usize..8),
        0usize..4,
        prop::option::weighted(0.35, (0..BIT_TYPES.len(), 0u32..64)),
        prop::bool::weighted(0.2),
    )
        .prop_map(
            |(ty, since, reserved, was_reserved, align, feature, writer, bits, unnamed)| GenField {
                ty,
                since,
                reserved,
                was_reserved: was_reserved.filter(|&w| w < since),
                align,
                feature,
                writer,
                bits,
                unnamed: unnamed && bits.is_some(),
            },
        )
}

fn gen() -> impl Strategy<Value = Gen> {
    (2u32..=10).prop_flat_map(|versions| {
        let feature = (0u32..130, 1..=versions, prop::bool::weighted(0.15));
        let st = (
            prop::bool::weighted(0.15),
            prop::bool::weighted(0.1),
            prop::bool::weighted(0.25),
            prop::option::weighted(0.2, prop::sample::select(vec![4u64, 8, 16])),
            0usize..3,
            prop::collection::vec(gen_field(versions), 1..9),
        )
            .prop_map(|(union, packed, copy_in, align, writer, mut fields)| {
                // Live fields in `since` order (validation asks it), the
                // reserved, unnamed and claimed ones where they fell.
                let live = |f: &GenField| !f.reserved && !f.unnamed && f.was_reserved.is_none();
                let mut sinces: Vec<u32> =
                    fields.iter().filter(|f| live(f)).map(|f| f.since).collect();
                sinces.sort_unstable();
                let mut next = sinces.into_iter();
                for f in fields.iter_mut().filter(|f| live(f)) {
                    f.since = next.next().unwrap_or(f.since);
                }
                GenStruct {
                    union,
                    packed,
                    copy_in,
                    align,
                    writer,
                    fields,
                }
            });
        (
            Just(versions),
            prop::collection::vec(feature, 0..4),
            prop::collection::vec(st, 1..4),
        )
            .prop_map(|(versions, features, structs)| Gen {
                versions,
                features,
                structs,
            })
    })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 3000,
        max_global_rejects: 1_000_000,
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_histories(g in gen()) {
        let text = g.toml();
        let spec = abi_spec::parse("g.toml", &text);
        prop_assume!(spec.is_ok());
        let spec = spec.expect("checked");
        if let Err(e) = agree(&spec, &text) {
            prop_assert!(false, "{}\n{}", e, text);
        }
        if std::env::var_os("HISTORY_RULES").is_some() {
            // The tail padding a copy-in struct's older kernel ignores is a
            // case of its own.
            let mut rules: Vec<&str> = history_every_pair(&spec, true)
                .iter()
                .map(|f| {
                    if f.message.contains("copies the struct in") {
                        "RESERVED_CLAIMED_UNSAFELY(copy-in padding)"
                    } else {
                        f.rule.id()
                    }
                })
                .collect();
            rules.sort_unstable();
            rules.dedup();
            eprintln!("RULES {}", rules.join(" "));
        }
    }
}
