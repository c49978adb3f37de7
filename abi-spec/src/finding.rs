//! Findings: what a check says about a spec or a pair of specs, each naming
//! one rule, and the waivers that accept some of them on purpose.

use std::sync::Arc;

use crate::model::{Date, Spec};
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
            self.feature.as_deref(),
        )
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

/// Marks the findings that a waiver of `spec` accepts (matching rule and,
/// where the waiver names them, struct, field and target; not expired on
/// `today`). Findings of unwaivable rules are never marked.
pub fn apply_waivers(findings: &mut [Finding], spec: &Spec, today: Date) {
    for finding in findings.iter_mut() {
        if !finding.rule.waivable() || finding.waived.is_some() {
            continue;
        }
        let waiver = spec.waivers.iter().find(|w| {
            w.rule == finding.rule.id()
                && w.expires.is_none_or(|e| today <= e)
                && w.struct_name
                    .as_ref()
                    .is_none_or(|s| finding.struct_name.as_ref() == Some(s))
                && w.field
                    .as_ref()
                    .is_none_or(|f| finding.field.as_ref() == Some(f))
                // A finding without targets holds on every target of the
                // spec: a waiver for one target covers it only when that is
                // the spec's only target.
                && w.target.is_none_or(|t| {
                    finding.targets.contains(&t)
                        || (finding.targets.is_empty() && spec.abi.targets == [t])
                })
        });
        if let Some(w) = waiver {
            finding.waived = Some(w.reason.clone());
        }
    }
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
