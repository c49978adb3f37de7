//! The GitHub Action (`action.yml`), run here as the runner would run it,
//! since GitHub cannot be reached: its YAML is parsed and checked (a
//! composite action whose steps name files that exist), then its steps run
//! with bash as the runner starts them (`bash --noprofile --norc -eo
//! pipefail FILE`), with the runner's environment (`GITHUB_WORKSPACE`,
//! `GITHUB_BASE_REF`, `GITHUB_STEP_SUMMARY`, `GITHUB_OUTPUT`,
//! `GITHUB_PATH`, `GITHUB_ACTION_PATH`) and the `${{ }}` expressions of
//! each step evaluated, on a pull request's checkout: a clone with full
//! history, a base branch and a pull-request branch.

mod gitrepo;
mod mdparse;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use gitrepo::{commit_file, git, init, isolate, temp, V1, V2, V2_RETYPED};
use serde_json::Value;
use yaml_rust2::{Yaml, YamlLoader};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .expect("the workspace root")
}

fn action() -> Yaml {
    let text = std::fs::read_to_string(root().join("action.yml")).expect("action.yml");
    let mut docs = YamlLoader::load_from_str(&text).expect("action.yml is YAML");
    assert_eq!(docs.len(), 1, "one document");
    docs.remove(0)
}

fn steps(action: &Yaml) -> &Vec<Yaml> {
    action["runs"]["steps"].as_vec().expect("runs.steps")
}

fn step<'a>(action: &'a Yaml, id: &str) -> &'a Yaml {
    steps(action)
        .iter()
        .find(|s| s["id"].as_str() == Some(id))
        .unwrap_or_else(|| panic!("no step with id `{id}`"))
}

