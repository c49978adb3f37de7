//! Two files of one ABI: OLD (the merge base) and NEW (the branch).

use std::collections::HashSet;

use crate::finding::Finding;
use crate::identity;
use crate::layout::{classes, common_targets, Layout, LayoutClass};
use crate::lint;
use crate::model::Spec;
use crate::rules::{Rule, Severity};

use super::compare::{self, View};
use super::{dedupe, history};

/// Every finding from OLD to NEW: the version number, the feature bits, the
/// structs at each file's newest version, each published version's layout,
/// and what NEW's own history and lints add to OLD's. Judged on the targets
/// both files promise.
///
/// When OLD marks its newest version unreleased (`[abi] unreleased`), that
/// version is not published: NEW is judged against OLD's version before it,
/// and may change or drop the unreleased one. NEW cannot mark a version OLD
/// released as unreleased.
pub fn diff(old: &Spec, new: &Spec) -> Vec<Finding> {
    let mut findings = Vec::new();
    let released = released(old);
    let floor = released.unwrap_or(old.abi.first_version);
    if released.is_some() && new.abi.version < floor {
        findings.push(
            Finding::new(
                Rule::VERSION_DECREASED,
                format!(
                    "the version went down from {} to {}",
                    floor, new.abi.version
                ),
            )
            .at(new, new.abi.version_span)
            .with_help(format!(
                "published versions cannot be taken back: keep `version = {floor}` or higher"
            )),
        );
    }
    if let Some(released) = released {
        if new.abi.unreleased && new.abi.version <= released {
            findings.push(
                Finding::new(
                    Rule::HISTORY_REWRITTEN,
                    format!(
                        "version {} was released in {} and cannot become unreleased",
                        new.abi.version,
                        old.source.name()
                    ),
                )
                .at(new, new.abi.span)
                .with_help(format!(
                    "remove `unreleased`, or mark a version after {released} unreleased"
                )),
            );
        }
        let context = format!(
            "from {} (version {released}) to {} (version {})",
            old.source.name(),
            new.source.name(),
            new.abi.version
        );
        evolution_from(
            old,
            released,
            new,
            &context,
            Wording::Evolution,
            &mut findings,
        );
    } else {
        // Nothing of OLD was released: NEW is a new ABI.
        for def in &new.structs {
            findings.push(
                Finding::new(
                    Rule::STRUCT_ADDED,
                    format!("struct `{}` was added", def.name),
                )
                .on_struct(&def.name)
                .at(new, def.name_span),
            );
        }
    }

    // What NEW's own history and lints add: a fault OLD already had is not
    // this change's fault.
    let key = |f: &Finding| {
        let (rule, s, field, feature) = f.subject();
        (
            rule,
            s.map(str::to_string),
            field.map(str::to_string),
            feature.map(str::to_string),
        )
    };
    let mut known: HashSet<_> = findings.iter().map(key).collect();
    if released.is_some() {
        known.extend(history(old).iter().map(key));
    }
    for f in history(new) {
        if f.severity != Severity::Info && known.insert(key(&f)) {
            findings.push(f);
        }
    }
    let lint_key = |f: &Finding| {
        (
            f.rule,
            f.struct_name.clone(),
            f.field.clone(),
            f.message.clone(),
        )
    };
    let old_lints: HashSet<_> = if released.is_some() {
        lint::lint(old).iter().map(lint_key).collect()
    } else {
        HashSet::new()
    };
    for f in lint::lint(new) {
        if !old_lints.contains(&lint_key(&f)) {
            findings.push(f);
        }
    }
    dedupe(findings)
}

/// How a finding about a published version is worded: a history that was
/// rewritten (`diff`), or two sides whose version means two layouts
/// (`compat`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Wording {
    /// OLD evolved into NEW.
    Evolution,
    /// OLD and NEW are two parties' specs (the older one first).
    Sides,
}

/// The newest version a spec published: its version, or the one before
/// when it marks its newest unreleased (`None`: nothing released yet).
pub(super) fn released(spec: &Spec) -> Option<u32> {
    if spec.abi.unreleased {
        spec.abi
            .version
            .checked_sub(1)
            .filter(|&v| v >= spec.abi.first_version)
    } else {
        Some(spec.abi.version)
    }
}

/// What `diff` and `compat` share: the feature bits, the structs at each
/// file's newest version, and every version OLD published that NEW also
/// describes, judged on the targets both files promise.
pub(super) fn evolution(
    old: &Spec,
    new: &Spec,
    context: &str,
    wording: Wording,
    findings: &mut Vec<Finding>,
) {
    evolution_from(old, old.abi.version, new, context, wording, findings);
}

