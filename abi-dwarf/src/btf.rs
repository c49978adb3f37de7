//! Struct layouts from BTF, the BPF Type Format: raw BTF as the kernel
//! exports it (`/sys/kernel/btf/vmlinux`, and each module's split BTF in
//! `/sys/kernel/btf/<module>` over vmlinux's), or an ELF file's `.BTF`
//! section (`pahole -J`). The result is the model the DWARF reader
//! produces, so `dump` and `verify` work unchanged on it.
//!
//! Why a reader of our own: the crates on crates.io were each short of
//! what this needs. `btf-rs` is LGPL-2.1 (this workspace is MIT or
//! Apache-2.0) and stops at the first kind it does not know; `aya-obj` has
//! no split BTF and brings aya's whole object model; `btfparse` and `btf`
//! have no split BTF and build an owned tree of every type up front;
//! `libbpf-rs` builds libbpf (C, with libelf and zlib) to read a format of
//! 24 header bytes and 19 record kinds. None bounds its work against a
//! hostile file, and none knows alignment (BTF has none: it comes from
//! the target's tables here). The format is small and fixed by the kernel's
//! documentation (`Documentation/bpf/btf.rst`), ELF sections come from
//! `object`, which the DWARF reader already uses; what is left is this
//! file.
//!
//! What BTF cannot say: alignment, and `packed`. A struct's alignment is
//! inferred as the DWARF reader does without `DW_AT_alignment`: the
//! largest of its members' (each scalar's on the target), and a member at
//! an offset its alignment forbids, or a size that is no multiple of it,
//! shows the struct was packed (then 1-aligned). An explicit
//! `__attribute__((aligned(N)))` that raises a struct's alignment (Linux's
//! `struct rseq`, aligned to 32) leaves no trace; nor does a packed struct
//! whose members all sit aligned. Raw BTF names no machine: its target is
//! the one this runs on (x86_64 on machines that are no built-in target).
//!
//! Bounds: the header's offsets and lengths are checked against the file;
//! every record against the type section; every name offset against the
//! strings; every type reference against the last type; kinds past
//! ENUM64 (19) are an error naming the type; at most
//! [`MAX_BTF_TYPES`] types; resolution is bounded in depth and visits and
//! refuses cycles, as the DWARF reader's.

use std::path::{Path, PathBuf};

use abi_spec::limits::{
    MAX_ALIGN, MAX_BTF_TYPES, MAX_DEFINITIONS_COMPARED, MAX_ENTRIES, MAX_OBJECT_SIZE,
    MAX_TYPEDEF_STEPS, MAX_TYPE_DEPTH, MAX_TYPE_NAME_DEPTH,
};
use abi_spec::{Scalar, Target};
use object::{Object, ObjectSection};

use crate::error::{BtfError, Error, QueryError};
use crate::input::Input;
use crate::model::{self, Bits, CStruct, CType, Kind, Member, TypeKind};
use crate::{
    follow_path, root_of, roots_of, text, Dump, Format, Options, OtherDefinition, PathEnd,
};

/// The BTF magic, `0xeB9F`, as a 16-bit number in the file's byte order.
pub const MAGIC: u16 = 0xeb9f;
/// The size of the header this reader knows (`struct btf_header`).
const HEADER_LEN: usize = 24;
/// Where the kernel exports its BTF.
pub const KERNEL_BTF: &str = "/sys/kernel/btf/vmlinux";

/// The kinds, numbered as the format numbers them.
pub const KIND_NAMES: [&str; 20] = [
    "UNKN",
    "INT",
    "PTR",
    "ARRAY",
    "STRUCT",
    "UNION",
    "ENUM",
    "FWD",
    "TYPEDEF",
    "VOLATILE",
    "CONST",
    "RESTRICT",
    "FUNC",
    "FUNC_PROTO",
    "VAR",
    "DATASEC",
    "FLOAT",
    "DECL_TAG",
    "TYPE_TAG",
    "ENUM64",
];

const INT: u32 = 1;
const PTR: u32 = 2;
const ARRAY: u32 = 3;
const STRUCT: u32 = 4;
const UNION: u32 = 5;
const ENUM: u32 = 6;
const FWD: u32 = 7;
const TYPEDEF: u32 = 8;
const VOLATILE: u32 = 9;
const CONST: u32 = 10;
const RESTRICT: u32 = 11;
const FUNC: u32 = 12;
const FUNC_PROTO: u32 = 13;
const VAR: u32 = 14;
const DATASEC: u32 = 15;
const FLOAT: u32 = 16;
const DECL_TAG: u32 = 17;
const TYPE_TAG: u32 = 18;
const ENUM64: u32 = 19;

/// `BTF_INT_SIGNED`.
const INT_SIGNED: u32 = 1;
/// `BTF_INT_BOOL`.
const INT_BOOL: u32 = 4;

/// True when `data` starts with the BTF magic, in either byte order.
pub fn is_raw_btf(data: &[u8]) -> bool {
    matches!(data.get(..2), Some([0x9f, 0xeb]) | Some([0xeb, 0x9f]))
}

