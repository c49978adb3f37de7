//! Properties of the compatibility engine on generated specs: every breaking
//! mutation of a valid spec is reported with its rule, and every compatible
//! mutation gives no breaking finding.
//!
//! Generated structs are built from 8-byte slots (a pinned u64, two 4-byte
//! fields, four 2-byte fields, a byte array, or reserved bytes), so they have
//! no padding on any of the 20 targets: what the engine reports comes from
//! the mutation, not from the base.

use abi_spec::{compat, parse, Finding, Rule, Spec};
use proptest::prelude::*;
use proptest::sample::Index;

#[derive(Clone, Debug)]
struct FeatureM {
    name: String,
    bit: u32,
    since: u32,
    retired: bool,
}

#[derive(Clone, Debug)]
struct FieldM {
    name: String,
    ty: String,
    since: u32,
    feature: Option<String>,
    reserved: bool,
    was_reserved: bool,
    align: Option<u64>,
}

#[derive(Clone, Debug)]
struct Model {
    version: u32,
    features: Vec<FeatureM>,
    fields: Vec<FieldM>,
    align: Option<u64>,
}

impl Model {
    fn toml(&self) -> String {
        let mut s = format!("[abi]\nname = \"gen\"\nversion = {}\n", self.version);
        for f in &self.features {
            s += &format!(
                "[[feature]]\nname = \"{}\"\nbit = {}\nsince = {}\nretired = {}\n",
                f.name, f.bit, f.since, f.retired
            );
        }
        s += "[[struct]]\nname = \"s\"\n";
        if let Some(a) = self.align {
            s += &format!("align = {a}\n");
        }
        for f in &self.fields {
            s += &format!(
                "[[struct.field]]\nname = \"{}\"\ntype = \"{}\"\nsince = {}\n",
                f.name, f.ty, f.since
            );
            if let Some(feature) = &f.feature {
                s += &format!("feature = \"{feature}\"\n");
            }
            if f.reserved {
                s += "reserved = true\n";
            }
            if f.was_reserved {
                s += "was_reserved = true\n";
            }
            if let Some(a) = f.align {
                s += &format!("align = {a}\n");
            }
        }
        s
    }

    fn spec(&self, name: &str) -> Spec {
        parse(name, &self.toml()).unwrap_or_else(|e| panic!("{}\n{}", e.render(false), self.toml()))
    }

    fn live(&self) -> Vec<usize> {
        (0..self.fields.len())
            .filter(|&i| !self.fields[i].reserved)
            .collect()
    }

    fn unused_bit(&self) -> u32 {
        (0..62)
            .find(|b| self.features.iter().all(|f| f.bit != *b))
            .unwrap_or(62)
    }
}

fn field(name: String, ty: &str) -> FieldM {
    FieldM {
        name,
        ty: ty.to_string(),
        since: 1,
        feature: None,
        reserved: false,
        was_reserved: false,
        align: None,
    }
}

/// One 8-byte slot: the field types that fill it.
fn slot() -> impl Strategy<Value = Vec<&'static str>> {
    prop_oneof![
        prop_oneof![Just("u64"), Just("i64")].prop_map(|t| vec![t]),
        (
            prop_oneof![Just("u32"), Just("i32"), Just("[u8; 4]")],
            prop_oneof![Just("u32"), Just("i32")]
        )
            .prop_map(|(a, b)| vec![a, b]),
        prop::collection::vec(prop_oneof![Just("u16"), Just("i16")], 4),
        Just(vec!["[u8; 8]"]),
        Just(vec!["reserved u32", "reserved u32"]),
    ]
}

fn model() -> impl Strategy<Value = Model> {
    (
        prop::collection::vec(slot(), 1..5),
        0usize..3,
        prop::collection::vec(any::<Index>(), 16),
    )
        .prop_map(|(slots, n_features, picks)| {
            let features: Vec<FeatureM> = (0..n_features)
                .map(|i| FeatureM {
                    name: format!("feat{i}"),
                    bit: i as u32,
                    since: 1,
                    retired: false,
                })
                .collect();
            let mut fields = Vec::new();
            for ty in slots.into_iter().flatten() {
                let n = fields.len();
                let mut f = match ty.strip_prefix("reserved ") {
                    Some(t) => FieldM {
                        reserved: true,
                        ..field(format!("__reserved{n}"), t)
                    },
                    None => field(format!("f{n}"), ty),
                };
                if f.ty.ends_with("64") {
                    f.align = Some(8);
                }
                if !f.reserved && !features.is_empty() {
                    let pick = picks[n % picks.len()].index(features.len() + 1);
                    f.feature = features.get(pick).map(|x| x.name.clone());
                }
                fields.push(f);
            }
            if fields.iter().all(|f| f.reserved) {
                fields.push(field("last".into(), "u32"));
            }
            Model {
                version: 1,
                features,
                fields,
                align: None,
            }
        })
}

#[derive(Clone, Copy, Debug)]
enum Breaking {
    Remove,
    Reorder,
    Retype,
    Resize,
    Move,
    ReuseBit,
    RenumberBit,
    RewriteSince,
    Shrink,
    Realign,
    ClaimUnreserved,
}

fn breaking() -> impl Strategy<Value = Breaking> {
    prop_oneof![
        Just(Breaking::Remove),
        Just(Breaking::Reorder),
        Just(Breaking::Retype),
        Just(Breaking::Resize),
        Just(Breaking::Move),
        Just(Breaking::ReuseBit),
        Just(Breaking::RenumberBit),
        Just(Breaking::RewriteSince),
        Just(Breaking::Shrink),
        Just(Breaking::Realign),
        Just(Breaking::ClaimUnreserved),
    ]
}