/// [`evolution`] from OLD's version `old_version` (its last released one):
/// features, structs and published versions of OLD after it are not
/// judged.
pub(super) fn evolution_from(
    old: &Spec,
    old_version: u32,
    new: &Spec,
    context: &str,
    wording: Wording,
    findings: &mut Vec<Finding>,
) {
    features(old, old_version, new, findings);
    flag_sets(old, old_version, new, findings);
    let classes = classes(&common_targets(&old.abi.targets, &new.abi.targets));
    compare::compare(
        &View {
            spec: old,
            version: old_version,
        },
        &View::newest(new),
        compare::Scope {
            classes: &classes,
            context,
            info: wording == Wording::Evolution,
        },
        findings,
    );
    published_versions(old, old_version, new, &classes, wording, findings);
}

/// The feature-bit rules, by name and by bit.
fn features(old: &Spec, old_version: u32, new: &Spec, out: &mut Vec<Finding>) {
    let mut renamed_to: HashSet<&str> = HashSet::new();
    for (of, fate) in old.features.iter().zip(identity::pair_features(old, new)) {
        // A feature of an unreleased version was never announced.
        if of.since > old_version {
            continue;
        }
        match fate {
            identity::FeatureFate::Same(i) => {
                let nf = &new.features[i];
                if nf.bit != of.bit {
                    out.push(
                        Finding::new(
                            Rule::FEATURE_BIT_CHANGED,
                            format!(
                                "feature `{}` moved from bit {} to bit {}",
                                of.name, of.bit, nf.bit
                            ),
                        )
                        .on_feature(&nf.name)
                        .at(new, nf.bit_span)
                        .with_help(format!(
                            "restore `bit = {}`: old binaries announce that bit",
                            of.bit
                        )),
                    );
                }
                if nf.since != of.since {
                    out.push(
                        Finding::new(
                            Rule::HISTORY_REWRITTEN,
                            format!(
                                "feature `{}` now says `since = {}`; it was {}",
                                of.name, nf.since, of.since
                            ),
                        )
                        .on_feature(&nf.name)
                        .at(new, nf.since_span)
                        .with_help(format!("restore `since = {}`", of.since)),
                    );
                }
            }
            identity::FeatureFate::Renamed(i) => {
                let nf = &new.features[i];
                renamed_to.insert(&nf.name);
                out.push(
                    Finding::new(
                        Rule::FEATURE_RENAMED,
                        format!(
                            "feature `{}` (bit {}) is now called `{}`",
                            of.name, of.bit, nf.name
                        ),
                    )
                    .on_feature(&nf.name)
                    .at(new, nf.name_span)
                    .with_help(format!(
                        "keep the name `{}`: generated constants carry it",
                        of.name
                    )),
                );
            }
            // A bit that now names another feature is FEATURE_BIT_REUSED,
            // which says the sharper thing.
            identity::FeatureFate::Gone
                if new
                    .features
                    .iter()
                    .any(|nf| nf.bit == of.bit && old.feature(&nf.name).is_none()) => {}
            identity::FeatureFate::Gone => out.push(
                Finding::new(
                    Rule::FEATURE_REMOVED,
                    format!("feature `{}` (bit {}) is gone", of.name, of.bit),
                )
                .on_feature(&of.name)
                .at(old, of.name_span)
                .with_help(
                    "keep the feature with `retired = true`, so its bit is never handed out again",
                ),
            ),
        }
    }
    for nf in &new.features {
        if old.feature(&nf.name).is_some() || renamed_to.contains(nf.name.as_str()) {
            continue;
        }
        match old
            .features
            .iter()
            .find(|of| of.bit == nf.bit && of.since <= old_version)
        {
            Some(of) => out.push(
                Finding::new(
                    Rule::FEATURE_BIT_REUSED,
                    format!(
                        "bit {} belonged to feature `{}`{} and now names `{}`",
                        nf.bit,
                        of.name,
                        if of.retired { " (retired)" } else { "" },
                        nf.name
                    ),
                )
                .on_feature(&nf.name)
                .at(new, nf.bit_span)
                .with_help("take a bit that was never used: old binaries that announce this bit mean the old feature"),
            ),
            None => out.push(
                Finding::new(
                    Rule::FEATURE_ADDED,
                    format!("feature `{}` (bit {}) was added", nf.name, nf.bit),
                )
                .on_feature(&nf.name)
                .at(new, nf.name_span),
            ),
        }
    }
    for ns in &new.structs {
        if old.struct_def(&ns.name).is_none() {
            out.push(
                Finding::new(
                    Rule::STRUCT_ADDED,
                    format!("struct `{}` was added", ns.name),
                )
                .on_struct(&ns.name)
                .at(new, ns.name_span),
            );
        }
    }
}

