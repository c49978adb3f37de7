//! The rule catalog: every finding names one rule, and each rule is one
//! entry here (ID, severity, summary, why it breaks, a bad example, the fix).
//! `abi-check explain` prints an entry and `docs/rules.md` is generated from
//! this table. Adding a rule touches this table, the check that emits it, and
//! one fixture folder under `tests/fixtures/rules/`.

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
    /// The stable ID.
    pub id: &'static str,
    /// Default severity.
    pub severity: Severity,
    /// One line: when the rule fires.
    pub summary: &'static str,
    /// Why it breaks (or why it matters).
    pub explanation: &'static str,
    /// A spec change that triggers it.
    pub bad_example: &'static str,
    /// How to fix it.
    pub fix: &'static str,
}

macro_rules! rules {
    ($($variant:ident => $info:expr,)*) => {
        /// A rule ID.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Rule { $(
            #[doc = concat!("`", stringify!($variant), "`")]
            $variant,
        )* }

        impl Rule {
            /// Every rule, in catalog order.
            pub const ALL: &'static [Rule] = &[$(Rule::$variant),*];

            /// The catalog entry.
            pub fn info(self) -> &'static RuleInfo {
                match self { $(Rule::$variant => &$info,)* }
            }
        }
    };
}

rules! {
    FieldRemoved => RuleInfo {
        id: "FIELD_REMOVED",
        severity: Severity::Breaking,
        summary: "a field of OLD is gone (and its bytes were not reserved)",
        explanation: "Callers built against OLD still read and write the field at its offset. \
Once it is gone, the other side either ignores what they wrote or, worse, gives the bytes \
another meaning.",
        bad_example: "OLD: cpu_id: u32 at 0\nNEW: (cpu_id deleted)",
        fix: "Keep the field. If it is obsolete, keep its bytes as a reserved field of the same \
size and document that they are ignored.",
    },
    FieldRetyped => RuleInfo {
        id: "FIELD_RETYPED",
        severity: Severity::Breaking,
        summary: "same name, other type, signedness included",
        explanation: "Both sides interpret the bytes by the field's type. Another size moves \
every later field; another signedness changes the meaning of values such as -1 \
(CPU_ID_UNINITIALIZED) without any compiler noticing.",
        bad_example: "OLD: cpu_id: u32\nNEW: cpu_id: i32",
        fix: "Keep the type. Add a new field with the new type, gated by a feature, and leave \
the old one in place.",
    },
    FieldMoved => RuleInfo {
        id: "FIELD_MOVED",
        severity: Severity::Breaking,
        summary: "same name, other offset on some target",
        explanation: "Old binaries access the field at its old offset. Moving it, even on one \
target (a u64 that is 4-aligned on i386 moves when an earlier field changes), makes both \
sides read different bytes.",
        bad_example: "OLD: a: u32 at 0, b: u64 at 8\nNEW: a: u32, pad: u32, b: u64 at 16",
        fix: "Keep every existing field where it is on every target. Use explicit `align` on \
u64 fields so that i386, sh4 and m68k agree with the 64-bit targets.",
    },
    FieldInserted => RuleInfo {
        id: "FIELD_INSERTED",
        severity: Severity::Breaking,
        summary: "a new field is not after every old one and claims no reserved bytes",
        explanation: "An extensible struct grows only at its end: a caller's announced length \
says which fields it knows. A field placed between old ones shifts them, or takes bytes \
that old callers use.",
        bad_example: "OLD: a: u32, b: u32\nNEW: a: u32, x: u32, b: u32",
        fix: "Append the field after every old one, or claim bytes that an older version \
reserved (set `was_reserved`).",
    },
    FieldRenamed => RuleInfo {
        id: "FIELD_RENAMED",
        severity: Severity::Api,
        summary: "same slot, type and history, other name",
        explanation: "The binary layout is unchanged, so old binaries keep working, but source \
code that names the field no longer compiles.",
        bad_example: "OLD: cpu_id: u32\nNEW: cpu: u32",
        fix: "Keep the old name, or accept the source break with `--deny api` off and a note \
for users.",
    },
    FieldUngated => RuleInfo {
        id: "FIELD_UNGATED",
        severity: Severity::Breaking,
        summary: "in an ABI with features, a field added after the first version has no feature",
        explanation: "Where an ABI negotiates with feature bits, user space learns that a field \
is filled only from its feature bit. A field without one cannot be told apart from \
never-written memory.",
        bad_example: "NEW: node_id: u32, since = 3 (no feature)",
        fix: "Add a [[feature]] for the field and set `feature` on it.",
    },
    HistoryRewritten => RuleInfo {
        id: "HISTORY_REWRITTEN",
        severity: Severity::Breaking,
        summary: "an existing field's or feature's `since` changed",
        explanation: "Versions are published facts: sizes per version (SIZE_VER constants) \
were compiled into binaries. Changing when a field appeared changes those sizes \
retroactively.",
        bad_example: "OLD: node_id since = 3\nNEW: node_id since = 2",
        fix: "Restore the original `since`.",
    },
    FieldRegated => RuleInfo {
        id: "FIELD_REGATED",
        severity: Severity::Breaking,
        summary: "an existing field is gated by another feature bit, or gained or lost its feature",
        explanation: "User space tests the field's feature bit before it trusts the field. A \
binary built against the older spec tests the old bit: with another bit (or none), it reads \
a field the kernel never filled, or ignores one it did.",
        bad_example: "OLD: node_id feature = \"node_id\"\nNEW: node_id feature = \"mm_cid\"",
        fix: "Restore the field's `feature`. A field that needs another gate is a new field.",
    },
    StructRemoved => RuleInfo {
        id: "STRUCT_REMOVED",
        severity: Severity::Breaking,
        summary: "a struct of OLD is gone",
        explanation: "Binaries built against OLD still pass the struct, and generated code still \
asserts its layout: without it, nothing says what those bytes mean.",
        bad_example: "OLD: [[struct]] name = \"area\"\nNEW: (no struct area)",
        fix: "Keep the struct.",
    },
    StructShrunk => RuleInfo {
        id: "STRUCT_SHRUNK",
        severity: Severity::Breaking,
        summary: "size or feature_size went down on some target",
        explanation: "Callers announce the length they know. A shorter struct makes the other \
side refuse or misread every caller built against the larger size.",
        bad_example: "OLD: size 32\nNEW: size 24",
        fix: "Never shrink: keep the fields, reserved if obsolete.",
    },
    StructAlignChanged => RuleInfo {
        id: "STRUCT_ALIGN_CHANGED",
        severity: Severity::Breaking,
        summary: "the struct's alignment changed on some target",
        explanation: "Callers allocate the struct (in TLS, on the stack, inside other structs) \
with the old alignment, and the kernel may refuse a misaligned registration.",
        bad_example: "OLD: align = 32\nNEW: align = 64",
        fix: "Keep the alignment.",
    },
    FeatureRemoved => RuleInfo {
        id: "FEATURE_REMOVED",
        severity: Severity::Breaking,
        summary: "a feature disappeared (retire it instead)",
        explanation: "Its bit was announced by old binaries. Without a record of it, the bit can \
be handed to another feature, and old binaries will claim a feature they never knew.",
        bad_example: "OLD: [[feature]] name = \"cpu_id\" bit = 0\nNEW: (gone)",
        fix: "Keep the feature with `retired = true`.",
    },
    FeatureBitChanged => RuleInfo {
        id: "FEATURE_BIT_CHANGED",
        severity: Severity::Breaking,
        summary: "a feature got another bit",
        explanation: "Old binaries announce the old bit, and the other side now reads it as \
another feature (or as nothing): a field is filled that the caller never asked for, or one it \
relies on stays off.",
        bad_example: "OLD: cpu_id bit = 0\nNEW: cpu_id bit = 1",
        fix: "Restore the bit.",
    },
    FeatureBitReused => RuleInfo {
        id: "FEATURE_BIT_REUSED",
        severity: Severity::Breaking,
        summary: "a bit, retired or live, now names another feature",
        explanation: "An old binary that announces the bit means the old feature; the new side \
reads it as the new one.",
        bad_example: "OLD: old_thing bit = 3 (retired)\nNEW: new_thing bit = 3",
        fix: "Take a bit that was never used.",
    },
    FeatureRenamed => RuleInfo {
        id: "FEATURE_RENAMED",
        severity: Severity::Api,
        summary: "same bit and history, other name",
        explanation: "Binaries announce the bit, not the name, so they keep working; source code \
that uses the generated constant (TLABI_FEATURE_...) no longer compiles.",
        bad_example: "OLD: [[feature]] name = \"cpu_id\" bit = 0\nNEW: [[feature]] name = \"cpu\" bit = 0",
        fix: "Keep the old name, or accept the source break (exit 0 unless `--deny api`).",
    },
    ExtensionBitAssigned => RuleInfo {
        id: "EXTENSION_BIT_ASSIGNED",
        severity: Severity::Breaking,
        summary: "a feature sits on a position-63 bit",
        explanation: "Position 63 of every feature word says that another word follows. A \
feature there makes every reader look for a word that is not there. The spec parser refuses \
such a file outright (exit 2, pointing at the `bit`), so this rule is never a finding of a \
file that parsed.",
        bad_example: "[[feature]] bit = 63",
        fix: "Use bit 64, the first bit of the next word, and raise `feature_words`.",
    },
    VersionDecreased => RuleInfo {
        id: "VERSION_DECREASED",
        severity: Severity::Breaking,
        summary: "NEW's version is lower than OLD's",
        explanation: "Published versions cannot be taken back: binaries were built against them \
and announce their sizes. A lower version number means the next release will reuse a number \
that already names another layout.",
        bad_example: "OLD: version = 3\nNEW: version = 2",
        fix: "Keep the version and add to it.",
    },
    ReservedClaimedUnsafely => RuleInfo {
        id: "RESERVED_CLAIMED_UNSAFELY",
        severity: Severity::Breaking,
        summary: "a field claims more bytes than an older version reserved, or a user-written field lies on bytes an older version left as implicit padding within its size",
        explanation: "Reserved bytes are known to be zero in every older caller. Implicit \
padding is not: an older caller that announces its full size leaves garbage there, and a \
user-written field on those bytes would be switched on with that garbage in it.",
        bad_example: "v1: a: u32 (size 8, 4 bytes tail padding)\nv2: flags: u32 at 4, writer = \"user\"",
        fix: "Reserve the bytes explicitly in the older version (a reserved field), or place the \
new field beyond the older version's size.",
    },
    FeatureSizeAmbiguous => RuleInfo {
        id: "FEATURE_SIZE_AMBIGUOUS",
        severity: Severity::Breaking,
        summary: "a version's feature_size equals the size or feature_size of an older version that lacks some of its fields",
        explanation: "The length a caller announces is how the other side learns which version \
it speaks. glibc 2.35-2.39 registered rseq with 32 bytes (the size) while only 20 were \
live; a kernel whose new feature_size was exactly 32 could not tell those callers from new \
ones, and had to add a one-byte placeholder to make the new size 33.",
        bad_example: "v1: feature_size 20, size 32\nv2: feature_size 32",
        fix: "Add a reserved field so the new feature_size differs from every older size, or \
make the bytes reserved (must be zero) in the older version.",
    },
    TargetLayoutDiverges => RuleInfo {
        id: "TARGET_LAYOUT_DIVERGES",
        severity: Severity::Breaking,
        summary: "a field's offset or size, or a struct's size or feature_size, differs between two of the spec's targets",
        explanation: "One ABI must mean one layout: 32-bit user space on a 64-bit kernel (compat) \
and every libc port rely on the same offsets. A u64 is 4-aligned inside structs on i386 and \
sh4 and 2-aligned on m68k, and a pointer or long is 4 bytes on 32-bit targets, so the same \
C declaration lays out differently unless the spec pins it.",
        bad_example: "cpu_id: u32\nrseq_cs: u64    # offset 8 on x86_64, 4 on i386",
        fix: "Give u64 fields `align = 8` (the kernel's __aligned_u64), add explicit reserved \
fields where targets pad differently, and use fixed-size integers instead of ptr or long.",
    },
    SidesDisagree => RuleInfo {
        id: "SIDES_DISAGREE",
        severity: Severity::Breaking,
        summary: "(compat) the kernel's and the library's specs give the same bytes or the same version different meanings",
        explanation: "`abi-check compat` judges two specs of one ABI that evolved apart, such as a \
C library fork that added a field of its own. The length the library announces must name the \
same version on both sides, and a byte must belong to the same field on both: otherwise one \
side writes what the other reads as something else.",
        bad_example: "kernel: v2 adds node_id: u32 at 20\nlibc fork: v2 adds my_flags: u32 at 20",
        fix: "Upstream the field first, or give the fork's field bytes that the kernel reserved \
for it; never ship a version number that means two layouts.",
    },
    ImplicitPadding => RuleInfo {
        id: "IMPLICIT_PADDING",
        severity: Severity::Warning,
        summary: "a hole or tail padding that no field names",
        explanation: "Padding bytes are never written by C code that sets fields one by one, so \
a struct copied to user space can leak kernel memory through them. Unnamed bytes also \
cannot be claimed later safely: older callers left garbage there. Judged on the newest \
version, the struct that code copies today; an older view's padding matters when a later \
field lands on it, which RESERVED_CLAIMED_UNSAFELY and FEATURE_SIZE_AMBIGUOUS judge.",
        bad_example: "a: u32\nb: u64    # 4 bytes hole at offset 4",
        fix: "Name the bytes with an explicit reserved field (`reserved = true`), which must be \
zero and can be claimed later.",
    },
    NonPortableType => RuleInfo {
        id: "NON_PORTABLE_TYPE",
        severity: Severity::Warning,
        summary: "ptr, long, ulong or a float in the ABI",
        explanation: "ptr, long and ulong change size between 32- and 64-bit targets, which breaks \
compat (32-bit user space on a 64-bit kernel). Kernels do not use floating point, so f32 \
and f64 fields cannot be filled or checked there.",
        bad_example: "rseq_cs: ptr",
        fix: "Use u64 for pointers (as rseq and clone_args do) and fixed-size integers for \
everything else.",
    },
    FieldAdded => RuleInfo {
        id: "FIELD_ADDED",
        severity: Severity::Info,
        summary: "a field was appended (compatible)",
        explanation: "Appending a field grows the struct; older callers announce a smaller \
length and never see it.",
        bad_example: "NEW: node_id: u32, since = 3, feature = \"node_id\"",
        fix: "Nothing to fix.",
    },
    FeatureAdded => RuleInfo {
        id: "FEATURE_ADDED",
        severity: Severity::Info,
        summary: "a feature bit was added (compatible)",
        explanation: "A new bit is unknown to older binaries, which never announce it.",
        bad_example: "NEW: [[feature]] name = \"mm_cid\" bit = 3",
        fix: "Nothing to fix.",
    },
    StructAdded => RuleInfo {
        id: "STRUCT_ADDED",
        severity: Severity::Info,
        summary: "a struct was added (compatible)",
        explanation: "Older binaries do not use it.",
        bad_example: "NEW: [[struct]] name = \"slice_ctrl\"",
        fix: "Nothing to fix.",
    },
    ReservedClaimed => RuleInfo {
        id: "RESERVED_CLAIMED",
        severity: Severity::Info,
        summary: "a field claimed bytes an older version reserved (compatible)",
        explanation: "Reserved bytes were zero in every older caller, so the new field reads as \
zero (off) for them.",
        bad_example: "NEW: clockid: i32, was_reserved = true",
        fix: "Nothing to fix.",
    },
}