/// Applies a breaking mutation; returns the new model and the rule that must
/// fire, or `None` where the mutation does not apply to this model.
fn mutate(base: &Model, m: Breaking, at: Index) -> Option<(Model, Rule)> {
    let mut new = base.clone();
    let live = base.live();
    let i = live[at.index(live.len())];
    let rule = match m {
        Breaking::Remove => {
            if live.len() < 2 {
                return None;
            }
            new.fields.remove(i);
            Rule::FieldRemoved
        }
        Breaking::Reorder => {
            let j = (i + 1..new.fields.len()).next()?;
            new.fields.swap(i, j);
            Rule::FieldMoved
        }
        Breaking::Retype => {
            let flipped = match new.fields[i].ty.as_str() {
                "u64" => "i64",
                "i64" => "u64",
                "u32" => "i32",
                "i32" => "u32",
                "u16" => "i16",
                "i16" => "u16",
                "[u8; 4]" => "[i8; 4]",
                "[u8; 8]" => "[i8; 8]",
                _ => return None,
            };
            new.fields[i].ty = flipped.to_string();
            Rule::FieldRetyped
        }
        Breaking::Resize => {
            let f = &mut new.fields[i];
            f.ty = match f.ty.as_str() {
                "u16" | "i16" => "u32".to_string(),
                "u32" | "i32" => "u64".to_string(),
                "[u8; 4]" => "[u8; 2]".to_string(),
                "[u8; 8]" => "[u8; 16]".to_string(),
                "u64" | "i64" => "u32".to_string(),
                _ => return None,
            };
            Rule::FieldRetyped
        }
        Breaking::Move => {
            // Reserved bytes before the field push it (and what follows) back.
            let pad = FieldM {
                reserved: true,
                ..field("__pad".into(), "[u8; 8]")
            };
            new.fields.insert(i, pad);
            Rule::FieldMoved
        }
        Breaking::ReuseBit => {
            let f = new.features.first()?.clone();
            new.version = 2;
            new.features[0] = FeatureM {
                name: "newcomer".into(),
                bit: f.bit,
                since: 2,
                retired: false,
            };
            for field in &mut new.fields {
                if field.feature.as_deref() == Some(f.name.as_str()) {
                    field.feature = None;
                }
            }
            Rule::FeatureBitReused
        }
        Breaking::RenumberBit => {
            let bit = base.unused_bit();
            new.features.first_mut()?.bit = bit;
            Rule::FeatureBitChanged
        }
        Breaking::RewriteSince => {
            new.version = 2;
            new.fields.last_mut()?.since = 2;
            Rule::HistoryRewritten
        }
        Breaking::Shrink => {
            if live.len() < 2 {
                return None;
            }
            new.fields.pop();
            if new.fields.iter().all(|f| f.reserved) {
                return None;
            }
            Rule::StructShrunk
        }
        Breaking::Realign => {
            new.align = Some(64);
            Rule::StructAlignChanged
        }
        Breaking::ClaimUnreserved => return Some(claim_unreserved(base, i)),
    };
    Some((new, rule))
}

/// A claim of bytes that were not reserved: the last reserved field of a
/// run grown into the bytes after it (RESERVED_CLAIMED_UNSAFELY), or, where the base has no
/// reserved bytes, a live field turned into a claim (FIELD_INSERTED: it
/// claims no reserved bytes at all).
fn claim_unreserved(base: &Model, live_index: usize) -> (Model, Rule) {
    let mut new = base.clone();
    new.version = 2;
    new.features.push(FeatureM {
        name: "claim".into(),
        bit: base.unused_bit(),
        since: 2,
        retired: false,
    });
    // The last field of a run of reserved bytes, so that growing it reaches
    // bytes that were never reserved.
    let n = base.fields.len();
    let reserved =
        (0..n).find(|&r| base.fields[r].reserved && (r + 1 == n || !base.fields[r + 1].reserved));
    let (i, ty, rule) = match reserved {
        Some(r) => (r, "[u8; 12]", Rule::ReservedClaimedUnsafely),
        None => (live_index, "[u8; 1]", Rule::FieldInserted),
    };
    let f = &mut new.fields[i];
    f.name = format!("claimer{i}");
    f.ty = ty.to_string();
    f.since = 2;
    f.reserved = false;
    f.was_reserved = true;
    f.align = None;
    f.feature = Some("claim".into());
    (new, rule)
}

fn findings(old: &Model, new: &Model) -> Vec<Finding> {
    compat::diff(&old.spec("old.toml"), &new.spec("new.toml")).expect("diff")
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
        prop_assert!(f.iter().any(|f| f.rule == Rule::FieldAdded));
        let h = compat::history(&new.spec("new.toml")).expect("history");
        prop_assert!(h.iter().all(|f| !f.is_breaking()), "{h:#?}");
    }

    #[test]
    fn adding_a_feature_is_compatible(base in model()) {
        let mut new = base.clone();
        new.version = 2;
        new.features.push(FeatureM { name: "added".into(), bit: base.unused_bit(), since: 2, retired: false });
        let f = findings(&base, &new);
        prop_assert!(f.iter().all(|f| !f.is_breaking()), "{f:#?}");
        prop_assert!(f.iter().any(|f| f.rule == Rule::FeatureAdded));
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
            since: 2, was_reserved: true, feature: Some("claimed".into()), ..field(format!("claim{i}"), ty)
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
        prop_assert!(f.iter().any(|f| f.rule == Rule::ReservedClaimed), "{f:#?}");
    }
}