/// The built-in target of the machine this runs on; x86_64 when it is
/// none of them.
pub fn host_target() -> Target {
    let big = cfg!(target_endian = "big");
    let wide = cfg!(target_pointer_width = "64");
    match (std::env::consts::ARCH, wide, big) {
        ("x86_64", true, _) => Target::X86_64,
        ("x86_64", false, _) => Target::X32,
        ("x86", _, _) => Target::I386,
        ("aarch64", true, false) => Target::Aarch64,
        ("arm", _, false) => Target::Arm,
        ("arm", _, true) => Target::Armeb,
        ("riscv64", _, _) => Target::Riscv64,
        ("riscv32", _, _) => Target::Riscv32,
        ("powerpc64", _, true) => Target::Powerpc64,
        ("powerpc64", _, false) => Target::Powerpc64le,
        ("powerpc", _, _) => Target::Powerpc,
        ("mips64", true, true) => Target::Mips64,
        ("mips", _, true) => Target::Mips,
        ("mips", _, false) => Target::Mipsel,
        ("sparc64", _, _) => Target::Sparc64,
        ("sparc", _, _) => Target::Sparc,
        ("loongarch64", _, _) => Target::Loongarch64,
        ("s390x", _, _) => Target::S390x,
        ("m68k", _, _) => Target::M68k,
        _ => Target::X86_64,
    }
}

/// One BTF object's sections, borrowed.
#[derive(Clone, Copy)]
struct Layer<'d> {
    little: bool,
    types: &'d [u8],
    strings: &'d [u8],
    /// The first type ID of this layer (1, or one past the base's last).
    first_id: u32,
    /// The offset of this layer's first string (0, or the base's length).
    first_string: u32,
}

/// A parsed BTF object: every record located and checked. With a base,
/// type IDs and string offsets continue the base's.
pub struct Btf<'d> {
    layers: Vec<Layer<'d>>,
    /// Per type ID minus one: the layer and the record's offset in its
    /// type section.
    records: Vec<(u8, u32)>,
}

/// One type record.
#[derive(Clone, Copy)]
pub struct Record<'d> {
    /// Its ID.
    pub id: u32,
    /// Its kind number.
    pub kind: u32,
    /// `vlen`: members, enumerators, parameters.
    pub vlen: u32,
    /// `kind_flag`.
    pub kind_flag: bool,
    /// Its name's offset.
    name_off: u32,
    /// `size` or `type`, by kind.
    pub size_or_type: u32,
    /// The bytes after the 12-byte common part.
    extra: &'d [u8],
    little: bool,
}

impl Record<'_> {
    fn word(&self, index: usize) -> u32 {
        let at = index * 4;
        self.extra
            .get(at..at + 4)
            .map(|b| read_u32([b[0], b[1], b[2], b[3]], self.little))
            .unwrap_or(0)
    }

    /// The kind's name.
    pub fn kind_name(&self) -> &'static str {
        KIND_NAMES.get(self.kind as usize).copied().unwrap_or("?")
    }
}

fn read_u32(bytes: [u8; 4], little: bool) -> u32 {
    if little {
        u32::from_le_bytes(bytes)
    } else {
        u32::from_be_bytes(bytes)
    }
}

/// The extra bytes a record of `kind` with `vlen` entries has after its
/// 12-byte common part; `None` for an unknown kind.
fn extra_len(kind: u32, vlen: u32) -> Option<usize> {
    let vlen = vlen as usize;
    Some(match kind {
        INT | VAR | DECL_TAG => 4,
        PTR | FWD | TYPEDEF | VOLATILE | CONST | RESTRICT | FUNC | FLOAT | TYPE_TAG => 0,
        ARRAY => 12,
        STRUCT | UNION | DATASEC | ENUM64 => 12 * vlen,
        ENUM | FUNC_PROTO => 8 * vlen,
        _ => return None,
    })
}

