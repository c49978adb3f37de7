//! The command line: the commands, options and formats that scripts rely
//! on (docs/ci.md lists the exit codes and output shapes). Additions are
//! fine; renaming or removing anything here breaks someone's pipeline.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Check, diff, lay out and verify extensible kernel/user-space ABIs.
#[derive(Parser, Debug)]
#[command(name = "abi-check", version, about, max_term_width = 100)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The default spec path of every command that takes one.
pub const DEFAULT_SPEC: &str = "spec.toml";

/// The commands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Validate a spec: every version step compatible, layouts equal across targets, lints.
    Check(CheckArgs),
    /// Print struct layouts (pahole style, JSON, Markdown or SVG).
    Layout(LayoutArgs),
    /// Classify every change from OLD to NEW: the CI layout-diff tool.
    Diff(DiffArgs),
    /// Can a kernel's and a libc's spec of one ABI interoperate, at every pair of versions?
    Compat(CompatArgs),
    /// Simulate registration for every (kernel version, libc version, target).
    Matrix(MatrixArgs),
    /// Generate a C header.
    Header(HeaderArgs),
    /// Generate the Rust code the proc-macro generates, as a file.
    Rust(RustArgs),
    /// Compare the layout compiled into a binary (DWARF) with the spec.
    Verify(VerifyArgs),
    /// Print struct layouts read from a binary's DWARF or BTF; with
    /// --format toml, a spec, and of several binaries a history.
    Dump(DumpArgs),
    /// Write a spec from C headers, through the compilers of each target.
    Import(ImportArgs),
    /// Explain a rule: what it means, why it breaks, how to fix it.
    Explain(ExplainArgs),
    /// Diff every spec file a branch changes against the merge base: what
    /// the GitHub Action runs.
    Changed(ChangedArgs),
    /// Print a shell completion script.
    Completions(CompletionsArgs),
    /// Print the manual page (roff), of abi-check or of one command.
    Man(ManArgs),
}

/// Output formats of `check`, `diff` and `compat`.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum FindingFormat {
    /// For people, rustc style.
    Text,
    /// One JSON object.
    Json,
    /// SARIF 2.1.0, for code scanning.
    Sarif,
    /// GitHub Actions workflow commands (`::error file=...::`).
    Github,
    /// A summary table and the findings, for job summaries and pull-request comments.
    Markdown,
}

/// `abi-check check`.
#[derive(Args, Debug)]
pub struct CheckArgs {
    /// The spec file.
    #[arg(default_value = DEFAULT_SPEC)]
    pub spec: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = FindingFormat::Text)]
    pub format: FindingFormat,
    /// Exit 1 on findings below `breaking` too: `api` (renames, which break
    /// source but not binaries), or `warnings` (warnings and `api`).
    /// `breaking` findings always exit 1; `info` never does.
    #[arg(long, value_name = "LEVEL")]
    pub deny: Option<DenyLevel>,
    /// Make a waiver that matches no finding (WAIVER_UNUSED), or whose
    /// `expires` date has passed (WAIVER_EXPIRED), an error: exit 1.
    /// Without it, both are warnings.
    #[arg(long)]
    pub strict_waivers: bool,
}

/// What `--deny` makes fatal.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum DenyLevel {
    /// Source-breaking changes (renames).
    Api,
    /// Warnings and source-breaking changes.
    Warnings,
}

/// Output formats of `layout`.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum LayoutFormat {
    /// pahole style.
    Text,
    /// One JSON object.
    Json,
    /// A reference page.
    Markdown,
    /// A picture.
    Svg,
}

