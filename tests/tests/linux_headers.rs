//! The Linux examples against the real thing.
//!
//! `examples/linux/*.toml` describe real kernel structs with their version
//! histories. Two checks:
//!
//! * the engine reproduces every published size (CLONE_ARGS_SIZE_VER0/1/2,
//!   PERF_ATTR_SIZE_VER0..9, rseq's feature sizes 20/28/33, ...) on every
//!   target of each spec, and the spec's own size constants agree;
//! * for every struct that the installed `/usr/include/linux` headers
//!   declare, gcc and gcc -m32 compile the real header and the engine's
//!   layout of the version the header implements (the newest whose size
//!   matches and whose members the header has) must equal it: `sizeof`,
//!   `_Alignof` and every member's `offsetof`. The size constants the header
//!   defines are read back by the same probe and compared too.

use std::path::Path;

use abi_spec::codegen::cnames::CNames;
use abi_spec::layout::layout;
use abi_spec::{Spec, Target};
use abi_tests::compare::{self, Outcome, ProbeStruct};
use abi_tests::oracle;

/// One real struct: where the spec and the header are, and the numbers
/// the kernel published for it, indexed by version from the spec's first.
struct LinuxStruct {
    /// The spec file under `examples/linux`.
    file: &'static str,
    /// The struct, named as in C.
    name: &'static str,
    /// The uapi header that declares it, under `/usr/include`.
    header: &'static str,
    /// The prefix of its size constants, `PREFIX` + version number.
    size_macro: Option<&'static str>,
    /// `sizeof` of each version, first to newest, as published.
    sizes: &'static [u64],
    /// The feature size of each version where the kernel publishes it
    /// (rseq's AT_RSEQ_FEATURE_SIZE).
    feature_sizes: Option<&'static [u64]>,
    /// Spec fields that are no C member of that name.
    skip: &'static [&'static str],
}

const STRUCTS: &[LinuxStruct] = &[
    LinuxStruct {
        file: "clone_args.toml",
        name: "clone_args",
        header: "linux/sched.h",
        size_macro: Some("CLONE_ARGS_SIZE_VER"),
        sizes: &[64, 80, 88],
        feature_sizes: None,
        skip: &[],
    },
    LinuxStruct {
        file: "open_how.toml",
        name: "open_how",
        header: "linux/openat2.h",
        // OPEN_HOW_SIZE_VER0 lives in the kernel's include/linux/fcntl.h,
        // not in uapi: the number is written here.
        size_macro: Some("OPEN_HOW_SIZE_VER"),
        sizes: &[24],
        feature_sizes: None,
        skip: &[],
    },
    LinuxStruct {
        file: "sched_attr.toml",
        name: "sched_attr",
        header: "linux/sched/types.h",
        size_macro: Some("SCHED_ATTR_SIZE_VER"),
        sizes: &[48, 56],
        feature_sizes: None,
        skip: &[],
    },
    LinuxStruct {
        file: "mount_attr.toml",
        name: "mount_attr",
        header: "linux/mount.h",
        size_macro: Some("MOUNT_ATTR_SIZE_VER"),
        sizes: &[32],
        feature_sizes: None,
        skip: &[],
    },
    LinuxStruct {
        file: "rseq.toml",
        name: "rseq",
        header: "linux/rseq.h",
        size_macro: None,
        sizes: &[32, 32, 64],
        feature_sizes: Some(&[20, 28, 33]),
        skip: &[],
    },
    LinuxStruct {
        file: "rseq.toml",
        name: "rseq_cs",
        header: "linux/rseq.h",
        size_macro: None,
        sizes: &[32, 32, 32],
        feature_sizes: None,
        skip: &[],
    },
    LinuxStruct {
        file: "perf_event_attr.toml",
        name: "perf_event_attr",
        header: "linux/perf_event.h",
        size_macro: Some("PERF_ATTR_SIZE_VER"),
        // One version per kernel release that changed it (27), the sizes
        // PERF_ATTR_SIZE_VER0..9 = 64 .. 144 numbered by `size_macro`.
        sizes: &[
            64, 72, 72, 72, 72, 72, 72, 80, 96, 96, 104, 112, 112, 112, 112, 112, 112, 112, 112,
            120, 120, 120, 120, 128, 136, 136, 144,
        ],
        feature_sizes: None,
        skip: &[],
    },
    LinuxStruct {
        file: "landlock_ruleset_attr.toml",
        name: "landlock_ruleset_attr",
        header: "linux/landlock.h",
        size_macro: None,
        // Landlock ABI versions 1 to 6.
        sizes: &[8, 8, 8, 16, 16, 24],
        feature_sizes: None,
        skip: &[],
    },
    LinuxStruct {
        file: "landlock_ruleset_attr.toml",
        name: "landlock_path_beneath_attr",
        header: "linux/landlock.h",
        size_macro: None,
        // Packed: 12 bytes everywhere, at every Landlock ABI version.
        sizes: &[12, 12, 12, 12, 12, 12],
        feature_sizes: None,
        skip: &[],
    },
    LinuxStruct {
        file: "mnt_id_req.toml",
        name: "mnt_id_req",
        header: "linux/mount.h",
        size_macro: Some("MNT_ID_REQ_SIZE_VER"),
        sizes: &[24, 32, 32],
        feature_sizes: None,
        skip: &[],
    },
];

