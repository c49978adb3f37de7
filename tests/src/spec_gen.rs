//! Generators of random valid specs and of their breaking mutations,
//! shared by the property tests (tests/compat_properties.rs: the diff
//! reports each mutation with its rule; tests/matrix.rs: the simulated
//! matrix fails exactly where the mutation predicts).
//!
//! Generated structs are built from 8-byte slots (a pinned u64, two 4-byte
//! fields, four 2-byte fields, a byte array, or reserved bytes), so they have
//! no padding on any of the 20 targets: what the engine reports comes from
//! the mutation, not from the base.

#![allow(missing_docs)]

use abi_spec::{parse, Rule, Spec};
use proptest::prelude::*;
use proptest::sample::Index;

#[derive(Clone, Debug)]
pub struct FeatureM {
    pub name: String,
    pub bit: u32,
    pub since: u32,
    pub retired: bool,
}

#[derive(Clone, Debug)]
pub struct FieldM {
    pub name: String,
    pub ty: String,
    pub since: u32,
    pub feature: Option<String>,
    pub reserved: bool,
    pub was_reserved: bool,
    pub align: Option<u64>,
}

#[derive(Clone, Debug)]
pub struct Model {
    pub version: u32,
    pub features: Vec<FeatureM>,
    pub fields: Vec<FieldM>,
    pub align: Option<u64>,
    /// The struct's `writer`, when not the default (`both`).
    pub writer: Option<&'static str>,
}

impl Model {
    pub fn toml(&self) -> String {
        let mut s = format!("[abi]\nname = \"gen\"\nversion = {}\n", self.version);
        for f in &self.features {
            s += &format!(
                "[[feature]]\nname = \"{}\"\nbit = {}\nsince = {}\nretired = {}\n",
                f.name, f.bit, f.since, f.retired
            );
        }
        s += "[[struct]]\nname = \"s\"\n";
        if let Some(w) = self.writer {
            s += &format!("writer = \"{w}\"\n");
        }
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

    pub fn spec(&self, name: &str) -> Spec {
        parse(name, &self.toml()).unwrap_or_else(|e| panic!("{}\n{}", e.render(false), self.toml()))
    }

    pub fn live(&self) -> Vec<usize> {
        (0..self.fields.len())
            .filter(|&i| !self.fields[i].reserved)
            .collect()
    }

    pub fn unused_bit(&self) -> u32 {
        (0..62)
            .find(|b| self.features.iter().all(|f| f.bit != *b))
            .unwrap_or(62)
    }
}

pub fn field(name: String, ty: &str) -> FieldM {
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
pub fn slot() -> impl Strategy<Value = Vec<&'static str>> {
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

pub fn model() -> impl Strategy<Value = Model> {
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
                writer: None,
            }
        })
}

#[derive(Clone, Copy, Debug)]
pub enum Breaking {
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

pub fn breaking() -> impl Strategy<Value = Breaking> {
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
pub fn mutate(base: &Model, m: Breaking, at: Index) -> Option<(Model, Rule)> {
    let mut new = base.clone();
    let live = base.live();
    let i = live[at.index(live.len())];
    let rule = match m {
        Breaking::Remove => {
            if live.len() < 2 {
                return None;
            }
            new.fields.remove(i);
            Rule::FIELD_REMOVED
        }
        Breaking::Reorder => {
            let j = (i + 1..new.fields.len()).next()?;
            new.fields.swap(i, j);
            Rule::FIELD_MOVED
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
            Rule::FIELD_RETYPED
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
            Rule::FIELD_RETYPED
        }
        Breaking::Move => {
            // Reserved bytes before the field push it (and what follows) back.
            let pad = FieldM {
                reserved: true,
                ..field("__pad".into(), "[u8; 8]")
            };
            new.fields.insert(i, pad);
            Rule::FIELD_MOVED
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
            Rule::FEATURE_BIT_REUSED
        }
        Breaking::RenumberBit => {
            let bit = base.unused_bit();
            new.features.first_mut()?.bit = bit;
            Rule::FEATURE_BIT_CHANGED
        }
        Breaking::RewriteSince => {
            new.version = 2;
            new.fields.last_mut()?.since = 2;
            Rule::HISTORY_REWRITTEN
        }
        Breaking::Shrink => {
            if live.len() < 2 {
                return None;
            }
            new.fields.pop();
            if new.fields.iter().all(|f| f.reserved) {
                return None;
            }
            Rule::STRUCT_SHRUNK
        }
        Breaking::Realign => {
            new.align = Some(64);
            Rule::STRUCT_ALIGN_CHANGED
        }
        Breaking::ClaimUnreserved => return Some(claim_unreserved(base, i)),
    };
    Some((new, rule))
}

/// A claim of bytes that were not reserved: the last reserved field of a
/// run grown into the bytes after it (RESERVED_CLAIMED_UNSAFELY), or, where the base has no
/// reserved bytes, a live field turned into a claim (FIELD_INSERTED: it
/// claims no reserved bytes at all).
pub fn claim_unreserved(base: &Model, live_index: usize) -> (Model, Rule) {
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
        Some(r) => (r, "[u8; 12]", Rule::RESERVED_CLAIMED_UNSAFELY),
        None => (live_index, "[u8; 1]", Rule::FIELD_INSERTED),
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
