#!/usr/bin/env bash
# BTF benchmark on the running kernel's /sys/kernel/btf/vmlinux (or FILE):
# `abi-check dump --btf` of five extensible structs against `pahole -C` of
# the same five on the same file, and a full read of every type (`dump` of
# a name no type has: every record is parsed and checked, every name
# compared). Wall time (best of 3) and peak RSS of each, through
# /usr/bin/time (getrusage through Python where it is missing). Also the
# number of types of each kind in the file.
# Goals: the five names in at most half of pahole's time and memory; the
# full read under 50 ms (release build).
#
#   benches/btf.sh [FILE]
set -euo pipefail
cd "$(dirname "$0")/.."
btf=${1:-/sys/kernel/btf/vmlinux}
[ -r "$btf" ] || { echo "$btf is not readable" >&2; exit 2; }
data=benches/data
mkdir -p "$data"
echo "BTF: $btf ($(wc -c <"$btf") bytes), kernel $(uname -r)"

cargo build --release -q -p abi-check
bin=${CARGO_TARGET_DIR:-target}/release/abi-check
names=rseq,clone_args,open_how,sched_attr,mount_attr

# measure CMD...: prints "seconds max_rss_kb", best wall time of 3 runs.
if [ -x /usr/bin/time ]; then
  measure() {
    local best="" rss=""
    for _ in 1 2 3; do
      /usr/bin/time -o "$data/time.txt" -f '%e %M' "$@" >/dev/null 2>&1 || true
      local out t m
      out=$(tail -1 "$data/time.txt")
      t=${out% *} m=${out#* }
      if [ -z "$best" ] || python3 -c "import sys; sys.exit(0 if $t < $best else 1)"; then
        best=$t
        rss=$m
      fi
    done
    echo "$best $rss"
  }
else
  measure() {
    python3 - "$@" <<'PY'
import resource, subprocess, sys, time
best = None
for _ in range(3):
    t0 = time.monotonic()
    subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t = time.monotonic() - t0
    best = t if best is None else min(best, t)
print(f"{best:.3f} {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}")
PY
  }
fi

# /usr/bin/time gives 10 ms steps; the full read is timed in-process too.
precise() {
  python3 - "$@" <<'PY'
import subprocess, sys, time
best = None
for _ in range(5):
    t0 = time.perf_counter()
    subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t = time.perf_counter() - t0
    best = t if best is None else min(best, t)
print(f"{best * 1000:.1f}")
PY
}

cat "$btf" >/dev/null
read -r ours_t ours_m < <(measure "$bin" dump --btf "$btf" --struct "$names")
read -r full_t full_m < <(measure "$bin" dump --btf "$btf" --struct no_such_type_anywhere)
full_ms=$(precise "$bin" dump --btf "$btf" --struct no_such_type_anywhere)
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
printf '%-52s %7s s %8s KB\n' "abi-check dump --btf ($names)" "$ours_t" "$ours_m"
printf '%-52s %7s s %8s KB (%s ms, whole process, best of 5)\n' \
  "abi-check dump --btf (a missing name: every type)" "$full_t" "$full_m" "$full_ms"
if command -v pahole >/dev/null; then
  read -r pahole_t pahole_m < <(measure pahole -C "$names" "$btf")
  printf '%-52s %7s s %8s KB\n' "pahole -C $names" "$pahole_t" "$pahole_m"
  python3 - "$ours_t" "$ours_m" "$pahole_t" "$pahole_m" "$full_ms" <<'PY'
import sys
ot, om, pt, pm, fm = map(float, sys.argv[1:])
print(f"time: {ot / pt:.0%} of pahole's (goal <= 50%); memory: {om / pm:.0%} (goal <= 50%)")
print(f"full read: {fm:.1f} ms (goal < 50 ms)")
PY
else
  echo "pahole is not installed: no comparison"
fi

# The kinds the file uses, counted from its records.
python3 - "$btf" <<'PY'
import struct, sys
data = open(sys.argv[1], "rb").read()
little = data[:2] == b"\x9f\xeb"
e = "<" if little else ">"
hdr_len, type_off, type_len = struct.unpack_from(e + "III", data, 4)
types = data[hdr_len + type_off: hdr_len + type_off + type_len]
names = ["UNKN", "INT", "PTR", "ARRAY", "STRUCT", "UNION", "ENUM", "FWD", "TYPEDEF", "VOLATILE",
         "CONST", "RESTRICT", "FUNC", "FUNC_PROTO", "VAR", "DATASEC", "FLOAT", "DECL_TAG",
         "TYPE_TAG", "ENUM64"]
extra = {1: 4, 3: 12, 14: 4, 17: 4}
per = {4: 12, 5: 12, 6: 8, 13: 8, 15: 12, 19: 12}
counts = [0] * 20
at = 0
while at < len(types):
    info, = struct.unpack_from(e + "I", types, at + 4)
    kind, vlen = (info >> 24) & 0x1f, info & 0xffff
    counts[kind] += 1
    at += 12 + extra.get(kind, 0) + per.get(kind, 0) * vlen
print("kinds: " + ", ".join(f"{n} {c}" for n, c in zip(names, counts) if c) + f"; {sum(counts)} types")
PY
