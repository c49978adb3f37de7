//! Struct layouts as compiled, read from the DWARF of ELF binaries or from
//! BTF (the kernel's `/sys/kernel/btf/vmlinux`, split module BTF, an ELF
//! file's `.BTF`: [`btf`]).
//!
//! The file is memory-mapped and its sections borrowed, never copied (a
//! compressed section is decompressed: that cannot be avoided; a relocatable
//! object's sections are relocated into a copy, as their DWARF is not final
//! before); the mapping survives the file being truncated under it
//! ([`input`]). Split debug files are found by build-id and
//! `.gnu_debuglink`. Units are scanned in parallel for the names asked for,
//! reading only each unit's top-level entries, and the scan stops once every
//! name is found (or reads every unit, to report names defined differently:
//! [`Options::every_definition`]). Every name taken from a file is escaped
//! ([`text`]); every limit is in [`abi_spec::limits`].
//! [`compare`] judges a compiled struct against every version of a spec;
//! [`spec_toml`] writes a spec from compiled structs.
#![warn(missing_docs)]
// gimli's constants keep the DWARF standard's spelling (DW_TAG_member).
#![allow(non_upper_case_globals)]

pub mod btf;
pub mod btf_writer;
pub mod compare;
pub mod elf;
pub mod error;
pub mod input;
pub mod model;
pub mod resolve;
pub mod scan;
pub mod spec_toml;
pub mod text;

use std::path::{Path, PathBuf};

use abi_spec::limits::MAX_DEFINITIONS_COMPARED;
use abi_spec::Target;

pub use error::{BtfError, DwarfError, Error, QueryError, SectionError};
pub use input::Input;
pub use model::{CStruct, CType, Kind, Member, TypeKind};

/// The reader type: a slice of a mapped (or decompressed) section.
pub type Slice<'a> = gimli::EndianSlice<'a, gimli::RunTimeEndian>;

/// Where layouts were read from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// DWARF (`.debug_info`).
    Dwarf,
    /// BTF: raw (`/sys/kernel/btf/vmlinux`) or an ELF file's `.BTF`.
    Btf,
}

impl Format {
    /// `DWARF` or `BTF`.
    pub fn name(self) -> &'static str {
        match self {
            Format::Dwarf => "DWARF",
            Format::Btf => "BTF",
        }
    }
}

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
    /// Other definitions of the same name that differ from this one, when
    /// every definition was asked for ([`Options::every_definition`]):
    /// a name that means different things in different units.
    pub others: Vec<OtherDefinition>,
}

/// Another definition of a name, different from the one taken.
#[derive(Clone, Debug)]
pub struct OtherDefinition {
    /// Its layout (the first of the definitions of this shape).
    pub layout: CStruct,
    /// Where: the unit's source file (DWARF), or the type ID (BTF).
    pub place: String,
    /// How many definitions have this shape.
    pub count: usize,
}

/// The structs read from one binary.
#[derive(Clone, Debug)]
pub struct Dump {
    /// The binary asked about.
    pub file: PathBuf,
    /// The file the DWARF or BTF came from (the binary, its split debug
    /// file; for split BTF, the split file).
    pub debug_file: PathBuf,
    /// The target: from the ELF header; for raw BTF, which has none, the
    /// machine this runs on (x86_64 elsewhere).
    pub target: Target,
    /// What the layouts were read from.
    pub format: Format,
    /// One entry per name asked for, in the order asked.
    pub structs: Vec<Found>,
    /// Units in the file (DWARF); types (BTF).
    pub units: usize,
    /// Definitions of asked-for names left uncompared past
    /// [`MAX_DEFINITIONS_COMPARED`] distinct shapes.
    pub uncompared: usize,
}

/// How to read.
#[derive(Clone, Debug)]
pub struct Options {
    /// Where split debug files live (`/usr/lib/debug`).
    pub debug_dir: PathBuf,
    /// The base BTF of a split BTF file (a module's BTF over vmlinux's).
    /// `None`: a file under `/sys/kernel/btf/` other than `vmlinux` takes
    /// `/sys/kernel/btf/vmlinux`; any other file is read as complete.
    pub btf_base: Option<PathBuf>,
    /// Look at every definition of each name, and report those that
    /// differ ([`Found::others`]). DWARF then scans every unit instead of
    /// stopping at the first definition.
    pub every_definition: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            debug_dir: PathBuf::from("/usr/lib/debug"),
            btf_base: None,
            every_definition: false,
        }
    }
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
/// `debug_dir`. Every name must be defined. A raw BTF file is recognised
/// by its magic and read as BTF.
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
    let options = Options {
        debug_dir: debug_dir.to_path_buf(),
        ..Options::default()
    };
    read(elf, groups, &options)
}

