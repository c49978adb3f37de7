//! `abi-check changed`: every spec file a branch changes, diffed against
//! the merge base with the branch it goes into: what the GitHub Action
//! (`action.yml`) runs, and what a developer runs before pushing.
//!
//! A command rather than a shell loop over `diff --against-merge-base`:
//! code scanning accepts one SARIF run per tool and category in an upload,
//! so the findings of every spec must go into one run, which a shell
//! script could only do by editing JSON; and paths with any character in
//! them stay intact.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use abi_spec::finding::Finding;
use abi_spec::limits::MAX_SPEC_BYTES;
use serde_json::{json, Value};

use crate::cli::{ChangedArgs, FindingFormat};
use crate::commands::diff::{self, Comparison, OldSide};
use crate::git::{Blob, GitError, Repository};
use crate::output::{self, Failure, Outcome, EXIT_OK, EXIT_UNUSABLE};
use crate::render::report_markdown;

/// A spec that could not be diffed: its name and the failure.
pub struct Unusable {
    /// The spec, relative to the repository root.
    pub file: String,
    /// Why.
    pub failure: Failure,
}

/// Runs the command.
pub fn run(args: &ChangedArgs) -> Outcome {
    let git = |e: GitError| Failure::msg(e.to_string());
    let cwd = std::env::current_dir()
        .map_err(|e| Failure::msg(format!("cannot read the current directory: {e}")))?;
    let repo = Repository::at(&cwd).map_err(git)?;
    let base = match &args.base {
        Some(base) => base.clone(),
        None => match std::env::var("GITHUB_BASE_REF") {
            Ok(branch) if !branch.is_empty() => format!("origin/{branch}"),
            _ => {
                return Err(Failure::msg(
                    "no base: give --base REF (the branch the change goes into), or run in a pull request's GitHub Actions job, which sets GITHUB_BASE_REF",
                ))
            }
        },
    };
    let commit = repo.merge_base(&base).map_err(git)?;
    let label = repo.short(&commit);

    // Every spec as a path relative to the repository root: the name in
    // annotations, which GitHub places by that path.
    let mut specs = Vec::new();
    let mut deleted = Vec::new();
    if args.specs.is_empty() {
        for (path, was_deleted) in repo.changed_files(&commit, &args.paths).map_err(git)? {
            if was_deleted {
                if was_spec(&repo, &commit, &path) {
                    deleted.push(path);
                }
            } else if is_spec(&repo.root().join(&path)) {
                specs.push(path);
            }
        }
    } else {
        for spec in &args.specs {
            let (spec_repo, path) = Repository::containing(spec)
                .map_err(|e| Failure::msg(format!("{}: {e}", spec.display())))?;
            if spec_repo.root() != repo.root() {
                return Err(Failure::msg(format!(
                    "{} is in the repository at {}, not in {}",
                    spec.display(),
                    spec_repo.root().display(),
                    repo.root().display()
                )));
            }
            specs.push(PathBuf::from(path.path));
        }
    }
    specs.sort();
    specs.dedup();

    // From here on paths are relative to the root; the files to write are
    // where the user named them, relative to where the command runs.
    let sarif_path = args.sarif.as_ref().map(|p| cwd.join(p));
    let summary_path = args.summary.as_ref().map(|p| cwd.join(p));
    std::env::set_current_dir(repo.root())
        .map_err(|e| Failure::msg(format!("cannot enter {}: {e}", repo.root().display())))?;
    let mut comparisons = Vec::new();
    let mut unusable = Vec::new();
    for spec in &specs {
        let old = OldSide::Commit {
            repo: &repo,
            commit: &commit,
            label: &label,
        };
        match diff::compare(old, spec, args.strict_waivers) {
            Ok(c) => comparisons.push(c),
            Err(failure) => unusable.push(Unusable {
                file: spec.display().to_string(),
                failure,
            }),
        }
    }
    let codes: Vec<u8> = comparisons
        .iter()
        .map(|c| output::exit_code(&c.findings, args.deny))
        .collect();
    let code = if unusable.is_empty() {
        codes.iter().copied().max().unwrap_or(EXIT_OK)
    } else {
        EXIT_UNUSABLE
    };
    let all: Vec<Finding> = comparisons
        .iter()
        .flat_map(|c| c.findings.iter().cloned())
        .collect();
    let deleted: Vec<String> = deleted.iter().map(|p| p.display().to_string()).collect();
    let report = Report {
        base: &base,
        label: &label,
        comparisons: &comparisons,
        codes: &codes,
        unusable: &unusable,
        deleted: &deleted,
        findings: &all,
        code,
    };

    if let Some(path) = &sarif_path {
        let sarif = crate::sarif::log(&all, args.deny);
        let text = serde_json::to_string_pretty(&sarif).unwrap_or_default();
        // Written as -o writes (never half a file), and never over a spec.
        let inputs: Vec<PathBuf> = specs.iter().map(|s| repo.root().join(s)).collect();
        let inputs: Vec<&Path> = inputs.iter().map(PathBuf::as_path).collect();
        crate::write::replace(path, format!("{text}\n").as_bytes(), &inputs)?;
    }
    if let Some(path) = &summary_path {
        let markdown = report.markdown();
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .and_then(|mut f| f.write_all(markdown.as_bytes()))
            .map_err(|e| Failure::msg(format!("cannot append to {}: {e}", path.display())))?;
    }
    match args.format {
        FindingFormat::Text => report.text(),
        FindingFormat::Json => output::print(&format!(
            "{}\n",
            serde_json::to_string_pretty(&report.json()).unwrap_or_default()
        )),
        FindingFormat::Github => output::print(&report.github()),
        FindingFormat::Sarif => output::print(&format!(
            "{}\n",
            serde_json::to_string_pretty(&crate::sarif::log(&all, args.deny)).unwrap_or_default()
        )),
        FindingFormat::Markdown => output::print(&report.markdown()),
    }
    Ok(code)
}

