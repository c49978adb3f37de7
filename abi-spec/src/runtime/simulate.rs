//! The compatibility matrix, simulated (`std` only): for every (kernel
//! version, C library version, target) of two specs of one ABI, run the
//! protocol with the run-time code of this module's parent and say whether
//! the two sides understood each other. `abi-check matrix` renders the
//! result; property tests call [`matrix`] directly.
//!
//! Two protocols, chosen per struct:
//!
//! * **Registration** (rseq style), for a struct with a field the kernel
//!   writes (`writer` kernel or both, not reserved, not a flexible array).
//!   The C library announces a length for a buffer of its `sizeof`, placed
//!   at an address that is a multiple of its alignment and of no larger
//!   power of two, between guard bytes. Its buffer holds its own values in
//!   the fields user space writes, zero in reserved bytes, and garbage in
//!   padding (nothing promises padding is zero). The kernel accepts or
//!   refuses ([`register`]), reads every field user space writes that its
//!   agreement turns on, then writes every field it writes with a pattern
//!   of its own; the C library reads every field it knows through
//!   [`Agreement::is_on`](super::Agreement::is_on), as generated accessors
//!   do. What the C library announces is a [`LibcAnnounces`] choice.
//! * **Copy-in** (`copy_struct_from_user`: clone3, openat2), for a struct
//!   only user space writes. The C library zeroes its struct, sets fields
//!   and passes its `sizeof`; the kernel runs [`copy_in`] into a buffer of
//!   its own `sizeof` that held stale bytes, then refuses non-zero reserved
//!   bytes (EINVAL). Two calls per cell: one setting every field the C
//!   library knows (refused with E2BIG, or EINVAL, exactly when it sets
//!   bytes the kernel does not know as a field), one setting only the
//!   fields of versions up to the kernel's (always accepted).
//!
//! The expectations are computed here from the contract's model, apart
//! from the run-time code: a field is on when both sides know it, its
//! version's feature size (in the C library's history) is at most the
//! smaller of the announced length and the kernel's feature size, and, if
//! it has a feature, both sides offer that feature (matched as every command
//! matches features: by name, or a renamed one by bit and history) live. Fields
//! are matched across the two specs as every command matches them
//! ([`crate::identity::pair`]: by name, or, for a field renamed, by its
//! type, history and place): a rename is source-breaking only
//! (FIELD_RENAMED), and the bytes still agree.

use std::collections::{BTreeMap, HashMap};
use std::ops::ControlFlow;
use std::sync::Arc;

use super::{
    accept, copy_in, register, AbiTable, Announcement, FieldSpan, Negotiated, NegotiationError,
    VersionSizes,
};
use crate::identity;
use crate::layout::Layout;
use crate::limits::{MAX_SIMULATED_BYTES, MAX_SIMULATED_STEPS};
use crate::model::{Spec, StructKind, Writer};
pub use crate::protocol::Protocol;
use crate::protocol::{area_address, version_sizes, SideTable, WORDS};
use crate::target::Target;

/// The byte the guard areas around the C library's buffer hold.
const GUARD: u8 = 0xa5;
/// What the C library leaves in its padding: not zero, as nothing says it is.
const GARBAGE: u8 = 0xee;
/// What the kernel's buffer held before a copy-in: zero-filling must erase it.
const STALE: u8 = 0x5a;

/// What the C library announces as its length at registration.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LibcAnnounces {
    /// The feature size of its version: the end of its last field (the
    /// contract's model; glibc 2.40 and later for rseq).
    #[default]
    FeatureSize,
    /// `sizeof` of its version, tail padding included (glibc 2.35 to 2.39
    /// registered 32 bytes of rseq while 20 were live).
    Size,
}

/// What was read from one field in one cell.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldResult {
    /// The field's name (the C library's for registration, the kernel's
    /// for copy-in), shared by every cell that reads the field.
    pub name: Arc<str>,
    /// The contract's model says the field is on.
    pub expected_on: bool,
    /// The reading side's agreement says the field is on.
    pub on: bool,
    /// On and holding the other side's value, or off and read as `None`
    /// (registration) or zero (copy-in).
    pub ok: bool,
}

/// One simulated registration or copy-in: one (kernel version, C library
/// version) pair of a [`Group`], the same on each of its targets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cell {
    /// The kernel's version.
    pub kernel: u32,
    /// The C library's version.
    pub libc: u32,
    /// The length the C library announced (registration) or passed (copy-in).
    pub announced: usize,
    /// The kernel's agreed length when the call succeeded (registration),
    /// or its agreement for the copy-in of the common fields: the bytes the
    /// kernel reads and writes. `abi-check compat` reports the same number.
    pub length: Option<usize>,
    /// Registration: the C library's own agreed length, from its own table;
    /// equal to `length` unless the two specs disagree on their versions'
    /// sizes.
    pub libc_length: Option<usize>,
    /// The agreed feature bits.
    pub features: Vec<u32>,
    /// Copy-in: the errno with which the kernel refused the call that set
    /// every field the C library knows, as the model expects (E2BIG for a
    /// field beyond the kernel's struct, EINVAL on its reserved bytes).
    pub expected_refusal: Option<i32>,
    /// Per-field results.
    pub fields: Vec<FieldResult>,
    /// Why the cell fails; empty when it passes.
    pub problems: Vec<String>,
}

impl Cell {
    /// True when the two sides understood each other as the model says.
    pub fn pass(&self) -> bool {
        self.problems.is_empty()
    }
}

