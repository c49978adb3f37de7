//! The compatibility engine: judges how one view of an ABI evolved into
//! another, against the negotiation model of the contract (a caller's length
//! switches on the fields of the versions whose feature_size fits; features
//! are ANDed), on every target.
//!
//! Three entry points share one comparison (the private `compare` module):
//!
//! * [`history`]: one file, every version against every older one (judged
//!   per block of versions, the private `history` module);
//! * [`diff`]: two files of one ABI, OLD (the merge base) and NEW (the
//!   branch), plus what NEW's own history adds to OLD's;
//! * [`sides`]: a kernel's and a C library's spec of one ABI, possibly at other
//!   versions or diverged: the same comparison between the older side and
//!   the newer one, plus the negotiation table the run-time computes.
//!
//! Fields are matched by [`crate::identity`]; targets that lay out alike
//! ([`crate::layout::classes`]) are judged once per class, and a finding
//! names the member targets.

mod compare;
mod diff;
mod history;
mod sides;

use std::collections::HashSet;
use std::fmt;

use crate::finding::Finding;
use crate::layout::classes;
use crate::model::Spec;
use crate::rules::{Rule, Severity};

pub use diff::diff;
pub use sides::{sides, Negotiation, SidesReport};

use compare::View;

/// Two specs that are not two views of one ABI.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompatError {
    /// The first spec's ABI name.
    pub first: String,
    /// The second spec's ABI name.
    pub second: String,
}

impl fmt::Display for CompatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "one file describes the ABI `{}` and the other `{}`: only two views of one ABI can be compared",
            self.first, self.second
        )
    }
}

impl std::error::Error for CompatError {}

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
pub fn history(spec: &Spec) -> Vec<Finding> {
    history_with(spec, true)
}

/// [`history`] without the info findings, which a large history has many
/// of: what `check` reports.
pub fn history_notable(spec: &Spec) -> Vec<Finding> {
    history_with(spec, false)
}

fn history_with(spec: &Spec, info: bool) -> Vec<Finding> {
    let classes = classes(&spec.abi.targets);
    let mut findings = history::history(spec, &classes, info);
    ungated(spec, &mut findings);
    dedupe(findings)
}

/// [`history`] (with `info`) computed the way its definition reads: every
/// pair of versions judged, in order, and deduplicated. Quadratic in
/// versions and keeping every version's layout: for tests, which hold the
/// fast algorithm to it.
#[doc(hidden)]
pub fn history_every_pair(spec: &Spec, info: bool) -> Vec<Finding> {
    let classes = classes(&spec.abi.targets);
    let versions: Vec<u32> = spec.versions().collect();
    let mut findings = Vec::new();
    for (j, &newer) in versions.iter().enumerate() {
        for &older in &versions[..j] {
            let context = format!("from version {older} to version {newer}");
            compare::compare(
                &View {
                    spec,
                    version: older,
                },
                &View {
                    spec,
                    version: newer,
                },
                compare::Scope {
                    classes: &classes,
                    context: &context,
                    info,
                },
                &mut findings,
            );
        }
    }
    ungated(spec, &mut findings);
    dedupe(findings)
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
