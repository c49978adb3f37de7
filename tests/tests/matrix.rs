//! The simulated matrix (`abi_spec::runtime::simulate`) against the static
//! diff, on random specs from `abi_tests::spec_gen`:
//!
//! * for every breaking mutation the diff reports, the matrix between the
//!   old spec (the C library's) and the new one (the kernel's) fails in
//!   exactly the cells the mutation predicts, on every target, for both
//!   protocols (registration when the struct is written by both sides,
//!   copy-in when only user space writes it); where the mutation is no
//!   data mismatch for that protocol (a signedness flip; a feature bit no
//!   field depends on; alignment, for copy-in, which copies bytes), the
//!   matrix passes and the diff alone flags it;
//! * a rename (FIELD_RENAMED, source-breaking only) never fails a cell;
//! * random pairs of versions of random histories that the contract's
//!   history rules accept never fail, whichever side is newer, whether the
//!   C library announces its feature size or its `sizeof`.

use std::collections::BTreeSet;

use abi_spec::runtime::simulate::{matrix, LibcAnnounces, Matrix};
use abi_spec::{compat, Spec, Target};
use abi_tests::spec_gen::{breaking, field, model, mutate, Breaking, FeatureM, FieldM, Model};
use proptest::prelude::*;
use proptest::sample::Index;

/// (target, kernel version) of every failing cell (the C library has one version).
fn failing(m: &Matrix) -> BTreeSet<(Target, u32)> {
    m.cells()
        .filter(|(_, _, c)| !c.pass())
        .map(|(_, target, c)| (target, c.kernel))
        .collect()
}

fn with_writer(model: &Model, copy_in: bool) -> Model {
    Model {
        writer: copy_in.then_some("user"),
        ..model.clone()
    }
}

/// The kernel versions whose cells the mutation must fail, for the protocol.
fn predicted(base: &Model, m: Breaking, copy_in: bool) -> Vec<u32> {
    let gated_by_first_feature = base.features.first().is_some_and(|f| {
        base.fields
            .iter()
            .any(|x| !x.reserved && x.feature.as_deref() == Some(f.name.as_str()))
    });
    match m {
        // The bytes of a field move, change size or disappear: a data
        // mismatch under either protocol.
        Breaking::Remove | Breaking::Reorder | Breaking::Resize | Breaking::Move => vec![1],
        // Same bytes, other meaning: no byte-level simulation sees it.
        Breaking::Retype => vec![],
        // Dropping the last field: a registered length no longer matches;
        // a copied-in caller's dropped field is unknown to the kernel,
        // unless it was reserved (zero, and zero beyond the kernel is fine).
        Breaking::Shrink => {
            let popped_reserved = base.fields.last().is_some_and(|f| f.reserved);
            if copy_in && popped_reserved {
                vec![]
            } else {
                vec![1]
            }
        }
        // The kernel requires more alignment than the C library's area
        // has; copy_struct_from_user copies bytes and does not care.
        Breaking::Realign => {
            if copy_in {
                vec![]
            } else {
                vec![1]
            }
        }
        // Bits are negotiated only at registration, and only matter when a
        // field depends on them: both sides know the feature (by name) but
        // the bits they exchange disagree, so a field both expect on stays
        // off (a moved bit), or one is on for a feature the other never
        // had (a reused bit).
        Breaking::RenumberBit if !copy_in && gated_by_first_feature => vec![1],
        Breaking::ReuseBit if !copy_in && gated_by_first_feature => vec![2],
        Breaking::RenumberBit | Breaking::ReuseBit => vec![],
        // The kernel's version 1 lacks the last field the C library's
        // version 1 has: a registered length no longer matches; a copied-in
        // caller's field is unknown, unless it was reserved.
        Breaking::RewriteSince => {
            let last_reserved = base.fields.last().is_some_and(|f| f.reserved);
            // A struct of that one field has no version 1 on the kernel's
            // side: no cell there, and version 2 agrees.
            if base.fields.len() == 1 || (copy_in && last_reserved) {
                vec![]
            } else {
                vec![1]
            }
        }
        // Bytes that were not reserved are claimed, and the claim's
        // placeholder rewrites version 1 itself: what follows moves, or the
        // first version's size grows past what an old caller passes (EINVAL
        // for copy-in, a refused length for registration), at every version.
        Breaking::ClaimUnreserved => vec![1, 2],
    }
}

fn run(kernel: &Spec, libc: &Spec, announces: LibcAnnounces) -> Matrix {
    matrix(kernel, libc, announces).unwrap_or_else(|e| panic!("matrix: {e}"))
}

/// A history grown from a base model: each step claims a reserved u32 as
/// a feature-gated i32, or appends feature-gated byte arrays (which never
/// raise the struct's alignment), one new feature per step.
#[derive(Clone, Debug)]
struct History {
    newest: Model,
}

impl History {
    /// The spec as it stood at `version`: later features and fields gone,
    /// later claims still their reserved bytes.
    fn at(&self, version: u32) -> Model {
        let mut m = self.newest.clone();
        m.version = version;
        m.features.retain(|f| f.since <= version);
        m.fields = m
            .fields
            .iter()
            .filter_map(|f| {
                if f.since <= version {
                    Some(f.clone())
                } else if f.was_reserved.is_some() {
                    Some(FieldM {
                        reserved: true,
                        ..field(format!("__reserved_{}", f.name), "u32")
                    })
                } else {
                    None
                }
            })
            .collect();
        m
    }
}

