//! Random structs against gcc and gcc -m32.
//!
//! Each proptest case is a small spec of random structs and unions: scalar,
//! array and nested-struct fields, member and struct alignments, packed or
//! not, a flexible array now and then. The same random model is written
//! once as spec TOML and once as C, and the engine's layout of every struct
//! is compared with gcc's (x86_64) and gcc -m32's (i386), where 8-byte
//! scalars are only 4-aligned. All structs of a case share one probe per
//! compiler, so the test costs two compiler runs per case.

use abi_spec::{Scalar, Target};
use abi_tests::compare::{self, ProbeStruct};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

/// A field type of the random model.
#[derive(Clone, Debug)]
enum RandomType {
    Scalar(Scalar),
    /// `[T; N]`.
    Array(Box<RandomType>, u64),
    /// An earlier struct of the same case: index `k % i` for struct `i`
    /// (a plain u32 for the first struct, or when that struct ends with a
    /// flexible array, which C forbids inside another object).
    Struct(usize),
}

#[derive(Clone, Debug)]
struct RandomField {
    ty: RandomType,
    align: Option<u64>,
}

#[derive(Clone, Debug)]
struct RandomStruct {
    union: bool,
    packed: bool,
    align: Option<u64>,
    fields: Vec<RandomField>,
    /// A flexible array of this scalar at the end (structs only).
    flexible: Option<Scalar>,
}

fn scalar() -> impl Strategy<Value = Scalar> {
    proptest::sample::select(Scalar::ALL.to_vec())
}

fn power_of_two() -> impl Strategy<Value = u64> {
    (0u32..=6).prop_map(|shift| 1u64 << shift)
}

fn random_type() -> impl Strategy<Value = RandomType> {
    let leaf = prop_oneof![
        6 => scalar().prop_map(RandomType::Scalar),
        1 => (0usize..8).prop_map(RandomType::Struct),
    ];
    leaf.prop_recursive(2, 4, 1, |inner| {
        (inner, 1u64..=4).prop_map(|(element, len)| RandomType::Array(Box::new(element), len))
    })
}

fn random_struct() -> impl Strategy<Value = RandomStruct> {
    (
        proptest::bool::weighted(0.2),
        proptest::bool::weighted(0.25),
        proptest::option::weighted(0.2, power_of_two()),
        proptest::collection::vec(
            (
                random_type(),
                proptest::option::weighted(0.15, power_of_two()),
            )
                .prop_map(|(ty, align)| RandomField { ty, align }),
            1..=7,
        ),
        proptest::option::weighted(0.15, scalar()),
    )
        .prop_map(|(union, packed, align, fields, flexible)| RandomStruct {
            union,
            packed,
            align,
            fields,
            flexible: if union { None } else { flexible },
        })
}

fn struct_name(i: usize) -> String {
    format!("r{i}")
}

fn c_scalar(s: Scalar) -> &'static str {
    match s {
        Scalar::U8 => "unsigned char",
        Scalar::U16 => "unsigned short",
        Scalar::U32 => "unsigned int",
        Scalar::U64 => "unsigned long long",
        Scalar::I8 => "signed char",
        Scalar::I16 => "short",
        Scalar::I32 => "int",
        Scalar::I64 => "long long",
        Scalar::F32 => "float",
        Scalar::F64 => "double",
        Scalar::Ptr => "void *",
        Scalar::Long => "long",
        Scalar::ULong => "unsigned long",
        Scalar::Char => "char",
    }
}

/// The struct a `Struct(k)` field of struct `owner` refers to, if any.
fn referenced(structs: &[RandomStruct], owner: usize, k: usize) -> Option<usize> {
    if owner == 0 {
        return None;
    }
    let target = k % owner;
    structs[target].flexible.is_none().then_some(target)
}