/// Reads `groups` (see [`read_first_defined`]) from `path`: DWARF from an
/// ELF file (or its split debug file), BTF from a raw BTF file, recognised
/// by its magic.
pub fn read(path: &Path, groups: &[Vec<String>], options: &Options) -> Result<Dump, Error> {
    let main = Input::open(path)?;
    if btf::is_raw_btf(&main) {
        drop(main);
        return btf::read(path, groups, options);
    }
    let result = read_dwarf(path, &main, groups, options);
    // Whatever the reading came to, a file truncated under it is the error.
    main.check(path)?;
    result
}

/// The names of every struct and union `path` defines (tags, not
/// typedefs), sorted, each once: from its DWARF (or its split debug
/// file's), or its BTF when `btf` is set or the file is raw BTF. What a
/// whole-binary measurement picks its structs from.
pub fn struct_names(path: &Path, btf: bool, options: &Options) -> Result<Vec<String>, Error> {
    let main = Input::open(path)?;
    if btf || btf::is_raw_btf(&main) {
        drop(main);
        return btf::names_of_file(path, options);
    }
    let object = elf::parse(path, &main)?;
    let (debug_map, debug_file) = split_debug(path, &object, options)?;
    drop(object);
    let data: &[u8] = debug_map.as_deref().unwrap_or(&main);
    let object = elf::parse(&debug_file, data)?;
    let sections = elf::Sections::load(&debug_file, &object)?;
    let dwarf = sections.dwarf();
    let dwarf_error = |source: DwarfError| Error::Dwarf {
        path: debug_file.clone(),
        source,
    };
    let headers = unit_headers(&dwarf).map_err(dwarf_error)?;
    let units = headers.len();
    let names = scan::struct_names(&dwarf, &headers).map_err(|f| {
        dwarf_error(DwarfError::Scan {
            unit: f.unit,
            units,
            source: f.error,
        })
    })?;
    if let Some(map) = &debug_map {
        map.check(&debug_file)?;
    }
    main.check(path)?;
    Ok(names)
}

/// Reads `groups` from the BTF of `path`: a raw BTF file, or an ELF file's
/// `.BTF` section; split BTF over [`Options::btf_base`].
pub fn read_btf(path: &Path, groups: &[Vec<String>], options: &Options) -> Result<Dump, Error> {
    btf::read(path, groups, options)
}

fn read_dwarf(
    elf: &Path,
    main_map: &Input,
    groups: &[Vec<String>],
    options: &Options,
) -> Result<Dump, Error> {
    let main = elf::parse(elf, main_map)?;
    let target = elf::target(elf, main_map)?;
    let (debug_map, debug_file) = split_debug(elf, &main, options)?;
    drop(main);
    let data: &[u8] = debug_map.as_deref().unwrap_or(main_map);
    let result = read_mapped(elf, debug_file.clone(), data, target, groups, options);
    if let Some(map) = &debug_map {
        map.check(&debug_file)?;
    }
    result
}

/// Where the DWARF of `path` lives: in `path` itself (`None`), or in the
/// split debug file found for it, mapped, with that file's path.
fn split_debug(
    path: &Path,
    object: &object::File<'_>,
    options: &Options,
) -> Result<(Option<Input>, PathBuf), Error> {
    if elf::has_debug_info(object) {
        return Ok((None, path.to_path_buf()));
    }
    let candidates = elf::debug_file_candidates(path, object, &options.debug_dir);
    let mut other_builds = Vec::new();
    for (candidate, expect) in &candidates {
        if !candidate.is_file() {
            continue;
        }
        let input = Input::open(candidate)?;
        if expect.matches(candidate, &input) {
            input.check(candidate)?;
            return Ok((Some(input), candidate.clone()));
        }
        other_builds.push(candidate.clone());
    }
    Err(Error::NoDebugInfo {
        path: path.to_path_buf(),
        tried: candidates.into_iter().map(|(p, _)| p).collect(),
        other_builds,
    })
}

/// Every unit header of `dwarf`: the compilation units, then the type
/// units (DWARF 4's `.debug_types` and DWARF 5's type units).
fn unit_headers<'d>(
    dwarf: &gimli::Dwarf<Slice<'d>>,
) -> Result<Vec<gimli::UnitHeader<Slice<'d>>>, DwarfError> {
    let mut headers = Vec::new();
    let mut iter = dwarf.units();
    while let Some(header) = iter.next().map_err(|source| DwarfError::Header {
        what: "unit header",
        source,
    })? {
        headers.push(header);
    }
    let mut iter = dwarf.type_units();
    while let Some(header) = iter.next().map_err(|source| DwarfError::Header {
        what: "type unit header",
        source,
    })? {
        headers.push(header);
    }
    Ok(headers)
}

