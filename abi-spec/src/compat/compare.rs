//! One view of an ABI (a spec at a version) against a newer one: the struct
//! and field rules, judged per layout class of targets.

use crate::finding::Finding;
use crate::layout::{FieldLayout, Layout};
use crate::model::{Field, Spec, StructDef};
use crate::rules::Rule;

use super::{on_targets, targets_of, Class, VersionLayouts};

/// A spec at one version, laid out on every class.
pub(crate) struct Side<'a> {
    /// The spec.
    pub spec: &'a Spec,
    /// Its layouts, `[class][struct]`.
    pub layouts: &'a VersionLayouts,
}

/// What one comparison reports.
#[derive(Clone, Copy)]
pub(crate) struct Scope<'c> {
    /// The layout classes of the targets judged.
    pub classes: &'c [Class],
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

fn contained(r: (u64, u64), ranges: &[(u64, u64)]) -> bool {
    r.0 < r.1 && ranges.iter().any(|&(s, e)| s <= r.0 && r.1 <= e)
}

fn overlaps(r: (u64, u64), ranges: &[(u64, u64)]) -> bool {
    ranges.iter().any(|&(s, e)| r.0 < e && s < r.1)
}

/// True when a field, as placed in a layout, is only reserved bytes there.
pub(crate) fn is_reserved(def: &StructDef, f: &FieldLayout) -> bool {
    f.placeholder || def.fields[f.index].reserved
}

/// The bytes that `layout` keeps reserved (must be zero).
pub(crate) fn reserved_ranges(def: &StructDef, layout: &Layout) -> Vec<(u64, u64)> {
    merged(
        layout
            .fields
            .iter()
            .filter(|f| is_reserved(def, f))
            .map(|f| (f.offset, f.end()))
            .collect(),
    )
}

/// Where a field that OLD does not know lies, seen from OLD.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Placement {
    /// At or after OLD's feature_size, on bytes OLD never used.
    Appended,
    /// Inside bytes OLD reserved.
    Claimed,
    /// Appended, but on OLD's tail padding while OLD's size reaches NEW's
    /// feature_size, and user space writes it.
    OnPadding,
    /// Partly on reserved bytes, partly not.
    BeyondReserved,
    /// Among OLD's fields, on bytes OLD did not reserve.
    Inserted,
}

/// Compares `old` with `new` (the same ABI, `new` being the later view) and
/// pushes every finding. `context` says which views, for messages.
pub(crate) fn compare(old: &Side<'_>, new: &Side<'_>, scope: Scope<'_>, out: &mut Vec<Finding>) {
    let Scope {
        classes, context, ..
    } = scope;
    for (old_index, old_def) in old.spec.structs.iter().enumerate() {
        if old.layouts.iter().all(|ls| ls[old_index].is_none()) {
            continue;
        }
        let new_index = new.spec.struct_index(&old_def.name);
        let present = new_index.filter(|&n| new.layouts.iter().all(|ls| ls[n].is_some()));
        let Some(new_index) = present else {
            out.push(
                Finding::new(
                    Rule::STRUCT_REMOVED,
                    format!("struct `{}` is gone {context}", old_def.name),
                )
                .on_struct(&old_def.name)
                .at(old.spec, old_def.name_span)
                .with_help("keep the struct; binaries built against the older view still pass it"),
            );
            continue;
        };
        let pairs: Vec<(&Layout, &Layout)> = old
            .layouts
            .iter()
            .zip(new.layouts.iter())
            .filter_map(|(o, n)| Some((o[old_index].as_ref()?, n[new_index].as_ref()?)))
            .collect();
        if pairs.len() != classes.len() {
            continue;
        }
        compare_struct(old, new, old_index, new_index, &pairs, scope, out);
    }
}

