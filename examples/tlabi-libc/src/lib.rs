//! The C-library side of the tlabi spec (`spec.toml` at the workspace
//! root), `no_std`: it announces its area with the words of the version it
//! speaks and, once the kernel answered, reads the area only through the
//! generated accessors, which return `None` for a field that is off.
#![no_std]

use abi_spec::runtime::{accept, AbiTable, Announcement, Answer, Negotiated, NegotiationError};

/// The code generated from the spec.
#[allow(missing_docs)]
pub mod abi {
    abi_derive::generate!("../../spec.toml");
}

use abi::*;

/// What the C library read from its area.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Snapshot {
    /// `cpu_id`, when on.
    pub cpu_id: Option<u32>,
    /// `cpu_id_start`, when on.
    pub cpu_id_start: Option<u32>,
    /// `node_id`, when on.
    pub node_id: Option<u32>,
    /// `mm_cid`, when on.
    pub mm_cid: Option<u32>,
}

/// A C library speaking `version` of the spec, with the kernel's table
/// (the same generated numbers, assembled by the kernel crate or by hand).
#[derive(Clone, Copy, Debug)]
pub struct Libc<'a> {
    /// The version it implements.
    pub version: u32,
    /// The negotiation table.
    pub table: AbiTable<'a>,
}

impl Libc<'_> {
    /// The announcement for an area.
    pub fn announce(&self, area: &tlabi_area) -> Result<Announcement<1>, NegotiationError> {
        Announcement::for_version(
            &self.table,
            self.version,
            area as *const tlabi_area as usize,
        )
    }

    /// The agreement once the kernel answered.
    pub fn accept(
        &self,
        announcement: &Announcement<1>,
        answer: &Answer<1>,
    ) -> Result<Negotiated<1>, NegotiationError> {
        accept(&self.table, self.version, announcement, answer)
    }

    /// Reads the area through the generated accessors.
    pub fn read(&self, area: &tlabi_area, agreed: &Negotiated<1>) -> Snapshot {
        let a = agreed.agreement();
        Snapshot {
            cpu_id: area.read_cpu_id(a.length, a.features),
            cpu_id_start: area.read_cpu_id_start(a.length, a.features),
            node_id: area.read_node_id(a.length, a.features),
            mm_cid: area.read_mm_cid(a.length, a.features),
        }
    }
}