/// True when a file in the work tree looks like a spec: a TOML document
/// with an `[abi]` table. A file that is not even TOML counts when a line
/// opens `[abi]`, so a spec that the change broke is diffed (and reported
/// as unusable), not skipped.
fn is_spec(path: &Path) -> bool {
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() && m.len() <= MAX_SPEC_BYTES => {}
        Ok(m) => return m.is_file(),
        Err(_) => return false,
    }
    std::fs::read_to_string(path).is_ok_and(|text| text_is_spec(&text))
}

/// Whether a deleted file was a spec at the merge base.
fn was_spec(repo: &Repository, commit: &str, path: &Path) -> bool {
    let repo_path = crate::git::RepoPath {
        path: path.as_os_str().to_owned(),
    };
    matches!(
        repo.read(commit, &repo_path, &path.display().to_string()),
        Ok(Blob::Text(text)) if text_is_spec(&text)
    )
}

fn text_is_spec(text: &str) -> bool {
    match text.parse::<toml::Table>() {
        Ok(table) => table.get("abi").is_some_and(toml::Value::is_table),
        Err(_) => text.lines().any(|line| {
            let squeezed: String = line.chars().filter(|c| !c.is_whitespace()).collect();
            squeezed == "[abi]" || squeezed.starts_with("[abi]#")
        }),
    }
}

/// Everything one run found.
struct Report<'a> {
    base: &'a str,
    label: &'a str,
    comparisons: &'a [Comparison],
    codes: &'a [u8],
    unusable: &'a [Unusable],
    deleted: &'a [String],
    findings: &'a [Finding],
    code: u8,
}

/// One line of a failure: the file, the line and column where there is
/// one, the message.
type FailureLine = (String, Option<(usize, usize)>, String);

/// A failure as lines, for annotations and the summary: one per spec
/// error, or one for a message.
fn failure_lines(u: &Unusable) -> Vec<FailureLine> {
    match &u.failure {
        Failure::Spec(e) => e
            .diagnostics
            .iter()
            .map(|d| {
                let place = d.span.map(|s| {
                    let l = e.source.location(s.start);
                    (l.line, l.column)
                });
                (e.source.name().to_string(), place, d.message.clone())
            })
            .collect(),
        Failure::Message(m) => vec![(u.file.clone(), None, m.clone())],
        Failure::File { path, message } => {
            vec![(path.display().to_string(), None, message.clone())]
        }
    }
}

