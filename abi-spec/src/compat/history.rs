//! `check`'s history: every version of one spec judged against every
//! older one, with the findings of judging all pairs (and, for each
//! subject, the first pair that finds it), without judging all pairs.
//!
//! Judging every pair costs versions² times fields and, through the
//! spec's layout table, keeps every version's layout: 256 versions of a
//! 65,536-field struct took over 300 s and 9 GB. Within one spec much is
//! fixed, and the rest is found where it can first appear:
//!
//! * Both views are of one struct definition: every field live in the
//!   older view is the same field in the newer one (no rename, removal or
//!   retirement, and no type, `since`, gate or writer changes);
//!   what can fire is STRUCT_SHRUNK, STRUCT_ALIGN_CHANGED, FIELD_MOVED,
//!   FIELD_RETYPED (a struct the field embeds changed size), the
//!   placements of new fields (FIELD_INSERTED, RESERVED_CLAIMED_UNSAFELY,
//!   for bytes beyond the reserved ones and for user-written fields on the
//!   older view's tail padding, which a copy-in struct's older kernel
//!   ignores; RESERVED_CLAIMED, FIELD_ADDED), CLAIM_AMBIGUOUS and
//!   FEATURE_SIZE_AMBIGUOUS.
//! * A pair's findings depend on the newer version only through its
//!   layout of the struct (and on the older one through its layout, plus,
//!   for CLAIM_AMBIGUOUS, the features it offers). A struct's layout
//!   changes at few versions; the versions between are one *block*, and a
//!   pair within a block finds nothing. Pairs are judged per block.
//! * One pass over the versions (per layout class, not kept) records per
//!   struct each block's sizes and reserved bits, and per field the bits
//!   it occupies from its `since` on, where they change (*segments*). Bits,
//!   as the comparison counts them: a bitfield is judged like any field.
//! * From those, each subject's first pair (the newest version first, then
//!   the oldest) is computed: FIELD_MOVED at the field's `since` and its
//!   first move (of its first bit), FIELD_RETYPED there and its first
//!   change of width (a struct it embeds grew); a new field's placement against each
//!   older block, which depends on the newer version only through the
//!   field's bits (its segment) and, for a field on the older view's tail
//!   padding, the newer feature size; FEATURE_SIZE_AMBIGUOUS from per-block numbers and
//!   what the placements said, per pair of blocks.
//! * The comparison itself ([`compare::compare_struct`], the one every
//!   command uses) then runs on exactly those pairs, with layouts laid out
//!   for them, and writes the findings: the messages are its own.
//!
//! The work is one layout per version and class, plus, per new field, one
//! placement per older block and segment, plus one comparison of the
//! struct per pair found: for 65,536 fields over 256 versions, seconds
//! rather than minutes. A field that moves at every version costs a
//! placement per older block at each move (a spec of such faults costs
//! versions² times fields, as every pair did).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use crate::finding::Finding;
use crate::layout::{self, Layout, LayoutClass};
use crate::model::{Spec, StructDef};
use crate::protocol::Protocol;
use crate::rules::Rule;

use super::compare::{self, Placement, Scope, View};

/// A struct's sizes in one block on one class.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Numbers {
    size: u64,
    feature_size: u64,
    align: u64,
}

/// Bits `[start, end)`, in allocation order ([`layout::FieldLayout::bit_range`]):
/// what the comparison judges, so that bitfields and bytes are alike.
type Range = (u64, u64);

/// A version where something changes, and what it is from there on.
type Change<T> = (u32, T);

/// One struct's history on one layout class, recorded where it changes.
#[derive(Default, PartialEq, Eq)]
struct ClassTrack {
    /// The versions where the struct's layout changes (the first: where
    /// it appears), with its sizes and reserved bits from there on.
    changes: Vec<Change<(Numbers, Vec<Range>)>>,
    /// Per field (by index): the bits it occupies as itself (not as a
    /// placeholder), at each version where they change.
    fields: Vec<Vec<Change<Range>>>,
}