impl<'d> Btf<'d> {
    /// Parses raw BTF, over `base` when it is split BTF.
    pub fn parse(data: &'d [u8], base: Option<&Btf<'d>>) -> Result<Btf<'d>, BtfError> {
        let truncated = |what: &str| BtfError::Truncated(format!("{} bytes: {what}", data.len()));
        let magic = data
            .get(..2)
            .ok_or_else(|| truncated("no room for the magic"))?;
        let little = match magic {
            [0x9f, 0xeb] => true,
            [0xeb, 0x9f] => false,
            _ => return Err(BtfError::Header("no BTF magic (0xeB9F)".into())),
        };
        let header = data
            .get(..HEADER_LEN)
            .ok_or_else(|| truncated("shorter than the 24-byte header"))?;
        let word = |at: usize| {
            read_u32(
                [header[at], header[at + 1], header[at + 2], header[at + 3]],
                little,
            )
        };
        if header[2] != 1 {
            return Err(BtfError::Header(format!(
                "version {}, only version 1 is defined",
                header[2]
            )));
        }
        let hdr_len = word(4) as usize;
        if hdr_len < HEADER_LEN || hdr_len > data.len() {
            return Err(BtfError::Header(format!(
                "header length {hdr_len}: at least {HEADER_LEN}, at most the file's {} bytes",
                data.len()
            )));
        }
        let body = &data[hdr_len..];
        let section = |name: &str, off: u32, len: u32| -> Result<&'d [u8], BtfError> {
            let (off, len) = (off as usize, len as usize);
            off.checked_add(len)
                .filter(|&end| end <= body.len())
                .map(|end| &data[hdr_len + off..hdr_len + end])
                .ok_or_else(|| {
                    BtfError::Truncated(format!(
                        "the {name} section ({len} bytes at {off}) runs past the {} bytes after the header",
                        body.len()
                    ))
                })
        };
        let (type_off, type_len, str_off, str_len) = (word(8), word(12), word(16), word(20));
        if type_off % 4 != 0 {
            return Err(BtfError::Header(format!(
                "type section offset {type_off} is not a multiple of 4"
            )));
        }
        let types = section("type", type_off, type_len)?;
        let strings = section("string", str_off, str_len)?;
        if let Some(&last) = strings.last() {
            if last != 0 {
                return Err(BtfError::Header(
                    "the string section does not end with a NUL byte".into(),
                ));
            }
        }
        let (mut layers, mut records, first_string) = match base {
            Some(base) => {
                let last = base.layers.last().copied();
                let end = last.map_or(0, |l| l.first_string as usize + l.strings.len());
                (base.layers.clone(), base.records.clone(), end)
            }
            None => {
                if strings.first().is_some_and(|&b| b != 0) {
                    return Err(BtfError::NeedsBase(
                        "the string section does not start with a NUL byte, as only split BTF's \
                         may: give the BTF it extends (--btf-base FILE)"
                            .into(),
                    ));
                }
                (Vec::new(), Vec::new(), 0)
            }
        };
        let first_id = u32::try_from(records.len() + 1).map_err(|_| BtfError::TooManyTypes {
            limit: MAX_BTF_TYPES,
        })?;
        let first_string = u32::try_from(first_string)
            .map_err(|_| BtfError::Header("the strings exceed 4 GiB".into()))?;
        if u32::try_from(first_string as usize + strings.len()).is_err() {
            return Err(BtfError::Header("the strings exceed 4 GiB".into()));
        }
        let layer_index = u8::try_from(layers.len())
            .map_err(|_| BtfError::Header("more than 255 layers of split BTF".into()))?;
        layers.push(Layer {
            little,
            types,
            strings,
            first_id,
            first_string,
        });
        let mut at = 0usize;
        while at < types.len() {
            let id = u32::try_from(records.len() + 1).unwrap_or(u32::MAX);
            if records.len() >= MAX_BTF_TYPES {
                return Err(BtfError::TooManyTypes {
                    limit: MAX_BTF_TYPES,
                });
            }
            let common = types.get(at..at + 12).ok_or(BtfError::TypePastEnd {
                id,
                kind: 0,
                at,
                len: types.len(),
            })?;
            let info = read_u32([common[4], common[5], common[6], common[7]], little);
            let kind = (info >> 24) & 0x1f;
            let vlen = info & 0xffff;
            let extra = extra_len(kind, vlen).ok_or(BtfError::UnknownKind { id, kind })?;
            let end = at + 12 + extra;
            if end > types.len() {
                return Err(BtfError::TypePastEnd {
                    id,
                    kind,
                    at,
                    len: types.len(),
                });
            }
            records.push((layer_index, at as u32));
            at = end;
        }
        let btf = Btf { layers, records };
        btf.check_layer(layer_index as usize)?;
        Ok(btf)
    }

    /// The last type ID.
    pub fn last_id(&self) -> u32 {
        self.records.len() as u32
    }

    /// How many types of each kind the object has (index: kind number),
    /// a split file's base included.
    pub fn kind_counts(&self) -> [usize; 20] {
        let mut counts = [0usize; 20];
        for id in 1..=self.last_id() {
            if let Ok(r) = self.record(id) {
                counts[r.kind as usize] += 1;
            }
        }
        counts
    }

    /// The record of type `id` (1 to [`Btf::last_id`]).
    pub fn record(&self, id: u32) -> Result<Record<'d>, BtfError> {
        let &(layer, at) = id
            .checked_sub(1)
            .and_then(|i| self.records.get(i as usize))
            .ok_or(BtfError::BadReference {
                id,
                target: id,
                last: self.last_id(),
            })?;
        let layer = self.layers[layer as usize];
        let at = at as usize;
        let common = &layer.types[at..at + 12];
        let word = |i: usize| {
            read_u32(
                [common[i], common[i + 1], common[i + 2], common[i + 3]],
                layer.little,
            )
        };
        let info = word(4);
        let kind = (info >> 24) & 0x1f;
        let vlen = info & 0xffff;
        let extra = extra_len(kind, vlen).unwrap_or(0);
        Ok(Record {
            id,
            kind,
            vlen,
            kind_flag: info >> 31 == 1,
            name_off: word(0),
            size_or_type: word(8),
            extra: &layer.types[at + 12..at + 12 + extra],
            little: layer.little,
        })
    }

    /// The bytes of the string at `offset` (checked when parsed).
    fn string(&self, offset: u32) -> &'d [u8] {
        let Some(layer) = self.layers.iter().rev().find(|l| l.first_string <= offset) else {
            return b"";
        };
        let start = (offset - layer.first_string) as usize;
        let rest = layer.strings.get(start..).unwrap_or_default();
        let end = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
        &rest[..end]
    }

    /// A record's name, raw.
    pub fn name_bytes(&self, record: &Record<'_>) -> &'d [u8] {
        self.string(record.name_off)
    }

    /// A record's name, made safe to show; `None` when it has none.
    fn name(&self, record: &Record<'_>) -> Option<String> {
        let raw = self.name_bytes(record);
        (!raw.is_empty()).then(|| text::shown(&String::from_utf8_lossy(raw)))
    }

    /// Checks every record of one layer: name offsets inside the strings,
    /// type references at most the last ID.
    fn check_layer(&self, layer: usize) -> Result<(), BtfError> {
        let strings_end = self
            .layers
            .last()
            .map_or(0, |l| l.first_string as usize + l.strings.len());
        let first = self.layers[layer].first_id;
        let last = self.last_id();
        for id in first..=last {
            let r = self.record(id)?;
            let name = |offset: u32| {
                if (offset as usize) < strings_end.max(1) || offset == 0 {
                    Ok(())
                } else {
                    Err(BtfError::StringOutside {
                        id,
                        offset,
                        len: strings_end,
                    })
                }
            };
            let reference = |target: u32| {
                if target <= last {
                    Ok(())
                } else {
                    Err(BtfError::BadReference { id, target, last })
                }
            };
            name(r.name_off)?;
            match r.kind {
                PTR | TYPEDEF | VOLATILE | CONST | RESTRICT | FUNC | VAR | DECL_TAG | TYPE_TAG => {
                    reference(r.size_or_type)?
                }
                ARRAY => {
                    reference(r.word(0))?;
                    reference(r.word(1))?;
                }
                STRUCT | UNION => {
                    for m in 0..r.vlen as usize {
                        name(r.word(3 * m))?;
                        reference(r.word(3 * m + 1))?;
                    }
                }
                ENUM => {
                    for m in 0..r.vlen as usize {
                        name(r.word(2 * m))?;
                    }
                }
                ENUM64 => {
                    for m in 0..r.vlen as usize {
                        name(r.word(3 * m))?;
                    }
                }
                FUNC_PROTO => {
                    reference(r.size_or_type)?;
                    for m in 0..r.vlen as usize {
                        name(r.word(2 * m))?;
                        reference(r.word(2 * m + 1))?;
                    }
                }
                DATASEC => {
                    for m in 0..r.vlen as usize {
                        reference(r.word(3 * m))?;
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// For each of `names`, the IDs of the struct and union definitions of
    /// that name and the typedefs of that name, in ID order: one pass over
    /// every type, names compared as bytes.
    pub fn named(&self, names: &[String]) -> Vec<(Vec<u32>, Vec<u32>)> {
        let mut out = vec![(Vec::new(), Vec::new()); names.len()];
        for id in 1..=self.last_id() {
            let Ok(r) = self.record(id) else { continue };
            if !matches!(r.kind, STRUCT | UNION | TYPEDEF) || r.name_off == 0 {
                continue;
            }
            let name = self.name_bytes(&r);
            for (i, wanted) in names.iter().enumerate() {
                if name == wanted.as_bytes() {
                    if r.kind == TYPEDEF {
                        out[i].1.push(id);
                    } else {
                        out[i].0.push(id);
                    }
                }
            }
        }
        out
    }

    /// Whether typedef `id` leads (through typedefs, qualifiers and type
    /// tags) to a struct or union definition.
    pub fn typedef_of_struct(&self, id: u32) -> bool {
        let Ok(r) = self.record(id) else {
            return false;
        };
        let mut next = r.size_or_type;
        for _ in 0..MAX_TYPEDEF_STEPS {
            match self.record(next) {
                Ok(t) if matches!(t.kind, STRUCT | UNION) => return true,
                Ok(t) if matches!(t.kind, TYPEDEF | CONST | VOLATILE | TYPE_TAG) => {
                    next = t.size_or_type
                }
                _ => return false,
            }
        }
        false
    }

    /// The IDs of the struct and union definitions named `name`, in ID
    /// order.
    pub fn structs_named(&self, name: &str) -> Vec<u32> {
        (1..=self.last_id())
            .filter(|&id| {
                self.record(id).is_ok_and(|r| {
                    matches!(r.kind, STRUCT | UNION) && self.name_bytes(&r) == name.as_bytes()
                })
            })
            .collect()
    }

    /// The first typedef named `name` that leads (through typedefs,
    /// qualifiers and type tags) to a struct or union definition.
    pub fn typedef_named(&self, name: &str) -> Option<u32> {
        (1..=self.last_id()).find(|&id| {
            self.record(id)
                .is_ok_and(|r| r.kind == TYPEDEF && self.name_bytes(&r) == name.as_bytes())
                && self.typedef_of_struct(id)
        })
    }
}

/// Turns BTF types into [`CType`]s for one target.
pub struct Resolver<'b, 'd> {
    btf: &'b Btf<'d>,
    target: Target,
    stack: Vec<u32>,
    visited: usize,
}

impl<'b, 'd> Resolver<'b, 'd> {
    /// A resolver laying out for `target`.
    pub fn new(btf: &'b Btf<'d>, target: Target) -> Self {
        Resolver {
            btf,
            target,
            stack: Vec::new(),
            visited: 0,
        }
    }

    /// The type `id`, laid out; bounded in depth and visits, cycles
    /// refused.
    pub fn resolve(&mut self, id: u32, depth: usize) -> Result<CType, BtfError> {
        if depth > MAX_TYPE_DEPTH {
            return Err(BtfError::TooDeep {
                id,
                limit: MAX_TYPE_DEPTH,
            });
        }
        self.visited += 1;
        if self.visited > MAX_ENTRIES {
            return Err(BtfError::TooManyVisits { limit: MAX_ENTRIES });
        }
        if self.stack.contains(&id) {
            return Err(BtfError::Cycle { id });
        }
        self.stack.push(id);
        let result = self.resolve_record(id, depth);
        self.stack.pop();
        result
    }

    fn scalar_align(&self, scalar: Option<Scalar>, size: u64) -> u64 {
        match scalar {
            Some(s) => self.target.scalar_align(s),
            None => CType::odd_scalar_align(size, self.target),
        }
    }

    fn bad(&self, r: &Record<'_>, problem: String) -> BtfError {
        BtfError::BadType {
            id: r.id,
            what: match self.btf.name(r) {
                Some(name) => format!("{} {name}", r.kind_name()),
                None => r.kind_name().to_string(),
            },
            problem,
        }
    }

    fn resolve_record(&mut self, id: u32, depth: usize) -> Result<CType, BtfError> {
        if id == 0 {
            return Err(BtfError::NotAType { id, kind: "void" });
        }
        let r = self.btf.record(id)?;
        let name = self.btf.name(&r);
        match r.kind {
            INT => {
                let size = u64::from(r.size_or_type);
                if !matches!(size, 1 | 2 | 4 | 8 | 16) {
                    return Err(self.bad(&r, format!("an integer of {size} bytes")));
                }
                let encoding = r.word(0) >> 24;
                let scalar = if encoding & INT_BOOL != 0 {
                    CType::scalar_for(gimli::DW_ATE_boolean, size)
                } else if encoding & INT_SIGNED != 0 {
                    CType::scalar_for(gimli::DW_ATE_signed, size)
                } else {
                    CType::scalar_for(gimli::DW_ATE_unsigned, size)
                };
                // `signed char` and `unsigned char` are named so.
                let plain_char = size == 1 && name.as_deref() == Some("char");
                Ok(CType {
                    c_name: name.unwrap_or_else(|| format!("<{size}-byte integer>")),
                    size,
                    align: self.scalar_align(scalar, size),
                    kind: TypeKind::Scalar { scalar, plain_char },
                })
            }
            FLOAT => {
                let size = u64::from(r.size_or_type);
                if !matches!(size, 2 | 4 | 8 | 10 | 12 | 16) {
                    return Err(self.bad(&r, format!("a float of {size} bytes")));
                }
                let scalar = CType::scalar_for(gimli::DW_ATE_float, size);
                Ok(CType {
                    c_name: name.unwrap_or_else(|| format!("<{size}-byte float>")),
                    size,
                    align: self.scalar_align(scalar, size),
                    kind: TypeKind::Scalar {
                        scalar,
                        plain_char: false,
                    },
                })
            }
            ENUM | ENUM64 => {
                let size = u64::from(r.size_or_type);
                if !matches!(size, 1 | 2 | 4 | 8) {
                    return Err(self.bad(&r, format!("an enum of {size} bytes")));
                }
                let encoding = if r.kind_flag {
                    gimli::DW_ATE_signed
                } else {
                    gimli::DW_ATE_unsigned
                };
                let scalar = CType::scalar_for(encoding, size);
                Ok(CType {
                    c_name: format!("enum {}", name.as_deref().unwrap_or("{...}")),
                    size,
                    align: self.scalar_align(scalar, size),
                    kind: TypeKind::Scalar {
                        scalar,
                        plain_char: false,
                    },
                })
            }
            PTR => {
                let size = self.target.pointer_size();
                Ok(CType {
                    c_name: format!("{} *", self.type_name(r.size_or_type, 0)),
                    size,
                    align: self.target.scalar_align(Scalar::Ptr),
                    kind: TypeKind::Pointer,
                })
            }
            ARRAY => {
                let element = self.resolve(r.word(0), depth + 1)?;
                let count = u64::from(r.word(2));
                let size = count
                    .checked_mul(element.size)
                    .filter(|&s| s <= MAX_OBJECT_SIZE)
                    .ok_or_else(|| {
                        self.bad(
                            &r,
                            format!(
                                "{count} elements of {} bytes is more than {MAX_OBJECT_SIZE} bytes",
                                element.size
                            ),
                        )
                    })?;
                let len = (count > 0).then_some(count);
                Ok(CType::array_of(element, len, size))
            }
            STRUCT | UNION => {
                let s = self.resolve_struct(&r, depth)?;
                Ok(CType::aggregate(s))
            }
            FWD => Err(BtfError::Declaration {
                kind: if r.kind_flag { "union" } else { "struct" },
                name: name.unwrap_or_else(|| "(anonymous)".into()),
                id,
            }),
            TYPEDEF => {
                let mut inner = self.resolve(r.size_or_type, depth + 1)?;
                if let Some(name) = name {
                    inner.c_name = name;
                }
                Ok(inner)
            }
            CONST | VOLATILE | RESTRICT | TYPE_TAG => {
                let mut inner = self.resolve(r.size_or_type, depth + 1)?;
                let qualifier = match r.kind {
                    CONST => "const",
                    VOLATILE => "volatile",
                    // restrict is meaningless on a member; a type tag
                    // (`__user`, `__rcu`) is an annotation, not C.
                    _ => "",
                };
                if !qualifier.is_empty() {
                    inner.c_name = model::qualified(qualifier, &inner.c_name);
                }
                Ok(inner)
            }
            _ => Err(BtfError::NotAType {
                id,
                kind: r.kind_name(),
            }),
        }
    }

    /// A short C spelling of type `id`, without laying it out (pointees
    /// may point back at the struct being resolved).
    fn type_name(&mut self, id: u32, depth: usize) -> String {
        if id == 0 {
            return "void".into();
        }
        if depth > MAX_TYPE_NAME_DEPTH {
            return "...".into();
        }
        let Ok(r) = self.btf.record(id) else {
            return "?".into();
        };
        let name = self.btf.name(&r);
        let named = |keyword: &str| format!("{keyword} {}", name.as_deref().unwrap_or("{...}"));
        match r.kind {
            INT | FLOAT | TYPEDEF => name.unwrap_or_else(|| "?".into()),
            STRUCT => named("struct"),
            UNION => named("union"),
            ENUM | ENUM64 => named("enum"),
            FWD if r.kind_flag => named("union"),
            FWD => named("struct"),
            PTR => format!("{} *", self.type_name(r.size_or_type, depth + 1)),
            CONST => model::qualified("const", &self.type_name(r.size_or_type, depth + 1)),
            VOLATILE => model::qualified("volatile", &self.type_name(r.size_or_type, depth + 1)),
            ARRAY => format!("{}[]", self.type_name(r.word(0), depth + 1)),
            FUNC_PROTO => "fn".into(),
            _ => self.type_name(r.size_or_type, depth + 1),
        }
    }

    /// An integer member's bits when the old encoding (no kind_flag) makes
    /// it a bitfield: the INT's `nr_bits` below its size, or a bit offset
    /// inside it.
    fn int_bits(&self, mut id: u32) -> Option<(u64, u64)> {
        for _ in 0..MAX_TYPEDEF_STEPS {
            let r = self.btf.record(id).ok()?;
            match r.kind {
                TYPEDEF | CONST | VOLATILE | TYPE_TAG | RESTRICT => id = r.size_or_type,
                INT => {
                    let data = r.word(0);
                    let bits = u64::from(data & 0xff);
                    let offset = u64::from((data >> 16) & 0xff);
                    let size_bits = u64::from(r.size_or_type) * 8;
                    return (bits != size_bits || offset != 0).then_some((offset, bits));
                }
                _ => return None,
            }
        }
        None
    }

    fn resolve_struct(&mut self, r: &Record<'_>, depth: usize) -> Result<CStruct, BtfError> {
        let kind = if r.kind == UNION {
            Kind::Union
        } else {
            Kind::Struct
        };
        let name = self.btf.name(r);
        let shown = name
            .clone()
            .unwrap_or_else(|| format!("anonymous {}", kind.keyword()));
        let size = u64::from(r.size_or_type);
        if size > MAX_OBJECT_SIZE {
            return Err(self.bad(
                r,
                format!("{size} bytes is more than {MAX_OBJECT_SIZE} bytes"),
            ));
        }
        let mut members = Vec::with_capacity(r.vlen as usize);
        for m in 0..r.vlen as usize {
            let member_name = {
                let raw = self.btf.string(r.word(3 * m));
                (!raw.is_empty()).then(|| text::shown(&String::from_utf8_lossy(raw)))
            };
            let type_id = r.word(3 * m + 1);
            let offset_word = r.word(3 * m + 2);
            let ty = self.resolve(type_id, depth + 1)?;
            let (bit_offset, bit_size) = if r.kind_flag {
                (
                    u64::from(offset_word & 0x00ff_ffff),
                    u64::from(offset_word >> 24),
                )
            } else {
                match self.int_bits(type_id) {
                    Some((inner, bits)) => (u64::from(offset_word) + inner, bits),
                    None => (u64::from(offset_word), 0),
                }
            };
            let (offset, member_size, bits) = if bit_size > 0 {
                let bytes = (bit_offset % 8 + bit_size).div_ceil(8);
                (
                    bit_offset / 8,
                    bytes,
                    Some(Bits {
                        bit_offset,
                        bit_size,
                    }),
                )
            } else {
                if bit_offset % 8 != 0 {
                    return Err(self.bad(
                        r,
                        format!(
                            "member `{}` starts at bit {bit_offset}, inside a byte, and is no bitfield",
                            member_name.as_deref().unwrap_or("(anonymous)")
                        ),
                    ));
                }
                (bit_offset / 8, ty.size, None)
            };
            if offset.checked_add(member_size).is_none_or(|end| end > size) {
                return Err(BtfError::Outside {
                    id: r.id,
                    name: shown,
                    member: member_name.unwrap_or_else(|| "(anonymous)".into()),
                    bit_offset,
                    size: member_size,
                    struct_size: size,
                });
            }
            members.push(Member {
                name: member_name,
                align: ty.align,
                ty,
                offset,
                size: member_size,
                explicit_align: None,
                bits,
            });
        }
        let (mut align, packed) =
            model::struct_alignment(&members, size, None, self.target.bitfield_rules());
        // BTF records no alignment: a struct that `____cacheline_aligned`
        // members (or an `aligned` attribute) make longer than its members
        // explain reads as aligned as the least alignment that explains its
        // size, said as an explicit one.
        let mut explicit_align = None;
        let end = members.iter().map(Member::end).max().unwrap_or(0);
        if !packed && size > 0 && end.next_multiple_of(align) < size {
            let mut wider = align;
            while wider < MAX_ALIGN && end.next_multiple_of(wider) < size {
                wider *= 2;
            }
            if end.next_multiple_of(wider) == size {
                align = wider;
                explicit_align = Some(wider);
            }
        }
        Ok(CStruct {
            name,
            kind,
            size,
            align,
            explicit_align,
            packed,
            members,
        })
    }
}

/// Where the BTF of `path` extends another: the explicit base, or, for a
/// module's file under `/sys/kernel/btf/`, the kernel's.
fn base_of(path: &Path, options: &Options) -> Option<PathBuf> {
    if let Some(base) = &options.btf_base {
        return Some(base.clone());
    }
    let kernel = Path::new(KERNEL_BTF);
    let dir = kernel.parent()?;
    (path.parent() == Some(dir) && path != kernel).then(|| kernel.to_path_buf())
}

/// The BTF bytes of a file: the whole file when it is raw BTF, an ELF
/// file's `.BTF` section; with the target the ELF header says.
type BtfBytes<'i> = (std::borrow::Cow<'i, [u8]>, Option<Target>);

fn btf_bytes<'i>(path: &Path, input: &'i Input) -> Result<BtfBytes<'i>, Error> {
    if is_raw_btf(input) {
        return Ok((std::borrow::Cow::Borrowed(&input[..]), None));
    }
    if input.get(..4) != Some(b"\x7fELF") {
        return Err(Error::NoBtf {
            path: path.to_path_buf(),
        });
    }
    let file = crate::elf::parse(path, input)?;
    let target = crate::elf::target(path, input)?;
    let section = file
        .sections()
        .find(|s| s.name() == Ok(".BTF"))
        .ok_or_else(|| Error::NoBtf {
            path: path.to_path_buf(),
        })?;
    let data = crate::elf::section_data(&section).map_err(|source| Error::Section {
        path: path.to_path_buf(),
        name: ".BTF".into(),
        source,
    })?;
    Ok((data, Some(target)))
}

/// Reads `groups` (alternatives, as [`crate::read_first_defined`] takes
/// them) from the BTF of `path`.
pub fn read(path: &Path, groups: &[Vec<String>], options: &Options) -> Result<Dump, Error> {
    let input = Input::open(path)?;
    let base_path = base_of(path, options);
    let base_input = match &base_path {
        Some(base) => Some(Input::open(base)?),
        None => None,
    };
    let result = (|| {
        let base = match (&base_path, &base_input) {
            (Some(p), Some(i)) => Some((p.as_path(), btf_bytes(p, i)?.0)),
            _ => None,
        };
        let (data, elf_target) = btf_bytes(path, &input)?;
        read_bytes_for(
            path,
            &data,
            base.as_ref().map(|(p, d)| (*p, d.as_ref())),
            groups,
            options,
            elf_target.unwrap_or_else(host_target),
        )
    })();
    input.check(path)?;
    if let (Some(p), Some(i)) = (&base_path, &base_input) {
        i.check(p)?;
    }
    result
}

/// The struct and union names of the BTF of `path` ([`struct_names`]),
/// split BTF over its base.
pub fn names_of_file(path: &Path, options: &Options) -> Result<Vec<String>, Error> {
    let input = Input::open(path)?;
    let base_path = base_of(path, options);
    let base_input = match &base_path {
        Some(base) => Some(Input::open(base)?),
        None => None,
    };
    let btf_error = |path: &Path| {
        let path = path.to_path_buf();
        move |source: BtfError| Error::Btf {
            path: path.clone(),
            source,
        }
    };
    let names = (|| {
        let base_bytes = match (&base_path, &base_input) {
            (Some(p), Some(i)) => Some((p.as_path(), btf_bytes(p, i)?.0)),
            _ => None,
        };
        let base = match &base_bytes {
            Some((p, bytes)) => Some(Btf::parse(bytes, None).map_err(btf_error(p))?),
            None => None,
        };
        let (data, _) = btf_bytes(path, &input)?;
        let btf = Btf::parse(&data, base.as_ref()).map_err(btf_error(path))?;
        Ok(struct_names(&btf))
    })();
    input.check(path)?;
    names
}

/// Reads `groups` from raw BTF bytes (`data`, named `name`), over a base
/// (its path, for messages, and bytes), for the machine this runs on.
pub fn read_bytes(
    name: &Path,
    data: &[u8],
    base: Option<(&Path, &[u8])>,
    groups: &[Vec<String>],
    options: &Options,
) -> Result<Dump, Error> {
    read_bytes_for(name, data, base, groups, options, host_target())
}

/// [`read_bytes`] for `target`.
pub fn read_bytes_for(
    name: &Path,
    data: &[u8],
    base: Option<(&Path, &[u8])>,
    groups: &[Vec<String>],
    options: &Options,
    target: Target,
) -> Result<Dump, Error> {
    let btf_error = |path: &Path| {
        let path = path.to_path_buf();
        move |source: BtfError| Error::Btf {
            path: path.clone(),
            source,
        }
    };
    let base = match base {
        Some((path, bytes)) => Some(Btf::parse(bytes, None).map_err(btf_error(path))?),
        None => None,
    };
    let btf = Btf::parse(data, base.as_ref()).map_err(btf_error(name))?;
    let error = btf_error(name);
    let query_error = |source: QueryError| Error::Query {
        path: name.to_path_buf(),
        source,
    };
    let roots = roots_of(groups).map_err(query_error)?;
    let named = btf.named(&roots);
    let mut resolver = Resolver::new(&btf, target);
    let mut structs = Vec::new();
    let mut missing = Vec::new();
    let mut uncompared = 0;
    for group in groups {
        let mut found_one = None;
        let mut tried = Vec::new();
        for query in group {
            let root = root_of(query);
            let Some((tags, typedefs)) = roots.iter().position(|r| r == root).map(|i| &named[i])
            else {
                continue;
            };
            let typedef = || typedefs.iter().copied().find(|&t| btf.typedef_of_struct(t));
            let Some(id) = tags.first().copied().or_else(typedef) else {
                tried.push(query.clone());
                continue;
            };
            resolver.visited = 0;
            let top = resolver.resolve(id, 0).map_err(&error)?;
            match follow_path(top, query).map_err(query_error)? {
                PathEnd::Found(mut found) => {
                    if options.every_definition && !query.contains('.') && tags.len() > 1 {
                        let (others, left) =
                            other_definitions(&mut resolver, &found.layout, &tags[1..])
                                .map_err(&error)?;
                        found.others = others;
                        uncompared += left;
                    }
                    found_one = Some(found);
                    break;
                }
                PathEnd::Missing(walked) => tried.push(walked),
            }
        }
        match found_one {
            Some(found) => structs.push(found),
            None if group.len() == 1 => missing.extend(tried),
            None => missing.push(group.join("|")),
        }
    }
    if !missing.is_empty() {
        return Err(Error::NotFound {
            path: name.to_path_buf(),
            names: missing.iter().map(|n| text::shown(n)).collect(),
            format: Format::Btf.name(),
        });
    }
    Ok(Dump {
        file: name.to_path_buf(),
        debug_file: name.to_path_buf(),
        target,
        format: Format::Btf,
        structs,
        units: btf.last_id() as usize,
        uncompared,
    })
}

/// The definitions among `ids` that differ from `taken`, one per layout,
/// with the number of layouts left past [`MAX_DEFINITIONS_COMPARED`].
fn other_definitions(
    resolver: &mut Resolver<'_, '_>,
    taken: &CStruct,
    ids: &[u32],
) -> Result<(Vec<OtherDefinition>, usize), BtfError> {
    let mut out: Vec<OtherDefinition> = Vec::new();
    let mut left = 0;
    for &id in ids {
        resolver.visited = 0;
        let TypeKind::Aggregate(layout) = resolver.resolve(id, 0)?.kind else {
            continue;
        };
        if *layout == *taken {
            continue;
        }
        if let Some(same) = out.iter_mut().find(|o| o.layout == *layout) {
            same.count += 1;
        } else if out.len() < MAX_DEFINITIONS_COMPARED {
            out.push(OtherDefinition {
                layout: *layout,
                place: format!("type {id}"),
                count: 1,
            });
        } else {
            left += 1;
        }
    }
    Ok((out, left))
}

/// The names of every named struct and union of a BTF object, sorted,
/// each once.
pub fn struct_names(btf: &Btf<'_>) -> Vec<String> {
    let mut names: Vec<String> = (1..=btf.last_id())
        .filter_map(|id| btf.record(id).ok())
        .filter(|r| matches!(r.kind, STRUCT | UNION))
        .filter_map(|r| btf.name(&r))
        .collect();
    names.sort_unstable();
    names.dedup();
    names
}

/// Every struct and union of a BTF object laid out, for tests and
/// benchmarks that compare a whole kernel: (ID, layout) in ID order, or
/// the first error.
pub fn all_structs(btf: &Btf<'_>, target: Target) -> Vec<(u32, Result<CStruct, BtfError>)> {
    let mut resolver = Resolver::new(btf, target);
    (1..=btf.last_id())
        .filter(|&id| {
            btf.record(id)
                .is_ok_and(|r| matches!(r.kind, STRUCT | UNION))
        })
        .map(|id| {
            resolver.visited = 0;
            resolver.stack.clear();
            let layout = resolver.resolve(id, 0).and_then(|ty| match ty.kind {
                TypeKind::Aggregate(s) => Ok(*s),
                _ => Err(BtfError::NotAType { id, kind: "?" }),
            });
            (id, layout)
        })
        .collect()
}
