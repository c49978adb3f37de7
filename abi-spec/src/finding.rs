//! Findings: what a check says about a spec or a pair of specs, each naming
//! one rule, and the waivers that accept some of them on purpose.

use std::sync::Arc;

use crate::model::{Date, Spec, Waiver};
use crate::rules::{Rule, Severity};
use crate::source::{Location, Source, Span};
use crate::target::Target;

/// The place in a spec file a finding points at.
#[derive(Clone, Debug)]
pub struct Origin {
    /// The file.
    pub source: Arc<Source>,
    /// The place.
    pub span: Span,
}

/// One finding.
#[derive(Clone, Debug)]
pub struct Finding {
    /// The rule.
    pub rule: Rule,
    /// Its severity (the rule's, unless a check says otherwise).
    pub severity: Severity,
    /// The struct concerned.
    pub struct_name: Option<String>,
    /// The field concerned.
    pub field: Option<String>,
    /// The feature concerned.
    pub feature: Option<String>,
    /// The value of a flag set concerned, as C names it (`CLONE_VM`).
    pub flag: Option<String>,
    /// The targets where it holds; empty when it holds on every target of
    /// the spec or does not depend on the target.
    pub targets: Vec<Target>,
    /// What is wrong, in one sentence.
    pub message: String,
    /// How to fix it.
    pub help: Option<String>,
    /// Where.
    pub origin: Option<Origin>,
    /// The reason of the waiver that accepts it, if one does.
    pub waived: Option<String>,
}

impl Finding {
    /// A finding of `rule` at its default severity.
    pub fn new(rule: Rule, message: impl Into<String>) -> Finding {
        Finding {
            rule,
            severity: rule.severity(),
            struct_name: None,
            field: None,
            feature: None,
            flag: None,
            targets: Vec::new(),
            message: message.into(),
            help: None,
            origin: None,
            waived: None,
        }
    }

    /// Sets the struct.
    pub fn on_struct(mut self, name: &str) -> Finding {
        self.struct_name = Some(name.to_string());
        self
    }

    /// Sets the field.
    pub fn on_field(mut self, name: &str) -> Finding {
        self.field = Some(name.to_string());
        self
    }

    /// Sets the feature.
    pub fn on_feature(mut self, name: &str) -> Finding {
        self.feature = Some(name.to_string());
        self
    }

    /// What makes two findings of one rule the same fault: the struct,
    /// field and feature they concern. The same fault seen from several
    /// version pairs is reported once.
    pub fn subject(&self) -> (Rule, Option<&str>, Option<&str>, Option<&str>) {
        (
            self.rule,
            self.struct_name.as_deref(),
            self.field.as_deref(),
            self.feature.as_deref().or(self.flag.as_deref()),
        )
    }

    /// Sets the flag value (its C name).
    pub fn on_flag(mut self, name: &str) -> Finding {
        self.flag = Some(name.to_string());
        self
    }

    /// Sets the targets.
    pub fn on_targets(mut self, targets: Vec<Target>) -> Finding {
        self.targets = targets;
        self
    }

    /// Points at a place in `spec`.
    pub fn at(mut self, spec: &Spec, span: Span) -> Finding {
        self.origin = Some(Origin {
            source: spec.source.clone(),
            span,
        });
        self
    }

    /// Sets the help line.
    pub fn with_help(mut self, help: impl Into<String>) -> Finding {
        self.help = Some(help.into());
        self
    }

    /// File, line and column, when the finding has a place.
    pub fn location(&self) -> Option<Location> {
        self.origin
            .as_ref()
            .map(|o| o.source.location(o.span.start))
    }

    /// True when the finding counts: not waived and at `breaking` level.
    pub fn is_breaking(&self) -> bool {
        self.waived.is_none() && self.severity == Severity::Breaking
    }
}