fn history() -> impl Strategy<Value = History> {
    let step = (any::<bool>(), any::<Index>(), 1usize..3, any::<Index>());
    (model(), prop::collection::vec(step, 1..4), any::<bool>()).prop_map(
        |(base, steps, copy_in)| {
            let mut m = with_writer(&base, copy_in);
            for (claim, at, appended, ty) in steps {
                let version = m.version + 1;
                m.version = version;
                let name = format!("step{version}");
                m.features.push(FeatureM {
                    name: name.clone(),
                    bit: m.unused_bit(),
                    since: version,
                    retired: false,
                });
                let reserved: Vec<usize> = (0..m.fields.len())
                    .filter(|&i| m.fields[i].reserved && m.fields[i].ty == "u32")
                    .collect();
                if claim && !reserved.is_empty() {
                    let i = reserved[at.index(reserved.len())];
                    m.fields[i] = FieldM {
                        since: version,
                        was_reserved: Some(1),
                        feature: Some(name.clone()),
                        ..field(format!("claim{version}_{i}"), "i32")
                    };
                } else {
                    for k in 0..appended {
                        let ty = ["[u8; 4]", "[u8; 8]", "[i8; 12]"][ty.index(3)];
                        m.fields.push(FieldM {
                            since: version,
                            feature: Some(name.clone()),
                            ..field(format!("added{version}_{k}"), ty)
                        });
                    }
                }
            }
            History { newest: m }
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn breaking_mutations_fail_the_matrix_where_predicted(
        base in model(), m in breaking(), at in any::<Index>(), copy_in in any::<bool>()
    ) {
        let base = with_writer(&base, copy_in);
        let Some((new, rule)) = mutate(&base, m, at) else { return Ok(()) };
        let (old_spec, new_spec) = (base.spec("old.toml"), new.spec("new.toml"));
        let findings = compat::diff(&old_spec, &new_spec);
        prop_assert!(
            findings.iter().any(|f| f.rule == rule && f.is_breaking()),
            "{m:?}: the diff must flag {rule:?}"
        );
        let report = run(&new_spec, &old_spec, LibcAnnounces::FeatureSize);
        let expected: BTreeSet<(Target, u32)> = predicted(&base, m, copy_in)
            .into_iter()
            .flat_map(|k| old_spec.abi.targets.iter().map(move |&t| (t, k)))
            .collect();
        let actual = failing(&report);
        let problems: Vec<&String> = report.cells().flat_map(|(_, _, c)| &c.problems).take(6).collect();
        prop_assert_eq!(
            &actual, &expected,
            "{:?} (copy-in: {}): failing cells differ from the prediction\nOLD:\n{}\nNEW:\n{}\n{:#?}",
            m, copy_in, base.toml(), new.toml(), problems
        );
    }

    #[test]
    fn renames_never_fail_a_cell(base in model(), at in any::<Index>(), copy_in in any::<bool>()) {
        let base = with_writer(&base, copy_in);
        let live = base.live();
        let i = live[at.index(live.len())];
        let mut new = base.clone();
        new.fields[i].name = format!("renamed{i}");
        let (old_spec, new_spec) = (base.spec("old.toml"), new.spec("new.toml"));
        let findings = compat::diff(&old_spec, &new_spec);
        prop_assert!(findings.iter().any(|f| f.rule == abi_spec::Rule::FIELD_RENAMED));
        prop_assert!(findings.iter().all(|f| !f.is_breaking()), "{findings:#?}");
        let report = run(&new_spec, &old_spec, LibcAnnounces::FeatureSize);
        prop_assert!(report.pass(), "{:#?}", report.cells().flat_map(|(_, _, c)| &c.problems).take(4).collect::<Vec<_>>());
    }

    #[test]
    fn random_pairs_of_versions_never_fail(h in history(), a in any::<Index>(), b in any::<Index>()) {
        let versions = h.newest.version;
        let (a, b) = (1 + a.index(versions as usize) as u32, 1 + b.index(versions as usize) as u32);
        let (older, newer) = (h.at(a.min(b)), h.at(a.max(b)));
        let (older_spec, newer_spec) = (older.spec("older.toml"), newer.spec("newer.toml"));
        // Appending byte arrays can make a later feature size equal an
        // earlier size (FEATURE_SIZE_AMBIGUOUS): the contract refuses such
        // a history, so it is no pair of compatible versions.
        let newest = h.newest.spec("newest.toml");
        prop_assume!(compat::history(&newest).iter().all(|f| !f.is_breaking()));
        let findings = compat::diff(&older_spec, &newer_spec);
        prop_assert!(
            findings.iter().all(|f| !f.is_breaking()),
            "the generated history must be compatible\nOLDER:\n{}\nNEWER:\n{}\n{:#?}",
            older.toml(), newer.toml(), findings
        );
        let modes = [LibcAnnounces::FeatureSize, LibcAnnounces::Size];
        for announces in modes {
            for (kernel, libc) in [(&newer_spec, &older_spec), (&older_spec, &newer_spec)] {
                let report = run(kernel, libc, announces);
                prop_assert!(report.cells().next().is_some());
                prop_assert!(
                    report.pass(),
                    "{:?}, kernel {} / libc {}\nNEWER:\n{}\n{:#?}",
                    announces, kernel.abi.version, libc.abi.version, newer.toml(),
                    report.cells().flat_map(|(_, _, c)| &c.problems).take(4).collect::<Vec<_>>()
                );
            }
        }
    }
}
