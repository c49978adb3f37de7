//! Bitfields in Rust, which has none: each run of bitfields that share
//! bytes becomes one storage field, and each bitfield a getter and a setter
//! that shift and mask the storage. Which run a bitfield belongs to, what
//! type stores a run, and where each bitfield lies in its storage on each
//! target all come from the layout engine's [`BitPlace`]s; the storage is
//! accepted only once the engine, laying the Rust struct out as C would
//! (storage fields for runs), puts every field where C puts it on every
//! layout class.
//!
//! [`bitfields`] is the table the generator prints: a test sets each
//! bitfield through it and compares the bytes with what a C compiler wrote
//! for every target (tests/rust_bitfields.rs).

use std::collections::HashSet;
use std::fmt::Write as _;

use crate::diagnostic::{Diagnostic, SpecError};
use crate::layout::{self, BitPlace, Layout, LayoutClass};
use crate::model::{Field, Spec, Type};
use crate::names::rust_ident;
use crate::target::{Endian, Target};
use crate::types::Scalar;

use super::{cfg_predicate, group_targets, rust_targets, target_names, Alignment};

/// What holds a run of bitfields in the Rust struct.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Storage {
    /// An unsigned integer this many bytes wide (`u8` ... `u64`), read and
    /// written whole, in the target's byte order: chosen when the run's
    /// bytes are one naturally aligned integer of that size on every
    /// target.
    Int(u64),
    /// `[u8; N]`: each bitfield is read from the bytes it touches.
    Bytes(u64),
}

impl Storage {
    /// The Rust type.
    pub fn rust_type(self) -> String {
        match self {
            Storage::Int(n) => format!("u{}", n * 8),
            Storage::Bytes(n) => format!("[u8; {n}]"),
        }
    }

    /// Its size in bytes.
    pub fn size(self) -> u64 {
        match self {
            Storage::Int(n) | Storage::Bytes(n) => n,
        }
    }

    /// The zero value.
    fn zero(self) -> String {
        match self {
            Storage::Int(_) => "0".into(),
            Storage::Bytes(n) => format!("[0; {n}]"),
        }
    }
}

/// Where the generated code finds one bitfield in its storage on one
/// target: a window of the storage's bytes, read as an unsigned integer in
/// the target's byte order, and the bits of the value in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BitAccess {
    /// The window's first byte, counted from the storage's first byte (0
    /// for [`Storage::Int`], whose window is the whole integer).
    pub byte: u64,
    /// The window's length in bytes.
    pub len: u64,
    /// The position of the value's least significant bit in the window.
    pub shift: u32,
    /// The value's width in bits.
    pub width: u32,
}

impl BitAccess {
    /// Where bits `place` lie in a storage of kind `storage` starting at
    /// byte `storage_offset`, on a target of byte order `endian`. Allocation
    /// order counts from the least significant bit of each byte on a
    /// little-endian target and from the most significant on a big-endian
    /// one, so the first bit allocated is the window's least significant
    /// bit on the first and its most significant on the second, where the
    /// bitfield's own most significant bit comes first.
    fn of(place: BitPlace, storage: Storage, storage_offset: u64, endian: Endian) -> BitAccess {
        let (window_start, len) = match storage {
            Storage::Int(n) => (storage_offset, n),
            Storage::Bytes(_) => {
                let first = place.offset / 8;
                (first, (place.offset + place.width).div_ceil(8) - first)
            }
        };
        let from_window = place.offset - window_start * 8;
        let shift = match endian {
            Endian::Little => from_window,
            Endian::Big => len * 8 - from_window - place.width,
        };
        BitAccess {
            byte: window_start - storage_offset,
            len,
            shift: shift as u32,
            width: place.width as u32,
        }
    }

    /// The mask of the value's bits, before the shift.
    pub fn mask(&self) -> u128 {
        (1u128 << self.width) - 1
    }
}

