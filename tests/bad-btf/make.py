#!/usr/bin/env python3
"""Writes the hostile BTF files of the bad-input corpus (tests/bad-btf/).

Each NAME.btf is a small raw BTF file defining `struct s`, damaged in one
precise way; abi-check/tests/btf_cli.rs runs `abi-check dump --btf NAME.btf
--struct s` on each and expects exit 2, the file named, and the text of
NAME.expect (written by this script too: the message is the reader's
contract for that damage). The files are kept in git; rerun this only to
change the corpus.
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))

INT, PTR, ARRAY, STRUCT, UNION, ENUM, FWD, TYPEDEF = 1, 2, 3, 4, 5, 6, 7, 8
VOLATILE, CONST, RESTRICT, FUNC, FUNC_PROTO, VAR, DATASEC = 9, 10, 11, 12, 13, 14, 15
FLOAT, DECL_TAG, TYPE_TAG, ENUM64 = 16, 17, 18, 19


class Btf:
    def __init__(self):
        self.types = b""
        self.strings = b"\0"
        self.count = 0

    def name(self, text):
        if not text:
            return 0
        at = len(self.strings)
        self.strings += text.encode() + b"\0"
        return at

    def raw(self, kind, name_off, size_or_type, vlen=0, flag=0, extra=b""):
        info = (flag << 31) | (kind << 24) | vlen
        self.types += struct.pack("<III", name_off, info, size_or_type) + extra
        self.count += 1
        return self.count

    def int(self, name, size, signed=False):
        bits = size * 8
        return self.raw(INT, self.name(name), size, extra=struct.pack("<I", ((1 if signed else 0) << 24) | bits))

    def struct(self, name, size, members, kind=STRUCT):
        extra = b"".join(struct.pack("<III", self.name(n), t, off) for n, t, off in members)
        return self.raw(kind, self.name(name), size, vlen=len(members), extra=extra)

    def typedef(self, name, target):
        return self.raw(TYPEDEF, self.name(name), target)

    def array(self, elem, count):
        return self.raw(ARRAY, 0, 0, extra=struct.pack("<III", elem, 1, count))

    def header(self, type_off=0, type_len=None, str_off=None, str_len=None, hdr_len=24, version=1):
        type_len = len(self.types) if type_len is None else type_len
        str_off = len(self.types) if str_off is None else str_off
        str_len = len(self.strings) if str_len is None else str_len
        return struct.pack("<HBBIIIII", 0xEB9F, version, 0, hdr_len, type_off, type_len, str_off, str_len)

    def bytes(self, **header):
        return self.header(**header) + self.types + self.strings


def good():
    b = Btf()
    u32 = b.int("unsigned int", 4)
    b.struct("s", 8, [("a", u32, 0), ("b", u32, 32)])
    return b


CASES = {}


def case(name, expect):
    def register(fn):
        CASES[name] = (fn, expect)
        return fn
    return register


@case("empty", "no BTF: neither raw BTF (magic 0xeB9F) nor an ELF file")
def _():
    return b""


@case("magic-only", "shorter than the 24-byte header")
def _():
    return struct.pack("<H", 0xEB9F)


@case("truncated-header", "shorter than the 24-byte header")
def _():
    return good().bytes()[:20]


@case("version-2", "version 2, only version 1 is defined")
def _():
    return good().bytes(version=2)


@case("header-length-absurd", "header length 4294967295")
def _():
    return good().bytes(hdr_len=0xFFFFFFFF)


@case("type-section-past-end", "the type section (4294967295 bytes at 0) runs past")
def _():
    return good().bytes(type_len=0xFFFFFFFF)


@case("string-section-past-end", "the string section")
def _():
    b = good()
    return b.bytes(str_len=0x7FFFFFF0)


@case("type-offset-unaligned", "type section offset 2 is not a multiple of 4")
def _():
    return good().bytes(type_off=2)


@case("strings-not-terminated", "the string section does not end with a NUL byte")
def _():
    b = good()
    b.strings += b"tail"
    return b.bytes()


@case("split-without-base", "give the BTF it extends (--btf-base FILE)")
def _():
    b = good()
    b.strings = b"x" + b.strings
    return b.bytes()


@case("truncated-types", "runs past its end")
def _():
    b = good()
    # The struct's second member is cut off: the section ends inside it.
    b.types = b.types[:-4]
    return b.bytes()


@case("vlen-past-end", "type 2 (kind 4) at byte 16 of the type section runs past its end")
def _():
    b = Btf()
    u32 = b.int("unsigned int", 4)
    b.raw(STRUCT, b.name("s"), 8, vlen=0xFFFF, extra=struct.pack("<III", 0, u32, 0))
    return b.bytes()


@case("unknown-kind", "type 3 has kind 20, unknown")
def _():
    b = good()
    b.raw(20, 0, 0)
    return b.bytes()


@case("name-offset-past-strings", "type 3: name offset 1000000 is past")
def _():
    b = good()
    b.raw(TYPEDEF, 1000000, 1)
    return b.bytes()


@case("member-name-past-strings", "type 2: name offset 65536 is past")
def _():
    b = Btf()
    u32 = b.int("unsigned int", 4)
    b.raw(STRUCT, b.name("s"), 4, vlen=1, extra=struct.pack("<III", 65536, u32, 0))
    return b.bytes()


@case("type-reference-past-end", "type 2 refers to type 99, past the last type (2)")
def _():
    b = Btf()
    b.int("unsigned int", 4)
    b.struct("s", 4, [("a", 99, 0)])
    return b.bytes()


@case("typedef-cycle", "cycle in type references")
def _():
    b = Btf()
    b.typedef("t1", 2)
    b.typedef("t2", 1)
    b.struct("s", 4, [("a", 1, 0)])
    return b.bytes()


@case("struct-contains-itself", "cycle in type references at type 1")
def _():
    b = Btf()
    b.struct("s", 8, [("again", 1, 0)])
    return b.bytes()


@case("typedef-chain-100", "type chain deeper than 64")
def _():
    b = Btf()
    u32 = b.int("unsigned int", 4)
    previous = u32
    for i in range(100):
        previous = b.typedef("t%d" % i, previous)
    b.struct("s", 4, [("a", previous, 0)])
    return b.bytes()


@case("array-count-absurd", "elements of 4 bytes is more than 2147483647 bytes")
def _():
    b = Btf()
    u32 = b.int("unsigned int", 4)
    arr = b.array(u32, 0xFFFFFFFF)
    b.struct("s", 4, [("a", arr, 0)])
    return b.bytes()


@case("struct-size-absurd", "4294967295 bytes is more than 2147483647 bytes")
def _():
    b = Btf()
    u32 = b.int("unsigned int", 4)
    b.struct("s", 0xFFFFFFFF, [("a", u32, 0)])
    return b.bytes()


@case("member-outside-struct", "member `b` of s (type 2) at bit 4096, 4 bytes, lies outside its 8 bytes")
def _():
    b = Btf()
    u32 = b.int("unsigned int", 4)
    b.struct("s", 8, [("a", u32, 0), ("b", u32, 4096)])
    return b.bytes()


@case("member-inside-a-byte", "starts at bit 3, inside a byte, and is no bitfield")
def _():
    b = Btf()
    u32 = b.int("unsigned int", 4)
    b.struct("s", 8, [("a", u32, 3)])
    return b.bytes()


@case("integer-size-absurd", "an integer of 3 bytes")
def _():
    b = Btf()
    odd = b.int("odd", 3)
    b.struct("s", 4, [("a", odd, 0)])
    return b.bytes()


@case("member-of-void", "type 0 (void) cannot be a member's type")
def _():
    b = Btf()
    b.struct("s", 4, [("a", 0, 0)])
    return b.bytes()


@case("member-is-a-function", "(FUNC) cannot be a member's type")
def _():
    b = Btf()
    proto = b.raw(FUNC_PROTO, 0, 0)
    fn = b.raw(FUNC, b.name("f"), proto)
    b.struct("s", 4, [("a", fn, 0)])
    return b.bytes()


@case("member-only-declared", "struct inner (type 1) is only declared, never defined")
def _():
    b = Btf()
    fwd = b.raw(FWD, b.name("inner"), 0)
    b.struct("s", 4, [("a", fwd, 0)])
    return b.bytes()


@case("hostile-names", "no definition of `s`")
def _():
    # The only struct is named with a newline and an escape sequence: the
    # message must not carry them raw (the CLI test checks that too).
    b = Btf()
    u32 = b.int("unsigned int", 4)
    b.struct("s\n\x1b[2J", 4, [("a", u32, 0)])
    return b.bytes()


def main():
    for old in os.listdir(HERE):
        if old.endswith(".btf") or old.endswith(".expect"):
            os.remove(os.path.join(HERE, old))
    for name, (fn, expect) in CASES.items():
        with open(os.path.join(HERE, name + ".btf"), "wb") as f:
            f.write(fn())
        with open(os.path.join(HERE, name + ".expect"), "w") as f:
            f.write(expect + "\n")


if __name__ == "__main__":
    main()
