//! One view of an ABI (a spec at a version) against a later one: the
//! struct and field rules, judged per layout class of targets. Every
//! comparison of the project runs here: `check`'s history (two versions of
//! one file), `diff` (two files), `compat` (a kernel's and a C library's
//! file) and the published-version check.

use crate::finding::Finding;
use crate::identity::{self, Fate, Pairing};
use crate::layout::{on_targets, targets_of, FieldLayout, Layout, LayoutClass};
use crate::model::{Field, Spec, StructDef};
use crate::protocol::Protocol;
use crate::rules::{Rule, Severity};

/// A spec at one version: one side of a comparison.
#[derive(Clone, Copy)]
pub(crate) struct View<'a> {
    /// The spec.
    pub spec: &'a Spec,
    /// The version seen.
    pub version: u32,
}

impl<'a> View<'a> {
    /// The newest version of a spec.
    pub fn newest(spec: &'a Spec) -> Self {
        View {
            spec,
            version: spec.abi.version,
        }
    }

    fn layout(&self, struct_index: usize, class: &LayoutClass) -> Option<&'a Layout> {
        self.spec.layout(struct_index, class.rep, self.version)
    }

    /// The global bit of a feature of this view's spec, when the view
    /// offers it (live, introduced by then).
    fn offers(&self, bit: u32) -> bool {
        self.spec
            .features
            .iter()
            .any(|f| f.bit == bit && f.since <= self.version && !f.retired)
    }
}

/// What one comparison reports.
#[derive(Clone, Copy)]
pub(crate) struct Scope<'c> {
    /// The layout classes of the targets judged.
    pub classes: &'c [LayoutClass],
    /// Which views, for messages.
    pub context: &'c str,
    /// Whether compatible steps (info findings) are reported too.
    pub info: bool,
}

/// Byte ranges `[start, end)`, merged and sorted.
pub(crate) fn merged(mut ranges: Vec<(u64, u64)>) -> Vec<(u64, u64)> {
    ranges.retain(|r| r.0 < r.1);
    ranges.sort_unstable();
    let mut out: Vec<(u64, u64)> = Vec::with_capacity(ranges.len());
    for r in ranges {
        match out.last_mut() {
            Some(last) if r.0 <= last.1 => last.1 = last.1.max(r.1),
            _ => out.push(r),
        }
    }
    out
}

/// True when the non-empty range `r` lies within one of `ranges`, which
/// are [`merged`] (sorted and apart): a binary search, as a struct may have
/// thousands of reserved ranges and each of its fields asks.
pub(crate) fn contained(r: (u64, u64), ranges: &[(u64, u64)]) -> bool {
    debug_assert!(ranges.windows(2).all(|w| w[0].1 < w[1].0));
    // The last range starting at or before `r`.
    let i = ranges.partition_point(|&(s, _)| s <= r.0);
    r.0 < r.1 && i > 0 && r.1 <= ranges[i - 1].1
}

/// True when `r` shares a byte with one of `ranges`, which are [`merged`].
fn overlaps(r: (u64, u64), ranges: &[(u64, u64)]) -> bool {
    debug_assert!(ranges.windows(2).all(|w| w[0].1 < w[1].0));
    // The first range ending after `r` starts.
    let i = ranges.partition_point(|&(_, e)| e <= r.0);
    ranges.get(i).is_some_and(|&(s, _)| s < r.1)
}

/// True when a field, as placed in a layout, is only reserved bytes there.
pub(crate) fn is_reserved(def: &StructDef, f: &FieldLayout) -> bool {
    !identity::is_live(def, f)
}

/// The bits that `layout` keeps reserved (must be zero), in allocation
/// order: every range below counts bits, so that bitfields and bytes are
/// judged alike.
pub(crate) fn reserved_ranges(def: &StructDef, layout: &Layout) -> Vec<(u64, u64)> {
    merged(
        layout
            .fields
            .iter()
            .filter(|f| is_reserved(def, f))
            .map(FieldLayout::bit_range)
            .collect(),
    )
}