/// [`read_structs`] over a binary already in memory, named `name` in
/// messages: ELF with DWARF, or raw BTF. No split debug file is looked
/// for: the DWARF must be in `data`. The fuzz target and tests of hostile
/// binaries use it.
pub fn read_structs_from_bytes(
    name: &Path,
    data: &[u8],
    queries: &[String],
) -> Result<Dump, Error> {
    if btf::is_raw_btf(data) {
        return btf::read_bytes(name, data, None, &singletons(queries), &Options::default());
    }
    elf::parse(name, data)?;
    let target = elf::target(name, data)?;
    read_mapped(
        name,
        name.to_path_buf(),
        data,
        target,
        &singletons(queries),
        &Options::default(),
    )
}

fn singletons(queries: &[String]) -> Vec<Vec<String>> {
    queries.iter().map(|q| vec![q.clone()]).collect()
}

/// The first component of a member path: the struct the scan looks for.
pub(crate) fn root_of(query: &str) -> &str {
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

/// The roots the scan looks for (distinct first components of every
/// query), after checking each query's form.
pub(crate) fn roots_of(groups: &[Vec<String>]) -> Result<Vec<String>, QueryError> {
    let mut roots: Vec<String> = Vec::new();
    for query in groups.iter().flatten() {
        if query.split('.').any(str::is_empty) {
            return Err(QueryError::BadQuery(text::shown(query)));
        }
        let root = root_of(query);
        if !roots.iter().any(|r| r == root) {
            roots.push(root.to_string());
        }
    }
    if groups.iter().any(Vec::is_empty) {
        return Err(QueryError::EmptyGroup);
    }
    Ok(roots)
}

/// The common part of the entry points: `data` is the file holding the
/// DWARF (`debug_file`), `elf` the binary asked about.
fn read_mapped(
    elf: &Path,
    debug_file: PathBuf,
    data: &[u8],
    target: Target,
    groups: &[Vec<String>],
    options: &Options,
) -> Result<Dump, Error> {
    let object = elf::parse(&debug_file, data)?;
    if !elf::has_debug_info(&object) {
        return Err(Error::NoDebugInfo {
            path: debug_file,
            tried: Vec::new(),
            other_builds: Vec::new(),
        });
    }
    let sections = elf::Sections::load(&debug_file, &object)?;
    let dwarf = sections.dwarf();
    let dwarf_error = |source: DwarfError| Error::Dwarf {
        path: debug_file.clone(),
        source,
    };
    let query_error = |source: QueryError| Error::Query {
        path: debug_file.clone(),
        source,
    };

    let headers = unit_headers(&dwarf).map_err(dwarf_error)?;

    let roots = roots_of(groups).map_err(query_error)?;
    let root_index = |query: &str| roots.iter().position(|r| r == root_of(query));
    // The scan may stop once each group's first choice is found: when that
    // one is defined, no later alternative matters. Asked for every
    // definition, it reads every unit.
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
    let units = headers.len();
    let scan_error = |f: scan::ScanError| {
        dwarf_error(DwarfError::Scan {
            unit: f.unit,
            units,
            source: f.error,
        })
    };
    let every = options.every_definition;
    let mut scanned = scan::scan(
        &dwarf,
        &headers,
        &wanted,
        (!every).then_some(&required[..]),
        scan_threads(),
        every,
    )
    .map_err(scan_error)?;

    let mut resolver = resolve::Resolver::new(
        &dwarf,
        &headers,
        target,
        matches!(sections.endian, gimli::RunTimeEndian::Little),
    );
    let mut structs = Vec::new();
    let mut missing = Vec::new();
    let mut uncompared = 0;
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
                resolver.reset();
                let top = resolver.resolve(loc, 0).map_err(dwarf_error)?;
                match follow_path(top, query).map_err(query_error)? {
                    PathEnd::Found(mut found) => {
                        if every && !query.contains('.') {
                            let (others, left) =
                                other_definitions(&mut resolver, &scanned.definitions, root, loc)
                                    .map_err(dwarf_error)?;
                            found.others = others;
                            uncompared += left;
                        }
                        pick = Pick::Found(found);
                        break;
                    }
                    PathEnd::Missing(walked) => {
                        if let Pick::Missing(names) = &mut pick {
                            names.push(walked);
                        }
                    }
                }
            }
            if !matches!(pick, Pick::Unsure) {
                break;
            }
            scanned = scan::scan(&dwarf, &headers, &wanted, None, scan_threads(), false)
                .map_err(scan_error)?;
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
            names: missing.iter().map(|n| text::shown(n)).collect(),
            format: Format::Dwarf.name(),
        });
    }
    Ok(Dump {
        file: elf.to_path_buf(),
        debug_file,
        target,
        format: Format::Dwarf,
        structs,
        units,
        uncompared,
    })
}

