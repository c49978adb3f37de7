//! The oracle itself works: a probe compiled for each target reads back.
//! One test per compiler family (`probe_reads_back::gcc` ...
//! `probe_reads_back::sh4_gcc`), so a missing compiler is ignored visibly
//! (see abi-test-tools), never passed over in silence.

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

abi_tests::test_each_family!(probe_reads_back);

/// The families split the targets: none is left out, and no family's
/// tests pass on an empty list.
#[test]
fn every_target_has_one_family() {
    for family in oracle::Family::ALL {
        assert!(!oracle::targets_of(family).is_empty(), "{family:?}");
    }
    let mut all: Vec<Target> = oracle::Family::ALL
        .iter()
        .flat_map(|&f| oracle::targets_of(f))
        .collect();
    all.sort();
    assert_eq!(all, Target::ALL);
}