/// `abi-check layout`.
#[derive(Args, Debug)]
pub struct LayoutArgs {
    /// The spec file.
    #[arg(default_value = DEFAULT_SPEC)]
    pub spec: PathBuf,
    /// Only this struct (repeatable); default: every struct.
    #[arg(long = "struct", value_name = "NAME")]
    pub structs: Vec<String>,
    /// The version; default: the newest. `all` for every version.
    #[arg(long, value_name = "N|all")]
    pub version: Option<String>,
    /// A target name, or `all` for every target of the spec.
    #[arg(long, default_value = "x86_64", value_name = "TARGET|all")]
    pub target: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = LayoutFormat::Text)]
    pub format: LayoutFormat,
}

/// `abi-check diff`.
#[derive(Args, Debug)]
#[command(override_usage = "abi-check diff [OPTIONS] OLD NEW\n       \
    abi-check diff [OPTIONS] --against REV [SPEC]\n       \
    abi-check diff [OPTIONS] --against-merge-base REF [SPEC]")]
pub struct DiffArgs {
    /// The old spec (e.g. from the merge base); with --against or
    /// --against-merge-base, the spec in the work tree (default: spec.toml).
    #[arg(value_name = "OLD", required_unless_present_any = ["against", "against_merge_base"])]
    pub old: Option<PathBuf>,
    /// The new spec.
    #[arg(value_name = "NEW", required_unless_present_any = ["against", "against_merge_base"])]
    pub new: Option<PathBuf>,
    /// Read OLD from git: SPEC as it was at this revision (a commit, a
    /// branch, a tag, `HEAD~1`); NEW is SPEC in the work tree.
    #[arg(long, value_name = "REV", conflicts_with_all = ["against_merge_base", "new"])]
    pub against: Option<String>,
    /// Read OLD from git at the merge base of REF and HEAD (what a pull
    /// request into REF changes: `origin/main`).
    #[arg(long, value_name = "REF", conflicts_with = "new")]
    pub against_merge_base: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = FindingFormat::Text)]
    pub format: FindingFormat,
    /// Exit 1 on findings below `breaking` too: `api` (renames, which break
    /// source but not binaries), or `warnings` (warnings and `api`).
    /// `breaking` findings always exit 1; `info` never does.
    #[arg(long, value_name = "LEVEL")]
    pub deny: Option<DenyLevel>,
    /// Make a waiver that matches no finding (WAIVER_UNUSED), or whose
    /// `expires` date has passed (WAIVER_EXPIRED), an error: exit 1.
    /// Without it, both are warnings.
    #[arg(long)]
    pub strict_waivers: bool,
}

/// Output formats of `compat` and `matrix`.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportFormat {
    /// For people.
    Text,
    /// One JSON object.
    Json,
    /// A picture (matrix only).
    Svg,
}

/// Output formats of `compat`.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompatFormat {
    /// For people.
    Text,
    /// One JSON object.
    Json,
    /// A summary table, the negotiations and the findings.
    Markdown,
    /// Refused with a message pointing at `matrix` (hidden).
    #[value(hide = true)]
    Svg,
}

/// `abi-check compat`.
#[derive(Args, Debug)]
pub struct CompatArgs {
    /// The kernel side's spec.
    pub kernel: PathBuf,
    /// The libc side's spec.
    pub libc: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = CompatFormat::Text)]
    pub format: CompatFormat,
    /// Make a waiver that matches no finding (WAIVER_UNUSED), or whose
    /// `expires` date has passed (WAIVER_EXPIRED), an error: exit 1.
    /// Without it, both are warnings.
    #[arg(long)]
    pub strict_waivers: bool,
}

/// `abi-check matrix`.
#[derive(Args, Debug)]
pub struct MatrixArgs {
    /// The spec file (the libc side's, when --kernel-spec is given).
    #[arg(default_value = DEFAULT_SPEC)]
    pub spec: PathBuf,
    /// The kernel side's spec, to simulate two specs of one ABI against
    /// each other; default: SPEC.
    #[arg(long, value_name = "FILE")]
    pub kernel_spec: Option<PathBuf>,
    /// What the C library announces at registration: its version's
    /// feature size (the contract's model) or its `sizeof` (glibc 2.35-2.39
    /// for rseq). See docs/matrix.md.
    #[arg(long, value_enum, default_value_t = MatrixAnnounces::FeatureSize)]
    pub libc_announces: MatrixAnnounces,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
}

