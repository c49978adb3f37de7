//! ELF files: the target they were built for, where their
//! DWARF lives (in the file or a split debug file), and the DWARF sections,
//! borrowed from the mapping whenever they are stored uncompressed.

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use abi_spec::limits::MAX_COMPRESSION_RATIO;
use abi_spec::Target;
use object::{Object, ObjectSection, ObjectSymbol, RelocationKind, RelocationTarget};

use crate::error::{Error, SectionError};

/// Parses an ELF file, refusing other object formats.
pub fn parse<'d>(path: &Path, data: &'d [u8]) -> Result<object::File<'d>, Error> {
    let elf_error = |message: String| Error::Elf {
        path: path.to_path_buf(),
        message,
    };
    if data.len() < 4 || &data[..4] != b"\x7fELF" {
        return Err(elf_error("no ELF magic".into()));
    }
    object::File::parse(data).map_err(|e| elf_error(e.to_string()))
}

/// The built-in target an ELF file was built for, from its header: machine,
/// class (x86_64 vs x32), byte order (arm vs armeb) and flags (MIPS n32).
pub fn target(path: &Path, data: &[u8]) -> Result<Target, Error> {
    let short = || Error::Elf {
        path: path.to_path_buf(),
        message: "the ELF header is truncated".into(),
    };
    let header = data.get(..52).ok_or_else(short)?;
    let class64 = header[4] == 2;
    let little = header[5] == 1;
    let read16 = |b: [u8; 2]| {
        if little {
            u16::from_le_bytes(b)
        } else {
            u16::from_be_bytes(b)
        }
    };
    let read32 = |b: [u8; 4]| {
        if little {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        }
    };
    let machine = read16([header[18], header[19]]);
    let flags_at = if class64 { 48 } else { 36 };
    let flags_bytes = data.get(flags_at..flags_at + 4).ok_or_else(short)?;
    let flags = read32([
        flags_bytes[0],
        flags_bytes[1],
        flags_bytes[2],
        flags_bytes[3],
    ]);
    const EF_MIPS_ABI2: u32 = 0x20;
    let target = match (machine, class64, little) {
        (62, true, true) => Some(Target::X86_64),
        (62, false, true) => Some(Target::X32),
        (3, false, true) => Some(Target::I386),
        (183, true, true) => Some(Target::Aarch64),
        (40, false, true) => Some(Target::Arm),
        (40, false, false) => Some(Target::Armeb),
        (243, true, true) => Some(Target::Riscv64),
        (243, false, true) => Some(Target::Riscv32),
        (21, true, false) => Some(Target::Powerpc64),
        (21, true, true) => Some(Target::Powerpc64le),
        (20, false, false) => Some(Target::Powerpc),
        (8, true, false) => Some(Target::Mips64),
        (8 | 10, false, _) if flags & EF_MIPS_ABI2 != 0 => None,
        (8 | 10, false, false) => Some(Target::Mips),
        (8 | 10, false, true) => Some(Target::Mipsel),
        (43, true, false) => Some(Target::Sparc64),
        (2 | 18, false, false) => Some(Target::Sparc),
        (258, true, true) => Some(Target::Loongarch64),
        (22, true, false) => Some(Target::S390x),
        (42, false, true) => Some(Target::Sh4),
        (4, false, false) => Some(Target::M68k),
        _ => None,
    };
    target.ok_or_else(|| Error::UnknownTarget {
        path: path.to_path_buf(),
        machine: format!(
            "{machine} ({}-bit, {} endian{})",
            if class64 { 64 } else { 32 },
            if little { "little" } else { "big" },
            if machine == 8 && flags & EF_MIPS_ABI2 != 0 {
                ", n32"
            } else {
                ""
            }
        ),
    })
}

/// True when the file carries DWARF itself (a `.debug_info` with bytes in
/// it, not the NOBITS placeholder that `objcopy --only-keep-debug` leaves).
pub fn has_debug_info(file: &object::File<'_>) -> bool {
    file.sections().any(|s| {
        matches!(s.name(), Ok(".debug_info") | Ok(".zdebug_info"))
            && s.kind() != object::SectionKind::UninitializedData
            && s.size() > 0
    })
}

/// What a split debug file must show to be the one of the binary that
/// names it: the binary's build-id, or the CRC-32 of its whole contents
/// that `.gnu_debuglink` records. A file of another build under the same
/// name describes other structs; GDB skips it, and so does the reader.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expect {
    /// Found by build-id: the debug file carries the same build-id.
    BuildId(Vec<u8>),
    /// Found by `.gnu_debuglink`: the file's CRC-32 (as zlib computes it).
    Crc(u32),
}