/// What placement compares: a field's place as judged, without the
/// field's own alignment (which no rule reads).
fn same_places(a: &Layout, b: &Layout) -> bool {
    (a.size, a.feature_size, a.align) == (b.size, b.feature_size, b.align)
        && a.fields.len() == b.fields.len()
        && a.fields.iter().zip(&b.fields).all(|(x, y)| {
            (x.index, x.offset, x.size, x.placeholder, x.bits)
                == (y.index, y.offset, y.size, y.placeholder, y.bits)
        })
}

/// The pass over every version on one class: each struct's changes.
fn track_class(spec: &Spec, class: &LayoutClass) -> Vec<ClassTrack> {
    let mut tracks: Vec<ClassTrack> = spec
        .structs
        .iter()
        .map(|def| ClassTrack {
            changes: Vec::new(),
            fields: vec![Vec::new(); def.fields.len()],
        })
        .collect();
    // Side by side, what each version asks of every field: whether it is
    // reserved, and the bits last recorded (none yet: an empty range past
    // any struct).
    const NONE: (u64, u64) = (u64::MAX, u64::MAX);
    let reserved: Vec<Vec<bool>> = spec
        .structs
        .iter()
        .map(|def| def.fields.iter().map(|f| f.reserved).collect())
        .collect();
    let mut last: Vec<Vec<(u64, u64)>> = spec
        .structs
        .iter()
        .map(|def| vec![NONE; def.fields.len()])
        .collect();
    let mut previous: Vec<Option<Layout>> = vec![None; spec.structs.len()];
    for version in spec.versions() {
        let current = layout::fresh(spec, class.rep, version);
        for (index, (now, before)) in current.iter().zip(&previous).enumerate() {
            let Some(now) = now else { continue };
            if before.as_ref().is_some_and(|b| same_places(b, now)) {
                continue;
            }
            let track = &mut tracks[index];
            // `compare::reserved_ranges`: placeholders and reserved fields.
            let reserved_bytes = compare::merged(
                now.fields
                    .iter()
                    .filter(|f| f.placeholder || reserved[index][f.index])
                    .map(layout::FieldLayout::bit_range)
                    .collect(),
            );
            track.changes.push((
                version,
                (
                    Numbers {
                        size: now.size,
                        feature_size: now.feature_size,
                        align: now.align,
                    },
                    reserved_bytes,
                ),
            ));
            let last = &mut last[index];
            for placed in now.fields.iter().filter(|f| !f.placeholder) {
                let bits = placed.bit_range();
                if last[placed.index] != bits {
                    last[placed.index] = bits;
                    track.fields[placed.index].push((version, bits));
                }
            }
        }
        previous = current;
    }
    tracks
}

/// One struct's history on every class, in blocks.
struct Blocks<'s> {
    def: &'s StructDef,
    /// The first version of each block.
    starts: Vec<u32>,
    /// Per block, per class: sizes.
    numbers: Vec<Vec<Numbers>>,
    /// Per block, per class: reserved bits, merged.
    reserved: Vec<Vec<Vec<(u64, u64)>>>,
    /// Every class's track of the struct, for [`Blocks::segments`].
    tracks: Vec<&'s ClassTrack>,
    /// Per class: the first class whose placements this struct cannot
    /// tell apart from its own (the same sizes, feature sizes, reserved
    /// bits and field bits in every version: often every class, for a
    /// struct of u32s), itself for the first of its kind. Placements are
    /// judged on that class and copied.
    same_as: Vec<usize>,
}