/// `abi-check matrix --libc-announces`.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum MatrixAnnounces {
    /// The feature size of the C library's version (the end of its last field).
    FeatureSize,
    /// `sizeof` of the C library's version, tail padding included.
    Size,
}

/// Header styles.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeaderStyle {
    /// As Linux writes include/uapi: `<linux/types.h>`, `__u32`, `__aligned_u64`.
    Uapi,
    /// Portable C: `<stdint.h>`, `uint32_t`, `__attribute__((aligned(N)))`.
    Stdint,
}

/// `abi-check header`.
#[derive(Args, Debug)]
pub struct HeaderArgs {
    /// The spec file.
    #[arg(default_value = DEFAULT_SPEC)]
    pub spec: PathBuf,
    /// Header style.
    #[arg(long, value_enum, default_value_t = HeaderStyle::Uapi)]
    pub style: HeaderStyle,
    /// Describe version N (fields, flag values, features and size macros up
    /// to N), as a header of that version would; default the newest.
    #[arg(long, value_name = "N")]
    pub version: Option<u32>,
    /// Write to FILE instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Exit 1, with a diff, when FILE differs from what would be generated.
    #[arg(long, value_name = "FILE", conflicts_with = "output")]
    pub check: Option<PathBuf>,
}

/// `abi-check rust`.
#[derive(Args, Debug)]
pub struct RustArgs {
    /// The spec file.
    #[arg(default_value = DEFAULT_SPEC)]
    pub spec: PathBuf,
    /// Write to FILE instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Exit 1, with a diff, when FILE differs from what would be generated.
    #[arg(long, value_name = "FILE", conflicts_with = "output")]
    pub check: Option<PathBuf>,
}

/// `abi-check verify`.
#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// The spec file.
    #[arg(default_value = DEFAULT_SPEC)]
    pub spec: PathBuf,
    /// The binary (repeatable: a kernel and a libc side by side). A raw
    /// BTF file is recognised by its magic.
    #[arg(long = "elf", value_name = "FILE", required_unless_present = "btf")]
    pub elf: Vec<PathBuf>,
    /// Read BTF instead of DWARF: raw BTF or an ELF file's `.BTF`; without
    /// FILE, the running kernel's (/sys/kernel/btf/vmlinux). Shown beside
    /// any `--elf`.
    #[arg(
        long,
        value_name = "FILE",
        num_args = 0..=1,
        default_missing_value = "/sys/kernel/btf/vmlinux"
    )]
    pub btf: Option<PathBuf>,
    /// The BTF that a split BTF file extends; a module's file under
    /// /sys/kernel/btf/ takes /sys/kernel/btf/vmlinux without it.
    #[arg(long, value_name = "FILE", requires = "btf")]
    pub btf_base: Option<PathBuf>,
    /// Which struct to compare, `NAME` or `NAME=C_NAME` (a C name may be a
    /// member path such as `pthread.rseq_area`, or a typedef name); default:
    /// every struct. `NAME=A|B` tries `A`, then `B`, in each binary: one run
    /// covers a kernel (`rseq`) and a glibc (`pthread.rseq_area`) with
    /// `--struct 'rseq=rseq|pthread.rseq_area'`, and the table says which
    /// name matched where.
    #[arg(long = "struct", value_name = "NAME[=C_NAME[|C_NAME]...]")]
    pub structs: Vec<String>,
    /// Where split debug files live.
    #[arg(long, value_name = "DIR", default_value = "/usr/lib/debug")]
    pub debug_dir: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = FindingFormat::Text)]
    pub format: FindingFormat,
    /// Make a waiver that matches no finding (WAIVER_UNUSED), or whose
    /// `expires` date has passed (WAIVER_EXPIRED), an error: exit 1.
    /// Without it, both are warnings.
    #[arg(long)]
    pub strict_waivers: bool,
}

