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
//! it has a feature, both sides offer a live feature of that name. Fields
//! are matched across the two specs by name, or, for a field renamed
//! (same offset, size, type, `since` and feature), by its place: a rename
//! is source-breaking only (FIELD_RENAMED), and the bytes still agree.

use std::collections::BTreeMap;

use super::{
    accept, copy_in, register, AbiTable, Announcement, FeatureBit, FieldSpan, Negotiated,
    NegotiationError, VersionSizes,
};
use crate::layout;
use crate::model::{Spec, StructDef, Type, Writer};
use crate::target::Target;

/// Feature words the simulation handles: as many as any spec may define.
pub const WORDS: usize = crate::limits::MAX_FEATURE_WORDS as usize;

/// Largest struct the simulation lays out in memory: each cell allocates
/// the buffer and guards around it, so a spec's 2 GiB array must not
/// become 6 GiB of writes. Real extensible structs are a few hundred bytes.
pub const MAX_SIMULATED_BYTES: u64 = 1 << 20;

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

/// The protocol simulated for a struct.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    /// A kernel-written area registered by length (rseq).
    Registration,
    /// A struct copied in from user space (`copy_struct_from_user`).
    CopyIn,
}

impl Protocol {
    /// The name shown in output: `registration` or `copy-in`.
    pub const fn name(self) -> &'static str {
        match self {
            Protocol::Registration => "registration",
            Protocol::CopyIn => "copy-in",
        }
    }
}

/// What was read from one field in one cell.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldResult {
    /// The field's name (the C library's for registration, the kernel's for copy-in).
    pub name: String,
    /// The contract's model says the field is on.
    pub expected_on: bool,
    /// The reading side's agreement says the field is on.
    pub on: bool,
    /// On and holding the other side's value, or off and read as `None`
    /// (registration) or zero (copy-in).
    pub ok: bool,
}

/// One simulated registration or copy-in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cell {
    /// The struct.
    pub struct_name: String,
    /// Registration or copy-in.
    pub protocol: Protocol,
    /// The target.
    pub target: Target,
    /// The kernel's version.
    pub kernel: u32,
    /// The C library's version.
    pub libc: u32,
    /// The length the C library announced (registration) or passed (copy-in).
    pub announced: usize,
    /// The agreed length when the call succeeded: the C library's, for
    /// registration; the kernel's, for the copy-in of the common fields.
    pub length: Option<usize>,
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

/// The whole matrix.
#[derive(Clone, Debug)]
pub struct Matrix {
    /// The ABI's name.
    pub abi: String,
    /// Every cell: per struct, per target, per kernel version, per C library version.
    pub cells: Vec<Cell>,
    /// (struct, reason) for every struct not simulated.
    pub skipped: Vec<(String, String)>,
    /// The kernel spec's versions.
    pub kernel_versions: Vec<u32>,
    /// The C library spec's versions.
    pub libc_versions: Vec<u32>,
}

impl Matrix {
    /// True when every cell passes.
    pub fn pass(&self) -> bool {
        self.cells.iter().all(Cell::pass)
    }
}

/// Which of the two specs a [`SimulationError`] is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// The kernel's spec.
    Kernel,
    /// The C library's spec.
    Libc,
}

/// A spec that could not be laid out, or two specs of different ABIs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimulationError {
    /// The spec at fault, when it is one of them.
    pub side: Option<Side>,
    /// What went wrong.
    pub message: String,
}

impl std::fmt::Display for SimulationError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for SimulationError {}

/// One field of one side at one version.
#[derive(Clone, Debug)]
struct SideField {
    /// Its name in this spec.
    name: String,
    /// The name both sides know it by: the C library's name for a field
    /// the kernel's spec renamed.
    identity: String,
    span: FieldSpan,
    writer: Writer,
    /// Reserved bytes: must be zero, nobody reads them.
    reserved: bool,
    /// Its feature's name: the model matches features across specs by name.
    feature: Option<String>,
}

impl SideField {
    fn kernel_writes(&self) -> bool {
        !self.reserved && self.writer != Writer::User
    }
    fn user_writes(&self) -> bool {
        !self.reserved && self.writer != Writer::Kernel
    }
}

/// One struct of one spec on one target at one version.
#[derive(Clone, Debug)]
struct SideView {
    version: u32,
    versions: Vec<VersionSizes>,
    fields: Vec<SideField>,
    spans: Vec<FieldSpan>,
    features: Vec<FeatureBit>,
    /// The names of the live features of this version.
    live_features: Vec<String>,
}

