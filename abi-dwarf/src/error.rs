//! Why a binary could not be read. Every message names the file; what is
//! wrong inside its DWARF or BTF is a [`DwarfError`] or a [`BtfError`],
//! each naming the place (a section offset, a type ID).

use std::fmt;
use std::path::{Path, PathBuf};

/// An error reading a binary, its DWARF or its BTF.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file could not be opened, mapped or read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// A directory, device, FIFO or socket where a file was expected:
    /// refused before it is opened, since opening a FIFO blocks.
    #[error("{}: it is {what}, not a regular file", path.display())]
    NotAFile {
        /// The path.
        path: PathBuf,
        /// What it is: "a directory", "a FIFO", ...
        what: &'static str,
    },
    /// The file shrank while it was read (another process truncated it):
    /// what was read cannot be trusted.
    #[error(
        "{}: the file was truncated while it was read; read it again once nothing writes to it",
        path.display()
    )]
    Truncated {
        /// The file.
        path: PathBuf,
    },
    /// The file is larger than this reader reads into memory.
    #[error("{}: {size} bytes, more than the {limit} bytes read into memory", path.display())]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its size.
        size: u64,
        /// [`abi_spec::limits::MAX_READ_BYTES`].
        limit: u64,
    },
    /// Not an ELF file the reader understands, or a damaged one.
    #[error("{}: not a usable ELF file: {message}", path.display())]
    Elf {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A section of an ELF file could not be read.
    #[error("{}: not a usable ELF file: section {name}: {source}", path.display())]
    Section {
        /// The file.
        path: PathBuf,
        /// The section's name.
        name: String,
        /// What is wrong.
        source: SectionError,
    },
    /// The ELF machine is none of the built-in targets.
    #[error("{}: ELF machine {machine} is none of the built-in targets", path.display())]
    UnknownTarget {
        /// The file.
        path: PathBuf,
        /// The machine, as the ELF header gives it.
        machine: String,
    },
    /// Neither the file nor a split debug file has DWARF.
    #[error(fmt = no_debug_info)]
    NoDebugInfo {
        /// The file.
        path: PathBuf,
        /// The split debug files looked for.
        tried: Vec<PathBuf>,
        /// Those found, but of another build: another build-id, or a CRC
        /// other than the one `.gnu_debuglink` records.
        other_builds: Vec<PathBuf>,
    },
    /// The DWARF is malformed, hostile, or beyond a limit.
    #[error("{}: unusable DWARF: {source}", path.display())]
    Dwarf {
        /// The file holding the DWARF.
        path: PathBuf,
        /// What is wrong, and where.
        source: DwarfError,
    },
    /// The file is neither raw BTF nor an ELF file with a `.BTF` section.
    #[error(
        "{}: no BTF: neither raw BTF (magic 0xeB9F) nor an ELF file with a .BTF section",
        path.display()
    )]
    NoBtf {
        /// The file.
        path: PathBuf,
    },
    /// The BTF is malformed, hostile, or beyond a limit.
    #[error("{}: unusable BTF: {source}", path.display())]
    Btf {
        /// The file holding the BTF.
        path: PathBuf,
        /// What is wrong, and where.
        source: BtfError,
    },
    /// A name asked for that cannot be used.
    #[error("{}: {source}", path.display())]
    Query {
        /// The file holding the DWARF or BTF.
        path: PathBuf,
        /// What is wrong with the name.
        source: QueryError,
    },
    /// Names asked for that the binary does not define.
    #[error(fmt = not_found)]
    NotFound {
        /// The file holding the DWARF or BTF.
        path: PathBuf,
        /// The names, as asked; alternatives of which none is defined
        /// joined by `|`.
        names: Vec<String>,
        /// `DWARF` or `BTF`, for the message.
        format: &'static str,
    },
}

