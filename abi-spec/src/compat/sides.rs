//! A kernel's and a C library's spec of one ABI: what the two sides agree
//! on at every pair of versions, and where they disagree.
//!
//! The verdict is the one comparison every command runs ([`super::diff`]'s
//! evolution), between the side at the older version and the side at the
//! newer one (the kernel's first when both are at the same version): the
//! newer side must be a compatible evolution of the older, and every
//! version both describe must mean one layout (SIDES_DISAGREE otherwise).
//! The negotiation table comes from the run-time itself
//! ([`crate::protocol::negotiate`], the code `matrix` simulates and the
//! generated accessors compile), never from a formula of its own.

use std::collections::BTreeMap;

use crate::finding::Finding;
use crate::model::Spec;
use crate::protocol::{self, Protocol, SideTable};
use crate::rules::Severity;
use crate::runtime::copy_in;
use crate::target::Target;

use super::diff::{evolution, Wording};
use super::{dedupe, CompatError};

/// What a C library at one version and a kernel at another agree on for
/// one struct, on the first target both sides promise.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Negotiation {
    /// The struct.
    pub struct_name: String,
    /// Registration or copy-in.
    pub protocol: Protocol,
    /// The kernel side's version.
    pub kernel_version: u32,
    /// The C library side's version.
    pub libc_version: u32,
    /// The length the library announces: its feature_size (registration)
    /// or its `sizeof` (copy-in).
    pub announced: u64,
    /// The kernel's agreed length: the bytes it reads and writes. `0` when
    /// it refuses.
    pub length: u64,
    /// The C library's agreed length, computed from its own table; equal to
    /// `length` unless the two specs disagree on their versions' sizes.
    pub libc_length: u64,
    /// The newest kernel version whose feature_size fits the kernel's
    /// agreed length: its fields are on. `None` when the kernel refuses.
    pub version: Option<u32>,
    /// The agreed feature bits, by the kernel's names, in bit order.
    pub features: Vec<String>,
    /// Where targets disagree with the first: (targets, kernel's length).
    pub other_lengths: Vec<(Vec<Target>, u64)>,
}

/// The result of [`sides`].
#[derive(Clone, Debug)]
pub struct SidesReport {
    /// One entry per (struct, kernel version, C library version).
    pub negotiations: Vec<Negotiation>,
    /// Every disagreement.
    pub findings: Vec<Finding>,
}

/// Judges a kernel's spec against a C library's spec of the same ABI, each
/// possibly at another version or diverged. Findings point into the newer
/// side's file where the thing exists there, else into the older side's.
pub fn sides(kernel: &Spec, libc: &Spec) -> Result<SidesReport, CompatError> {
    if kernel.abi.name != libc.abi.name {
        return Err(CompatError {
            first: kernel.abi.name.clone(),
            second: libc.abi.name.clone(),
        });
    }
    let (older, newer, context) = if libc.abi.version > kernel.abi.version {
        (kernel, libc, "the kernel's spec to the library's")
    } else if kernel.abi.version > libc.abi.version {
        (libc, kernel, "the library's spec to the kernel's")
    } else {
        (kernel, libc, "the kernel's spec to the library's")
    };
    let context = format!(
        "from {context} ({} version {} to {} version {})",
        older.source.name(),
        older.abi.version,
        newer.source.name(),
        newer.abi.version
    );
    let mut findings = Vec::new();
    evolution(older, newer, &context, Wording::Sides, &mut findings);
    findings.retain(|f| f.severity != Severity::Info);
    Ok(SidesReport {
        negotiations: negotiations(kernel, libc),
        findings: dedupe(findings),
    })
}

/// Every (struct, kernel version, C library version), in the kernel file's
/// struct order.
fn negotiations(kernel: &Spec, libc: &Spec) -> Vec<Negotiation> {
    let classes = protocol::shared_classes(kernel, libc);
    let mut out = Vec::new();
    for (ki, kdef) in kernel.structs.iter().enumerate() {
        let Some(li) = libc.struct_index(&kdef.name) else {
            continue;
        };
        let protocol = Protocol::of(&[kdef, &libc.structs[li]]);
        for kv in kernel.versions() {
            for lv in libc.versions() {
                let per_class: Option<Vec<_>> = classes
                    .iter()
                    .map(|c| {
                        let k = SideTable::new(kernel, ki, c.rep, kv)?;
                        let l = SideTable::new(libc, li, c.rep, lv)?;
                        Some(agreement(protocol, &k, &l))
                    })
                    .collect();
                let Some(per_class) = per_class else {
                    continue;
                };
                let Some(first) = per_class.first() else {
                    continue;
                };
                let mut other: BTreeMap<u64, Vec<Target>> = BTreeMap::new();
                for (c, a) in per_class.iter().enumerate().skip(1) {
                    if a.length != first.length {
                        other
                            .entry(a.length)
                            .or_default()
                            .extend(classes[c].members.iter().copied());
                    }
                }
                let names: BTreeMap<u32, &str> = kernel
                    .features
                    .iter()
                    .map(|f| (f.bit, f.name.as_str()))
                    .collect();
                out.push(Negotiation {
                    struct_name: kdef.name.clone(),
                    protocol,
                    kernel_version: kv,
                    libc_version: lv,
                    announced: first.announced,
                    length: first.length,
                    libc_length: first.libc_length,
                    version: first.version,
                    features: first
                        .bits
                        .iter()
                        .filter_map(|b| names.get(b).map(|n| n.to_string()))
                        .collect(),
                    other_lengths: other
                        .into_iter()
                        .map(|(len, mut ts)| {
                            ts.sort();
                            (ts, len)
                        })
                        .collect(),
                });
            }
        }
    }
    out
}

/// One pair of versions on one class.
struct Agreed {
    announced: u64,
    length: u64,
    libc_length: u64,
    version: Option<u32>,
    bits: Vec<u32>,
}

/// What the run-time agrees between a kernel table and a C library table.
fn agreement(protocol: Protocol, kernel: &SideTable, libc: &SideTable) -> Agreed {
    let version_of = |length: usize| {
        kernel
            .versions
            .iter()
            .filter(|v| v.feature_size <= length)
            .map(|v| v.version)
            .max()
    };
    match protocol {
        Protocol::Registration => {
            let announced = libc.own().map_or(0, |v| v.feature_size) as u64;
            match protocol::negotiate(kernel, libc, None) {
                Ok(r) => Agreed {
                    announced: r.announced as u64,
                    length: r.kernel.0 as u64,
                    libc_length: r.libc.0 as u64,
                    version: version_of(r.kernel.0),
                    bits: r.kernel.1,
                },
                Err(_) => Agreed {
                    announced,
                    length: 0,
                    libc_length: 0,
                    version: None,
                    bits: Vec::new(),
                },
            }
        }
        Protocol::CopyIn => {
            // The library zeroes its struct and passes its sizeof; the
            // kernel copies it into its own.
            let src = vec![0u8; libc.own().map_or(0, |v| v.size)];
            let mut dst = vec![0u8; kernel.own().map_or(0, |v| v.size)];
            let length = copy_in(&kernel.table(), kernel.version, &mut dst, &src)
                .map(|a| a.length)
                .ok();
            let libc_length = libc
                .table()
                .agreed_length(libc.version, src.len().min(dst.len()));
            Agreed {
                announced: src.len() as u64,
                length: length.unwrap_or(0) as u64,
                libc_length: libc_length.unwrap_or(0) as u64,
                version: length.and_then(version_of),
                bits: Vec::new(),
            }
        }
    }
}
