//! From a DWARF entry to a [`CType`]: typedef chains, qualifiers, arrays,
//! enums, nested and anonymous structs and unions, bitfields, type units.
//! Every step is bounded: the depth of a type chain, the entries visited,
//! the members of one struct, and the size of every object; a reference
//! back into a type being resolved is a cycle, and an error.

use std::collections::HashMap;

use abi_spec::limits::{
    MAX_ALIGN, MAX_ENTRIES, MAX_MEMBERS, MAX_OBJECT_SIZE, MAX_TYPE_DEPTH, MAX_TYPE_NAME_DEPTH,
};
use abi_spec::{Scalar, Target};
use gimli::constants::*;
use gimli::{AttributeValue, DebuggingInformationEntry, Unit, UnitHeader, UnitOffset};

use crate::error::DwarfError;
use crate::model::{self, Bits, CStruct, CType, Kind, Member, TypeKind};
use crate::Slice;

/// An entry: the unit (an index into the headers) and its offset there.
pub type Loc = (usize, UnitOffset<usize>);

type Entry<'a> = DebuggingInformationEntry<Slice<'a>>;

/// Resolves types, caching parsed units.
pub struct Resolver<'r, 'a> {
    dwarf: &'r gimli::Dwarf<Slice<'a>>,
    headers: &'r [UnitHeader<Slice<'a>>],
    target: Target,
    units: HashMap<usize, Unit<Slice<'a>>>,
    signatures: Option<HashMap<u64, Loc>>,
    stack: Vec<Loc>,
    visited: usize,
    little: bool,
}

