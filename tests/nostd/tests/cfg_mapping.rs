//! The `#[cfg]` of each built-in target, against what rustc says of every
//! Linux and bare-metal (`*-none*`, what kernels build for) target it
//! knows: `rustc --print cfg --target T` works without T's standard
//! library installed.

use std::collections::BTreeSet;
use std::process::Command;

use abi_spec::codegen::rust::target_cfg;
use abi_spec::target::Endian;
use abi_spec::Target;

/// The rustc triple that stands for each built-in target.
fn canonical(target: Target) -> Option<&'static str> {
    Some(match target {
        Target::X86_64 => "x86_64-unknown-linux-gnu",
        Target::Aarch64 => "aarch64-unknown-linux-gnu",
        Target::Riscv64 => "riscv64gc-unknown-linux-gnu",
        Target::Powerpc64 => "powerpc64-unknown-linux-gnu",
        Target::Powerpc64le => "powerpc64le-unknown-linux-gnu",
        Target::Mips64 => "mips64-unknown-linux-gnuabi64",
        Target::Sparc64 => "sparc64-unknown-linux-gnu",
        Target::Loongarch64 => "loongarch64-unknown-linux-gnu",
        Target::S390x => "s390x-unknown-linux-gnu",
        Target::I386 => "i686-unknown-linux-gnu",
        Target::X32 => "x86_64-unknown-linux-gnux32",
        Target::Arm => "arm-unknown-linux-gnueabi",
        Target::Armeb => "armeb-unknown-linux-gnueabi",
        Target::Riscv32 => "riscv32gc-unknown-linux-gnu",
        Target::Powerpc => "powerpc-unknown-linux-gnu",
        Target::Mips => "mips-unknown-linux-gnu",
        Target::Mipsel => "mipsel-unknown-linux-gnu",
        Target::Sparc => "sparc-unknown-linux-gnu",
        Target::M68k => "m68k-unknown-linux-gnu",
        Target::Sh4 => return None,
    })
}

fn rustc() -> String {
    std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into())
}

/// `key="value"` lines (and bare names) of `rustc --print cfg`.
fn cfg_of(triple: &str) -> BTreeSet<(String, String)> {
    let out = Command::new(rustc())
        .args(["--print", "cfg", "--target", triple])
        .output()
        .expect("rustc runs");
    assert!(
        out.status.success(),
        "rustc --print cfg --target {triple}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|line| match line.split_once('=') {
            Some((k, v)) => (k.to_string(), v.trim_matches('"').to_string()),
            None => (line.to_string(), String::new()),
        })
        .collect()
}

fn matching(cfg: &BTreeSet<(String, String)>) -> Vec<Target> {
    Target::ALL
        .into_iter()
        .filter(|&t| {
            target_cfg(t).is_some_and(|pairs| {
                pairs
                    .iter()
                    .all(|(k, v)| cfg.contains(&(k.to_string(), v.to_string())))
            })
        })
        .collect()
}

fn value<'a>(cfg: &'a BTreeSet<(String, String)>, key: &str) -> &'a str {
    cfg.iter()
        .find(|(k, _)| k == key)
        .map_or("", |(_, v)| v.as_str())
}

#[test]
fn each_built_in_target_matches_its_rustc_triple_alone() {
    for target in Target::ALL {
        let Some(triple) = canonical(target) else {
            assert!(target_cfg(target).is_none(), "{target} has no Rust triple");
            continue;
        };
        let cfg = cfg_of(triple);
        assert_eq!(matching(&cfg), vec![target], "{triple}");
    }
}

#[test]
fn no_rustc_target_matches_a_built_in_target_it_does_not_lay_out_like() {
    let list = Command::new(rustc())
        .args(["--print", "target-list"])
        .output()
        .expect("rustc runs");
    let triples: Vec<String> = String::from_utf8_lossy(&list.stdout)
        .lines()
        .filter(|t| t.contains("linux") || t.contains("-none"))
        .map(str::to_string)
        .collect();
    assert!(triples.len() > 50, "rustc lists {} targets", triples.len());
    let chunks: Vec<Vec<String>> = triples
        .chunks(triples.len() / 4 + 1)
        .map(<[String]>::to_vec)
        .collect();
    let handles: Vec<_> = chunks
        .into_iter()
        .map(|chunk| {
            std::thread::spawn(move || {
                chunk
                    .into_iter()
                    .map(|t| {
                        let cfg = cfg_of(&t);
                        (t, cfg)
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut checked = 0;
    for handle in handles {
        for (triple, cfg) in handle.join().expect("thread") {
            let found = matching(&cfg);
            assert!(found.len() <= 1, "{triple} matches {found:?}");
            let Some(&target) = found.first() else {
                continue;
            };
            checked += 1;
            // Pointer width and byte order must be the built-in target's:
            // the assertions of that target are then the right ones.
            assert_eq!(
                value(&cfg, "target_pointer_width"),
                (target.pointer_size() * 8).to_string(),
                "{triple} as {target}"
            );
            let endian = match target.endian() {
                Endian::Little => "little",
                Endian::Big => "big",
            };
            assert_eq!(value(&cfg, "target_endian"), endian, "{triple} as {target}");
        }
    }
    assert!(checked >= 19, "only {checked} rustc targets matched");
}