impl SideView {
    fn table(&self) -> AbiTable<'_> {
        AbiTable {
            versions: &self.versions,
            fields: &self.spans,
            features: &self.features,
        }
    }

    fn own(&self) -> Option<&VersionSizes> {
        self.versions.iter().find(|v| v.version == self.version)
    }

    fn feature_size_of(&self, version: u32) -> Option<usize> {
        self.versions
            .iter()
            .find(|v| v.version == version)
            .map(|v| v.feature_size)
    }

    fn field(&self, identity: &str) -> Option<&SideField> {
        self.fields
            .iter()
            .find(|f| !f.reserved && f.identity == identity)
    }
}

/// Every version's view of one struct on one target, oldest first; every
/// number from `crate::layout`.
fn views(
    spec: &Spec,
    side: Side,
    struct_index: usize,
    target: Target,
    renames: &BTreeMap<String, String>,
) -> Result<Vec<SideView>, SimulationError> {
    let mut laid = Vec::new();
    for v in spec.versions() {
        let l = layout::layout(spec, struct_index, target, v).map_err(|e| SimulationError {
            side: Some(side),
            message: e.message,
        })?;
        if let Some(l) = l {
            laid.push((v, l));
        }
    }
    let def = &spec.structs[struct_index];
    let features: Vec<FeatureBit> = spec
        .features
        .iter()
        .map(|f| FeatureBit {
            bit: f.bit,
            since: f.since,
            retired: f.retired,
        })
        .collect();
    let mut out = Vec::new();
    for (i, (version, l)) in laid.iter().enumerate() {
        let versions = laid[..=i]
            .iter()
            .map(|(v, l)| VersionSizes {
                version: *v,
                size: l.size as usize,
                feature_size: l.feature_size as usize,
                align: l.align as usize,
            })
            .collect();
        let fields: Vec<SideField> = l
            .fields
            .iter()
            // A placeholder is the reserved bytes a later field claims.
            .filter(|p| !def.fields[p.index].ty.is_flexible())
            .map(|placed| {
                let field = &def.fields[placed.index];
                SideField {
                    name: field.name.clone(),
                    identity: renames
                        .get(&field.name)
                        .cloned()
                        .unwrap_or_else(|| field.name.clone()),
                    span: FieldSpan {
                        offset: placed.offset as usize,
                        end: placed.end() as usize,
                        since: field.since,
                        feature: field
                            .feature
                            .as_deref()
                            .and_then(|name| spec.feature(name))
                            .map(|f| f.bit),
                    },
                    writer: field.writer,
                    reserved: field.reserved || placed.placeholder,
                    feature: field.feature.clone(),
                }
            })
            .collect();
        out.push(SideView {
            version: *version,
            spans: fields.iter().map(|f| f.span).collect(),
            fields,
            versions,
            features: features.clone(),
            live_features: spec
                .features
                .iter()
                .filter(|f| f.since <= *version && !f.retired)
                .map(|f| f.name.clone())
                .collect(),
        });
    }
    Ok(out)
}

/// Kernel field name -> C library field name, for the fields the kernel's
/// spec renamed: a field whose name the other spec lacks, at the same
/// offset with the same size, type, `since` and feature as a field of the
/// other spec whose name the kernel's spec lacks (FIELD_RENAMED's test).
fn renames(
    kernel: &Spec,
    kernel_index: usize,
    libc: &Spec,
    libc_index: usize,
    target: Target,
) -> Result<BTreeMap<String, String>, SimulationError> {
    let newest = |spec: &Spec, index: usize, side: Side| {
        layout::layout(spec, index, target, spec.abi.version).map_err(|e| SimulationError {
            side: Some(side),
            message: e.message,
        })
    };
    let mut out = BTreeMap::new();
    let (Some(kl), Some(ll)) = (
        newest(kernel, kernel_index, Side::Kernel)?,
        newest(libc, libc_index, Side::Libc)?,
    ) else {
        return Ok(out);
    };
    let (kdef, ldef) = (&kernel.structs[kernel_index], &libc.structs[libc_index]);
    let named = |def: &StructDef, name: &str| def.fields.iter().any(|f| f.name == name);
    for kp in kl.fields.iter().filter(|p| !p.placeholder) {
        let kf = &kdef.fields[kp.index];
        if kf.reserved || named(ldef, &kf.name) {
            continue;
        }
        let same = ll.fields.iter().filter(|p| !p.placeholder).find(|lp| {
            let lf = &ldef.fields[lp.index];
            !lf.reserved
                && !named(kdef, &lf.name)
                && (lp.offset, lp.size) == (kp.offset, kp.size)
                && same_type(&lf.ty, &kf.ty)
                && lf.since == kf.since
                && lf.feature == kf.feature
        });
        if let Some(lp) = same {
            out.insert(kf.name.clone(), ldef.fields[lp.index].name.clone());
        }
    }
    Ok(out)
}