/// The layouts of one struct in both views, one pair per class; `None`
/// unless the struct exists in both on every class.
pub(crate) fn layout_pairs<'a>(
    old: &View<'a>,
    new: &View<'a>,
    old_index: usize,
    new_index: usize,
    classes: &[LayoutClass],
) -> Option<Vec<(&'a Layout, &'a Layout)>> {
    classes
        .iter()
        .map(|c| Some((old.layout(old_index, c)?, new.layout(new_index, c)?)))
        .collect()
}

/// Where a field that OLD does not know lies, seen from OLD.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Placement {
    /// At or after OLD's feature_size, on bytes OLD never used.
    Appended,
    /// Inside bytes OLD reserved.
    Claimed,
    /// Appended, but on OLD's tail padding while OLD's size reaches NEW's
    /// feature_size, and user space writes it.
    OnPadding,
    /// Appended on OLD's tail padding in a struct the kernel copies in,
    /// and user space writes it: an older kernel ignores it.
    IgnoredAsPadding,
    /// Partly on reserved bytes, partly not.
    BeyondReserved,
    /// Among OLD's fields, on bytes OLD did not reserve.
    Inserted,
}

/// Compares `old` with `new` (the same ABI, `new` being the later view, or
/// the other side's) and pushes every finding.
pub(crate) fn compare(old: &View<'_>, new: &View<'_>, scope: Scope<'_>, out: &mut Vec<Finding>) {
    let classes = scope.classes;
    for (old_index, old_def) in old.spec.structs.iter().enumerate() {
        if classes.iter().all(|c| old.layout(old_index, c).is_none()) {
            continue;
        }
        let pairs = new
            .spec
            .struct_index(&old_def.name)
            .and_then(|n| Some((n, layout_pairs(old, new, old_index, n, classes)?)));
        let Some((new_index, pairs)) = pairs else {
            let gone = new
                .spec
                .struct_index(&old_def.name)
                .is_none_or(|n| classes.iter().any(|c| new.layout(n, c).is_none()));
            if gone {
                out.push(
                    Finding::new(
                        Rule::STRUCT_REMOVED,
                        format!("struct `{}` is gone {}", old_def.name, scope.context),
                    )
                    .on_struct(&old_def.name)
                    .at(old.spec, old_def.name_span)
                    .with_help(
                        "keep the struct; binaries built against the older view still pass it",
                    ),
                );
            }
            continue;
        };
        let feature_size_at = |class: usize, version: u32| {
            let rep = classes.get(class)?.rep;
            Some(new.spec.layout(new_index, rep, version)?.feature_size)
        };
        compare_struct(
            old,
            new,
            (old_index, new_index),
            &pairs,
            &feature_size_at,
            scope,
            out,
        );
    }
}

/// Judges struct `indices.0` of OLD against struct `indices.1` of NEW,
/// which exist in both views, given their layouts per class of
/// `scope.classes` (OLD's, NEW's): what [`compare`] does for each struct,
/// callable on its own with layouts the caller computed (`check`'s history
/// does not keep every version's layouts). `feature_size_at(class,
/// version)` is NEW's struct's feature size on a class in another version
/// of NEW (CLAIM_AMBIGUOUS asks about the version that introduced a field).
pub(crate) fn compare_struct(
    old: &View<'_>,
    new: &View<'_>,
    indices: (usize, usize),
    pairs: &[(&Layout, &Layout)],
    feature_size_at: &dyn Fn(usize, u32) -> Option<u64>,
    scope: Scope<'_>,
    out: &mut Vec<Finding>,
) {
    StructComparison {
        old,
        new,
        old_def: &old.spec.structs[indices.0],
        new_def: &new.spec.structs[indices.1],
        pairs,
        feature_size_at,
        scope,
    }
    .run(out);
}