impl<'r, 'a> Resolver<'r, 'a> {
    /// A resolver over `headers` (`.debug_info` units first, in offset order,
    /// then `.debug_types` units).
    pub fn new(
        dwarf: &'r gimli::Dwarf<Slice<'a>>,
        headers: &'r [UnitHeader<Slice<'a>>],
        target: Target,
        little: bool,
    ) -> Self {
        Resolver {
            dwarf,
            headers,
            target,
            units: HashMap::new(),
            signatures: None,
            stack: Vec::new(),
            visited: 0,
            little,
        }
    }

    /// Starts the count of entries read over, for the next struct.
    pub fn reset(&mut self) {
        self.visited = 0;
        self.stack.clear();
    }

    /// Where an entry is, for messages: its section offset.
    pub fn describe(&self, loc: Loc) -> String {
        let header = &self.headers[loc.0];
        let section = if header.debug_info_offset().is_some() {
            ".debug_info"
        } else {
            ".debug_types"
        };
        let base = header.offset().0;
        format!("{section}+{:#x}", base.saturating_add(loc.1 .0))
    }

    fn unit(&mut self, index: usize) -> Result<&Unit<Slice<'a>>, DwarfError> {
        if !self.units.contains_key(&index) {
            let header = *self.headers.get(index).ok_or(DwarfError::NoUnit(index))?;
            let unit = self.dwarf.unit(header).map_err(|source| DwarfError::Read {
                what: "unit",
                at: format!("unit {index}"),
                source,
            })?;
            self.units.insert(index, unit);
        }
        self.units.get(&index).ok_or(DwarfError::NoUnit(index))
    }

    fn entry(&mut self, loc: Loc) -> Result<Entry<'a>, DwarfError> {
        self.tick()?;
        let describe = self.describe(loc);
        let unit = self.unit(loc.0)?;
        unit.entry(loc.1).map_err(|source| DwarfError::Read {
            what: "entry",
            at: describe,
            source,
        })
    }

    fn children(&mut self, loc: Loc) -> Result<Vec<Entry<'a>>, DwarfError> {
        let describe = self.describe(loc);
        let unit = self.unit(loc.0)?;
        let error = |source: gimli::Error| DwarfError::Read {
            what: "children",
            at: describe.clone(),
            source,
        };
        let mut tree = unit.entries_tree(Some(loc.1)).map_err(error)?;
        let root = tree.root().map_err(error)?;
        let mut iter = root.children();
        let mut out = Vec::new();
        while let Some(child) = iter.next().map_err(error)? {
            if out.len() >= MAX_MEMBERS {
                return Err(DwarfError::TooManyChildren {
                    at: describe,
                    limit: MAX_MEMBERS,
                });
            }
            out.push(child.entry().clone());
        }
        self.visited = self.visited.saturating_add(out.len());
        self.tick()?;
        Ok(out)
    }

    fn tick(&mut self) -> Result<(), DwarfError> {
        self.visited += 1;
        if self.visited > MAX_ENTRIES {
            return Err(DwarfError::TooManyEntries { limit: MAX_ENTRIES });
        }
        Ok(())
    }

    /// A name from the file, escaped and cut for people (see
    /// [`crate::text::shown`]).
    fn string(&mut self, unit: usize, entry: &Entry<'a>, at: gimli::DwAt) -> Option<String> {
        let value = entry.attr_value(at)?;
        let dwarf = self.dwarf;
        let unit = self.unit(unit).ok()?;
        let s = dwarf.attr_string(unit, value).ok()?;
        Some(crate::text::shown(&String::from_utf8_lossy(s.slice())))
    }

    /// The entry a reference attribute of an entry in unit `unit` points at.
    fn reference(
        &mut self,
        unit: usize,
        value: AttributeValue<Slice<'a>>,
    ) -> Result<Loc, DwarfError> {
        match value {
            AttributeValue::UnitRef(offset) => Ok((unit, offset)),
            AttributeValue::DebugInfoRef(offset) => {
                // .debug_info units come first, in offset order.
                let infos = self
                    .headers
                    .partition_point(|h| h.debug_info_offset().is_some());
                let position = self.headers[..infos]
                    .partition_point(|h| h.debug_info_offset().is_some_and(|o| o.0 <= offset.0));
                let outside = DwarfError::ReferenceOutside { offset: offset.0 };
                let index = position.checked_sub(1).ok_or(outside)?;
                let header = &self.headers[index];
                let local = offset
                    .to_unit_offset(header)
                    .ok_or(DwarfError::ReferenceOutside { offset: offset.0 })?;
                Ok((index, local))
            }
            AttributeValue::DebugTypesRef(signature) => {
                if self.signatures.is_none() {
                    let mut map = HashMap::new();
                    for (index, header) in self.headers.iter().enumerate() {
                        if let gimli::UnitType::Type {
                            type_signature,
                            type_offset,
                        } = header.type_()
                        {
                            map.entry(type_signature.0).or_insert((index, type_offset));
                        }
                    }
                    self.signatures = Some(map);
                }
                self.signatures
                    .as_ref()
                    .and_then(|m| m.get(&signature.0).copied())
                    .ok_or(DwarfError::NoTypeUnit {
                        signature: signature.0,
                    })
            }
            other => Err(DwarfError::UnsupportedReference {
                form: form_name(&other),
            }),
        }
    }

    fn type_of(&mut self, loc: Loc, entry: &Entry<'a>) -> Result<Option<Loc>, DwarfError> {
        match entry.attr_value(DW_AT_type) {
            Some(value) => self.reference(loc.0, value).map(Some),
            None => Ok(None),
        }
    }

    /// The type at `loc`, resolved for layout.
    pub fn resolve(&mut self, loc: Loc, depth: usize) -> Result<CType, DwarfError> {
        if depth > MAX_TYPE_DEPTH {
            return Err(DwarfError::TooDeep {
                at: self.describe(loc),
                limit: MAX_TYPE_DEPTH,
            });
        }
        if self.stack.contains(&loc) {
            return Err(DwarfError::Cycle {
                at: self.describe(loc),
            });
        }
        self.stack.push(loc);
        let result = self.resolve_entry(loc, depth);
        self.stack.pop();
        result
    }

    fn resolve_entry(&mut self, loc: Loc, depth: usize) -> Result<CType, DwarfError> {
        let entry = self.entry(loc)?;
        let here = self.describe(loc);
        let name = self.string(loc.0, &entry, DW_AT_name);
        let byte_size = entry.attr(DW_AT_byte_size).and_then(|a| a.udata_value());
        match entry.tag() {
            DW_TAG_base_type => {
                let size =
                    byte_size.ok_or_else(|| incomplete("base type", &here, "has no size"))?;
                let encoding = match entry.attr_value(DW_AT_encoding) {
                    Some(AttributeValue::Encoding(e)) => Some(e),
                    _ => None,
                };
                let scalar = encoding.and_then(|e| CType::scalar_for(e, size));
                // `signed char` and `unsigned char` share the encodings;
                // only the name tells plain `char`.
                let plain_char = size == 1
                    && matches!(encoding, Some(DW_ATE_signed_char | DW_ATE_unsigned_char))
                    && name.as_deref() == Some("char");
                Ok(CType {
                    c_name: name.unwrap_or_else(|| format!("<{size}-byte base type>")),
                    size,
                    align: self.scalar_align(scalar, size),
                    kind: TypeKind::Scalar { scalar, plain_char },
                })
            }
            DW_TAG_typedef => {
                let target = self.type_of(loc, &entry)?.ok_or_else(|| {
                    incomplete("typedef of void", &here, "is used as a member type")
                })?;
                let mut inner = self.resolve(target, depth + 1)?;
                if let Some(name) = name {
                    inner.c_name = name;
                }
                // `typedef __u64 compat_u64 __attribute__((aligned(4)))`:
                // gcc and clang record the typedef's alignment, which may
                // be below its type's.
                if let Some(align) = alignment(&entry, || format!("typedef at {here}"))? {
                    inner.align = align;
                }
                Ok(inner)
            }
            DW_TAG_const_type
            | DW_TAG_volatile_type
            | DW_TAG_restrict_type
            | DW_TAG_atomic_type
            | DW_TAG_immutable_type => {
                let target = self.type_of(loc, &entry)?.ok_or_else(|| {
                    incomplete("qualified void", &here, "is used as a member type")
                })?;
                let mut inner = self.resolve(target, depth + 1)?;
                let qualifier = match entry.tag() {
                    DW_TAG_const_type => "const",
                    DW_TAG_volatile_type => "volatile",
                    DW_TAG_atomic_type => "_Atomic",
                    _ => "",
                };
                if !qualifier.is_empty() {
                    inner.c_name = model::qualified(qualifier, &inner.c_name);
                }
                Ok(inner)
            }
            DW_TAG_pointer_type
            | DW_TAG_reference_type
            | DW_TAG_rvalue_reference_type
            | DW_TAG_ptr_to_member_type => {
                let size = byte_size.unwrap_or(self.target.pointer_size());
                let pointee = match self.type_of(loc, &entry)? {
                    Some(target) => self.type_name(target, 0),
                    None => "void".to_string(),
                };
                let align = if size == self.target.pointer_size() {
                    self.target.scalar_align(Scalar::Ptr)
                } else {
                    CType::odd_scalar_align(size, self.target)
                };
                Ok(CType {
                    c_name: format!("{pointee} *"),
                    size,
                    align,
                    kind: TypeKind::Pointer,
                })
            }
            DW_TAG_enumeration_type => {
                let size = byte_size.ok_or_else(|| incomplete("enum", &here, "has no size"))?;
                let scalar = match self.type_of(loc, &entry)? {
                    Some(target) => match self.resolve(target, depth + 1)?.kind {
                        TypeKind::Scalar { scalar, .. } => scalar,
                        _ => None,
                    },
                    None => CType::scalar_for(DW_ATE_unsigned, size),
                };
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
            DW_TAG_array_type => self.resolve_array(loc, &entry, depth),
            DW_TAG_structure_type | DW_TAG_union_type | DW_TAG_class_type => {
                if let Some(signature) = entry.attr_value(DW_AT_signature) {
                    let target = self.reference(loc.0, signature)?;
                    return self.resolve(target, depth + 1);
                }
                let s = self.resolve_struct(loc, &entry, depth)?;
                Ok(CType::aggregate(s))
            }
            other => Err(DwarfError::NotAType {
                tag: other.static_string().unwrap_or("an unknown tag"),
                at: here,
            }),
        }
    }

    fn scalar_align(&self, scalar: Option<Scalar>, size: u64) -> u64 {
        match scalar {
            Some(s) => self.target.scalar_align(s),
            None => CType::odd_scalar_align(size, self.target),
        }
    }

    /// A short C spelling of the type at `loc`, without laying it out (for
    /// pointees, which may well point back at the struct being resolved).
    fn type_name(&mut self, loc: Loc, depth: usize) -> String {
        if depth > MAX_TYPE_NAME_DEPTH {
            return "...".to_string();
        }
        let Ok(entry) = self.entry(loc) else {
            return "?".to_string();
        };
        let name = self.string(loc.0, &entry, DW_AT_name);
        let inner = |this: &mut Self| match this.type_of(loc, &entry) {
            Ok(Some(target)) => this.type_name(target, depth + 1),
            Ok(None) => "void".to_string(),
            Err(_) => "?".to_string(),
        };
        match entry.tag() {
            DW_TAG_base_type | DW_TAG_typedef => name.unwrap_or_else(|| "?".into()),
            DW_TAG_structure_type => format!("struct {}", name.as_deref().unwrap_or("{...}")),
            DW_TAG_union_type => format!("union {}", name.as_deref().unwrap_or("{...}")),
            DW_TAG_class_type => format!("class {}", name.as_deref().unwrap_or("{...}")),
            DW_TAG_enumeration_type => format!("enum {}", name.as_deref().unwrap_or("{...}")),
            DW_TAG_pointer_type => format!("{} *", inner(self)),
            DW_TAG_const_type => model::qualified("const", &inner(self)),
            DW_TAG_volatile_type => model::qualified("volatile", &inner(self)),
            DW_TAG_array_type => format!("{}[]", inner(self)),
            DW_TAG_subroutine_type => "fn".to_string(),
            _ => inner(self),
        }
    }

    fn resolve_array(
        &mut self,
        loc: Loc,
        entry: &Entry<'a>,
        depth: usize,
    ) -> Result<CType, DwarfError> {
        let here = self.describe(loc);
        let element_loc = self
            .type_of(loc, entry)?
            .ok_or_else(|| incomplete("array", &here, "has no element type"))?;
        let element = self.resolve(element_loc, depth + 1)?;
        let mut dims: Vec<Option<u64>> = Vec::new();
        for child in self.children(loc)? {
            if child.tag() != DW_TAG_subrange_type && child.tag() != DW_TAG_enumeration_type {
                continue;
            }
            dims.push(bound(&child).map_err(|bound| DwarfError::AbsurdBound {
                at: here.clone(),
                bound,
            })?);
        }
        if dims.is_empty() {
            dims.push(None);
        }
        // `int ts[25][3]` lists its dimensions outermost first; the type
        // is built from the innermost out.
        let mut ty = element;
        for (i, len) in dims.iter().enumerate().rev() {
            if len.is_none() && i != 0 {
                return Err(DwarfError::UnboundedInner { at: here });
            }
            let size = match len {
                Some(n) => n
                    .checked_mul(ty.size)
                    .filter(|&s| s <= MAX_OBJECT_SIZE)
                    .ok_or_else(|| DwarfError::ArrayTooLarge {
                        at: here.clone(),
                        count: *n,
                        element_size: ty.size,
                        limit: MAX_OBJECT_SIZE,
                    })?,
                None => 0,
            };
            ty = CType::array_of(ty, *len, size);
        }
        Ok(ty)
    }

    /// Lays out the struct or union at `loc` as the compiler did.
    pub fn resolve_struct(
        &mut self,
        loc: Loc,
        entry: &Entry<'a>,
        depth: usize,
    ) -> Result<CStruct, DwarfError> {
        let here = self.describe(loc);
        let kind = if entry.tag() == DW_TAG_union_type {
            Kind::Union
        } else {
            Kind::Struct
        };
        let name = self.string(loc.0, entry, DW_AT_name);
        let shown = name
            .clone()
            .unwrap_or_else(|| format!("anonymous {}", kind.keyword()));
        if matches!(
            entry.attr_value(DW_AT_declaration),
            Some(AttributeValue::Flag(true))
        ) {
            return Err(DwarfError::Declaration {
                kind: kind.keyword(),
                name: shown,
                at: here,
            });
        }
        let size = entry
            .attr(DW_AT_byte_size)
            .and_then(|a| a.udata_value())
            .ok_or_else(|| incomplete(&shown, &here, "has no DW_AT_byte_size"))?;
        if size > MAX_OBJECT_SIZE {
            return Err(DwarfError::TooLarge {
                what: shown,
                at: here,
                size,
                limit: MAX_OBJECT_SIZE,
            });
        }
        let explicit_align = alignment(entry, || format!("{shown} at {here}"))?;
        let mut members = Vec::new();
        for child in self.children(loc)? {
            if child.tag() != DW_TAG_member {
                continue;
            }
            let member_name = self.string(loc.0, &child, DW_AT_name);
            let what = format!(
                "member `{}` of {shown} at {here}",
                member_name.as_deref().unwrap_or("(anonymous)")
            );
            let type_loc = self
                .type_of(loc, &child)?
                .ok_or_else(|| incomplete(&what, &here, "has no type"))?;
            let ty = self.resolve(type_loc, depth + 1)?;
            let member_align = alignment(&child, || what.clone())?;
            let location = match kind {
                Kind::Union => 0,
                Kind::Struct => member_location(&child)
                    .ok_or_else(|| DwarfError::BadLocation { what: what.clone() })?,
            };
            let bit_size = child.attr(DW_AT_bit_size).and_then(|a| a.udata_value());
            let (offset, member_size, bits) = match bit_size {
                Some(bit_size) => {
                    let bit_offset = bit_position(&child, location, bit_size, ty.size, self.little)
                        .ok_or_else(|| DwarfError::BitOverflow { what: what.clone() })?;
                    let first_byte = bit_offset / 8;
                    let bytes = (bit_offset % 8 + bit_size).div_ceil(8);
                    (
                        first_byte,
                        bytes,
                        Some(Bits {
                            bit_offset,
                            bit_size,
                        }),
                    )
                }
                None => (location, ty.size, None),
            };
            if offset.checked_add(member_size).is_none_or(|end| end > size) {
                return Err(DwarfError::Outside {
                    what,
                    offset,
                    size: member_size,
                    struct_size: size,
                    name: shown,
                });
            }
            // DW_AT_alignment is the member's alignment as compiled, lower
            // than its type's when the member is packed.
            let align = member_align.unwrap_or(ty.align);
            members.push(Member {
                name: member_name,
                ty,
                offset,
                size: member_size,
                align,
                explicit_align: member_align,
                bits,
            });
        }
        let (align, packed) =
            model::struct_alignment(&members, size, explicit_align, self.target.bitfield_rules());
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

/// The number of elements of one array dimension: `Some(0)` for GNU's
/// `[0]` (a count of 0, or an upper bound of -1), `None` when unbounded (a
/// flexible array member, a variable length).
fn bound(subrange: &Entry<'_>) -> Result<Option<u64>, i128> {
    let signed = |value: AttributeValue<Slice<'_>>| -> Option<i128> {
        match value {
            AttributeValue::Sdata(v) => Some(i128::from(v)),
            // A data4 or data8 of all ones is how producers say -1.
            AttributeValue::Data4(u32::MAX) | AttributeValue::Data8(u64::MAX) => Some(-1),
            AttributeValue::Udata(v) | AttributeValue::Data8(v) => Some(i128::from(v)),
            AttributeValue::Data1(v) => Some(i128::from(v)),
            AttributeValue::Data2(v) => Some(i128::from(v)),
            AttributeValue::Data4(v) => Some(i128::from(v)),
            _ => None,
        }
    };
    if let Some(count) = subrange.attr_value(DW_AT_count) {
        return match signed(count) {
            Some(n) if n >= 0 => u64::try_from(n).map(Some).map_err(|_| n),
            Some(_) => Ok(None),
            // A count given as an expression or a variable: a VLA.
            None => Ok(None),
        };
    }
    let Some(upper) = subrange.attr_value(DW_AT_upper_bound) else {
        return Ok(None);
    };
    let Some(upper) = signed(upper) else {
        return Ok(None);
    };
    let lower = subrange
        .attr_value(DW_AT_lower_bound)
        .and_then(signed)
        .unwrap_or(0);
    let len = upper - lower + 1;
    if len < 0 {
        return Ok(None);
    }
    u64::try_from(len).map(Some).map_err(|_| upper)
}

/// `DW_AT_alignment`, checked to be a power of two of sane size; `what`
/// names the entry in the error.
fn alignment(entry: &Entry<'_>, what: impl Fn() -> String) -> Result<Option<u64>, DwarfError> {
    match entry.attr(DW_AT_alignment).and_then(|a| a.udata_value()) {
        None => Ok(None),
        Some(a) if a.is_power_of_two() && a <= MAX_ALIGN => Ok(Some(a)),
        Some(value) => Err(DwarfError::BadAlignment {
            what: what(),
            value,
            limit: MAX_ALIGN,
        }),
    }
}

/// An entry that lacks what its use needs.
fn incomplete(what: &str, at: &str, problem: &'static str) -> DwarfError {
    DwarfError::Incomplete {
        what: what.to_string(),
        at: at.to_string(),
        problem,
    }
}

/// How DWARF names the form of an attribute value that should have been a
/// reference, for the message (never Debug output).
fn form_name(value: &AttributeValue<Slice<'_>>) -> &'static str {
    match value {
        AttributeValue::Addr(_) | AttributeValue::DebugAddrIndex(_) => "an address",
        AttributeValue::Block(_) => "a block",
        AttributeValue::Exprloc(_) => "an expression",
        AttributeValue::Flag(_) => "a flag",
        AttributeValue::Data1(_)
        | AttributeValue::Data2(_)
        | AttributeValue::Data4(_)
        | AttributeValue::Data8(_)
        | AttributeValue::Sdata(_)
        | AttributeValue::Udata(_) => "a constant",
        AttributeValue::String(_)
        | AttributeValue::DebugStrRef(_)
        | AttributeValue::DebugLineStrRef(_)
        | AttributeValue::DebugStrOffsetsIndex(_) => "a string",
        AttributeValue::SecOffset(_) => "a section offset",
        _ => "another kind of value",
    }
}

/// `DW_AT_data_member_location`: a constant, or the DWARF 2 expression
/// `DW_OP_plus_uconst N`; `None` for anything else.
fn member_location(member: &Entry<'_>) -> Option<u64> {
    let Some(attr) = member.attr(DW_AT_data_member_location) else {
        return Some(0);
    };
    if let Some(v) = attr.udata_value() {
        return Some(v);
    }
    let expression = attr.exprloc_value()?;
    let mut reader = expression.0;
    use gimli::Reader as _;
    let op = reader.read_u8().ok()?;
    if op == DW_OP_plus_uconst.0 {
        let value = reader.read_uleb128().ok()?;
        if reader.is_empty() {
            return Some(value);
        }
    }
    None
}

/// A bitfield's first bit, counted from the start of the struct, from
/// DWARF 4+ `DW_AT_data_bit_offset` or the older `DW_AT_bit_offset`, which
/// counts from the most significant bit of the storage unit.
fn bit_position(
    member: &Entry<'_>,
    location: u64,
    bit_size: u64,
    type_size: u64,
    little: bool,
) -> Option<u64> {
    if let Some(offset) = member
        .attr(DW_AT_data_bit_offset)
        .and_then(|a| a.udata_value())
    {
        return Some(offset);
    }
    let base = i128::from(location.checked_mul(8)?);
    // Counted from the storage unit's most significant bit, and negative
    // (clang writes a data8 of -5) where a packed struct's bitfield begins
    // before the unit `DW_AT_data_member_location` names.
    let Some(old) = member
        .attr(DW_AT_bit_offset)
        .and_then(|a| match a.raw_value() {
            AttributeValue::Data1(v) => Some(i128::from(v)),
            AttributeValue::Data2(v) => Some(i128::from(v as i16)),
            AttributeValue::Data4(v) => Some(i128::from(v as i32)),
            AttributeValue::Data8(v) => Some(i128::from(v as i64)),
            AttributeValue::Sdata(v) => Some(i128::from(v)),
            AttributeValue::Udata(v) => Some(i128::from(v)),
            _ => None,
        })
    else {
        return u64::try_from(base).ok();
    };
    let first = if little {
        let storage = member
            .attr(DW_AT_byte_size)
            .and_then(|a| a.udata_value())
            .unwrap_or(type_size);
        base + i128::from(storage) * 8 - old - i128::from(bit_size)
    } else {
        base + old
    };
    u64::try_from(first).ok()
}