impl<'s> Blocks<'s> {
    fn new(def: &'s StructDef, per_class: &[&'s ClassTrack]) -> Blocks<'s> {
        let starts: Vec<u32> = per_class
            .iter()
            .flat_map(|t| t.changes.iter().map(|c| c.0))
            .collect::<BTreeSet<u32>>()
            .into_iter()
            .collect();
        let mut numbers = Vec::with_capacity(starts.len());
        let mut reserved = Vec::with_capacity(starts.len());
        for &start in &starts {
            let mut n = Vec::with_capacity(per_class.len());
            let mut r = Vec::with_capacity(per_class.len());
            for track in per_class {
                let i = track.changes.partition_point(|c| c.0 <= start);
                // Every class has the struct from the same version on.
                let (_, (num, res)) = &track.changes[i.saturating_sub(1)];
                n.push(*num);
                r.push(res.clone());
            }
            numbers.push(n);
            reserved.push(r);
        }
        let classes = per_class.len();
        let alike = |c: usize, d: usize| {
            let sizes = |t: &ClassTrack| -> Vec<(u32, u64, u64)> {
                t.changes
                    .iter()
                    .map(|(v, (n, _))| (*v, n.size, n.feature_size))
                    .collect()
            };
            let (x, y) = (per_class[c], per_class[d]);
            sizes(x) == sizes(y)
                && x.changes
                    .iter()
                    .zip(&y.changes)
                    .all(|(a, b)| a.1 .1 == b.1 .1)
                && x.fields == y.fields
        };
        let mut same_as: Vec<usize> = Vec::with_capacity(classes);
        for c in 0..classes {
            let first = (0..c).find(|&d| same_as[d] == d && alike(c, d));
            same_as.push(first.unwrap_or(c));
        }
        Blocks {
            def,
            starts,
            numbers,
            reserved,
            tracks: per_class.to_vec(),
            same_as,
        }
    }

    /// Field `fi`'s segments, each (first block, bits per class): made
    /// when the field is judged and dropped after, not kept for every
    /// field at once (a field that moves in each of 256 versions has 256).
    fn segments(&self, fi: usize) -> Vec<(usize, Vec<Range>)> {
        let versions: BTreeSet<u32> = self
            .tracks
            .iter()
            .flat_map(|t| t.fields[fi].iter().map(|(v, _)| *v))
            .collect();
        let at = |list: &[(u32, Range)], version: u32| -> Option<Range> {
            let i = list.partition_point(|(v, _)| *v <= version);
            list.get(i.checked_sub(1)?).map(|(_, r)| *r)
        };
        versions
            .into_iter()
            .filter_map(|v| {
                let bits: Option<Vec<Range>> =
                    self.tracks.iter().map(|t| at(&t.fields[fi], v)).collect();
                Some((self.block_of(v).unwrap_or(0), bits?))
            })
            .collect()
    }

    /// The classes judged on their own ([`Blocks::same_as`]).
    fn distinct(&self, c: usize) -> bool {
        self.same_as[c] == c
    }

    fn block_of(&self, version: u32) -> Option<usize> {
        self.starts
            .partition_point(|&s| s <= version)
            .checked_sub(1)
    }
}

/// Each subject's first pair: (newer version, older version), smallest
/// newer first.
#[derive(Default)]
struct FirstPairs {
    pairs: BTreeMap<(Rule, Option<usize>), (u32, u32)>,
}

impl FirstPairs {
    fn offer(&mut self, rule: Rule, field: Option<usize>, newer: u32, older: u32) {
        let entry = self.pairs.entry((rule, field)).or_insert((newer, older));
        *entry = (*entry).min((newer, older));
    }
}

/// The placement rules a new field can fire, in the order of [`FieldFirsts`].
const PLACEMENT_RULES: [Rule; 5] = [
    Rule::FIELD_INSERTED,
    Rule::RESERVED_CLAIMED_UNSAFELY,
    Rule::CLAIM_AMBIGUOUS,
    Rule::RESERVED_CLAIMED,
    Rule::FIELD_ADDED,
];

/// One field's first pair per placement rule (indexed like
/// [`PLACEMENT_RULES`]), kept beside the field while it is judged.
#[derive(Default)]
struct FieldFirsts([Option<(u32, u32)>; 5]);

impl FieldFirsts {
    fn offer(&mut self, rule: usize, newer: u32, older: u32) {
        let slot = &mut self.0[rule];
        *slot = Some(slot.map_or((newer, older), |found| found.min((newer, older))));
    }

    /// True when every rule in `possible` is found at a newer version
    /// before `newer`: nothing judged from there on can come first.
    fn settled_before(&self, possible: &[bool; 5], newer: u32) -> bool {
        possible
            .iter()
            .zip(&self.0)
            .all(|(&p, found)| !p || found.is_some_and(|(j, _)| j < newer))
    }
}