impl Expect {
    /// True when `data`, the candidate's contents, is the file expected.
    pub fn matches(&self, path: &Path, data: &[u8]) -> bool {
        match self {
            Expect::BuildId(id) => parse(path, data)
                .ok()
                .and_then(|file| file.build_id().ok().flatten())
                .is_some_and(|found| found == id.as_slice()),
            Expect::Crc(crc) => crc32fast::hash(data) == *crc,
        }
    }
}

/// The split debug files that may hold `path`'s DWARF, in the order GDB
/// looks: by build-id under `debug_dir/.build-id/`, then by `.gnu_debuglink`
/// next to the file, in its `.debug/` directory, and under `debug_dir`;
/// each with what it must show to be `path`'s.
pub fn debug_file_candidates(
    path: &Path,
    file: &object::File<'_>,
    debug_dir: &Path,
) -> Vec<(PathBuf, Expect)> {
    let mut out = Vec::new();
    if let Ok(Some(id)) = file.build_id() {
        if id.len() >= 2 {
            let hex: String = id.iter().map(|b| format!("{b:02x}")).collect();
            out.push((
                debug_dir
                    .join(".build-id")
                    .join(&hex[..2])
                    .join(format!("{}.debug", &hex[2..])),
                Expect::BuildId(id.to_vec()),
            ));
        }
    }
    if let Ok(Some((name, crc))) = file.gnu_debuglink() {
        if let Ok(name) = std::str::from_utf8(name) {
            // A link is a bare file name; one with a slash could point anywhere.
            if !name.contains('/') && !name.is_empty() {
                let dir = path
                    .canonicalize()
                    .ok()
                    .and_then(|p| p.parent().map(Path::to_path_buf))
                    .unwrap_or_else(|| PathBuf::from("."));
                let relative = dir.strip_prefix("/").unwrap_or(&dir);
                for candidate in [
                    dir.join(name),
                    dir.join(".debug").join(name),
                    debug_dir.join(relative).join(name),
                    debug_dir.join(name),
                ] {
                    out.push((candidate, Expect::Crc(crc)));
                }
            }
        }
    }
    out.retain(|(candidate, _)| candidate.as_path() != path);
    out
}

/// The DWARF sections of one file, each borrowed from the mapping when
/// stored plain, decompressed when compressed (SHF_COMPRESSED, zlib or
/// zstd), and copied with relocations applied only in relocatable objects
/// (`.o`), whose DWARF is not final until relocated.
pub struct Sections<'d> {
    sections: HashMap<&'static str, Cow<'d, [u8]>>,
    /// The byte order.
    pub endian: gimli::RunTimeEndian,
}

impl<'d> Sections<'d> {
    /// Reads the sections gimli asks for.
    pub fn load(path: &Path, file: &object::File<'d>) -> Result<Sections<'d>, Error> {
        let section_error = |name: &str, source| Error::Section {
            path: path.to_path_buf(),
            name: name.to_string(),
            source,
        };
        let endian = if file.is_little_endian() {
            gimli::RunTimeEndian::Little
        } else {
            gimli::RunTimeEndian::Big
        };
        let relocatable = file.kind() == object::ObjectKind::Relocatable;
        let mut sections = HashMap::new();
        let ids = [
            gimli::SectionId::DebugAbbrev,
            gimli::SectionId::DebugAddr,
            gimli::SectionId::DebugInfo,
            gimli::SectionId::DebugLine,
            gimli::SectionId::DebugLineStr,
            gimli::SectionId::DebugStr,
            gimli::SectionId::DebugStrOffsets,
            gimli::SectionId::DebugTypes,
            gimli::SectionId::DebugRngLists,
            gimli::SectionId::DebugRanges,
        ];
        // In a relocatable object several sections may share a name (type
        // units in COMDAT groups each get a .debug_info or .debug_types of
        // their own): they are laid end to end, and relocations against any
        // of them are resolved to the place it got.
        let mut groups: HashMap<&'static str, Vec<object::Section<'d, '_>>> = HashMap::new();
        for section in file.sections() {
            let Ok(name) = section.name() else { continue };
            if let Some(id) = ids.iter().find(|id| id.name() == name) {
                groups.entry(id.name()).or_default().push(section);
            }
        }
        let mut bases: HashMap<object::SectionIndex, u64> = HashMap::new();
        for (name, list) in &groups {
            if !relocatable {
                if let Some(first) = list.first() {
                    let data = section_data(first).map_err(|e| section_error(name, e))?;
                    sections.insert(*name, data);
                }
                continue;
            }
            let mut buffer = Vec::new();
            for section in list {
                let data = section_data(section).map_err(|e| section_error(name, e))?;
                bases.insert(section.index(), buffer.len() as u64);
                buffer.extend_from_slice(&data);
            }
            sections.insert(*name, Cow::Owned(buffer));
        }
        if relocatable {
            for (name, list) in &groups {
                let Some(Cow::Owned(buffer)) = sections.get_mut(name) else {
                    continue;
                };
                for section in list {
                    let base = bases.get(&section.index()).copied().unwrap_or(0);
                    relocate(file, section, base, buffer, &bases, little_endian(endian))
                        .map_err(|e| section_error(name, e))?;
                }
            }
        }
        Ok(Sections { sections, endian })
    }

    /// The bytes of one section; empty when the file lacks it.
    pub fn get(&self, id: gimli::SectionId) -> &[u8] {
        self.sections.get(id.name()).map_or(&[], |c| c.as_ref())
    }

    /// A gimli view of the sections, borrowing them.
    pub fn dwarf(&self) -> gimli::Dwarf<gimli::EndianSlice<'_, gimli::RunTimeEndian>> {
        gimli::Dwarf::load(|id| {
            Ok::<_, gimli::Error>(gimli::EndianSlice::new(self.get(id), self.endian))
        })
        .unwrap_or_default()
    }
}