fn no_debug_info(
    path: &Path,
    tried: &[PathBuf],
    other_builds: &[PathBuf],
    f: &mut fmt::Formatter<'_>,
) -> fmt::Result {
    write!(f, "{}: no DWARF (.debug_info) in the file", path.display())?;
    let list = |paths: &[PathBuf]| {
        paths
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    if tried.is_empty() {
        write!(
            f,
            ", and it names no split debug file (no build-id, no .gnu_debuglink)"
        )?;
    } else {
        write!(f, ", nor in a split debug file; looked for {}", list(tried))?;
    }
    if !other_builds.is_empty() {
        write!(
            f,
            " ({} of another build: its build-id or CRC is not the one the file names)",
            list(other_builds)
        )?;
    }
    Ok(())
}

fn not_found(
    path: &Path,
    names: &[String],
    format: &&'static str,
    f: &mut fmt::Formatter<'_>,
) -> fmt::Result {
    // A group of alternatives (`a|b`) reads as "`a` or `b`".
    let names: Vec<String> = names
        .iter()
        .map(|n| format!("`{}`", n.split('|').collect::<Vec<_>>().join("` or `")))
        .collect();
    write!(
        f,
        "{}: no definition of {} in the {format}",
        path.display(),
        names.join(", ")
    )
}

/// What is wrong in a file's DWARF. `at` is a place as
/// `.debug_info+0x2d` (the section offset of the entry).
#[derive(Debug, thiserror::Error)]
pub enum DwarfError {
    /// gimli could not read a unit header.
    #[error("{what}: {source}")]
    Header {
        /// "unit header" or "type unit header".
        what: &'static str,
        /// What gimli said.
        source: gimli::Error,
    },
    /// gimli could not read a unit while the units were scanned.
    #[error("unit {unit} of {units}: {source}")]
    Scan {
        /// The unit's index.
        unit: usize,
        /// How many units the file has.
        units: usize,
        /// What gimli said.
        source: gimli::Error,
    },
    /// gimli could not read an entry, a unit or a subtree.
    #[error("{what} at {at}: {source}")]
    Read {
        /// What was read: "entry", "children", "unit".
        what: &'static str,
        /// Where.
        at: String,
        /// What gimli said.
        source: gimli::Error,
    },
    /// A unit index past the end (a reference into no unit).
    #[error("no unit {0}")]
    NoUnit(usize),
    /// A chain of types deeper than [`abi_spec::limits::MAX_TYPE_DEPTH`].
    #[error("type chain deeper than {limit} at {at}")]
    TooDeep {
        /// Where.
        at: String,
        /// The limit.
        limit: usize,
    },
    /// A type refers back to a type being resolved.
    #[error("cycle in type references at {at}")]
    Cycle {
        /// Where.
        at: String,
    },
    /// More entries read for one struct than
    /// [`abi_spec::limits::MAX_ENTRIES`].
    #[error("more than {limit} entries read for one struct")]
    TooManyEntries {
        /// The limit.
        limit: usize,
    },
    /// An entry with more children than
    /// [`abi_spec::limits::MAX_MEMBERS`].
    #[error("{at} has more than {limit} children")]
    TooManyChildren {
        /// Where.
        at: String,
        /// The limit.
        limit: usize,
    },
    /// A `.debug_info` reference that lands in no unit.
    #[error("reference to .debug_info+{offset:#x} outside every unit")]
    ReferenceOutside {
        /// The section offset.
        offset: usize,
    },
    /// A type signature that no type unit has.
    #[error("no type unit with signature {signature:#018x}")]
    NoTypeUnit {
        /// The signature.
        signature: u64,
    },
    /// A type reference of a form that is not a reference.
    #[error("a type reference of form {form}, which is no reference")]
    UnsupportedReference {
        /// The attribute's form, as DWARF names it.
        form: &'static str,
    },
    /// An entry lacks what its use needs ("base type has no size").
    #[error("{what} at {at} {problem}")]
    Incomplete {
        /// What the entry is.
        what: String,
        /// Where.
        at: String,
        /// What it lacks.
        problem: &'static str,
    },
    /// A tag that cannot be a member's type (a subprogram, a variable).
    #[error("{tag} at {at} cannot be a member's type")]
    NotAType {
        /// The tag, as DWARF names it.
        tag: &'static str,
        /// Where.
        at: String,
    },
    /// An object larger than [`abi_spec::limits::MAX_OBJECT_SIZE`].
    #[error("{what} at {at}: {size} bytes is more than {limit} bytes")]
    TooLarge {
        /// What it is ("array", a struct's name).
        what: String,
        /// Where.
        at: String,
        /// The claimed size (saturated).
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// An array larger than [`abi_spec::limits::MAX_OBJECT_SIZE`].
    #[error("array at {at}: {count} elements of {element_size} bytes is more than {limit} bytes")]
    ArrayTooLarge {
        /// Where.
        at: String,
        /// Its elements.
        count: u64,
        /// The size of one.
        element_size: u64,
        /// The limit.
        limit: u64,
    },
    /// An array whose inner dimension is unbounded.
    #[error("array at {at}: only the first dimension may be unbounded")]
    UnboundedInner {
        /// Where.
        at: String,
    },
    /// An array bound that fits no 64-bit count.
    #[error("array at {at}: absurd bound {bound}")]
    AbsurdBound {
        /// Where.
        at: String,
        /// The bound.
        bound: i128,
    },
    /// A struct only declared where a definition is needed.
    #[error("{kind} {name} at {at} is only declared, never defined")]
    Declaration {
        /// `struct` or `union`.
        kind: &'static str,
        /// Its name.
        name: String,
        /// Where.
        at: String,
    },
    /// An alignment that is not a power of two up to
    /// [`abi_spec::limits::MAX_ALIGN`].
    #[error("{what}: DW_AT_alignment {value} is not a power of two up to {limit}")]
    BadAlignment {
        /// What carries it.
        what: String,
        /// The value.
        value: u64,
        /// The limit.
        limit: u64,
    },
    /// A member location that is neither a constant nor
    /// `DW_OP_plus_uconst`.
    #[error("{what}: DW_AT_data_member_location is neither a constant nor DW_OP_plus_uconst")]
    BadLocation {
        /// The member.
        what: String,
    },
    /// A bitfield whose bit offset overflows.
    #[error("{what}: bit offset overflows")]
    BitOverflow {
        /// The member.
        what: String,
    },
    /// A member outside its struct.
    #[error(
        "{what} at offset {offset}, {size} bytes, lies outside the {struct_size} bytes of {name}"
    )]
    Outside {
        /// The member.
        what: String,
        /// Its offset.
        offset: u64,
        /// Its size.
        size: u64,
        /// The struct's size.
        struct_size: u64,
        /// The struct.
        name: String,
    },
}

