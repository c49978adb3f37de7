//! `abi-check diff OLD NEW`: classify every change from OLD (the merge base)
//! to NEW (the branch). The CI layout-diff tool. With `--against REV` or
//! `--against-merge-base REF`, OLD is the spec as git has it at that
//! revision, named `REV:path` in every message so locations make sense.

use std::path::{Path, PathBuf};

use abi_spec::finding::{Finding, Run};
use abi_spec::rules::Rule;
use abi_spec::{compat, lint, Spec};
use serde_json::{json, Value};

use crate::cli::{DiffArgs, DEFAULT_SPEC};
use crate::git::{Blob, RepoPath, Repository};
use crate::output::{self, Failure, Outcome};

/// Where OLD comes from.
pub enum OldSide<'a> {
    /// A file.
    File(&'a Path),
    /// NEW's path at a revision.
    Revision(&'a str),
    /// NEW's path at the merge base of a revision and HEAD.
    MergeBase(&'a str),
    /// NEW's path at a commit already resolved, named `label` in messages.
    Commit {
        /// The repository.
        repo: &'a Repository,
        /// The full object ID.
        commit: &'a str,
        /// How messages name it.
        label: &'a str,
    },
}

/// What one diff compared and found.
pub struct Comparison {
    /// How OLD is named in messages: its path, or `REV:path`.
    pub old_name: String,
    /// OLD's version; `None` when the revision has no such file (a new ABI).
    pub old_version: Option<u32>,
    /// How NEW is named in messages.
    pub new_name: String,
    /// NEW.
    pub new: Spec,
    /// Every finding, waivers applied, in output order.
    pub findings: Vec<Finding>,
}

impl Comparison {
    /// The closing line of the text format.
    pub fn summary(&self) -> String {
        match self.old_version {
            Some(v) => format!(
                "{} (version {v}) -> {} (version {}): {}",
                output::shown_path(Path::new(&self.old_name)),
                output::shown_path(Path::new(&self.new_name)),
                self.new.abi.version,
                output::tally(&self.findings)
            ),
            None => format!(
                "{} does not exist: {} ({} version {}) is a new ABI: {}",
                output::shown_path(Path::new(&self.old_name)),
                output::shown_path(Path::new(&self.new_name)),
                self.new.abi.name,
                self.new.abi.version,
                output::tally(&self.findings)
            ),
        }
    }

    /// The keys `diff --format json` adds to the findings.
    pub fn json(&self) -> Value {
        let mut old = json!({"file": self.old_name, "version": self.old_version});
        if self.old_version.is_none() {
            old["absent"] = Value::Bool(true);
        }
        json!({
            "abi": self.new.abi.name,
            "old": old,
            "new": {"file": self.new_name, "version": self.new.abi.version},
        })
    }
}

/// Compares OLD, wherever it comes from, with the spec file `new`.
/// With `strict_waivers`, waivers that match nothing or have expired are
/// breaking findings.
pub fn compare(
    base: OldSide<'_>,
    new_path: &Path,
    strict_waivers: bool,
) -> Result<Comparison, Failure> {
    let new = output::load_spec(new_path)?;
    let new_name = new_path.display().to_string();
    let git_failure = |e: crate::git::GitError| Failure::msg(format!("{new_name}: {e}"));
    let (old, old_name) = match base {
        OldSide::File(path) => (Some(output::load_spec(path)?), path.display().to_string()),
        OldSide::Commit {
            repo,
            commit,
            label,
        } => {
            let (_, path) = Repository::containing(new_path).map_err(git_failure)?;
            read_at(repo, commit, label, &path)?
        }
        OldSide::Revision(rev) | OldSide::MergeBase(rev) => {
            let (repo, path) = Repository::containing(new_path).map_err(git_failure)?;
            let (commit, label) = match base {
                OldSide::MergeBase(_) => {
                    let commit = repo.merge_base(rev).map_err(git_failure)?;
                    let label = repo.short(&commit);
                    (commit, label)
                }
                _ => (repo.commit(rev).map_err(git_failure)?, rev.to_string()),
            };
            read_at(&repo, &commit, &label, &path)?
        }
    };
    let findings = match &old {
        Some(old) => compat::diff(old, &new),
        None => new_abi(&new),
    };
    let mut comparison = Comparison {
        old_name,
        old_version: old.as_ref().map(|o| o.abi.version),
        new_name,
        new,
        findings,
    };
    // The branch's authors accept findings on purpose: waivers come from NEW.
    output::settle(
        &mut comparison.findings,
        &comparison.new,
        Run::Diff,
        strict_waivers,
    );
    Ok(comparison)
}

/// The spec at `path` in `commit`, named `label:path`; `None` when the
/// commit has no such file.
pub fn read_at(
    repo: &Repository,
    commit: &str,
    label: &str,
    path: &RepoPath,
) -> Result<(Option<Spec>, String), Failure> {
    let name = format!("{label}:{}", path.display());
    match repo
        .read(commit, path, &name)
        .map_err(|e| Failure::msg(e.to_string()))?
    {
        Blob::Absent => Ok((None, name)),
        Blob::Text(text) => Ok((Some(abi_spec::parse(&name, &text)?), name)),
    }
}

/// The findings of a spec that did not exist before: every struct is new
/// (STRUCT_ADDED), and what `check` reports about the file itself, since
/// nothing older carried it.
fn new_abi(new: &Spec) -> Vec<Finding> {
    let mut findings: Vec<Finding> = new
        .structs
        .iter()
        .map(|s| {
            Finding::new(Rule::STRUCT_ADDED, format!("struct `{}` was added", s.name))
                .on_struct(&s.name)
                .at(new, s.name_span)
        })
        .collect();
    findings.extend(lint::lint(new));
    findings.extend(
        compat::history_notable(new)
            .into_iter()
            .filter(compat::is_notable),
    );
    findings
}

/// Runs the command.
pub fn run(args: &DiffArgs) -> Outcome {
    let (base, new): (OldSide<'_>, PathBuf) = match (&args.against, &args.against_merge_base) {
        (Some(rev), _) => (OldSide::Revision(rev), spec_or_default(args)),
        (None, Some(rev)) => (OldSide::MergeBase(rev), spec_or_default(args)),
        (None, None) => match (&args.old, &args.new) {
            (Some(old), Some(new)) => (OldSide::File(old), new.clone()),
            _ => return Err(Failure::msg("diff needs OLD and NEW, or --against REV")),
        },
    };
    let comparison = compare(base, &new, args.strict_waivers)?;
    output::report_findings(
        &comparison.findings,
        args.format,
        args.deny,
        &comparison.summary(),
        comparison.json(),
    )
}

/// With `--against`, the one positional argument is the spec in the work tree.
fn spec_or_default(args: &DiffArgs) -> PathBuf {
    args.old
        .clone()
        .unwrap_or_else(|| PathBuf::from(DEFAULT_SPEC))
}
