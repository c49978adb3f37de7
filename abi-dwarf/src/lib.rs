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

/// Reads the layouts of `queries` (struct or union names, typedef names of
/// structs, or member paths `struct.member.member`, through anonymous
/// members) from `elf`, whose DWARF may live in a split debug file under
/// `debug_dir`. Every name must be defined.
pub fn read_structs(elf: &Path, debug_dir: &Path, queries: &[String]) -> Result<Dump, Error> {
    read_first_defined(elf, debug_dir, &singletons(queries))
}

/// Like [`read_structs`], but each entry of `groups` lists alternatives,
/// tried in order: the first one the binary defines is read, and
/// [`Found::query`] says which. One command line can so name a struct that
/// a kernel calls `rseq` and glibc `pthread.rseq_area`. A group none of
/// whose names is defined is an [`Error::NotFound`].
pub fn read_first_defined(
    elf: &Path,
    debug_dir: &Path,
    groups: &[Vec<String>],
) -> Result<Dump, Error> {
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
    read_mapped(elf, debug_file, data, target, groups)
}

/// [`read_structs`] over a binary already in memory, named `name` in
/// messages. No split debug file is looked for: the DWARF must be in
/// `data`. The fuzz target and tests of hostile binaries use it.
pub fn read_structs_from_bytes(
    name: &Path,
    data: &[u8],
    queries: &[String],
) -> Result<Dump, Error> {
    elf::parse(name, data)?;
    let target = elf::target(name, data)?;
    read_mapped(name, name.to_path_buf(), data, target, &singletons(queries))
}

fn singletons(queries: &[String]) -> Vec<Vec<String>> {
    queries.iter().map(|q| vec![q.clone()]).collect()
}

/// The first component of a member path: the struct the scan looks for.
fn root_of(query: &str) -> &str {
    query.split('.').next().unwrap_or_default()
}

/// What one group of alternatives came to.
enum Pick {
    /// The first alternative the binary defines.
    Found(Found),
    /// None is defined: the names (member paths as far as they went).
    Missing(Vec<String>),
    /// An alternative's root was not looked for to the end: scan every
    /// unit before deciding.
    Unsure,
}

/// The common part of the entry points: `data` is the file holding the
/// DWARF (`debug_file`), `elf` the binary asked about.
fn read_mapped(
    elf: &Path,
    debug_file: PathBuf,
    data: &[u8],
    target: Target,
    groups: &[Vec<String>],
) -> Result<Dump, Error> {
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
    for query in groups.iter().flatten() {
        if query.split('.').any(str::is_empty) {
            return Err(dwarf_error(format!(
                "`{query}` is not a struct name or member path"
            )));
        }
        let root = root_of(query);
        if !roots.iter().any(|r| r == root) {
            roots.push(root.to_string());
        }
    }
    if groups.iter().any(Vec::is_empty) {
        return Err(dwarf_error("an empty list of names to look for".into()));
    }
    let root_index = |query: &str| roots.iter().position(|r| r == root_of(query));
    // The scan may stop once each group's first choice is found: when that
    // one is defined, no later alternative matters.
    let mut required = vec![false; roots.len()];
    for group in groups {
        if let Some(i) = group.first().and_then(|q| root_index(q)) {
            required[i] = true;
        }
    }
    let wanted = scan::Wanted::new(
        &roots,
        sections.get(gimli::SectionId::DebugStr),
        sections.get(gimli::SectionId::DebugLineStr),
    );
    let scan_error = |f: scan::ScanError| {
        dwarf_error(format!("unit {} of {}: {}", f.unit, headers.len(), f.error))
    };
    let mut scanned = scan::scan(&dwarf, &headers, &wanted, Some(&required), scan_threads())
        .map_err(scan_error)?;

    let mut resolver = resolve::Resolver::new(
        &dwarf,
        &headers,
        target,
        matches!(sections.endian, gimli::RunTimeEndian::Little),
    );
    let mut structs = Vec::new();
    let mut missing = Vec::new();
    for group in groups {
        let mut pick = Pick::Unsure;
        for _ in 0..2 {
            pick = Pick::Missing(Vec::new());
            for query in group {
                let Some(root) = root_index(query) else {
                    continue;
                };
                // A root that the scan did not have to find may have been
                // seen in a later unit than its first definition, or not
                // at all: only a complete scan tells.
                if !scanned.complete && !required[root] {
                    pick = Pick::Unsure;
                    break;
                }
                let Some(loc) = scanned.hits[root] else {
                    if let Pick::Missing(names) = &mut pick {
                        names.push(query.clone());
                    }
                    continue;
                };
                match follow_path(&mut resolver, loc, query, &dwarf_error)? {
                    Ok(found) => {
                        pick = Pick::Found(found);
                        break;
                    }
                    Err(walked) => {
                        if let Pick::Missing(names) = &mut pick {
                            names.push(walked);
                        }
                    }
                }
            }
            if !matches!(pick, Pick::Unsure) {
                break;
            }
            scanned =
                scan::scan(&dwarf, &headers, &wanted, None, scan_threads()).map_err(scan_error)?;
        }
        match pick {
            Pick::Found(found) => structs.push(found),
            Pick::Missing(names) if group.len() == 1 => missing.extend(names),
            Pick::Missing(_) | Pick::Unsure => missing.push(group.join("|")),
        }
    }
    if !missing.is_empty() {
        return Err(Error::NotFound {
            path: debug_file,
            names: missing,
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

/// Resolves the struct at `loc` and walks the member path `query` down
/// from it. The inner `Err` is a member that does not exist, as the path
/// walked so far: for alternatives, that is "not this one".
fn follow_path(
    resolver: &mut resolve::Resolver<'_, '_>,
    loc: resolve::Loc,
    query: &str,
    dwarf_error: &dyn Fn(String) -> Error,
) -> Result<Result<Found, String>, Error> {
    let mut parts = query.split('.');
    let root = parts.next().unwrap_or_default();
    let top = resolver.resolve(loc, 0).map_err(dwarf_error)?;
    let TypeKind::Aggregate(top) = top.kind else {
        return Err(dwarf_error(format!("`{root}` is not a struct")));
    };
    let mut layout = *top;
    let mut member_offset = None;
    let mut walked = root.to_string();
    for part in parts {
        let (found, offset) = match layout.member(part) {
            Some(flat) => (flat.member.clone(), flat.offset),
            None => return Ok(Err(format!("{walked}.{part}"))),
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
    Ok(Ok(Found {
        query: query.to_string(),
        layout,
        member_offset,
    }))
}