fn compare_struct(
    old: &Side<'_>,
    new: &Side<'_>,
    old_index: usize,
    new_index: usize,
    pairs: &[(&Layout, &Layout)],
    scope: Scope<'_>,
    out: &mut Vec<Finding>,
) {
    let Scope {
        classes, context, ..
    } = scope;
    let old_def = &old.spec.structs[old_index];
    let new_def = &new.spec.structs[new_index];
    let name = &new_def.name;
    // Everything below is linear in the number of fields: NEW's live fields
    // by name, the bytes each older layout reserved, and which NEW fields
    // are accounted for, are computed once per struct pair.
    let new_live: std::collections::HashMap<&str, usize> = pairs[0]
        .1
        .fields
        .iter()
        .filter(|f| !f.placeholder)
        .map(|f| (new_def.fields[f.index].name.as_str(), f.index))
        .collect();
    let old_reserved: Vec<Vec<(u64, u64)>> = pairs
        .iter()
        .map(|(o, _)| reserved_ranges(old_def, o))
        .collect();
    let mut matched_new = vec![false; new_def.fields.len()];

    let shrunk: Vec<bool> = pairs
        .iter()
        .map(|(o, n)| n.size < o.size || n.feature_size < o.feature_size)
        .collect();
    if let Some(i) = shrunk.iter().position(|&s| s) {
        let (o, n) = pairs[i];
        let targets = targets_of(classes, &shrunk);
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
            .at(new.spec, new_def.name_span)
            .with_help("never shrink an extensible struct: keep obsolete fields as reserved bytes"),
        );
    }
    let realigned: Vec<bool> = pairs.iter().map(|(o, n)| n.align != o.align).collect();
    if let Some(i) = realigned.iter().position(|&s| s) {
        let (o, n) = pairs[i];
        let targets = targets_of(classes, &realigned);
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
            .at(new.spec, new_def.name_span)
            .with_help(format!("restore the struct's alignment ({})", o.align)),
        );
    }

    // Old live fields: matched by name in NEW, else renamed, else retired in
    // place (their bytes reserved in NEW), else removed.
    let new_reserved: Vec<Vec<(u64, u64)>> = pairs
        .iter()
        .map(|(_, n)| reserved_ranges(new_def, n))
        .collect();
    // Bytes of old live fields that NEW keeps reserved, per class: a new
    // reserved field there retires them, it inserts nothing.
    let mut retired: Vec<Vec<(u64, u64)>> = vec![Vec::new(); pairs.len()];
    // Its bytes reserved in NEW, by reserved fields that are new or stayed
    // where they were: obsolete, not removed. (Reserved fields that slid
    // into its place are a removal that shifted the rest.)
    let kept_reserved = |old_index: usize| {
        pairs.iter().zip(&new_reserved).all(|((o, n), reserved)| {
            let Some(f) = o.field(old_index) else {
                return false;
            };
            let range = (f.offset, f.end());
            let stayed = n
                .fields
                .iter()
                .filter(|g| is_reserved(new_def, g))
                .all(|g| {
                    let overlapping = g.offset < range.1 && range.0 < g.end();
                    let name = &new_def.fields[g.index].name;
                    !overlapping
                        || o.fields
                            .iter()
                            .all(|h| old_def.fields[h.index].name != *name || h.offset == g.offset)
                });
            stayed && contained(range, reserved)
        })
    };
    let retire = |old_index: usize, retired: &mut [Vec<(u64, u64)>]| {
        for ((o, _), r) in pairs.iter().zip(retired.iter_mut()) {
            if let Some(f) = o.field(old_index) {
                r.push((f.offset, f.end()));
            }
        }
    };
    let (o0, n0) = pairs[0];
    for old_fl in o0.fields.iter().filter(|f| !is_reserved(old_def, f)) {
        let old_field = &old_def.fields[old_fl.index];
        let same_name = new_live.get(old_field.name.as_str()).copied();
        // A live field of the same name: the same field, judged as such.
        if let Some(new_field_index) = same_name.filter(|&i| !new_def.fields[i].reserved) {
            matched_new[new_field_index] = true;
            same_field(
                old,
                new,
                (old_def, old_fl.index),
                (new_def, new_field_index),
                pairs,
                scope,
                out,
            );
            continue;
        }
        if let Some(reserved) = same_name {
            // Retired under its own name: only as long as every old byte
            // stays reserved.
            matched_new[reserved] = true;
        } else if let Some(renamed) = rename_of(old_def, new_def, old_fl.index, pairs, &matched_new)
        {
            matched_new[renamed] = true;
            let new_field = &new_def.fields[renamed];
            out.push(
                Finding::new(
                    Rule::FIELD_RENAMED,
                    format!(
                        "`{}.{}` is now called `{}` {context} (same place, type and history)",
                        old_def.name, old_field.name, new_field.name
                    ),
                )
                .on_struct(name)
                .on_field(&new_field.name)
                .at(new.spec, new_field.name_span)
                .with_help(format!(
                    "keep the name `{}`: source code that uses it stops compiling",
                    old_field.name
                )),
            );
            continue;
        }
        if kept_reserved(old_fl.index) {
            retire(old_fl.index, &mut retired);
            continue;
        }
        out.push(
            Finding::new(
                Rule::FIELD_REMOVED,
                format!("`{}.{}` is gone {context}", old_def.name, old_field.name),
            )
            .on_struct(&old_def.name)
            .on_field(&old_field.name)
            .at(old.spec, old_field.name_span)
            .with_help(format!(
                "keep `{}`; if it is obsolete, keep its bytes as a reserved field of the same size",
                old_field.name
            )),
        );
    }

    // New live fields that OLD does not have.
    // An insertion already says the lengths mean nothing; FEATURE_SIZE_AMBIGUOUS would repeat it.
    let mut unsafe_growth = false;
    for new_fl in n0.fields.iter().filter(|f| !f.placeholder) {
        if matched_new[new_fl.index] {
            continue;
        }
        let field = &new_def.fields[new_fl.index];
        if field.reserved {
            let covered = pairs.iter().zip(old_reserved.iter().zip(&retired)).all(
                |((_, n), (reserved, retired))| {
                    let nf = n.field(new_fl.index).copied().unwrap_or(*new_fl);
                    let bytes = merged(reserved.iter().chain(retired).copied().collect());
                    nf.size == 0 || contained((nf.offset, nf.end()), &bytes)
                },
            );
            if covered {
                continue;
            }
        }
        let placements: Vec<Placement> = pairs
            .iter()
            .zip(&old_reserved)
            .map(|((o, n), reserved)| {
                let nf = n.field(new_fl.index).copied().unwrap_or(*new_fl);
                placement(reserved, o, n, field, nf)
            })
            .collect();
        let Some(&worst) = placements.iter().max() else {
            continue;
        };
        let hit: Vec<bool> = placements.iter().map(|&p| p == worst).collect();
        let targets = targets_of(classes, &hit);
        let at = on_targets(&targets);
        unsafe_growth |= matches!(worst, Placement::Inserted | Placement::BeyondReserved);
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
            Placement::OnPadding => (
                Rule::RESERVED_CLAIMED_UNSAFELY,
                format!(
                    "`{name}.{}` is written by user space and lies on the older view's tail padding, whose size reaches the new feature_size{at}: an older caller's length switches it on with garbage in it ({context})",
                    field.name
                ),
                "reserve those bytes explicitly in the older version, or place the field beyond the older version's size".to_string(),
            ),
            Placement::Claimed if field.reserved => continue,
            Placement::Claimed | Placement::Appended if !scope.info => continue,
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
                .on_targets(if rule.severity() == crate::rules::Severity::Info {
                    Vec::new()
                } else {
                    targets
                })
                .at(new.spec, field.name_span)
                .with_help(help),
        );
    }
    if !unsafe_growth {
        ambiguous_feature_size(new, new_def, &matched_new, pairs, &old_reserved, scope, out);
    }
}

