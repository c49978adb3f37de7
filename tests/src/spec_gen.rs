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
    /// From this version until `since` the bytes were reserved.
    pub was_reserved: Option<u32>,
    /// The field's own `writer`, when it overrides the struct's.
    pub writer: Option<&'static str>,
    pub align: Option<u64>,
    /// A bitfield's width.
    pub bits: Option<u32>,
}

#[derive(Clone, Debug)]
pub struct Model {
    pub version: u32,
    pub features: Vec<FeatureM>,
    pub fields: Vec<FieldM>,
    pub align: Option<u64>,
    /// The struct's `writer`, when not the default (`both`).
    pub writer: Option<&'static str>,
    /// The `[abi] targets`, when not every target.
    pub targets: Option<Vec<&'static str>>,
}

impl Model {
    pub fn toml(&self) -> String {
        let mut s = format!("[abi]\nname = \"gen\"\nversion = {}\n", self.version);
        if let Some(targets) = &self.targets {
            s += &format!("targets = {targets:?}\n");
        }
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
            if let Some(w) = f.was_reserved {
                s += &format!("was_reserved = {w}\n");
            }
            if let Some(w) = f.writer {
                s += &format!("writer = \"{w}\"\n");
            }
            if let Some(b) = f.bits {
                s += &format!("bits = {b}\n");
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
        was_reserved: None,
        writer: None,
        bits: None,
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

/// [`slot`], or a flags word as perf_event_attr's: bitfields and reserved
/// bits filling one u64.
pub fn slot_with_bits() -> impl Strategy<Value = Vec<&'static str>> {
    prop_oneof![
        4 => slot(),
        1 => Just(vec!["u64:1", "u64:3", "reserved u64:60"]),
    ]
}

pub fn model() -> impl Strategy<Value = Model> {
    model_of(slot().boxed())
}

/// A model whose slots may hold bitfields.
pub fn model_with_bits() -> impl Strategy<Value = Model> {
    model_of(slot_with_bits().boxed())
}

fn model_of(slots: BoxedStrategy<Vec<&'static str>>) -> impl Strategy<Value = Model> {
    (
        prop::collection::vec(slots, 1..5),
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
                if let Some((t, bits)) = f.ty.clone().split_once(':') {
                    f.ty = t.to_string();
                    f.bits = bits.parse().ok();
                } else if f.ty.ends_with("64") {
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
            // Bitfields align a struct differently on m68k (not at all) and
            // Arm; an explicit alignment keeps every target's size alike.
            let align = fields.iter().any(|f| f.bits.is_some()).then_some(8);
            Model {
                version: 1,
                features,
                fields,
                align,
                writer: None,
                targets: None,
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
    let reserved = (0..n).find(|&r| {
        base.fields[r].reserved
            && base.fields[r].bits.is_none()
            && (r + 1 == n || !base.fields[r + 1].reserved)
    });
    let (i, ty, rule) = match reserved {
        Some(r) => (r, "[u8; 12]", Rule::RESERVED_CLAIMED_UNSAFELY),
        None => (live_index, "[u8; 1]", Rule::FIELD_INSERTED),
    };
    let f = &mut new.fields[i];
    f.name = format!("claimer{i}");
    f.ty = ty.to_string();
    f.since = 2;
    f.reserved = false;
    f.was_reserved = Some(1);
    f.bits = None;
    f.align = None;
    f.feature = Some("claim".into());
    (new, rule)
}

/// One change a pull request may make to a spec: every kind of change the
/// commands once judged differently (a rename, a new gate, a claim of
/// reserved bytes gated by an old, a new or no feature, a live field
/// retired, a writer changed), compatible growth, and the breaking
/// mutations of [`breaking`].
#[derive(Clone, Copy, Debug)]
pub enum Change {
    /// A live field gets another name.
    Rename,
    /// A live field gets another feature (one as old as the field), or none.
    Regate,
    /// Both at once.
    RenameAndRegate,
    /// Reserved bytes are claimed by a field gated by a feature older than it.
    ClaimOldGate,
    /// Reserved bytes are claimed by a field gated by a new feature.
    ClaimNewGate,
    /// Reserved bytes are claimed by a field without a feature.
    ClaimUngated,
    /// A live field becomes reserved, keeping its name.
    RetireKeepingName,
    /// A live field becomes reserved bytes of another name.
    RetireRenamed,
    /// A field gets another writer.
    Writer(&'static str),
    /// A field is appended, gated by a new feature.
    AppendNewGate,
    /// A field is appended, gated by an existing feature.
    AppendOldGate,
    /// A field is appended without a feature.
    AppendUngated,
    /// Reserved bytes are appended.
    AppendReserved,
    /// A `u32` is appended, gated by a new feature: the struct may end in
    /// tail padding.
    AppendSmall,
    /// A one-bit flag claims the first bit of reserved bits, gated by a
    /// new feature (perf_event_attr's way of growing).
    ClaimBitNewGate,
    /// The same, gated by a feature the older version has.
    ClaimBitOldGate,
    /// A bitfield is one bit wider, taking a bit of the reserved bits after
    /// it.
    WidenBits,
    /// A feature is added.
    AddFeature,
    /// A feature gets another name (same bit, same history).
    RenameFeature,
    /// A feature no field depends on is retired.
    RetireFeature,
    /// A breaking mutation of [`mutate`].
    Breaking(Breaking),
}

/// Any [`Change`].
pub fn change() -> impl Strategy<Value = Change> {
    prop_oneof![
        Just(Change::Rename),
        Just(Change::Regate),
        Just(Change::RenameAndRegate),
        Just(Change::ClaimOldGate),
        Just(Change::ClaimNewGate),
        Just(Change::ClaimUngated),
        Just(Change::RetireKeepingName),
        Just(Change::RetireRenamed),
        prop_oneof![Just("kernel"), Just("user"), Just("both")].prop_map(Change::Writer),
        Just(Change::AppendNewGate),
        Just(Change::AppendOldGate),
        Just(Change::AppendUngated),
        Just(Change::AppendReserved),
        Just(Change::AppendSmall),
        Just(Change::ClaimBitNewGate),
        Just(Change::ClaimBitOldGate),
        Just(Change::WidenBits),
        Just(Change::AddFeature),
        Just(Change::RenameFeature),
        Just(Change::RetireFeature),
        breaking().prop_map(Change::Breaking),
    ]
}

/// A change that grows a history compatibly, for building bases older than
/// one version.
pub fn growth() -> impl Strategy<Value = Change> {
    prop_oneof![
        Just(Change::AppendNewGate),
        Just(Change::ClaimNewGate),
        Just(Change::AppendReserved),
        Just(Change::AppendSmall),
        Just(Change::ClaimBitNewGate),
        Just(Change::AddFeature),
    ]
}

impl Model {
    /// A feature introduced at `version`, on a bit no feature has; its name.
    fn new_feature(&mut self, version: u32) -> String {
        let name = format!("feat{}", self.features.len());
        let bit = self.unused_bit();
        self.features.push(FeatureM {
            name: name.clone(),
            bit,
            since: version,
            retired: false,
        });
        name
    }

    /// A feature that exists at `version` (not retired), other than `not`.
    fn feature_by(&self, version: u32, not: Option<&str>, pick: Index) -> Option<String> {
        let old: Vec<&FeatureM> = self
            .features
            .iter()
            .filter(|f| f.since <= version && !f.retired && Some(f.name.as_str()) != not)
            .collect();
        (!old.is_empty()).then(|| old[pick.index(old.len())].name.clone())
    }
}

/// Applies `change` to `model`; what it adds is introduced in `version`
/// (one past the version the change starts from: several changes of one
/// pull request share it). `None` where the change does not apply.
pub fn evolve(model: &Model, change: Change, version: u32, at: Index) -> Option<Model> {
    let mut new = model.clone();
    new.version = new.version.max(version);
    let live = new.live();
    let pick_live = |new: &Model| -> Option<usize> {
        let live = new.live();
        (!live.is_empty()).then(|| live[at.index(live.len())])
    };
    let reserved: Vec<usize> = (0..new.fields.len())
        .filter(|&i| new.fields[i].reserved)
        .collect();
    let appended = |name: String, feature: Option<String>| FieldM {
        since: version,
        feature,
        ..field(name, "[u8; 8]")
    };
    match change {
        Change::Rename => {
            let i = pick_live(&new)?;
            new.fields[i].name = format!("renamed{i}");
        }
        Change::Regate | Change::RenameAndRegate => {
            let i = pick_live(&new)?;
            let f = new.fields[i].clone();
            let gate = new.feature_by(f.since, f.feature.as_deref(), at);
            if gate.is_none() && f.feature.is_none() {
                return None;
            }
            new.fields[i].feature = gate;
            if matches!(change, Change::RenameAndRegate) {
                new.fields[i].name = format!("renamed{i}");
            }
        }
        Change::ClaimOldGate | Change::ClaimNewGate | Change::ClaimUngated => {
            let j = *reserved.get(at.index(reserved.len().max(1)))?;
            let old_since = new.fields[j].since;
            let feature = match change {
                Change::ClaimOldGate => Some(new.feature_by(version - 1, None, at)?),
                Change::ClaimNewGate => Some(new.new_feature(version)),
                _ => None,
            };
            let f = &mut new.fields[j];
            f.name = format!("claim{j}");
            f.reserved = false;
            f.since = version;
            f.was_reserved = Some(old_since);
            f.feature = feature;
        }
        Change::RetireKeepingName | Change::RetireRenamed => {
            if live.len() < 2 {
                return None;
            }
            let i = pick_live(&new)?;
            let f = &mut new.fields[i];
            f.reserved = true;
            f.feature = None;
            f.writer = None;
            if matches!(change, Change::RetireRenamed) {
                f.name = format!("__retired{i}");
            }
        }
        Change::Writer(w) => {
            let i = pick_live(&new)?;
            if new.fields[i].writer.or(new.writer).unwrap_or("both") == w {
                return None;
            }
            new.fields[i].writer = Some(w);
        }
        Change::AppendNewGate => {
            let feature = new.new_feature(version);
            let n = new.fields.len();
            new.fields.push(appended(format!("app{n}"), Some(feature)));
        }
        Change::AppendOldGate => {
            let feature = new.feature_by(version - 1, None, at)?;
            let n = new.fields.len();
            new.fields.push(appended(format!("app{n}"), Some(feature)));
        }
        Change::AppendUngated => {
            let n = new.fields.len();
            new.fields.push(appended(format!("app{n}"), None));
        }
        Change::AppendReserved => {
            let n = new.fields.len();
            new.fields.push(FieldM {
                reserved: true,
                since: version,
                ..field(format!("__reserved{n}"), "[u8; 8]")
            });
        }
        Change::AppendSmall => {
            let feature = new.new_feature(version);
            let n = new.fields.len();
            new.fields.push(FieldM {
                since: version,
                feature: Some(feature),
                ..field(format!("small{n}"), "u32")
            });
        }
        Change::ClaimBitNewGate | Change::ClaimBitOldGate => {
            let reserved_bits: Vec<usize> = (0..new.fields.len())
                .filter(|&i| new.fields[i].reserved && new.fields[i].bits.is_some_and(|b| b >= 2))
                .collect();
            let j = *reserved_bits.get(at.index(reserved_bits.len().max(1)))?;
            let feature = match change {
                Change::ClaimBitOldGate => new.feature_by(version - 1, None, at)?,
                _ => new.new_feature(version),
            };
            let reserved = new.fields[j].clone();
            new.fields[j].bits = reserved.bits.map(|b| b - 1);
            let n = new.fields.len();
            new.fields.insert(
                j,
                FieldM {
                    since: version,
                    was_reserved: Some(reserved.since),
                    feature: Some(feature),
                    bits: Some(1),
                    ..field(format!("flag{n}"), &reserved.ty)
                },
            );
        }
        Change::WidenBits => {
            let i = (0..new.fields.len()).find(|&i| {
                !new.fields[i].reserved
                    && new.fields[i].bits.is_some()
                    && new
                        .fields
                        .get(i + 1)
                        .is_some_and(|r| r.reserved && r.bits.is_some_and(|b| b >= 2))
            })?;
            new.fields[i].bits = new.fields[i].bits.map(|b| b + 1);
            new.fields[i + 1].bits = new.fields[i + 1].bits.map(|b| b - 1);
        }
        Change::AddFeature => {
            new.new_feature(version);
        }
        Change::RenameFeature => {
            let i = at.index(new.features.len().max(1));
            let old = new.features.get(i)?.name.clone();
            let renamed = format!("renamed_{old}");
            new.features[i].name = renamed.clone();
            for f in &mut new.fields {
                if f.feature.as_deref() == Some(old.as_str()) {
                    f.feature = Some(renamed.clone());
                }
            }
        }
        Change::RetireFeature => {
            let unused: Vec<usize> = (0..new.features.len())
                .filter(|&i| {
                    let name = &new.features[i].name;
                    !new.features[i].retired
                        && new.fields.iter().all(|f| f.feature.as_ref() != Some(name))
                })
                .collect();
            let i = *unused.get(at.index(unused.len().max(1)))?;
            new.features[i].retired = true;
        }
        Change::Breaking(b) => return mutate(&new, b, at).map(|(m, _)| m),
    }
    Some(new)
}

/// A spec with a history: a [`model`] at version 1, grown by up to two
/// compatible steps, over a struct written by the kernel, by user space,
/// or by both, with some fields' writers overridden; on one target of each
/// layout class, which is where layouts can differ.
pub fn based_model() -> impl Strategy<Value = Model> {
    (
        model_with_bits(),
        prop::collection::vec((growth(), any::<Index>()), 0..3),
        prop_oneof![Just(None), Just(Some("kernel")), Just(Some("user"))],
        prop::collection::vec(
            prop_oneof![Just(None), Just(Some("kernel")), Just(Some("user"))],
            8,
        ),
    )
        .prop_map(|(base, steps, writer, overrides)| {
            let mut m = Model {
                writer,
                targets: Some(vec!["x86_64", "i386", "arm", "m68k"]),
                ..base
            };
            for (i, f) in m.fields.iter_mut().enumerate() {
                if !f.reserved {
                    f.writer = overrides[i % overrides.len()];
                }
            }
            for (step, at) in steps {
                let next = m.version + 1;
                if let Some(grown) = evolve(&m, step, next, at) {
                    m = grown;
                }
            }
            m
        })
}
