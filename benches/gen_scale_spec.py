#!/usr/bin/env python3
"""Writes a large spec for the scale benchmark: STRUCTS structs of FIELDS
fields each over VERSIONS versions, every built-in target (the default).
Fields mix scalars, arrays, u64s pinned with `align = 8`, explicit reserved
fields and nested structs, so the engine does real work."""
import random
import sys

structs = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
fields = int(sys.argv[2]) if len(sys.argv) > 2 else 64
versions = int(sys.argv[3]) if len(sys.argv) > 3 else 10
rng = random.Random(42)
out = [f'[abi]\nname = "scale"\nversion = {versions}\nfirst_version = 1\n'
       'doc = "Generated for the scale benchmark."\n\n']
for bit in range(min(versions, 62)):
    out.append(f'[[feature]]\nname = "f{bit}"\nbit = {bit}\nsince = {bit + 1}\n\n')


def field(name, ty, since, extra=""):
    gate = f'feature = "f{since - 1}"\n' if since > 1 else ""
    return (f'[[struct.field]]\nname = "{name}"\ntype = "{ty}"\nsince = {since}\n'
            f'{gate}{extra}doc = "Field {name}."\n\n')


# The first LEAVES structs never grow (every field since 1), so nesting them
# keeps the containing struct compatible; the others grow over the versions.
LEAVES = 20
for s in range(structs):
    out.append(f'[[struct]]\nname = "s{s}"\nalign = 8\ndoc = "Struct {s}."\n\n')
    for f in range(fields):
        since = 1 if s < LEAVES else 1 + f * versions // fields
        kind = rng.randrange(6)
        if kind == 0:
            out.append(field(f"f{f}", "u64", since, "align = 8\n"))
        elif kind == 1:
            out.append(field(f"f{f}", "[u8; 8]", since))
        elif kind == 2 and s >= LEAVES and since == 1:
            out.append(field(f"f{f}", f"s{rng.randrange(LEAVES)}", since))
        elif kind == 3:
            out.append(field(f"f{f}", "u32", since))
            out.append(f'[[struct.field]]\nname = "pad{f}"\ntype = "u32"\nsince = {since}\n'
                       'reserved = true\ndoc = "Reserved."\n\n')
        else:
            out.append(field(f"f{f}", "[u32; 2]", since))
sys.stdout.write("".join(out))
