#!/usr/bin/env bash
# Scale benchmark: `abi-check check` on a spec of 1,000 structs x 64 fields,
# 10 versions, every built-in target, against Python's tomllib merely parsing
# the same file. Goal: check (parse + validate + lay out every struct on
# every target in every version + lints) faster than that parse.
#
#   benches/scale.sh [STRUCTS FIELDS VERSIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
structs=${1:-1000} fields=${2:-64} versions=${3:-10}
mkdir -p benches/data
spec=benches/data/scale-${structs}x${fields}x${versions}.toml
python3 benches/gen_scale_spec.py "$structs" "$fields" "$versions" > "$spec"
cargo build --release -q -p abi-check
bin=${CARGO_TARGET_DIR:-target}/release/abi-check
echo "spec: $spec ($(du -h "$spec" | cut -f1), $structs structs x $fields fields, $versions versions)"

best() { # best of 5 wall-clock runs of "$@", in seconds
  local best=999999
  for _ in 1 2 3 4 5; do
    local t0 t1
    t0=$(date +%s.%N); "$@" >/dev/null; t1=$(date +%s.%N)
    best=$(python3 -c "print(min($best, $t1 - $t0))")
  done
  echo "$best"
}

"$bin" check "$spec" > benches/data/scale-check.txt || true
tail -1 benches/data/scale-check.txt
ours=$(best "$bin" check "$spec" --format json)
theirs=$(best python3 -c "import sys, tomllib; tomllib.load(open(sys.argv[1], 'rb'))" "$spec")
python3 - "$ours" "$theirs" <<'PY'
import sys
ours, theirs = float(sys.argv[1]), float(sys.argv[2])
print(f"abi-check check:        {ours:.3f} s")
print(f"python tomllib (parse): {theirs:.3f} s")
print(f"ratio: check takes {ours / theirs:.2f}x the time of the parse alone")
PY