/// One struct on the targets of one layout class. Targets of one class
/// lay out every struct alike ([`Target::layout_class`]), and the
/// simulation depends on nothing but the layouts, so each cell is run once
/// for the whole group and holds on each of its targets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    /// The struct.
    pub struct_name: String,
    /// Registration or copy-in.
    pub protocol: Protocol,
    /// The targets, in the order the C library's spec lists them.
    pub targets: Vec<Target>,
}

/// What a simulation covered, apart from its cells.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outline {
    /// The ABI's name.
    pub abi: String,
    /// The targets both specs promise, in the order the C library's spec
    /// lists them.
    pub targets: Vec<Target>,
    /// (struct, reason) for every struct not simulated.
    pub skipped: Vec<(String, String)>,
    /// The kernel spec's versions.
    pub kernel_versions: Vec<u32>,
    /// The C library spec's versions.
    pub libc_versions: Vec<u32>,
}

/// The cells of one [`Group`], kernel version major, C library version
/// minor (a pair is missing where a side has no such struct at its version).
#[derive(Clone, Debug)]
pub struct Block {
    /// The struct and its targets.
    pub group: Group,
    /// One cell per (kernel version, C library version).
    pub cells: Vec<Cell>,
}

/// The whole matrix, every cell kept: [`stream`] visits the same cells
/// without keeping them, which is what a large spec needs (cells times
/// fields results).
#[derive(Clone, Debug)]
pub struct Matrix {
    /// The ABI, its targets, versions and structs not simulated.
    pub outline: Outline,
    /// Per struct, per layout class.
    pub blocks: Vec<Block>,
}

impl Matrix {
    /// True when every cell passes.
    pub fn pass(&self) -> bool {
        self.blocks.iter().all(|b| b.cells.iter().all(Cell::pass))
    }

    /// Every (group, target, cell): each cell once per target of its group.
    pub fn cells(&self) -> impl Iterator<Item = (&Group, Target, &Cell)> {
        self.blocks.iter().flat_map(|b| {
            b.group
                .targets
                .iter()
                .flat_map(move |&t| b.cells.iter().map(move |c| (&b.group, t, c)))
        })
    }
}

/// One of the two sides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// The kernel.
    Kernel,
    /// The C library.
    Libc,
}

/// Two specs that cannot be simulated against each other.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SimulationError {
    /// They describe different ABIs.
    DifferentAbis {
        /// The kernel's ABI name.
        kernel: String,
        /// The C library's ABI name.
        libc: String,
    },
    /// They promise no target in common.
    NoCommonTarget,
}

impl std::fmt::Display for SimulationError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SimulationError::DifferentAbis { kernel, libc } => write!(
                f,
                "the kernel's spec describes ABI `{kernel}` but the C library's describes `{libc}`: not two sides of one ABI"
            ),
            SimulationError::NoCommonTarget => f.write_str(
                "the two specs promise no target in common: there is nothing to simulate",
            ),
        }
    }
}

impl std::error::Error for SimulationError {}

/// One field of one side at one version. Names borrow from the specs and
/// the rename tables: a view of a 65,536-field struct at each of 256
/// versions must not copy every name 256 times.
#[derive(Clone, Debug)]
struct SideField<'a> {
    /// Its name in this spec, shared with the results that name it.
    name: Arc<str>,
    /// The name both sides know it by: the C library's name for a field
    /// the kernel's spec renamed ([`identity::pair`]).
    identity: &'a str,
    /// `identity` as a number ([`Ids`]), the same on both sides.
    id: u32,
    /// [`pattern`]'s hash of `identity`, per writer (kernel, C library):
    /// computed once, not once per bit written or checked.
    seeds: [u64; 2],
    span: FieldSpan,
    /// The feature size of the version that introduced it, in this
    /// spec's history (`None` if the struct did not exist then).
    since_size: Option<usize>,
    /// Its bits, `[start, end)` in allocation order.
    bits: (usize, usize),
    /// A bitfield shares its bytes with other fields.
    bitfield: bool,
    writer: Writer,
    /// Reserved bytes: must be zero, nobody reads them.
    reserved: bool,
    /// Its feature's identity, as a number ([`Ids`]): the model matches
    /// features across specs as every command does
    /// ([`identity::pair_features`]: by name, or a renamed feature by bit
    /// and history), while the run-time exchanges bits, so a bit the two
    /// specs disagree on shows.
    feature: Option<u32>,
}

impl SideField<'_> {
    fn kernel_writes(&self) -> bool {
        !self.reserved && self.writer != Writer::User
    }
    fn user_writes(&self) -> bool {
        !self.reserved && self.writer != Writer::Kernel
    }
}

/// Identities as numbers, the same for both sides: a cell looks up the
/// other side's field once per field, and its features once per field, so
/// each lookup is an index, not a search or a hash of a name.
#[derive(Debug, Default)]
struct Ids<'a> {
    /// Field identity -> number, for one struct of both specs.
    fields: HashMap<&'a str, u32>,
    /// Feature identity -> number, for both specs.
    features: HashMap<&'a str, u32>,
}

impl<'a> Ids<'a> {
    fn number(map: &mut HashMap<&'a str, u32>, name: &'a str) -> u32 {
        let next = map.len() as u32;
        *map.entry(name).or_insert(next)
    }
}

/// One struct of one spec on one layout class at one version.
#[derive(Clone, Debug)]
struct SideView<'a> {
    /// The run-time's numbers ([`SideTable`]).
    numbers: SideTable,
    fields: Vec<SideField<'a>>,
    /// Field identity number -> index in `fields` of the first field not
    /// reserved with that identity ([`NONE`] for none).
    at: Vec<u32>,
    /// Feature identity number -> live in this version.
    live_features: Vec<bool>,
}

