//! A kernel's and a C library's spec of one ABI: what the two sides agree
//! on at every pair of versions, and where they disagree.

use std::collections::BTreeMap;

use crate::finding::Finding;
use crate::layout::Layout;
use crate::model::Spec;
use crate::rules::{Rule, Severity};
use crate::target::Target;

use super::compare::is_reserved;
use super::{
    classes, dedupe, layouts_at, on_targets, targets_of, Class, CompatError, VersionLayouts,
};

/// What a C library at one version and a kernel at another agree on for one
/// struct: the library announces its feature_size, the kernel switches on
/// the fields of its versions whose feature_size fits, and both use the
/// feature bits they share.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Negotiation {
    /// The struct.
    pub struct_name: String,
    /// The kernel side's version.
    pub kernel_version: u32,
    /// The C library side's version.
    pub libc_version: u32,
    /// The length the library announces (its feature_size), on the first
    /// target both sides promise.
    pub announced: u64,
    /// The bytes both sides may touch: the smaller of the two feature sizes.
    pub length: u64,
    /// The newest kernel version whose feature_size fits the announced
    /// length: its fields are on. `None` when the kernel refuses the length
    /// (it is smaller than the kernel's first version).
    pub version: Option<u32>,
    /// The agreed feature bits, by the kernel's names, in bit order.
    pub features: Vec<String>,
    /// Where targets disagree with the first: (targets, agreed length).
    pub other_lengths: Vec<(Vec<Target>, u64)>,
}

/// The result of [`sides`].
#[derive(Clone, Debug)]
pub struct SidesReport {
    /// One entry per (struct, kernel version, C library version).
    pub negotiations: Vec<Negotiation>,
    /// Every disagreement, breaking.
    pub findings: Vec<Finding>,
}

struct SideData<'a> {
    spec: &'a Spec,
    layouts: BTreeMap<u32, VersionLayouts>,
}

impl SideData<'_> {
    fn at(&self, version: u32, class: usize, index: usize) -> Option<&Layout> {
        self.layouts.get(&version)?.get(class)?.get(index)?.as_ref()
    }
}

fn load<'a>(spec: &'a Spec, classes: &[Class]) -> Result<SideData<'a>, CompatError> {
    let mut layouts = BTreeMap::new();
    for v in spec.versions() {
        layouts.insert(v, layouts_at(spec, v, classes)?);
    }
    Ok(SideData { spec, layouts })
}

/// Judges a kernel's spec against a C library's spec of the same ABI, each
/// possibly at another version or diverged. Findings point into the library's
/// file where the thing exists there, else into the kernel's.
pub fn sides(kernel: &Spec, libc: &Spec) -> Result<SidesReport, CompatError> {
    let targets: Vec<Target> = kernel
        .abi
        .targets
        .iter()
        .copied()
        .filter(|t| libc.abi.targets.contains(t))
        .collect();
    let targets = if targets.is_empty() {
        kernel.abi.targets.clone()
    } else {
        targets
    };
    let classes = classes(&targets);
    let k = load(kernel, &classes)?;
    let l = load(libc, &classes)?;
    let mut findings = Vec::new();
    feature_bits(kernel, libc, &mut findings);
    let mut negotiations = Vec::new();
    for (ki, kdef) in kernel.structs.iter().enumerate() {
        let Some(li) = libc.struct_index(&kdef.name) else {
            continue;
        };
        let ldef = &libc.structs[li];
        let before = findings.len();
        shared_fields(&k, &l, ki, li, &classes, &mut findings);
        if findings[before..]
            .iter()
            .all(|f| f.severity != Severity::Breaking)
        {
            version_sizes(&k, &l, ki, li, &classes, &mut findings);
        }
        for kv in kernel.versions() {
            for lv in libc.versions() {
                if let Some(n) = negotiate(&k, &l, ki, li, kv, lv, &classes, &ldef.name) {
                    negotiations.push(n);
                }
            }
        }
    }
    Ok(SidesReport {
        negotiations,
        findings: dedupe(findings),
    })
}

