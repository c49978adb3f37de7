//! The kernel side of the tlabi spec (`spec.toml` at the workspace root),
//! `no_std`: it accepts a C library's registration with
//! `abi_spec::runtime::register`, speaking any version of the spec, and
//! writes the area's fields that the agreement switches on.
//!
//! The struct and the per-version sizes come from `abi_derive::generate!`;
//! the negotiation table is assembled from those generated constants, so
//! no number here is typed by hand.
#![no_std]

use abi_spec::runtime::{
    register, AbiTable, Announcement, Answer, FeatureBit, FieldSpan, Negotiated, NegotiationError,
    VersionSizes,
};

/// The code generated from the spec.
#[allow(missing_docs)]
pub mod abi {
    abi_derive::generate!("../../spec.toml");
}

use abi::*;

/// Every version of `tlabi_area`, from the generated constants.
pub const VERSIONS: [VersionSizes; 4] = [
    VersionSizes {
        version: 1,
        size: TLABI_AREA_SIZE_VER1,
        feature_size: TLABI_AREA_FEATURE_SIZE_VER1,
        align: TLABI_AREA_ALIGN as usize,
    },
    VersionSizes {
        version: 2,
        size: TLABI_AREA_SIZE_VER2,
        feature_size: TLABI_AREA_FEATURE_SIZE_VER2,
        align: TLABI_AREA_ALIGN as usize,
    },
    VersionSizes {
        version: 3,
        size: TLABI_AREA_SIZE_VER3,
        feature_size: TLABI_AREA_FEATURE_SIZE_VER3,
        align: TLABI_AREA_ALIGN as usize,
    },
    VersionSizes {
        version: 4,
        size: TLABI_AREA_SIZE_VER4,
        feature_size: TLABI_AREA_FEATURE_SIZE_VER4,
        align: TLABI_AREA_ALIGN as usize,
    },
];

/// The feature bits and the versions that introduced them.
pub const FEATURES: [FeatureBit; 5] = [
    FeatureBit {
        bit: TLABI_FEATURE_CPU_ID_BIT,
        since: 1,
        retired: false,
    },
    FeatureBit {
        bit: TLABI_FEATURE_RSEQ_BIT,
        since: 2,
        retired: false,
    },
    FeatureBit {
        bit: TLABI_FEATURE_NODE_ID_BIT,
        since: 3,
        retired: false,
    },
    FeatureBit {
        bit: TLABI_FEATURE_MM_CID_BIT,
        since: 3,
        retired: false,
    },
    FeatureBit {
        bit: TLABI_FEATURE_SLICE_CTRL_BIT,
        since: 4,
        retired: false,
    },
];

/// The table negotiation reads. Fields are not needed to register: the
/// agreement is a length and words.
pub const TABLE: AbiTable<'static> = AbiTable {
    versions: &VERSIONS,
    fields: &[] as &[FieldSpan],
    features: &FEATURES,
};

/// What the kernel keeps for one registered thread.
#[derive(Debug)]
pub struct Registered {
    /// The kernel's agreement with this thread's C library.
    pub agreed: Negotiated<1>,
}

/// A kernel speaking `version` of the spec.
#[derive(Clone, Copy, Debug)]
pub struct Kernel {
    /// The version it implements.
    pub version: u32,
}

impl Kernel {
    /// Registers an area: refuses what the spec says it must, else answers.
    pub fn register(
        &self,
        announcement: &Announcement<1>,
    ) -> Result<(Answer<1>, Registered), NegotiationError> {
        let (answer, agreed) = register(&TABLE, self.version, announcement)?;
        Ok((answer, Registered { agreed }))
    }

    /// On return to user space: writes every field this kernel knows and
    /// the agreement switches on; leaves the others alone.
    pub fn update(
        &self,
        registered: &Registered,
        area: &mut tlabi_area,
        cpu: u32,
        node: u32,
        cid: u32,
    ) {
        let on = |bit: u32| registered.agreed.features.contains(bit) && self.version >= since(bit);
        if on(TLABI_FEATURE_CPU_ID_BIT) {
            area.cpu_id = cpu;
        }
        if on(TLABI_FEATURE_RSEQ_BIT) {
            area.cpu_id_start = cpu;
        }
        if on(TLABI_FEATURE_NODE_ID_BIT) {
            area.node_id = node;
        }
        if on(TLABI_FEATURE_MM_CID_BIT) {
            area.mm_cid = cid;
        }
    }
}

fn since(bit: u32) -> u32 {
    FEATURES
        .iter()
        .find(|f| f.bit == bit)
        .map_or(u32::MAX, |f| f.since)
}