/// One bitfield of a run and where it lies on each target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BitfieldAccess {
    /// Index into the struct's fields.
    pub field: usize,
    /// Per built-in target, in [`Target::ALL`] order.
    pub targets: Vec<(Target, BitAccess)>,
}

/// A run of bitfields and the Rust field that stores it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BitRun {
    /// The bitfields it holds (indices into the struct's fields), in
    /// order: the bitfields at least one bit wide, named or not, that share
    /// a byte with the ones before on some target. A zero-width bitfield
    /// belongs to no run.
    pub fields: Vec<usize>,
    /// The Rust field's name: the first bitfield's and `_bits`
    /// (`disabled_bits`), with `_` appended while another field has it.
    pub name: String,
    /// Its type.
    pub storage: Storage,
    /// Per built-in target, in [`Target::ALL`] order: the storage's first
    /// byte in the struct.
    pub offsets: Vec<(Target, u64)>,
    /// The named bitfields of `fields`, each with where it lies.
    pub bits: Vec<BitfieldAccess>,
}

impl BitRun {
    /// The accesses of a bitfield, when this run holds it.
    pub fn access(&self, field: usize) -> Option<&BitfieldAccess> {
        self.bits.iter().find(|b| b.field == field)
    }
}

/// The bitfields of one struct as the generated code holds them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StructBits {
    /// Its runs, in field order.
    pub runs: Vec<BitRun>,
    /// Per built-in target whose C alignment of the struct exceeds what
    /// its Rust fields and `repr` give (a `[u8; N]` storage for bitfields
    /// of a wider type): the alignment, asked with `repr(align(N))`.
    pub raise_align: Vec<(Target, u64)>,
    /// The run of each field that is in one, by field index: asked for
    /// every field, so not a search.
    by_field: Vec<Option<usize>>,
}

impl StructBits {
    /// The run that holds a field, with its index.
    pub fn run_of(&self, field: usize) -> Option<(usize, &BitRun)> {
        let run = (*self.by_field.get(field)?)?;
        Some((run, self.runs.get(run)?))
    }

    /// True when some run holds a named bitfield: the struct then has a
    /// module of where they lie ([`places_module`]).
    pub(super) fn has_named_bits(&self) -> bool {
        for r in &self.runs {
            if !r.bits.is_empty() {
                return true;
            }
        }
        false
    }
}

/// The layouts of struct `struct_index` in `version` on each class's
/// representative; `None` unless it has one on every class.
fn class_layouts<'s>(
    spec: &'s Spec,
    classes: &[LayoutClass],
    struct_index: usize,
    version: u32,
) -> Option<Vec<&'s Layout>> {
    let mut layouts = Vec::with_capacity(classes.len());
    for c in classes {
        layouts.push(spec.layout(struct_index, c.rep, version)?);
    }
    Some(layouts)
}

/// The runs of bitfields of a struct's view in `version`: indices of the
/// bitfields at least one bit wide, grouped so that a bitfield joins the
/// run before it when it shares a byte with it on some target. Anything
/// but a bitfield ends a run. What the generator stores in one field, and
/// what `#[derive(AbiLayout)]` asks a hand-written storage field to hold.
pub fn bitfield_runs(spec: &Spec, struct_index: usize, version: u32) -> Vec<Vec<usize>> {
    let classes = layout::classes(&Target::ALL);
    let Some(layouts) = class_layouts(spec, &classes, struct_index, version) else {
        return Vec::new();
    };
    let mut runs = Vec::new();
    for (fields, _) in runs_in(spec, struct_index, version, &layouts) {
        runs.push(fields);
    }
    runs
}

/// A run's bitfields (indices into the struct's fields) and the bytes
/// `[start, end)` it covers on each layout class.
type RunSpans = (Vec<usize>, Vec<(u64, u64)>);