/// The rename candidate for a vanished field: an unmatched live NEW field
/// with the same type and history, at the same place on every class.
fn rename_of(
    old_def: &StructDef,
    new_def: &StructDef,
    old_index: usize,
    pairs: &[(&Layout, &Layout)],
    matched_new: &[bool],
) -> Option<usize> {
    let old_field = &old_def.fields[old_index];
    pairs[0]
        .1
        .fields
        .iter()
        .filter(|f| !is_reserved(new_def, f) && !matched_new[f.index])
        .map(|f| f.index)
        .find(|&i| {
            let g = &new_def.fields[i];
            old_def.field(&g.name).is_none()
                && g.ty == old_field.ty
                && g.since == old_field.since
                && g.was_reserved == old_field.was_reserved
                && pairs
                    .iter()
                    .all(|(o, n)| match (o.field(old_index), n.field(i)) {
                        (Some(a), Some(b)) => a.offset == b.offset && a.size == b.size,
                        _ => false,
                    })
        })
}

fn same_field(
    old: &Side<'_>,
    new: &Side<'_>,
    (old_def, oi): (&StructDef, usize),
    (new_def, ni): (&StructDef, usize),
    pairs: &[(&Layout, &Layout)],
    scope: Scope<'_>,
    out: &mut Vec<Finding>,
) {
    let Scope {
        classes, context, ..
    } = scope;
    let (old_field, new_field) = (&old_def.fields[oi], &new_def.fields[ni]);
    let name = &new_def.name;
    let field = &new_field.name;
    if old_field.ty != new_field.ty && !new_field.reserved {
        out.push(
            Finding::new(
                Rule::FIELD_RETYPED,
                format!(
                    "`{name}.{field}` changed type from `{}` to `{}` {context}",
                    old_field.ty, new_field.ty
                ),
            )
            .on_struct(name)
            .on_field(field)
            .at(new.spec, new_field.type_span)
            .with_help(format!(
                "keep `{}`; add a new field, gated by a feature, for the new type",
                old_field.ty
            )),
        );
    }
    if old_field.since != new_field.since && !std::ptr::eq(old.spec, new.spec) {
        out.push(
            Finding::new(
                Rule::HISTORY_REWRITTEN,
                format!(
                    "`{name}.{field}` now says `since = {}`; it was {} {context}",
                    new_field.since, old_field.since
                ),
            )
            .on_struct(name)
            .on_field(field)
            .at(new.spec, new_field.since_span)
            .with_help(format!(
                "restore `since = {}`: published versions cannot change",
                old_field.since
            )),
        );
    }
    if old_field.feature != new_field.feature
        && !new_field.reserved
        && !std::ptr::eq(old.spec, new.spec)
    {
        let show = |f: &Option<String>| {
            f.as_deref()
                .map_or("no feature".to_string(), |n| format!("feature `{n}`"))
        };
        out.push(
            Finding::new(
                Rule::FIELD_REGATED,
                format!(
                    "`{name}.{field}` was gated by {} and now by {} {context}",
                    show(&old_field.feature),
                    show(&new_field.feature)
                ),
            )
            .on_struct(name)
            .on_field(field)
            .at(new.spec, new_field.name_span)
            .with_help("restore the field's feature: binaries test the bit they were built with"),
        );
    }
    let moved: Vec<bool> = pairs
        .iter()
        .map(|(o, n)| match (o.field(oi), n.field(ni)) {
            (Some(a), Some(b)) => a.offset != b.offset,
            _ => false,
        })
        .collect();
    if let Some(i) = moved.iter().position(|&m| m) {
        let (o, n) = pairs[i];
        let (Some(a), Some(b)) = (o.field(oi), n.field(ni)) else {
            return;
        };
        let targets = targets_of(classes, &moved);
        out.push(
            Finding::new(
                Rule::FIELD_MOVED,
                format!(
                    "`{name}.{field}` moved from offset {} to {}{} {context}",
                    a.offset,
                    b.offset,
                    on_targets(&targets)
                ),
            )
            .on_struct(name)
            .on_field(field)
            .on_targets(targets)
            .at(new.spec, new_field.name_span)
            .with_help("keep every existing field at its offset on every target; append new fields instead"),
        );
    }
}