/// True when `waiver` covers `finding`, expiry aside: matching rule and,
/// where the waiver names them, struct, field and target.
fn covers(waiver: &Waiver, finding: &Finding, spec: &Spec) -> bool {
    finding.rule.waivable()
        && waiver.rule == finding.rule.id()
        && waiver
            .struct_name
            .as_ref()
            .is_none_or(|s| finding.struct_name.as_ref() == Some(s))
        && waiver
            .field
            .as_ref()
            .is_none_or(|f| finding.field.as_ref() == Some(f))
        // A finding without targets holds on every target of the spec: a
        // waiver for one target covers it only when that is the spec's
        // only target.
        && waiver.target.is_none_or(|t| {
            finding.targets.contains(&t)
                || (finding.targets.is_empty() && spec.abi.targets == [t])
        })
}

/// True when `waiver` has expired on `today`: it applies up to and
/// including its `expires` date.
fn expired(waiver: &Waiver, today: Date) -> bool {
    waiver.expires.is_some_and(|e| today > e)
}

/// Marks the findings that a waiver of `spec` accepts (matching rule and,
/// where the waiver names them, struct, field and target; not expired on
/// `today`). Findings of unwaivable rules are never marked.
pub fn apply_waivers(findings: &mut [Finding], spec: &Spec, today: Date) {
    for finding in findings.iter_mut() {
        if finding.waived.is_some() {
            continue;
        }
        let waiver = spec
            .waivers
            .iter()
            .find(|w| !expired(w, today) && covers(w, finding, spec));
        if let Some(w) = waiver {
            finding.waived = Some(w.reason.clone());
        }
    }
}

/// The command whose findings a spec's waivers are judged against.
///
/// One `[[waiver]]` list serves every command, and no command sees every
/// finding: `check` has no OLD to diff against, `diff` reports only what a
/// change adds. So a run judges a waiver as unused only when it sees every
/// finding its rule can have on that spec ([`Run::judges`]), and a waiver
/// that any finding of the run matches is used. Expiry is judged by every
/// run: an expired waiver stops applying everywhere.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Run {
    /// `check`: one spec, its lints and the history of its versions.
    Check,
    /// `diff`: NEW's waivers, against what the change adds and NEW's own
    /// lints and history.
    Diff,
    /// `compat`: the C library's waivers, against the disagreements of the
    /// two sides and the library spec's own lints and history.
    Compat,
    /// `verify`: the spec's waivers, against the binaries and the spec's own
    /// lints and history.
    Verify,
}

/// Where every finding of a rule comes from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Home {
    /// One spec alone: its lints and the judgement of its history as a
    /// whole, which every run can compute.
    Spec,
    /// Two specs, a kernel's and a C library's: `compat` alone.
    Sides,
    /// Comparisons, which one spec's history, `diff`, `compat` and
    /// `verify` all make: only `diff` sees them for a change, and so
    /// judges them (`compat` and `verify` count them as used when they
    /// match, and never call them unused).
    Comparison,
    /// The rules about waivers themselves, which no waiver names.
    Waivers,
}

fn home(rule: Rule) -> Home {
    match rule {
        Rule::IMPLICIT_PADDING
        | Rule::NON_PORTABLE_TYPE
        | Rule::TARGET_LAYOUT_DIVERGES
        | Rule::EXTENSION_BIT_ASSIGNED
        | Rule::FIELD_UNGATED => Home::Spec,
        Rule::SIDES_DISAGREE => Home::Sides,
        Rule::WAIVER_UNUSED | Rule::WAIVER_EXPIRED => Home::Waivers,
        _ => Home::Comparison,
    }
}

impl Run {
    /// True when this run sees every finding `rule` can have on the spec
    /// whose waivers it applies, and so can tell that a waiver of it
    /// matches nothing.
    pub fn judges(self, rule: Rule) -> bool {
        match home(rule) {
            Home::Spec => true,
            Home::Sides => self == Run::Compat,
            Home::Comparison => self == Run::Diff,
            Home::Waivers => false,
        }
    }
}