/// [`bitfield_runs`], each run with the bytes it covers per class.
fn runs_in(spec: &Spec, struct_index: usize, version: u32, layouts: &[&Layout]) -> Vec<RunSpans> {
    let def = &spec.structs[struct_index];
    let mut runs = Vec::new();
    // The run being gathered, with the first bit after it per class.
    let mut current: Option<(RunSpans, Vec<u64>)> = None;
    for (index, field, _) in def.view(version) {
        let Some(width) = field.bits else {
            if let Some((run, _)) = current.take() {
                runs.push(run);
            }
            continue;
        };
        if width == 0 {
            continue;
        }
        // Per class: its bytes, its first bit, and whether that bit starts
        // a unit of its type (where C starts a new storage unit).
        let mut places: Vec<((u64, u64), u64, bool)> = Vec::with_capacity(layouts.len());
        for l in layouts {
            let (bytes, start) = match l.field(index) {
                Some(f) => (
                    (f.offset, f.end()),
                    match f.bits {
                        Some(b) => b.offset,
                        None => 0,
                    },
                ),
                None => ((0, 0), 0),
            };
            let unit = match field.ty.scalar() {
                Some(s) => l.target.scalar_size(s) * 8,
                None => 8,
            };
            places.push((bytes, start, start % unit == 0));
        }
        let mut joins = false;
        if let Some(((_, spans), ends)) = &current {
            for (i, &(p, start, new_unit)) in places.iter().enumerate() {
                let s = spans[i];
                let shares_a_byte = p.0 < s.1 && s.0 < p.1;
                let continues = start == ends[i] && !new_unit;
                joins |= shares_a_byte || continues;
            }
        }
        let mut ends: Vec<u64> = Vec::with_capacity(places.len());
        for &(_, start, _) in &places {
            ends.push(start + u64::from(width));
        }
        match &mut current {
            Some(((fields, spans), run_ends)) if joins => {
                fields.push(index);
                for (i, &(p, _, _)) in places.iter().enumerate() {
                    spans[i] = (spans[i].0.min(p.0), spans[i].1.max(p.1));
                    run_ends[i] = run_ends[i].max(ends[i]);
                }
            }
            _ => {
                if let Some((run, _)) = current.take() {
                    runs.push(run);
                }
                let mut spans = Vec::with_capacity(places.len());
                for &(p, _, _) in &places {
                    spans.push(p);
                }
                current = Some(((vec![index], spans), ends));
            }
        }
    }
    if let Some((run, _)) = current {
        runs.push(run);
    }
    runs
}

/// A run while the storage is being chosen.
struct Draft {
    fields: Vec<usize>,
    name: String,
    storage: Storage,
    /// The bytes it covers, per layout class.
    spans: Vec<(u64, u64)>,
}

/// Every struct's bitfields as the generated code holds them, indexed like
/// [`Spec::structs`]; an error when a run cannot be stored in one Rust
/// field that lies where C puts the bits on every target.
pub fn bitfields(spec: &Spec) -> Result<Vec<StructBits>, SpecError> {
    let layouts = super::Layouts::new(spec);
    let plan = super::plan_alignment(spec, &layouts);
    plan_bits(spec, &plan)
}