/// What the history needs to know of a spec besides the struct.
struct Context<'s> {
    spec: &'s Spec,
    classes: &'s [LayoutClass],
    info: bool,
}

impl Context<'_> {
    /// The first version from which the older view offers `bit` (a live
    /// feature with that bit, introduced by then), as `View::offers` asks.
    fn offered_from(&self, bit: u32) -> Option<u32> {
        self.spec
            .features
            .iter()
            .filter(|f| f.bit == bit && !f.retired)
            .map(|f| f.since)
            .min()
    }
}

/// Dense counts per (older block, newer block), built by marking
/// rectangles of pairs and summing (a two-dimensional difference array):
/// a field new against every older block marks them all at once.
struct PairCounts {
    side: usize,
    diff: Vec<i64>,
}

impl PairCounts {
    fn new(blocks: usize) -> PairCounts {
        PairCounts {
            side: blocks + 1,
            diff: vec![0; (blocks + 1) * (blocks + 1)],
        }
    }

    /// Counts one for every (older, newer) in `older.0..older.1` x
    /// `newer.0..newer.1`.
    fn mark(&mut self, older: (usize, usize), newer: (usize, usize)) {
        if older.0 < older.1 && newer.0 < newer.1 {
            let side = self.side;
            self.diff[older.0 * side + newer.0] += 1;
            self.diff[older.0 * side + newer.1] -= 1;
            self.diff[older.1 * side + newer.0] -= 1;
            self.diff[older.1 * side + newer.1] += 1;
        }
    }

    /// The counts, per older block, per newer block.
    fn finish(self) -> Vec<Vec<i64>> {
        let side = self.side;
        let mut sums = self.diff;
        for row in 0..side {
            for col in 1..side {
                sums[row * side + col] += sums[row * side + col - 1];
            }
        }
        for row in 1..side {
            for col in 0..side {
                sums[row * side + col] += sums[(row - 1) * side + col];
            }
        }
        sums.chunks(side)
            .take(side - 1)
            .map(|row| row[..side - 1].to_vec())
            .collect()
    }
}

/// Per class, the largest size of blocks `0..=k`, and every bit any
/// block reserves: what a field appended past all of them needs to know.
struct Bounds {
    /// Per block, per class, in bytes.
    max_size: Vec<Vec<u64>>,
    /// Per class, merged.
    ever_reserved: Vec<Vec<(u64, u64)>>,
}

impl Bounds {
    fn new(b: &Blocks<'_>, classes: usize) -> Bounds {
        let mut max_size = Vec::with_capacity(b.starts.len());
        let mut running = vec![0u64; classes];
        for numbers in &b.numbers {
            for (m, n) in running.iter_mut().zip(numbers) {
                *m = (*m).max(n.size);
            }
            max_size.push(running.clone());
        }
        let ever_reserved = (0..classes)
            .map(|c| {
                compare::merged(
                    b.reserved
                        .iter()
                        .flat_map(|r| r[c].iter().copied())
                        .collect(),
                )
            })
            .collect();
        Bounds {
            max_size,
            ever_reserved,
        }
    }

    /// True when `bits` (per class) lie past every byte of blocks
    /// `0..older_end` (and so past their tail padding) and on none that any
    /// block reserves: against each of those blocks the field is simply
    /// appended.
    fn appended_past(&self, bits: &[Range], older_end: usize) -> bool {
        let Some(max) = older_end.checked_sub(1).map(|k| &self.max_size[k]) else {
            return true;
        };
        bits.iter()
            .zip(max)
            .zip(&self.ever_reserved)
            .all(|((&range, &size), reserved)| {
                range.0 >= size * 8 && !overlaps_any(range, reserved)
            })
    }
}

/// True when `range` shares a bit with one of `ranges` (merged).
fn overlaps_any(range: (u64, u64), ranges: &[(u64, u64)]) -> bool {
    let i = ranges.partition_point(|&(_, e)| e <= range.0);
    ranges.get(i).is_some_and(|&(s, _)| s < range.1)
}

