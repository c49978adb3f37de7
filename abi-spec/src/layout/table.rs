//! The layouts of a spec, computed once: every struct in every version on
//! one target of each layout class, on demand, then kept. A validated
//! [`Spec`] lays out without error (parsing lays out the newest version,
//! the largest, and refuses what overflows), so every question here has an
//! answer: no caller handles a layout error.

use std::collections::HashMap;
use std::sync::OnceLock;

use super::{layout_all, Layout};
use crate::model::Spec;
use crate::target::Target;

/// The layouts of one validated spec: `[class][version][struct]`, computed
/// on first use. A [`Spec`] owns one ([`Spec::layout`]); a clone of the
/// spec starts with an empty table, so a spec changed after validation (as
/// the Rust generator does to try alignments) never sees stale layouts.
#[derive(Debug, Default)]
pub struct LayoutTable {
    /// Per built-in class (of [`Target::ALL`]), per version from the first.
    cells: OnceLock<Vec<Vec<Cell>>>,
    /// Struct and feature indices by name, which laying out needs (nested
    /// types name structs) and [`Spec::struct_index`], [`Spec::struct_def`]
    /// and [`Spec::feature`] answer from: searched one by one, a spec of
    /// 100,000 structs spent minutes finding names.
    names: OnceLock<Names>,
    /// Per struct, per field: `since` and `was_reserved` (`u32::MAX` when
    /// none), side by side. Laying out a version walks every field to
    /// find that version's view; through the fields themselves (about 200
    /// bytes apart) that walk was three quarters of the work.
    views: OnceLock<Vec<Vec<(u32, u32)>>>,
    /// Per built-in class, per version: every struct's sizes, for callers
    /// that need a struct's size in every version but not its fields (the
    /// Rust generator's size constants). Kept apart from `cells`: a spec's
    /// every layout in every version is gigabytes for 65,536 fields over
    /// 256 versions, its sizes a few bytes per struct and version.
    sizes: OnceLock<Vec<Vec<SizesCell>>>,
}

/// A struct's `sizeof`, feature size and alignment in one version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sizes {
    /// `sizeof`.
    pub size: u64,
    /// The end of the last field: the length a caller announces.
    pub feature_size: u64,
    /// `_Alignof`.
    pub align: u64,
}

/// Every struct's sizes in one version on one class, once computed.
type SizesCell = OnceLock<Vec<Option<Sizes>>>;

/// Indices by name into a spec's structs and features.
#[derive(Debug, Default)]
struct Names {
    structs: HashMap<String, usize>,
    features: HashMap<String, usize>,
}

/// Every struct of the spec in one version on one class, once computed.
type Cell = OnceLock<Vec<Option<Layout>>>;

impl Clone for LayoutTable {
    fn clone(&self) -> Self {
        LayoutTable::default()
    }
}

/// The index of a target's class among the classes of [`Target::ALL`].
/// Computed once: every layout lookup asks, and comparing classes compares
/// every scalar's size and alignment.
fn class_index(target: Target) -> usize {
    static INDEX: OnceLock<[usize; Target::ALL.len()]> = OnceLock::new();
    let index = INDEX.get_or_init(|| {
        let reps = representatives();
        Target::ALL.map(|t| {
            reps.iter()
                .position(|r| r.layout_class() == t.layout_class())
                .unwrap_or(0)
        })
    });
    Target::ALL
        .iter()
        .position(|&t| t == target)
        .map_or(0, |i| index[i])
}

fn representatives() -> Vec<Target> {
    let mut reps: Vec<Target> = Vec::new();
    for t in Target::ALL {
        if !reps.iter().any(|r| r.layout_class() == t.layout_class()) {
            reps.push(t);
        }
    }
    reps
}

impl LayoutTable {
    fn names(&self, spec: &Spec) -> &Names {
        self.names.get_or_init(|| {
            // The first of a name wins, as a search from the start would
            // find it (a validated spec has no duplicates).
            let mut names = Names::default();
            for (i, s) in spec.structs.iter().enumerate().rev() {
                names.structs.insert(s.name.clone(), i);
            }
            for (i, f) in spec.features.iter().enumerate().rev() {
                names.features.insert(f.name.clone(), i);
            }
            names
        })
    }