/// [`bitfields`] with the alignment plan the generator already made.
pub(super) fn plan_bits(spec: &Spec, plan: &Alignment) -> Result<Vec<StructBits>, SpecError> {
    let mut out = vec![StructBits::default(); spec.structs.len()];
    let mut has_bits = false;
    for def in &spec.structs {
        for f in &def.fields {
            has_bits |= f.is_bitfield();
        }
    }
    if !has_bits {
        return Ok(out);
    }
    let newest = spec.abi.version;
    let classes = layout::classes(&Target::ALL);
    let mut diagnostics = Vec::new();
    let mut drafts: Vec<Vec<Draft>> = Vec::with_capacity(spec.structs.len());
    for (si, def) in spec.structs.iter().enumerate() {
        let Some(layouts) = class_layouts(spec, &classes, si, newest) else {
            drafts.push(Vec::new());
            continue;
        };
        let mut taken: HashSet<String> = HashSet::with_capacity(def.fields.len());
        for f in &def.fields {
            if !f.is_bitfield() {
                taken.insert(rust_ident(&f.name));
            }
        }
        let mut mine = Vec::new();
        for (fields, spans) in runs_in(spec, si, newest, &layouts) {
            let first = &def.fields[fields[0]];
            let mut name = format!("{}_bits", first.name);
            while taken.contains(&name) {
                name.push('_');
            }
            taken.insert(name.clone());
            let len = spans[0].1 - spans[0].0;
            if let Some(ci) = other_length(&spans, len) {
                let (lo, hi) = spans[ci];
                diagnostics.push(
                    Diagnostic::error(
                        format!(
                            "`{}`: the bitfields from `{}` cover {} on {} and {} on {}: one Rust field cannot hold them on every target",
                            def.name,
                            first.name,
                            bytes(len),
                            classes[0].rep,
                            hi - lo,
                            classes[ci].rep
                        ),
                        Some(first.span),
                    )
                    .with_help("write the struct by hand and check it with #[derive(AbiLayout)] for the targets it serves"),
                );
                continue;
            }
            let storage = if int_fits(&classes, &spans, len) {
                Storage::Int(len)
            } else {
                Storage::Bytes(len)
            };
            mine.push(Draft {
                fields,
                name,
                storage,
                spans,
            });
        }
        drafts.push(mine);
    }
    if !diagnostics.is_empty() {
        return Err(SpecError {
            source: spec.source.clone(),
            diagnostics,
        });
    }
    let raise = verify(spec, plan, &classes, &mut drafts)?;
    for (si, mine) in drafts.into_iter().enumerate() {
        let mut runs = Vec::with_capacity(mine.len());
        for d in mine {
            let mut offsets = Vec::new();
            let mut bits: Vec<BitfieldAccess> = Vec::with_capacity(d.fields.len());
            for &fi in &d.fields {
                if !spec.structs[si].fields[fi].unnamed {
                    bits.push(BitfieldAccess {
                        field: fi,
                        targets: Vec::new(),
                    });
                }
            }
            for t in Target::ALL {
                let Some(ci) = class_of(&classes, t) else {
                    continue;
                };
                let lo = d.spans[ci].0;
                offsets.push((t, lo));
                let Some(l) = spec.layout(si, t, newest) else {
                    continue;
                };
                for b in &mut bits {
                    if let Some(place) = l.field(b.field).and_then(|f| f.bits) {
                        b.targets
                            .push((t, BitAccess::of(place, d.storage, lo, t.endian())));
                    }
                }
            }
            runs.push(BitRun {
                fields: d.fields,
                name: d.name,
                storage: d.storage,
                offsets,
                bits,
            });
        }
        // In target order: each target is in one class.
        let mut raise_align = Vec::new();
        for t in Target::ALL {
            if let Some(a) = class_of(&classes, t).and_then(|ci| raise[si][ci]) {
                raise_align.push((t, a));
            }
        }
        let mut by_field = vec![None; spec.structs[si].fields.len()];
        for (ri, r) in runs.iter().enumerate() {
            for &f in &r.fields {
                by_field[f] = Some(ri);
            }
        }
        out[si] = StructBits {
            runs,
            raise_align,
            by_field,
        };
    }
    Ok(out)
}

/// The first class whose span of a run is not `len` bytes long.
fn other_length(spans: &[(u64, u64)], len: u64) -> Option<usize> {
    for (ci, s) in spans.iter().enumerate() {
        if s.1 - s.0 != len {
            return Some(ci);
        }
    }
    None
}

/// True when an unsigned integer of `len` bytes exists and lies naturally
/// aligned at the run's first byte on every class: the run is then stored
/// in one.
fn int_fits(classes: &[LayoutClass], spans: &[(u64, u64)], len: u64) -> bool {
    for s in Scalar::ALL {
        if !s.is_signed() && s.is_integer() && s.fixed_bits() == Some(len as u32 * 8) {
            for (c, &(lo, _)) in classes.iter().zip(spans) {
                if lo % c.rep.scalar_align(s) != 0 {
                    return false;
                }
            }
            return true;
        }
    }
    false
}