/// The structs the foundation issue names: the installed headers must have
/// them all, or the header comparison would prove little.
const REQUIRED_IN_HEADERS: &[&str] =
    &["clone_args", "open_how", "sched_attr", "mount_attr", "rseq"];

/// The highest version number probed for a size constant.
const MAX_PROBED_VERSION: u32 = 15;

fn load(file: &str) -> Spec {
    let path = abi_tests::workspace_root()
        .join("examples/linux")
        .join(file);
    abi_spec::load(&path).unwrap_or_else(|e| panic!("{}: {e:?}", path.display()))
}

fn engine_size(spec: &Spec, name: &str, target: Target, version: u32) -> Option<(u64, u64)> {
    let index = spec.struct_index(name)?;
    let lay = layout(spec, index, target, version).ok()??;
    Some((lay.size, lay.feature_size))
}

/// The first version whose size the spec's size macro number `n` names,
/// for a struct with a `size_macro`.
fn size_macro_version(spec: &Spec, name: &str, target: Target, n: u32) -> Option<u32> {
    let index = spec.struct_index(name)?;
    spec.structs[index].size_macro.as_ref()?;
    abi_spec::codegen::cnames::CNames::new(spec)
        .size_macros(index, target)
        .get(n as usize)
        .map(|m| m.version)
}

#[test]
fn published_sizes_are_reproduced_on_every_target() {
    let mut checked = 0;
    for s in STRUCTS {
        let spec = load(s.file);
        let versions: Vec<u32> = spec.versions().collect();
        assert_eq!(
            versions.len(),
            s.sizes.len(),
            "{}: the spec has versions {versions:?}, the table {} sizes",
            s.file,
            s.sizes.len()
        );
        for &target in &spec.abi.targets {
            for (i, &version) in versions.iter().enumerate() {
                let (size, feature_size) = engine_size(&spec, s.name, target, version)
                    .unwrap_or_else(|| {
                        panic!("{}: no layout of version {version} on {target}", s.name)
                    });
                assert_eq!(
                    size, s.sizes[i],
                    "{} version {version} on {target}: sizeof",
                    s.name
                );
                if let Some(feature_sizes) = s.feature_sizes {
                    assert_eq!(
                        feature_size, feature_sizes[i],
                        "{} version {version} on {target}: feature size",
                        s.name
                    );
                }
                checked += 1;
            }
        }
        // The size macros the header generates, for a struct with
        // `size_macro`, are Linux's: one per distinct size, numbered from 0.
        let with_size_macro = spec
            .struct_index(s.name)
            .filter(|&i| spec.structs[i].size_macro.is_some());
        if let (Some(prefix), Some(index)) = (s.size_macro, with_size_macro) {
            let mut published: Vec<u64> = s.sizes.to_vec();
            published.dedup();
            let names = CNames::new(&spec);
            for &target in &spec.abi.targets {
                let generated: Vec<(String, u64)> = names
                    .size_macros(index, target)
                    .into_iter()
                    .map(|m| {
                        let (size, _) = engine_size(&spec, s.name, target, m.version)
                            .unwrap_or_else(|| panic!("{}: {} has no layout", s.name, m.name));
                        (m.name, size)
                    })
                    .collect();
                let expected: Vec<(String, u64)> = published
                    .iter()
                    .enumerate()
                    .map(|(k, &size)| (format!("{prefix}{k}"), size))
                    .collect();
                assert_eq!(generated, expected, "{} on {target}: size macros", s.name);
                checked += generated.len();
            }
        }
        // The spec's own size constants say the same.
        if let Some(prefix) = s.size_macro {
            for constant in &spec.constants {
                let Some(version) = constant
                    .name
                    .strip_prefix(prefix)
                    .and_then(|v| v.parse::<u32>().ok())
                else {
                    continue;
                };
                let (size, _) =
                    engine_size(&spec, s.name, Target::X86_64, version).unwrap_or_else(|| {
                        panic!("{}: constant {} names no version", s.file, constant.name)
                    });
                assert_eq!(
                    u64::try_from(constant.value).ok(),
                    Some(size),
                    "{}: constant {} against the engine",
                    s.file,
                    constant.name
                );
            }
        }
    }
    println!("published sizes: {checked} (struct, target, version) sizes reproduced");
}