/// One struct in both views.
struct StructComparison<'a> {
    old: &'a View<'a>,
    new: &'a View<'a>,
    old_def: &'a StructDef,
    new_def: &'a StructDef,
    /// Per class: the struct's layout in OLD and in NEW.
    pairs: &'a [(&'a Layout, &'a Layout)],
    /// NEW's struct's feature size per class in another version of NEW.
    feature_size_at: &'a dyn Fn(usize, u32) -> Option<u64>,
    scope: Scope<'a>,
}

impl StructComparison<'_> {
    /// Where field `oi` of OLD and `ni` of NEW differ by `differs`: both
    /// placements on the first class where they do, and the targets where
    /// they do (none when everywhere).
    fn field_differs(
        &self,
        oi: usize,
        ni: usize,
        differs: impl Fn(&FieldLayout, &FieldLayout) -> bool,
    ) -> Option<(&FieldLayout, &FieldLayout, Vec<crate::target::Target>)> {
        let hit: Vec<bool> = self
            .pairs
            .iter()
            .map(|(o, n)| match (o.field(oi), n.field(ni)) {
                (Some(a), Some(b)) => differs(a, b),
                _ => false,
            })
            .collect();
        let (o, n) = self.pairs[hit.iter().position(|&h| h)?];
        Some((o.field(oi)?, n.field(ni)?, self.targets(&hit)))
    }

    fn targets(&self, hit: &[bool]) -> Vec<crate::target::Target> {
        targets_of(self.scope.classes, hit)
    }

    fn run(&self, out: &mut Vec<Finding>) {
        self.sizes(out);
        let pairing = identity::pair(self.old_def, self.new_def, self.pairs);
        let (o0, _) = self.pairs[0];
        // Bytes of old live fields that NEW keeps reserved, per class: a new
        // reserved field there retires them, it inserts nothing.
        let mut retired: Vec<Vec<(u64, u64)>> = vec![Vec::new(); self.pairs.len()];
        for old_fl in o0
            .fields
            .iter()
            .filter(|f| identity::is_live(self.old_def, f))
        {
            let Some(fate) = pairing.old[old_fl.index] else {
                continue;
            };
            match fate {
                Fate::Same(ni) | Fate::Renamed(ni) => {
                    if matches!(fate, Fate::Renamed(_)) {
                        self.renamed(old_fl.index, ni, out);
                    }
                    self.same_field(old_fl.index, ni, out);
                }
                Fate::Retired(_) | Fate::Gone => {
                    if self.kept_reserved(old_fl.index) {
                        for ((o, _), r) in self.pairs.iter().zip(retired.iter_mut()) {
                            if let Some(f) = o.field(old_fl.index) {
                                r.push(f.bit_range());
                            }
                        }
                        self.field_retired(old_fl.index, out);
                    } else {
                        self.field_removed(old_fl.index, out);
                    }
                }
            }
        }
        let unsafe_growth = self.new_fields(&pairing, &retired, out);
        if !unsafe_growth {
            self.ambiguous_feature_size(&pairing, out);
        }
    }

    /// STRUCT_SHRUNK and STRUCT_ALIGN_CHANGED.
    fn sizes(&self, out: &mut Vec<Finding>) {
        let (name, context) = (&self.new_def.name, self.scope.context);
        let shrunk: Vec<bool> = self
            .pairs
            .iter()
            .map(|(o, n)| n.size < o.size || n.feature_size < o.feature_size)
            .collect();
        if let Some(i) = shrunk.iter().position(|&s| s) {
            let (o, n) = self.pairs[i];
            let targets = self.targets(&shrunk);
            out.push(
                Finding::new(
                    Rule::STRUCT_SHRUNK,
                    format!(
                        "`{name}` went from size {} (feature_size {}) to size {} (feature_size {}){} {context}",
                        o.size, o.feature_size, n.size, n.feature_size, on_targets(&targets)
                    ),
                )
                .on_struct(name)
                .on_targets(targets)
                .at(self.new.spec, self.new_def.name_span)
                .with_help("never shrink an extensible struct: keep obsolete fields as reserved bytes"),
            );
        }
        let realigned: Vec<bool> = self.pairs.iter().map(|(o, n)| n.align != o.align).collect();
        if let Some(i) = realigned.iter().position(|&s| s) {
            let (o, n) = self.pairs[i];
            let targets = self.targets(&realigned);
            out.push(
                Finding::new(
                    Rule::STRUCT_ALIGN_CHANGED,
                    format!(
                        "`{name}` went from alignment {} to {}{} {context}",
                        o.align,
                        n.align,
                        on_targets(&targets)
                    ),
                )
                .on_struct(name)
                .on_targets(targets)
                .at(self.new.spec, self.new_def.name_span)
                .with_help(format!("restore the struct's alignment ({})", o.align)),
            );
        }
    }

    /// True when every byte of the old field `old_index` is reserved in
    /// NEW, by reserved fields that are new or stayed where they were:
    /// obsolete, not removed. (Reserved fields that slid into its place are
    /// a removal that shifted the rest.)
    fn kept_reserved(&self, old_index: usize) -> bool {
        self.pairs.iter().all(|(o, n)| {
            let Some(f) = o.field(old_index) else {
                return false;
            };
            let range = f.bit_range();
            let stayed = n
                .fields
                .iter()
                .filter(|g| is_reserved(self.new_def, g))
                .all(|g| {
                    let (start, end) = g.bit_range();
                    let overlapping = start < range.1 && range.0 < end;
                    let name = &self.new_def.fields[g.index].name;
                    !overlapping
                        || o.fields.iter().all(|h| {
                            self.old_def.fields[h.index].name != *name || h.bit_range().0 == start
                        })
                });
            stayed && contained(range, &reserved_ranges(self.new_def, n))
        })
    }

    fn field_removed(&self, old_index: usize, out: &mut Vec<Finding>) {
        let field = &self.old_def.fields[old_index];
        out.push(
            Finding::new(
                Rule::FIELD_REMOVED,
                format!(
                    "`{}.{}` is gone {}",
                    self.old_def.name, field.name, self.scope.context
                ),
            )
            .on_struct(&self.old_def.name)
            .on_field(&field.name)
            .at(self.old.spec, field.name_span)
            .with_help(format!(
                "keep `{}`; if it is obsolete, keep its bytes as a reserved field of the same size",
                field.name
            )),
        );
    }

    fn field_retired(&self, old_index: usize, out: &mut Vec<Finding>) {
        let field = &self.old_def.fields[old_index];
        let (span, spec) = match self.new_def.field(&field.name) {
            Some(f) => (f.name_span, self.new.spec),
            None => (field.name_span, self.old.spec),
        };
        out.push(
            Finding::new(
                Rule::FIELD_RETIRED,
                format!(
                    "`{}.{}` is only reserved bytes now {}: binaries that use it read zero or write what is ignored",
                    self.old_def.name, field.name, self.scope.context
                ),
            )
            .on_struct(&self.old_def.name)
            .on_field(&field.name)
            .at(spec, span)
            .with_help(format!(
                "keep `{}` live, or waive this with the reason older binaries cope",
                field.name
            )),
        );
    }

    fn renamed(&self, old_index: usize, new_index: usize, out: &mut Vec<Finding>) {
        let (old_field, new_field) = (
            &self.old_def.fields[old_index],
            &self.new_def.fields[new_index],
        );
        out.push(
            Finding::new(
                Rule::FIELD_RENAMED,
                format!(
                    "`{}.{}` is now called `{}` {} (same place, type and history)",
                    self.old_def.name, old_field.name, new_field.name, self.scope.context
                ),
            )
            .on_struct(&self.new_def.name)
            .on_field(&new_field.name)
            .at(self.new.spec, new_field.name_span)
            .with_help(format!(
                "keep the name `{}`: source code that uses it stops compiling",
                old_field.name
            )),
        );
    }

    /// The rules of a field both views have (by name or renamed).
    fn same_field(&self, oi: usize, ni: usize, out: &mut Vec<Finding>) {
        let (old_field, new_field) = (&self.old_def.fields[oi], &self.new_def.fields[ni]);
        let (name, context) = (&self.new_def.name, self.scope.context);
        let field = &new_field.name;
        let new_spec = self.new.spec;
        let finding = |rule: Rule, message: String| {
            Finding::new(rule, message).on_struct(name).on_field(field)
        };
        let retyped = old_field.ty != new_field.ty || old_field.bits != new_field.bits;
        if retyped {
            out.push(
                finding(
                    Rule::FIELD_RETYPED,
                    format!(
                        "`{name}.{field}` changed type from `{}` to `{}` {context}",
                        old_field.type_text(),
                        new_field.type_text()
                    ),
                )
                .at(new_spec, new_field.type_span)
                .with_help(format!(
                    "keep `{}`; add a new field, gated by a feature, for the new type",
                    old_field.type_text()
                )),
            );
        }
        // The same type that lays out otherwise: a struct or union it
        // names grew or shrank in between. Every later field moves, and a
        // side built with the older size reads, writes or copies fewer
        // bytes of the field than the other.
        let width = |f: &FieldLayout| {
            let (start, end) = f.bit_range();
            end - start
        };
        let resized = (!retyped)
            .then(|| self.field_differs(oi, ni, |a, b| width(a) != width(b)))
            .flatten();
        if let Some((a, b, targets)) = resized {
            out.push(
                    finding(
                        Rule::FIELD_RETYPED,
                        format!(
                            "`{name}.{field}` (type `{}`) is now {} bytes, was {}{}: its type changed size {context}",
                            new_field.type_text(),
                            b.size,
                            a.size,
                            on_targets(&targets)
                        ),
                    )
                    .on_targets(targets)
                    .at(new_spec, new_field.type_span)
                    .with_help(format!(
                        "keep `{}` as it was: give the type's new fields to a new type (or append them to `{name}`), gated by a feature",
                        new_field.type_text()
                    )),
                );
        }
        if old_field.since != new_field.since {
            out.push(
                finding(
                    Rule::HISTORY_REWRITTEN,
                    format!(
                        "`{name}.{field}` now says `since = {}`; it was {} {context}",
                        new_field.since, old_field.since
                    ),
                )
                .at(new_spec, new_field.since_span)
                .with_help(format!(
                    "restore `since = {}`: published versions cannot change",
                    old_field.since
                )),
            );
        }
        // The gate is the bit binaries test, not its name (a feature may be
        // renamed, FEATURE_RENAMED, and keep its bit).
        let bit = |spec: &Spec, f: &Field| {
            f.feature
                .as_deref()
                .and_then(|n| spec.feature(n))
                .map(|f| f.bit)
        };
        if bit(self.old.spec, old_field) != bit(new_spec, new_field) {
            let show = |f: &Field| {
                f.feature
                    .as_deref()
                    .map_or("no feature".to_string(), |n| format!("feature `{n}`"))
            };
            out.push(
                finding(
                    Rule::FIELD_REGATED,
                    format!(
                        "`{name}.{field}` was gated by {} and now by {} {context}",
                        show(old_field),
                        show(new_field)
                    ),
                )
                .at(new_spec, new_field.name_span)
                .with_help(
                    "restore the field's feature: binaries test the bit they were built with",
                ),
            );
        }
        if old_field.writer != new_field.writer {
            out.push(
                finding(
                    Rule::FIELD_WRITER_CHANGED,
                    format!(
                        "`{name}.{field}` was written by {} and now by {} {context}",
                        old_field.writer.name(),
                        new_field.writer.name()
                    ),
                )
                .at(new_spec, new_field.name_span)
                .with_help(format!(
                    "restore `writer = \"{}\"`: the other side fills or reads the field as it was built to",
                    old_field.writer.name()
                )),
            );
        }
        if let Some((a, b, targets)) =
            self.field_differs(oi, ni, |a, b| a.bit_range().0 != b.bit_range().0)
        {
            out.push(
                finding(
                    Rule::FIELD_MOVED,
                    format!(
                        "`{name}.{field}` moved from {} to {}{} {context}",
                        place(a),
                        place(b),
                        on_targets(&targets)
                    ),
                )
                .on_targets(targets)
                .at(new_spec, new_field.name_span)
                .with_help("keep every existing field at its offset on every target; append new fields instead"),
            );
        }
    }

    /// New live fields that OLD does not have. Returns true when one of
    /// them makes the lengths meaningless (inserted, or beyond reserved
    /// bytes): FEATURE_SIZE_AMBIGUOUS would only repeat it.
    fn new_fields(
        &self,
        pairing: &Pairing,
        retired: &[Vec<(u64, u64)>],
        out: &mut Vec<Finding>,
    ) -> bool {
        let (name, context) = (&self.new_def.name, self.scope.context);
        let old_reserved: Vec<Vec<(u64, u64)>> = self
            .pairs
            .iter()
            .map(|(o, _)| reserved_ranges(self.old_def, o))
            .collect();
        // What a new reserved field may lie on without being news: OLD's
        // reserved bytes and the bytes retired now, per class.
        let quiet: Vec<Vec<(u64, u64)>> = old_reserved
            .iter()
            .zip(retired)
            .map(|(reserved, retired)| merged(reserved.iter().chain(retired).copied().collect()))
            .collect();
        let (_, n0) = self.pairs[0];
        let protocol = Protocol::of(&[self.old_def, self.new_def]);
        let mut unsafe_growth = false;
        for new_fl in n0.fields.iter().filter(|f| !f.placeholder) {
            if pairing.new[new_fl.index].is_some() {
                continue;
            }
            let field = &self.new_def.fields[new_fl.index];
            if field.reserved {
                let covered = self.pairs.iter().zip(&quiet).all(|((_, n), bits)| {
                    let nf = n.field(new_fl.index).copied().unwrap_or(*new_fl);
                    let (start, end) = nf.bit_range();
                    start == end || contained((start, end), bits)
                });
                if covered {
                    continue;
                }
            }
            let placements: Vec<Placement> = self
                .pairs
                .iter()
                .zip(&old_reserved)
                .map(|((o, n), reserved)| {
                    let nf = n.field(new_fl.index).copied().unwrap_or(*new_fl);
                    placement(
                        reserved,
                        (o.size, o.feature_size),
                        n.feature_size,
                        (field, nf.bit_range()),
                        protocol,
                    )
                })
                .collect();
            let Some(&worst) = placements.iter().max() else {
                continue;
            };
            let hit: Vec<bool> = placements.iter().map(|&p| p == worst).collect();
            let targets = self.targets(&hit);
            let at = on_targets(&targets);
            unsafe_growth |= matches!(worst, Placement::Inserted | Placement::BeyondReserved);
            if worst == Placement::Claimed && !field.reserved {
                self.claim_gate(field, out);
            }
            let (rule, message, help) = match worst {
                Placement::Inserted => (
                    Rule::FIELD_INSERTED,
                    format!("`{name}.{}` lies among the fields of the older view, on bytes it did not reserve{at} ({context})", field.name),
                    "append new fields after every existing one, or claim bytes an older version reserved (`was_reserved`)".to_string(),
                ),
                Placement::BeyondReserved => (
                    Rule::RESERVED_CLAIMED_UNSAFELY,
                    format!("`{name}.{}` claims more bytes than the older view reserved{at} ({context})", field.name),
                    "claim only reserved bytes: split the field, or reserve the bytes first".to_string(),
                ),
                Placement::IgnoredAsPadding => (
                    Rule::RESERVED_CLAIMED_UNSAFELY,
                    format!(
                        "`{name}.{}` is written by user space and lies on the older view's tail padding{at}: a kernel of that view copies the struct in with its padding and ignores the field, without the E2BIG a field beyond its size gets ({context})",
                        field.name
                    ),
                    "reserve those bytes explicitly in the older version, or place the field beyond the older version's size".to_string(),
                ),
                Placement::OnPadding => (
                    Rule::RESERVED_CLAIMED_UNSAFELY,
                    format!(
                        "`{name}.{}` is written by user space and lies on the older view's tail padding, whose size reaches the new feature_size{at}: an older caller's length switches it on with garbage in it ({context})",
                        field.name
                    ),
                    "reserve those bytes explicitly in the older version, or place the field beyond the older version's size".to_string(),
                ),
                Placement::Claimed if field.reserved => continue,
                Placement::Claimed | Placement::Appended if !self.scope.info => continue,
                Placement::Claimed => (
                    Rule::RESERVED_CLAIMED,
                    format!("`{name}.{}` claims reserved bytes ({context})", field.name),
                    "nothing to fix: reserved bytes were zero in every older caller".to_string(),
                ),
                Placement::Appended => (
                    Rule::FIELD_ADDED,
                    format!("`{name}.{}` was appended ({context})", field.name),
                    "nothing to fix: older callers announce a smaller length".to_string(),
                ),
            };
            out.push(
                Finding::new(rule, message)
                    .on_struct(name)
                    .on_field(&field.name)
                    .on_targets(if rule.severity() == Severity::Info {
                        Vec::new()
                    } else {
                        targets
                    })
                    .at(self.new.spec, field.name_span)
                    .with_help(help),
            );
        }
        unsafe_growth
    }

    /// CLAIM_AMBIGUOUS: in a registered struct, a field the kernel writes
    /// that claims reserved bytes is on, for a C library of its version,
    /// at any agreed length of at least its version's feature size (its
    /// bound). Where the older view's length already reaches that bound,
    /// only a feature bit the older view does not offer keeps the field off
    /// when a kernel of that view answers.
    fn claim_gate(&self, field: &Field, out: &mut Vec<Finding>) {
        if !Protocol::of(&[self.old_def, self.new_def]).negotiates_features()
            || !field.writer.kernel_writes()
        {
            return;
        }
        let covered: Vec<bool> = self
            .pairs
            .iter()
            .enumerate()
            .map(|(class, (o, _))| {
                (self.feature_size_at)(class, field.since)
                    .is_some_and(|at_since| at_since <= o.feature_size)
            })
            .collect();
        if !covered.iter().any(|&c| c) {
            return;
        }
        let gate = field
            .feature
            .as_deref()
            .and_then(|n| self.new.spec.feature(n));
        let why = match gate {
            Some(feature) if self.old.offers(feature.bit) => format!(
                "gated by feature `{}` (bit {}), which the older view already offers",
                feature.name, feature.bit
            ),
            Some(_) => return,
            None => "gated by no feature".to_string(),
        };
        let name = &self.new_def.name;
        let targets = self.targets(&covered);
        out.push(
            Finding::new(
                Rule::CLAIM_AMBIGUOUS,
                format!(
                    "`{name}.{}` claims reserved bytes that the older view's length already covers{}, and is {why} ({}): a kernel of that view agrees a length that switches it on, and never writes it",
                    field.name,
                    on_targets(&targets),
                    self.scope.context
                ),
            )
            .on_struct(name)
            .on_field(&field.name)
            .on_targets(targets)
            .at(self.new.spec, field.name_span)
            .with_help(format!(
                "gate `{}` with a new feature, introduced in version {}",
                field.name, field.since
            )),
        );
    }

    /// FEATURE_SIZE_AMBIGUOUS: NEW's feature_size equals OLD's size or
    /// feature_size while OLD lacks some of NEW's fields on bytes it did
    /// not reserve: that length no longer says which version the caller
    /// speaks.
    fn ambiguous_feature_size(&self, pairing: &Pairing, out: &mut Vec<Finding>) {
        let new_def = self.new_def;
        let mut lacking_names: Vec<&str> = Vec::new();
        // Field names are unique in a struct: by index, not a search.
        let mut lacking_seen = std::collections::HashSet::new();
        let hit: Vec<bool> = self
            .pairs
            .iter()
            .map(|(o, n)| {
                if n.feature_size != o.size && n.feature_size != o.feature_size {
                    return false;
                }
                let reserved = reserved_ranges(self.old_def, o);
                let mut any = false;
                for nf in n.fields.iter().filter(|f| !is_reserved(new_def, f)) {
                    let field = &new_def.fields[nf.index];
                    if pairing.new[nf.index].is_some() {
                        continue;
                    }
                    let bits = nf.bit_range();
                    if bits.0 < bits.1 && !contained(bits, &reserved) {
                        any = true;
                        if lacking_seen.insert(nf.index) {
                            lacking_names.push(&field.name);
                        }
                    }
                }
                any
            })
            .collect();
        let Some(i) = hit.iter().position(|&h| h) else {
            return;
        };
        let (o, n) = self.pairs[i];
        let which = if n.feature_size == o.size {
            "size"
        } else {
            "feature_size"
        };
        let targets = self.targets(&hit);
        let list = lacking_names
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ");
        out.push(
            Finding::new(
                Rule::FEATURE_SIZE_AMBIGUOUS,
                format!(
                    "`{}` has feature_size {} {}, the {which} of the older view, which lacks {list} on bytes it did not reserve{}: a caller announcing {} bytes could speak either",
                    new_def.name,
                    n.feature_size,
                    self.scope.context,
                    on_targets(&targets),
                    n.feature_size
                ),
            )
            .on_struct(&new_def.name)
            .on_targets(targets)
            .at(self.new.spec, new_def.fields.last().map_or(new_def.name_span, |f| f.name_span))
            .with_help(format!(
                "append a one-byte reserved field so the feature_size becomes {}, or reserve those bytes (must be zero) in the older version",
                n.feature_size + 1
            )),
        );
    }
}

