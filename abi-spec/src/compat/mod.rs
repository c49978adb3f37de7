//! The compatibility engine: judges how one view of an ABI evolved into
//! another, against the negotiation model of the contract (a caller's length
//! switches on the fields of the versions whose feature_size fits; features
//! are ANDed), on every target.
//!
//! Three entry points share one comparison (the private `compare` module):
//!
//! * [`history`]: one file, every version against every older one;
//! * [`diff`]: two files of one ABI, OLD (the merge base) and NEW (the
//!   branch), plus what NEW's own history adds to OLD's;
//! * [`sides`]: a kernel's and a C library's spec of one ABI, possibly at other
//!   versions or diverged, at every pair of versions.
//!
//! Targets whose [`Target::layout_class`] is equal lay out identically, so
//! every comparison runs once per class and reports the member targets.

mod compare;
mod diff;
mod sides;

use std::collections::HashSet;
use std::fmt;

use crate::finding::Finding;
use crate::layout::{self, Layout, LayoutError};
use crate::model::Spec;
use crate::rules::{Rule, Severity};
use crate::target::Target;

pub use diff::diff;
pub use sides::{sides, Negotiation, SidesReport};

/// A spec that could not be laid out (a struct too large for some target).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompatError {
    /// The file, as the user named it.
    pub file: String,
    /// What went wrong.
    pub message: String,
}

impl fmt::Display for CompatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.file, self.message)
    }
}

impl std::error::Error for CompatError {}

impl CompatError {
    fn layout(spec: &Spec, e: LayoutError) -> CompatError {
        let name = spec
            .structs
            .get(e.struct_index)
            .map_or("?", |s| s.name.as_str());
        CompatError {
            file: spec.source.name().to_string(),
            message: format!("struct `{name}`: {}", e.message),
        }
    }
}

/// Targets that lay out identically: one representative and every member.
#[derive(Clone, Debug)]
pub(crate) struct Class {
    /// The target whose layout stands for the class.
    pub rep: Target,
    /// Every target of the class, in [`Target::ALL`] order.
    pub members: Vec<Target>,
}

/// Groups `targets` by layout class, in target order.
pub(crate) fn classes(targets: &[Target]) -> Vec<Class> {
    let mut classes: Vec<Class> = Vec::new();
    for &t in targets {
        match classes
            .iter_mut()
            .find(|c| c.rep.layout_class() == t.layout_class())
        {
            Some(c) => c.members.push(t),
            None => classes.push(Class {
                rep: t,
                members: vec![t],
            }),
        }
    }
    for c in &mut classes {
        c.members.sort();
    }
    classes
}

/// The layouts of every struct of a spec in one version: `[class][struct]`.
pub(crate) type VersionLayouts = Vec<Vec<Option<Layout>>>;

/// Lays out every struct of `spec` in `version` once per class.
pub(crate) fn layouts_at(
    spec: &Spec,
    version: u32,
    classes: &[Class],
) -> Result<VersionLayouts, CompatError> {
    classes
        .iter()
        .map(|c| layout::layout_all(spec, c.rep, version).map_err(|e| CompatError::layout(spec, e)))
        .collect()
}

/// The targets of the classes selected by `hit`, or none when every class
/// is hit (a finding that holds everywhere names no target).
pub(crate) fn targets_of(classes: &[Class], hit: &[bool]) -> Vec<Target> {
    if hit.iter().all(|&h| h) {
        return Vec::new();
    }
    let mut targets: Vec<Target> = classes
        .iter()
        .zip(hit)
        .filter(|(_, &h)| h)
        .flat_map(|(c, _)| c.members.iter().copied())
        .collect();
    targets.sort();
    targets
}

/// ` on t1, t2` when a finding holds on some targets only.
pub(crate) fn on_targets(targets: &[Target]) -> String {
    if targets.is_empty() {
        String::new()
    } else {
        format!(
            " on {}",
            targets
                .iter()
                .map(|t| t.name())
                .collect::<Vec<_>>()
                .join(", ")
        )
    }
}