/// Every `${{ EXPR }}` in `text`, trimmed.
fn expressions(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${{") {
        let after = &rest[start + 3..];
        let end = after.find("}}").expect("an expression is closed");
        found.push(after[..end].trim().to_string());
        rest = &after[end + 2..];
    }
    found
}

#[test]
fn action_yml_is_a_composite_action_whose_steps_exist() {
    let action = action();
    for key in ["name", "description"] {
        assert!(action[key].as_str().is_some_and(|s| !s.is_empty()), "{key}");
    }
    assert_eq!(action["runs"]["using"].as_str(), Some("composite"));
    let inputs = action["inputs"].as_hash().expect("inputs");
    let declared: Vec<&str> = inputs.keys().filter_map(Yaml::as_str).collect();
    for name in ["paths", "specs", "base", "deny", "sarif"] {
        assert!(declared.contains(&name), "input {name}");
        assert!(
            action["inputs"][name]["description"].as_str().is_some(),
            "input {name} is described"
        );
    }
    assert_eq!(
        action["inputs"]["paths"]["default"].as_str(),
        Some("**/*.toml")
    );
    let mut ids = Vec::new();
    for s in steps(&action) {
        let name = s["name"].as_str().unwrap_or("?");
        if let Some(id) = s["id"].as_str() {
            ids.push(id.to_string());
        }
        match (s["run"].as_str(), s["uses"].as_str()) {
            (Some(run), None) => {
                // A composite step's run needs its shell.
                assert_eq!(s["shell"].as_str(), Some("bash"), "{name}");
                // Each script it names exists and is executable.
                let mut named = 0;
                for word in run.split('"') {
                    if let Some(rel) = word.strip_prefix("$GITHUB_ACTION_PATH/") {
                        let file = root().join(rel);
                        let mode = std::os::unix::fs::PermissionsExt::mode(
                            &std::fs::metadata(&file)
                                .unwrap_or_else(|e| panic!("{name}: {}: {e}", file.display()))
                                .permissions(),
                        );
                        assert!(mode & 0o111 != 0, "{} is executable", file.display());
                        let syntax = Command::new("bash").arg("-n").arg(&file).output();
                        assert!(syntax.expect("bash runs").status.success(), "{rel}");
                        named += 1;
                    }
                }
                assert!(
                    named > 0,
                    "{name}: the logic lives in a script of the repository"
                );
            }
            (None, Some(uses)) => {
                let (action_name, version) = uses.split_once('@').expect("pinned to a version");
                assert_eq!(action_name, "actions/cache", "{name}");
                assert!(version.starts_with('v'), "{uses}");
            }
            _ => panic!("step {name}: either run or uses"),
        }
        // Expressions name declared inputs and earlier steps.
        let mut all = Vec::new();
        collect_strings(s, &mut all);
        for e in all.iter().flat_map(|t| expressions(t)) {
            if let Some(input) = e.strip_prefix("inputs.") {
                assert!(declared.contains(&input), "{name}: {e}");
            } else if let Some(rest) = e.strip_prefix("steps.") {
                let id = rest.split('.').next().unwrap_or_default();
                assert!(ids.iter().any(|i| i == id), "{name}: {e} before step {id}");
            } else {
                assert!(
                    e.starts_with("github.") || e.starts_with("runner."),
                    "{name}: {e}"
                );
            }
        }
    }
    for (name, output) in action["outputs"].as_hash().expect("outputs") {
        let value = output["value"].as_str().expect("an output has a value");
        for e in expressions(value) {
            let id = e
                .strip_prefix("steps.")
                .and_then(|r| r.split('.').next())
                .expect("outputs come from steps");
            assert!(ids.iter().any(|i| i == id), "{name:?}: {e}");
        }
    }
}

fn collect_strings(y: &Yaml, out: &mut Vec<String>) {
    match y {
        Yaml::String(s) => out.push(s.clone()),
        Yaml::Array(a) => a.iter().for_each(|v| collect_strings(v, out)),
        Yaml::Hash(h) => h.values().for_each(|v| collect_strings(v, out)),
        _ => {}
    }
}

/// A runner, as far as this action needs one.
struct Runner {
    workspace: PathBuf,
    base_ref: Option<String>,
    temp: PathBuf,
    inputs: BTreeMap<String, String>,
    outputs: BTreeMap<String, BTreeMap<String, String>>,
    path: Vec<PathBuf>,
    summary: PathBuf,
}

impl Runner {
    fn new(workspace: &Path, temp: &Path, base_ref: Option<&str>) -> Runner {
        let action = action();
        let mut inputs = BTreeMap::new();
        for (name, input) in action["inputs"].as_hash().expect("inputs") {
            inputs.insert(
                name.as_str().expect("input name").to_string(),
                input["default"].as_str().unwrap_or_default().to_string(),
            );
        }
        Runner {
            workspace: workspace.to_path_buf(),
            base_ref: base_ref.map(str::to_string),
            temp: temp.to_path_buf(),
            inputs,
            outputs: BTreeMap::new(),
            path: Vec::new(),
            summary: temp.join("step_summary.md"),
        }
    }

    /// The value of one `${{ }}` expression.
    fn evaluate(&self, expression: &str) -> String {
        if let Some(input) = expression.strip_prefix("inputs.") {
            return self.inputs.get(input).cloned().unwrap_or_default();
        }
        if let Some(rest) = expression.strip_prefix("steps.") {
            let (id, output) = rest.split_once(".outputs.").expect("steps.ID.outputs.NAME");
            return self.outputs[id].get(output).cloned().unwrap_or_default();
        }
        match expression {
            "github.workspace" => self.workspace.display().to_string(),
            "github.base_ref" => self.base_ref.clone().unwrap_or_default(),
            other => panic!("the test runner does not know `{other}`"),
        }
    }

    fn substitute(&self, text: &str) -> String {
        let mut out = text.to_string();
        for e in expressions(text) {
            out = out.replacen(&format!("${{{{ {e} }}}}"), &self.evaluate(&e), 1);
        }
        out
    }

    /// Runs a `run` step as the runner does: the script in a file, bash
    /// with the runner's flags, the step's env, the runner's variables.
    fn run(&mut self, step: &Yaml, extra_env: &[(&str, &str)]) -> Output {
        let id = step["id"].as_str().unwrap_or("unnamed").to_string();
        let script = self.temp.join(format!("{id}.sh"));
        std::fs::write(&script, self.substitute(step["run"].as_str().expect("run")))
            .expect("script");
        let output_file = self.temp.join(format!("{id}.output"));
        let path_file = self.temp.join(format!("{id}.path"));
        for f in [&output_file, &path_file] {
            std::fs::write(f, "").expect("runner file");
        }
        let cwd = match step["working-directory"].as_str() {
            Some(dir) => PathBuf::from(self.substitute(dir)),
            None => self.workspace.clone(),
        };
        let mut command = Command::new("bash");
        command
            .args(["--noprofile", "--norc", "-eo", "pipefail"])
            .arg(&script)
            .current_dir(cwd);
        isolate(&mut command);
        let mut path = self.path.clone();
        path.extend(std::env::split_paths(
            &std::env::var_os("PATH").unwrap_or_default(),
        ));
        command
            .env("PATH", std::env::join_paths(path).expect("PATH"))
            .env("NO_COLOR", "1")
            .env("CI", "true")
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_ACTION_PATH", root())
            .env("GITHUB_WORKSPACE", &self.workspace)
            .env("GITHUB_EVENT_NAME", "pull_request")
            .env("GITHUB_OUTPUT", &output_file)
            .env("GITHUB_PATH", &path_file)
            .env("GITHUB_STEP_SUMMARY", &self.summary)
            .env("RUNNER_OS", "Linux")
            .env("RUNNER_ARCH", "X64")
            .env("RUNNER_TEMP", &self.temp)
            .env("RUNNER_TOOL_CACHE", self.temp.join("toolcache"))
            .env_remove("GITHUB_BASE_REF");
        if let Some(base) = &self.base_ref {
            command.env("GITHUB_BASE_REF", base);
        }
        if let Some(env) = step["env"].as_hash() {
            for (k, v) in env {
                let value = match v {
                    Yaml::String(s) => self.substitute(s),
                    other => panic!("env value {other:?}"),
                };
                command.env(k.as_str().expect("env name"), value);
            }
        }
        for (k, v) in extra_env {
            command.env(k, v);
        }
        let out = command.output().expect("bash runs");
        let outputs = std::fs::read_to_string(&output_file).expect("outputs");
        let map = self.outputs.entry(id).or_default();
        for line in outputs.lines() {
            let (k, v) = line.split_once('=').expect("NAME=VALUE");
            map.insert(k.to_string(), v.to_string());
        }
        let added = std::fs::read_to_string(&path_file).expect("path");
        self.path
            .extend(added.lines().rev().map(PathBuf::from).collect::<Vec<_>>());
        out
    }

    /// The install steps, with the build replaced by a cache hit: a
    /// restored install root holding the abi-check these tests built (the
    /// build itself is tests/install.rs's business).
    fn install(&mut self) {
        let action = action();
        let o = self.run(step(&action, "source"), &[]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let key = &self.outputs["source"]["key"];
        assert!(key.starts_with("abi-check-Linux-X64-"), "{key}");
        let root = PathBuf::from(&self.outputs["source"]["root"]);
        assert!(
            root.starts_with(self.temp.join("toolcache")),
            "{}",
            root.display()
        );
        // What actions/cache restores on a hit.
        std::fs::create_dir_all(root.join("bin")).expect("cache dir");
        std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_abi-check"), root.join("bin/abi-check"))
            .expect("restored binary");
        let install = steps(&action)
            .iter()
            .find(|s| s["name"].as_str() == Some("Install abi-check"))
            .expect("the install step");
        let o = self.run(install, &[]);
        let stdout = String::from_utf8_lossy(&o.stdout);
        assert!(
            o.status.success(),
            "{stdout}{}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(stdout.contains("restored from the cache"), "{stdout}");
        assert_eq!(self.path, [root.join("bin")]);
    }
}

/// A pull request's checkout: `origin` has `main` with two specs and a
/// Cargo.toml, and the pull-request branch `pr` changes them with `change`;
/// the workspace is a full clone on `pr`, as actions/checkout leaves it
/// with `fetch-depth: 0`.
fn pull_request(tmp: &Path, change: impl Fn(&Path)) -> PathBuf {
    let origin = tmp.join("origin");
    init(&origin);
    commit_file(&origin, "specs/demo.toml", V1, "demo v1");
    commit_file(&origin, "specs/kept.toml", V1, "kept");
    commit_file(&origin, "Cargo.toml", "[package]\nname = \"x\"\n", "cargo");
    git(&origin, &["switch", "-q", "-c", "pr"]);
    change(&origin);
    git(&origin, &["add", "-A"]);
    git(&origin, &["commit", "-q", "-m", "the pull request"]);
    git(&origin, &["switch", "-q", "main"]);
    commit_file(&origin, "README", "main moves on\n", "readme");
    let url = format!("file://{}", origin.display());
    git(tmp, &["clone", "-q", "--branch", "pr", &url, "workspace"]);
    tmp.join("workspace")
}

fn table_rows(summary: &str) -> Vec<Vec<String>> {
    let doc = mdparse::render(summary);
    assert!(doc.html.is_empty(), "{summary}");
    doc.table("spec").clone()
}

fn sarif(workspace: &Path) -> Value {
    let text = std::fs::read_to_string(workspace.join("abi-check.sarif")).expect("the SARIF file");
    serde_json::from_str(&text).expect("SARIF is JSON")
}

fn sarif_rules(v: &Value) -> Vec<(String, String)> {
    let runs = v["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 1, "one run, as code scanning wants");
    runs[0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| {
            (
                r["ruleId"].as_str().expect("ruleId").to_string(),
                r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            )
        })
        .collect()
}

#[test]
#[cfg_attr(no_git, ignore = "needs git")]
fn a_compatible_pull_request_passes_with_notices_summary_and_sarif() {
    let tmp = temp();
    let workspace = pull_request(tmp.path(), |repo| {
        std::fs::write(repo.join("specs/demo.toml"), V2).expect("grow");
        std::fs::write(repo.join("specs/new.toml"), V1).expect("a new ABI");
        std::fs::write(repo.join("Cargo.toml"), "[package]\nname = \"y\"\n").expect("cargo");
        std::fs::write(repo.join("notes.toml"), "title = \"not a spec\"\n").expect("toml");
    });
    let runner_temp = tmp.path().join("runner");
    std::fs::create_dir_all(&runner_temp).expect("runner temp");
    let mut runner = Runner::new(&workspace, &runner_temp, Some("main"));
    std::fs::write(&runner.summary, "# Earlier step\n\n").expect("summary");
    runner.install();
    let action = action();
    let o = runner.run(step(&action, "diff"), &[]);
    let stdout = String::from_utf8_lossy(&o.stdout).into_owned();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // Annotations: notices only, on the two specs the change touched.
    assert!(!stdout.contains("::error"), "{stdout}");
    assert!(
        stdout.contains("::notice file=specs/demo.toml,line=14,col=8,title=FIELD_ADDED::"),
        "{stdout}"
    );
    assert!(
        stdout.contains("::notice file=specs/new.toml,line=6,col=8,title=STRUCT_ADDED::"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("Cargo.toml") && !stdout.contains("kept.toml"),
        "{stdout}"
    );
    assert!(
        stdout.contains("2 spec files changed since origin/main"),
        "{stdout}"
    );
    // Outputs.
    assert_eq!(runner.outputs["diff"]["exit-code"], "0");
    assert_eq!(runner.outputs["diff"]["sarif"], "abi-check.sarif");
    // The job summary: appended, one row per spec.
    let summary = std::fs::read_to_string(&runner.summary).expect("summary");
    assert!(
        summary.starts_with("# Earlier step\n\n### abi-check: 2 spec files"),
        "{summary}"
    );
    let rows = table_rows(&summary);
    assert_eq!(
        rows[0],
        ["spec", "base", "branch", "verdict", "breaking", "api", "warnings", "info", "waived"]
    );
    assert_eq!(
        rows[1..],
        [
            [
                "specs/demo.toml",
                "version 1",
                "version 2",
                "✅ pass",
                "0",
                "0",
                "0",
                "1",
                "0"
            ],
            [
                "specs/new.toml",
                "absent (new ABI)",
                "version 1",
                "✅ pass",
                "0",
                "0",
                "0",
                "1",
                "0"
            ],
        ]
    );
    // SARIF: one run, every spec's results.
    let mut found = sarif_rules(&sarif(&workspace));
    found.sort();
    assert_eq!(
        found,
        [
            ("FIELD_ADDED".to_string(), "specs/demo.toml".to_string()),
            ("STRUCT_ADDED".to_string(), "specs/new.toml".to_string()),
        ]
    );
}

#[test]
#[cfg_attr(no_git, ignore = "needs git")]
fn a_breaking_pull_request_fails_with_errors_summary_and_sarif() {
    let tmp = temp();
    let workspace = pull_request(tmp.path(), |repo| {
        std::fs::write(repo.join("specs/demo.toml"), V2_RETYPED).expect("retype");
    });
    let runner_temp = tmp.path().join("runner");
    std::fs::create_dir_all(&runner_temp).expect("runner temp");
    let mut runner = Runner::new(&workspace, &runner_temp, Some("main"));
    runner.install();
    let action = action();
    let o = runner.run(step(&action, "diff"), &[]);
    let stdout = String::from_utf8_lossy(&o.stdout).into_owned();
    assert_eq!(
        o.status.code(),
        Some(1),
        "{stdout}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        stdout.contains(
            "::error file=specs/demo.toml,line=10,col=8,title=FIELD_RETYPED::FIELD_RETYPED: "
        ),
        "{stdout}"
    );
    assert_eq!(runner.outputs["diff"]["exit-code"], "1");
    let summary = std::fs::read_to_string(&runner.summary).expect("summary");
    let rows = table_rows(&summary);
    assert_eq!(
        rows[1][..5],
        ["specs/demo.toml", "version 1", "version 2", "❌ fail", "1"]
    );
    let findings = mdparse::render(&summary);
    let table = findings.table("severity");
    assert!(
        table[1..].iter().any(|r| r[0] == "breaking"
            && r[1] == "FIELD_RETYPED"
            && r[2] == "specs/demo.toml:10:8"),
        "{summary}"
    );
    let v = sarif(&workspace);
    assert!(sarif_rules(&v).contains(&("FIELD_RETYPED".to_string(), "specs/demo.toml".to_string())));
    let result = &v["runs"][0]["results"][0];
    assert_eq!(result["level"], "error");

    // The explicit list: the unchanged spec only, nothing to report.
    let mut runner = Runner::new(&workspace, &runner_temp, Some("main"));
    runner
        .inputs
        .insert("specs".into(), "specs/kept.toml\n".into());
    runner.path = vec![gitrepo::bin_dir()];
    let o = runner.run(step(&action, "diff"), &[]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    let summary = std::fs::read_to_string(&runner.summary).expect("summary");
    assert!(
        summary.contains("| specs/kept.toml | version 1 | version 1 | ✅ pass |"),
        "{summary}"
    );
}

#[test]
#[cfg_attr(no_git, ignore = "needs git")]
fn without_a_base_or_the_history_the_step_fails_with_a_message() {
    let tmp = temp();
    let workspace = pull_request(tmp.path(), |repo| {
        std::fs::write(repo.join("specs/demo.toml"), V2).expect("grow");
    });
    let runner_temp = tmp.path().join("runner");
    std::fs::create_dir_all(&runner_temp).expect("runner temp");
    let action = action();
    // A push event has no GITHUB_BASE_REF.
    let mut runner = Runner::new(&workspace, &runner_temp, None);
    runner.path = vec![gitrepo::bin_dir()];
    let o = runner.run(step(&action, "diff"), &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stdout).contains("::error title=abi-check::no base branch"));
    // actions/checkout's default depth of 1.
    let shallow = tmp.path().join("shallow");
    let url = format!("file://{}", tmp.path().join("origin").display());
    git(
        tmp.path(),
        &[
            "clone", "-q", "--depth", "1", "--branch", "pr", &url, "shallow",
        ],
    );
    let mut runner = Runner::new(&shallow, &runner_temp, Some("main"));
    runner.path = vec![gitrepo::bin_dir()];
    let o = runner.run(step(&action, "diff"), &[]);
    assert_eq!(o.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("fetch-depth: 0"), "{stderr}");
    assert_eq!(runner.outputs["diff"]["exit-code"], "2");
    assert!(!runner.outputs["diff"].contains_key("sarif"));
}

#[test]
#[cfg_attr(no_git, ignore = "needs git")]
fn a_broken_spec_is_an_error_annotation_at_its_line() {
    let tmp = temp();
    let workspace = pull_request(tmp.path(), |repo| {
        std::fs::write(
            repo.join("specs/demo.toml"),
            V1.replace("version = 1", "version = \"one\""),
        )
        .expect("break");
    });
    let runner_temp = tmp.path().join("runner");
    std::fs::create_dir_all(&runner_temp).expect("runner temp");
    let mut runner = Runner::new(&workspace, &runner_temp, Some("main"));
    runner.path = vec![gitrepo::bin_dir()];
    let o = runner.run(step(&action(), "diff"), &[]);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(2), "{stdout}");
    assert!(
        stdout.contains("::error file=specs/demo.toml,line=3,col=11,title=abi-check::"),
        "{stdout}"
    );
    let summary = std::fs::read_to_string(&runner.summary).expect("summary");
    assert!(summary.contains("⚠️ unusable input"), "{summary}");
    assert!(summary.contains("- specs/demo.toml:3:11: "), "{summary}");
}
