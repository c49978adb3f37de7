//! The oracle itself works: a probe compiled for each target reads back.
//! One test per compiler, so a missing one is ignored visibly (see
//! abi-test-tools), never passed over in silence.

use abi_spec::Target;
use abi_tests::oracle;

fn probe_reads_back(targets: &[Target]) {
    let source = format!(
        "#include <stddef.h>\nstruct s {{ unsigned int a; unsigned long long b; }};\n{}",
        oracle::probe_array(&[
            "sizeof(struct s)".into(),
            "_Alignof(struct s)".into(),
            "offsetof(struct s, b)".into()
        ])
    );
    for &target in targets {
        let values = oracle::run_probe(target, &source, &["-ffreestanding"]).unwrap();
        let expected = match target {
            Target::I386 | Target::Sh4 => vec![12, 4, 4],
            Target::M68k => vec![12, 2, 4],
            _ => vec![16, 8, 8],
        };
        assert_eq!(values, expected, "{target}");
    }
}

#[test]
#[cfg_attr(no_gcc, ignore = "needs gcc")]
fn gcc_targets() {
    probe_reads_back(&oracle::targets_of(oracle::Family::Gcc));
}

#[test]
#[cfg_attr(no_clang, ignore = "needs clang")]
fn clang_targets() {
    probe_reads_back(&oracle::targets_of(oracle::Family::Clang));
}

#[test]
#[cfg_attr(no_clang19, ignore = "needs clang-19")]
fn loongarch64() {
    probe_reads_back(&oracle::targets_of(oracle::Family::Clang19));
}

#[test]
#[cfg_attr(no_m68k_gcc, ignore = "needs m68k-linux-gnu-gcc")]
fn m68k() {
    probe_reads_back(&oracle::targets_of(oracle::Family::M68kGcc));
}

#[test]
#[cfg_attr(no_sh4_gcc, ignore = "needs sh4-linux-gnu-gcc")]
fn sh4() {
    probe_reads_back(&oracle::targets_of(oracle::Family::Sh4Gcc));
}

#[test]
fn every_target_has_one_family() {
    let mut all: Vec<Target> = oracle::Family::ALL
        .iter()
        .flat_map(|&f| oracle::targets_of(f))
        .collect();
    all.sort();
    assert_eq!(all, Target::ALL);
}