/// Every example passes what `abi-check check` judges: the lints and every
/// version against every older one, with no finding at error level (the
/// warnings a real history carries, such as rseq's tail padding, may stay).
#[test]
fn examples_pass_the_check() {
    let mut files: Vec<&str> = STRUCTS.iter().map(|s| s.file).collect();
    files.dedup();
    for file in files {
        let spec = load(file);
        let mut findings = abi_spec::lint::lint(&spec);
        findings.extend(abi_spec::compat::history(&spec));
        abi_spec::finding::apply_waivers(&mut findings, &spec, abi_spec::model::Date::today());
        let breaking: Vec<String> = findings
            .iter()
            .filter(|f| f.is_breaking())
            .map(|f| format!("{}: {}", f.rule.id(), f.message))
            .collect();
        assert!(breaking.is_empty(), "{file}:\n{}", breaking.join("\n"));
    }
}

/// Flags for a target: -m32 finds the x86 asm headers in the 64-bit
/// multiarch directory (gcc-multilib, which would add the i386 one,
/// conflicts with the cross compilers and is not installed).
fn header_flags(target: Target) -> Vec<&'static str> {
    match target {
        Target::I386 => vec!["-I/usr/include/x86_64-linux-gnu"],
        _ => Vec::new(),
    }
}

/// True when the installed header declares the struct.
fn declared(s: &LinuxStruct) -> bool {
    let path = Path::new("/usr/include").join(s.header);
    std::fs::read_to_string(path).is_ok_and(|text| text.contains(&format!("struct {} {{", s.name)))
}

/// The macro the probe reads for a size constant: its value, or all ones
/// when the header does not define it.
fn constant_macros(prefix: &str) -> String {
    (0..=MAX_PROBED_VERSION)
        .map(|n| {
            format!(
                "#ifdef {prefix}{n}\n#define ABI_PROBE_{prefix}{n} ({prefix}{n})\n#else\n#define ABI_PROBE_{prefix}{n} (-1)\n#endif\n"
            )
        })
        .collect()
}