#[allow(clippy::too_many_arguments)]
fn negotiate(
    k: &SideData<'_>,
    l: &SideData<'_>,
    ki: usize,
    li: usize,
    kv: u32,
    lv: u32,
    classes: &[Class],
    name: &str,
) -> Option<Negotiation> {
    let mut per_class = Vec::with_capacity(classes.len());
    for c in 0..classes.len() {
        let kl = k.at(kv, c, ki)?;
        let ll = l.at(lv, c, li)?;
        let announced = ll.feature_size;
        let version = k
            .spec
            .versions()
            .filter(|&v| v <= kv)
            .filter(|&v| k.at(v, c, ki).is_some_and(|x| x.feature_size <= announced))
            .max();
        per_class.push((announced, announced.min(kl.feature_size), version));
    }
    let (announced, length, version) = per_class[0];
    let mut other: BTreeMap<u64, Vec<Target>> = BTreeMap::new();
    for (c, &(_, len, _)) in per_class.iter().enumerate().skip(1) {
        if len != length {
            other
                .entry(len)
                .or_default()
                .extend(classes[c].members.iter().copied());
        }
    }
    let live = |spec: &Spec, v: u32| -> BTreeMap<u32, String> {
        spec.features
            .iter()
            .filter(|f| f.since <= v && !f.retired)
            .map(|f| (f.bit, f.name.clone()))
            .collect()
    };
    let lbits = live(l.spec, lv);
    let features = live(k.spec, kv)
        .into_iter()
        .filter(|(bit, _)| lbits.contains_key(bit))
        .map(|(_, n)| n)
        .collect();
    Some(Negotiation {
        struct_name: name.to_string(),
        kernel_version: kv,
        libc_version: lv,
        announced,
        length,
        version,
        features,
        other_lengths: other
            .into_iter()
            .map(|(len, mut ts)| {
                ts.sort();
                (ts, len)
            })
            .collect(),
    })
}

fn feature_bits(kernel: &Spec, libc: &Spec, out: &mut Vec<Finding>) {
    for lf in &libc.features {
        if let Some(kf) = kernel.features.iter().find(|kf| kf.bit == lf.bit) {
            if kf.name != lf.name {
                out.push(
                    Finding::new(
                        Rule::FEATURE_BIT_REUSED,
                        format!(
                            "bit {} is `{}` in the kernel's spec ({}) and `{}` in the library's ({})",
                            lf.bit,
                            kf.name,
                            kernel.source.name(),
                            lf.name,
                            libc.source.name()
                        ),
                    )
                    .on_feature(&lf.name)
                    .at(libc, lf.bit_span)
                    .with_help("one bit, one meaning: give the library's feature a bit the kernel never used"),
                );
            }
        }
        if let Some(kf) = kernel.feature(&lf.name) {
            if kf.bit != lf.bit {
                out.push(
                    Finding::new(
                        Rule::FEATURE_BIT_CHANGED,
                        format!(
                            "feature `{}` is bit {} in the kernel's spec and bit {} in the library's",
                            lf.name, kf.bit, lf.bit
                        ),
                    )
                    .on_feature(&lf.name)
                    .at(libc, lf.bit_span)
                    .with_help(format!("use bit {}, the kernel's", kf.bit)),
                );
            }
        }
    }
}