/// The values of each flag set of OLD in NEW: by name (the number must
/// stay), else by number and history (a rename), else gone; and NEW's
/// values whose number OLD gave to another value.
fn flag_sets(old: &Spec, old_version: u32, new: &Spec, out: &mut Vec<Finding>) {
    for old_set in &old.flags {
        let new_set = new.flags.iter().find(|s| s.name == old_set.name);
        let names = |name: &str| format!("{}{name}", old_set.prefix);
        let released = |v: &crate::model::FlagValue| v.since <= old_version;
        let mut accounted: HashSet<&str> = HashSet::new();
        for ov in old_set.values.iter().filter(|v| released(v)) {
            let c_name = names(&ov.name);
            let Some(new_set) = new_set else {
                out.push(
                    Finding::new(
                        Rule::FLAG_VALUE_REMOVED,
                        format!("`{c_name}` is gone: flag set `{}` is gone", old_set.name),
                    )
                    .on_flag(&c_name)
                    .at(old, ov.name_span)
                    .with_help("keep the set and its values, retired if obsolete"),
                );
                continue;
            };
            if let Some(nv) = new_set.values.iter().find(|v| v.name == ov.name) {
                accounted.insert(&nv.name);
                if nv.value != ov.value {
                    out.push(
                        Finding::new(
                            Rule::FLAG_VALUE_CHANGED,
                            format!("`{c_name}` went from {:#x} to {:#x}", ov.value, nv.value),
                        )
                        .on_flag(&c_name)
                        .at(new, nv.value_span)
                        .with_help(format!(
                            "restore {:#x}: binaries pass the number they were built with",
                            ov.value
                        )),
                    );
                }
                continue;
            }
            let renamed = new_set.values.iter().find(|v| {
                v.value == ov.value
                    && v.since == ov.since
                    && v.retired == ov.retired
                    && !old_set.values.iter().any(|o| o.name == v.name)
            });
            match renamed {
                Some(nv) => {
                    accounted.insert(&nv.name);
                    out.push(
                        Finding::new(
                            Rule::FLAG_VALUE_RENAMED,
                            format!(
                                "`{c_name}` ({:#x}) is now called `{}`",
                                ov.value,
                                names(&nv.name)
                            ),
                        )
                        .on_flag(&names(&nv.name))
                        .at(new, nv.name_span)
                        .with_help(format!(
                            "keep the name `{c_name}`: source code that uses it stops compiling"
                        )),
                    );
                }
                // A number that now names another value says the sharper
                // thing (FLAG_VALUE_REUSED, below).
                None if new_set.values.iter().any(|v| v.value == ov.value) => {}
                None => out.push(
                    Finding::new(
                        Rule::FLAG_VALUE_REMOVED,
                        format!("`{c_name}` ({:#x}) is gone", ov.value),
                    )
                    .on_flag(&c_name)
                    .at(old, ov.name_span)
                    .with_help(
                        "keep the value with `retired = true`, so its number is never given again",
                    ),
                ),
            }
        }
        let Some(new_set) = new_set else {
            continue;
        };
        for nv in &new_set.values {
            if accounted.contains(nv.name.as_str())
                || old_set
                    .values
                    .iter()
                    .any(|o| o.name == nv.name && released(o))
            {
                continue;
            }
            match old_set
                .values
                .iter()
                .find(|o| o.value == nv.value && released(o))
            {
                Some(ov) => out.push(
                    Finding::new(
                        Rule::FLAG_VALUE_REUSED,
                        format!(
                            "{:#x} was `{}`{} and now names `{}`",
                            nv.value,
                            names(&ov.name),
                            if ov.retired { " (retired)" } else { "" },
                            names(&nv.name)
                        ),
                    )
                    .on_flag(&names(&nv.name))
                    .at(new, nv.value_span)
                    .with_help(
                        "take a number that was never used: old binaries that pass it mean the old value",
                    ),
                ),
                None => out.push(
                    Finding::new(
                        Rule::FLAG_VALUE_ADDED,
                        format!("`{}` ({:#x}) was added", names(&nv.name), nv.value),
                    )
                    .on_flag(&names(&nv.name))
                    .at(new, nv.name_span),
                ),
            }
        }
    }
}

