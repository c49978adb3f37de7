#!/usr/bin/env python3
"""Writes the hostile binaries of the bad-input corpus (tests/bad-elf/).

Each is a small object compiled here and then damaged in one precise way;
abi-check/tests/bad_input.rs runs `abi-check dump --elf FILE --struct s` on
each and expects exit 2 with the text of FILE.expect (written by hand, not
by this script). Rerun it only to change the corpus: the files are kept in
git so the tests do not depend on the compiler's exact output (a rerun
rewrites every file: the DWARF names the temporary directory; restore the
unchanged ones with git).
"""
import os, random, struct, subprocess, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = """
typedef unsigned int u32;
typedef u32 t1;
typedef t1 t2;
struct inner { unsigned char a; unsigned long long b; };
struct s { t2 x; struct inner inner; int arr[16]; };
struct s v;
"""


def compile(flags, source=SOURCE):
    with tempfile.TemporaryDirectory() as d:
        c = os.path.join(d, "s.c")
        o = os.path.join(d, "s.o")
        open(c, "w").write(source)
        subprocess.run(["gcc", "-c", "-o", o, c] + flags, check=True)
        return bytearray(open(o, "rb").read())


def sections(data):
    """(name, header offset, sh_offset, sh_size, sh_flags) of an ELF64 LE file."""
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    def header(i):
        return struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize)
    strtab = header(shstrndx)
    out = []
    for i in range(shnum):
        h = header(i)
        start = strtab[4] + h[0]
        name = data[start:data.index(0, start)].decode()
        out.append((name, shoff + i * shentsize, h[4], h[5], h[2]))
    return out


def section(data, name):
    return next(s for s in sections(data) if s[0] == name)


def readelf_info(path):
    out = subprocess.run(["readelf", "--debug-dump=info", path], capture_output=True, text=True, check=True).stdout
    return out


def die_map(data):
    """Typedef DIE offsets with the offset of their DW_AT_type value, and
    the offset of the DW_AT_upper_bound value, within .debug_info."""
    with tempfile.NamedTemporaryFile(suffix=".o") as f:
        f.write(data)
        f.flush()
        info = readelf_info(f.name)
    typedefs, bounds, current = [], [], None
    for line in info.splitlines():
        line = line.strip()
        if not line.startswith("<"):
            continue
        head, _, tail = line[1:].partition(">")
        if tail.startswith("<"):
            die = int(tail[1:].split(">")[0], 16)
            current = (die, "typedef" if "DW_TAG_typedef" in line else "subrange" if "DW_TAG_subrange_type" in line else "")
            continue
        try:
            at = int(head, 16)
        except ValueError:
            continue
        if current and current[1] == "typedef" and "DW_AT_type" in tail:
            typedefs.append((current[0], at))
        if current and current[1] == "subrange" and "DW_AT_upper_bound" in tail:
            bounds.append(at)
    return typedefs, bounds


def write(name, data):
    open(os.path.join(HERE, name), "wb").write(bytes(data))