impl Report<'_> {
    fn headline(&self) -> String {
        let n = self.comparisons.len() + self.unusable.len();
        format!(
            "{n} spec file{} changed since {} (merge base {})",
            if n == 1 { "" } else { "s" },
            self.base,
            self.label
        )
    }

    fn text(&self) {
        let color = output::stdout_color();
        let mut out = String::new();
        for c in self.comparisons {
            for f in &c.findings {
                out.push_str(&output::finding_text(f, color));
            }
            out.push_str(&c.summary());
            out.push_str("\n\n");
        }
        for f in self.deleted {
            out.push_str(&format!(
                "warning: {f} was a spec file at {} and is deleted\n\n",
                self.label
            ));
        }
        out.push_str(&self.headline());
        out.push('\n');
        output::print(&out);
        for u in self.unusable {
            u.failure.report();
        }
    }

    fn json(&self) -> Value {
        let specs: Vec<Value> = self
            .comparisons
            .iter()
            .zip(self.codes)
            .map(|(c, code)| {
                let mut v = c.json();
                v["compatible"] = Value::Bool(*code == EXIT_OK);
                v["findings"] = c.findings.iter().map(output::finding_json).collect();
                v
            })
            .collect();
        let errors: Vec<Value> = self
            .unusable
            .iter()
            .flat_map(failure_lines)
            .map(|(file, place, message)| {
                json!({
                    "file": file,
                    "line": place.map(|p| p.0),
                    "column": place.map(|p| p.1),
                    "message": message,
                })
            })
            .collect();
        json!({
            "compatible": self.code == EXIT_OK,
            "base": self.base,
            "merge_base": self.label,
            "specs": specs,
            "deleted": self.deleted,
            "errors": errors,
        })
    }

    fn github(&self) -> String {
        let mut out = output::github_lines(self.findings);
        for u in self.unusable {
            for (file, place, message) in failure_lines(u) {
                let mut props = vec![format!("file={}", escape_property(&file))];
                if let Some((line, column)) = place {
                    props.push(format!("line={line}"));
                    props.push(format!("col={column}"));
                }
                props.push("title=abi-check".to_string());
                out.push_str(&format!(
                    "::error {}::{}\n",
                    props.join(","),
                    escape_data(&message)
                ));
            }
        }
        for f in self.deleted {
            out.push_str(&format!(
                "::warning file={},title=abi-check::{}\n",
                escape_property(f),
                escape_data(&format!(
                    "{f} was a spec file at {} and is deleted: binaries built against it still speak its ABI",
                    self.label
                ))
            ));
        }
        out.push_str(&format!(
            "::notice title=abi-check::{}\n",
            escape_data(&format!(
                "{}: {}",
                self.headline(),
                output::tally(self.findings)
            ))
        ));
        out
    }

    fn markdown(&self) -> String {
        use report_markdown::{escape, Align};
        let rows: Vec<Vec<String>> = self
            .comparisons
            .iter()
            .zip(self.codes)
            .map(|(c, code)| {
                let old = match c.old_version {
                    Some(v) => format!("version {v}"),
                    None => "absent (new ABI)".to_string(),
                };
                let mut row = vec![
                    escape(&c.new_name),
                    old,
                    format!("version {}", c.new.abi.version),
                    report_markdown::verdict(*code).to_string(),
                ];
                row.extend(report_markdown::counts(&c.findings));
                row
            })
            .chain(self.unusable.iter().map(|u| {
                let mut row = vec![
                    escape(&u.file),
                    String::new(),
                    String::new(),
                    report_markdown::verdict(EXIT_UNUSABLE).to_string(),
                ];
                row.extend(std::iter::repeat_n(String::new(), 5));
                row
            }))
            .collect();
        let mut out = format!("### abi-check: {}\n\n", escape(&self.headline()));
        if rows.is_empty() {
            out.push_str("No spec file changed.\n");
        } else {
            out.push_str(&report_markdown::table(
                &report_markdown::counts_header(&[
                    ("spec", Align::Left),
                    ("base", Align::Left),
                    ("branch", Align::Left),
                    ("verdict", Align::Left),
                ]),
                &rows,
            ));
        }
        if !self.unusable.is_empty() {
            out.push_str("\n#### Unusable input\n\n");
            for u in self.unusable {
                for (file, place, message) in failure_lines(u) {
                    let place = match place {
                        Some((line, column)) => format!("{file}:{line}:{column}"),
                        None => file,
                    };
                    out.push_str(&format!("- {}: {}\n", escape(&place), escape(&message)));
                }
            }
        }
        if !self.deleted.is_empty() {
            out.push_str("\n#### Deleted spec files\n\n");
            for f in self.deleted {
                out.push_str(&format!("- {}\n", escape(f)));
            }
        }
        if !rows.is_empty() {
            out.push_str("\n#### Findings\n\n");
            out.push_str(&report_markdown::findings_table(self.findings));
        }
        out.push('\n');
        out
    }
}

/// Escapes a workflow command's property value.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// Escapes a workflow command's message.
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}
