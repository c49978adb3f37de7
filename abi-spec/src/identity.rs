//! Field identity: which field of a newer view (or of the other side's
//! spec) is the same field as one of an older view. Every comparison asks
//! this one function: `diff`, `check`'s history, `compat`, the simulated
//! matrix (which writes and reads a field by its identity) and the
//! published-version check.
//!
//! A field of the older view is, in the newer one:
//!
//! * the **same** field when a live field there has its name;
//! * **retired** when a field of its name is there but reserved;
//! * **renamed** when a live field there, whose name the older struct does
//!   not have, has its type, its history (`since` and `was_reserved`) and
//!   its place (offset and size) on every layout class compared. The gate
//!   (`feature`) and the writer are not part of identity: a renamed field
//!   that also changed them is judged for that as any field is;
//! * **gone** otherwise (its bytes may still be reserved: retired in place).

use std::collections::HashMap;

use crate::layout::Layout;
use crate::model::StructDef;

/// What became of a field of the older view.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fate {
    /// A live field of the same name: index into the newer struct's fields.
    Same(usize),
    /// A live field of another name at the same place, type and history.
    Renamed(usize),
    /// A reserved field of the same name.
    Retired(usize),
    /// Nothing of its name or shape.
    Gone,
}

impl Fate {
    /// The newer field, when there is one.
    pub fn new_index(self) -> Option<usize> {
        match self {
            Fate::Same(i) | Fate::Renamed(i) | Fate::Retired(i) => Some(i),
            Fate::Gone => None,
        }
    }

    /// The newer field when it is the same live field (by name or renamed).
    pub fn live(self) -> Option<usize> {
        match self {
            Fate::Same(i) | Fate::Renamed(i) => Some(i),
            _ => None,
        }
    }
}

/// The fields of two views of one struct, paired.
#[derive(Clone, Debug)]
pub struct Pairing {
    /// Per field of the older struct (indexed like its `fields`): its fate,
    /// or `None` for a field that is not live in the older view (absent,
    /// reserved, or a placeholder there).
    pub old: Vec<Option<Fate>>,
    /// Per field of the newer struct: the older field paired with it.
    pub new: Vec<Option<usize>>,
}

impl Pairing {
    /// The newer field's name for the older field `old_index`, when the two
    /// are one live field.
    pub fn live_counterpart(&self, old_index: usize) -> Option<usize> {
        self.old.get(old_index).copied().flatten()?.live()
    }
}

/// True when a placed field is live: not reserved, not a placeholder.
pub fn is_live(def: &StructDef, placed: &crate::layout::FieldLayout) -> bool {
    !placed.placeholder && !def.fields[placed.index].reserved
}

/// Pairs the fields of `old_def` (laid out as the first of each pair) with
/// those of `new_def` (the second), judged on every pair of layouts: one per
/// layout class compared. `pairs` must not be empty.
pub fn pair(old_def: &StructDef, new_def: &StructDef, pairs: &[(&Layout, &Layout)]) -> Pairing {
    let mut old: Vec<Option<Fate>> = vec![None; old_def.fields.len()];
    let mut new: Vec<Option<usize>> = vec![None; new_def.fields.len()];
    let Some(&(o0, n0)) = pairs.first() else {
        return Pairing { old, new };
    };
    // The newer view's fields by name: live first, then any (placeholders
    // are bytes a later field claims, not fields of that view).
    let present: HashMap<&str, usize> = n0
        .fields
        .iter()
        .filter(|f| !f.placeholder)
        .map(|f| (new_def.fields[f.index].name.as_str(), f.index))
        .collect();
    let old_live: Vec<usize> = o0
        .fields
        .iter()
        .filter(|f| is_live(old_def, f))
        .map(|f| f.index)
        .collect();
    // Names first, so that a rename never takes a field that keeps its name.
    let mut unnamed = Vec::new();
    for &oi in &old_live {
        match present.get(old_def.fields[oi].name.as_str()) {
            Some(&ni) if new_def.fields[ni].reserved => {
                old[oi] = Some(Fate::Retired(ni));
                new[ni] = Some(oi);
            }
            Some(&ni) => {
                old[oi] = Some(Fate::Same(ni));
                new[ni] = Some(oi);
            }
            None => unnamed.push(oi),
        }
    }
    for oi in unnamed {
        let field = &old_def.fields[oi];
        let renamed = n0
            .fields
            .iter()
            .filter(|g| is_live(new_def, g) && new[g.index].is_none())
            .map(|g| g.index)
            .find(|&ni| {
                let g = &new_def.fields[ni];
                old_def.field(&g.name).is_none()
                    && g.ty == field.ty
                    && g.bits == field.bits
                    && g.since == field.since
                    && g.was_reserved == field.was_reserved
                    && pairs.iter().all(|(o, n)| match (o.field(oi), n.field(ni)) {
                        (Some(a), Some(b)) => a.bit_range() == b.bit_range(),
                        _ => false,
                    })
            });
        old[oi] = Some(match renamed {
            Some(ni) => {
                new[ni] = Some(oi);
                Fate::Renamed(ni)
            }
            None => Fate::Gone,
        });
    }
    Pairing { old, new }
}

/// What became of a feature of the older spec in the newer one (or in the
/// other side's spec).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FeatureFate {
    /// A feature of the same name (its bit may have changed:
    /// FEATURE_BIT_CHANGED): index into the newer spec's features.
    Same(usize),
    /// A feature of another name on the same bit with the same history
    /// (`since`, `retired`), whose name the older spec does not have.
    Renamed(usize),
    /// Nothing of its name or bit and history (its bit may now name a
    /// feature of another history: FEATURE_BIT_REUSED).
    Gone,
}

impl FeatureFate {
    /// The newer feature, when there is one.
    pub fn new_index(self) -> Option<usize> {
        match self {
            FeatureFate::Same(i) | FeatureFate::Renamed(i) => Some(i),
            FeatureFate::Gone => None,
        }
    }
}

/// Pairs the features of `old` with those of `new`, one fate per feature
/// of `old`, in its order. The identity of a feature is its name, or, for
/// one renamed, its bit and history: what binaries announce is the bit,
/// what they were built against is the name.
pub fn pair_features(old: &crate::model::Spec, new: &crate::model::Spec) -> Vec<FeatureFate> {
    old.features
        .iter()
        .map(|of| {
            if let Some(i) = new.features.iter().position(|nf| nf.name == of.name) {
                return FeatureFate::Same(i);
            }
            new.features
                .iter()
                .position(|nf| {
                    nf.bit == of.bit
                        && old.feature(&nf.name).is_none()
                        && nf.since == of.since
                        && nf.retired == of.retired
                })
                .map_or(FeatureFate::Gone, FeatureFate::Renamed)
        })
        .collect()
}