/// The first pair of every subject of one struct.
fn first_pairs(cx: &Context<'_>, b: &Blocks<'_>) -> FirstPairs {
    let mut first = FirstPairs::default();
    let blocks = b.starts.len();
    if blocks < 2 {
        return first;
    }
    let classes = cx.classes.len();
    let def = b.def;
    let start = |k: usize| b.starts[k];

    // STRUCT_ALIGN_CHANGED: the first block whose alignment differs from
    // the first block's, against the first version.
    if let Some(k) =
        (1..blocks).find(|&k| (0..classes).any(|c| b.numbers[k][c].align != b.numbers[0][c].align))
    {
        first.offer(Rule::STRUCT_ALIGN_CHANGED, None, start(k), start(0));
    }
    // STRUCT_SHRUNK: the first block smaller than an older one.
    'shrunk: for k in 1..blocks {
        for older in 0..k {
            let smaller = (0..classes).any(|c| {
                let (n, o) = (b.numbers[k][c], b.numbers[older][c]);
                n.size < o.size || n.feature_size < o.feature_size
            });
            if smaller {
                first.offer(Rule::STRUCT_SHRUNK, None, start(k), start(older));
                break 'shrunk;
            }
        }
    }

    let protocol = Protocol::of(&[def, def]);
    let negotiates = protocol.negotiates_features();
    let bounds = Bounds::new(b, classes);
    // FEATURE_SIZE_AMBIGUOUS needs a newer feature size equal to an older
    // size or feature size; without such a pair, what the placements say
    // about it need not be kept (nor every placement judged).
    let ambiguity_possible = (1..blocks).any(|k| {
        (0..k).any(|older| {
            (0..classes).any(|c| {
                let (n, o) = (b.numbers[k][c], b.numbers[older][c]);
                n.feature_size == o.size || n.feature_size == o.feature_size
            })
        })
    });
    let mut marks = ambiguity_possible.then(|| Marks {
        unsafe_growth: PairCounts::new(blocks),
        lacking: (0..classes).map(|_| PairCounts::new(blocks)).collect(),
    });
    for (fi, field) in def.fields.iter().enumerate() {
        let segments = b.segments(fi);
        let segments = &segments;
        let Some(&(since_block, ref at_since)) = segments.first() else {
            continue;
        };
        // FIELD_MOVED: from its `since`, the first segment at another offset.
        if !field.reserved {
            if let Some(&(k, _)) = segments[1..]
                .iter()
                .find(|(_, bytes)| bytes.iter().zip(at_since).any(|(x, y)| x.0 != y.0))
            {
                first.offer(Rule::FIELD_MOVED, Some(fi), start(k), field.since);
            }
            // FIELD_RETYPED: the first segment of another width (a struct
            // or union it names grew or shrank); its type is one.
            if let Some(&(k, _)) = segments[1..].iter().find(|(_, bits)| {
                bits.iter()
                    .zip(at_since)
                    .any(|(x, y)| x.1 - x.0 != y.1 - y.0)
            }) {
                first.offer(Rule::FIELD_RETYPED, Some(fi), start(k), field.since);
            }
        }
        // The claim gate's facts that depend on the older view only.
        let gate_from: Option<Option<u32>> = field
            .feature
            .as_deref()
            .and_then(|n| cx.spec.feature(n))
            .map(|f| cx.offered_from(f.bit));
        let claim_judged = negotiates && field.writer.kernel_writes() && !field.reserved;
        let facts = NewFieldFacts {
            claim_judged,
            gate_from,
            since_block,
            protocol,
        };
        // The rules this field's placements can fire.
        let possible = [
            true,
            true,
            claim_judged,
            cx.info && !field.reserved,
            cx.info,
        ];
        let mut found = FieldFirsts::default();
        for (si, (k_first, bytes)) in segments.iter().enumerate() {
            if marks.is_none() && found.settled_before(&possible, start(*k_first)) {
                break;
            }
            let k_end = segments.get(si + 1).map_or(blocks, |s| s.0);
            // Older blocks in which the field is new: before its `since`
            // when live; any older one when reserved (present there only
            // as reserved bytes, which may no longer cover it).
            let older_end = if field.reserved {
                k_end - 1
            } else {
                since_block
            };
            if !field.reserved && bounds.appended_past(bytes, older_end) {
                // Appended against every one of them (the common case):
                // what the loop below would find, at once.
                if cx.info && older_end > 0 {
                    found.offer(4, start(*k_first), start(0));
                }
                if let Some(marks) = &mut marks {
                    for (c, counts) in marks.lacking.iter_mut().enumerate() {
                        if bytes[c].0 < bytes[c].1 {
                            counts.mark((0, older_end), (*k_first, k_end));
                        }
                    }
                }
                continue;
            }
            for older in 0..older_end {
                let from = (*k_first).max(older + 1);
                if from >= k_end {
                    continue;
                }
                judge_new_field(
                    cx,
                    b,
                    (fi, field),
                    bytes,
                    older,
                    (from, k_end),
                    facts,
                    &mut found,
                    marks.as_mut(),
                );
            }
        }
        for (rule, pair) in PLACEMENT_RULES.iter().zip(found.0) {
            if let Some((newer, older)) = pair {
                first.offer(*rule, Some(fi), newer, older);
            }
        }
    }

    // FEATURE_SIZE_AMBIGUOUS: the first pair of blocks where a length
    // equals an older one, fields are missing there on unreserved bytes,
    // and no new field is unsafe (which FIELD_INSERTED or
    // RESERVED_CLAIMED_UNSAFELY says instead).
    let Some(marks) = marks else {
        return first;
    };
    let unsafe_growth = marks.unsafe_growth.finish();
    let lacking: Vec<Vec<Vec<i64>>> = marks.lacking.into_iter().map(PairCounts::finish).collect();
    'ambiguous: for k in 1..blocks {
        for older in 0..k {
            if unsafe_growth[older][k] > 0 {
                continue;
            }
            let hit = (0..classes).any(|c| {
                let (n, o) = (b.numbers[k][c], b.numbers[older][c]);
                (n.feature_size == o.size || n.feature_size == o.feature_size)
                    && lacking[c][older][k] > 0
            });
            if hit {
                first.offer(Rule::FEATURE_SIZE_AMBIGUOUS, None, start(k), start(older));
                break 'ambiguous;
            }
        }
    }
    first
}

