//! The protocol two sides run for a struct, and the numbers they run it
//! with, taken from a spec: the one bridge between the model (specs,
//! layouts) and the `no_std` run-time ([`crate::runtime`]).
//!
//! * [`Protocol::of`]: a struct with a field the kernel writes is
//!   registered (rseq style: the kernel keeps it up to date); one only user
//!   space writes is copied in (`copy_struct_from_user`: clone3, openat2).
//! * [`SideTable`]: one struct of one spec on one target, as the run-time
//!   needs it: per-version sizes, per-field spans with their bounds (the
//!   feature size of the version that introduced the field), feature bits.
//!   The simulated matrix runs the protocol on these tables; `compat`
//!   computes its negotiation table with [`negotiate`]; the Rust generator
//!   emits the same numbers as constants.

use crate::layout::{Layout, LayoutClass, Sizes};
use crate::model::{Spec, StructDef, Writer};
use crate::runtime::{
    accept, register, AbiTable, Announcement, FeatureBit, FieldSpan, NegotiationError, VersionSizes,
};
use crate::target::Target;

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

    /// The protocol of a struct two specs describe (the same struct, or
    /// one side's and the other's): registration as soon as either says
    /// the kernel writes a field (not reserved, not a flexible array).
    pub fn of(defs: &[&StructDef]) -> Protocol {
        let kernel_writes = |def: &&StructDef| {
            def.fields
                .iter()
                .any(|f| !f.reserved && !f.ty.is_flexible() && f.writer != Writer::User)
        };
        if defs.iter().any(kernel_writes) {
            Protocol::Registration
        } else {
            Protocol::CopyIn
        }
    }

    /// True when the protocol negotiates feature bits (registration); a
    /// copy-in is judged by length alone.
    pub const fn negotiates_features(self) -> bool {
        matches!(self, Protocol::Registration)
    }
}

/// One field of a [`SideTable`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SideField {
    /// Index into the struct's `fields`.
    pub index: usize,
    /// Its numbers for the run-time.
    pub span: FieldSpan,
    /// Reserved bytes in this view: a reserved field, or a placeholder for
    /// bytes a later version claims.
    pub reserved: bool,
    /// The bits it holds, `[start, end)` in allocation order (every bit of
    /// its bytes, unless it is a bitfield).
    pub bits: (usize, usize),
    /// True for a bitfield: it shares bytes with other fields.
    pub bitfield: bool,
}

/// One struct of one spec on one target, up to one version: what the
/// run-time needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SideTable {
    /// The version this side speaks.
    pub version: u32,
    /// Every version up to `version` in which the struct exists, oldest first.
    pub versions: Vec<VersionSizes>,
    /// The fields of `version`'s view, in memory order (flexible arrays
    /// left out: nothing is read or written there).
    pub fields: Vec<SideField>,
    /// The spans of `fields`, for [`AbiTable::fields`].
    pub spans: Vec<FieldSpan>,
    /// Every feature bit of the spec.
    pub features: Vec<FeatureBit>,
}

impl SideTable {
    /// The table of struct `struct_index` of `spec` on `target`, for a side
    /// speaking `version`; `None` when the struct has no field then.
    pub fn new(spec: &Spec, struct_index: usize, target: Target, version: u32) -> Option<Self> {
        let own = spec.layout(struct_index, target, version)?;
        let versions: Vec<VersionSizes> = spec
            .versions()
            .take_while(|&v| v <= version)
            .filter_map(|v| Some(version_sizes(v, spec.sizes(struct_index, target, v)?)))
            .collect();
        Some(Self::of_layout(spec, own, versions))
    }

