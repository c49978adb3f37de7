//! The verdict of every command on one change, OLD to NEW: what `diff`,
//! `compat` (OLD as the kernel's spec, NEW as the library's) and the
//! simulated matrix (both ways round) say, as `abi-check` computes them.
//! The fixtures under `tests/fixtures/verdicts/` and the property test
//! `tests/one_verdict.rs` hold the commands to one verdict.

use std::collections::BTreeSet;

use abi_spec::finding::apply_waivers;
use abi_spec::model::Date;
use abi_spec::runtime::simulate::{matrix, LibcAnnounces, Matrix};
use abi_spec::{compat, Finding, Rule, Severity, Spec};

/// What `diff` calls a change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum DiffVerdict {
    /// A breaking finding: exit 1.
    Breaking,
    /// Renames only: exit 0 unless `--deny api`.
    Api,
    /// Nothing worse than a warning.
    Compatible,
}

impl DiffVerdict {
    /// The spelling in `expect.toml`.
    pub fn name(self) -> &'static str {
        match self {
            DiffVerdict::Breaking => "breaking",
            DiffVerdict::Api => "api",
            DiffVerdict::Compatible => "compatible",
        }
    }
}

/// Every command's verdict on one change.
#[derive(Debug)]
pub struct Verdicts {
    /// `diff OLD NEW`.
    pub diff: DiffVerdict,
    /// The rules of `diff`'s breaking and api findings.
    pub diff_rules: BTreeSet<Rule>,
    /// Every finding of `diff`, waivers of NEW applied.
    pub diff_findings: Vec<Finding>,
    /// `compat OLD NEW` passes (no breaking finding).
    pub compat_ok: bool,
    /// The breaking findings of `compat`.
    pub compat_findings: Vec<Finding>,
    /// `matrix`, OLD as the kernel's spec and NEW as the library's.
    pub old_kernel: Matrix,
    /// `matrix`, NEW as the kernel's spec and OLD as the library's.
    pub new_kernel: Matrix,
    /// Both again, with the library announcing its `sizeof` (glibc 2.35 to
    /// 2.39 for rseq) instead of its feature size.
    pub announcing_sizeof: [Matrix; 2],
}

impl Verdicts {
    /// True when every simulation passes, in both directions and both ways
    /// of announcing a length.
    pub fn simulated_ok(&self) -> bool {
        [&self.old_kernel, &self.new_kernel]
            .into_iter()
            .chain(&self.announcing_sizeof)
            .all(Matrix::pass)
    }

    /// The first failure of any simulation, for messages.
    pub fn any_failure(&self) -> Option<String> {
        [&self.old_kernel, &self.new_kernel]
            .into_iter()
            .chain(&self.announcing_sizeof)
            .find_map(Verdicts::first_failure)
    }
}

impl Verdicts {
    /// The first failing cell of a matrix, for messages.
    pub fn first_failure(m: &Matrix) -> Option<String> {
        m.cells()
            .find(|(_, _, c)| !c.pass())
            .map(|(group, target, c)| {
                format!(
                    "{} on {} (kernel {}, library {}): {}",
                    group.struct_name,
                    target,
                    c.kernel,
                    c.libc,
                    c.problems.join("; ")
                )
            })
    }
}

/// Runs every command on OLD -> NEW.
pub fn verdicts(old: &Spec, new: &Spec) -> Verdicts {
    let mut diff_findings = compat::diff(old, new);
    apply_waivers(&mut diff_findings, new, Date::today());
    let counted = |f: &&Finding| f.waived.is_none();
    let diff = if diff_findings
        .iter()
        .filter(counted)
        .any(|f| f.severity == Severity::Breaking)
    {
        DiffVerdict::Breaking
    } else if diff_findings
        .iter()
        .filter(counted)
        .any(|f| f.severity == Severity::Api)
    {
        DiffVerdict::Api
    } else {
        DiffVerdict::Compatible
    };
    let diff_rules = diff_findings
        .iter()
        .filter(counted)
        .filter(|f| matches!(f.severity, Severity::Breaking | Severity::Api))
        .map(|f| f.rule)
        .collect();
    let mut compat_findings = compat::sides(old, new)
        .expect("two views of one ABI")
        .findings;
    apply_waivers(&mut compat_findings, new, Date::today());
    compat_findings.retain(Finding::is_breaking);
    Verdicts {
        diff,
        diff_rules,
        diff_findings,
        compat_ok: compat_findings.is_empty(),
        compat_findings,
        old_kernel: matrix(old, new, LibcAnnounces::FeatureSize).expect("matrix"),
        new_kernel: matrix(new, old, LibcAnnounces::FeatureSize).expect("matrix"),
        announcing_sizeof: [
            matrix(old, new, LibcAnnounces::Size).expect("matrix"),
            matrix(new, old, LibcAnnounces::Size).expect("matrix"),
        ],
    }
}