/// Where a field lies, for messages: `offset 8`, or `bit 3 of byte 40`.
fn place(f: &FieldLayout) -> String {
    match f.bits {
        Some(b) => format!("bit {} of byte {}", b.offset % 8, b.offset / 8),
        None => format!("offset {}", f.offset),
    }
}

/// Where a new field lies, seen from OLD: `field.1` is its bits in NEW
/// ([`FieldLayout::bit_range`]), `reserved` the bits OLD keeps reserved
/// ([`reserved_ranges`]), `old` OLD's size and feature size and
/// `new_feature_size` NEW's, in bytes, and `protocol` the struct's
/// (copy-in ignores what lies on OLD's tail padding).
pub(crate) fn placement(
    reserved: &[(u64, u64)],
    old: (u64, u64),
    new_feature_size: u64,
    field: (&Field, (u64, u64)),
    protocol: Protocol,
) -> Placement {
    let (old_size, old_feature_size) = old;
    let (field, range) = field;
    if contained(range, reserved) {
        return Placement::Claimed;
    }
    if range.0 < range.1 && overlaps(range, reserved) {
        return Placement::BeyondReserved;
    }
    if range.0 >= old_feature_size * 8 {
        let on_padding = field.writer.user_writes() && !field.reserved && range.0 < old_size * 8;
        if on_padding && old_size >= new_feature_size {
            return Placement::OnPadding;
        }
        if on_padding && protocol == Protocol::CopyIn {
            return Placement::IgnoredAsPadding;
        }
        return Placement::Appended;
    }
    Placement::Inserted
}