/// The definitions of root `root` whose shape differs from the one taken
/// (at `taken`), one per shape, laid out; with the number of shapes left
/// past [`MAX_DEFINITIONS_COMPARED`].
fn other_definitions(
    resolver: &mut resolve::Resolver<'_, '_>,
    definitions: &[scan::Definition],
    root: usize,
    taken: resolve::Loc,
) -> Result<(Vec<OtherDefinition>, usize), DwarfError> {
    let mine: Vec<&scan::Definition> = definitions.iter().filter(|d| d.name == root).collect();
    let Some(taken_shape) = mine.iter().find(|d| d.hit == taken).map(|d| d.shape) else {
        // Found through a typedef: no tag definition to compare with.
        return Ok((Vec::new(), 0));
    };
    let mut shapes: Vec<(u64, &scan::Definition, usize)> = Vec::new();
    for d in &mine {
        if d.shape == taken_shape {
            continue;
        }
        match shapes.iter_mut().find(|(s, _, _)| *s == d.shape) {
            Some((_, _, count)) => *count += 1,
            None => shapes.push((d.shape, d, 1)),
        }
    }
    let left = shapes.len().saturating_sub(MAX_DEFINITIONS_COMPARED);
    resolver.reset();
    let taken_layout = match resolver.resolve(taken, 0)?.kind {
        TypeKind::Aggregate(layout) => Some(*layout),
        _ => None,
    };
    let mut out: Vec<OtherDefinition> = Vec::new();
    for (_, d, count) in shapes.into_iter().take(MAX_DEFINITIONS_COMPARED) {
        resolver.reset();
        let ty = resolver.resolve(d.hit, 0)?;
        let TypeKind::Aggregate(layout) = ty.kind else {
            continue;
        };
        // Shapes that hashed apart may still lay out alike.
        if taken_layout.as_ref() == Some(&*layout) {
            continue;
        }
        if let Some(same) = out.iter_mut().find(|o| o.layout == *layout) {
            same.count += count;
            continue;
        }
        let place = match &d.unit_name {
            Some(name) => format!("{name} ({})", resolver.describe(d.hit)),
            None => resolver.describe(d.hit),
        };
        out.push(OtherDefinition {
            layout: *layout,
            place,
            count,
        });
    }
    Ok((out, left))
}

/// Where a member path leads.
pub(crate) enum PathEnd {
    /// To a struct or union.
    Found(Found),
    /// To a member that does not exist, as the path walked so far: for
    /// alternatives, that is "not this one", not an error.
    Missing(String),
}

/// Walks the member path `query` down from `top`, the type its root names.
pub(crate) fn follow_path(top: CType, query: &str) -> Result<PathEnd, QueryError> {
    let mut parts = query.split('.');
    let root = parts.next().unwrap_or_default();
    let TypeKind::Aggregate(top_struct) = top.kind else {
        return Err(QueryError::NotAStruct {
            name: text::shown(root),
            c_type: top.c_name,
        });
    };
    let mut layout = *top_struct;
    let mut member_offset = None;
    let mut walked = root.to_string();
    for part in parts {
        let (found, offset) = match layout.member(part) {
            Some(flat) => (flat.member.clone(), flat.offset),
            None => return Ok(PathEnd::Missing(format!("{walked}.{part}"))),
        };
        walked = format!("{walked}.{part}");
        let TypeKind::Aggregate(inner) = found.ty.kind else {
            return Err(QueryError::NotAggregate {
                path: text::shown(&walked),
                c_type: found.ty.c_name,
            });
        };
        member_offset = Some(member_offset.unwrap_or(0) + offset);
        let mut inner = *inner;
        if let Some(explicit) = found.explicit_align {
            inner.align = explicit;
            inner.explicit_align = Some(explicit);
        }
        layout = inner;
    }
    Ok(PathEnd::Found(Found {
        query: query.to_string(),
        layout,
        member_offset,
        others: Vec::new(),
    }))
}