/// The spec spelling and the C (element type, array suffix) of a type.
fn render_type(
    structs: &[RandomStruct],
    owner: usize,
    ty: &RandomType,
) -> (String, String, String) {
    match ty {
        RandomType::Scalar(s) => (s.name().into(), c_scalar(*s).into(), String::new()),
        RandomType::Struct(k) => match referenced(structs, owner, *k) {
            Some(j) => {
                let keyword = if structs[j].union { "union" } else { "struct" };
                (
                    struct_name(j),
                    format!("{keyword} {}", struct_name(j)),
                    String::new(),
                )
            }
            None => ("u32".into(), "unsigned int".into(), String::new()),
        },
        RandomType::Array(element, len) => {
            let (spec, c, suffix) = render_type(structs, owner, element);
            (format!("[{spec}; {len}]"), c, format!("[{len}]{suffix}"))
        }
    }
}

/// The case as a spec file and as C declarations, written side by side.
fn render(structs: &[RandomStruct]) -> (String, String) {
    let mut toml = String::from("[abi]\nname = \"random\"\nversion = 1\n");
    let mut c = String::new();
    for (i, s) in structs.iter().enumerate() {
        let name = struct_name(i);
        let keyword = if s.union { "union" } else { "struct" };
        toml += &format!("\n[[struct]]\nname = \"{name}\"\nkind = \"{keyword}\"\n");
        let mut attributes = Vec::new();
        if s.packed {
            toml += "packed = true\n";
            attributes.push("packed".to_string());
        }
        if let Some(align) = s.align {
            toml += &format!("align = {align}\n");
            attributes.push(format!("aligned({align})"));
        }
        c += keyword;
        if !attributes.is_empty() {
            c += &format!(" __attribute__(({}))", attributes.join(", "));
        }
        c += &format!(" {name} {{\n");
        for (f, field) in s.fields.iter().enumerate() {
            let (spec_ty, c_ty, suffix) = render_type(structs, i, &field.ty);
            toml += &format!("\n[[struct.field]]\nname = \"f{f}\"\ntype = \"{spec_ty}\"\n");
            c += &format!("  {c_ty} f{f}{suffix}");
            if let Some(align) = field.align {
                toml += &format!("align = {align}\n");
                c += &format!(" __attribute__((aligned({align})))");
            }
            c += ";\n";
        }
        if let Some(element) = s.flexible {
            toml += &format!(
                "\n[[struct.field]]\nname = \"tail\"\ntype = \"[{}]\"\n",
                element.name()
            );
            c += &format!("  {} tail[];\n", c_scalar(element));
        }
        c += "};\n";
    }
    (toml, c)
}

fn check_case(structs: &[RandomStruct]) -> Result<usize, TestCaseError> {
    let (toml, c) = render(structs);
    let spec = abi_spec::parse("random.toml", &toml).map_err(|e| {
        TestCaseError::fail(format!("the random spec does not parse: {e:?}\n{toml}"))
    })?;
    let mut comparisons = 0;
    for target in [Target::X86_64, Target::I386] {
        let items: Vec<ProbeStruct<'_>> = spec
            .structs
            .iter()
            .map(|def| ProbeStruct {
                label: "random".into(),
                spec: &spec,
                struct_name: def.name.clone(),
                version: spec.abi.version,
                c_type: format!("{} {}", def.kind.keyword(), def.name),
                skip_fields: Vec::new(),
            })
            .collect();
        let outcome = compare::compare(target, &c, &items, &[]).map_err(TestCaseError::fail)?;
        if !outcome.mismatches.is_empty() {
            return Err(TestCaseError::fail(format!(
                "{}\n--- spec ---\n{toml}\n--- C ---\n{c}",
                outcome.mismatches.join("\n")
            )));
        }
        comparisons += outcome.comparisons;
    }
    Ok(comparisons)
}

#[test]
#[cfg_attr(no_gcc, ignore = "needs gcc")]
fn random_structs_match_gcc_and_gcc_m32() {
    // Sixteen cases of four to eight structs: about a hundred random structs,
    // two compiler runs per case. No regression file is written into the
    // tree; a failure prints the shrunk case, spec and C.
    let config = Config {
        cases: 16,
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let comparisons = std::cell::Cell::new(0usize);
    let result = runner.run(
        &proptest::collection::vec(random_struct(), 4..=8),
        |structs| {
            comparisons.set(comparisons.get() + check_case(&structs)?);
            Ok(())
        },
    );
    println!(
        "random structs: {} (struct, target) comparisons against gcc and gcc -m32",
        comparisons.get()
    );
    if let Err(e) = result {
        panic!("{e}");
    }
}
