//! The single-spec lints: TARGET_LAYOUT_DIVERGES, IMPLICIT_PADDING and
//! NON_PORTABLE_TYPE, judged on every target the spec promises.

use std::collections::{BTreeMap, HashSet};

use crate::finding::Finding;
use crate::layout::{self, Layout, LayoutClass};
use crate::model::{Spec, EXTENSION_BIT_POSITION};
use crate::rules::Rule;
use crate::target::Target;

fn target_list(targets: &[Target]) -> String {
    targets
        .iter()
        .map(|t| t.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Runs the lints on every version of `spec`.
pub fn lint(spec: &Spec) -> Vec<Finding> {
    let mut findings = Vec::new();
    extension_bits(spec, &mut findings);
    non_portable_types(spec, &mut findings);
    // Only distinct layout classes can diverge: compute one target per class.
    let classes = layout::classes(&spec.abi.targets);
    // Versions are independent: judge them on every core, then merge in
    // version order so that each divergence is reported at its first version.
    let versions: Vec<u32> = spec.versions().collect();
    let per_version = crate::parallel::map_chunks(&versions, |chunk| {
        chunk
            .iter()
            .map(|&version| judge_version(spec, version, &classes))
            .collect::<Vec<_>>()
    });
    let mut seen = HashSet::new();
    for (candidates, padding) in per_version.into_iter().flatten() {
        for (key, finding) in candidates {
            if seen.insert(key) {
                findings.push(finding);
            }
        }
        findings.extend(padding);
    }
    findings
}

/// Identifies a divergence across versions: (struct, field, what differs).
type DivergenceKey = (usize, Option<usize>, &'static str);

/// What one version contributes: divergence candidates (deduplicated across
/// versions later) and, for the newest version, padding findings.
type VersionFindings = (Vec<(DivergenceKey, Finding)>, Vec<Finding>);

/// The divergence candidates of one version and, for the newest version,
/// its padding findings.
fn judge_version(spec: &Spec, version: u32, classes: &[LayoutClass]) -> VersionFindings {
    // Laid out for this version and dropped after: the spec's table would
    // keep every version of every struct (a 65,536-field struct over 256
    // versions: 1.3 GB).
    let laid_out: Vec<Vec<Option<Layout>>> = classes
        .iter()
        .map(|class| layout::fresh(spec, class.rep, version))
        .collect();
    let per_class: Vec<(Vec<Target>, &[Option<Layout>])> = classes
        .iter()
        .zip(&laid_out)
        .map(|(class, layouts)| (class.members.clone(), layouts.as_slice()))
        .collect();
    let mut candidates = Vec::new();
    divergences(spec, version, &per_class, &mut candidates);
    let mut padding = Vec::new();
    if version == spec.abi.version {
        implicit_padding(spec, &per_class, &mut padding);
    }
    (candidates, padding)
}

fn extension_bits(spec: &Spec, findings: &mut Vec<Finding>) {
    for feature in &spec.features {
        if feature.position() != EXTENSION_BIT_POSITION {
            continue;
        }
        let next = (feature.word() + 1) * 64;
        findings.push(
            Finding::new(
                Rule::EXTENSION_BIT_ASSIGNED,
                format!(
                    "feature `{}` sits on bit {}, the extension bit of word {}: readers will look for a word that is not there",
                    feature.name,
                    feature.bit,
                    feature.word()
                ),
            )
            .on_feature(&feature.name)
            .at(spec, feature.bit_span)
            .with_help(format!(
                "position 63 of every word says another word follows; use bit {next} and set [abi] feature_words to {}",
                feature.word() + 2
            )),
        );
    }
}

fn non_portable_types(spec: &Spec, findings: &mut Vec<Finding>) {
    for def in &spec.structs {
        for field in &def.fields {
            let Some(scalar) = field.ty.scalar() else {
                continue;
            };
            if scalar.is_portable() {
                continue;
            }
            let why = match scalar.name() {
                "f32" | "f64" => "kernels do not use floating point",
                _ => "its size differs between 32- and 64-bit targets",
            };
            findings.push(
                Finding::new(
                    Rule::NON_PORTABLE_TYPE,
                    format!(
                        "field `{}` of `{}` has type `{}`: {why}",
                        field.name, def.name, field.ty
                    ),
                )
                .on_struct(&def.name)
                .on_field(&field.name)
                .at(spec, field.type_span)
                .with_help("use a fixed-size integer: u64 for pointers, as rseq and clone_args do"),
            );
        }
    }
}

/// Groups targets by a value, in target order.
fn group<K: Ord>(items: impl Iterator<Item = (K, Vec<Target>)>) -> BTreeMap<K, Vec<Target>> {
    let mut groups: BTreeMap<K, Vec<Target>> = BTreeMap::new();
    for (key, targets) in items {
        groups.entry(key).or_default().extend(targets);
    }
    for targets in groups.values_mut() {
        targets.sort();
    }
    groups
}

fn describe<K: std::fmt::Display>(groups: &BTreeMap<K, Vec<Target>>) -> String {
    let mut parts: Vec<(Target, String)> = groups
        .iter()
        .map(|(k, ts)| (ts[0], format!("{k} on {}", target_list(ts))))
        .collect();
    parts.sort();
    parts
        .into_iter()
        .map(|(_, p)| p)
        .collect::<Vec<_>>()
        .join("; ")
}

fn divergences(
    spec: &Spec,
    version: u32,
    per_class: &[(Vec<Target>, &[Option<Layout>])],
    findings: &mut Vec<(DivergenceKey, Finding)>,
) {
    if per_class.len() < 2 {
        return;
    }
    for (struct_index, def) in spec.structs.iter().enumerate() {
        let layouts: Vec<(&Vec<Target>, &Layout)> = per_class
            .iter()
            .filter_map(|(ts, ls)| ls[struct_index].as_ref().map(|l| (ts, l)))
            .collect();
        if layouts.len() < 2 {
            continue;
        }
        let mut field_diverged = false;
        for (position, field) in layouts[0].1.fields.iter().enumerate() {
            let name = &def.fields[field.index].name;
            for (what, get) in [
                (
                    "offset",
                    (|f: &layout::FieldLayout| f.offset) as fn(&layout::FieldLayout) -> u64,
                ),
                ("size", |f: &layout::FieldLayout| f.size),
                // A bitfield may sit at other bits of the same bytes (m68k
                // packs bitfields bit after bit).
                ("first bit", |f: &layout::FieldLayout| f.bit_range().0),
            ] {
                if what == "first bit" && field.bits.is_none() {
                    continue;
                }
                // Most fields agree everywhere: no grouping then.
                let value = get(field);
                if layouts
                    .iter()
                    .all(|(_, l)| get(&l.fields[position]) == value)
                {
                    continue;
                }
                let groups = group(
                    layouts
                        .iter()
                        .map(|(ts, l)| (get(&l.fields[position]), (*ts).clone())),
                );
                if groups.len() > 1 {
                    field_diverged = true;
                    {
                        findings.push((
                            (struct_index, Some(field.index), what),
                            Finding::new(
                                Rule::TARGET_LAYOUT_DIVERGES,
                                format!(
                                    "`{}.{name}` has {what} {} (version {version})",
                                    def.name,
                                    describe(&groups)
                                ),
                            )
                            .on_struct(&def.name)
                            .on_field(name)
                            .at(spec, def.fields[field.index].name_span)
                            .with_help(
                                "pin the layout: `align = 8` on u64 fields, explicit reserved fields for padding, fixed-size types instead of ptr/long",
                            ),
                        ));
                    }
                }
            }
        }
        if field_diverged {
            continue;
        }
        for (what, get) in [
            ("size", (|l: &Layout| l.size) as fn(&Layout) -> u64),
            ("feature_size", |l: &Layout| l.feature_size),
        ] {
            let groups = group(layouts.iter().map(|(ts, l)| (get(l), (*ts).clone())));
            if groups.len() > 1 {
                findings.push((
                    (struct_index, None, what),
                    Finding::new(
                        Rule::TARGET_LAYOUT_DIVERGES,
                        format!("`{}` has {what} {} (version {version})", def.name, describe(&groups)),
                    )
                    .on_struct(&def.name)
                    .at(spec, def.name_span)
                    .with_help("add an explicit reserved field so that every target ends at the same size, or set the struct's `align`"),
                ));
            }
        }
    }
}

fn implicit_padding(
    spec: &Spec,
    per_class: &[(Vec<Target>, &[Option<Layout>])],
    findings: &mut Vec<Finding>,
) {
    let all_targets = spec.abi.targets.len();
    for (struct_index, def) in spec.structs.iter().enumerate() {
        // hole -> (targets, the field before it)
        let mut holes: BTreeMap<layout::Hole, (Vec<Target>, Option<usize>)> = BTreeMap::new();
        for (targets, layouts) in per_class {
            let Some(layout) = &layouts[struct_index] else {
                continue;
            };
            for hole in &layout.holes {
                let before = layout
                    .fields
                    .iter()
                    .filter(|f| f.end() <= hole.offset)
                    .max_by_key(|f| f.end())
                    .map(|f| f.index);
                let entry = holes.entry(*hole).or_insert_with(|| (Vec::new(), before));
                entry.0.extend(targets.iter().copied());
            }
        }
        for (hole, (mut targets, before)) in holes {
            targets.sort();
            let kind = if hole.tail { "tail padding" } else { "hole" };
            let after = before
                .map(|i| format!(" after `{}`", def.fields[i].name))
                .unwrap_or_default();
            let on = if targets.len() == all_targets {
                String::new()
            } else {
                format!(" on {}", target_list(&targets))
            };
            let span = before.map_or(def.name_span, |i| def.fields[i].name_span);
            let mut finding = Finding::new(
                Rule::IMPLICIT_PADDING,
                format!(
                    "`{}` has {} byte{} of {kind} at offset {}{after}{on}",
                    def.name,
                    hole.size,
                    if hole.size == 1 { "" } else { "s" },
                    hole.offset
                ),
            )
            .on_struct(&def.name)
            .at(spec, span)
            .with_help(format!(
                "name the bytes: add `[[struct.field]] name = \"__reserved{}\" type = \"[u8; {}]\" reserved = true`{}",
                hole.offset,
                hole.size,
                if hole.tail { " at the end" } else { " here" }
            ));
            if let Some(i) = before {
                finding = finding.on_field(&def.fields[i].name);
            }
            if targets.len() != all_targets {
                finding = finding.on_targets(targets);
            }
            findings.push(finding);
        }
    }
}