    /// The table of `own` (a layout of one struct of `spec`), whose
    /// struct's sizes up to `own`'s version are `versions`, oldest first:
    /// for a caller that lays out one struct version by version rather
    /// than keep every struct's layouts in the spec's table.
    pub fn of_layout(spec: &Spec, own: &Layout, versions: Vec<VersionSizes>) -> Self {
        let (struct_index, version) = (own.struct_index, own.version);
        let bound_of = |since: u32| {
            versions
                .iter()
                .find(|v| v.version == since)
                .map_or(own.feature_size as usize, |v| v.feature_size)
        };
        let def = &spec.structs[struct_index];
        let fields: Vec<SideField> = own
            .fields
            .iter()
            .filter(|placed| !def.fields[placed.index].ty.is_flexible())
            .map(|placed| {
                let field = &def.fields[placed.index];
                SideField {
                    index: placed.index,
                    span: FieldSpan {
                        offset: placed.offset as usize,
                        end: placed.end() as usize,
                        since: field.since,
                        bound: bound_of(field.since),
                        feature: field
                            .feature
                            .as_deref()
                            .and_then(|name| spec.feature(name))
                            .map(|f| f.bit),
                    },
                    reserved: field.reserved || placed.placeholder,
                    bits: {
                        let (start, end) = placed.bit_range();
                        (start as usize, end as usize)
                    },
                    bitfield: placed.bits.is_some(),
                }
            })
            .collect();
        SideTable {
            version,
            spans: fields.iter().map(|f| f.span).collect(),
            fields,
            versions,
            features: feature_bits(spec),
        }
    }

    /// The run-time's view of this table.
    pub fn table(&self) -> AbiTable<'_> {
        AbiTable {
            versions: &self.versions,
            fields: &self.spans,
            features: &self.features,
        }
    }

    /// The numbers of this side's own version.
    pub fn own(&self) -> Option<&VersionSizes> {
        self.versions.iter().find(|v| v.version == self.version)
    }
}

/// A struct's sizes in `version`, as the run-time takes them.
pub fn version_sizes(version: u32, sizes: Sizes) -> VersionSizes {
    VersionSizes {
        version,
        size: sizes.size as usize,
        feature_size: sizes.feature_size as usize,
        align: sizes.align as usize,
    }
}

/// Every feature bit of a spec, for the run-time.
pub fn feature_bits(spec: &Spec) -> Vec<FeatureBit> {
    spec.features
        .iter()
        .map(|f| FeatureBit {
            bit: f.bit,
            since: f.since,
            retired: f.retired,
        })
        .collect()
}

/// Feature words the model handles: as many as any spec may define.
pub const WORDS: usize = crate::limits::MAX_FEATURE_WORDS as usize;

/// An address for a C library's area: an odd multiple of its alignment,
/// aligned as it promises and no more, so a kernel that requires more
/// alignment notices.
pub fn area_address(align: usize) -> usize {
    (1usize << 20) + align.max(1)
}

/// What one registration between a kernel side and a C library side
/// agreed, as each side computed it with the run-time's `register` and
/// `accept`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Registration {
    /// The length the C library announced.
    pub announced: usize,
    /// The kernel's agreement: length and bits.
    pub kernel: (usize, Vec<u32>),
    /// The C library's agreement: length and bits.
    pub libc: (usize, Vec<u32>),
}

/// Runs the registration of a C library speaking `libc`'s version, which
/// announces `announced` bytes (its feature size unless told otherwise),
/// with a kernel speaking `kernel`'s version: the run-time's own
/// `register` and `accept`, nothing else.
pub fn negotiate(
    kernel: &SideTable,
    libc: &SideTable,
    announced: Option<usize>,
) -> Result<Registration, NegotiationError> {
    let own = libc.own().ok_or(NegotiationError::UnknownVersion {
        version: libc.version,
    })?;
    let mut announcement =
        Announcement::<WORDS>::for_version(&libc.table(), libc.version, area_address(own.align))?;
    if let Some(length) = announced {
        announcement.length = length;
    }
    let (answer, kernel_agreed) = register(&kernel.table(), kernel.version, &announcement)?;
    let libc_agreed = accept(&libc.table(), libc.version, &announcement, &answer)?;
    Ok(Registration {
        announced: announcement.length,
        kernel: (
            kernel_agreed.length,
            kernel_agreed.features.iter().collect(),
        ),
        libc: (libc_agreed.length, libc_agreed.features.iter().collect()),
    })
}

/// The classes of the targets two specs both promise (or the newer's when
/// they share none).
pub fn shared_classes(a: &Spec, b: &Spec) -> Vec<LayoutClass> {
    crate::layout::classes(&crate::layout::common_targets(
        &a.abi.targets,
        &b.abi.targets,
    ))
}