/// What the placements say about FEATURE_SIZE_AMBIGUOUS, per pair of
/// blocks: how many new fields are unsafe there, and how many lack bytes
/// the older view reserved (per class).
struct Marks {
    unsafe_growth: PairCounts,
    lacking: Vec<PairCounts>,
}

/// What [`judge_new_field`] needs to know of the field beyond its bytes.
#[derive(Clone, Copy)]
struct NewFieldFacts {
    /// CLAIM_AMBIGUOUS can apply: a registered struct, a live field the
    /// kernel writes.
    claim_judged: bool,
    /// The field's gate: `None` without one; `Some(None)` when no live
    /// feature has its bit; `Some(Some(v))` when the bit is offered from
    /// version `v`.
    gate_from: Option<Option<u32>>,
    /// The block of the field's `since`.
    since_block: usize,
    /// The struct's protocol: copy-in ignores a field on the older view's
    /// tail padding.
    protocol: Protocol,
}

/// The most layout classes a comparison has: one per built-in target.
const MAX_CLASSES: usize = crate::target::Target::ALL.len();

/// A new field (segment `bytes`, its bits per class) against one older
/// block, for the newer blocks `newer.0..newer.1`: what its placement
/// fires, first.
#[allow(clippy::too_many_arguments)]
fn judge_new_field(
    cx: &Context<'_>,
    b: &Blocks<'_>,
    (fi, field): (usize, &crate::model::Field),
    bytes: &[(u64, u64)],
    older: usize,
    newer: (usize, usize),
    facts: NewFieldFacts,
    found: &mut FieldFirsts,
    mut marks: Option<&mut Marks>,
) {
    let classes = cx.classes.len();
    let reserved = &b.reserved[older];
    let old = &b.numbers[older];
    if field.reserved {
        // Reserved bytes on what the older view reserved are no news.
        let covered = (0..classes)
            .filter(|&c| b.distinct(c))
            .all(|c| bytes[c].0 == bytes[c].1 || compare::contained(bytes[c], &reserved[c]));
        if covered {
            return;
        }
    }
    // The placement depends on the newer block only through its feature
    // size, and only for a field on the older view's tail padding: judge
    // the first newer block, then each one where that can change.
    let mut k = newer.0;
    while k < newer.1 {
        let mut placements = [Placement::Appended; MAX_CLASSES];
        for c in 0..classes {
            placements[c] = if b.distinct(c) {
                compare::placement(
                    &reserved[c],
                    (old[c].size, old[c].feature_size),
                    b.numbers[k][c].feature_size,
                    (field, bytes[c]),
                    facts.protocol,
                )
            } else {
                placements[b.same_as[c]]
            };
        }
        let placements = &placements[..classes];
        let Some(&worst) = placements.iter().max() else {
            return;
        };
        // On a class where the field lies on the older view's tail
        // padding, its placement depends on whether the newer feature size
        // still fits in the older size (OnPadding) or not (appended, or
        // IgnoredAsPadding in a struct the kernel copies in): judge again
        // at the next newer block where that changes on such a class.
        let mut on_padding = [false; MAX_CLASSES];
        if field.writer.user_writes() && !field.reserved {
            for (c, on) in on_padding.iter_mut().enumerate().take(classes) {
                *on = matches!(
                    placements[c],
                    Placement::OnPadding | Placement::IgnoredAsPadding | Placement::Appended
                ) && bytes[c].0 < old[c].size * 8;
            }
        }
        let fits = |block: usize, c: usize| b.numbers[block][c].feature_size <= old[c].size;
        let span_end = if on_padding.contains(&true) {
            (k + 1..newer.1)
                .find(|&next| (0..classes).any(|c| on_padding[c] && fits(next, c) != fits(k, c)))
                .unwrap_or(newer.1)
        } else {
            newer.1
        };
        let (j, i) = (b.starts[k], b.starts[older]);
        match worst {
            Placement::Inserted => found.offer(0, j, i),
            Placement::BeyondReserved | Placement::OnPadding | Placement::IgnoredAsPadding => {
                found.offer(1, j, i)
            }
            Placement::Claimed if !field.reserved => {
                if facts.claim_judged {
                    claim_ambiguous(b, fi, older, k, facts, found);
                }
                if cx.info {
                    found.offer(3, j, i);
                }
            }
            Placement::Claimed => {}
            Placement::Appended => {
                if cx.info {
                    found.offer(4, j, i);
                }
            }
        }
        if let Some(marks) = marks.as_deref_mut() {
            if matches!(worst, Placement::Inserted | Placement::BeyondReserved) {
                marks.unsafe_growth.mark((older, older + 1), (k, span_end));
            }
            if !field.reserved {
                // A class alike another counts with it: what reads the
                // counts asks whether any class with the same sizes has one.
                for (c, counts) in marks.lacking.iter_mut().enumerate() {
                    if b.distinct(c)
                        && bytes[c].0 < bytes[c].1
                        && !compare::contained(bytes[c], &reserved[c])
                    {
                        counts.mark((older, older + 1), (k, span_end));
                    }
                }
            }
        }
        k = span_end;
    }
}

