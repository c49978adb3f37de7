//! Finding struct definitions by name among every unit of a binary:
//! only the top-level entries of each unit are read (their subtrees are
//! skipped through `DW_AT_sibling`), names are matched by string offset
//! where the producer used `.debug_str`, units are scanned in parallel, and
//! the scan stops as soon as every name it must find has a definition that
//! no earlier unit can take from it. A name is a struct, union or class tag,
//! or a typedef of one (`typedef struct { ... } foo_t;`); in one unit the
//! tag wins over a typedef of the same name.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

use abi_spec::limits::{MAX_MEMBERS, MAX_TYPEDEF_STEPS};
use gimli::constants::*;
use gimli::{AttributeValue, UnitHeader, UnitOffset};

use crate::Slice;

/// Where a name's definition was found: the unit (an index into the
/// scanned headers) and the entry's offset in it.
pub type Hit = (usize, UnitOffset<usize>);

/// The names asked for, with the string-section offsets at which each one
/// is stored, so a unit's names are matched by comparing integers.
pub struct Wanted<'n> {
    names: &'n [String],
    str_offsets: HashMap<usize, usize>,
    line_str_offsets: HashMap<usize, usize>,
}

impl<'n> Wanted<'n> {
    /// Indexes `names` (distinct) against the string sections.
    pub fn new(names: &'n [String], debug_str: &[u8], debug_line_str: &[u8]) -> Wanted<'n> {
        Wanted {
            names,
            str_offsets: string_offsets(debug_str, names),
            line_str_offsets: string_offsets(debug_line_str, names),
        }
    }

    fn by_bytes(&self, bytes: &[u8]) -> Option<usize> {
        self.names.iter().position(|n| n.as_bytes() == bytes)
    }
}

/// Every offset at which a NUL-terminated string equal to one of `names`
/// starts, including inside a longer string whose tail it is (linkers merge
/// `rseq` into `sys_rseq`), mapped to the name's index.
fn string_offsets(section: &[u8], names: &[String]) -> HashMap<usize, usize> {
    let mut out = HashMap::new();
    let mut start = 0usize;
    for string in section.split(|&b| b == 0) {
        let end = start + string.len();
        for (index, name) in names.iter().enumerate() {
            if string.ends_with(name.as_bytes()) {
                out.insert(end - name.len(), index);
            }
        }
        start = end + 1;
    }
    out
}

/// Why a scan stopped early: the unit and what gimli said.
pub struct ScanError {
    /// The unit's index.
    pub unit: usize,
    /// The error.
    pub error: gimli::Error,
}

/// One struct, union or class definition of a wanted name, when a scan
/// is asked for every definition.
#[derive(Clone, Debug)]
pub struct Definition {
    /// The name's index.
    pub name: usize,
    /// Where it is.
    pub hit: Hit,
    /// A hash of what can be compared without resolving types: the tag,
    /// the byte size, and each member's name, location and bit size. Two
    /// definitions that differ only in member types hash alike.
    pub shape: u64,
    /// The unit's `DW_AT_name` (its source file).
    pub unit_name: Option<String>,
}

/// What a scan found.
pub struct Scanned {
    /// Per name, the definition in the lowest-numbered unit that has one.
    /// When the scan stopped early, only the names it had to find are sure.
    pub hits: Vec<Option<Hit>>,
    /// True when every unit was scanned: a name without a hit is defined
    /// nowhere.
    pub complete: bool,
    /// Every struct, union or class definition of a wanted name, in unit
    /// order, when asked for.
    pub definitions: Vec<Definition>,
}

/// Scans `headers` for the definitions of `wanted`'s names with `threads`
/// threads. Each name gets the definition in the lowest-numbered unit that
/// has one, whatever the threads' timing. With `required` (indexed like the
/// names), the scan stops once those names are settled; without, it reads
/// every unit.
///
/// With `every_definition`, the scan also records every definition of each
/// name with its shape ([`Definition`]), so that a name defined differently
/// in several units can be reported.
pub fn scan(
    dwarf: &gimli::Dwarf<Slice<'_>>,
    headers: &[UnitHeader<Slice<'_>>],
    wanted: &Wanted<'_>,
    required: Option<&[bool]>,
    threads: usize,
    every_definition: bool,
) -> Result<Scanned, ScanError> {
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let stopped_early = AtomicBool::new(false);
    let best: Mutex<Vec<Option<Hit>>> = Mutex::new(vec![None; wanted.names.len()]);
    let definitions: Mutex<Vec<Definition>> = Mutex::new(Vec::new());
    let failure: Mutex<Option<ScanError>> = Mutex::new(None);
    let worker = || loop {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let index = next.fetch_add(1, Ordering::Relaxed);
        if index >= headers.len() {
            break;
        }
        {
            // Units are handed out in order: once every required name has
            // a definition before this unit, no later unit can matter (the
            // units before it that are still being read finish first).
            if let Some(required) = required {
                let best = best.lock().unwrap_or_else(|e| e.into_inner());
                let settled = best
                    .iter()
                    .zip(required)
                    .all(|(b, &r)| !r || b.is_some_and(|(u, _)| u < index));
                if settled {
                    stopped_early.store(true, Ordering::Relaxed);
                    stop.store(true, Ordering::Relaxed);
                    break;
                }
            }
        }
        match scan_unit(dwarf, headers[index], index, wanted, every_definition) {
            Ok((hits, found)) => {
                let mut best = best.lock().unwrap_or_else(|e| e.into_inner());
                for (name, offset) in hits {
                    if best[name].is_none_or(|(u, _)| index < u) {
                        best[name] = Some((index, offset));
                    }
                }
                drop(best);
                if !found.is_empty() {
                    definitions
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .extend(found);
                }
            }
            Err(error) => {
                let mut failure = failure.lock().unwrap_or_else(|e| e.into_inner());
                if failure.as_ref().is_none_or(|f| index < f.unit) {
                    *failure = Some(ScanError { unit: index, error });
                }
                stop.store(true, Ordering::Relaxed);
                break;
            }
        }
    };
    std::thread::scope(|scope| {
        for _ in 1..threads.max(1) {
            scope.spawn(worker);
        }
        worker();
    });
    if let Some(failure) = failure.into_inner().unwrap_or_else(|e| e.into_inner()) {
        return Err(failure);
    }
    let mut definitions = definitions.into_inner().unwrap_or_else(|e| e.into_inner());
    definitions.sort_by_key(|d| (d.hit.0, d.hit.1 .0));
    Ok(Scanned {
        hits: best.into_inner().unwrap_or_else(|e| e.into_inner()),
        complete: !stopped_early.into_inner(),
        definitions,
    })
}

/// The names of every struct and union defined at the top level of the
/// units `headers` (tags only, not typedefs), sorted, each once.
pub fn struct_names(
    dwarf: &gimli::Dwarf<Slice<'_>>,
    headers: &[UnitHeader<Slice<'_>>],
) -> Result<Vec<String>, ScanError> {
    let mut names = std::collections::BTreeSet::new();
    for (index, header) in headers.iter().enumerate() {
        let error = |error| ScanError { unit: index, error };
        let unit = dwarf.unit(*header).map_err(error)?;
        let mut tree = unit.entries_tree(None).map_err(error)?;
        let root = tree.root().map_err(error)?;
        let mut children = root.children();
        while let Some(child) = children.next().map_err(error)? {
            let entry = child.entry();
            if !matches!(entry.tag(), DW_TAG_structure_type | DW_TAG_union_type)
                || !is_definition(entry)
            {
                continue;
            }
            let Some(name) = entry.attr_value(DW_AT_name) else {
                continue;
            };
            if let Ok(name) = dwarf.attr_string(&unit, name) {
                names.insert(String::from_utf8_lossy(name.slice()).into_owned());
            }
        }
    }
    Ok(names.into_iter().collect())
}

/// The wanted names defined at the top level of one unit: struct, union
/// and class definitions, then typedefs of definitions for names no tag of
/// the unit has; and, with `every_definition`, every struct, union or
/// class definition of a wanted name with its shape.
type UnitHits = (Vec<(usize, UnitOffset<usize>)>, Vec<Definition>);

fn scan_unit(
    dwarf: &gimli::Dwarf<Slice<'_>>,
    header: UnitHeader<Slice<'_>>,
    unit_index: usize,
    wanted: &Wanted<'_>,
    every_definition: bool,
) -> Result<UnitHits, gimli::Error> {
    let unit = dwarf.unit(header)?;
    let mut tree = unit.entries_tree(None)?;
    let root = tree.root()?;
    let unit_name = if every_definition {
        root.entry()
            .attr_value(DW_AT_name)
            .and_then(|v| dwarf.attr_string(&unit, v).ok())
            .map(|s| crate::text::shown(&String::from_utf8_lossy(s.slice())))
    } else {
        None
    };
    let mut children = root.children();
    let mut hits: Vec<(usize, UnitOffset<usize>)> = Vec::new();
    let mut typedefs: Vec<(usize, UnitOffset<usize>)> = Vec::new();
    let mut definitions = Vec::new();
    while let Some(child) = children.next()? {
        let entry = child.entry();
        let typedef = match entry.tag() {
            DW_TAG_structure_type | DW_TAG_union_type | DW_TAG_class_type => false,
            DW_TAG_typedef => true,
            _ => continue,
        };
        if !typedef && !is_definition(entry) {
            continue;
        }
        let Some(name) = entry.attr_value(DW_AT_name) else {
            continue;
        };
        let index = match name {
            AttributeValue::DebugStrRef(offset) => wanted.str_offsets.get(&offset.0).copied(),
            AttributeValue::DebugLineStrRef(offset) => {
                wanted.line_str_offsets.get(&offset.0).copied()
            }
            AttributeValue::String(bytes) => wanted.by_bytes(bytes.slice()),
            other => dwarf
                .attr_string(&unit, other)
                .ok()
                .and_then(|s| wanted.by_bytes(s.slice())),
        };
        let Some(index) = index else {
            continue;
        };
        if typedef {
            if !typedefs.iter().any(|(i, _)| *i == index) && names_definition(&unit, entry) {
                typedefs.push((index, entry.offset()));
            }
            continue;
        }
        let offset = entry.offset();
        if !hits.iter().any(|(i, _)| *i == index) {
            hits.push((index, offset));
        }
        if every_definition {
            definitions.push(Definition {
                name: index,
                hit: (unit_index, offset),
                shape: shape(dwarf, &unit, child)?,
                unit_name: unit_name.clone(),
            });
        }
    }
    for (index, offset) in typedefs {
        if !hits.iter().any(|(i, _)| *i == index) {
            hits.push((index, offset));
        }
    }
    Ok((hits, definitions))
}

/// The shape of a struct definition: its tag and size, and each member's
/// name, location and bit size, hashed.
fn shape(
    dwarf: &gimli::Dwarf<Slice<'_>>,
    unit: &gimli::Unit<Slice<'_>>,
    node: gimli::EntriesTreeNode<'_, '_, Slice<'_>>,
) -> Result<u64, gimli::Error> {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    let number = |entry: &gimli::DebuggingInformationEntry<Slice<'_>>, at| {
        entry.attr(at).and_then(|a| a.udata_value())
    };
    let entry = node.entry();
    entry.tag().0.hash(&mut hasher);
    number(entry, DW_AT_byte_size).hash(&mut hasher);
    let mut children = node.children();
    let mut count = 0usize;
    while let Some(child) = children.next()? {
        let member = child.entry();
        if member.tag() != DW_TAG_member {
            continue;
        }
        count += 1;
        if count > MAX_MEMBERS {
            break;
        }
        // A linked binary's strings are merged: one name, one offset. Names
        // stored otherwise are hashed as bytes; a name stored both ways
        // hashes apart, and the layouts are compared once resolved.
        match member.attr_value(DW_AT_name) {
            Some(AttributeValue::DebugStrRef(offset)) => (0u8, offset.0).hash(&mut hasher),
            Some(AttributeValue::DebugLineStrRef(offset)) => (1u8, offset.0).hash(&mut hasher),
            Some(other) => dwarf
                .attr_string(unit, other)
                .ok()
                .map(|s| s.slice().to_vec())
                .hash(&mut hasher),
            None => 2u8.hash(&mut hasher),
        }
        number(member, DW_AT_data_member_location).hash(&mut hasher);
        number(member, DW_AT_data_bit_offset).hash(&mut hasher);
        number(member, DW_AT_bit_size).hash(&mut hasher);
    }
    count.hash(&mut hasher);
    Ok(hasher.finish())
}

/// A struct, union or class entry that defines its type here: not a
/// declaration, nor a stub pointing into a type unit.
fn is_definition(entry: &gimli::DebuggingInformationEntry<Slice<'_>>) -> bool {
    !matches!(
        entry.attr_value(DW_AT_declaration),
        Some(AttributeValue::Flag(true))
    ) && entry.attr(DW_AT_signature).is_none()
}

/// Whether a typedef names a struct, union or class that is complete
/// (defined in this unit, or in a type unit): a typedef of an incomplete
/// struct must not hide the unit that defines it, and a typedef of a
/// scalar is no struct at all. References out of the unit are taken on
/// trust; resolving them later says what they are.
fn names_definition(
    unit: &gimli::Unit<Slice<'_>>,
    typedef: &gimli::DebuggingInformationEntry<Slice<'_>>,
) -> bool {
    let mut next = typedef.attr_value(DW_AT_type);
    // A few steps: typedefs of typedefs, qualifiers.
    for _ in 0..MAX_TYPEDEF_STEPS {
        let offset = match next {
            Some(AttributeValue::UnitRef(offset)) => offset,
            Some(AttributeValue::DebugInfoRef(_)) => return true,
            // A type unit holds definitions only.
            Some(AttributeValue::DebugTypesRef(_)) => return true,
            _ => return false,
        };
        let Ok(entry) = unit.entry(offset) else {
            return false;
        };
        match entry.tag() {
            DW_TAG_structure_type | DW_TAG_union_type | DW_TAG_class_type => {
                return entry.attr(DW_AT_signature).is_some()
                    || !matches!(
                        entry.attr_value(DW_AT_declaration),
                        Some(AttributeValue::Flag(true))
                    );
            }
            DW_TAG_typedef | DW_TAG_const_type | DW_TAG_volatile_type => {
                next = entry.attr_value(DW_AT_type);
            }
            _ => return false,
        }
    }
    false
}