/// What is wrong in a file's BTF. `id` is a type ID as the file numbers
/// them (base types first, then a split file's).
#[derive(Debug, thiserror::Error)]
pub enum BtfError {
    /// Fewer bytes than the header needs, or than it says the file has.
    #[error("{0}")]
    Truncated(String),
    /// A header field out of range.
    #[error("header: {0}")]
    Header(String),
    /// A type record that runs past the end of the type section.
    #[error(
        "type {id} (kind {kind}) at byte {at} of the type section runs past its end ({len} bytes)"
    )]
    TypePastEnd {
        /// Its ID.
        id: u32,
        /// Its kind number.
        kind: u32,
        /// Its offset in the type section.
        at: usize,
        /// The section's length.
        len: usize,
    },
    /// A kind number this reader does not know (past ENUM64, 19).
    #[error("type {id} has kind {kind}, unknown (kinds 1 to 19 are defined)")]
    UnknownKind {
        /// Its ID.
        id: u32,
        /// Its kind number.
        kind: u32,
    },
    /// More types than [`abi_spec::limits::MAX_BTF_TYPES`].
    #[error("more than {limit} types")]
    TooManyTypes {
        /// The limit.
        limit: usize,
    },
    /// A string offset past the string section.
    #[error("type {id}: name offset {offset} is past the {len} bytes of strings")]
    StringOutside {
        /// The type that names it.
        id: u32,
        /// The offset.
        offset: u32,
        /// The strings' length (base and split together).
        len: usize,
    },
    /// A string without its terminating NUL.
    #[error("type {id}: the name at offset {offset} has no terminating NUL")]
    StringUnterminated {
        /// The type that names it.
        id: u32,
        /// The offset.
        offset: u32,
    },
    /// A type ID past the last type.
    #[error("type {id} refers to type {target}, past the last type ({last})")]
    BadReference {
        /// The type that refers.
        id: u32,
        /// The ID referred to.
        target: u32,
        /// The last ID.
        last: u32,
    },
    /// A type refers back to a type being resolved.
    #[error("cycle in type references at type {id}")]
    Cycle {
        /// Where.
        id: u32,
    },
    /// A chain of types deeper than [`abi_spec::limits::MAX_TYPE_DEPTH`].
    #[error("type chain deeper than {limit} at type {id}")]
    TooDeep {
        /// Where.
        id: u32,
        /// The limit.
        limit: usize,
    },
    /// More types visited for one struct than
    /// [`abi_spec::limits::MAX_ENTRIES`].
    #[error("more than {limit} types visited for one struct")]
    TooManyVisits {
        /// The limit.
        limit: usize,
    },
    /// A type that cannot be a member's (a function, a variable, void).
    #[error("type {id} ({kind}) cannot be a member's type")]
    NotAType {
        /// Its ID.
        id: u32,
        /// Its kind, by name.
        kind: &'static str,
    },
    /// A type whose size is absurd or impossible.
    #[error("type {id} ({what}): {problem}")]
    BadType {
        /// Its ID.
        id: u32,
        /// What it is.
        what: String,
        /// What is wrong.
        problem: String,
    },
    /// A struct only declared (`FWD`) where a definition is needed.
    #[error("{kind} {name} (type {id}) is only declared, never defined")]
    Declaration {
        /// `struct` or `union`.
        kind: &'static str,
        /// Its name.
        name: String,
        /// Its ID.
        id: u32,
    },
    /// A member outside its struct.
    #[error(
        "member `{member}` of {name} (type {id}) at bit {bit_offset}, {size} bytes, lies outside its {struct_size} bytes"
    )]
    Outside {
        /// The struct's ID.
        id: u32,
        /// The struct.
        name: String,
        /// The member.
        member: String,
        /// Its offset in bits.
        bit_offset: u64,
        /// Its size.
        size: u64,
        /// The struct's size.
        struct_size: u64,
    },
    /// A split BTF file read without its base.
    #[error("{0}")]
    NeedsBase(String),
}

