//! Writes raw BTF, record by record: what the tests and fuzz seeds use to
//! make BTF that no compiler here emits (every kind, split files, big
//! endian, hostile names). Nothing checks what is written: a test may
//! write any bytes it wants the reader to refuse.

/// A BTF object being written. Type IDs are handed out in order, from 1
/// (or, for split BTF, from one past the base's last).
pub struct BtfWriter {
    types: Vec<u8>,
    strings: Vec<u8>,
    first_string: u32,
    next_id: u32,
    big_endian: bool,
}

/// One member of a struct or union: name, type ID, offset in bits, and
/// the bitfield size (0 when it is none; needs `kind_flag`).
pub type MemberSpec<'a> = (&'a str, u32, u32, u32);

impl BtfWriter {
    /// A new base BTF object; `big_endian` writes every number big endian.
    pub fn new(big_endian: bool) -> Self {
        BtfWriter {
            types: Vec::new(),
            strings: vec![0],
            first_string: 0,
            next_id: 1,
            big_endian,
        }
    }

    /// A split BTF object over a base with `base_types` types and
    /// `base_strings` bytes of strings.
    pub fn split(base_types: u32, base_strings: u32) -> Self {
        BtfWriter {
            types: Vec::new(),
            strings: Vec::new(),
            first_string: base_strings,
            next_id: base_types + 1,
            big_endian: false,
        }
    }

    /// The number of types written so far (the last ID for a base).
    pub fn last_id(&self) -> u32 {
        self.next_id - 1
    }

    /// The bytes of strings written so far.
    pub fn strings_len(&self) -> u32 {
        self.strings.len() as u32
    }

    fn word(&self, value: u32) -> [u8; 4] {
        if self.big_endian {
            value.to_be_bytes()
        } else {
            value.to_le_bytes()
        }
    }

    /// Adds a string; its offset (0 for the empty string of a base).
    pub fn name(&mut self, text: &str) -> u32 {
        if text.is_empty() && self.first_string == 0 {
            return 0;
        }
        let at = self.first_string + self.strings.len() as u32;
        self.strings.extend_from_slice(text.as_bytes());
        self.strings.push(0);
        at
    }

    /// Adds a record: the common 12 bytes, then `extra` words. Its ID.
    pub fn raw(
        &mut self,
        kind: u32,
        name: &str,
        vlen: u32,
        kind_flag: bool,
        size_or_type: u32,
        extra: &[u32],
    ) -> u32 {
        let name = self.name(name);
        let info = (u32::from(kind_flag) << 31) | (kind << 24) | vlen;
        for value in [name, info, size_or_type].iter().chain(extra) {
            let bytes = self.word(*value);
            self.types.extend_from_slice(&bytes);
        }
        self.next_id += 1;
        self.next_id - 1
    }

    /// `INT`: `size` bytes, `encoding` (1 signed, 2 char, 4 bool), `bits`.
    pub fn int(&mut self, name: &str, size: u32, encoding: u32, bits: u32) -> u32 {
        self.raw(1, name, 0, false, size, &[(encoding << 24) | bits])
    }

    /// `STRUCT` or `UNION` (`union`), with `kind_flag` for bitfields.
    pub fn aggregate(
        &mut self,
        union: bool,
        name: &str,
        size: u32,
        kind_flag: bool,
        members: &[MemberSpec<'_>],
    ) -> u32 {
        let mut extra = Vec::new();
        for &(member, ty, bit_offset, bit_size) in members {
            let offset = if kind_flag {
                (bit_size << 24) | bit_offset
            } else {
                bit_offset
            };
            extra.extend([self.name(member), ty, offset]);
        }
        let kind = if union { 5 } else { 4 };
        self.raw(kind, name, members.len() as u32, kind_flag, size, &extra)
    }

    /// `ARRAY` of `count` elements of `element`, indexed by `index`.
    pub fn array(&mut self, element: u32, index: u32, count: u32) -> u32 {
        self.raw(3, "", 0, false, 0, &[element, index, count])
    }

    /// A kind whose record is only the common part, with a type (`PTR` 2,
    /// `TYPEDEF` 8, `VOLATILE` 9, `CONST` 10, `RESTRICT` 11, `FUNC` 12,
    /// `TYPE_TAG` 18) or a size (`FLOAT` 16), or nothing (`FWD` 7).
    pub fn simple(&mut self, kind: u32, name: &str, size_or_type: u32) -> u32 {
        self.raw(kind, name, 0, false, size_or_type, &[])
    }

    /// The file: header, types, strings.
    pub fn finish(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let magic: u16 = 0xeb9f;
        out.extend_from_slice(&if self.big_endian {
            magic.to_be_bytes()
        } else {
            magic.to_le_bytes()
        });
        out.extend_from_slice(&[1, 0]);
        let types = self.types.len() as u32;
        for value in [24, 0, types, types, self.strings.len() as u32] {
            let bytes = self.word(value);
            out.extend_from_slice(&bytes);
        }
        out.extend_from_slice(&self.types);
        out.extend_from_slice(&self.strings);
        out
    }
}