/// `reserved` is what OLD's layout `o` keeps reserved.
fn placement(
    reserved: &[(u64, u64)],
    o: &Layout,
    n: &Layout,
    field: &Field,
    nf: FieldLayout,
) -> Placement {
    let range = (nf.offset, nf.end());
    if contained(range, reserved) {
        return Placement::Claimed;
    }
    if range.0 < range.1 && overlaps(range, reserved) {
        return Placement::BeyondReserved;
    }
    if range.0 >= o.feature_size {
        if field.writer.user_writes()
            && !field.reserved
            && range.0 < o.size
            && o.size >= n.feature_size
        {
            return Placement::OnPadding;
        }
        return Placement::Appended;
    }
    Placement::Inserted
}

/// FEATURE_SIZE_AMBIGUOUS: NEW's feature_size equals OLD's size or
/// feature_size while OLD lacks some of NEW's fields on bytes it did not
/// reserve: that length no longer says which version the caller speaks.
/// `known[i]`: NEW's field `i` is one OLD has too; `old_reserved[c]`: the
/// bytes OLD's layout on class `c` reserved.
fn ambiguous_feature_size(
    new: &Side<'_>,
    new_def: &StructDef,
    known: &[bool],
    pairs: &[(&Layout, &Layout)],
    old_reserved: &[Vec<(u64, u64)>],
    scope: Scope<'_>,
    out: &mut Vec<Finding>,
) {
    let Scope {
        classes, context, ..
    } = scope;
    let mut lacking_names: Vec<&str> = Vec::new();
    let hit: Vec<bool> = pairs
        .iter()
        .zip(old_reserved)
        .map(|((o, n), reserved)| {
            if n.feature_size != o.size && n.feature_size != o.feature_size {
                return false;
            }
            let mut any = false;
            for nf in n.fields.iter().filter(|f| !is_reserved(new_def, f)) {
                let field = &new_def.fields[nf.index];
                if known[nf.index] {
                    continue;
                }
                if !contained((nf.offset, nf.end()), reserved) && nf.size > 0 {
                    any = true;
                    if !lacking_names.contains(&field.name.as_str()) {
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
    let (o, n) = pairs[i];
    let which = if n.feature_size == o.size {
        "size"
    } else {
        "feature_size"
    };
    let targets = targets_of(classes, &hit);
    let list = lacking_names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ");
    out.push(
        Finding::new(
            Rule::FEATURE_SIZE_AMBIGUOUS,
            format!(
                "`{}` has feature_size {} {context}, the {which} of the older view, which lacks {list} on bytes it did not reserve{}: a caller announcing {} bytes could speak either",
                new_def.name,
                n.feature_size,
                on_targets(&targets),
                n.feature_size
            ),
        )
        .on_struct(&new_def.name)
        .on_targets(targets)
        .at(new.spec, new_def.fields.last().map_or(new_def.name_span, |f| f.name_span))
        .with_help(format!(
            "append a one-byte reserved field so the feature_size becomes {}, or reserve those bytes (must be zero) in the older version",
            n.feature_size + 1
        )),
    );
}