/// CLAIM_AMBIGUOUS for a field claimed (against older block `older`, in
/// newer block `k`): when, on some class, the older view's length already
/// reaches the field's bound, and no feature the older view lacks gates
/// it. The older version is the first of the block from which the gate's
/// bit is offered.
fn claim_ambiguous(
    b: &Blocks<'_>,
    fi: usize,
    older: usize,
    k: usize,
    facts: NewFieldFacts,
    found: &mut FieldFirsts,
) {
    let at_since = &b.numbers[facts.since_block];
    let reached = at_since
        .iter()
        .zip(&b.numbers[older])
        .any(|(bound, old)| bound.feature_size <= old.feature_size);
    if !reached {
        return;
    }
    let block_start = b.starts[older];
    let block_end = b.starts.get(older + 1).copied().unwrap_or(u32::MAX);
    let i = match facts.gate_from {
        None => block_start,
        Some(None) => return,
        Some(Some(from)) => block_start.max(from),
    };
    // Within the older block, and older than the field (and the newer view).
    let since = b.def.fields[fi].since;
    if i < block_end && i < since && i < b.starts[k] {
        found.offer(2, b.starts[k], i);
    }
}

/// Every version of `spec` against every older one: the findings of
/// [`compare::compare`] on all pairs, deduplicated keeping each subject's
/// first (see the module documentation).
pub(super) fn history(spec: &Spec, classes: &[LayoutClass], info: bool) -> Vec<Finding> {
    // One pass per class over every version, the classes on every core. A
    // struct's track equal to the one an earlier class of the chunk made
    // is shared, not kept twice: a struct of u32s lays out alike on every
    // class, and a track holds each field's bits at every change (65,536
    // fields moving in each of 256 versions: 400 MB per class).
    let tracks: Vec<Vec<Arc<ClassTrack>>> = crate::parallel::map_chunks(classes, |chunk| {
        let mut done: Vec<Vec<Arc<ClassTrack>>> = Vec::with_capacity(chunk.len());
        for class in chunk {
            let track = track_class(spec, class)
                .into_iter()
                .enumerate()
                .map(|(i, t)| {
                    done.iter()
                        .find(|earlier| *earlier[i] == t)
                        .map_or_else(|| Arc::new(t), |earlier| Arc::clone(&earlier[i]))
                })
                .collect();
            done.push(track);
        }
        done
    })
    .into_iter()
    .flatten()
    .collect();
    let cx = Context {
        spec,
        classes,
        info,
    };
    let indices: Vec<usize> = (0..spec.structs.len()).collect();
    let judged = crate::parallel::map_chunks(&indices, |chunk| {
        let mut out: Vec<((u32, u32, usize, usize), Finding)> = Vec::new();
        for &index in chunk {
            let per_class: Vec<&ClassTrack> = tracks.iter().map(|t| &*t[index]).collect();
            // One layout in every version: no pair finds anything.
            if per_class.iter().all(|t| t.changes.len() < 2) {
                continue;
            }
            let blocks = Blocks::new(&spec.structs[index], &per_class);
            let first = first_pairs(&cx, &blocks);
            let pairs: BTreeSet<(u32, u32)> = first.pairs.values().copied().collect();
            for (newer, older) in pairs {
                let mut found = Vec::new();
                judge_pair(&cx, &blocks, index, (older, newer), &mut found);
                out.extend(
                    found
                        .into_iter()
                        .enumerate()
                        .map(|(seq, f)| ((newer, older, index, seq), f)),
                );
            }
        }
        out
    });
    let mut findings: Vec<((u32, u32, usize, usize), Finding)> =
        judged.into_iter().flatten().collect();
    // The order judging every pair gives: by newer version, older version,
    // struct, then as the comparison wrote them.
    findings.sort_by_key(|(key, _)| *key);
    findings.into_iter().map(|(_, f)| f).collect()
}

/// The comparison of struct `index` between versions `older` and `newer`.
fn judge_pair(
    cx: &Context<'_>,
    b: &Blocks<'_>,
    index: usize,
    (older, newer): (u32, u32),
    out: &mut Vec<Finding>,
) {
    let spec = cx.spec;
    let laid_out: Option<Vec<(Layout, Layout)>> = cx
        .classes
        .iter()
        .map(|c| {
            Some((
                layout::fresh_one(spec, index, c.rep, older)?,
                layout::fresh_one(spec, index, c.rep, newer)?,
            ))
        })
        .collect();
    let Some(laid_out) = laid_out else {
        return;
    };
    let pairs: Vec<(&Layout, &Layout)> = laid_out.iter().map(|(o, n)| (o, n)).collect();
    let feature_size_at = |class: usize, version: u32| {
        let k = b.block_of(version)?;
        Some(b.numbers[k].get(class)?.feature_size)
    };
    let context = format!("from version {older} to version {newer}");
    compare::compare_struct(
        &View {
            spec,
            version: older,
        },
        &View {
            spec,
            version: newer,
        },
        (index, index),
        &pairs,
        &feature_size_at,
        Scope {
            classes: cx.classes,
            context: &context,
            info: cx.info,
        },
        out,
    );
}
