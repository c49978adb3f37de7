//! Struct layouts as compiled, read from the DWARF of ELF binaries.
//!
//! The file is memory-mapped and its sections borrowed, never copied (a
//! compressed section is decompressed: that cannot be avoided; a relocatable
//! object's sections are relocated into a copy, as their DWARF is not final
//! before). Split debug files are found by build-id and `.gnu_debuglink`.
//! Units are scanned in parallel for the names asked for, reading only each
//! unit's top-level entries, and the scan stops once every name is found.
//! [`compare`] judges a compiled struct against every version of a spec.
#![warn(missing_docs)]
// gimli's constants keep the DWARF standard's spelling (DW_TAG_member).
#![allow(non_upper_case_globals)]

pub mod compare;
pub mod elf;
pub mod error;
pub mod model;
pub mod resolve;
pub mod scan;

use std::path::{Path, PathBuf};

use abi_spec::Target;

pub use error::Error;
pub use model::{CStruct, CType, Kind, Member, TypeKind};

/// The reader type: a slice of a mapped (or decompressed) section.
pub type Slice<'a> = gimli::EndianSlice<'a, gimli::RunTimeEndian>;

/// One struct found, for one name asked for.
#[derive(Clone, Debug)]
pub struct Found {
    /// The name as asked: `rseq`, or a member path such as
    /// `pthread.rseq_area`.
    pub query: String,
    /// The layout. For a member path, the member's type, its alignment
    /// raised by the member's own `DW_AT_alignment`.
    pub layout: CStruct,
    /// For a member path, the member's offset in the outermost struct.
    pub member_offset: Option<u64>,
}

/// The structs read from one binary.
#[derive(Clone, Debug)]
pub struct Dump {
    /// The binary asked about.
    pub file: PathBuf,
    /// The file the DWARF came from (the binary, or its split debug file).
    pub debug_file: PathBuf,
    /// The target, from the binary's ELF header.
    pub target: Target,
    /// One entry per name asked for, in the order asked.
    pub structs: Vec<Found>,
    /// Units in the file.
    pub units: usize,
}

/// How many threads scan units: the machine's cores, at most 4 (the scan
/// is bound by memory bandwidth beyond that).
fn scan_threads() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 4)
}

/// Reads the layouts of `queries` (struct or union names, or member paths
/// `struct.member.member`, through anonymous members) from `elf`, whose
/// DWARF may live in a split debug file under `debug_dir`.
pub fn read_structs(elf: &Path, debug_dir: &Path, queries: &[String]) -> Result<Dump, Error> {
    let main_map = elf::map(elf)?;
    let main = elf::parse(elf, &main_map)?;
    let target = elf::target(elf, &main_map)?;
    let mut debug_map = None;
    let mut debug_file = elf.to_path_buf();
    if !elf::has_debug_info(&main) {
        let tried = elf::debug_file_candidates(elf, &main, debug_dir);
        match tried.iter().find(|p| p.is_file()) {
            Some(found) => {
                debug_map = Some(elf::map(found)?);
                debug_file = found.clone();
            }
            None => {
                return Err(Error::NoDebugInfo {
                    path: elf.to_path_buf(),
                    tried,
                })
            }
        }
    }
    drop(main);
    let data: &[u8] = debug_map.as_deref().unwrap_or(&main_map);
    let object = elf::parse(&debug_file, data)?;
    if !elf::has_debug_info(&object) {
        return Err(Error::NoDebugInfo {
            path: debug_file,
            tried: Vec::new(),
        });
    }
    let sections = elf::Sections::load(&debug_file, &object)?;
    let dwarf = sections.dwarf();
    let dwarf_error = |message: String| Error::Dwarf {
        path: debug_file.clone(),
        message,
    };

    let mut headers = Vec::new();
    let mut iter = dwarf.units();
    while let Some(header) = iter
        .next()
        .map_err(|e| dwarf_error(format!("unit header: {e}")))?
    {
        headers.push(header);
    }
    let mut iter = dwarf.type_units();
    while let Some(header) = iter
        .next()
        .map_err(|e| dwarf_error(format!("type unit header: {e}")))?
    {
        headers.push(header);
    }

    let mut roots: Vec<String> = Vec::new();
    for query in queries {
        let root = query.split('.').next().unwrap_or_default();
        if query.split('.').any(str::is_empty) {
            return Err(dwarf_error(format!(
                "`{query}` is not a struct name or member path"
            )));
        }
        if !roots.iter().any(|r| r == root) {
            roots.push(root.to_string());
        }
    }
    let wanted = scan::Wanted::new(
        &roots,
        sections.get(gimli::SectionId::DebugStr),
        sections.get(gimli::SectionId::DebugLineStr),
    );
    let hits = scan::scan(&dwarf, &headers, &wanted, scan_threads())
        .map_err(|f| dwarf_error(format!("unit {} of {}: {}", f.unit, headers.len(), f.error)))?;
    let missing: Vec<String> = queries
        .iter()
        .filter(|q| {
            let root = q.split('.').next().unwrap_or_default();
            roots
                .iter()
                .position(|r| r == root)
                .is_none_or(|i| hits[i].is_none())
        })
        .cloned()
        .collect();
    if !missing.is_empty() {
        return Err(Error::NotFound {
            path: debug_file,
            names: missing,
        });
    }

    let mut resolver = resolve::Resolver::new(
        &dwarf,
        &headers,
        target,
        matches!(sections.endian, gimli::RunTimeEndian::Little),
    );
    let mut structs = Vec::new();
    for query in queries {
        let mut parts = query.split('.');
        let root = parts.next().unwrap_or_default();
        let Some(Some(loc)) = roots.iter().position(|r| r == root).map(|i| hits[i]) else {
            continue;
        };
        let top = resolver.resolve(loc, 0).map_err(&dwarf_error)?;
        let TypeKind::Aggregate(top) = top.kind else {
            return Err(dwarf_error(format!("`{root}` is not a struct")));
        };
        let mut layout = *top;
        let mut member_offset = None;
        let mut walked = root.to_string();
        for part in parts {
            let (found, offset) = match layout.member(part) {
                Some(flat) => (flat.member.clone(), flat.offset),
                None => {
                    return Err(Error::NotFound {
                        path: debug_file.clone(),
                        names: vec![format!("{walked}.{part}")],
                    })
                }
            };
            walked = format!("{walked}.{part}");
            let TypeKind::Aggregate(inner) = found.ty.kind else {
                return Err(dwarf_error(format!(
                    "`{walked}` is a `{}`, not a struct or union",
                    found.ty.c_name
                )));
            };
            member_offset = Some(member_offset.unwrap_or(0) + offset);
            let mut inner = *inner;
            inner.align = inner.align.max(found.explicit_align.unwrap_or(1));
            if found.explicit_align.is_some() {
                inner.explicit_align = Some(inner.align);
            }
            layout = inner;
        }
        structs.push(Found {
            query: query.clone(),
            layout,
            member_offset,
        });
    }
    Ok(Dump {
        file: elf.to_path_buf(),
        debug_file,
        target,
        structs,
        units: headers.len(),
    })
}