/// The index of the class `t` belongs to.
fn class_of(classes: &[LayoutClass], t: Target) -> Option<usize> {
    for (ci, c) in classes.iter().enumerate() {
        if c.members.contains(&t) {
            return Some(ci);
        }
    }
    None
}

/// Where a field of the Rust struct comes from.
#[derive(Clone, Copy)]
enum Slot {
    /// A field of the spec, by index.
    Field(usize),
    /// The storage of a run, by index among the struct's runs.
    Run(usize),
}

/// The spec as the Rust code lays it out: each run one field of its
/// storage type, zero-width bitfields gone, the field alignments Rust
/// cannot state dropped (as the alignment plan decided), and each
/// struct's alignment what its `repr` asks (`align`, per struct).
fn candidate(
    spec: &Spec,
    plan: &Alignment,
    drafts: &[Vec<Draft>],
    align: &[Option<u64>],
) -> (Spec, Vec<Vec<Slot>>) {
    let mut cand = spec.clone();
    let mut slots = Vec::with_capacity(spec.structs.len());
    for (si, def) in spec.structs.iter().enumerate() {
        let mut fields = Vec::with_capacity(def.fields.len());
        let mut mine = Vec::with_capacity(def.fields.len());
        let mut run_of = vec![None; def.fields.len()];
        for (ri, d) in drafts[si].iter().enumerate() {
            for &f in &d.fields {
                run_of[f] = Some(ri);
            }
        }
        for (fi, field) in def.fields.iter().enumerate() {
            if let Some(ri) = run_of[fi] {
                let d = &drafts[si][ri];
                if d.fields[0] == fi {
                    let ty = match d.storage {
                        Storage::Int(n) => Type::Scalar(match n {
                            1 => Scalar::U8,
                            2 => Scalar::U16,
                            4 => Scalar::U32,
                            _ => Scalar::U64,
                        }),
                        Storage::Bytes(n) => Type::Array {
                            element: Box::new(Type::Scalar(Scalar::U8)),
                            len: n,
                        },
                    };
                    let mut since = field.since;
                    for (n, &i) in d.fields.iter().enumerate() {
                        if n == 0 || def.fields[i].since < since {
                            since = def.fields[i].since;
                        }
                    }
                    fields.push(Field {
                        ty,
                        since,
                        bits: None,
                        unnamed: false,
                        align: None,
                        was_reserved: None,
                        ..field.clone()
                    });
                    mine.push(Slot::Run(ri));
                }
                continue;
            }
            if field.is_bitfield() {
                // Zero-width: it holds nothing; what it moves, the engine
                // has moved already, and the check below sees if Rust can.
                continue;
            }
            let mut f = field.clone();
            if plan.wrap(si, fi).is_none() {
                f.align = None;
            }
            fields.push(f);
            mine.push(Slot::Field(fi));
        }
        cand.structs[si].fields = fields;
        cand.structs[si].align = align[si];
        slots.push(mine);
    }
    (cand, slots)
}