fn same_type(a: &Type, b: &Type) -> bool {
    a == b
}

/// The distinct, non-zero bytes one side writes into a field: a function
/// of the field's identity, the writer and the byte's index only, so the
/// reader knows what to expect without asking the writer.
fn pattern(identity: &str, writer: Side, index: usize) -> u8 {
    let mut hash: u64 = match writer {
        Side::Kernel => 0xcbf2_9ce4_8422_2325,
        Side::Libc => 0x8422_2325_cbf2_9ce4,
    };
    for b in identity.bytes() {
        hash = (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    let byte = 1 + ((hash.rotate_left((index % 8 * 8) as u32) as u8 as usize + index) % 254) as u8;
    if [GUARD, GARBAGE, STALE].contains(&byte) {
        byte.wrapping_add(3)
    } else {
        byte
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn empty_cell(
    struct_name: &str,
    protocol: Protocol,
    target: Target,
    kernel: &SideView,
    libc: &SideView,
) -> Cell {
    Cell {
        struct_name: struct_name.to_string(),
        protocol,
        target,
        kernel: kernel.version,
        libc: libc.version,
        announced: 0,
        length: None,
        features: Vec::new(),
        expected_refusal: None,
        fields: Vec::new(),
        problems: Vec::new(),
    }
}

/// Runs one registration between a kernel side and a C library side.
fn registration(
    struct_name: &str,
    target: Target,
    kernel: &SideView,
    libc: &SideView,
    announces: LibcAnnounces,
) -> Cell {
    let mut cell = empty_cell(struct_name, Protocol::Registration, target, kernel, libc);
    let (Some(libc_own), Some(kernel_own)) = (libc.own(), kernel.own()) else {
        cell.problems
            .push("a side has no layout in its own version".into());
        return cell;
    };
    // An odd multiple of the C library's alignment: aligned as it promises,
    // and no more, so a kernel that wants more notices.
    let address = (1usize << 20) + libc_own.align.max(1);
    let mut announcement =
        match Announcement::<WORDS>::for_version(&libc.table(), libc.version, address) {
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
    let (answer, kernel_agreed) = match register(&kernel.table(), kernel.version, &announcement) {
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
        match accept(&libc.table(), libc.version, &announcement, &answer) {
            Ok(n) => n,
            Err(e) => {
                cell.problems
                    .push(format!("the C library cannot accept the answer: {e}"));
                return cell;
            }
        };
    cell.length = Some(libc_agreed.length);
    cell.features = libc_agreed.features.iter().collect();
    // Announcing sizeof, the C library claims bytes it does not know: the
    // two agreements may differ, and the fields decide whether that harms.
    if announces == LibcAnnounces::FeatureSize
        && (kernel_agreed.length != libc_agreed.length
            || kernel_agreed.features != libc_agreed.features)
    {
        cell.problems.push(format!(
            "the two sides agree differently: kernel length {} bits {:?}, C library length {} bits {:?}",
            kernel_agreed.length,
            kernel_agreed.features.iter().collect::<Vec<_>>(),
            libc_agreed.length,
            cell.features
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
        memory[guard + field.span.offset..guard + field.span.end].fill(0);
    }
    let libc_agreement = libc_agreed.agreement();
    for field in libc.fields.iter().filter(|f| f.user_writes()) {
        if libc_agreement.is_on(field.span.end, field.span.feature) {
            for i in field.span.offset..field.span.end {
                memory[guard + i] = pattern(&field.identity, Side::Libc, i - field.span.offset);
            }
        }
    }
    let limit = announcement.length.min(kernel_own.feature_size);
    let libc_on = |field: &SideField, kernel_field: Option<&SideField>| {
        kernel_field.is_some()
            && libc
                .feature_size_of(field.span.since)
                .is_some_and(|fs| fs <= limit)
            && field.feature.as_ref().is_none_or(|name| {
                libc.live_features.contains(name) && kernel.live_features.contains(name)
            })
    };

    // The kernel reads what user space writes, where its agreement allows:
    // the C library's value if the C library turned the field on, zero if
    // it left it reserved, never its padding.
    let kernel_agreement = kernel_agreed.agreement();
    for field in kernel.fields.iter().filter(|f| f.user_writes()) {
        if !kernel_agreement.is_on(field.span.end, field.span.feature) {
            continue;
        }
        let Some(bytes) = memory.get(guard + field.span.offset..guard + field.span.end) else {
            continue;
        };
        let libc_field = libc.field(&field.identity).filter(|l| {
            l.user_writes()
                && (l.span.offset, l.span.end) == (field.span.offset, field.span.end)
                && libc_on(l, Some(field))
        });
        let expected: Vec<u8> = match libc_field {
            Some(_) => (0..bytes.len())
                .map(|i| pattern(&field.identity, Side::Libc, i))
                .collect(),
            None => vec![0; bytes.len()],
        };
        if bytes != expected.as_slice() {
            let what = if bytes.contains(&GARBAGE) {
                "the C library's padding".to_string()
            } else if bytes.contains(&GUARD) {
                "beyond the C library's buffer".to_string()
            } else {
                format!("{}, not the C library's value", hex(bytes))
            };
            cell.problems.push(format!(
                "the kernel read `{}` (bytes {}..{}) from {what}: the C library speaking version {} announced {} bytes",
                field.name, field.span.offset, field.span.end, libc.version, announcement.length
            ));
        }
    }

    // The kernel writes every field it writes where its agreement allows.
    for field in kernel.fields.iter().filter(|f| f.kernel_writes()) {
        if !kernel_agreement.is_on(field.span.end, field.span.feature) {
            continue;
        }
        for i in field.span.offset..field.span.end {
            match memory.get_mut(guard + i) {
                Some(byte) => *byte = pattern(&field.identity, Side::Kernel, i - field.span.offset),
                None => {
                    cell.problems.push(format!(
                        "the kernel wrote `{}` past the end of memory",
                        field.name
                    ));
                    break;
                }
            }
        }
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
        let kernel_field = kernel.field(&field.identity).filter(|k| k.kernel_writes());
        let expected_on = libc_on(field, kernel_field);
        let read = libc_agreement
            .is_on(field.span.end, field.span.feature)
            .then(|| &memory[guard + field.span.offset..guard + field.span.end]);
        let ok = match read {
            Some(bytes) => {
                expected_on
                    && bytes
                        .iter()
                        .enumerate()
                        .all(|(i, &b)| b == pattern(&field.identity, Side::Kernel, i))
            }
            None => !expected_on,
        };
        if !ok {
            let what = match read {
                None => "reads None, but the model turns it on".to_string(),
                Some(_) if !expected_on => {
                    "is on for the C library, but the model turns it off".to_string()
                }
                Some(bytes) => format!("reads {}, not the kernel's value", hex(bytes)),
            };
            cell.problems.push(format!("field `{}` {what}", field.name));
        }
        cell.fields.push(FieldResult {
            name: field.name.clone(),
            expected_on,
            on: read.is_some(),
            ok,
        });
    }
    cell
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
    let result = copy_in(&kernel.table(), kernel.version, &mut dst, src).and_then(|agreement| {
        for field in kernel.fields.iter().filter(|f| f.reserved) {
            if let Some(i) = dst[field.span.offset..field.span.end]
                .iter()
                .position(|&b| b != 0)
            {
                // Linux answers a non-zero reserved field with EINVAL.
                return Err(NegotiationError::ReservedNotZero {
                    offset: field.span.offset + i,
                });
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
fn copy_in_cell(struct_name: &str, target: Target, kernel: &SideView, libc: &SideView) -> Cell {
    let mut cell = empty_cell(struct_name, Protocol::CopyIn, target, kernel, libc);
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
            for (i, byte) in bytes[field.span.offset..field.span.end]
                .iter_mut()
                .enumerate()
            {
                *byte = pattern(&field.identity, Side::Libc, i);
            }
        }
        bytes
    };
    // A C library field the kernel knows at the same bytes reaches it;
    // any other set field is unknown to the kernel.
    let known = |field: &SideField| {
        kernel
            .field(&field.identity)
            .is_some_and(|k| k.span.offset == field.span.offset && k.span.end == field.span.end)
    };
    let kernel_reserved = |offset: usize, end: usize| {
        kernel
            .fields
            .iter()
            .any(|k| k.reserved && k.span.offset < end && offset < k.span.end)
    };
    // What the model expects of a call that sets the fields up to `upto`.
    let expectation = |upto: u32| -> Result<(), i32> {
        let unknown: Vec<&SideField> = libc
            .fields
            .iter()
            .filter(|f| f.user_writes() && f.span.since <= upto && !known(f))
            .collect();
        if unknown.iter().any(|f| f.span.end > kernel_own.size) {
            Err(super::negotiate::E2BIG)
        } else if unknown
            .iter()
            .any(|f| kernel_reserved(f.span.offset, f.span.end))
        {
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
                    .map(|f| f.name.as_str())
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
                    let covered = kernel.fields.iter().any(|k| {
                        !k.reserved && k.span.offset < f.span.end && f.span.offset < k.span.end
                    });
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
            let bytes = &call.kernel_bytes[field.span.offset..field.span.end];
            let set = libc.field(&field.identity).filter(|l| {
                l.user_writes()
                    && l.span.since <= upto
                    && (l.span.offset, l.span.end) == (field.span.offset, field.span.end)
            });
            let expected: Vec<u8> = match set {
                Some(_) => (0..bytes.len())
                    .map(|i| pattern(&field.identity, Side::Libc, i))
                    .collect(),
                None => vec![0; bytes.len()],
            };
            let ok = bytes == expected.as_slice();
            if !ok {
                let what_read = if bytes.contains(&STALE) {
                    "stale kernel memory".to_string()
                } else {
                    hex(bytes)
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
    let all = check(&mut cell, "setting every field", libc.version, false);
    if all.is_none() {
        cell.expected_refusal = expectation(libc.version).err();
    }
    // Only the fields of versions the kernel has: always accepted.
    let common = kernel.version.min(libc.version);
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

/// True when some field that is not reserved and not a flexible array is
/// written by the kernel: the struct is registered, not copied in.
fn kernel_writes(def: &StructDef) -> bool {
    def.fields
        .iter()
        .any(|f| !f.reserved && !f.ty.is_flexible() && f.writer != Writer::User)
}

/// Simulates every (kernel version, C library version, target) of every
/// struct the two specs share, on the targets both specs promise. `kernel`
/// and `libc` may be the same spec.
pub fn matrix(
    kernel: &Spec,
    libc: &Spec,
    announces: LibcAnnounces,
) -> Result<Matrix, SimulationError> {
    if kernel.abi.name != libc.abi.name {
        return Err(SimulationError {
            side: None,
            message: format!(
                "the kernel's spec describes ABI `{}` but the C library's describes `{}`: not two sides of one ABI",
                kernel.abi.name, libc.abi.name
            ),
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
        return Err(SimulationError {
            side: None,
            message: "the two specs promise no target in common: there is nothing to simulate"
                .into(),
        });
    }
    let mut cells = Vec::new();
    let mut skipped = Vec::new();
    for (libc_index, def) in libc.structs.iter().enumerate() {
        let Some(kernel_index) = kernel.struct_index(&def.name) else {
            skipped.push((
                def.name.clone(),
                "the kernel's spec has no such struct".into(),
            ));
            continue;
        };
        // LP64 lays every struct out at least as large as any other target.
        let largest = [
            (kernel, kernel_index, Side::Kernel),
            (libc, libc_index, Side::Libc),
        ]
        .iter()
        .map(|&(spec, index, side)| {
            layout::layout(spec, index, Target::X86_64, spec.abi.version)
                .map(|l| l.map_or(0, |l| l.size))
                .map_err(|e| SimulationError {
                    side: Some(side),
                    message: e.message,
                })
        })
        .collect::<Result<Vec<u64>, _>>()?
        .into_iter()
        .max()
        .unwrap_or(0);
        if largest > MAX_SIMULATED_BYTES {
            skipped.push((
                def.name.clone(),
                format!("{largest} bytes: larger than the {MAX_SIMULATED_BYTES} bytes the simulation lays out"),
            ));
            continue;
        }
        let protocol = if kernel_writes(def) || kernel_writes(&kernel.structs[kernel_index]) {
            Protocol::Registration
        } else {
            Protocol::CopyIn
        };
        for &target in &targets {
            let renamed = renames(kernel, kernel_index, libc, libc_index, target)?;
            let kernel_views = views(kernel, Side::Kernel, kernel_index, target, &renamed)?;
            let libc_views = views(libc, Side::Libc, libc_index, target, &BTreeMap::new())?;
            for k in &kernel_views {
                for l in &libc_views {
                    cells.push(match protocol {
                        Protocol::Registration => registration(&def.name, target, k, l, announces),
                        Protocol::CopyIn => copy_in_cell(&def.name, target, k, l),
                    });
                }
            }
        }
    }
    Ok(Matrix {
        abi: libc.abi.name.clone(),
        cells,
        skipped,
        kernel_versions: kernel.versions().collect(),
        libc_versions: libc.versions().collect(),
    })
}
