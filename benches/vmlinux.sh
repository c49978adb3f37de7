#!/usr/bin/env bash
# DWARF benchmark on Debian's kernel debug package: `abi-check dump` of five
# extensible structs, and of a struct that does not exist (a full scan of
# every unit), against `pahole -j -C ...`. Wall time and peak RSS of each.
# Goals: the five names in at most a quarter of pahole's time and memory;
# a full scan under 1.5 s on 2 cores.
#
#   benches/vmlinux.sh [VMLINUX]
#
# Without an argument, downloads linux-image-amd64-dbg (a ~850 MB .deb, via
# its versioned dependency) into benches/data/ (gitignored) once, and
# extracts vmlinux from it.
set -euo pipefail
cd "$(dirname "$0")/.."
data=benches/data
mkdir -p "$data"
vmlinux=${1:-}
if [ -z "$vmlinux" ]; then
  vmlinux=$(find -L "$data" -path '*lib/modules/*/vmlinux' 2>/dev/null | head -1)
fi
if [ -z "$vmlinux" ]; then
  # The meta package only depends on the versioned one, which holds vmlinux.
  real=$(apt-cache depends linux-image-amd64-dbg 2>/dev/null |
    awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
  [ -n "$real" ] || { echo "cannot resolve linux-image-amd64-dbg (apt-get update?)" >&2; exit 2; }
  deb=$(ls "$data"/"$real"_*.deb 2>/dev/null | head -1 || true)
  if [ -z "$deb" ]; then
    (cd "$data" && apt-get download "$real")
    deb=$(ls "$data"/"$real"_*.deb | head -1)
  fi
  dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$data" --wildcards '*/lib/modules/*/vmlinux'
  vmlinux=$(find -L "$data" -path '*lib/modules/*/vmlinux' | head -1)
fi
echo "vmlinux: $vmlinux ($(du -hL "$vmlinux" | cut -f1))"

cargo build --release -q -p abi-check
bin=${CARGO_TARGET_DIR:-target}/release/abi-check
names=clone_args,sched_attr,open_how,perf_event_attr,rseq

# measure CMD...: prints "seconds max_rss_kb", best wall time of 3 runs.
if [ -x /usr/bin/time ]; then
  measure() {
    local best="" rss=""
    for _ in 1 2 3; do
      local out
      /usr/bin/time -o "$data/time.txt" -f '%e %M' "$@" >/dev/null 2>&1 || true
      out=$(tail -1 "$data/time.txt")
      local t=${out% *} m=${out#* }
      if [ -z "$best" ] || python3 -c "import sys; sys.exit(0 if $t < $best else 1)"; then
        best=$t
      fi
      rss=$m
    done
    echo "$best $rss"
  }
else
  measure() { # getrusage of the children, through Python
    python3 - "$@" <<'PY'
import resource, subprocess, sys, time
best = None
for _ in range(3):
    t0 = time.monotonic()
    subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t = time.monotonic() - t0
    best = t if best is None else min(best, t)
print(f"{best:.2f} {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}")
PY
  }
fi

# Warm the page cache so every tool reads from memory.
cat "$vmlinux" >/dev/null

read -r ours_t ours_m < <(measure "$bin" dump --elf "$vmlinux" --struct "$names" --format json)
read -r scan_t scan_m < <(measure "$bin" dump --elf "$vmlinux" --struct no_such_struct_anywhere)
# Alternatives cost nothing when the first one is defined: the scan stops
# as for one name (verify exits 1 here if the kernel lacks newer fields).
read -r alt_t alt_m < <(measure "$bin" verify examples/linux/rseq.toml \
  --struct 'rseq=rseq|pthread.rseq_area' --elf "$vmlinux")
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
printf '%-44s %8s s %10s KB\n' "abi-check dump ($names)" "$ours_t" "$ours_m"
printf '%-44s %8s s %10s KB\n' "abi-check dump (a missing name: full scan)" "$scan_t" "$scan_m"
printf '%-44s %8s s %10s KB\n' "abi-check verify rseq=rseq|pthread.rseq_area" "$alt_t" "$alt_m"
if command -v pahole >/dev/null; then
  read -r pahole_t pahole_m < <(measure pahole -j -C "$names" "$vmlinux")
  printf '%-44s %8s s %10s KB\n' "pahole -j -C $names" "$pahole_t" "$pahole_m"
  python3 - "$ours_t" "$ours_m" "$pahole_t" "$pahole_m" "$scan_t" <<'PY'
import sys
ot, om, pt, pm, st = map(float, sys.argv[1:])
print(f"time: {ot / pt:.1%} of pahole's (goal <= 25%); memory: {om / pm:.1%} (goal <= 25%)")
print(f"full scan: {st:.2f} s (goal < 1.5 s)")
PY
else
  echo "pahole is not installed: no comparison"
fi