/// Every version OLD published must lay out the same in NEW: sizes per
/// version were compiled into binaries. Each published version is first
/// compared like any evolution (so a field that left version 1, or a
/// version that shrank, is FIELD_REMOVED or STRUCT_SHRUNK, which no waiver
/// hides); what remains is HISTORY_REWRITTEN (`diff`) or SIDES_DISAGREE
/// (`compat`), reported only where no sharper finding already names the
/// struct.
fn published_versions(
    old: &Spec,
    old_version: u32,
    new: &Spec,
    classes: &[LayoutClass],
    wording: Wording,
    out: &mut Vec<Finding>,
) {
    // Only a breaking finding is sharper: a rename (api) of a struct whose
    // published version also changed must not hide the change.
    let blamed: HashSet<Option<String>> = out
        .iter()
        .filter(|f| f.severity == Severity::Breaking)
        .map(|f| f.struct_name.clone())
        .collect();
    let rule = match wording {
        Wording::Evolution => Rule::HISTORY_REWRITTEN,
        Wording::Sides => Rule::SIDES_DISAGREE,
    };
    let mut reported: HashSet<String> = HashSet::new();
    // Versions beyond NEW's newest are VERSION_DECREASED's business.
    for version in old
        .versions()
        .filter(|&v| v <= new.abi.version && v <= old_version)
    {
        if !new.versions().contains(&version) {
            out.push(
                Finding::new(
                    rule,
                    format!(
                        "version {version} was published in {} but {} starts at version {}",
                        old.source.name(),
                        new.source.name(),
                        new.abi.first_version
                    ),
                )
                .at(new, new.abi.span)
                .with_help(format!("keep `first_version = {}`", old.abi.first_version)),
            );
            continue;
        }
        let (ov, nv) = (View { spec: old, version }, View { spec: new, version });
        let context = format!("in version {version}");
        compare::compare(
            &ov,
            &nv,
            compare::Scope {
                classes,
                context: &context,
                info: false,
            },
            out,
        );
        for (oi, def) in old.structs.iter().enumerate() {
            let Some(ni) = new.struct_index(&def.name) else {
                continue;
            };
            if blamed.contains(&Some(def.name.clone())) || reported.contains(&def.name) {
                continue;
            }
            let differs = classes.iter().find_map(|c| {
                match (
                    old.layout(oi, c.rep, version),
                    new.layout(ni, c.rep, version),
                ) {
                    (None, None) => None,
                    (Some(a), Some(b)) if same_publication(old, a, new, b) => None,
                    (a, b) => Some((
                        a.map(|l| (l.size, l.feature_size)),
                        b.map(|l| (l.size, l.feature_size)),
                    )),
                }
            });
            if let Some((a, b)) = differs {
                reported.insert(def.name.clone());
                let show = |x: Option<(u64, u64)>| {
                    x.map_or("absent".to_string(), |(s, f)| {
                        format!("size {s}, feature_size {f}")
                    })
                };
                let span = new.structs[ni].name_span;
                out.push(
                    Finding::new(
                        rule,
                        match wording {
                            Wording::Evolution => format!(
                                "version {version} of `{}` was published as {} in {} and is now {} in {} (its fields or their places changed)",
                                def.name,
                                show(a),
                                old.source.name(),
                                show(b),
                                new.source.name()
                            ),
                            Wording::Sides => format!(
                                "version {version} of `{}` is {} in {} and {} in {}: one version number names two layouts",
                                def.name,
                                show(a),
                                old.source.name(),
                                show(b),
                                new.source.name()
                            ),
                        },
                    )
                    .on_struct(&def.name)
                    .at(new, span)
                    .with_help(match wording {
                        Wording::Evolution => "restore the fields' `since`, `was_reserved` and order as published",
                        Wording::Sides => "one version number, one layout: the length a side announces must name the same fields on the other side",
                    }),
                );
            }
        }
    }
}

/// True when NEW's view `b` of a published version keeps everything OLD's
/// view `a` published: the same size, feature_size and alignment, every
/// live field of either the same field of the other (by [`identity`]) at
/// the same place, or an old field retired in place (its bytes reserved),
/// and every reserved byte still reserved. Reserved bytes count by place,
/// not by name: a claim renames them.
fn same_publication(old: &Spec, a: &Layout, new: &Spec, b: &Layout) -> bool {
    let (old_def, new_def) = (&old.structs[a.struct_index], &new.structs[b.struct_index]);
    if (a.size, a.feature_size, a.align) != (b.size, b.feature_size, b.align) {
        return false;
    }
    let pairing = identity::pair(old_def, new_def, &[(a, b)]);
    let new_reserved = compare::reserved_ranges(new_def, b);
    let within = |r: (u64, u64), ranges: &[(u64, u64)]| r.0 >= r.1 || compare::contained(r, ranges);
    let old_live_ok = a
        .fields
        .iter()
        .filter(|f| identity::is_live(old_def, f))
        .all(
            |f| match pairing.live_counterpart(f.index).and_then(|ni| b.field(ni)) {
                Some(g) => g.bit_range() == f.bit_range(),
                None => within(f.bit_range(), &new_reserved),
            },
        );
    let new_live_ok = b
        .fields
        .iter()
        .filter(|g| identity::is_live(new_def, g))
        .all(|g| pairing.new[g.index].is_some());
    old_live_ok
        && new_live_ok
        && compare::reserved_ranges(old_def, a)
            .iter()
            .all(|&r| within(r, &new_reserved))
}
