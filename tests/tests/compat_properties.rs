//! Properties of the compatibility engine on generated specs: every breaking
//! mutation of a valid spec is reported with its rule, and every compatible
//! mutation gives no breaking finding.
//!
//! The generators (slot-built structs without padding, the mutations) live
//! in `abi_tests::spec_gen`, shared with tests/matrix.rs.

use abi_spec::{compat, Finding, Rule};
use abi_tests::spec_gen::{breaking, field, model, mutate, FeatureM, FieldM, Model};
use proptest::prelude::*;
use proptest::sample::Index;

fn findings(old: &Model, new: &Model) -> Vec<Finding> {
    compat::diff(&old.spec("old.toml"), &new.spec("new.toml"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn every_breaking_mutation_is_reported_with_its_rule(
        base in model(), m in breaking(), at in any::<Index>()
    ) {
        let Some((new, rule)) = mutate(&base, m, at) else { return Ok(()) };
        let f = findings(&base, &new);
        prop_assert!(
            f.iter().any(|f| f.rule == rule && f.is_breaking()),
            "{m:?} expected {rule:?}\nOLD:\n{}\nNEW:\n{}\n{f:#?}", base.toml(), new.toml()
        );
    }

    // Byte arrays: appending a wider scalar may raise the struct's
    // alignment (STRUCT_ALIGN_CHANGED) or diverge on m68k, both rightly breaking.
    #[test]
    fn appending_a_gated_field_is_compatible(base in model(), ty in prop_oneof![Just("[u8; 4]"), Just("[u8; 8]"), Just("[i8; 12]")]) {
        let mut new = base.clone();
        new.version = 2;
        let bit = base.unused_bit();
        new.features.push(FeatureM { name: "appended".into(), bit, since: 2, retired: false });
        let mut f = FieldM { since: 2, feature: Some("appended".into()), ..field("appended_field".into(), ty) };
        if ty == "u64" { f.align = Some(8); }
        new.fields.push(f);
        let f = findings(&base, &new);
        prop_assert!(f.iter().all(|f| !f.is_breaking()), "{}\n{f:#?}", new.toml());
        prop_assert!(f.iter().any(|f| f.rule == Rule::FIELD_ADDED));
        let h = compat::history(&new.spec("new.toml"));
        prop_assert!(h.iter().all(|f| !f.is_breaking()), "{h:#?}");
    }

    #[test]
    fn adding_a_feature_is_compatible(base in model()) {
        let mut new = base.clone();
        new.version = 2;
        new.features.push(FeatureM { name: "added".into(), bit: base.unused_bit(), since: 2, retired: false });
        let f = findings(&base, &new);
        prop_assert!(f.iter().all(|f| !f.is_breaking()), "{f:#?}");
        prop_assert!(f.iter().any(|f| f.rule == Rule::FEATURE_ADDED));
    }

    #[test]
    fn claiming_reserved_bytes_is_compatible(base in model(), split in any::<bool>(), at in any::<Index>()) {
        let reserved: Vec<usize> = (0..base.fields.len()).filter(|&i| base.fields[i].reserved).collect();
        if reserved.is_empty() { return Ok(()) }
        let i = reserved[at.index(reserved.len())];
        let mut new = base.clone();
        new.version = 2;
        new.features.push(FeatureM { name: "claimed".into(), bit: base.unused_bit(), since: 2, retired: false });
        let claim = |ty: &str| FieldM {
            since: 2, was_reserved: Some(1), feature: Some("claimed".into()), ..field(format!("claim{i}"), ty)
        };
        if split {
            // As perf_event_attr 4.8: a reserved u32 becomes a u16 and a reserved u16.
            new.fields[i] = claim("u16");
            new.fields.insert(i + 1, FieldM { reserved: true, ..field(format!("__rest{i}"), "u16") });
        } else {
            new.fields[i] = claim("i32");
        }
        let f = findings(&base, &new);
        prop_assert!(f.iter().all(|f| !f.is_breaking()), "OLD:\n{}\nNEW:\n{}\n{f:#?}", base.toml(), new.toml());
        prop_assert!(f.iter().any(|f| f.rule == Rule::RESERVED_CLAIMED), "{f:#?}");
    }
}
