//! Two files of one ABI: OLD (the merge base) and NEW (the branch).

use std::collections::HashSet;

use crate::finding::Finding;
use crate::layout::Layout;
use crate::lint;
use crate::model::Spec;
use crate::rules::{Rule, Severity};
use crate::target::Target;

use super::compare::{self, Side};
use super::{classes, dedupe, history, layouts_at, CompatError};

/// Every finding from OLD to NEW: the version number, the feature bits, the
/// structs at each file's newest version, each published version's layout,
/// and what NEW's own history and lints add to OLD's. Judged on the targets
/// both files promise.
pub fn diff(old: &Spec, new: &Spec) -> Result<Vec<Finding>, CompatError> {
    let mut findings = Vec::new();
    if new.abi.version < old.abi.version {
        findings.push(
            Finding::new(
                Rule::VERSION_DECREASED,
                format!(
                    "the version went down from {} to {}",
                    old.abi.version, new.abi.version
                ),
            )
            .at(new, new.abi.version_span)
            .with_help(format!(
                "published versions cannot be taken back: keep `version = {}` or higher",
                old.abi.version
            )),
        );
    }
    features(old, new, &mut findings);

    let targets: Vec<Target> = new
        .abi
        .targets
        .iter()
        .copied()
        .filter(|t| old.abi.targets.contains(t))
        .collect();
    let targets = if targets.is_empty() {
        new.abi.targets.clone()
    } else {
        targets
    };
    let classes = classes(&targets);
    let old_layouts = layouts_at(old, old.abi.version, &classes)?;
    let new_layouts = layouts_at(new, new.abi.version, &classes)?;
    let context = format!(
        "from {} (version {}) to {} (version {})",
        old.source.name(),
        old.abi.version,
        new.source.name(),
        new.abi.version
    );
    compare::compare(
        &Side {
            spec: old,
            layouts: &old_layouts,
        },
        &Side {
            spec: new,
            layouts: &new_layouts,
        },
        compare::Scope {
            classes: &classes,
            context: &context,
            info: true,
        },
        &mut findings,
    );
    published_versions(old, new, &classes, &mut findings)?;

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
    known.extend(history(old)?.iter().map(key));
    for f in history(new)? {
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
    let old_lints: HashSet<_> = lint::lint(old)
        .map_err(|e| CompatError::layout(old, e))?
        .iter()
        .map(lint_key)
        .collect();
    for f in lint::lint(new).map_err(|e| CompatError::layout(new, e))? {
        if !old_lints.contains(&lint_key(&f)) {
            findings.push(f);
        }
    }
    Ok(dedupe(findings))
}

/// The feature-bit rules, by name and by bit.
fn features(old: &Spec, new: &Spec, out: &mut Vec<Finding>) {
    let mut renamed_to: HashSet<&str> = HashSet::new();
    for of in &old.features {
        match new.feature(&of.name) {
            Some(nf) => {
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
            None => {
                let same_bit = new
                    .features
                    .iter()
                    .find(|nf| nf.bit == of.bit && old.feature(&nf.name).is_none());
                match same_bit {
                    Some(nf) if nf.since == of.since && nf.retired == of.retired => {
                        renamed_to.insert(&nf.name);
                        out.push(
                            Finding::new(
                                Rule::FEATURE_RENAMED,
                                format!("feature `{}` (bit {}) is now called `{}`", of.name, of.bit, nf.name),
                            )
                            .on_feature(&nf.name)
                            .at(new, nf.name_span)
                            .with_help(format!("keep the name `{}`: generated constants carry it", of.name)),
                        );
                    }
                    // A bit that now names another feature is FEATURE_BIT_REUSED,
                    // which says the sharper thing.
                    Some(_) => {}
                    None => out.push(
                        Finding::new(
                            Rule::FEATURE_REMOVED,
                            format!("feature `{}` (bit {}) is gone", of.name, of.bit),
                        )
                        .on_feature(&of.name)
                        .at(old, of.name_span)
                        .with_help("keep the feature with `retired = true`, so its bit is never handed out again"),
                    ),
                }
            }
        }
    }
    for nf in &new.features {
        if old.feature(&nf.name).is_some() || renamed_to.contains(nf.name.as_str()) {
            continue;
        }
        match old.features.iter().find(|of| of.bit == nf.bit) {
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

/// Every version OLD published must lay out the same in NEW: sizes per
/// version were compiled into binaries. Each published version is first
/// compared like any evolution (so a field that left version 1, or a
/// version that shrank, is FIELD_REMOVED or STRUCT_SHRUNK, which no waiver
/// hides); what remains is HISTORY_REWRITTEN, reported only where no
/// sharper finding already names the struct.
fn published_versions(
    old: &Spec,
    new: &Spec,
    classes: &[super::Class],
    out: &mut Vec<Finding>,
) -> Result<(), CompatError> {
    let blamed: HashSet<Option<String>> = out
        .iter()
        .filter(|f| f.severity != Severity::Info)
        .map(|f| f.struct_name.clone())
        .collect();
    let mut reported: HashSet<String> = HashSet::new();
    // Versions beyond NEW's newest are VERSION_DECREASED's business.
    for version in old.versions().filter(|&v| v <= new.abi.version) {
        if !new.versions().contains(&version) {
            out.push(
                Finding::new(
                    Rule::HISTORY_REWRITTEN,
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
        let ol = layouts_at(old, version, classes)?;
        let nl = layouts_at(new, version, classes)?;
        let context = format!("in version {version}");
        compare::compare(
            &Side {
                spec: old,
                layouts: &ol,
            },
            &Side {
                spec: new,
                layouts: &nl,
            },
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
            let differs = ol
                .iter()
                .zip(&nl)
                .find_map(|(o, n)| match (&o[oi], &n[ni]) {
                    (None, None) => None,
                    (Some(a), Some(b)) if same_publication(a, old, b, new) => None,
                    (a, b) => Some((
                        a.as_ref().map(|l| (l.size, l.feature_size)),
                        b.as_ref().map(|l| (l.size, l.feature_size)),
                    )),
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
                        Rule::HISTORY_REWRITTEN,
                        format!(
                            "version {version} of `{}` was published as {} and is now {} (its fields or their places changed)",
                            def.name,
                            show(a),
                            show(b)
                        ),
                    )
                    .on_struct(&def.name)
                    .at(new, span)
                    .with_help("restore the fields' `since`, `was_reserved` and order as published"),
                );
            }
        }
    }
    Ok(())
}

/// True when NEW's view `b` of a published version keeps everything OLD's
/// view `a` published: the same size, feature_size and alignment, every
/// live field of NEW live in OLD at the same place, and every live field of
/// OLD either still there or retired in place (its bytes reserved). Reserved
/// bytes count by place, not by name: a claim renames them.
fn same_publication(a: &Layout, old: &Spec, b: &Layout, new: &Spec) -> bool {
    let (old_def, new_def) = (&old.structs[a.struct_index], &new.structs[b.struct_index]);
    let live = |l: &Layout, def: &crate::model::StructDef| -> Vec<(String, u64, u64)> {
        l.fields
            .iter()
            .filter(|f| !compare::is_reserved(def, f))
            .map(|f| (def.fields[f.index].name.clone(), f.offset, f.size))
            .collect()
    };
    let reserved = |l: &Layout, def: &crate::model::StructDef| compare::reserved_ranges(def, l);
    let (old_live, new_live) = (live(a, old_def), live(b, new_def));
    let (old_reserved, new_reserved) = (reserved(a, old_def), reserved(b, new_def));
    let within = |r: (u64, u64), ranges: &[(u64, u64)]| {
        r.0 >= r.1 || ranges.iter().any(|&(s, e)| s <= r.0 && r.1 <= e)
    };
    (a.size, a.feature_size, a.align) == (b.size, b.feature_size, b.align)
        && new_live.iter().all(|f| old_live.contains(f))
        && old_live
            .iter()
            .all(|f| new_live.contains(f) || within((f.1, f.1 + f.2), &new_reserved))
        && old_reserved.iter().all(|&r| within(r, &new_reserved))
}
