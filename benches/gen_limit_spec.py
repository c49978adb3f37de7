#!/usr/bin/env python3
"""Writes a worst-case spec at one of the input limits (abi-spec/src/limits.rs)
for benches/limits.sh. Every spec is valid: `check` accepts it to judge it.

    gen_limit_spec.py SHAPE [N]

Shapes (N overrides the count that defines the shape):
  versions    one struct, 256 versions, one u32 field added per version,
              each gated by its own feature (registration): the matrix's
              worst case (256 x 256 cells of 256 fields per target).
  versions4   the same, 4 structs.
  fields      one struct, 65,536 fields added over 256 versions: the
              history's worst case (every version's view is large).
  nesting     32 structs nested in one another, each containing the next
              twice: what recursions over nested types meet.
  unions      the same with unions.
  structs     100,000 structs of two fields each, half of them nesting
              another, 2 versions.
  size        a 64 MiB file: as many structs of 65,536 fields over 256
              versions as fit, fields added every version.
  features    64 feature words, 4,032 features (every bit but the 64
              extension bits) over 256 versions, each gating a field.
  constants   100,000 constants and 256 versions of one struct: each size
              constant is looked up among them.
  moves       the history's adversary: a struct whose first field is a
              struct that grows every version, so that every later field
              moves every version, followed by 65,536 fields: reserved ones
              since the first version between live ones since version 128.
"""
import sys

MAX_VERSIONS = 256
MAX_FIELDS = 65_536
MAX_NESTING = 32
MAX_STRUCTS = 100_000
MAX_BYTES = 64 << 20
MAX_WORDS = 64
MAX_CONSTANTS = 100_000


def abi(out, name, versions, words=1, targets=None):
    out.append(f'[abi]\nname = "{name}"\nversion = {versions}\nfirst_version = 1\n')
    if words > 1:
        out.append(f"feature_words = {words}\n")
    out.append("\n")


def feature(out, name, bit, since):
    out.append(f'[[feature]]\nname = "{name}"\nbit = {bit}\nsince = {since}\n\n')


def field(out, name, ty, since=1, feature=None, extra=""):
    out.append(f'[[struct.field]]\nname = "{name}"\ntype = "{ty}"\nsince = {since}\n')
    if feature:
        out.append(f'feature = "{feature}"\n')
    out.append(extra)