/// What is wrong with a name asked for, whatever the format.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// A name asked for is not a struct or union.
    #[error("`{name}` is a `{c_type}`, not a struct or union")]
    NotAStruct {
        /// The name.
        name: String,
        /// Its C type.
        c_type: String,
    },
    /// A member path goes through a member that is no struct.
    #[error("`{path}` is a `{c_type}`, not a struct or union")]
    NotAggregate {
        /// The path walked.
        path: String,
        /// The member's C type.
        c_type: String,
    },
    /// A query with an empty component (`a..b`).
    #[error("`{0}` is not a struct name or member path")]
    BadQuery(String),
    /// No names at all in a group.
    #[error("an empty list of names to look for")]
    EmptyGroup,
}

/// What is wrong with one section of an ELF file.
#[derive(Debug, thiserror::Error)]
pub enum SectionError {
    /// What `object` said (a bad compression header, bad zlib data).
    #[error("{0}")]
    Object(object::Error),
    /// A compression header claiming more than
    /// [`abi_spec::limits::MAX_COMPRESSION_RATIO`] times its size.
    #[error(
        "the compression header claims {claimed} bytes from {compressed} compressed bytes, \
         more than {ratio} times as many"
    )]
    CompressionClaim {
        /// The uncompressed size claimed.
        claimed: u64,
        /// The compressed size.
        compressed: u64,
        /// The limit.
        ratio: u64,
    },
    /// A relocation's symbol could not be read.
    #[error("relocation symbol: {0}")]
    RelocationSymbol(object::Error),
    /// A relocation outside its section.
    #[error("relocation at {offset:#x} is outside the section")]
    RelocationOutside {
        /// Its offset in the section.
        offset: u64,
    },
}