impl Rule {
    /// The stable ID, e.g. `FIELD_MOVED`.
    pub fn id(self) -> &'static str {
        self.info().id
    }

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
        !matches!(
            self,
            Rule::FieldRemoved | Rule::StructRemoved | Rule::StructShrunk
        )
    }
}

/// The catalog as a Markdown page: `docs/rules.md` is this text, and a test
/// keeps the two equal.
pub fn catalog_markdown() -> String {
    let mut out = String::from(
        "# Rules\n\n\
Generated from the rule catalog (`abi-spec/src/rules.rs`) by \
`UPDATE_DOCS=1 cargo test -p abi-tests --test rules`; do not edit by hand. \
`abi-check explain RULE` prints one entry. Severities: `breaking` exits 1; `api` \
(source-breaking only) exits 0 unless `--deny api`; `warning` and `info` exit 0. \
A waiver can never hide FIELD_REMOVED, STRUCT_REMOVED or STRUCT_SHRUNK.\n\n\
| rule | severity | when |\n| --- | --- | --- |\n",
    );
    for rule in Rule::ALL {
        let info = rule.info();
        out.push_str(&format!(
            "| [{id}](#{anchor}) | {severity} | {summary} |\n",
            id = info.id,
            anchor = info.id.to_ascii_lowercase(),
            severity = info.severity,
            summary = info.summary.replace('|', "\\|"),
        ));
    }
    for rule in Rule::ALL {
        let info = rule.info();
        out.push_str(&format!(
            "\n## {id}\n\nSeverity: **{severity}**{waiver}. {summary}.\n\n\
### Why it matters\n\n{why}\n\n### Example\n\n```text\n{bad}\n```\n\n### Fix\n\n{fix}\n",
            id = info.id,
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
