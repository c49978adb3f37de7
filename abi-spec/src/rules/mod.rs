//! The rule catalog: every finding names one rule, and each rule is one
//! folder, `abi-spec/rules/<ID>/`: `rule.rs` is its entry (severity,
//! waivability, summary, why it breaks, a bad example, the fix) and the other
//! files its fixture (`old.toml` + `new.toml` for `diff`, `spec.toml` for
//! `check`, `kernel.toml` + `libc.toml` for `compat`), which a test runs.
//! `abi-check explain` prints an entry and `docs/rules.md` is generated from
//! the catalog. Adding a rule touches the `catalog!` list, one folder, and
//! the check that emits it.

use std::fmt;

/// How bad a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    /// Binary-incompatible: exit 1.
    Breaking,
    /// Source-incompatible only (a rename): exit 0 unless `--deny api`.
    Api,
    /// Worth a look: exit 0.
    Warning,
    /// A compatible change, listed for the record.
    Info,
}

impl Severity {
    /// The spelling in JSON and text output.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Breaking => "breaking",
            Severity::Api => "api",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One catalog entry.
#[derive(Debug)]
pub struct RuleInfo {
    /// Default severity.
    pub severity: Severity,
    /// False for the rules no waiver may hide.
    pub waivable: bool,
    /// One line: when the rule fires.
    pub summary: &'static str,
    /// Why it breaks (or why it matters).
    pub explanation: &'static str,
    /// A spec change that triggers it.
    pub bad_example: &'static str,
    /// How to fix it.
    pub fix: &'static str,
}

/// Declares the catalog: one folder per rule under `abi-spec/rules/<ID>/`,
/// whose `rule.rs` is the entry and whose other files are its fixture. The
/// ID is spelled once, here, as the variant.
macro_rules! catalog {
    ($($id:ident,)*) => {
        /// A rule ID.
        #[allow(non_camel_case_types)]
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Rule { $(
            #[doc = concat!("`", stringify!($id), "`: see `abi-spec/rules/", stringify!($id), "/rule.rs`.")]
            $id,
        )* }

        impl Rule {
            /// Every rule, in catalog order.
            pub const ALL: &'static [Rule] = &[$(Rule::$id),*];

            /// The stable ID, e.g. `FIELD_MOVED`.
            pub const fn id(self) -> &'static str {
                match self { $(Rule::$id => stringify!($id),)* }
            }

            /// The catalog entry.
            pub fn info(self) -> &'static RuleInfo {
                match self { $(Rule::$id => {
                    const ENTRY: RuleInfo = include!(concat!("../../rules/", stringify!($id), "/rule.rs"));
                    &ENTRY
                })* }
            }
        }
    };
}

catalog! {
    FIELD_REMOVED,
    FIELD_RETYPED,
    FIELD_MOVED,
    FIELD_INSERTED,
    FIELD_RENAMED,
    FIELD_UNGATED,
    HISTORY_REWRITTEN,
    FIELD_REGATED,
    FIELD_RETIRED,
    FIELD_WRITER_CHANGED,
    CLAIM_AMBIGUOUS,
    STRUCT_REMOVED,
    STRUCT_SHRUNK,
    STRUCT_ALIGN_CHANGED,
    FEATURE_REMOVED,
    FEATURE_BIT_CHANGED,
    FEATURE_BIT_REUSED,
    FEATURE_RENAMED,
    FLAG_VALUE_CHANGED,
    FLAG_VALUE_REUSED,
    FLAG_VALUE_REMOVED,
    FLAG_VALUE_RENAMED,
    EXTENSION_BIT_ASSIGNED,
    VERSION_DECREASED,
    RESERVED_CLAIMED_UNSAFELY,
    FEATURE_SIZE_AMBIGUOUS,
    TARGET_LAYOUT_DIVERGES,
    SIDES_DISAGREE,
    IMPLICIT_PADDING,
    NON_PORTABLE_TYPE,
    FIELD_ADDED,
    FEATURE_ADDED,
    STRUCT_ADDED,
    FLAG_VALUE_ADDED,
    RESERVED_CLAIMED,
    WAIVER_UNUSED,
    WAIVER_EXPIRED,
}

impl Rule {
    /// The default severity.
    pub fn severity(self) -> Severity {
        self.info().severity
    }

    /// Looks a rule up by ID (case-insensitive, `-` accepted for `_`).
    pub fn from_id(id: &str) -> Option<Rule> {
        let id = id.trim().to_ascii_uppercase().replace('-', "_");
        Rule::ALL.iter().copied().find(|r| r.id() == id)
    }

    /// False for the rules no waiver may hide.
    pub fn waivable(self) -> bool {
        self.info().waivable
    }
}

/// The catalog as a Markdown page: `docs/rules.md` is this text, and a test
/// keeps the two equal.
pub fn catalog_markdown() -> String {
    let mut out = format!(
        "# Rules\n\n\
Generated from the rule catalog (`abi-spec/rules/*/rule.rs`) by \
`UPDATE_DOCS=1 cargo test -p abi-tests --test rules`; do not edit by hand. \
`abi-check explain RULE` prints one entry. Severities: `breaking` exits 1; `api` \
(source-breaking only) exits 0 unless `--deny api`; `warning` and `info` exit 0. \
A waiver can never hide {unwaivable}.\n\n\
| rule | severity | when |\n| --- | --- | --- |\n",
        unwaivable = english_list(
            &Rule::ALL
                .iter()
                .filter(|r| !r.waivable())
                .map(|r| r.id())
                .collect::<Vec<_>>()
        ),
    );
    for rule in Rule::ALL {
        let info = rule.info();
        out.push_str(&format!(
            "| [{id}](#{anchor}) | {severity} | {summary} |\n",
            id = rule.id(),
            anchor = rule.id().to_ascii_lowercase(),
            severity = info.severity,
            summary = info.summary.replace('|', "\\|"),
        ));
    }
    for rule in Rule::ALL {
        let info = rule.info();
        out.push_str(&format!(
            "\n## {id}\n\nSeverity: **{severity}**{waiver}. {summary}.\n\n\
### Why it matters\n\n{why}\n\n### Example\n\n```text\n{bad}\n```\n\n### Fix\n\n{fix}\n",
            id = rule.id(),
            severity = info.severity,
            waiver = if rule.waivable() {
                ""
            } else {
                ", cannot be waived"
            },
            summary = capitalized(info.summary),
            why = info.explanation,
            bad = info.bad_example,
            fix = info.fix,
        ));
    }
    out
}

/// `a`, `a or b`, `a, b or c`.
fn english_list(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}