/// Lays the Rust view out on each layout class and compares it with C's.
/// A struct whose Rust alignment falls short gets `repr(align)` on that
/// class (the returned table, per struct and class); one whose integer
/// storage is more aligned than C's struct, or moves a field, gets byte
/// storage instead; one that still differs is an error.
fn verify(
    spec: &Spec,
    plan: &Alignment,
    classes: &[LayoutClass],
    drafts: &mut [Vec<Draft>],
) -> Result<Vec<Vec<Option<u64>>>, SpecError> {
    let newest = spec.abi.version;
    let mut own: Vec<Option<u64>> = Vec::with_capacity(spec.structs.len());
    for (si, def) in spec.structs.iter().enumerate() {
        own.push(plan.struct_align[si].or(def.align));
    }
    'choice: loop {
        let mut raise = vec![vec![None; classes.len()]; spec.structs.len()];
        for (ci, class) in classes.iter().enumerate() {
            let mut align: Vec<Option<u64>> = own.clone();
            loop {
                let (cand, slots) = candidate(spec, plan, drafts, &align);
                let laid = layout::layout_all(&cand, class.rep, newest).map_err(|e| {
                    error(
                        spec,
                        e.struct_index,
                        None,
                        format!(
                            "the Rust view of the bitfields does not lay out: {}",
                            e.message
                        ),
                    )
                })?;
                let mut raised = false;
                for (si, mine) in drafts.iter_mut().enumerate() {
                    if mine.is_empty() {
                        continue;
                    }
                    let (Some(c), Some(r)) = (spec.layout(si, class.rep, newest), &laid[si]) else {
                        continue;
                    };
                    if r.align < c.align {
                        align[si] = Some(c.align);
                        raise[si][ci] = Some(c.align);
                        raised = true;
                        continue;
                    }
                    let Some((problem, blame)) = difference(spec, si, c, r, &slots[si], mine, ci)
                    else {
                        continue;
                    };
                    if mine.iter().any(|d| matches!(d.storage, Storage::Int(_))) {
                        for d in mine.iter_mut() {
                            d.storage = Storage::Bytes(d.storage.size());
                        }
                        continue 'choice;
                    }
                    return Err(error(
                        spec,
                        si,
                        blame,
                        format!(
                            "`{}` has bitfields Rust cannot lay out as C does on {}: {problem}",
                            spec.structs[si].name, class.rep
                        ),
                    ));
                }
                if !raised {
                    break;
                }
            }
        }
        return Ok(raise);
    }
}

/// The first way the Rust view `r` of struct `si` differs from C's `c`.
fn difference(
    spec: &Spec,
    si: usize,
    c: &Layout,
    r: &Layout,
    slots: &[Slot],
    drafts: &[Draft],
    class: usize,
) -> Option<(String, Option<usize>)> {
    let def = &spec.structs[si];
    let first_run = drafts.first().map(|d| d.fields[0]);
    if r.align != c.align {
        return Some((
            format!("Rust's alignment would be {}, C's is {}", r.align, c.align),
            first_run,
        ));
    }
    for placed in &r.fields {
        let (name, want, blame) = match slots.get(placed.index)? {
            Slot::Field(fi) => {
                let f = c.field(*fi)?;
                (
                    format!("`{}`", def.fields[*fi].name),
                    (f.offset, f.size),
                    *fi,
                )
            }
            Slot::Run(ri) => {
                let d = &drafts[*ri];
                let (lo, hi) = d.spans[class];
                (
                    format!(
                        "the storage of the bitfields from `{}`",
                        def.fields[d.fields[0]].name
                    ),
                    (lo, hi - lo),
                    d.fields[0],
                )
            }
        };
        if (placed.offset, placed.size) != want {
            return Some((
                format!(
                    "{name} would lie at offset {} ({}), C puts it at {} ({})",
                    placed.offset,
                    bytes(placed.size),
                    want.0,
                    bytes(want.1)
                ),
                Some(blame),
            ));
        }
    }
    (r.size != c.size).then(|| {
        (
            format!("Rust's size would be {}, C's is {}", r.size, c.size),
            first_run,
        )
    })
}

/// `1 byte`, `3 bytes`.
fn bytes(n: u64) -> String {
    format!("{n} byte{}", if n == 1 { "" } else { "s" })
}

fn error(spec: &Spec, si: usize, field: Option<usize>, message: String) -> SpecError {
    let def = spec.structs.get(si);
    let span = match (def, field) {
        (Some(d), Some(fi)) => d.fields.get(fi).map(|f| f.span),
        (Some(d), None) => Some(d.name_span),
        _ => None,
    };
    SpecError {
        source: spec.source.clone(),
        diagnostics: vec![Diagnostic::error(message, span).with_help(
            "write the struct by hand and check it with #[derive(AbiLayout)], or reorder the bitfields so that each run fills whole units of its type",
        )],
    }
}