def main():
    plain = compile(["-g", "-gdwarf-4"])
    rng = random.Random(8)

    write("empty.elf", b"")
    write("text-file.elf", b"struct s { int x; };\n")
    write("magic-only.elf", b"\x7fELF")
    write("truncated-ident.elf", plain[:16])
    write("truncated-header.elf", plain[:40])
    write("truncated-200.elf", plain[:200])
    write("truncated-half.elf", plain[: len(plain) // 2])
    write("noise-after-magic.elf", b"\x7fELF" + bytes(rng.getrandbits(8) for _ in range(4096)))
    write("noise-after-header.elf", plain[:64] + bytes(rng.getrandbits(8) for _ in range(4096)))

    def patched(offset, fmt, value, base=plain):
        d = bytearray(base)
        struct.pack_into(fmt, d, offset, value)
        return d

    write("bad-class.elf", patched(4, "<B", 7))
    write("bad-endian.elf", patched(5, "<B", 9))
    write("unknown-machine.elf", patched(0x12, "<H", 0xBEEF))
    write("shoff-absurd.elf", patched(0x28, "<Q", 0xFFFF_FFFF_FFFF_0000))
    write("shoff-past-end.elf", patched(0x28, "<Q", len(plain) + 64))
    write("shnum-absurd.elf", patched(0x3C, "<H", 0xFFFF))
    write("shentsize-wrong.elf", patched(0x3A, "<H", 7))
    write("shstrndx-out-of-range.elf", patched(0x3E, "<H", 0xFFF0))

    _, hdr, off, size, _ = section(plain, ".debug_info")
    write("debug-info-offset-absurd.elf", patched(hdr + 0x18, "<Q", 0x7FFF_FFFF_FFFF_0000))
    write("debug-info-size-absurd.elf", patched(hdr + 0x20, "<Q", 0x7FFF_FFFF_FFFF_0000))
    d = bytearray(plain)
    d[off:off + size] = bytes(rng.getrandbits(8) for _ in range(size))
    write("debug-info-noise.elf", d)
    d = bytearray(plain)
    struct.pack_into("<I", d, off, 0xFFFF_FFF0)  # unit length: reserved value
    write("unit-length-reserved.elf", d)
    d = bytearray(plain)
    struct.pack_into("<I", d, off, size * 100)  # unit longer than the section
    write("unit-length-past-end.elf", d)
    d = bytearray(plain)
    struct.pack_into("<H", d, off + 4, 99)  # DWARF version 99
    write("dwarf-version-99.elf", d)
    _, _, aoff, asize, _ = section(plain, ".debug_abbrev")
    d = bytearray(plain)
    d[aoff:aoff + asize] = bytes(rng.getrandbits(8) for _ in range(asize))
    write("debug-abbrev-noise.elf", d)

    # Compressed .debug_info (Elf64_Chdr: type, reserved, size, addralign)
    # whose header claims 1 TiB, or whose payload is not zlib.
    gz = compile(["-g", "-gdwarf-4", "-gz=zlib"])
    _, _, zoff, zsize, _ = section(gz, ".debug_info")
    write("compressed-size-lies-huge.elf", patched(zoff + 8, "<Q", 1 << 40, gz))
    write("compressed-size-lies-2gib.elf", patched(zoff + 8, "<Q", 2 << 30, gz))
    write("compressed-size-lies-small.elf", patched(zoff + 8, "<Q", 3, gz))
    d = bytearray(gz)
    d[zoff + 24:zoff + zsize] = bytes(rng.getrandbits(8) for _ in range(zsize - 24))
    write("compressed-payload-noise.elf", d)
    write("compressed-unknown-type.elf", patched(zoff, "<I", 77, gz))

    # A typedef cycle: t1's DW_AT_type points at t2, whose type is t1.
    typedefs, bounds = die_map(plain)
    by_die = dict(typedefs)
    dies = sorted(by_die)
    t1, t2 = dies[1], dies[2]  # u32, t1, t2 in source order
    write("typedef-cycle.elf", patched(off + by_die[t1], "<I", t2))
    # A typedef whose type is itself.
    write("typedef-self.elf", patched(off + by_die[t1], "<I", t1))
    # A type reference past the end of the unit.
    write("type-ref-past-end.elf", patched(off + by_die[t1], "<I", 0x00FF_FFFF))
    # An array of 2^31-2 ints (DW_AT_upper_bound is a data1 here: give the
    # source a bound that needs data4).
    huge = compile(["-g", "-gdwarf-4"], SOURCE.replace("int arr[16]", "int arr[0x1000000]"))
    _, _, hoff, _, _ = section(huge, ".debug_info")
    _, hbounds = die_map(huge)
    write("array-bound-absurd.elf", patched(hoff + hbounds[0], "<I", 0x7FFF_FFFE, huge))
    # A chain of 100 typedefs: deeper than the reader follows.
    chain = "typedef int c0;\n" + "".join(f"typedef c{i} c{i + 1};\n" for i in range(100))
    write("typedef-chain-100.elf", compile(["-g", "-gdwarf-4"], chain + "struct s { c100 x; } v;\n"))
    # No DWARF at all.
    write("no-debug-info.elf", compile([]))
    write("big-endian-flag-on-little-file.elf", patched(5, "<B", 2))


main()