/// Keeps the first finding of each [`Finding::subject`]: the same fault
/// seen from several version pairs is one fault.
pub(crate) fn dedupe(findings: Vec<Finding>) -> Vec<Finding> {
    let mut seen = HashSet::new();
    let keep: Vec<bool> = findings.iter().map(|f| seen.insert(f.subject())).collect();
    findings
        .into_iter()
        .zip(keep)
        .filter_map(|(f, keep)| keep.then_some(f))
        .collect()
}

/// Every version of `spec` against every older one, plus the rules that
/// judge the history as a whole (FIELD_UNGATED). Info findings (compatible
/// steps) are included; see [`history_notable`] for the rest alone.
pub fn history(spec: &Spec) -> Result<Vec<Finding>, CompatError> {
    history_with(spec, true)
}

/// [`history`] without the info findings, which a large history has many
/// of: what `check` reports.
pub fn history_notable(spec: &Spec) -> Result<Vec<Finding>, CompatError> {
    history_with(spec, false)
}

fn history_with(spec: &Spec, info: bool) -> Result<Vec<Finding>, CompatError> {
    let classes = classes(&spec.abi.targets);
    let versions: Vec<u32> = spec.versions().collect();
    let mut per_version = Vec::with_capacity(versions.len());
    for &v in &versions {
        per_version.push(layouts_at(spec, v, &classes)?);
    }
    // Every (older, newer) pair is independent: judge them on every core,
    // then merge in pair order so that deduplication keeps the same first
    // finding whatever the number of threads.
    let pairs: Vec<(usize, usize)> = (0..versions.len())
        .flat_map(|j| (0..j).map(move |i| (i, j)))
        .collect();
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(pairs.len())
        .max(1);
    let chunk = pairs.len().div_ceil(threads).max(1);
    let judged: Vec<Vec<Finding>> = std::thread::scope(|scope| {
        let handles: Vec<_> = pairs
            .chunks(chunk)
            .map(|chunk| {
                let (classes, per_version, versions) = (&classes, &per_version, &versions);
                scope.spawn(move || {
                    let mut findings = Vec::new();
                    for &(i, j) in chunk {
                        let context =
                            format!("from version {} to version {}", versions[i], versions[j]);
                        compare::compare(
                            &compare::Side {
                                spec,
                                layouts: &per_version[i],
                            },
                            &compare::Side {
                                spec,
                                layouts: &per_version[j],
                            },
                            compare::Scope {
                                classes,
                                context: &context,
                                info,
                            },
                            &mut findings,
                        );
                    }
                    findings
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    });
    let mut findings: Vec<Finding> = judged.into_iter().flatten().collect();
    ungated(spec, &mut findings);
    Ok(dedupe(findings))
}

/// FIELD_UNGATED: in an ABI with features, every field added after the
/// first version needs a feature bit, or user space cannot tell it is filled.
fn ungated(spec: &Spec, findings: &mut Vec<Finding>) {
    if !spec.has_features() {
        return;
    }
    for def in &spec.structs {
        // The contract counts from the ABI's first version, not the struct's: a
        // struct added later needs its bits too, or user space cannot tell.
        let first = spec.abi.first_version;
        for field in &def.fields {
            if field.since > first && field.feature.is_none() && !field.reserved {
                findings.push(
                    Finding::new(
                        Rule::FIELD_UNGATED,
                        format!(
                            "`{}.{}` was added in version {} but no feature bit says it is filled",
                            def.name, field.name, field.since
                        ),
                    )
                    .on_struct(&def.name)
                    .on_field(&field.name)
                    .at(spec, field.name_span)
                    .with_help(format!(
                        "add a [[feature]] with `since = {}` and set `feature` on `{}`",
                        field.since, field.name
                    )),
                );
            }
        }
    }
}

/// True when a finding is not merely informational.
pub fn is_notable(f: &Finding) -> bool {
    f.severity != Severity::Info
}