/// The name of the private module that holds where a struct's bitfields
/// lie: `__perf_event_attr_bits`.
pub(super) fn places_module(def_name: &str) -> String {
    format!("__{def_name}_bits")
}

/// The private module of [`places_module`], once per group of Rust targets
/// that place every bitfield of the struct alike (under its `#[cfg]`): a
/// constant per named bitfield, its shift in an integer storage, or
/// `(first byte, length, shift)` of its window in a byte storage. Empty
/// for a struct without bitfields.
pub(super) fn places(spec: &Spec, si: usize, bits: &StructBits, out: &mut String) {
    let def = &spec.structs[si];
    let mut accesses: Vec<(&BitRun, &BitfieldAccess)> = Vec::new();
    for r in &bits.runs {
        for b in &r.bits {
            accesses.push((r, b));
        }
    }
    if accesses.is_empty() {
        return;
    }
    let rust = rust_targets();
    // Per Rust target, where each bitfield lies.
    let mut tables: Vec<Vec<Option<BitAccess>>> = Vec::with_capacity(rust.len());
    for &t in &rust {
        let mut table = Vec::with_capacity(accesses.len());
        for (_, b) in &accesses {
            table.push(access_on(b, t));
        }
        tables.push(table);
    }
    let groups = group_targets(&rust, &|x, y| tables[x] == tables[y]);
    let module = places_module(&def.name);
    for (first, members) in &groups {
        let table = &tables[*first];
        let _ = writeln!(
            out,
            "/// Where the bitfields of `{}` lie in their storage on {}:\n\
             /// the shift of each one's lowest bit in its storage integer, or\n\
             /// (first byte, length, shift) of the window of bytes that holds it.",
            def.name,
            target_names(members)
        );
        if groups.len() > 1 {
            let _ = writeln!(out, "#[cfg({})]", cfg_predicate(members));
        }
        let _ = writeln!(
            out,
            "#[allow(non_upper_case_globals, dead_code)]\nmod {module} {{"
        );
        for ((run, access), place) in accesses.iter().zip(table) {
            let Some(a) = place else { continue };
            let name = rust_ident(&def.fields[access.field].name);
            match run.storage {
                Storage::Int(_) => {
                    let _ = writeln!(out, "    pub const {name}: u32 = {};", a.shift);
                }
                Storage::Bytes(_) => {
                    let _ = writeln!(
                        out,
                        "    pub const {name}: (usize, usize, u32) = ({}, {}, {});",
                        a.byte, a.len, a.shift
                    );
                }
            }
        }
        out.push_str("}\n\n");
    }
}

/// Where a bitfield lies on target `t`, when it has a place there.
fn access_on(b: &BitfieldAccess, t: Target) -> Option<BitAccess> {
    for &(x, a) in &b.targets {
        if x == t {
            return Some(a);
        }
    }
    None
}

/// How an accessor names where a bitfield lies: the shift, and for a byte
/// storage the window's first byte and length.
pub(super) struct PlaceExpr {
    /// `__s_bits::x` or `__s_bits::x.2`.
    pub shift: String,
    /// `(__s_bits::x.0, __s_bits::x.1)` for a byte storage.
    pub window: Option<(String, String)>,
}

/// [`PlaceExpr`] of field `field` of struct `def_name`, stored as `storage`.
pub(super) fn place_expr(def_name: &str, field: &Field, storage: Storage) -> PlaceExpr {
    let path = format!("{}::{}", places_module(def_name), rust_ident(&field.name));
    match storage {
        Storage::Int(_) => PlaceExpr {
            shift: path,
            window: None,
        },
        Storage::Bytes(_) => PlaceExpr {
            shift: format!("{path}.2"),
            window: Some((format!("{path}.0"), format!("{path}.1"))),
        },
    }
}

/// The width of a bitfield and the Rust type of its value.
fn value_type(field: &Field) -> (u32, Scalar) {
    let scalar = field.ty.scalar().unwrap_or(Scalar::U64);
    (field.bits.unwrap_or(0), scalar)
}