/// A section's bytes, decompressed when compressed, once its claimed
/// uncompressed size is checked against [`MAX_COMPRESSION_RATIO`]: a
/// header that claims more is a lie meant to make the reader allocate
/// (1 TiB from a few bytes), refused before anything is allocated.
pub fn section_data<'d>(section: &object::Section<'d, '_>) -> Result<Cow<'d, [u8]>, SectionError> {
    let range = section
        .compressed_file_range()
        .map_err(SectionError::Object)?;
    if range.format != object::CompressionFormat::None {
        let limit = range
            .compressed_size
            .saturating_mul(MAX_COMPRESSION_RATIO)
            .saturating_add(4096);
        if range.uncompressed_size > limit {
            return Err(SectionError::CompressionClaim {
                claimed: range.uncompressed_size,
                compressed: range.compressed_size,
                ratio: MAX_COMPRESSION_RATIO,
            });
        }
    }
    section.uncompressed_data().map_err(SectionError::Object)
}

fn little_endian(endian: gimli::RunTimeEndian) -> bool {
    matches!(endian, gimli::RunTimeEndian::Little)
}

/// Applies the absolute relocations of `section` (placed at `base` in
/// `buffer`). Debug sections of an object file only hold absolute ones
/// (offsets into other debug sections, addresses); others are left alone.
fn relocate(
    file: &object::File<'_>,
    section: &object::Section<'_, '_>,
    base: u64,
    buffer: &mut [u8],
    bases: &HashMap<object::SectionIndex, u64>,
    little: bool,
) -> Result<(), SectionError> {
    for (offset, relocation) in section.relocations() {
        if relocation.kind() != RelocationKind::Absolute {
            continue;
        }
        let width = match relocation.size() {
            32 => 4usize,
            64 => 8usize,
            _ => continue,
        };
        let symbol_value = match relocation.target() {
            RelocationTarget::Symbol(index) => {
                let symbol = file
                    .symbol_by_index(index)
                    .map_err(SectionError::RelocationSymbol)?;
                let section_base = symbol
                    .section_index()
                    .and_then(|i| bases.get(&i).copied())
                    .unwrap_or(0);
                section_base.wrapping_add(symbol.address())
            }
            RelocationTarget::Section(index) => bases.get(&index).copied().unwrap_or(0),
            _ => continue,
        };
        let at = base
            .checked_add(offset)
            .and_then(|a| usize::try_from(a).ok())
            .filter(|&a| a.checked_add(width).is_some_and(|e| e <= buffer.len()))
            .ok_or(SectionError::RelocationOutside { offset })?;
        let slot = &mut buffer[at..at + width];
        let implicit = if relocation.has_implicit_addend() {
            read_uint(slot, little)
        } else {
            0
        };
        let value = symbol_value
            .wrapping_add(relocation.addend() as u64)
            .wrapping_add(implicit);
        write_uint(slot, value, little);
    }
    Ok(())
}

fn read_uint(slot: &[u8], little: bool) -> u64 {
    let mut value = 0u64;
    for i in 0..slot.len() {
        let byte = if little {
            slot[slot.len() - 1 - i]
        } else {
            slot[i]
        };
        value = (value << 8) | u64::from(byte);
    }
    value
}

fn write_uint(slot: &mut [u8], value: u64, little: bool) {
    let n = slot.len();
    for i in 0..n {
        let byte = (value >> (8 * i)) as u8;
        if little {
            slot[i] = byte;
        } else {
            slot[n - 1 - i] = byte;
        }
    }
}
