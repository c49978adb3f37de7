//! Installing abi-check as the README says, and what an installed binary
//! offers a shell: completion scripts and manual pages.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_abi-check"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("abi-check runs")
}

fn text(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The commands, as `--help` lists them.
fn commands() -> Vec<String> {
    let help = text(&run(&["--help"]));
    let listed: Vec<String> = help
        .split("Commands:")
        .nth(1)
        .expect("a Commands section")
        .split("Options:")
        .next()
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_string)
        .collect();
    for expected in ["check", "diff", "changed", "completions", "man"] {
        assert!(
            listed.iter().any(|c| c == expected),
            "{expected} in {listed:?}"
        );
    }
    listed
}

#[test]
fn readme_install_comes_after_the_first_two_commands() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README");
    let first_block = readme
        .split("```sh\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("a sh block");
    let commands: Vec<&str> = first_block
        .lines()
        .filter_map(|l| l.split('#').next())
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(
        commands[..2],
        ["cargo run -- check", "cargo test --workspace"]
    );
    let install = readme
        .find("cargo install --locked --path abi-check")
        .expect("the README says how to install");
    assert!(install > readme.find("cargo test --workspace").unwrap_or(usize::MAX));
}

/// `cargo install --locked --path abi-check`, offline, into a temporary
/// root, then the installed binary checks the root spec. The build goes to
/// its own target directory (the running `cargo test` holds the main
/// one), kept under target/ so later runs only relink: a first run here
/// took 1 min 33 s of CPU (4 min 56 s of wall time on a busy 2-core
/// machine); see the report of the change that added it.
#[test]
fn cargo_install_path_gives_a_working_binary() {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let install_root = tempfile::tempdir().expect("tempdir");
    let target = root().join("target/install-test");
    let o = Command::new(cargo)
        .args([
            "install",
            "--locked",
            "--offline",
            "--path",
            "abi-check",
            "--root",
        ])
        .arg(install_root.path())
        .arg("--target-dir")
        .arg(&target)
        .current_dir(root())
        .output()
        .expect("cargo runs");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let installed = install_root.path().join("bin/abi-check");
    let version = Command::new(&installed)
        .arg("--version")
        .output()
        .expect("the installed binary runs");
    assert_eq!(
        text(&version).trim(),
        format!("abi-check {}", env!("CARGO_PKG_VERSION"))
    );
    let check = Command::new(&installed)
        .arg("check")
        .current_dir(root())
        .env("NO_COLOR", "1")
        .output()
        .expect("check runs");
    assert_eq!(check.status.code(), Some(0), "{}", text(&check));
    assert!(
        text(&check).starts_with("spec.toml: tlabi"),
        "{}",
        text(&check)
    );
}

#[test]
fn bash_completion_parses_and_offers_the_commands_and_options() {
    let o = run(&["completions", "bash"]);
    assert!(o.status.success());
    let dir = tempfile::tempdir().expect("tempdir");
    let script = dir.path().join("abi-check.bash");
    std::fs::write(&script, &o.stdout).expect("write");
    let syntax = Command::new("bash")
        .arg("-n")
        .arg(&script)
        .output()
        .expect("bash");
    assert!(
        syntax.status.success(),
        "{}",
        String::from_utf8_lossy(&syntax.stderr)
    );
    // What bash offers at `abi-check <TAB>`, `abi-check diff --ag<TAB>`
    // and `abi-check diff --format <TAB>`, through the function the script
    // registers with `complete -F`.
    let complete = |words: &[&str]| -> Vec<String> {
        let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
        let cword = words.len() - 1;
        let cur = words[cword];
        let prev = words[cword - 1];
        let program = format!(
            "source '{}'\n\
             f=$(complete -p abi-check | sed -E 's/.* -F ([^ ]+) .*/\\1/')\n\
             COMP_WORDS=({})\nCOMP_CWORD={cword}\n\
             \"$f\" abi-check '{cur}' '{prev}'\n\
             printf '%s\\n' \"${{COMPREPLY[@]}}\"\n",
            script.display(),
            quoted.join(" ")
        );
        let o = Command::new("bash")
            .arg("-c")
            .arg(program)
            .output()
            .expect("bash");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        text(&o).lines().map(str::to_string).collect()
    };
    let offered = complete(&["abi-check", ""]);
    for command in commands() {
        assert!(offered.contains(&command), "{command} not in {offered:?}");
    }
    assert_eq!(
        complete(&["abi-check", "diff", "--ag"]),
        ["--against", "--against-merge-base"]
    );
    assert_eq!(
        complete(&["abi-check", "check", "--format", ""]),
        ["text", "json", "sarif", "github", "markdown"]
    );
}

#[test]
fn zsh_and_fish_completions_name_every_command() {
    for shell in ["zsh", "fish"] {
        let o = run(&["completions", shell]);
        assert!(o.status.success(), "{shell}");
        let script = text(&o);
        for command in commands() {
            assert!(script.contains(&command), "{shell}: {command}");
        }
    }
    let o = run(&["completions", "tcsh"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn man_pages_for_abi_check_and_each_command() {
    let page = text(&run(&["man"]));
    assert!(page.contains(".TH abi-check 1"), "{page}");
    assert!(page.contains(".SH SUBCOMMANDS"), "{page}");
    for command in commands().iter().filter(|c| *c != "help") {
        // roff escapes hyphens.
        assert!(
            page.contains(&format!("abi\\-check\\-{}", command.replace('-', "\\-"))),
            "{command}"
        );
        let sub = text(&run(&["man", command]));
        assert!(sub.contains(&format!(".TH abi-check-{command} 1")), "{sub}");
        assert!(
            sub.contains(&format!("\\fBabi\\-check {command}\\fR")),
            "{sub}"
        );
    }
    let diff = text(&run(&["man", "diff"]));
    assert!(diff.contains("\\-\\-against\\-merge\\-base"), "{diff}");
    let o = run(&["man", "nope"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no command `nope`"));
}