/// The expression of a bitfield's value from `raw`, the storage's value
/// (an integer) or the window's (a `u128`), with `shift` the position of
/// its lowest bit. A signed type (and `c_char` where C's `char` is signed,
/// as a plain `char` bitfield is then) sign-extends: the value is shifted
/// to the top of its type and back, arithmetically.
pub(super) fn extract(field: &Field, storage: Storage, raw: &str, shift: &str) -> String {
    let (width, scalar) = value_type(field);
    let ty = super::scalar_type(scalar);
    let type_bits = scalar.fixed_bits().unwrap_or(64);
    let raw_type = match storage {
        Storage::Int(n) => format!("u{}", n * 8),
        Storage::Bytes(_) => "u128".into(),
    };
    let shifted = format!("({raw} >> {shift})");
    let signed = scalar.is_signed() || scalar == Scalar::Char;
    if signed {
        let cast = format!("{shifted} as {ty}");
        if width == type_bits {
            cast
        } else {
            let back = type_bits - width;
            format!("(({cast}) << {back}) >> {back}")
        }
    } else if storage_bits(storage) == Some(width) {
        // The whole integer: nothing to mask.
        if raw_type == ty {
            raw.to_string()
        } else {
            format!("{raw} as {ty}")
        }
    } else {
        let masked = format!("{shifted} & {:#x}", (1u128 << width) - 1);
        if raw_type == ty {
            masked
        } else {
            format!("({masked}) as {ty}")
        }
    }
}

fn storage_bits(storage: Storage) -> Option<u32> {
    match storage {
        Storage::Int(n) => Some(n as u32 * 8),
        Storage::Bytes(_) => None,
    }
}

/// The expression of a storage (or window) value `raw` with the bitfield
/// set to `value`: its bits cleared, then the value's low bits put in.
pub(super) fn insert(
    field: &Field,
    storage: Storage,
    raw: &str,
    value: &str,
    shift: &str,
) -> String {
    let (width, scalar) = value_type(field);
    let ty = super::scalar_type(scalar);
    let raw_type = match storage {
        Storage::Int(n) => format!("u{}", n * 8),
        Storage::Bytes(_) => "u128".into(),
    };
    let value = if raw_type == ty {
        value.to_string()
    } else {
        format!("({value} as {raw_type})")
    };
    if storage_bits(storage) == Some(width) {
        return value;
    }
    let mask = format!("{:#x}", (1u128 << width) - 1);
    format!("({raw} & !({mask} << {shift})) | (({value} & {mask}) << {shift})")
}

/// The private helpers that read and write a byte window, emitted once
/// when some run is stored in bytes.
pub(super) const WINDOW_HELPERS: &str = "\
/// The bytes `at..at + len` of a bitfield storage as one integer in the
/// target's byte order: the window a bitfield's shift and mask apply to.
#[inline]
#[allow(dead_code)]
const fn abi_bits_load(bytes: &[u8], at: usize, len: usize) -> u128 {
    let mut window = 0u128;
    let mut i = 0;
    while i < len {
        let byte = bytes[at + i] as u128;
        if cfg!(target_endian = \"big\") {
            window = (window << 8) | byte;
        } else {
            window |= byte << (8 * i);
        }
        i += 1;
    }
    window
}

/// Writes `window` back to the bytes `at..at + len`, as
/// [`abi_bits_load`] read them.
#[inline]
#[allow(dead_code)]
fn abi_bits_store(bytes: &mut [u8], at: usize, len: usize, window: u128) {
    let mut i = 0;
    while i < len {
        let shift = if cfg!(target_endian = \"big\") { 8 * (len - 1 - i) } else { 8 * i };
        bytes[at + i] = (window >> shift) as u8;
        i += 1;
    }
}

";

/// The zero value of a run's storage.
pub(super) fn zero(run: &BitRun) -> String {
    run.storage.zero()
}