/// Output formats of `dump`.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum DumpFormat {
    /// pahole style.
    Text,
    /// The shape of `layout --format json`.
    Json,
    /// A spec file to start from.
    Toml,
}

/// `abi-check dump`.
#[derive(Args, Debug)]
pub struct DumpArgs {
    /// The binary, read for DWARF (repeatable: with --format toml, several
    /// binaries make a history, one version each, oldest first). A raw BTF
    /// file is recognised by its magic.
    #[arg(long, value_name = "FILE", required_unless_present = "btf")]
    pub elf: Vec<PathBuf>,
    /// Read BTF instead: raw BTF (/sys/kernel/btf/vmlinux, a module's file
    /// there) or an ELF file's `.BTF` section (repeatable, like --elf; the
    /// order of --elf and --btf together is the order of the versions).
    #[arg(long, value_name = "FILE")]
    pub btf: Vec<PathBuf>,
    /// The BTF that a split BTF file extends; a module's file under
    /// /sys/kernel/btf/ takes /sys/kernel/btf/vmlinux without it.
    #[arg(long, value_name = "FILE", requires = "btf")]
    pub btf_base: Option<PathBuf>,
    /// Struct names or member paths (repeatable, or comma-separated).
    #[arg(
        long = "struct",
        value_name = "NAME",
        required = true,
        value_delimiter = ','
    )]
    pub structs: Vec<String>,
    /// Where split debug files live.
    #[arg(long, value_name = "DIR", default_value = "/usr/lib/debug")]
    pub debug_dir: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DumpFormat::Text)]
    pub format: DumpFormat,
    /// With --format toml: the version of the first (or only) binary; the
    /// next binaries are the next versions.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub first_version: u32,
    /// Every --elf and --btf in command-line order (filled by [`parse`]).
    #[arg(skip)]
    pub binaries: Vec<Binary>,
}

/// One binary `dump` reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Binary {
    /// The file.
    pub path: PathBuf,
    /// Read its BTF (`--btf`), not its DWARF (`--elf`).
    pub btf: bool,
}

impl DumpArgs {
    /// The binaries in command-line order; `--elf`s then `--btf`s when the
    /// order was not recorded.
    pub fn binaries(&self) -> Vec<Binary> {
        if !self.binaries.is_empty() {
            return self.binaries.clone();
        }
        let elf = self.elf.iter().map(|p| Binary {
            path: p.clone(),
            btf: false,
        });
        let btf = self.btf.iter().map(|p| Binary {
            path: p.clone(),
            btf: true,
        });
        elf.chain(btf).collect()
    }
}

/// Parses the command line, recording the order of `dump`'s `--elf` and
/// `--btf` (which the derived parser keeps per option only).
pub fn parse(args: &[std::ffi::OsString]) -> Result<Cli, clap::Error> {
    use clap::{CommandFactory, FromArgMatches};
    let matches = Cli::command().try_get_matches_from(args)?;
    let mut cli = Cli::from_arg_matches(&matches).map_err(|e| e.format(&mut Cli::command()))?;
    if let (Command::Dump(dump), Some(("dump", sub))) = (&mut cli.command, matches.subcommand()) {
        let mut order: Vec<(usize, Binary)> = Vec::new();
        for (id, btf) in [("elf", false), ("btf", true)] {
            let paths = sub.get_many::<PathBuf>(id).into_iter().flatten();
            let indices = sub.indices_of(id).into_iter().flatten();
            for (index, path) in indices.zip(paths) {
                order.push((
                    index,
                    Binary {
                        path: path.clone(),
                        btf,
                    },
                ));
            }
        }
        order.sort_by_key(|(index, _)| *index);
        dump.binaries = order.into_iter().map(|(_, b)| b).collect();
    }
    Ok(cli)
}