/// How a waiver is named in messages: its rule and, where it names them,
/// struct, field and target.
fn waiver_name(w: &Waiver) -> String {
    let mut name = format!("waiver of {}", w.rule);
    match (&w.struct_name, &w.field) {
        (Some(s), Some(f)) => name.push_str(&format!(" on `{s}.{f}`")),
        (Some(s), None) => name.push_str(&format!(" on `{s}`")),
        _ => {}
    }
    if let Some(t) = w.target {
        name.push_str(&format!(" for {t}"));
    }
    name
}

/// The findings about the waivers of `spec` in one run whose findings
/// (waivers applied) are `findings`: WAIVER_EXPIRED for each waiver whose
/// date has passed, WAIVER_UNUSED for each other waiver that `run` judges
/// ([`Run::judges`]) and that no finding matches. `spec_findings` gives
/// the spec's own findings (its lints and its history) when `findings`
/// may lack them; it is called only when some waiver matched none of
/// `findings`. With `strict` (`--strict-waivers`), both are `breaking`.
pub fn judge_waivers(
    findings: &[Finding],
    spec: &Spec,
    today: Date,
    run: Run,
    strict: bool,
    spec_findings: impl FnOnce() -> Vec<Finding>,
) -> Vec<Finding> {
    let mut used: Vec<bool> = spec
        .waivers
        .iter()
        .map(|w| findings.iter().any(|f| covers(w, f, spec)))
        .collect();
    let judged = |w: &Waiver| Rule::from_id(&w.rule).is_some_and(|r| run.judges(r));
    if spec
        .waivers
        .iter()
        .zip(&used)
        .any(|(w, &u)| !u && judged(w))
    {
        let more = spec_findings();
        for (w, u) in spec.waivers.iter().zip(used.iter_mut()) {
            *u = *u || more.iter().any(|f| covers(w, f, spec));
        }
    }
    let mut out = Vec::new();
    for (w, used) in spec.waivers.iter().zip(used) {
        let finding = if let Some(date) = w.expires.filter(|_| expired(w, today)) {
            let covered = findings.iter().filter(|f| covers(w, f, spec)).count();
            let (consequence, help) = match covered {
                0 if judged(w) && !used => (
                    "it matches no finding either".to_string(),
                    "delete the [[waiver]]: what it accepted is gone",
                ),
                0 => (
                    "it no longer applies".to_string(),
                    "fix what it accepted, or, if that is still accepted on purpose, set a later `expires`",
                ),
                1 => (
                    "the finding it accepted is reported again".to_string(),
                    "fix what it accepted, or, if that is still accepted on purpose, set a later `expires`",
                ),
                n => (
                    format!("the {n} findings it accepted are reported again"),
                    "fix what it accepted, or, if that is still accepted on purpose, set a later `expires`",
                ),
            };
            Finding::new(
                Rule::WAIVER_EXPIRED,
                format!("the {} expired on {date}: {consequence}", waiver_name(w)),
            )
            .with_help(help)
        } else if !used && judged(w) {
            Finding::new(
                Rule::WAIVER_UNUSED,
                format!("the {} matches no finding", waiver_name(w)),
            )
            .with_help(
                "delete the [[waiver]]: what it accepted is gone, or it never matched (check its struct, field and target)",
            )
        } else {
            continue;
        };
        let mut finding = finding.at(spec, w.span);
        finding.struct_name = w.struct_name.clone();
        finding.field = w.field.clone();
        finding.targets = w.target.into_iter().collect();
        if strict {
            finding.severity = Severity::Breaking;
        }
        out.push(finding);
    }
    out
}

/// Puts findings in the one order every output uses: by severity, then
/// file and place, then rule and message.
pub fn sort(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        let key = |f: &Finding| {
            (
                f.severity,
                f.origin.as_ref().map(|o| o.source.name().to_string()),
                f.origin.as_ref().map(|o| o.span.start),
                f.rule,
            )
        };
        key(a).cmp(&key(b)).then_with(|| a.message.cmp(&b.message))
    });
}