#[test]
#[cfg_attr(
    any(no_gcc, no_uapi_headers),
    ignore = "needs gcc and the Linux uapi headers"
)]
fn examples_match_the_installed_headers() {
    abi_tests::require("uapi_headers");
    let present: Vec<&LinuxStruct> = STRUCTS.iter().filter(|s| declared(s)).collect();
    for name in REQUIRED_IN_HEADERS {
        assert!(
            present.iter().any(|s| s.name == *name),
            "the installed headers do not declare struct {name}"
        );
    }
    let specs: Vec<Spec> = present.iter().map(|s| load(s.file)).collect();
    let mut includes: Vec<&str> = Vec::new();
    for s in &present {
        if !includes.contains(&s.header) {
            includes.push(s.header);
        }
    }
    let mut prelude: String = includes
        .iter()
        .map(|h| format!("#include <{h}>\n"))
        .collect();
    for s in &present {
        if let Some(prefix) = s.size_macro {
            if !prelude.contains(&format!("ABI_PROBE_{prefix}0")) {
                prelude += &constant_macros(prefix);
            }
        }
    }
    let mut total = Outcome::default();
    let mut constants_checked = 0;
    for target in [Target::X86_64, Target::I386] {
        let flags = header_flags(target);
        // Pass 1: the header's sizes and size constants.
        let mut exprs = Vec::new();
        for s in &present {
            exprs.push(format!("sizeof(struct {})", s.name));
            if let Some(prefix) = s.size_macro {
                exprs.extend((0..=MAX_PROBED_VERSION).map(|n| format!("ABI_PROBE_{prefix}{n}")));
            }
        }
        let source = format!(
            "#include <stddef.h>\n{prelude}\n{}",
            oracle::probe_array(&exprs)
        );
        let values = oracle::run_probe(target, &source, &flags).unwrap_or_else(|e| panic!("{e}"));
        let mut values = values.into_iter();
        for (s, spec) in present.iter().zip(&specs) {
            let header_size = values.next().unwrap_or_else(|| panic!("short probe"));
            if let Some(prefix) = s.size_macro {
                for n in 0..=MAX_PROBED_VERSION {
                    let value = values.next().unwrap_or_else(|| panic!("short probe"));
                    if value == u64::MAX {
                        continue;
                    }
                    // With the spec's `size_macro`, Linux numbers sizes,
                    // not versions.
                    let version = size_macro_version(spec, s.name, target, n).unwrap_or(n);
                    let (size, _) =
                        engine_size(spec, s.name, target, version).unwrap_or_else(|| {
                            panic!(
                            "{}: the header defines {prefix}{n}, the spec has no version {version}",
                            s.name
                        )
                        });
                    assert_eq!(
                        size, value,
                        "{prefix}{n} on {target}: engine against header"
                    );
                    constants_checked += 1;
                }
            }
            // Pass 2: the version the header implements, newest first among
            // those of its size; an older one when the header lacks a member
            // of the newer (rseq 6.3 kept the size of 4.18).
            let mut candidates: Vec<u32> = spec
                .versions()
                .rev()
                .filter(|&v| {
                    engine_size(spec, s.name, target, v)
                        .is_some_and(|(size, _)| size == header_size)
                })
                .collect();
            assert!(
                !candidates.is_empty(),
                "{} on {target}: the header's sizeof is {header_size}, which no version of the spec has",
                s.name
            );
            let mut last_error = String::new();
            let mut matched = None;
            for version in candidates.drain(..) {
                let item = ProbeStruct {
                    label: format!("{} ({})", s.file, s.header),
                    spec,
                    struct_name: s.name.to_string(),
                    version,
                    c_type: format!("struct {}", s.name),
                    skip_fields: s.skip.iter().map(|f| f.to_string()).collect(),
                };
                match compare::compare(target, &prelude, std::slice::from_ref(&item), &flags) {
                    Ok(outcome) => {
                        matched = Some(version);
                        total.merge(outcome);
                        break;
                    }
                    Err(e) if e.contains("no member named") => last_error = e,
                    Err(e) => panic!("{e}"),
                }
            }
            let version = matched.unwrap_or_else(|| {
                panic!(
                    "{} on {target}: no version of the spec matches the header:\n{last_error}",
                    s.name
                )
            });
            println!(
                "{} on {target}: the installed header is version {version} of {} ({header_size} bytes)",
                s.name, s.file
            );
        }
    }
    println!(
        "linux headers: {} (struct, target) comparisons, {} values, {} mismatches; {} size constants read from headers",
        total.comparisons,
        total.values,
        total.mismatches.len(),
        constants_checked
    );
    assert!(
        total.mismatches.is_empty(),
        "the engine disagrees with the installed headers:\n{}",
        total.mismatches.join("\n")
    );
}