/// Fields both sides name, and bytes each side gives to a field the other
/// calls something else, at each side's newest version.
fn shared_fields(
    k: &SideData<'_>,
    l: &SideData<'_>,
    ki: usize,
    li: usize,
    classes: &[Class],
    out: &mut Vec<Finding>,
) {
    let kdef = &k.spec.structs[ki];
    let ldef = &l.spec.structs[li];
    let name = &ldef.name;
    let (kv, lv) = (k.spec.abi.version, l.spec.abi.version);
    let pairs: Vec<(&Layout, &Layout)> = (0..classes.len())
        .filter_map(|c| Some((k.at(kv, c, ki)?, l.at(lv, c, li)?)))
        .collect();
    if pairs.len() != classes.len() {
        return;
    }
    let realigned: Vec<bool> = pairs.iter().map(|(a, b)| a.align != b.align).collect();
    if let Some(i) = realigned.iter().position(|&r| r) {
        let targets = targets_of(classes, &realigned);
        out.push(
            Finding::new(
                Rule::STRUCT_ALIGN_CHANGED,
                format!(
                    "`{name}` is {}-aligned on the kernel side and {}-aligned on the library side{}",
                    pairs[i].0.align,
                    pairs[i].1.align,
                    on_targets(&targets)
                ),
            )
            .on_struct(name)
            .on_targets(targets)
            .at(l.spec, ldef.name_span)
            .with_help("both sides must allocate and check the struct with one alignment"),
        );
    }
    for lf in &ldef.fields {
        let Some(kf) = kdef.field(&lf.name) else {
            continue;
        };
        if lf.reserved || kf.reserved {
            continue;
        }
        let finding = |rule: Rule, message: String, span, help: &str| {
            Finding::new(rule, message)
                .on_struct(name)
                .on_field(&lf.name)
                .at(l.spec, span)
                .with_help(help.to_string())
        };
        if lf.ty != kf.ty {
            out.push(finding(
                Rule::FIELD_RETYPED,
                format!(
                    "`{name}.{}` is `{}` on the kernel side and `{}` on the library side",
                    lf.name, kf.ty, lf.ty
                ),
                lf.type_span,
                "one field, one type on both sides",
            ));
        }
        if lf.since != kf.since {
            out.push(finding(
                Rule::HISTORY_REWRITTEN,
                format!("`{name}.{}` appeared in version {} on the kernel side and {} on the library side", lf.name, kf.since, lf.since),
                lf.since_span,
                "both sides must agree which version introduced each field",
            ));
        }
        if lf.feature != kf.feature {
            out.push(finding(
                Rule::FIELD_REGATED,
                format!(
                    "`{name}.{}` is gated by {:?} on the kernel side and {:?} on the library side",
                    lf.name, kf.feature, lf.feature
                ),
                lf.name_span,
                "one field, one feature bit on both sides",
            ));
        }
        let ki_f = kdef.fields.iter().position(|f| f.name == lf.name);
        let li_f = ldef.fields.iter().position(|f| f.name == lf.name);
        let (Some(kfi), Some(lfi)) = (ki_f, li_f) else {
            continue;
        };
        let moved: Vec<bool> = pairs
            .iter()
            .map(|(a, b)| match (a.field(kfi), b.field(lfi)) {
                (Some(x), Some(y)) => x.offset != y.offset,
                _ => false,
            })
            .collect();
        if let Some(i) = moved.iter().position(|&m| m) {
            let (Some(x), Some(y)) = (pairs[i].0.field(kfi), pairs[i].1.field(lfi)) else {
                continue;
            };
            let targets = targets_of(classes, &moved);
            out.push(
                finding(
                    Rule::FIELD_MOVED,
                    format!(
                        "`{name}.{}` is at offset {} on the kernel side and {} on the library side{}",
                        lf.name,
                        x.offset,
                        y.offset,
                        on_targets(&targets)
                    ),
                    lf.name_span,
                    "one field, one offset on both sides",
                )
                .on_targets(targets),
            );
        }
    }
    // Bytes one side gives to a field the other side calls something else.
    let conflict: Vec<Option<(String, String)>> = pairs
        .iter()
        .map(|(a, b)| {
            for lf in b
                .fields
                .iter()
                .filter(|f| !is_reserved(ldef, f) && f.size > 0)
            {
                let lname = &ldef.fields[lf.index].name;
                for kf in a
                    .fields
                    .iter()
                    .filter(|f| !is_reserved(kdef, f) && f.size > 0)
                {
                    let kname = &kdef.fields[kf.index].name;
                    if kname != lname
                        && lf.offset < kf.end()
                        && kf.offset < lf.end()
                        && kdef.field(lname).is_none()
                    {
                        return Some((kname.clone(), lname.clone()));
                    }
                }
            }
            None
        })
        .collect();
    let hit: Vec<bool> = conflict.iter().map(Option::is_some).collect();
    if let Some((kname, lname)) = conflict.into_iter().flatten().next() {
        let targets = targets_of(classes, &hit);
        let span = ldef.field(&lname).map_or(ldef.name_span, |f| f.name_span);
        out.push(
            Finding::new(
                Rule::SIDES_DISAGREE,
                format!(
                    "the library's `{name}.{lname}` lies on the bytes of the kernel's `{kname}`{}",
                    on_targets(&targets)
                ),
            )
            .on_struct(name)
            .on_field(&lname)
            .on_targets(targets)
            .at(l.spec, span)
            .with_help("the sides diverged: give the library's field bytes the kernel reserved or never used, and upstream it"),
        );
    }
}

/// Both sides must give every version they share the same size and
/// feature_size: the length is how each tells the other its version.
fn version_sizes(
    k: &SideData<'_>,
    l: &SideData<'_>,
    ki: usize,
    li: usize,
    classes: &[Class],
    out: &mut Vec<Finding>,
) {
    let ldef = &l.spec.structs[li];
    for v in k.spec.versions() {
        if !l.spec.versions().contains(&v) {
            continue;
        }
        let hit: Vec<Option<(u64, u64)>> = (0..classes.len())
            .map(|c| match (k.at(v, c, ki), l.at(v, c, li)) {
                (Some(a), Some(b)) if a.feature_size != b.feature_size || a.size != b.size => {
                    Some((a.feature_size, b.feature_size))
                }
                _ => None,
            })
            .collect();
        let mask: Vec<bool> = hit.iter().map(Option::is_some).collect();
        if let Some((a, b)) = hit.into_iter().flatten().next() {
            let targets = targets_of(classes, &mask);
            out.push(
                Finding::new(
                    Rule::SIDES_DISAGREE,
                    format!(
                        "version {v} of `{}` has feature_size {a} on the kernel side and {b} on the library side{}",
                        ldef.name,
                        on_targets(&targets)
                    ),
                )
                .on_struct(&ldef.name)
                .on_targets(targets)
                .at(l.spec, ldef.name_span)
                .with_help("the length a side announces must name the same version on the other side"),
            );
            return;
        }
    }
}