def growing(out, structs, versions, gate=True):
    # Feature bits 0..62 then 64..126 ...: never an extension bit.
    bits = [b for b in range(versions + versions // 63 + 1) if b % 64 != 63][: versions - 1]
    if gate:
        for v in range(2, versions + 1):
            feature(out, f"f{v}", bits[v - 2], v)
    for s in range(structs):
        out.append(f'[[struct]]\nname = "s{s}"\n\n')
        for v in range(1, versions + 1):
            field(out, f"v{v}", "u32", v, f"f{v}" if gate and v > 1 else None)


def shape_versions(n, structs=1):
    out = []
    abi(out, "limit", n, words=(n + 62) // 63)
    growing(out, structs, n)
    return out


def shape_fields(n):
    out = []
    versions = MAX_VERSIONS
    abi(out, "limit", versions)
    out.append('[[struct]]\nname = "big"\n\n')
    for f in range(n):
        since = 1 + f * versions // n
        field(out, f"f{f}", "u32", since)
    return out


def shape_nesting(n, kind):
    out = []
    abi(out, "limit", 1)
    # s{n-1} is the innermost, a u8; s{i} holds two s{i+1}, except s0 (one),
    # so a struct's size stays within 2^31-1 bytes (2^30 for s0). Nothing is
    # aligned nor a union (for structs): a recursion that stops at the first
    # `align` or union visits every path, 2^31 of them.
    for i in reversed(range(n)):
        out.append(f'[[struct]]\nname = "s{i}"\nkind = "{kind}"\n\n')
        if i == n - 1:
            field(out, "x", "u8")
        else:
            field(out, "a", f"s{i + 1}")
            if i > 0:
                field(out, "b", f"s{i + 1}")
    return out


def shape_structs(n):
    out = []
    abi(out, "limit", 2)
    for s in range(n):
        out.append(f'[[struct]]\nname = "s{s}"\n\n')
        if s % 2 == 1:
            field(out, "inner", f"s{s - 1}")
        else:
            field(out, "a", "u32")
        field(out, "b", "u32", 2)
    return out


def shape_size(limit):
    out = []
    versions = MAX_VERSIONS
    abi(out, "limit", versions)
    size = sum(map(len, out))
    s = 0
    while True:
        head = f'[[struct]]\nname = "s{s}"\n\n'
        chunk = [head]
        for f in range(MAX_FIELDS):
            since = 1 + f * versions // MAX_FIELDS
            field(chunk, f"f{f}", "u32", since)
        text = "".join(chunk)
        if size + len(text) > limit:
            # Fill what is left with a partial struct.
            room = limit - size - len(head)
            part = [head]
            used = 0
            f = 0
            while True:
                one = []
                field(one, f"f{f}", "u32", 1 + f * versions // MAX_FIELDS)
                piece = "".join(one)
                if used + len(piece) > room:
                    break
                part.append(piece)
                used += len(piece)
                f += 1
            if f:
                out.append("".join(part))
            return out
        out.append(text)
        size += len(text)
        s += 1


def shape_features(words):
    out = []
    versions = MAX_VERSIONS
    abi(out, "limit", versions, words=words)
    bits = [b for b in range(64 * words) if b % 64 != 63]
    for i, b in enumerate(bits):
        feature(out, f"f{b}", b, 1 + i * versions // len(bits))
    out.append('[[struct]]\nname = "s"\n\n')
    for i, b in enumerate(bits):
        field(out, f"x{b}", "u32", 1 + i * versions // len(bits), f"f{b}")
    return out


def shape_constants(n):
    out = []
    versions = MAX_VERSIONS
    abi(out, "limit", versions)
    for c in range(n):
        out.append(f'[[constant]]\nname = "c{c}"\nvalue = {c}\ntype = "u32"\n\n')
    out.append('[[struct]]\nname = "s"\n\n')
    for v in range(1, versions + 1):
        field(out, f"v{v}", "u32", v)
    return out


def shape_moves(n):
    out = []
    versions = MAX_VERSIONS
    abi(out, "limit", versions)
    out.append('[[struct]]\nname = "grow"\n\n')
    for v in range(1, versions + 1):
        field(out, f"g{v}", "u32", v)
    out.append('[[struct]]\nname = "big"\n\n')
    field(out, "head", "grow")
    for f in range((n - 1) // 2):
        out.append(f'[[struct.field]]\nname = "r{f}"\ntype = "u32"\nreserved = true\n')
        field(out, f"f{f}", "u32", versions // 2)
    return out


def main():
    shape = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else None
    if shape == "versions":
        out = shape_versions(n or MAX_VERSIONS)
    elif shape == "versions4":
        out = shape_versions(n or MAX_VERSIONS, structs=4)
    elif shape == "fields":
        out = shape_fields(n or MAX_FIELDS)
    elif shape == "nesting":
        out = shape_nesting(n or MAX_NESTING, "struct")
    elif shape == "unions":
        out = shape_nesting(n or MAX_NESTING, "union")
    elif shape == "structs":
        out = shape_structs(n or MAX_STRUCTS)
    elif shape == "size":
        out = shape_size(n or MAX_BYTES)
    elif shape == "features":
        out = shape_features(n or MAX_WORDS)
    elif shape == "moves":
        out = shape_moves(n or MAX_FIELDS)
    elif shape == "constants":
        out = shape_constants(n or MAX_CONSTANTS)
    else:
        sys.exit(f"unknown shape {shape}")
    sys.stdout.write("".join(out))


main()