/// No field of that identity in a [`SideView`].
const NONE: u32 = u32::MAX;

impl<'a> SideView<'a> {
    fn new(
        numbers: SideTable,
        fields: Vec<SideField<'a>>,
        identities: usize,
        live_features: Vec<bool>,
    ) -> Self {
        let mut at = vec![NONE; identities];
        for (i, f) in fields.iter().enumerate() {
            if !f.reserved && at[f.id as usize] == NONE {
                at[f.id as usize] = i as u32;
            }
        }
        SideView {
            numbers,
            fields,
            at,
            live_features,
        }
    }

    /// The same view with only the fields `keep` selects.
    fn only(&self, keep: impl Fn(&SideField<'a>) -> bool) -> Self {
        let fields = self.fields.iter().filter(|f| keep(f)).cloned().collect();
        SideView::new(
            self.numbers.clone(),
            fields,
            self.at.len(),
            self.live_features.clone(),
        )
    }

    fn version(&self) -> u32 {
        self.numbers.version
    }

    fn table(&self) -> AbiTable<'_> {
        self.numbers.table()
    }

    fn own(&self) -> Option<&VersionSizes> {
        self.numbers.own()
    }

    fn live(&self, feature: u32) -> bool {
        self.live_features
            .get(feature as usize)
            .copied()
            .unwrap_or(false)
    }

    /// This side's field that `other` (a field of the other side) is.
    fn field(&self, other: &SideField) -> Option<&SideField<'a>> {
        match self.at.get(other.id as usize) {
            Some(&i) if i != NONE => Some(&self.fields[i as usize]),
            _ => None,
        }
    }
}

/// Numbers every field identity of one struct of both specs, and every
/// feature identity of both specs.
fn ids<'a>(
    kernel: (&'a Spec, usize),
    libc: (&'a Spec, usize),
    renames: &'a BTreeMap<String, String>,
    features: &'a BTreeMap<String, String>,
) -> Ids<'a> {
    let mut ids = Ids::default();
    for f in &libc.0.structs[libc.1].fields {
        Ids::number(&mut ids.fields, &f.name);
    }
    for f in &kernel.0.structs[kernel.1].fields {
        Ids::number(&mut ids.fields, renames.get(&f.name).unwrap_or(&f.name));
    }
    for f in &libc.0.features {
        Ids::number(&mut ids.features, &f.name);
    }
    for f in &kernel.0.features {
        Ids::number(&mut ids.features, features.get(&f.name).unwrap_or(&f.name));
    }
    ids
}

/// Every version's view of one struct on one layout class, oldest first;
/// every number from [`SideTable`]. `renames` and `features` map this
/// spec's names to identities (empty for the C library's side).
fn views<'a>(
    spec: &'a Spec,
    struct_index: usize,
    target: Target,
    renames: &'a BTreeMap<String, String>,
    features: &'a BTreeMap<String, String>,
    ids: &Ids<'a>,
) -> Vec<SideView<'a>> {
    let feature_id = |name: &'a str| -> Option<u32> {
        let identity: &str = features.get(name).map_or(name, |s| s);
        ids.features.get(identity).copied()
    };
    let def = &spec.structs[struct_index];
    let names: Vec<Arc<str>> = def.fields.iter().map(|f| Arc::from(&*f.name)).collect();
    // The struct laid out version by version and not kept: through the
    // spec's table, every struct of the spec would be laid out and kept in
    // every version (a 65,536-field struct beside this one: gigabytes).
    let mut sizes: Vec<VersionSizes> = Vec::new();
    spec.versions()
        .filter_map(|version| {
            let own = crate::layout::fresh_one(spec, struct_index, target, version)?;
            sizes.push(version_sizes(version, own.sizes()));
            Some(SideTable::of_layout(spec, &own, sizes.clone()))
        })
        .map(|numbers| {
            let fields = numbers
                .fields
                .iter()
                .filter_map(|f| {
                    let field = &def.fields[f.index];
                    let identity = renames.get(&field.name).map_or(field.name.as_str(), |s| s);
                    Some(SideField {
                        name: names[f.index].clone(),
                        identity,
                        id: *ids.fields.get(identity)?,
                        seeds: [Side::Kernel, Side::Libc].map(|w| seed(identity, w)),
                        span: f.span,
                        since_size: numbers
                            .versions
                            .iter()
                            .find(|v| v.version == f.span.since)
                            .map(|v| v.feature_size),
                        bits: f.bits,
                        bitfield: f.bitfield,
                        writer: field.writer,
                        reserved: f.reserved,
                        feature: field.feature.as_deref().and_then(feature_id),
                    })
                })
                .collect();
            let mut live_features = vec![false; ids.features.len()];
            for f in spec
                .features
                .iter()
                .filter(|f| f.since <= numbers.version && !f.retired)
            {
                if let Some(id) = feature_id(&f.name) {
                    live_features[id as usize] = true;
                }
            }
            SideView::new(numbers, fields, ids.fields.len(), live_features)
        })
        .collect()
}

/// Kernel feature name -> the identity both sides know it by: the C
/// library's name for a feature the two specs pair ([`identity::pair_features`]),
/// a name of its own for one the library does not have.
fn feature_identities(kernel: &Spec, libc: &Spec) -> BTreeMap<String, String> {
    kernel
        .features
        .iter()
        .zip(identity::pair_features(kernel, libc))
        .map(|(f, fate)| {
            let identity = match fate.new_index() {
                Some(i) => libc.features[i].name.clone(),
                None => format!("the kernel's {}", f.name),
            };
            (f.name.clone(), identity)
        })
        .collect()
}