/// `abi-check import`.
#[derive(Args, Debug)]
pub struct ImportArgs {
    /// The headers: a file, or a name the compilers find in their include
    /// path (`linux/openat2.h`).
    #[arg(required = true, value_name = "HEADER")]
    pub headers: Vec<String>,
    /// The structs to describe, by tag (repeatable, or comma-separated).
    #[arg(
        long = "struct",
        value_name = "NAME",
        required = true,
        value_delimiter = ','
    )]
    pub structs: Vec<String>,
    /// A macro or enum constant of the headers to write as a
    /// `[[constant]]` (repeatable, or comma-separated).
    #[arg(long = "define", value_name = "NAME", value_delimiter = ',')]
    pub defines: Vec<String>,
    /// The target, a comma-separated list, or `all` for every target whose
    /// compiler is installed (the others are skipped, and said so).
    #[arg(long, default_value = "x86_64", value_name = "TARGET|all")]
    pub target: String,
    /// A directory searched for headers before the system's (repeatable).
    #[arg(short = 'I', long = "include-dir", value_name = "DIR")]
    pub include_dirs: Vec<PathBuf>,
    /// The ABI's name; default: the first struct's.
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// The one version the spec describes (Linux counts from 0).
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub version: u32,
    /// Write to FILE instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// `abi-check explain`.
#[derive(Args, Debug)]
pub struct ExplainArgs {
    /// The rule ID, e.g. FIELD_MOVED.
    #[arg(required_unless_present = "list")]
    pub rule: Option<String>,
    /// List every rule with its severity and summary.
    #[arg(long)]
    pub list: bool,
}

/// `abi-check changed`.
#[derive(Args, Debug)]
pub struct ChangedArgs {
    /// The branch the change goes into; OLD is each spec at the merge base
    /// of REF and HEAD. Default: `origin/$GITHUB_BASE_REF` when that is set
    /// (a pull request's base branch in GitHub Actions).
    #[arg(long, value_name = "REF")]
    pub base: Option<String>,
    /// Which files may be specs, as git glob pathspecs relative to the
    /// repository root (repeatable); of the files changed since the merge
    /// base that match, those holding an `[abi]` table are diffed.
    #[arg(long = "paths", value_name = "GLOB", default_value = "**/*.toml")]
    pub paths: Vec<String>,
    /// Diff these spec files, changed or not, instead of looking for them
    /// (repeatable).
    #[arg(long = "spec", value_name = "FILE")]
    pub specs: Vec<PathBuf>,
    /// Output format on standard output.
    #[arg(long, value_enum, default_value_t = FindingFormat::Text)]
    pub format: FindingFormat,
    /// Also write SARIF 2.1.0 to FILE: one run with every spec's findings,
    /// as code scanning wants it.
    #[arg(long, value_name = "FILE")]
    pub sarif: Option<PathBuf>,
    /// Also append the Markdown report to FILE (`$GITHUB_STEP_SUMMARY`).
    #[arg(long, value_name = "FILE")]
    pub summary: Option<PathBuf>,
    /// Exit 1 on findings below `breaking` too: `api` (renames, which break
    /// source but not binaries), or `warnings` (warnings and `api`).
    /// `breaking` findings always exit 1; `info` never does.
    #[arg(long, value_name = "LEVEL")]
    pub deny: Option<DenyLevel>,
    /// Make a waiver that matches no finding (WAIVER_UNUSED), or whose
    /// `expires` date has passed (WAIVER_EXPIRED), an error: exit 1.
    /// Without it, both are warnings.
    #[arg(long)]
    pub strict_waivers: bool,
}

/// `abi-check completions`.
#[derive(Args, Debug)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// `abi-check man`.
#[derive(Args, Debug)]
pub struct ManArgs {
    /// A command, for its own page (`abi-check-diff(1)`); default: the
    /// page of abi-check.
    pub command: Option<String>,
}
