//! The oracle itself works: a probe compiled for x86_64 reads back.

use abi_spec::Target;
use abi_tests::oracle;

#[test]
fn probe_reads_back_on_every_target() {
    let source = format!(
        "#include <stddef.h>\nstruct s {{ unsigned int a; unsigned long long b; }};\n{}",
        oracle::probe_array(&[
            "sizeof(struct s)".into(),
            "_Alignof(struct s)".into(),
            "offsetof(struct s, b)".into()
        ])
    );
    for target in Target::ALL {
        if oracle::compiler(target).is_none() {
            abi_tests::missing_tool(&format!("the C compiler for {target}"));
            continue;
        }
        let values = oracle::run_probe(target, &source, &["-ffreestanding"]).unwrap();
        let expected = match target {
            Target::I386 | Target::Sh4 => vec![12, 4, 4],
            Target::M68k => vec![12, 2, 4],
            _ => vec![16, 8, 8],
        };
        assert_eq!(values, expected, "{target}");
    }
}