/// Kernel field name -> C library field name, for the fields the kernel's
/// spec renamed: [`identity::pair`] of the two newest views, on every
/// target simulated.
fn renames(
    kernel: &Spec,
    kernel_index: usize,
    libc: &Spec,
    libc_index: usize,
    targets: &[Target],
) -> BTreeMap<String, String> {
    let pairs: Vec<(&Layout, &Layout)> = crate::layout::classes(targets)
        .iter()
        .filter_map(|c| {
            Some((
                libc.layout(libc_index, c.rep, libc.abi.version)?,
                kernel.layout(kernel_index, c.rep, kernel.abi.version)?,
            ))
        })
        .collect();
    let (kdef, ldef) = (&kernel.structs[kernel_index], &libc.structs[libc_index]);
    if pairs.is_empty() {
        return BTreeMap::new();
    }
    let pairing = identity::pair(ldef, kdef, &pairs);
    pairing
        .old
        .iter()
        .enumerate()
        .filter_map(|(li, fate)| match fate {
            Some(identity::Fate::Renamed(ki)) => {
                Some((kdef.fields[*ki].name.clone(), ldef.fields[li].name.clone()))
            }
            _ => None,
        })
        .collect()
}

/// The start of [`pattern`]'s hash: a function of the field's identity
/// and the writer only.
fn seed(identity: &str, writer: Side) -> u64 {
    let mut hash: u64 = match writer {
        Side::Kernel => 0xcbf2_9ce4_8422_2325,
        Side::Libc => 0x8422_2325_cbf2_9ce4,
    };
    for b in identity.bytes() {
        hash = (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// The distinct, non-zero bytes one side writes into a field: a function
/// of the field's identity, the writer ([`seed`]) and the byte's index
/// only, so the reader knows what to expect without asking the writer.
fn pattern(seed: u64, index: usize) -> u8 {
    let byte = 1 + ((seed.rotate_left((index % 8 * 8) as u32) as u8 as usize + index) % 254) as u8;
    if [GUARD, GARBAGE, STALE].contains(&byte) {
        byte.wrapping_add(3)
    } else {
        byte
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

// Memory is addressed by bit, in allocation order, so that bitfields and
// bytes are handled alike: bit `i` of a struct is bit `i % 8` of its byte
// `i / 8`. Both sides of a cell use the same convention (the target's own
// byte order decides only which end of a byte a C compiler allocates
// first, which changes nothing here).

fn get_bit(memory: &[u8], base: usize, i: usize) -> bool {
    memory[base + i / 8] >> (i % 8) & 1 == 1
}

fn set_bit(memory: &mut [u8], base: usize, i: usize, value: bool) {
    let byte = &mut memory[base + i / 8];
    if value {
        *byte |= 1 << (i % 8);
    } else {
        *byte &= !(1 << (i % 8));
    }
}

impl SideField<'_> {
    /// The bytes the field touches.
    fn bytes(&self) -> std::ops::Range<usize> {
        self.bits.0 / 8..self.bits.1.div_ceil(8)
    }

    /// The value `writer` puts in bit `k` of this field: the bits of
    /// [`pattern`]'s bytes, the first bit set for a bitfield so that even
    /// one bit tells a write from a zero.
    fn pattern_bit(&self, writer: Side, k: usize) -> bool {
        (self.bitfield && k == 0) || pattern(self.seed(writer), k / 8) >> (k % 8) & 1 == 1
    }

    /// The field's bytes, when it covers whole bytes and is no bitfield:
    /// then bit `k` of the pattern is bit `k % 8` of byte `k / 8`, and a
    /// byte at a time is the same as a bit at a time, eight times faster.
    fn whole_bytes(&self) -> Option<std::ops::Range<usize>> {
        (!self.bitfield && self.bits.0 % 8 == 0 && self.bits.1 % 8 == 0).then(|| self.bytes())
    }

    fn seed(&self, writer: Side) -> u64 {
        self.seeds[match writer {
            Side::Kernel => 0,
            Side::Libc => 1,
        }]
    }

    /// Writes `writer`'s pattern into the field's bits of the struct at `base`.
    fn write_pattern(&self, memory: &mut [u8], base: usize, writer: Side) {
        if let Some(bytes) = self.whole_bytes() {
            let seed = self.seed(writer);
            for (k, byte) in memory[base + bytes.start..base + bytes.end]
                .iter_mut()
                .enumerate()
            {
                *byte = pattern(seed, k);
            }
            return;
        }
        for (k, i) in (self.bits.0..self.bits.1).enumerate() {
            set_bit(memory, base, i, self.pattern_bit(writer, k));
        }
    }

    /// Zeroes the field's bits of the struct at `base`.
    fn zero(&self, memory: &mut [u8], base: usize) {
        if let Some(bytes) = self.whole_bytes() {
            memory[base + bytes.start..base + bytes.end].fill(0);
            return;
        }
        for i in self.bits.0..self.bits.1 {
            set_bit(memory, base, i, false);
        }
    }

    /// True when the field's bits of the struct at `base` hold `writer`'s
    /// pattern (`Some`) or zero (`None`).
    fn holds(&self, memory: &[u8], base: usize, writer: Option<Side>) -> bool {
        if let Some(bytes) = self.whole_bytes() {
            let held = &memory[base + bytes.start..base + bytes.end];
            return match writer {
                None => held.iter().all(|&b| b == 0),
                Some(w) => {
                    let seed = self.seed(w);
                    held.iter().enumerate().all(|(k, &b)| b == pattern(seed, k))
                }
            };
        }
        (self.bits.0..self.bits.1).enumerate().all(|(k, i)| {
            get_bit(memory, base, i) == writer.is_some_and(|w| self.pattern_bit(w, k))
        })
    }

    /// What the field's bits hold, for messages: hex for whole bytes, the
    /// bits (first first) for a bitfield.
    fn shown(&self, memory: &[u8], base: usize) -> String {
        if self.bitfield {
            (self.bits.0..self.bits.1)
                .map(|i| if get_bit(memory, base, i) { '1' } else { '0' })
                .collect::<String>()
                + "b"
        } else {
            let range = self.bytes();
            hex(&memory[base + range.start..base + range.end])
        }
    }
}

fn empty_cell(kernel: &SideView, libc: &SideView) -> Cell {
    Cell {
        kernel: kernel.version(),
        libc: libc.version(),
        announced: 0,
        length: None,
        libc_length: None,
        features: Vec::new(),
        expected_refusal: None,
        fields: Vec::new(),
        problems: Vec::new(),
    }
}

/// Runs one registration between a kernel side and a C library side.
fn registration(kernel: &SideView, libc: &SideView, announces: LibcAnnounces) -> Cell {
    let mut cell = empty_cell(kernel, libc);
    let (Some(libc_own), Some(kernel_own)) = (libc.own(), kernel.own()) else {
        cell.problems
            .push("a side has no layout in its own version".into());
        return cell;
    };
    let address = area_address(libc_own.align);
    let mut announcement =
        match Announcement::<WORDS>::for_version(&libc.table(), libc.version(), address) {
            Ok(a) => a,
            Err(e) => {
                cell.problems
                    .push(format!("the C library cannot announce: {e}"));
                return cell;
            }
        };
    if announces == LibcAnnounces::Size {
        announcement.length = libc_own.size;
    }
    cell.announced = announcement.length;
    let (answer, kernel_agreed) = match register(&kernel.table(), kernel.version(), &announcement) {
        Ok(pair) => pair,
        Err(e) => {
            cell.problems.push(format!(
                "the kernel refused the registration (errno {}): {e}",
                e.errno()
            ));
            return cell;
        }
    };
    let libc_agreed: Negotiated<WORDS> =
        match accept(&libc.table(), libc.version(), &announcement, &answer) {
            Ok(n) => n,
            Err(e) => {
                cell.problems
                    .push(format!("the C library cannot accept the answer: {e}"));
                return cell;
            }
        };
    cell.length = Some(kernel_agreed.length);
    cell.libc_length = Some(libc_agreed.length);
    cell.features = libc_agreed.features.iter().collect();
    // Announcing sizeof, the C library claims bytes it does not know: the
    // two agreements may differ, and the fields decide whether that harms.
    if announces == LibcAnnounces::FeatureSize
        && (kernel_agreed.length != libc_agreed.length
            || kernel_agreed.features != libc_agreed.features)
    {
        let bits = |bits: &mut dyn Iterator<Item = u32>| {
            let list: Vec<String> = bits.map(|b| b.to_string()).collect();
            if list.is_empty() {
                "no bits".to_string()
            } else {
                format!("bits {}", list.join(", "))
            }
        };
        cell.problems.push(format!(
            "the two sides agree differently: kernel length {} and {}, C library length {} and {}",
            kernel_agreed.length,
            bits(&mut kernel_agreed.features.iter()),
            libc_agreed.length,
            bits(&mut libc_agreed.features.iter())
        ));
    }

    // The C library's buffer, between guards wide enough to catch any
    // write the kernel's own layout could make: zero in every field it
    // knows (reserved bytes included), garbage in padding. Once registered,
    // it sets the fields it writes that its agreement turns on (rseq_cs).
    let guard = kernel_own.size.max(libc_own.size) + 64;
    let size = libc_own.size;
    let mut memory = vec![GUARD; guard + size + guard];
    memory[guard..guard + size].fill(GARBAGE);
    for field in &libc.fields {
        field.zero(&mut memory, guard);
    }
    let libc_agreement = libc_agreed.agreement();
    for field in libc.fields.iter().filter(|f| f.user_writes()) {
        if libc_agreement.is_on(field.span.bound, field.span.feature) {
            field.write_pattern(&mut memory, guard, Side::Libc);
        }
    }
    let limit = announcement.length.min(kernel_own.feature_size);
    let libc_on = |field: &SideField, kernel_field: Option<&SideField>| {
        kernel_field.is_some()
            && field.since_size.is_some_and(|fs| fs <= limit)
            && field
                .feature
                .as_ref()
                .is_none_or(|feature| libc.live(*feature) && kernel.live(*feature))
    };

    // The kernel reads what user space writes, where its agreement allows:
    // the C library's value if the C library turned the field on, zero if
    // it left it reserved, never its padding.
    let kernel_agreement = kernel_agreed.agreement();
    for field in kernel.fields.iter().filter(|f| f.user_writes()) {
        if !kernel_agreement.is_on(field.span.bound, field.span.feature) {
            continue;
        }
        let Some(bytes) = memory.get(guard + field.bytes().start..guard + field.bytes().end) else {
            continue;
        };
        let libc_field = libc
            .field(field)
            .filter(|l| l.user_writes() && l.bits == field.bits && libc_on(l, Some(field)));
        let expected = libc_field.map(|_| Side::Libc);
        if !field.holds(&memory, guard, expected) {
            let what = if bytes.contains(&GARBAGE) {
                "the C library's padding".to_string()
            } else if bytes.contains(&GUARD) {
                "beyond the C library's buffer".to_string()
            } else {
                format!("{}, not the C library's value", field.shown(&memory, guard))
            };
            cell.problems.push(format!(
                "the kernel read `{}` (bytes {}..{}) from {what}: the C library speaking version {} announced {} bytes",
                field.name, field.span.offset, field.span.end, libc.version(), announcement.length
            ));
        }
    }

    // The kernel writes every field it writes where its agreement allows.
    for field in kernel.fields.iter().filter(|f| f.kernel_writes()) {
        if !kernel_agreement.is_on(field.span.bound, field.span.feature) {
            continue;
        }
        if guard + field.bytes().end > memory.len() {
            cell.problems.push(format!(
                "the kernel wrote `{}` past the end of memory",
                field.name
            ));
            continue;
        }
        field.write_pattern(&mut memory, guard, Side::Kernel);
    }
    let outside = memory[..guard]
        .iter()
        .enumerate()
        .chain(
            memory[guard + size..]
                .iter()
                .enumerate()
                .map(|(i, b)| (guard + size + i, b)),
        )
        .filter(|(_, &b)| b != GUARD)
        .map(|(i, _)| i as i64 - guard as i64)
        .collect::<Vec<_>>();
    if let (Some(first), Some(last)) = (outside.first(), outside.last()) {
        cell.problems.push(format!(
            "the kernel wrote outside the {size}-byte buffer: bytes {first}..={last}"
        ));
    }

    // The C library reads every field the kernel writes, as the model says.
    for field in libc.fields.iter().filter(|f| f.kernel_writes()) {
        let kernel_field = kernel.field(field).filter(|k| k.kernel_writes());
        let expected_on = libc_on(field, kernel_field);
        let read = libc_agreement.is_on(field.span.bound, field.span.feature);
        let ok = match read {
            true => expected_on && field.holds(&memory, guard, Some(Side::Kernel)),
            false => !expected_on,
        };
        if !ok {
            let what = match read {
                false => "reads None, but the model turns it on".to_string(),
                true if !expected_on => {
                    "is on for the C library, but the model turns it off".to_string()
                }
                true => format!(
                    "reads {}, not the kernel's value",
                    field.shown(&memory, guard)
                ),
            };
            cell.problems.push(format!("field `{}` {what}", field.name));
        }
        cell.fields.push(FieldResult {
            name: field.name.clone(),
            expected_on,
            on: read,
            ok,
        });
    }
    cell
}

/// A union's members share their bytes: the two sides agree, out of band,
/// which one is in use. One run per member of either side, with only that
/// member (and reserved bytes) in both views; the cell passes when every
/// run does.
fn union_cell<'a>(
    kernel: &SideView<'a>,
    libc: &SideView<'a>,
    run: impl Fn(&SideView, &SideView) -> Cell,
) -> Cell {
    let mut members: Vec<&str> = kernel
        .fields
        .iter()
        .chain(&libc.fields)
        .filter(|f| !f.reserved)
        .map(|f| f.identity)
        .collect();
    members.sort_unstable();
    members.dedup();
    let only =
        |view: &SideView<'a>, member: &str| view.only(|f| f.reserved || f.identity == member);
    let mut merged: Option<Cell> = None;
    for member in members {
        let mut cell = run(&only(kernel, member), &only(libc, member));
        for problem in &mut cell.problems {
            *problem = format!("with `{member}` in use: {problem}");
        }
        match &mut merged {
            None => merged = Some(cell),
            Some(m) => {
                m.fields.extend(cell.fields);
                m.problems.extend(cell.problems);
            }
        }
    }
    merged.unwrap_or_else(|| run(kernel, libc))
}

/// What one copy-in call did.
struct CopyInCall {
    result: Result<usize, NegotiationError>,
    /// The kernel's struct after the call.
    kernel_bytes: Vec<u8>,
}

/// The kernel's side of one copy-in: [`copy_in`] into stale memory, then
/// the must-be-zero check of its reserved bytes.
fn kernel_copy_in(kernel: &SideView, kernel_size: usize, src: &[u8]) -> CopyInCall {
    let mut dst = vec![STALE; kernel_size];
    let result = copy_in(&kernel.table(), kernel.version(), &mut dst, src).and_then(|agreement| {
        for field in kernel.fields.iter().filter(|f| f.reserved) {
            if let Some(i) = (field.bits.0..field.bits.1).find(|&i| get_bit(&dst, 0, i)) {
                // Linux answers a non-zero reserved field with EINVAL.
                return Err(NegotiationError::ReservedNotZero { offset: i / 8 });
            }
        }
        Ok(agreement.length)
    });
    CopyInCall {
        result,
        kernel_bytes: dst,
    }
}

/// Runs the two copy-in calls of one cell.
fn copy_in_cell(kernel: &SideView, libc: &SideView) -> Cell {
    let mut cell = empty_cell(kernel, libc);
    let (Some(libc_own), Some(kernel_own)) = (libc.own(), kernel.own()) else {
        cell.problems
            .push("a side has no layout in its own version".into());
        return cell;
    };
    cell.announced = libc_own.size;
    let user_struct = |upto: u32| {
        let mut bytes = vec![0u8; libc_own.size];
        for field in libc
            .fields
            .iter()
            .filter(|f| f.user_writes() && f.span.since <= upto)
        {
            field.write_pattern(&mut bytes, 0, Side::Libc);
        }
        bytes
    };
    // A C library field the kernel knows at the same bytes reaches it;
    // any other set field is unknown to the kernel.
    let known = |field: &SideField| kernel.field(field).is_some_and(|k| k.bits == field.bits);
    let kernel_reserved = |(start, end): (usize, usize)| {
        kernel
            .fields
            .iter()
            .any(|k| k.reserved && k.bits.0 < end && start < k.bits.1)
    };
    // What the model expects of a call that sets the fields up to `upto`.
    let expectation = |upto: u32| -> Result<(), i32> {
        let unknown: Vec<&SideField> = libc
            .fields
            .iter()
            .filter(|f| f.user_writes() && f.span.since <= upto && !known(f))
            .collect();
        if unknown.iter().any(|f| f.bits.1 > kernel_own.size * 8) {
            Err(super::negotiate::E2BIG)
        } else if unknown.iter().any(|f| kernel_reserved(f.bits)) {
            Err(super::negotiate::EINVAL)
        } else {
            Ok(())
        }
    };
    let check = |cell: &mut Cell, what: &str, upto: u32, record: bool| -> Option<usize> {
        let src = user_struct(upto);
        let call = kernel_copy_in(kernel, kernel_own.size, &src);
        let expected = expectation(upto);
        match (&call.result, expected) {
            (Err(e), Err(errno)) if e.errno() == errno => {
                return None;
            }
            (Err(e), Err(errno)) => {
                cell.problems.push(format!(
                    "{what}: the kernel refused with errno {} ({e}), the model expects errno {errno}",
                    e.errno()
                ));
                return None;
            }
            (Err(e), Ok(())) => {
                cell.problems.push(format!(
                    "{what}: the kernel refused (errno {}): {e}",
                    e.errno()
                ));
                return None;
            }
            (Ok(_), Err(errno)) => {
                let lost: Vec<&str> = libc
                    .fields
                    .iter()
                    .filter(|f| f.user_writes() && f.span.since <= upto && !known(f))
                    .map(|f| &*f.name)
                    .collect();
                cell.problems.push(format!(
                    "{what}: the kernel accepted the C library's {} without knowing it (the model expects errno {errno})",
                    lost.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
                ));
            }
            (Ok(_), Ok(())) => {
                // Set, unknown to the kernel, neither beyond its struct nor
                // on its reserved bytes: on its padding, silently dropped.
                for f in libc
                    .fields
                    .iter()
                    .filter(|f| f.user_writes() && f.span.since <= upto && !known(f))
                {
                    let covered = kernel
                        .fields
                        .iter()
                        .any(|k| !k.reserved && k.bits.0 < f.bits.1 && f.bits.0 < k.bits.1);
                    if !covered {
                        cell.problems.push(format!(
                            "{what}: the kernel ignores the C library's `{}` (bytes {}..{}): padding to the kernel",
                            f.name, f.span.offset, f.span.end
                        ));
                    }
                }
            }
        }
        let length = call.result.as_ref().ok().copied();
        for field in kernel.fields.iter().filter(|f| f.user_writes()) {
            let bytes = &call.kernel_bytes[field.bytes()];
            let set = libc
                .field(field)
                .filter(|l| l.user_writes() && l.span.since <= upto && l.bits == field.bits);
            let ok = field.holds(&call.kernel_bytes, 0, set.map(|_| Side::Libc));
            if !ok {
                let what_read = if bytes.contains(&STALE) {
                    "stale kernel memory".to_string()
                } else {
                    field.shown(&call.kernel_bytes, 0)
                };
                cell.problems.push(format!(
                    "{what}: the kernel reads `{}` as {what_read}, not {}",
                    field.name,
                    if set.is_some() {
                        "the C library's value"
                    } else {
                        "zero"
                    }
                ));
            }
            if record {
                cell.fields.push(FieldResult {
                    name: field.name.clone(),
                    expected_on: set.is_some(),
                    on: length.is_some_and(|l| field.span.end <= l),
                    ok,
                });
            }
        }
        length
    };
    // Every field the C library knows: refused exactly where the model says.
    let all = check(&mut cell, "setting every field", libc.version(), false);
    if all.is_none() {
        cell.expected_refusal = expectation(libc.version()).err();
    }
    // Only the fields of versions the kernel has: always accepted.
    let common = kernel.version().min(libc.version());
    if let Err(errno) = expectation(common) {
        cell.problems.push(format!(
            "setting the fields of versions up to {common}: the model expects errno {errno}, as the kernel does not know them all"
        ));
    }
    cell.length = check(
        &mut cell,
        &format!("setting the fields of versions up to {common}"),
        common,
        true,
    );
    cell
}

/// Simulates every (kernel version, C library version, target) of every
/// struct the two specs share, on the targets both specs promise, and
/// hands each cell to `visit` as it is made, without keeping it: memory
/// stays that of one struct's views and one cell, however many cells there
/// are. `visit` may stop the run with [`ControlFlow::Break`] (its reader
/// went away). `kernel` and `libc` may be the same spec.
///
/// Cells come per struct (in the C library's order), per layout class of
/// the common targets ([`Group`]), kernel version major.
pub fn stream(
    kernel: &Spec,
    libc: &Spec,
    announces: LibcAnnounces,
    visit: &mut dyn FnMut(&Group, Cell) -> ControlFlow<()>,
) -> Result<Outline, SimulationError> {
    if kernel.abi.name != libc.abi.name {
        return Err(SimulationError::DifferentAbis {
            kernel: kernel.abi.name.clone(),
            libc: libc.abi.name.clone(),
        });
    }
    let targets: Vec<Target> = libc
        .abi
        .targets
        .iter()
        .copied()
        .filter(|t| kernel.abi.targets.contains(t))
        .collect();
    if targets.is_empty() {
        return Err(SimulationError::NoCommonTarget);
    }
    let mut outline = Outline {
        abi: libc.abi.name.clone(),
        targets: targets.clone(),
        skipped: Vec::new(),
        kernel_versions: kernel.versions().collect(),
        libc_versions: libc.versions().collect(),
    };
    // One group per layout class, its targets in the spec's order, the
    // classes in the order of their first target.
    let position = |t: &Target| targets.iter().position(|u| u == t);
    let mut classes = crate::layout::classes(&targets);
    for class in &mut classes {
        class.members.sort_by_key(position);
    }
    classes.sort_by_key(|c| c.members.first().and_then(position));
    let features = feature_identities(kernel, libc);
    let none = BTreeMap::new();
    let mut budget = MAX_SIMULATED_STEPS;
    for (libc_index, def) in libc.structs.iter().enumerate() {
        let Some(kernel_index) = kernel.struct_index(&def.name) else {
            outline.skipped.push((
                def.name.clone(),
                "the kernel's spec has no such struct".into(),
            ));
            continue;
        };
        // LP64 lays every struct out at least as large as any other target.
        let largest = [
            kernel.layout(kernel_index, Target::X86_64, kernel.abi.version),
            libc.layout(libc_index, Target::X86_64, libc.abi.version),
        ]
        .iter()
        .flatten()
        .map(|l| l.size)
        .max()
        .unwrap_or(0);
        if largest > MAX_SIMULATED_BYTES {
            outline.skipped.push((
                def.name.clone(),
                format!("{largest} bytes: larger than the {MAX_SIMULATED_BYTES} bytes the simulation lays out"),
            ));
            continue;
        }
        let protocol = Protocol::of(&[def, &kernel.structs[kernel_index]]);
        let is_union = [def, &kernel.structs[kernel_index]]
            .iter()
            .any(|d| d.kind == StructKind::Union);
        let steps = steps(
            (kernel, kernel_index),
            (libc, libc_index),
            classes.len(),
            is_union,
        );
        if steps > budget {
            outline.skipped.push((
                def.name.clone(),
                format!(
                    "{steps} field visits: more than the {} left of the {MAX_SIMULATED_STEPS} one matrix makes",
                    budget
                ),
            ));
            continue;
        }
        budget -= steps;
        let renamed = renames(kernel, kernel_index, libc, libc_index, &targets);
        let ids = ids(
            (kernel, kernel_index),
            (libc, libc_index),
            &renamed,
            &features,
        );
        for class in &classes {
            let group = Group {
                struct_name: def.name.clone(),
                protocol,
                targets: class.members.clone(),
            };
            let kernel_views = views(kernel, kernel_index, class.rep, &renamed, &features, &ids);
            let libc_views = views(libc, libc_index, class.rep, &none, &none, &ids);
            let run = |k: &SideView, l: &SideView| match protocol {
                Protocol::Registration => registration(k, l, announces),
                Protocol::CopyIn => copy_in_cell(k, l),
            };
            for k in &kernel_views {
                for l in &libc_views {
                    let cell = if is_union {
                        union_cell(k, l, run)
                    } else {
                        run(k, l)
                    };
                    if visit(&group, cell).is_break() {
                        return Ok(outline);
                    }
                }
            }
        }
    }
    Ok(outline)
}

/// The field visits [`stream`] makes for one struct (at most: a field of
/// a version in which the struct has no layout counts too), saturating.
fn steps(kernel: (&Spec, usize), libc: (&Spec, usize), classes: usize, union: bool) -> u64 {
    // Per version, the fields of the view: those introduced by then.
    let per_version = |(spec, index): (&Spec, usize)| -> (u64, u64) {
        let def = &spec.structs[index];
        let mut since: Vec<u32> = def.fields.iter().map(|f| f.since).collect();
        since.sort_unstable();
        spec.versions().fold((0u64, 0u64), |(count, sum), v| {
            let fields = since.partition_point(|&s| s <= v) as u64;
            (count + 1, sum.saturating_add(fields))
        })
    };
    let (kernel_versions, kernel_fields) = per_version(kernel);
    let (libc_versions, libc_fields) = per_version(libc);
    let members = if union {
        let count = |(spec, index): (&Spec, usize)| spec.structs[index].fields.len() as u64;
        count(kernel).saturating_add(count(libc)).max(1)
    } else {
        1
    };
    // Every kernel view meets every C library view: sum over the pairs of
    // both views' fields.
    libc_versions
        .saturating_mul(kernel_fields)
        .saturating_add(kernel_versions.saturating_mul(libc_fields))
        .saturating_mul(classes as u64)
        .saturating_mul(members)
}

/// [`stream`], every cell kept. Memory grows with cells times fields: for
/// the largest specs, [`stream`] is the way.
pub fn matrix(
    kernel: &Spec,
    libc: &Spec,
    announces: LibcAnnounces,
) -> Result<Matrix, SimulationError> {
    let mut blocks: Vec<Block> = Vec::new();
    let outline = stream(kernel, libc, announces, &mut |group, cell| {
        match blocks.last_mut() {
            Some(b) if b.group == *group => b.cells.push(cell),
            _ => blocks.push(Block {
                group: group.clone(),
                cells: vec![cell],
            }),
        }
        ControlFlow::Continue(())
    })?;
    Ok(Matrix { outline, blocks })
}