    /// The fields of struct `struct_index` in `version`, as
    /// [`crate::StructDef::view`] gives them: (index, placeholder).
    pub(crate) fn view<'t>(
        &'t self,
        spec: &Spec,
        struct_index: usize,
        version: u32,
    ) -> impl Iterator<Item = (usize, bool)> + 't {
        let views = self.views.get_or_init(|| {
            spec.structs
                .iter()
                .map(|def| {
                    def.fields
                        .iter()
                        .map(|f| (f.since, f.was_reserved.unwrap_or(u32::MAX)))
                        .collect()
                })
                .collect()
        });
        views
            .get(struct_index)
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .enumerate()
            .filter_map(move |(i, &(since, was_reserved))| {
                if since <= version {
                    Some((i, false))
                } else if was_reserved <= version {
                    Some((i, true))
                } else {
                    None
                }
            })
    }

    /// The index of the struct named `name` in `spec`.
    pub(crate) fn struct_index(&self, spec: &Spec, name: &str) -> Option<usize> {
        self.names(spec).structs.get(name).copied()
    }

    /// The index of the feature named `name` in `spec`.
    pub(crate) fn feature_index(&self, spec: &Spec, name: &str) -> Option<usize> {
        self.names(spec).features.get(name).copied()
    }

    /// Every struct of `spec` in `version` on `target`'s class, indexed
    /// like [`Spec::structs`]; `None` for a struct without fields in that
    /// version. Empty for a version outside the spec's history. The
    /// layouts' `target` is the class's representative.
    pub fn structs(&self, spec: &Spec, target: Target, version: u32) -> &[Option<Layout>] {
        match grid_cell(&self.cells, spec, target, version) {
            Some(cell) => {
                cell.get_or_init(|| fresh(spec, representatives()[class_index(target)], version))
            }
            None => &[],
        }
    }
}

/// The cell of `grid` (per built-in class, per version from the first)
/// for `target`'s class and `version`, the grid made on first use; `None`
/// for a version outside the spec's history.
fn grid_cell<'g, T>(
    grid: &'g OnceLock<Vec<Vec<OnceLock<T>>>>,
    spec: &Spec,
    target: Target,
    version: u32,
) -> Option<&'g OnceLock<T>> {
    let cells = grid.get_or_init(|| {
        let versions = spec.versions().count();
        representatives()
            .iter()
            .map(|_| (0..versions).map(|_| OnceLock::new()).collect())
            .collect()
    });
    let offset = version.checked_sub(spec.abi.first_version)?;
    cells.get(class_index(target))?.get(offset as usize)
}

impl LayoutTable {
    /// Every struct's sizes in `version` on `target`'s class, indexed like
    /// [`Spec::structs`]: taken from the kept layouts when they are there,
    /// otherwise laid out now and only the sizes kept.
    pub fn sizes(&self, spec: &Spec, target: Target, version: u32) -> &[Option<Sizes>] {
        let class = class_index(target);
        let Some(cell) = grid_cell(&self.sizes, spec, target, version) else {
            return &[];
        };
        let offset = version - spec.abi.first_version;
        cell.get_or_init(|| {
            let of = |layouts: &[Option<Layout>]| -> Vec<Option<Sizes>> {
                layouts
                    .iter()
                    .map(|l| l.as_ref().map(Layout::sizes))
                    .collect()
            };
            let kept = self
                .cells
                .get()
                .and_then(|c| c.get(class)?.get(offset as usize)?.get());
            match kept {
                Some(layouts) => of(layouts),
                None => of(&fresh(spec, representatives()[class], version)),
            }
        })
    }
}

/// Every struct of a validated `spec` in `version` on `target`, laid out
/// now and not kept: for a pass over every version that needs each one
/// once (the history, the lints), where the table would keep them all.
pub(crate) fn fresh(spec: &Spec, target: Target, version: u32) -> Vec<Option<Layout>> {
    // The invariant of a validated spec: parsing laid out the newest
    // version, whose fields and sizes bound every older one.
    layout_all(spec, target, version).unwrap_or_else(|e| {
        panic!(
            "a validated spec failed to lay out on {target} (a bug, please report it): {}",
            e.message
        )
    })
}

/// One struct of a validated `spec` (and the structs inside it) in
/// `version` on `target`, laid out now and not kept.
#[cfg(feature = "compat")]
pub(crate) fn fresh_one(
    spec: &Spec,
    struct_index: usize,
    target: Target,
    version: u32,
) -> Option<Layout> {
    super::layout(spec, struct_index, target, version).unwrap_or_else(|e| {
        panic!(
            "a validated spec failed to lay out on {target} (a bug, please report it): {}",
            e.message
        )
    })
}
